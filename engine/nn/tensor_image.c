/* Image <-> tensor.  The encoders pool 2x2 up to four times, so the image
 * is padded at the bottom and right to a multiple of the net's total
 * downsampling, by reflection (no hard edge for the convs to see), and the
 * decoded tensor is cropped back. */
#include "nn.h"

#include <stdlib.h>
#include <string.h>

/* Source index for padded index I of an axis of N samples, padded by P:
 * reflection when P < N, else edge replication. */
static int
pad_index (int i, int n, bool reflect)
{
  if (i < n)
    return i;
  return reflect ? 2 * n - 2 - i : n - 1;
}

ns_status
ns_image_to_tensor (const ns_image *img, int pad_to, ns_tensor *out,
                    ns_error *err)
{
  int w, h, tw, th;
  bool rx, ry;
  ns_status st;
  int *xs;

  if (out)
    memset (out, 0, sizeof *out);
  if (!img || !img->data || !out || img->width <= 0 || img->height <= 0)
    return ns_fail (err, NS_ERR_INVALID_ARG, "image to tensor: empty image");
  if (pad_to < 1)
    pad_to = 1;
  w = img->width;
  h = img->height;
  if (w > (1 << 28) || h > (1 << 28) || pad_to > (1 << 16))
    return ns_fail (err, NS_ERR_INVALID_ARG, "image to tensor: too large");
  tw = (w + pad_to - 1) / pad_to * pad_to;
  th = (h + pad_to - 1) / pad_to * pad_to;
  rx = tw - w < w;
  ry = th - h < h;
  if ((st = ns_tensor_alloc (out, 3, th, tw, err)) != NS_OK)
    return st;
  xs = malloc (sizeof *xs * (size_t) tw);
  if (!xs)
    {
      ns_tensor_free (out);
      return ns_fail (err, NS_ERR_NOMEM, "out of memory");
    }
  for (int x = 0; x < tw; x++)
    xs[x] = pad_index (x, w, rx);
#pragma omp parallel for collapse(2) schedule(static)
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < th; y++)
      {
        const float *s = img->data +
                         ((size_t) c * h + pad_index (y, h, ry)) * w;
        float *d = out->data + ((size_t) c * th + y) * tw;
        memcpy (d, s, sizeof (float) * (size_t) w);
        for (int x = w; x < tw; x++)
          d[x] = s[xs[x]];
      }
  free (xs);
  return NS_OK;
}

/* IMG: when IMG->data is set, the top-left IMG->width x IMG->height of T
 * is written (the crop of a padded tensor); otherwise IMG is allocated at
 * T's size.  Values are clamped to [0,1]. */
ns_status
ns_tensor_to_image (const ns_tensor *t, ns_image *img, ns_error *err)
{
  ns_status st;
  int w, h;

  if (!t || !t->data || !img)
    return ns_fail (err, NS_ERR_INVALID_ARG, "tensor to image: NULL argument");
  if (t->c != 3)
    return ns_fail (err, NS_ERR_SHAPE,
                    "tensor to image: %d channels, expected 3", t->c);
  if (!img->data && (st = ns_image_alloc (img, t->w, t->h, err)) != NS_OK)
    return st;
  w = img->width;
  h = img->height;
  if (w > t->w || h > t->h || w <= 0 || h <= 0)
    return ns_fail (err, NS_ERR_SHAPE,
                    "tensor to image: a %dx%d tensor cannot fill a %dx%d image",
                    t->w, t->h, w, h);
#pragma omp parallel for collapse(2) schedule(static)
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < h; y++)
      {
        const float *s = t->data + ((size_t) c * t->h + y) * t->w;
        float *d = img->data + ((size_t) c * h + y) * w;
        for (int x = 0; x < w; x++)
          {
            float v = s[x];
            /* NaN becomes 0 too. */
            d[x] = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
          }
      }
  return NS_OK;
}
