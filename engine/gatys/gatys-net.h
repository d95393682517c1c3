/* The Gatys feature network (a VGG-19 trunk with loss taps), its
 * activation buffers, and the objective (content + style + TV loss and
 * its gradient with respect to the image).  Engine-internal; for gatys.c,
 * the tests and the benchmark. */
#ifndef NS_GATYS_NET_H
#define NS_GATYS_NET_H

#include "gatys-kernels.h"

#define NS_FEATNET_MAX_LAYERS 24
#define NS_FEATNET_MAX_TAPS 8
#define NS_FEATNET_MAX_STYLE 5

/* A feature the losses read: the output of trunk layer LAYER, optionally
 * through a 1x1 head (+ReLU), as cd16x's convN1_aux. */
typedef struct
{
  int layer;
  bool has_head;
  ns_conv head;
  int channels;
  char name[24];
} ns_featnet_tap;

typedef struct
{
  ns_model_kind kind;
  /* The trunk, from the one VGG table (ns_vgg_feature_net, nn.h), cut
   * after the deepest tap; its weights point into the model's files. */
  ns_net trunk;
  int n_pools;
  ns_featnet_tap taps[NS_FEATNET_MAX_TAPS];
  int n_taps;
  int style[NS_FEATNET_MAX_STYLE]; /* tap indices, shallow to deep */
  int n_style;
  int content; /* tap index */
} ns_featnet;

/* Builds the feature network of KIND from the weight files FILES (pointers
 * into them are kept: FILES must outlive NET).  CONTENT_LAYER: NULL for the
 * default (see gatys.h), else "reluN_M"; for cd16x "reluN_1" means the aux
 * head's output and "trunk:reluN_M" the pruned trunk's.  Free NET with
 * ns_featnet_free (nothing to free after a failure). */
ns_status ns_featnet_build (ns_model_kind kind, ns_weights *const *files,
                            int n_files, const char *content_layer,
                            ns_featnet *net, ns_error *err);
void ns_featnet_free (ns_featnet *net);

/* Buffers for one image size. */
typedef struct
{
  const ns_featnet *net;
  int h, w, n_threads;
  int last_layer;
  int oc[NS_FEATNET_MAX_LAYERS], oh[NS_FEATNET_MAX_LAYERS],
      ow[NS_FEATNET_MAX_LAYERS];
  float *act[NS_FEATNET_MAX_LAYERS];
  int32_t *argmax[NS_FEATNET_MAX_LAYERS]; /* pools' winners */
  float *tap_out[NS_FEATNET_MAX_TAPS];    /* owned when the tap has a head */
  float *tap_grad[NS_FEATNET_MAX_TAPS];   /* dL/d(tap), filled by the losses */
  int tap_h[NS_FEATNET_MAX_TAPS], tap_w[NS_FEATNET_MAX_TAPS];
  float *g0, *g1, *gtmp; /* backward scratch */
  float *work;           /* im2col band */
} ns_featnet_state;

ns_status ns_featnet_state_init (ns_featnet_state *b, const ns_featnet *net,
                                 int h, int w, int n_threads, ns_error *err);
void ns_featnet_state_free (ns_featnet_state *b);
/* X: 3 x h x w.  Returns false when RUN (may be NULL) was cancelled. */
bool ns_featnet_forward (ns_featnet_state *b, const float *x, ns_run *run);
/* From b->tap_grad (tap_grad[t] may be modified) to GX (3 x h x w). */
bool ns_featnet_backward (ns_featnet_state *b, float *gx, ns_run *run);
/* Floating-point operations of one forward pass at h x w (for progress). */
double ns_featnet_flops (const ns_featnet *net, int h, int w);

/* The objective at one size. */
typedef struct
{
  ns_featnet_state buf;
  const ns_featnet *net;
  int h, w;
  float *content_feat;
  double content_norm;
  float *style_gram[NS_FEATNET_MAX_STYLE];
  double style_norm[NS_FEATNET_MAX_STYLE];
  double layer_weight[NS_FEATNET_MAX_STYLE];
  double content_weight, style_weight, tv_weight;
  float *gram_work;
  /* Masked mode (two styles, each on its region): per style k and style
   * layer l, the style's own Gram, its norm, the region mask at that
   * layer's size, and the region's share of the image. */
  int n_regions;
  float *region_gram[2][NS_FEATNET_MAX_STYLE];
  double region_norm[2][NS_FEATNET_MAX_STYLE];
  float *region_mask[2][NS_FEATNET_MAX_STYLE];
  double region_weight[2];
  float *mask_tmp;
  ns_run *run;
  /* The parts of the last evaluation (weighted). */
  double last_content, last_style, last_tv;
  int evals;
} ns_gatys_objective;

ns_status ns_gatys_objective_init (ns_gatys_objective *o, const ns_featnet *net,
                                   int h, int w, int n_threads, ns_error *err);
void ns_gatys_objective_free (ns_gatys_objective *o);
/* Content target: the features of CONTENT (3 x h x w, the objective's
 * size).  Returns NS_ERR_CANCELLED when RUN was cancelled. */
ns_status ns_gatys_objective_set_content (ns_gatys_objective *o,
                                          const float *content, ns_error *err);
/* Style targets: the Gram matrices of N images blended by WEIGHTS
 * (normalised here); images may have any size the network accepts. */
ns_status ns_gatys_objective_set_styles (ns_gatys_objective *o,
                                         const ns_image *const *styles,
                                         const float *weights, int n,
                                         int n_threads, ns_error *err);
/* Masked mode: style 0 where MASK (h x w, the objective's size, in [0,1])
 * is 1 and style 1 where it is 0.  Each style's Gram loss is computed on
 * its region's features only (G_k = F diag(m_k) F^T / sum m_k, with m_k
 * the mask at that layer's resolution, box-averaged) and weighted by the
 * region's share of the image. */
ns_status ns_gatys_objective_set_masked_styles (ns_gatys_objective *o,
                                                const ns_image *const *styles,
                                                const float *mask,
                                                int n_threads, ns_error *err);
/* Box-averages a single-channel SW x SH map into DW x DH. */
void ns_mask_box_resample (const float *src, int sw, int sh, float *dst, int dw,
                           int dh);
/* ns_fg_fn for the optimisers (USER is the ns_gatys_objective). */
bool ns_gatys_objective_eval (const float *x, double *f, float *g, void *user);

#endif /* NS_GATYS_NET_H */
