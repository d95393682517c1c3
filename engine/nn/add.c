/* Residual add (Y += X) with an optional fused ReLU.  Memory-bound: split
 * into large contiguous chunks, one per thread. */
#include "nn.h"

void
ns_add_forward (float *y, const float *x, size_t n, bool relu, int n_threads)
{
  int nt = ns_threads_resolve (n_threads);

  /* Below ~64k floats a fork costs more than the loop. */
  if (n < ((size_t) 1 << 16))
    nt = 1;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (size_t i = 0; i < n; i++)
    {
      float v = y[i] + x[i];
      y[i] = relu && v < 0.0f ? 0.0f : v;
    }
}
