/* dt_json: a recursive-descent reader of one JSON value, and Python-style writers. */
#include "dt_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting past this is no journal's: refused, so that a hostile line cannot exhaust
 * the stack. Optuna's operations nest four deep. */
#define DT_JSON__DEPTH 256

typedef struct dt_json__in {
    const char *p, *start, *end;
    dt_err *err;
    int depth;
} dt_json__in;

static int dt_json__fail(dt_json__in *in, const char *what)
{
    return dt_errf(in->err, "column %ld: %s", (long)(in->p - in->start) + 1, what);
}

static void dt_json__ws(dt_json__in *in)
{
    while (in->p < in->end && (*in->p == ' ' || *in->p == '\t' || *in->p == '\n' || *in->p == '\r')) in->p++;
}

/* Whether the text at in->p starts with word (and then moves past it). */
static int dt_json__word(dt_json__in *in, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(in->end - in->p) < n || memcmp(in->p, word, n) != 0) return 0;
    in->p += n;
    return 1;
}

static void dt_json__utf8(dt_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) u[0] = (char)cp, n = 1;
    else if (cp < 0x800) u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3F)), u[2] = (char)(0x80 | (cp & 0x3F)),
        n = 3;
    else
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3F)), u[2] = (char)(0x80 | (cp >> 6 & 0x3F)),
        u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    dt_buf_add(b, u, n);
}

/* Four hex digits at in->p into *cp. */
static int dt_json__hex4(dt_json__in *in, unsigned *cp)
{
    if (in->end - in->p < 4) return dt_json__fail(in, "\\u needs four hex digits");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = in->p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) return dt_json__fail(in, "\\u needs four hex digits");
        v = v * 16 + (unsigned)d;
    }
    in->p += 4;
    *cp = v;
    return 0;
}

/* A string's text (in->p past the opening quote) into a new NUL-terminated copy. */
static int dt_json__string(dt_json__in *in, char **out)
{
    dt_buf b = {0};
    dt_buf_add(&b, "", 0);
    for (;;) {
        if (in->p >= in->end) {
            dt_buf_free(&b);
            return dt_json__fail(in, "a string is not closed");
        }
        unsigned char c = (unsigned char)*in->p;
        if (c == '"') {
            in->p++;
            break;
        }
        if (c < 0x20) {
            dt_buf_free(&b);
            return dt_json__fail(in, "a control character inside a string (JSON escapes it)");
        }
        if (c != '\\') {
            const char *q = in->p;
            while (q < in->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20) q++;
            dt_buf_add(&b, in->p, (size_t)(q - in->p));
            in->p = q;
            continue;
        }
        const char *esc = in->p++;   /* the backslash: where a bad escape is reported */
        if (in->p >= in->end) {
            dt_buf_free(&b);
            return dt_json__fail(in, "a string is not closed");
        }
        char e = *in->p++;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (simple && e) {
            static const char to[] = "\"\\/\b\f\n\r\t";
            dt_buf_add(&b, &to[simple - "\"\\/bfnrt"], 1);
            continue;
        }
        if (e != 'u') {
            in->p = esc;
            dt_buf_free(&b);
            return dt_json__fail(in, "an unknown escape in a string");
        }
        unsigned cp;
        if (dt_json__hex4(in, &cp) != 0) {
            dt_buf_free(&b);
            return -1;
        }
        /* A high surrogate followed by a low one is one code point; a lone one
         * (which Python keeps) has no UTF-8 form: U+FFFD stands for it. */
        if (cp >= 0xD800 && cp < 0xDC00 && in->end - in->p >= 6 && in->p[0] == '\\' && in->p[1] == 'u') {
            const char *save = in->p;
            unsigned lo;
            in->p += 2;
            if (dt_json__hex4(in, &lo) != 0) {
                dt_buf_free(&b);
                return -1;
            }
            if (lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            else in->p = save;
        }
        if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
        if (cp == 0) {
            in->p = esc;
            dt_buf_free(&b);
            return dt_json__fail(in, "\\u0000 inside a string (darktune keeps strings NUL-terminated)");
        }
        dt_json__utf8(&b, cp);
    }
    *out = b.p;
    return 0;
}

/* A number as Python's scanner reads one: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][-+]?[0-9]+)? */
static int dt_json__number(dt_json__in *in, dt_json *j)
{
    const char *s = in->p, *q = s;
    if (q < in->end && *q == '-') q++;
    if (q >= in->end || *q < '0' || *q > '9') return dt_json__fail(in, "expected a value");
    if (*q == '0') q++;
    else
        while (q < in->end && *q >= '0' && *q <= '9') q++;
    int integer = 1;
    if (q + 1 < in->end && *q == '.' && q[1] >= '0' && q[1] <= '9') {
        integer = 0;
        q++;
        while (q < in->end && *q >= '0' && *q <= '9') q++;
    }
    if (q < in->end && (*q == 'e' || *q == 'E')) {
        const char *e = q + 1;
        if (e < in->end && (*e == '+' || *e == '-')) e++;
        if (e < in->end && *e >= '0' && *e <= '9') {
            integer = 0;
            q = e;
            while (q < in->end && *q >= '0' && *q <= '9') q++;
        }
    }
    /* strtod reads from a NUL-terminated copy: the text is not terminated after q. */
    char buf[64];
    size_t n = (size_t)(q - s);
    if (n >= sizeof buf) {
        char *big = dt_xmalloc(n + 1);
        memcpy(big, s, n);
        big[n] = '\0';
        j->num = strtod(big, NULL);
        free(big);
    } else {
        memcpy(buf, s, n);
        buf[n] = '\0';
        j->num = strtod(buf, NULL);
    }
    j->type = DT_JSON_NUM;
    j->integer = integer;
    in->p = q;
    return 0;
}

static int dt_json__value(dt_json__in *in, dt_json *j);
static void dt_json__clear(dt_json *j);

/* After an item of an array or object: 1 when a ',' says another follows, 0 past the
 * closing bracket, -1 with the message what otherwise. */
static int dt_json__next(dt_json__in *in, char close, const char *what)
{
    dt_json__ws(in);
    if (in->p < in->end && (*in->p == ',' || *in->p == close)) return *in->p++ == ',';
    return dt_json__fail(in, what);
}

static int dt_json__array(dt_json__in *in, dt_json *j)
{
    j->type = DT_JSON_ARR;
    int cap = 0;
    dt_json__ws(in);
    if (in->p < in->end && *in->p == ']') {
        in->p++;
        return 0;
    }
    for (;;) {
        if (j->n == cap) {
            cap = cap ? 2 * cap : 4;
            j->items = dt_xrealloc(j->items, (size_t)cap * sizeof *j->items);
        }
        memset(&j->items[j->n], 0, sizeof *j->items);
        j->n++;
        if (dt_json__value(in, &j->items[j->n - 1]) != 0) return -1;
        int more = dt_json__next(in, ']', "expected ',' or ']' in an array");
        if (more <= 0) return more;
    }
}

static int dt_json__object(dt_json__in *in, dt_json *j)
{
    j->type = DT_JSON_OBJ;
    int cap = 0;
    dt_json__ws(in);
    if (in->p < in->end && *in->p == '}') {
        in->p++;
        return 0;
    }
    for (;;) {
        dt_json__ws(in);
        if (in->p >= in->end || *in->p != '"') return dt_json__fail(in, "expected a key in double quotes");
        in->p++;
        char *key;
        if (dt_json__string(in, &key) != 0) return -1;
        dt_json__ws(in);
        if (in->p >= in->end || *in->p != ':') {
            free(key);
            return dt_json__fail(in, "expected ':' after a key");
        }
        in->p++;
        /* A key given again keeps its last value, as Python's dict does. */
        int at = -1;
        for (int i = 0; i < j->n && at < 0; i++)
            if (strcmp(j->keys[i], key) == 0) at = i;
        if (at >= 0) {
            free(key);
            dt_json tmp = {0};
            if (dt_json__value(in, &tmp) != 0) {
                dt_json__clear(&tmp);
                return -1;
            }
            dt_json__clear(&j->items[at]);
            j->items[at] = tmp;
        } else {
            if (j->n == cap) {
                cap = cap ? 2 * cap : 8;
                j->items = dt_xrealloc(j->items, (size_t)cap * sizeof *j->items);
                j->keys = dt_xrealloc(j->keys, (size_t)cap * sizeof *j->keys);
            }
            memset(&j->items[j->n], 0, sizeof *j->items);
            j->keys[j->n] = key;
            j->n++;
            if (dt_json__value(in, &j->items[j->n - 1]) != 0) return -1;
        }
        int more = dt_json__next(in, '}', "expected ',' or '}' in an object");
        if (more <= 0) return more;
    }
}

static int dt_json__value(dt_json__in *in, dt_json *j)
{
    dt_json__ws(in);
    if (in->p >= in->end) return dt_json__fail(in, "expected a value, found the end of the line");
    if (++in->depth > DT_JSON__DEPTH) return dt_json__fail(in, "nested too deep");
    int rc = 0;
    char c = *in->p;
    if (c == '{') {
        in->p++;
        rc = dt_json__object(in, j);
    } else if (c == '[') {
        in->p++;
        rc = dt_json__array(in, j);
    } else if (c == '"') {
        in->p++;
        j->type = DT_JSON_STR;
        rc = dt_json__string(in, &j->str);
    } else if (dt_json__word(in, "true")) {
        j->type = DT_JSON_BOOL, j->num = 1;
    } else if (dt_json__word(in, "false")) {
        j->type = DT_JSON_BOOL, j->num = 0;
    } else if (dt_json__word(in, "null")) {
        j->type = DT_JSON_NULL;
    } else if (dt_json__word(in, "NaN")) {
        j->type = DT_JSON_NUM, j->num = NAN;
    } else if (dt_json__word(in, "Infinity")) {
        j->type = DT_JSON_NUM, j->num = INFINITY;
    } else if (dt_json__word(in, "-Infinity")) {
        j->type = DT_JSON_NUM, j->num = -INFINITY;
    } else {
        rc = dt_json__number(in, j);
    }
    in->depth--;
    return rc;
}

int dt_json_parse(const char *text, size_t len, dt_json **out, dt_err *err)
{
    dt_json__in in = {text, text, text + len, err, 0};
    dt_json *j = dt_xcalloc(1, sizeof *j);
    *out = NULL;
    if (dt_json__value(&in, j) != 0) {
        dt_json_free(j);
        return -1;
    }
    dt_json__ws(&in);
    if (in.p != in.end) {
        dt_json_free(j);
        return dt_json__fail(&in, "more text after the value");
    }
    *out = j;
    return 0;
}

/* Frees what j holds, not j itself. */
static void dt_json__clear(dt_json *j)
{
    free(j->str);
    for (int i = 0; i < j->n; i++) {
        if (j->keys) free(j->keys[i]);
        dt_json__clear(&j->items[i]);
    }
    free(j->keys);
    free(j->items);
}

void dt_json_free(dt_json *j)
{
    if (!j) return;
    dt_json__clear(j);
    free(j);
}

const dt_json *dt_json_get(const dt_json *j, const char *key)
{
    if (!j || j->type != DT_JSON_OBJ) return NULL;
    for (int i = 0; i < j->n; i++)
        if (strcmp(j->keys[i], key) == 0) return &j->items[i];
    return NULL;
}

const char *dt_json_type_name(const dt_json *j)
{
    if (!j) return "missing";
    switch (j->type) {
    case DT_JSON_NULL: return "null";
    case DT_JSON_BOOL: return "a boolean";
    case DT_JSON_NUM: return "a number";
    case DT_JSON_STR: return "a string";
    case DT_JSON_ARR: return "an array";
    case DT_JSON_OBJ: return "an object";
    }
    return "?";
}

/* The code point of the UTF-8 sequence at s (n bytes left) and its length; an invalid
 * sequence gives U+FFFD and length 1. */
static unsigned dt_json__decode(const unsigned char *s, size_t n, size_t *len)
{
    unsigned c = s[0];
    int k = c >= 0xF0 && c < 0xF5 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 && c < 0xE0 ? 1 : -1;
    if (c >= 0xF5) k = -1;
    *len = 1;
    if (k < 0 || (size_t)k >= n) return 0xFFFD;
    unsigned cp = c & (0x3F >> k);
    for (int i = 1; i <= k; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0xFFFD;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
    if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp < 0xE000))
        return 0xFFFD;
    *len = (size_t)k + 1;
    return cp;
}

void dt_json_str(dt_buf *b, const char *s)
{
    dt_buf_add(b, "\"", 1);
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        char esc[16];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            dt_buf_add(b, esc, 2);
            i++;
        } else if (c >= 0x20 && c < 0x7F) {
            dt_buf_add(b, (const char *)&s[i], 1);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            const char *named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b"
                                : c == '\f' ? "\\f" : NULL;
            if (named) dt_buf_add(b, named, 2);
            else {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                dt_buf_add(b, esc, 6);
            }
            i++;
        } else {
            size_t len;
            unsigned cp = dt_json__decode((const unsigned char *)s + i, n - i, &len);
            if (cp >= 0x10000) {
                cp -= 0x10000;
                snprintf(esc, sizeof esc, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
                dt_buf_add(b, esc, 12);
            } else {
                snprintf(esc, sizeof esc, "\\u%04x", cp);
                dt_buf_add(b, esc, 6);
            }
            i += len;
        }
    }
    dt_buf_add(b, "\"", 1);
}

void dt_json_num(dt_buf *b, double x)
{
    if (isnan(x)) {
        dt_buf_printf(b, "NaN");
        return;
    }
    if (isinf(x)) {
        dt_buf_printf(b, "%sInfinity", x < 0 ? "-" : "");
        return;
    }
    if (x == 0) {
        dt_buf_printf(b, "%s", signbit(x) ? "-0.0" : "0.0");
        return;
    }
    /* The shortest digits that read back as x, as "d.ddde±X". */
    char e[40];
    for (int prec = 0; prec <= 16; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, x);
        if (strtod(e, NULL) == x) break;
    }
    char digits[24];
    int nd = 0, neg = e[0] == '-';
    const char *p = e + neg;
    for (; *p && *p != 'e'; p++)
        if (*p != '.') digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = '\0';
    int exp10 = (int)strtol(p + 1, NULL, 10);   /* printf's own "e±XX" */
    if (neg) dt_buf_add(b, "-", 1);
    /* repr() writes positions -4 <= exp10 < 16 in fixed notation, others in scientific. */
    if (exp10 >= -4 && exp10 < 16) {
        if (exp10 < 0) {
            dt_buf_add(b, "0.", 2);
            for (int i = -1; i > exp10; i--) dt_buf_add(b, "0", 1);
            dt_buf_add(b, digits, (size_t)nd);
        } else if (nd <= exp10 + 1) {
            dt_buf_add(b, digits, (size_t)nd);
            for (int i = nd; i <= exp10; i++) dt_buf_add(b, "0", 1);
            dt_buf_add(b, ".0", 2);
        } else {
            dt_buf_add(b, digits, (size_t)exp10 + 1);
            dt_buf_add(b, ".", 1);
            dt_buf_add(b, digits + exp10 + 1, (size_t)(nd - exp10 - 1));
        }
    } else {
        dt_buf_add(b, digits, 1);
        if (nd > 1) {
            dt_buf_add(b, ".", 1);
            dt_buf_add(b, digits + 1, (size_t)nd - 1);
        }
        dt_buf_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
}
