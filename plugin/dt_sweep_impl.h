/* dt_sweep_impl: what the sweep's reader (dt_sweep.c) and its checks
 * (dt_sweep_check.c) share. Private to those two files. */
#ifndef DT_SWEEP_IMPL_H
#define DT_SWEEP_IMPL_H

#include <stdio.h>

#include "dt_cfg.h"
#include "dt_sweep.h"

enum { DT_SWEEP__STUDY, DT_SWEEP__DARKNET, DT_SWEEP__SAMPLER, DT_SWEEP__PRUNER, DT_SWEEP__FINAL, DT_SWEEP__SPACE,
       DT_SWEEP__NSECTIONS };

/* sw->fork while the sweep says auto, until the program is looked at (not a dt_fork). */
#define DT_SWEEP__FORK_AUTO 3

#define DT_SWEEP__COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* One [space:KEY=VALUE] header, to check its KEY once the whole space is known. */
typedef struct dt_sweep__cond {
    char *section;  /* as written, without brackets */
    char *key;
    int line;
} dt_sweep__cond;

typedef struct dt_sweep__ctx {
    dt_sweep *sw;
    dt_err *err;
    FILE *f;
    int line;            /* the line the reader gave last: the one inih is handling */
    int failed;          /* err holds the message: stop reading */
    int sec;             /* the current section (DT_SWEEP__STUDY, ...), -1 before any */
    char *secname;       /* the current section as written, for the line table and messages */
    char *cond_key, *cond_value;  /* the current [space:KEY=VALUE], NULL elsewhere */
    int header[DT_SWEEP__NSECTIONS];  /* line of each section's first header, 0 when absent */
    dt_sweep__cond *conds;
    int nconds;
    dt_cfg *cfg;         /* the base cfg, once read */
} dt_sweep__ctx;

/* "study", "darknet", ... for a DT_SWEEP__* section. */
const char *dt_sweep__section_name(int sec);
/* "minimize", "maximize" (index = dt_sweep.maximize). */
extern const char *const dt_sweep__directions[];

/* A refusal at a line of the sweep file ("FILE:LINE: message", or "FILE: message"
 * when line is 0) into c->err; sets c->failed and returns -1. */
int dt_sweep__fail(dt_sweep__ctx *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same at a line of another file (the base cfg). */
int dt_sweep__fail_in(dt_sweep__ctx *c, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The index of word in a NULL-terminated list, or -1. */
int dt_sweep__index(const char *word, const char *const *names);
/* "a, b, c" from a NULL-terminated list (n < 0) or from n names, into b. */
void dt_sweep__join(dt_buf *b, const char *const *names, int n, const char *sep);
/* The name closest to word for a "did you mean" hint, or NULL when none is close. */
const char *dt_sweep__near(const char *word, const char *const *names, int n);

/* Everything that needs the whole file, the base cfg, the .data file or the program,
 * in an order where each check relies on what the earlier ones settled: -1 with the
 * message in c->err at the first refusal. dt_sweep_check.c. */
int dt_sweep__check(dt_sweep__ctx *c);

#endif
