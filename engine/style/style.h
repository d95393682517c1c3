/* The feed-forward methods (AdaIN, WCT, cascades) and their internals:
 * feature statistics, AdaIN / WCT maps, the symmetric eigensolvers.
 * Shared by engine/style/, ns_stylize (engine/stylize.c) and the tests
 * (tests/engine-style).  Includes nothing of engine/gatys. */
#ifndef NS_STYLE_H
#define NS_STYLE_H

#include "stylize.h"

/* The method ns_stylize runs for NS_METHOD_CASCADE_ADAIN, NS_METHOD_WCT
 * and NS_METHOD_ADAIN (see stylize.h and feedforward.c); it keeps its
 * cache in CTX. */
ns_status ns_ff_stylize (ns_context *ctx, const ns_job *job, ns_image *result,
                         ns_error *err);
/* Estimated bytes of a run of METHOD on a W x H working image (the
 * largest level: encoder or decoder pass, features, image buffers), read
 * from the networks (ns_net_peak_bytes). */
double ns_ff_memory_need (const ns_model *model, ns_method method, int w,
                          int h);

/* ---- internals shared with the tiled stage (tiled.c) */

/* A style's cached statistics (feedforward.c). */
typedef struct ns_ff_style ns_ff_style;

/* What a level transform needs besides the content features. */
typedef struct
{
  const ns_params *params;
  const ns_style *styles;
  int n_styles;
  ns_ff_style **entries;
  double *weights;     /* normalised */
  const ns_mask *mask; /* the features' image size, or NULL */
  bool wct;
} ns_ff_levels;

/* The styles of a job bound to the context's cache. */
typedef struct
{
  ns_ff_style *entries[NS_MAX_STYLES];
  double weights[NS_MAX_STYLES];
  ns_ff_levels lv; /* points into this struct: do not copy it away */
} ns_ff_bound;

ns_status ns_ff_bind (ns_context *ctx, const ns_job *job, ns_ff_bound *b,
                      ns_error *err);
/* Progress units of encoding the styles for levels IDX not yet cached. */
double ns_ff_style_work (const ns_context *ctx, const ns_job *job,
                         const ns_ff_bound *b, const int *idx, int n_idx);
/* Encodes the styles for levels IDX (indices into model->enc). */
ns_status ns_ff_ensure_styles (ns_context *ctx, const ns_job *job,
                               ns_ff_bound *b, const int *idx, int n_idx,
                               ns_error *err);
/* The level indices METHOD runs (deepest first) among the levels with id
 * in [MIN_LEVEL, MAX_LEVEL] (MAX_LEVEL <= 0: no upper bound) that have
 * enough feature pixels at W x H. */
int ns_ff_usable_levels (const ns_model *model, ns_method method, int min_level,
                         int max_level, int w, int h, int *idx);
void ns_ff_level_sizes (const ns_net *enc, int w, int h, int *wp, int *hp,
                        int *fc, int *fw, int *fh);
ns_status ns_ff_encode (const ns_model *model, int idx, const ns_image *img,
                        int pad_to, ns_tensor *feat, ns_run *run,
                        ns_error *err);
ns_status ns_ff_stats_of (const ns_tensor *f, ns_stats *s, int n_threads,
                          ns_error *err);
/* Content features FC with global statistics CS at level IDX -> decoder
 * input T; *C_MEAN etc. are derived from CS on first use and kept. */
ns_status ns_ff_transform_level (const ns_ff_levels *job, int idx, int pad_to,
                                 const ns_tensor *fc, const ns_stats *cs,
                                 double **c_mean, double **c_std,
                                 double **c_whiten, ns_tensor *t, ns_run *run,
                                 ns_error *err);
/* The top-left W x H of a decoded 3-channel tensor, unclamped. */
ns_status ns_ff_crop_to_image (const ns_tensor *t, int w, int h, ns_image *img,
                               ns_error *err);

/* Feature statistics over a set of pixels of a C-channel activation, in
 * double: the pixel count, the per-channel mean and M2, the sum of the
 * centred outer products (C x C, row-major, symmetric).  Sets are merged
 * with Chan et al.'s pairwise update, so tiles can be added in any order
 * without the cancellation of raw sums of squares.  This is also the
 * public ns_stats (MODEL/LEVEL tie it to an encoder). */
struct ns_stats
{
  const ns_model *model;
  int level; /* reluN_1 index, 1-based */
  int index; /* index into model->enc[] */
  int c;
  double n;
  double *mean; /* c */
  double *m2;   /* c * c */
};

/* Initialises an unbound stats block for C channels (MODEL NULL). */
ns_status ns_fstats_init (ns_stats *s, int c, ns_error *err);
void ns_fstats_clear (ns_stats *s);
/* Adds the pixels (X0..X0+W-1, Y0..Y0+H-1) of F (F->c == S->c), with
 * N_THREADS threads (<= 0: all); the result does not depend on it. */
ns_status ns_fstats_add (ns_stats *s, const ns_tensor *f, int x0, int y0, int w,
                         int h, int n_threads, ns_error *err);

/* A per-pixel affine map of features: t = A f + b, A full (C x C,
 * row-major) or diagonal (DIAG, A holds C values). */
typedef struct
{
  int c;
  bool diag;
  double *a;
  double *b;
} ns_affine;

ns_status ns_affine_init (ns_affine *m, int c, bool diag, ns_error *err);
void ns_affine_clear (ns_affine *m);
/* M = M * S + T * I (identity blend: alpha * map + (1 - alpha) * id is
 * scale ALPHA, add 1 - ALPHA).  Keeps b scaled by S. */
void ns_affine_scale_add_identity (ns_affine *m, double s, double t);
/* DST += W * SRC; a diagonal SRC may be added into a full DST, not the
 * reverse. */
void ns_affine_accumulate (ns_affine *dst, const ns_affine *src, double w);
/* OUT = M(IN) over all pixels of IN (C x H x W); OUT allocated. */
ns_status ns_affine_apply (const ns_affine *m, const ns_tensor *in,
                           ns_tensor *out, int n_threads, ns_error *err);

/* AdaIN (Huang & Belongie 2017, as naoto0804/pytorch-AdaIN calc_mean_std):
 * std = sqrt (unbiased variance + 1e-5).  MEAN and STD receive C values. */
#define NS_ADAIN_EPS 1e-5
void ns_adain_mean_std (const ns_stats *s, double *mean, double *std);
/* The AdaIN map from content statistics to style statistics (diagonal):
 * t = (f - mc) / sc * ss + ms. */
ns_status ns_adain_map (const double *c_mean, const double *c_std,
                        const double *s_mean, const double *s_std, int c,
                        ns_affine *out, ns_error *err);

/* WCT (Li et al. 2017, as PytorchWCT whiten_and_color).  Whitening of the
 * content: W = E diag (e^-1/2) E^T of cov/(n-1) + I; colouring by the
 * style: C = E diag (e^1/2) E^T of cov/(n-1); eigenvalues below 1e-5 are
 * dropped in both.  Matrices C x C row-major. */
#define NS_WCT_EIG_MIN 1e-5
ns_status ns_wct_whitening (const ns_stats *s, double *w, ns_error *err);
ns_status ns_wct_coloring (const ns_stats *s, double *col, ns_error *err);
/* t = C W (f - mc) + ms as an affine map. */
ns_status ns_wct_map (const double *whiten, const double *c_mean,
                      const double *color, const double *s_mean, int c,
                      ns_affine *out, ns_error *err);

/* Symmetric eigenproblem: A (N x N, row-major, only symmetric input
 * matters) -> eigenvalues ascending in EVAL, eigenvector j in row j of
 * EVEC (EVEC may alias A).  LAPACK dsyevd from OpenBLAS. */
ns_status ns_eig_sym (int n, const double *a, double *eval, double *evec,
                      ns_error *err);
/* Same by cyclic Jacobi rotations: slow, simple, the test reference. */
ns_status ns_eig_sym_jacobi (int n, const double *a, double *eval, double *evec,
                             ns_error *err);
/* OUT = sum over eigenvalues e >= EIG_MIN of (e + SHIFT)^POWER v v^T,
 * eigenvalues of A + SHIFT I. */
ns_status ns_sym_power (int n, const double *a, double shift, double power,
                        double eig_min, double *out, ns_error *err);

/* What a design-size cascade hands the full-size stage (see ns_job). */
typedef struct ns_ff_capture
{
  int level;      /* capture levels reluN_1 with N <= this */
  ns_image input; /* the input of level LEVEL */
  bool have[5];   /* by index into model->enc */
  ns_stats stats[5];
} ns_ff_capture;
void ns_ff_capture_clear (ns_ff_capture *cap);

/* ---- the tiled shallow levels (tiled.c) */
typedef struct
{
  ns_region_fn read_in; /* the first level's input, 3 planes */
  void *in_user_data;
  ns_region_fn read_mask; /* NULL: no mask; else 1 plane */
  void *mask_user_data;
  /* Receives the last level's inner tiles (unclamped), in rows of tiles. */
  ns_status (*write) (void *user_data, int x, int y, int w, int h,
                      const float *rgb, ns_error *err);
  void *out_user_data;
} ns_ff_tiled_io;

/* Runs levels IDX (deepest first) of the job's cascade on the W x H image
 * IO reads, in tiles of TILE pixels, with statistics global to the image:
 * STATS[idx] when given (from the design stage), else accumulated over
 * the tiles in a first pass.  JOB->content is not used. */
ns_status ns_ff_tiled_levels (ns_context *ctx, const ns_job *job,
                              const int *idx, int n_idx, int w, int h, int tile,
                              const ns_stats *const *stats,
                              const ns_ff_tiled_io *io, ns_error *err);
/* The margin of context around each tile for levels IDX. */
int ns_ff_tile_margin (const ns_model *model, const int *idx, int n_idx);
/* Bytes one tile of TILE pixels needs (the larger level). */
double ns_ff_tile_bytes (const ns_model *model, const int *idx, int n_idx,
                         int tile);
/* Progress units of ns_ff_tiled_levels. */
double ns_ff_tiled_work (const ns_model *model, const int *idx, int n_idx,
                         int w, int h, int tile);

#endif /* NS_STYLE_H */
