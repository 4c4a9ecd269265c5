/* dt_pack: how many trials share one GPU (trials_per_gpu).
 *
 * A small model leaves most of a GPU idle, so several trials on one GPU finish more
 * trials per hour; past some number they only slow each other down, or run out of
 * memory. With trials_per_gpu = auto, k (the trials one GPU runs at once) starts at 1
 * and doubles while each doubling raises the GPU's aggregate iterations per second by
 * at least DT_PACK_GAIN and the GPU has the memory for it; then it keeps the best k.
 * Each rate is measured over a window that opens once all k trials run and have
 * passed their first DT_PACK_WARM iterations (CUDA set-up, first allocations), and
 * closes after DT_PACK_WINDOW_S seconds and DT_PACK_WINDOW_IT iterations per trial;
 * trials starting and ending inside it count, as they cost the study time too. A
 * trial that runs out of GPU memory lowers k by one, with a fixed k as well.
 * The scheduler feeds events and reads k; this module starts nothing and asks
 * nvidia-smi (through mem) only before it raises k. */
#ifndef DT_PACK_H
#define DT_PACK_H

#define DT_PACK_MAX 32         /* k never goes above this */
#define DT_PACK_GAIN 1.10      /* a doubling must raise the aggregate rate this much */
#define DT_PACK_WARM 5
#define DT_PACK_WINDOW_S 2.0
#define DT_PACK_WINDOW_IT 20
#define DT_PACK_MEM_MARGIN 1.15 /* headroom asked for above the memory the new trials should take */

/* GPU gpu's memory in MiB, as dt_gpu_memory; -1 when unknown. */
typedef int (*dt_pack_mem_fn)(int gpu, double *used_mib, double *total_mib);

typedef struct dt_pack {
    int gpu;
    int k;              /* trials the GPU may run at once now */
    int probing;        /* auto and k not chosen yet */
    dt_pack_mem_fn mem;
    double mem0;        /* MiB in use before the study ran anything there; <0 unknown */
    double rate_below;  /* aggregate it/s measured at k / 2 (0 at k = 1) */
    long iters;         /* iterations done on this GPU so far */
    int window;         /* a window is open */
    double t0;          /* its start */
    long it0;           /* iters at its start */
    char why[256];      /* what the last change was and why */
} dt_pack;

/* k > 0: fixed k trials; k == 0: auto, which asks mem for the memory in use now. */
void dt_pack_init(dt_pack *p, int gpu, int k, dt_pack_mem_fn mem);

/* n iterations were done by trials on this GPU. */
void dt_pack_iters(dt_pack *p, long n);

/* Called after the scheduler filled its slots: running trials on this GPU, and warm,
 * those of them that have passed DT_PACK_WARM iterations. Returns 1 when k changed or
 * was chosen (why says so), else 0. */
int dt_pack_update(dt_pack *p, int running, int warm, double now);

/* A trial on this GPU ran out of memory: k is lowered by one (never below 1) and
 * stays there. Returns 1 when k changed; why says so either way. */
int dt_pack_oom(dt_pack *p, const char *reason);

#endif
