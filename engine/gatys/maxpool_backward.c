/* 2x2 stride-2 max pooling that records the winners, and its backward
 * pass routing each output gradient to its winner.  Ties and NaNs as
 * PyTorch's CPU kernel: the first maximum in row-major window order wins
 * (a NaN wins over anything). */
#include "gatys-kernels.h"

#include <math.h>
#include <string.h>

void
ns_gpool_out_size (int h, int w, bool ceil_mode, int *oh, int *ow)
{
  *oh = ceil_mode ? (h + 1) / 2 : h / 2;
  *ow = ceil_mode ? (w + 1) / 2 : w / 2;
}

void
ns_gpool_forward (const float *in, int c, int h, int w, bool ceil_mode,
                  float *out, int32_t *argmax, int n_threads)
{
  int oh, ow, ch;
  ns_gpool_out_size (h, w, ceil_mode, &oh, &ow);
  if (n_threads < 1)
    n_threads = 1;

#pragma omp parallel for num_threads(n_threads) \
    schedule(static) if ((size_t) c * h * w >= ((size_t) 1 << 16))
  for (ch = 0; ch < c; ch++)
    {
      const float *src = in + (size_t) ch * h * w;
      float *dst = out + (size_t) ch * oh * ow;
      int32_t *am = argmax ? argmax + (size_t) ch * oh * ow : NULL;
      int oy, ox;
      for (oy = 0; oy < oh; oy++)
        for (ox = 0; ox < ow; ox++)
          {
            int y0 = 2 * oy, x0 = 2 * ox;
            int y1 = y0 + 2 < h ? y0 + 2 : h, x1 = x0 + 2 < w ? x0 + 2 : w;
            int best = y0 * w + x0, y, x;
            float m = src[best];
            for (y = y0; y < y1; y++)
              for (x = x0; x < x1; x++)
                {
                  float v = src[y * w + x];
                  if ((v > m || isnan (v)) && !isnan (m))
                    {
                      m = v;
                      best = y * w + x;
                    }
                }
            dst[oy * ow + ox] = m;
            if (am)
              am[oy * ow + ox] = best;
          }
    }
}

void
ns_gpool_backward (const float *gout, const int32_t *argmax, int c, int h,
                   int w, bool ceil_mode, float *gin, int n_threads)
{
  int oh, ow, ch;
  ns_gpool_out_size (h, w, ceil_mode, &oh, &ow);
  memset (gin, 0, sizeof (float) * (size_t) c * h * w);
  if (n_threads < 1)
    n_threads = 1;

#pragma omp parallel for num_threads(n_threads) \
    schedule(static) if ((size_t) c * h * w >= ((size_t) 1 << 16))
  for (ch = 0; ch < c; ch++)
    {
      const float *g = gout + (size_t) ch * oh * ow;
      const int32_t *am = argmax + (size_t) ch * oh * ow;
      float *d = gin + (size_t) ch * h * w;
      int i;
      /* Windows do not overlap (stride = size), so each input gets at
         most one output's gradient; += keeps it right regardless. */
      for (i = 0; i < oh * ow; i++)
        d[am[i]] += g[i];
    }
}
