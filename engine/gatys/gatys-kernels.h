/* Kernels of the Gatys optimiser: Gram matrices, losses and the
 * optimisers.  Engine-internal; declared here for the tests.  The layer
 * kernels it differentiates through (convolution, max-pool, ReLU and
 * their backward passes) are in engine/nn (nn.h).
 *
 * Tensors are C x H x W floats, contiguous, as ns_tensor.  "Backward"
 * functions compute the gradient with respect to the input from the
 * gradient with respect to the output. */
#ifndef NS_GATYS_KERNELS_H
#define NS_GATYS_KERNELS_H

#include "../nn/nn.h"

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
