/* The oneDNN convolution backend (dnnl.c: library shim, engine, weight
 * cache, convolution primitives; dnnl-net.c: networks on oneDNN's blocked
 * layout).  Built when meson finds oneDNN (-Ddnnl=auto|enabled); without it
 * every function here still exists and reports "not available", so callers
 * need no #if.  The own kernels (conv2d.c) stay the fallback and the
 * references.
 *
 * Precision: a thread-local request (ns_nn_precision_begin/end, e.g. around
 * one ns_stylize) resolved against the CPU: bf16 only when requested and
 * oneDNN reports native bf16 (AVX512_BF16 or AMX); an AUTO request takes
 * $NS_PRECISION, else fp32.
 * For measuring bf16 quality on CPUs without it, NS_BF16_EMULATE=1 makes a
 * bf16 request run the fp32 kernels on bf16-rounded weights and
 * activations (what bf16 storage with fp32 accumulation computes). */
#ifndef NS_NN_DNNL_H
#define NS_NN_DNNL_H

#include "nn.h"

/* Resolved arithmetic of the convolutions. */
typedef enum
{
  NS_ARITH_OWN = 0, /* own kernels (no oneDNN, or disabled) */
  NS_ARITH_FP32,    /* oneDNN fp32 */
  NS_ARITH_BF16,    /* oneDNN bf16 storage, fp32 accumulation */
  NS_ARITH_BF16_EMU /* oneDNN fp32 on bf16-rounded data (measurement) */
} ns_arith;

/* Built with oneDNN. */
bool ns_dnnl_built (void);
/* Built, and not switched off ($NS_DNNL=0 or ns_dnnl_set_enabled). */
bool ns_dnnl_enabled (void);
/* Process-wide switch for benchmarks and tests (own kernels vs oneDNN). */
void ns_dnnl_set_enabled (bool on);
/* The CPU runs oneDNN bf16 convolutions natively (not a reference loop). */
bool ns_dnnl_bf16_native (void);
/* "avx2", "avx512_core_bf16", ... as oneDNN dispatches; "none" without. */
const char *ns_dnnl_isa_name (void);
/* "2.6.3" or "" without oneDNN. */
const char *ns_dnnl_version (void);

/* Sets the calling thread's precision request; returns the previous one
 * for ns_nn_precision_end. */
ns_precision ns_nn_precision_begin (ns_precision requested);
void ns_nn_precision_end (ns_precision saved);
/* Whether the calling thread's fp32 convolutions may run by Winograd
 * (default yes; its transformed weights cost memory: ns_conv_cache_bytes);
 * returns the previous setting for ns_nn_winograd_end. */
bool ns_nn_winograd_begin (bool allow);
void ns_nn_winograd_end (bool saved);
/* What REQUESTED runs as on this CPU and build. */
ns_arith ns_arith_resolve (ns_precision requested);
/* The calling thread's request, resolved. */
ns_arith ns_arith_current (void);
const char *ns_arith_name (ns_arith a); /* "own", "fp32", "bf16", ... */

/* Drops the cached reordered copies of the weights at WEIGHT (model free). */
void ns_dnnl_forget (const float *weight);

/* Layers [FIRST, LAST) of NET on oneDNN, with ns_net_forward_taps'
 * contract (net.c validated the arguments).  *HANDLED false (and NS_OK):
 * this arithmetic or network is not for oneDNN; the caller runs its own
 * kernels. */
ns_status ns_dnnl_net_run (const ns_net *net, int first, int last,
                           const ns_tensor *in, const int *tap_layers,
                           int n_taps, ns_tensor *taps, ns_tensor *out,
                           ns_run *run, ns_arith arith, bool *handled,
                           ns_error *err);

/* One convolution on plain arrays (IN cin x h x w, OUT cout x h x w), as
 * ns_conv2d_into; *HANDLED as above. */
ns_status ns_dnnl_conv_plain (const ns_conv *conv, const float *in, int h,
                              int w, float *out, int n_threads, ns_arith arith,
                              bool *handled, ns_error *err);
/* The layout an activation of C channels is kept in between layers by
 * callers that skip ns_dnnl_conv_plain's reorders (the fast styles): the
 * ISA's channel block when ARITH is oneDNN fp32 and C a multiple of it,
 * else 1 (plain). */
int ns_dnnl_act_block (ns_arith arith, int c);
/* One fp32 convolution as ns_dnnl_conv_plain, IN in layout IN_BLK and OUT
 * in OUT_BLK (1 or ns_dnnl_act_block's block for the channels); *HANDLED
 * false: the caller runs the own kernel (on plain arrays). */
ns_status ns_dnnl_conv_layout (const ns_conv *conv, const float *in, int in_blk,
                               int h, int w, float *out, int out_blk,
                               int n_threads, bool *handled, ns_error *err);
/* The convolution's gradient with respect to its input, as
 * ns_conv2d_backward with Y NULL: GIN (cin x h x w) from GOUT (cout x h x w,
 * dL/d(pre-ReLU output)). */
ns_status ns_dnnl_conv_backward_plain (const ns_conv *conv, const float *gout,
                                       int h, int w, float *gin, int n_threads,
                                       ns_arith arith, bool *handled,
                                       ns_error *err);

/* Whether ns_dnnl_conv_backward_plain would find only oneDNN's reference
 * kernel for CONV at H x W (it then leaves the layer to the own kernel);
 * false without oneDNN. */
bool ns_dnnl_conv_backward_is_ref (const ns_conv *conv, int h, int w);

/* ---- internal to dnnl.c / dnnl-net.c */
#ifdef NS_DNNL_INTERNAL
#include <oneapi/dnnl/dnnl.h>

/* An activation in oneDNN's layout: channel blocks of BLK (1: plain
 * nchw), channels padded to a multiple of BLK, each element ES bytes. */
typedef struct
{
  int c, h, w, blk;
  dnnl_data_type_t dt;
  void *data;
} ns_dact;

dnnl_engine_t ns_dnnl_engine (void);
/* Channel block of activations with C channels (1 when C < 8 and the
 * source is plain), the ISA's natural block otherwise. */
int ns_dnnl_block (void);
size_t ns_dact_bytes (const ns_dact *a);
/* Convolution IN -> OUT (OUT's shape and layout set by the caller; IN
 * already padded by the conv's halo: OUT h = IN h - 2 * pad). */
ns_status ns_dnnl_conv_exec (const ns_conv *conv, const ns_dact *in,
                             ns_dact *out, ns_arith arith, dnnl_stream_t s,
                             ns_error *err);
/* Gradient of that convolution (without its ReLU) w.r.t. its padded
 * input: GIN (cin x (h+2pad) x (w+2pad)) from GOUT (cout x h x w). */
ns_status ns_dnnl_conv_bwd_exec (const ns_conv *conv, const ns_dact *gout,
                                 ns_dact *gin, ns_arith arith, dnnl_stream_t s,
                                 ns_error *err);
/* Whether oneDNN would run that convolution (forward; backward-data) with
 * its reference implementation: callers then keep the own kernels. */
bool ns_dnnl_conv_fwd_is_ref (const ns_conv *conv, const ns_dact *in,
                              const ns_dact *out, ns_arith arith);
bool ns_dnnl_conv_bwd_is_ref (const ns_conv *conv, const ns_dact *gout,
                              const ns_dact *gin);
/* Reorders between any two activations of the same shape. */
ns_status ns_dnnl_reorder (const ns_dact *src, ns_dact *dst, dnnl_stream_t s,
                           ns_error *err);
/* Rounds N floats to bf16 in place (round to nearest even). */
void ns_round_bf16 (float *x, size_t n, int n_threads);
#endif

#endif /* NS_NN_DNNL_H */
