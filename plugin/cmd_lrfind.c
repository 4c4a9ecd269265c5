/* cmd_lrfind: `darktune lrfind SWEEP.ini [--from A] [--to B] [--iterations N] [--output DIR]`,
 * the learning-rate range test (dt_lrfind.h): one short run of the base cfg whose rate
 * grows from A to B, the loss against the rate as text and in <output>/lrfind.svg and
 * lrfind.csv, and a `learning_rate = log(a, b)` line for [space]. The study's store is
 * not touched: the test is no trial. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dt_exec.h"
#include "dt_lrfind.h"
#include "dt_sched.h"

static volatile sig_atomic_t dt_lrfind__stop;

/* First signal: stop the run. Second: kill it and leave at once. */
static void dt_lrfind__signal(int sig)
{
    if (dt_lrfind__stop) {
        dt_proc_kill_all();
        _exit(128 + sig);
    }
    dt_lrfind__stop = sig;
}

/* A rate option: a positive number, else exit 2 naming it. */
static double dt_lrfind__rate_opt(const char *name, const char *text, double def)
{
    double v;
    if (!text) return def;
    if (dt_parse_double(text, &v) != 0 || !(v > 0) || !isfinite(v)) {
        fprintf(stderr, "darktune: %s wants a learning rate above 0, such as 1e-6, not '%s'\n", name, text);
        exit(DT_EXIT_USAGE);
    }
    return v;
}

/* On a terminal: the iteration, its rate and loss, rewritten in place. */
static void dt_lrfind__progress(void *user, const dt_lrfind_point *p, long iterations)
{
    if (!*(int *)user) return;
    printf("\r\033[Kiteration %ld/%ld  rate %.3g  loss %.4g", p->iteration, iterations, p->rate, p->loss);
    fflush(stdout);
}

int cmd_lrfind(int argc, char **argv)
{
    char *from = NULL, *to = NULL, *iterations = NULL, *output = NULL, *path;
    const dt_opt opts[] = {
        {"--from", "RATE", "the rate the test grows from (1e-6)", &from},
        {"--to", "RATE", "the rate of its last iteration (10)", &to},
        {"--iterations", "N", "iterations of the test, the rate growing by the same factor each (100)", &iterations},
        {"--output", "DIR", "write lrfind.svg, lrfind.csv and lrfind/ here (overrides [study] output)", &output},
    };
    dt_cmd_args(argc, argv, "darktune lrfind SWEEP.ini [--from RATE] [--to RATE] [--iterations N] [--output DIR]",
                opts, 4, &path);
    dt_lrfind_opts o = {.from = dt_lrfind__rate_opt("--from", from, DT_LRFIND_FROM),
                        .to = dt_lrfind__rate_opt("--to", to, DT_LRFIND_TO),
                        .iterations = DT_LRFIND_ITERATIONS};
    if (iterations && dt_parse_long(iterations, &o.iterations) != 0) {
        fprintf(stderr, "darktune: --iterations wants a whole number, such as 100, not '%s'\n", iterations);
        return DT_EXIT_USAGE;
    }
    dt_err err;
    if (dt_lrfind_check(&o, &err) != 0) {
        fprintf(stderr, "darktune: %s\n", err.msg);
        return DT_EXIT_USAGE;
    }
    dt_sweep sw;
    dt_cmd_sweep(&sw, path, NULL, output);
    if (dt_sched_check(&sw, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        dt_sweep_free(&sw);
        return DT_EXIT_USAGE;
    }
    if (sw.runner == DT_RUNNER_TABLE) {
        int line = dt_sweep_line(&sw, "darknet", "runner");
        fprintf(stderr, "%s:%d: runner = table replays recorded runs; the range test trains, with runner = "
                "libdarknet or exec\n", sw.path, line ? line : 1);
        dt_sweep_free(&sw);
        return DT_EXIT_USAGE;
    }

    struct sigaction sa = {.sa_handler = dt_lrfind__signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    char lr[32], gamma[32];
    dt_lrfind_texts(&o, lr, gamma, sizeof lr);
    char *dir = dt_path_join(sw.output, "lrfind");
    printf("lrfind '%s': %ld iterations of %s (runner %s), the learning rate from %g to %g: policy=exp, "
           "learning_rate=%s, gamma=%s, burn_in=0; the base cfg's other values; in %s\n", sw.name, o.iterations,
           sw.cfg, dt_runner_names[sw.runner], o.from, o.to, lr, gamma, dir);
    if (sw.weights)
        printf("note: the test trains from the cfg's own initial weights, not %s (a weights file brings its "
               "iteration count, which would shift the schedule)\n", sw.weights);
    fflush(stdout);

    int tty = isatty(STDOUT_FILENO);
    dt_lrfind_hooks hooks = {&tty, dt_lrfind__progress};
    dt_lrfind_curve c;
    dt_lrfind_curve_init(&c, o.iterations);
    int rc = dt_lrfind_run(&sw, &o, dir, &hooks, &dt_lrfind__stop, &c, &err);
    if (tty) printf("\r\033[K");
    int status = DT_EXIT_OK;
    if (rc < 0) {
        fprintf(stderr, "darktune: %s\n", err.msg);
        status = DT_EXIT_RUNTIME;
    } else if (rc == 1) {
        printf("interrupted at iteration %ld: nothing written\n", c.n ? c.p[c.n - 1].iteration : 0L);
        status = 128 + dt_lrfind__stop;
    } else {
        dt_lrfind_pick pk;
        int found = dt_lrfind_suggest(&c, &o, &pk) == 0;
        dt_buf text = {0}, svg = {0};
        dt_lrfind_ascii(&c, &o, &pk, 64, 16, &text);
        fputs(text.p, stdout);
        char *title = dt_xasprintf("learning-rate range test: %s (%s)", sw.name, dt_basename(sw.cfg));
        dt_lrfind_svg(&c, &o, &pk, title, &svg);
        free(title);
        char *svg_path = dt_path_join(sw.output, "lrfind.svg"), *csv_path = dt_path_join(sw.output, "lrfind.csv");
        if (pk.steep >= 0)
            printf("steepest descent at rate %.3g (iteration %ld); smallest smoothed loss %.4g at %.3g (iteration "
                   "%ld)\n", pk.steep_rate, c.p[pk.steep].iteration, c.p[pk.minimum].smoothed,
                   c.p[pk.minimum].rate, c.p[pk.minimum].iteration);
        if (c.diverged)
            printf("diverged at rate %.3g (iteration %ld: %s)\n", pk.end_rate, c.p[pk.end].iteration, c.why);
        else if (c.n)
            printf("no divergence up to rate %.3g (iteration %ld): the range's top is a lower bound; --to higher "
                   "finds where it ends\n", c.p[c.n - 1].rate, c.p[c.n - 1].iteration);
        if (found) {
            printf("range: a tenth of the steepest descent's rate%s, to a tenth of the %s\n",
                   pk.low_clamped ? " (below --from: --from itself; the loss was already falling, --from lower "
                                    "shows where it starts)" : "", c.diverged ? "divergence's" : "last rate");
            printf("learning_rate = log(%.4g, %.4g)\n", pk.low, pk.high);
        } else {
            fprintf(stderr, "darktune: no range to suggest: %s\n", pk.why);
            status = DT_EXIT_RUNTIME;
        }
        if (dt_write_file(svg_path, svg.p, svg.len, &err) != 0 || dt_lrfind_write_csv(&c, csv_path, &err) != 0) {
            fprintf(stderr, "darktune: %s\n", err.msg);
            status = DT_EXIT_RUNTIME;
        } else {
            printf("%s\n%s\n", svg_path, csv_path);
        }
        free(svg_path), free(csv_path);
        dt_buf_free(&text), dt_buf_free(&svg);
    }
    dt_lrfind_curve_free(&c);
    free(dir);
    dt_sweep_free(&sw);
    return status;
}
