/* Layers and networks: helpers beyond ns-internal.h, for the stylization
 * and Gatys code and the engine's tests.
 *
 * Ownership: an ns_net owns its LAYERS array and each layer's NAME
 * (ns_net_clear frees both); the conv weights and biases are borrowed
 * from the ns_weights they were read from (kept in the ns_model).
 *
 * Encoders (built from the one VGG table, vgg.c) follow the VGG-19 trunk: layer
 * 0 is the 1x1 input conv (RGB [0,1] -> normalised BGR), then blocks of 3x3
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
/* Output size of CONV on an H x W input: (H + 2 pad - k) / stride + 1
 * (floor, as PyTorch); < 1 when the input is too small. */
void ns_conv_out_size (const ns_conv *conv, int h, int w, int *oh, int *ow);
/* True for the cases of the fast path, the backward pass and oneDNN:
 * stride 1, dense, 3x3 reflection pad 1 or 1x1 pad 0. */
bool ns_conv_is_basic (const ns_conv *conv);
/* Winograd F(4x4, 3x3) (winograd.c) on oneDNN's channel-blocked layout
 * (BLK 8 or 16 lanes, channels padded to a multiple of BLK).
 * ns_wino_fits: CONV is a dense 3x3 stride-1 convolution with at least
 * NS_WINO_MIN_CHANNELS input and output channels (narrower layers gain
 * less than the transforms cost).  U holds ns_wino_weights_floats floats
 * made by ns_wino_weights_make.  IN (IH x IW) is read with ZP zero rows
 * and columns around it (reflection padding is the caller's: ZP 0 on a
 * padded input); OUT is (IH + 2 ZP - 2) x (IW + 2 ZP - 2), bias and the
 * conv's ReLU applied. */
#define NS_WINO_MIN_CHANNELS 64
bool ns_wino_fits (const ns_conv *conv);
size_t ns_wino_weights_floats (const ns_conv *conv, int blk);
void ns_wino_weights_make (const ns_conv *conv, int blk, float *u);
/* Floats ns_wino_conv allocates for an OH x OW output (an upper bound for
 * either block). */
size_t ns_wino_scratch_floats (const ns_conv *conv, int oh, int ow,
                               int n_threads);
ns_status ns_wino_conv (const ns_conv *conv, const float *u, const float *in,
                        int ih, int iw, int zp, int blk, float *out,
                        int n_threads, ns_error *err);

/* Stride 1 or 2 (a zero field means 1) and groups 1 (0) or depthwise. */
static inline int
ns_conv_stride (const ns_conv *conv)
{
  return conv->stride > 1 ? conv->stride : 1;
}
static inline bool
ns_conv_depthwise (const ns_conv *conv)
{
  return conv->groups > 1;
}
/* Source index of padded index I on an axis of N for the general path:
 * reflection (no edge repeat, as ReflectionPad2d; N == 1 replicates), or
 * -1 for a zero-padded cell. */
static inline int
ns_pad_index (int i, int n, bool zero)
{
  if (i >= 0 && i < n)
    return i;
  if (zero)
    return -1;
  if (n == 1)
    return 0;
  return i < 0 ? -i : 2 * n - 2 - i;
}

/* The kernels writing into a caller's buffer BUF (capacity at least the
 * output's numel, not overlapping IN, not freed on error) instead of
 * allocating: OUT receives the shape and DATA = BUF.  ns_net_forward uses them
 * to ping-pong between two buffers, so each page is faulted in once per
 * forward, not per layer (at 2048x2048 a fresh 1 GiB activation costs ~0.3 s of
 * page faults). */
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
 * buffers (the Gatys feature network): IN cin x H x W, OUT cout x OH x OW
 * (ns_conv_out_size; not overlapping IN).  RUN may be NULL (no progress, no
 * cancellation). Only OUT is written. */
ns_status ns_conv2d_into (const ns_conv *conv, const float *in, int h, int w,
                          float *out, const ns_conv_opts *opts, ns_run *run,
                          ns_error *err);
/* Floats of scratch ns_conv2d_into needs with OPTS (its scratch ignored);
 * SIZE_MAX on overflow. */
size_t ns_conv_scratch_floats (const ns_conv *conv, int h, int w,
                               const ns_conv_opts *opts);

/* The general path (conv2d_general.c), for every !ns_conv_is_basic case;
 * ns_conv2d_into and ns_conv_scratch_floats dispatch to these.  IN
 * cin x H x W, OUT cout x OH x OW.  Dense: im2col of bands of output rows
 * + single-threaded sgemm per band; depthwise: direct loops per channel
 * on a padded copy. */
ns_status ns_conv2d_general_into (const ns_conv *conv, const float *in, int h,
                                  int w, float *out, const ns_conv_opts *opts,
                                  ns_run *run, ns_error *err);
size_t ns_conv_general_scratch_floats (const ns_conv *conv, int h, int w,
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

/* ---- convolution backward (conv2d.c) and its reference (conv2d_ref.c)
 * GIN (cin*h*w, overwritten) = dL/d(input) from GOUT (cout*h*w): sgemm
 * with W^T then col2im, which folds the reflected borders back onto the
 * pixels they were copied from.  When Y (the forward's output) is not
 * NULL, GOUT is first multiplied in place by the ReLU mask (Y > 0), so
 * GOUT may be dL/d(output after ReLU); with Y NULL it is dL/d(pre-ReLU).
 * WORK: ns_conv2d_work_floats floats. */
void ns_conv2d_backward (const ns_conv *conv, const float *y, float *gout,
                         int h, int w, float *gin, float *work, int n_threads);
/* Floats of workspace ns_conv2d_backward and ns_conv2d_into (as its
 * scratch, with N_THREADS threads) need at H x W. */
size_t ns_conv2d_work_floats (const ns_conv *conv, int h, int w, int n_threads);
/* The backward pass runs a layer either "banded", each thread taking whole
 * bands of rows with a single-threaded sgemm on an L2-sized im2col buffer
 * (narrow layers on large images: memory-bound, cache locality wins), or
 * "whole", large sequential bands with OpenBLAS threading each sgemm
 * (small images, deep wide layers: too few bands to share out).  Banded
 * when there are at least two bands per thread. */
bool ns_conv2d_backward_banded (const ns_conv *conv, int h, int w,
                                int n_threads);
/* Naive reference (explicit padding, direct loops, double accumulation). */
void ns_conv2d_backward_ref (const ns_conv *conv, const float *gout, int h,
                             int w, float *gin);

/* ---- reflection pad 1 (reflpad.c), the references' explicit padding
 * IN c x h x w -> OUT c x (h+2) x (w+2), as torch ReflectionPad2d(1). */
void ns_reflpad_forward (const float *in, int c, int h, int w, float *out);
/* GOUT c x (h+2) x (w+2) -> GIN c x h x w: each padded cell's gradient
 * is added to the pixel it was copied from. */
void ns_reflpad_backward (const float *gout, int c, int h, int w, float *gin);

/* ---- instance normalisation (instnorm.c)
 * In place on X (c x h x w): per channel (x - mean) / sqrt (var + eps)
 * * gamma + beta, the variance biased (as torch InstanceNorm2d); GAMMA and
 * BETA may be NULL (1 and 0); RELU fused.  Sums in double.  N_THREADS 0:
 * ns_threads_resolve's default. */
void ns_instnorm_forward (float *x, int c, int h, int w, const float *gamma,
                          const float *beta, float eps, bool relu,
                          int n_threads);
/* The same on X in the channel-blocked layout of BLK lanes (2..16; C a
 * multiple of BLK; ns_blocked_from_plain). */
void ns_instnorm_forward_blocked (float *x, int c, int h, int w, int blk,
                                  const float *gamma, const float *beta,
                                  float eps, bool relu, int n_threads);
/* Naive two-pass reference into OUT (may equal IN). */
void ns_instnorm_ref (const float *in, int c, int h, int w, const float *gamma,
                      const float *beta, float eps, bool relu, float *out);

/* ---- residual add (add.c): Y += X over N floats, then ReLU if RELU. */
void ns_add_forward (float *y, const float *x, size_t n, bool relu,
                     int n_threads);

/* ---- ReLU (relu.c; the convolutions fuse the forward) */
void ns_relu_forward (float *x, size_t n);
/* G *= (Y > 0), Y the ReLU's output (as PyTorch's threshold_backward). */
void ns_relu_backward (const float *y, float *g, size_t n);

/* ---- 2x2 stride-2 max pooling (pool.c) */
/* Output size; CEIL_MODE as PyTorch's MaxPool2d. */
void ns_maxpool2x2_shape (int h, int w, bool ceil_mode, int *oh, int *ow);
/* The forward kernel on bare arrays: IN c x h x w -> OUT.  ARGMAX (oh*ow
 * per channel, may be NULL) receives the index y*w+x of each winner within
 * its channel.  Ties and NaNs as PyTorch's CPU kernel: the first maximum
 * in row-major window order wins, a NaN wins over anything.  N_THREADS 0:
 * ns_threads_resolve's default. */
void ns_maxpool2x2_into (const float *in, int c, int h, int w, bool ceil_mode,
                         float *out, int32_t *argmax, int n_threads);
/* GIN (c*h*w) is overwritten: zero except at the winners. */
void ns_maxpool2x2_backward (const float *gout, const int32_t *argmax, int c,
                             int h, int w, bool ceil_mode, float *gin,
                             int n_threads);
ns_status ns_maxpool2x2_buf (const ns_tensor *in, bool ceil_mode, float *buf,
                             ns_tensor *out, ns_error *err);
ns_status ns_upsample2x_buf (const ns_tensor *in, float *buf, ns_tensor *out,
                             ns_error *err);
/* ns_upsample2x on IN in the channel-blocked layout of BLK lanes. */
ns_status ns_upsample2x_blocked (const ns_tensor *in, int blk, ns_tensor *out,
                                 ns_error *err);

/* ---- oneDNN's channel-blocked layout (blocked.c): pixel I of channel C
 * at DATA[((C / BLK) * H * W + I) * BLK + C % BLK], C a multiple of BLK,
 * so a blocked tensor is the size of the plain one.  Networks kept in it
 * between layers skip two reorders per convolution (fast styles). */
void ns_blocked_from_plain (const float *plain, int c, int h, int w, int blk,
                            float *out, int n_threads);
void ns_blocked_to_plain (const float *blocked, int c, int h, int w, int blk,
                          float *out, int n_threads);

/* The one output-size walk over NET's layers.  Shape (C x OH x OW) of the
 * activation after the first UPTO_LAYER layers (0: the input, C =
 * net->in_channels; net->n_layers: the output) on an H x W input; pools
 * round as net->pool_ceil says.  Any of C, OH, OW may be NULL. */
void ns_net_out_shape (const ns_net *net, int upto_layer, int h, int w, int *c,
                       int *oh, int *ow);
/* Bytes ns_net_forward allocates for an H x W input (the input itself
 * excluded): its two ping-pong buffers of the largest activation plus the
 * largest convolution scratch (at the default thread count). */
double ns_net_peak_bytes (const ns_net *net, int h, int w);
/* Bytes the convolution backend keeps for CONV while its model lives
 * (oneDNN's reordered copy of the weights; with WINO, the Winograd
 * transform, four times their size, for the layers it runs), 0 on the own
 * kernels; and the same summed over NET. */
double ns_conv_cache_bytes (const ns_conv *conv, bool wino);
double ns_net_cache_bytes (const ns_net *net, bool wino);

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

/* ---------------------------------------------- the VGG table (vgg.c) */

/* Convs per VGG-19 block. */
extern const int ns_vgg_block_convs[5];

/* What differs between the VGG-trunk model families. */
typedef struct
{
  ns_model_kind kind;
  bool pool_ceil;         /* ceil-mode pools (vgg19) or floor */
  int ff_level;           /* deepest feed-forward level (reluN_1) */
  const char *trunk_file; /* the file with the longest trunk */
  int trunk_depth;        /* the deepest reluN_1 it reaches */
} ns_vgg_family;

/* NULL for a kind without a VGG trunk. */
const ns_vgg_family *ns_vgg_family_get (ns_model_kind kind);
/* The key (without ".weight") of KIND's VGG conv BLOCK_INDEX (1-based;
 * block 0: the 1x1 input conv). */
void ns_vgg_key (ns_model_kind kind, int block, int index, char *buf,
                 size_t len);
/* Conv KEY of W (named FILE in messages) with every shape checked: a K x K
 * kernel, CIN input channels (<= 0: any), a bias. */
ns_status ns_conv_from_weights (const ns_weights *w, const char *file,
                                const char *key, int cin, int k, bool relu,
                                ns_conv *conv, ns_error *err);
/* The same appended to NET as layer NAME (CIN: the previous layer's output
 * when NET is not empty). */
ns_status ns_net_add_conv_weights (ns_net *net, const ns_weights *w,
                                   const char *file, const char *key,
                                   const char *name, int cin, int k, bool relu,
                                   ns_error *err);
/* The VGG trunk of KIND from W: the input conv, then VGG convs (with ReLU)
 * and pools up to relu<LAST_BLOCK>_<LAST_INDEX>.  NET is filled (clear
 * it with ns_net_clear); weights are borrowed from W. */
ns_status ns_vgg_encoder (ns_net *net, ns_model_kind kind, const ns_weights *w,
                          const char *file, int last_block, int last_index,
                          ns_error *err);
/* KIND's longest trunk (to relu<trunk_depth>_1) from W, its trunk file. */
ns_status ns_vgg_feature_net (ns_model_kind kind, const ns_weights *w,
                              const char *file, ns_net *net, ns_error *err);
/* The file of FILES holding KIND's longest trunk (its input conv and its
 * deepest conv), or NULL. */
const ns_weights *ns_vgg_find_trunk (ns_model_kind kind,
                                     ns_weights *const *files, int n_files);

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
