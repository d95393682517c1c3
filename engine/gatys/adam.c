/* Adam (Kingma & Ba), with torch.optim.Adam's defaults. */
#include "gatys-kernels.h"

#include <math.h>
#include <stdlib.h>

struct ns_adam
{
  size_t n;
  float lr;
  int t;
  float *m, *v;
};

ns_adam *
ns_adam_new (size_t n, float lr)
{
  ns_adam *a = calloc (1, sizeof *a);
  if (!a)
    return NULL;
  a->n = n;
  a->lr = lr > 0.0f ? lr : 0.02f;
  a->m = ns_calloc (n * sizeof (float));
  a->v = ns_calloc (n * sizeof (float));
  if (!a->m || !a->v)
    {
      ns_adam_free (a);
      return NULL;
    }
  return a;
}

void
ns_adam_free (ns_adam *a)
{
  if (!a)
    return;
  ns_free (a->m);
  ns_free (a->v);
  free (a);
}

void
ns_adam_update (ns_adam *a, float *x, const float *g)
{
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  double c1, c2;
  float step, c2s;
  size_t i;

  a->t++;
  c1 = 1.0 - pow (b1, a->t);
  c2 = 1.0 - pow (b2, a->t);
  step = (float) (a->lr / c1);
  c2s = (float) sqrt (c2);
  for (i = 0; i < a->n; i++)
    {
      a->m[i] = (float) b1 * a->m[i] + (float) (1.0 - b1) * g[i];
      a->v[i] = (float) b2 * a->v[i] + (float) (1.0 - b2) * g[i] * g[i];
      x[i] -= step * a->m[i] / (sqrtf (a->v[i]) / c2s + (float) eps);
    }
}
