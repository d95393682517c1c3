/* Gram matrices and their gradient. */
#include "gatys-kernels.h"

#include <cblas.h>

void
ns_gram (const float *f, int c, int n, float scale, float *g)
{
  int i, j;
  /* ssyrk computes one triangle: half the FLOPs of a full sgemm. */
  cblas_ssyrk (CblasRowMajor, CblasUpper, CblasNoTrans, c, n, scale, f, n,
               0.0f, g, c);
  for (i = 0; i < c; i++)
    for (j = 0; j < i; j++)
      g[(size_t) i * c + j] = g[(size_t) j * c + i];
}

void
ns_gram_backward (const float *f, int c, int n, float scale, const float *dg,
                  float beta, float *df)
{
  /* G = s F F^T, so dL/dF = s (DG + DG^T) F = 2 s DG F for symmetric DG. */
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, c, n, c,
               2.0f * scale, dg, c, f, n, beta, df, n);
}
