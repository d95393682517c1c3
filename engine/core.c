/* Errors, allocation, tensors, progress: the plumbing every engine file
 * uses. */
#include "ns-internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#ifdef NS_ENABLE_NLS
#include <libintl.h>
#endif

/* Marks a string for xgettext without translating it here. */
#define N_(s) s

const char *
ns_tr (const char *msgid)
{
#ifdef NS_ENABLE_NLS
  /* The program (plug-in or nstyle) binds the domain and sets the locale;
     unbound, dgettext returns MSGID. */
  return dgettext (NS_GETTEXT_PACKAGE, msgid);
#else
  return msgid;
#endif
}

const char *
ns_status_string (ns_status status)
{
  switch (status)
    {
    case NS_OK:
      return ns_tr (N_ ("ok"));
    case NS_ERR_INVALID_ARG:
      return ns_tr (N_ ("invalid argument"));
    case NS_ERR_IO:
      return ns_tr (N_ ("input/output error"));
    case NS_ERR_FORMAT:
      return ns_tr (N_ ("bad file format"));
    case NS_ERR_SHAPE:
      return ns_tr (N_ ("unexpected tensor shape"));
    case NS_ERR_NOMEM:
      return ns_tr (N_ ("out of memory"));
    case NS_ERR_CANCELLED:
      return ns_tr (N_ ("cancelled"));
    case NS_ERR_UNSUPPORTED:
      return ns_tr (N_ ("unsupported"));
    case NS_ERR_INTERNAL:
      return ns_tr (N_ ("internal error"));
    }
  return ns_tr (N_ ("unknown status"));
}

ns_status
ns_fail (ns_error *err, ns_status status, const char *fmt, ...)
{
  if (err)
    {
      va_list ap;
      err->status = status;
      va_start (ap, fmt);
      /* Translated format: msgfmt -c keeps its conversions those of FMT. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      vsnprintf (err->message, sizeof err->message, ns_tr (fmt), ap);
#pragma GCC diagnostic pop
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
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  vsnprintf (prefix, sizeof prefix, ns_tr (fmt), ap);
#pragma GCC diagnostic pop
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

/* Large blocks, once freed, are kept for the next large allocation they
 * can hold: a tiled render allocates the same buffers tile after tile, and
 * each fresh mapping costs a page fault and a zeroed page per 4 KiB (a
 * third of a 3-megapixel render's time was spent so).  A miss first gives
 * back at least as many cached bytes as it asks for, so cached plus live
 * bytes never exceed the peak of live ones: the memory plan holds.
 * ns_alloc_trim returns the cache at the end of each job.  Sanitizer
 * builds keep plain malloc/free, so use after free stays detectable. */
#if defined(__SANITIZE_ADDRESS__)
#define NS_ALLOC_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define NS_ALLOC_CACHE 0
#endif
#endif
#ifndef NS_ALLOC_CACHE
#define NS_ALLOC_CACHE 1
#endif

#define CACHE_MIN_BYTES ((size_t) 1 << 20)
#define HUGE_PAGE ((uintptr_t) 2 << 20)
#define HUGE_MIN_BYTES ((size_t) 8 << 20)
#define CACHE_SLOTS 64

#if NS_ALLOC_CACHE
#include <malloc.h>
#include <pthread.h>

static struct
{
  pthread_mutex_t lock;
  void *block[CACHE_SLOTS];
  size_t bytes[CACHE_SLOTS];
  int n;
} cache = { PTHREAD_MUTEX_INITIALIZER, { 0 }, { 0 }, 0 };

static void
cache_drop (int i)
{
  cache.n--;
  cache.block[i] = cache.block[cache.n];
  cache.bytes[i] = cache.bytes[cache.n];
}

/* A cached block of at least BYTES (the smallest such), or NULL after
 * freeing at least BYTES of cached blocks. */
static void *
cache_take (size_t bytes)
{
  void *p = NULL, *drop[CACHE_SLOTS];
  size_t freed = 0;
  int best = -1, nd = 0;

  pthread_mutex_lock (&cache.lock);
  for (int i = 0; i < cache.n; i++)
    if (cache.bytes[i] >= bytes &&
        (best < 0 || cache.bytes[i] < cache.bytes[best]))
      best = i;
  if (best >= 0)
    {
      p = cache.block[best];
      cache_drop (best);
    }
  else
    while (cache.n > 0 && freed < bytes)
      {
        int big = 0;
        for (int i = 1; i < cache.n; i++)
          if (cache.bytes[i] > cache.bytes[big])
            big = i;
        freed += cache.bytes[big];
        drop[nd++] = cache.block[big];
        cache_drop (big);
      }
  pthread_mutex_unlock (&cache.lock);
  for (int i = 0; i < nd; i++)
    free (drop[i]);
  return p;
}

/* Keeps P (true) or leaves it to the caller to free. */
static bool
cache_put (void *p)
{
  size_t n = malloc_usable_size (p);
  bool kept = false;

  /* A block not from ns_alloc (plain malloc) may lack the alignment. */
  if (n < CACHE_MIN_BYTES || ((uintptr_t) p & 63) != 0)
    return false;
  pthread_mutex_lock (&cache.lock);
  if (cache.n < CACHE_SLOTS)
    {
      cache.block[cache.n] = p;
      cache.bytes[cache.n] = n;
      cache.n++;
      kept = true;
    }
  pthread_mutex_unlock (&cache.lock);
  return kept;
}
#endif

void
ns_alloc_trim (void)
{
#if NS_ALLOC_CACHE
  void *drop[CACHE_SLOTS];
  int nd;

  pthread_mutex_lock (&cache.lock);
  nd = cache.n;
  memcpy (drop, cache.block, sizeof (void *) * (size_t) nd);
  cache.n = 0;
  pthread_mutex_unlock (&cache.lock);
  for (int i = 0; i < nd; i++)
    free (drop[i]);
#endif
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
#if NS_ALLOC_CACHE
  if (bytes >= CACHE_MIN_BYTES && (p = cache_take (bytes)))
    return p;
#endif
  p = aligned_alloc (64, bytes);
#ifdef MADV_HUGEPAGE
  /* Transparent huge pages for the 2 MiB-aligned inside of a fresh large
     block: one fault per 2 MiB instead of 512 (where the system allows
     them on request; elsewhere a no-op). */
  if (p && bytes >= HUGE_MIN_BYTES)
    {
      uintptr_t a = ((uintptr_t) p + HUGE_PAGE - 1) &
                    ~(uintptr_t) (HUGE_PAGE - 1);
      uintptr_t e = ((uintptr_t) p + bytes) & ~(uintptr_t) (HUGE_PAGE - 1);
      if (e > a)
        madvise ((void *) a, e - a, MADV_HUGEPAGE);
    }
#endif
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
  if (!p)
    return;
#if NS_ALLOC_CACHE
  if (cache_put (p))
    return;
#endif
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
