/* ReLU forward and backward (the convolutions fuse the forward pass; the
 * Gatys backward pass and the tests use these). */
#include "nn.h"

void
ns_relu_forward (float *x, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void
ns_relu_backward (const float *y, float *g, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    g[i] = y[i] > 0.0f ? g[i] : 0.0f;
}
