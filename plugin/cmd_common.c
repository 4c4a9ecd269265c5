/* cmd_common: argument parsing and sweep loading shared by the commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static void dt_cmd__usage(FILE *f, const char *usage, const dt_opt *opts, int nopts)
{
    fprintf(f, "usage: %s\n", usage);
    for (int i = 0; i < nopts; i++) {
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", opts[i].name, opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
        fprintf(f, "    %-20s %s\n", left, opts[i].help);
    }
}

void dt_cmd_args(int argc, char **argv, const char *usage, const dt_opt *opts, int nopts, char **sweep)
{
    *sweep = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            dt_cmd__usage(stdout, usage, opts, nopts);
            exit(DT_EXIT_OK);
        }
        if (a[0] == '-' && a[1]) {
            const char *eq = strchr(a, '=');
            size_t len = eq ? (size_t)(eq - a) : strlen(a);
            int k = -1;
            for (int j = 0; j < nopts; j++)
                if (strlen(opts[j].name) == len && strncmp(opts[j].name, a, len) == 0) k = j;
            if (k < 0) {
                fprintf(stderr, "darktune: unknown option '%.*s'\n", (int)len, a);
                dt_cmd__usage(stderr, usage, opts, nopts);
                exit(DT_EXIT_USAGE);
            }
            if (!opts[k].arg) {
                *opts[k].value = "1";
            } else if (eq) {
                *opts[k].value = (char *)eq + 1;
            } else if (i + 1 < argc) {
                *opts[k].value = argv[++i];
            } else {
                fprintf(stderr, "darktune: option '%s' needs a value (%s)\n", opts[k].name, opts[k].arg);
                exit(DT_EXIT_USAGE);
            }
            continue;
        }
        if (*sweep) {
            fprintf(stderr, "darktune: one sweep file at a time ('%s' and '%s')\n", *sweep, a);
            exit(DT_EXIT_USAGE);
        }
        *sweep = argv[i];
    }
    if (!*sweep) {
        dt_cmd__usage(stderr, usage, opts, nopts);
        exit(DT_EXIT_USAGE);
    }
}

void dt_cmd_sweep(dt_sweep *sw, const char *path, const char *trials, const char *output)
{
    dt_err err;
    memset(sw, 0, sizeof *sw);
    if (dt_sweep_load(sw, path, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        exit(DT_EXIT_USAGE);
    }
    if (trials) {
        long n;
        if (dt_parse_long(trials, &n) != 0 || n < 1 || n > 1000000) {
            fprintf(stderr, "darktune: --trials wants a whole number of trials from 1, not '%s'\n", trials);
            exit(DT_EXIT_USAGE);
        }
        sw->trials = (int)n;
        dt_sweep_resolve_sampler(sw);   /* auto weighs the budget */
    }
    if (output) {
        /* The store follows the output folder unless the sweep names it. */
        free(sw->output);
        sw->output = dt_abspath(output);
        if (!dt_sweep_line(sw, "study", "storage")) {
            free(sw->storage);
            sw->storage = dt_path_join(sw->output, "study.db");
        }
    }
}

void dt_cmd_duration(double s, char *buf, size_t n)
{
    if (s < 60) {
        snprintf(buf, n, "%.1f s", s);
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}
