/* test_pack: trials_per_gpu = auto against simulated GPUs whose aggregate speed and
 * memory are known, so the right k is known: it doubles while doubling pays, stops at
 * the GPU's capacity or its memory, ignores windows with a free slot or a cold trial,
 * and an out-of-memory trial lowers k. */
#include "dt_pack.h"
#include "dt_test.h"

/* The simulated GPU: `cap` trials saturate it (each runs at 10 it/s alone); each
 * trial holds `per` MiB of `total`, above `idle` used by others. k_now is what runs. */
static int cap, k_now, mem_calls;
static double per, total, idle;

static int fake_mem(int gpu, double *used, double *tot)
{
    (void)gpu;
    mem_calls++;
    if (total <= 0) return -1;
    *used = idle + per * k_now;
    *tot = total;
    return 0;
}

/* Runs the GPU for `seconds` in 0.05 s steps with every slot full and warm; returns
 * the k it settled on (or has when time is up). */
static int simulate(dt_pack *p, double seconds, int *changes)
{
    double t = 0, carry = 0;
    *changes = 0;
    for (; t < seconds; t += 0.05) {
        k_now = p->k;
        double rate = 10.0 * (k_now < cap ? k_now : cap);
        carry += rate * 0.05;
        long whole = (long)carry;
        carry -= (double)whole;
        dt_pack_iters(p, whole);
        *changes += dt_pack_update(p, p->k, p->k, t);
    }
    return p->k;
}

static void test_capacity(void)
{
    dt_pack p;
    int changes;
    total = 0; /* memory unknown: only speed decides */
    cap = 4;
    dt_pack_init(&p, 0, 0, fake_mem);
    CHECK(p.k == 1 && p.probing);
    CHECK(simulate(&p, 60, &changes) == 4);
    CHECK(!p.probing);
    CHECK(changes == 4); /* 1->2, 2->4, 4->8, back to 4 */
    CHECK(strstr(p.why, "GPU 0: 4 trials at once: 8 gave 1.00x") != NULL);

    cap = 3; /* 4 still gains 1.5x over 2; 8 gains nothing over 4 */
    dt_pack_init(&p, 1, 0, fake_mem);
    CHECK(simulate(&p, 60, &changes) == 4);

    cap = 1; /* a GPU one trial fills: 2 gives nothing */
    dt_pack_init(&p, 0, 0, fake_mem);
    CHECK(simulate(&p, 60, &changes) == 1);
    CHECK(strstr(p.why, "1 trial at once: 2 gave 1.00x") != NULL);

    cap = 1000; /* never saturates: stops at the cap */
    dt_pack_init(&p, 0, 0, fake_mem);
    CHECK(simulate(&p, 600, &changes) == DT_PACK_MAX);
    CHECK(!p.probing);
    CHECK(strstr(p.why, "the most darktune packs") != NULL);
}

static void test_memory(void)
{
    dt_pack p;
    int changes;
    cap = 100;
    idle = 500, per = 1000, total = 3500;
    k_now = 0;
    dt_pack_init(&p, 2, 0, fake_mem);
    CHECK(p.mem0 == 500);
    /* At 2, 2500 MiB are used and 1000 free: 2 more need 2300. */
    CHECK(simulate(&p, 60, &changes) == 2);
    CHECK(!p.probing);
    CHECK(strstr(p.why, "GPU 2: 2 trials at once: 4 would need about 2300 MiB more") != NULL);

    total = 80000; /* room for 79: speed, then the cap decide */
    k_now = 0;
    dt_pack_init(&p, 0, 0, fake_mem);
    CHECK(simulate(&p, 600, &changes) == DT_PACK_MAX);
    total = 0;
}

static void test_windows(void)
{
    dt_pack p;
    total = 0;
    cap = 8;
    dt_pack_init(&p, 0, 0, fake_mem);
    /* A cold trial holds the window shut, however long. */
    for (double t = 0; t < 30; t += 0.1) {
        dt_pack_iters(&p, 1);
        CHECK(dt_pack_update(&p, 1, 0, t) == 0);
    }
    CHECK(p.k == 1 && !p.window);
    /* Warm: a window opens, and closes after DT_PACK_WINDOW_S and enough iterations. */
    double t = 30;
    int changed = 0;
    for (; t < 60 && !changed; t += 0.1) {
        dt_pack_iters(&p, 1);
        changed = dt_pack_update(&p, 1, 1, t);
    }
    CHECK(changed && p.k == 2);
    CHECK(t - 30 >= DT_PACK_WINDOW_S);
    /* At k = 2 a free slot voids the window: a slow half-empty GPU must not count. */
    for (double u = t; u < t + 10; u += 0.1) {
        dt_pack_iters(&p, 1);
        CHECK(dt_pack_update(&p, 1, 1, u) == 0);
    }
    CHECK(p.k == 2 && p.probing);
}

static void test_fixed_and_oom(void)
{
    dt_pack p;
    int changes;
    cap = 100;
    total = 3500;
    mem_calls = 0;
    dt_pack_init(&p, 0, 3, fake_mem);
    CHECK(p.k == 3 && !p.probing);
    CHECK(mem_calls == 0);   /* a fixed k never asks nvidia-smi */
    total = 0;
    CHECK(simulate(&p, 30, &changes) == 3 && changes == 0);
    CHECK(dt_pack_oom(&p, "CUDA Error: out of memory") == 1);
    CHECK(p.k == 2);
    CHECK(strstr(p.why, "GPU 0: 2 trials at once from now on: one of 3 ran out of memory") != NULL);
    CHECK(dt_pack_oom(&p, "x") == 1 && p.k == 1);
    CHECK(dt_pack_oom(&p, "x") == 0 && p.k == 1);
    CHECK(strstr(p.why, "ran out of memory alone") != NULL);

    /* Auto: an out-of-memory trial ends the probing where it is. */
    dt_pack_init(&p, 0, 0, fake_mem);
    simulate(&p, 5, &changes);
    int k = p.k;
    CHECK(k >= 2);
    dt_pack_oom(&p, "CUDA Error: out of memory");
    CHECK(p.k == k - 1 && !p.probing);
    CHECK(simulate(&p, 60, &changes) == k - 1 && changes == 0);
}

int main(void)
{
    test_capacity();
    test_memory();
    test_windows();
    test_fixed_and_oom();
    return dt_test_done("pack");
}
