/* Gram matrices and their gradient.
 *
 * Features are short and wide (C <= 512 channels by H*W pixels): OpenBLAS
 * threads such products over the short dimensions and gets little out of
 * it, so the pixels are split among the threads instead, each running a
 * single-threaded ssyrk / sgemm on its columns (the partial Grams are then
 * summed in thread order: deterministic for a given thread count). */
#include "gatys-kernels.h"

#include <cblas.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Below this many pixels per thread, one threaded BLAS call is better. */
#define NS_GRAM_MIN_PIXELS 4096

static int
gram_threads (int n)
{
  int nt = ns_threads_resolve (0);
  while (nt > 1 && n / nt < NS_GRAM_MIN_PIXELS)
    nt--;
  return nt;
}

/* The columns [P0, P1) of N that the calling thread of NT takes; returns
   the thread's number. */
static int
thread_span (int n, int nt, size_t *p0, size_t *p1)
{
  int t = 0;
#ifdef _OPENMP
  t = omp_get_thread_num ();
#endif
  *p0 = (size_t) n * t / nt;
  *p1 = (size_t) n * (t + 1) / nt;
  return t;
}

static void
mirror (float *g, int c)
{
  int i, j;
  for (i = 0; i < c; i++)
    for (j = 0; j < i; j++)
      g[(size_t) i * c + j] = g[(size_t) j * c + i];
}

void
ns_gram (const float *f, int c, int n, float scale, float *g)
{
  int nt = gram_threads (n);
  size_t cc = (size_t) c * c;
  float *part = nt > 1 ? ns_alloc ((size_t) nt * cc * sizeof (float)) : NULL;

  if (!part)
    {
      /* ssyrk computes one triangle: half the FLOPs of a full sgemm. */
      cblas_ssyrk (CblasRowMajor, CblasUpper, CblasNoTrans, c, n, scale, f, n,
                   0.0f, g, c);
      mirror (g, c);
      return;
    }
#pragma omp parallel num_threads(nt)
  {
    size_t p0, p1;
    int t = thread_span (n, nt, &p0, &p1);
    cblas_ssyrk (CblasRowMajor, CblasUpper, CblasNoTrans, c, (int) (p1 - p0),
                 scale, f + p0, n, 0.0f, part + (size_t) t * cc, c);
  }
  {
    int i, j, t;
    for (i = 0; i < c; i++)
      for (j = i; j < c; j++)
        {
          size_t k = (size_t) i * c + j;
          float s = part[k];
          for (t = 1; t < nt; t++)
            s += part[(size_t) t * cc + k];
          g[k] = s;
        }
  }
  mirror (g, c);
  ns_free (part);
}

void
ns_gram_backward (const float *f, int c, int n, float scale, const float *dg,
                  float beta, float *df)
{
  /* G = s F F^T, so dL/dF = s (DG + DG^T) F = 2 s DG F for symmetric DG.
     Columns of F are independent: split them among the threads. */
  int nt = gram_threads (n);
  if (nt == 1)
    {
      /* Not inside a one-thread region: OpenBLAS would then run a nested
         team instead of its usual threads. */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, c, n, c,
                   2.0f * scale, dg, c, f, n, beta, df, n);
      return;
    }
#pragma omp parallel num_threads(nt)
  {
    size_t p0, p1;
    thread_span (n, nt, &p0, &p1);
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, c, (int) (p1 - p0),
                 c, 2.0f * scale, dg, c, f + p0, n, beta, df + p0, n);
  }
}
