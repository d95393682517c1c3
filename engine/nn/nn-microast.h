/* Layer kinds added for MicroAST (engine/microast/), each with its naive
 * reference beside the optimised kernel:
 *  - grouped convolutions with any channel ratio per group (gconv.c):
 *    MicroAST's "depthwise" layers double (16 -> 32 with 16 groups) or
 *    halve (64 -> 32 with 32 groups) the channels, which ns_conv's
 *    depthwise mode (groups == cin == cout) does not cover;
 *  - bilinear x2 upsampling as F.interpolate (scale_factor=2,
 *    mode='bilinear', align_corners=False) (bilinear.c);
 *  - per-channel modulation, residual add, channel statistics and the
 *    AdaIN blend (modulate.c).
 * All work on bare planar arrays (c x h x w floats, batch 1). */
#ifndef NS_NN_MICROAST_H
#define NS_NN_MICROAST_H

#include "ns-internal.h"

/* ---- grouped convolution (gconv.c)
 * GROUPS groups; group g maps input channels [g*cin/G, (g+1)*cin/G) to
 * output channels [g*cout/G, (g+1)*cout/G).  Reflection padding k/2 (as
 * MicroAST's ConvLayer: ReflectionPad2d(k // 2)), stride 1 or 2, bias,
 * optional fused ReLU.  Weights [cout][cin/G][k][k] as PyTorch. */
typedef struct
{
  int cin, cout, groups, k, stride;
  bool relu;
  const float *weight;
  const float *bias; /* may be NULL */
} ns_gconv;

/* Output size: (n + 2 (k/2) - k) / stride + 1. */
void ns_gconv_out_size (const ns_gconv *g, int h, int w, int *oh, int *ow);
/* Validates G (channels divisible by groups, odd k in 1..9, stride 1 or
 * 2) against a CIN x H x W input (reflection needs a side > k/2). */
ns_status ns_gconv_check (const ns_gconv *g, int cin, int h, int w,
                          ns_error *err);
/* FLOPs (multiply + add) on an H x W input. */
double ns_gconv_flops (const ns_gconv *g, int h, int w);
/* IN cin x h x w -> OUT cout x oh x ow (not overlapping IN); G checked.
 * N_THREADS <= 0: ns_threads_resolve's default. */
void ns_gconv_into (const ns_gconv *g, const float *in, int h, int w,
                    float *out, int n_threads);
/* Naive reference: explicit reflection, double accumulation. */
void ns_gconv_ref (const ns_gconv *g, const float *in, int h, int w,
                   float *out);

/* ---- bilinear x2 upsampling (bilinear.c)
 * IN c x h x w -> OUT c x 2h x 2w, PyTorch's align_corners=False
 * mapping: source coordinate (d + 0.5) / 2 - 0.5, clamped at 0. */
void ns_bilinear2x_into (const float *in, int c, int h, int w, float *out,
                         int n_threads);
/* Reference: the general formula for any scale, in double. */
void ns_bilinear2x_ref (const float *in, int c, int h, int w, float *out);
/* The pieces: XI and XL (4 w entries each) receive the horizontal taps of
 * the 2 w output columns; ns_bilinear2x_row writes output row Y (of 2 h)
 * of one channel's PLANE (h x w) into OROW (2 w floats). */
void ns_bilinear2x_xtaps (int w, int *xi, float *xl);
void ns_bilinear2x_row (const float *plane, int h, int w, int y, const int *xi,
                        const float *xl, float *orow);
/* G (stride 1) on the bilinear x2 upsampling of IN (cin x h x w) into OUT
 * (cout x 2h x 2w) without storing the upsampled tensor (it would be the
 * largest activation of MicroAST's decoder): each thread upsamples the
 * rows its output row needs.  Same values as ns_bilinear2x_into then
 * ns_gconv_into.  NS_ERR_NOMEM when the row buffers cannot be had. */
ns_status ns_gconv_up2_into (const ns_gconv *g, const float *in, int h, int w,
                             float *out, int n_threads, ns_error *err);

/* ---- modulation and statistics (modulate.c), HW = h * w per channel
 * OUT = RES + act (WT[c] * A + BS[c] * X) per channel c; act is ReLU when
 * RELU; RES may be NULL (no residual).  OUT may equal A, X or RES. */
void ns_modulate_into (const float *a, const float *x, const float *wt,
                       const float *bs, const float *res, int c, size_t hw,
                       bool relu, float *out, int n_threads);
void ns_modulate_ref (const float *a, const float *x, const float *wt,
                      const float *bs, const float *res, int c, size_t hw,
                      bool relu, float *out);
/* Y += X over N floats (a residual connection). */
void ns_residual_add (float *y, const float *x, size_t n, int n_threads);
/* Per channel: MEAN, and STD = sqrt (unbiased variance + EPS) (as
 * calc_mean_std of pytorch-AdaIN and MicroAST); two passes in double.
 * HW >= 2.  MEAN or STD may be NULL. */
void ns_channel_mean_std (const float *x, int c, size_t hw, double eps,
                          double *mean, double *std, int n_threads);
void ns_channel_mean_std_ref (const float *x, int c, size_t hw, double eps,
                              double *mean, double *std);
/* The AdaIN blend in place on X: alpha (((x - CM) / CS) SS + SM)
 * + (1 - alpha) x per channel. */
void ns_adain_blend (float *x, int c, size_t hw, const double *cm,
                     const double *cs, const double *sm, const double *ss,
                     double alpha, int n_threads);
void ns_adain_blend_ref (float *x, int c, size_t hw, const double *cm,
                         const double *cs, const double *sm, const double *ss,
                         double alpha);

#endif /* NS_NN_MICROAST_H */
