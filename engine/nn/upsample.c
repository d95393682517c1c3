/* Nearest-neighbour x2 upsampling (nn.Upsample(scale_factor=2)). */
#include "nn.h"

#include <string.h>

static ns_status
up_shape (const ns_tensor *in, ns_tensor *out, ns_error *err)
{
  if (out)
    memset (out, 0, sizeof *out);
  if (!in || !in->data || !out)
    return ns_fail (err, NS_ERR_INVALID_ARG, "upsample: NULL argument");
  if (in->h > (1 << 29) || in->w > (1 << 29))
    return ns_fail (err, NS_ERR_INVALID_ARG, "upsample: input too large");
  out->c = in->c;
  out->h = 2 * in->h;
  out->w = 2 * in->w;
  return NS_OK;
}

static ns_status
up_alloc (const ns_tensor *in, ns_tensor *out, ns_error *err)
{
  ns_status st = up_shape (in, out, err);
  if (st != NS_OK)
    return st;
  return ns_tensor_alloc (out, out->c, out->h, out->w, err);
}

ns_status
ns_upsample2x (const ns_tensor *in, ns_tensor *out, ns_error *err)
{
  ns_status st = up_alloc (in, out, err);
  if (st != NS_OK)
    return st;
  return ns_upsample2x_buf (in, out->data, out, err);
}

ns_status
ns_upsample2x_buf (const ns_tensor *in, float *buf, ns_tensor *out,
                   ns_error *err)
{
  ns_status st = up_shape (in, out, err);
  if (st != NS_OK)
    return st;
  out->data = buf;
  const int ih = in->h, iw = in->w, ow = out->w;

#pragma omp parallel for schedule(static) collapse(2)
  for (int c = 0; c < in->c; c++)
    for (int y = 0; y < ih; y++)
      {
        const float *s = in->data + ((size_t) c * ih + y) * iw;
        float *o = out->data + ((size_t) c * out->h + 2 * y) * ow;
        for (int x = 0; x < iw; x++)
          o[2 * x] = o[2 * x + 1] = s[x];
        /* The second output row is a copy of the first. */
        memcpy (o + ow, o, sizeof (float) * (size_t) ow);
      }
  return NS_OK;
}

ns_status
ns_upsample2x_ref (const ns_tensor *in, ns_tensor *out, ns_error *err)
{
  ns_status st = up_alloc (in, out, err);
  if (st != NS_OK)
    return st;
  for (int c = 0; c < out->c; c++)
    for (int y = 0; y < out->h; y++)
      for (int x = 0; x < out->w; x++)
        out->data[((size_t) c * out->h + y) * out->w + x] =
            in->data[((size_t) c * in->h + y / 2) * in->w + x / 2];
  return NS_OK;
}

ns_status
ns_upsample2x_blocked (const ns_tensor *in, int blk, ns_tensor *out,
                       ns_error *err)
{
  ns_status st = up_alloc (in, out, err);
  if (st != NS_OK)
    return st;
  const int ih = in->h, iw = in->w, ow = out->w, nb = in->c / blk;
  const size_t px = sizeof (float) * (size_t) blk;

  /* Whole pixels of BLK lanes are copied. */
#pragma omp parallel for schedule(static) collapse(2)
  for (int b = 0; b < nb; b++)
    for (int y = 0; y < ih; y++)
      {
        const float *s = in->data + ((size_t) b * ih + y) * iw * (size_t) blk;
        float *o = out->data +
                   ((size_t) b * out->h + 2 * y) * ow * (size_t) blk;
        for (int x = 0; x < iw; x++)
          {
            memcpy (o + (size_t) (2 * x) * blk, s + (size_t) x * blk, px);
            memcpy (o + (size_t) (2 * x + 1) * blk, s + (size_t) x * blk, px);
          }
        memcpy (o + (size_t) ow * blk, o, px * (size_t) ow);
      }
  return NS_OK;
}
