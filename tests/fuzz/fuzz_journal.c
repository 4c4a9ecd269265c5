/* fuzz_journal: any bytes as an Optuna journal are read or refused with "FILE:LINE: ..."
 * (or "FILE: ..."), never a crash or a leak; what is read keeps only COMPLETE and PRUNED
 * trials whose values lie in the space, active exactly where its conditions hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dt_optuna.h"

/* learning_rate log, batch choice of numbers, burn_in stepped int, policy a choice of
 * words with power only when policy = poly. */
static void dt_fuzz__space(dt_space *s)
{
    const char *names[] = {"learning_rate", "batch", "burn_in", "policy", "power"};
    const char *specs[] = {"log(1e-3, 1)", "choice(32, 64)", "int(0, 10, step=2)", "choice(constant, poly)",
                           "uniform(1, 4)"};
    for (int i = 0; i < 5; i++) {
        dt_param p = {0};
        dt_err err;
        if (dt_param_parse(&p, specs[i], &err) != 0) abort();
        p.name = strdup(names[i]);
        p.cond = -1;
        if (i == 4) p.cond_key = strdup("policy"), p.cond_value = strdup("poly");
        dt_space_add(s, p);
    }
    dt_err err;
    if (dt_space_resolve(s, &err) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dt_space space;
    if (!space.n) dt_fuzz__space(&space);
    dt_optuna_want want = {.space = &space, .maximize = 1, .fallback = "a"};
    dt_optuna_in in;
    dt_err err = {0};
    if (dt_optuna_parse("j.jsonl", (const char *)data, size, &want, &in, &err) != 0) {
        if (strncmp(err.msg, "j.jsonl:", 8) != 0) abort();   /* a refusal names the file (and line) */
        return 0;
    }
    if (in.n > in.total || in.n != in.complete + in.pruned) abort();
    for (int k = 0; k < in.n; k++) {
        const dt_trial *t = &in.trials[k];
        if (t->state != DT_COMPLETE && t->state != DT_PRUNED) abort();
        if (t->state == DT_COMPLETE && !(t->value == t->value)) abort();   /* NaN: nothing to rank */
        for (int i = 0; i < space.n; i++) {
            const dt_param *p = &space.p[i];
            const dt_value *v = &t->values[i];
            const dt_value *parent = p->cond >= 0 ? &t->values[p->cond] : NULL;
            int should = !parent || (parent->active && strcmp(parent->text, p->cond_value) == 0);
            if (v->active != should) abort();
            if (!v->active) continue;
            if (p->kind == DT_CHOICE ? v->idx < 0 || v->idx >= p->nchoices : !(v->num >= p->low && v->num <= p->high))
                abort();
        }
    }
    dt_optuna_in_free(&in);
    return 0;
}
