/* dt_flops: how many floating-point operations a cfg's network does per image, as
 * Darknet counts them (BFLOPs: billions), from the cfg's layers alone.
 *
 * Each layer's output size follows from the one before it as Darknet's parser works
 * it out (parse_network_cfg); operations are counted where Darknet prints "BFLOPs" for
 * a layer. Machine-independent, nothing runs: a deployment objective besides ms. */
#ifndef DT_FLOPS_H
#define DT_FLOPS_H

#include "dt_cfg.h"

/* The BFLOPs of one image through c at its [net] width, height and channels. Fails on
 * a layer type it does not know or a size that does not fit, naming the cfg and line. */
int dt_flops_cfg(const dt_cfg *c, double *bflops, dt_err *err);
/* The same, layer by layer, as Darknet's layer table numbers them (layer i is the
 * section after [net] numbered i + 1): layer[i] gets its BFLOPs (0 where Darknet
 * prints none) for i < n (layer may be NULL with n 0). Returns how many layers the
 * cfg has, or -1 with err. */
int dt_flops_layers(const dt_cfg *c, double *layer, int n, dt_err *err);

#endif
