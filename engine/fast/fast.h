/* Fast styles: Johnson et al. 2016 TransformerNet, one network per
 * painting, read from ncnn files (transformer.param + STYLE.bin) and run
 * in one pass.  The graph is built from the parsed .param (engine/io/ncnn.h),
 * not hard-coded: Padding + Convolution (fused into one ns_conv),
 * InstanceNorm (+ ReLU fused), ReLU, Split, BinaryOp add, Interp nearest
 * x2; anything else is NS_ERR_UNSUPPORTED naming the layer. */
#ifndef NS_FAST_H
#define NS_FAST_H

#include "stylize.h"

typedef struct ns_fast_net ns_fast_net;

/* Loads DIR/transformer.param and DIR/STYLE.bin (STYLE: a name of
 * letters, digits, '_' and '-', no path). */
ns_status ns_fast_net_load (const char *dir, const char *style,
                            ns_fast_net **out, ns_error *err);
void ns_fast_net_free (ns_fast_net *net);

/* Runs NET on planar RGB [0,1] IMG (any size of at least 5 x 5): the
 * input, scaled to 0..255 and reflection-padded at the bottom and right
 * to a multiple of 4, goes through the network; the output is cropped to
 * IMG's size, scaled back to [0,1] and clamped.  OUT is allocated.  RUN
 * may be NULL. */
ns_status ns_fast_net_run (const ns_fast_net *net, const ns_image *img,
                           ns_image *out, ns_run *run, ns_error *err);
/* Bytes ns_fast_net_run allocates at W x H (the input image excluded),
 * and its FLOPs. */
double ns_fast_net_peak_bytes (const ns_fast_net *net, int w, int h);
/* ns_net_cache_bytes for the fast net's convolutions. */
double ns_fast_net_cache_bytes (const ns_fast_net *net, bool wino);
double ns_fast_net_flops (const ns_fast_net *net, int w, int h);

/* The method (NS_METHOD_FAST): the network on the working-size content,
 * then blended with it by the strength (0: the content, 1: the network's
 * output).  Styles are ignored. */
ns_status ns_fast_run (ns_context *ctx, const ns_job *job, ns_image *result,
                       ns_error *err);
/* ns_fast_net_peak_bytes of MODEL's net plus the result, for
 * ns_memory_check; 0 when MODEL has no fast net. */
double ns_fast_memory_need (const ns_model *model, int w, int h);

#endif
