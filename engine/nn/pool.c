/* 2x2 stride-2 max pooling, floor or ceil mode as PyTorch's
 * MaxPool2d(2, 2, ceil_mode): the forward pass (recording the winners when
 * asked, for the Gatys backward pass), the backward pass routing each
 * output gradient to its winner, and the naive reference.  With stride 2
 * and no padding, ceil mode adds a last row/column whose window holds a
 * single input row/column. */
#include "nn.h"

#include <math.h>
#include <string.h>

/* Elementwise loops smaller than this stay on one thread (a parallel
 * region costs more than the loop, and far more on a busy machine). */
#define NS_POOL_PAR_MIN ((size_t) 1 << 16)

void
ns_maxpool2x2_shape (int h, int w, bool ceil_mode, int *oh, int *ow)
{
  *oh = ceil_mode ? (h + 1) / 2 : h / 2;
  *ow = ceil_mode ? (w + 1) / 2 : w / 2;
}

/* Output shape into OUT (data NULL); NS_ERR_SHAPE when too small. */
static ns_status
pool_shape (const ns_tensor *in, bool ceil_mode, ns_tensor *out, ns_error *err)
{
  if (out)
    memset (out, 0, sizeof *out);
  if (!in || !in->data || !out)
    return ns_fail (err, NS_ERR_INVALID_ARG, "maxpool: NULL argument");
  out->c = in->c;
  ns_maxpool2x2_shape (in->h, in->w, ceil_mode, &out->h, &out->w);
  if (out->h <= 0 || out->w <= 0)
    {
      memset (out, 0, sizeof *out);
      return ns_fail (err, NS_ERR_SHAPE,
                      "maxpool: a %dx%d input is too small to pool", in->w,
                      in->h);
    }
  return NS_OK;
}

static ns_status
pool_alloc (const ns_tensor *in, bool ceil_mode, ns_tensor *out, ns_error *err)
{
  ns_status st = pool_shape (in, ceil_mode, out, err);
  if (st != NS_OK)
    return st;
  return ns_tensor_alloc (out, out->c, out->h, out->w, err);
}

ns_status
ns_maxpool2x2 (const ns_tensor *in, bool ceil_mode, ns_tensor *out,
               ns_error *err)
{
  ns_status st = pool_alloc (in, ceil_mode, out, err);
  if (st != NS_OK)
    return st;
  return ns_maxpool2x2_buf (in, ceil_mode, out->data, out, err);
}

void
ns_maxpool2x2_into (const float *in, int c, int h, int w, bool ceil_mode,
                    float *out, int32_t *argmax, int n_threads)
{
  int oh, ow;
  ns_maxpool2x2_shape (h, w, ceil_mode, &oh, &ow);
  n_threads = ns_threads_resolve (n_threads);

#pragma omp parallel for num_threads(n_threads) \
    schedule(static) if ((size_t) c * h * w >= NS_POOL_PAR_MIN)
  for (int ch = 0; ch < c; ch++)
    {
      const float *src = in + (size_t) ch * h * w;
      float *dst = out + (size_t) ch * oh * ow;
      int32_t *am = argmax ? argmax + (size_t) ch * oh * ow : NULL;
      for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
          {
            int y0 = 2 * oy, x0 = 2 * ox;
            int y1 = y0 + 2 < h ? y0 + 2 : h, x1 = x0 + 2 < w ? x0 + 2 : w;
            int best = y0 * w + x0;
            float m = src[best];
            for (int y = y0; y < y1; y++)
              for (int x = x0; x < x1; x++)
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
ns_maxpool2x2_backward (const float *gout, const int32_t *argmax, int c, int h,
                        int w, bool ceil_mode, float *gin, int n_threads)
{
  int oh, ow;
  ns_maxpool2x2_shape (h, w, ceil_mode, &oh, &ow);
  memset (gin, 0, sizeof (float) * (size_t) c * h * w);
  n_threads = ns_threads_resolve (n_threads);

#pragma omp parallel for num_threads(n_threads) \
    schedule(static) if ((size_t) c * h * w >= NS_POOL_PAR_MIN)
  for (int ch = 0; ch < c; ch++)
    {
      const float *g = gout + (size_t) ch * oh * ow;
      const int32_t *am = argmax + (size_t) ch * oh * ow;
      float *d = gin + (size_t) ch * h * w;
      /* Windows do not overlap (stride = size), so each input gets at
         most one output's gradient; += keeps it right regardless. */
      for (int i = 0; i < oh * ow; i++)
        d[am[i]] += g[i];
    }
}

ns_status
ns_maxpool2x2_buf (const ns_tensor *in, bool ceil_mode, float *buf,
                   ns_tensor *out, ns_error *err)
{
  ns_status st = pool_shape (in, ceil_mode, out, err);
  if (st != NS_OK)
    return st;
  out->data = buf;
  ns_maxpool2x2_into (in->data, in->c, in->h, in->w, ceil_mode, buf, NULL, 0);
  return NS_OK;
}

ns_status
ns_maxpool2x2_ref (const ns_tensor *in, bool ceil_mode, ns_tensor *out,
                   ns_error *err)
{
  ns_status st = pool_alloc (in, ceil_mode, out, err);
  if (st != NS_OK)
    return st;
  for (int c = 0; c < out->c; c++)
    for (int y = 0; y < out->h; y++)
      for (int x = 0; x < out->w; x++)
        {
          float m = -1e38f;
          bool any = false;
          for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++)
              {
                int sy = 2 * y + dy, sx = 2 * x + dx;
                float v;
                if (sy >= in->h || sx >= in->w)
                  continue;
                v = in->data[((size_t) c * in->h + sy) * in->w + sx];
                if (!any || v > m)
                  m = v;
                any = true;
              }
          out->data[((size_t) c * out->h + y) * out->w + x] = m;
        }
  return NS_OK;
}
