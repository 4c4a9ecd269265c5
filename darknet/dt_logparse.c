/* dt_logparse: Darknet's console lines turned into numbers.
 *
 * Every format Darknet prints is one pattern in the table below, written in a tiny
 * pattern language (dt_logparse__match), so that supporting another fork's line is
 * adding a row. A line is tried against each pattern at every position where a
 * number or word can start (search inside the line, never anchored at its start).
 * This module does not know about processes, files or trials. */
#include "dt_logparse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dt_util.h"

/* The pattern language:
 *   a space      zero or more blanks in the line
 *   %I           the iteration (digits)          -> out->iteration
 *   %L %A %R %S  loss, avg loss, rate, seconds    (numbers, nan/inf allowed)
 *   %T           a duration "64.424 milliseconds" -> out->seconds, in seconds
 *   %M %P        mAP as a fraction / as a percentage (stored as a fraction)
 *   %1 %K %k     top-1, the k of top-k, top-k
 *   %f %d        a number / an integer, not stored
 *   %*           any text (shortest that lets the rest match)
 *   %%           a literal '%'
 *   other        itself, letters compared without case */
typedef struct dt_logparse__format {
    dt_line_kind kind;
    const char *pattern;
} dt_logparse__format;

/* Order matters where one pattern is a prefix of another's meaning: the percent
 * form of a mAP line is tried before the fraction form. */
static const dt_logparse__format dt_logparse__formats[] = {
    /* pjreddie and AlexeyAB classifier (AlexeyAB adds ", %f hours left") */
    { DT_LINE_ITER, "%I, %f: %L, %A avg, %R rate, %S seconds, %d images" },
    /* pjreddie detector */
    { DT_LINE_ITER, "%I: %L, %A avg, %R rate, %S seconds, %d images" },
    /* AlexeyAB detector */
    { DT_LINE_ITER, "%I: %L, %A avg loss, %R rate, %S seconds, %d images" },
    /* hank-ai, current: "..., rate=R, load 64=D, train=D, N images, time remaining=D" */
    { DT_LINE_ITER, "%I: loss=%L, avg loss=%A,%*rate=%R,%*train=%T, %d images" },
    /* hank-ai, older: "..., rate=R, D, N images, time remaining=D" */
    { DT_LINE_ITER, "%I: loss=%L, avg loss=%A, rate=%R, %T, %d images" },
    /* hank-ai "-> mean average precision (mAP@0.50)=71.23%" */
    { DT_LINE_MAP, "mean average precision (mAP@%f) = %P %%" },
    /* AlexeyAB `detector map`: "... = 0.712345, or 71.23 %" */
    { DT_LINE_MAP, "mean average precision (mAP@%f) = %M" },
    /* AlexeyAB training with -map */
    { DT_LINE_MAP, "mean_average_precision (mAP@%f) = %M" },
    /* AlexeyAB "Last accuracy mAP@0.50 = 71.23 %" (before every iteration after the first
     * evaluation), hank-ai "-> last accuracy mAP@0.50=71.23%" (at the end): repeats */
    { DT_LINE_MAP_LAST, "last accuracy mAP@%f = %P %%" },
    /* classifier valid: "%d: top 1: %f, top %d: %f" */
    { DT_LINE_TOP, "%d: top 1: %1, top %K: %k" },
    /* Out of GPU memory. pjreddie: "CUDA Error: out of memory"; AlexeyAB adds "CUDA
     * Error Prev: out of memory" and "CUDA status Error: ..."; the libraries' own codes
     * where a fork prints them instead of the CUDA runtime's message. */
    { DT_LINE_OOM, "cuda%*out of memory" },
    { DT_LINE_OOM, "cudaErrorMemoryAllocation" },
    { DT_LINE_OOM, "CUDNN_STATUS_ALLOC_FAILED" },
    { DT_LINE_OOM, "CUBLAS_STATUS_ALLOC_FAILED" },
};

/* Reads a number at s (no leading blanks) into *v; nan, -nan, inf and -inf included.
 * Returns the end of the number, or NULL when s does not start with one. */
static const char *dt_logparse__number(const char *s, double *v)
{
    const char *p = s;
    if (*p == '-' || *p == '+') p++;
    if (strncasecmp(p, "nan", 3) == 0) {
        *v = NAN;  /* "-nan" is just nan: the sign of a nan means nothing here */
        return p + 3;
    }
    if (!(isdigit((unsigned char)*p) || *p == '.' || tolower((unsigned char)*p) == 'i'))
        return NULL;
    char *end;
    *v = strtod(s, &end);
    return end == s ? NULL : end;
}

/* Reads a duration "<number> <unit>" (microseconds ... weeks, or us/ms/s) as seconds.
 * Returns its end, or NULL when s is not one. */
static const char *dt_logparse__duration(const char *s, double *seconds)
{
    static const struct { const char *unit; double scale; } units[] = {
        { "microsecond", 1e-6 }, { "millisecond", 1e-3 }, { "second", 1 }, { "minute", 60 },
        { "hour", 3600 }, { "day", 86400 }, { "week", 604800 }, { "us", 1e-6 }, { "ms", 1e-3 },
        { "s", 1 },
    };
    double v;
    const char *p = dt_logparse__number(s, &v);
    if (!p) return NULL;
    while (*p == ' ') p++;
    size_t n = 0;
    while (isalpha((unsigned char)p[n])) n++;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t len = strlen(units[i].unit);
        /* the unit itself or its plural: "second", "seconds" */
        if ((n == len || (n == len + 1 && p[len] == 's')) && strncmp(p, units[i].unit, len) == 0) {
            *seconds = v * units[i].scale;
            return p + n;
        }
    }
    return NULL;
}

/* Matches pattern pat against the text at s (the rest of the line may follow).
 * Fills out's fields as it goes; returns 1 on a match. Recursive only for %*. */
static int dt_logparse__match(const char *pat, const char *s, dt_line *out)
{
    while (*pat) {
        if (*pat == ' ') {
            while (*s == ' ' || *s == '\t') s++;
            pat++;
            continue;
        }
        if (*pat != '%' || pat[1] == '%') {
            if (tolower((unsigned char)*pat) != tolower((unsigned char)*s)) return 0;
            pat += *pat == '%' ? 2 : 1;
            s++;
            continue;
        }
        char f = pat[1];
        pat += 2;
        if (f == '*') {
            for (; *s; s++)
                if (dt_logparse__match(pat, s, out)) return 1;
            return dt_logparse__match(pat, s, out);
        }
        if (f == 'I' || f == 'd' || f == 'K') {
            if (!isdigit((unsigned char)*s)) return 0;
            char *end;
            errno = 0;
            long n = strtol(s, &end, 10);
            s = end;
            /* Numbers no Darknet prints are no match: a garbled line is not data. */
            if (errno == ERANGE || (f == 'I' && n > DT_LOGPARSE_MAX_ITER) || (f == 'K' && (n < 1 || n > 1000)))
                return 0;
            if (f == 'I') out->iteration = n;
            if (f == 'K') out->k = (int)n;
            continue;
        }
        double v;
        const char *end = f == 'T' ? dt_logparse__duration(s, &v) : dt_logparse__number(s, &v);
        if (!end) return 0;
        s = end;
        switch (f) {
        case 'L': out->loss = v; break;
        case 'A': out->avg_loss = v; break;
        case 'R': out->rate = v; break;
        case 'S': case 'T': out->seconds = v; break;
        /* Fractions and percentages out of their range are no match either. */
        case 'M': if (!(v >= 0 && v <= 1)) return 0; out->map = v; break;
        case 'P': if (!(v >= 0 && v <= 100)) return 0; out->map = v / 100; break;
        case '1': if (!(v >= 0 && v <= 1)) return 0; out->top1 = v; break;
        case 'k': if (!(v >= 0 && v <= 1)) return 0; out->topk = v; break;
        default: break;  /* %f: read and dropped */
        }
    }
    return 1;
}

/* Sets every field to "not printed". */
static void dt_logparse__clear(dt_line *out)
{
    memset(out, 0, sizeof *out);
    out->kind = DT_LINE_NONE;
    out->iteration = -1;
    out->loss = out->avg_loss = out->rate = out->seconds = NAN;
    out->map = out->top1 = out->topk = NAN;
}

/* A match may start only where a word or number starts: never inside "0.017" or
 * after the '/' of AlexeyAB's "12/600:" title. */
static int dt_logparse__can_start(const char *line, const char *s)
{
    if (s == line) return 1;
    unsigned char c = (unsigned char)s[-1];
    return !(isalnum(c) || c == '.' || c == '-' || c == '+' || c == '_' || c == '/');
}

/* Tries every format at every place a match may start; the first match wins. */
dt_line_kind dt_logparse_line(const char *line, dt_line *out)
{
    dt_logparse__clear(out);
    char small[1024];
    size_t n = strlen(line);
    char *copy = n < sizeof small ? small : dt_xmalloc(n + 1);
    memcpy(copy, line, n + 1);
    dt_logparse_strip_ansi(copy);

    for (const char *s = copy; *s && out->kind == DT_LINE_NONE; s++) {
        if (!dt_logparse__can_start(copy, s)) continue;
        for (size_t i = 0; i < sizeof dt_logparse__formats / sizeof dt_logparse__formats[0]; i++) {
            dt_line try;
            dt_logparse__clear(&try);
            if (dt_logparse__match(dt_logparse__formats[i].pattern, s, &try)) {
                *out = try;
                out->kind = dt_logparse__formats[i].kind;
                break;
            }
        }
    }
    if (copy != small) free(copy);
    return out->kind;
}

void dt_logparse_clean(const char *line, char *buf, size_t n)
{
    char *t = dt_xstrdup(line);
    dt_logparse_strip_ansi(t);
    snprintf(buf, n, "%s", dt_trim(t));
    free(t);
}

int dt_logparse_find(const char *text, dt_line_kind kind, char *buf, size_t n)
{
    buf[0] = '\0';
    for (const char *s = text; *s;) {
        size_t len = strcspn(s, "\r\n");
        char *line = dt_xasprintf("%.*s", (int)len, s);
        dt_line out;
        int hit = dt_logparse_line(line, &out) == kind;
        if (hit) dt_logparse_clean(line, buf, n);
        free(line);
        if (hit) return 1;
        s += len;
        s += strspn(s, "\r\n");
    }
    return 0;
}

/* Copies everything but escape sequences, in place. */
void dt_logparse_strip_ansi(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        if (*r != '\033') {
            *w++ = *r++;
            continue;
        }
        r++;
        if (*r == '[') {
            /* CSI: parameters and intermediates, then one final byte in @..~ */
            r++;
            while (*r && !(*r >= '@' && *r <= '~')) r++;
            if (*r) r++;
        } else if (*r == ']') {
            /* OSC (hank-ai sets the window title): up to BEL, ESC \ or the end */
            while (*r && *r != '\a' && !(r[0] == '\033' && r[1] == '\\')) r++;
            if (*r == '\a') r++;
            else if (*r) r += 2;
        } else {
            /* other escapes: intermediates (space../), then one final byte: ESC ( B */
            while (*r >= ' ' && *r <= '/') r++;
            if (*r) r++;
        }
    }
    *w = '\0';
}
