/* The restricted pickle machine's values, shared by the machine
 * (pickle.c) and the state-dict layer (pth.c), which resolves the storages
 * the machine records and walks the dicts it builds.  Strings point into
 * the input; every allocation of the whole load (the machine's objects,
 * stack, marks, memo and storage records, the zip directory, and pth.c's
 * tensor array, names and converted data) is charged to one budget bounded
 * by the input's size (NS_PTH_MEM_FACTOR). */
#ifndef NS_IO_PICKLE_H
#define NS_IO_PICKLE_H

#include "input.h"

#define PK_MAX_DIMS 8 /* tensor dimensions */

/* The load's memory budget: NS_PTH_MEM_FACTOR bytes per byte of file, plus
 * NS_PTH_MEM_BASE, for everything the loader allocates (the file itself is
 * mapped, not copied).  Real state dicts need far less: float32 data costs
 * 1x, the pickle machine's objects about 30x the pickle's bytes for a dict
 * of tiny tensors; a hostile file that makes many objects (or long names)
 * from few bytes is refused instead of taking memory without bound. */
#define NS_PTH_MEM_FACTOR 64
#define NS_PTH_MEM_BASE ((size_t) 1 << 20)
/* What one allocation costs beyond the bytes asked for (malloc's header
 * and rounding), charged too so that many small objects are counted as
 * the memory they take. */
#define PK_ALLOC_OVERHEAD 32

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

/* torch.<storage> class name and element size, by dtype. */
extern const struct ns_pk_dtype
{
  const char *storage;
  size_t size;
} ns_pk_dtypes[DT_COUNT];

/* ------------------------------------------------------------- values */

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

/* A storage referenced by a persistent id.  The machine fills in the
 * declaration; the state-dict layer finds the data. */
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
  ns_input in;

  pobj *objs;
  size_t used, budget; /* bytes the machine allocated / may */

  pval *stack;
  size_t sp, scap;
  size_t *marks;
  size_t nmarks, mcap;
  pval *memo;
  size_t nmemo, memo_count; /* slots allocated, slots defined */

  srec *recs; /* every storage the pickles referenced, in order */
  size_t nrecs, rcap;
} pk;

/* Errors go to the input's ns_error, prefixed with its name. */
#define pk_fail(k, ...) ns_input_fail (&(k)->in, __VA_ARGS__)

/* A machine reading IN, with a memory budget bounded by IN's size. */
void ns_pk_init (pk *k, const ns_input *in);
/* Charges an allocation of BYTES (plus PK_ALLOC_OVERHEAD) to K's budget;
 * false, charging nothing, when it does not fit. */
bool ns_pk_charge (pk *k, size_t bytes);
/* Returns a charge made by ns_pk_charge (BYTES as charged then). */
void ns_pk_uncharge (pk *k, size_t bytes);
/* The error for a failed charge or allocation: NS_ERR_FORMAT "needs more
 * memory than a file of N bytes can justify" when the budget is the limit,
 * else NS_ERR_NOMEM.  WHAT names what was being read. */
ns_status ns_pk_nomem (pk *k, const char *what);
/* Frees every object, the stacks and the storage records. */
void ns_pk_clear (pk *k);
/* Runs the pickle at [POS, END) of the input.  *NEXT receives the offset
 * after STOP.  Objects and storage records accumulate over runs. */
ns_status ns_pk_run (pk *k, size_t pos, size_t end, size_t *next, pval *result);

static inline bool
pval_is_obj (const pval *v, po_kind kind)
{
  return v->kind == PV_OBJ && v->u.o->kind == kind;
}

static inline bool
pval_is_str (const pval *v, const char *s)
{
  size_t n = strlen (s);
  return v->kind == PV_STR && v->len == n && memcmp (v->u.s, s, n) == 0;
}

#endif
