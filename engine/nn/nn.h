/* Layers and networks: helpers beyond ns-internal.h, for the stylization
 * and Gatys code and the engine's tests.
 *
 * Ownership: an ns_net owns its LAYERS array and each layer's NAME
 * (ns_net_clear frees both); the conv weights and biases are borrowed
 * from the ns_weights they were read from (kept in the ns_model).
 *
 * Encoders built by the model loader follow the VGG-19 trunk: layer 0 is
 * the 1x1 input conv (RGB [0,1] -> normalised BGR), then blocks of 3x3
 * conv+ReLU separated by 2x2 max pools.  Conv layers are named after the
 * VGG layer they compute ("conv1_1", "conv4_2", ...; "conv0" for the input
 * layer) whatever the key in the file; decoder convs are named by their
 * key in the file ("conv51", "28").  Taps are found by structure (see
 * ns_net_find_tap), not by name. */
#ifndef NS_NN_H
#define NS_NN_H

#include "ns-internal.h"

/* Validates CONV against IN (channels, kernel size, padding). */
ns_status ns_conv_check (const ns_conv *conv, const ns_tensor *in,
                         ns_error *err);
/* FLOPs (multiply + add) of CONV on an H x W input. */
double ns_conv_flops (const ns_conv *conv, int h, int w);
/* Pixels per band ns_conv2d aims for on an H x W input (before balancing
 * bands over threads); exposed for the benchmark. */
int ns_conv_band_pixels (const ns_conv *conv, int h, int w);

/* The kernels writing into a caller's buffer BUF (capacity at least the
 * output's numel, not overlapping IN, not freed on error) instead of
 * allocating: OUT receives the shape and DATA = BUF.  ns_net_forward uses them to ping-pong between
 * two buffers, so each page is faulted in once per forward, not per layer
 * (at 2048x2048 a fresh 1 GiB activation costs ~0.3 s of page faults). */
ns_status ns_conv2d_buf (const ns_conv *conv, const ns_tensor *in, float *buf,
                         ns_tensor *out, ns_run *run, ns_error *err);
/* Options of ns_conv2d_into; a NULL options pointer means all zero. */
typedef struct
{
  /* > 0: overrides RUN's thread count (RUN may then be NULL). */
  int n_threads;
  /* Per-thread budget of the unfolded 3x3 band; 0: the default
   * (NS_CONV_SCRATCH_BYTES in conv2d.c, 1 MiB: a band kept in L2). */
  size_t band_bytes;
  /* NULL: allocated per call; else at least ns_conv_scratch_floats floats,
   * so that the call allocates nothing. */
  float *scratch;
} ns_conv_opts;

/* The kernel itself on bare arrays, for callers that manage their own
 * buffers (the Gatys feature network): IN cin x H x W, OUT cout x H x W
 * (not overlapping IN).  RUN may be NULL (no progress, no cancellation).
 * Only OUT is written. */
ns_status ns_conv2d_into (const ns_conv *conv, const float *in, int h, int w,
                          float *out, const ns_conv_opts *opts, ns_run *run,
                          ns_error *err);
/* Floats of scratch ns_conv2d_into needs with OPTS (its scratch ignored);
 * SIZE_MAX on overflow. */
size_t ns_conv_scratch_floats (const ns_conv *conv, int h, int w,
                               const ns_conv_opts *opts);

/* Reflection padding by one (PyTorch ReflectionPad2d(1)): the source index
 * of padded index I on an axis of N.  A size-1 axis cannot be reflected:
 * replicate instead. */
static inline int
ns_reflect_index (int i, int n)
{
  if (n == 1)
    return 0;
  if (i < 0)
    return -i;
  if (i >= n)
    return 2 * n - 2 - i;
  return i;
}

/* 3x3 im2col with reflection padding 1: unfolds flat pixels [P0, P0+NPIX)
 * (p = y*w + x) of IN (cin x h x w) into COL [cin*9][npix], row
 * (ci*3 + ky)*3 + kx.  A band of whole rows [y0, y1) is P0 = y0*w,
 * NPIX = (y1-y0)*w; the Gatys col2im is its adjoint. */
void ns_im2col3x3_band (const float *in, int cin, int h, int w, size_t p0,
                        int npix, float *col);

ns_status ns_maxpool2x2_buf (const ns_tensor *in, bool ceil_mode, float *buf,
                             ns_tensor *out, ns_error *err);
ns_status ns_upsample2x_buf (const ns_tensor *in, float *buf, ns_tensor *out,
                             ns_error *err);

/* Index of the layer computing VGG activation NAME in an encoder NET:
 * "relu3_1" or "conv3_1" (the conv's ReLU is fused), "pool2" (the pool
 * after block 2).  -1 when NET does not reach it. */
int ns_net_find_tap (const ns_net *net, const char *name);

/* Runs NET on IN, copying the activation after each layer TAP_LAYERS[i]
 * (indices into net->layers, any order, repeats allowed) into TAPS[i]
 * (allocated here; freed on error).  OUT (allocated) receives the final
 * activation; when OUT is NULL the forward stops after the deepest tap.
 * Peak memory: two buffers of the largest activation plus the taps. */
ns_status ns_net_forward_taps (const ns_net *net, const ns_tensor *in,
                               const int *tap_layers, int n_taps,
                               ns_tensor *taps, ns_tensor *out, ns_run *run,
                               ns_error *err);

/* Runs layers FIRST..LAST-1 of NET (e.g. to continue from a tap). */
ns_status ns_net_forward_range (const ns_net *net, int first, int last,
                                const ns_tensor *in, ns_tensor *out,
                                ns_run *run, ns_error *err);

/* Appends a layer to NET (NAME copied).  For the model loader and tests. */
ns_status ns_net_add_conv (ns_net *net, const char *name, const ns_conv *conv,
                           ns_error *err);
ns_status ns_net_add_pool (ns_net *net, ns_error *err);
ns_status ns_net_add_upsample (ns_net *net, ns_error *err);

/* The longest feature extractor MODEL's weights allow, for Gatys losses:
 * the whole normalised VGG-19 to relu5_1 (NS_MODEL_VGG19, ceil-mode
 * pools), the cd16x enc5 trunk to relu5_1 (pruned widths; the conv*_aux
 * heads are in model->files), the lst-r31 encoder to relu3_1.  NET is
 * filled and must be cleared with ns_net_clear; weights are borrowed from
 * MODEL. */
ns_status ns_model_feature_net (const ns_model *model, ns_net *net,
                                ns_error *err);

/* The weight file of MODEL named FILE (e.g. "enc5.pth"), or NULL. */
const ns_weights *ns_model_weights (const ns_model *model, const char *file);

#endif /* NS_NN_H */
