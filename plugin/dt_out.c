/* dt_out: trial cfgs and .data files, trials.csv, best.cfg, report.txt, all derived
 * from the base cfg and .data as read once per study (dt_out_base). */
#include "dt_out.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dt_flags.h"
#include "dt_front.h"

/* The policy a set of values trains: the space's, else the base cfg's (NULL: constant). */
static const char *dt_out__policy(const dt_sweep *sw, const dt_value *vals, const dt_cfg *base)
{
    for (int i = 0; i < sw->space.n; i++)
        if (vals[i].active && strcmp(sw->space.p[i].name, "policy") == 0) return vals[i].text;
    return dt_cfg_get(base, "net", "policy", NULL);
}

/* The base cfg's values at a trial's length: its schedule keys scaled by f (1: as is). */
static int dt_out__baseline(const dt_sweep *sw, const dt_cfg *base, double f, dt_value *vals, dt_err *err)
{
    for (int i = 0; i < sw->space.n; i++) {
        const dt_param *p = &sw->space.p[i];
        const char *text = p->kind == DT_FIXED ? p->choices[0] : dt_cfg_get(base, "net", p->name, NULL);
        if (!text) text = dt_cfg_net_default(p->name);   /* Darknet's own, where the cfg is silent */
        memset(&vals[i], 0, sizeof vals[i]);
        if (text) dt_value_text(p, text, &vals[i]);
        vals[i].active = text != NULL;
    }
    /* A parameter the base cfg leaves out and Darknet has no default for stays
     * unwritten; conditions then follow the base cfg's own policy. */
    int *had = dt_xcalloc((size_t)sw->space.n + 1, sizeof *had);
    for (int i = 0; i < sw->space.n; i++) had[i] = vals[i].active;
    dt_space_activate(&sw->space, vals);
    for (int i = 0; i < sw->space.n; i++) vals[i].active &= had[i];
    free(had);
    /* The base cfg's own schedule values shrink with the trial, as the keys left to
     * the base cfg do in dt_out__cfg; the sweep's fixed values are the trial's already. */
    const char *policy = dt_out__policy(sw, vals, base);
    for (int i = 0; i < sw->space.n && f != 1; i++) {
        const dt_param *p = &sw->space.p[i];
        char out[DT_TEXT];
        if (!vals[i].active || p->kind == DT_FIXED) continue;
        int rc = dt_cfg_schedule_scale(p->name, vals[i].text, policy, f, out, sizeof out);
        if (rc < 0) return dt_errf(err, "%s: %s = %s cannot be scaled to the trial's length", sw->cfg, p->name,
                                   vals[i].text);
        if (rc == 1) dt_value_text(p, out, &vals[i]);
    }
    return 0;
}

int dt_out_baseline_values(const dt_sweep *sw, const dt_cfg *base, dt_value *vals, dt_err *err)
{
    return dt_out__baseline(sw, base, dt_sweep_schedule_scale(sw), vals, err);
}

/* Writes one [net] value, turning step fractions into iterations of max_batches. */
static int dt_out__set(dt_cfg *c, const char *key, const char *text, long max_batches, dt_err *err)
{
    char its[DT_TEXT * 2];
    if (strcmp(key, "steps") == 0 || strcmp(key, "step") == 0) {
        dt_err e;
        if (dt_cfg_steps_to_iterations(text, max_batches, its, sizeof its, &e) != 0)
            return dt_errf(err, "%s = %s: %s", key, text, e.msg);
        text = its;
    }
    dt_cfg_set(c, "net", key, text);
    return 0;
}

/* c's [net] width or height, 0 when absent or no number. */
static long dt_out__dim(const dt_cfg *c, const char *key)
{
    const char *v = dt_cfg_get(c, "net", key, NULL);
    long x;
    return v && dt_parse_long(v, &x) == 0 && x > 0 ? x : 0;
}

/* The cfg of values for max_batches iterations: the sweep's values scaled by fv (the
 * base cfg's own, for the baseline, by 1), the schedule keys the sweep leaves to the
 * base cfg by fb; a detector's [yolo] anchors (input pixels) scaled with a width or
 * height the values change, as Darknet users otherwise forget to. note (may be NULL)
 * gets what fb changed, anchors (may be NULL) what the anchors' scaling did. */
static int dt_out__cfg(const dt_sweep *sw, dt_cfg *c, const dt_value *vals, int baseline, long max_batches,
                       double fv, double fb, dt_buf *note, dt_buf *anchors, dt_err *err)
{
    long bw = dt_out__dim(c, "width"), bh = dt_out__dim(c, "height");
    char mb[32];
    snprintf(mb, sizeof mb, "%ld", max_batches);
    if (dt_cfg_set(c, "net", "max_batches", mb) != 0) return dt_errf(err, "'%s' has no [net] section", sw->cfg);
    const char *pol = dt_out__policy(sw, vals, c);
    char *policy = pol ? dt_xstrdup(pol) : NULL;
    const char **skip = dt_xcalloc((size_t)sw->space.n + 1, sizeof *skip);
    int rc = 0;
    for (int i = 0; i < sw->space.n && rc == 0; i++) {
        const dt_param *p = &sw->space.p[i];
        skip[i] = p->name;
        if (!vals[i].active) continue;
        double f = baseline && p->kind != DT_FIXED ? 1 : fv;
        char scaled[DT_TEXT];
        const char *text = vals[i].text;
        int tie = dt_space_tie(&sw->space, i);
        if (tie >= 0 && !vals[tie].active) continue;   /* nothing to follow: the base cfg's value stays */
        if (tie >= 0) text = vals[tie].text;
        if (f != 1 && dt_cfg_schedule_scale(p->name, text, policy, f, scaled, sizeof scaled) == 1) text = scaled;
        rc = dt_out__set(c, p->name, text, max_batches, err);
    }
    if (rc == 0) dt_cfg_scale_schedule(c, fb, skip, note);
    long nw = dt_out__dim(c, "width"), nh = dt_out__dim(c, "height");
    if (rc == 0 && bw && bh && nw && nh && (nw != bw || nh != bh)) {
        dt_buf a = {0};
        rc = dt_cfg_scale_anchors(c, (int)bw, (int)bh, (int)nw, (int)nh, &a, err) < 0 ? -1 : 0;
        if (rc == 0 && anchors && a.len) dt_buf_printf(anchors, "%s", a.p);
        dt_buf_free(&a);
    }
    free(skip);
    free(policy);
    if (rc == 0) dt_cfg_drop_policy_keys(c, (int)sw->fork);
    return rc;
}

int dt_out_trial_cfg(const dt_sweep *sw, const dt_cfg *base, const dt_value *vals, dt_cfg **out, dt_buf *notes,
                     dt_err *err)
{
    *out = NULL;
    dt_cfg *c = dt_cfg_dup(base);
    double f = dt_sweep_schedule_scale(sw);
    dt_buf note = {0}, anchors = {0};
    if (dt_out__cfg(sw, c, vals, 0, sw->max_batches, 1, f, &note, &anchors, err) != 0) {
        dt_buf_free(&note);
        dt_buf_free(&anchors);
        dt_cfg_free(c);
        return -1;
    }
    if (anchors.len) {
        char *line = dt_xasprintf(" darktune: %s", anchors.p);
        dt_cfg_prepend_comment(c, line);
        free(line);
        if (notes) dt_buf_printf(notes, "%s\n", anchors.p);
    }
    dt_buf_free(&anchors);
    if (note.len) {
        char *line = dt_xasprintf(" darktune: the base cfg's schedule scaled to this trial's %ld of its %ld "
                                  "iterations: %s", sw->max_batches, sw->base_max_batches, note.p);
        dt_cfg_prepend_comment(c, line);
        free(line);
    }
    dt_buf_free(&note);
    dt_cfg_unix_eol(c);   /* a base cfg saved on Windows is one Darknet reads too */
    *out = c;
    return 0;
}

int dt_out_deploy_cfg(const dt_sweep *sw, const dt_cfg *base, const dt_trial *t, dt_cfg **out, dt_err *err)
{
    *out = NULL;
    dt_cfg *c = dt_cfg_dup(base);
    /* Deployable: the full training length of the base cfg, not the trial's budget. */
    long mb = sw->base_max_batches ? sw->base_max_batches : sw->max_batches;
    double f = dt_sweep_schedule_scale(sw);
    dt_value *vals = t->values;
    if (t->baseline) {
        /* The baseline ran the base cfg's schedule scaled: deploy the base cfg's own. */
        vals = dt_xcalloc((size_t)sw->space.n + 1, sizeof *vals);
        if (dt_out__baseline(sw, c, 1, vals, err) != 0) {
            free(vals);
            dt_cfg_free(c);
            return -1;
        }
    }
    dt_buf anchors = {0};
    int rc = dt_out__cfg(sw, c, vals, t->baseline, mb, 1 / f, 1, NULL, &anchors, err);
    if (rc == 0 && anchors.len) {
        char *line = dt_xasprintf(" %s", anchors.p);
        dt_cfg_prepend_comment(c, line);
        free(line);
    }
    dt_buf_free(&anchors);
    if (vals != t->values) free(vals);
    if (rc != 0) {
        dt_cfg_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void dt_out_schedule_note(const dt_sweep *sw, const dt_cfg *base, dt_buf *note)
{
    dt_cfg *c = dt_cfg_dup(base);
    const char **skip = dt_xcalloc((size_t)sw->space.n + 1, sizeof *skip);
    for (int i = 0; i < sw->space.n; i++) skip[i] = sw->space.p[i].name;
    dt_cfg_scale_schedule(c, dt_sweep_schedule_scale(sw), skip, note);
    free(skip);
    dt_cfg_free(c);
}

long dt_out_burn_in(const dt_sweep *sw, const dt_value *vals, long *lag)
{
    long b = sw->base_burn_in;
    double power = sw->base_power;
    int tuned = 0;   /* burn_in is in the space: the base cfg's is then never scaled */
    for (int i = 0; i < sw->space.n; i++) {
        int is_burn_in = strcmp(sw->space.p[i].name, "burn_in") == 0;
        tuned |= is_burn_in;
        if (!vals[i].active) continue;   /* the trial's cfg keeps the base cfg's value */
        if (is_burn_in) b = vals[i].num > 0 ? (long)vals[i].num : 0;
        else if (strcmp(sw->space.p[i].name, "power") == 0) power = vals[i].num;
    }
    if (!tuned) {
        char base[32], out[32];
        snprintf(base, sizeof base, "%ld", b);
        if (dt_cfg_schedule_scale("burn_in", base, NULL, dt_sweep_schedule_scale(sw), out, sizeof out) == 1)
            dt_parse_long(out, &b);
    }
    if (lag) *lag = dt_burn_in_lag(b, power);
    return b;
}

int dt_out_base_read(dt_out_base *b, const dt_sweep *sw, dt_err *err)
{
    static const char *const path_keys[] = {"train", "valid", "labels", "names", "map", "eval"};
    memset(b, 0, sizeof *b);
    /* The sweep parsed the base cfg to check it: copied, not read again. */
    if (sw->base) b->cfg = dt_cfg_dup(sw->base);
    else if (dt_cfg_read(&b->cfg, sw->cfg, err) != 0) return -1;
    if (dt_cfg_read(&b->data, sw->data, err) != 0) {
        dt_out_base_free(b);
        return -1;
    }
    char *dir = dt_dirname(sw->data);
    for (size_t i = 0; i < sizeof path_keys / sizeof *path_keys; i++) {
        const char *v = dt_cfg_get(b->data, "", path_keys[i], NULL);
        if (!v || !v[0]) continue;
        /* A file that is nowhere yet (darknet may create it) is taken beside the .data. */
        char *abs = dt_sweep_data_path(sw, v);
        if (!abs) abs = dt_path_join(dir, v);
        dt_cfg_set(b->data, "", path_keys[i], abs);
        free(abs);
    }
    free(dir);
    return 0;
}

void dt_out_base_free(dt_out_base *b)
{
    dt_cfg_free(b->cfg);
    dt_cfg_free(b->data);
    memset(b, 0, sizeof *b);
}

/* A whole number of the .data (absent: def). */
static int dt_out__data_long(const dt_sweep *sw, const dt_cfg *data, const char *key, long def, long *out,
                             dt_err *err)
{
    const char *v = dt_cfg_get(data, "", key, NULL);
    *out = def;
    if (v && dt_parse_long(v, out) != 0) return dt_errf(err, "%s: %s = '%s' is not a whole number", sw->data, key, v);
    return 0;
}

int dt_out_runner_setup(const dt_sweep *sw, const dt_out_base *b, dt_runner_setup *setup, dt_err *err)
{
    *setup = (dt_runner_setup){.runner = sw->runner, .task = sw->task, .metric = sw->metric,
                               .eval_interval = sw->eval_interval, .data = sw->data, .workdir = sw->dir,
                               .table = sw->table, .loaded = sw->table_data, .top = 1};
    /* Only the in-process runner reads the images: exec leaves the .data to Darknet. */
    if (sw->runner != DT_RUNNER_LIBDARKNET) return 0;
    setup->train = dt_cfg_get(b->data, "", "train", NULL);
    setup->valid = dt_cfg_get(b->data, "", "valid", NULL);
    setup->labels = dt_cfg_get(b->data, "", "labels", NULL);
    if (dt_out__data_long(sw, b->data, "classes", 0, &setup->classes, err) != 0) return -1;
    /* The trial's .data says top = 5 for metric top5 (dt_out_trial_data). */
    if (sw->metric == DT_METRIC_TOP5) setup->top = 5;
    else if (dt_out__data_long(sw, b->data, "top", 1, &setup->top, err) != 0) return -1;
    return 0;
}

int dt_out_trial_data(const dt_sweep *sw, const dt_cfg *data, const char *backup_dir, const char *path,
                      dt_err *err)
{
    dt_cfg *d = dt_cfg_dup(data);
    dt_cfg_set(d, "", "backup", backup_dir);
    if (sw->metric == DT_METRIC_TOP5) dt_cfg_set(d, "", "top", "5");
    dt_cfg_unix_eol(d);   /* "\r\n" would end each path in a "\r" for pjreddie's darknet */
    int rc = dt_cfg_write(d, path, err);
    dt_cfg_free(d);
    return rc;
}

int dt_out_best(const dt_sweep *sw, const dt_trial *trials, int n)
{
    if (sw->nobj > 1) return dt_front_best(sw, trials, n, NULL, 0);
    int best = -1;
    for (int i = 0; i < n; i++) {
        const dt_trial *t = &trials[i];
        if (t->state != DT_COMPLETE || isnan(t->value) || t->final) continue;
        if (best < 0) { best = i; continue; }
        double b = trials[best].value;
        if (sw->maximize ? t->value > b : t->value < b) best = i;
    }
    return best;
}

/* 1 when a is better than b in the study's direction. */
static int dt_out__better(const dt_sweep *sw, double a, double b)
{
    return sw->maximize ? a > b : a < b;
}

int dt_out_finalists(const dt_sweep *sw, const dt_trial *trials, int n, dt_finalist *f)
{
    int m = 0;
    for (int i = 0; i < n && sw->final_top > 0; i++) {
        const dt_trial *t = &trials[i];
        if (t->state != DT_COMPLETE || isnan(t->value) || t->final || !dt_trial_counts(t)) continue;
        /* Insertion into the top list, kept sorted best first (trials come in number
         * order, so a tie keeps the lower number ahead). */
        int at = m;
        while (at > 0 && dt_out__better(sw, t->value, trials[f[at - 1].trial].value)) at--;
        if (at >= sw->final_top) continue;
        if (m < sw->final_top) m++;
        memmove(&f[at + 1], &f[at], sizeof *f * (size_t)(m - 1 - at));
        f[at] = (dt_finalist){.trial = i};
    }
    for (int j = 0; j < m; j++) {
        int number = trials[f[j].trial].number;
        double sum = 0, sq = 0;
        for (int i = 0; i < n; i++) {
            const dt_trial *t = &trials[i];
            if (!t->final || t->rerun_of != number) continue;
            if (t->state == DT_RUNNING || dt_trial_counts(t)) f[j].runs++;
            if (t->state == DT_COMPLETE && isfinite(t->value) && dt_trial_counts(t)) {
                f[j].done++;
                sum += t->value;
            }
        }
        f[j].mean = f[j].done ? sum / f[j].done : NAN;
        for (int i = 0; i < n; i++) {
            const dt_trial *t = &trials[i];
            if (t->final && t->rerun_of == number && t->state == DT_COMPLETE && isfinite(t->value) &&
                dt_trial_counts(t))
                sq += (t->value - f[j].mean) * (t->value - f[j].mean);
        }
        f[j].std = f[j].done > 1 ? sqrt(sq / (f[j].done - 1)) : NAN;
    }
    return m;
}

int dt_out_final_choice(const dt_sweep *sw, const dt_finalist *f, int m)
{
    int best = -1;
    for (int j = 0; j < m; j++) {
        if (f[j].done < sw->final_seeds) continue;
        if (best < 0 || dt_out__better(sw, f[j].mean, f[best].mean)) best = j;
    }
    return best;
}

int dt_out_noise(const dt_finalist *f, int m, double *pooled, double *spread)
{
    int k = 0;
    double var = 0, sum = 0;
    for (int j = 0; j < m; j++)
        if (f[j].done > 1) {
            var += f[j].std * f[j].std;
            sum += f[j].mean;
            k++;
        }
    if (k < 2) return 0;
    double mean = sum / k, sq = 0;
    for (int j = 0; j < m; j++)
        if (f[j].done > 1) sq += (f[j].mean - mean) * (f[j].mean - mean);
    *pooled = sqrt(var / k);
    *spread = sqrt(sq / (k - 1));
    return 1;
}

double dt_out_net_value(const dt_sweep *sw, const dt_trial *t, const char *name, int *varies)
{
    double d;
    if (varies) *varies = 0;
    for (int i = 0; i < sw->space.n; i++)
        if (strcmp(sw->space.p[i].name, name) == 0) {
            int tie = dt_space_tie(&sw->space, i);
            if (tie >= 0) i = tie;
            if (varies) *varies = sw->space.p[i].kind != DT_FIXED;
            const dt_value *v = &t->values[i];
            return !v->active ? NAN : isfinite(v->num) ? v->num : dt_parse_double(v->text, &d) == 0 ? d : NAN;
        }
    const char *v = sw->base ? dt_cfg_get(sw->base, "net", name, NULL) : NULL;
    if (!v) v = dt_cfg_net_default(name);
    return v && dt_parse_double(v, &d) == 0 ? d : NAN;
}

void dt_out_value(double v, char *buf, size_t n)
{
    if (isnan(v)) snprintf(buf, n, "%s", "");
    else snprintf(buf, n, "%.6g", v);
}

/* One CSV field: quoted when it holds a comma, a quote or a line break. */
static void dt_out__csv_field(dt_buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        dt_buf_add(b, s, strlen(s));
        return;
    }
    dt_buf_add(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"') dt_buf_add(b, "\"", 1);
        dt_buf_add(b, s, 1);
    }
    dt_buf_add(b, "\"", 1);
}

/* The columns trials.csv and pareto.csv share: each objective (but the metric, when the
 * row has it as its value already), then each tuned parameter; names, or t's values. */
static void dt_out__csv_names(const dt_sweep *sw, int metric, dt_buf *b)
{
    for (int j = 0; j < sw->nobj; j++)
        if (metric || sw->obj[j].what != DT_OBJ_METRIC) dt_buf_printf(b, ",%s", dt_sweep_objective_name(sw, j));
    for (int i = 0; i < sw->space.n; i++)
        if (sw->space.p[i].kind != DT_FIXED) dt_buf_printf(b, ",%s", sw->space.p[i].name);
}

static void dt_out__csv_values(const dt_sweep *sw, const dt_trial *t, int metric, dt_buf *b)
{
    char v[64];
    for (int j = 0; j < sw->nobj; j++) {
        if (!metric && sw->obj[j].what == DT_OBJ_METRIC) continue;
        dt_out_value(dt_trial_objective(t, &sw->obj[j]), v, sizeof v);
        dt_buf_printf(b, ",%s", v);
    }
    for (int i = 0; i < sw->space.n; i++) {
        if (sw->space.p[i].kind == DT_FIXED) continue;
        dt_buf_add(b, ",", 1);
        if (t->values[i].active) dt_out__csv_field(b, t->values[i].text);
    }
}

static int dt_out__csv(const dt_sweep *sw, const dt_trial *trials, int n, dt_err *err)
{
    dt_buf b = {0};
    dt_buf_printf(&b, "number,state,value");
    dt_out__csv_names(sw, 0, &b);
    dt_buf_printf(&b, ",iterations,seconds%s\n", sw->final_top > 0 ? ",finalist_of" : "");
    for (int k = 0; k < n; k++) {
        const dt_trial *t = &trials[k];
        char v[64];
        dt_out_value(t->value, v, sizeof v);
        dt_buf_printf(&b, "%d,%s,%s", t->number, dt_state_name(t->state), v);
        dt_out__csv_values(sw, t, 0, &b);
        dt_buf_printf(&b, ",%ld,%.1f", t->iterations, t->seconds);
        /* A finalist's run names the search trial whose configuration it trains again. */
        if (sw->final_top > 0 && t->final) dt_buf_printf(&b, ",%d", t->rerun_of);
        else if (sw->final_top > 0) dt_buf_add(&b, ",", 1);
        dt_buf_add(&b, "\n", 1);
    }
    char *path = dt_path_join(sw->output, "trials.csv");
    int rc = dt_write_file(path, b.p, b.len, err);
    free(path);
    dt_buf_free(&b);
    return rc;
}

/* "map50 = 0.71 (maximize), ms = 3.2 (minimize)": trial t's objectives, for headings;
 * without the directions when dirs is 0. */
static void dt_out__objectives(const dt_sweep *sw, const dt_trial *t, int dirs, dt_buf *b)
{
    for (int j = 0; j < sw->nobj; j++) {
        char v[64];
        dt_out_value(dt_trial_objective(t, &sw->obj[j]), v, sizeof v);
        dt_buf_printf(b, "%s%s = %s", j ? ", " : "", dt_sweep_objective_name(sw, j), v);
        if (dirs) dt_buf_printf(b, " (%s)", sw->obj[j].maximize ? "maximize" : "minimize");
    }
}

/* Trial t's deployable cfg at path (best.cfg, pareto/N.cfg); chosen (NULL: t is the best
 * single trial) says how else it was chosen, as its heading's last words. */
static int dt_out__deploy_file(const dt_sweep *sw, const dt_cfg *base, const dt_trial *t, const char *chosen,
                               const char *path, dt_err *err)
{
    long mb = sw->base_max_batches ? sw->base_max_batches : sw->max_batches;
    dt_cfg *c;
    if (dt_out_deploy_cfg(sw, base, t, &c, err) != 0) return -1;
    char line[512];
    if (dt_sweep_schedule_scale(sw) < 1)
        snprintf(line, sizeof line, " trials ran %ld iterations; max_batches is the base cfg's own (%ld), and the "
                 "trial's schedule (burn_in, steps) is scaled back to it.", sw->max_batches, mb);
    else
        snprintf(line, sizeof line, " trials ran %ld iterations; max_batches is the base cfg's own (%ld).",
                 sw->max_batches, mb);
    dt_cfg_prepend_comment(c, line);
    if (chosen) {
        snprintf(line, sizeof line, " %s", chosen);
        dt_cfg_prepend_comment(c, line);
    }
    dt_buf o = {0};
    dt_out__objectives(sw, t, 1, &o);
    snprintf(line, sizeof line, " darktune: study '%s', trial %d%s, %s", sw->name, t->number,
             t->baseline ? " (the baseline)" : "", o.p);
    dt_buf_free(&o);
    dt_cfg_prepend_comment(c, line);
    int rc = dt_cfg_write(c, path, err);
    dt_cfg_free(c);
    return rc;
}

static int dt_out__best_cfg(const dt_sweep *sw, const dt_cfg *base, const dt_trial *t, const char *chosen,
                            dt_err *err)
{
    char *path = dt_path_join(sw->output, "best.cfg");
    int rc = dt_out__deploy_file(sw, base, t, chosen, path, err);
    free(path);
    return rc;
}

/* pareto.csv (the front, in dt_front_sort's order) and pareto/N.cfg, a deployable cfg of
 * each trial on it; cfgs of trials no longer on the front are removed. */
static int dt_out__pareto(const dt_sweep *sw, const dt_cfg *base, const dt_trial *trials, int n, dt_err *err)
{
    char *dir = dt_path_join(sw->output, "pareto");
    int *idx = dt_xmalloc(sizeof *idx * (size_t)(n + 1));
    int m = dt_front_trials(sw, trials, n, idx), rc = dt_mkdirs(dir, err);
    dt_front_sort(sw, trials, idx, m);
    dt_buf b = {0};
    dt_buf_printf(&b, "number");
    dt_out__csv_names(sw, 1, &b);
    dt_buf_printf(&b, ",iterations,seconds,cfg,weights\n");
    for (int k = 0; k < m && rc == 0; k++) {
        const dt_trial *t = &trials[idx[k]];
        char name[32];
        dt_buf_printf(&b, "%d", t->number);
        dt_out__csv_values(sw, t, 1, &b);
        snprintf(name, sizeof name, "%d.cfg", t->number);
        dt_buf_printf(&b, ",%ld,%.1f,pareto/%s,", t->iterations, t->seconds, name);
        dt_out__csv_field(&b, t->weights);
        dt_buf_add(&b, "\n", 1);
        char *path = dt_path_join(dir, name);
        rc = dt_out__deploy_file(sw, base, t, "on the study's Pareto front: no other trial is better in every "
                                 "objective (pareto.csv)", path, err);
        free(path);
    }
    /* A trial another has since beaten in every objective leaves the front: its cfg goes. */
    DIR *d = rc == 0 ? opendir(dir) : NULL;
    for (struct dirent *e; d && (e = readdir(d));) {
        char *end;
        long number = strtol(e->d_name, &end, 10);
        if (end == e->d_name || strcmp(end, ".cfg") != 0) continue;
        int keep = 0;
        for (int k = 0; k < m && !keep; k++) keep = trials[idx[k]].number == number;
        if (keep) continue;
        char *path = dt_path_join(dir, e->d_name);
        unlink(path);
        free(path);
    }
    if (d) closedir(d);
    if (rc == 0) {
        char *path = dt_path_join(sw->output, "pareto.csv");
        rc = dt_write_file(path, b.p, b.len, err);
        free(path);
    }
    dt_buf_free(&b);
    free(idx);
    free(dir);
    return rc;
}

/* report.txt's finalists (f[0..m), as dt_out_finalists found them): each one's mean ±
 * std over its seeds, the noise floor, and which one best.cfg deploys (c, -1 none). */
static void dt_out__finalists(const dt_sweep *sw, const dt_trial *trials, const dt_finalist *f, int m, int c,
                              dt_buf *b)
{
    if (sw->final_top <= 0) return;
    dt_buf_printf(b, "finalists  the top %d configurations, %d new seed%s each (mean ± std of those runs)\n",
                  sw->final_top, sw->final_seeds, sw->final_seeds == 1 ? "" : "s");
    for (int j = 0; j < m; j++) {
        const dt_trial *t = &trials[f[j].trial];
        char v[64];
        dt_out_value(t->value, v, sizeof v);
        dt_buf_printf(b, "           trial %d: ", t->number);
        if (f[j].done) dt_buf_printf(b, "%.4f ± %.4f", f[j].mean, isnan(f[j].std) ? 0.0 : f[j].std);
        else dt_buf_printf(b, "-");
        dt_buf_printf(b, " over %d of %d seeds (its search value %s)\n", f[j].done, sw->final_seeds, v);
    }
    double pooled, spread;
    if (dt_out_noise(f, m, &pooled, &spread))
        dt_buf_printf(b, "noise      one configuration's std over seeds %.3g, the finalists' means spread %.3g: %s\n",
                      pooled, spread, spread <= pooled ? "their ranking is within the noise (any of them will do; "
                      "more seeds tell them apart)" : "they differ by more than the noise");
    if (c >= 0) dt_buf_printf(b, "best.cfg   trial %d's configuration, chosen by the mean of its seeds\n",
                              trials[f[c].trial].number);
}

int dt_out_tpe_start(const dt_sweep *sw)
{
    return (sw->baseline ? 1 : 0) + sw->sampler.tpe.startup_trials;
}

int dt_out_phases(const dt_sweep *sw, const dt_trial *trials, int n, dt_buf *b)
{
    if (sw->sampler.kind != DT_SAMPLER_TPE || sw->nobj > 1) return 0;
    int start = dt_out_tpe_start(sw), last[2] = {-1, -1}, pruned[2] = {0}, m[2] = {0};
    double *v[2] = {dt_xmalloc(((size_t)n + 1) * sizeof **v), dt_xmalloc(((size_t)n + 1) * sizeof **v)};
    for (int i = 0; i < n; i++) {
        const dt_trial *t = &trials[i];
        if (!dt_trial_counts(t) || t->final) continue;
        int ph = t->number >= start;
        if (t->number > last[ph]) last[ph] = t->number;
        if (t->state == DT_PRUNED) pruned[ph]++;
        if (t->state == DT_COMPLETE && !isnan(t->value)) v[ph][m[ph]++] = t->value;
    }
    for (int ph = 0, lines = 0; last[1] >= 0 && ph < 2; ph++) {
        if (last[ph] < 0) continue;   /* no random start that counts: imported or failed trials */
        dt_buf_printf(b, "%s%s (trials %d-%d): %d complete, %d pruned", lines++ ? "           " : "phases     ",
                      ph ? "the model" : "random start", ph ? start : 0, last[ph], m[ph], pruned[ph]);
        if (m[ph]) {
            char best[64], med[64];
            dt_out_value(dt_median(v[ph], m[ph]), med, sizeof med);   /* sorts v[ph] */
            dt_out_value(sw->maximize ? v[ph][m[ph] - 1] : v[ph][0], best, sizeof best);
            dt_buf_printf(b, "; best %s, median %s", best, med);
        }
        dt_buf_printf(b, "\n");
    }
    free(v[0]);
    free(v[1]);
    return last[1] >= 0;
}

/* why: with several objectives, the rule that chose the best (dt_front_best); else NULL. */
static int dt_out__report(const dt_sweep *sw, const dt_trial *trials, int n, int best, const char *why,
                          const dt_finalist *f, int m, int chosen, const dt_curve *best_curve, dt_err *err)
{
    int count[4] = {0};
    double secs = 0;
    long its = 0;
    for (int i = 0; i < n; i++) {
        count[trials[i].state]++;
        secs += trials[i].seconds;
        its += trials[i].iterations;
    }
    dt_buf b = {0};
    dt_buf_printf(&b, "study      %s\nsweep      %s\nobjective%s ", sw->name, sw->path, sw->nobj > 1 ? "s" : " ");
    dt_sweep_objectives_text(sw, &b);
    dt_buf_printf(&b, "\nsampler    %s\npruner     %s\n", dt_sampler_name(sw->sampler.kind),
                  dt_pruner_name(sw->pruner.kind));
    dt_buf_printf(&b, "trials     %d complete, %d pruned, %d failed, %d running\n", count[DT_COMPLETE],
                  count[DT_PRUNED], count[DT_FAIL], count[DT_RUNNING]);
    dt_buf_printf(&b, "compute    %ld iterations, %.0f trial-seconds\n", its, secs);
    if (best >= 0) {
        const dt_trial *t = &trials[best];
        char v[64];
        dt_out_value(t->value, v, sizeof v);
        dt_buf o = {0};
        dt_out__objectives(sw, t, 0, &o);
        dt_buf_printf(&b, "best       trial %d%s: %s\n", t->number, t->baseline ? " (baseline)" : "", o.p);
        dt_buf_free(&o);
        if (why) dt_buf_printf(&b, "           %s\n", why);
        for (int i = 0; i < sw->space.n; i++)
            if (t->values[i].active && sw->space.p[i].kind != DT_FIXED)
                dt_buf_printf(&b, "           %s = %s\n", sw->space.p[i].name, t->values[i].text);
        /* The weights stay on the machine that trained them: which one, and where. */
        if (t->weights[0])
            dt_buf_printf(&b, "weights    %.*s%s%s\n", (int)strcspn(t->worker, ":"), t->worker, t->worker[0] ? ":" : "",
                          t->weights);
        for (int i = 0; i < n; i++) {
            if (!trials[i].baseline || trials[i].state != DT_COMPLETE) continue;
            dt_out_value(trials[i].value, v, sizeof v);
            dt_buf_printf(&b, "baseline   trial %d: %s = %s\n", trials[i].number, dt_metric_name(sw->metric), v);
        }
    } else {
        dt_buf_printf(&b, "best       none yet (no trial has completed)\n");
    }
    dt_out_phases(sw, trials, n, &b);
    dt_out__finalists(sw, trials, f, m, chosen, &b);
    if (sw->nobj > 1) dt_front_table(sw, trials, n, &b);
    dt_flags(sw, trials, n, best_curve, &b);
    for (int i = 0; i < n; i++)
        if (trials[i].state == DT_PRUNED || trials[i].state == DT_FAIL)
            dt_buf_printf(&b, "trial %-4d %-8s %s\n", trials[i].number, dt_state_name(trials[i].state),
                          trials[i].reason);
    char *path = dt_path_join(sw->output, "report.txt");
    int rc = dt_write_file(path, b.p, b.len, err);
    free(path);
    dt_buf_free(&b);
    return rc;
}

int dt_out_write_all(const dt_sweep *sw, const dt_cfg *base, const dt_trial *trials, int n, const dt_curve *best_curve,
                     dt_err *err)
{
    if (dt_mkdirs(sw->output, err) != 0) return -1;
    if (dt_out__csv(sw, trials, n, err) != 0) return -1;
    /* With several objectives, the best and the rule that chose it in one call. */
    char why[256];
    int best = sw->nobj > 1 ? dt_front_best(sw, trials, n, why, sizeof why) : dt_out_best(sw, trials, n);
    /* With finalists that have all their seeds, best.cfg deploys the best mean. */
    dt_finalist *f = dt_xcalloc((size_t)sw->final_top + 1, sizeof *f);
    int m = dt_out_finalists(sw, trials, n, f), c = dt_out_final_choice(sw, f, m), rc = 0;
    if (c >= 0) {
        char chosen[160];
        snprintf(chosen, sizeof chosen, "chosen by the mean of %d seeds: %s = %.4f ± %.4f", f[c].done,
                 dt_metric_name(sw->metric), f[c].mean, isnan(f[c].std) ? 0.0 : f[c].std);
        rc = dt_out__best_cfg(sw, base, &trials[f[c].trial], chosen, err);
    } else if (best >= 0) {
        rc = dt_out__best_cfg(sw, base, &trials[best], sw->nobj > 1 ? why : NULL, err);
    }
    if (rc == 0 && sw->nobj > 1) rc = dt_out__pareto(sw, base, trials, n, err);
    if (rc == 0) rc = dt_out__report(sw, trials, n, best, sw->nobj > 1 ? why : NULL, f, m, c, best_curve, err);
    free(f);
    return rc;
}
