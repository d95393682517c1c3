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
