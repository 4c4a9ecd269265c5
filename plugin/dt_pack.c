/* dt_pack: trials per GPU, measured (see dt_pack.h). */
#include "dt_pack.h"

#include <stdio.h>
#include <string.h>

void dt_pack_init(dt_pack *p, int gpu, int k, dt_pack_mem_fn mem)
{
    memset(p, 0, sizeof *p);
    p->gpu = gpu;
    p->k = k > 0 ? k : 1;
    p->probing = k == 0;
    p->mem = mem;
    /* The baseline matters only to the probing's memory check: a fixed k starts no
     * nvidia-smi. */
    double used, total;
    p->mem0 = p->probing && mem && mem(gpu, &used, &total) == 0 ? used : -1;
}

void dt_pack_iters(dt_pack *p, long n)
{
    p->iters += n;
}

/* Whether the GPU has room for k2 trials where k run now; writes why not. A GPU whose
 * memory cannot be read, or on which the trials seem to use none yet, gets the benefit
 * of the doubt: an out-of-memory trial lowers k again. */
static int dt_pack__room(dt_pack *p, int k2)
{
    double used, total;
    if (!p->mem || p->mem0 < 0 || p->mem(p->gpu, &used, &total) != 0) return 1;
    double per = (used - p->mem0) / p->k;
    if (per <= 0) return 1;
    double need = per * (k2 - p->k) * DT_PACK_MEM_MARGIN, free_mib = total - used;
    if (free_mib >= need) return 1;
    snprintf(p->why, sizeof p->why,
             "GPU %d: %d trial%s at once: %d would need about %.0f MiB more (each takes about %.0f MiB), "
             "%.0f MiB are free",
             p->gpu, p->k, p->k > 1 ? "s" : "", k2, need, per, free_mib);
    return 0;
}

int dt_pack_update(dt_pack *p, int running, int warm, double now)
{
    if (!p->probing) return 0;
    if (running < p->k) {
        /* A free slot (the budget ran out, or a trial could not start) would read as a
         * slower GPU: this window is void. */
        p->window = 0;
        return 0;
    }
    if (!p->window) {
        if (warm < p->k) return 0;
        p->window = 1;
        p->t0 = now;
        p->it0 = p->iters;
        return 0;
    }
    double dt = now - p->t0;
    long dit = p->iters - p->it0;
    if (dt < DT_PACK_WINDOW_S || dit < (long)DT_PACK_WINDOW_IT * p->k) return 0;
    double rate = dit / dt;
    p->window = 0;
    if (p->k > 1 && rate < DT_PACK_GAIN * p->rate_below) {
        int k = p->k / 2;
        snprintf(p->why, sizeof p->why,
                 "GPU %d: %d trial%s at once: %d gave %.2fx the iterations per second of %d (%.1f against %.1f), "
                 "under the %.2fx a doubling must bring",
                 p->gpu, k, k > 1 ? "s" : "", p->k, rate / p->rate_below, k, rate, p->rate_below, DT_PACK_GAIN);
        p->k = k;
        p->probing = 0;
        return 1;
    }
    int k2 = 2 * p->k;
    if (k2 > DT_PACK_MAX) {
        snprintf(p->why, sizeof p->why, "GPU %d: %d trials at once, the most darktune packs (%.1f iterations/s)",
                 p->gpu, p->k, rate);
        p->probing = 0;
        return 1;
    }
    if (!dt_pack__room(p, k2)) {
        p->probing = 0;
        return 1;
    }
    if (p->k == 1)
        snprintf(p->why, sizeof p->why, "GPU %d: 1 trial gives %.1f iterations/s; trying 2 at once", p->gpu, rate);
    else
        snprintf(p->why, sizeof p->why, "GPU %d: %d trials at once give %.1f iterations/s (%.2fx %d); trying %d",
                 p->gpu, p->k, rate, rate / p->rate_below, p->k / 2, k2);
    p->rate_below = rate;
    p->k = k2;
    return 1;
}

int dt_pack_oom(dt_pack *p, const char *reason)
{
    int was = p->k;
    p->probing = 0;
    p->window = 0;
    if (p->k > 1) p->k--;
    if (p->k == was)
        snprintf(p->why, sizeof p->why, "GPU %d: a trial ran out of memory alone on it (%.120s)", p->gpu, reason);
    else
        snprintf(p->why, sizeof p->why, "GPU %d: %d trial%s at once from now on: one of %d ran out of memory (%.120s)",
                 p->gpu, p->k, p->k > 1 ? "s" : "", was, reason);
    return p->k != was;
}
