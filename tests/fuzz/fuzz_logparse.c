/* fuzz_logparse: any line of a Darknet log parses without a crash, and what it gives
 * is sane: an iteration is never negative, fractions are fractions. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dt_logparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    /* Line by line, as the runners feed it. */
    for (char *line = s, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        dt_line out;
        dt_line_kind k = dt_logparse_line(line, &out);
        if (k != out.kind) abort();
        if (k == DT_LINE_ITER && out.iteration < 0) abort();
        if ((k == DT_LINE_MAP || k == DT_LINE_MAP_LAST) && !(out.map >= 0 && out.map <= 1)) abort();
        char buf[256];
        dt_logparse_clean(line, buf, sizeof buf);
        if (strlen(buf) >= sizeof buf) abort();
    }
    memcpy(s, data, size);
    s[size] = '\0';
    char buf[128];
    dt_logparse_find(s, DT_LINE_OOM, buf, sizeof buf);
    dt_logparse_strip_ansi(s);
    free(s);
    return 0;
}
