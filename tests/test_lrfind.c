/* dt_lrfind: the range test's exp schedule (gamma, the rates, the cfg it writes),
 * the rule that reads a learning_rate range off a curve, on made-up curves whose
 * steepest descent and divergence are known, and the pictures and the CSV.
 * (tests/test_lrate.c holds Darknet's own get_current_rate to the schedule.) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt_lrfind.h"
#include "dt_rng.h"
#include "dt_test.h"

#define TMP "tests/tmp/lrfind"

/* A loss against log10(rate) x: 2.4 at small rates, falling along a logistic centred
 * at 1e-3 (its steepest point per unit of log rate) to 0.4, then blowing up past
 * rate 10^-0.5 (0.32) as 20 (x + 0.5)^2. */
static double made_up(double rate)
{
    double x = log10(rate);
    double loss = 0.4 + 2.0 / (1 + exp(2.5 * (x + 3) * log(10)));
    if (x > -0.5) loss += 20 * (x + 0.5) * (x + 0.5);
    return loss;
}

/* Feeds a test's curve: iteration i at the schedule's rate with the made-up loss,
 * times noise (1 + u, u uniform in [-noise, noise]); nan from rate nan_from on. Stops
 * at divergence, as the run does. */
static void feed(dt_lrfind_curve *c, const dt_lrfind_opts *o, double noise, double nan_from, double (*f)(double))
{
    dt_rng rng;
    dt_rng_seed(&rng, 11, 0);
    dt_lrfind_curve_init(c, o->iterations);
    for (long i = 1; i <= o->iterations; i++) {
        double r = dt_lrfind_rate(o, i);
        double loss = f(r) * (1 + noise * (2 * dt_rng_uniform(&rng) - 1));
        if (r >= nan_from) loss = NAN;
        if (dt_lrfind_curve_add(c, i, r, loss)) break;
    }
}

static double flat(double rate)
{
    (void)rate;
    return 2.3;
}

/* Solves 20 (x + 0.5)^2 + 0.4 = 4 * 0.4 + ...: the rate where the made-up loss
 * (noise-free) first exceeds DT_LRFIND_DIVERGE times its floor of 0.4. */
static double blowup_rate(void)
{
    double lo = -0.5, hi = 1;
    for (int k = 0; k < 60; k++) {
        double mid = (lo + hi) / 2;
        if (made_up(pow(10, mid)) > DT_LRFIND_DIVERGE * 0.4) hi = mid;
        else lo = mid;
    }
    return pow(10, hi);
}

static void test_schedule(void)
{
    dt_lrfind_opts o = {1e-6, 10, 100};
    dt_err err;
    CHECK(dt_lrfind_check(&o, &err) == 0);
    /* (10 / 1e-6)^(1/100) = 10^0.07 */
    CHECK_NEAR(dt_lrfind_gamma(&o), pow(10, 0.07), 1e-12);
    CHECK_NEAR(o.from * pow(dt_lrfind_gamma(&o), 100), 10, 1e-9);
    /* Darknet's floats: every step the same factor, the last iteration at `to`. */
    double g = dt_lrfind_gamma(&o);
    int steady = 1;
    for (long i = 1; i < 100; i++)
        steady &= fabs(dt_lrfind_rate(&o, i + 1) / dt_lrfind_rate(&o, i) / g - 1) < 1e-6;
    CHECK(steady);
    CHECK_NEAR(dt_lrfind_rate(&o, 1) / (1e-6 * g), 1, 1e-6);
    CHECK_NEAR(dt_lrfind_rate(&o, 100) / 10, 1, 1e-5);
    CHECK_NEAR(dt_lrfind_rate(&o, 0) / 1e-6, 1, 1e-6);
    dt_lrfind_opts o2 = {1e-4, 1, 50};
    CHECK_NEAR(dt_lrfind_gamma(&o2), pow(1e4, 1 / 50.), 1e-12);
    CHECK_NEAR(dt_lrfind_rate(&o2, 25) / 1e-2, 1, 1e-5);

    /* The cfg's texts read back as the floats Darknet keeps. */
    char lr[32], gamma[32];
    dt_lrfind_texts(&o, lr, gamma, sizeof lr);
    CHECK_STR(lr, "1e-06");
    CHECK((float)strtod(gamma, NULL) == (float)g);
    CHECK(strlen(gamma) <= 11);

    /* Bad ranges, each refused with the option named. */
    const dt_lrfind_opts bad[] = {
        {10, 1e-6, 100}, {1, 1, 100}, {0, 1, 100}, {-1, 1, 100}, {1e-6, INFINITY, 100}, {NAN, 1, 100},
        {1e-6, 10, 9}, {1e-6, 10, 100001}, {1e-45, 1, 100},
    };
    const char *said[] = {"must be below --to", "must be below --to", "--from must be", "--from must be",
                          "--to must be", "--from must be", "--iterations", "--iterations", "Darknet's floats"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err.msg[0] = '\0';
        CHECK(dt_lrfind_check(&bad[i], &err) == -1);
        if (!strstr(err.msg, said[i])) fprintf(stderr, "case %zu: %s\n", i, err.msg);
        CHECK(strstr(err.msg, said[i]) != NULL);
    }

    /* The cfg: the schedule replaced, the keys another policy read dropped. */
    const char *text = "[net]\nbatch=8\nlearning_rate=0.01\npolicy=steps\nsteps=50,80\nscales=0.1,0.1\nburn_in=20\n"
                       "power=4\nmax_batches=200\n\n[softmax]\n";
    dt_cfg *c;
    CHECK(dt_cfg_parse(&c, text, strlen(text), "t.cfg", &err) == 0);
    CHECK(dt_lrfind_schedule(c, &o, DT_FORK_PJREDDIE, &err) == 0);
    CHECK_STR(dt_cfg_get(c, "net", "learning_rate", NULL), "1e-06");
    CHECK_STR(dt_cfg_get(c, "net", "policy", NULL), "exp");
    CHECK_STR(dt_cfg_get(c, "net", "gamma", NULL), gamma);
    CHECK_STR(dt_cfg_get(c, "net", "burn_in", NULL), "0");
    CHECK_STR(dt_cfg_get(c, "net", "max_batches", NULL), "100");
    CHECK(dt_cfg_get(c, "net", "steps", NULL) == NULL);
    CHECK(dt_cfg_get(c, "net", "scales", NULL) == NULL);
    CHECK(dt_cfg_get(c, "net", "power", NULL) == NULL);
    dt_cfg_free(c);
    const char *nonet = "[convolutional]\nfilters=1\n";
    CHECK(dt_cfg_parse(&c, nonet, strlen(nonet), "t.cfg", &err) == 0);
    CHECK(dt_lrfind_schedule(c, &o, DT_FORK_PJREDDIE, &err) == -1);
    dt_cfg_free(c);
}

/* The smoothing: debiased (its first value is the first loss), and divergence only
 * once a window has been seen. */
static void test_curve(void)
{
    dt_lrfind_curve c;
    dt_lrfind_curve_init(&c, 100);
    CHECK_NEAR(c.window, 5, 0);
    CHECK_NEAR(c.beta, 0.8, 1e-15);
    CHECK(dt_lrfind_curve_add(&c, 1, 1e-6, 2.0) == 0);
    CHECK_NEAR(c.p[0].smoothed, 2.0, 1e-12);
    CHECK(dt_lrfind_curve_add(&c, 2, 2e-6, 1.0) == 0);
    /* (0.8 * 0.2 * 2 + 0.2 * 1) / (1 - 0.64) */
    CHECK_NEAR(c.p[1].smoothed, (0.32 + 0.2) / 0.36, 1e-12);
    /* A first-window spike is no divergence... */
    CHECK(dt_lrfind_curve_add(&c, 3, 3e-6, 40.0) == 0);
    CHECK(dt_lrfind_curve_add(&c, 4, 4e-6, 1.0) == 0);
    /* ...nan always is, and nothing comes after it. */
    CHECK(dt_lrfind_curve_add(&c, 5, 5e-6, NAN) == 1);
    CHECK(c.diverged && strstr(c.why, "nan"));
    CHECK(isnan(c.p[4].smoothed));
    CHECK(dt_lrfind_curve_add(&c, 6, 6e-6, 1.0) == 1);
    CHECK(c.n == 5);
    dt_lrfind_curve_free(&c);
    dt_lrfind_curve_init(&c, 10);
    CHECK_NEAR(c.window, 2, 0);
    dt_lrfind_curve_free(&c);
}

static void test_rule(void)
{
    dt_lrfind_opts o = {1e-6, 10, 100};
    dt_lrfind_curve c;
    dt_lrfind_pick pk;
    /* The smoothed curve lags the losses by about a window (5 iterations of 0.07
     * decades): what the rule finds lies up to 0.4 decades above the truth. */
    const double lag = pow(10, 0.4), div = blowup_rate();

    feed(&c, &o, 0, INFINITY, made_up);
    CHECK(dt_lrfind_suggest(&c, &o, &pk) == 0 && pk.ok);
    printf("lrfind: clean curve: steepest %.3g (true 0.001), diverged %.3g (true %.3g): log(%.2g, %.2g)\n",
           pk.steep_rate, pk.end_rate, div, pk.low, pk.high);
    CHECK(pk.steep_rate >= 1e-3 && pk.steep_rate <= 1e-3 * lag);
    CHECK(pk.diverged && c.diverged && pk.end == c.n - 1);
    CHECK(pk.end_rate >= div && pk.end_rate <= div * lag);
    CHECK(strstr(c.why, "smoothed loss") != NULL);
    CHECK(c.n < 100);
    /* The minimum lies between the steepest descent and the divergence. */
    CHECK(pk.steep < pk.minimum && pk.minimum < pk.end);
    /* The range: a decade below each, rounded inwards to 2 significant digits. */
    CHECK(pk.low >= pk.steep_rate / 10 && pk.low <= pk.steep_rate / 10 * 1.1);
    CHECK(pk.high <= pk.end_rate / 10 && pk.high >= pk.end_rate / 10 / 1.1);
    char t[32];
    snprintf(t, sizeof t, "%.2g", pk.low);
    CHECK(strtod(t, NULL) == pk.low);
    snprintf(t, sizeof t, "%.2g", pk.high);
    CHECK(strtod(t, NULL) == pk.high);
    CHECK(pk.low < pk.high && pk.low >= o.from && pk.high <= o.to);
    double clean_low = pk.low, clean_high = pk.high;
    dt_lrfind_curve_free(&c);

    /* Noise of +-20% per iteration moves the answer little. */
    feed(&c, &o, 0.2, INFINITY, made_up);
    CHECK(dt_lrfind_suggest(&c, &o, &pk) == 0 && pk.ok);
    printf("lrfind: noisy curve: steepest %.3g, diverged %.3g: log(%.2g, %.2g)\n", pk.steep_rate, pk.end_rate,
           pk.low, pk.high);
    CHECK(pk.steep_rate >= 1e-3 / lag && pk.steep_rate <= 1e-3 * lag * lag);
    CHECK(pk.end_rate >= div / lag && pk.end_rate <= div * lag);
    CHECK(pk.low / clean_low < 3 && clean_low / pk.low < 3);
    CHECK(pk.high / clean_high < 3 && clean_high / pk.high < 3);
    dt_lrfind_curve_free(&c);

    /* nan before the blow-up: the divergence is the first nan. */
    feed(&c, &o, 0, 0.05, made_up);
    CHECK(dt_lrfind_suggest(&c, &o, &pk) == 0 && pk.ok);
    CHECK(pk.diverged && strstr(c.why, "nan"));
    CHECK(pk.end_rate >= 0.05 && pk.end_rate < 0.05 * 1.2);
    CHECK(pk.high <= 0.005 * 1.2 && pk.high >= 0.005 / 1.1);
    dt_lrfind_curve_free(&c);

    /* A test that stops before the blow-up: the last rate is the end, as a lower bound. */
    dt_lrfind_opts short_o = {1e-6, 0.1, 90};
    feed(&c, &short_o, 0, INFINITY, made_up);
    CHECK(dt_lrfind_suggest(&c, &short_o, &pk) == 0 && pk.ok);
    CHECK(!pk.diverged && !c.diverged && pk.end == c.n - 1 && c.n == 90);
    CHECK_NEAR(pk.high, 0.01, 1e-12);
    dt_lrfind_curve_free(&c);

    /* A test that starts on the slope: the low end is --from itself. */
    dt_lrfind_opts late = {2e-4, 10, 100};
    feed(&c, &late, 0, INFINITY, made_up);
    CHECK(dt_lrfind_suggest(&c, &late, &pk) == 0 && pk.ok);
    CHECK(pk.low_clamped && pk.low == 2e-4);
    dt_lrfind_curve_free(&c);

    /* No fall, no range: a flat loss, and one that is nan from the start. */
    feed(&c, &o, 0.05, INFINITY, flat);
    CHECK(dt_lrfind_suggest(&c, &o, &pk) == -1 && !pk.ok);
    CHECK(strstr(pk.why, "never fell") != NULL);
    dt_lrfind_curve_free(&c);
    feed(&c, &o, 0, 0, made_up);
    CHECK(dt_lrfind_suggest(&c, &o, &pk) == -1 && !pk.ok);
    CHECK(strstr(pk.why, "start lower") != NULL);
    dt_lrfind_curve_free(&c);
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what)) n++;
    return n;
}

static void test_outputs(void)
{
    dt_lrfind_opts o = {1e-6, 10, 100};
    dt_lrfind_curve c;
    dt_lrfind_pick pk;
    feed(&c, &o, 0.1, INFINITY, made_up);
    CHECK(dt_lrfind_suggest(&c, &o, &pk) == 0);

    dt_buf svg = {0};
    dt_lrfind_svg(&c, &o, &pk, "range <test> & \"more\"", &svg);
    CHECK(strncmp(svg.p, "<?xml", 5) == 0);
    CHECK(strstr(svg.p, "</svg>\n") != NULL);
    CHECK(strstr(svg.p, "range &lt;test&gt; &amp; &quot;more&quot;") != NULL);
    CHECK(strstr(svg.p, "<test>") == NULL);
    /* Self-contained: no script, no link, no address but the SVG namespace. */
    CHECK(strstr(svg.p, "<script") == NULL && strstr(svg.p, "href") == NULL);
    CHECK(count(svg.p, "http") == 1 && strstr(svg.p, "xmlns=\"http://www.w3.org/2000/svg\""));
    /* The smoothed curve: one polyline with a point per iteration. */
    const char *pl = strstr(svg.p, "class=\"smoothed\"");
    CHECK(pl != NULL);
    if (pl) {
        const char *pts = strstr(pl, "points=\""), *end = pts ? strchr(pts + 8, '"') : NULL;
        int n = 0;
        for (const char *p = pts; p && p < end; p++) n += *p == ',';
        CHECK(n == c.n - (isnan(c.p[c.n - 1].smoothed) ? 1 : 0));
    }
    CHECK(strstr(svg.p, "class=\"range\"") != NULL);
    CHECK(strstr(svg.p, "steepest descent") != NULL && strstr(svg.p, "diverged") != NULL);
    char line[64];
    snprintf(line, sizeof line, "learning_rate = log(%.4g, %.4g)", pk.low, pk.high);
    CHECK(strstr(svg.p, line) != NULL);
    dt_buf_free(&svg);

    dt_buf text = {0};
    dt_lrfind_ascii(&c, &o, &pk, 60, 12, &text);
    CHECK(count(text.p, "\n") == 12 + 4);
    CHECK(count(text.p, "*") >= 30);
    CHECK(strstr(text.p, "[") && strstr(text.p, "]") && strstr(text.p, "s") && strstr(text.p, "x"));
    CHECK(strstr(text.p, "1e-06") && strstr(text.p, "0.001") && strstr(text.p, "10"));
    dt_buf_free(&text);

    dt_lrfind_curve_free(&c);
    system("mkdir -p " TMP);
    dt_err err;
    feed(&c, &o, 0, 0.05, made_up);
    CHECK(dt_lrfind_write_csv(&c, TMP "/lrfind.csv", &err) == 0);
    char *csv;
    size_t len;
    CHECK(dt_read_file(TMP "/lrfind.csv", &csv, &len, &err) == 0);
    CHECK(strncmp(csv, "iteration,rate,loss,smoothed\n1,", 31) == 0);
    CHECK(count(csv, "\n") == c.n + 1);
    /* The nan that ended it, its smoothed value empty. */
    CHECK(strstr(csv, ",nan,\n") != NULL);
    free(csv);
    dt_lrfind_curve_free(&c);
}

int main(void)
{
    test_schedule();
    test_curve();
    test_rule();
    test_outputs();
    return dt_test_done("lrfind");
}
