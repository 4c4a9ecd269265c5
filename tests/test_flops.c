/* test_flops: dt_flops_cfg against hand-worked networks (each layer rule: padding,
 * stride, groups, maxpool's default padding, route, shortcut, upsample, reorg, the
 * heads' channel check) and against the Debian darknet itself: every cfg Debian ships
 * and the repository's cfg/ files (and the detectors again at twice their width) go
 * through `darknet classifier test`, whose layer table prints each convolution's
 * BFLOPs with 3 decimals. Each must match dt_flops_layers' number for that layer
 * within that rounding (0.0005), their sum dt_flops_cfg within 0.0005 per layer, and
 * Darknet must have built every layer (its table's last index) exactly when
 * dt_flops_cfg accepts the cfg (recurrent layers aside, which dt_flops refuses by
 * name). Run from the repository root; writes tests/tmp/flops/ (and reads darknet's
 * tables there again while they are newer than their cfg and the binary). Needs
 * /usr/bin/darknet (make deps): without it the golden part fails, it is not skipped. */
#include <dirent.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "dt_cfg.h"
#include "dt_flops.h"
#include "dt_test.h"

#define DARKNET "/usr/bin/darknet"
#define DARKNET_CFG_DIR "/usr/share/darknet/cfg"
#define TMP "tests/tmp/flops"
#define PARALLEL 2          /* darknet processes at once (each is single-threaded) */

/* dt_flops_cfg of text; NAN with the message in err when it fails. */
static double flops_of(const char *text, dt_err *err)
{
    dt_cfg *c = NULL;
    double b = NAN;
    if (dt_cfg_parse(&c, text, strlen(text), "t.cfg", err) != 0) return NAN;
    if (dt_flops_cfg(c, &b, err) != 0) b = NAN;
    dt_cfg_free(c);
    return b;
}

/* Hand-worked networks: each number below is worked out in the comment beside it. */
static void test_rules(void)
{
    dt_err err;
    /* 32x24x3, conv 16 3x3/1 pad=1 -> 32x24x16: 2*16*9*3*32*24 = 663,552.
     * maxpool 2/2 (padding 1 by default) -> 16x12x16.
     * conv 8 3x3/2 padding=0 -> (16-3)/2+1 = 7 x (12-3)/2+1 = 5 x 8: 2*8*9*16*35 = 80,640.
     * maxpool size 2 stride 1 (padding 1) keeps 7x5; conv 4 5x5/1 -> 3x1x4: 2*4*25*8*3. */
    CHECK_NEAR(flops_of("[net]\nwidth=32\nheight=24\nchannels=3\n[convolutional]\nfilters=16\nsize=3\npad=1\n"
                        "[maxpool]\nsize=2\nstride=2\n[convolutional]\nfilters=8\nsize=3\nstride=2\n"
                        "[maxpool]\nsize=2\nstride=1\n[convolutional]\nfilters=4\nsize=5\nstride=1\n", &err),
               (663552 + 80640 + 2.0 * 4 * 25 * 8 * 3) / 1e9, 1e-15);
    /* pad=1 wins over padding=5 (pjreddie sets padding = size/2); groups=4 divides the
     * 8 channels: 2*8*9*(8/4)*16*16 after a conv 8 1x1 (2*8*1*3*256). */
    CHECK_NEAR(flops_of("[net]\nwidth=16\nheight=16\nchannels=3\n[conv]\nfilters=8\n[conv]\nfilters=8\nsize=3\n"
                        "pad=1\npadding=5\ngroups=4\n", &err),
               (2.0 * 8 * 3 * 256 + 2.0 * 8 * 9 * 2 * 256) / 1e9, 1e-15);
    /* route -1,-3 concatenates 8x8x4 and 8x8x6 (10 channels), a 1x1 conv of 2 over it:
     * 2*2*10*64; shortcut keeps the input's shape; upsample doubles to 16x16: 2*1*2*256;
     * an absolute route back to layer 0. */
    CHECK_NEAR(flops_of("[net]\nwidth=8\nheight=8\nchannels=1\n[conv]\nfilters=6\n[conv]\nfilters=5\n"
                        "[conv]\nfilters=4\n[route]\nlayers=-1, -3\n[conv]\nfilters=2\n[shortcut]\nfrom=-1\n"
                        "[upsample]\nstride=2\n[conv]\nfilters=1\n[route]\nlayers=0\n[conv]\nfilters=1\n", &err),
               (2.0 * 6 * 64 + 2.0 * 5 * 6 * 64 + 2.0 * 4 * 5 * 64 + 2.0 * 2 * 10 * 64 + 2.0 * 1 * 2 * 256 +
                2.0 * 1 * 6 * 64) / 1e9, 1e-15);
    /* reorg /2: 8x8x4 -> 4x4x16; a conv 1x1 of 1: 2*16*16. yolo with mask 0,1 and 1
     * class wants 2*(1+5) = 12 channels. */
    CHECK_NEAR(flops_of("[net]\nwidth=8\nheight=8\nchannels=4\n[reorg]\nstride=2\n[conv]\nfilters=1\n"
                        "[conv]\nfilters=12\n[yolo]\nmask=0,1\nnum=3\nclasses=1\n", &err),
               (2.0 * 16 * 16 + 2.0 * 12 * 16) / 1e9, 1e-15);
    /* Connected, softmax, dropout, local, avgpool, cost: no count of their own. */
    CHECK_NEAR(flops_of("[net]\nwidth=8\nheight=8\nchannels=1\n[local]\nfilters=2\nsize=3\npad=1\n[avgpool]\n"
                        "[conv]\nfilters=3\n[dropout]\n[connected]\noutput=10\n[softmax]\n[cost]\n", &err),
               2.0 * 3 * 2 / 1e9, 1e-15);
    /* A convolution after a flat layer is refused, as Darknet refuses it. */
    CHECK(isnan(flops_of("[net]\nwidth=8\nheight=8\nchannels=1\n[softmax]\n[conv]\nfilters=1\n", &err)));
    CHECK_STR(err.msg, "t.cfg:6: [conv] needs an image as input, but the layer before it outputs a flat vector of 64");
    /* A head whose input has the wrong channels names the filters it wants. */
    CHECK(isnan(flops_of("[net]\nwidth=8\nheight=8\nchannels=3\n[conv]\nfilters=20\n\n[yolo]\nmask=0,1,2\n"
                         "classes=2\nnum=6\n", &err)));
    CHECK_STR(err.msg, "t.cfg:8: [yolo] wants 21 channels (3 boxes x (classes 2 + 5)), but its input has 20: set "
                       "filters=21 in the layer before it");
    CHECK(isnan(flops_of("[net]\nwidth=8\nheight=8\nchannels=3\n[route]\nlayers=-1\n", &err)));
    CHECK_STR(err.msg, "t.cfg:6: [route] layers: layer -1 is not an earlier layer (this is layer 0)");
    CHECK(isnan(flops_of("[net]\nwidth=8\nheight=8\nchannels=3\n[conv]\nfilters=2\n[route]\nlayers=0,x\n", &err)));
    CHECK_STR(err.msg, "t.cfg:8: [route] layers: 'x' is not a layer number");
    CHECK(isnan(flops_of("[net]\nwidth=8\nheight=8\nchannels=3\n[conv]\nfilters=2\nsize=3x\n", &err)));
    CHECK_STR(err.msg, "t.cfg:7: [conv] size=3x: not an integer from -1000000 to 1000000");
    CHECK(isnan(flops_of("[net]\nwidth=4\nheight=4\nchannels=3\n[conv]\nfilters=2\nsize=5\n", &err)));
    CHECK_STR(err.msg, "t.cfg:5: [conv] its output would be 0 x 0 x 2: the input is too small for it");
    CHECK(isnan(flops_of("[net]\nwidth=4\nheight=4\nchannels=3\n[conv]\nfilters=2\ngroups=2\n", &err)));
    CHECK_STR(err.msg, "t.cfg:7: [conv] groups=2 does not divide its 3 input channels");
    /* AlexeyAB's keys that change a layer's size are refused, not ignored as pjreddie does. */
    CHECK(isnan(flops_of("[net]\nwidth=8\nheight=8\nchannels=3\n[conv]\nfilters=2\nsize=3\ndilation=2\n", &err)));
    CHECK_STR(err.msg, "t.cfg:8: [conv] dilation=2: AlexeyAB's key, which changes the layer's size or work; dt_flops "
                       "counts pjreddie's layers");
    /* Unknown and recurrent layers are refused by name, with the line of their header. */
    CHECK(isnan(flops_of("[net]\nwidth=4\nheight=4\nchannels=3\n\n[rnn]\noutput=4\n", &err)));
    CHECK(strncmp(err.msg, "t.cfg:6: [rnn] a layer type darktune cannot count", 49) == 0);
    CHECK(err.line == 6);
    CHECK(isnan(flops_of("[conv]\nfilters=1\n", &err)));
    CHECK_STR(err.msg, "t.cfg:1: the first section must be [net] or [network]");
}

/* One cfg given to darknet: its path, the copy darknet reads, and what it printed. */
typedef struct golden {
    char *name;      /* for messages: "yolov3.cfg" or "yolov3.cfg at width 832" */
    char *copy;      /* TMP/<n>.cfg: batch=1, subdivisions=1 (no memory for 64 images), width maybe doubled */
    int nlayers;     /* sections after [net] */
    double mine;     /* dt_flops_cfg, NAN when it refused the cfg */
    double *layer;   /* dt_flops_layers: each layer's */
    char why[1024];  /* its message then */
    char *table;     /* TMP/<n>.txt: what darknet printed for the copy */
    int fresh;       /* the table is darknet's output for this very copy, from an earlier run */
    FILE *pipe;
} golden;

/* Reads darknet's layer table: the sum of the BFLOPs printed and how many, the
 * highest layer index a table line starts with (-1: none), and how many printed
 * layers differ from g->layer by more than the rounding of "%5.3f" (each named on
 * stderr). */
static void read_table(golden *g, double *sum, int *n, int *last, int *off)
{
    char line[4096];
    *sum = 0, *n = 0, *last = -1, *off = 0;
    FILE *f = fopen(g->table, "r");
    CHECK(f != NULL);
    while (f && fgets(line, sizeof line, f)) {
        char *end;
        long idx = strtol(line, &end, 10);
        int indexed = end != line && *end == ' ' && line[0] == ' ' && idx >= 0;
        if (indexed && idx > *last) *last = (int)idx;
        char *b = strstr(line, " BFLOPs");
        if (!b) continue;
        char *p = b;
        while (p > line && p[-1] != ' ') p--;
        double printed = strtod(p, NULL);
        *sum += printed;
        (*n)++;
        if (isnan(g->mine)) continue;
        if (!indexed || idx >= g->nlayers || fabs(g->layer[idx] - printed) > 0.0005 + 1e-9) {
            (*off)++;
            fprintf(stderr, "  %s: dt_flops says %.6f for %s", g->name,
                    indexed && idx < g->nlayers ? g->layer[idx] : NAN, line);
        }
    }
    if (f) fclose(f);
}

/* Sets up one golden case from path, at its own width or twice it; 0 when it could not. */
static int golden_prepare(golden *g, const char *path, int index, int wide)
{
    dt_cfg *c = NULL;
    dt_err err;
    memset(g, 0, sizeof *g);
    if (dt_cfg_read(&c, path, &err) != 0) {
        CHECK(!"cfg reads");
        fprintf(stderr, "  %s\n", err.msg);
        return 0;
    }
    const char *w = dt_cfg_get(c, "net", "width", NULL);
    long width = 0;
    if (wide && (!w || dt_parse_long(w, &width) != 0)) {
        dt_cfg_free(c);
        return 0;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", 2 * width);
    if (wide) dt_cfg_set(c, "net", "width", buf);
    dt_cfg_set(c, "net", "batch", "1");
    dt_cfg_set(c, "net", "subdivisions", "1");
    g->name = wide ? dt_xasprintf("%s at width %s", dt_basename(path), buf) : dt_xstrdup(dt_basename(path));
    g->copy = dt_xasprintf(TMP "/%d.cfg", index);
    g->table = dt_xasprintf(TMP "/%d.txt", index);
    /* The unit tests run three times in `make test` (gcc, clang, sanitizers): darknet's
     * table for the same copy is read again when the copy is unchanged and the table
     * is newer than both it and the darknet binary. */
    char *text = dt_cfg_text(c, NULL), *old = NULL;
    size_t len;
    struct stat tb, cb, db;
    g->fresh = dt_read_file(g->copy, &old, &len, &err) == 0 && strcmp(old, text) == 0 &&
               stat(g->table, &tb) == 0 && stat(g->copy, &cb) == 0 && stat(DARKNET, &db) == 0 &&
               tb.st_mtime >= cb.st_mtime && tb.st_mtime >= db.st_mtime && tb.st_size > 0;
    free(old), free(text);
    if (!g->fresh) CHECK(dt_cfg_write(c, g->copy, &err) == 0);
    g->nlayers = dt_cfg_nsections(c) - 1;
    g->layer = dt_xcalloc((size_t)g->nlayers + 1, sizeof *g->layer);
    if (dt_flops_cfg(c, &g->mine, &err) != 0 || dt_flops_layers(c, g->layer, g->nlayers, &err) != g->nlayers) {
        g->mine = NAN;
        snprintf(g->why, sizeof g->why, "%s", err.msg);
    }
    dt_cfg_free(c);
    return 1;
}

/* Compares one case with what darknet printed for it. */
static void golden_check(golden *g)
{
    double sum;
    int n, last, off;
    if (g->pipe) pclose(g->pipe);
    read_table(g, &sum, &n, &last, &off);
    int built = last == g->nlayers - 1;
    if (isnan(g->mine)) {
        /* Refused: fine only where darknet could not build it either, or for the layers
         * dt_flops refuses by name (recurrent ones, which darknet builds). */
        int recurrent = strstr(g->why, "[rnn]") || strstr(g->why, "[gru]") || strstr(g->why, "[lstm]") ||
                        strstr(g->why, "[crnn]");
        CHECK(!built || recurrent);
        if (built && !recurrent) fprintf(stderr, "  %s: darknet built all %d layers, dt_flops: %s\n", g->name,
                                         g->nlayers, g->why);
        printf("%-40s refused: %s\n", g->name, g->why);
    } else {
        CHECK(built);
        if (!built) fprintf(stderr, "  %s: dt_flops accepted it, darknet's table ends at layer %d of %d\n", g->name,
                            last, g->nlayers);
        CHECK(off == 0);
        double tol = 0.0005 * n + 1e-9;
        CHECK_NEAR(g->mine, sum, tol);
        if (fabs(g->mine - sum) > tol) fprintf(stderr, "  %s\n", g->name);
        printf("%-40s %3d conv layers, darknet %9.3f, dt_flops %12.6f BFLOPs\n", g->name, n, sum, g->mine);
    }
    free(g->name);
    free(g->copy);
    free(g->table);
    free(g->layer);
}

/* 1 for the names of the cfgs compared again at twice their width: the detectors
 * (maxpool at stride 1, route, upsample, reorg) and darktune's own. */
static int golden_wide(const char *dir, const char *name)
{
    return strncmp(name, "yolo", 4) == 0 || strcmp(dir, "cfg") == 0;
}

static void test_golden(void)
{
    if (!dt_file_exists(DARKNET)) {
        CHECK(!DARKNET " is there (make deps installs Debian's darknet)");
        return;
    }
    dt_err err;
    CHECK(dt_mkdirs(TMP, &err) == 0);
    static const char *const dirs[] = {DARKNET_CFG_DIR, "cfg"};
    char *paths[256];
    int wide[256], npaths = 0;
    for (int d = 0; d < 2; d++) {
        DIR *dir = opendir(dirs[d]);
        CHECK(dir != NULL);
        if (!dir) continue;
        for (struct dirent *e; (e = readdir(dir)) && npaths < 254;) {
            size_t n = strlen(e->d_name);
            if (n < 5 || strcmp(e->d_name + n - 4, ".cfg") != 0) continue;
            for (int v = 0; v <= golden_wide(dirs[d], e->d_name); v++) {
                paths[npaths] = dt_xasprintf("%s/%s", dirs[d], e->d_name);
                wide[npaths++] = v;
            }
        }
        closedir(dir);
    }
    CHECK(npaths >= 40);   /* Debian ships 45 cfgs */
    int compared = 0;
    for (int first = 0; first < npaths; first += PARALLEL) {
        golden g[PARALLEL];
        int m = 0;
        for (int i = first; i < npaths && i < first + PARALLEL; i++) {
            if (!golden_prepare(&g[m], paths[i], i, wide[i])) continue;
            if (g[m].fresh) {
                m++;
                continue;
            }
            /* classifier test parses the cfg and prints the table before it needs any
             * weights or data; its stderr carries the table. Written to a temporary
             * file first, so that a table cut short by an interrupted run is never read
             * as fresh. */
            char *cmd = dt_xasprintf("timeout 120 " DARKNET " classifier test /dev/null %s > %s.part 2>&1 </dev/null; "
                                     "mv %s.part %s", g[m].copy, g[m].table, g[m].table, g[m].table);
            g[m].pipe = popen(cmd, "r");
            free(cmd);
            CHECK(g[m].pipe != NULL);
            if (g[m].pipe) m++;
        }
        for (int j = 0; j < m; j++, compared++) golden_check(&g[j]);
    }
    for (int i = 0; i < npaths; i++) free(paths[i]);
    printf("compared %d cfgs with darknet's own table\n", compared);
}

int main(void)
{
    test_rules();
    test_golden();
    return dt_test_done("flops");
}
