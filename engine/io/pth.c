/* PyTorch .pth reader: legacy (pre-1.6) and zip serialisation.
 *
 * A pickle is a program; we never run it.  The small machine below knows
 * only the opcodes a state dict needs, builds plain values (dicts, tuples,
 * strings, numbers) and understands a handful of whitelisted globals.
 * Every length, count, index and shape is checked against the input before
 * it is used, and the memory the machine may use is bounded by the size of
 * the input, so a hostile file gives an error, never a crash. */
#include "ns-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Limits well above anything a real state dict needs. */
#define PK_MAX_STACK (1u << 20) /* values on the pickle stack */
#define PK_MAX_MARKS 4096       /* nested MARKs */
#define PK_MAX_DEPTH 32         /* nested dicts when flattening */
#define PK_MAX_NAME 4096        /* flattened key length */
#define PK_MAX_DIMS 8

/* ------------------------------------------------------------- dtypes */

typedef enum
{
  DT_F32,
  DT_F64,
  DT_F16,
  DT_BF16,
  DT_I64,
  DT_I32,
  DT_I16,
  DT_I8,
  DT_U8,
  DT_BOOL,
  DT_COUNT
} pk_dtype;

static const struct
{
  const char *storage;
  size_t size;
} dtypes[DT_COUNT] = {
  { "FloatStorage", 4 },    { "DoubleStorage", 8 }, { "HalfStorage", 2 },
  { "BFloat16Storage", 2 }, { "LongStorage", 8 },   { "IntStorage", 4 },
  { "ShortStorage", 2 },    { "CharStorage", 1 },   { "ByteStorage", 1 },
  { "BoolStorage", 1 },
};

/* ------------------------------------------------------------- values */

enum
{
  G_ODICT = 1,
  G_REBUILD_TENSOR_V2,
  G_REBUILD_TENSOR,
  G_REBUILD_PARAM,
  G_STORAGE /* + dtype */
};

typedef enum
{
  PV_UNDEF = 0, /* empty memo slot */
  PV_NONE,
  PV_BOOL,
  PV_INT,
  PV_BIGINT,
  PV_FLOAT,
  PV_STR,
  PV_GLOBAL,
  PV_OBJ
} pv_kind;

typedef enum
{
  PO_TUPLE,
  PO_LIST,
  PO_DICT,
  PO_STORAGE,
  PO_TENSOR
} po_kind;

typedef struct pobj pobj;

/* Scalars and strings live in the value itself (strings point into the
 * input); containers, tensors and storages are objects. */
typedef struct
{
  pv_kind kind;
  size_t len; /* PV_STR, PV_BIGINT: byte length */
  union
  {
    int64_t i; /* PV_INT, PV_BOOL, PV_GLOBAL id */
    double f;
    const unsigned char *s;
    pobj *o;
  } u;
} pval;

typedef struct
{
  size_t rec;      /* storage record */
  size_t view_off; /* element offset of the (legacy) storage view */
  size_t view_len; /* elements in the view */
  /* Tensor only. */
  int ndim;
  int64_t shape[PK_MAX_DIMS];
  size_t offset; /* storage offset in elements, within the view */
  size_t numel;
} ptensor;

struct pobj
{
  pobj *next; /* every object, for freeing */
  po_kind kind;
  bool visited;  /* flattening: each dict once */
  pval *items;   /* tuple/list items; dict: key, value, key, ... */
  size_t n, cap; /* in pvals */
  ptensor t;     /* PO_STORAGE, PO_TENSOR */
};

/* A storage referenced by a persistent id. */
typedef struct
{
  const unsigned char *key;
  size_t key_len;
  pk_dtype dtype;
  size_t numel;              /* declared */
  const unsigned char *data; /* resolved */
  size_t avail;              /* elements present in the file */
  bool resolved;
} srec;

typedef struct
{
  const unsigned char *name;
  size_t name_len;
  unsigned method;
  uint64_t csize, usize, local_off;
} zentry;

typedef struct
{
  const unsigned char *base;
  size_t len;
  const char *name;
  ns_error *err;

  pobj *objs;
  size_t used, budget; /* bytes the machine allocated / may */

  pval *stack;
  size_t sp, scap;
  size_t *marks;
  size_t nmarks, mcap;
  pval *memo;
  size_t nmemo, memo_count; /* slots allocated, slots defined */

  srec *recs;
  size_t nrecs, rcap;

  zentry *zent;
  size_t nzent;
} pk;

struct ns_weights
{
  char *path;
  int n;
  ns_weight *w;
};

static ns_status pk_fail (pk *k, ns_status status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static ns_status
pk_fail (pk *k, ns_status status, const char *fmt, ...)
{
  if (k->err)
    {
      va_list ap;
      k->err->status = status;
      va_start (ap, fmt);
      vsnprintf (k->err->message, sizeof k->err->message, fmt, ap);
      va_end (ap);
      ns_error_prefix (k->err, "%s", k->name);
    }
  return status;
}

/* Printable copy of untrusted bytes for messages. */
static const char *
safe_str (char *buf, size_t size, const unsigned char *s, size_t len)
{
  size_t i, n = len < size - 4 ? len : size - 4;
  for (i = 0; i < n; i++)
    buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char) s[i] : '?';
  if (n < len)
    {
      memcpy (buf + n, "...", 3);
      n += 3;
    }
  buf[n] = '\0';
  return buf;
}

static uint16_t
rd16 (const unsigned char *p)
{
  return (uint16_t) (p[0] | (p[1] << 8));
}

static uint32_t
rd32 (const unsigned char *p)
{
  return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) |
         ((uint32_t) p[3] << 24);
}

static uint64_t
rd64 (const unsigned char *p)
{
  return (uint64_t) rd32 (p) | ((uint64_t) rd32 (p + 4) << 32);
}

/* Charges BYTES to the machine's budget, then allocates. */
static void *
pk_realloc (pk *k, void *p, size_t old_bytes, size_t bytes)
{
  void *q;
  if (bytes > old_bytes)
    {
      if (bytes - old_bytes > k->budget - k->used)
        return NULL;
      k->used += bytes - old_bytes;
    }
  q = realloc (p, bytes ? bytes : 1);
  return q;
}

static ns_status
pk_nomem (pk *k)
{
  if (k->used >= k->budget / 2)
    return pk_fail (k, NS_ERR_FORMAT,
                    "pickle needs more memory than a file of %zu bytes can "
                    "justify (corrupt or hostile file)",
                    k->len);
  return pk_fail (k, NS_ERR_NOMEM, "out of memory while reading the pickle");
}

/* Grows *ARR (of ELEM-byte items, capacity *CAP) to hold NEED items. */
static bool
pk_grow (pk *k, void **arr, size_t *cap, size_t need, size_t elem)
{
  size_t ncap, bytes, old;
  void *p;
  if (need <= *cap)
    return true;
  ncap = *cap ? *cap : 8;
  while (ncap < need)
    {
      if (ncap > SIZE_MAX / 2)
        return false;
      ncap *= 2;
    }
  if (!ns_size_mul (ncap, elem, &bytes))
    return false;
  old = *cap * elem;
  p = pk_realloc (k, *arr, old, bytes);
  if (!p)
    return false;
  memset ((char *) p + old, 0, bytes - old);
  *arr = p;
  *cap = ncap;
  return true;
}

static pobj *
pobj_new (pk *k, po_kind kind)
{
  pobj *o;
  if (sizeof *o > k->budget - k->used)
    return NULL;
  o = calloc (1, sizeof *o);
  if (!o)
    return NULL;
  k->used += sizeof *o;
  o->kind = kind;
  o->next = k->objs;
  k->objs = o;
  return o;
}

static bool
pobj_append (pk *k, pobj *o, const pval *v)
{
  if (!pk_grow (k, (void **) &o->items, &o->cap, o->n + 1, sizeof (pval)))
    return false;
  o->items[o->n++] = *v;
  return true;
}

static void
pk_clear (pk *k)
{
  pobj *o = k->objs;
  while (o)
    {
      pobj *next = o->next;
      free (o->items);
      free (o);
      o = next;
    }
  k->objs = NULL;
  free (k->stack);
  free (k->marks);
  free (k->memo);
  free (k->recs);
  free (k->zent);
}

/* ------------------------------------------------------- pickle machine */

static bool
pval_is_obj (const pval *v, po_kind kind)
{
  return v->kind == PV_OBJ && v->u.o->kind == kind;
}

static bool
pval_is_str (const pval *v, const char *s)
{
  size_t n = strlen (s);
  return v->kind == PV_STR && v->len == n && memcmp (v->u.s, s, n) == 0;
}

static bool
str_eq (const unsigned char *a, size_t alen, const char *b)
{
  size_t n = strlen (b);
  return alen == n && memcmp (a, b, n) == 0;
}

/* Maps MODULE.NAME to a whitelisted global id, or 0. */
static int
global_id (const unsigned char *mod, size_t mlen, const unsigned char *name,
           size_t nlen)
{
  int i;
  if (str_eq (mod, mlen, "collections") && str_eq (name, nlen, "OrderedDict"))
    return G_ODICT;
  if (str_eq (mod, mlen, "torch._utils"))
    {
      if (str_eq (name, nlen, "_rebuild_tensor_v2"))
        return G_REBUILD_TENSOR_V2;
      if (str_eq (name, nlen, "_rebuild_tensor"))
        return G_REBUILD_TENSOR;
      if (str_eq (name, nlen, "_rebuild_parameter"))
        return G_REBUILD_PARAM;
    }
  if (str_eq (mod, mlen, "torch"))
    for (i = 0; i < DT_COUNT; i++)
      if (str_eq (name, nlen, dtypes[i].storage))
        return G_STORAGE + i;
  return 0;
}

static ns_status
pk_push (pk *k, const pval *v)
{
  if (k->sp >= PK_MAX_STACK)
    return pk_fail (k, NS_ERR_FORMAT, "pickle stack deeper than %u values",
                    PK_MAX_STACK);
  if (!pk_grow (k, (void **) &k->stack, &k->scap, k->sp + 1, sizeof (pval)))
    return pk_nomem (k);
  k->stack[k->sp++] = *v;
  return NS_OK;
}

/* Builds the tensor of _rebuild_tensor[_v2] (storage, offset, size, stride,
 * ...), checking its extent against the storage's declared size. */
static ns_status
make_tensor (pk *k, const pobj *args, size_t at, pval *out)
{
  const pval *a = args->items;
  const pobj *st, *size, *stride;
  pobj *o;
  ptensor *t;
  size_t i, numel = 1, expect = 1, end;
  int nd;

  if (args->n < 4 || !pval_is_obj (&a[0], PO_STORAGE) || a[1].kind != PV_INT ||
      !pval_is_obj (&a[2], PO_TUPLE) || !pval_is_obj (&a[3], PO_TUPLE))
    return pk_fail (k, NS_ERR_FORMAT,
                    "malformed tensor arguments at offset %zu", at);
  st = a[0].u.o;
  size = a[2].u.o;
  stride = a[3].u.o;
  if (size->n > PK_MAX_DIMS || stride->n != size->n)
    return pk_fail (k, NS_ERR_FORMAT,
                    "tensor at offset %zu has %zu dimensions (%zu strides); "
                    "at most %d supported",
                    at, size->n, stride->n, PK_MAX_DIMS);
  if (a[1].u.i < 0)
    return pk_fail (k, NS_ERR_FORMAT, "negative storage offset at offset %zu",
                    at);
  o = pobj_new (k, PO_TENSOR);
  if (!o)
    return pk_nomem (k);
  t = &o->t;
  *t = st->t;
  nd = (int) size->n;
  t->ndim = nd;
  for (i = 0; i < size->n; i++)
    {
      if (size->items[i].kind != PV_INT || size->items[i].u.i < 0 ||
          stride->items[i].kind != PV_INT)
        return pk_fail (k, NS_ERR_FORMAT,
                        "bad tensor size or stride at offset %zu", at);
      t->shape[i] = size->items[i].u.i;
      if ((uint64_t) t->shape[i] > SIZE_MAX ||
          !ns_size_mul (numel, (size_t) t->shape[i], &numel))
        return pk_fail (k, NS_ERR_FORMAT,
                        "tensor at offset %zu is impossibly large", at);
    }
  if (numel > 0)
    for (i = size->n; i-- > 0;)
      {
        if (t->shape[i] != 1 && stride->items[i].u.i != (int64_t) expect)
          return pk_fail (k, NS_ERR_FORMAT,
                          "tensor at offset %zu is not contiguous "
                          "(non-contiguous views are not supported)",
                          at);
        if (!ns_size_mul (expect, (size_t) t->shape[i], &expect))
          return pk_fail (k, NS_ERR_FORMAT,
                          "tensor at offset %zu is impossibly large", at);
      }
  t->numel = numel;
  if ((uint64_t) a[1].u.i > SIZE_MAX)
    return pk_fail (k, NS_ERR_FORMAT, "bad storage offset at offset %zu", at);
  t->offset = (size_t) a[1].u.i;
  if (numel > 0 && (!ns_size_add (t->offset, numel, &end) || end > t->view_len))
    return pk_fail (k, NS_ERR_FORMAT,
                    "tensor at offset %zu reads past its storage "
                    "(%zu + %zu elements > %zu)",
                    at, t->offset, numel, t->view_len);
  out->kind = PV_OBJ;
  out->u.o = o;
  return NS_OK;
}

/* BINPERSID: ('storage', StorageType, key, location, numel[, view]). */
static ns_status
persistent_load (pk *k, const pval *pid, size_t at, pval *out)
{
  const pval *a;
  const pobj *p;
  srec *r;
  pobj *o;
  size_t numel, bytes;
  int dt;

  if (!pval_is_obj (pid, PO_TUPLE) || pid->u.o->n < 5)
    return pk_fail (k, NS_ERR_FORMAT, "unsupported persistent id at offset %zu",
                    at);
  p = pid->u.o;
  a = p->items;
  if (!pval_is_str (&a[0], "storage") || a[1].kind != PV_GLOBAL ||
      a[1].u.i < G_STORAGE || a[2].kind != PV_STR || a[4].kind != PV_INT ||
      a[4].u.i < 0)
    return pk_fail (k, NS_ERR_FORMAT,
                    "malformed storage reference at offset %zu", at);
  dt = (int) (a[1].u.i - G_STORAGE);
  if ((uint64_t) a[4].u.i > SIZE_MAX ||
      !ns_size_mul ((size_t) a[4].u.i, dtypes[dt].size, &bytes) ||
      bytes > k->len)
    return pk_fail (k, NS_ERR_FORMAT,
                    "storage at offset %zu claims %lld elements, more than "
                    "the file holds",
                    at, (long long) a[4].u.i);
  numel = (size_t) a[4].u.i;
  if (!pk_grow (k, (void **) &k->recs, &k->rcap, k->nrecs + 1, sizeof (srec)))
    return pk_nomem (k);
  r = &k->recs[k->nrecs];
  memset (r, 0, sizeof *r);
  r->key = a[2].u.s;
  r->key_len = a[2].len;
  r->dtype = (pk_dtype) dt;
  r->numel = numel;

  o = pobj_new (k, PO_STORAGE);
  if (!o)
    return pk_nomem (k);
  o->t.rec = k->nrecs++;
  o->t.view_off = 0;
  o->t.view_len = numel;
  if (p->n >= 6 && a[5].kind != PV_NONE)
    {
      /* Old legacy files: (view_key, offset, size) into the root storage. */
      const pobj *v;
      size_t end;
      if (!pval_is_obj (&a[5], PO_TUPLE) || a[5].u.o->n < 3)
        return pk_fail (k, NS_ERR_FORMAT,
                        "malformed storage view at offset %zu", at);
      v = a[5].u.o;
      if (v->items[1].kind != PV_INT || v->items[2].kind != PV_INT ||
          v->items[1].u.i < 0 || v->items[2].u.i < 0 ||
          (uint64_t) v->items[1].u.i > numel ||
          (uint64_t) v->items[2].u.i > numel ||
          !ns_size_add ((size_t) v->items[1].u.i, (size_t) v->items[2].u.i,
                        &end) ||
          end > numel)
        return pk_fail (k, NS_ERR_FORMAT,
                        "storage view at offset %zu lies outside its storage",
                        at);
      o->t.view_off = (size_t) v->items[1].u.i;
      o->t.view_len = (size_t) v->items[2].u.i;
    }
  out->kind = PV_OBJ;
  out->u.o = o;
  return NS_OK;
}

static ns_status
reduce (pk *k, const pval *fn, const pval *args, size_t at, pval *out)
{
  char buf[64];
  if (fn->kind != PV_GLOBAL || !pval_is_obj (args, PO_TUPLE))
    return pk_fail (k, NS_ERR_FORMAT,
                    "REDUCE of something that is not a whitelisted global "
                    "at offset %zu",
                    at);
  switch (fn->u.i)
    {
    case G_ODICT:
      if (args->u.o->n != 0)
        return pk_fail (k, NS_ERR_FORMAT,
                        "OrderedDict with arguments at offset %zu", at);
      out->kind = PV_OBJ;
      out->u.o = pobj_new (k, PO_DICT);
      return out->u.o ? NS_OK : pk_nomem (k);
    case G_REBUILD_TENSOR_V2:
    case G_REBUILD_TENSOR:
      return make_tensor (k, args->u.o, at, out);
    case G_REBUILD_PARAM:
      if (args->u.o->n < 1 || !pval_is_obj (&args->u.o->items[0], PO_TENSOR))
        return pk_fail (k, NS_ERR_FORMAT, "malformed parameter at offset %zu",
                        at);
      *out = args->u.o->items[0];
      return NS_OK;
    default:
      snprintf (buf, sizeof buf, "torch.%s",
                dtypes[fn->u.i - G_STORAGE].storage);
      return pk_fail (k, NS_ERR_FORMAT, "cannot call %s at offset %zu", buf,
                      at);
    }
}

/* As Python's unpickler, a MARK starts a new stack frame: opcodes may not
 * pop below it. */
static size_t
base_sp (const pk *k)
{
  return k->nmarks ? k->marks[k->nmarks - 1] : 0;
}

static ns_status
pop_mark (pk *k, size_t at, size_t *mark)
{
  if (k->nmarks == 0)
    return pk_fail (k, NS_ERR_FORMAT, "pickle has no MARK at offset %zu", at);
  *mark = k->marks[--k->nmarks];
  return NS_OK;
}

/* Runs the pickle at [POS, END) of the input.  *NEXT receives the offset
 * after STOP. */
static ns_status
pk_run (pk *k, size_t pos, size_t end, size_t *next, pval *result)
{
  const unsigned char *b = k->base;
  const size_t start = pos;
  ns_status s;

  k->sp = 0;
  k->nmarks = 0;
  if (k->memo)
    memset (k->memo, 0, k->nmemo * sizeof (pval));
  k->memo_count = 0;

#define NEED(n)                                                             \
  do                                                                        \
    {                                                                       \
      if (end - pos < (size_t) (n))                                         \
        return pk_fail (k, NS_ERR_FORMAT, "truncated pickle at offset %zu", \
                        at);                                                \
    }                                                                       \
  while (0)
#define NEED_STACK(n)                                                      \
  do                                                                       \
    {                                                                      \
      if (k->sp < (size_t) (n) + base_sp (k))                              \
        return pk_fail (k, NS_ERR_FORMAT,                                  \
                        "pickle stack underflow (opcode 0x%02x at offset " \
                        "%zu)",                                            \
                        op, at);                                           \
    }                                                                      \
  while (0)
#define PUSH(v)                             \
  do                                        \
    {                                       \
      if ((s = pk_push (k, &(v))) != NS_OK) \
        return s;                           \
    }                                       \
  while (0)

  for (;;)
    {
      size_t at = pos, n = 0, i, mark = 0;
      unsigned op;
      pval v;

      memset (&v, 0, sizeof v);
      if (pos >= end)
        return pk_fail (k, NS_ERR_FORMAT,
                        "truncated pickle (no STOP) at offset %zu", pos);
      op = b[pos++];
      switch (op)
        {
        case 0x80: /* PROTO */
          NEED (1);
          if (b[pos] > 5)
            return pk_fail (k, NS_ERR_FORMAT,
                            "unsupported pickle protocol %u at offset %zu",
                            b[pos], at);
          pos++;
          break;
        case 0x95: /* FRAME: a size hint, the data follows inline */
          NEED (8);
          pos += 8;
          break;
        case '.': /* STOP */
          if (k->sp == 0 || k->nmarks != 0)
            return pk_fail (k, NS_ERR_FORMAT,
                            "pickle ends with an empty stack or open MARK at "
                            "offset %zu",
                            at);
          *result = k->stack[k->sp - 1];
          *next = pos;
          return NS_OK;
        case '(': /* MARK */
          if (k->nmarks >= PK_MAX_MARKS)
            return pk_fail (k, NS_ERR_FORMAT,
                            "pickle MARKs nested deeper than %d at offset %zu",
                            PK_MAX_MARKS, at);
          if (!pk_grow (k, (void **) &k->marks, &k->mcap, k->nmarks + 1,
                        sizeof (size_t)))
            return pk_nomem (k);
          k->marks[k->nmarks++] = k->sp;
          break;
        case 'N':
          v.kind = PV_NONE;
          PUSH (v);
          break;
        case 0x88: /* NEWTRUE */
        case 0x89: /* NEWFALSE */
          v.kind = PV_BOOL;
          v.u.i = op == 0x88;
          PUSH (v);
          break;
        case 'J': /* BININT */
          NEED (4);
          v.kind = PV_INT;
          v.u.i = (int32_t) rd32 (b + pos);
          pos += 4;
          PUSH (v);
          break;
        case 'K': /* BININT1 */
          NEED (1);
          v.kind = PV_INT;
          v.u.i = b[pos++];
          PUSH (v);
          break;
        case 'M': /* BININT2 */
          NEED (2);
          v.kind = PV_INT;
          v.u.i = rd16 (b + pos);
          pos += 2;
          PUSH (v);
          break;
        case 0x8a: /* LONG1 */
          NEED (1);
          n = b[pos++];
          NEED (n);
          if (n <= 8)
            {
              uint64_t x = 0;
              for (i = 0; i < n; i++)
                x |= (uint64_t) b[pos + i] << (8 * i);
              if (n > 0 && n < 8 && (b[pos + n - 1] & 0x80))
                x |= ~(uint64_t) 0 << (8 * n); /* sign-extend */
              v.kind = PV_INT;
              v.u.i = (int64_t) x;
            }
          else
            {
              v.kind = PV_BIGINT; /* only the legacy magic number */
              v.u.s = b + pos;
              v.len = n;
            }
          pos += n;
          PUSH (v);
          break;
        case 'G': /* BINFLOAT, big-endian */
          {
            uint64_t x = 0;
            NEED (8);
            for (i = 0; i < 8; i++)
              x = (x << 8) | b[pos + i];
            memcpy (&v.u.f, &x, sizeof x);
            v.kind = PV_FLOAT;
            pos += 8;
            PUSH (v);
            break;
          }
        case 'X': /* BINUNICODE */
        case 'B': /* BINBYTES */
        case 'T': /* BINSTRING */
          NEED (4);
          n = rd32 (b + pos);
          if (op == 'T' && n > INT32_MAX)
            return pk_fail (k, NS_ERR_FORMAT,
                            "negative string length at offset %zu", at);
          pos += 4;
          goto string;
        case 0x8c: /* SHORT_BINUNICODE */
        case 'C':  /* SHORT_BINBYTES */
        case 'U':  /* SHORT_BINSTRING */
          NEED (1);
          n = b[pos++];
          goto string;
        case 0x8d: /* BINUNICODE8 */
        case 0x8e: /* BINBYTES8 */
          {
            uint64_t x;
            NEED (8);
            x = rd64 (b + pos);
            pos += 8;
            if (x > end - pos)
              return pk_fail (k, NS_ERR_FORMAT,
                              "string of %llu bytes at offset %zu runs past "
                              "the end",
                              (unsigned long long) x, at);
            n = (size_t) x;
          }
        string:
          if (n > end - pos)
            return pk_fail (k, NS_ERR_FORMAT,
                            "string of %zu bytes at offset %zu runs past the "
                            "end",
                            n, at);
          v.kind = PV_STR;
          v.u.s = b + pos;
          v.len = n;
          pos += n;
          PUSH (v);
          break;
        case ')': /* EMPTY_TUPLE */
        case ']': /* EMPTY_LIST */
        case '}': /* EMPTY_DICT */
          v.kind = PV_OBJ;
          v.u.o = pobj_new (k, op == ')'   ? PO_TUPLE
                               : op == ']' ? PO_LIST
                                           : PO_DICT);
          if (!v.u.o)
            return pk_nomem (k);
          PUSH (v);
          break;
        case 't':  /* TUPLE */
        case 0x85: /* TUPLE1 */
        case 0x86: /* TUPLE2 */
        case 0x87: /* TUPLE3 */
          if (op == 't')
            {
              if ((s = pop_mark (k, at, &mark)) != NS_OK)
                return s;
            }
          else
            {
              n = op - 0x84;
              if (k->sp < n ||
                  (k->nmarks > 0 && k->sp - n < k->marks[k->nmarks - 1]))
                return pk_fail (k, NS_ERR_FORMAT,
                                "pickle stack underflow (opcode 0x%02x at "
                                "offset %zu)",
                                op, at);
              mark = k->sp - n;
            }
          v.kind = PV_OBJ;
          v.u.o = pobj_new (k, PO_TUPLE);
          if (!v.u.o)
            return pk_nomem (k);
          for (i = mark; i < k->sp; i++)
            if (!pobj_append (k, v.u.o, &k->stack[i]))
              return pk_nomem (k);
          k->sp = mark;
          PUSH (v);
          break;
        case 'q':  /* BINPUT */
        case 'r':  /* LONG_BINPUT */
        case 0x94: /* MEMOIZE */
          if (op == 'q')
            {
              NEED (1);
              n = b[pos++];
            }
          else if (op == 'r')
            {
              NEED (4);
              n = rd32 (b + pos);
              pos += 4;
            }
          else
            n = k->memo_count;
          if (k->sp == 0 || (k->nmarks > 0 && k->sp == k->marks[k->nmarks - 1]))
            return pk_fail (k, NS_ERR_FORMAT,
                            "memo store from an empty stack at offset %zu", at);
          /* Writers number memo slots in order, so an index beyond the
           * bytes read so far is bogus; this bounds the memo's size. */
          if (n > pos - start)
            return pk_fail (k, NS_ERR_FORMAT,
                            "memo index %zu out of range at offset %zu", n, at);
          if (n >= k->nmemo)
            {
              if (!pk_grow (k, (void **) &k->memo, &k->nmemo, n + 1,
                            sizeof (pval)))
                return pk_nomem (k);
            }
          if (k->memo[n].kind == PV_UNDEF)
            k->memo_count++;
          k->memo[n] = k->stack[k->sp - 1];
          break;
        case 'h': /* BINGET */
        case 'j': /* LONG_BINGET */
          if (op == 'h')
            {
              NEED (1);
              n = b[pos++];
            }
          else
            {
              NEED (4);
              n = rd32 (b + pos);
              pos += 4;
            }
          if (n >= k->nmemo || k->memo[n].kind == PV_UNDEF)
            return pk_fail (k, NS_ERR_FORMAT,
                            "undefined memo index %zu at offset %zu", n, at);
          v = k->memo[n];
          PUSH (v);
          break;
        case 'c':  /* GLOBAL module\nname\n */
        case 0x93: /* STACK_GLOBAL */
          {
            const unsigned char *mod, *name, *nl;
            size_t mlen, nlen;
            int id;
            char b1[80], b2[80];
            if (op == 'c')
              {
                nl = memchr (b + pos, '\n', end - pos);
                if (!nl)
                  return pk_fail (k, NS_ERR_FORMAT,
                                  "truncated GLOBAL at offset %zu", at);
                mod = b + pos;
                mlen = (size_t) (nl - mod);
                pos += mlen + 1;
                nl = memchr (b + pos, '\n', end - pos);
                if (!nl)
                  return pk_fail (k, NS_ERR_FORMAT,
                                  "truncated GLOBAL at offset %zu", at);
                name = b + pos;
                nlen = (size_t) (nl - name);
                pos += nlen + 1;
              }
            else
              {
                if (k->sp < 2 || k->stack[k->sp - 1].kind != PV_STR ||
                    k->stack[k->sp - 2].kind != PV_STR ||
                    (k->nmarks > 0 && k->sp - 2 < k->marks[k->nmarks - 1]))
                  return pk_fail (k, NS_ERR_FORMAT,
                                  "malformed STACK_GLOBAL at offset %zu", at);
                name = k->stack[k->sp - 1].u.s;
                nlen = k->stack[k->sp - 1].len;
                mod = k->stack[k->sp - 2].u.s;
                mlen = k->stack[k->sp - 2].len;
                k->sp -= 2;
              }
            id = global_id (mod, mlen, name, nlen);
            if (!id)
              return pk_fail (k, NS_ERR_FORMAT,
                              "disallowed pickle global %s.%s at offset %zu "
                              "(only state-dict types are accepted)",
                              safe_str (b1, sizeof b1, mod, mlen),
                              safe_str (b2, sizeof b2, name, nlen), at);
            v.kind = PV_GLOBAL;
            v.u.i = id;
            PUSH (v);
            break;
          }
        case 'R': /* REDUCE */
          NEED_STACK (2);
          if ((s = reduce (k, &k->stack[k->sp - 2], &k->stack[k->sp - 1], at,
                           &v)) != NS_OK)
            return s;
          k->sp -= 2;
          PUSH (v);
          break;
        case 'b': /* BUILD: state of OrderedDict (_metadata) or tensor */
          NEED_STACK (2);
          if (!pval_is_obj (&k->stack[k->sp - 2], PO_DICT) &&
              !pval_is_obj (&k->stack[k->sp - 2], PO_TENSOR))
            return pk_fail (k, NS_ERR_FORMAT,
                            "BUILD on an unsupported object at offset %zu", at);
          k->sp--;
          break;
        case 'Q': /* BINPERSID */
          NEED_STACK (1);
          if ((s = persistent_load (k, &k->stack[k->sp - 1], at, &v)) != NS_OK)
            return s;
          k->stack[k->sp - 1] = v;
          break;
        case 's': /* SETITEM */
          NEED_STACK (3);
          if (!pval_is_obj (&k->stack[k->sp - 3], PO_DICT))
            return pk_fail (k, NS_ERR_FORMAT,
                            "SETITEM on a non-dict at offset %zu", at);
          if (!pobj_append (k, k->stack[k->sp - 3].u.o, &k->stack[k->sp - 2]) ||
              !pobj_append (k, k->stack[k->sp - 3].u.o, &k->stack[k->sp - 1]))
            return pk_nomem (k);
          k->sp -= 2;
          break;
        case 'u': /* SETITEMS */
        case 'e': /* APPENDS */
          if ((s = pop_mark (k, at, &mark)) != NS_OK)
            return s;
          if (mark == base_sp (k) ||
              !pval_is_obj (&k->stack[mark - 1],
                            op == 'u' ? PO_DICT : PO_LIST) ||
              (op == 'u' && (k->sp - mark) % 2 != 0))
            return pk_fail (k, NS_ERR_FORMAT, "malformed %s at offset %zu",
                            op == 'u' ? "SETITEMS" : "APPENDS", at);
          for (i = mark; i < k->sp; i++)
            if (!pobj_append (k, k->stack[mark - 1].u.o, &k->stack[i]))
              return pk_nomem (k);
          k->sp = mark;
          break;
        case 'a': /* APPEND */
          NEED_STACK (2);
          if (!pval_is_obj (&k->stack[k->sp - 2], PO_LIST))
            return pk_fail (k, NS_ERR_FORMAT,
                            "APPEND to a non-list at offset %zu", at);
          if (!pobj_append (k, k->stack[k->sp - 2].u.o, &k->stack[k->sp - 1]))
            return pk_nomem (k);
          k->sp--;
          break;
        default:
          return pk_fail (k, NS_ERR_FORMAT,
                          "unsupported pickle opcode 0x%02x at offset %zu", op,
                          at);
        }
    }
#undef NEED
#undef NEED_STACK
#undef PUSH
}

/* ------------------------------------------------------------ storages */

static int
rec_cmp (const void *a, const void *b)
{
  const srec *x = a, *y = b;
  size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
  int c = memcmp (x->key, y->key, n);
  if (c)
    return c;
  return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
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

  s = pk_run (k, pos, k->len, &next, &keys);
  if (s != NS_OK)
    return s;
  if (!pval_is_obj (&keys, PO_LIST))
    return pk_fail (k, NS_ERR_FORMAT, "storage key list is not a list");
  pos = next;
  if (k->nrecs == 0)
    return NS_OK;
  /* Records sorted by key, so each listed key is found by bisection. */
  sorted = malloc (k->nrecs * sizeof *sorted);
  if (!sorted)
    return pk_fail (k, NS_ERR_NOMEM, "out of memory");
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
      probe.key = key->u.s;
      probe.key_len = key->len;
      hit = bsearch (&probe, sorted, k->nrecs, sizeof *sorted, rec_cmp);
      if (!hit)
        {
          s = pk_fail (k, NS_ERR_FORMAT, "storage %s is listed but never used",
                       safe_str (kb, sizeof kb, key->u.s, key->len));
          goto out;
        }
      lo = hit;
      while (lo > sorted && rec_cmp (lo - 1, &probe) == 0)
        lo--;
      hi = hit;
      while (hi + 1 < sorted + k->nrecs && rec_cmp (hi + 1, &probe) == 0)
        hi++;
      elsize = dtypes[lo->dtype].size;
      if (k->len - pos < 8)
        {
          s = pk_fail (k, NS_ERR_FORMAT,
                       "truncated: storage %s header at offset %zu is past "
                       "the end",
                       safe_str (kb, sizeof kb, key->u.s, key->len), pos);
          goto out;
        }
      count = rd64 (k->base + pos);
      pos += 8;
      if (count > (k->len - pos) / elsize)
        {
          s = pk_fail (k, NS_ERR_FORMAT,
                       "truncated: storage %s needs %llu x %zu bytes at "
                       "offset %zu, the file has %zu",
                       safe_str (kb, sizeof kb, key->u.s, key->len),
                       (unsigned long long) count, elsize, pos, k->len - pos);
          goto out;
        }
      bytes = (size_t) count * elsize;
      for (; lo <= hi; lo++)
        {
          if (lo->resolved)
            {
              s = pk_fail (k, NS_ERR_FORMAT, "storage %s is listed twice",
                           safe_str (kb, sizeof kb, key->u.s, key->len));
              goto out;
            }
          if (lo->dtype != hit->dtype)
            {
              s = pk_fail (k, NS_ERR_FORMAT,
                           "storage %s is used with two types",
                           safe_str (kb, sizeof kb, key->u.s, key->len));
              goto out;
            }
          lo->resolved = true;
          lo->data = k->base + pos;
          lo->avail = (size_t) count;
        }
      pos += bytes;
    }
  /* Copy the resolution back to the records in their original order. */
  for (i = 0; i < k->nrecs; i++)
    {
      srec probe = k->recs[i], *hit;
      hit = bsearch (&probe, sorted, k->nrecs, sizeof *sorted, rec_cmp);
      if (hit && hit->resolved)
        {
          k->recs[i].resolved = true;
          k->recs[i].data = hit->data;
          k->recs[i].avail = hit->avail;
        }
    }
  s = NS_OK;
out:
  free (sorted);
  return s;
}

/* ----------------------------------------------------------------- zip */

static int
zent_cmp (const void *a, const void *b)
{
  const zentry *x = a, *y = b;
  size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
  int c = memcmp (x->name, y->name, n);
  if (c)
    return c;
  return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

static ns_status
zip_read_dir (pk *k)
{
  const unsigned char *b = k->base;
  size_t len = k->len, eocd = 0, i, pos;
  uint64_t nent, cd_size, cd_off;
  bool found = false;

  if (len < 22)
    return pk_fail (k, NS_ERR_FORMAT, "truncated zip archive");
  /* The end-of-central-directory record, maybe followed by a comment. */
  for (i = len - 22;; i--)
    {
      if (rd32 (b + i) == 0x06054b50)
        {
          eocd = i;
          found = true;
          break;
        }
      if (i == 0 || len - 22 - i >= 65535)
        break;
    }
  if (!found)
    return pk_fail (k, NS_ERR_FORMAT,
                    "zip end-of-directory record not found (truncated?)");
  nent = rd16 (b + eocd + 10);
  cd_size = rd32 (b + eocd + 12);
  cd_off = rd32 (b + eocd + 16);
  if (nent == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu)
    {
      uint64_t z;
      if (eocd < 20 || rd32 (b + eocd - 20) != 0x07064b50)
        return pk_fail (k, NS_ERR_FORMAT, "zip64 locator not found");
      z = rd64 (b + eocd - 20 + 8);
      if (z > len || len - z < 56 || rd32 (b + z) != 0x06064b50)
        return pk_fail (k, NS_ERR_FORMAT, "bad zip64 directory record");
      nent = rd64 (b + z + 32);
      cd_size = rd64 (b + z + 40);
      cd_off = rd64 (b + z + 48);
    }
  if (cd_off > len || cd_size > len - cd_off)
    return pk_fail (k, NS_ERR_FORMAT,
                    "zip central directory lies outside the file");
  if (nent > cd_size / 46)
    return pk_fail (k, NS_ERR_FORMAT,
                    "zip directory claims %llu entries, it has room for %llu",
                    (unsigned long long) nent,
                    (unsigned long long) (cd_size / 46));
  k->zent = calloc (nent ? (size_t) nent : 1, sizeof *k->zent);
  if (!k->zent)
    return pk_fail (k, NS_ERR_NOMEM, "out of memory");
  pos = (size_t) cd_off;
  for (i = 0; i < nent; i++)
    {
      zentry *e = &k->zent[i];
      size_t end = (size_t) (cd_off + cd_size), nl, xl, cl, x;
      if (end - pos < 46 || rd32 (b + pos) != 0x02014b50)
        return pk_fail (k, NS_ERR_FORMAT, "bad zip directory entry %zu", i);
      e->method = rd16 (b + pos + 10);
      e->csize = rd32 (b + pos + 20);
      e->usize = rd32 (b + pos + 24);
      nl = rd16 (b + pos + 28);
      xl = rd16 (b + pos + 30);
      cl = rd16 (b + pos + 32);
      e->local_off = rd32 (b + pos + 42);
      if (end - pos - 46 < nl + xl + cl)
        return pk_fail (k, NS_ERR_FORMAT, "bad zip directory entry %zu", i);
      e->name = b + pos + 46;
      e->name_len = nl;
      /* Zip64 extra field: the 0xffffffff fields, in order. */
      for (x = pos + 46 + nl; x + 4 <= pos + 46 + nl + xl;)
        {
          size_t id = rd16 (b + x), sz = rd16 (b + x + 2), f = x + 4;
          if (x + 4 + sz > pos + 46 + nl + xl)
            break;
          if (id == 1)
            {
              if (e->usize == 0xffffffffu && f + 8 <= x + 4 + sz)
                e->usize = rd64 (b + f), f += 8;
              if (e->csize == 0xffffffffu && f + 8 <= x + 4 + sz)
                e->csize = rd64 (b + f), f += 8;
              if (e->local_off == 0xffffffffu && f + 8 <= x + 4 + sz)
                e->local_off = rd64 (b + f);
            }
          x += 4 + sz;
        }
      pos += 46 + nl + xl + cl;
    }
  k->nzent = (size_t) nent;
  qsort (k->zent, k->nzent, sizeof *k->zent, zent_cmp);
  return NS_OK;
}

static const zentry *
zip_find (pk *k, const unsigned char *name, size_t len)
{
  zentry probe;
  probe.name = name;
  probe.name_len = len;
  return bsearch (&probe, k->zent, k->nzent, sizeof *k->zent, zent_cmp);
}

/* The data of a stored entry, via its local header. */
static ns_status
zip_data (pk *k, const zentry *e, size_t *off, size_t *size)
{
  const unsigned char *b = k->base;
  char nb[80];
  uint64_t lo = e->local_off, start;

  safe_str (nb, sizeof nb, e->name, e->name_len);
  if (e->method != 0 || e->csize != e->usize)
    return pk_fail (k, NS_ERR_FORMAT,
                    "zip entry %s is compressed (method %u); only stored "
                    "entries are supported",
                    nb, e->method);
  if (lo > k->len || k->len - lo < 30 || rd32 (b + lo) != 0x04034b50)
    return pk_fail (k, NS_ERR_FORMAT, "bad zip local header for %s", nb);
  start = lo + 30 + rd16 (b + lo + 26) + rd16 (b + lo + 28);
  if (start > k->len || e->csize > k->len - start)
    return pk_fail (k, NS_ERR_FORMAT,
                    "zip entry %s runs past the end of the file", nb);
  *off = (size_t) start;
  *size = (size_t) e->csize;
  return NS_OK;
}

static ns_status
resolve_zip (pk *k, const unsigned char *prefix, size_t plen)
{
  unsigned char name[512];
  size_t i;
  ns_status s;

  for (i = 0; i < k->nrecs; i++)
    {
      srec *r = &k->recs[i];
      const zentry *e;
      size_t off, size, n;
      char kb[80];

      if (plen + 5 + r->key_len > sizeof name)
        return pk_fail (k, NS_ERR_FORMAT, "storage key too long");
      memcpy (name, prefix, plen);
      memcpy (name + plen, "data/", 5);
      memcpy (name + plen + 5, r->key, r->key_len);
      n = plen + 5 + r->key_len;
      e = zip_find (k, name, n);
      if (!e)
        return pk_fail (k, NS_ERR_FORMAT, "zip entry %s is missing",
                        safe_str (kb, sizeof kb, name, n));
      if ((s = zip_data (k, e, &off, &size)) != NS_OK)
        return s;
      r->data = k->base + off;
      r->avail = size / dtypes[r->dtype].size;
      r->resolved = true;
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

typedef struct
{
  ns_weight *w;
  size_t n, cap;
  size_t out_bytes, out_budget;
  char name[PK_MAX_NAME + 1];
} flat;

static ns_status
add_weight (pk *k, flat *f, size_t name_len, const ptensor *t)
{
  const srec *r = &k->recs[t->rec];
  ns_weight *w;
  size_t bytes, first, end;

  if (!r->resolved)
    return pk_fail (k, NS_ERR_FORMAT, "tensor %s: its storage has no data",
                    f->name);
  first = t->view_off + t->offset; /* both checked against r->numel */
  if (t->numel > 0 && (!ns_size_add (first, t->numel, &end) || end > r->avail))
    return pk_fail (k, NS_ERR_FORMAT,
                    "tensor %s: truncated storage (needs %zu elements, the "
                    "file has %zu)",
                    f->name, first + t->numel, r->avail);
  if (!ns_size_mul (t->numel, sizeof (float), &bytes) ||
      bytes > f->out_budget - f->out_bytes)
    return pk_fail (k, NS_ERR_FORMAT,
                    "tensor %s: tensors add up to more data than the file "
                    "holds",
                    f->name);
  if (f->n == f->cap)
    {
      size_t ncap = f->cap ? f->cap * 2 : 32;
      ns_weight *nw;
      if (ncap > (size_t) INT32_MAX)
        return pk_fail (k, NS_ERR_FORMAT, "too many tensors");
      nw = realloc (f->w, ncap * sizeof *nw);
      if (!nw)
        return pk_fail (k, NS_ERR_NOMEM, "out of memory");
      f->w = nw;
      f->cap = ncap;
    }
  w = &f->w[f->n];
  memset (w, 0, sizeof *w);
  w->name = malloc (name_len + 1);
  w->data = ns_alloc (bytes);
  if (!w->name || !w->data)
    {
      free (w->name);
      ns_free (w->data);
      return pk_fail (k, NS_ERR_NOMEM,
                      "out of memory for tensor %s (%zu bytes)", f->name,
                      bytes);
    }
  f->n++;
  f->out_bytes += bytes;
  memcpy (w->name, f->name, name_len + 1);
  w->ndim = t->ndim;
  memcpy (w->shape, t->shape, sizeof w->shape);
  w->numel = t->numel;
  if (t->numel > 0)
    convert (w->data, r->data + first * dtypes[r->dtype].size, t->numel,
             r->dtype);
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

static ns_status
load_legacy (pk *k, pval *root, size_t *data_pos)
{
  static const unsigned char magic[10] = { 0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                           0x20, 0x6a, 0xa8, 0x50, 0x19 };
  pval v;
  size_t pos = 0;
  ns_status s;
  size_t i;

  if (k->len >= 262 && memcmp (k->base + 257, "ustar", 5) == 0)
    return pk_fail (k, NS_ERR_UNSUPPORTED,
                    "tar-based PyTorch files (before 0.4) are not supported");
  if ((s = pk_run (k, pos, k->len, &pos, &v)) != NS_OK)
    return s;
  if (v.kind != PV_BIGINT || v.len != 10 || memcmp (v.u.s, magic, 10) != 0)
    return pk_fail (k, NS_ERR_FORMAT, "not a PyTorch file (bad magic number)");
  if ((s = pk_run (k, pos, k->len, &pos, &v)) != NS_OK)
    return s;
  if (v.kind != PV_INT || v.u.i != 1001)
    return pk_fail (k, NS_ERR_FORMAT,
                    "unsupported legacy protocol version (expected 1001)");
  if ((s = pk_run (k, pos, k->len, &pos, &v)) != NS_OK)
    return s;
  if (!pval_is_obj (&v, PO_DICT))
    return pk_fail (k, NS_ERR_FORMAT, "bad sys-info record");
  for (i = 0; i + 1 < v.u.o->n; i += 2)
    if (pval_is_str (&v.u.o->items[i], "little_endian") &&
        v.u.o->items[i + 1].kind == PV_BOOL && !v.u.o->items[i + 1].u.i)
      return pk_fail (k, NS_ERR_UNSUPPORTED,
                      "big-endian PyTorch files are not supported");
  if ((s = pk_run (k, pos, k->len, &pos, root)) != NS_OK)
    return s;
  *data_pos = pos;
  return NS_OK;
}

static ns_status
load_zip (pk *k, pval *root)
{
  const zentry *pkl = NULL, *e;
  size_t i, off, size, next;
  unsigned char name[512];
  ns_status s;

  if ((s = zip_read_dir (k)) != NS_OK)
    return s;
  /* "<top>/data.pkl": the top folder varies (archive/, the file stem). */
  for (i = 0; i < k->nzent && !pkl; i++)
    {
      e = &k->zent[i];
      if (e->name_len >= 8 && e->name_len < 256 &&
          memcmp (e->name + e->name_len - 8, "data.pkl", 8) == 0 &&
          (e->name_len == 8 || e->name[e->name_len - 9] == '/') &&
          (e->name_len <= 9 || !memchr (e->name, '/', e->name_len - 9)))
        pkl = e;
    }
  if (!pkl)
    return pk_fail (k, NS_ERR_FORMAT,
                    "zip archive has no data.pkl: not a PyTorch file");
  /* Newer writers record the byte order. */
  memcpy (name, pkl->name, pkl->name_len - 8);
  memcpy (name + pkl->name_len - 8, "byteorder", 9);
  e = zip_find (k, name, pkl->name_len + 1);
  if (e && zip_data (k, e, &off, &size) == NS_OK && size == 3 &&
      memcmp (k->base + off, "big", 3) == 0)
    return pk_fail (k, NS_ERR_UNSUPPORTED,
                    "big-endian PyTorch files are not supported");
  if ((s = zip_data (k, pkl, &off, &size)) != NS_OK)
    return s;
  if ((s = pk_run (k, off, off + size, &next, root)) != NS_OK)
    return s;
  return resolve_zip (k, pkl->name, pkl->name_len - 8);
}

ns_status
ns_weights_load_pth_mem (const void *data, size_t len, const char *name,
                         ns_weights **out, ns_error *err)
{
  pk k;
  pval root;
  flat f;
  ns_weights *w = NULL;
  size_t data_pos = 0, i;
  ns_status s;

  if (out)
    *out = NULL;
  if (!name)
    name = "(memory)";
  if (!out || (!data && len > 0))
    return ns_fail (err, NS_ERR_INVALID_ARG, "%s: invalid argument", name);
  memset (&k, 0, sizeof k);
  memset (&f, 0, sizeof f);
  k.base = data;
  k.len = len;
  k.name = name;
  k.err = err;
  /* The machine's memory is bounded by the input, generously. */
  if (!ns_size_mul (len, 64, &k.budget) || k.budget > SIZE_MAX / 2)
    k.budget = SIZE_MAX / 2;
  k.budget += 1u << 20;
  if (!ns_size_mul (len, 8, &f.out_budget) || f.out_budget > SIZE_MAX / 2)
    f.out_budget = SIZE_MAX / 2;
  f.out_budget += 1u << 16;

  if (len == 0)
    {
      s = pk_fail (&k, NS_ERR_FORMAT, "empty file");
      goto out;
    }
  if (len >= 4 && rd32 (k.base) == 0x04034b50)
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
  for (i = 0; i < f.n; i++)
    {
      free (f.w[i].name);
      ns_free (f.w[i].data);
    }
  free (f.w);
  if (w)
    {
      free (w->path);
      free (w);
    }
  pk_clear (&k);
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
    {
      close (fd);
      return ns_fail (err, NS_ERR_IO, "%s: not a regular file", path);
    }
  if (st.st_size == 0)
    {
      close (fd);
      return ns_fail (err, NS_ERR_FORMAT, "%s: empty file", path);
    }
  if ((uint64_t) st.st_size > SIZE_MAX)
    {
      close (fd);
      return ns_fail (err, NS_ERR_IO, "%s: file too large", path);
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
  int i;
  if (!w)
    return;
  for (i = 0; i < w->n; i++)
    {
      free (w->w[i].name);
      ns_free (w->w[i].data);
    }
  free (w->w);
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
