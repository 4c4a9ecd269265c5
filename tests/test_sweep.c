/* test_sweep: good sweeps read field by field (values, defaults, absolute paths, the
 * space and its conditions), then every bad sweep under tests/bad/sweeps refused
 * with the message its first line expects ("; expect: sweeps/NN-what.ini:LINE: ...").
 * Runs from the repository root. */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "dt_sweep.h"
#include "dt_test.h"

#define DIR_ "tests/sweeps"

/* The absolute path of a file under tests/sweeps, as dt_sweep should store it. */
static char *abs_in_sweeps(const char *rel)
{
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return dt_xstrdup(rel);
    return dt_xasprintf("%s/" DIR_ "/%s", cwd, rel);
}

static void check_abs(const char *got, const char *rel)
{
    char *want = abs_in_sweeps(rel);
    CHECK_STR(got, want);
    free(want);
}

/* full.ini: every key written, a conditional section, inline comments of both kinds. */
static void test_full(void)
{
    dt_sweep sw = {0};
    dt_err err = {0};
    int rc = dt_sweep_load(&sw, DIR_ "/full.ini", &err);
    CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err.msg);
        return;
    }
    CHECK_STR(sw.path, DIR_ "/full.ini");
    char *dir = abs_in_sweeps("");
    dir[strlen(dir) - 1] = '\0';   /* no trailing slash */
    CHECK_STR(sw.dir, dir);
    free(dir);
    CHECK_STR(sw.name, "fashion-full");
    check_abs(sw.output, "out/full");
    check_abs(sw.storage, "out/full/study.db");
    CHECK(sw.maximize == 1);
    CHECK(sw.metric == DT_METRIC_TOP1);
    CHECK(sw.trials == 12);
    CHECK_NEAR(sw.timeout_s, 7200, 0);
    CHECK(sw.seed == 7);
    CHECK(sw.baseline == 0);

    CHECK(sw.task == DT_TASK_CLASSIFIER);
    CHECK(sw.runner == DT_RUNNER_EXEC);
    CHECK(sw.fork == DT_FORK_PJREDDIE);
    check_abs(sw.data, "fashion.data");
    check_abs(sw.cfg, "fashion.cfg");
    CHECK(sw.weights == NULL);
    CHECK(sw.max_batches == 600);
    CHECK(sw.eval_interval == 100);
    CHECK(sw.gpus_auto == 0 && sw.ngpus == 2 && sw.gpus[0] == 0 && sw.gpus[1] == 2);
    CHECK(sw.trials_per_gpu == 0);
    CHECK(sw.cpu_slots == 2);
    CHECK_STR(sw.command, "./bin/darknet classifier train {data} {cfg} {weights}");
    CHECK_STR(sw.eval_command, "bin/darknet classifier valid {data} {cfg} {final_weights}");
    CHECK_NEAR(sw.hang_s, 90, 0);
    CHECK_NEAR(sw.trial_timeout_s, 900, 0);

    CHECK(sw.sampler.kind == DT_SAMPLER_GRID);
    CHECK(sw.sampler.grid_points == 3);
    CHECK(sw.sampler.tpe.startup_trials == 10);
    CHECK(sw.pruner.kind == DT_PRUNER_THRESHOLD);
    CHECK_NEAR(sw.pruner.lower, 0.2, 1e-12);
    CHECK(isnan(sw.pruner.upper));
    CHECK(sw.pruner.warmup == 100);
    /* exec with the pjreddie classifier prints no metric during training, whatever
     * eval_interval says: the pruner compares losses. */
    CHECK(sw.pruner.on_loss == 1);

    CHECK(sw.space.n == 10);
    int lr = dt_space_find(&sw.space, "learning_rate"), mom = dt_space_find(&sw.space, "momentum");
    int pol = dt_space_find(&sw.space, "policy"), steps = dt_space_find(&sw.space, "steps");
    int power = dt_space_find(&sw.space, "power"), sub = dt_space_find(&sw.space, "subdivisions");
    CHECK(lr >= 0 && sw.space.p[lr].kind == DT_LOG && sw.space.p[lr].line == 37);
    CHECK(mom >= 0 && sw.space.p[mom].kind == DT_UNIFORM);
    if (mom >= 0) CHECK_NEAR(sw.space.p[mom].high, 0.99, 1e-12);
    CHECK(sub >= 0 && sw.space.p[sub].kind == DT_CHOICE && sw.space.p[sub].nchoices == 2);
    if (sub >= 0) CHECK_STR(sw.space.p[sub].choices[1], "2");   /* "# both divide..." is a comment */
    CHECK(pol >= 0 && sw.space.p[pol].kind == DT_CHOICE && sw.space.p[pol].nchoices == 3);
    CHECK(steps >= 0 && sw.space.p[steps].kind == DT_FIXED);
    if (steps >= 0) {
        const dt_param *p = &sw.space.p[steps];
        CHECK_STR(p->choices[0], "0.8, 0.9");
        CHECK_STR(p->cond_key, "policy");
        CHECK_STR(p->cond_value, "steps");
        CHECK(p->cond == pol && pol < steps);   /* resolved, parent first */
        CHECK(p->line == 46);
    }
    CHECK(power >= 0 && sw.space.p[power].cond == pol && strcmp(sw.space.p[power].cond_value, "poly") == 0);
    CHECK(dt_space_tuned(&sw.space) == 8);

    CHECK(dt_sweep_line(&sw, "darknet", "max_batches") == 17);
    CHECK(dt_sweep_line(&sw, "space:policy=steps", "scales") == 47);
    CHECK(dt_sweep_line(&sw, "study", "nothing") == 0);
    CHECK_STR(dt_metric_name(sw.metric), "top1");
    CHECK_STR(dt_sampler_name(sw.sampler.kind), "grid");
    CHECK_STR(dt_pruner_name(sw.pruner.kind), "threshold");
    dt_sweep_free(&sw);
    CHECK(sw.name == NULL && sw.space.n == 0 && sw.nlines == 0);
}

/* minimal.ini: the defaults of SWEEPS.md, max_batches taken from the base cfg. */
static void test_minimal(void)
{
    dt_sweep sw = {0};
    dt_err err = {0};
    int rc = dt_sweep_load(&sw, DIR_ "/minimal.ini", &err);
    CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err.msg);
        return;
    }
    check_abs(sw.output, "runs/minimal");
    check_abs(sw.storage, "runs/minimal/study.db");
    CHECK(sw.task == DT_TASK_CLASSIFIER);
    CHECK(sw.metric == DT_METRIC_TOP1);
    CHECK(sw.maximize == 1);
    CHECK(sw.trials == 20);
    CHECK(sw.timeout_s == 0);
    CHECK(sw.seed == 0);
    CHECK(sw.baseline == 1);
    CHECK(sw.fork == DT_FORK_PJREDDIE);
    CHECK(sw.max_batches == 300);   /* the cfg's [net] max_batches */
    CHECK(sw.eval_interval == 0);
    CHECK(sw.gpus_auto == 1 && sw.ngpus == 0);
    CHECK(sw.trials_per_gpu == 1);
    CHECK(sw.cpu_slots == 0);
    CHECK(sw.eval_command == NULL);
    CHECK_NEAR(sw.hang_s, 600, 0);
    CHECK(sw.trial_timeout_s == 0);
    CHECK(sw.sampler.kind == DT_SAMPLER_RANDOM);
    CHECK(sw.sampler.tpe.startup_trials == 10);
    CHECK(sw.sampler.grid_points == 5);
    CHECK(sw.sampler.tpe.ei_candidates == 0 && sw.sampler.tpe.multivariate == -1 && sw.sampler.tpe.gamma == 0);
    CHECK(sw.sampler_auto == 0 && sw.sampler_why[0] == '\0');
    CHECK(sw.pruner.kind == DT_PRUNER_NONE);
    CHECK(sw.pruner.warmup == 0);
    CHECK(sw.pruner.on_loss == 1);   /* no periodic metric */
    CHECK(sw.pruner.reduction_factor == 3);
    CHECK(sw.pruner.startup_trials == 5 && sw.pruner.interval == 1 && sw.pruner.min_trials == 1);
    CHECK(sw.pruner.min_resource == 0 && sw.pruner.min_early_stopping_rate == 0 && sw.pruner.brackets == 0);
    CHECK(sw.pruner.patience == 0 && sw.pruner.min_delta == 0 && sw.pruner.wrap == DT_PRUNER_NONE);
    CHECK(isnan(sw.pruner.lower) && isnan(sw.pruner.upper));
    CHECK(sw.space.n == 1);
    dt_sweep_free(&sw);
}

/* detect.ini: task, metric and the AlexeyAB fork detected; its fields and sgdr allowed. */
static void test_detect(void)
{
    dt_sweep sw = {0};
    dt_err err = {0};
    int rc = dt_sweep_load(&sw, DIR_ "/detect.ini", &err);
    CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err.msg);
        return;
    }
    CHECK(sw.fork == DT_FORK_ALEXEYAB);
    CHECK(sw.task == DT_TASK_DETECTOR);
    CHECK(sw.metric == DT_METRIC_MAP50);
    CHECK(sw.maximize == 1);
    CHECK(sw.max_batches == 2000);
    CHECK(sw.pruner.on_loss == 0);   /* -map: mAP is reported during training */
    check_abs(sw.weights, "start.weights");
    check_abs(sw.storage, "detect.db");
    CHECK(sw.space.n == 3);
    dt_sweep_free(&sw);
}

/* scaled.ini: trials half the base cfg's length; its steps 1600,1800 then fit (they
 * shrink with the trial), where schedule = as-is refuses them (tests/bad/sweeps/52). */
static void test_scaled(void)
{
    dt_sweep sw = {0};
    dt_err err = {0};
    int rc = dt_sweep_load(&sw, DIR_ "/scaled.ini", &err);
    CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err.msg);
        return;
    }
    CHECK(sw.schedule_scaled == 1);
    CHECK(sw.max_batches == 1000 && sw.base_max_batches == 2000 && sw.base_burn_in == 10);
    CHECK_NEAR(dt_sweep_schedule_scale(&sw), 0.5, 0);
    sw.max_batches = 3000;   /* longer trials than the base cfg: nothing to shrink */
    CHECK_NEAR(dt_sweep_schedule_scale(&sw), 1, 0);
    dt_sweep_free(&sw);
}

/* hankai.ini: the hank-ai fork, a loss objective minimized, gpus none. */
static void test_hankai(void)
{
    dt_sweep sw = {0};
    dt_err err = {0};
    int rc = dt_sweep_load(&sw, DIR_ "/hankai.ini", &err);
    CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err.msg);
        return;
    }
    CHECK(sw.fork == DT_FORK_HANKAI);
    CHECK(sw.metric == DT_METRIC_LOSS);
    CHECK(sw.maximize == 0);
    CHECK(sw.pruner.on_loss == 1);
    CHECK(sw.gpus_auto == 0 && sw.ngpus == 0);
    CHECK_NEAR(sw.pruner.upper, 50, 0);
    dt_sweep_free(&sw);
}

/* Loads a sweep written to tests/tmp with this [sampler] and [space] and trials; 0 on success. */
static int load_with(dt_sweep *sw, const char *sampler, const char *space, int trials)
{
    char *dir = abs_in_sweeps("");
    char *path = dt_xstrdup("tests/tmp/test_sweep_auto.ini");
    char *text = dt_xasprintf("[study]\nname = auto\ntrials = %d\n[darknet]\nrunner = exec\ndata = %sfashion.data\n"
                              "cfg = %sfashion.cfg\ncommand = %sbin/darknet classifier train {data} {cfg}\n"
                              "[sampler]\n%s\n[space]\n%s\n", trials, dir, dir, dir, sampler, space);
    dt_err err = {0};
    int rc = dt_mkdirs("tests/tmp", &err) == 0 && dt_write_file(path, text, strlen(text), &err) == 0 ? 0 : -1;
    memset(sw, 0, sizeof *sw);
    if (rc == 0) rc = dt_sweep_load(sw, path, &err);
    if (rc != 0) fprintf(stderr, "  %s\n", err.msg);
    free(text);
    free(path);
    free(dir);
    return rc;
}

/* [study] objectives and choose: the objectives in order with their directions, the
 * metric among them, the conditions parsed, several-objective defaults (multivariate
 * off), and the identity naming the objectives (not choose, which may change). */
static void test_objectives(void)
{
    char *dir = abs_in_sweeps("");
    const char *path = "tests/tmp/test_sweep_objectives.ini";
    char *text = dt_xasprintf("[study]\nname = mo\nobjectives = top1:maximize , ms, bflops:minimize\n"
                              "choose = ms where top1 >= 0.8 and bflops<0.5\n[darknet]\nrunner = exec\n"
                              "data = %sfashion.data\ncfg = %sfashion.cfg\n"
                              "command = %sbin/darknet classifier train {data} {cfg}\n[sampler]\ntype = tpe\n"
                              "[space]\nwidth = choice(28, 56)\nheight = same(width)\n", dir, dir, dir);
    dt_err err = {0};
    dt_sweep sw = {0};
    CHECK(dt_write_file(path, text, strlen(text), &err) == 0);
    int rc = dt_sweep_load(&sw, path, &err);
    if (rc != 0) fprintf(stderr, "  %s\n", err.msg);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK(sw.nobj == 3 && sw.metric == DT_METRIC_TOP1 && sw.maximize == 1);
        CHECK(sw.obj[0].what == DT_OBJ_METRIC && sw.obj[0].maximize == 1);
        CHECK(sw.obj[1].what == DT_OBJ_MS && sw.obj[1].maximize == 0);
        CHECK(sw.obj[2].what == DT_OBJ_BFLOPS && sw.obj[2].maximize == 0);
        CHECK_STR(dt_sweep_objective_name(&sw, 2), "bflops");
        CHECK(dt_sweep_objective_index(&sw, DT_OBJ_MS) == 1 && dt_sweep_objective_index(&sw, 7) == -1);
        const dt_choose *c = &sw.choose;
        CHECK(c->set && c->target == 1 && c->ncons == 2);
        CHECK(c->cons[0].obj == 0 && c->cons[0].op == DT_CHOOSE_GE && c->cons[0].bound == 0.8);
        CHECK(c->cons[1].obj == 2 && c->cons[1].op == DT_CHOOSE_LT && c->cons[1].bound == 0.5);
        dt_sampler_opts o = dt_sweep_sampler(&sw);
        CHECK(o.tpe.nobj == 3 && o.tpe.obj[2].what == DT_OBJ_BFLOPS && o.tpe.multivariate == -1);
        dt_buf id = {0};
        dt_sweep_identity(&sw, &id);
        CHECK(strstr(id.p, "[study] objectives = top1:maximize, ms:minimize, bflops:minimize\n") != NULL);
        CHECK(strstr(id.p, "[sampler] multivariate = 0\n") != NULL);   /* auto, with several objectives */
        CHECK(strstr(id.p, "choose") == NULL);
        CHECK(strstr(id.p, "[space] height = same(width)\n") != NULL);
        dt_buf_free(&id);
        dt_buf goal = {0};
        dt_sweep_objectives_text(&sw, &goal);
        CHECK_STR(goal.p, "maximize top1, minimize ms, minimize bflops");
        dt_buf_free(&goal);
    }
    dt_sweep_free(&sw);
    free(text);
    free(dir);
}

/* [sampler] type = auto: a grid that fits the budget, random under ~20 trials, TPE
 * beyond; re-resolved when the budget changes; tpe keys read. */
static void test_auto(void)
{
    const char *five = "learning_rate = log(1e-4, 1e-1)\nmomentum = uniform(0.8, 0.99)\n"
                       "decay = log(1e-5, 1e-2)\nbatch = choice(32, 64, 128)\nburn_in = int(0, 400, step=50)";
    dt_sweep sw;
    /* 3 batches x 5 burn_in = 15 rows; 20 trials less the baseline leave 19. */
    CHECK(load_with(&sw, "type = auto", "batch = choice(32, 64, 128)\nburn_in = int(0, 400, step=100)", 20) == 0);
    CHECK(sw.sampler.kind == DT_SAMPLER_GRID && sw.sampler_auto == 1);
    CHECK_STR(sw.sampler_why, "2 parameters, a grid of 15 fits in 19 trials: try every configuration");
    sw.trials = 12;   /* --trials 12: the grid no longer fits, and 12 trials are too few for a model */
    dt_sweep_resolve_sampler(&sw);
    CHECK(sw.sampler.kind == DT_SAMPLER_RANDOM);
    dt_sweep_free(&sw);
    CHECK(load_with(&sw, "type = auto", five, 40) == 0);
    CHECK(sw.sampler.kind == DT_SAMPLER_TPE);
    CHECK_STR(sw.sampler_why, "5 parameters, 40 trials: a model pays off past ~20 trials");
    dt_sweep_free(&sw);
    CHECK(load_with(&sw, "type = auto", five, 12) == 0);
    CHECK(sw.sampler.kind == DT_SAMPLER_RANDOM);
    CHECK_STR(sw.sampler_why, "5 parameters, 12 trials: a model does not pay off under ~20 trials");
    dt_sweep_free(&sw);
    /* Two continuous parameters: a 5 x 5 grid fits 30 trials; a third makes it TPE. */
    CHECK(load_with(&sw, "type = auto", "learning_rate = log(1e-4, 1e-1)\nmomentum = uniform(0.8, 0.99)", 30) == 0);
    CHECK(sw.sampler.kind == DT_SAMPLER_GRID);
    dt_sweep_free(&sw);
    CHECK(load_with(&sw, "type = auto", "learning_rate = log(1e-4, 1e-1)\nmomentum = uniform(0.8, 0.99)\n"
                    "decay = log(1e-5, 1e-2)", 200) == 0);
    CHECK(sw.sampler.kind == DT_SAMPLER_TPE);
    dt_sweep_free(&sw);
    /* A named sampler is kept; the tpe keys are read. */
    CHECK(load_with(&sw, "type = tpe\nstartup_trials = 4\nei_candidates = 48\nmultivariate = no\ngamma = 0.25",
                    five, 12) == 0);
    CHECK(sw.sampler.kind == DT_SAMPLER_TPE && sw.sampler_auto == 0 && sw.sampler_why[0] == '\0');
    CHECK(sw.sampler.tpe.startup_trials == 4 && sw.sampler.tpe.ei_candidates == 48 && sw.sampler.tpe.multivariate == 0);
    CHECK_NEAR(sw.sampler.tpe.gamma, 0.25, 0);
    dt_sweep_free(&sw);
}

/* A file that is not there: the message names it. */
static void test_missing_file(void)
{
    dt_sweep sw = {0};
    dt_err err = {0};
    CHECK(dt_sweep_load(&sw, DIR_ "/nope.ini", &err) == -1);
    CHECK(strstr(err.msg, "cannot open '" DIR_ "/nope.ini'") != NULL);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every bad sweep fails, with the message of its first line (FILE:LINE included). */
static void test_bad(void)
{
    struct dirent **ents;
    int n = scandir("tests/bad/sweeps", &ents, NULL, by_name), files = 0;
    CHECK(n > 0);
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        size_t len = strlen(name);
        if (len < 4 || strcmp(name + len - 4, ".ini") != 0) {
            free(ents[i]);
            continue;
        }
        files++;
        char *path = dt_xasprintf("tests/bad/sweeps/%s", name);
        char line[1024] = "";
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(line, sizeof line, f)) line[0] = '\0';
            fclose(f);
        }
        const char *prefix = "; expect: ";
        CHECK(strncmp(line, prefix, strlen(prefix)) == 0);
        char *want = dt_trim(line + strlen(prefix));

        dt_sweep sw = {0};
        dt_err err = {0};
        int rc = dt_sweep_load(&sw, path, &err);
        CHECK(rc == -1);
        if (rc == -1 && strstr(err.msg, want)) dt_test_pass++;
        else {
            dt_test_fail++;
            fprintf(stderr, "%s: expected \"%s\"\n  got \"%s\"\n", path, want, rc == -1 ? err.msg : "(loaded)");
        }
        CHECK(sw.name == NULL && sw.space.n == 0 && sw.lines == NULL);   /* freed on failure */
        if (rc == 0) dt_sweep_free(&sw);
        free(path);
        free(ents[i]);
    }
    free(ents);
    CHECK(files >= 25);
}

int main(void)
{
    test_full();
    test_minimal();
    test_detect();
    test_scaled();
    test_hankai();
    test_missing_file();
    test_auto();
    test_objectives();
    test_bad();
    return dt_test_done("sweep");
}
