/* dt_sched: the study loop. One process, poll() over every running trial's output;
 * the trials themselves run in child processes (dt_runner), so a Darknet that
 * crashes, aborts or hangs ends one trial, never the study. */
#include "dt_sched.h"

#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dt_db.h"
#include "dt_flops.h"
#include "dt_flags.h"
#include "dt_front.h"
#include "dt_gpu.h"
#include "dt_optuna.h"
#include "dt_out.h"
#include "dt_pack.h"
#include "dt_pruner.h"
#include "dt_report.h"
#include "dt_runner.h"
#include "dt_sampler.h"
#include "dt_store.h"
#include "dt_train.h"

#define DT_SCHED_FLUSH 64          /* loss points buffered before one store transaction */
/* Timed single-image predictions per trial (objective ms), their median taken: enough
 * that one hiccup of a shared machine moves nothing, few enough to cost a second. */
#define DT_SCHED_TIME_REPS 30
#define DT_SCHED_SYNC 1.0          /* seconds between two reads of what the other workers did */
/* A trial's log.txt keeps its first and last 8 MiB: a Darknet printing without end
 * (a loop of warnings) fills no disk with one trial, and both ends are what is read. */
#define DT_SCHED_LOG_HEAD (8L << 20)
#define DT_SCHED_LOG_TAIL (8L << 20)
/* The reasons, for people, of the trials whose fate is DT_FATE_INTERRUPTED and
 * DT_FATE_OOM: the scheduler reads the fate, never these. */
#define DT_SCHED_INTERRUPTED "interrupted"
#define DT_SCHED_OOM_AGAIN "out of GPU memory (runs again)"

typedef struct dt_slot {
    int gpu;               /* -1: CPU */
    int pack;              /* index into dt_study.packs, -1 on the CPU */
    int rank;              /* the slot's place on its GPU: it runs trials while rank < k */
    dt_run *run;           /* NULL: free */
    int retry;             /* this trial retries one that ran out of GPU memory */
    int final;             /* a finalist's run: no pruner judges it (divergence still stops it) */
    dt_fate fate;          /* how its trial ends: DT_FATE_COUNTS unless darktune cuts it short */
    long seen;             /* iteration events of this trial */
    int number;            /* the trial it runs */
    long group;            /* the process group of its program recorded in the store, 0 none */
    double t0;             /* dt_now() at start */
    long iteration;
    double loss;           /* last avg loss */
    double metric;         /* last periodic metric, NAN when none */
    long loss_step, metric_step; /* their iterations, -1 when none */
    double ms, bflops;     /* its inference time and its cfg's size (objectives ms, bflops), NAN otherwise */
    int pruned;            /* dt_pruner_decide stopped it: DT_PRUNE_STOP or DT_PRUNE_DIVERGED, 0 not */
    int diverged;          /* its loss or metric went nan or inf (the pruner's answer, or its run's) */
    char reason[256];
    int waits;             /* the pruner stopped it at a rung to wait (DT_PRUNE_WAIT): park it */
    double paused;         /* dt_now() when it was parked */
    dt_point *pts;         /* points not yet stored */
    int npts, cap;
    char *dir;             /* trials/<number> */
} dt_slot;

/* What the next trial runs besides its values. */
typedef struct dt_next {
    int baseline;          /* the base cfg's own values */
    int retry;             /* again after running out of GPU memory */
    int seed_trial;        /* whose seed it trains with: -1 its own number, or for a
                            * configuration run again, the seed_trial of the trial it
                            * runs again, so that it trains what the first run would have */
    int rerun_of;          /* the trial whose configuration it runs again, -1 none */
    int sample;            /* the sampler gives its values once the store has numbered it:
                            * they are a function of its number, whichever worker runs it */
    int final;             /* a finalist's run: rerun_of's configuration, a seed of its own */
} dt_next;

typedef struct dt_study {
    const dt_sweep *sw;
    const dt_sched_hooks *hooks;
    dt_store *store;
    long long id;
    dt_sampler *sampler;
    dt_pruner *pruner;
    dt_out_base base;      /* the base cfg and .data, read once: every trial's files copy them */
    dt_runner_ctx *ctx;    /* what the trials' runners share: decoded images, a table */
    dt_trial *trials;      /* every trial, in number order */
    int n, cap;
    dt_slot *slots;
    int nslots;
    /* Trials waiting at an ASHA rung ([pruner] wait): their runs paused, out of any
     * slot, each owning its points buffer and folder as a slot does. */
    dt_slot *parked;
    int nparked, capparked;
    dt_pack *packs;        /* one per GPU in use */
    int npacks;
    int exhausted;         /* the sampler has nothing left */
    int best_number;       /* whose weights are kept, -1 none */
    double t0;
    double trial_secs;     /* seconds of trials finished in this run, for the ETA */
    int trials_done_here;
    /* Other workers of the study (darktune worker, or a second run): */
    char worker[128];      /* this process as the store names it: "host:pid:start" */
    long long seen_point;  /* the newest point (store id) this worker has read */
    double synced, beaten, reaped; /* dt_now() of the last sync, heartbeat, look for lost workers */
    int spent;             /* the store said the budget is spent */
    /* Trials run elsewhere (darktune import, [sampler] warm_start), numbered below 0:
     * TPE learns from them before the study's own; nothing else sees them. */
    dt_trial *prior;
    int nprior;
} dt_study;

static void dt_sched__note(dt_study *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dt_sched__note(dt_study *s, const char *fmt, ...)
{
    if (!s->hooks || !s->hooks->note) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->hooks->note(s->hooks->user, msg);
}

/* 1 for darktune worker: no outputs. */
static int dt_sched__worker(const dt_study *s)
{
    return s->hooks && s->hooks->worker;
}

/* The series the pruner compares: what ranks a pruned trial for the TPE. */
static int dt_sched__kind(const dt_sweep *sw)
{
    return sw->pruner.on_loss ? DT_POINT_LOSS : DT_POINT_METRIC;
}

/* Every trial's intermediate values from the store, curves[i] for trials[i], in one
 * query. Caller frees with dt_curves_free(*out, n). */
static int dt_sched__curves(dt_store *st, long long id, const dt_trial *trials, int n, dt_curve **out, dt_err *err)
{
    dt_trial_point *all;
    int m;
    long long last = 0;
    *out = NULL;
    if (dt_store_points_since(st, id, 0, &all, &m, &last, err) != 0) return -1;
    dt_curve *c = dt_xcalloc((size_t)n + 1, sizeof *c);
    int *cap = dt_xcalloc((size_t)n + 1, sizeof *cap);
    /* trials are in number order: find each point's trial by binary search. */
    for (int k = 0; k < m; k++) {
        int lo = 0, hi = n;
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            if (trials[mid].number < all[k].number) lo = mid + 1;
            else hi = mid;
        }
        if (lo == n || trials[lo].number != all[k].number) continue;
        dt_curve *t = &c[lo];
        if (t->n == cap[lo]) {
            cap[lo] = cap[lo] ? 2 * cap[lo] : 64;
            t->pts = dt_xrealloc(t->pts, (size_t)cap[lo] * sizeof *t->pts);
        }
        t->pts[t->n++] = all[k].pt;
    }
    free(cap);
    free(all);
    *out = c;
    return 0;
}

/* trials.csv, best.cfg and report.txt (the flags read the best trial's values), and
 * with html, report.html, which draws every trial's values. flags (NULL: not wanted)
 * gets the red flags' lines. */
static int dt_sched__outputs(dt_store *st, long long id, const dt_sweep *sw, const dt_cfg *base,
                             const dt_trial *trials, int n, int html, dt_buf *flags, dt_err *err)
{
    int best = dt_out_best(sw, trials, n);
    dt_curve one = {0}, *curves = NULL;
    int rc;
    if (html) {
        rc = dt_sched__curves(st, id, trials, n, &curves, err);
        if (rc == 0 && best >= 0) one = curves[best];
    } else {
        rc = best >= 0 ? dt_store_points(st, id, trials[best].number, &one.pts, &one.n, err) : 0;
    }
    if (rc == 0) rc = dt_out_write_all(sw, base, trials, n, best >= 0 ? &one : NULL, err);
    if (rc == 0 && html) rc = dt_report_html(sw, trials, n, curves, err);
    if (rc == 0 && flags) dt_flags(sw, trials, n, best >= 0 ? &one : NULL, flags);
    if (html) dt_curves_free(curves, n);
    else free(one.pts);
    return rc;
}

int dt_sched_curves(const dt_sweep *sw, const dt_trial *trials, int n, dt_curve **curves, dt_err *err)
{
    dt_store *st;
    long long id;
    *curves = NULL;
    if (dt_store_open_read(&st, sw->storage, err) != 0) return -1;
    int rc = dt_store_find_study(st, sw->name, &id, err);
    if (rc == 1) rc = dt_errf(err, "no study '%s' in '%s'", sw->name, dt_store_name(st));
    if (rc == 0) rc = dt_sched__curves(st, id, trials, n, curves, err);
    dt_store_close(st);
    return rc;
}

int dt_sched_outputs(const dt_sweep *sw, const dt_trial *trials, int n, int html, dt_buf *flags, dt_err *err)
{
    dt_store *st;
    long long id;
    if (dt_store_open_read(&st, sw->storage, err) != 0) return -1;
    int rc = dt_store_find_study(st, sw->name, &id, err);
    if (rc == 1) rc = dt_errf(err, "no study '%s' in '%s'", sw->name, dt_store_name(st));
    if (rc == 0) rc = dt_sched__outputs(st, id, sw, sw->base, trials, n, html, flags, err);
    dt_store_close(st);
    return rc;
}

/* The trial numbered number, NULL when this worker has not seen it (trials are kept
 * in number order: a binary search). */
static dt_trial *dt_sched__trial(dt_study *s, int number)
{
    int lo = 0, hi = s->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (s->trials[mid].number == number) return &s->trials[mid];
        if (s->trials[mid].number < number) lo = mid + 1;
        else hi = mid - 1;
    }
    return NULL;
}

/* Trials that count against a budget: every finished one, except those cut short by
 * darktune itself or by its packing (their fate says so; their configurations run
 * again): search trials (final 0), whose budget is [study] trials, finalists' runs (1),
 * which have their own, or both (-1), what progress shows. */
static int dt_sched__done(const dt_study *s, int final)
{
    int done = 0;
    for (int i = 0; i < s->n; i++)
        done += dt_trial_counts(&s->trials[i]) && (final < 0 || s->trials[i].final == final);
    return done;
}

static int dt_sched__budget(const dt_sweep *sw)
{
    return sw->trials + sw->final_top * sw->final_seeds;
}

/* The first trial, in number order, whose configuration still has to run again (its
 * fate says darktune cut it short and no trial's rerun_of names it yet); NULL when none. */
static dt_trial *dt_sched__rerun(dt_study *s)
{
    for (int i = 0; i < s->n; i++)
        if (dt_trial_runs_again(&s->trials[i], s->trials, s->n)) return &s->trials[i];
    return NULL;
}

/* How many configurations still have to run again. */
static int dt_sched__reruns(const dt_study *s)
{
    int r = 0;
    for (int i = 0; i < s->n; i++) r += dt_trial_runs_again(&s->trials[i], s->trials, s->n);
    return r;
}

/* Whether slot sl may start a trial: on a GPU, only the first k slots do. */
static int dt_sched__open_slot(const dt_study *s, const dt_slot *sl)
{
    return sl->pack < 0 || sl->rank < s->packs[sl->pack].k;
}

/* Trials that may run at once now. */
static int dt_sched__width(const dt_study *s)
{
    int w = 0;
    for (int i = 0; i < s->nslots; i++) w += dt_sched__open_slot(s, &s->slots[i]);
    return w > 0 ? w : 1;
}

static int dt_sched__running(const dt_study *s)
{
    int r = 0;
    for (int i = 0; i < s->nslots; i++) r += s->slots[i].run != NULL;
    return r;
}

/* Trials running now, this worker's and the others' (as of the last sync): search
 * trials (final 0) or finalists' runs (1), or both (-1). */
static int dt_sched__active(const dt_study *s, int final)
{
    int r = 0;
    for (int i = 0; i < s->n; i++)
        r += s->trials[i].state == DT_RUNNING && (final < 0 || s->trials[i].final == final);
    return r;
}

int dt_sched_check(const dt_sweep *sw, dt_err *err)
{
    int have = dt_gpu_count();
    if (sw->runner == DT_RUNNER_LIBDARKNET && dt_train_gpu_only() && (!have || (!sw->gpus_auto && !sw->ngpus))) {
        int line = dt_sweep_line(sw, "darknet", "gpus");
        if (!line) line = dt_sweep_line(sw, "darknet", "runner");
        return dt_errf(err, "%s:%d: this darktune links the %s libdarknet, which trains on a GPU only, and %s; "
                       "use a CPU build (./darktune or ./darktune-native)", sw->path, line ? line : 1,
                       dt_train_build(),
                       have ? "this sweep asks for none" : "this machine has none");
    }
    if (sw->pruner.wait && sw->gpus_auto && have && sw->runner == DT_RUNNER_LIBDARKNET)
        return dt_errf(err, "%s:%d: wait pauses trials at a rung, and a paused trial keeps its GPU memory; trials "
                       "wait on the CPU only, and gpus = auto finds %d GPU%s here: use gpus = none", sw->path,
                       dt_sweep_line(sw, "pruner", "wait"), have, have == 1 ? "" : "s");
    for (int i = 0; i < sw->ngpus; i++) {
        if (sw->gpus[i] < have) continue;
        int line = dt_sweep_line(sw, "darknet", "gpus");
        if (!have)
            return dt_errf(err, "%s:%d: gpus names GPU %d, but this machine has no GPU (the NVIDIA driver lists "
                           "none); use gpus = auto or none", sw->path, line, sw->gpus[i]);
        return dt_errf(err, "%s:%d: gpus names GPU %d, but this machine has %d (0 to %d)", sw->path, line,
                       sw->gpus[i], have, have - 1);
    }
    return 0;
}

/* Slots: one per (GPU, k) when there are GPUs, else one per CPU core (the Debian
 * libdarknet trains on one core, so each trial wants one). With trials_per_gpu =
 * auto every GPU has DT_PACK_MAX slots, of which its dt_pack opens the first k. */
static void dt_sched__slots(dt_study *s)
{
    const dt_sweep *sw = s->sw;
    int gpus[DT_MAX_GPUS], ngpus = 0;
    if (sw->ngpus > 0) {
        memcpy(gpus, sw->gpus, sizeof(int) * (size_t)sw->ngpus);
        ngpus = sw->ngpus;
    } else if (sw->gpus_auto) {
        ngpus = dt_gpu_count();
        if (ngpus > DT_MAX_GPUS) ngpus = DT_MAX_GPUS;
        for (int i = 0; i < ngpus; i++) gpus[i] = i;
        if (!ngpus) dt_sched__note(s, "gpus = auto: no GPU found, trials run on the CPU");
    }
    if (ngpus) {
        int k = sw->trials_per_gpu, kmax = k > 0 ? k : DT_PACK_MAX;
        s->npacks = ngpus;
        s->packs = dt_xcalloc((size_t)ngpus, sizeof *s->packs);
        for (int g = 0; g < ngpus; g++) dt_pack_init(&s->packs[g], gpus[g], k, dt_gpu_memory);
        s->nslots = ngpus * kmax;
        s->slots = dt_xcalloc((size_t)s->nslots, sizeof *s->slots);
        for (int i = 0; i < s->nslots; i++)
            s->slots[i] = (dt_slot){.gpu = gpus[i % ngpus], .pack = i % ngpus, .rank = i / ngpus};
        if (k > 0)
            dt_sched__note(s, "slots: %d GPU%s x %d trial%s each", ngpus, ngpus > 1 ? "s" : "", k, k > 1 ? "s" : "");
        else
            dt_sched__note(s, "slots: %d GPU%s, trials per GPU measured: 1 at first, doubled while that raises "
                           "the iterations per second by %.0f%% and memory allows", ngpus, ngpus > 1 ? "s" : "",
                           100 * (DT_PACK_GAIN - 1));
        return;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    s->nslots = sw->cpu_slots > 0 ? sw->cpu_slots : (int)(cores > 0 ? cores : 1);
    s->slots = dt_xcalloc((size_t)s->nslots, sizeof *s->slots);
    for (int i = 0; i < s->nslots; i++) s->slots[i] = (dt_slot){.gpu = -1, .pack = -1, .rank = i};
    dt_sched__note(s, "slots: %d trial%s at once on the CPU", s->nslots, s->nslots > 1 ? "s" : "");
}

static int dt_sched__flush(dt_study *s, dt_slot *sl, dt_err *err)
{
    if (!sl->npts) return 0;
    int rc = dt_store_add_points(s->store, s->id, sl->number, sl->pts, sl->npts, err);
    sl->npts = 0;
    return rc;
}

/* Removes the files of a trial's backup folder, but keep (when not NULL). */
static void dt_sched__clean_backup(const char *dir, const char *keep)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = dt_path_join(dir, e->d_name);
        if (!keep || strcmp(p, keep) != 0) unlink(p);
        free(p);
    }
    closedir(d);
}

static char *dt_sched__trial_dir(const dt_study *s, int number)
{
    return dt_xasprintf("%s/trials/%d", s->sw->output, number);
}

/* Adds t (taking its values) in number order: another worker may have numbered a
 * trial below one of ours that this one has not read yet. */
static int dt_sched__add_trial(dt_study *s, const dt_trial *t)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 32;
        s->trials = dt_xrealloc(s->trials, (size_t)s->cap * sizeof *s->trials);
    }
    int at = s->n;
    while (at > 0 && s->trials[at - 1].number > t->number) at--;
    memmove(&s->trials[at + 1], &s->trials[at], sizeof *s->trials * (size_t)(s->n - at));
    s->trials[at] = *t;
    s->n++;
    return at;
}

/* 1 when this process runs trial t (or ran it). */
static int dt_sched__mine(const dt_study *s, const dt_trial *t)
{
    return strcmp(t->worker, s->worker) == 0;
}

/* The pruner's hold on a trial with these values: its burn-in, and the iterations
 * that ramp forgoes (dt_pruner_hold). */
static void dt_sched__hold(dt_study *s, int number, const dt_value *vals)
{
    long lag, until = dt_out_burn_in(s->sw, vals, &lag);
    dt_pruner_hold(s->pruner, number, until, lag);
}

/* Catches up with the store: trials other workers started or ended, and every value
 * they reported, so that the sampler sees their trials (running ones as running: the
 * TPE's constant liar) and the pruner compares against them. Points are read before
 * trials: a trial is written before its points, so each point's trial is known. The
 * first sync, on an empty study in memory, is the resume: the pruner sees the stored
 * history again, so that its decisions go on as if darktune had never stopped. */
static int dt_sched__sync(dt_study *s, dt_err *err)
{
    const dt_sweep *sw = s->sw;
    dt_trial_point *pts;
    dt_trial *ts;
    int np, nt;
    long long last = s->seen_point;
    if (dt_store_points_since(s->store, s->id, s->seen_point, &pts, &np, &last, err) != 0) return -1;
    if (dt_store_load(s->store, s->id, &sw->space, dt_sched__kind(sw), &ts, &nt, err) != 0) {
        free(pts);
        return -1;
    }
    /* Trials another worker ended since the last sync (or ended before this worker
     * first saw them): the pruner hears of each once, after its last values. Ours it
     * hears of in dt_sched__end. */
    int *ended = dt_xmalloc(sizeof *ended * (size_t)(nt ? nt : 1)), nended = 0;
    for (int i = 0; i < nt; i++) {
        dt_trial *t = &ts[i], *have = dt_sched__trial(s, t->number);
        if (!have) {
            dt_sched__hold(s, t->number, t->values);
            if (t->state != DT_RUNNING && !t->final) ended[nended++] = t->number;
            dt_sched__add_trial(s, t);
            t->values = NULL;   /* now the study's */
        } else if (!dt_sched__mine(s, have) && have->state == DT_RUNNING) {
            /* Another worker's trial, as the store has it now: ended, or with the values
             * its worker stored a moment after numbering it. */
            if (t->state != DT_RUNNING && !t->final) ended[nended++] = t->number;
            dt_trial_free(have);
            *have = *t;
            t->values = NULL;
        }
    }
    for (int i = 0; i < np; i++) {
        const dt_trial *t = dt_sched__trial(s, pts[i].number);
        if (t && !dt_sched__mine(s, t) && !t->final) dt_pruner_record(s->pruner, pts[i].number, pts[i].pt);
    }
    for (int i = 0; i < nended; i++) dt_pruner_finish(s->pruner, ended[i], dt_sched__trial(s, ended[i])->state);
    free(ended);
    s->seen_point = last;
    s->synced = dt_now();
    s->spent = 0;   /* the budget may have room again: a lost worker's trials no longer count */
    free(pts);
    dt_trials_free(ts, nt);
    return 0;
}

/* Seconds until the budget is spent, from this run's mean trial time and the trials
 * that run at once; -1 before any trial has finished here. */
static double dt_sched__eta(const dt_study *s)
{
    int left = dt_sched__budget(s->sw) - dt_sched__done(s, -1);
    if (left <= 0) return 0;
    if (!s->trials_done_here) return -1;
    return s->trial_secs / s->trials_done_here * left / dt_sched__width(s);
}

/* The sampler's suggestion for trial number: TPE sees the imported trials before the
 * study's own (their numbers are below 0, so they come first and weigh as the oldest);
 * random and grid learn from no trial, and a grid must not take a configuration run
 * elsewhere for one of its own. */
static int dt_sched__suggest(dt_study *s, int number, dt_value *vals, dt_err *err)
{
    /* Finalists' runs repeat configurations with other seeds: a search that goes on
     * after them (a larger budget) learns from the search's own trials only. */
    int finals = 0;
    for (int i = 0; i < s->n; i++) finals += s->trials[i].final;
    int prior = s->sw->sampler.kind == DT_SAMPLER_TPE ? s->nprior : 0;
    if (!prior && !finals && !s->nparked) return dt_sampler_suggest(s->sampler, s->trials, s->n, number, vals, err);
    dt_trial *all = dt_xmalloc(sizeof *all * (size_t)(prior + s->n + 1));
    if (prior) memcpy(all, s->prior, sizeof *all * (size_t)prior);
    int m = prior;
    for (int i = 0; i < s->n; i++) {
        if (s->trials[i].final) continue;
        all[m] = s->trials[i];
        /* A trial waiting at a rung teaches what a trial pruned there would: without
         * it, a study whose trials mostly wait would sample as if at random. */
        for (int j = 0; j < s->nparked; j++) {
            const dt_slot *p = &s->parked[j];
            if (p->number != all[m].number) continue;
            int loss = dt_sched__kind(s->sw) == DT_POINT_LOSS;
            all[m].state = DT_PRUNED;
            all[m].last_kind = dt_sched__kind(s->sw);
            all[m].last_value = loss ? p->loss : p->metric;
            all[m].last_step = loss ? p->loss_step : p->metric_step;
        }
        m++;
    }
    int rc = dt_sampler_suggest(s->sampler, all, m, number, vals, err);
    free(all);
    return rc;
}

/* Ends a trial: records it, keeps the best trial's weights only, rewrites outputs. */
static int dt_sched__end(dt_study *s, dt_slot *sl, dt_state state, double value, const char *reason,
                         const char *weights, dt_err *err)
{
    dt_trial *t = dt_sched__trial(s, sl->number);
    t->state = state;
    t->fate = sl->fate;
    t->diverged = sl->diverged;
    t->value = value;
    t->ms = sl->ms;
    t->bflops = sl->bflops;
    t->iterations = sl->iteration;
    t->seconds = dt_now() - sl->t0;
    t->finished = dt_wall();
    /* What the pruner compared last ranks this trial for the TPE if it was pruned. */
    t->last_kind = dt_sched__kind(s->sw);
    int loss = t->last_kind == DT_POINT_LOSS;
    t->last_value = loss ? sl->loss : sl->metric;
    t->last_step = loss ? sl->loss_step : sl->metric_step;
    snprintf(t->reason, sizeof t->reason, "%s", reason ? reason : "");
    int best = dt_out_best(s->sw, s->trials, s->n);
    int is_best = best >= 0 && s->trials[best].number == t->number, keep = is_best;
    /* With several objectives every trial of the front is a deployable trade-off:
     * each keeps its weights while it stays on the front. */
    int *front = NULL, nfront = 0, several = s->sw->nobj > 1;
    if (several) {
        front = dt_xmalloc(sizeof *front * (size_t)s->n);
        nfront = dt_front_trials(s->sw, s->trials, s->n, front);
        keep = 0;
        for (int k = 0; k < nfront; k++) keep |= s->trials[front[k]].number == t->number;
    }
    /* The best trial's weights are kept, on this host: the store says where. */
    snprintf(t->weights, sizeof t->weights, "%s", keep && weights ? weights : "");
    if (dt_sched__flush(s, sl, err) != 0) return -1;
    if (dt_store_finish_trial(s->store, s->id, t, err) != 0) return -1;
    if (!t->final) dt_pruner_finish(s->pruner, t->number, state);
    if (t->fate != DT_FATE_INTERRUPTED) {
        s->trial_secs += t->seconds;
        s->trials_done_here++;
    }

    char *log = dt_xasprintf("%s/log.txt", sl->dir);
    dt_err e;
    dt_file_cap(log, DT_SCHED_LOG_HEAD, DT_SCHED_LOG_TAIL, &e);   /* best effort: the trial is recorded */
    free(log);
    char *backup = dt_xasprintf("%s/backup", sl->dir);
    if (several) {
        dt_sched__clean_backup(backup, keep ? weights : NULL);
        /* A trial beaten in every objective by this one has left the front. */
        for (int i = 0; i < s->n; i++) {
            dt_trial *u = &s->trials[i];
            int on = 0;
            for (int k = 0; k < nfront; k++) on |= front[k] == i;
            if (on || u == t || !u->weights[0]) continue;
            char *old = dt_xasprintf("%s/trials/%d/backup", s->sw->output, u->number);
            dt_sched__clean_backup(old, NULL);
            free(old);
            u->weights[0] = 0;
        }
        free(front);
    } else if (is_best && weights && weights[0]) {
        if (s->best_number >= 0) {
            char *old = dt_xasprintf("%s/trials/%d/backup", s->sw->output, s->best_number);
            dt_sched__clean_backup(old, NULL);
            free(old);
        }
        dt_sched__clean_backup(backup, weights);
        s->best_number = t->number;
    } else {
        dt_sched__clean_backup(backup, NULL);
    }
    free(backup);

    if (!dt_sched__worker(s) &&
        dt_sched__outputs(s->store, s->id, s->sw, s->base.cfg, s->trials, s->n, 0, NULL, err) != 0)
        return -1;
    if (s->hooks && s->hooks->finished) {
        int done = dt_sched__done(s, -1);
        double eta = dt_sched__eta(s);
        s->hooks->finished(s->hooks->user, t, best >= 0 ? &s->trials[best] : NULL, done, dt_sched__budget(s->sw),
                           dt_now() - s->t0, eta);
    }
    dt_run_free(sl->run);
    sl->run = NULL;
    free(sl->dir);
    sl->dir = NULL;
    return 0;
}

/* Records where slot sl's trial runs its program, each time it starts one (training,
 * then eval_command): "pgid:start", and ":cgroup" when it has a cgroup. A program that
 * outlives this darktune and its supervisor (all killed with SIGKILL) is ended by the
 * next darktune on this host: it finds the program here (dt_sched__end_group). */
static int dt_sched__record_process(dt_study *s, dt_slot *sl, dt_err *err)
{
    long group = dt_run_group(sl->run);
    if (group <= 0 || group == sl->group) return 0;
    sl->group = group;
    const char *cg = dt_run_cgroup(sl->run);
    char *process = dt_xasprintf("%ld:%llu%s%s", group, dt_process_start(group), cg ? ":" : "", cg ? cg : "");
    int rc = dt_store_set_process(s->store, s->id, sl->number, process, err);
    free(process);
    return rc;
}

/* Starts a trial with these values on slot sl. A trial that cannot even start
 * (its files cannot be written, its command cannot run) ends as FAIL at once. */
static int dt_sched__launch(dt_study *s, dt_slot *sl, const dt_value *vals, const dt_next *nx, dt_err *err)
{
    const dt_sweep *sw = s->sw;
    dt_trial t;
    dt_trial_init(&t, sw->space.n);
    if (!nx->sample) memcpy(t.values, vals, sizeof *vals * (size_t)sw->space.n);
    t.baseline = nx->baseline;
    t.seed_trial = nx->seed_trial;
    t.rerun_of = nx->rerun_of;
    t.final = nx->final;
    int claim = dt_store_claim(s->store, s->id, &sw->space, &t, nx->final ? sw->final_seeds : sw->trials, s->worker,
                               err);
    if (claim != 0) {
        dt_trial_free(&t);
        /* Another worker spent the budget, or runs this configuration again already:
         * catch up with what it did before choosing again. */
        if (claim == DT_STORE_SPENT) s->spent = 1;
        return claim > 0 ? dt_sched__sync(s, err) : -1;
    }
    if (nx->sample) {
        /* Numbered: now its values, from the trials below its number, then stored. */
        int rc = dt_sched__suggest(s, t.number, t.values, err);
        if (rc == 0) rc = dt_store_set_params(s->store, s->id, &sw->space, &t, err);
        if (rc != 0) {
            dt_trial_free(&t);
            return -1;
        }
    }
    dt_sched__add_trial(s, &t);
    vals = t.values;   /* the study owns them now, for as long as the trial runs */
    if (!nx->final) dt_sched__hold(s, t.number, vals);

    int gpu = sl->gpu, pack = sl->pack, rank = sl->rank;
    memset(sl, 0, offsetof(dt_slot, pts));
    sl->gpu = gpu, sl->pack = pack, sl->rank = rank;
    sl->retry = nx->retry;
    sl->final = nx->final;
    sl->number = t.number;
    sl->t0 = dt_now();
    sl->metric = NAN;
    sl->loss = NAN;
    sl->loss_step = sl->metric_step = -1;
    sl->ms = sl->bflops = NAN;
    sl->dir = dt_sched__trial_dir(s, t.number);

    char *backup = dt_xasprintf("%s/backup", sl->dir);
    char *cfg = dt_xasprintf("%s/trial.cfg", sl->dir);
    char *data = dt_xasprintf("%s/trial.data", sl->dir);
    char *log = dt_xasprintf("%s/log.txt", sl->dir);
    dt_cfg *c = NULL;
    dt_err e;
    /* Writing the trial's files fails for the machine's reasons (a full disk, a
     * permission): no result of the trial's, so it does not count, its configuration
     * runs again, and the study stops here rather than burn its budget. */
    int machine = 0;
    dt_buf notes = {0};
    int rc = dt_out_trial_cfg(sw, s->base.cfg, vals, &c, &notes, &e);
    /* Its size is its cfg's: known before it trains (the sweep's checks counted the base cfg). */
    if (rc == 0 && dt_sweep_objective_index(sw, DT_OBJ_BFLOPS) >= 0) rc = dt_flops_cfg(c, &sl->bflops, &e);
    if (rc == 0) {
        machine = dt_mkdirs(backup, &e) != 0 || dt_cfg_write(c, cfg, &e) != 0 ||
                  dt_out_trial_data(sw, s->base.data, backup, data, &e) != 0;
        rc = machine ? -1 : 0;
    }
    if (rc == 0) {
        dt_run_spec spec = {
            .ctx = s->ctx, .runner = sw->runner, .task = sw->task, .metric = sw->metric, .workdir = sw->dir,
            .trial_dir = sl->dir, .cfg = cfg, .data = data, .backup = backup, .weights = sw->weights,
            .log = log, .gpu = sl->gpu, .command = sw->command, .eval_command = sw->eval_command,
            .max_batches = sw->max_batches, .hang_s = sw->hang_s, .timeout_s = sw->trial_timeout_s,
            .seed = sw->seed, .trial = nx->seed_trial >= 0 ? nx->seed_trial : t.number,
            .eval_interval = sw->eval_interval, .eval_images = sw->eval_images,
            .time_reps = dt_sweep_objective_index(sw, DT_OBJ_MS) >= 0 ? DT_SCHED_TIME_REPS : 0,
        };
        rc = dt_run_start(&sl->run, &spec, &e);
        /* The run truncated the log: what the trial's cfg changed beyond its values goes after. */
        if (rc == 0 && notes.len) dt_append_note(log, "%.*s", (int)notes.len - 1, notes.p);
        dt_buf_free(&notes);
        if (rc == 0 && dt_sched__record_process(s, sl, err) != 0) return -1;
    }
    dt_buf_free(&notes);
    dt_cfg_free(c);
    free(backup), free(cfg), free(data), free(log);
    if (rc != 0) {
        sl->run = NULL;
        char reason[256];
        snprintf(reason, sizeof reason, "%s: %.200s", machine ? "interrupted (cannot write its files)"
                                                              : "could not start", e.msg);
        if (machine) sl->fate = DT_FATE_INTERRUPTED;
        /* dt_sched__end frees sl->run (NULL here) and sl->dir. */
        if (dt_sched__end(s, sl, DT_FAIL, NAN, reason, NULL, err) != 0) return -1;
        if (machine)
            return dt_errf(err, "cannot write trial %d's files: %s; the study stops (run it again once there is "
                           "room: trial %d's configuration runs again)", t.number, e.msg, t.number);
    }
    return 0;
}

/* The next finalist's run once the search is over (1), or 0: the first finalist, best
 * first, with fewer than [final] seeds runs that count or run. */
static int dt_sched__final(dt_study *s, dt_value *vals, dt_next *nx)
{
    const dt_sweep *sw = s->sw;
    dt_finalist *f = dt_xcalloc((size_t)sw->final_top + 1, sizeof *f);
    int m = dt_out_finalists(sw, s->trials, s->n, f), got = 0;
    for (int j = 0; j < m && !got; j++) {
        if (f[j].runs >= sw->final_seeds) continue;
        const dt_trial *t = &s->trials[f[j].trial];
        memcpy(vals, t->values, sizeof *vals * (size_t)sw->space.n);
        nx->final = 1;
        nx->rerun_of = t->number;
        got = 1;
    }
    free(f);
    return got;
}

/* The search's next trial: a configuration to run again, the baseline, or the
 * sampler's (1), or 0 when the sampler has nothing left. */
static int dt_sched__search(dt_study *s, dt_value *vals, dt_next *nx, dt_err *err)
{
    const dt_sweep *sw = s->sw;
    int number = s->n ? s->trials[s->n - 1].number + 1 : 0;
    const dt_trial *t = dt_sched__rerun(s);
    if (t) {
        memcpy(vals, t->values, sizeof *vals * (size_t)sw->space.n);
        nx->baseline = t->baseline;
        nx->retry = t->fate == DT_FATE_OOM;
        nx->seed_trial = t->seed_trial;
        nx->rerun_of = t->number;
        dt_sched__note(s, "trial %d runs the configuration of %s trial %d again (the seed of trial %d)", number,
                       nx->retry ? "out-of-memory" : "interrupted", t->number, nx->seed_trial);
        return 1;
    }
    if (sw->baseline) {
        int have = 0;
        for (int i = 0; i < s->n; i++) have |= s->trials[i].baseline;
        if (!have) {
            if (dt_out_baseline_values(sw, s->base.cfg, vals, err) != 0) return -1;
            nx->baseline = 1;
            return 1;
        }
    }
    if (s->exhausted) return 0;
    /* Random and TPE suggest for the number the store gives (dt_sched__launch); a grid
     * hands out its next unused row, whatever the number, and says when none is left. */
    if (sw->sampler.kind != DT_SAMPLER_GRID) {
        nx->sample = 1;
        return 1;
    }
    int rc = dt_sched__suggest(s, number, vals, err);
    if (rc < 0) return -1;
    if (rc == 1) {
        s->exhausted = 1;
        dt_sched__note(s, "the %s sampler has no configuration left to try", dt_sampler_name(sw->sampler.kind));
        return 0;
    }
    return 1;
}

/* The values of the next trial to start (1), or 0 when none should start now. */
static int dt_sched__next(dt_study *s, dt_value *vals, dt_next *nx, dt_err *err)
{
    const dt_sweep *sw = s->sw;
    *nx = (dt_next){.seed_trial = -1, .rerun_of = -1};
    /* The search while its budget lasts (trials that count and every worker's running
     * ones); then, once no search trial runs anywhere, the finalists. */
    if (!s->spent && dt_sched__done(s, 0) + dt_sched__active(s, 0) < sw->trials) {
        int rc = dt_sched__search(s, vals, nx, err);
        if (rc != 0) return rc;
    }
    int over = s->spent || s->exhausted || dt_sched__done(s, 0) >= sw->trials;
    if (sw->final_top > 0 && over && !dt_sched__active(s, 0)) return dt_sched__final(s, vals, nx);
    return 0;
}

/* Handles one event of a running trial: store it, ask the pruner. */
static void dt_sched__event(dt_study *s, dt_slot *sl, const dt_event *ev)
{
    dt_point pt = {.step = ev->iteration};
    if (ev->kind == DT_EV_ITER) {
        sl->iteration = ev->iteration;
        /* Darknet's running average is what people read and compare; but a NaN in
         * the raw loss is divergence even where a fork resets its average. */
        pt.kind = DT_POINT_LOSS;
        pt.value = isfinite(ev->loss) && !isnan(ev->avg_loss) ? ev->avg_loss : ev->loss;
        sl->loss = pt.value;
        sl->loss_step = ev->iteration;
        sl->seen++;
        if (sl->pack >= 0) dt_pack_iters(&s->packs[sl->pack], 1);
    } else {
        pt.kind = DT_POINT_METRIC;
        pt.value = ev->metric;
        sl->metric = ev->metric;
        sl->metric_step = ev->iteration;
        if (ev->iteration > sl->iteration) sl->iteration = ev->iteration;
    }
    if (sl->npts == sl->cap) {
        sl->cap = sl->cap ? 2 * sl->cap : DT_SCHED_FLUSH;
        sl->pts = dt_xrealloc(sl->pts, (size_t)sl->cap * sizeof *sl->pts);
    }
    sl->pts[sl->npts++] = pt;
    /* A finalist's run trains to the end: the pruner checks it for divergence only. */
    if (sl->pruned) return;
    int verdict = dt_pruner_decide(s->pruner, sl->final ? -1 : sl->number, pt, sl->reason, sizeof sl->reason);
    if (verdict == DT_PRUNE_WAIT) {
        sl->waits = 1;
    } else if ((sl->pruned = verdict)) {
        sl->diverged = sl->pruned == DT_PRUNE_DIVERGED;
        dt_run_stop(sl->run);
    }
}

/* Parks the trial of slot sl, which the pruner stopped at a rung: its run paused where
 * it is (what the child trained past the rung before it stopped is read on resume),
 * its points stored, its slot free for another trial. */
static int dt_sched__park(dt_study *s, dt_slot *sl, dt_err *err)
{
    if (dt_sched__flush(s, sl, err) != 0) return -1;
    dt_run_pause(sl->run, 1);
    if (s->nparked == s->capparked) {
        s->capparked = s->capparked ? 2 * s->capparked : 8;
        s->parked = dt_xrealloc(s->parked, (size_t)s->capparked * sizeof *s->parked);
    }
    sl->waits = 0;
    sl->paused = dt_now();
    s->parked[s->nparked++] = *sl;
    dt_slot free_slot = {.gpu = sl->gpu, .pack = sl->pack, .rank = sl->rank};
    *sl = free_slot;
    return 0;
}

/* Parked trial j goes on in free slot sl: the pruner said it ranks at its rung. */
static void dt_sched__unpark(dt_study *s, int j, dt_slot *sl)
{
    dt_slot t = s->parked[j];
    s->parked[j] = s->parked[--s->nparked];
    t.gpu = sl->gpu, t.pack = sl->pack, t.rank = sl->rank;
    t.t0 += dt_now() - t.paused;   /* its seconds are its training's */
    free(sl->pts);
    free(sl->dir);
    *sl = t;
    dt_pruner_go_on(s->pruner, sl->number);
    dt_run_pause(sl->run, 0);
}

/* Whether a parked trial goes on in free slot sl (1) or none ranks (0). */
static int dt_sched__promote(dt_study *s, dt_slot *sl)
{
    if (!s->nparked) return 0;
    int numbers[s->nparked];
    for (int j = 0; j < s->nparked; j++) numbers[j] = s->parked[j].number;
    int j = dt_pruner_promotable(s->pruner, numbers, s->nparked);
    if (j < 0) return 0;
    dt_sched__note(s, "trial %d goes on from iteration %ld: it ranks among the trials at its rung",
                   s->parked[j].number, s->parked[j].iteration);
    dt_sched__unpark(s, j, sl);
    return 1;
}

/* Ends every parked trial: pruned for good when nothing is left to start (reason
 * NULL: the pruner says why), or as a running trial is ended (interrupt). */
static int dt_sched__end_parked(dt_study *s, dt_state state, const char *reason, dt_err *err)
{
    while (s->nparked) {
        dt_slot *p = &s->parked[s->nparked - 1];
        char why[256];
        if (reason) snprintf(why, sizeof why, "%s", reason);
        else dt_pruner_left_waiting(s->pruner, p->number, why, sizeof why);
        dt_run_stop(p->run);
        p->t0 += dt_now() - p->paused;   /* its seconds are its training's */
        double v = s->sw->metric == DT_METRIC_LOSS ? p->loss : p->metric;
        if (reason) p->fate = DT_FATE_INTERRUPTED;
        int rc = dt_sched__end(s, p, state, state == DT_PRUNED ? v : NAN, why, NULL, err);
        free(p->pts);
        s->nparked--;
        if (rc != 0) return -1;
    }
    return 0;
}

/* Drains one slot's events; ends its trial when its run is over. */
static int dt_sched__service(dt_study *s, dt_slot *sl, dt_err *err)
{
    dt_event ev;
    int rc;
    while ((rc = dt_run_next(sl->run, &ev)) == 1) {
        dt_sched__event(s, sl, &ev);
        if (sl->waits) return dt_sched__park(s, sl, err);
    }
    if (rc == 0 && dt_sched__record_process(s, sl, err) != 0) return -1;
    if (sl->npts >= DT_SCHED_FLUSH && dt_sched__flush(s, sl, err) != 0) return -1;
    if (rc == 0) return 0;

    dt_run_result res;
    dt_run_outcome(sl->run, &res);
    if (res.iterations > sl->iteration) sl->iteration = res.iterations;
    if (sl->pruned) {
        double v = s->sw->metric == DT_METRIC_LOSS ? sl->loss : sl->metric;
        return dt_sched__end(s, sl, DT_PRUNED, v, sl->reason, NULL, err);
    }
    sl->diverged |= res.diverged;
    if (res.ok && !isfinite(res.metric)) {
        sl->diverged = 1;
        snprintf(res.reason, sizeof res.reason, "diverged: final %s is %g", dt_metric_name(s->sw->metric), res.metric);
        return dt_sched__end(s, sl, DT_PRUNED, NAN, res.reason, NULL, err);
    }
    /* A study that trades accuracy for speed cannot place a trial it has no time of. */
    if (res.ok && dt_sweep_objective_index(s->sw, DT_OBJ_MS) >= 0 && !(res.ms > 0))
        return dt_sched__end(s, sl, DT_FAIL, res.metric, "no inference time: the final weights were not timed", NULL,
                             err);
    if (res.ok) {
        if (dt_sweep_objective_index(s->sw, DT_OBJ_MS) >= 0) sl->ms = res.ms;
        return dt_sched__end(s, sl, DT_COMPLETE, res.metric, NULL, res.final_weights, err);
    }
    if (res.oom && sl->pack >= 0) {
        /* Too many trials on this GPU: one fewer from now on, and this configuration
         * gets one more chance (its own seed, so the retry trains what it would have). */
        dt_pack *p = &s->packs[sl->pack];
        const char *colon = strchr(res.reason, ':'), *detail = colon ? colon + 2 : res.reason;
        int lowered = dt_pack_oom(p, detail);
        dt_sched__note(s, "%s", p->why);
        /* A retry gets another chance only when its GPU was over-full (k came down):
         * it may have landed on a GPU whose own excess trial had not failed yet. k only
         * falls, so the chances are bounded. */
        if (!sl->retry || lowered) {
            char reason[256];
            snprintf(reason, sizeof reason, DT_SCHED_OOM_AGAIN ": %.200s", detail);
            sl->fate = DT_FATE_OOM;
            return dt_sched__end(s, sl, DT_FAIL, NAN, reason, NULL, err);
        }
    }
    return dt_sched__end(s, sl, DT_FAIL, NAN, res.reason[0] ? res.reason : "failed", NULL, err);
}

/* Stops every running trial as interrupted: their configurations run again on resume. */
static int dt_sched__interrupt(dt_study *s, const char *why, dt_err *err)
{
    char reason[256];
    snprintf(reason, sizeof reason, DT_SCHED_INTERRUPTED " (%s)", why);
    for (int i = 0; i < s->nslots; i++) {
        dt_slot *sl = &s->slots[i];
        if (!sl->run) continue;
        dt_run_stop(sl->run);
        dt_event ev;
        while (dt_run_next(sl->run, &ev) == 1) dt_sched__event(s, sl, &ev);
        sl->fate = DT_FATE_INTERRUPTED;
        if (dt_sched__end(s, sl, DT_FAIL, NAN, reason, NULL, err) != 0) return -1;
    }
    return dt_sched__end_parked(s, DT_FAIL, reason, err);
}

/* Lets each GPU's dt_pack see how full and warm it is, right after the slots were
 * filled (a slot freed a moment ago is not an idle GPU). */
static void dt_sched__pack(dt_study *s)
{
    double now = dt_now();
    for (int g = 0; g < s->npacks; g++) {
        int running = 0, warm = 0;
        /* GPU g's slots are g, g + npacks, ... (dt_sched__slots deals them round). */
        for (int i = g; i < s->nslots; i += s->npacks) {
            const dt_slot *sl = &s->slots[i];
            if (!sl->run) continue;
            running++;
            warm += sl->seen >= DT_PACK_WARM;
        }
        if (dt_pack_update(&s->packs[g], running, warm, now)) dt_sched__note(s, "%s", s->packs[g].why);
    }
}

static void dt_sched__tick(dt_study *s)
{
    if (!s->hooks || !s->hooks->tick) return;
    dt_live live[256];
    int k = 0;
    for (int i = 0; i < s->nslots && k < 256; i++)
        if (s->slots[i].run)
            live[k++] = (dt_live){s->slots[i].number, s->slots[i].iteration, s->slots[i].loss, s->slots[i].metric};
    int best = dt_out_best(s->sw, s->trials, s->n);
    s->hooks->tick(s->hooks->user, live, k, best >= 0 ? &s->trials[best] : NULL, dt_sched__done(s, -1),
                   dt_sched__budget(s->sw), dt_now() - s->t0, dt_sched__eta(s));
}

/* Opens the store and the study; loads its trials. */
static int dt_sched__open(dt_study *s, dt_err *err)
{
    const dt_sweep *sw = s->sw;
    if (dt_store_open(&s->store, sw->storage, err) != 0) return -1;
    if (dt_store_study(s->store, sw->name, sw->maximize ? "maximize" : "minimize", dt_metric_name(sw->metric),
                       &s->id, err) != 0)
        return -1;
    dt_buf identity = {0};
    dt_sweep_identity(sw, &identity);
    int rc = dt_store_study_sweep(s->store, s->id, identity.p, s->hooks && s->hooks->force, err);
    dt_buf_free(&identity);
    return rc;
}

/* Ends what a trial's program left on this host when its darktune died
 * ("pgid:start[:cgroup]", or "pgid:start" from before cgroups): its process group, when
 * that group's leader is still the process that was recorded (a pid used again names
 * another), and its cgroup, one of darktune's (dt_exec.h), with all in it. */
static void dt_sched__end_group(const char *process)
{
    char *end;
    long pgid = strtol(process, &end, 10);
    if (pgid <= 1 || *end != ':') return;
    unsigned long long start = strtoull(end + 1, &end, 10);
    if (start && dt_process_start(pgid) == start) kill(-(pid_t)pgid, SIGKILL);
    if (end[0] == ':' && end[1] == '/' && strncmp(dt_basename(end + 1), "darktune.", 9) == 0)
        dt_cgroup_end(end + 1, 2.0);
}

/* Trials left RUNNING by processes that are gone: on this host, a worker whose process
 * no longer runs (a darktune killed, or the one before this one); anywhere, one that
 * has not beaten for the grace period (lost: its configuration runs again, [study]
 * retries times at most), or a trial of a store from before workers, which names no
 * worker. The others become interrupted: their configurations run again. */
static int dt_sched__reap_dead(dt_study *s, int *lost, dt_err *err)
{
    dt_trial *ts;
    int n, k = 0;
    *lost = 0;
    if (dt_store_load(s->store, s->id, NULL, DT_POINT_LOSS, &ts, &n, err) != 0) return -1;
    int rc = 0, unnamed = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        unnamed |= ts[i].state == DT_RUNNING && !ts[i].worker[0];
        if (ts[i].state != DT_RUNNING || !ts[i].worker[0] || dt_process_alive(ts[i].worker) != 0) continue;
        dt_sched__end_group(ts[i].process);
        rc = dt_store_fail_worker(s->store, s->id, ts[i].worker, DT_SCHED_INTERRUPTED " (darktune stopped)", &k,
                                  err);
        *lost += k;
    }
    dt_trials_free(ts, n);
    /* A trial of a store from before workers names no worker: its darktune stopped. */
    if (rc == 0 && unnamed) {
        rc = dt_store_fail_worker(s->store, s->id, NULL, DT_SCHED_INTERRUPTED " (darktune stopped)", &k, err);
        *lost += k;
    }
    k = 0;
    if (rc == 0) rc = dt_store_fail_silent(s->store, s->id, s->sw->grace_s, s->sw->retries,
                                           "worker lost: no heartbeat", &k, err);
    *lost += k;
    s->reaped = dt_now();
    return rc;
}

/* Reads the base cfg and .data once for the study, says what schedule = scaled does
 * to the base cfg's schedule, and makes the runners' context from the .data. */
static int dt_sched__base(dt_study *s, dt_err *err)
{
    const dt_sweep *sw = s->sw;
    if (dt_out_base_read(&s->base, sw, err) != 0) return -1;
    dt_buf note = {0};
    dt_out_schedule_note(sw, s->base.cfg, &note);
    if (note.len)
        dt_sched__note(s, "schedule scaled: trials run %ld of the base cfg's %ld iterations, so its schedule "
                       "shrinks with them: %s (schedule = as-is in [darknet] keeps it)", sw->max_batches,
                       sw->base_max_batches, note.p);
    dt_buf_free(&note);
    dt_runner_setup setup;
    if (dt_out_runner_setup(sw, &s->base, &setup, err) != 0) return -1;
    return dt_runner_ctx_create(&s->ctx, &setup, err);
}

static void dt_sched__close(dt_study *s)
{
    for (int i = 0; i < s->nslots; i++) {
        dt_run_free(s->slots[i].run);
        free(s->slots[i].pts);
        free(s->slots[i].dir);
    }
    for (int j = 0; j < s->nparked; j++) {   /* after an error: dt_run_free kills the child */
        dt_run_free(s->parked[j].run);
        free(s->parked[j].pts);
        free(s->parked[j].dir);
    }
    free(s->parked);
    /* After the runs: a table run replays a row of the context's table. */
    dt_runner_ctx_free(s->ctx);
    dt_out_base_free(&s->base);
    free(s->slots);
    free(s->packs);
    dt_trials_free(s->trials, s->n);
    dt_trials_free(s->prior, s->nprior);
    dt_sampler_free(s->sampler);
    dt_pruner_free(s->pruner);
    dt_store_close(s->store);
}

/* [sampler] warm_start: the journal's trials that fit the space replace what it gave
 * the store before (the file is read at every start: edited, it is read again). */
static int dt_sched__warm_start(dt_study *s, const dt_optuna_in *in, dt_err *err)
{
    const dt_sweep *sw = s->sw;
    if (dt_store_import(s->store, s->id, &sw->space, sw->warm_start, in->trials, in->n, err) != 0) return -1;
    dt_buf b = {0};
    dt_optuna_summary(in, &b);
    dt_sched__note(s, "warm start: %s, Optuna study '%s': %s%s", sw->warm_start, in->study, b.p,
                   in->cut ? " (its last line has no newline: a writer was cut short, and it is left out)" : "");
    dt_buf_free(&b);
    return 0;
}

/* The imported trials (darktune import, warm_start), for the sampler. */
static int dt_sched__prior(dt_study *s, dt_err *err)
{
    const dt_sweep *sw = s->sw;
    if (dt_store_imported(s->store, s->id, &sw->space, &s->prior, &s->nprior, err) != 0) return -1;
    if (s->nprior && sw->sampler.kind != DT_SAMPLER_TPE)
        dt_sched__note(s, "%d imported trial%s wait%s for TPE: the %s sampler learns from no trial", s->nprior,
                       s->nprior == 1 ? "" : "s", s->nprior == 1 ? "s" : "", dt_sampler_name(sw->sampler.kind));
    else if (s->nprior && !sw->warm_start)
        dt_sched__note(s, "%d imported trial%s (darktune import): TPE learns from %s before this study's own",
                       s->nprior, s->nprior == 1 ? "" : "s", s->nprior == 1 ? "it" : "them");
    return 0;
}

int dt_sched_run(const dt_sweep *sw, const dt_sched_hooks *hooks, volatile sig_atomic_t *stop, dt_err *err)
{
    dt_study s = {.sw = sw, .hooks = hooks, .best_number = -1, .t0 = dt_now()};
    dt_pruner_opts popts = dt_sweep_pruner(sw);
    dt_sampler_opts sopts = dt_sweep_sampler(sw);
    dt_gpu_pin_order();
    int rc = -1;
    dt_value *vals = dt_xcalloc((size_t)sw->space.n + 1, sizeof *vals);
    dt_optuna_in warm = {0};
    /* A journal that cannot be read is bad input, found before anything is written. */
    if (sw->warm_start) {
        dt_optuna_want want = {.space = &sw->space, .maximize = sw->maximize, .fallback = sw->name};
        if (dt_optuna_read(sw->warm_start, &want, &warm, err) != 0) {
            rc = -2;
            goto out;
        }
    }
    if (dt_sched__base(&s, err) != 0) goto out;
    /* The store first: one that cannot be reached or refuses this sweep is bad input,
     * and nothing is written then. */
    if (dt_sched__open(&s, err) != 0) {
        rc = -2;
        goto out;
    }
    if (sw->warm_start && dt_sched__warm_start(&s, &warm, err) != 0) goto out;
    dt_optuna_in_free(&warm);   /* in the store now: the sampler reads them from there */
    if (dt_sched__prior(&s, err) != 0) goto out;
    if (dt_mkdirs(sw->output, err) != 0) goto out;
    dt_process_name(s.worker, sizeof s.worker);
    int lost = 0;
    if (dt_sched__reap_dead(&s, &lost, err) != 0) goto out;
    if (dt_pruner_create(&s.pruner, &popts, err) != 0 || dt_sched__sync(&s, err) != 0) goto out;
    if (dt_sampler_create(&s.sampler, &sopts, &sw->space, sw->seed, err) != 0) goto out;
    {
        int best = dt_out_best(sw, s.trials, s.n);
        if (best >= 0) s.best_number = s.trials[best].number;
    }
    if (lost)
        dt_sched__note(&s, "%d trial%s left running by a darktune that stopped: recorded as interrupted", lost,
                       lost == 1 ? "" : "s");
    if (s.n) {
        int again = dt_sched__reruns(&s);
        dt_sched__note(&s, "resuming study '%s': %d finished trial%s kept, %d configuration%s to run again "
                       "(interrupted, or out of GPU memory)", sw->name, dt_sched__done(&s, -1),
                       dt_sched__done(&s, -1) == 1 ? "" : "s", again, again == 1 ? "" : "s");
    }
    dt_sched__slots(&s);

    double last_tick = 0;
    for (;;) {
        if (*stop) {
            rc = dt_sched__interrupt(&s, "signal", err) == 0 ? 1 : -1;
            goto out;
        }
        int timed_out = sw->timeout_s > 0 && dt_now() - s.t0 >= sw->timeout_s;
        if (timed_out && (dt_sched__running(&s) || s.nparked)) {
            dt_sched__note(&s, "study timeout of %.0f s reached: stopping running trials", sw->timeout_s);
            if (dt_sched__interrupt(&s, "study timeout", err) != 0) goto out;
        }
        /* Keep up with the other workers: what they started and reported, that this
         * one is alive, and whether one of them stopped beating. */
        double now = dt_now();
        /* Idle, waiting on other workers' trials: look four times as often, so that
         * this worker takes a configuration to run again, or ends, without delay. */
        double every = dt_sched__running(&s) ? DT_SCHED_SYNC : DT_SCHED_SYNC / 4;
        if (now - s.synced >= every && dt_sched__sync(&s, err) != 0) goto out;
        if (now - s.beaten >= sw->heartbeat_s) {
            if (dt_store_heartbeat(s.store, s.id, s.worker, err) != 0) goto out;
            s.beaten = now;
        }
        if (now - s.reaped >= sw->grace_s / 2) {
            int k;
            if (dt_store_fail_silent(s.store, s.id, sw->grace_s, sw->retries, "worker lost: no heartbeat", &k, err) !=
                0)
                goto out;
            if (k) dt_sched__note(&s, "%d trial%s of a worker that stopped beating: recorded as lost", k,
                                  k == 1 ? "" : "s");
            s.reaped = now;
        }
        /* Fill free slots while the budget allows: trials that count, and every
         * worker's running ones. */
        for (int i = 0; i < s.nslots && !timed_out; i++) {
            if (s.slots[i].run || !dt_sched__open_slot(&s, &s.slots[i])) continue;
            /* A waiting trial that ranks goes on before any new trial starts. */
            if (dt_sched__promote(&s, &s.slots[i])) continue;
            dt_next nx;
            int got = dt_sched__next(&s, vals, &nx, err);
            if (got < 0) goto out;
            if (!got) {
                /* Nothing to start and nothing of ours runs: no value can still join a
                 * rung, so those waiting there will never rank. */
                if (s.nparked && !dt_sched__running(&s) && dt_sched__end_parked(&s, DT_PRUNED, NULL, err) != 0)
                    goto out;
                break;
            }
            if (dt_sched__launch(&s, &s.slots[i], vals, &nx, err) != 0) goto out;
        }
        /* Nothing of ours runs: done, unless another worker's trials still run (one
         * that is lost leaves configurations to run again). */
        if (!dt_sched__running(&s) && (timed_out || !dt_sched__active(&s, -1))) break;
        dt_sched__pack(&s);

        /* Wait for output, a quarter second at most (hang and timeout checks run in
         * dt_run_next); a runner with nothing to wait on (-1) is ready at once. */
        struct pollfd pfd[256];
        int np = 0, ready = 0;
        for (int i = 0; i < s.nslots && np < 256; i++) {
            if (!s.slots[i].run) continue;
            int fd = dt_run_fd(s.slots[i].run);
            if (fd >= 0) pfd[np++] = (struct pollfd){.fd = fd, .events = POLLIN};
            else ready = 1;
        }
        poll(pfd, (nfds_t)np, ready ? 0 : 250);
        for (int i = 0; i < s.nslots; i++)
            if (s.slots[i].run && dt_sched__service(&s, &s.slots[i], err) != 0) goto out;
        if (dt_now() - last_tick >= 0.5) {
            dt_sched__tick(&s);
            last_tick = dt_now();
        }
    }
    if (!dt_sched__worker(&s)) {
        /* The study's last outputs, report.html with them, and its red flags said. */
        dt_buf flags = {0};
        int bad = dt_sched__outputs(s.store, s.id, sw, s.base.cfg, s.trials, s.n, 1, &flags, err);
        for (char *line = flags.p, *end; !bad && line && *line; line = end + 1) {
            end = strchr(line, '\n');
            if (end) *end = '\0';
            dt_sched__note(&s, "%s", line);
            if (!end) break;
        }
        dt_buf_free(&flags);
        if (bad) goto out;
    }
    rc = 0;
out:
    if (rc < 0) {
        /* A runtime error must not leave Darknet processes behind (parked ones are
         * killed by dt_sched__close). */
        for (int i = 0; i < s.nslots; i++)
            if (s.slots[i].run) dt_run_stop(s.slots[i].run);
    }
    free(vals);
    dt_optuna_in_free(&warm);
    dt_sched__close(&s);
    return rc;
}

int dt_sched_load(const dt_sweep *sw, dt_trial **trials, int *n, dt_err *err)
{
    *trials = NULL;
    *n = 0;
    if (!dt_db_is_postgres(sw->storage) && !dt_file_exists(sw->storage))
        return dt_errf(err, "no study yet: '%s' does not exist (run 'darktune run %s' first)", sw->storage, sw->path);
    dt_store *st;
    long long id;
    if (dt_store_open_read(&st, sw->storage, err) != 0) return -1;
    int rc = dt_store_find_study(st, sw->name, &id, err);
    if (rc == 1) rc = dt_errf(err, "no study yet: '%s' has no study '%s' (run 'darktune run %s' first)",
                             dt_store_name(st), sw->name, sw->path);
    if (rc == 0) rc = dt_store_load(st, id, &sw->space, dt_sched__kind(sw), trials, n, err);
    dt_store_close(st);
    return rc;
}
