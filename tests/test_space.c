/* test_space: parsing every form and error, value rounding, sampling statistics
 * with a fixed seed, conditions, and grid sizes and values. */
#include "dt_space.h"
#include "dt_test.h"

#include <stdlib.h>

/* Parses spec into a parameter called name, checking that it parses. */
static dt_param parse_ok(const char *name, const char *spec)
{
    dt_param p = {0};
    dt_err err = {0};
    p.name = dt_xstrdup(name);
    int rc = dt_param_parse(&p, spec, &err);
    if (rc != 0) fprintf(stderr, "parse '%s': %s\n", spec, err.msg);
    CHECK(rc == 0);
    return p;
}

/* Checks that spec is refused with a message containing phrase. */
static void parse_err(const char *spec, const char *phrase)
{
    dt_param p = {0};
    dt_err err = {0};
    CHECK(dt_param_parse(&p, spec, &err) == -1);
    if (!strstr(err.msg, phrase)) fprintf(stderr, "'%s': expected '%s' in \"%s\"\n", spec, phrase, err.msg);
    CHECK(strstr(err.msg, phrase) != NULL);
    CHECK(p.choices == NULL);
    dt_param_free(&p);
}

/* Adds a parameter to s, conditional when key is not NULL. */
static void add(dt_space *s, const char *name, const char *spec, const char *key, const char *value, int line)
{
    dt_param p = parse_ok(name, spec);
    p.cond_key = dt_xstrdup(key);
    p.cond_value = dt_xstrdup(value);
    p.line = line;
    dt_space_add(s, p);
}

static void test_parse(void)
{
    dt_param p = parse_ok("lr", "  log(1e-4, 1e-1) ");
    CHECK(p.kind == DT_LOG);
    CHECK_NEAR(p.low, 1e-4, 1e-12);
    CHECK_NEAR(p.high, 0.1, 1e-12);
    CHECK(p.cond == -1);
    CHECK_STR(p.name, "lr");
    dt_param_free(&p);

    p = parse_ok("m", "uniform(0.80,0.99)");
    CHECK(p.kind == DT_UNIFORM && p.low == 0.80 && p.high == 0.99 && p.step == 0);
    dt_param_free(&p);

    p = parse_ok("b", "int(0, 400, step=50)");
    CHECK(p.kind == DT_INT && p.low == 0 && p.high == 400 && p.step == 50);
    dt_param_free(&p);
    p = parse_ok("b", "int(0, 400, 50)");
    CHECK(p.kind == DT_INT && p.step == 50);
    dt_param_free(&p);
    p = parse_ok("b", "int(0, 400, step = 50)");
    CHECK(p.step == 50);
    dt_param_free(&p);
    p = parse_ok("b", "int(-3, 3)");
    CHECK(p.kind == DT_INT && p.low == -3 && p.high == 3 && p.step == 1);
    dt_param_free(&p);

    p = parse_ok("s", "logint(1, 1000)");
    CHECK(p.kind == DT_LOGINT && p.low == 1 && p.high == 1000);
    dt_param_free(&p);

    p = parse_ok("policy", "choice( constant, steps ,poly )");
    CHECK(p.kind == DT_CHOICE && p.nchoices == 3);
    CHECK_STR(p.choices[0], "constant");
    CHECK_STR(p.choices[1], "steps");
    CHECK_STR(p.choices[2], "poly");
    dt_param_free(&p);
    p = parse_ok("batch", "choice(64)");
    CHECK(p.kind == DT_CHOICE && p.nchoices == 1);
    dt_param_free(&p);

    const char *fixed[][2] = {{"0.9", "0.9"}, {" 0.8, 0.9 ", "0.8, 0.9"}, {"steps", "steps"}};
    for (int i = 0; i < 3; i++) {
        p = parse_ok("f", fixed[i][0]);
        CHECK(p.kind == DT_FIXED && p.nchoices == 1);
        CHECK_STR(p.choices[0], fixed[i][1]);
        dt_param_free(&p);
    }

    parse_err("uniform(0.1, 0.01)", "low 0.1 must be below high 0.01 in 'uniform(0.1, 0.01)'");
    parse_err("uniform(1, 1)", "must be below");
    parse_err("uniform(1)", "uniform needs a low and a high, got 1 value");
    parse_err("uniform(1, 2, 3)", "got 3 values");
    parse_err("uniform(a, 2)", "'a' is not a number in 'uniform(a, 2)'");
    parse_err("uniform(0, inf)", "'inf' is not a number");
    parse_err("log(0, 1)", "log needs a low above 0, got 0");
    parse_err("log(-1, 1)", "log needs a low above 0, got -1");
    parse_err("int(0.5, 4)", "int bounds must be integers, got '0.5'");
    parse_err("int(0, 400, step=0)", "step must be above 0, got 0");
    parse_err("int(0, 400, -50)", "step must be above 0, got -50");
    parse_err("int(0, 400, step=2.5)", "the step must be an integer, got '2.5'");
    parse_err("logint(1.5, 10)", "logint bounds must be integers, got '1.5'");
    parse_err("int(0, 400, step=30)", "step 30 does not divide the range 0..400");
    parse_err("int(0, 400, stride=50)", "expected 'step=N', got 'stride=50'");
    parse_err("int(0, 400, steps = 50)", "expected 'step=N', got 'steps = 50'");
    parse_err("logint(0, 10)", "logint needs a low of at least 1, got 0");
    parse_err("choice()", "choice() has no values");
    parse_err("choice( )", "choice() has no values");
    parse_err("choice(a, b, a)", "'a' appears twice in 'choice(a, b, a)'");
    parse_err("choice(32, 32.0)", "'32.0' is the same number as '32'");
    parse_err("choice(a, , b)", "empty value in 'choice(a, , b)'");
    parse_err("logg(1, 2)", "unknown distribution 'logg'; did you mean 'log'?");
    parse_err("unifrom(1, 2)", "did you mean 'uniform'?");
    parse_err("foo(1,2)", "unknown distribution 'foo'");
    parse_err("log(1e-4, 1e-1", "missing ')' in 'log(1e-4, 1e-1'");
    parse_err("log(1e-4, 1e-1) x", "unexpected ' x' after ')'");
    parse_err("   ", "no value");
}

static void test_values(void)
{
    dt_param u = parse_ok("u", "uniform(0, 1000000)");
    dt_value v;
    dt_value_num(&u, 0.123456789, &v);
    CHECK_STR(v.text, "0.123457");
    CHECK(v.num == 0.123457 && v.active == 1);
    dt_value_num(&u, 123456.789, &v);
    CHECK_STR(v.text, "123457");
    dt_value_num(&u, 2e6, &v);   /* clamped to the bound */
    CHECK_STR(v.text, "1e+06");
    dt_param_free(&u);

    dt_param lg = parse_ok("lr", "log(1e-6, 1)");
    dt_value_num(&lg, 1.23456789e-5, &v);
    CHECK_STR(v.text, "1.23457e-05");
    CHECK(v.num == 1.23457e-5);
    dt_param_free(&lg);

    dt_param in = parse_ok("b", "int(0, 400, step=50)");
    double xs[] = {73, 80, 1000, -5, 400};
    const char *want[] = {"50", "100", "400", "0", "400"};
    for (int i = 0; i < 5; i++) {
        dt_value_num(&in, xs[i], &v);
        CHECK_STR(v.text, want[i]);
    }
    CHECK(v.num == 400);
    dt_param_free(&in);

    dt_param ch = parse_ok("batch", "choice(32, 64, 128)");
    dt_value_num(&ch, 70, &v);
    CHECK(v.idx == 1);
    CHECK_STR(v.text, "64");
    dt_value_choice(&ch, 2, &v);
    CHECK(v.idx == 2 && v.num == 128);
    CHECK_STR(v.text, "128");
    dt_value_text(&ch, " 64.0 ", &v);   /* a base cfg writing 64.0 is the choice 64 */
    CHECK(v.idx == 1 && v.num == 64 && v.active);
    CHECK_STR(v.text, "64.0");
    dt_value_text(&ch, "96", &v);
    CHECK(v.idx == -1 && v.num == 96);
    dt_param_free(&ch);

    dt_param w = parse_ok("policy", "choice(constant, steps)");
    dt_value_choice(&w, 1, &v);
    CHECK(isnan(v.num));
    dt_value_text(&w, "steps", &v);
    CHECK(v.idx == 1 && isnan(v.num));
    dt_value_text(&w, "sig", &v);
    CHECK(v.idx == -1);
    CHECK_STR(v.text, "sig");
    dt_param_free(&w);

    dt_param f = parse_ok("steps", "0.8, 0.9");
    dt_value_num(&f, 3, &v);
    CHECK_STR(v.text, "0.8, 0.9");
    dt_value_text(&f, "0.8, 0.9", &v);
    CHECK(v.idx == 0);
    dt_param_free(&f);
}

static void test_resolve(void)
{
    dt_err err = {0};
    /* Children written before their parent: resolve puts the parent first. */
    dt_space s = {0};
    add(&s, "power", "uniform(1, 4)", "policy", "poly", 3);
    add(&s, "lr", "log(1e-4, 1e-1)", NULL, NULL, 1);
    add(&s, "policy", "choice(constant, steps, poly)", NULL, NULL, 2);
    CHECK(dt_space_resolve(&s, &err) == 0);
    int pol = dt_space_find(&s, "policy"), pw = dt_space_find(&s, "power");
    CHECK(pol >= 0 && pw >= 0 && pol < pw);
    CHECK(s.p[pw].cond == pol);
    CHECK(s.p[dt_space_find(&s, "lr")].cond == -1);
    CHECK(dt_space_find(&s, "nope") == -1);
    CHECK(dt_space_tuned(&s) == 3);
    dt_space_free(&s);

    add(&s, "power", "uniform(1, 4)", "policy", "poly", 7);
    CHECK(dt_space_resolve(&s, &err) == -1);
    CHECK(strstr(err.msg, "condition on 'policy', which is not a parameter in [space]") == err.msg && err.line == 7);
    dt_space_free(&s);

    add(&s, "policy", "choice(constant, steps, poly)", NULL, NULL, 2);
    add(&s, "power", "uniform(1, 4)", "policy", "stepz", 9);
    CHECK(dt_space_resolve(&s, &err) == -1);
    CHECK(strstr(err.msg, "'policy' is never 'stepz' (its values: constant, steps, poly)") == err.msg && err.line == 9);
    dt_space_free(&s);

    add(&s, "lr", "log(1e-4, 1e-1)", NULL, NULL, 1);
    add(&s, "power", "uniform(1, 4)", "lr", "0.01", 4);
    CHECK(dt_space_resolve(&s, &err) == -1);
    CHECK(strstr(err.msg, "condition on 'lr', which is log(...)") == err.msg && err.line == 4);
    dt_space_free(&s);

    add(&s, "a", "choice(x, y)", "b", "y", 5);
    add(&s, "b", "choice(x, y)", "a", "x", 6);
    CHECK(dt_space_resolve(&s, &err) == -1);
    CHECK(strstr(err.msg, "the conditions form a cycle: a -> b -> a") == err.msg && err.line == 5);
    dt_space_free(&s);

    add(&s, "lr", "log(1e-4, 1e-1)", NULL, NULL, 1);
    add(&s, "lr", "0.01", NULL, NULL, 8);
    CHECK(dt_space_resolve(&s, &err) == -1);
    CHECK(strstr(err.msg, "'lr' is already in the space (line 1)") == err.msg && err.line == 8);
    dt_space_free(&s);
}

/* same(NAME): a fixed text for samplers and the store, NAME's value for what writes cfgs. */
static void test_same(void)
{
    dt_err err = {0};
    dt_space s = {0};
    add(&s, "height", "same( width )", NULL, NULL, 2);
    add(&s, "width", "choice(320, 416)", NULL, NULL, 1);
    add(&s, "momentum", "0.9", NULL, NULL, 3);
    CHECK(dt_space_resolve(&s, &err) == 0);
    int h = dt_space_find(&s, "height"), w = dt_space_find(&s, "width");
    CHECK(s.p[h].kind == DT_FIXED && s.p[h].nchoices == 1);
    CHECK_STR(s.p[h].choices[0], "same(width)");
    CHECK(dt_space_tie(&s, h) == w);
    CHECK(dt_space_tie(&s, w) == -1 && dt_space_tie(&s, dt_space_find(&s, "momentum")) == -1);
    CHECK(dt_space_tuned(&s) == 1);
    dt_space_free(&s);

    parse_err("same()", "same() takes the name of one [space] parameter");
    parse_err("same(width, height)", "same() takes the name of one [space] parameter");
    parse_err("same(width) x", "unexpected ' x' after ')'");
    add(&s, "width", "choice(320, 416)", NULL, NULL, 1);
    add(&s, "height", "same(wdth)", NULL, NULL, 4);
    CHECK(dt_space_resolve(&s, &err) == -1);
    CHECK_STR(err.msg, "height = same(wdth): 'wdth' is not in [space]; did you mean 'width'?");
    CHECK(err.line == 4);
    dt_space_free(&s);
    add(&s, "height", "same(height)", NULL, NULL, 2);
    CHECK(dt_space_resolve(&s, &err) == -1);
    CHECK_STR(err.msg, "height = same(height): 'height' is this parameter itself");
    dt_space_free(&s);
    add(&s, "width", "416", NULL, NULL, 1);
    add(&s, "height", "same(width)", NULL, NULL, 2);
    CHECK(dt_space_resolve(&s, &err) == -1);
    CHECK_STR(err.msg, "height = same(width): width is fixed; write its value here instead");
    dt_space_free(&s);
}

/* The SWEEPS.md example's shape: policy with a fixed child and a tuned child. */
static void policy_space(dt_space *s)
{
    dt_err err = {0};
    add(s, "learning_rate", "log(1e-4, 1e-1)", NULL, NULL, 1);
    add(s, "policy", "choice(constant, steps, poly)", NULL, NULL, 2);
    add(s, "steps", "0.8, 0.9", "policy", "steps", 4);
    add(s, "power", "uniform(1, 4)", "policy", "poly", 6);
    CHECK(dt_space_resolve(s, &err) == 0);
}

static void test_sample(void)
{
    enum { N = 20000 };
    dt_err err = {0};
    dt_space s = {0};
    add(&s, "u", "uniform(0, 1)", NULL, NULL, 1);
    add(&s, "lr", "log(1e-4, 1e-1)", NULL, NULL, 2);
    add(&s, "b", "int(0, 400, step=50)", NULL, NULL, 3);
    add(&s, "c", "choice(a, b, c)", NULL, NULL, 4);
    add(&s, "li", "logint(1, 99)", NULL, NULL, 5);
    add(&s, "f", "1", NULL, NULL, 6);
    CHECK(dt_space_resolve(&s, &err) == 0);

    dt_rng rng;
    dt_rng_seed(&rng, 42, 0);
    dt_value v[6];
    double sum = 0, sumsq = 0;
    int below_mid = 0, decade[3] = {0}, ints[9] = {0}, choices[3] = {0}, ones = 0, tops = 0, bad = 0;
    for (int k = 0; k < N; k++) {
        dt_space_sample(&s, &rng, v);
        sum += v[0].num;
        sumsq += v[0].num * v[0].num;
        bad += v[0].num < 0 || v[0].num > 1;
        below_mid += v[1].num < sqrt(1e-4 * 1e-1);
        bad += v[1].num < 1e-4 || v[1].num > 1e-1;
        decade[v[1].num < 1e-3 ? 0 : v[1].num < 1e-2 ? 1 : 2]++;
        long b = (long)v[2].num;
        bad += b < 0 || b > 400 || b % 50 != 0;
        if (b >= 0 && b <= 400) ints[b / 50]++;
        bad += v[3].idx < 0 || v[3].idx > 2;
        if (v[3].idx >= 0 && v[3].idx < 3) choices[v[3].idx]++;
        bad += v[4].num < 1 || v[4].num > 99 || v[4].num != floor(v[4].num);
        ones += v[4].num == 1;
        tops += v[4].num == 99;
        bad += strcmp(v[5].text, "1") != 0;
        for (int i = 0; i < 6; i++) bad += !v[i].active;
    }
    CHECK(bad == 0);
    double mean = sum / N;
    CHECK_NEAR(mean, 0.5, 0.01);
    CHECK_NEAR(sumsq / N - mean * mean, 1.0 / 12, 0.005);
    CHECK_NEAR((double)below_mid / N, 0.5, 0.02);
    for (int i = 0; i < 3; i++) CHECK_NEAR((double)decade[i] / N, 1.0 / 3, 0.02);
    /* Chi-square with 8 and 2 degrees of freedom: 30 and 15 are far beyond p = 0.001. */
    double chi = 0;
    for (int i = 0; i < 9; i++) chi += (ints[i] - N / 9.0) * (ints[i] - N / 9.0) / (N / 9.0);
    CHECK(chi < 30);
    chi = 0;
    for (int i = 0; i < 3; i++) chi += (choices[i] - N / 3.0) * (choices[i] - N / 3.0) / (N / 3.0);
    CHECK(chi < 15);
    /* logint(1, 99): P(k) = log((k + 1) / k) / log(100). */
    CHECK_NEAR((double)ones / N, log(2) / log(100), 0.015);
    CHECK_NEAR((double)tops / N, log(100.0 / 99) / log(100), 0.001);   /* the high end is reachable */
    dt_space_free(&s);

    /* Conditions: a child is active exactly when the parent has its value. */
    policy_space(&s);
    int st = dt_space_find(&s, "steps"), pw = dt_space_find(&s, "power"), pol = dt_space_find(&s, "policy");
    int wrong = 0, seen[3] = {0};
    for (int k = 0; k < 3000; k++) {
        dt_space_sample(&s, &rng, v);
        seen[v[pol].idx]++;
        wrong += v[st].active != (strcmp(v[pol].text, "steps") == 0);
        wrong += v[pw].active != (strcmp(v[pol].text, "poly") == 0);
        wrong += !v[st].active && v[st].text[0];
        wrong += v[pw].active && (v[pw].num < 1 || v[pw].num > 4);
    }
    CHECK(wrong == 0);
    CHECK(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);

    /* activate empties a child whose parent changed. */
    dt_value_choice(&s.p[pol], 2, &v[pol]);
    dt_value_num(&s.p[pw], 2.5, &v[pw]);
    dt_value_choice(&s.p[st], 0, &v[st]);
    dt_space_activate(&s, v);
    CHECK(v[pw].active && !v[st].active && v[st].text[0] == '\0');
    dt_value_choice(&s.p[pol], 0, &v[pol]);
    dt_space_activate(&s, v);
    CHECK(!v[pw].active && !v[st].active);
    dt_space_free(&s);
}

static void test_grid(void)
{
    dt_err err = {0};
    dt_space s = {0};
    dt_value *rows;
    long n;

    add(&s, "lr", "log(1e-4, 1e-1)", NULL, NULL, 1);
    CHECK(dt_space_resolve(&s, &err) == 0);
    CHECK(dt_space_grid(&s, 4, 1000, &rows, &n, &err) == 0);
    CHECK(n == 4);
    const char *want[] = {"0.0001", "0.001", "0.01", "0.1"};
    for (int i = 0; i < 4 && i < n; i++) CHECK_STR(rows[i].text, want[i]);
    free(rows);
    dt_space_free(&s);

    add(&s, "u", "uniform(0, 1)", NULL, NULL, 1);
    add(&s, "b", "int(0, 400, step=50)", NULL, NULL, 2);
    add(&s, "li", "logint(1, 4)", NULL, NULL, 3);
    CHECK(dt_space_resolve(&s, &err) == 0);
    CHECK(dt_space_grid(&s, 5, 1000, &rows, &n, &err) == 0);
    /* uniform: 0, .25, .5, .75, 1; int: 9 steps; logint(1, 4) at 5 points: 1, 1.41, 2, 2.83, 4 -> 1, 2, 3, 4. */
    CHECK(n == 5 * 9 * 4);
    CHECK_STR(rows[0].text, "0");
    CHECK_STR(rows[(n - 1) * 3].text, "1");
    CHECK_STR(rows[36 * 3].text, "0.25");   /* first param slowest: 9 * 4 rows per uniform value */
    CHECK_STR(rows[4 * 3 + 1].text, "50");
    CHECK_STR(rows[2].text, "1");
    CHECK_STR(rows[1 * 3 + 2].text, "2");
    CHECK_STR(rows[2 * 3 + 2].text, "3");
    CHECK_STR(rows[3 * 3 + 2].text, "4");
    free(rows);
    CHECK(dt_space_grid(&s, 5, 100, &rows, &n, &err) == -1);
    CHECK(strstr(err.msg, "the grid has 180 rows, over the limit of 100") != NULL);
    dt_space_free(&s);

    /* A conditional branch multiplies only itself: 3 lr * (constant + steps + 3 powers). */
    policy_space(&s);
    CHECK(dt_space_grid(&s, 3, 1000, &rows, &n, &err) == 0);
    CHECK(n == 3 * (1 + 1 + 3));
    int pol = dt_space_find(&s, "policy"), pw = dt_space_find(&s, "power"), st = dt_space_find(&s, "steps");
    int wrong = 0, dup = 0;
    for (long i = 0; i < n; i++) {
        const dt_value *r = rows + i * s.n;
        wrong += r[pw].active != (strcmp(r[pol].text, "poly") == 0);
        wrong += r[st].active != (strcmp(r[pol].text, "steps") == 0);
        for (long j = 0; j < i; j++) dup += dt_values_equal(&s, r, rows + j * s.n);
    }
    CHECK(wrong == 0 && dup == 0);
    CHECK(dt_values_equal(&s, rows, rows));
    free(rows);

    CHECK(dt_space_grid(&s, 3, 14, &rows, &n, &err) == -1);
    CHECK(strstr(err.msg, "15 rows") != NULL);
    dt_space_free(&s);

    add(&s, "b", "int(0, 100000000)", NULL, NULL, 1);
    CHECK(dt_space_resolve(&s, &err) == 0);
    CHECK(dt_space_grid(&s, 5, 1000000, &rows, &n, &err) == -1);
    CHECK(strstr(err.msg, "'b' alone takes 100000001 values") != NULL);
    dt_space_free(&s);
}

int main(void)
{
    test_parse();
    test_values();
    test_resolve();
    test_same();
    test_sample();
    test_grid();
    return dt_test_done("space");
}
