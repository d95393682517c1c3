/* Errors, allocation, tensors, progress: the plumbing every engine file
 * uses. */
#include "ns-internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
ns_status_string (ns_status status)
{
  switch (status)
    {
    case NS_OK:
      return "ok";
    case NS_ERR_INVALID_ARG:
      return "invalid argument";
    case NS_ERR_IO:
      return "input/output error";
    case NS_ERR_FORMAT:
      return "bad file format";
    case NS_ERR_SHAPE:
      return "unexpected tensor shape";
    case NS_ERR_NOMEM:
      return "out of memory";
    case NS_ERR_CANCELLED:
      return "cancelled";
    case NS_ERR_UNSUPPORTED:
      return "unsupported";
    case NS_ERR_INTERNAL:
      return "internal error";
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
  snprintf (err->message, sizeof err->message, "%.300s: %.700s", prefix, old);
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
  if (!ns_size_mul ((size_t) c, (size_t) h, &n) ||
      !ns_size_mul (n, (size_t) w, &n) || !ns_size_mul (n, sizeof (float), &n))
    return ns_fail (err, NS_ERR_NOMEM, "tensor %dx%dx%d is too large", c, h, w);
  t->data = ns_alloc (n);
  if (!t->data)
    return ns_fail (err, NS_ERR_NOMEM,
                    "out of memory allocating a %dx%dx%d tensor (%.1f MiB)", c,
                    h, w, (double) n / (1024.0 * 1024.0));
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
