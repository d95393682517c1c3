/* Interleaved pixels <-> the engine's planar images and masks: the one
 * conversion used by the plug-in, the dialog, nstyle and the tests. */
#include "ns-internal.h"

#include <math.h>
#include <string.h>

static float
clamp01 (float v)
{
  /* As GLib's CLAMP: NaN passes through (the engine refuses it later). */
  return v > 1.0f ? 1.0f : v < 0.0f ? 0.0f : v;
}

static size_t
sample_bytes (ns_pixel_type type)
{
  return type == NS_PIXELS_U8 ? 1 : sizeof (float);
}

static ns_status
check_layout (const void *pixels, int width, int height,
              const ns_pixel_layout *layout, size_t *stride, ns_error *err)
{
  size_t packed;
  if (!pixels || width <= 0 || height <= 0 || layout->channels < 1 ||
      layout->channels > 4 ||
      (layout->type != NS_PIXELS_U8 && layout->type != NS_PIXELS_FLOAT))
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "pixels: bad layout (%dx%d, %d channels)", width, height,
                    layout->channels);
  if (!ns_size_mul ((size_t) width,
                    (size_t) layout->channels * sample_bytes (layout->type),
                    &packed))
    return ns_fail (err, NS_ERR_INVALID_ARG, "pixels: row too large");
  *stride = layout->rowstride ? layout->rowstride : packed;
  if (*stride < packed)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "pixels: row stride %zu < %zu bytes", *stride, packed);
  return NS_OK;
}

/* Sample C of pixel X in ROW, as a float in the pixel type's 0..1 scale. */
static inline float
sample (const unsigned char *row, ns_pixel_type type, int channels, int x,
        int c)
{
  size_t i = (size_t) x * channels + c;
  if (type == NS_PIXELS_U8)
    return row[i] / 255.0f;
  return ((const float *) row)[i];
}

ns_status
ns_image_from_pixels (const void *pixels, int width, int height,
                      ns_pixel_layout layout, ns_image *img, float *alpha,
                      ns_error *err)
{
  size_t stride, plane = (size_t) width * (size_t) height;
  int nc = layout.channels;
  bool grey = nc <= 2, has_alpha = nc == 2 || nc == 4;
  ns_status st = check_layout (pixels, width, height, &layout, &stride, err);

  if (st != NS_OK)
    return st;
  if ((st = ns_image_alloc (img, width, height, err)) != NS_OK)
    return st;
  for (int y = 0; y < height; y++)
    {
      const unsigned char *row = (const unsigned char *) pixels + y * stride;
      size_t o = (size_t) y * width;
      for (int x = 0; x < width; x++)
        {
          for (int c = 0; c < 3; c++)
            img->data[c * plane + o + x] = clamp01 (
                sample (row, layout.type, nc, x, grey ? 0 : c));
          if (alpha)
            alpha[o + x] = has_alpha ? sample (row, layout.type, nc, x, nc - 1)
                                     : 1.0f;
        }
    }
  return NS_OK;
}

ns_status
ns_image_to_pixels (const ns_image *img, const float *alpha, void *pixels,
                    ns_pixel_layout layout, ns_error *err)
{
  size_t stride, plane;
  int nc = layout.channels;
  ns_status st;

  if (!img || !img->data)
    return ns_fail (err, NS_ERR_INVALID_ARG, "pixels: no image");
  if (nc != 3 && nc != 4)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "pixels: can write RGB or RGBA only (%d channels)", nc);
  st = check_layout (pixels, img->width, img->height, &layout, &stride, err);
  if (st != NS_OK)
    return st;
  plane = (size_t) img->width * (size_t) img->height;
  for (int y = 0; y < img->height; y++)
    {
      unsigned char *row = (unsigned char *) pixels + y * stride;
      size_t o = (size_t) y * img->width;
      for (int x = 0; x < img->width; x++)
        for (int c = 0; c < nc; c++)
          {
            float v = c < 3   ? img->data[c * plane + o + x]
                      : alpha ? alpha[o + x]
                              : 1.0f;
            size_t i = (size_t) x * nc + c;
            if (layout.type == NS_PIXELS_FLOAT)
              ((float *) row)[i] = v;
            else
              /* NaN and below 0 give 0. */
              row[i] = !(v > 0.0f) ? 0
                       : v >= 1.0f ? 255
                                   : (unsigned char) lrintf (v * 255.0f);
          }
    }
  return NS_OK;
}

ns_status
ns_mask_from_pixels (const void *pixels, int width, int height,
                     ns_pixel_layout layout, int channel, ns_mask *mask,
                     ns_error *err)
{
  size_t stride;
  int nc = layout.channels;
  ns_status st = check_layout (pixels, width, height, &layout, &stride, err);

  if (st != NS_OK)
    return st;
  if (channel >= nc)
    return ns_fail (err, NS_ERR_INVALID_ARG, "pixels: no channel %d in %d",
                    channel, nc);
  if ((st = ns_mask_alloc (mask, width, height, err)) != NS_OK)
    return st;
  for (int y = 0; y < height; y++)
    {
      const unsigned char *row = (const unsigned char *) pixels + y * stride;
      float *out = mask->data + (size_t) y * width;
      for (int x = 0; x < width; x++)
        {
          float v;
          if (channel >= 0)
            v = sample (row, layout.type, nc, x, channel);
          else if (nc <= 2)
            v = sample (row, layout.type, nc, x, 0);
          else
            v = 0.299f * sample (row, layout.type, nc, x, 0) +
                0.587f * sample (row, layout.type, nc, x, 1) +
                0.114f * sample (row, layout.type, nc, x, 2);
          out[x] = clamp01 (v);
        }
    }
  return NS_OK;
}
