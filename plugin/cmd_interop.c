/* cmd_interop: a study to and from Optuna's journal format (dt_optuna).
 *   darktune export SWEEP.ini --optuna-journal FILE   the study's trials, for optuna.load_study
 *   darktune import SWEEP.ini --optuna-journal FILE   trials run elsewhere, for TPE to learn from
 * export reads the store and writes nothing else; import reads the whole journal before
 * it opens the store, so that a journal it refuses leaves nothing behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dt_optuna.h"
#include "dt_sched.h"
#include "dt_store.h"

/* The series the pruner compares, as dt_sched stores and ranks it: what a journal's
 * intermediate values are. */
static int dt_interop__series(const dt_sweep *sw)
{
    return sw->pruner.on_loss ? DT_POINT_LOSS : DT_POINT_METRIC;
}

int cmd_export(int argc, char **argv)
{
    char *journal = NULL, *output = NULL, *path;
    const dt_opt opts[] = {
        {"--optuna-journal", "FILE", "write the study as an Optuna JournalStorage file (replaced)", &journal},
        {"--output", "DIR", "the study's output folder (as given to darktune run)", &output},
    };
    const char *usage = "darktune export SWEEP.ini --optuna-journal FILE [--output DIR]";
    dt_cmd_args(argc, argv, usage, opts, 2, &path);
    if (!journal) {
        fprintf(stderr, "darktune: export needs --optuna-journal FILE\nusage: %s\n", usage);
        return DT_EXIT_USAGE;
    }
    dt_sweep sw;
    dt_cmd_sweep(&sw, path, NULL, output);
    dt_trial *trials = NULL;
    dt_curve *curves = NULL;
    dt_point **pts = NULL;
    int n = 0, *npts = NULL, status = DT_EXIT_OK;
    dt_err err;
    if (dt_sched_load(&sw, &trials, &n, &err) != 0 || dt_sched_curves(&sw, trials, n, &curves, &err) != 0) {
        fprintf(stderr, "darktune: %s\n", err.msg);
        status = DT_EXIT_RUNTIME;
    } else {
        pts = dt_xcalloc((size_t)n + 1, sizeof *pts);
        npts = dt_xcalloc((size_t)n + 1, sizeof *npts);
        for (int i = 0; i < n; i++) pts[i] = curves[i].pts, npts[i] = curves[i].n;
        int series = dt_interop__series(&sw);
        dt_buf names = {0};
        for (int j = 0; j < sw.nobj; j++)
            dt_buf_printf(&names, "%s%s", j ? ", " : "", dt_sweep_objective_name(&sw, j));
        dt_optuna_study st = {sw.name, sw.maximize, dt_metric_name(sw.metric), series,
                              series == DT_POINT_LOSS ? "loss" : dt_metric_name(sw.metric), &sw.space,
                              sw.nobj, sw.obj, names.p};
        dt_buf out = {0};
        if (dt_optuna_write(&out, &st, trials, n, pts, npts, &err) != 0 ||
            dt_write_file(journal, out.p, out.len, &err) != 0) {
            fprintf(stderr, "darktune: cannot export study '%s' to '%s': %s\n", sw.name, journal, err.msg);
            status = DT_EXIT_RUNTIME;
        } else {
            int count[4] = {0};
            for (int i = 0; i < n; i++) count[trials[i].state]++;
            printf("exported study '%s' to %s: %d trial%s (%d complete, %d pruned, %d failed, %d running); "
                   "%s%s\n", sw.name, journal, n, n == 1 ? "" : "s", count[DT_COMPLETE], count[DT_PRUNED],
                   count[DT_FAIL], count[DT_RUNNING], sw.nobj > 1 ? "values: " : "intermediate values: ",
                   sw.nobj > 1 ? names.p : st.series_name);
        }
        dt_buf_free(&out);
        dt_buf_free(&names);
    }
    dt_curves_free(curves, n);
    free(pts);
    free(npts);
    dt_trials_free(trials, n);
    dt_sweep_free(&sw);
    return status;
}

int cmd_import(int argc, char **argv)
{
    char *journal = NULL, *study = NULL, *output = NULL, *force = NULL, *path;
    const dt_opt opts[] = {
        {"--optuna-journal", "FILE", "the Optuna JournalStorage file to read", &journal},
        {"--study", "NAME", "the journal's study to import (default: its only one, or the sweep's name)", &study},
        {"--output", "DIR", "the study's output folder (as given to darktune run)", &output},
        {"--force", NULL, "import into a study that ran with another sweep", &force},
    };
    const char *usage = "darktune import SWEEP.ini --optuna-journal FILE [--study NAME] [--output DIR] [--force]";
    dt_cmd_args(argc, argv, usage, opts, 4, &path);
    if (!journal) {
        fprintf(stderr, "darktune: import needs --optuna-journal FILE\nusage: %s\n", usage);
        return DT_EXIT_USAGE;
    }
    dt_sweep sw;
    dt_cmd_sweep(&sw, path, NULL, output);
    if (sw.nobj > 1) {   /* what it imports is what the TPE learns from: trials of one value */
        fprintf(stderr, "darktune: %s: import brings trials of one objective; this study has %d (objectives = %s)\n",
                path, sw.nobj, sw.objectives);
        dt_sweep_free(&sw);
        return DT_EXIT_USAGE;
    }
    dt_err err;
    dt_optuna_in in;
    dt_optuna_want want = {.space = &sw.space, .maximize = sw.maximize, .study = study, .fallback = sw.name};
    if (dt_optuna_read(journal, &want, &in, &err) != 0) {
        fprintf(stderr, "darktune: %s\n", err.msg);
        dt_sweep_free(&sw);
        return DT_EXIT_USAGE;
    }
    /* As darktune run opens a study: the same refusals (another direction or metric,
     * another sweep), which are bad input. */
    dt_store *st = NULL;
    long long id;
    dt_buf identity = {0};
    dt_sweep_identity(&sw, &identity);
    int status = DT_EXIT_OK;
    if (dt_store_open(&st, sw.storage, &err) != 0 ||
        dt_store_study(st, sw.name, sw.maximize ? "maximize" : "minimize", dt_metric_name(sw.metric), &id, &err) != 0 ||
        dt_store_study_sweep(st, id, identity.p, force != NULL, &err) != 0) {
        fprintf(stderr, "darktune: %s\n", err.msg);
        status = DT_EXIT_USAGE;
    }
    char *source = dt_abspath(journal);
    if (status == DT_EXIT_OK && dt_store_import(st, id, &sw.space, source, in.trials, in.n, &err) != 0) {
        fprintf(stderr, "darktune: %s\n", err.msg);
        status = DT_EXIT_RUNTIME;
    }
    if (status == DT_EXIT_OK) {
        dt_buf b = {0};
        dt_optuna_summary(&in, &b);
        printf("imported %s, Optuna study '%s', into study '%s' (%s): %s\n", journal, in.study, sw.name,
               dt_store_name(st), b.p);
        if (in.cut) printf("its last line (%d) has no newline: a writer was cut short, and it is left out\n", in.cut);
        if (sw.sampler.kind == DT_SAMPLER_TPE)
            printf("TPE learns from them before the study's own trials; they do not count against its %d trials, "
                   "never run here, and stay out of trials.csv\n", sw.trials);
        else
            printf("note: this sweep's sampler is %s, which learns from no trial; they wait for [sampler] type = tpe\n",
                   dt_sampler_name(sw.sampler.kind));
        dt_buf_free(&b);
    }
    free(source);
    dt_buf_free(&identity);
    dt_store_close(st);
    dt_optuna_in_free(&in);
    dt_sweep_free(&sw);
    return status;
}
