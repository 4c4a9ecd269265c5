/* dt_sweep_check: the second pass over a sweep (see dt_sweep.c for the first).
 *
 * Whatever needs the whole file, the base cfg, the .data file or the Darknet
 * program: defaults that depend on other keys, files, the fork, [net] fields and
 * their ranges (dt_darknet.h holds Darknet's facts), batch/subdivisions,
 * steps/scales, conditions; each message at the line of the key at fault. Then the
 * choice of the sampler when the sweep says auto. */
#include "dt_sweep.h"
#include "dt_sweep_impl.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dt_data.h"
#include "dt_db.h"
#include "dt_flops.h"
#include "dt_table.h"

/* The line of the sweep's key, or its section's header line when the key is absent. */
static int dt_sweep__key_line(dt_sweep__ctx *c, int sec, const char *key)
{
    int line = dt_sweep_line(c->sw, dt_sweep__section_name(sec), key);
    return line ? line : c->header[sec];
}

/* Refuses a required key that has no value. */
static int dt_sweep__need(dt_sweep__ctx *c, int sec, const char *key, const char *value)
{
    const char *s = dt_sweep__section_name(sec);
    int line = dt_sweep_line(c->sw, s, key);
    if (value) return 0;
    if (line) return dt_sweep__fail(c, line, "%s needs a value", key);
    if (c->header[sec]) return dt_sweep__fail(c, c->header[sec], "[%s] needs '%s'", s, key);
    return dt_sweep__fail(c, 0, "no [%s] section (it needs '%s')", s, key);
}

/* [study]: the name, then output and storage made absolute (defaults derived from the name). */
static int dt_sweep__check_study(dt_sweep__ctx *c)
{
    dt_sweep *sw = c->sw;
    if (dt_sweep__need(c, DT_SWEEP__STUDY, "name", sw->name) < 0) return -1;
    size_t ok = strspn(sw->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
    if (sw->name[ok] || sw->name[0] == '.')   /* the name becomes a folder under runs/ */
        return dt_sweep__fail(c, dt_sweep_line(sw, "study", "name"),
                              "name '%s' may hold only letters, digits, '-', '_' and '.' (not first)", sw->name);
    char *out = sw->output ? dt_xstrdup(sw->output) : dt_xasprintf("runs/%s", sw->name);
    free(sw->output);
    sw->output = dt_path_join(sw->dir, out);
    free(out);
    if (!sw->storage) {
        sw->storage = dt_path_join(sw->output, "study.db");
    } else if (dt_db_is_postgres(sw->storage)) {
        /* postgresql://[user[:password]@]host[:port]/database: the database is what libpq
         * would otherwise take from the user name, silently. */
        const char *rest = strstr(sw->storage, "://") + 3, *slash = strchr(rest, '/');
        if (!*rest || !slash || !slash[1] || slash[1] == '?')
            return dt_sweep__fail(c, dt_sweep_line(sw, "study", "storage"),
                                  "storage '%s' names no database; write postgresql://user@host:port/database",
                                  sw->storage);
    } else {
        char *abs = dt_path_join(sw->dir, sw->storage);
        free(sw->storage);
        sw->storage = abs;
    }
    return 0;
}

/* Values the contract names but this build cannot run yet, and pruner bounds. */
static int dt_sweep__check_available(dt_sweep__ctx *c)
{
    dt_sweep *sw = c->sw;
    int pline = dt_sweep__key_line(c, DT_SWEEP__PRUNER, "type");
    int wline = dt_sweep_line(sw, "pruner", "wrap");
    if (sw->pruner.kind == DT_PRUNER_PATIENCE && !dt_sweep_line(sw, "pruner", "patience"))
        return dt_sweep__fail(c, pline, "pruner patience needs patience = N (iterations without improvement)");
    if (wline && sw->pruner.kind != DT_PRUNER_PATIENCE)
        return dt_sweep__fail(c, wline, "wrap applies to type = patience only");
    if (sw->pruner.wrap == DT_PRUNER_PATIENCE)
        return dt_sweep__fail(c, wline, "patience cannot wrap patience");
    if (dt_sweep_line(sw, "pruner", "patience") && sw->pruner.kind != DT_PRUNER_PATIENCE)
        return dt_sweep__fail(c, dt_sweep_line(sw, "pruner", "patience"),
                              "patience applies to type = patience (wrap = %s to keep this pruner)",
                              dt_pruner_name(sw->pruner.kind));
    /* threshold needs a bound, whether it runs alone or inside patience. */
    dt_pruner_kind bounds = sw->pruner.kind == DT_PRUNER_PATIENCE ? sw->pruner.wrap : sw->pruner.kind;
    if (sw->pruner.kind == DT_PRUNER_PATIENCE && wline) pline = wline;
    if (bounds == DT_PRUNER_THRESHOLD && isnan(sw->pruner.lower) && isnan(sw->pruner.upper))
        return dt_sweep__fail(c, pline, "pruner threshold needs lower, upper or both");
    if (!isnan(sw->pruner.lower) && !isnan(sw->pruner.upper) && sw->pruner.lower >= sw->pruner.upper)
        return dt_sweep__fail(c, dt_sweep_line(sw, "pruner", "upper"), "upper %g must be above lower %g",
                              sw->pruner.upper, sw->pruner.lower);
    if (dt_sweep_line(sw, "final", "seeds") && sw->final_top == 0)
        return dt_sweep__fail(c, dt_sweep_line(sw, "final", "seeds"), "seeds has no finalists to train: set top "
                              "(how many of the best configurations train again)");
    return 0;
}

/* Keys that mean something only to some samplers, pruners or runners. A key written
 * for another one would be silently ignored: it is refused at its line instead. */
#define DT_SWEEP__K(x) (1u << (x))
static const struct dt_sweep__applies {
    int sec;
    const char *key;
    unsigned kinds;     /* bit k: the key applies to kind k of the section's type */
    const char *says;   /* "type = tpe" */
} dt_sweep__applies[] = {
    {DT_SWEEP__SAMPLER, "startup_trials", DT_SWEEP__K(DT_SAMPLER_TPE) | DT_SWEEP__K(DT_SAMPLER_AUTO), "type = tpe"},
    {DT_SWEEP__SAMPLER, "ei_candidates", DT_SWEEP__K(DT_SAMPLER_TPE) | DT_SWEEP__K(DT_SAMPLER_AUTO), "type = tpe"},
    {DT_SWEEP__SAMPLER, "multivariate", DT_SWEEP__K(DT_SAMPLER_TPE) | DT_SWEEP__K(DT_SAMPLER_AUTO), "type = tpe"},
    {DT_SWEEP__SAMPLER, "gamma", DT_SWEEP__K(DT_SAMPLER_TPE) | DT_SWEEP__K(DT_SAMPLER_AUTO), "type = tpe"},
    {DT_SWEEP__SAMPLER, "warm_start", DT_SWEEP__K(DT_SAMPLER_TPE) | DT_SWEEP__K(DT_SAMPLER_AUTO),
     "type = tpe (the other samplers learn from no trial)"},
    {DT_SWEEP__SAMPLER, "grid_points", DT_SWEEP__K(DT_SAMPLER_GRID) | DT_SWEEP__K(DT_SAMPLER_AUTO), "type = grid"},
    {DT_SWEEP__PRUNER, "startup_trials", DT_SWEEP__K(DT_PRUNER_MEDIAN) | DT_SWEEP__K(DT_PRUNER_PERCENTILE),
     "type = median or percentile"},
    {DT_SWEEP__PRUNER, "interval", DT_SWEEP__K(DT_PRUNER_MEDIAN) | DT_SWEEP__K(DT_PRUNER_PERCENTILE),
     "type = median or percentile"},
    {DT_SWEEP__PRUNER, "min_trials", DT_SWEEP__K(DT_PRUNER_MEDIAN) | DT_SWEEP__K(DT_PRUNER_PERCENTILE),
     "type = median or percentile"},
    {DT_SWEEP__PRUNER, "percentile", DT_SWEEP__K(DT_PRUNER_PERCENTILE), "type = percentile (median is the 50th)"},
    {DT_SWEEP__PRUNER, "min_resource", DT_SWEEP__K(DT_PRUNER_ASHA) | DT_SWEEP__K(DT_PRUNER_HYPERBAND),
     "type = asha or hyperband"},
    {DT_SWEEP__PRUNER, "reduction_factor", DT_SWEEP__K(DT_PRUNER_ASHA) | DT_SWEEP__K(DT_PRUNER_HYPERBAND),
     "type = asha or hyperband"},
    {DT_SWEEP__PRUNER, "min_early_stopping_rate", DT_SWEEP__K(DT_PRUNER_ASHA), "type = asha"},
    {DT_SWEEP__PRUNER, "wait", DT_SWEEP__K(DT_PRUNER_ASHA), "type = asha"},
    {DT_SWEEP__PRUNER, "brackets", DT_SWEEP__K(DT_PRUNER_HYPERBAND), "type = hyperband"},
    {DT_SWEEP__PRUNER, "lower", DT_SWEEP__K(DT_PRUNER_THRESHOLD), "type = threshold"},
    {DT_SWEEP__PRUNER, "upper", DT_SWEEP__K(DT_PRUNER_THRESHOLD), "type = threshold"},
    {DT_SWEEP__PRUNER, "min_delta", DT_SWEEP__K(DT_PRUNER_PATIENCE), "type = patience"},
    {DT_SWEEP__PRUNER, "warmup", ~DT_SWEEP__K(DT_PRUNER_NONE), "a pruner (type = none stops diverged trials only)"},
    {DT_SWEEP__PRUNER, "on", ~DT_SWEEP__K(DT_PRUNER_NONE), "a pruner (type = none stops diverged trials only)"},
    {DT_SWEEP__DARKNET, "command", DT_SWEEP__K(DT_RUNNER_EXEC), "runner = exec"},
    {DT_SWEEP__DARKNET, "eval_command", DT_SWEEP__K(DT_RUNNER_EXEC), "runner = exec"},
    {DT_SWEEP__DARKNET, "eval_images", DT_SWEEP__K(DT_RUNNER_LIBDARKNET), "runner = libdarknet"},
};

static int dt_sweep__check_applies(dt_sweep__ctx *c)
{
    const dt_sweep *sw = c->sw;
    /* patience runs its own rule and the one it wraps: keys of either apply. */
    unsigned pruners = DT_SWEEP__K(sw->pruner.kind) |
                       (sw->pruner.kind == DT_PRUNER_PATIENCE ? DT_SWEEP__K(sw->pruner.wrap) : 0);
    for (int i = 0; i < DT_SWEEP__COUNT(dt_sweep__applies); i++) {
        const struct dt_sweep__applies *a = &dt_sweep__applies[i];
        int line = dt_sweep_line(sw, dt_sweep__section_name(a->sec), a->key);
        if (!line) continue;
        unsigned have = a->sec == DT_SWEEP__SAMPLER ? DT_SWEEP__K(sw->sampler.kind)
                        : a->sec == DT_SWEEP__PRUNER ? pruners
                                                     : DT_SWEEP__K(sw->runner);
        if (have & a->kinds) continue;
        const char *now = a->sec == DT_SWEEP__SAMPLER ? dt_sampler_name(sw->sampler.kind)
                          : a->sec == DT_SWEEP__PRUNER ? dt_pruner_name(sw->pruner.kind)
                                                       : dt_runner_names[sw->runner];
        return dt_sweep__fail(c, line, "%s applies to %s; this sweep's %s is %s", a->key, a->says,
                              a->sec == DT_SWEEP__DARKNET ? "runner" : dt_sweep__section_name(a->sec), now);
    }
    /* A waiting trial is a stopped child holding what it trained: an exec runner's
     * supervisor would take the stopped program for a hung one, and on a GPU it would
     * keep its memory from the trial that runs in its place. */
    int wline = dt_sweep_line(sw, "pruner", "wait");
    if (sw->pruner.wait && sw->pruner.kind != DT_PRUNER_ASHA)   /* patience wrapping asha passes the table */
        return dt_sweep__fail(c, wline, "wait applies to type = asha; this sweep's pruner is %s",
                              dt_pruner_name(sw->pruner.kind));
    if (sw->pruner.wait && sw->runner == DT_RUNNER_EXEC)
        return dt_sweep__fail(c, wline, "wait pauses trials at a rung, which runner libdarknet (or table) does; "
                              "this sweep's runner is exec");
    if (sw->pruner.wait && sw->ngpus)
        return dt_sweep__fail(c, wline, "wait pauses trials at a rung, and a paused trial keeps its GPU memory; "
                              "trials wait on the CPU only: use gpus = none");
    return 0;
}

/* Makes *path absolute against the sweep's folder; key (of [darknet], or of section
 * sec) names it in the message when it is not a file darktune can read: absent, a
 * folder (a common slip: the data set's folder for its .data file), a device or a file
 * without read permission. */
static int dt_sweep__file_in(dt_sweep__ctx *c, int sec, const char *key, char **path)
{
    if (!*path) return 0;
    static const char *const keys[] = {"data", "cfg", "table", "weights", NULL};
    static const char *const whats[] = {"the .data file", "the base cfg", "the table file", "the weights file"};
    int k = dt_sweep__index(key, keys), line = dt_sweep_line(c->sw, dt_sweep__section_name(sec), key);
    char *abs = dt_path_join(c->sw->dir, *path);
    struct stat st;
    int rc = -1;
    if (stat(abs, &st) != 0 && errno == ENOENT)
        dt_sweep__fail(c, line, "%s file '%s' not found (looked for %s)", key, *path, abs);
    else if (stat(abs, &st) != 0)
        dt_sweep__fail(c, line, "%s file '%s' cannot be read (%s): %s", key, *path, abs, strerror(errno));
    else if (S_ISDIR(st.st_mode))
        dt_sweep__fail(c, line, "%s '%s' is a folder (%s); name %s in it", key, *path, abs,
                       k >= 0 ? whats[k] : "the file");
    else if (!S_ISREG(st.st_mode))
        dt_sweep__fail(c, line, "%s '%s' is not a regular file (%s)", key, *path, abs);
    else if (access(abs, R_OK) != 0)
        dt_sweep__fail(c, line, "%s file '%s' cannot be read (%s): %s", key, *path, abs, strerror(errno));
    else rc = 0;
    if (rc != 0) {
        free(abs);
        return -1;
    }
    free(*path);
    *path = abs;
    return 0;
}

static int dt_sweep__file(dt_sweep__ctx *c, const char *key, char **path)
{
    return dt_sweep__file_in(c, DT_SWEEP__DARKNET, key, path);
}

/* 1 when the cfg has a section called name. */
static int dt_sweep__has_section(const dt_cfg *cfg, const char *name)
{
    for (int i = 0; i < dt_cfg_nsections(cfg); i++)
        if (strcmp(dt_cfg_section(cfg, i), name) == 0) return 1;
    return 0;
}

/* data, cfg and weights exist; the base cfg reads as a Darknet cfg with a [net]. */
static int dt_sweep__check_files(dt_sweep__ctx *c)
{
    dt_sweep *sw = c->sw;
    if (dt_sweep__need(c, DT_SWEEP__DARKNET, "data", sw->data) < 0 ||
        dt_sweep__need(c, DT_SWEEP__DARKNET, "cfg", sw->cfg) < 0)
        return -1;
    if (dt_sweep__file(c, "data", &sw->data) < 0 || dt_sweep__file(c, "cfg", &sw->cfg) < 0 ||
        dt_sweep__file(c, "weights", &sw->weights) < 0)
        return -1;
    int line = dt_sweep_line(sw, "darknet", "cfg");
    dt_err e;
    if (dt_cfg_read(&c->cfg, sw->cfg, &e) < 0) return dt_sweep__fail(c, line, "%s", e.msg);
    if (!dt_sweep__has_section(c->cfg, "net") && !dt_sweep__has_section(c->cfg, "network"))
        return dt_sweep__fail(c, line, "the base cfg has no [net] section");
    return 0;
}

/* Checks one command template: known placeholders, {cfg} and {data} when needed,
 * a program that exists. *prog gets that program's path (caller frees). */
static int dt_sweep__check_command(dt_sweep__ctx *c, const char *key, const char *cmd, int needs_files,
                                   char **prog)
{
    int line = dt_sweep_line(c->sw, "darknet", key);
    int n = DT_PH_COUNT;
    for (const char *s = strchr(cmd, '{'); s; s = strchr(s, '{')) {
        const char *close = strchr(s, '}');
        if (!close) return dt_sweep__fail(c, line, "unclosed '{' in %s", key);
        char *name = dt_xstrdup(s + 1);
        name[close - s - 1] = '\0';
        int known = 0;
        for (int i = 0; i < n; i++) known |= strcmp(name, dt_placeholder_names[i]) == 0;
        const char *hint = known ? NULL : dt_sweep__near(name, dt_placeholder_names, n);
        if (!known && hint)
            dt_sweep__fail(c, line, "unknown placeholder {%s} in %s; did you mean {%s}?", name, key, hint);
        else if (!known) dt_sweep__fail(c, line, "unknown placeholder {%s} in %s (known: %s)", name, key,
                                        dt_placeholder_list);
        free(name);
        if (!known) return -1;
        s = close + 1;
    }
    if (needs_files && (!strstr(cmd, "{cfg}") || !strstr(cmd, "{data}")))
        return dt_sweep__fail(c, line, "%s must pass {cfg} and {data}, the trial's own copies", key);
    size_t len = strcspn(cmd, " \t");
    char *word = dt_xstrdup(cmd);
    word[len] = '\0';
    if (!len || strchr(word, '{')) {
        free(word);
        return dt_sweep__fail(c, line, "%s must start with a program, not a placeholder", key);
    }
    /* A relative path with a '/' means the sweep's folder, where the commands run. */
    char *path = strchr(word, '/') ? dt_path_join(c->sw->dir, word) : dt_xstrdup(word);
    *prog = dt_which(path);
    if (!*prog)
        dt_sweep__fail(c, line, "program '%s' not found%s", word,
                       strchr(word, '/') ? " (relative to the sweep's folder)" : " in PATH");
    free(path);
    free(word);
    return *prog ? 0 : -1;
}

/* runner = exec: the commands, their programs, and the fork when it is auto. */
static int dt_sweep__check_exec(dt_sweep__ctx *c)
{
    dt_sweep *sw = c->sw;
    char *prog = NULL, *eval_prog = NULL;
    int need = sw->runner == DT_RUNNER_EXEC ? dt_sweep__need(c, DT_SWEEP__DARKNET, "command", sw->command) : 0;
    if (need < 0) return -1;
    if (sw->command && dt_sweep__check_command(c, "command", sw->command, 1, &prog) < 0) return -1;
    if (sw->eval_command && dt_sweep__check_command(c, "eval_command", sw->eval_command, 0, &eval_prog) < 0) {
        free(prog);
        return -1;
    }
    if ((int)sw->fork == DT_SWEEP__FORK_AUTO) sw->fork = prog ? dt_fork_detect(prog) : DT_FORK_PJREDDIE;
    free(prog);
    free(eval_prog);
    return 0;
}

/* [sampler] warm_start: the journal is there (read when the study starts: dt_sched). */
static int dt_sweep__check_warm_start(dt_sweep__ctx *c)
{
    return dt_sweep__file_in(c, DT_SWEEP__SAMPLER, "warm_start", &c->sw->warm_start);
}

/* runner = table: the table file exists and loads (its own FILE:LINE in the message),
 * the metric is one it recorded, eval_interval is the table's (its default), and
 * each parameter it records has a value in every trial: from [space], the base
 * cfg or Darknet's defaults. */
static int dt_sweep__check_table(dt_sweep__ctx *c)
{
    dt_sweep *sw = c->sw;
    int line = dt_sweep_line(sw, "darknet", "table");
    if (sw->runner != DT_RUNNER_TABLE) {
        if (line) return dt_sweep__fail(c, line, "table applies to runner = table only");
        return 0;
    }
    if (dt_sweep__need(c, DT_SWEEP__DARKNET, "table", sw->table) < 0 || dt_sweep__file(c, "table", &sw->table) < 0)
        return -1;
    dt_table *t;
    dt_err e;
    if (dt_table_load(&t, sw->table, &e) != 0) return dt_sweep__fail(c, line, "bad table: %s", e.msg);
    int rc = 0, mline = dt_sweep_line(sw, "study", "metric");
    if (mline && sw->metric != DT_METRIC_TOP1 && sw->metric != DT_METRIC_LOSS)
        rc = dt_sweep__fail(c, mline, "runner table replays top-1 and loss; metric %s was not recorded",
                            dt_metric_name(sw->metric));
    int eline = dt_sweep_line(sw, "darknet", "eval_interval");
    if (rc == 0 && !eline) sw->eval_interval = dt_table_eval_interval(t);
    else if (rc == 0 && sw->eval_interval != dt_table_eval_interval(t))
        rc = dt_sweep__fail(c, eline, "eval_interval %ld differs from the table's %ld (runner table replays the "
                            "recorded evaluations)", sw->eval_interval, dt_table_eval_interval(t));
    for (int j = 0; j < dt_table_nparams(t) && rc == 0; j++) {
        const char *name = dt_table_param(t, j, NULL);
        int k = dt_space_find(&sw->space, name);
        /* A conditional parameter falls back to the base cfg when inactive. */
        if (k >= 0 && !sw->space.p[k].cond_key) continue;
        if (dt_cfg_get(c->cfg, "net", name, NULL) || dt_cfg_net_default(name)) continue;
        rc = dt_sweep__fail(c, line, "the table records '%s', which neither [space] nor the base cfg sets and "
                            "Darknet has no default for", name);
    }
    if (rc == 0) sw->table_data = t;   /* the study's runner context replays this one */
    else dt_table_free(t);
    return rc;
}

/* 1 when the cfg ends in a detection layer, so that the task can default to it. */
static int dt_sweep__is_detector(const dt_cfg *cfg)
{
    static const char *const heads[] = {"yolo", "region", "detection", "Gaussian_yolo", NULL};
    for (int i = 0; i < dt_cfg_nsections(cfg); i++)
        if (dt_sweep__index(dt_cfg_section(cfg, i), heads) >= 0) return 1;
    return 0;
}

/* ---- [study] objectives and choose. */

static const char *const dt_sweep__objective_words[] = {"top1", "top5", "map50", "loss", "ms", "bflops", NULL};

/* What a word of objectives or choose names: DT_OBJ_METRIC (with its dt_metric in
 * *metric), DT_OBJ_MS, DT_OBJ_BFLOPS; -1 none. */
static int dt_sweep__objective_word(const char *w, int *metric)
{
    if (strcmp(w, "ms") == 0) return DT_OBJ_MS;
    if (strcmp(w, "bflops") == 0) return DT_OBJ_BFLOPS;
    *metric = dt_sweep__index(w, dt_metric_names);
    return *metric >= 0 ? DT_OBJ_METRIC : -1;
}

/* s without its leading and trailing blanks, in place. */
static char *dt_sweep__trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

/* objectives = NAME[:DIRECTION], ...: one metric (what trials train to and the pruner
 * would read) and ms, bflops at most once each; a direction, when written, is the one
 * that name is better in (a slower network is never the goal). Sets sw->metric,
 * sw->maximize (the metric's) and sw->obj. */
static int dt_sweep__parse_objectives(dt_sweep__ctx *c, int line)
{
    dt_sweep *sw = c->sw;
    for (int k = 0; k < 2; k++) {
        const char *key = k ? "direction" : "metric";
        if (dt_sweep_line(sw, "study", key))
            return dt_sweep__fail(c, dt_sweep_line(sw, "study", key),
                                  "%s is named by objectives (line %d); leave %s out", key, line, key);
    }
    char *copy = dt_xstrdup(sw->objectives), *save = NULL;
    int metric_at = -1, rc = 0;
    sw->nobj = 0;
    for (char *item = strtok_r(copy, ",", &save); item && rc == 0; item = strtok_r(NULL, ",", &save)) {
        char *dir = strchr(item, ':');
        if (dir) *dir++ = 0;
        char *name = dt_sweep__trim(item);
        int metric = 0, what = dt_sweep__objective_word(name, &metric);
        if (what < 0) {
            const char *hint = dt_sweep__near(name, dt_sweep__objective_words, 6);
            rc = dt_sweep__fail(c, line, "objectives: '%s' is not one of top1, top5, map50, loss, ms, bflops%s%s%s",
                                name, hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            break;
        }
        for (int i = 0; i < sw->nobj && rc == 0; i++)
            if (sw->obj[i].what == what)
                rc = what == DT_OBJ_METRIC
                         ? dt_sweep__fail(c, line, "objectives names two metrics, %s and %s: a trial trains to one",
                                          dt_metric_name(sw->metric), name)
                         : dt_sweep__fail(c, line, "objectives names %s twice", name);
        if (rc) break;
        int better = what == DT_OBJ_METRIC && metric != DT_METRIC_LOSS;   /* accuracies grow; the rest shrink */
        if (dir) {
            dir = dt_sweep__trim(dir);
            int d = dt_sweep__index(dir, dt_sweep__directions);
            if (d < 0) {
                rc = dt_sweep__fail(c, line, "objectives: '%s:%s': the direction is maximize or minimize", name, dir);
                break;
            }
            if (d != better) {
                rc = dt_sweep__fail(c, line, "objectives: '%s:%s' does not fit %s (%s is better); write %s:%s", name,
                                    dir, name, better ? "higher" : "lower", name, dt_sweep__directions[better]);
                break;
            }
        }
        if (what == DT_OBJ_METRIC) {
            sw->metric = (dt_metric)metric;
            sw->maximize = better;
            metric_at = sw->nobj;
        }
        sw->obj[sw->nobj++] = (dt_objective){what, better};
    }
    free(copy);
    if (rc) return -1;
    if (!sw->nobj) return dt_sweep__fail(c, line, "objectives is empty; write e.g. map50:maximize, ms:minimize");
    if (metric_at < 0)
        return dt_sweep__fail(c, line, "objectives needs a metric (top1, top5, map50 or loss) beside %s: "
                              "trials are trained and judged by it", dt_sweep_objective_name(sw, 0));
    return 0;
}

/* choose = OBJ [where OBJ OP NUMBER [and OBJ OP NUMBER ...]]: the study's objectives only. */
static int dt_sweep__parse_choose(dt_sweep__ctx *c, int line)
{
    dt_sweep *sw = c->sw;
    const char *text = sw->choose_text;
    if (sw->nobj < 2)
        return dt_sweep__fail(c, line, "choose picks among the trade-offs of several objectives; this study has "
                              "one (write objectives = ..., or leave choose out: best.cfg is the best trial's)");
    /* Tokens: runs of comparison characters, and runs of anything else but blanks. */
    char tok[3 + 4 * DT_CHOOSE_MAX][64];
    int nt = 0;
    for (const char *p = text; *p;) {
        if (isspace((unsigned char)*p)) { p++; continue; }
        size_t n = strchr("<>=!", *p) ? strspn(p, "<>=!") : strcspn(p, " \t<>=!");
        if (nt == DT_SWEEP__COUNT(tok) || n >= sizeof tok[0])
            return dt_sweep__fail(c, line, "choose '%s' is too long: at most %d conditions", text, DT_CHOOSE_MAX);
        memcpy(tok[nt], p, n);
        tok[nt++][n] = 0;
        p += n;
    }
    dt_choose *ch = &sw->choose;
    memset(ch, 0, sizeof *ch);
    dt_buf names = {0};
    for (int i = 0; i < sw->nobj; i++) dt_buf_printf(&names, "%s%s", i ? ", " : "", dt_sweep_objective_name(sw, i));
    int rc = 0;
    for (int t = 0; t < nt && rc == 0; t++) {
        /* Token t's role: 0 the target, 1 "where", then (name, op, number) joined by "and". */
        int role = t == 0 ? 0 : t == 1 ? 1 : 2 + (t - 2) % 4;
        const char *w = tok[t];
        if (role == 0 || role == 2) {
            int m = 0, what = dt_sweep__objective_word(w, &m);
            int k = what < 0 || (what == DT_OBJ_METRIC && m != (int)sw->metric) ? -1
                                                                                : dt_sweep_objective_index(sw, what);
            if (k < 0) {
                rc = dt_sweep__fail(c, line, "choose '%s': '%s' is not one of the study's objectives (%s)", text, w,
                                    names.p);
                break;
            }
            if (role == 0) ch->target = k;
            else ch->cons[ch->ncons].obj = k;
        } else if (role == 1 && strcmp(w, "where") != 0) {
            rc = dt_sweep__fail(c, line, "choose '%s': expected 'where' after %s, not '%s'", text, tok[0], w);
        } else if (role == 3) {
            static const char *const ops[] = {"<=", "<", ">=", ">", NULL};
            int op = dt_sweep__index(w, ops);
            if (op < 0) rc = dt_sweep__fail(c, line, "choose '%s': '%s' is not a comparison; use <=, <, >= or >",
                                            text, w);
            else ch->cons[ch->ncons].op = (dt_choose_op)op;
        } else if (role == 4) {
            double x;
            if (dt_parse_double(w, &x) < 0 || !isfinite(x))
                rc = dt_sweep__fail(c, line, "choose '%s': '%s' is not a number", text, w);
            else ch->cons[ch->ncons++].bound = x;
        } else if (role == 5 && strcmp(w, "and") != 0) {
            rc = dt_sweep__fail(c, line, "choose '%s': expected 'and' between conditions, not '%s'", text, w);
        }
    }
    dt_buf_free(&names);
    if (rc) return -1;
    if (nt == 0) return dt_sweep__fail(c, line, "choose is empty; write e.g. map50 where ms <= 20");
    if (nt == 2 || (nt > 2 && (nt - 2) % 4 != 3))
        return dt_sweep__fail(c, line, "choose '%s' ends early; write e.g. map50 where ms <= 20", text);
    ch->set = 1;
    return 0;
}

/* A study of several objectives: what cannot take part in it, refused with the reason. */
static int dt_sweep__check_several(dt_sweep__ctx *c)
{
    dt_sweep *sw = c->sw;
    int cline = dt_sweep_line(sw, "study", "choose");
    if (cline && dt_sweep__parse_choose(c, cline) < 0) return -1;
    int oline = dt_sweep_line(sw, "study", "objectives");
    if (dt_sweep_objective_index(sw, DT_OBJ_MS) >= 0 && sw->runner == DT_RUNNER_TABLE)
        return dt_sweep__fail(c, oline, "objective ms times the trial's weights predicting, but runner table "
                              "replays recorded logs and has no weights; use bflops");
    /* bflops counts the cfg's layers as pjreddie's parser builds them; exec's weights are
     * timed by pjreddie's libdarknet, so a cfg it does not build would fail every trial
     * after its training. One walk of the cfg answers both. */
    int flops = dt_sweep_objective_index(sw, DT_OBJ_BFLOPS) >= 0,
        timed = dt_sweep_objective_index(sw, DT_OBJ_MS) >= 0 && sw->runner == DT_RUNNER_EXEC;
    double bflops;
    dt_err e;
    if ((flops || timed) && dt_flops_cfg(c->cfg, &bflops, &e) != 0)
        return flops ? dt_sweep__fail(c, oline, "objective bflops: %s", e.msg)
                     : dt_sweep__fail(c, oline, "objective ms with runner exec times the final weights with "
                                      "pjreddie's libdarknet, which cannot build this cfg: %s; use bflops", e.msg);
    if (sw->nobj < 2) return 0;
    if (sw->pruner.kind != DT_PRUNER_NONE)
        return dt_sweep__fail(c, dt_sweep__key_line(c, DT_SWEEP__PRUNER, "type"),
                              "pruner %s ranks trials by %s alone, but with several objectives a trial behind on it "
                              "may be on the front for its %s; use type = none (diverged trials are still stopped)",
                              dt_pruner_name(sw->pruner.kind), dt_metric_name(sw->metric),
                              dt_sweep_objective_name(sw, sw->obj[0].what == DT_OBJ_METRIC ? 1 : 0));
    if (sw->final_top > 0)
        return dt_sweep__fail(c, dt_sweep_line(sw, "final", "top"),
                              "[final] trains the best configurations again by %s alone; a study of several "
                              "objectives has a front instead (pareto.csv): leave [final] out",
                              dt_metric_name(sw->metric));
    if (sw->warm_start)
        return dt_sweep__fail(c, dt_sweep_line(sw, "sampler", "warm_start"),
                              "warm_start imports trials of one objective; a study of several cannot learn from them");
    return 0;
}

/* task, metric, direction, pruner `on` and max_batches: defaults and their combinations. */
static int dt_sweep__check_objective(dt_sweep__ctx *c)
{
    dt_sweep *sw = c->sw;
    if (!dt_sweep_line(sw, "darknet", "task"))
        sw->task = dt_sweep__is_detector(c->cfg) ? DT_TASK_DETECTOR : DT_TASK_CLASSIFIER;
    int detector = sw->task == DT_TASK_DETECTOR;
    int objline = dt_sweep_line(sw, "study", "objectives");
    if (objline && dt_sweep__parse_objectives(c, objline) < 0) return -1;
    int mline = objline ? objline : dt_sweep_line(sw, "study", "metric");
    if (!mline) sw->metric = detector ? DT_METRIC_MAP50 : DT_METRIC_TOP1;
    else if (detector && (sw->metric == DT_METRIC_TOP1 || sw->metric == DT_METRIC_TOP5))
        return dt_sweep__fail(c, mline, "metric %s does not apply to task detector; use map50 or loss",
                              dt_metric_name(sw->metric));
    else if (!detector && sw->metric == DT_METRIC_MAP50)
        return dt_sweep__fail(c, mline, "metric map50 does not apply to task classifier; use top1, top5 or loss");

    int higher = sw->metric != DT_METRIC_LOSS;   /* accuracies grow, losses shrink */
    int dline = dt_sweep_line(sw, "study", "direction");
    if (!dline) sw->maximize = higher;
    else if (sw->maximize != higher)
        return dt_sweep__fail(c, dline, "direction %s does not fit metric %s (%s is better)",
                              dt_sweep__directions[sw->maximize], dt_metric_name(sw->metric),
                              higher ? "higher" : "lower");
    if (!objline) {
        sw->nobj = 1;
        sw->obj[0] = (dt_objective){DT_OBJ_METRIC, sw->maximize};
    }

    /* A metric during training: periodic validation, or AlexeyAB/hank-ai detectors run with -map. */
    int periodic = sw->runner == DT_RUNNER_LIBDARKNET || sw->runner == DT_RUNNER_TABLE
                       ? sw->eval_interval > 0
                       : sw->fork != DT_FORK_PJREDDIE && detector && sw->command && strstr(sw->command, "-map");
    int oline = dt_sweep_line(sw, "pruner", "on");
    if (!oline) sw->pruner.on_loss = sw->metric == DT_METRIC_LOSS || !periodic;
    else if (!sw->pruner.on_loss && sw->metric != DT_METRIC_LOSS && !periodic && sw->pruner.kind != DT_PRUNER_NONE)
        return dt_sweep__fail(c, oline, "on = metric, but no metric is reported during training; set "
                              "eval_interval or use on = loss");

    /* The base cfg's max_batches, when it has one, is a number even where [darknet]
     * overrides it: schedule = scaled measures the base cfg's schedule against it. */
    int bline = 0;
    const char *v = dt_cfg_get(c->cfg, "net", "max_batches", &bline);
    sw->base_max_batches = 0;
    if (v) {
        const dt_net_range *g = dt_net_range_of("max_batches");
        double x;
        if (dt_parse_double(v, &x) != 0 || !isfinite(x))
            return dt_sweep__fail_in(c, sw->cfg, bline, "max_batches=%s is not a number", v);
        if (!dt_net_range_holds(g, x))
            return dt_sweep__fail_in(c, sw->cfg, bline, "max_batches=%s is out of range: it must be %s", v, g->says);
        sw->base_max_batches = (long)x;
    }
    v = dt_cfg_get(c->cfg, "net", "burn_in", NULL);
    if (!v || dt_parse_long(v, &sw->base_burn_in) < 0 || sw->base_burn_in < 0) sw->base_burn_in = 0;
    v = dt_cfg_get(c->cfg, "net", "power", NULL);
    if (!v || dt_parse_double(v, &sw->base_power) != 0) sw->base_power = 4;
    if (!dt_sweep_line(sw, "darknet", "max_batches")) {
        if (!sw->base_max_batches)
            return dt_sweep__fail(c, c->header[DT_SWEEP__DARKNET], "max_batches is set neither here nor in "
                                  "the base cfg's [net]");
        sw->max_batches = sw->base_max_batches;
    }
    return 0;
}

/* Finds a list named in the .data file: beside the .data first, then in the sweep's
 * folder (where the commands run), then in the current folder. Caller frees. */
char *dt_sweep_data_path(const dt_sweep *sw, const char *rel)
{
    char *ddir = dt_dirname(sw->data);
    const char *dirs[] = {ddir, sw->dir, "."};
    char *found = NULL;
    for (int i = 0; i < 3 && !found; i++) {
        char *p = dt_path_join(dirs[i], rel);
        if (dt_file_exists(p)) found = dt_abspath(p);
        free(p);
    }
    free(ddir);
    return found;
}

/* A whole number of the .data file at key (absent: 1 with *x untouched): not a
 * number, or below 1, is refused at the .data's line. */
static int dt_sweep__data_count(dt_sweep__ctx *c, const dt_cfg *d, const char *key, long *x)
{
    int dline;
    const char *v = dt_cfg_get(d, "", key, &dline);
    double f;
    if (!v) return 1;
    if (dt_parse_double(v, &f) != 0 || !isfinite(f))
        return dt_sweep__fail_in(c, c->sw->data, dline, "%s=%s is not a number", key, v);
    if (f < 1 || f != floor(f) || f > INT_MAX)
        return dt_sweep__fail_in(c, c->sw->data, dline, "%s=%s is out of range: it must be a whole number of at "
                                 "least 1", key, v);
    *x = (long)f;
    return 0;
}

/* The .data file's train list, and its valid list when a metric will be read, each
 * there and listing something; classes (every Darknet reads it: a classifier sizes
 * its truth with it, a detector's validation its counts) and top, whole numbers. */
static int dt_sweep__check_data(dt_sweep__ctx *c)
{
    dt_sweep *sw = c->sw;
    int line = dt_sweep_line(sw, "darknet", "data");
    dt_cfg *d;
    dt_err e;
    if (dt_cfg_read(&d, sw->data, &e) < 0) return dt_sweep__fail(c, line, "%s", e.msg);
    int eval = sw->metric != DT_METRIC_LOSS || sw->eval_interval > 0;
    /* In-process, darktune reads the images itself: a classifier needs the labels
     * too; a detector its classes (boxes come from the label files) and names. */
    int inproc = sw->runner == DT_RUNNER_LIBDARKNET, detector = sw->task == DT_TASK_DETECTOR;
    const char *names = detector && !dt_cfg_get(d, "", "names", NULL) ? "labels" : "names";
    const char *keys[] = {"train", eval ? "valid" : NULL, inproc ? (detector ? names : "labels") : NULL};
    int rc = 0;
    if (inproc && detector && !dt_cfg_get(d, "", "classes", NULL))
        rc = dt_sweep__fail(c, line, "runner libdarknet trains a detector on %s's 'classes', but it has none",
                            dt_basename(sw->data));
    for (int i = 0; i < 3 && rc == 0; i++) {
        if (!keys[i]) continue;
        int dline;
        const char *rel = dt_cfg_get(d, "", keys[i], &dline);
        char *found = rel ? dt_sweep_data_path(sw, rel) : NULL;
        if (!rel && i == 0)
            rc = dt_sweep__fail(c, line, "%s has no 'train' list", dt_basename(sw->data));
        else if (!rel && i == 1)
            rc = dt_sweep__fail(c, line, "metric %s needs a validation list, but %s has no 'valid'",
                                dt_metric_name(sw->metric), dt_basename(sw->data));
        else if (!rel)
            rc = dt_sweep__fail(c, line, "runner libdarknet needs the class names, but %s has no '%s'",
                                dt_basename(sw->data), detector ? "names" : "labels");
        else if (!found)
            rc = dt_sweep__fail(c, line, "cannot find '%s', the %s list of %s (line %d)", rel, keys[i],
                                dt_basename(sw->data), dline);
        else {
            /* An empty list trains on nothing: Darknet divides by its count. */
            int has = dt_list_has_entry(found, &e);
            if (has < 0) rc = dt_sweep__fail_in(c, sw->data, dline, "%s", e.msg);
            else if (!has)
                rc = dt_sweep__fail_in(c, sw->data, dline, "the %s list '%s' is empty: it names no %s", keys[i],
                                       rel, i < 2 ? "image" : "class");
        }
        free(found);
    }
    long classes = 0, top = 1;
    int has_classes = rc == 0 ? dt_sweep__data_count(c, d, "classes", &classes) : -1;
    if (has_classes == 1)
        rc = dt_sweep__fail(c, line, "%s has no 'classes' (how many classes the network tells apart)",
                            dt_basename(sw->data));
    else if (has_classes < 0) rc = -1;
    if (rc == 0 && dt_sweep__data_count(c, d, "top", &top) < 0) rc = -1;
    if (rc == 0 && top > classes) {
        int tline;
        dt_cfg_get(d, "", "top", &tline);
        rc = dt_sweep__fail_in(c, sw->data, tline, "top=%ld is more than classes=%ld: every image would count as "
                               "right", top, classes);
    }
    dt_cfg_free(d);
    return rc;
}

/* How many texts of a parameter the checks look at: its fixed text, each choice,
 * or the two bounds of a numeric range. */
static int dt_sweep__ntexts(const dt_param *p)
{
    return p->kind == DT_FIXED || p->kind == DT_CHOICE ? p->nchoices : 2;
}

/* The i-th of those texts (i < dt_sweep__ntexts(p)), into buf. */
static void dt_sweep__text(const dt_param *p, int i, char *buf, size_t n)
{
    if (p->kind == DT_FIXED || p->kind == DT_CHOICE) snprintf(buf, n, "%s", p->choices[i]);
    else snprintf(buf, n, "%.17g", i ? p->high : p->low);
}

/* One [space] parameter against Darknet: a field the fork reads, inside its range,
 * and, for policy, a policy the fork knows. */
static int dt_sweep__check_param(dt_sweep__ctx *c, const dt_param *p)
{
    int fork = c->sw->fork;
    if (strcmp(p->name, "max_batches") == 0)
        return dt_sweep__fail(c, p->line, "max_batches is set in [darknet] (the budget of each trial), "
                              "not in [space]");
    if (!dt_cfg_net_key_known(fork, p->name)) {
        const char *const *keys;
        int n = dt_cfg_net_keys(fork, &keys);
        const char *hint = dt_sweep__near(p->name, keys, n);
        if (hint)
            return dt_sweep__fail(c, p->line, "'%s' is not a [net] field Darknet reads; did you mean '%s'?",
                                  p->name, hint);
        if (fork == DT_FORK_PJREDDIE && dt_cfg_net_key_known(DT_FORK_ALEXEYAB, p->name))
            return dt_sweep__fail(c, p->line, "'%s' is not a [net] field %s reads (only AlexeyAB's and "
                                  "hank-ai's do)", p->name, dt_fork_words(fork));
        return dt_sweep__fail(c, p->line, "'%s' is not a [net] field %s reads", p->name,
                              dt_fork_words(fork));
    }
    char text[DT_TEXT];
    /* same(NAME) is NAME's value: checked as NAME (both are whole sizes, or both rates). */
    const dt_net_range *g = dt_param_is_same(p) ? NULL : dt_net_range_of(p->name);
    if (g && g->whole && (p->kind == DT_UNIFORM || p->kind == DT_LOG))
        return dt_sweep__fail(c, p->line, "%s takes whole numbers; use int(), logint() or choice()", p->name);
    for (int i = 0; g && i < dt_sweep__ntexts(p); i++) {
        double x;
        dt_sweep__text(p, i, text, sizeof text);
        if (dt_parse_double(text, &x) < 0 || !isfinite(x))
            return dt_sweep__fail(c, p->line, "%s '%s' is not a number", p->name, text);
        if (!dt_net_range_holds(g, x))
            return dt_sweep__fail(c, p->line, "%s %s is out of range: it must be %s", p->name, text, g->says);
    }
    if (strcmp(p->name, "policy") != 0) return 0;
    for (int i = 0; i < dt_sweep__ntexts(p); i++) {
        dt_sweep__text(p, i, text, sizeof text);
        if (dt_cfg_policy_known(fork, text)) continue;
        const char *const *names;
        int n = dt_cfg_policies(fork, &names);   /* before names is read: argument order is unspecified */
        dt_buf list = {0};
        dt_sweep__join(&list, names, n, ", ");
        dt_sweep__fail(c, p->line, "policy '%s' is not supported by %s; it knows %s", text,
                       dt_fork_words(fork), list.p);
        dt_buf_free(&list);
        return -1;
    }
    return 0;
}

/* Every whole value an integer field (batch, subdivisions) can take: from the space,
 * plus the base cfg's (or Darknet's default 1) when the space leaves it unset in some
 * trials. *line and *file say where to point. Caller frees *vals. */
static int dt_sweep__whole_values(dt_sweep__ctx *c, const char *name, long **vals, int *line, const char **file)
{
    const dt_space *s = &c->sw->space;
    int j = dt_space_find(s, name), n = 0;
    long cap = 1 << 20;   /* more values than that: some trial's batch will not divide anyway */
    *vals = dt_xmalloc(sizeof **vals);
    *line = 0;
    *file = c->sw->path;
    if (j >= 0) {
        const dt_param *p = &s->p[j];
        *line = p->line;
        if (p->kind == DT_INT || p->kind == DT_LOGINT) {
            double step = p->kind == DT_INT && p->step > 0 ? p->step : 1;
            for (double x = p->low; x <= p->high && n < cap; x += step) {
                *vals = dt_xrealloc(*vals, (size_t)(n + 1) * sizeof **vals);
                (*vals)[n++] = (long)x;
            }
        } else {
            char text[DT_TEXT];
            for (int i = 0; i < dt_sweep__ntexts(p); i++) {
                double x;
                dt_sweep__text(p, i, text, sizeof text);
                if (dt_parse_double(text, &x) < 0) continue;   /* refused by the range check already */
                *vals = dt_xrealloc(*vals, (size_t)(n + 1) * sizeof **vals);
                (*vals)[n++] = (long)x;
            }
        }
        if (!p->cond_key) return n;
    }
    int cline = 0;
    const char *v = dt_cfg_get(c->cfg, "net", name, &cline);
    long x = 1;
    if (v && dt_parse_long(v, &x) < 0) x = 1;
    if (!*line) {
        *line = cline;
        *file = c->sw->cfg;
    }
    *vals = dt_xrealloc(*vals, (size_t)(n + 1) * sizeof **vals);
    (*vals)[n++] = x;
    return n;
}

/* Every batch a trial can get must split evenly into every subdivisions it can get. */
static int dt_sweep__check_batch(dt_sweep__ctx *c)
{
    long *b, *s;
    int bline, sline;
    const char *bfile, *sfile;
    int nb = dt_sweep__whole_values(c, "batch", &b, &bline, &bfile);
    int ns = dt_sweep__whole_values(c, "subdivisions", &s, &sline, &sfile);
    int rc = 0;
    for (int i = 0; i < nb && rc == 0; i++)
        for (int k = 0; k < ns && rc == 0; k++)
            if (s[k] > 0 && b[i] % s[k] != 0) {
                /* Blame the tuned one: subdivisions when it is in the space, else batch. */
                int in_space = dt_space_find(&c->sw->space, "subdivisions") >= 0;
                rc = dt_sweep__fail_in(c, in_space ? sfile : bfile, in_space ? sline : bline,
                                       "batch %ld is not divisible by subdivisions %ld", b[i], s[k]);
            }
    free(b);
    free(s);
    return rc;
}

/* A YOLO detector's input shrinks by 32 on its way to the coarsest grid (five stride-2
 * steps): a width or height the space gives it must be a multiple of 32, or the grids
 * of its [yolo] layers and the routes between them stop lining up. */
static int dt_sweep__check_size(dt_sweep__ctx *c)
{
    if (c->sw->task != DT_TASK_DETECTOR) return 0;
    static const char *const dims[] = {"width", "height"};
    for (int d = 0; d < 2; d++) {
        if (dt_space_find(&c->sw->space, dims[d]) < 0) continue;
        long *v;
        int line;
        const char *file;
        int n = dt_sweep__whole_values(c, dims[d], &v, &line, &file), rc = 0;
        for (int i = 0; i < n && rc == 0; i++)
            if (v[i] % 32 != 0)
                rc = dt_sweep__fail_in(c, file, line, "%s %ld is not a multiple of 32: a detector's input is "
                                       "downsampled 32 times to its coarsest grid (try %ld or %ld)", dims[d], v[i],
                                       v[i] / 32 * 32 > 0 ? v[i] / 32 * 32 : 32, (v[i] / 32 + 1) * 32);
        free(v);
        if (rc) return -1;
    }
    return 0;
}

/* Where a [net] field's possible texts come from: the space, else the base cfg. */
typedef struct dt_sweep__source {
    const dt_param *p;   /* in the space, or NULL */
    const char *text;    /* the base cfg's value when p is NULL (NULL: absent) */
    const char *file;
    int line;
} dt_sweep__source;

/* The source of field name. */
static dt_sweep__source dt_sweep__source_of(dt_sweep__ctx *c, const char *name)
{
    dt_sweep__source src = {NULL, NULL, c->sw->path, 0};
    int j = dt_space_find(&c->sw->space, name);
    if (j >= 0) {
        src.p = &c->sw->space.p[j];
        src.line = src.p->line;
    } else {
        src.text = dt_cfg_get(c->cfg, "net", name, &src.line);
        src.file = c->sw->cfg;
    }
    return src;
}

/* How many texts a source can give (0: the field is set nowhere). */
static int dt_sweep__source_n(const dt_sweep__source *src)
{
    return src->p ? dt_sweep__ntexts(src->p) : src->text != NULL;
}

/* The i-th text of a source, into buf. */
static void dt_sweep__source_text(const dt_sweep__source *src, int i, char *buf, size_t n)
{
    if (src->p) dt_sweep__text(src->p, i, buf, n);
    else snprintf(buf, n, "%s", src->text);
}

/* When a trial can run policy steps: its steps fit in max_batches and there are as
 * many scales as steps (Darknet reads past the shorter list otherwise). */
static int dt_sweep__check_steps(dt_sweep__ctx *c)
{
    char text[DT_TEXT], out[1024];
    dt_sweep__source pol = dt_sweep__source_of(c, "policy");
    int steps_possible = 0;
    for (int i = 0; i < dt_sweep__source_n(&pol); i++) {
        dt_sweep__source_text(&pol, i, text, sizeof text);
        steps_possible |= strcmp(text, "steps") == 0;
    }
    if (!steps_possible) return 0;
    dt_sweep__source st = dt_sweep__source_of(c, "steps"), sc = dt_sweep__source_of(c, "scales");
    if (!dt_sweep__source_n(&st) || !dt_sweep__source_n(&sc))
        return dt_sweep__fail_in(c, pol.file, pol.line, "policy steps needs steps and scales (in [space] or the "
                                 "base cfg)");
    int nsteps = -1;
    for (int i = 0; i < dt_sweep__source_n(&st); i++) {
        dt_err e;
        dt_sweep__source_text(&st, i, text, sizeof text);
        /* The base cfg's steps count its own iterations; scaled, they shrink with the trial. */
        long limit = c->sw->max_batches;
        if (!st.p && dt_sweep_schedule_scale(c->sw) < 1) limit = c->sw->base_max_batches;
        if (dt_cfg_steps_to_iterations(text, limit, out, sizeof out, &e) < 0)
            return dt_sweep__fail_in(c, st.file, st.line, "%s%s", e.msg,
                                     st.p ? " (steps in [space] count the trial's iterations; fractions such "
                                            "as 0.8, 0.9 follow max_batches)"
                                          : " (with schedule = scaled in [darknet], the base cfg's steps "
                                            "shrink with the trial)");
        int n = 1;
        for (const char *t = text; *t; t++) n += *t == ',';
        if (nsteps >= 0 && n != nsteps)
            return dt_sweep__fail_in(c, st.file, st.line, "steps choices have different counts (%d and %d)",
                                     nsteps, n);
        nsteps = n;
    }
    for (int i = 0; i < dt_sweep__source_n(&sc); i++) {
        dt_sweep__source_text(&sc, i, text, sizeof text);
        int n = 1;
        for (const char *t = text; *t; t++) n += *t == ',';
        if (n == nsteps) continue;
        if (st.p && !sc.p)   /* blame the tuned one, and say where the scales come from */
            return dt_sweep__fail_in(c, st.file, st.line, "steps has %d value%s but scales has %d (%s:%d)",
                                     nsteps, nsteps == 1 ? "" : "s", n, sc.file, sc.line);
        return dt_sweep__fail_in(c, sc.file, sc.line, "steps has %d value%s but scales has %d", nsteps,
                                 nsteps == 1 ? "" : "s", n);
    }
    return 0;
}

/* [space] against the fork and the base cfg, then its conditions resolved. */
static int dt_sweep__check_space(dt_sweep__ctx *c)
{
    dt_space *s = &c->sw->space;
    for (int i = 0; i < s->n; i++)
        if (dt_sweep__check_param(c, &s->p[i]) < 0) return -1;
    /* A base cfg policy nobody tunes must still be one the fork knows. */
    dt_sweep__source pol = dt_sweep__source_of(c, "policy");
    if (!pol.p && pol.text && !dt_cfg_policy_known(c->sw->fork, pol.text))
        return dt_sweep__fail_in(c, pol.file, pol.line, "policy '%s' is not supported by %s", pol.text,
                                 dt_fork_words(c->sw->fork));
    for (int i = 0; i < c->nconds; i++) {
        const char *key = c->conds[i].key;
        if (dt_space_find(s, key) >= 0) continue;
        const char **names = dt_xmalloc((size_t)(s->n + 1) * sizeof *names);
        for (int k = 0; k < s->n; k++) names[k] = s->p[k].name;
        const char *hint = dt_sweep__near(key, names, s->n);
        if (hint)
            dt_sweep__fail(c, c->conds[i].line,
                           "[%s] depends on '%s', which is not in [space]; did you mean '%s'?",
                           c->conds[i].section, key, hint);
        else
            dt_sweep__fail(c, c->conds[i].line, "[%s] depends on '%s', which is not in [space]",
                           c->conds[i].section, key);
        free(names);
        return -1;
    }
    dt_err e;
    if (dt_space_resolve(s, &e) < 0) {
        return dt_sweep__fail(c, e.line, "%s", e.msg);
    }
    for (int i = 0; i < s->n; i++) {   /* same(NAME): NAME's values must fit this field too */
        int j = dt_space_tie(s, i);
        const dt_net_range *g = j >= 0 ? dt_net_range_of(s->p[i].name) : NULL;
        char text[DT_TEXT];
        double x;
        for (int k = 0; g && k < dt_sweep__ntexts(&s->p[j]); k++) {
            dt_sweep__text(&s->p[j], k, text, sizeof text);
            if (dt_parse_double(text, &x) < 0 || !dt_net_range_holds(g, x))
                return dt_sweep__fail(c, s->p[i].line, "%s = %s: %s %s is out of range for %s: it must be %s",
                                      s->p[i].name, s->p[i].choices[0], s->p[j].name, text, s->p[i].name, g->says);
        }
    }
    if (dt_sweep__check_batch(c) < 0 || dt_sweep__check_steps(c) < 0 || dt_sweep__check_size(c) < 0) return -1;
    return 0;
}

/* What the study will do must be possible and bounded before anything is stored:
 * something to tune, iteration settings within a trial, a grid that fits in memory,
 * a base cfg whose numbers are numbers. */
static int dt_sweep__check_limits(dt_sweep__ctx *c)
{
    dt_sweep *sw = c->sw;
    if (!sw->space.n)
        return dt_sweep__fail(c, c->header[DT_SWEEP__SPACE] ? c->header[DT_SWEEP__SPACE] : 0,
                              "%s: nothing to tune; list [net] fields and their values there, e.g. "
                              "learning_rate = log(1e-4, 0.1)",
                              c->header[DT_SWEEP__SPACE] ? "[space] is empty" : "no [space] section");
    static const struct { int sec; const char *key; } iters[] = {
        {DT_SWEEP__DARKNET, "eval_interval"}, {DT_SWEEP__PRUNER, "warmup"}, {DT_SWEEP__PRUNER, "min_resource"},
        {DT_SWEEP__PRUNER, "patience"}, {DT_SWEEP__PRUNER, "interval"},
    };
    const long vals[] = {sw->eval_interval, sw->pruner.warmup, sw->pruner.min_resource, sw->pruner.patience,
                         sw->pruner.interval};
    for (int i = 0; i < DT_SWEEP__COUNT(iters); i++) {
        int line = dt_sweep_line(sw, dt_sweep__section_name(iters[i].sec), iters[i].key);
        if (line && vals[i] > sw->max_batches)
            return dt_sweep__fail(c, line, "%s %ld is beyond max_batches %ld: no trial gets that far", iters[i].key,
                                  vals[i], sw->max_batches);
    }
    /* A replay stops where the recording did: more iterations would be a shorter
     * trial than the sweep says, compared with real ones as if whole. */
    long recorded = sw->table_data ? dt_table_iterations(sw->table_data) : 0;
    if (sw->runner == DT_RUNNER_TABLE && recorded > 0 && sw->max_batches > recorded) {
        int line = dt_sweep_line(sw, "darknet", "max_batches");
        const char *file = sw->path;
        if (!line) dt_cfg_get(c->cfg, "net", "max_batches", &line), file = sw->cfg;
        return dt_sweep__fail_in(c, file, line, "max_batches %ld is beyond the table's %ld recorded iterations: "
                                 "runner table cannot replay more (set max_batches = %ld or less)",
                                 sw->max_batches, recorded, recorded);
    }
    if (sw->sampler.kind == DT_SAMPLER_GRID) {
        dt_value *rows = NULL;
        long n = 0;
        dt_err e;
        int points = sw->sampler.grid_points > 0 ? sw->sampler.grid_points : DT_SAMPLER_GRID_POINTS;
        if (dt_space_grid(&sw->space, points, DT_SAMPLER_GRID_MAX, &rows, &n, &e) != 0) {
            int line = dt_sweep_line(sw, "sampler", "grid_points");
            return dt_sweep__fail(c, line ? line : dt_sweep__key_line(c, DT_SWEEP__SAMPLER, "type"),
                                  "%s; lower grid_points or use type = random", e.msg);
        }
        free(rows);
    }
    int nsec = dt_cfg_nsections(c->cfg);
    for (int i = 0; i < nsec; i++) {
        const char *name = dt_cfg_section(c->cfg, i);
        if (strcmp(name, "net") != 0 && strcmp(name, "network") != 0) continue;
        const char *const *keys, *const *v;
        const int *lines;
        int nk = dt_cfg_keys(c->cfg, i, &keys, &v, &lines);
        for (int k = 0; k < nk; k++) {
            double x;
            if (!dt_net_numeric(keys[k]) || !dt_cfg_net_key_known(sw->fork, keys[k])) continue;
            if (dt_parse_double(v[k], &x) != 0 || !isfinite(x))
                return dt_sweep__fail_in(c, sw->cfg, lines[k], "%s=%s is not a number", keys[k], v[k]);
            /* The base cfg's own values reach every trial the space leaves them in: the
             * same ranges as [space] (batch=0 would divide by zero in every trial). */
            const dt_net_range *g = dt_net_range_of(keys[k]);
            if (g && !dt_net_range_holds(g, x))
                return dt_sweep__fail_in(c, sw->cfg, lines[k], "%s=%s is out of range: it must be %s", keys[k], v[k],
                                         g->says);
        }
        break;
    }
    return 0;
}

/* ---- The checks in order: each relies on what the earlier ones settled. */

int dt_sweep__check(dt_sweep__ctx *c)
{
    return dt_sweep__check_study(c) < 0 || dt_sweep__check_files(c) < 0 || dt_sweep__check_available(c) < 0 ||
                   dt_sweep__check_applies(c) < 0 ||
                   dt_sweep__check_exec(c) < 0 || dt_sweep__check_table(c) < 0 || dt_sweep__check_warm_start(c) < 0 ||
                   dt_sweep__check_objective(c) < 0 || dt_sweep__check_several(c) < 0 || dt_sweep__check_data(c) < 0 ||
                   dt_sweep__check_space(c) < 0 || dt_sweep__check_limits(c) < 0
               ? -1
               : 0;
}

/* [sampler] type = auto, following the practitioners' rules of thumb that
 * ../shared/TUNING-GUIDE.md collects (in our words):
 * - a grid only pays when it is small: one or two parameters, or every tuned parameter
 *   discrete (choices, integers: the grid is the space itself), and the whole grid
 *   fits in the budget; past about a hundred configurations random covers more;
 * - a model of the results needs data: under about 20 trials, random;
 * - otherwise TPE (it helps most with many parameters, and beats random on fewer).
 * The budget counts the trials the sampler fills: the baseline takes one. */
void dt_sweep_resolve_sampler(dt_sweep *sw)
{
    if (sw->sampler.kind != DT_SAMPLER_AUTO && !sw->sampler_auto) return;
    sw->sampler_auto = 1;
    int tuned = dt_space_tuned(&sw->space), discrete = 1;
    for (int i = 0; i < sw->space.n; i++) {
        dt_kind k = sw->space.p[i].kind;
        if (k == DT_UNIFORM || k == DT_LOG) discrete = 0;
    }
    long budget = (long)sw->trials - (sw->baseline ? 1 : 0), rows = 0;
    const char *s = tuned == 1 ? "" : "s";
    dt_value *grid = NULL;
    dt_err e;
    if (budget >= 1 && (discrete || tuned <= 2) &&
        dt_space_grid(&sw->space, sw->sampler.grid_points, budget < 100000 ? budget : 100000, &grid, &rows, &e) == 0) {
        free(grid);
        sw->sampler.kind = DT_SAMPLER_GRID;
        snprintf(sw->sampler_why, sizeof sw->sampler_why,
                 "%d parameter%s, a grid of %ld fits in %ld trials: try every configuration", tuned, s, rows,
                 budget);
    } else if (sw->trials < 20) {
        sw->sampler.kind = DT_SAMPLER_RANDOM;
        snprintf(sw->sampler_why, sizeof sw->sampler_why,
                 "%d parameter%s, %d trials: a model does not pay off under ~20 trials", tuned, s, sw->trials);
    } else {
        sw->sampler.kind = DT_SAMPLER_TPE;
        snprintf(sw->sampler_why, sizeof sw->sampler_why,
                 "%d parameter%s, %d trials: a model pays off past ~20 trials", tuned, s, sw->trials);
    }
}
