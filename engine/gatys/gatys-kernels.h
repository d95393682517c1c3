/* Kernels of the Gatys optimiser: forward passes that keep what the
 * backward passes need, the backward passes, Gram matrices, losses and
 * the optimisers.  Engine-internal; declared here for the tests.
 *
 * Tensors are C x H x W floats, contiguous, as ns_tensor.  "Backward"
 * functions compute the gradient with respect to the input from the
 * gradient with respect to the output. */
#ifndef NS_GATYS_KERNELS_H
#define NS_GATYS_KERNELS_H

#include "../nn/nn.h"

/* ------------------------------------------------------- convolution
 * CONV as in ns-internal.h: k = 1 (pad 0) or k = 3 (reflection pad 1),
 * stride 1, so the output is cout x H x W.  The forward pass is
 * ns_conv2d_into (nn.h), its reference ns_conv2d_ref. */

/* Floats of workspace the forward and backward passes need at H x W with
 * N_THREADS threads. */
size_t ns_gconv_work_floats (const ns_conv *conv, int h, int w, int n_threads);
/* OUT (cout*h*w) = conv (IN): the stylization networks' kernel with the
 * band budget above, WORK (ns_gconv_work_floats floats) as its scratch.
 * Cannot fail on a valid CONV and shape (k = 3 needs H, W >= 2). */
static inline ns_status
ns_gconv_forward (const ns_conv *conv, const float *in, int h, int w,
                  float *out, float *work, int n_threads)
{
  const ns_conv_opts opts = { n_threads, 0, work };
  return ns_conv2d_into (conv, in, h, w, out, &opts, NULL, NULL);
}
/* GIN (cin*h*w, overwritten) = dL/d(input) from GOUT (cout*h*w): sgemm
 * with W^T then col2im, which folds the reflected borders back onto the
 * pixels they were copied from.  When Y (the forward's output) is not
 * NULL, GOUT is first multiplied in place by the ReLU mask (Y > 0), so
 * GOUT may be dL/d(output after ReLU); with Y NULL it is dL/d(pre-ReLU). */
void ns_gconv_backward (const ns_conv *conv, const float *y, float *gout, int h,
                        int w, float *gin, float *work, int n_threads);
/* Naive reference (explicit padding, direct loops, double accumulation),
 * for the tests. */
void ns_gconv_backward_ref (const ns_conv *conv, const float *gout, int h,
                            int w, float *gin);

/* --------------------------------------------------- reflection pad 1 */
/* IN c x h x w -> OUT c x (h+2) x (w+2), as torch ReflectionPad2d(1). */
void ns_reflpad_forward (const float *in, int c, int h, int w, float *out);
/* GOUT c x (h+2) x (w+2) -> GIN c x h x w: each padded cell's gradient
 * is added to the pixel it was copied from. */
void ns_reflpad_backward (const float *gout, int c, int h, int w, float *gin);

/* ------------------------------------------------------------- ReLU */
void ns_relu_forward (float *x, size_t n);
/* G *= (Y > 0), Y the ReLU's output (as PyTorch's threshold_backward). */
void ns_relu_backward (const float *y, float *g, size_t n);

/* ---------------------------------------------------------- max-pool */
/* 2x2 stride 2; CEIL as torch's ceil_mode.  Output size: */
void ns_gpool_out_size (int h, int w, bool ceil_mode, int *oh, int *ow);
/* ARGMAX (oh*ow per channel, may be NULL) receives the index y*w+x of the
 * winner within its channel; ties go to the first in row-major window
 * order, as PyTorch's CPU kernel. */
void ns_gpool_forward (const float *in, int c, int h, int w, bool ceil_mode,
                       float *out, int32_t *argmax, int n_threads);
/* GIN (c*h*w) is overwritten: zero except at the winners. */
void ns_gpool_backward (const float *gout, const int32_t *argmax, int c, int h,
                        int w, bool ceil_mode, float *gin, int n_threads);

/* -------------------------------------------------------------- Gram */
/* G (c x c) = SCALE * F F^T, F c x n (ssyrk, mirrored). */
void ns_gram (const float *f, int c, int n, float scale, float *g);
/* DF (c x n) (+)= 2 * SCALE * DG F for a symmetric DG = dL/dG; BETA = 0
 * overwrites DF, 1 accumulates. */
void ns_gram_backward (const float *f, int c, int n, float scale,
                       const float *dg, float beta, float *df);

/* ------------------------------------------------------------ losses
 * Each returns its loss and ADDS its gradient (times the weight) to the
 * gradient buffer. */
/* WEIGHT * |F - T|^2 / NORM. */
double ns_content_loss (const float *f, const float *target, size_t n,
                        double weight, double norm, float *df);
/* WEIGHT * |G - T|^2 / NORM with G = F F^T / n.  G_WORK: c*c floats. */
double ns_style_loss (const float *f, int c, int n, const float *target,
                      double weight, double norm, float *g_work, float *df);
/* The same on a region: G = F diag(M) F^T / sum(M), M n weights in
 * [0,1]; TMP: c*n floats.  Returns 0 (no gradient) for an empty region. */
double ns_style_loss_masked (const float *f, int c, int n, const float *m,
                             const float *target, double weight, double norm,
                             float *g_work, float *tmp, float *df);
/* WEIGHT * (sum of squared x and y neighbour differences) / (c h w). */
double ns_tv_loss (const float *x, int c, int h, int w, double weight,
                   float *dx);

/* ------------------------------------------------------- optimisers */

/* Evaluates F(X) and its gradient G.  Returns false to abort (cancel). */
typedef bool (*ns_fg_fn) (const float *x, double *f, float *g, void *user);

typedef struct ns_lbfgs ns_lbfgs;

/* HISTORY correction pairs (torch's history_size); LR the step
 * (torch's lr, 1).  Returns NULL when out of memory. */
ns_lbfgs *ns_lbfgs_new (size_t n, int history, float lr);
void ns_lbfgs_free (ns_lbfgs *s);
/* One iteration from X where *F and G are valid: a two-loop L-BFGS
 * direction, the step of torch.optim.LBFGS (first step scaled by
 * min(1, 1/|g|_1)), backtracked by halving while the loss is not finite or
 * fails the Armijo condition (at most 8 times; torch has no safeguard).
 * Leaves X, *F, G at the new point.  Returns the number of evaluations, 0
 * when converged (|g|_inf < 1e-7 or no progress), -1 when FN aborted (X, *F
 * and G then hold the last complete point). */
int ns_lbfgs_step (ns_lbfgs *s, float *x, double *f, float *g, ns_fg_fn fn,
                   void *user);

typedef struct ns_adam ns_adam;
/* torch.optim.Adam defaults (betas 0.9, 0.999, eps 1e-8). */
ns_adam *ns_adam_new (size_t n, float lr);
void ns_adam_free (ns_adam *a);
/* X -= lr * m_hat / (sqrt(v_hat) + eps), from the gradient G at X. */
void ns_adam_update (ns_adam *a, float *x, const float *g);

#endif /* NS_GATYS_KERNELS_H */
