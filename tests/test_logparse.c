/* test_logparse: every line of tests/golden/logparse/lines.txt (Darknet's output) and of
 * tests/bad/log/lines.txt (malformed output: the catalogue of bad input) parses to what it
 * says, plus ANSI stripping on its own. Run from the repository root. */
#include "dt_logparse.h"
#include "dt_test.h"
#include "dt_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN "tests/golden/logparse/lines.txt"
#define BAD "tests/bad/log/lines.txt"

/* Decodes the golden file's escapes (\e \a \t \\) in place. */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r != '\\' || !r[1]) { *w++ = *r; continue; }
        r++;
        *w++ = *r == 'e' ? '\033' : *r == 'a' ? '\a' : *r == 't' ? '\t' : *r;
    }
    *w = '\0';
}

static const char *kind_name(dt_line_kind k)
{
    switch (k) {
    case DT_LINE_ITER: return "ITER";
    case DT_LINE_MAP: return "MAP";
    case DT_LINE_MAP_LAST: return "MAP_LAST";
    case DT_LINE_TOP: return "TOP";
    case DT_LINE_OOM: return "OOM";
    default: return "NONE";
    }
}

/* Compares one parsed field with its expected text ("nan", "inf", "-inf" or a number). */
static int same_value(double got, const char *want)
{
    if (strcmp(want, "nan") == 0) return isnan(got);
    double w;
    if (dt_parse_double(want, &w) != 0) return 0;
    if (isinf(w)) return got == w;
    return fabs(got - w) <= 1e-9 + 1e-6 * fabs(w);
}

/* Checks each "field=value" of expect against out; returns the number of mismatches. */
static int check_fields(const char *path, int lineno, const dt_line *out, char *expect)
{
    int bad = 0;
    for (char *tok = strtok(expect, " "); tok; tok = strtok(NULL, " ")) {
        char *eq = strchr(tok, '=');
        if (!eq) { fprintf(stderr, "%s:%d: bad field '%s'\n", path, lineno, tok); bad++; continue; }
        *eq = '\0';
        const char *want = eq + 1;
        double got;
        if (strcmp(tok, "iteration") == 0) got = (double)out->iteration;
        else if (strcmp(tok, "k") == 0) got = out->k;
        else if (strcmp(tok, "loss") == 0) got = out->loss;
        else if (strcmp(tok, "avg_loss") == 0) got = out->avg_loss;
        else if (strcmp(tok, "rate") == 0) got = out->rate;
        else if (strcmp(tok, "seconds") == 0) got = out->seconds;
        else if (strcmp(tok, "map") == 0) got = out->map;
        else if (strcmp(tok, "top1") == 0) got = out->top1;
        else if (strcmp(tok, "topk") == 0) got = out->topk;
        else { fprintf(stderr, "%s:%d: unknown field '%s'\n", path, lineno, tok); bad++; continue; }
        if (!same_value(got, want)) {
            fprintf(stderr, "%s:%d: %s: expected %s, got %g\n", path, lineno, tok, want, got);
            bad++;
        }
    }
    return bad;
}

/* Every line of a golden file (PATH) parses to what it says; at least MIN lines. */
static void test_golden(const char *path, int min)
{
    char *text;
    size_t len;
    dt_err err;
    CHECK(dt_read_file(path, &text, &len, &err) == 0);
    if (!text) return;
    int lineno = 0, lines = 0;
    for (char *line = text, *next; line && *line; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (line[0] == '#' || line[0] == '\0') continue;
        char *kind = strchr(line, '\t');
        if (!kind) { fprintf(stderr, "%s:%d: no kind\n", path, lineno); CHECK(0); continue; }
        *kind++ = '\0';
        char *fields = strchr(kind, '\t');
        if (fields) *fields++ = '\0';
        unescape(line);

        dt_line out;
        dt_logparse_line(line, &out);
        lines++;
        if (strcmp(kind_name(out.kind), kind) != 0)
            fprintf(stderr, "%s:%d: expected %s, got %s\n", path, lineno, kind, kind_name(out.kind));
        CHECK(strcmp(kind_name(out.kind), kind) == 0);
        if (fields) CHECK(check_fields(path, lineno, &out, fields) == 0);
    }
    CHECK(lines >= min);
    free(text);
}

static void test_strip_ansi(void)
{
    char s[] = "\033[1;37m12\033[0m: loss=\033[91mnan\033[0m";
    dt_logparse_strip_ansi(s);
    CHECK_STR(s, "12: loss=nan");

    char t[] = "\033[H\033[Jtitle\033]2;window title\007after";
    dt_logparse_strip_ansi(t);
    CHECK_STR(t, "titleafter");

    char u[] = "kept\033]0;unterminated osc";
    dt_logparse_strip_ansi(u);
    CHECK_STR(u, "kept");

    char v[] = "a\033(Bb\033";
    dt_logparse_strip_ansi(v);
    CHECK_STR(v, "ab");
}

static void test_absent_fields(void)
{
    dt_line out;
    CHECK(dt_logparse_line("Saving weights to backup/x.weights", &out) == DT_LINE_NONE);
    CHECK(isnan(out.loss) && isnan(out.map) && isnan(out.top1));

    /* A line longer than the parser's stack buffer still parses. */
    char big[3000];
    memset(big, ' ', sizeof big);
    strcpy(big + 2000, "7: 1.5, 1.6 avg, 0.1 rate, 2.0 seconds, 64 images");
    CHECK(dt_logparse_line(big, &out) == DT_LINE_ITER);
    CHECK(out.iteration == 7);
    CHECK_NEAR(out.avg_loss, 1.6, 1e-12);
}

/* Numbers no Darknet prints make a line no match (the fuzzer found the 91000 %). */
static void test_ranges(void)
{
    dt_line out;
    CHECK(dt_logparse_line(" 99999999999999999999999: 1.5, 1.5 avg, 0.1 rate, 0.1 seconds, 64 images", &out) ==
          DT_LINE_NONE);
    CHECK(dt_logparse_line(" 1000000001: 1.5, 1.5 avg, 0.1 rate, 0.1 seconds, 64 images", &out) == DT_LINE_NONE);
    CHECK(dt_logparse_line(" 1000000000: 1.5, 1.5 avg, 0.1 rate, 0.1 seconds, 64 images", &out) == DT_LINE_ITER);
    CHECK(dt_logparse_line(" Last accuracy mAP@0.50 = 91000 %, best = 91.00 %", &out) == DT_LINE_NONE);
    CHECK(dt_logparse_line(" mean_average_precision (mAP@0.50) = 1.5", &out) == DT_LINE_NONE);
    CHECK(dt_logparse_line(" mean_average_precision (mAP@0.50) = 0.91", &out) == DT_LINE_MAP && out.map == 0.91);
    CHECK(dt_logparse_line("100: top 1: 1.200000, top 5: 0.990000", &out) == DT_LINE_NONE);
}

static void test_find(void)
{
    char buf[64];
    const char *log = "Loaded: 0.1 seconds\n3, 0.003: 2.3, 2.3 avg, 0.1 rate, 0.5 seconds, 384 images\r\n"
                      "\033[31m  CUDA Error: out of memory\033[0m \nCUDA Error: out of memory: Success\n";
    CHECK(dt_logparse_find(log, DT_LINE_OOM, buf, sizeof buf) == 1);
    CHECK_STR(buf, "CUDA Error: out of memory");
    CHECK(dt_logparse_find(log, DT_LINE_ITER, buf, sizeof buf) == 1);
    CHECK(strncmp(buf, "3, 0.003:", 9) == 0);
    CHECK(dt_logparse_find(log, DT_LINE_MAP, buf, sizeof buf) == 0);
    CHECK_STR(buf, "");
    CHECK(dt_logparse_find("", DT_LINE_OOM, buf, sizeof buf) == 0);
}

int main(void)
{
    test_find();
    test_ranges();
    test_golden(GOLDEN, 30);
    test_golden(BAD, 40);
    test_strip_ansi();
    test_absent_fields();
    return dt_test_done("logparse");
}
