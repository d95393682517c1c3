/* Symmetric eigensolvers for WCT: LAPACK dsyevd (from OpenBLAS) for the
 * engine, a cyclic Jacobi as an independent reference for the tests. */
#include "style.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK's Fortran entry point; libopenblas exports it but ships no C
 * prototype for it in cblas.h. */
extern void dsyevd_ (const char *jobz, const char *uplo, const int *n,
                     double *a, const int *lda, double *w, double *work,
                     const int *lwork, int *iwork, const int *liwork,
                     int *info);

ns_status
ns_eig_sym (int n, const double *a, double *eval, double *evec, ns_error *err)
{
  int lwork = -1, liwork = -1, info = 0, iwq = 0, saved;
  double wq = 0.0;
  double *work = NULL;
  int *iwork = NULL;
  double *z;

  if (n <= 0)
    return ns_fail (err, NS_ERR_INVALID_ARG, "eigen: bad size %d", n);
  z = malloc (sizeof *z * (size_t) n * (size_t) n);
  if (!z)
    return ns_fail (err, NS_ERR_NOMEM, "eigen: out of memory");
  /* Row-major symmetric == column-major symmetric; symmetrise so that the
   * triangle LAPACK reads does not matter. */
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      z[(size_t) i * n + j] = 0.5 *
                              (a[(size_t) i * n + j] + a[(size_t) j * n + i]);

  saved = ns_blas_serial_begin ();
  dsyevd_ ("V", "U", &n, z, &n, eval, &wq, &lwork, &iwq, &liwork, &info);
  if (info != 0)
    {
      ns_blas_serial_end (saved);
      free (z);
      return ns_fail (err, NS_ERR_INTERNAL, "dsyevd workspace query: info %d",
                      info);
    }
  lwork = (int) wq + 1;
  liwork = iwq + 1;
  work = malloc (sizeof *work * (size_t) lwork);
  iwork = malloc (sizeof *iwork * (size_t) liwork);
  if (!work || !iwork)
    {
      ns_blas_serial_end (saved);
      free (z);
      free (work);
      free (iwork);
      return ns_fail (err, NS_ERR_NOMEM, "eigen: out of memory");
    }
  dsyevd_ ("V", "U", &n, z, &n, eval, work, &lwork, iwork, &liwork, &info);
  ns_blas_serial_end (saved);
  free (work);
  free (iwork);
  if (info != 0)
    {
      free (z);
      return ns_fail (err, NS_ERR_INTERNAL,
                      "dsyevd failed to converge (info %d)", info);
    }
  /* Column j of the column-major Z is eigenvector j: that is row j when
   * the same memory is read row-major. */
  memcpy (evec, z, sizeof *z * (size_t) n * (size_t) n);
  free (z);
  return NS_OK;
}

ns_status
ns_eig_sym_jacobi (int n, const double *a, double *eval, double *evec,
                   ns_error *err)
{
  size_t nn = (size_t) n * (size_t) n;
  double *m, *v;

  if (n <= 0)
    return ns_fail (err, NS_ERR_INVALID_ARG, "eigen: bad size %d", n);
  m = malloc (sizeof *m * nn);
  v = malloc (sizeof *v * nn);
  if (!m || !v)
    {
      free (m);
      free (v);
      return ns_fail (err, NS_ERR_NOMEM, "eigen: out of memory");
    }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      {
        m[(size_t) i * n + j] = 0.5 *
                                (a[(size_t) i * n + j] + a[(size_t) j * n + i]);
        v[(size_t) i * n + j] = i == j ? 1.0 : 0.0;
      }

  /* V holds the eigenvectors in its columns: M = V D V^T. */
  for (int sweep = 0; sweep < 100; sweep++)
    {
      double off = 0.0, diag = 0.0;
      for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
          {
            double x = m[(size_t) i * n + j];
            if (i != j)
              off += x * x;
            else
              diag += x * x;
          }
      if (off <= 1e-30 * diag || off == 0.0)
        break;
      for (int p = 0; p < n - 1; p++)
        for (int q = p + 1; q < n; q++)
          {
            double apq = m[(size_t) p * n + q];
            double app, aqq, theta, t, c, s;
            if (apq == 0.0)
              continue;
            app = m[(size_t) p * n + p];
            aqq = m[(size_t) q * n + q];
            theta = (aqq - app) / (2.0 * apq);
            t = (theta >= 0 ? 1.0 : -1.0) /
                (fabs (theta) + sqrt (theta * theta + 1.0));
            c = 1.0 / sqrt (t * t + 1.0);
            s = t * c;
            /* M = J^T M J with the rotation in the (p, q) plane. */
            for (int k = 0; k < n; k++)
              {
                double mkp = m[(size_t) k * n + p];
                double mkq = m[(size_t) k * n + q];
                m[(size_t) k * n + p] = c * mkp - s * mkq;
                m[(size_t) k * n + q] = s * mkp + c * mkq;
              }
            for (int k = 0; k < n; k++)
              {
                double mpk = m[(size_t) p * n + k];
                double mqk = m[(size_t) q * n + k];
                m[(size_t) p * n + k] = c * mpk - s * mqk;
                m[(size_t) q * n + k] = s * mpk + c * mqk;
              }
            for (int k = 0; k < n; k++)
              {
                double vkp = v[(size_t) k * n + p];
                double vkq = v[(size_t) k * n + q];
                v[(size_t) k * n + p] = c * vkp - s * vkq;
                v[(size_t) k * n + q] = s * vkp + c * vkq;
              }
          }
    }

  /* Sort ascending (selection sort: N is at most a few hundred). */
  {
    int *order = malloc (sizeof *order * (size_t) n);
    if (!order)
      {
        free (m);
        free (v);
        return ns_fail (err, NS_ERR_NOMEM, "eigen: out of memory");
      }
    for (int i = 0; i < n; i++)
      order[i] = i;
    for (int i = 0; i < n; i++)
      {
        int best = i;
        for (int j = i + 1; j < n; j++)
          if (m[(size_t) order[j] * n + order[j]] <
              m[(size_t) order[best] * n + order[best]])
            best = j;
        int tmp = order[i];
        order[i] = order[best];
        order[best] = tmp;
      }
    for (int j = 0; j < n; j++)
      {
        int src = order[j];
        eval[j] = m[(size_t) src * n + src];
      }
    /* EVEC may alias A, which we no longer read. */
    for (int j = 0; j < n; j++)
      for (int k = 0; k < n; k++)
        evec[(size_t) j * n + k] = v[(size_t) k * n + order[j]];
    free (order);
  }
  free (m);
  free (v);
  return NS_OK;
}

ns_status
ns_sym_power (int n, const double *a, double shift, double power,
              double eig_min, double *out, ns_error *err)
{
  size_t nn = (size_t) n * (size_t) n;
  double *ev = malloc (sizeof *ev * nn);
  double *e = malloc (sizeof *e * (size_t) n);
  double *sh = malloc (sizeof *sh * nn);
  ns_status st;

  if (!ev || !e || !sh)
    {
      free (ev);
      free (e);
      free (sh);
      return ns_fail (err, NS_ERR_NOMEM, "eigen: out of memory");
    }
  memcpy (sh, a, sizeof *sh * nn);
  for (int i = 0; i < n; i++)
    sh[(size_t) i * n + i] += shift;
  st = ns_eig_sym (n, sh, e, ev, err);
  if (st == NS_OK)
    {
      memset (out, 0, sizeof *out * nn);
      for (int j = 0; j < n; j++)
        {
          const double *vj = ev + (size_t) j * n;
          double f;
          /* NaN eigenvalues fail this test too. */
          if (!(e[j] >= eig_min))
            continue;
          f = pow (e[j], power);
          for (int r = 0; r < n; r++)
            {
              double fr = f * vj[r];
              double *orow = out + (size_t) r * n;
              for (int k = 0; k < n; k++)
                orow[k] += fr * vj[k];
            }
        }
    }
  free (ev);
  free (e);
  free (sh);
  return st;
}
