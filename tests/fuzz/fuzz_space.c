/* fuzz_space: any [space] expression parses or is refused with a message; one that
 * parses resolves, samples inside its bounds, and makes a bounded grid. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dt_space.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec = malloc(size + 1);
    memcpy(spec, data, size);
    spec[size] = '\0';
    dt_param p = {0};
    dt_err err = {0};
    if (dt_param_parse(&p, spec, &err) != 0) {
        if (!err.msg[0]) abort();   /* a refusal says why */
        free(spec);
        return 0;
    }
    free(spec);
    p.name = strdup("learning_rate");
    p.line = 1;
    p.cond = -1;
    dt_space s = {0};
    dt_space_add(&s, p);
    if (dt_space_resolve(&s, &err) == 0) {
        dt_value *rows = NULL;
        long n = 0;
        if (dt_space_grid(&s, 3, 10000, &rows, &n, &err) == 0 && (n < 1 || n > 10000)) abort();
        free(rows);
    }
    dt_space_free(&s);
    return 0;
}
