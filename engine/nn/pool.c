/* 2x2 stride-2 max pooling, floor or ceil mode as PyTorch's
 * MaxPool2d(2, 2, ceil_mode).  With stride 2 and no padding, ceil mode
 * adds a last row/column whose window holds a single input row/column. */
#include "nn.h"

#include <string.h>

/* Output shape into OUT (data NULL); NS_ERR_SHAPE when too small. */
static ns_status
pool_shape (const ns_tensor *in, bool ceil_mode, ns_tensor *out,
            ns_error *err)
{
  if (out)
    memset (out, 0, sizeof *out);
  if (!in || !in->data || !out)
    return ns_fail (err, NS_ERR_INVALID_ARG, "maxpool: NULL argument");
  out->c = in->c;
  out->h = ceil_mode ? (in->h + 1) / 2 : in->h / 2;
  out->w = ceil_mode ? (in->w + 1) / 2 : in->w / 2;
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
pool_alloc (const ns_tensor *in, bool ceil_mode, ns_tensor *out,
            ns_error *err)
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

ns_status
ns_maxpool2x2_buf (const ns_tensor *in, bool ceil_mode, float *buf,
                   ns_tensor *out, ns_error *err)
{
  ns_status st = pool_shape (in, ceil_mode, out, err);
  const int ih = in ? in->h : 0, iw = in ? in->w : 0;
  if (st != NS_OK)
    return st;
  out->data = buf;
  const int oh = out->h, ow = out->w;
  /* Output columns whose window is complete (both inputs exist). */
  const int ow_full = iw / 2;

#pragma omp parallel for schedule(static) collapse(2)
  for (int c = 0; c < in->c; c++)
    for (int y = 0; y < oh; y++)
      {
        const float *r0 = in->data + ((size_t) c * ih + 2 * y) * iw;
        /* Ceil mode's last row may have only one input row. */
        const float *r1 = 2 * y + 1 < ih ? r0 + iw : r0;
        float *o = out->data + ((size_t) c * oh + y) * ow;
        int x;
        for (x = 0; x < ow_full; x++)
          {
            float a = r0[2 * x] > r0[2 * x + 1] ? r0[2 * x] : r0[2 * x + 1];
            float b = r1[2 * x] > r1[2 * x + 1] ? r1[2 * x] : r1[2 * x + 1];
            o[x] = a > b ? a : b;
          }
        for (; x < ow; x++)
          o[x] = r0[2 * x] > r1[2 * x] ? r0[2 * x] : r1[2 * x];
      }
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
