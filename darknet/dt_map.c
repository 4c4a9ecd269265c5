/* dt_map: mAP@0.5, precision, recall and average IoU (contract in dt_map.h).
 *
 * The rules are AlexeyAB's `detector map` with its default `-points 0`, checked
 * against its validate_detector_map:
 * - a detection is matched to the ground truth of its image and class with the
 *   highest IoU, only when that IoU is strictly above 0.5 (ties: the first ground
 *   truth added); walking a class's detections from the most confident down, it is a
 *   TP when that ground truth is still free, else a FP (a duplicate). A detection
 *   whose best ground truth is taken is a FP even when a second, free ground truth
 *   overlaps it by more than 0.5 (VOC's voc_eval does the same);
 * - AP is the area under the precision/recall curve with precision made monotone
 *   from the right ("Area-Under-Curve for each unique Recall");
 * - mAP divides the sum of the APs by every class, so a class without ground
 *   truth counts as 0 (AlexeyAB does not leave it out);
 * - precision, recall and "average IoU" count detections with prob strictly above
 *   the threshold; average IoU sums the TPs' IoU and divides by TP + FP.
 * Where AlexeyAB is undefined or order-dependent we choose: equal confidences rank
 * in the order they were added (AlexeyAB's qsort is not stable); an empty ratio is 0
 * (AlexeyAB prints nan); the threshold statistics take TP/FP from the ranked
 * matching, which is what AlexeyAB's per-image walk gives when an image's
 * detections arrive most confident first (as do_nms_sort and dt_map_nms leave them).
 *
 * Not here: 11- or 101-point AP, COCO's IoU range, "difficult" objects. */
#include "dt_map.h"

#include "dt_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DT_MAP__IOU_THRESH 0.5f

/* One detection as kept: the caller's fields plus the image it came from. */
typedef struct dt_map__det {
    dt_box box;
    int cls;
    float prob;
    int img;
} dt_map__det;

struct dt_map {
    int classes;
    /* Ground truth of every image, image after image; image i owns
     * [gt_start[i], gt_start[i] + gt_count[i]). */
    dt_box *gt_box;
    int *gt_cls;
    int ngt, capgt;
    int *gt_start, *gt_count;
    int nimg, capimg;
    dt_map__det *det;
    int ndet, capdet;
};

/* A sort key: confidence, then insertion index, so that qsort (not stable by
 * itself) ranks equal confidences in the order they were added. */
typedef struct dt_map__key {
    float prob;
    int idx;
} dt_map__key;

/* qsort comparator: most confident first, then first added first. */
static int dt_map__key_cmp(const void *pa, const void *pb)
{
    const dt_map__key *a = pa, *b = pb;
    if (a->prob > b->prob) return -1;
    if (a->prob < b->prob) return 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Returns p (elements of size bytes, *cap of them) grown to hold at least need,
 * doubling; *cap is updated. */
static void *dt_map__grow(void *p, int *cap, int need, size_t size)
{
    if (need <= *cap) return p;
    int n = *cap ? *cap : 16;
    while (n < need) n *= 2;
    *cap = n;
    return dt_xrealloc(p, (size_t)n * size);
}

/* Creates an empty evaluation for class ids 0..classes-1; free with dt_map_free. */
dt_map *dt_map_create(int classes)
{
    dt_map *m = dt_xcalloc(1, sizeof *m);
    m->classes = classes > 0 ? classes : 0;
    return m;
}

/* Frees m and everything it copied; NULL is fine. */
void dt_map_free(dt_map *m)
{
    if (!m) return;
    free(m->gt_box);
    free(m->gt_cls);
    free(m->gt_start);
    free(m->gt_count);
    free(m->det);
    free(m);
}

/* Copies one image's ground truth and detections (the caller keeps its arrays).
 * Entries whose class is outside 0..classes-1 are skipped, and so are detections
 * with prob <= 0 or NaN: Darknet's "not detected", which AlexeyAB never counts. */
void dt_map_add(dt_map *m, const dt_box *gt, const int *gt_cls, int ngt, const dt_det *det, int ndet)
{
    if (!m) return;
    int img = m->nimg, capimg = m->capimg;
    m->gt_start = dt_map__grow(m->gt_start, &m->capimg, img + 1, sizeof *m->gt_start);
    if (m->capimg != capimg) m->gt_count = dt_xrealloc(m->gt_count, (size_t)m->capimg * sizeof *m->gt_count);
    m->gt_start[img] = m->ngt;
    m->gt_count[img] = 0;
    m->nimg++;

    for (int i = 0; i < ngt; i++) {
        if (gt_cls[i] < 0 || gt_cls[i] >= m->classes) continue;
        int cap = m->capgt;
        m->gt_box = dt_map__grow(m->gt_box, &m->capgt, m->ngt + 1, sizeof *m->gt_box);
        if (m->capgt != cap) m->gt_cls = dt_xrealloc(m->gt_cls, (size_t)m->capgt * sizeof *m->gt_cls);
        m->gt_box[m->ngt] = gt[i];
        m->gt_cls[m->ngt] = gt_cls[i];
        m->ngt++;
        m->gt_count[img]++;
    }
    for (int i = 0; i < ndet; i++) {
        if (det[i].cls < 0 || det[i].cls >= m->classes || !(det[i].prob > 0)) continue;
        m->det = dt_map__grow(m->det, &m->capdet, m->ndet + 1, sizeof *m->det);
        m->det[m->ndet++] = (dt_map__det){det[i].box, det[i].cls, det[i].prob, img};
    }
}

/* The ground truth (global index) that detection d would claim: same image and
 * class, highest IoU, IoU > 0.5, the first one on ties; -1 when none. Its IoU
 * goes to *iou (0 when none). */
static int dt_map__best_gt(const dt_map *m, const dt_map__det *d, float *iou)
{
    int best = -1;
    float best_iou = DT_MAP__IOU_THRESH;
    int from = m->gt_start[d->img], to = from + m->gt_count[d->img];
    for (int g = from; g < to; g++) {
        if (m->gt_cls[g] != d->cls) continue;
        float v = dt_box_iou(d->box, m->gt_box[g]);
        if (v > best_iou) {
            best_iou = v;
            best = g;
        }
    }
    *iou = best >= 0 ? best_iou : 0.0f;
    return best;
}

/* AP of one class from its detections in rank order: tp[k] says whether the k-th
 * is a TP; npos is the class's ground-truth count. Area under the precision/recall
 * curve, each recall step weighted by the best precision at that rank or later. */
static double dt_map__ap(const unsigned char *tp, int n, int npos)
{
    if (n == 0 || npos == 0) return 0.0;
    /* Cumulative TP count is enough: precision at rank k is tps[k] / (k + 1). */
    int ntp = 0;
    for (int k = 0; k < n; k++) ntp += tp[k];
    double ap = 0.0, env = 0.0;
    int tps = ntp;
    for (int k = n - 1; k >= 0; k--) {
        double prec = (double)tps / (double)(k + 1);
        if (prec > env) env = prec;
        if (tp[k]) {
            ap += env / (double)npos;   /* recall rises by 1/npos at a TP */
            tps--;
        }
    }
    return ap;
}

/* Ranks, matches and integrates; see dt_map.h for what each field means. */
void dt_map_compute(const dt_map *m, double thresh, dt_map_result *out)
{
    memset(out, 0, sizeof *out);
    if (!m || m->classes == 0) return;
    int n = m->ndet, classes = m->classes;

    int *npos = dt_xcalloc((size_t)classes, sizeof *npos);
    for (int g = 0; g < m->ngt; g++) npos[m->gt_cls[g]]++;
    for (int c = 0; c < classes; c++) out->nclasses += npos[c] > 0;

    /* Global rank, then a stable counting sort by class: each class's detections
     * become one slice, still most confident first. */
    dt_map__key *key = dt_xcalloc((size_t)n + 1, sizeof *key);
    for (int i = 0; i < n; i++) key[i] = (dt_map__key){m->det[i].prob, i};
    qsort(key, (size_t)n, sizeof *key, dt_map__key_cmp);
    int *start = dt_xcalloc((size_t)classes + 1, sizeof *start);
    for (int i = 0; i < n; i++) start[m->det[i].cls + 1]++;
    for (int c = 0; c < classes; c++) start[c + 1] += start[c];
    int *order = dt_xcalloc((size_t)n + 1, sizeof *order);
    int *fill = dt_xcalloc((size_t)classes, sizeof *fill);
    for (int r = 0; r < n; r++) {
        int c = m->det[key[r].idx].cls;
        order[start[c] + fill[c]++] = key[r].idx;
    }

    /* Matching in rank order; a ground truth belongs to one class, so one
     * "taken" array serves every class. */
    unsigned char *taken = dt_xcalloc((size_t)m->ngt + 1, 1);
    unsigned char *tp = dt_xcalloc((size_t)n + 1, 1);   /* by slice position */
    /* AlexeyAB compares float with float: 0.3f is not above a threshold of 0.3. */
    float fthresh = (float)thresh;
    long tp_thresh = 0, fp_thresh = 0;
    double iou_sum = 0.0, ap_sum = 0.0;
    for (int c = 0; c < classes; c++) {
        for (int k = start[c]; k < start[c + 1]; k++) {
            const dt_map__det *d = &m->det[order[k]];
            float iou;
            int g = dt_map__best_gt(m, d, &iou);
            if (g >= 0 && !taken[g]) {
                taken[g] = 1;
                tp[k] = 1;
            }
            if (d->prob > fthresh) {
                if (tp[k]) {
                    tp_thresh++;
                    iou_sum += iou;
                } else {
                    fp_thresh++;
                }
            }
        }
        ap_sum += dt_map__ap(tp + start[c], start[c + 1] - start[c], npos[c]);
    }

    out->map = ap_sum / classes;
    if (tp_thresh + fp_thresh > 0) {
        out->precision = (double)tp_thresh / (double)(tp_thresh + fp_thresh);
        out->avg_iou = iou_sum / (double)(tp_thresh + fp_thresh);
    }
    if (m->ngt > 0) out->recall = (double)tp_thresh / (double)m->ngt;

    free(npos);
    free(key);
    free(start);
    free(order);
    free(fill);
    free(taken);
    free(tp);
}

/* Intersection over union of two centre/size boxes; 0 when they do not overlap
 * or the union is empty (degenerate boxes), never NaN from 0/0. */
float dt_box_iou(dt_box a, dt_box b)
{
    float w = fminf(a.x + a.w / 2, b.x + b.w / 2) - fmaxf(a.x - a.w / 2, b.x - b.w / 2);
    float h = fminf(a.y + a.h / 2, b.y + b.h / 2) - fmaxf(a.y - a.h / 2, b.y - b.h / 2);
    if (!(w > 0) || !(h > 0)) return 0.0f;
    float inter = w * h;
    float uni = a.w * a.h + b.w * b.h - inter;
    if (!(uni > 0)) return 0.0f;
    return inter / uni;
}

/* Greedy NMS, Darknet's do_nms_sort per class: most confident first (equal
 * confidences in input order), a box is dropped when a kept box of its class
 * overlaps it with IoU > nms; a dropped box suppresses nothing. The kept boxes are
 * left at the front of det, most confident first; returns how many. */
int dt_map_nms(dt_det *det, int n, float nms)
{
    if (n <= 0) return 0;
    dt_map__key *key = dt_xcalloc((size_t)n, sizeof *key);
    for (int i = 0; i < n; i++) key[i] = (dt_map__key){det[i].prob, i};
    qsort(key, (size_t)n, sizeof *key, dt_map__key_cmp);
    dt_det *sorted = dt_xcalloc((size_t)n, sizeof *sorted);
    for (int i = 0; i < n; i++) sorted[i] = det[key[i].idx];

    int kept = 0;
    for (int i = 0; i < n; i++) {
        int drop = 0;
        /* Kept boxes are exactly the more confident survivors. */
        for (int j = 0; j < kept && !drop; j++)
            drop = det[j].cls == sorted[i].cls && dt_box_iou(det[j].box, sorted[i].box) > nms;
        if (!drop) det[kept++] = sorted[i];
    }
    free(key);
    free(sorted);
    return kept;
}
