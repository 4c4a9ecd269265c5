/* dt_map: detection quality as Darknet users read it: mAP@0.5 (VOC all-point
 * interpolation, as AlexeyAB's `detector map` reports it), with precision, recall
 * and average IoU beside it.
 *
 * Boxes are (x, y, w, h): centre and size, relative to the image (YOLO label units).
 * The caller adds, image by image, the ground truth and the detections (already
 * thresholded and after non-maximum suppression, or raw with dt_map_nms first);
 * dt_map_compute then ranks every class's detections by confidence (equal ones in
 * the order added), matches each to the ground truth of its image and class with
 * the highest IoU when that IoU is > 0.5 and a TP only when that ground truth is not
 * already taken (else a FP: duplicates are FPs), as AlexeyAB and VOC do, and
 * integrates the precision/recall curve. Knows nothing of libdarknet. */
#ifndef DT_MAP_H
#define DT_MAP_H

typedef struct dt_box {
    float x, y, w, h;
} dt_box;

typedef struct dt_det {
    dt_box box;
    int cls;
    float prob;        /* confidence of cls */
} dt_det;

typedef struct dt_map_result {
    double map;        /* sum of AP@0.5 over all `classes` / classes, in [0, 1]: like AlexeyAB,
                          a class without ground truth counts as 0 */
    double precision;  /* TP / (TP + FP) over detections with prob > thresh (0 when none) */
    double recall;     /* TP / all ground truths, same detections (0 when no ground truth) */
    double avg_iou;    /* AlexeyAB's "average IoU": the TPs' IoU summed / (TP + FP), same
                          detections (a FP adds 0); 0 when none */
    int nclasses;      /* classes with at least one ground truth (not the mAP divisor) */
} dt_map_result;

typedef struct dt_map dt_map;

/* An empty evaluation for class ids 0..classes-1 (every one counts in the mAP). */
dt_map *dt_map_create(int classes);
/* Frees m; NULL is fine. */
void dt_map_free(dt_map *m);
/* Adds one image: its n ground-truth boxes (cls of each in gt_cls) and its detections,
 * copied (the caller keeps its arrays; NULL with a count of 0 is fine). */
void dt_map_add(dt_map *m, const dt_box *gt, const int *gt_cls, int ngt, const dt_det *det, int ndet);
/* Computes the result; thresh is the confidence strictly above which detections
 * count for precision, recall and avg IoU (AlexeyAB uses 0.25); AP uses every
 * detection. Detections with prob <= 0 and classes outside 0..classes-1 are ignored. */
void dt_map_compute(const dt_map *m, double thresh, dt_map_result *out);

/* Intersection over union of two centre/size boxes; 0 when they do not overlap. */
float dt_box_iou(dt_box a, dt_box b);
/* Greedy per-class non-maximum suppression in place: a detection is dropped when a
 * more confident kept one of the same class overlaps it with IoU > nms (equal
 * confidences: the earlier wins). The kept ones end at the front, most confident
 * first. Returns the count kept. */
int dt_map_nms(dt_det *det, int n, float nms);

#endif
