/* dt_cfg: Darknet .cfg/.data files kept as their lines, so that an unchanged file
 * comes back byte for byte and a change touches only the lines it must.
 *
 * Each line remembers its text, its terminator ("\n", "\r\n", or "" for a last line
 * without one) and what Darknet would see in it: a blank, a comment, a [section]
 * header or a key=value pair. The per-section key arrays handed out by dt_cfg_keys
 * are an index rebuilt after every change.
 *
 * A value is the whole rest of the line after '=', trimmed: Darknet does not strip
 * trailing comments (pjreddie removes blanks and reads "0.1#x" as 0.1, but a
 * policy of "steps#x" as an unknown policy), so neither do we, and a rewrite
 * replaces it all. Keys, sections and values are not checked against Darknet's
 * tables here; the tables are offered for callers that want to check. */
#include "dt_cfg.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DT_CFG__BLANK, DT_CFG__COMMENT, DT_CFG__HEADER, DT_CFG__KEY };

typedef struct dt_cfg__line {
    char *text;        /* the line without its terminator */
    const char *eol;   /* "\n", "\r\n", or "" for a last line without one */
    int kind;          /* DT_CFG__* */
    char *name;        /* HEADER: section name; KEY: key (both trimmed) */
    char *val;         /* KEY: value, trimmed */
    size_t vbeg, vend; /* KEY: where the value sits in text, for rewrites in place */
} dt_cfg__line;

typedef struct dt_cfg__sec {
    const char *name;  /* owned by the header line, or "" */
    int first, end;    /* its lines: [first, end), header included */
    int n;             /* number of keys */
    const char **keys, **vals;
    int *lines;        /* 1-based line numbers */
} dt_cfg__sec;

struct dt_cfg {
    char *name;        /* the file (or the name given to dt_cfg_parse), for messages */
    dt_cfg__line *lines;
    int nlines, cap;
    dt_cfg__sec *secs;
    int nsecs;
};

/* Blanks as Darknet's strip() and hank-ai's regex see them. */
static int dt_cfg__blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* A copy of s[beg, end) with blanks trimmed on both sides; caller frees. */
static char *dt_cfg__trimmed(const char *s, size_t beg, size_t end)
{
    while (beg < end && dt_cfg__blank(s[beg])) beg++;
    while (end > beg && dt_cfg__blank(s[end - 1])) end--;
    char *out = dt_xmalloc(end - beg + 1);
    memcpy(out, s + beg, end - beg);
    out[end - beg] = '\0';
    return out;
}

/* Frees what classification attached to a line (not its text). */
static void dt_cfg__unclassify(dt_cfg__line *l)
{
    free(l->name);
    free(l->val);
    l->name = l->val = NULL;
    l->kind = DT_CFG__BLANK;
}

/* Works out what Darknet sees in l->text. Returns NULL, or a message saying why
 * the line is none of blank, comment, [section] or key=value (the caller adds
 * file and line: this runs again after every change, where nothing can fail). */
static const char *dt_cfg__classify(dt_cfg__line *l)
{
    const char *t = l->text;
    size_t len = strlen(t), i = 0;
    dt_cfg__unclassify(l);
    while (i < len && dt_cfg__blank(t[i])) i++;
    if (i == len) return NULL;
    if (t[i] == '#' || t[i] == ';') {
        l->kind = DT_CFG__COMMENT;
        return NULL;
    }
    if (t[i] == '[') {
        const char *close = strchr(t + i, ']');
        if (!close) return "missing ']' in section header";
        for (const char *p = close + 1; *p; p++)
            if (!dt_cfg__blank(*p)) return "unexpected text after ']'";
        char *name = dt_cfg__trimmed(t, i + 1, (size_t)(close - t));
        if (!*name) {
            free(name);
            return "empty section name";
        }
        l->kind = DT_CFG__HEADER;
        l->name = name;
        return NULL;
    }
    const char *eq = strchr(t, '=');
    if (!eq) return "expected key=value, [section] or a comment";
    size_t at = (size_t)(eq - t), vbeg = at + 1, vend = len;
    while (vbeg < len && dt_cfg__blank(t[vbeg])) vbeg++;
    while (vend > vbeg && dt_cfg__blank(t[vend - 1])) vend--;
    char *key = dt_cfg__trimmed(t, i, at);
    if (!*key) {
        free(key);
        return "empty key before '='";
    }
    l->kind = DT_CFG__KEY;
    l->name = key;
    l->val = dt_cfg__trimmed(t, vbeg, vend);
    l->vbeg = vbeg;
    l->vend = vend;
    return NULL;
}

/* "net" and "network" are one section to Darknet. */
static int dt_cfg__same_section(const char *a, const char *b)
{
    if (strcmp(a, b) == 0) return 1;
    int an = strcmp(a, "net") == 0 || strcmp(a, "network") == 0;
    int bn = strcmp(b, "net") == 0 || strcmp(b, "network") == 0;
    return an && bn;
}

/* Frees the section index. */
static void dt_cfg__drop_index(dt_cfg *c)
{
    for (int s = 0; s < c->nsecs; s++) {
        free(c->secs[s].keys);
        free(c->secs[s].vals);
        free(c->secs[s].lines);
    }
    free(c->secs);
    c->secs = NULL;
    c->nsecs = 0;
}

/* Rebuilds the section index from the classified lines. Section "" exists when keys
 * come before the first header, or when there is no header at all (a .data file,
 * possibly still empty), so that .data keys can always be set. */
static void dt_cfg__index(dt_cfg *c)
{
    dt_cfg__drop_index(c);
    int nheaders = 0, first_header = c->nlines, preamble_keys = 0;
    for (int i = 0; i < c->nlines; i++) {
        if (c->lines[i].kind == DT_CFG__HEADER) {
            if (!nheaders) first_header = i;
            nheaders++;
        } else if (c->lines[i].kind == DT_CFG__KEY && !nheaders) {
            preamble_keys++;
        }
    }
    int preamble = preamble_keys > 0 || nheaders == 0;
    c->secs = dt_xcalloc((size_t)(nheaders + preamble), sizeof *c->secs);
    if (preamble) c->secs[c->nsecs++] = (dt_cfg__sec){.name = "", .first = 0, .end = first_header};
    for (int i = first_header; i < c->nlines; i++) {
        if (c->lines[i].kind != DT_CFG__HEADER) continue;
        if (c->nsecs) c->secs[c->nsecs - 1].end = i;
        c->secs[c->nsecs++] = (dt_cfg__sec){.name = c->lines[i].name, .first = i, .end = c->nlines};
    }
    for (int s = 0; s < c->nsecs; s++) {
        dt_cfg__sec *sec = &c->secs[s];
        size_t cap = (size_t)(sec->end - sec->first) + 1;
        sec->keys = dt_xcalloc(cap, sizeof *sec->keys);
        sec->vals = dt_xcalloc(cap, sizeof *sec->vals);
        sec->lines = dt_xcalloc(cap, sizeof *sec->lines);
        for (int i = sec->first; i < sec->end; i++) {
            if (c->lines[i].kind != DT_CFG__KEY) continue;
            sec->keys[sec->n] = c->lines[i].name;
            sec->vals[sec->n] = c->lines[i].val;
            sec->lines[sec->n] = i + 1;
            sec->n++;
        }
    }
}

/* Makes room for and appends a line with text [s, s+n) and terminator eol. */
static dt_cfg__line *dt_cfg__push(dt_cfg *c, const char *s, size_t n, const char *eol)
{
    if (c->nlines == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->lines = dt_xrealloc(c->lines, (size_t)c->cap * sizeof *c->lines);
    }
    dt_cfg__line *l = &c->lines[c->nlines++];
    memset(l, 0, sizeof *l);
    l->text = dt_xmalloc(n + 1);
    memcpy(l->text, s, n);
    l->text[n] = '\0';
    l->eol = eol;
    return l;
}

int dt_cfg_parse(dt_cfg **out, const char *text, size_t len, const char *name, dt_err *err)
{
    dt_cfg *c = dt_xcalloc(1, sizeof *c);
    size_t pos = 0;
    *out = NULL;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len, tend = end;
        const char *eol = "";
        if (nl) {
            eol = "\n";
            if (end > pos && text[end - 1] == '\r') {
                eol = "\r\n";
                tend--;
            }
        }
        dt_cfg__line *l = dt_cfg__push(c, text + pos, tend - pos, eol);
        const char *why = memchr(text + pos, '\0', tend - pos) ? "NUL byte in line" : dt_cfg__classify(l);
        if (why) {
            dt_errf(err, "%s:%d: %s", name, c->nlines, why);
            dt_cfg_free(c);
            return -1;
        }
        pos = nl ? end + 1 : len;
    }
    dt_cfg__index(c);
    c->name = dt_xstrdup(name ? name : "cfg");
    *out = c;
    return 0;
}

int dt_cfg_read(dt_cfg **out, const char *path, dt_err *err)
{
    char *buf;
    size_t len;
    *out = NULL;
    if (dt_read_file(path, &buf, &len, err) != 0) return -1;
    int rc = dt_cfg_parse(out, buf, len, path, err);
    free(buf);
    return rc;
}

void dt_cfg_free(dt_cfg *c)
{
    if (!c) return;
    for (int i = 0; i < c->nlines; i++) {
        dt_cfg__unclassify(&c->lines[i]);
        free(c->lines[i].text);
    }
    free(c->lines);
    dt_cfg__drop_index(c);
    free(c->name);
    free(c);
}

dt_cfg *dt_cfg_dup(const dt_cfg *c)
{
    dt_cfg *d = dt_xcalloc(1, sizeof *d);
    d->name = dt_xstrdup(c->name);
    d->cap = c->nlines > 0 ? c->nlines : 1;
    d->lines = dt_xcalloc((size_t)d->cap, sizeof *d->lines);
    for (int i = 0; i < c->nlines; i++) {
        const dt_cfg__line *l = &c->lines[i];
        dt_cfg__line *m = &d->lines[d->nlines++];
        *m = *l;  /* kind, value span, and eol: one of the static terminators */
        m->text = dt_xstrdup(l->text);
        m->name = dt_xstrdup(l->name);
        m->val = dt_xstrdup(l->val);
    }
    dt_cfg__index(d);
    return d;
}

char *dt_cfg_text(const dt_cfg *c, size_t *len)
{
    dt_buf b = {0};
    dt_buf_add(&b, "", 0);
    for (int i = 0; i < c->nlines; i++) {
        dt_buf_add(&b, c->lines[i].text, strlen(c->lines[i].text));
        dt_buf_add(&b, c->lines[i].eol, strlen(c->lines[i].eol));
    }
    if (len) *len = b.len;
    return b.p;
}

void dt_cfg_unix_eol(dt_cfg *c)
{
    for (int i = 0; i < c->nlines; i++)
        if (*c->lines[i].eol) c->lines[i].eol = "\n";
}

int dt_cfg_write(const dt_cfg *c, const char *path, dt_err *err)
{
    size_t len;
    char *text = dt_cfg_text(c, &len);
    int rc = dt_write_file(path, text, len, err);
    free(text);
    return rc;
}

int dt_cfg_nsections(const dt_cfg *c)
{
    return c->nsecs;
}

const char *dt_cfg_section(const dt_cfg *c, int i)
{
    return i >= 0 && i < c->nsecs ? c->secs[i].name : NULL;
}

int dt_cfg_section_line(const dt_cfg *c, int i)
{
    return i >= 0 && i < c->nsecs && c->secs[i].name[0] ? c->secs[i].first + 1 : 0;
}

const char *dt_cfg_name(const dt_cfg *c)
{
    return c->name;
}

int dt_cfg_keys(const dt_cfg *c, int i, const char *const **keys, const char *const **vals,
                const int **lines)
{
    if (i < 0 || i >= c->nsecs) return 0;
    if (keys) *keys = c->secs[i].keys;
    if (vals) *vals = c->secs[i].vals;
    if (lines) *lines = c->secs[i].lines;
    return c->secs[i].n;
}

/* The first section named section ("net" finds "[network]"), or NULL. */
static dt_cfg__sec *dt_cfg__find(const dt_cfg *c, const char *section)
{
    for (int s = 0; s < c->nsecs; s++)
        if (dt_cfg__same_section(c->secs[s].name, section)) return &c->secs[s];
    return NULL;
}

const char *dt_cfg_get(const dt_cfg *c, const char *section, const char *key, int *line)
{
    const dt_cfg__sec *sec = dt_cfg__find(c, section);
    for (int k = 0; sec && k < sec->n; k++) {
        if (strcmp(sec->keys[k], key) != 0) continue;
        if (line) *line = sec->lines[k];
        return sec->vals[k];
    }
    return NULL;
}

/* The terminator the file mostly uses, for lines we add: its first one, else "\n". */
static const char *dt_cfg__eol(const dt_cfg *c)
{
    for (int i = 0; i < c->nlines; i++)
        if (*c->lines[i].eol) return c->lines[i].eol;
    return "\n";
}

/* Inserts a new line holding text at index at (0..nlines). A line added after a
 * last line without a terminator takes over its "no final newline". */
static void dt_cfg__insert(dt_cfg *c, int at, const char *text)
{
    const char *eol = dt_cfg__eol(c);
    if (at == c->nlines && at > 0 && !*c->lines[at - 1].eol) {
        c->lines[at - 1].eol = eol;
        eol = "";
    }
    dt_cfg__push(c, text, strlen(text), eol);
    dt_cfg__line added = c->lines[c->nlines - 1];
    memmove(&c->lines[at + 1], &c->lines[at], (size_t)(c->nlines - 1 - at) * sizeof *c->lines);
    c->lines[at] = added;
    dt_cfg__classify(&c->lines[at]);
}

/* Removes line i. Removing a last line without a terminator leaves the new last
 * line without one, so the file keeps its "no final newline". */
static void dt_cfg__remove(dt_cfg *c, int i)
{
    if (i == c->nlines - 1 && i > 0 && !*c->lines[i].eol) c->lines[i - 1].eol = "";
    dt_cfg__unclassify(&c->lines[i]);
    free(c->lines[i].text);
    memmove(&c->lines[i], &c->lines[i + 1], (size_t)(c->nlines - 1 - i) * sizeof *c->lines);
    c->nlines--;
}

/* 1 when s can go into one line as a key (key != 0) or a value without changing
 * what the line means: no line breaks, and a key that is a plain word. */
static int dt_cfg__writable(const char *s, int key)
{
    if (strpbrk(s, "\n\r")) return 0;
    if (!key) return 1;
    if (!*s || strchr("[#;", s[0]) || strchr(s, '=')) return 0;
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p)) return 0;
    return 1;
}

/* dt_cfg_set in section sec. */
static int dt_cfg__set(dt_cfg *c, dt_cfg__sec *sec, const char *key, const char *value)
{
    if (!sec || !dt_cfg__writable(key, 1) || !dt_cfg__writable(value, 0)) return -1;
    int first = -1, last_key = -1, end = sec->end;
    for (int i = sec->first; i < end; i++) {
        dt_cfg__line *l = &c->lines[i];
        if (l->kind != DT_CFG__KEY) continue;
        if (strcmp(l->name, key) != 0) {
            last_key = i;
        } else if (first < 0) {
            first = last_key = i;
        } else {
            dt_cfg__remove(c, i--);
            end--;
        }
    }
    if (first >= 0) {
        dt_cfg__line *l = &c->lines[first];
        char *text = dt_xasprintf("%.*s%s%s", (int)l->vbeg, l->text, value, l->text + l->vend);
        free(l->text);
        l->text = text;
        dt_cfg__classify(l);
    } else {
        /* After the section's last key; else right after its header; a header-less
         * section "" without keys is a file of comments: add at its end. */
        int at = last_key >= 0 ? last_key + 1 : sec->name[0] ? sec->first + 1 : sec->end;
        char *text = dt_xasprintf("%s=%s", key, value);
        dt_cfg__insert(c, at, text);
        free(text);
    }
    dt_cfg__index(c);
    return 0;
}

int dt_cfg_set(dt_cfg *c, const char *section, const char *key, const char *value)
{
    return dt_cfg__set(c, dt_cfg__find(c, section), key, value);
}

int dt_cfg_set_at(dt_cfg *c, int i, const char *key, const char *value)
{
    return dt_cfg__set(c, i >= 0 && i < c->nsecs ? &c->secs[i] : NULL, key, value);
}

int dt_cfg_unset(dt_cfg *c, const char *section, const char *key)
{
    dt_cfg__sec *sec = dt_cfg__find(c, section);
    if (!sec) return 0;
    int removed = 0, end = sec->end;
    for (int i = sec->first; i < end; i++) {
        if (c->lines[i].kind != DT_CFG__KEY || strcmp(c->lines[i].name, key) != 0) continue;
        dt_cfg__remove(c, i--);
        end--;
        removed++;
    }
    if (removed) dt_cfg__index(c);
    return removed;
}

void dt_cfg_prepend_comment(dt_cfg *c, const char *text)
{
    char *line = dt_xasprintf("#%s", text);
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';   /* one line, whatever the caller passed */
    dt_cfg__insert(c, 0, line);
    free(line);
    dt_cfg__index(c);
}

/* ---- What each Darknet fork reads (checked against each fork's parse_net_options). */

/* pjreddie/darknet (the Debian package): parse_net_options. */
static const char *const dt_cfg__pjreddie_keys[] = {
    "batch", "learning_rate", "momentum", "decay", "subdivisions", "time_steps", "notruth",
    "random", "adam", "B1", "B2", "eps", "height", "width", "channels", "inputs", "max_crop",
    "min_crop", "max_ratio", "min_ratio", "center", "clip", "angle", "aspect", "saturation",
    "exposure", "hue", "policy", "burn_in", "power", "step", "scale", "steps", "scales", "gamma",
    "max_batches",
};

/* AlexeyAB/darknet parse_net_options (+ show_receptive_field in parse_network_cfg_custom);
 * hank-ai's parse_net_section reads the same keys. Neither reads pjreddie's notruth,
 * random, max_ratio, min_ratio, center or clip in [net] (hank-ai refuses them). */
static const char *const dt_cfg__alexeyab_keys[] = {
    "max_batches", "batch", "learning_rate", "learning_rate_min", "sgdr_cycle", "sgdr_mult",
    "momentum", "decay", "subdivisions", "time_steps", "track", "augment_speed",
    "sequential_subdivisions", "try_fix_nan", "weights_reject_freq", "equidistant_point",
    "badlabels_rejection_percentage", "num_sigmas_reject_badlabels", "ema_alpha",
    "use_cuda_graph", "loss_scale", "dynamic_minibatch", "optimized_memory",
    "workspace_size_limit_MB", "adam", "B1", "B2", "eps", "height", "width", "channels",
    "inputs", "max_crop", "min_crop", "flip", "blur", "gaussian_noise", "mixup", "cutmix",
    "mosaic", "letter_box", "mosaic_bound", "contrastive", "contrastive_jit_flip",
    "contrastive_color", "unsupervised", "label_smooth_eps", "resize_step", "attention",
    "adversarial_lr", "max_chart_loss", "angle", "aspect", "saturation", "exposure", "hue",
    "power", "policy", "burn_in", "step", "scale", "steps", "scales", "seq_scales", "gamma",
    "show_receptive_field",
};

/* get_policy: the sigmoid policy is spelt "sigmoid" in every fork (SIG is only its enum). */
static const char *const dt_cfg__pjreddie_policies[] = {
    "constant", "step", "exp", "poly", "steps", "sigmoid", "random",
};
static const char *const dt_cfg__alexeyab_policies[] = {
    "constant", "step", "exp", "poly", "steps", "sigmoid", "random", "sgdr",
};

#define DT_CFG__COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

int dt_cfg_net_keys(dt_fork fork, const char *const **keys)
{
    if (fork == DT_FORK_PJREDDIE) {
        *keys = dt_cfg__pjreddie_keys;
        return DT_CFG__COUNT(dt_cfg__pjreddie_keys);
    }
    if (fork == DT_FORK_ALEXEYAB || fork == DT_FORK_HANKAI) {
        *keys = dt_cfg__alexeyab_keys;
        return DT_CFG__COUNT(dt_cfg__alexeyab_keys);
    }
    *keys = NULL;
    return 0;
}

int dt_cfg_policies(dt_fork fork, const char *const **names)
{
    if (fork == DT_FORK_PJREDDIE) {
        *names = dt_cfg__pjreddie_policies;
        return DT_CFG__COUNT(dt_cfg__pjreddie_policies);
    }
    if (fork == DT_FORK_ALEXEYAB || fork == DT_FORK_HANKAI) {
        *names = dt_cfg__alexeyab_policies;
        return DT_CFG__COUNT(dt_cfg__alexeyab_policies);
    }
    *names = NULL;
    return 0;
}

/* 1 when word is one of the n names (case matters, as in Darknet). */
static int dt_cfg__in(const char *word, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(word, names[i]) == 0) return 1;
    return 0;
}

int dt_cfg_net_key_known(dt_fork fork, const char *key)
{
    const char *const *keys;
    int n = dt_cfg_net_keys(fork, &keys);
    return dt_cfg__in(key, keys, n);
}

int dt_cfg_policy_known(dt_fork fork, const char *policy)
{
    const char *const *names;
    int n = dt_cfg_policies(fork, &names);
    return dt_cfg__in(policy, names, n);
}

void dt_cfg_drop_policy_keys(dt_cfg *c, dt_fork fork)
{
    if (!dt_cfg__find(c, "net")) return;
    const char *p = dt_cfg_get(c, "net", "policy", NULL);
    /* An absent or unknown policy is constant to pjreddie (hank-ai stops on it). */
    char *policy = dt_xstrdup(p && dt_cfg_policy_known(fork, p) ? p : "constant");
    int steps = strcmp(policy, "steps") == 0, step = strcmp(policy, "step") == 0;
    int sig = strcmp(policy, "sigmoid") == 0, exp_ = strcmp(policy, "exp") == 0;
    int sgdr = strcmp(policy, "sgdr") == 0, poly = strcmp(policy, "poly") == 0;
    /* burn_in reuses power; a burn_in we cannot read keeps power, to be safe. */
    const char *b = dt_cfg_get(c, "net", "burn_in", NULL);
    double burn_in = 0;
    int burns = b && (dt_parse_double(b, &burn_in) != 0 || burn_in > 0);
    struct { const char *key; int read; } keys[] = {
        {"step", step || sig},
        {"scale", step},
        {"steps", steps || sgdr},   /* AlexeyAB's sgdr also reads steps/scales when given */
        {"scales", steps || sgdr},
        {"seq_scales", (steps || sgdr) && fork != DT_FORK_PJREDDIE},
        {"gamma", exp_ || sig},
        {"sgdr_cycle", sgdr},
        {"sgdr_mult", sgdr},
        {"power", poly || burns},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!keys[i].read) dt_cfg_unset(c, "net", keys[i].key);
    free(policy);
}

int dt_cfg_steps_to_iterations(const char *text, long max_batches, char *out, size_t n, dt_err *err)
{
    if (max_batches < 1) return dt_errf(err, "steps: max_batches must be at least 1, not %ld", max_batches);
    dt_buf b = {0};
    dt_buf_add(&b, "", 0);
    const char *p = text;
    long prev = -1;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char *item = dt_cfg__trimmed(p, 0, len);
        double x;
        long it = 0;
        int bad = 0;
        if (dt_parse_double(item, &x) != 0 || !isfinite(x))
            bad = dt_errf(err, "steps: '%s' is not a number", item);
        else if (x < 0)
            bad = dt_errf(err, "steps: '%s' is negative", item);
        else if (x < 1)
            it = lround(x * (double)max_batches);
        else if (x != floor(x))
            bad = dt_errf(err, "steps: '%s' is neither a fraction below 1 nor a whole iteration", item);
        else if (x > (double)max_batches)
            bad = dt_errf(err, "steps: '%s' is beyond max_batches %ld", item, max_batches);
        else
            it = (long)x;
        /* Darknet walks its steps in order and stops at the first one ahead of the
         * iteration: a step below the one before it never applies. */
        if (!bad && it < prev)
            bad = dt_errf(err, "steps: '%s' comes after a later step (%ld); steps must not go down", item, prev);
        prev = it;
        free(item);
        if (bad) {
            dt_buf_free(&b);
            return -1;
        }
        dt_buf_printf(&b, "%s%ld", b.len ? "," : "", it);
        if (!comma) break;
        p = comma + 1;
    }
    if (b.len + 1 > n) {
        dt_buf_free(&b);
        return dt_errf(err, "steps: '%s' does not fit in %zu bytes", text, n);
    }
    memcpy(out, b.p, b.len + 1);
    dt_buf_free(&b);
    return 0;
}

int dt_cfg_schedule_key(const char *key, const char *policy)
{
    if (!policy) policy = "constant";
    int sig = strcmp(policy, "sigmoid") == 0;
    if (strcmp(key, "burn_in") == 0) return 1;
    if (strcmp(key, "steps") == 0) return strcmp(policy, "steps") == 0 || strcmp(policy, "sgdr") == 0;
    if (strcmp(key, "step") == 0) return strcmp(policy, "step") == 0 || sig;
    if (strcmp(key, "sgdr_cycle") == 0) return strcmp(policy, "sgdr") == 0;
    if (strcmp(key, "gamma") == 0) return strcmp(policy, "exp") == 0 || sig;
    return 0;
}

/* One iteration count scaled: rounded, a positive one kept >= 1. */
static long dt_cfg__scale_iter(double x, double f)
{
    if (x <= 0) return (long)x;
    double y = nearbyint(x * f);
    return y < 1 ? 1 : y > (double)LONG_MAX / 2 ? LONG_MAX / 2 : (long)y;
}

int dt_cfg_schedule_scale(const char *key, const char *text, const char *policy, double f, char *out,
                          size_t n)
{
    if (!dt_cfg_schedule_key(key, policy)) return 0;
    if (!(f > 0) || !isfinite(f)) return -1;
    if (!policy) policy = "constant";
    dt_buf b = {0};
    dt_buf_add(&b, "", 0);
    int ok = 1;
    if (strcmp(key, "gamma") == 0) {
        double g;
        if (dt_parse_double(text, &g) != 0 || !isfinite(g)) ok = 0;
        else dt_buf_printf(&b, "%.8g", strcmp(policy, "exp") == 0 ? pow(g, 1 / f) : g / f);
    } else {
        /* A list for steps, one number for the others. */
        const char *p = text;
        for (;;) {
            const char *comma = strcmp(key, "steps") == 0 ? strchr(p, ',') : NULL;
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char *item = dt_cfg__trimmed(p, 0, len);
            double x;
            if (dt_parse_double(item, &x) != 0 || !isfinite(x)) ok = 0;
            else if (x > 0 && x < 1 && strcmp(key, "steps") == 0) dt_buf_printf(&b, "%s%s", b.len ? "," : "", item);
            else dt_buf_printf(&b, "%s%ld", b.len ? "," : "", dt_cfg__scale_iter(x, f));
            free(item);
            if (!ok || !comma) break;
            p = comma + 1;
        }
    }
    if (ok && b.len + 1 <= n) memcpy(out, b.p, b.len + 1);
    else ok = 0;
    dt_buf_free(&b);
    return ok ? 1 : -1;
}

int dt_cfg_scale_schedule(dt_cfg *c, double f, const char *const *skip, dt_buf *note)
{
    static const char *const keys[] = {"burn_in", "steps", "step", "sgdr_cycle", "gamma"};
    if (f == 1 || !dt_cfg__find(c, "net")) return 0;
    const char *pol = dt_cfg_get(c, "net", "policy", NULL);
    char *policy = pol ? dt_xstrdup(pol) : NULL;
    int changed = 0;
    for (int k = 0; k < DT_CFG__COUNT(keys); k++) {
        int skipped = 0;
        for (int i = 0; skip && skip[i]; i++) skipped |= strcmp(skip[i], keys[k]) == 0;
        const char *v = dt_cfg_get(c, "net", keys[k], NULL);
        char out[1024];
        if (skipped || !v || dt_cfg_schedule_scale(keys[k], v, policy, f, out, sizeof out) != 1 ||
            strcmp(out, v) == 0)
            continue;
        if (note) dt_buf_printf(note, "%s%s %s -> %s", note->len ? ", " : "", keys[k], v, out);
        dt_cfg_set(c, "net", keys[k], out);   /* v is stale from here */
        changed++;
    }
    free(policy);
    return changed;
}

/* pjreddie's parse_net_options defaults (option_find_*'s last argument), for the
 * keys whose default is a constant. */
static const char *const dt_cfg__net_defaults[][2] = {
    {"batch", "1"}, {"learning_rate", "0.001"}, {"momentum", "0.9"}, {"decay", "0.0001"},
    {"subdivisions", "1"}, {"time_steps", "1"}, {"notruth", "0"}, {"random", "0"}, {"adam", "0"},
    {"B1", "0.9"}, {"B2", "0.999"}, {"eps", "0.0000001"}, {"center", "0"}, {"clip", "0"},
    {"angle", "0"}, {"aspect", "1"}, {"saturation", "1"}, {"exposure", "1"}, {"hue", "0"},
    {"policy", "constant"}, {"burn_in", "0"}, {"power", "4"}, {"step", "1"}, {"scale", "1"},
    {"gamma", "1"}, {"max_batches", "0"},
};

/* Looks key up in the table above; NULL when Darknet has no constant default for it. */
/* 1 for the layers whose anchors are in network-input pixels. */
static int dt_cfg__pixel_anchors(const char *section)
{
    return strcmp(section, "yolo") == 0 || strcmp(section, "Gaussian_yolo") == 0;
}

/* The anchors text with each number multiplied by fx (even positions: widths) or fy
 * (odd: heights), everything between the numbers kept. NULL when a number is not a
 * positive one; *bad then points at it (a copy, caller frees). Caller frees. */
static char *dt_cfg__scaled_anchors(const char *text, double fx, double fy, char **bad)
{
    dt_buf b = {0};
    dt_buf_add(&b, "", 0);
    *bad = NULL;
    int k = 0;
    const char *p = text;
    while (*p) {
        size_t sep = strspn(p, ", \t");
        dt_buf_add(&b, p, sep);
        p += sep;
        if (!*p) break;
        size_t len = strcspn(p, ", \t");
        char *tok = dt_xasprintf("%.*s", (int)len, p);
        double v;
        if (dt_parse_double(tok, &v) != 0 || !(v > 0) || !isfinite(v)) {
            *bad = tok;
            dt_buf_free(&b);
            return NULL;
        }
        free(tok);
        /* Darknet reads floats: 2 decimals are finer than any box, and a zero anchor
         * would make log(truth / anchor) infinite. */
        double s = v * (k++ % 2 ? fy : fx);
        char num[64];
        snprintf(num, sizeof num, "%.2f", s < 0.01 ? 0.01 : s);
        char *dot = strchr(num, '.');
        if (dot) {
            char *end = num + strlen(num);
            while (end > dot && (end[-1] == '0' || end[-1] == '.')) *--end = '\0';
        }
        dt_buf_add(&b, num, strlen(num));
        p += len;
    }
    return b.p;
}

int dt_cfg_scale_anchors(dt_cfg *c, int base_w, int base_h, int new_w, int new_h, dt_buf *note, dt_err *err)
{
    if (base_w <= 0 || base_h <= 0 || new_w <= 0 || new_h <= 0)
        return dt_errf(err, "%s: cannot scale anchors from %dx%d to %dx%d", c->name, base_w, base_h, new_w, new_h);
    double fx = (double)new_w / base_w, fy = (double)new_h / base_h;
    int nyolo = 0, ngauss = 0, nregion = 0;
    char **scaled = dt_xcalloc((size_t)c->nsecs, sizeof *scaled);
    /* Every value is checked before any is written: a failure leaves c as it was. */
    for (int s = 0; s < c->nsecs; s++) {
        const dt_cfg__sec *sec = &c->secs[s];
        int pixels = dt_cfg__pixel_anchors(sec->name);
        if (!pixels && strcmp(sec->name, "region") != 0) continue;
        for (int k = 0; k < sec->n; k++) {
            if (strcmp(sec->keys[k], "anchors") != 0) continue;
            if (!pixels) {
                nregion++;
                break;
            }
            char *bad;
            scaled[s] = dt_cfg__scaled_anchors(sec->vals[k], fx, fy, &bad);
            if (!scaled[s]) {
                dt_errf(err, "%s:%d: [%s] anchors: '%s' is not a positive number", c->name, sec->lines[k], sec->name,
                        bad);
                err->line = sec->lines[k];
                free(bad);
                for (int j = 0; j < c->nsecs; j++) free(scaled[j]);
                free(scaled);
                return -1;
            }
            if (strcmp(sec->name, "yolo") == 0) nyolo++;
            else ngauss++;
            break;
        }
    }
    int changed = 0;
    for (int s = 0; s < c->nsecs; s++) {
        if (!scaled[s]) continue;
        const char *old = NULL;
        for (int k = 0; k < c->secs[s].n && !old; k++)
            if (strcmp(c->secs[s].keys[k], "anchors") == 0) old = c->secs[s].vals[k];
        if (fx != 1 || fy != 1) {
            changed += strcmp(old, scaled[s]) != 0;
            dt_cfg_set_at(c, s, "anchors", scaled[s]);
        }
        free(scaled[s]);
    }
    free(scaled);
    if (note && (nyolo || ngauss || nregion)) {
        if (note->len) dt_buf_add(note, "; ", 2);
        if (nyolo || ngauss) {
            dt_buf_printf(note, "anchors of %d %s%s%s layer%s ", nyolo + ngauss, nyolo ? "[yolo]" : "",
                          nyolo && ngauss ? " and " : "", ngauss ? "[Gaussian_yolo]" : "",
                          nyolo + ngauss > 1 ? "s" : "");
            if (fx != 1 || fy != 1)
                dt_buf_printf(note, "scaled by %.4g x %.4g for %dx%d (base %dx%d)", fx, fy, new_w, new_h, base_w,
                              base_h);
            else
                dt_buf_printf(note, "kept: the input stays %dx%d", new_w, new_h);
        }
        if (nregion)
            dt_buf_printf(note, "%s[region] anchors are in grid cells and stay", nyolo || ngauss ? "; " : "");
    }
    return changed;
}

const char *dt_cfg_net_default(const char *key)
{
    for (int i = 0; i < DT_CFG__COUNT(dt_cfg__net_defaults); i++)
        if (strcmp(dt_cfg__net_defaults[i][0], key) == 0) return dt_cfg__net_defaults[i][1];
    return NULL;
}
