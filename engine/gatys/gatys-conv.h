/* Band policy of the convolution backward pass (conv2d_backward.c); the
 * forward pass, ns_conv2d_into, has its own (see nn.h). */
#ifndef NS_GATYS_CONV_H
#define NS_GATYS_CONV_H

#include "gatys-kernels.h"

/* Two ways to run a layer's backward pass: "banded", each thread taking whole bands of
 * rows with a single-threaded sgemm on an L2-sized im2col buffer (narrow
 * layers on large images: memory-bound, cache locality wins), or
 * "whole", large sequential bands with OpenBLAS threading each sgemm
 * (small images, deep wide layers: too few bands to share out, and the
 * weights are too large to pack once per small band).  Banded when there
 * are at least two bands per thread. */
bool ns_gconv_banded (const ns_conv *conv, int h, int w, int n_threads);
/* Rows per band at H x W, banded mode (>= 2 unless H < 2). */
int ns_gconv_band (const ns_conv *conv, int h, int w);
/* Rows per band, whole mode. */
int ns_gconv_whole_band (const ns_conv *conv, int h, int w);

#endif /* NS_GATYS_CONV_H */
