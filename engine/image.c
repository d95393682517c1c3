/* Image and mask allocation and resampling. */
#include "stylize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------------- images */

ns_status
ns_image_alloc (ns_image *img, int width, int height, ns_error *err)
{
  size_t n;
  img->width = img->height = 0;
  img->data = NULL;
  if (width <= 0 || height <= 0)
    return ns_fail (err, NS_ERR_INVALID_ARG, "bad image size %dx%d", width,
                    height);
  if (!ns_size_mul ((size_t) width, (size_t) height, &n) ||
      !ns_size_mul (n, 3 * sizeof (float), &n))
    return ns_fail (err, NS_ERR_NOMEM, "image %dx%d is too large", width,
                    height);
  img->data = ns_alloc (n);
  if (!img->data)
    return ns_fail (err, NS_ERR_NOMEM, "out of memory for a %dx%d image", width,
                    height);
  img->width = width;
  img->height = height;
  return NS_OK;
}

void
ns_image_free (ns_image *img)
{
  if (!img)
    return;
  ns_free (img->data);
  img->data = NULL;
  img->width = img->height = 0;
}

ns_status
ns_mask_alloc (ns_mask *mask, int width, int height, ns_error *err)
{
  size_t n;
  mask->width = mask->height = 0;
  mask->data = NULL;
  if (width <= 0 || height <= 0)
    return ns_fail (err, NS_ERR_INVALID_ARG, "bad mask size %dx%d", width,
                    height);
  if (!ns_size_mul ((size_t) width, (size_t) height, &n) ||
      !ns_size_mul (n, sizeof (float), &n))
    return ns_fail (err, NS_ERR_NOMEM, "mask %dx%d is too large", width,
                    height);
  mask->data = ns_alloc (n);
  if (!mask->data)
    return ns_fail (err, NS_ERR_NOMEM, "out of memory for a %dx%d mask", width,
                    height);
  mask->width = width;
  mask->height = height;
  return NS_OK;
}

void
ns_mask_free (ns_mask *mask)
{
  if (!mask)
    return;
  ns_free (mask->data);
  mask->data = NULL;
  mask->width = mask->height = 0;
}

/* Separable resampling weights for one axis: a triangle filter whose
 * support widens with the scale when shrinking (area-like), so that
 * downscaled styles do not alias. */
typedef struct
{
  int first; /* first source index */
  int n;     /* taps */
  int off;   /* offset into the shared weight array */
} ns_taps;

static ns_status
make_taps (int src, int dst, ns_taps **taps_out, float **w_out, ns_error *err)
{
  double scale = (double) dst / (double) src;
  double support = scale < 1.0 ? 1.0 / scale : 1.0;
  int max_taps = (int) ceil (support) * 2 + 2;
  size_t nw;
  ns_taps *taps;
  float *w;
  int i, off = 0;

  if (!ns_size_mul ((size_t) dst, (size_t) max_taps, &nw))
    return ns_fail (err, NS_ERR_NOMEM, "resize too large");
  taps = malloc (sizeof *taps * (size_t) dst);
  w = malloc (sizeof *w * nw);
  if (!taps || !w)
    {
      free (taps);
      free (w);
      return ns_fail (err, NS_ERR_NOMEM, "out of memory in resize");
    }
  for (i = 0; i < dst; i++)
    {
      double center = (i + 0.5) / scale - 0.5;
      int lo = (int) floor (center - support);
      int hi = (int) ceil (center + support);
      double sum = 0.0;
      int j, n = 0;
      if (lo < 0)
        lo = 0;
      if (hi > src - 1)
        hi = src - 1;
      for (j = lo; j <= hi && n < max_taps; j++)
        {
          double d = fabs ((j - center) / support);
          double v = d < 1.0 ? 1.0 - d : 0.0;
          w[off + n++] = (float) v;
          sum += v;
        }
      if (sum <= 0.0)
        {
          /* Degenerate (tiny source): nearest sample. */
          int nearest = (int) floor (center + 0.5);
          if (nearest < 0)
            nearest = 0;
          if (nearest > src - 1)
            nearest = src - 1;
          lo = nearest;
          n = 1;
          w[off] = 1.0f;
          sum = 1.0;
        }
      for (j = 0; j < n; j++)
        w[off + j] = (float) (w[off + j] / sum);
      taps[i].first = lo;
      taps[i].n = n;
      taps[i].off = off;
      off += n;
    }
  *taps_out = taps;
  *w_out = w;
  return NS_OK;
}

/* Resizes N_PLANES planes of SW x SH floats from SRC into W x H planes at
 * DST, each plane alike. */
static ns_status
resize_planes (const float *src, int sw, int sh, int n_planes, float *dst,
               int width, int height, ns_error *err)
{
  ns_taps *tx = NULL, *ty = NULL;
  float *wx = NULL, *wy = NULL, *tmp = NULL;
  ns_status st;

  if ((st = make_taps (sw, width, &tx, &wx, err)) != NS_OK ||
      (st = make_taps (sh, height, &ty, &wy, err)) != NS_OK)
    goto out;
  tmp = malloc (sizeof *tmp * (size_t) sh * (size_t) width);
  if (!tmp)
    {
      st = ns_fail (err, NS_ERR_NOMEM, "out of memory in resize");
      goto out;
    }
  for (int c = 0; c < n_planes; c++)
    {
      const float *s = src + (size_t) c * sw * sh;
      float *d = dst + (size_t) c * width * height;
      /* Horizontal pass into TMP (sh x width). */
#pragma omp parallel for schedule(static)
      for (int y = 0; y < sh; y++)
        for (int x = 0; x < width; x++)
          {
            const float *row = s + (size_t) y * sw + tx[x].first;
            const float *w = wx + tx[x].off;
            float acc = 0.0f;
            for (int k = 0; k < tx[x].n; k++)
              acc += w[k] * row[k];
            tmp[(size_t) y * width + x] = acc;
          }
          /* Vertical pass. */
#pragma omp parallel for schedule(static)
      for (int y = 0; y < height; y++)
        {
          float *drow = d + (size_t) y * width;
          const float *w = wy + ty[y].off;
          for (int x = 0; x < width; x++)
            drow[x] = 0.0f;
          for (int k = 0; k < ty[y].n; k++)
            {
              const float *srow = tmp + (size_t) (ty[y].first + k) * width;
              for (int x = 0; x < width; x++)
                drow[x] += w[k] * srow[x];
            }
        }
    }
  st = NS_OK;
out:
  free (tx);
  free (ty);
  free (wx);
  free (wy);
  free (tmp);
  return st;
}

ns_status
ns_image_resize (const ns_image *src, int width, int height, ns_image *dst,
                 ns_error *err)
{
  ns_status st;

  if (!src || !src->data || src->width <= 0 || src->height <= 0)
    return ns_fail (err, NS_ERR_INVALID_ARG, "resize: empty source image");
  if ((st = ns_image_alloc (dst, width, height, err)) != NS_OK)
    return st;
  st = resize_planes (src->data, src->width, src->height, 3, dst->data, width,
                      height, err);
  if (st != NS_OK)
    ns_image_free (dst);
  return st;
}

ns_status
ns_mask_resize (const ns_mask *src, int width, int height, ns_mask *dst,
                ns_error *err)
{
  ns_status st;

  if (!src || !src->data || src->width <= 0 || src->height <= 0)
    return ns_fail (err, NS_ERR_INVALID_ARG, "resize: empty source mask");
  if ((st = ns_mask_alloc (dst, width, height, err)) != NS_OK)
    return st;
  st = resize_planes (src->data, src->width, src->height, 1, dst->data, width,
                      height, err);
  if (st != NS_OK)
    ns_mask_free (dst);
  return st;
}

ns_status
ns_resize_region (ns_region_fn read, void *user_data, int sw, int sh,
                  int n_planes, int dw, int dh, int x0, int y0, int w, int h,
                  float *out, ns_error *err)
{
  ns_taps *tx = NULL, *ty = NULL;
  float *wx = NULL, *wy = NULL, *src = NULL, *tmp = NULL;
  int sx0 = sw, sx1 = 0, sy0 = sh, sy1 = 0, rw, rh;
  ns_status st;

  if (w <= 0 || h <= 0 || x0 < 0 || y0 < 0 || x0 + w > dw || y0 + h > dh)
    return ns_fail (err, NS_ERR_INVALID_ARG, "resize: bad region");
  if ((st = make_taps (sw, dw, &tx, &wx, err)) != NS_OK ||
      (st = make_taps (sh, dh, &ty, &wy, err)) != NS_OK)
    goto out;
  /* The source rectangle the region's taps reach. */
  for (int x = x0; x < x0 + w; x++)
    {
      if (tx[x].first < sx0)
        sx0 = tx[x].first;
      if (tx[x].first + tx[x].n > sx1)
        sx1 = tx[x].first + tx[x].n;
    }
  for (int y = y0; y < y0 + h; y++)
    {
      if (ty[y].first < sy0)
        sy0 = ty[y].first;
      if (ty[y].first + ty[y].n > sy1)
        sy1 = ty[y].first + ty[y].n;
    }
  rw = sx1 - sx0;
  rh = sy1 - sy0;
  src = ns_alloc (sizeof *src * (size_t) n_planes * rw * rh);
  tmp = ns_alloc (sizeof *tmp * (size_t) rh * w);
  if (!src || !tmp)
    {
      st = ns_fail (err, NS_ERR_NOMEM, "out of memory in resize");
      goto out;
    }
  if ((st = read (user_data, sx0, sy0, rw, rh, src, err)) != NS_OK)
    goto out;
  /* The same passes, in the same order, as resize_planes: bit-identical
   * to the region of a whole-image resize. */
  for (int c = 0; c < n_planes; c++)
    {
      const float *s = src + (size_t) c * rw * rh;
      float *d = out + (size_t) c * w * h;
#pragma omp parallel for schedule(static)
      for (int y = 0; y < rh; y++)
        for (int x = 0; x < w; x++)
          {
            const ns_taps *t = &tx[x0 + x];
            const float *row = s + (size_t) y * rw + (t->first - sx0);
            const float *wk = wx + t->off;
            float acc = 0.0f;
            for (int k = 0; k < t->n; k++)
              acc += wk[k] * row[k];
            tmp[(size_t) y * w + x] = acc;
          }
#pragma omp parallel for schedule(static)
      for (int y = 0; y < h; y++)
        {
          const ns_taps *t = &ty[y0 + y];
          float *drow = d + (size_t) y * w;
          const float *wk = wy + t->off;
          for (int x = 0; x < w; x++)
            drow[x] = 0.0f;
          for (int k = 0; k < t->n; k++)
            {
              const float *srow = tmp + (size_t) (t->first - sy0 + k) * w;
              for (int x = 0; x < w; x++)
                drow[x] += wk[k] * srow[x];
            }
        }
    }
  st = NS_OK;
out:
  free (tx);
  free (ty);
  free (wx);
  free (wy);
  ns_free (src);
  ns_free (tmp);
  return st;
}

ns_status
ns_image_read_region (void *image, int x, int y, int w, int h, float *rgb,
                      ns_error *err)
{
  const ns_image *img = image;
  size_t plane = (size_t) img->width * img->height, rp = (size_t) w * h;
  for (int c = 0; c < 3; c++)
    for (int yy = 0; yy < h; yy++)
      memcpy (rgb + c * rp + (size_t) yy * w,
              img->data + c * plane + (size_t) (y + yy) * img->width + x,
              sizeof (float) * (size_t) w);
  (void) err;
  return NS_OK;
}

ns_status
ns_image_write_region (void *image, int x, int y, int w, int h,
                       const float *rgb, ns_error *err)
{
  ns_image *img = image;
  size_t plane = (size_t) img->width * img->height, rp = (size_t) w * h;
  for (int c = 0; c < 3; c++)
    for (int yy = 0; yy < h; yy++)
      memcpy (img->data + c * plane + (size_t) (y + yy) * img->width + x,
              rgb + c * rp + (size_t) yy * w, sizeof (float) * (size_t) w);
  (void) err;
  return NS_OK;
}
