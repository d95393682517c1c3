/* Whitening and colouring transform (Li et al. 2017), as PytorchWCT
 * whiten_and_color, in double:
 *   content: cov_c = Fc Fc^T / (n-1) + I,  W = E diag(e^-1/2) E^T
 *   style:   cov_s = Fs Fs^T / (n-1),      C = E diag(e^1/2) E^T
 *   target = C W (fc - mean_c) + mean_s
 * with eigenvalues below 1e-5 dropped (torch.svd there, dsyevd here: the
 * same decomposition for a symmetric positive semi-definite matrix). */
#include "style.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

static ns_status
covariance (const ns_stats *s, double *cov, ns_error *err)
{
  const size_t cc = (size_t) s->c * (size_t) s->c;
  double denom;
  (void) err;
  /* A single feature pixel (a 16 px image at relu5_1) has no spread: a
   * zero covariance, so whitening is the identity and colouring maps
   * everything to the style mean, instead of torch's NaN. */
  if (s->n < 2.0)
    {
      memset (cov, 0, sizeof *cov * cc);
      return NS_OK;
    }
  denom = s->n - 1.0;
  for (size_t k = 0; k < cc; k++)
    cov[k] = s->m2[k] / denom;
  return NS_OK;
}

ns_status
ns_wct_whitening (const ns_stats *s, double *w, ns_error *err)
{
  ns_status st = covariance (s, w, err);
  if (st != NS_OK)
    return st;
  return ns_sym_power (s->c, w, 1.0, -0.5, NS_WCT_EIG_MIN, w, err);
}

ns_status
ns_wct_coloring (const ns_stats *s, double *col, ns_error *err)
{
  ns_status st = covariance (s, col, err);
  if (st != NS_OK)
    return st;
  return ns_sym_power (s->c, col, 0.0, 0.5, NS_WCT_EIG_MIN, col, err);
}

ns_status
ns_wct_map (const double *whiten, const double *c_mean, const double *color,
            const double *s_mean, int c, ns_affine *out, ns_error *err)
{
  ns_status st = ns_affine_init (out, c, false, err);
  if (st != NS_OK)
    return st;
  /* A = C W; b = mean_s - A mean_c. */
  {
    int saved = ns_blas_serial_begin ();
    cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, c, c, c, 1.0, color,
                 c, whiten, c, 0.0, out->a, c);
    ns_blas_serial_end (saved);
  }
  for (int i = 0; i < c; i++)
    {
      double acc = 0.0;
      for (int j = 0; j < c; j++)
        acc += out->a[(size_t) i * c + j] * c_mean[j];
      out->b[i] = s_mean[i] - acc;
    }
  return NS_OK;
}
