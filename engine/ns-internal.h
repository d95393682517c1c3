/* GIMP Neural Style — engine internals shared between engine/ files and
 * the engine's tests.  Not installed, not used by plugin/ or ui/. */
#ifndef NS_INTERNAL_H
#define NS_INTERNAL_H

#include "ns.h"

#include <stdarg.h>

/* ------------------------------------------------------------- errors */

/* MSGID in the user's language (gettext domain gimp-neural-style) when
 * built with NLS, else MSGID.  ns_fail, ns_error_prefix and the readers'
 * fail helpers translate their format with it, so every engine message
 * reaches the plug-in and nstyle translated (xgettext: see po/meson.build). */
const char *ns_tr (const char *msgid);

/* Sets ERR (if not NULL) and returns STATUS, so callers can write
 * `return ns_fail (err, NS_ERR_FORMAT, "%s: truncated", path);` */
ns_status ns_fail (ns_error *err, ns_status status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Prefixes ERR's message with "PREFIX: " (e.g. a file name). */
void ns_error_prefix (ns_error *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Overflow-checked size arithmetic: false on overflow. */
bool ns_size_mul (size_t a, size_t b, size_t *out);
bool ns_size_add (size_t a, size_t b, size_t *out);

/* 64-byte aligned allocations (free with ns_free). */
void *ns_alloc (size_t bytes);
void *ns_calloc (size_t bytes);
void ns_free (void *p);
/* Returns the large blocks ns_free kept for reuse (core.c). */
void ns_alloc_trim (void);

/* NS_OK when NEED bytes fit; else NS_ERR_NOMEM with a message for a
 * W x H image that suggests max-size. */
ns_status ns_memory_check (double need, int w, int h, ns_error *err);

/* ------------------------------------------------------------ tensors */

/* An activation: C x H x W floats, contiguous (batch 1). */
typedef struct
{
  int c, h, w;
  float *data;
} ns_tensor;

ns_status ns_tensor_alloc (ns_tensor *t, int c, int h, int w, ns_error *err);
void ns_tensor_free (ns_tensor *t);
static inline size_t
ns_tensor_numel (const ns_tensor *t)
{
  return (size_t) t->c * (size_t) t->h * (size_t) t->w;
}

/* Reads the region (X, Y, W, H) of a planar source: N planes of W * H. */
typedef ns_status (*ns_region_fn) (void *user_data, int x, int y, int w, int h,
                                   float *planes, ns_error *err);
/* The planar region (X, Y, W, H) of the ns_image IMAGE copied out of
 * (an ns_region_fn) or into it, for the tiled stages. */
ns_status ns_image_read_region (void *image, int x, int y, int w, int h,
                                float *rgb, ns_error *err);
ns_status ns_image_write_region (void *image, int x, int y, int w, int h,
                                 const float *rgb, ns_error *err);
/* The region (X0, Y0, W, H) of the SW x SH source read through READ,
 * resized to DW x DH exactly as ns_image_resize / ns_mask_resize do (bit
 * for bit), reading only the source rows and columns it needs: how large
 * images are shrunk in strips and small ones upsampled in tiles. */
ns_status ns_resize_region (ns_region_fn read, void *user_data, int sw, int sh,
                            int n_planes, int dw, int dh, int x0, int y0, int w,
                            int h, float *out, ns_error *err);

/* ----------------------------------------------- progress & cancellation */

/* One run of work (a stylization).  Kernels report work done in abstract
 * units (FLOPs) and check for cancellation between bands of rows. */
typedef struct
{
  ns_progress_fn fn;
  void *user_data;
  double done;
  double total; /* estimate; fraction = done / total, clamped */
  double after; /* work planned after the current stage (methods add it) */
  const char *stage;
  bool cancelled; /* sticky once the callback returned false */
  int n_threads;  /* resolved thread count (>= 1) */
} ns_run;

void ns_run_init (ns_run *run, const ns_params *params, double total);

/* The one thread-count rule of the engine: REQUESTED when > 0, else
 * OpenMP's default team size (OMP_NUM_THREADS when set, else all cores).
 * Always >= 1. */
int ns_threads_resolve (int requested);

/* OpenBLAS (its OpenMP build) forks a thread team for every call, which
 * costs far more than the work for small matrices (a 128x128 dsyevd took
 * 500 ms instead of 4 ms on a busy 2-core machine).  It runs
 * single-threaded when the calling thread's OpenMP thread count is 1, so
 * such calls, and calls made from our own parallel bands, are bracketed by
 * these (per-thread setting, no global state). */
int ns_blas_serial_begin (void);
void ns_blas_serial_end (int saved);
/* Adds WORK units, calls the callback; returns false when cancelled.
 * Safe to call only from the thread that owns RUN (not inside an
 * OpenMP parallel region). */
bool ns_run_tick (ns_run *run, double work);
void ns_run_stage (ns_run *run, const char *stage);

/* ------------------------------------------------------------ weights */

/* A tensor read from a weight file, converted to float32. */
typedef struct
{
  char *name; /* nested dict keys joined with '.', e.g. "model.conv11.weight" */
  int ndim;
  int64_t shape[8];
  size_t numel;
  float *data;
} ns_weight;

typedef struct ns_weights ns_weights;

/* Loads a PyTorch state dict (.pth), legacy (pre-1.6) or zip format,
 * interpreting only the pickle opcodes a state dict needs.  Never executes
 * anything; every size is checked against the file.  Memory used while
 * loading is bounded by 64 bytes per byte of file plus 1 MiB
 * (NS_PTH_MEM_FACTOR); beyond it NS_ERR_FORMAT.  Non-finite values (NaN,
 * infinity, float64 out of float range) are refused with NS_ERR_FORMAT
 * naming the tensor. */
ns_status ns_weights_load_pth (const char *path, ns_weights **out,
                               ns_error *err);
/* Same, from memory (for tests and fuzzing).  NAME is used in messages. */
ns_status ns_weights_load_pth_mem (const void *data, size_t len,
                                   const char *name, ns_weights **out,
                                   ns_error *err);
void ns_weights_free (ns_weights *w);
int ns_weights_count (const ns_weights *w);
const ns_weight *ns_weights_get (const ns_weights *w, int i);
/* Exact name, else "model." NAME (the cd16x files wrap the state dict). */
const ns_weight *ns_weights_find (const ns_weights *w, const char *name);
const char *ns_weights_path (const ns_weights *w);

/* -------------------------------------------------------------- layers */

/* A convolution with fused padding (reflection or zeros), bias and ReLU.
 * Weights are [cout][cin / groups][k][k] as in PyTorch.  The zero value of
 * the last three fields is the common case (stride 1, dense, reflection):
 * 3x3 with pad 1 and 1x1 with pad 0 in that case take the fast path (and
 * the backward pass, oneDNN); everything else the general path
 * (conv2d_general.c). */
typedef struct
{
  int cin, cout, k; /* k odd, 1..9 */
  int pad;          /* padding on each side, 0..k-1 */
  bool relu;
  const float *weight;
  const float *bias; /* may be NULL */
  int stride;        /* 0 or 1: 1; or 2 */
  int groups;        /* 0 or 1: dense; cin (== cout): depthwise */
  bool pad_zero;     /* zero padding instead of reflection */
} ns_conv;

/* Optimised (im2col in row bands + OpenBLAS sgemm; depthwise: direct).
 * OUT (cout x OH x OW, see ns_conv_out_size) is allocated. */
ns_status ns_conv2d (const ns_conv *conv, const ns_tensor *in, ns_tensor *out,
                     ns_run *run, ns_error *err);
/* Naive reference, same semantics; OUT is allocated. */
ns_status ns_conv2d_ref (const ns_conv *conv, const ns_tensor *in,
                         ns_tensor *out, ns_error *err);

/* 2x2 stride-2 max pooling; CEIL_MODE as PyTorch's MaxPool2d. */
ns_status ns_maxpool2x2 (const ns_tensor *in, bool ceil_mode, ns_tensor *out,
                         ns_error *err);
ns_status ns_maxpool2x2_ref (const ns_tensor *in, bool ceil_mode,
                             ns_tensor *out, ns_error *err);

/* Nearest-neighbour x2 upsampling. */
ns_status ns_upsample2x (const ns_tensor *in, ns_tensor *out, ns_error *err);
ns_status ns_upsample2x_ref (const ns_tensor *in, ns_tensor *out,
                             ns_error *err);

/* ------------------------------------------------------------ networks */

typedef enum
{
  NS_LAYER_CONV,
  NS_LAYER_POOL,
  NS_LAYER_UPSAMPLE
} ns_layer_kind;

typedef struct
{
  ns_layer_kind kind;
  ns_conv conv;     /* for NS_LAYER_CONV */
  const char *name; /* e.g. "conv11", for messages and taps */
} ns_layer;

typedef struct
{
  ns_layer *layers;
  int n_layers;
  bool pool_ceil;
  int in_channels, out_channels;
  int downsample; /* total spatial factor (2^pools) */
} ns_net;

/* Runs the whole net. OUT is allocated. */
ns_status ns_net_forward (const ns_net *net, const ns_tensor *in,
                          ns_tensor *out, ns_run *run, ns_error *err);
/* FLOPs of a forward pass at H x W (for progress totals and benchmarks);
 * the output size walk is ns_net_out_shape (nn.h). */
double ns_net_flops (const ns_net *net, int h, int w);
void ns_net_clear (ns_net *net);

/* Model internals (engine/nn/model.c).  LEVEL is 1-based (relu1_1 = 1).
 * For single-level models only the deepest level has an encoder and a
 * decoder. */
/* A fast style's network (engine/fast/fast.c). */
struct ns_fast_net;
void ns_fast_net_free (struct ns_fast_net *net);

struct ns_model
{
  ns_model_kind kind;
  int n_levels;    /* levels that have an encoder/decoder pair */
  int level_id[5]; /* reluN_1 index of each, deepest last */
  ns_net enc[5];   /* image -> reluN_1 */
  ns_net dec[5];   /* reluN_1 -> image */
  ns_weights *files[12];
  int n_files;
  char *dir;
  struct ns_fast_net *fast; /* NS_MODEL_FAST only */
};

/* Image <-> tensor, with reflection padding so the encoder sees a size
 * divisible by DOWNSAMPLE; crop back after decoding. */
ns_status ns_image_to_tensor (const ns_image *img, int pad_to, ns_tensor *out,
                              ns_error *err);
ns_status ns_tensor_to_image (const ns_tensor *t, ns_image *img, ns_error *err);

#endif /* NS_INTERNAL_H */
