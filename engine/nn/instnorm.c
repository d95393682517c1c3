/* Instance normalisation (torch InstanceNorm2d, biased variance, affine
 * optional) with a fused ReLU, in place, and its naive reference.  One
 * channel per thread: the sums of a channel are a sequential double
 * accumulation (two passes: mean, then the centred squares, which keeps
 * the variance accurate when the mean is large against the spread). */
#include "nn.h"

#include <math.h>

static void
norm_channel (float *x, size_t n, float g, float b, float eps, bool relu)
{
  double sum = 0.0, sq = 0.0, mean;
  float scale, shift;

  for (size_t i = 0; i < n; i++)
    sum += x[i];
  mean = sum / (double) n;
  for (size_t i = 0; i < n; i++)
    {
      double d = x[i] - mean;
      sq += d * d;
    }
  scale = (float) (g / sqrt (sq / (double) n + eps));
  shift = (float) (b - mean * scale);
  if (relu)
    for (size_t i = 0; i < n; i++)
      {
        float v = x[i] * scale + shift;
        x[i] = v > 0.0f ? v : 0.0f;
      }
  else
    for (size_t i = 0; i < n; i++)
      x[i] = x[i] * scale + shift;
}

void
ns_instnorm_forward (float *x, int c, int h, int w, const float *gamma,
                     const float *beta, float eps, bool relu, int n_threads)
{
  const size_t n = (size_t) h * w;
  int nt = ns_threads_resolve (n_threads);

  if (nt > c)
    nt = c;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
  for (int ch = 0; ch < c; ch++)
    norm_channel (x + (size_t) ch * n, n, gamma ? gamma[ch] : 1.0f,
                  beta ? beta[ch] : 0.0f, eps, relu);
}

/* One block of BLK channels in the channel-blocked layout (pixel I's
 * lane L at X[I * BLK + L]): the lanes' sums side by side, so the block
 * is read once per pass. */
static void
norm_block (float *x, size_t n, int blk, const float *g, const float *b,
            float eps, bool relu)
{
  double sum[16] = { 0 }, sq[16] = { 0 }, mean[16];
  float scale[16], shift[16];

  for (size_t i = 0; i < n; i++)
    for (int l = 0; l < blk; l++)
      sum[l] += x[i * (size_t) blk + (size_t) l];
  for (int l = 0; l < blk; l++)
    mean[l] = sum[l] / (double) n;
  for (size_t i = 0; i < n; i++)
    for (int l = 0; l < blk; l++)
      {
        double d = x[i * (size_t) blk + (size_t) l] - mean[l];
        sq[l] += d * d;
      }
  for (int l = 0; l < blk; l++)
    {
      scale[l] = (float) ((g ? g[l] : 1.0f) / sqrt (sq[l] / (double) n + eps));
      shift[l] = (float) ((b ? b[l] : 0.0f) - mean[l] * scale[l]);
    }
  for (size_t i = 0; i < n; i++)
    for (int l = 0; l < blk; l++)
      {
        float *p = &x[i * (size_t) blk + (size_t) l];
        float v = *p * scale[l] + shift[l];
        *p = relu && !(v > 0.0f) ? 0.0f : v;
      }
}

void
ns_instnorm_forward_blocked (float *x, int c, int h, int w, int blk,
                             const float *gamma, const float *beta, float eps,
                             bool relu, int n_threads)
{
  const size_t n = (size_t) h * w;
  const int nb = c / blk;
  int nt = ns_threads_resolve (n_threads);

  if (blk <= 1 || blk > 16)
    {
      ns_instnorm_forward (x, c, h, w, gamma, beta, eps, relu, n_threads);
      return;
    }
  if (nt > nb)
    nt = nb;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
  for (int b = 0; b < nb; b++)
    norm_block (x + (size_t) b * n * (size_t) blk, n, blk,
                gamma ? gamma + b * blk : NULL, beta ? beta + b * blk : NULL,
                eps, relu);
}

void
ns_instnorm_ref (const float *in, int c, int h, int w, const float *gamma,
                 const float *beta, float eps, bool relu, float *out)
{
  const size_t n = (size_t) h * w;

  for (int ch = 0; ch < c; ch++)
    {
      const float *src = in + (size_t) ch * n;
      double mean = 0.0, var = 0.0;
      for (size_t i = 0; i < n; i++)
        mean += src[i];
      mean /= (double) n;
      for (size_t i = 0; i < n; i++)
        var += (src[i] - mean) * (src[i] - mean);
      var /= (double) n;
      for (size_t i = 0; i < n; i++)
        {
          double v = (src[i] - mean) / sqrt (var + eps);
          v = v * (gamma ? gamma[ch] : 1.0) + (beta ? beta[ch] : 0.0);
          if (relu && v < 0.0)
            v = 0.0;
          out[(size_t) ch * n + i] = (float) v;
        }
    }
}
