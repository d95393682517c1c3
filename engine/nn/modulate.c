/* Per-channel modulation, residual add, channel statistics and the AdaIN
 * blend (see nn-microast.h): MicroAST's filter modulation
 * (x2 = w * conv1 (x) + b * x) and feature modulation (AdaIN). */
#include "nn-microast.h"

#include <math.h>

void
ns_modulate_into (const float *a, const float *x, const float *wt,
                  const float *bs, const float *res, int c, size_t hw,
                  bool relu, float *out, int n_threads)
{
  const int nt = ns_threads_resolve (n_threads);
  /* Chunks of a channel so that two threads share even a few channels. */
  const size_t chunk = 4096, per = (hw + chunk - 1) / chunk;
  const long n = (long) c * (long) per;

#pragma omp parallel for schedule(static) num_threads(nt)
  for (long t = 0; t < n; t++)
    {
      const int ch = (int) (t / (long) per);
      const size_t i0 = (size_t) (t % (long) per) * chunk;
      const size_t i1 = i0 + chunk < hw ? i0 + chunk : hw;
      const size_t off = (size_t) ch * hw;
      const float w = wt[ch], b = bs[ch];
      for (size_t i = i0; i < i1; i++)
        {
          float v = w * a[off + i] + b * x[off + i];
          if (relu)
            v = v > 0.0f ? v : 0.0f;
          out[off + i] = res ? res[off + i] + v : v;
        }
    }
}

void
ns_modulate_ref (const float *a, const float *x, const float *wt,
                 const float *bs, const float *res, int c, size_t hw, bool relu,
                 float *out)
{
  for (int ch = 0; ch < c; ch++)
    for (size_t i = 0; i < hw; i++)
      {
        size_t j = (size_t) ch * hw + i;
        double v = (double) wt[ch] * a[j] + (double) bs[ch] * x[j];
        if (relu && v < 0.0)
          v = 0.0;
        out[j] = (float) (res ? res[j] + v : v);
      }
}

void
ns_residual_add (float *y, const float *x, size_t n, int n_threads)
{
  const int nt = ns_threads_resolve (n_threads);
#pragma omp parallel for schedule(static) num_threads(nt)
  for (size_t i = 0; i < n; i++)
    y[i] += x[i];
}

void
ns_channel_mean_std (const float *x, int c, size_t hw, double eps, double *mean,
                     double *std, int n_threads)
{
  const int nt = ns_threads_resolve (n_threads);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int ch = 0; ch < c; ch++)
    {
      const float *p = x + (size_t) ch * hw;
      double s = 0.0, m, ss = 0.0;
      for (size_t i = 0; i < hw; i++)
        s += p[i];
      m = s / (double) hw;
      for (size_t i = 0; i < hw; i++)
        {
          double d = p[i] - m;
          ss += d * d;
        }
      if (mean)
        mean[ch] = m;
      if (std)
        std[ch] = sqrt (ss / (double) (hw - 1) + eps);
    }
}

void
ns_channel_mean_std_ref (const float *x, int c, size_t hw, double eps,
                         double *mean, double *std)
{
  /* Welford's update: a different algorithm from the kernel's two passes. */
  for (int ch = 0; ch < c; ch++)
    {
      double m = 0.0, m2 = 0.0;
      for (size_t i = 0; i < hw; i++)
        {
          double v = x[(size_t) ch * hw + i], d = v - m;
          m += d / (double) (i + 1);
          m2 += d * (v - m);
        }
      if (mean)
        mean[ch] = m;
      if (std)
        std[ch] = sqrt (m2 / (double) (hw - 1) + eps);
    }
}

void
ns_adain_blend (float *x, int c, size_t hw, const double *cm, const double *cs,
                const double *sm, const double *ss, double alpha, int n_threads)
{
  const int nt = ns_threads_resolve (n_threads);
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int ch = 0; ch < c; ch++)
    {
      /* alpha ((v - cm) / cs * ss + sm) + (1 - alpha) v = a v + b */
      const double g = ss[ch] / cs[ch];
      const float a = (float) (alpha * g + (1.0 - alpha));
      const float b = (float) (alpha * (sm[ch] - cm[ch] * g));
      float *p = x + (size_t) ch * hw;
      for (size_t i = 0; i < hw; i++)
        p[i] = a * p[i] + b;
    }
}

void
ns_adain_blend_ref (float *x, int c, size_t hw, const double *cm,
                    const double *cs, const double *sm, const double *ss,
                    double alpha)
{
  for (int ch = 0; ch < c; ch++)
    for (size_t i = 0; i < hw; i++)
      {
        double v = x[(size_t) ch * hw + i];
        double t = (v - cm[ch]) / cs[ch] * ss[ch] + sm[ch];
        x[(size_t) ch * hw + i] = (float) (alpha * t + (1.0 - alpha) * v);
      }
}
