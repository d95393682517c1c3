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

#endif /* NS_STYLE_H */
