/* Helpers shared by conv2d.c and conv2d_backward.c. */
#ifndef NS_GATYS_CONV_H
#define NS_GATYS_CONV_H

#include "gatys-kernels.h"

/* Rows per band at H x W (>= 2 unless H < 2). */
int ns_gconv_band (const ns_conv *conv, int h, int w);
/* The calling thread's index in the current OpenMP team (0 outside). */
int ns_gconv_thread (void);
/* Reflection-padded im2col of output rows [Y0, Y1) (single-threaded). */
void ns_gconv_im2col (const float *in, int cin, int h, int w, int y0, int y1,
                      float *col);

#endif /* NS_GATYS_CONV_H */
