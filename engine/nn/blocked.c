/* Conversion between the plain c x h x w layout and oneDNN's
 * channel-blocked one (nn.h), for networks that keep their activations
 * blocked between layers. */
#include "nn.h"

void
ns_blocked_from_plain (const float *plain, int c, int h, int w, int blk,
                       float *out, int n_threads)
{
  const size_t hw = (size_t) h * w;
  const int nt = ns_threads_resolve (n_threads);

#pragma omp parallel for num_threads(nt) schedule(static) collapse(2)
  for (int b = 0; b < c / blk; b++)
    for (int y = 0; y < h; y++)
      {
        float *o = out + ((size_t) b * hw + (size_t) y * w) * blk;
        for (int l = 0; l < blk; l++)
          {
            const float *s = plain + ((size_t) (b * blk + l)) * hw +
                             (size_t) y * w;
            for (int x = 0; x < w; x++)
              o[(size_t) x * blk + l] = s[x];
          }
      }
}

void
ns_blocked_to_plain (const float *blocked, int c, int h, int w, int blk,
                     float *out, int n_threads)
{
  const size_t hw = (size_t) h * w;
  const int nt = ns_threads_resolve (n_threads);

#pragma omp parallel for num_threads(nt) schedule(static) collapse(2)
  for (int b = 0; b < c / blk; b++)
    for (int y = 0; y < h; y++)
      {
        const float *s = blocked + ((size_t) b * hw + (size_t) y * w) * blk;
        for (int l = 0; l < blk; l++)
          {
            float *o = out + ((size_t) (b * blk + l)) * hw + (size_t) y * w;
            for (int x = 0; x < w; x++)
              o[x] = s[(size_t) x * blk + l];
          }
      }
}
