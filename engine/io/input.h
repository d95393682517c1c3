/* The bytes a weight-file reader works on, shared by the zip reader
 * (zip.c), the pickle machine (pickle.c) and the state-dict layer
 * (pth.c): little-endian reads, printable copies of untrusted bytes for
 * messages, and errors prefixed with the file's name.  The reads do no
 * bounds checks: callers check every extent against LEN first. */
#ifndef NS_IO_INPUT_H
#define NS_IO_INPUT_H

#include "ns-internal.h"

#include <stdint.h>
#include <string.h>

typedef struct
{
  const unsigned char *base;
  size_t len;
  const char *name; /* prefixes every message */
  ns_error *err;    /* may be NULL */
} ns_input;

/* Sets IN's error to "NAME: message" and returns STATUS. */
ns_status ns_input_fail (const ns_input *in, ns_status status, const char *fmt,
                         ...) __attribute__ ((format (printf, 3, 4)));

/* Copies S (LEN untrusted bytes) into BUF for a message: non-printable
 * bytes become '?', and a long string is cut with "...".  Returns BUF. */
const char *ns_input_printable (char *buf, size_t size, const unsigned char *s,
                                size_t len);

static inline uint16_t
rd16 (const unsigned char *p)
{
  return (uint16_t) (p[0] | (p[1] << 8));
}

static inline uint32_t
rd32 (const unsigned char *p)
{
  return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) |
         ((uint32_t) p[3] << 24);
}

static inline uint64_t
rd64 (const unsigned char *p)
{
  return (uint64_t) rd32 (p) | ((uint64_t) rd32 (p + 4) << 32);
}

/* Orders byte strings as memcmp, a prefix first (for sorting zip entry
 * names and storage keys, then finding them by bisection). */
static inline int
ns_bytes_cmp (const unsigned char *a, size_t alen, const unsigned char *b,
              size_t blen)
{
  int c = memcmp (a, b, alen < blen ? alen : blen);
  if (c)
    return c;
  return alen < blen ? -1 : alen > blen;
}

#endif
