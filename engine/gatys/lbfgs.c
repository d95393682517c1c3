/* Limited-memory BFGS (Nocedal's two-loop recursion), stepping like
 * torch.optim.LBFGS without a line search, plus a backtracking safeguard:
 * the step is halved while the loss is not finite or fails the Armijo
 * condition.  Vectors are float (they are images); dot products are
 * accumulated in double. */
#include "gatys-kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ns_lbfgs
{
  size_t n;
  int m;     /* history size */
  int count; /* stored pairs */
  int head;  /* index of the oldest pair */
  int k;     /* iterations done */
  float lr;
  bool converged;
  double h_diag;
  float *s, *y; /* m * n each */
  double *rho, *alpha;
  float *d, *x_old, *g_old;
};

ns_lbfgs *
ns_lbfgs_new (size_t n, int history, float lr)
{
  ns_lbfgs *s = calloc (1, sizeof *s);
  size_t mn;
  if (!s || history < 1 || !ns_size_mul (n, (size_t) history, &mn) ||
      !ns_size_mul (mn, sizeof (float), &mn))
    {
      free (s);
      return NULL;
    }
  s->n = n;
  s->m = history;
  s->lr = lr > 0.0f ? lr : 1.0f;
  s->h_diag = 1.0;
  s->s = ns_alloc (mn);
  s->y = ns_alloc (mn);
  s->rho = calloc ((size_t) history, sizeof (double));
  s->alpha = calloc ((size_t) history, sizeof (double));
  s->d = ns_alloc (n * sizeof (float));
  s->x_old = ns_alloc (n * sizeof (float));
  s->g_old = ns_alloc (n * sizeof (float));
  if (!s->s || !s->y || !s->rho || !s->alpha || !s->d || !s->x_old || !s->g_old)
    {
      ns_lbfgs_free (s);
      return NULL;
    }
  return s;
}

void
ns_lbfgs_free (ns_lbfgs *s)
{
  if (!s)
    return;
  ns_free (s->s);
  ns_free (s->y);
  free (s->rho);
  free (s->alpha);
  ns_free (s->d);
  ns_free (s->x_old);
  ns_free (s->g_old);
  free (s);
}

/* Vectors this long are processed by all OpenMP threads. */
#define NS_LBFGS_PAR_MIN 65536
#define NS_LBFGS_BLOCK 1024

/* The dot product of block BLK (of NS_LBFGS_BLOCK elements) of A and B. */
static double
block_dot (const float *a, const float *b, size_t blk, size_t n)
{
  size_t i = blk * NS_LBFGS_BLOCK, j, k;
  size_t end = i + NS_LBFGS_BLOCK < n ? i + NS_LBFGS_BLOCK : n;
  float lane[8] = { 0 };
  double sum = 0.0;

  for (j = i; j + 8 <= end; j += 8)
    for (k = 0; k < 8; k++)
      lane[k] += a[j + k] * b[j + k];
  for (; j < end; j++)
    lane[0] += a[j] * b[j];
  for (k = 0; k < 8; k++)
    sum += lane[k];
  return sum;
}

/* Dot product: 8 float lanes (vectorisable without -ffast-math) per block
 * of 1024, block sums in double added in block order, so the result does
 * not depend on the thread count. */
static double
dot (const float *a, const float *b, size_t n)
{
  size_t nb = (n + NS_LBFGS_BLOCK - 1) / NS_LBFGS_BLOCK, blk;
  double acc = 0.0, small[64];
  double *part = nb <= 64 ? small : malloc (nb * sizeof (double));
  long bi;

  if (!part)
    {
      /* Same block sums, sequentially. */
      for (blk = 0; blk < nb; blk++)
        acc += block_dot (a, b, blk, n);
      return acc;
    }
#pragma omp parallel for schedule(static) if (n >= NS_LBFGS_PAR_MIN)
  for (bi = 0; bi < (long) nb; bi++)
    part[bi] = block_dot (a, b, (size_t) bi, n);
  for (blk = 0; blk < nb; blk++)
    acc += part[blk];
  if (part != small)
    free (part);
  return acc;
}

/* Y += A X. */
static void
axpy (float a, const float *x, float *y, size_t n)
{
  long i;
#pragma omp parallel for schedule(static) if (n >= NS_LBFGS_PAR_MIN)
  for (i = 0; i < (long) n; i++)
    y[i] += a * x[i];
}

/* D = -H G by the two-loop recursion over the stored pairs. */
static void
direction (ns_lbfgs *s, const float *g)
{
  size_t n = s->n, j;
  int i;
  float *d = s->d;

  for (j = 0; j < n; j++)
    d[j] = -g[j];
  for (i = s->count - 1; i >= 0; i--)
    {
      int slot = (s->head + i) % s->m;
      const float *si = s->s + (size_t) slot * n;
      const float *yi = s->y + (size_t) slot * n;
      double a = s->rho[slot] * dot (si, d, n);
      float af = (float) a;
      s->alpha[slot] = a;
      axpy (-af, yi, d, n);
    }
  for (j = 0; j < n; j++)
    d[j] = (float) (d[j] * s->h_diag);
  for (i = 0; i < s->count; i++)
    {
      int slot = (s->head + i) % s->m;
      const float *si = s->s + (size_t) slot * n;
      const float *yi = s->y + (size_t) slot * n;
      double b = s->rho[slot] * dot (yi, d, n);
      float c = (float) (s->alpha[slot] - b);
      axpy (c, si, d, n);
    }
}

int
ns_lbfgs_step (ns_lbfgs *s, float *x, double *f, float *g, ns_fg_fn fn,
               void *user)
{
  size_t n = s->n, j;
  double gtd, t, f_old = *f, f_new = 0.0, gmax = 0.0, l1 = 0.0;
  int evals = 0, tries;
  bool first;

  if (s->converged)
    return 0;
  for (j = 0; j < n; j++)
    {
      double a = fabs ((double) g[j]);
      l1 += a;
      if (a > gmax)
        gmax = a;
    }
  if (gmax <= 1e-7 || !isfinite (l1))
    {
      s->converged = true;
      return 0;
    }

  first = s->count == 0;
  if (!first)
    {
      direction (s, g);
      gtd = dot (g, s->d, n);
      if (!(gtd < -1e-12))
        {
          /* Not a descent direction: forget the curvature pairs. */
          s->count = 0;
          first = true;
        }
    }
  if (first)
    {
      for (j = 0; j < n; j++)
        s->d[j] = -g[j];
      t = fmin (1.0, 1.0 / l1) * s->lr;
    }
  else
    t = s->lr;
  gtd = dot (g, s->d, n);

  memcpy (s->x_old, x, n * sizeof (float));
  memcpy (s->g_old, g, n * sizeof (float));
  for (tries = 0;; tries++)
    {
      float tf = (float) t;
      for (j = 0; j < n; j++)
        x[j] = s->x_old[j] + tf * s->d[j];
      evals++;
      if (!fn (x, &f_new, g, user))
        {
          memcpy (x, s->x_old, n * sizeof (float));
          memcpy (g, s->g_old, n * sizeof (float));
          *f = f_old;
          return -1;
        }
      if (isfinite (f_new) && f_new <= f_old + 1e-4 * t * gtd)
        break;
      if (tries == 8)
        {
          /* No acceptable step along D: back to the old point, forget
             the history; the next call starts with steepest descent. */
          memcpy (x, s->x_old, n * sizeof (float));
          memcpy (g, s->g_old, n * sizeof (float));
          *f = f_old;
          if (s->count == 0)
            s->converged = true;
          s->count = 0;
          return evals;
        }
      t *= 0.5;
    }

  /* Curvature pair s = x - x_old, y = g - g_old (kept when y.s > 0). */
  {
    int slot = s->count < s->m ? (s->head + s->count) % s->m : s->head;
    float *sv = s->s + (size_t) slot * n;
    float *yv = s->y + (size_t) slot * n;
    double ys, yy;
    for (j = 0; j < n; j++)
      {
        sv[j] = x[j] - s->x_old[j];
        yv[j] = g[j] - s->g_old[j];
      }
    ys = dot (yv, sv, n);
    yy = dot (yv, yv, n);
    if (ys > 1e-10 && yy > 0.0)
      {
        s->rho[slot] = 1.0 / ys;
        if (s->count < s->m)
          s->count++;
        else
          s->head = (s->head + 1) % s->m;
        s->h_diag = ys / yy;
      }
  }
  s->k++;
  *f = f_new;
  if (fabs (f_new - f_old) < 1e-9 * fmax (1.0, fabs (f_old)))
    s->converged = true;
  return evals;
}
