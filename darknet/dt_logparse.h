/* dt_logparse: what Darknet programs print, turned into numbers.
 *
 * Understands the per-iteration lines of pjreddie, AlexeyAB and hank-ai Darknet
 * (classifier and detector), their mAP lines, `classifier valid`'s top-k lines, and
 * the CUDA, cuDNN and cuBLAS errors that mean the GPU's memory ran out
 * (../shared/DARKNET.md lists them). ANSI escapes are ignored, matches are searched
 * inside the line (never anchored at its start), and nan, -nan, inf and -inf are
 * read as such. Knows nothing of processes or trials. */
#ifndef DT_LOGPARSE_H
#define DT_LOGPARSE_H

#include <stddef.h>

typedef enum dt_line_kind {
    DT_LINE_NONE = 0,  /* nothing darktune reads */
    DT_LINE_ITER,      /* one training iteration */
    DT_LINE_MAP,       /* a mean average precision (mAP@0.5) result: one evaluation */
    DT_LINE_MAP_LAST,  /* the last evaluation's mAP repeated, rounded (AlexeyAB's "Last accuracy",
                        * printed before every iteration once it has evaluated): no evaluation */
    DT_LINE_TOP,       /* classifier valid: running top-1 / top-k */
    DT_LINE_OOM,       /* the GPU ran out of memory (CUDA, cuDNN or cuBLAS says so) */
} dt_line_kind;

typedef struct dt_line {
    dt_line_kind kind;
    long iteration;     /* ITER */
    double loss;        /* ITER: this iteration's loss (may be nan/inf) */
    double avg_loss;    /* ITER: the running average Darknet prints (NAN if absent) */
    double rate;        /* ITER: learning rate (NAN if absent) */
    double seconds;     /* ITER: seconds of the iteration (NAN if absent) */
    double map;         /* MAP, MAP_LAST: as a fraction in [0, 1], whatever the line printed (% or fraction) */
    double top1, topk;  /* TOP: fractions */
    int k;              /* TOP: the k of top-k */
} dt_line;

/* The largest iteration a line may name: Darknet counts them in an int, and no run
 * gets near this; a line past it is garbled, not data. */
#define DT_LOGPARSE_MAX_ITER 1000000000L

/* Parses one line (no newline needed). Returns out->kind; out is always filled.
 * Numbers out of their range (an iteration past DT_LOGPARSE_MAX_ITER, a fraction
 * above 1, a percentage above 100) make the line no match. */
dt_line_kind dt_logparse_line(const char *line, dt_line *out);

/* line without its escapes and outer blanks, copied into buf (for messages). */
void dt_logparse_clean(const char *line, char *buf, size_t n);

/* The first line of text (several lines) of this kind, copied into buf without its
 * escapes and outer blanks; returns 1 when there is one, else 0 with buf "". */
int dt_logparse_find(const char *text, dt_line_kind kind, char *buf, size_t n);

/* Removes ANSI escape sequences (CSI and OSC) from s in place. */
void dt_logparse_strip_ansi(char *s);

#endif
