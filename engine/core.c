/* Errors, allocation, tensors, progress: the plumbing every engine file
 * uses. */
#include "ns-internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

const char *
ns_status_string (ns_status status)
{
  switch (status)
    {
    case NS_OK: return "ok";
    case NS_ERR_INVALID_ARG: return "invalid argument";
    case NS_ERR_IO: return "input/output error";
    case NS_ERR_FORMAT: return "bad file format";
    case NS_ERR_SHAPE: return "unexpected tensor shape";
    case NS_ERR_NOMEM: return "out of memory";
    case NS_ERR_CANCELLED: return "cancelled";
    case NS_ERR_UNSUPPORTED: return "unsupported";
    case NS_ERR_INTERNAL: return "internal error";
    }
  return "unknown status";
}

ns_status
ns_fail (ns_error *err, ns_status status, const char *fmt, ...)
{
  if (err)
    {
      va_list ap;
      err->status = status;
      va_start (ap, fmt);
      vsnprintf (err->message, sizeof err->message, fmt, ap);
      va_end (ap);
    }
  return status;
}

void
ns_error_prefix (ns_error *err, const char *fmt, ...)
{
  char prefix[NS_ERROR_MESSAGE_MAX];
  char old[NS_ERROR_MESSAGE_MAX];
  va_list ap;

  if (!err)
    return;
  va_start (ap, fmt);
  vsnprintf (prefix, sizeof prefix, fmt, ap);
  va_end (ap);
  memcpy (old, err->message, sizeof old);
  old[sizeof old - 1] = '\0';
  snprintf (err->message, sizeof err->message, "%s: %s", prefix, old);
}

bool
ns_size_mul (size_t a, size_t b, size_t *out)
{
  if (a != 0 && b > SIZE_MAX / a)
    return false;
  *out = a * b;
  return true;
}

bool
ns_size_add (size_t a, size_t b, size_t *out)
{
  if (b > SIZE_MAX - a)
    return false;
  *out = a + b;
  return true;
}

void *
ns_alloc (size_t bytes)
{
  void *p = NULL;
  if (bytes == 0)
    bytes = 1;
  /* Round up: aligned_alloc wants a multiple of the alignment. */
  if (bytes > SIZE_MAX - 63)
    return NULL;
  bytes = (bytes + 63) & ~(size_t) 63;
  p = aligned_alloc (64, bytes);
  return p;
}

void *
ns_calloc (size_t bytes)
{
  void *p = ns_alloc (bytes);
  if (p)
    memset (p, 0, bytes);
  return p;
}

void
ns_free (void *p)
{
  free (p);
}

ns_status
ns_tensor_alloc (ns_tensor *t, int c, int h, int w, ns_error *err)
{
  size_t n;
  t->c = t->h = t->w = 0;
  t->data = NULL;
  if (c <= 0 || h <= 0 || w <= 0)
    return ns_fail (err, NS_ERR_INVALID_ARG, "bad tensor size %dx%dx%d", c, h,
                    w);
  if (!ns_size_mul ((size_t) c, (size_t) h, &n)
      || !ns_size_mul (n, (size_t) w, &n)
      || !ns_size_mul (n, sizeof (float), &n))
    return ns_fail (err, NS_ERR_NOMEM, "tensor %dx%dx%d is too large", c, h,
                    w);
  t->data = ns_alloc (n);
  if (!t->data)
    return ns_fail (err, NS_ERR_NOMEM,
                    "out of memory allocating a %dx%dx%d tensor (%.1f MiB)",
                    c, h, w, (double) n / (1024.0 * 1024.0));
  t->c = c;
  t->h = h;
  t->w = w;
  return NS_OK;
}

void
ns_tensor_free (ns_tensor *t)
{
  if (!t)
    return;
  ns_free (t->data);
  t->data = NULL;
  t->c = t->h = t->w = 0;
}

/* ------------------------------------------------------------ progress */

void
ns_run_init (ns_run *run, const ns_params *params, double total)
{
  memset (run, 0, sizeof *run);
  if (params)
    {
      run->fn = params->progress;
      run->user_data = params->progress_user_data;
      run->n_threads = params->n_threads;
    }
  if (run->n_threads <= 0)
    {
#ifdef _OPENMP
      run->n_threads = omp_get_num_procs ();
#else
      run->n_threads = 1;
#endif
    }
  run->total = total > 0 ? total : 1.0;
  run->stage = "";
}

bool
ns_run_tick (ns_run *run, double work)
{
  float f;
  if (run->cancelled)
    return false;
  run->done += work;
  if (!run->fn)
    return true;
  f = (float) (run->done / run->total);
  if (!(f >= 0.0f))
    f = 0.0f;
  if (f > 1.0f)
    f = 1.0f;
  if (!run->fn (f, run->stage, run->user_data))
    run->cancelled = true;
  return !run->cancelled;
}

void
ns_run_stage (ns_run *run, const char *stage)
{
  run->stage = stage ? stage : "";
}

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
  if (!ns_size_mul ((size_t) width, (size_t) height, &n)
      || !ns_size_mul (n, 3 * sizeof (float), &n))
    return ns_fail (err, NS_ERR_NOMEM, "image %dx%d is too large", width,
                    height);
  img->data = ns_alloc (n);
  if (!img->data)
    return ns_fail (err, NS_ERR_NOMEM, "out of memory for a %dx%d image",
                    width, height);
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

/* Separable resampling weights for one axis: a triangle filter whose
 * support widens with the scale when shrinking (area-like), so that
 * downscaled styles do not alias. */
typedef struct
{
  int first;  /* first source index */
  int n;      /* taps */
  int off;    /* offset into the shared weight array */
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

ns_status
ns_image_resize (const ns_image *src, int width, int height, ns_image *dst,
                 ns_error *err)
{
  ns_taps *tx = NULL, *ty = NULL;
  float *wx = NULL, *wy = NULL, *tmp = NULL;
  ns_status st;
  int sw, sh;

  if (!src || !src->data || src->width <= 0 || src->height <= 0)
    return ns_fail (err, NS_ERR_INVALID_ARG, "resize: empty source image");
  sw = src->width;
  sh = src->height;
  st = ns_image_alloc (dst, width, height, err);
  if (st != NS_OK)
    return st;
  if ((st = make_taps (sw, width, &tx, &wx, err)) != NS_OK
      || (st = make_taps (sh, height, &ty, &wy, err)) != NS_OK)
    goto out;
  tmp = malloc (sizeof *tmp * (size_t) sh * (size_t) width);
  if (!tmp)
    {
      st = ns_fail (err, NS_ERR_NOMEM, "out of memory in resize");
      goto out;
    }
  for (int c = 0; c < 3; c++)
    {
      const float *s = src->data + (size_t) c * sw * sh;
      float *d = dst->data + (size_t) c * width * height;
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
  if (st != NS_OK)
    ns_image_free (dst);
  return st;
}
