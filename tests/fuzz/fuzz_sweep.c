/* fuzz_sweep: any bytes as a sweep file load or are refused with "FILE:LINE: ..."
 * (or "FILE: ...", or about a file it names), never a crash, a leak or an exit. The file is written beside the
 * example sweeps in tests/sweeps/ so that their relative paths (cfg, data, programs)
 * resolve and the checks past reading run too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dt_sweep.h"

/* Whether msg starts "FILE:" with FILE one that exists: a base cfg or .data file the
 * sweep names from outside tests/sweeps/ (../../cfg/shapes-yolo.cfg). */
static int dt_fuzz_names_file(const char *msg)
{
    char file[sizeof ((dt_err *)0)->msg];
    size_t n = strcspn(msg, ":");
    if (!msg[n] || n >= sizeof file) return 0;
    memcpy(file, msg, n);
    file[n] = 0;
    return access(file, F_OK) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "tests/sweeps/tmp-fuzz-%d.ini", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    fwrite(data, 1, size, f);
    fclose(f);
    dt_sweep sw = {0};
    dt_err err = {0};
    if (dt_sweep_load(&sw, path, &err) == 0) dt_sweep_free(&sw);
    else if (!strstr(err.msg, "tmp-fuzz") && !strstr(err.msg, "tests/sweeps/") && !dt_fuzz_names_file(err.msg))
        abort();   /* a refusal names the file it is about: the sweep or one it names */
    unlink(path);
    return 0;
}
