/* Content (feature MSE), style (Gram) and total-variation losses.  Sums
 * are accumulated in double so the loss is reproducible and exact enough
 * for the finite-difference tests. */
#include "gatys-kernels.h"

#include <math.h>

double
ns_content_loss (const float *f, const float *target, size_t n, double weight,
                 double norm, float *df)
{
  double sum = 0.0;
  float k = (float) (2.0 * weight / norm);
  size_t i;
  for (i = 0; i < n; i++)
    {
      float d = f[i] - target[i];
      sum += (double) d * d;
      if (df)
        df[i] += k * d;
    }
  return weight * sum / norm;
}

/* ns_gram_backward wants a symmetric dL/dG: (D + D^T) / 2 gives the same
   gradient through the symmetric G (the target T need not be symmetric). */
static void
symmetrize (float *d, int c)
{
  for (int a = 0; a < c; a++)
    for (int b = 0; b < a; b++)
      {
        float m = 0.5f * (d[(size_t) a * c + b] + d[(size_t) b * c + a]);
        d[(size_t) a * c + b] = m;
        d[(size_t) b * c + a] = m;
      }
}

/* Given the Gram G (C x C) in G_WORK, returns |G - T|^2 and leaves in G_WORK
   the symmetric dL/dG = 2 WEIGHT (G - T) / NORM for ns_gram_backward. */
static double
gram_distance (float *g_work, const float *target, int c, double weight,
               double norm)
{
  size_t cc = (size_t) c * c;
  double sum = 0.0;
  for (size_t i = 0; i < cc; i++)
    {
      float d = g_work[i] - target[i];
      sum += (double) d * d;
      g_work[i] = (float) (2.0 * weight / norm) * d;
    }
  symmetrize (g_work, c);
  return sum;
}

double
ns_style_loss (const float *f, int c, int n, const float *target, double weight,
               double norm, float *g_work, float *df)
{
  float scale = 1.0f / (float) n;
  double sum;

  ns_gram (f, c, n, scale, g_work);
  sum = gram_distance (g_work, target, c, weight, norm);
  if (df)
    ns_gram_backward (f, c, n, scale, g_work, 1.0f, df);
  return weight * sum / norm;
}

double
ns_style_loss_masked (const float *f, int c, int n, const float *m,
                      const float *target, double weight, double norm,
                      float *g_work, float *tmp, float *df)
{
  size_t i;
  double sum, msum = 0.0;
  float scale;
  int ch;

  for (i = 0; i < (size_t) n; i++)
    msum += m[i];
  if (msum < 1e-6)
    return 0.0;
  scale = (float) (1.0 / msum);
  /* G = s (F sqrt(M)) (F sqrt(M))^T: one ssyrk. */
  for (ch = 0; ch < c; ch++)
    for (i = 0; i < (size_t) n; i++)
      tmp[(size_t) ch * n + i] = f[(size_t) ch * n + i] * sqrtf (m[i]);
  ns_gram (tmp, c, n, scale, g_work);
  sum = gram_distance (g_work, target, c, weight, norm);
  /* dL/dF = 2 s DG (F M). */
  if (df)
    {
      for (ch = 0; ch < c; ch++)
        for (i = 0; i < (size_t) n; i++)
          tmp[(size_t) ch * n + i] = f[(size_t) ch * n + i] * m[i];
      ns_gram_backward (tmp, c, n, scale, g_work, 1.0f, df);
    }
  return weight * sum / norm;
}

double
ns_tv_loss (const float *x, int c, int h, int w, double weight, float *dx)
{
  double sum = 0.0;
  double norm = (double) c * h * w;
  float k = (float) (2.0 * weight / norm);
  int ch, y, xx;
  for (ch = 0; ch < c; ch++)
    {
      const float *p = x + (size_t) ch * h * w;
      float *g = dx ? dx + (size_t) ch * h * w : NULL;
      for (y = 0; y < h; y++)
        for (xx = 0; xx < w; xx++)
          {
            size_t i = (size_t) y * w + xx;
            if (xx + 1 < w)
              {
                float d = p[i + 1] - p[i];
                sum += (double) d * d;
                if (g)
                  {
                    g[i + 1] += k * d;
                    g[i] -= k * d;
                  }
              }
            if (y + 1 < h)
              {
                float d = p[i + w] - p[i];
                sum += (double) d * d;
                if (g)
                  {
                    g[i + w] += k * d;
                    g[i] -= k * d;
                  }
              }
          }
    }
  return weight * sum / norm;
}
