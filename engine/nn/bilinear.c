/* Bilinear x2 upsampling as PyTorch's F.interpolate (scale_factor=2,
 * mode='bilinear', align_corners=False), MicroAST's nn.Upsample. */
#include "nn-microast.h"

#include <math.h>

/* Source taps of output index D on an axis of N inputs (scale 1/2):
 * PyTorch's area_pixel_compute_source_index, negative coordinates clamped
 * to 0, the upper tap clamped to the last input. */
static inline void
taps (int d, int n, int *i0, int *i1, float *l0, float *l1)
{
  float src = 0.5f * ((float) d + 0.5f) - 0.5f;
  if (src < 0.0f)
    src = 0.0f;
  *i0 = (int) src;
  *i1 = *i0 + (*i0 < n - 1 ? 1 : 0);
  *l1 = src - (float) *i0;
  *l0 = 1.0f - *l1;
}

void
ns_bilinear2x_xtaps (int w, int *xi, float *xl)
{
  for (int x = 0; x < 2 * w; x++)
    taps (x, w, &xi[2 * x], &xi[2 * x + 1], &xl[2 * x], &xl[2 * x + 1]);
}

void
ns_bilinear2x_row (const float *plane, int h, int w, int y, const int *xi,
                   const float *xl, float *orow)
{
  int y0, y1;
  float h0, h1;
  taps (y, h, &y0, &y1, &h0, &h1);
  const float *r0 = plane + (size_t) y0 * w, *r1 = plane + (size_t) y1 * w;
  for (int x = 0; x < 2 * w; x++)
    {
      const int a = xi[2 * x], b = xi[2 * x + 1];
      const float w0 = xl[2 * x], w1 = xl[2 * x + 1];
      /* PyTorch's order of operations. */
      orow[x] = h0 * (w0 * r0[a] + w1 * r0[b]) + h1 * (w0 * r1[a] + w1 * r1[b]);
    }
}

void
ns_bilinear2x_into (const float *in, int c, int h, int w, float *out,
                    int n_threads)
{
  const int oh = 2 * h, ow = 2 * w;
  const int nt = ns_threads_resolve (n_threads);
  int *xi = ns_alloc (sizeof (int) * 2 * (size_t) ow);
  float *xl = ns_alloc (sizeof (float) * 2 * (size_t) ow);

  if (!xi || !xl)
    {
      /* The reference allocates nothing: slower, never fails. */
      ns_free (xi);
      ns_free (xl);
      ns_bilinear2x_ref (in, c, h, w, out);
      return;
    }
  ns_bilinear2x_xtaps (w, xi, xl);
#pragma omp parallel for collapse(2) schedule(static) num_threads(nt)
  for (int ch = 0; ch < c; ch++)
    for (int y = 0; y < oh; y++)
      ns_bilinear2x_row (in + (size_t) ch * h * w, h, w, y, xi, xl,
                         out + ((size_t) ch * oh + y) * ow);
  ns_free (xi);
  ns_free (xl);
}

void
ns_bilinear2x_ref (const float *in, int c, int h, int w, float *out)
{
  const int oh = 2 * h, ow = 2 * w;
  const double sy = (double) h / oh, sx = (double) w / ow;
  for (int ch = 0; ch < c; ch++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        {
          double fy = fmax (0.0, sy * (y + 0.5) - 0.5);
          double fx = fmax (0.0, sx * (x + 0.5) - 0.5);
          int y0 = (int) fy, x0 = (int) fx;
          int y1 = y0 + 1 < h ? y0 + 1 : h - 1,
              x1 = x0 + 1 < w ? x0 + 1 : w - 1;
          double ly = fy - y0, lx = fx - x0;
          const float *p = in + (size_t) ch * h * w;
          double v = (1 - ly) * ((1 - lx) * p[(size_t) y0 * w + x0] +
                                 lx * p[(size_t) y0 * w + x1]) +
                     ly * ((1 - lx) * p[(size_t) y1 * w + x0] +
                           lx * p[(size_t) y1 * w + x1]);
          out[((size_t) ch * oh + y) * ow + x] = (float) v;
        }
}
