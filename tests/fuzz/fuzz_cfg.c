/* fuzz_cfg: any bytes read as a cfg write back byte for byte (dt_cfg's promise), and a
 * change to [net] gives a cfg that reads again with that value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dt_cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dt_cfg *c;
    if (dt_cfg_parse(&c, (const char *)data, size, "fuzz.cfg", NULL) != 0) return 0;
    size_t len;
    char *text = dt_cfg_text(c, &len);
    if (len != size || memcmp(text, data, size) != 0) abort();   /* not byte-faithful */
    free(text);
    if (dt_cfg_set(c, "net", "learning_rate", "0.00125") == 0) {
        text = dt_cfg_text(c, &len);
        dt_cfg *d;
        if (dt_cfg_parse(&d, text, len, "fuzz.cfg", NULL) != 0) abort();   /* its own output unreadable */
        const char *v = dt_cfg_get(d, "net", "learning_rate", NULL);
        if (!v || strcmp(v, "0.00125") != 0) abort();
        dt_cfg_free(d);
        free(text);
    }
    int nsec = dt_cfg_nsections(c);
    for (int i = 0; i < nsec; i++) {
        const char *const *keys, *const *vals;
        const int *lines;
        int n = dt_cfg_keys(c, i, &keys, &vals, &lines);
        for (int k = 0; k < n; k++)
            if (!keys[k] || !vals[k] || lines[k] < 1) abort();
    }
    dt_cfg_free(c);
    return 0;
}
