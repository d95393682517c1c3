/* Builders of .pth files byte by byte, for the loader's tests (no PyTorch
 * needed): pickle pieces, legacy framing and stored zip archives. */
#ifndef NS_TEST_PTH_BUILD_H
#define NS_TEST_PTH_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  unsigned char *b;
  size_t n, cap;
} buf;

static inline void
put (buf *o, const void *p, size_t n)
{
  if (o->n + n > o->cap)
    {
      o->cap = (o->n + n) * 2 + 64;
      o->b = realloc (o->b, o->cap);
      if (!o->b)
        exit (1);
    }
  memcpy (o->b + o->n, p, n);
  o->n += n;
}

/* A string literal, embedded NULs included. */
#define put_lit(o, s) put ((o), (s), sizeof (s) - 1)

static inline void
put1 (buf *o, unsigned v)
{
  unsigned char c = (unsigned char) v;
  put (o, &c, 1);
}

static inline void
put_le (buf *o, uint64_t v, int bytes)
{
  int i;
  for (i = 0; i < bytes; i++)
    put1 (o, (unsigned) (v >> (8 * i)) & 0xff);
}

static inline void
put_s (buf *o, const char *s)
{
  put (o, s, strlen (s));
}

/* ---- pickle pieces */

static inline void
p_str (buf *o, const char *s)
{
  put1 (o, 'X');
  put_le (o, strlen (s), 4);
  put_s (o, s);
}

static inline void
p_int (buf *o, int64_t v)
{
  put1 (o, 0x8a); /* LONG1 */
  put1 (o, 8);
  put_le (o, (uint64_t) v, 8);
}

static inline void
p_global (buf *o, const char *mod, const char *name)
{
  put1 (o, 'c');
  put_s (o, mod);
  put1 (o, '\n');
  put_s (o, name);
  put1 (o, '\n');
}

static inline void
p_tuple_ints (buf *o, const int64_t *v, int n)
{
  int i;
  put1 (o, '(');
  for (i = 0; i < n; i++)
    p_int (o, v[i]);
  put1 (o, 't');
}

/* _rebuild_tensor_v2(('storage', FloatStorage, KEY, 'cpu', NUMEL)[+None],
 * OFFSET, SIZE, STRIDE, False, OrderedDict()) */
static inline void
p_tensor (buf *o, const char *key, int64_t numel, int64_t offset,
          const int64_t *size, const int64_t *stride, int ndim, bool legacy)
{
  p_global (o, "torch._utils", "_rebuild_tensor_v2");
  put1 (o, '(');
  put1 (o, '(');
  p_str (o, "storage");
  p_global (o, "torch", "FloatStorage");
  p_str (o, key);
  p_str (o, "cpu");
  p_int (o, numel);
  if (legacy)
    put1 (o, 'N');
  put1 (o, 't');
  put1 (o, 'Q');
  p_int (o, offset);
  p_tuple_ints (o, size, ndim);
  p_tuple_ints (o, stride, ndim);
  put1 (o, 0x89);
  p_global (o, "collections", "OrderedDict");
  put1 (o, ')');
  put1 (o, 'R');
  put1 (o, 't');
  put1 (o, 'R');
}

/* The state dict used throughout: "w" 2x3 (storage "0"), "b" 3 = storage
 * "1" [1..3] (a view at offset 1), under "model" when NESTED. */
static const float W[6] = { 1.5f, -2.0f, 3.25f, 0.0f, 1e-3f, -7.0f };
static const float B[4] = { 9.0f, 0.5f, 0.25f, -0.125f };

static inline void
p_state_dict (buf *o, bool legacy, bool nested)
{
  static const int64_t wsz[2] = { 2, 3 }, wst[2] = { 3, 1 }, bsz[1] = { 3 },
                       bst[1] = { 1 };
  put1 (o, 0x80);
  put1 (o, 2);
  if (nested)
    {
      put1 (o, '}');
      p_str (o, "model");
    }
  p_global (o, "collections", "OrderedDict");
  put1 (o, ')');
  put1 (o, 'R');
  put1 (o, 'q');
  put1 (o, 0);
  put1 (o, '(');
  p_str (o, "w");
  p_tensor (o, "0", 6, 0, wsz, wst, 2, legacy);
  p_str (o, "b");
  p_tensor (o, "1", 4, 1, bsz, bst, 1, legacy);
  put1 (o, 'u');
  if (nested)
    {
      put1 (o, 's');
      p_str (o, "epoch");
      p_int (o, 3);
      put1 (o, 's');
    }
  put1 (o, '.');
}

static inline void
legacy_header (buf *o)
{
  static const unsigned char magic[10] = { 0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                           0x20, 0x6a, 0xa8, 0x50, 0x19 };
  put1 (o, 0x80);
  put1 (o, 2);
  put1 (o, 0x8a);
  put1 (o, 10);
  put (o, magic, 10);
  put1 (o, '.');
  put1 (o, 0x80);
  put1 (o, 2);
  put1 (o, 'M');
  put_le (o, 1001, 2);
  put1 (o, '.');
  put1 (o, 0x80);
  put1 (o, 2);
  put1 (o, '}');
  put1 (o, '(');
  p_str (o, "protocol_version");
  put1 (o, 'M');
  put_le (o, 1001, 2);
  p_str (o, "little_endian");
  put1 (o, 0x88);
  put1 (o, 'u');
  put1 (o, '.');
}

/* Legacy file: header, MAIN pickle, key list, storages. */
static inline buf
make_legacy_with (const buf *main_pickle)
{
  buf o = { 0 };
  legacy_header (&o);
  put (&o, main_pickle->b, main_pickle->n);
  put_lit (&o, "\x80\x02]q\x00(X\x01\x00\x00\x00"
               "0X\x01\x00\x00\x00"
               "1e.");
  put_le (&o, 6, 8);
  put (&o, W, sizeof W);
  put_le (&o, 4, 8);
  put (&o, B, sizeof B);
  return o;
}

static inline buf
make_legacy (bool nested)
{
  buf p = { 0 }, o;
  p_state_dict (&p, true, nested);
  o = make_legacy_with (&p);
  free (p.b);
  return o;
}

/* Zip file of stored entries (CRCs left 0: the loader does not check
 * them). */
static inline buf
make_zip_entries (const char *const *names, const buf *data, int n,
                  uint32_t method)
{
  buf o = { 0 }, cd = { 0 };
  int i;
  for (i = 0; i < n; i++)
    {
      size_t off = o.n;
      put_le (&o, 0x04034b50, 4);
      put_le (&o, 20, 2);
      put_le (&o, 0, 2);
      put_le (&o, method, 2);
      put_le (&o, 0, 4);
      put_le (&o, 0, 4);
      put_le (&o, data[i].n, 4);
      put_le (&o, data[i].n, 4);
      put_le (&o, strlen (names[i]), 2);
      put_le (&o, 0, 2);
      put_s (&o, names[i]);
      put (&o, data[i].b, data[i].n);

      put_le (&cd, 0x02014b50, 4);
      put_le (&cd, 20, 2);
      put_le (&cd, 20, 2);
      put_le (&cd, 0, 2);
      put_le (&cd, method, 2);
      put_le (&cd, 0, 4);
      put_le (&cd, 0, 4);
      put_le (&cd, data[i].n, 4);
      put_le (&cd, data[i].n, 4);
      put_le (&cd, strlen (names[i]), 2);
      put_le (&cd, 0, 2);
      put_le (&cd, 0, 2);
      put_le (&cd, 0, 2);
      put_le (&cd, 0, 2);
      put_le (&cd, 0, 4);
      put_le (&cd, off, 4);
      put_s (&cd, names[i]);
    }
  {
    size_t cd_off = o.n;
    put (&o, cd.b, cd.n);
    put_le (&o, 0x06054b50, 4);
    put_le (&o, 0, 4);
    put_le (&o, (uint64_t) n, 2);
    put_le (&o, (uint64_t) n, 2);
    put_le (&o, cd.n, 4);
    put_le (&o, cd_off, 4);
    put_le (&o, 0, 2);
  }
  free (cd.b);
  return o;
}

static inline buf
make_zip (bool nested, uint32_t method)
{
  static const char *const names[4] = { "ckpt/data.pkl", "ckpt/data/0",
                                        "ckpt/data/1", "ckpt/version" };
  buf d[4] = { { 0 } }, o;
  int i;
  p_state_dict (&d[0], false, nested);
  put (&d[1], W, sizeof W);
  put (&d[2], B, sizeof B);
  put_s (&d[3], "3\n");
  o = make_zip_entries (names, d, 4, method);
  for (i = 0; i < 4; i++)
    free (d[i].b);
  return o;
}

#endif
