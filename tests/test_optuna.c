/* test_optuna: the JSON reader and writer against what Python's json module reads and
 * writes (numbers as repr() gives them, escapes, NaN), and Optuna journals both ways:
 * a study written and read back, the trials left out and why, the operations Optuna
 * ignores, and malformed journals refused with their line. Optuna itself reads what is
 * written here in tests/t_interop.sh. */
#include "dt_json.h"
#include "dt_optuna.h"
#include "dt_test.h"
#include "dt_test_space.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* x as dt_json_num writes it. */
static const char *num(double x)
{
    static dt_buf b;
    b.len = 0;
    dt_json_num(&b, x);
    return b.p;
}

static const char *str(const char *s)
{
    static dt_buf b;
    b.len = 0;
    dt_json_str(&b, s);
    return b.p;
}

/* The message of the parse of text, "" when it parses. */
static const char *parse_error(const char *text)
{
    static dt_err e;
    dt_json *j;
    if (dt_json_parse(text, strlen(text), &j, &e) == 0) {
        dt_json_free(j);
        return "";
    }
    return e.msg;
}

static void test_json(void)
{
    /* repr()'s forms: shortest digits, fixed from 1e-4 to below 1e16, ".0" on integers. */
    CHECK_STR(num(0.1), "0.1");
    CHECK_STR(num(1e-05), "1e-05");
    CHECK_STR(num(0.0001), "0.0001");
    CHECK_STR(num(3), "3.0");
    CHECK_STR(num(-2.5), "-2.5");
    CHECK_STR(num(1e16), "1e+16");
    CHECK_STR(num(123456789012345.0), "123456789012345.0");
    CHECK_STR(num(1.2345678901234568e+17), "1.2345678901234568e+17");
    /* The least normal double: a subnormal would do, but a library built with -ffast-math
     * (libdarknet is linked in) may flush those to 0 for the whole process. */
    CHECK_STR(num(2.2250738585072014e-308), "2.2250738585072014e-308");
    CHECK_STR(num(0.0637557), "0.0637557");
    CHECK_STR(num(NAN), "NaN");
    CHECK_STR(num(-INFINITY), "-Infinity");
    CHECK_STR(num(-0.0), "-0.0");
    /* ensure_ascii: quotes, controls, DEL and everything past ASCII escaped. */
    CHECK_STR(str("a\"b\\c\n\x01\x7f"), "\"a\\\"b\\\\c\\n\\u0001\\u007f\"");
    CHECK_STR(str("caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"caf\\u00e9 \\ud83d\\ude00\"");
    CHECK_STR(str("bad \xff byte"), "\"bad \\ufffd byte\"");

    dt_json *j;
    dt_err e;
    const char *text = "{\"a\": [1, 2.5, -3e2, true, null, \"x\\u00e9\\ud83d\\ude00\"], \"b\": {\"c\": NaN},"
                       " \"d\": -Infinity, \"a\": 7}";
    CHECK(dt_json_parse(text, strlen(text), &j, &e) == 0);
    const dt_json *a = dt_json_get(j, "a"), *c = dt_json_get(dt_json_get(j, "b"), "c");
    /* A key given twice keeps its last value, as Python's dict does. */
    CHECK(a && a->type == DT_JSON_NUM && a->num == 7 && a->integer);
    CHECK(c && isnan(c->num));
    CHECK(dt_json_get(j, "d") && dt_json_get(j, "d")->num == -INFINITY);
    dt_json_free(j);
    text = "[1, 2.5, -3e2, \"x\\u00e9\\ud83d\\ude00\"]";
    CHECK(dt_json_parse(text, strlen(text), &j, &e) == 0);
    CHECK(j->n == 4 && j->items[0].integer && !j->items[1].integer && j->items[2].num == -300 && !j->items[2].integer);
    CHECK_STR(j->items[3].str, "x\xc3\xa9\xf0\x9f\x98\x80");
    dt_json_free(j);

    CHECK_STR(parse_error("{\"a\": 1,}"), "column 9: expected a key in double quotes");
    CHECK_STR(parse_error("[1 2]"), "column 4: expected ',' or ']' in an array");
    CHECK_STR(parse_error("\"abc"), "column 5: a string is not closed");
    CHECK_STR(parse_error("{} x"), "column 4: more text after the value");
    CHECK_STR(parse_error("\"a\\u0000\""), "column 3: \\u0000 inside a string (darktune keeps strings NUL-terminated)");
    CHECK_STR(parse_error("01"), "column 2: more text after the value");
    CHECK_STR(parse_error(""), "column 1: expected a value, found the end of the line");
    char deep[600];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    CHECK(strstr(parse_error(deep), "nested too deep") != NULL);
}

/* learning_rate log, momentum uniform, batch choice of numbers, burn_in stepped int,
 * crop logint, policy choice, power only when policy = poly, steps fixed when steps. */
static void make_space(dt_space *s)
{
    memset(s, 0, sizeof *s);
    dt_test_add(s, "learning_rate", "log(1e-3, 1)", NULL, NULL);
    dt_test_add(s, "momentum", "uniform(0.5, 0.85)", NULL, NULL);
    dt_test_add(s, "batch", "choice(32, 64)", NULL, NULL);
    dt_test_add(s, "burn_in", "int(0, 10, step=2)", NULL, NULL);
    dt_test_add(s, "crop", "logint(28, 64)", NULL, NULL);
    dt_test_add(s, "policy", "choice(constant, poly, steps)", NULL, NULL);
    dt_test_add(s, "power", "uniform(1, 4)", "policy", "poly");
    dt_test_add(s, "steps", "0.5, 0.75", "policy", "steps");
    dt_err e;
    CHECK(dt_space_resolve(s, &e) == 0);
}

static void set_values(const dt_space *s, dt_trial *t, const char *const *texts)
{
    for (int i = 0; i < s->n; i++)
        if (texts[i]) dt_value_text(&s->p[i], texts[i], &t->values[i]);
    dt_space_activate(s, t->values);
}

static int find(const dt_space *s, const char *name)
{
    return dt_space_find(s, name);
}

static void test_round_trip(void)
{
    dt_space s;
    make_space(&s);
    dt_trial ts[4];
    for (int i = 0; i < 4; i++) {
        dt_trial_init(&ts[i], s.n);
        ts[i].number = i;
        ts[i].started = 1765000000.25 + i;
        ts[i].finished = ts[i].started + 2;
    }
    /* 0: the baseline, momentum 0.9 outside the space; 1: poly, pruned; 2: failed; 3: running. */
    set_values(&s, &ts[0], (const char *const[]){"0.01", "0.9", "64", "0", "32", "constant", NULL, NULL});
    ts[0].baseline = 1, ts[0].state = DT_COMPLETE, ts[0].value = 0.7016;
    set_values(&s, &ts[1], (const char *const[]){"0.0637557", "0.618712", "32", "4", "45", "poly", "1.87159", NULL});
    ts[1].state = DT_PRUNED, ts[1].value = 0.5;
    snprintf(ts[1].reason, sizeof ts[1].reason, "median: \"worse\"");
    set_values(&s, &ts[2], (const char *const[]){"0.5", "0.7", "32", "10", "64", "steps", NULL, "0.5, 0.75"});
    ts[2].state = DT_FAIL, ts[2].fate = DT_FATE_INTERRUPTED;
    set_values(&s, &ts[3], (const char *const[]){"0.1", "0.7", "64", "2", "28", "constant", NULL, NULL});
    ts[3].state = DT_RUNNING;
    dt_point p0[] = {{5, DT_POINT_METRIC, 0.6}, {5, DT_POINT_LOSS, 2.0}, {10, DT_POINT_METRIC, 0.7},
                     {10, DT_POINT_METRIC, 0.7016}};
    dt_point p1[] = {{5, DT_POINT_METRIC, 0.4}, {10, DT_POINT_METRIC, 0.5}};
    dt_point *pts[] = {p0, p1, NULL, NULL};
    int npts[] = {4, 2, 0, 0};
    dt_optuna_study st = {.name = "round \"trip\"", .maximize = 1, .metric = "top1", .series = DT_POINT_METRIC,
                          .series_name = "top1", .space = &s};
    dt_buf out = {0};
    dt_err e;
    CHECK(dt_optuna_write(&out, &st, ts, 4, pts, npts, &e) == 0);
    /* What Optuna's optimize writes, field for field (optuna/storages/journal/_storage.py). */
    CHECK(strstr(out.p, "{\"op_code\":0,\"worker_id\":\"darktune\",\"study_name\":\"round \\\"trip\\\"\","
                        "\"directions\":[2]}\n") == out.p);
    CHECK(strstr(out.p, "{\"op_code\":4,\"worker_id\":\"darktune\",\"study_id\":0,"
                        "\"datetime_start\":\"2025-12-06T05:46:40.250000+00:00\"}\n") != NULL);
    CHECK(strstr(out.p, "\"param_name\":\"learning_rate\",\"param_value_internal\":0.0637557,\"distribution\":"
                        "\"{\\\"name\\\": \\\"FloatDistribution\\\", \\\"attributes\\\": {\\\"step\\\": null, "
                        "\\\"low\\\": 0.001, \\\"high\\\": 1.0, \\\"log\\\": true}}\"}") != NULL);
    CHECK(strstr(out.p, "\"param_name\":\"burn_in\",\"param_value_internal\":4.0,\"distribution\":\"{\\\"name\\\": "
                        "\\\"IntDistribution\\\", \\\"attributes\\\": {\\\"log\\\": false, \\\"step\\\": 2, "
                        "\\\"low\\\": 0, \\\"high\\\": 10}}\"}") != NULL);
    CHECK(strstr(out.p,
                 "\"param_name\":\"batch\",\"param_value_internal\":0,\"distribution\":\"{\\\"name\\\": "
                 "\\\"CategoricalDistribution\\\", \\\"attributes\\\": {\\\"choices\\\": [32, 64]}}\"}") != NULL);
    CHECK(strstr(out.p, "\"user_attr\":{\"darktune_outside_space\":{\"momentum\": \"0.9\"}}") != NULL);
    CHECK(strstr(out.p, "\"trial_id\":0,\"step\":10,\"intermediate_value\":0.7016}") != NULL);
    CHECK(strstr(out.p, "\"trial_id\":0,\"step\":10,\"intermediate_value\":0.7}") == NULL);   /* the later of a step */
    CHECK(strstr(out.p, "\"intermediate_value\":2.0") == NULL);   /* the loss is not the series */
    CHECK(strstr(out.p, "\"trial_id\":1,\"state\":2,\"values\":[0.5],\"datetime_complete\":"
                        "\"2025-12-06T05:46:43.250000+00:00\"}") != NULL);
    CHECK(strstr(out.p, "\"trial_id\":2,\"state\":3,\"values\":null,") != NULL);
    CHECK(strstr(out.p, "\"trial_id\":3,\"state\"") == NULL);   /* running: no state operation */
    CHECK(strstr(out.p, "\"param_name\":\"steps\"") == NULL);    /* fixed: no parameter */
    CHECK(strstr(out.p, "\"trial_id\":0,\"param_name\":\"power\"") == NULL);

    /* Read back into the same space: the baseline lacks momentum (outside, so left out),
     * the failed and the running trial have nothing to learn from. */
    dt_optuna_in in;
    dt_optuna_want want = {.space = &s, .maximize = 1};
    CHECK(dt_optuna_parse("rt.jsonl", out.p, out.len, &want, &in, &e) == 0);
    CHECK_STR(in.study, "round \"trip\"");
    CHECK(in.total == 4 && in.n == 1 && in.pruned == 1 && in.nskips == 3);
    if (in.n == 1) {
        const dt_trial *t = &in.trials[0];
        CHECK(t->number == 1 && t->state == DT_PRUNED && t->value == 0.5 && t->fate == DT_FATE_IMPORTED);
        CHECK(t->last_step == 10 && t->last_value == 0.5 && t->last_kind == DT_POINT_METRIC);
        CHECK_STR(t->values[find(&s, "learning_rate")].text, "0.0637557");
        CHECK_STR(t->values[find(&s, "batch")].text, "32");
        CHECK_STR(t->values[find(&s, "power")].text, "1.87159");
        CHECK(!t->values[find(&s, "steps")].active);
        CHECK_STR(t->reason, "imported: Optuna trial 1 of study 'round \"trip\"'");
    }
    if (in.nskips == 3) {
        CHECK_STR(in.skips[0].why, "no 'momentum', which [space] tunes");
        CHECK_STR(in.skips[1].why, "state FAIL: no value to learn from");
        CHECK_STR(in.skips[2].why, "state RUNNING: no value to learn from");
        CHECK(in.skips[1].first == 2 && in.skips[1].count == 1);
    }
    dt_buf b = {0};
    dt_optuna_summary(&in, &b);
    CHECK_STR(b.p, "1 of 4 trials fit (0 complete, 1 pruned), 3 left out: 1 no 'momentum', which [space] tunes "
                   "(trial 0); 1 state FAIL: no value to learn from (trial 2); 1 state RUNNING: no value to learn "
                   "from (trial 3)");
    dt_buf_free(&b);
    dt_optuna_in_free(&in);

    /* Another direction is refused; numbers that are not 0..n-1 cannot be written. */
    want.maximize = 0;
    CHECK(dt_optuna_parse("rt.jsonl", out.p, out.len, &want, &in, &e) == -1);
    CHECK_STR(e.msg, "rt.jsonl:1: study 'round \"trip\"' maximizes, and this sweep minimizes: its values would rank "
                     "backwards");
    ts[3].number = 7;
    dt_buf again = {0};
    CHECK(dt_optuna_write(&again, &st, ts, 4, pts, npts, &e) == -1);
    dt_buf_free(&again);
    dt_buf_free(&out);
    for (int i = 0; i < 4; i++) dt_trial_free(&ts[i]);
    dt_space_free(&s);
}

#define OP(code) "{\"op_code\":" #code ",\"worker_id\":\"w\""
#define FLOAT_LR "\"{\\\"name\\\": \\\"FloatDistribution\\\", \\\"attributes\\\": {\\\"step\\\": null, " \
                 "\\\"low\\\": 0.001, \\\"high\\\": 1.0, \\\"log\\\": true}}\""
#define CAT_POLICY "\"{\\\"name\\\": \\\"CategoricalDistribution\\\", \\\"attributes\\\": {\\\"choices\\\": " \
                   "[\\\"constant\\\", \\\"poly\\\", \\\"steps\\\"]}}\""

/* A space of learning_rate and policy, power only when policy = poly. */
static void small_space(dt_space *s)
{
    memset(s, 0, sizeof *s);
    dt_test_add(s, "learning_rate", "log(1e-3, 1)", NULL, NULL);
    dt_test_add(s, "policy", "choice(constant, poly, steps)", NULL, NULL);
    dt_test_add(s, "power", "uniform(1, 4)", "policy", "poly");
    dt_err e;
    CHECK(dt_space_resolve(s, &e) == 0);
}

/* Reads text against the small space (maximize): the result, with in filled on 0. */
static int read_text(const char *text, dt_optuna_in *in, dt_err *e)
{
    dt_space s;
    small_space(&s);
    dt_optuna_want want = {.space = &s, .maximize = 1, .fallback = "b"};
    int rc = dt_optuna_parse("j.jsonl", text, strlen(text), &want, in, e);
    dt_space_free(&s);
    return rc;
}

static const char *refusal(const char *text)
{
    static dt_err e;
    dt_optuna_in in;
    if (read_text(text, &in, &e) == 0) {
        dt_optuna_in_free(&in);
        return "";
    }
    return e.msg;
}

static void test_read(void)
{
    /* Optuna's own ways: a template trial (add_trial) beside define-by-run ones; an
     * operation on a finished trial or a deleted study ignored; a parameter whose
     * distribution conflicts with the study's first ignored; intermediate values by
     * step, the last of a step kept; pruned trials keep their last one. */
    const char *text =
        OP(0) ",\"study_name\":\"a\",\"directions\":[2]}\n"
        OP(0) ",\"study_name\":\"gone\",\"directions\":[2]}\n"
        OP(1) ",\"study_id\":1}\n"
        OP(4) ",\"study_id\":1,\"datetime_start\":null}\n"
        OP(4) ",\"study_id\":0,\"datetime_start\":\"2026-01-01T00:00:00.000000+00:00\",\"state\":1,\"value\":0.8,"
              "\"values\":null,\"distributions\":{\"learning_rate\":" FLOAT_LR ",\"policy\":" CAT_POLICY "},"
              "\"params\":{\"learning_rate\":0.1,\"policy\":0.0},\"intermediate_values\":{\"5\":0.5},"
              "\"user_attrs\":{},\"system_attrs\":{},\"datetime_complete\":\"2026-01-01T00:00:01.000000+00:00\"}\n"
        OP(4) ",\"study_id\":0,\"datetime_start\":\"2026-01-01T00:00:00.000000+00:00\"}\n"
        OP(5) ",\"trial_id\":1,\"param_name\":\"learning_rate\",\"param_value_internal\":0.01,\"distribution\":"
              FLOAT_LR "}\n"
        OP(5) ",\"trial_id\":1,\"param_name\":\"policy\",\"param_value_internal\":2,\"distribution\":" CAT_POLICY "}\n"
        OP(7) ",\"trial_id\":1,\"step\":5,\"intermediate_value\":0.3}\n"
        OP(7) ",\"trial_id\":1,\"step\":10,\"intermediate_value\":0.2}\n"
        OP(7) ",\"trial_id\":1,\"step\":10,\"intermediate_value\":0.25}\n"
        OP(8) ",\"trial_id\":1,\"user_attr\":{\"k\":[1,2]}}\n"
        OP(6) ",\"trial_id\":1,\"state\":2,\"values\":[0.25],\"datetime_complete\":\"2026-01-01T00:00:02.0+00:00\"}\n"
        OP(7) ",\"trial_id\":1,\"step\":20,\"intermediate_value\":0.9}\n"
        OP(5) ",\"trial_id\":1,\"param_name\":\"x\",\"param_value_internal\":1}\n"
        /* trial 2: policy as a float, which conflicts with trial 0's categorical: dropped,
         * so the trial lacks policy. */
        OP(4) ",\"study_id\":0,\"datetime_start\":\"2026-01-01T00:00:00.000000+00:00\"}\n"
        OP(5) ",\"trial_id\":2,\"param_name\":\"learning_rate\",\"param_value_internal\":0.2,\"distribution\":"
              FLOAT_LR "}\n"
        OP(5) ",\"trial_id\":2,\"param_name\":\"policy\",\"param_value_internal\":0.2,\"distribution\":" FLOAT_LR "}\n"
        OP(6) ",\"trial_id\":2,\"state\":1,\"values\":[0.7],\"datetime_complete\":\"2026-01-01T00:00:02.0+00:00\"}\n"
        /* trial 3: power set while policy is constant; trial 4: learning_rate 2, outside;
         * trial 5: a parameter the space lacks; trial 6: poly without power. */
        OP(4) ",\"study_id\":0,\"datetime_start\":null,\"state\":1,\"value\":0.6,\"distributions\":{\"learning_rate\":"
              FLOAT_LR ",\"policy\":" CAT_POLICY ",\"power\":\"{\\\"type\\\": \\\"float\\\", \\\"low\\\": 1, "
              "\\\"high\\\": 4}\"},\"params\":{\"learning_rate\":0.1,\"policy\":0,\"power\":2}}\n"
        OP(4) ",\"study_id\":0,\"datetime_start\":null,\"state\":1,\"value\":0.6,\"distributions\":{\"learning_rate\":"
              "\"{\\\"name\\\": \\\"FloatDistribution\\\", \\\"attributes\\\": {\\\"low\\\": 0.001, \\\"high\\\": 10, "
              "\\\"log\\\": true}}\",\"policy\":" CAT_POLICY "},\"params\":{\"learning_rate\":2,\"policy\":0}}\n"
        OP(4) ",\"study_id\":0,\"datetime_start\":null,\"state\":1,\"value\":0.6,\"distributions\":{\"learning_rate\":"
              FLOAT_LR ",\"policy\":" CAT_POLICY ",\"decay\":" FLOAT_LR "},\"params\":{\"learning_rate\":0.1,"
              "\"policy\":0,\"decay\":0.01}}\n"
        OP(4) ",\"study_id\":0,\"datetime_start\":null,\"state\":1,\"value\":0.6,\"distributions\":{\"learning_rate\":"
              FLOAT_LR ",\"policy\":" CAT_POLICY "},\"params\":{\"learning_rate\":0.1,\"policy\":-2}}\n"
        OP(10) ",\"trial_ids\":[0]}\n"
        OP(4) ",\"study_id\":0,\"datetime_start\":null,\"state\":1,\"value\":0.6";   /* cut: no newline */
    dt_optuna_in in;
    dt_err e;
    CHECK(read_text(text, &in, &e) == 0);
    CHECK_STR(in.study, "a");
    CHECK(in.total == 7 && in.n == 2 && in.complete == 1 && in.pruned == 1 && in.cut == 25);
    if (in.n == 2) {
        CHECK(in.trials[0].number == 0 && in.trials[0].value == 0.8 && in.trials[0].last_step == 5);
        CHECK_STR(in.trials[0].values[1].text, "constant");
        CHECK(in.trials[1].number == 1 && in.trials[1].state == DT_PRUNED && in.trials[1].value == 0.25);
        CHECK(in.trials[1].last_step == 10 && in.trials[1].last_value == 0.25 && in.trials[1].iterations == 10);
        CHECK_STR(in.trials[1].values[1].text, "steps");
        CHECK(!in.trials[1].values[2].active);
    }
    const char *whys[] = {"no 'policy', which [space] tunes", "'power' is set, but [space:policy=poly] does not hold",
                          "'learning_rate' outside log(0.001, 1)", "'decay' is not in [space]",
                          "no 'power', which [space] tunes when policy = poly"};
    CHECK(in.nskips == 5);
    for (int i = 0; i < 5 && i < in.nskips; i++) CHECK_STR(in.skips[i].why, whys[i]);
    dt_optuna_in_free(&in);

    /* Optuna's old class names, and the abbreviated form, read as their new classes. */
    const char *old =
        OP(0) ",\"study_name\":\"a\",\"directions\":[2]}\n"
        OP(4) ",\"study_id\":0,\"datetime_start\":null,\"state\":1,\"value\":0.5,\"distributions\":{\"learning_rate\":"
              "\"{\\\"name\\\": \\\"LogUniformDistribution\\\", \\\"attributes\\\": "
              "{\\\"low\\\": 0.001, \\\"high\\\": 1}}\","
              "\"policy\":\"{\\\"type\\\": \\\"categorical\\\", \\\"choices\\\": [\\\"constant\\\"]}\"},"
              "\"params\":{\"learning_rate\":0.02,\"policy\":0}}\n";
    CHECK(read_text(old, &in, &e) == 0);
    CHECK(in.n == 1 && in.complete == 1);
    if (in.n == 1) CHECK_STR(in.trials[0].values[0].text, "0.02");
    dt_optuna_in_free(&in);

    /* Which study: the only one, the one named, or the sweep's (fallback "b"). */
    const char *two = OP(0) ",\"study_name\":\"a\",\"directions\":[2]}\n" OP(0) ",\"study_name\":\"c\","
                      "\"directions\":[2]}\n";
    CHECK_STR(refusal(two), "j.jsonl: the journal holds 2 studies ('a', 'c'); name one (darktune import --study NAME)");
    const char *three = OP(0) ",\"study_name\":\"a\",\"directions\":[2]}\n" OP(0) ",\"study_name\":\"b\","
                        "\"directions\":[2]}\n" OP(0) ",\"study_name\":\"a\",\"directions\":[1]}\n";
    CHECK(read_text(three, &in, &e) == 0);
    CHECK_STR(in.study, "b");
    dt_optuna_in_free(&in);
    CHECK_STR(refusal(OP(0) ",\"study_name\":\"a\",\"directions\":[2, 1]}\n"),
              "j.jsonl:1: study 'a' has 2 objectives; a darktune study has one");
    CHECK_STR(refusal(""), "j.jsonl: the journal holds no study");

    /* What Optuna fails on, refused with the line. */
    const char *s0 = OP(0) ",\"study_name\":\"a\",\"directions\":[2]}\n";
    const char *t0 = OP(4) ",\"study_id\":0,\"datetime_start\":null}\n";
    struct { const char *text, *msg; } bad[] = {
        {"{\"op_code\":0,\n", "j.jsonl:1: not a JSON operation: column 14: expected a key in double quotes"},
        {"[0]\n", "j.jsonl:1: an operation is a JSON object, not an array"},
        {"{\"worker_id\":\"w\"}\n", "j.jsonl:1: an operation without an 'op_code'"},
        {OP(42) "}\n", "j.jsonl:1: op_code 42 is none of Optuna's operations (0-10)"},
        {OP(0) ",\"study_name\":\"a\"}\n", "j.jsonl:1: create_study: no 'directions'"},
        {OP(0) ",\"study_name\":\"a\",\"directions\":[3]}\n",
         "j.jsonl:1: create_study: direction 1 is 3, not 0, 1 or 2 (not set, minimize, maximize)"},
        {OP(4) ",\"datetime_start\":null}\n", "j.jsonl:1: create_trial: no 'study_id'"},
        {NULL, "j.jsonl:2: create_trial: no 'datetime_start'"},
        {NULL, "j.jsonl:3: set_trial_param: the distribution is not JSON: column 1: expected a value, found the end of "
               "the line"},
        {NULL, "j.jsonl:3: set_trial_param: unknown distribution class 'FooDistribution'"},
        {NULL, "j.jsonl:3: set_trial_param: a parameter's choice index 3 is out of range (3 choices)"},
        {NULL, "j.jsonl:3: set_trial_param: the distribution's low 2 is above its high 1"},
        {NULL, "j.jsonl:3: set_trial_state_values: 'state' is a number, not one of Optuna's trial states 0-4"},
        {NULL, "j.jsonl:3: set_trial_state_values: no 'datetime_complete'"},
        {NULL, "j.jsonl:3: set_trial_intermediate_value: 'step' is a number, not an integer"},
        {NULL, "j.jsonl:3: set_trial_user_attr: 'user_attr' is not an object of one key"},
        {NULL, "j.jsonl:2: create_trial: parameter 'x' has no distribution"},
        {NULL, "j.jsonl:3: set_trial_param: the distribution has an unknown attribute 'lo'"},
    };
    const char *rest[] = {
        OP(4) ",\"study_id\":0}\n",
        OP(5) ",\"trial_id\":0,\"param_name\":\"x\",\"param_value_internal\":1,\"distribution\":\"\"}\n",
        OP(5) ",\"trial_id\":0,\"param_name\":\"x\",\"param_value_internal\":1,\"distribution\":"
              "\"{\\\"name\\\": \\\"FooDistribution\\\", \\\"attributes\\\": {}}\"}\n",
        OP(5) ",\"trial_id\":0,\"param_name\":\"policy\",\"param_value_internal\":3,\"distribution\":" CAT_POLICY "}\n",
        OP(5) ",\"trial_id\":0,\"param_name\":\"x\",\"param_value_internal\":1,\"distribution\":"
              "\"{\\\"name\\\": \\\"IntDistribution\\\", \\\"attributes\\\": {\\\"low\\\": 2, \\\"high\\\": 1}}\"}\n",
        OP(6) ",\"trial_id\":0,\"state\":7,\"values\":null}\n",
        OP(6) ",\"trial_id\":0,\"state\":1,\"values\":[1]}\n",
        OP(7) ",\"trial_id\":0,\"step\":1.5,\"intermediate_value\":1}\n",
        OP(8) ",\"trial_id\":0,\"user_attr\":{\"a\":1,\"b\":2}}\n",
        OP(4) ",\"study_id\":0,\"datetime_start\":null,\"params\":{\"x\":1},\"distributions\":{}}\n",
        OP(5) ",\"trial_id\":0,\"param_name\":\"x\",\"param_value_internal\":1,\"distribution\":"
              "\"{\\\"name\\\": \\\"UniformDistribution\\\", \\\"attributes\\\": "
              "{\\\"lo\\\": 0, \\\"high\\\": 1}}\"}\n",
    };
    for (size_t i = 0, k = 0; i < sizeof bad / sizeof *bad; i++) {
        char text_[2048];
        if (bad[i].text) snprintf(text_, sizeof text_, "%s", bad[i].text);
        else if (k == 0 || k == 9) snprintf(text_, sizeof text_, "%s%s", s0, rest[k++]);
        else snprintf(text_, sizeof text_, "%s%s%s", s0, t0, rest[k++]);
        CHECK_STR(refusal(text_), bad[i].msg);
    }
}

int main(void)
{
    test_json();
    test_round_trip();
    test_read();
    return dt_test_done("optuna");
}
