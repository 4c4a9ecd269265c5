/* test_tpe_erfc: the erfc that dt_sampler_tpe fits when a sampler is created (grid
 * cells' masses need thousands per suggestion, in a loop gcc vectorizes). It is static
 * to the module, so this test includes the module's source; libdarktune.a's copy of
 * the module then goes unlinked. Checked against libm's long double erfcl over the
 * whole fitted range and beyond it. */
#include "dt_sampler_tpe.c"

#include "dt_test.h"

/* The largest relative error on [lo, hi] in n steps. */
static double worst_error(const dt_tpe *t, double lo, double hi, int n, double *at)
{
    double worst = 0;
    for (int i = 0; i <= n; i++) {
        double y = lo + (hi - lo) * i / n;
        long double ref = erfcl(y);
        double e = fabs((double)((dt_tpe__erfc(t->erfc_c, y) - ref) / ref));
        if (e > worst) {
            worst = e;
            *at = y;
        }
    }
    return worst;
}

int main(void)
{
    dt_space s = {0};
    dt_tpe *t;
    dt_err err = {{0}};
    CHECK(dt_tpe_create(&t, &s, 1, NULL, &err) == 0);
    double at = 0, near = worst_error(t, 0, 6, 600000, &at);
    printf("  erfc: worst relative error %.2g on [0, 6] (at %.4f)\n", near, at);
    CHECK(near < 1e-14);
    double far = worst_error(t, 6, DT_TPE__ERFC_YMAX, 600000, &at);
    printf("  erfc: worst relative error %.2g on [6, %g] (at %.4f)\n", far, DT_TPE__ERFC_YMAX, at);
    CHECK(far < 1e-14);
    /* Past the range: erfc(YMAX), tiny and positive, never a NaN or a negative mass. */
    double beyond = dt_tpe__erfc(t->erfc_c, 40);
    CHECK(beyond > 0 && beyond < 1e-300);
    dt_tpe_free(t);
    return dt_test_done("tpe_erfc");
}
