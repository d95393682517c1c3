/* oneDNN backend: the 2.x / 3.x shim, the engine, run-time precision, the
 * weight cache and the convolution primitives (forward and backward-data).
 * Networks on oneDNN's layout are in dnnl-net.c. */
#define NS_DNNL_INTERNAL 1
#include "nn-dnnl.h"

#include <omp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local ns_precision tl_precision = NS_PRECISION_AUTO;
static _Thread_local bool tl_no_wino;
static int enabled_override = -1; /* -1: from $NS_DNNL */

bool
ns_nn_winograd_begin (bool allow)
{
  bool saved = !tl_no_wino;
  tl_no_wino = !allow;
  return saved;
}

void
ns_nn_winograd_end (bool saved)
{
  tl_no_wino = !saved;
}

ns_precision
ns_nn_precision_begin (ns_precision requested)
{
  ns_precision saved = tl_precision;
  tl_precision = requested;
  return saved;
}

void
ns_nn_precision_end (ns_precision saved)
{
  tl_precision = saved;
}

const char *
ns_arith_name (ns_arith a)
{
  switch (a)
    {
    case NS_ARITH_FP32:
      return "fp32";
    case NS_ARITH_BF16:
      return "bf16";
    case NS_ARITH_BF16_EMU:
      return "bf16-emulated";
    default:
      return "fp32-own";
    }
}

void
ns_dnnl_set_enabled (bool on)
{
  __atomic_store_n (&enabled_override, on ? 1 : 0, __ATOMIC_RELAXED);
}

bool
ns_dnnl_enabled (void)
{
  int o = __atomic_load_n (&enabled_override, __ATOMIC_RELAXED);
  const char *e;
  if (!ns_dnnl_built ())
    return false;
  if (o >= 0)
    return o == 1;
  e = getenv ("NS_DNNL");
  return !(e && (strcmp (e, "0") == 0 || strcmp (e, "off") == 0));
}

static ns_precision
env_precision (void)
{
  const char *e = getenv ("NS_PRECISION");
  if (e && strcmp (e, "fp32") == 0)
    return NS_PRECISION_FP32;
  if (e && strcmp (e, "bf16") == 0)
    return NS_PRECISION_BF16;
  return NS_PRECISION_AUTO;
}

ns_arith
ns_arith_resolve (ns_precision requested)
{
  const char *emu;
  if (!ns_dnnl_enabled ())
    return NS_ARITH_OWN;
  if (requested == NS_PRECISION_AUTO)
    requested = env_precision ();
  /* AUTO is fp32: bf16 storage measured 32-38 dB PSNR against fp32 on the
     cd16x cascade test pairs (emulated, see nn-dnnl.h), under the 40 dB
     bound, so bf16 runs only when asked for. */
  if (requested == NS_PRECISION_AUTO)
    requested = NS_PRECISION_FP32;
  if (requested != NS_PRECISION_BF16)
    return NS_ARITH_FP32;
  if (ns_dnnl_bf16_native ())
    return NS_ARITH_BF16;
  emu = getenv ("NS_BF16_EMULATE");
  return emu && strcmp (emu, "1") == 0 ? NS_ARITH_BF16_EMU : NS_ARITH_FP32;
}

ns_arith
ns_arith_current (void)
{
  return ns_arith_resolve (tl_precision);
}

#ifndef NS_HAVE_DNNL

bool
ns_dnnl_built (void)
{
  return false;
}
bool
ns_dnnl_bf16_native (void)
{
  return false;
}
const char *
ns_dnnl_isa_name (void)
{
  return "none";
}
const char *
ns_dnnl_version (void)
{
  return "";
}
void
ns_dnnl_forget (const float *weight)
{
  (void) weight;
}
ns_status
ns_dnnl_conv_plain (const ns_conv *conv, const float *in, int h, int w,
                    float *out, int n_threads, ns_arith arith, bool *handled,
                    ns_error *err)
{
  (void) conv, (void) in, (void) h, (void) w, (void) out, (void) n_threads;
  (void) arith, (void) err;
  *handled = false;
  return NS_OK;
}
ns_status
ns_dnnl_conv_backward_plain (const ns_conv *conv, const float *gout, int h,
                             int w, float *gin, int n_threads, ns_arith arith,
                             bool *handled, ns_error *err)
{
  (void) conv, (void) gout, (void) h, (void) w, (void) gin, (void) n_threads;
  (void) arith, (void) err;
  *handled = false;
  return NS_OK;
}

#else /* NS_HAVE_DNNL */

#include <oneapi/dnnl/dnnl_version.h>
#include <stdio.h>

/* ---- the shim: 2.x keeps memory descriptors by value and builds
 * primitive descriptors from op descriptors; 3.x has opaque descriptors
 * and one creation call per primitive kind. */
#if DNNL_VERSION_MAJOR >= 3
typedef dnnl_memory_desc_t md_t; /* owned; md_free */
typedef const_dnnl_memory_desc_t cmd_t;
#define MD(m) (m)
static void
md_free (md_t m)
{
  if (m)
    dnnl_memory_desc_destroy (m);
}
static md_t
md_tag (int ndims, const dnnl_dims_t dims, dnnl_data_type_t dt,
        dnnl_format_tag_t tag)
{
  md_t m = NULL;
  if (dnnl_memory_desc_create_with_tag (&m, ndims, dims, dt, tag) !=
      dnnl_success)
    return NULL;
  return m;
}
#define MD_OK(m) ((m) != NULL)
static bool
md_copy (md_t *dst, cmd_t src)
{
  return dnnl_memory_desc_clone (dst, src) == dnnl_success;
}
#else
typedef struct
{
  dnnl_memory_desc_t d;
  bool ok;
} md_t;
typedef const dnnl_memory_desc_t *cmd_t;
#define MD(m) (&(m).d)
#define MD_OK(m) ((m).ok)
static void
md_free (md_t m)
{
  (void) m;
}
static md_t
md_tag (int ndims, const dnnl_dims_t dims, dnnl_data_type_t dt,
        dnnl_format_tag_t tag)
{
  md_t m;
  m.ok = dnnl_memory_desc_init_by_tag (&m.d, ndims, dims, dt, tag) ==
         dnnl_success;
  return m;
}
static bool
md_copy (md_t *dst, cmd_t src)
{
  dst->d = *src;
  dst->ok = true;
  return true;
}
#endif

static dnnl_status_t
attr_relu (dnnl_primitive_attr_t attr)
{
  dnnl_post_ops_t po;
  dnnl_status_t s = dnnl_post_ops_create (&po);
  if (s != dnnl_success)
    return s;
#if DNNL_VERSION_MAJOR >= 3
  s = dnnl_post_ops_append_eltwise (po, dnnl_eltwise_relu, 0.f, 0.f);
#else
  s = dnnl_post_ops_append_eltwise (po, 1.f, dnnl_eltwise_relu, 0.f, 0.f);
#endif
  if (s == dnnl_success)
    s = dnnl_primitive_attr_set_post_ops (attr, po);
  dnnl_post_ops_destroy (po);
  return s;
}

static dnnl_status_t
conv_fwd_pd (dnnl_primitive_desc_t *pd, dnnl_prop_kind_t prop, cmd_t src,
             cmd_t wei, cmd_t bias, cmd_t dst, const dnnl_dims_t strides,
             const dnnl_dims_t pad, const_dnnl_primitive_attr_t attr)
{
#if DNNL_VERSION_MAJOR >= 3
  const dnnl_dims_t dil = { 0, 0 };
  return dnnl_convolution_forward_primitive_desc_create (
      pd, ns_dnnl_engine (), prop, dnnl_convolution_direct, src, wei, bias, dst,
      strides, dil, pad, pad, attr);
#else
  dnnl_convolution_desc_t cd;
  dnnl_status_t s = dnnl_convolution_forward_desc_init (&cd, prop,
                                                        dnnl_convolution_direct,
                                                        src, wei, bias, dst,
                                                        strides, pad, pad);
  if (s != dnnl_success)
    return s;
  return dnnl_primitive_desc_create (pd, &cd, attr, ns_dnnl_engine (), NULL);
#endif
}

static dnnl_status_t
conv_bwd_pd (dnnl_primitive_desc_t *pd, cmd_t dsrc, cmd_t wei, cmd_t ddst,
             const dnnl_dims_t strides, const dnnl_dims_t pad,
             const_dnnl_primitive_desc_t hint)
{
#if DNNL_VERSION_MAJOR >= 3
  const dnnl_dims_t dil = { 0, 0 };
  return dnnl_convolution_backward_data_primitive_desc_create (
      pd, ns_dnnl_engine (), dnnl_convolution_direct, dsrc, wei, ddst, strides,
      dil, pad, pad, hint, NULL);
#else
  dnnl_convolution_desc_t cd;
  dnnl_status_t s = dnnl_convolution_backward_data_desc_init (
      &cd, dnnl_convolution_direct, dsrc, wei, ddst, strides, pad, pad);
  if (s != dnnl_success)
    return s;
  return dnnl_primitive_desc_create (pd, &cd, NULL, ns_dnnl_engine (), hint);
#endif
}

static cmd_t
pd_md (const_dnnl_primitive_desc_t pd, dnnl_query_t what)
{
  return dnnl_primitive_desc_query_md (pd, what, 0);
}

/* ---- engine, ISA */

static dnnl_engine_t engine;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static bool bf16_native;

static void
engine_init (void)
{
  dnnl_cpu_isa_t isa;
  if (dnnl_engine_create (&engine, dnnl_cpu, 0) != dnnl_success)
    engine = NULL;
  isa = dnnl_get_effective_cpu_isa ();
  /* The bf16 ISAs include every bit of avx512_core_bf16 (AMX too). */
  bf16_native = engine &&
                ((unsigned) isa & (unsigned) dnnl_cpu_isa_avx512_core_bf16) ==
                    (unsigned) dnnl_cpu_isa_avx512_core_bf16;
}

dnnl_engine_t
ns_dnnl_engine (void)
{
  pthread_once (&engine_once, engine_init);
  return engine;
}

bool
ns_dnnl_built (void)
{
  return true;
}

bool
ns_dnnl_bf16_native (void)
{
  return ns_dnnl_engine () && bf16_native;
}

const char *
ns_dnnl_isa_name (void)
{
  unsigned isa = (unsigned) dnnl_get_effective_cpu_isa ();
  if ((isa & (unsigned) dnnl_cpu_isa_avx512_core_amx) ==
      (unsigned) dnnl_cpu_isa_avx512_core_amx)
    return "avx512_core_amx";
  if ((isa & (unsigned) dnnl_cpu_isa_avx512_core_bf16) ==
      (unsigned) dnnl_cpu_isa_avx512_core_bf16)
    return "avx512_core_bf16";
  if ((isa & (unsigned) dnnl_cpu_isa_avx512_core) ==
      (unsigned) dnnl_cpu_isa_avx512_core)
    return "avx512_core";
  if ((isa & (unsigned) dnnl_cpu_isa_avx2) == (unsigned) dnnl_cpu_isa_avx2)
    return "avx2";
  return "sse41";
}

const char *
ns_dnnl_version (void)
{
  static char buf[32];
  const dnnl_version_t *v = dnnl_version ();
  snprintf (buf, sizeof buf, "%d.%d.%d", v->major, v->minor, v->patch);
  return buf;
}

int
ns_dnnl_block (void)
{
  unsigned isa = (unsigned) dnnl_get_effective_cpu_isa ();
  return (isa & (unsigned) dnnl_cpu_isa_avx512_core) ==
                 (unsigned) dnnl_cpu_isa_avx512_core
             ? 16
             : 8;
}

static dnnl_format_tag_t
block_tag (int blk)
{
  return blk == 16 ? dnnl_nChw16c : blk == 8 ? dnnl_nChw8c : dnnl_nchw;
}

size_t
ns_dact_bytes (const ns_dact *a)
{
  size_t cp = (size_t) ((a->c + a->blk - 1) / a->blk) * (size_t) a->blk;
  return cp * (size_t) a->h * (size_t) a->w * (a->dt == dnnl_bf16 ? 2 : 4);
}

static md_t
dact_md (const ns_dact *a)
{
  const dnnl_dims_t dims = { 1, a->c, a->h, a->w };
  return md_tag (4, dims, a->dt, block_tag (a->blk));
}

void
ns_round_bf16 (float *x, size_t n, int n_threads)
{
#pragma omp parallel for num_threads(n_threads) schedule(static)
  for (size_t i = 0; i < n; i++)
    {
      uint32_t u;
      memcpy (&u, &x[i], 4);
      if ((u & 0x7f800000u) != 0x7f800000u) /* NaN and inf stay */
        u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
      memcpy (&x[i], &u, 4);
    }
}

/* ---- weight cache: one reordered copy per (weights, precision, layout),
 * made on first use and shared by every context of a model.  Keyed by
 * the weight pointer plus a fingerprint of sampled values (so a freed
 * buffer reused at the same address by other weights is not mistaken for
 * the old one); ns_dnnl_forget drops entries at model free. */
typedef struct wentry
{
  struct wentry *next;
  const float *key;
  uint64_t fp;
  int cin, cout, k;
  ns_arith arith;
  int wino_blk; /* > 0: Winograd-transformed for that block; no md */
  md_t md;
  void *data;
} wentry;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static wentry *cache;

static uint64_t
fingerprint (const ns_conv *conv)
{
  size_t n = (size_t) conv->cout * conv->cin * conv->k * conv->k;
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < 32; i++)
    {
      uint32_t u;
      memcpy (&u, &conv->weight[(n - 1) * (size_t) i / 31], 4);
      h = (h ^ u) * 1099511628211ull;
    }
  return h;
}

void
ns_dnnl_forget (const float *weight)
{
  wentry **p;
  if (!weight)
    return;
  pthread_mutex_lock (&cache_lock);
  p = &cache;
  while (*p)
    {
      wentry *e = *p;
      if (e->key == weight)
        {
          *p = e->next;
          if (!e->wino_blk)
            md_free (e->md);
          ns_free (e->data);
          free (e);
        }
      else
        p = &e->next;
    }
  pthread_mutex_unlock (&cache_lock);
}

/* Reorders plain oihw f32 WEIGHTS into WANT (rounded to bf16 first for
 * the emulation). */
static void *
reorder_weights (const ns_conv *conv, cmd_t want, ns_arith arith, ns_error *err)
{
  const dnnl_dims_t dims = { conv->cout, conv->cin, conv->k, conv->k };
  size_t n = (size_t) conv->cout * conv->cin * conv->k * conv->k;
  md_t src = md_tag (4, dims, dnnl_f32, dnnl_oihw);
  float *rounded = NULL;
  const float *w = conv->weight;
  void *dst = NULL;
  dnnl_memory_t ms = NULL, md = NULL;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_t prim = NULL;
  dnnl_stream_t s = NULL;
  bool ok = false;

  if (arith == NS_ARITH_BF16_EMU)
    {
      if (!(rounded = ns_alloc (n * sizeof (float))))
        goto done;
      memcpy (rounded, w, n * sizeof (float));
      ns_round_bf16 (rounded, n, 1);
      w = rounded;
    }
  if (!MD_OK (src) || !(dst = ns_alloc (dnnl_memory_desc_get_size (want) + 64)))
    goto done;
  if (dnnl_memory_create (&ms, MD (src), ns_dnnl_engine (), (void *) w) !=
          dnnl_success ||
      dnnl_memory_create (&md, want, ns_dnnl_engine (), dst) != dnnl_success ||
      dnnl_reorder_primitive_desc_create (&pd, MD (src), ns_dnnl_engine (),
                                          want, ns_dnnl_engine (),
                                          NULL) != dnnl_success ||
      dnnl_primitive_create (&prim, pd) != dnnl_success ||
      dnnl_stream_create (&s, ns_dnnl_engine (), dnnl_stream_default_flags) !=
          dnnl_success)
    goto done;
  {
    dnnl_exec_arg_t args[2] = { { DNNL_ARG_FROM, ms }, { DNNL_ARG_TO, md } };
    ok = dnnl_primitive_execute (prim, s, 2, args) == dnnl_success &&
         dnnl_stream_wait (s) == dnnl_success;
  }
done:
  if (s)
    dnnl_stream_destroy (s);
  if (prim)
    dnnl_primitive_destroy (prim);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  if (ms)
    dnnl_memory_destroy (ms);
  if (md)
    dnnl_memory_destroy (md);
  md_free (src);
  ns_free (rounded);
  if (!ok)
    {
      ns_free (dst);
      ns_fail (err, NS_ERR_NOMEM, "oneDNN: cannot reorder the weights");
      return NULL;
    }
  return dst;
}

/* The cached weights of CONV in layout WANT, made now if missing. */
static void *
cached_weights (const ns_conv *conv, cmd_t want, ns_arith arith, ns_error *err)
{
  uint64_t fp = fingerprint (conv);
  void *data = NULL;
  wentry *e;

  pthread_mutex_lock (&cache_lock);
  for (e = cache; e; e = e->next)
    if (e->key == conv->weight && e->fp == fp && e->cin == conv->cin &&
        e->cout == conv->cout && e->k == conv->k && e->arith == arith &&
        e->wino_blk == 0 && dnnl_memory_desc_equal (MD (e->md), want))
      {
        data = e->data;
        break;
      }
  if (!data)
    {
      /* Reordered under the lock: two contexts wanting the same weights
         at once do it once; it costs milliseconds per model. */
      data = reorder_weights (conv, want, arith, err);
      if (data && (e = calloc (1, sizeof *e)) && md_copy (&e->md, want))
        {
          e->key = conv->weight;
          e->fp = fp;
          e->cin = conv->cin;
          e->cout = conv->cout;
          e->k = conv->k;
          e->arith = arith;
          e->data = data;
          e->next = cache;
          cache = e;
        }
      else if (data)
        {
          free (e);
          ns_free (data);
          data = NULL;
          ns_fail (err, NS_ERR_NOMEM, "out of memory caching weights");
        }
    }
  pthread_mutex_unlock (&cache_lock);
  return data;
}

/* The Winograd transform of CONV's weights for channel block BLK
 * (winograd.c), cached like the reordered ones. */
static const float *
cached_wino (const ns_conv *conv, int blk, ns_error *err)
{
  uint64_t fp = fingerprint (conv);
  float *data = NULL;
  wentry *e;

  pthread_mutex_lock (&cache_lock);
  for (e = cache; e; e = e->next)
    if (e->key == conv->weight && e->fp == fp && e->cin == conv->cin &&
        e->cout == conv->cout && e->k == conv->k && e->wino_blk == blk)
      {
        data = e->data;
        break;
      }
  if (!data)
    {
      data = ns_alloc (ns_wino_weights_floats (conv, blk) * sizeof (float));
      if (data && (e = calloc (1, sizeof *e)))
        {
          ns_wino_weights_make (conv, blk, data);
          e->key = conv->weight;
          e->fp = fp;
          e->cin = conv->cin;
          e->cout = conv->cout;
          e->k = conv->k;
          e->arith = NS_ARITH_FP32;
          e->wino_blk = blk;
          e->data = data;
          e->next = cache;
          cache = e;
        }
      else
        {
          ns_free (data);
          data = NULL;
          ns_fail (err, NS_ERR_NOMEM, "out of memory caching weights");
        }
    }
  pthread_mutex_unlock (&cache_lock);
  return data;
}

/* Winograd for this fp32 convolution on blocked activations: wide 3x3
 * stride-1 layers (ns_wino_fits).  $NS_WINOGRAD=0 keeps oneDNN's direct
 * kernels (for measuring and tests). */
static bool
use_wino (const ns_conv *conv, const ns_dact *in, const ns_dact *out,
          ns_arith arith)
{
  const char *e = getenv ("NS_WINOGRAD");
  const int zp = conv->pad_zero ? conv->pad : 0;
  return !tl_no_wino &&
         !(e && (strcmp (e, "0") == 0 || strcmp (e, "off") == 0)) &&
         arith == NS_ARITH_FP32 && ns_wino_fits (conv) && in->dt == dnnl_f32 &&
         out->dt == dnnl_f32 && in->blk == out->blk &&
         (in->blk == 8 || in->blk == 16) && out->c == conv->cout &&
         out->h == in->h + 2 * zp - 2 && out->w == in->w + 2 * zp - 2;
}

static ns_status
dnnl_fail (ns_error *err, const char *what, dnnl_status_t s)
{
  return ns_fail (err, s == dnnl_out_of_memory ? NS_ERR_NOMEM : NS_ERR_INTERNAL,
                  "oneDNN: %s failed (status %d)", what, (int) s);
}

/* Executes PRIM on ARGS (memories over the caller's buffers). */
static dnnl_status_t
run_prim (const_dnnl_primitive_desc_t pd, dnnl_stream_t s, int nargs,
          const dnnl_exec_arg_t *args)
{
  dnnl_primitive_t prim;
  dnnl_status_t st = dnnl_primitive_create (&prim, pd);
  if (st != dnnl_success)
    return st;
  st = dnnl_primitive_execute (prim, s, nargs, args);
  if (st == dnnl_success)
    st = dnnl_stream_wait (s);
  dnnl_primitive_destroy (prim);
  return st;
}

/* Whether PD is one of oneDNN's reference implementations ("ref:any"):
 * plain loops, kept for correctness where no optimised kernel fits, often
 * a hundred times slower than the own kernels (3 -> 16 backward-data at
 * 256x256 on oneDNN 2.6: 1.06 s). */
static bool
pd_is_ref (const_dnnl_primitive_desc_t pd)
{
  const char *impl = NULL;
  if (dnnl_primitive_desc_query (pd, dnnl_query_impl_info_str, 0, &impl) !=
          dnnl_success ||
      !impl)
    return false;
  return strncmp (impl, "ref", 3) == 0;
}

/* The forward (inference) descriptor of CONV from IN to OUT with ATTR (may
 * be NULL): one construction for the run and the reference-kernel query.
 * Reflection padding is done by the caller (IN is padded); zero padding
 * by oneDNN. */
static ns_status
conv_fwd_desc (const ns_conv *conv, const ns_dact *in, const ns_dact *out,
               ns_arith arith, const_dnnl_primitive_attr_t attr,
               dnnl_primitive_desc_t *pd, ns_error *err)
{
  const dnnl_dims_t wdims = { conv->cout, conv->cin, conv->k, conv->k };
  const dnnl_dims_t bdims = { conv->cout };
  const int st_ = ns_conv_stride (conv), zp = conv->pad_zero ? conv->pad : 0;
  const dnnl_dims_t strides = { st_, st_ }, pad = { zp, zp };
  dnnl_data_type_t wdt = arith == NS_ARITH_BF16 ? dnnl_bf16 : dnnl_f32;
  md_t msrc = dact_md (in), mdst = dact_md (out);
  md_t mw = md_tag (4, wdims, wdt, dnnl_format_tag_any);
  md_t mb = md_tag (1, bdims, dnnl_f32, dnnl_x);
  dnnl_status_t ds;
  ns_status st = NS_OK;

  *pd = NULL;
  if (!MD_OK (msrc) || !MD_OK (mdst) || !MD_OK (mw) || !MD_OK (mb))
    st = ns_fail (err, NS_ERR_INTERNAL, "oneDNN: bad memory descriptor");
  else if ((ds = conv_fwd_pd (pd, dnnl_forward_inference, MD (msrc), MD (mw),
                              conv->bias ? MD (mb) : NULL, MD (mdst), strides,
                              pad, attr)) != dnnl_success)
    {
      *pd = NULL;
      st = dnnl_fail (err, "convolution setup", ds);
    }
  md_free (msrc);
  md_free (mdst);
  md_free (mw);
  md_free (mb);
  return st;
}

/* The backward-data descriptor of CONV from GOUT to GIN, and the forward
 * descriptor it was made with (*HINT: freed by the caller after *PD). */
static ns_status
conv_bwd_desc (const ns_conv *conv, const ns_dact *gout, const ns_dact *gin,
               ns_arith arith, dnnl_primitive_desc_t *hint,
               dnnl_primitive_desc_t *pd, ns_error *err)
{
  const dnnl_dims_t wdims = { conv->cout, conv->cin, conv->k, conv->k };
  const dnnl_dims_t strides = { 1, 1 }, pad = { 0, 0 };
  dnnl_data_type_t wdt = arith == NS_ARITH_BF16 ? dnnl_bf16 : dnnl_f32;
  md_t mgin = dact_md (gin), mgout = dact_md (gout);
  md_t mw = md_tag (4, wdims, wdt, dnnl_format_tag_any);
  dnnl_status_t ds;
  ns_status st = NS_OK;

  *hint = *pd = NULL;
  if (!MD_OK (mgin) || !MD_OK (mgout) || !MD_OK (mw))
    st = ns_fail (err, NS_ERR_INTERNAL, "oneDNN: bad memory descriptor");
  else if ((ds = conv_fwd_pd (hint, dnnl_forward_training, MD (mgin), MD (mw),
                              NULL, MD (mgout), strides, pad, NULL)) !=
               dnnl_success ||
           (ds = conv_bwd_pd (pd, MD (mgin), MD (mw), MD (mgout), strides, pad,
                              *hint)) != dnnl_success)
    {
      *pd = NULL;
      st = dnnl_fail (err, "backward-data setup", ds);
    }
  md_free (mgin);
  md_free (mgout);
  md_free (mw);
  return st;
}

bool
ns_dnnl_conv_fwd_is_ref (const ns_conv *conv, const ns_dact *in,
                         const ns_dact *out, ns_arith arith)
{
  dnnl_primitive_desc_t pd;
  bool ref = conv_fwd_desc (conv, in, out, arith, NULL, &pd, NULL) == NS_OK &&
             pd_is_ref (pd);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  return ref;
}

bool
ns_dnnl_conv_bwd_is_ref (const ns_conv *conv, const ns_dact *gout,
                         const ns_dact *gin)
{
  dnnl_primitive_desc_t hint, pd;
  bool ref = conv_bwd_desc (conv, gout, gin, NS_ARITH_FP32, &hint, &pd, NULL) ==
                 NS_OK &&
             pd_is_ref (pd);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  if (hint)
    dnnl_primitive_desc_destroy (hint);
  return ref;
}

ns_status
ns_dnnl_conv_exec (const ns_conv *conv, const ns_dact *in, ns_dact *out,
                   ns_arith arith, dnnl_stream_t s, ns_error *err)
{
  dnnl_primitive_attr_t attr = NULL;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_memory_t m[4] = { NULL, NULL, NULL, NULL };
  dnnl_status_t ds = dnnl_success;
  ns_status st = NS_OK;
  void *wdata;

  if (use_wino (conv, in, out, arith))
    {
      const float *u = cached_wino (conv, in->blk, err);
      if (!u)
        return NS_ERR_NOMEM;
      return ns_wino_conv (conv, u, in->data, in->h, in->w,
                           conv->pad_zero ? conv->pad : 0, in->blk, out->data,
                           omp_get_max_threads (), err);
    }
  if ((ds = dnnl_primitive_attr_create (&attr)) != dnnl_success ||
      (conv->relu && (ds = attr_relu (attr)) != dnnl_success))
    {
      st = dnnl_fail (err, "convolution setup", ds);
      goto done;
    }
  if ((st = conv_fwd_desc (conv, in, out, arith, attr, &pd, err)) != NS_OK)
    goto done;
  if (!(wdata = cached_weights (conv, pd_md (pd, dnnl_query_weights_md), arith,
                                err)))
    {
      st = NS_ERR_NOMEM;
      goto done;
    }
  if ((ds = dnnl_memory_create (&m[0], pd_md (pd, dnnl_query_src_md),
                                ns_dnnl_engine (), in->data)) != dnnl_success ||
      (ds = dnnl_memory_create (&m[1], pd_md (pd, dnnl_query_weights_md),
                                ns_dnnl_engine (), wdata)) != dnnl_success ||
      (ds = dnnl_memory_create (&m[2], pd_md (pd, dnnl_query_dst_md),
                                ns_dnnl_engine (), out->data)) !=
          dnnl_success ||
      (conv->bias &&
       (ds = dnnl_memory_create (
            &m[3], dnnl_primitive_desc_query_md (pd, dnnl_query_weights_md, 1),
            ns_dnnl_engine (), (void *) conv->bias)) != dnnl_success))
    {
      st = dnnl_fail (err, "memory", ds);
      goto done;
    }
  {
    dnnl_exec_arg_t args[4] = { { DNNL_ARG_SRC, m[0] },
                                { DNNL_ARG_WEIGHTS, m[1] },
                                { DNNL_ARG_DST, m[2] },
                                { DNNL_ARG_BIAS, m[3] } };
    if ((ds = run_prim (pd, s, conv->bias ? 4 : 3, args)) != dnnl_success)
      st = dnnl_fail (err, "convolution", ds);
  }
done:
  for (int i = 0; i < 4; i++)
    if (m[i])
      dnnl_memory_destroy (m[i]);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  return st;
}

ns_status
ns_dnnl_reorder (const ns_dact *src, ns_dact *dst, dnnl_stream_t s,
                 ns_error *err)
{
  md_t ms = dact_md (src), md = dact_md (dst);
  dnnl_primitive_desc_t pd = NULL;
  dnnl_memory_t m[2] = { NULL, NULL };
  dnnl_status_t ds;
  ns_status st = NS_OK;

  if (!MD_OK (ms) || !MD_OK (md) ||
      (ds = dnnl_reorder_primitive_desc_create (&pd, MD (ms), ns_dnnl_engine (),
                                                MD (md), ns_dnnl_engine (),
                                                NULL)) != dnnl_success ||
      (ds = dnnl_memory_create (&m[0], MD (ms), ns_dnnl_engine (),
                                src->data)) != dnnl_success ||
      (ds = dnnl_memory_create (&m[1], MD (md), ns_dnnl_engine (),
                                dst->data)) != dnnl_success)
    st = ns_fail (err, NS_ERR_INTERNAL, "oneDNN: reorder setup failed");
  else
    {
      dnnl_exec_arg_t args[2] = { { DNNL_ARG_FROM, m[0] },
                                  { DNNL_ARG_TO, m[1] } };
      if ((ds = run_prim (pd, s, 2, args)) != dnnl_success)
        st = dnnl_fail (err, "reorder", ds);
    }
  for (int i = 0; i < 2; i++)
    if (m[i])
      dnnl_memory_destroy (m[i]);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  md_free (ms);
  md_free (md);
  return st;
}

ns_status
ns_dnnl_conv_bwd_exec (const ns_conv *conv, const ns_dact *gout, ns_dact *gin,
                       ns_arith arith, dnnl_stream_t s, ns_error *err)
{
  dnnl_primitive_desc_t hint = NULL, pd = NULL;
  dnnl_memory_t m[3] = { NULL, NULL, NULL };
  dnnl_status_t ds = dnnl_success;
  ns_status st;
  void *wdata;

  if ((st = conv_bwd_desc (conv, gout, gin, arith, &hint, &pd, err)) != NS_OK)
    goto done;
  if (!(wdata = cached_weights (conv, pd_md (pd, dnnl_query_weights_md), arith,
                                err)))
    {
      st = NS_ERR_NOMEM;
      goto done;
    }
  if ((ds = dnnl_memory_create (&m[0], pd_md (pd, dnnl_query_diff_dst_md),
                                ns_dnnl_engine (), gout->data)) !=
          dnnl_success ||
      (ds = dnnl_memory_create (&m[1], pd_md (pd, dnnl_query_weights_md),
                                ns_dnnl_engine (), wdata)) != dnnl_success ||
      (ds = dnnl_memory_create (&m[2], pd_md (pd, dnnl_query_diff_src_md),
                                ns_dnnl_engine (), gin->data)) != dnnl_success)
    {
      st = dnnl_fail (err, "memory", ds);
      goto done;
    }
  {
    dnnl_exec_arg_t args[3] = { { DNNL_ARG_DIFF_DST, m[0] },
                                { DNNL_ARG_WEIGHTS, m[1] },
                                { DNNL_ARG_DIFF_SRC, m[2] } };
    if ((ds = run_prim (pd, s, 3, args)) != dnnl_success)
      st = dnnl_fail (err, "backward-data", ds);
  }
done:
  for (int i = 0; i < 3; i++)
    if (m[i])
      dnnl_memory_destroy (m[i]);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  if (hint)
    dnnl_primitive_desc_destroy (hint);
  return st;
}

#endif /* NS_HAVE_DNNL */
