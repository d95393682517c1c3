/* L-BFGS and Adam on functions with known minima. */
#include "gatys-kernels.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Extended Rosenbrock: sum over pairs of 100 (x1 - x0^2)^2 + (1 - x0)^2,
 * minimum 0 at all ones. */
static bool
rosenbrock (const float *x, double *f, float *g, void *user)
{
  int n = *(int *) user, i;
  double s = 0.0;
  for (i = 0; i < n; i += 2)
    {
      double a = x[i], b = x[i + 1];
      double t1 = b - a * a, t2 = 1.0 - a;
      s += 100.0 * t1 * t1 + t2 * t2;
      g[i] = (float) (-400.0 * a * t1 - 2.0 * t2);
      g[i + 1] = (float) (200.0 * t1);
    }
  *f = s;
  return true;
}

/* Ill-conditioned quadratic: 0.5 sum d_i (x_i - c_i)^2, d_i from 1 to
 * 1000. */
static bool
quadratic (const float *x, double *f, float *g, void *user)
{
  int n = *(int *) user, i;
  double s = 0.0;
  for (i = 0; i < n; i++)
    {
      double d = pow (1000.0, (double) i / (n - 1)), c = 0.1 * (i % 7);
      double r = x[i] - c;
      s += 0.5 * d * r * r;
      g[i] = (float) (d * r);
    }
  *f = s;
  return true;
}

static int abort_after;
static bool
aborting (const float *x, double *f, float *g, void *user)
{
  if (abort_after-- <= 0)
    return false;
  return quadratic (x, f, g, user);
}

int
main (void)
{
  /* Rosenbrock from the classic start (-1.2, 1). */
  {
    int n = 10, it, evals = 0;
    float x[10], g[10];
    double f;
    ns_lbfgs *s = ns_lbfgs_new ((size_t) n, 10, 1.0f);
    for (it = 0; it < n; it += 2)
      {
        x[it] = -1.2f;
        x[it + 1] = 1.0f;
      }
    rosenbrock (x, &f, g, &n);
    for (it = 0; it < 200; it++)
      {
        int r = ns_lbfgs_step (s, x, &f, g, rosenbrock, &n);
        if (r <= 0)
          break;
        evals += r;
      }
    printf ("rosenbrock: f = %.3g after %d iterations, %d evaluations, "
            "x0 = %.5f\n",
            f, it, evals, x[0]);
    TU_CHECK (f < 1e-6);
    for (it = 0; it < n; it++)
      TU_CHECK (fabsf (x[it] - 1.0f) < 1e-2f);
    TU_CHECK (evals < 400);
    ns_lbfgs_free (s);
  }
  /* An ill-conditioned quadratic: L-BFGS must beat steepest descent by
     far (which would need thousands of steps). */
  {
    int n = 100, it, i;
    float *x = calloc (n, 4), *g = malloc (n * 4);
    double f, f0;
    ns_lbfgs *s = ns_lbfgs_new ((size_t) n, 20, 1.0f);
    quadratic (x, &f, g, &n);
    f0 = f;
    for (it = 0; it < 100; it++)
      if (ns_lbfgs_step (s, x, &f, g, quadratic, &n) <= 0)
        break;
    printf ("quadratic: f %.3g -> %.3g in %d iterations\n", f0, f, it);
    TU_CHECK (f < 1e-7 * f0);
    for (i = 0; i < n; i++)
      TU_CHECK (fabsf (x[i] - 0.1f * (i % 7)) < 1e-2f);
    ns_lbfgs_free (s);

    /* An aborting evaluation leaves the last complete point. */
    memset (x, 0, n * 4);
    s = ns_lbfgs_new ((size_t) n, 20, 1.0f);
    quadratic (x, &f, g, &n);
    abort_after = 3;
    {
      int r = 1;
      float *xc = malloc (n * 4);
      double fc = f;
      for (it = 0; it < 10 && r > 0; it++)
        {
          memcpy (xc, x, n * 4);
          fc = f;
          r = ns_lbfgs_step (s, x, &f, g, aborting, &n);
        }
      TU_CHECK (r == -1);
      TU_CHECK (memcmp (xc, x, n * 4) == 0 && f == fc);
      free (xc);
    }
    ns_lbfgs_free (s);

    /* Adam on the same quadratic (per-coordinate scaling makes the
       conditioning irrelevant). */
    {
      ns_adam *a = ns_adam_new ((size_t) n, 0.01f);
      memset (x, 0, n * 4);
      quadratic (x, &f, g, &n);
      f0 = f;
      for (it = 0; it < 2000; it++)
        {
          ns_adam_update (a, x, g);
          quadratic (x, &f, g, &n);
        }
      printf ("adam: f %.3g -> %.3g\n", f0, f);
      TU_CHECK (f < 1e-4 * f0);
      ns_adam_free (a);
    }
    free (x);
    free (g);
  }
  return tu_finish ("test-gatys-optim");
}
