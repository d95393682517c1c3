/* AdaIN (Huang & Belongie 2017) exactly as naoto0804/pytorch-AdaIN:
 * calc_mean_std uses the unbiased variance plus eps 1e-5 under the square
 * root; the map is (f - mean_c) / std_c * std_s + mean_s. */
#include "style.h"

#include <math.h>

void
ns_adain_mean_std (const ns_stats *s, double *mean, double *std)
{
  const int c = s->c;
  /* torch.var with one sample is NaN; treat it as zero spread. */
  double denom = s->n > 1.0 ? s->n - 1.0 : 1.0;
  for (int i = 0; i < c; i++)
    {
      double var = s->m2[(size_t) i * c + i] / denom;
      if (var < 0.0)
        var = 0.0;
      mean[i] = s->mean[i];
      std[i] = sqrt (var + NS_ADAIN_EPS);
    }
}

ns_status
ns_adain_map (const double *c_mean, const double *c_std, const double *s_mean,
              const double *s_std, int c, ns_affine *out, ns_error *err)
{
  ns_status st = ns_affine_init (out, c, true, err);
  if (st != NS_OK)
    return st;
  for (int i = 0; i < c; i++)
    {
      double a = s_std[i] / c_std[i];
      out->a[i] = a;
      out->b[i] = s_mean[i] - a * c_mean[i];
    }
  return NS_OK;
}
