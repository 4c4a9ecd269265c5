/* Darknet's own learning-rate schedule (libdarknet's get_current_rate) against the
 * formulas of ../shared/DARKNET.md, for every pjreddie policy but random, with and
 * without burn_in: a network is loaded from a small cfg written here, *net->seen is
 * set to b * batch * subdivisions images, and the rate must match within float
 * precision (Darknet keeps the cfg's numbers as floats: the formulas use them so).
 *
 * Found on the way: pjreddie's sigmoid policy computes exp(gamma * (batch_num - step))
 * with batch_num a size_t, so before `step` the difference wraps around to a huge
 * number and the rate is 0 (after burn_in): a sigmoid trial learns nothing until
 * iteration `step`. The check below holds Darknet to that, so that a fix upstream
 * shows here. This test includes darknet.h (tests may; darktune's headers never do).
 *
 * Then the range test's schedule (darktune lrfind, dt_lrfind_schedule) written into a
 * cfg that had another policy, burn_in and power: Darknet must train iteration i at
 * from * gamma^i, from the first iteration to the last, which is at `to`. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darknet.h"
#include "dt_lrfind.h"
#include "dt_test.h"

#define TMP "tests/tmp/lrate"

typedef struct policy_case {
    const char *name;
    const char *keys;   /* [net] lines of the policy */
    double lr;
    int burn_in;
    double power;
    int max_batches;
} policy_case;

/* The rate DARKNET.md gives at iteration b. */
static double formula(const policy_case *pc, long b)
{
    double lr = (float)pc->lr, power = (float)pc->power;
    if (b < pc->burn_in) return lr * pow((double)b / pc->burn_in, power);
    if (!strcmp(pc->name, "constant")) return lr;
    if (!strcmp(pc->name, "step")) return lr * pow((float)0.5, (double)(b / 30));   /* step=30 scale=0.5 */
    if (!strcmp(pc->name, "exp")) return lr * pow((float)0.99, (double)b);          /* gamma=0.99 */
    if (!strcmp(pc->name, "poly")) return lr * pow(1 - (double)b / pc->max_batches, power);
    if (!strcmp(pc->name, "steps")) {                                               /* 50,120 x 0.1,0.5 */
        if (b >= 120) return lr * (float)0.1 * (float)0.5;
        if (b >= 50) return lr * (float)0.1;
        return lr;
    }
    if (!strcmp(pc->name, "sigmoid")) {                                             /* gamma=0.05 step=100 */
        if (b < 100) return 0;  /* Darknet's size_t underflow, see above; the formula says: */
        return lr / (1 + exp((float)0.05 * (b - 100)));
    }
    return NAN;
}

static network *load_path(const char *path);

/* Loads a network with this policy from a cfg written here, Darknet's layer table
 * sent to /dev/null. */
static network *load(const policy_case *pc)
{
    char path[256], text[1024];
    snprintf(path, sizeof path, TMP "/%s-%d.cfg", pc->name, pc->burn_in);
    snprintf(text, sizeof text,
             "[net]\nbatch=8\nsubdivisions=2\ninputs=4\nlearning_rate=%g\nmomentum=0.9\ndecay=0.0005\n"
             "max_batches=%d\npolicy=%s\nburn_in=%d\npower=%g\n%s\n"
             "[connected]\noutput=2\nactivation=linear\n\n[softmax]\n",
             pc->lr, pc->max_batches, pc->name, pc->burn_in, pc->power, pc->keys);
    FILE *f = fopen(path, "w");
    if (!f) return NULL;
    fputs(text, f);
    fclose(f);
    return load_path(path);
}

/* Loads the network of the cfg at path, Darknet's layer table sent to /dev/null. */
static network *load_path(const char *path)
{
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    network *net = load_network((char *)path, NULL, 0);
    fflush(stderr);
    dup2(saved, 2);
    close(saved), close(null);
    return net;
}

/* The range test's cfg: a poly cfg with burn_in rewritten by dt_lrfind_schedule, its
 * rates read back from Darknet at every iteration. */
static void check_lrfind(void)
{
    static const char base[] = "[net]\nbatch=8\nsubdivisions=2\ninputs=4\nlearning_rate=0.01\nmomentum=0.9\n"
                               "policy=poly\npower=4\nburn_in=30\nmax_batches=500\n\n"
                               "[connected]\noutput=2\nactivation=linear\n\n[softmax]\n";
    const dt_lrfind_opts o = {1e-6, 10, 100};
    dt_err err;
    dt_cfg *c = NULL;
    int rc = dt_cfg_parse(&c, base, sizeof base - 1, "lrfind.cfg", &err);
    if (rc == 0) rc = dt_lrfind_schedule(c, &o, DT_FORK_PJREDDIE, &err);
    if (rc == 0) rc = dt_cfg_write(c, TMP "/lrfind.cfg", &err);
    dt_cfg_free(c);
    CHECK(rc == 0);
    if (rc != 0) return;
    network *net = load_path(TMP "/lrfind.cfg");
    CHECK(net != NULL);
    if (!net) return;
    CHECK(net->policy == EXP && net->burn_in == 0 && net->max_batches == 100);
    int bad = 0;
    for (long b = 1; b <= o.iterations; b++) {
        *net->seen = (size_t)b * net->batch * net->subdivisions;
        double got = get_current_rate(net), want = dt_lrfind_rate(&o, b);
        if (fabs(got - want) > 1e-6 * want) {
            if (!bad++) fprintf(stderr, "lrfind b=%ld: darknet %.9g, dt_lrfind_rate %.9g\n", b, got, want);
        }
    }
    CHECK(bad == 0);
    *net->seen = (size_t)net->batch * net->subdivisions;
    CHECK_NEAR(get_current_rate(net) / (1e-6 * dt_lrfind_gamma(&o)), 1, 1e-6);
    *net->seen = (size_t)o.iterations * net->batch * net->subdivisions;
    CHECK_NEAR(get_current_rate(net) / o.to, 1, 1e-5);
    printf("lrate: lrfind   1e-06 -> 10 in 100 %s\n", bad ? "differs" : "matches the schedule");
    free_network(net);
}

int main(void)
{
    system("mkdir -p " TMP);
    static const policy_case cases[] = {
        {"constant", "", 0.01, 0, 4, 200},
        {"step", "step=30\nscale=0.5", 0.1, 0, 4, 200},
        {"exp", "gamma=0.99", 0.05, 0, 4, 200},
        {"poly", "", 0.01, 0, 2, 200},
        {"steps", "steps=50,120\nscales=0.1,0.5", 0.02, 0, 4, 200},
        {"sigmoid", "gamma=0.05\nstep=100", 0.01, 0, 4, 200},
        /* burn_in ramps as lr * (b/burn_in)^power, power shared with poly */
        {"constant", "", 0.01, 20, 4, 200},
        {"poly", "", 0.01, 25, 3, 200},
        {"steps", "steps=50,120\nscales=0.1,0.5", 0.02, 60, 2, 200},
        {"sigmoid", "gamma=0.05\nstep=100", 0.01, 10, 4, 200},
    };
    static const long bs[] = {0, 1, 5, 9, 10, 11, 19, 20, 21, 24, 25, 29, 30, 31, 49, 50, 51, 59, 60, 61,
                              99, 100, 101, 119, 120, 121, 150, 199, 200};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const policy_case *pc = &cases[i];
        network *net = load(pc);
        CHECK(net != NULL);
        if (!net) continue;
        /* the parser divides batch by subdivisions: one iteration is batch * subdivisions images */
        CHECK(net->batch == 4 && net->subdivisions == 2);
        int bad = 0;
        for (size_t k = 0; k < sizeof bs / sizeof *bs; k++) {
            long b = bs[k];
            *net->seen = (size_t)b * net->batch * net->subdivisions;
            double got = get_current_rate(net), want = formula(pc, b);
            CHECK((long)get_current_batch(net) == b);
            if (fabs(got - want) > 1e-6 * fabs(want) + 1e-12) {
                bad++;
                fprintf(stderr, "%s burn_in=%d b=%ld: darknet %.9g, formula %.9g\n", pc->name, pc->burn_in, b, got,
                        want);
            }
            CHECK_NEAR(got, want, 1e-6 * fabs(want) + 1e-12);
        }
        printf("lrate: %-8s burn_in=%-2d %s\n", pc->name, pc->burn_in, bad ? "differs" : "matches the formula");
        free_network(net);
    }
    check_lrfind();
    return dt_test_done("lrate");
}
