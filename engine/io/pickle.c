/* The restricted pickle machine: reads the pickles of a PyTorch state dict
 * without running them.
 *
 * A pickle is a program; we never run it.  This small machine knows only
 * the opcodes a state dict needs, builds plain values (dicts, tuples,
 * strings, numbers) and understands a handful of whitelisted globals
 * (OrderedDict, the tensor rebuilders, the storage types).  Every length,
 * count, index and shape is checked against the input before it is used,
 * and the memory the machine may use is bounded by the size of the input,
 * so a hostile file gives an error, never a crash.  Storages are recorded
 * (srec) for pth.c to find in the file's legacy or zip framing. */
#include "pickle.h"

#include <stdio.h>
#include <stdlib.h>

/* Limits well above anything a real state dict needs. */
#define PK_MAX_STACK (1u << 20) /* values on the pickle stack */
#define PK_MAX_MARKS 4096       /* nested MARKs */

const struct ns_pk_dtype ns_pk_dtypes[DT_COUNT] = {
  { "FloatStorage", 4 },    { "DoubleStorage", 8 }, { "HalfStorage", 2 },
  { "BFloat16Storage", 2 }, { "LongStorage", 8 },   { "IntStorage", 4 },
  { "ShortStorage", 2 },    { "CharStorage", 1 },   { "ByteStorage", 1 },
  { "BoolStorage", 1 },
};

/* Whitelisted globals: REDUCE may call only these. */
enum
{
  G_ODICT = 1,
  G_REBUILD_TENSOR_V2,
  G_REBUILD_TENSOR,
  G_REBUILD_PARAM,
  G_STORAGE /* + dtype */
};

/* ------------------------------------------------------------- memory */

bool
ns_pk_charge (pk *k, size_t bytes)
{
  if (bytes > SIZE_MAX - PK_ALLOC_OVERHEAD ||
      bytes + PK_ALLOC_OVERHEAD > k->budget - k->used)
    return false;
  k->used += bytes + PK_ALLOC_OVERHEAD;
  return true;
}

void
ns_pk_uncharge (pk *k, size_t bytes)
{
  size_t n = bytes + PK_ALLOC_OVERHEAD;
  k->used = n < k->used ? k->used - n : 0;
}

/* Charges the growth from OLD_BYTES to BYTES (a new block: its overhead
 * too), then reallocates. */
static void *
pk_realloc (pk *k, void *p, size_t old_bytes, size_t bytes)
{
  if (bytes > old_bytes)
    {
      size_t more = bytes - old_bytes + (old_bytes ? 0 : PK_ALLOC_OVERHEAD);
      if (more > k->budget - k->used)
        return NULL;
      k->used += more;
    }
  return realloc (p, bytes ? bytes : 1);
}

ns_status
ns_pk_nomem (pk *k, const char *what)
{
  /* Near the budget, the file is to blame, not the machine. */
  if (k->used >= k->budget / 2)
    return pk_fail (k, NS_ERR_FORMAT,
                    "%s needs more memory than a file of %zu bytes can "
                    "justify (at most %d bytes per byte of file: corrupt or "
                    "hostile file)",
                    what, k->in.len, NS_PTH_MEM_FACTOR);
  return pk_fail (k, NS_ERR_NOMEM, "out of memory while reading %s", what);
}

static ns_status
pk_nomem (pk *k)
{
  return ns_pk_nomem (k, "the pickle");
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
  if (!ns_pk_charge (k, sizeof *o))
    return NULL;
  o = calloc (1, sizeof *o);
  if (!o)
    return NULL;
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

void
ns_pk_init (pk *k, const ns_input *in)
{
  memset (k, 0, sizeof *k);
  k->in = *in;
  /* The whole load's memory is bounded by the input (see pickle.h). */
  if (!ns_size_mul (in->len, NS_PTH_MEM_FACTOR, &k->budget) ||
      k->budget > SIZE_MAX / 2)
    k->budget = SIZE_MAX / 2;
  k->budget += NS_PTH_MEM_BASE;
}

void
ns_pk_clear (pk *k)
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
}

/* ------------------------------------------------- globals and storages */

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
      if (str_eq (name, nlen, ns_pk_dtypes[i].storage))
        return G_STORAGE + i;
  return 0;
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
      !ns_size_mul ((size_t) a[4].u.i, ns_pk_dtypes[dt].size, &bytes) ||
      bytes > k->in.len)
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
                ns_pk_dtypes[fn->u.i - G_STORAGE].storage);
      return pk_fail (k, NS_ERR_FORMAT, "cannot call %s at offset %zu", buf,
                      at);
    }
}

/* -------------------------------------------------------------- stack */

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

/* Moves the values above MARK into container O (TUPLE, SETITEM(S),
 * APPEND(S)), in order. */
static bool
pk_move_to (pk *k, pobj *o, size_t mark)
{
  size_t i;
  for (i = mark; i < k->sp; i++)
    if (!pobj_append (k, o, &k->stack[i]))
      return false;
  k->sp = mark;
  return true;
}

/* ---------------------------------------------------------------- run */

ns_status
ns_pk_run (pk *k, size_t pos, size_t end, size_t *next, pval *result)
{
  const unsigned char *b = k->in.base;
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
/* An unsigned W-byte (1, 2 or 4) little-endian operand into n: opcodes
 * come in short and long forms. */
#define READ_UINT(w)                                                      \
  do                                                                      \
    {                                                                     \
      NEED (w);                                                           \
      n = (w) == 4 ? rd32 (b + pos) : (w) == 2 ? rd16 (b + pos) : b[pos]; \
      pos += (w);                                                         \
    }                                                                     \
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
        case 'M': /* BININT2 */
          READ_UINT (op == 'M' ? 2 : 1);
          v.kind = PV_INT;
          v.u.i = (int64_t) n;
          PUSH (v);
          break;
        case 0x8a: /* LONG1 */
          READ_UINT (1);
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
          READ_UINT (4);
          if (op == 'T' && n > INT32_MAX)
            return pk_fail (k, NS_ERR_FORMAT,
                            "negative string length at offset %zu", at);
          goto string;
        case 0x8c: /* SHORT_BINUNICODE */
        case 'C':  /* SHORT_BINBYTES */
        case 'U':  /* SHORT_BINSTRING */
          READ_UINT (1);
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
              NEED_STACK (op - 0x84);
              mark = k->sp - (op - 0x84);
            }
          v.kind = PV_OBJ;
          v.u.o = pobj_new (k, PO_TUPLE);
          if (!v.u.o || !pk_move_to (k, v.u.o, mark))
            return pk_nomem (k);
          PUSH (v);
          break;
        case 'q':  /* BINPUT */
        case 'r':  /* LONG_BINPUT */
        case 0x94: /* MEMOIZE */
          if (op == 0x94)
            n = k->memo_count;
          else
            READ_UINT (op == 'r' ? 4 : 1);
          if (k->sp == base_sp (k))
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
          READ_UINT (op == 'j' ? 4 : 1);
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
                if (k->sp < 2 + base_sp (k) ||
                    k->stack[k->sp - 1].kind != PV_STR ||
                    k->stack[k->sp - 2].kind != PV_STR)
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
                              ns_input_printable (b1, sizeof b1, mod, mlen),
                              ns_input_printable (b2, sizeof b2, name, nlen),
                              at);
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
          if (!pk_move_to (k, k->stack[k->sp - 3].u.o, k->sp - 2))
            return pk_nomem (k);
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
          if (!pk_move_to (k, k->stack[mark - 1].u.o, mark))
            return pk_nomem (k);
          break;
        case 'a': /* APPEND */
          NEED_STACK (2);
          if (!pval_is_obj (&k->stack[k->sp - 2], PO_LIST))
            return pk_fail (k, NS_ERR_FORMAT,
                            "APPEND to a non-list at offset %zu", at);
          if (!pk_move_to (k, k->stack[k->sp - 2].u.o, k->sp - 1))
            return pk_nomem (k);
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
#undef READ_UINT
}
