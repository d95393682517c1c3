/* PyTorch .pth reader: the state-dict layer over the pickle machine
 * (pickle.c) and the zip reader (zip.c).
 *
 * It knows the two file framings, legacy (before 1.6: magic, protocol and
 * sys-info pickles, the state dict's pickle, then a key list and the raw
 * storages) and zip ("<top>/data.pkl" plus one "<top>/data/KEY" entry per
 * storage); it finds each storage the pickle referenced, checks every
 * tensor view against the data the file holds, checks that every value is
 * finite once converted to float, and joins nested dict keys into
 * "outer.inner" names.  Everything the load allocates (the pickle machine's
 * objects, the zip directory, the tensor array, names and converted data)
 * is charged to one budget of NS_PTH_MEM_FACTOR (64) bytes per byte of file
 * plus 1 MiB (pickle.h), so a small hostile file cannot take much memory.
 * The file entry point maps the file and reads it from memory. */
#include "pickle.h"
#include "zip.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PK_MAX_DEPTH 32  /* nested dicts when flattening */
#define PK_MAX_NAME 4096 /* flattened key length */

_Static_assert(sizeof ((ns_weight *) 0)->shape == sizeof ((ptensor *) 0)->shape,
               "ns_weight and ptensor shapes differ");

struct ns_weights
{
  char *path;
  int n;
  ns_weight *w;
};

/* ------------------------------------------------------------ storages */

static int
rec_cmp (const void *a, const void *b)
{
  const srec *x = a, *y = b;
  return ns_bytes_cmp (x->key, x->key_len, y->key, y->key_len);
}

/* Storage R's data is AVAIL elements at DATA. */
static void
rec_resolve (srec *r, const unsigned char *data, size_t avail)
{
  r->data = data;
  r->avail = avail;
  r->resolved = true;
}

/* Legacy: after the main pickle, a pickled list of storage keys, then for
 * each key an int64 element count and the raw data. */
static ns_status
resolve_legacy (pk *k, size_t pos)
{
  srec *sorted = NULL;
  pval keys;
  size_t i, next;
  ns_status s;

  s = ns_pk_run (k, pos, k->in.len, &next, &keys);
  if (s != NS_OK)
    return s;
  if (!pval_is_obj (&keys, PO_LIST))
    return pk_fail (k, NS_ERR_FORMAT, "storage key list is not a list");
  pos = next;
  if (k->nrecs == 0)
    return NS_OK;
  /* Records sorted by key, so each listed key is found by bisection. */
  if (!ns_pk_charge (k, k->nrecs * sizeof *sorted))
    return ns_pk_nomem (k, "the storage list");
  sorted = malloc (k->nrecs * sizeof *sorted);
  if (!sorted)
    {
      ns_pk_uncharge (k, k->nrecs * sizeof *sorted);
      return pk_fail (k, NS_ERR_NOMEM, "out of memory");
    }
  memcpy (sorted, k->recs, k->nrecs * sizeof *sorted);
  qsort (sorted, k->nrecs, sizeof *sorted, rec_cmp);

  for (i = 0; i < keys.u.o->n; i++)
    {
      const pval *key = &keys.u.o->items[i];
      srec probe, *hit, *lo, *hi;
      uint64_t count;
      size_t bytes, elsize;
      char kb[80];

      if (key->kind != PV_STR)
        {
          s = pk_fail (k, NS_ERR_FORMAT, "storage key %zu is not a string", i);
          goto out;
        }
      ns_input_printable (kb, sizeof kb, key->u.s, key->len);
      probe.key = key->u.s;
      probe.key_len = key->len;
      hit = bsearch (&probe, sorted, k->nrecs, sizeof *sorted, rec_cmp);
      if (!hit)
        {
          s = pk_fail (k, NS_ERR_FORMAT, "storage %s is listed but never used",
                       kb);
          goto out;
        }
      lo = hit;
      while (lo > sorted && rec_cmp (lo - 1, &probe) == 0)
        lo--;
      hi = hit;
      while (hi + 1 < sorted + k->nrecs && rec_cmp (hi + 1, &probe) == 0)
        hi++;
      elsize = ns_pk_dtypes[lo->dtype].size;
      if (k->in.len - pos < 8)
        {
          s = pk_fail (k, NS_ERR_FORMAT,
                       "truncated: storage %s header at offset %zu is past "
                       "the end",
                       kb, pos);
          goto out;
        }
      count = rd64 (k->in.base + pos);
      pos += 8;
      if (count > (k->in.len - pos) / elsize)
        {
          s = pk_fail (k, NS_ERR_FORMAT,
                       "truncated: storage %s needs %llu x %zu bytes at "
                       "offset %zu, the file has %zu",
                       kb, (unsigned long long) count, elsize, pos,
                       k->in.len - pos);
          goto out;
        }
      bytes = (size_t) count * elsize;
      for (; lo <= hi; lo++)
        {
          if (lo->resolved)
            {
              s = pk_fail (k, NS_ERR_FORMAT, "storage %s is listed twice", kb);
              goto out;
            }
          if (lo->dtype != hit->dtype)
            {
              s = pk_fail (k, NS_ERR_FORMAT,
                           "storage %s is used with two types", kb);
              goto out;
            }
          rec_resolve (lo, k->in.base + pos, (size_t) count);
        }
      pos += bytes;
    }
  /* Copy the resolution back to the records in their original order. */
  for (i = 0; i < k->nrecs; i++)
    {
      srec probe = k->recs[i], *hit;
      hit = bsearch (&probe, sorted, k->nrecs, sizeof *sorted, rec_cmp);
      if (hit && hit->resolved)
        rec_resolve (&k->recs[i], hit->data, hit->avail);
    }
  s = NS_OK;
out:
  free (sorted);
  ns_pk_uncharge (k, k->nrecs * sizeof *sorted);
  return s;
}

/* Zip: storage KEY is the stored entry PREFIX "data/" KEY. */
static ns_status
resolve_zip (pk *k, const ns_zip *z, const unsigned char *prefix, size_t plen)
{
  unsigned char name[512];
  size_t i;
  ns_status s;

  for (i = 0; i < k->nrecs; i++)
    {
      srec *r = &k->recs[i];
      const ns_zip_entry *e;
      size_t off, size, n;
      char kb[80];

      if (plen + 5 + r->key_len > sizeof name)
        return pk_fail (k, NS_ERR_FORMAT, "storage key too long");
      memcpy (name, prefix, plen);
      memcpy (name + plen, "data/", 5);
      memcpy (name + plen + 5, r->key, r->key_len);
      n = plen + 5 + r->key_len;
      e = ns_zip_find (z, name, n);
      if (!e)
        return pk_fail (k, NS_ERR_FORMAT, "zip entry %s is missing",
                        ns_input_printable (kb, sizeof kb, name, n));
      if ((s = ns_zip_data (z, e, &off, &size)) != NS_OK)
        return s;
      rec_resolve (r, k->in.base + off, size / ns_pk_dtypes[r->dtype].size);
    }
  return NS_OK;
}

/* ------------------------------------------------------------- output */

static float
half_to_float (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000) << 16, e = (h >> 10) & 0x1f,
           m = h & 0x3ff, x;
  float f;
  if (e == 0)
    {
      /* Zero or subnormal: m * 2^-24. */
      f = (float) m * 5.9604644775390625e-8f;
      return sign ? -f : f;
    }
  if (e == 31)
    x = sign | 0x7f800000u | (m << 13);
  else
    x = sign | ((e + 112) << 23) | (m << 13);
  memcpy (&f, &x, sizeof f);
  return f;
}

static void
convert (float *dst, const unsigned char *src, size_t n, pk_dtype dt)
{
  size_t i;
  switch (dt)
    {
    case DT_F32:
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      memcpy (dst, src, n * 4);
#else
      for (i = 0; i < n; i++)
        {
          uint32_t x = rd32 (src + 4 * i);
          memcpy (&dst[i], &x, 4);
        }
#endif
      break;
    case DT_F64:
      for (i = 0; i < n; i++)
        {
          uint64_t x = rd64 (src + 8 * i);
          double d;
          memcpy (&d, &x, 8);
          dst[i] = (float) d;
        }
      break;
    case DT_F16:
      for (i = 0; i < n; i++)
        dst[i] = half_to_float (rd16 (src + 2 * i));
      break;
    case DT_BF16:
      for (i = 0; i < n; i++)
        {
          uint32_t x = (uint32_t) rd16 (src + 2 * i) << 16;
          memcpy (&dst[i], &x, 4);
        }
      break;
    case DT_I64:
      for (i = 0; i < n; i++)
        dst[i] = (float) (int64_t) rd64 (src + 8 * i);
      break;
    case DT_I32:
      for (i = 0; i < n; i++)
        dst[i] = (float) (int32_t) rd32 (src + 4 * i);
      break;
    case DT_I16:
      for (i = 0; i < n; i++)
        dst[i] = (float) (int16_t) rd16 (src + 2 * i);
      break;
    case DT_I8:
      for (i = 0; i < n; i++)
        dst[i] = (float) (int8_t) src[i];
      break;
    case DT_U8:
    case DT_BOOL:
    case DT_COUNT:
      for (i = 0; i < n; i++)
        dst[i] = (float) src[i];
      break;
    }
}

/* The tensors converted so far, and the name being built. */
typedef struct
{
  ns_weight *w;
  size_t n, cap;
  char name[PK_MAX_NAME + 1];
} flat;

/* The first non-finite value of X (N values), or N. */
static size_t
first_non_finite (const float *x, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (!isfinite (x[i]))
      return i;
  return n;
}

/* A charge for tensor F->name failed: tensors sharing storage, or many
 * (long) names from few bytes. */
static ns_status
too_big (pk *k, const char *name)
{
  return pk_fail (k, NS_ERR_FORMAT,
                  "tensor %s: the tensors (data and names) add up to more "
                  "memory than a file of %zu bytes can justify (at most %d "
                  "bytes per byte of file): corrupt or hostile file",
                  name, k->in.len, NS_PTH_MEM_FACTOR);
}

static ns_status
add_weight (pk *k, flat *f, size_t name_len, const ptensor *t)
{
  const srec *r = &k->recs[t->rec];
  ns_weight *w;
  size_t bytes, first, end, bad;
  char nb[96]; /* the name for messages: untrusted bytes, maybe long */

  ns_input_printable (nb, sizeof nb, (const unsigned char *) f->name, name_len);

  if (!r->resolved)
    return pk_fail (k, NS_ERR_FORMAT, "tensor %s: its storage has no data", nb);
  first = t->view_off + t->offset; /* both checked against r->numel */
  if (t->numel > 0 && (!ns_size_add (first, t->numel, &end) || end > r->avail))
    return pk_fail (k, NS_ERR_FORMAT,
                    "tensor %s: truncated storage (needs %zu elements, the "
                    "file has %zu)",
                    nb, first + t->numel, r->avail);
  /* The converted data (ns_alloc rounds to 64 bytes), the array slot and
   * the name, all charged to the load's budget (pickle.h). */
  if (!ns_size_mul (t->numel, sizeof (float), &bytes) ||
      bytes > SIZE_MAX - 128 || !ns_pk_charge (k, (bytes + 63) / 64 * 64 + 64))
    return too_big (k, nb);
  if (f->n == f->cap)
    {
      size_t ncap = f->cap ? f->cap * 2 : 32;
      ns_weight *nw;
      if (ncap > (size_t) INT32_MAX)
        return pk_fail (k, NS_ERR_FORMAT, "too many tensors");
      if (!ns_pk_charge (k, (ncap - f->cap) * sizeof *nw))
        return too_big (k, nb);
      nw = realloc (f->w, ncap * sizeof *nw);
      if (!nw)
        return pk_fail (k, NS_ERR_NOMEM, "out of memory");
      f->w = nw;
      f->cap = ncap;
    }
  if (!ns_pk_charge (k, name_len + 1))
    return too_big (k, nb);
  w = &f->w[f->n];
  memset (w, 0, sizeof *w);
  w->name = malloc (name_len + 1);
  w->data = ns_alloc (bytes);
  if (!w->name || !w->data)
    {
      free (w->name);
      ns_free (w->data);
      return pk_fail (k, NS_ERR_NOMEM,
                      "out of memory for tensor %s (%zu bytes)", nb, bytes);
    }
  f->n++;
  memcpy (w->name, f->name, name_len + 1);
  w->ndim = t->ndim;
  memcpy (w->shape, t->shape, sizeof w->shape);
  w->numel = t->numel;
  if (t->numel > 0)
    convert (w->data, r->data + first * ns_pk_dtypes[r->dtype].size, t->numel,
             r->dtype);
  /* A NaN or infinite weight would turn every output black (or white):
   * refuse the file here, naming the tensor.  Float64 values beyond
   * float's range become infinite in the conversion and are refused too. */
  bad = first_non_finite (w->data, t->numel);
  if (bad < t->numel)
    return pk_fail (k, NS_ERR_FORMAT,
                    "tensor %s: element %zu of %zu is %s: the weights are "
                    "corrupt (download the model again)",
                    nb, bad, t->numel,
                    isnan (w->data[bad]) ? "NaN"
                                         : "infinite (or beyond float "
                                           "range)");
  return NS_OK;
}

/* Nested dicts become "outer.inner" names; non-tensor values are
 * ignored (epochs, hyper-parameters, ...). */
static ns_status
flatten (pk *k, flat *f, pobj *dict, size_t name_len, int depth)
{
  size_t i;
  ns_status s;

  if (depth > PK_MAX_DEPTH)
    return pk_fail (k, NS_ERR_FORMAT, "dicts nested deeper than %d",
                    PK_MAX_DEPTH);
  if (dict->visited)
    return pk_fail (k, NS_ERR_FORMAT, "a dict is referenced twice");
  dict->visited = true;
  for (i = 0; i + 1 < dict->n; i += 2)
    {
      const pval *key = &dict->items[i], *val = &dict->items[i + 1];
      char num[32];
      const char *ks;
      size_t kl, nl = name_len;

      if (!pval_is_obj (val, PO_TENSOR) && !pval_is_obj (val, PO_DICT))
        continue;
      if (key->kind == PV_STR)
        {
          ks = (const char *) key->u.s;
          kl = key->len;
          if (memchr (ks, '\0', kl))
            return pk_fail (k, NS_ERR_FORMAT, "a key contains a NUL byte");
        }
      else if (key->kind == PV_INT)
        {
          snprintf (num, sizeof num, "%lld", (long long) key->u.i);
          ks = num;
          kl = strlen (num);
        }
      else
        continue;
      if (kl > PK_MAX_NAME || nl + 1 + kl > PK_MAX_NAME)
        return pk_fail (k, NS_ERR_FORMAT, "a key is longer than %d bytes",
                        PK_MAX_NAME);
      if (nl > 0)
        f->name[nl++] = '.';
      memcpy (f->name + nl, ks, kl);
      nl += kl;
      f->name[nl] = '\0';
      if (val->u.o->kind == PO_TENSOR)
        s = add_weight (k, f, nl, &val->u.o->t);
      else
        s = flatten (k, f, val->u.o, nl, depth + 1);
      if (s != NS_OK)
        return s;
      f->name[name_len] = '\0';
    }
  return NS_OK;
}

/* -------------------------------------------------------------- driver */

static void
free_weights (ns_weight *w, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      free (w[i].name);
      ns_free (w[i].data);
    }
  free (w);
}

static ns_status
load_legacy (pk *k, pval *root, size_t *data_pos)
{
  static const unsigned char magic[10] = { 0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                           0x20, 0x6a, 0xa8, 0x50, 0x19 };
  pval v;
  size_t pos = 0;
  ns_status s;
  size_t i;

  if (k->in.len >= 262 && memcmp (k->in.base + 257, "ustar", 5) == 0)
    return pk_fail (k, NS_ERR_UNSUPPORTED,
                    "tar-based PyTorch files (before 0.4) are not supported");
  if ((s = ns_pk_run (k, pos, k->in.len, &pos, &v)) != NS_OK)
    return s;
  if (v.kind != PV_BIGINT || v.len != 10 || memcmp (v.u.s, magic, 10) != 0)
    return pk_fail (k, NS_ERR_FORMAT, "not a PyTorch file (bad magic number)");
  if ((s = ns_pk_run (k, pos, k->in.len, &pos, &v)) != NS_OK)
    return s;
  if (v.kind != PV_INT || v.u.i != 1001)
    return pk_fail (k, NS_ERR_FORMAT,
                    "unsupported legacy protocol version (expected 1001)");
  if ((s = ns_pk_run (k, pos, k->in.len, &pos, &v)) != NS_OK)
    return s;
  if (!pval_is_obj (&v, PO_DICT))
    return pk_fail (k, NS_ERR_FORMAT, "bad sys-info record");
  for (i = 0; i + 1 < v.u.o->n; i += 2)
    if (pval_is_str (&v.u.o->items[i], "little_endian") &&
        v.u.o->items[i + 1].kind == PV_BOOL && !v.u.o->items[i + 1].u.i)
      return pk_fail (k, NS_ERR_UNSUPPORTED,
                      "big-endian PyTorch files are not supported");
  if ((s = ns_pk_run (k, pos, k->in.len, &pos, root)) != NS_OK)
    return s;
  *data_pos = pos;
  return NS_OK;
}

static ns_status
load_zip (pk *k, pval *root)
{
  const ns_zip_entry *pkl = NULL, *e;
  size_t i, off, size, next;
  unsigned char name[512];
  ns_zip z;
  ns_status s;

  if ((s = ns_zip_open (&z, &k->in, k->budget - k->used)) != NS_OK)
    goto out;
  if (!ns_pk_charge (k, z.bytes))
    {
      s = ns_pk_nomem (k, "the zip directory");
      goto out;
    }
  /* "<top>/data.pkl": the top folder varies (archive/, the file stem). */
  for (i = 0; i < z.n && !pkl; i++)
    {
      e = &z.ent[i];
      if (e->name_len >= 8 && e->name_len < 256 &&
          memcmp (e->name + e->name_len - 8, "data.pkl", 8) == 0 &&
          (e->name_len == 8 || e->name[e->name_len - 9] == '/') &&
          (e->name_len <= 9 || !memchr (e->name, '/', e->name_len - 9)))
        pkl = e;
    }
  if (!pkl)
    {
      s = pk_fail (k, NS_ERR_FORMAT,
                   "zip archive has no data.pkl: not a PyTorch file");
      goto out;
    }
  /* Newer writers record the byte order. */
  memcpy (name, pkl->name, pkl->name_len - 8);
  memcpy (name + pkl->name_len - 8, "byteorder", 9);
  e = ns_zip_find (&z, name, pkl->name_len + 1);
  if (e && ns_zip_data (&z, e, &off, &size) == NS_OK && size == 3 &&
      memcmp (k->in.base + off, "big", 3) == 0)
    {
      s = pk_fail (k, NS_ERR_UNSUPPORTED,
                   "big-endian PyTorch files are not supported");
      goto out;
    }
  if ((s = ns_zip_data (&z, pkl, &off, &size)) != NS_OK ||
      (s = ns_pk_run (k, off, off + size, &next, root)) != NS_OK)
    goto out;
  s = resolve_zip (k, &z, pkl->name, pkl->name_len - 8);
out:
  ns_zip_close (&z);
  return s;
}

ns_status
ns_weights_load_pth_mem (const void *data, size_t len, const char *name,
                         ns_weights **out, ns_error *err)
{
  ns_input in;
  pk k;
  pval root;
  flat f;
  ns_weights *w = NULL;
  size_t data_pos = 0;
  ns_status s;

  if (out)
    *out = NULL;
  if (!name)
    name = "(memory)";
  if (!out || (!data && len > 0))
    return ns_fail (err, NS_ERR_INVALID_ARG, "%s: invalid argument", name);
  in.base = data;
  in.len = len;
  in.name = name;
  in.err = err;
  ns_pk_init (&k, &in);
  memset (&f, 0, sizeof f);

  if (len == 0)
    {
      s = pk_fail (&k, NS_ERR_FORMAT, "empty file");
      goto out;
    }
  if (len >= 4 && rd32 (in.base) == 0x04034b50)
    s = load_zip (&k, &root);
  else
    {
      s = load_legacy (&k, &root, &data_pos);
      if (s == NS_OK)
        s = resolve_legacy (&k, data_pos);
    }
  if (s != NS_OK)
    goto out;
  if (!pval_is_obj (&root, PO_DICT))
    {
      s = pk_fail (&k, NS_ERR_FORMAT,
                   "the file holds no dict of tensors (a state dict)");
      goto out;
    }
  if ((s = flatten (&k, &f, root.u.o, 0, 0)) != NS_OK)
    goto out;

  if (!ns_pk_charge (&k, sizeof *w) || !ns_pk_charge (&k, strlen (name) + 1))
    {
      s = ns_pk_nomem (&k, "the weights");
      goto out;
    }
  w = calloc (1, sizeof *w);
  if (!w || !(w->path = strdup (name)))
    {
      s = pk_fail (&k, NS_ERR_NOMEM, "out of memory");
      goto out;
    }
  w->n = (int) f.n;
  w->w = f.w;
  f.w = NULL;
  f.n = 0;
  *out = w;
  w = NULL;
  s = NS_OK;
out:
  free_weights (f.w, f.n);
  ns_weights_free (w);
  ns_pk_clear (&k);
  return s;
}

ns_status
ns_weights_load_pth (const char *path, ns_weights **out, ns_error *err)
{
  struct stat st;
  void *map;
  int fd;
  ns_status s;

  if (out)
    *out = NULL;
  if (!path || !out)
    return ns_fail (err, NS_ERR_INVALID_ARG, "invalid argument");
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ns_fail (err, NS_ERR_IO, "%s: cannot open: %s", path,
                    strerror (errno));
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    s = ns_fail (err, NS_ERR_IO, "%s: not a regular file", path);
  else if (st.st_size == 0)
    s = ns_fail (err, NS_ERR_FORMAT, "%s: empty file", path);
  else if ((uint64_t) st.st_size > SIZE_MAX)
    s = ns_fail (err, NS_ERR_IO, "%s: file too large", path);
  else
    s = NS_OK;
  if (s != NS_OK)
    {
      close (fd);
      return s;
    }
  map = mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close (fd);
  if (map == MAP_FAILED)
    return ns_fail (err, NS_ERR_IO, "%s: cannot map: %s", path,
                    strerror (errno));
  s = ns_weights_load_pth_mem (map, (size_t) st.st_size, path, out, err);
  munmap (map, (size_t) st.st_size);
  return s;
}

void
ns_weights_free (ns_weights *w)
{
  if (!w)
    return;
  free_weights (w->w, (size_t) w->n);
  free (w->path);
  free (w);
}

int
ns_weights_count (const ns_weights *w)
{
  return w ? w->n : 0;
}

const ns_weight *
ns_weights_get (const ns_weights *w, int i)
{
  if (!w || i < 0 || i >= w->n)
    return NULL;
  return &w->w[i];
}

const ns_weight *
ns_weights_find (const ns_weights *w, const char *name)
{
  int i;
  if (!w || !name)
    return NULL;
  for (i = 0; i < w->n; i++)
    if (strcmp (w->w[i].name, name) == 0)
      return &w->w[i];
  for (i = 0; i < w->n; i++)
    if (strncmp (w->w[i].name, "model.", 6) == 0 &&
        strcmp (w->w[i].name + 6, name) == 0)
      return &w->w[i];
  return NULL;
}

const char *
ns_weights_path (const ns_weights *w)
{
  return w ? w->path : NULL;
}
