/* test_map: mAP@0.5, precision, recall, average IoU and NMS (dt_map) against
 * values worked out by hand below, with AlexeyAB's rules: IoU strictly above 0.5,
 * a detection claims its best ground truth or is a FP, all-point AP, the mean
 * divided by every class. Boxes are centre/size; most are 0.2 x 0.2, and a copy
 * shifted by d along x has IoU (0.2 - d) / (0.2 + d): d = 0.05 gives 0.6. */
#include "dt_map.h"
#include "dt_test.h"

#include <stdio.h>

/* A centre/size box. */
static dt_box B(float x, float y, float w, float h)
{
    return (dt_box){x, y, w, h};
}

/* A 0.2 x 0.2 box centred at (x, y). */
static dt_box S(float x, float y)
{
    return B(x, y, 0.2f, 0.2f);
}

/* A detection. */
static dt_det D(dt_box b, int cls, float prob)
{
    return (dt_det){b, cls, prob};
}

/* IoU of boxes whose overlap is known. */
static void test_iou(void)
{
    CHECK_NEAR(dt_box_iou(S(0.5f, 0.5f), S(0.5f, 0.5f)), 1.0, 1e-6);
    /* half of each box overlaps: 0.02 / (0.04 + 0.04 - 0.02) */
    CHECK_NEAR(dt_box_iou(S(0.5f, 0.5f), S(0.6f, 0.5f)), 1.0 / 3.0, 1e-6);
    /* shifted along both axes by half: 0.01 / (0.08 - 0.01) */
    CHECK_NEAR(dt_box_iou(S(0.5f, 0.5f), S(0.6f, 0.6f)), 1.0 / 7.0, 1e-6);
    CHECK_NEAR(dt_box_iou(S(0.3f, 0.5f), S(0.35f, 0.5f)), 0.6, 1e-5);
    /* a 1x1 box inside a 2x1 one: 1 / 2 */
    CHECK_NEAR(dt_box_iou(B(0, 0, 2, 1), B(0, 0, 1, 1)), 0.5, 1e-7);
    CHECK_NEAR(dt_box_iou(B(0, 0, 1, 1), B(0, 0, 2, 1)), 0.5, 1e-7);
    /* different widths and heights: 0.1x0.1 inside 0.4x0.1 -> 0.01 / 0.04 */
    CHECK_NEAR(dt_box_iou(B(0.5f, 0.5f, 0.4f, 0.1f), B(0.45f, 0.5f, 0.1f, 0.1f)), 0.25, 1e-6);
    CHECK(dt_box_iou(S(0.2f, 0.2f), S(0.8f, 0.8f)) == 0.0f);   /* apart */
    CHECK(dt_box_iou(B(0, 0, 1, 1), B(1, 0, 1, 1)) == 0.0f);   /* touching edges */
    CHECK(dt_box_iou(B(0, 0, 0, 0), B(0, 0, 0, 0)) == 0.0f);   /* empty, not NaN */
}

/* Every object found exactly, once: everything is 1. */
static void test_perfect(void)
{
    dt_map *m = dt_map_create(2);
    dt_box gt0[] = {S(0.2f, 0.2f), S(0.7f, 0.7f)};
    int cls0[] = {0, 1};
    dt_det det0[] = {D(S(0.2f, 0.2f), 0, 0.9f), D(S(0.7f, 0.7f), 1, 0.8f)};
    dt_map_add(m, gt0, cls0, 2, det0, 2);
    dt_box gt1[] = {S(0.5f, 0.5f)};
    int cls1[] = {1};
    dt_det det1[] = {D(S(0.5f, 0.5f), 1, 0.6f)};
    dt_map_add(m, gt1, cls1, 1, det1, 1);
    dt_map_result r;
    dt_map_compute(m, 0.25, &r);
    CHECK_NEAR(r.map, 1.0, 1e-12);
    CHECK_NEAR(r.precision, 1.0, 1e-12);
    CHECK_NEAR(r.recall, 1.0, 1e-12);
    CHECK_NEAR(r.avg_iou, 1.0, 1e-6);
    CHECK(r.nclasses == 2);
    dt_map_free(m);
}

/* No detections at all: nothing found, and no 0/0 anywhere. */
static void test_none(void)
{
    dt_map *m = dt_map_create(1);
    dt_box gt[] = {S(0.2f, 0.2f), S(0.7f, 0.7f)};
    int cls[] = {0, 0};
    dt_map_add(m, gt, cls, 2, NULL, 0);
    dt_map_add(m, NULL, NULL, 0, NULL, 0);   /* an image with nothing in it */
    dt_map_result r;
    dt_map_compute(m, 0.25, &r);
    CHECK(r.map == 0.0);
    CHECK(r.recall == 0.0);
    CHECK(r.precision == 0.0);
    CHECK(r.avg_iou == 0.0);
    CHECK(r.nclasses == 1);
    dt_map_free(m);

    /* Nothing added at all. */
    m = dt_map_create(3);
    dt_map_compute(m, 0.25, &r);
    CHECK(r.map == 0.0 && r.precision == 0.0 && r.recall == 0.0 && r.avg_iou == 0.0 && r.nclasses == 0);
    dt_map_free(m);
}

/* Wrong class, wrong place, the right object in another image, and an IoU of
 * exactly 0.5 (AlexeyAB wants it strictly above): all FPs, so all zero. */
static void test_wrong(void)
{
    dt_map *m = dt_map_create(2);
    /* Binary-exact sizes, so that the IoU is 0.5 to the last bit. */
    dt_box gt0[] = {S(0.2f, 0.2f), B(0.5f, 0.5f, 0.5f, 0.25f)};
    int cls0[] = {0, 0};
    dt_det det0[] = {
        D(S(0.2f, 0.2f), 1, 0.9f),                 /* right place, wrong class */
        D(S(0.5f, 0.2f), 0, 0.8f),                 /* nothing there */
        D(B(0.5f, 0.5f, 0.25f, 0.25f), 0, 0.7f),   /* inside a twice-wider box: IoU 0.5 */
    };
    dt_map_add(m, gt0, cls0, 2, det0, 3);
    dt_det det1[] = {D(S(0.2f, 0.2f), 0, 0.95f)};  /* where image 0's object is */
    dt_map_add(m, NULL, NULL, 0, det1, 1);
    dt_map_result r;
    dt_map_compute(m, 0.25, &r);
    CHECK(r.map == 0.0);
    CHECK(r.precision == 0.0);
    CHECK(r.recall == 0.0);
    CHECK(r.avg_iou == 0.0);
    dt_map_free(m);

    /* The same box a little wider (IoU 0.275/0.5 = 0.55) is found. */
    m = dt_map_create(1);
    dt_box gt[] = {B(0.5f, 0.5f, 0.5f, 0.25f)};
    int cls[] = {0};
    dt_det det[] = {D(B(0.5f, 0.5f, 0.275f, 0.25f), 0, 0.7f)};
    dt_map_add(m, gt, cls, 1, det, 1);
    dt_map_compute(m, 0.25, &r);
    CHECK_NEAR(r.map, 1.0, 1e-12);
    CHECK_NEAR(r.avg_iou, 0.55, 1e-5);
    dt_map_free(m);
}

/* Duplicates of one object: the more confident claims it, the other is a FP,
 * whatever their IoUs. */
static void test_duplicate(void)
{
    dt_map_result r;
    /* One object; 0.9 exact (TP), 0.8 exact (FP).
     *   rank  TP/FP  P    R
     *   1     TP     1    1
     *   2     FP     1/2  1      AP = 1 * 1 = 1
     * At 0.25: TP 1, FP 1: precision 1/2, recall 1, avg IoU (1 + 0) / 2. */
    dt_map *m = dt_map_create(1);
    dt_box gt[] = {S(0.3f, 0.3f)};
    int cls[] = {0};
    dt_det det[] = {D(S(0.3f, 0.3f), 0, 0.8f), D(S(0.3f, 0.3f), 0, 0.9f)};
    dt_map_add(m, gt, cls, 1, det, 2);
    dt_map_compute(m, 0.25, &r);
    CHECK_NEAR(r.map, 1.0, 1e-12);
    CHECK_NEAR(r.precision, 0.5, 1e-12);
    CHECK_NEAR(r.recall, 1.0, 1e-12);
    CHECK_NEAR(r.avg_iou, 0.5, 1e-6);
    dt_map_free(m);

    /* The duplicate with the lower IoU (0.6) is the more confident: it claims the
     * object, the exact box is the FP: avg IoU (0.6 + 0) / 2 = 0.3, AP still 1. */
    m = dt_map_create(1);
    dt_det det2[] = {D(S(0.3f, 0.3f), 0, 0.8f), D(S(0.35f, 0.3f), 0, 0.9f)};
    dt_map_add(m, gt, cls, 1, det2, 2);
    dt_map_compute(m, 0.25, &r);
    CHECK_NEAR(r.map, 1.0, 1e-12);
    CHECK_NEAR(r.avg_iou, 0.3, 1e-5);
    dt_map_free(m);

    /* Equal confidences rank in the order added: first the 0.6 box, then the exact
     * one -> avg IoU 0.3; added the other way round -> 0.5. */
    m = dt_map_create(1);
    dt_det det3[] = {D(S(0.35f, 0.3f), 0, 0.5f), D(S(0.3f, 0.3f), 0, 0.5f)};
    dt_map_add(m, gt, cls, 1, det3, 2);
    dt_map_compute(m, 0.25, &r);
    CHECK_NEAR(r.avg_iou, 0.3, 1e-5);
    dt_map_free(m);
    m = dt_map_create(1);
    dt_det det4[] = {D(S(0.3f, 0.3f), 0, 0.5f), D(S(0.35f, 0.3f), 0, 0.5f)};
    dt_map_add(m, gt, cls, 1, det4, 2);
    dt_map_compute(m, 0.25, &r);
    CHECK_NEAR(r.avg_iou, 0.5, 1e-6);
    dt_map_free(m);
}

/* Where the duplicate ranks changes AP. Objects G1 at x 0.3 and G2 at x 0.8;
 * A exact on G1, B a duplicate of G1 (IoU 0.6), C exact on G2.
 * Order A 0.9, B 0.8, C 0.7:
 *   rank  TP/FP  P    R
 *   A     TP     1    1/2
 *   B     FP     1/2  1/2
 *   C     TP     2/3  1      AP = 1/2 * 1 + 1/2 * 2/3 = 5/6
 * Order A 0.9, C 0.7, B 0.6: P 1, 1, 2/3; R 1/2, 1, 1: AP = 1. */
static void test_order(void)
{
    dt_box gt[] = {S(0.3f, 0.3f), S(0.8f, 0.3f)};
    int cls[] = {0, 0};
    dt_map_result r;
    dt_map *m = dt_map_create(1);
    dt_det det[] = {D(S(0.8f, 0.3f), 0, 0.7f), D(S(0.35f, 0.3f), 0, 0.8f), D(S(0.3f, 0.3f), 0, 0.9f)};
    dt_map_add(m, gt, cls, 2, det, 3);
    dt_map_compute(m, 0.25, &r);
    CHECK_NEAR(r.map, 5.0 / 6.0, 1e-9);
    CHECK_NEAR(r.precision, 2.0 / 3.0, 1e-12);
    CHECK_NEAR(r.recall, 1.0, 1e-12);
    CHECK_NEAR(r.avg_iou, 2.0 / 3.0, 1e-6);
    dt_map_free(m);

    m = dt_map_create(1);
    det[1].prob = 0.6f;
    dt_map_add(m, gt, cls, 2, det, 3);
    dt_map_compute(m, 0.25, &r);
    CHECK_NEAR(r.map, 1.0, 1e-9);
    /* Above 0.55: A, B, C (B a FP); above 0.65: A and C; above 0.7: A only (C at
     * exactly 0.7 is not above it). */
    dt_map_compute(m, 0.55, &r);
    CHECK_NEAR(r.precision, 2.0 / 3.0, 1e-12);
    CHECK_NEAR(r.recall, 1.0, 1e-12);
    dt_map_compute(m, 0.65, &r);
    CHECK_NEAR(r.precision, 1.0, 1e-12);
    CHECK_NEAR(r.recall, 1.0, 1e-12);
    dt_map_compute(m, 0.7, &r);
    CHECK_NEAR(r.precision, 1.0, 1e-12);
    CHECK_NEAR(r.recall, 0.5, 1e-12);
    dt_map_free(m);
}

/* Precision is made monotone from the right: a recall step counts with the best
 * precision at that rank or below it. Three objects, one image:
 *   prob  TP/FP  P    R     envelope
 *   .9    TP     1    1/3   1
 *   .8    FP     1/2  1/3   3/4
 *   .7    TP     2/3  2/3   3/4
 *   .6    TP     3/4  1     3/4
 *   AP = 1/3 * 1 + 1/3 * 3/4 + 1/3 * 3/4 = 5/6 (the raw precisions would give 29/36) */
static void test_envelope(void)
{
    dt_box gt[] = {S(0.2f, 0.2f), S(0.5f, 0.5f), S(0.8f, 0.8f)};
    int cls[] = {0, 0, 0};
    dt_det det[] = {D(S(0.2f, 0.2f), 0, 0.9f), D(S(0.2f, 0.8f), 0, 0.8f), D(S(0.5f, 0.5f), 0, 0.7f),
                    D(S(0.8f, 0.8f), 0, 0.6f)};
    dt_map *m = dt_map_create(1);
    dt_map_add(m, gt, cls, 3, det, 4);
    dt_map_result r;
    dt_map_compute(m, 0.25, &r);
    CHECK_NEAR(r.map, 5.0 / 6.0, 1e-9);
    dt_map_free(m);
}

/* A detection whose best object is taken is a FP even when a second, free object
 * overlaps it by more than 0.5 (AlexeyAB and VOC; "best free object" would say TP).
 * G1 at x 0.5, G2 at x 0.54; D1 exact on G1 (0.9); D2 at x 0.51 (0.8): IoU 0.19/0.21
 * with G1, 0.17/0.23 with G2.
 *   D1 TP  P 1    R 1/2
 *   D2 FP  P 1/2  R 1/2     AP = 1/2 (it would be 1 if D2 took G2) */
static void test_best_taken(void)
{
    dt_box gt[] = {S(0.5f, 0.5f), S(0.54f, 0.5f)};
    int cls[] = {0, 0};
    dt_det det[] = {D(S(0.5f, 0.5f), 0, 0.9f), D(S(0.51f, 0.5f), 0, 0.8f)};
    dt_map *m = dt_map_create(1);
    dt_map_add(m, gt, cls, 2, det, 2);
    dt_map_result r;
    dt_map_compute(m, 0.25, &r);
    CHECK_NEAR(r.map, 0.5, 1e-9);
    CHECK_NEAR(r.recall, 0.5, 1e-12);
    dt_map_free(m);
}

/* A class with detections and no ground truth, and a class with neither: AlexeyAB
 * divides the sum of APs by every class, so each counts as AP 0. */
static void test_class_without_truth(void)
{
    dt_box gt[] = {S(0.2f, 0.2f)};
    int cls[] = {0};
    dt_det det[] = {D(S(0.2f, 0.2f), 0, 0.9f), D(S(0.7f, 0.7f), 1, 0.8f)};
    dt_map_result r;
    dt_map *m = dt_map_create(2);
    dt_map_add(m, gt, cls, 1, det, 2);
    dt_map_compute(m, 0.25, &r);
    CHECK_NEAR(r.map, 0.5, 1e-12);        /* (1 + 0) / 2 */
    CHECK(r.nclasses == 1);
    CHECK_NEAR(r.precision, 0.5, 1e-12);  /* the class-1 box is a FP */
    CHECK_NEAR(r.recall, 1.0, 1e-12);
    dt_map_free(m);

    m = dt_map_create(3);
    dt_map_add(m, gt, cls, 1, det, 1);
    dt_map_compute(m, 0.25, &r);
    CHECK_NEAR(r.map, 1.0 / 3.0, 1e-12);  /* (1 + 0 + 0) / 3 */
    CHECK(r.nclasses == 1);
    dt_map_free(m);
}

/* Two classes, two images, a worked precision/recall table for each.
 * Image 0: class 0 at a (0.2,0.2) and b (0.7,0.7); class 1 at c (0.2,0.7).
 * Image 1: class 0 at d (0.5,0.5, 0.3x0.3); class 1 at e (0.2,0.2) and f (0.8,0.2).
 *
 * Class 0, 3 objects:
 *   prob  image  on        TP/FP  cumTP cumFP  P     R     envelope
 *   .95   1      d exact   TP     1     0      1     1/3   1
 *   .90   0      nothing   FP     1     1      1/2   1/3   2/3
 *   .85   0      a exact   TP     2     1      2/3   2/3   2/3
 *   .60   0      a again   FP     2     2      1/2   2/3   1/2
 *   .40   1      nothing   FP     2     3      2/5   2/3   1/2
 *   .30   0      b exact   TP     3     3      1/2   1     1/2
 *   .10   0      nothing   FP     3     4      3/7   1     3/7
 *   AP0 = 1/3 * 1 + 1/3 * 2/3 + 1/3 * 1/2 = 13/18
 * Class 1, 3 objects:
 *   .80   1      e exact   TP     1     0      1     1/3   1
 *   .70   1      f, 0.6    TP     2     0      1     2/3   1
 *   .50   0      a (cls 0) FP     2     1      2/3   2/3   3/4
 *   .20   0      c exact   TP     3     1      3/4   1     3/4
 *   AP1 = 1/3 + 1/3 + 1/3 * 3/4 = 11/12
 * mAP = (13/18 + 11/12) / 2 = 59/72.
 * Above 0.25: class 0 TP 3 FP 3, class 1 TP 2 FP 1 (0.20 is below):
 * precision 5/9, recall 5/6, avg IoU (1 + 1 + 1 + 1 + 0.6) / 9. */
static void test_two_classes(void)
{
    dt_map *m = dt_map_create(2);
    dt_box gt0[] = {S(0.2f, 0.2f), S(0.7f, 0.7f), S(0.2f, 0.7f)};
    int cls0[] = {0, 0, 1};
    dt_det det0[] = {
        D(S(0.5f, 0.1f), 0, 0.90f), D(S(0.2f, 0.2f), 0, 0.85f), D(S(0.2f, 0.2f), 0, 0.60f),
        D(S(0.7f, 0.7f), 0, 0.30f), D(S(0.9f, 0.4f), 0, 0.10f), D(S(0.2f, 0.2f), 1, 0.50f),
        D(S(0.2f, 0.7f), 1, 0.20f),
    };
    dt_map_add(m, gt0, cls0, 3, det0, 7);
    dt_box gt1[] = {B(0.5f, 0.5f, 0.3f, 0.3f), S(0.2f, 0.2f), S(0.8f, 0.2f)};
    int cls1[] = {0, 1, 1};
    dt_det det1[] = {
        D(S(0.8f, 0.85f), 0, 0.40f), D(B(0.5f, 0.5f, 0.3f, 0.3f), 0, 0.95f),
        D(S(0.2f, 0.2f), 1, 0.80f), D(S(0.85f, 0.2f), 1, 0.70f),
    };
    dt_map_add(m, gt1, cls1, 3, det1, 4);
    dt_map_result r;
    dt_map_compute(m, 0.25, &r);
    CHECK_NEAR(r.map, 59.0 / 72.0, 1e-9);
    CHECK_NEAR(r.precision, 5.0 / 9.0, 1e-12);
    CHECK_NEAR(r.recall, 5.0 / 6.0, 1e-12);
    CHECK_NEAR(r.avg_iou, 4.6 / 9.0, 1e-6);
    CHECK(r.nclasses == 2);
    /* Per class, through one-class views of the same data. */
    dt_map *c0 = dt_map_create(1);
    dt_map_add(c0, gt0, cls0, 2, det0, 5);
    dt_map_add(c0, gt1, cls1, 1, det1, 2);
    dt_map_compute(c0, 0.25, &r);
    CHECK_NEAR(r.map, 13.0 / 18.0, 1e-9);
    dt_map_free(c0);
    dt_map_free(m);
}

/* Detections with prob <= 0 (Darknet's "not detected") and out-of-range classes
 * are ignored rather than counted as FPs. */
static void test_ignored(void)
{
    dt_box gt[] = {S(0.2f, 0.2f), S(0.7f, 0.7f)};
    int cls[] = {0, 5};
    dt_det det[] = {D(S(0.2f, 0.2f), 0, 0.9f), D(S(0.6f, 0.6f), 0, 0.0f), D(S(0.7f, 0.7f), 5, 0.9f),
                    D(S(0.5f, 0.5f), -1, 0.9f)};
    dt_map *m = dt_map_create(1);
    dt_map_add(m, gt, cls, 2, det, 4);
    dt_map_result r;
    dt_map_compute(m, 0.0, &r);
    CHECK_NEAR(r.map, 1.0, 1e-12);
    CHECK_NEAR(r.precision, 1.0, 1e-12);
    CHECK_NEAR(r.recall, 1.0, 1e-12);
    dt_map_free(m);
}

/* NMS: the best of overlapping boxes stays, a box of another class at the same
 * place stays, a box overlapping only a dropped one stays (a dropped box
 * suppresses nothing), and the kept ones come out most confident first.
 * A (0.9) at x 0.3; B (0.8) at x 0.35: IoU 0.6 with A -> dropped; E (0.75) at
 * x 0.40: IoU 1/3 with A, 0.6 with B -> kept; C (0.7) far away; K (0.95) where A
 * is, class 1. */
static void test_nms(void)
{
    dt_det det[] = {
        D(S(0.8f, 0.8f), 0, 0.7f),   /* C */
        D(S(0.35f, 0.3f), 0, 0.8f),  /* B */
        D(S(0.3f, 0.3f), 1, 0.95f),  /* K */
        D(S(0.3f, 0.3f), 0, 0.9f),   /* A */
        D(S(0.4f, 0.3f), 0, 0.75f),  /* E */
    };
    int n = dt_map_nms(det, 5, 0.45f);
    CHECK(n == 4);
    if (n == 4) {
        CHECK(det[0].cls == 1 && det[0].prob == 0.95f);
        CHECK(det[1].cls == 0 && det[1].prob == 0.9f && det[1].box.x == 0.3f);
        CHECK(det[2].prob == 0.75f && det[2].box.x == 0.4f);
        CHECK(det[3].prob == 0.7f && det[3].box.x == 0.8f);
    }
    /* A looser threshold (0.65) keeps B as well. */
    dt_det det2[] = {D(S(0.3f, 0.3f), 0, 0.9f), D(S(0.35f, 0.3f), 0, 0.8f)};
    CHECK(dt_map_nms(det2, 2, 0.65f) == 2);
    /* Equal confidences: the first given wins. */
    dt_det det3[] = {D(S(0.3f, 0.31f), 0, 0.5f), D(S(0.3f, 0.3f), 0, 0.5f)};
    CHECK(dt_map_nms(det3, 2, 0.45f) == 1);
    CHECK(det3[0].box.y == 0.31f);
    CHECK(dt_map_nms(det3, 0, 0.45f) == 0);
}

int main(void)
{
    test_iou();
    test_perfect();
    test_none();
    test_wrong();
    test_duplicate();
    test_order();
    test_envelope();
    test_best_taken();
    test_class_without_truth();
    test_two_classes();
    test_ignored();
    test_nms();
    return dt_test_done("map");
}
