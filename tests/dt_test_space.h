/* dt_test_space: building a search space in the C tests, one parameter at a time. */
#ifndef DT_TEST_SPACE_H
#define DT_TEST_SPACE_H

#include "dt_space.h"
#include "dt_test.h"
#include "dt_util.h"

/* Adds a parameter parsed from spec (checking that it parses), conditional on
 * key = value when key is not NULL. */
static inline void dt_test_add(dt_space *s, const char *name, const char *spec, const char *key, const char *value)
{
    dt_param p = {0};
    dt_err err = {0};
    p.name = dt_xstrdup(name);
    CHECK(dt_param_parse(&p, spec, &err) == 0);
    p.cond_key = dt_xstrdup(key);
    p.cond_value = dt_xstrdup(value);
    dt_space_add(s, p);
}

#endif
