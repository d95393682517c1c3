/* Networks on oneDNN: activations stay in oneDNN's channel-blocked layout
 * (nChw8c on AVX2, nChw16c on AVX-512; plain nchw while a tensor has
 * fewer than 8 channels) from the first layer to the last.  Convolutions
 * (ReLU fused as a post-op) are oneDNN primitives on weights reordered
 * once (dnnl.c); reflection padding, 2x2 max pooling and nearest 2x
 * upsampling are own kernels on the same layout, fp32 or bf16.  Plain
 * tensors appear only at the network's input, output and taps. */
#define NS_DNNL_INTERNAL 1
#include "nn-dnnl.h"

#ifndef NS_HAVE_DNNL

ns_status
ns_dnnl_net_run (const ns_net *net, int first, int last, const ns_tensor *in,
                 const int *tap_layers, int n_taps, ns_tensor *taps,
                 ns_tensor *out, ns_run *run, ns_arith arith, bool *handled,
                 ns_error *err)
{
  (void) net, (void) first, (void) last, (void) in, (void) tap_layers;
  (void) n_taps, (void) taps, (void) out, (void) run, (void) arith;
  (void) err;
  *handled = false;
  return NS_OK;
}

bool
ns_dnnl_conv_backward_is_ref (const ns_conv *conv, int h, int w)
{
  (void) conv, (void) h, (void) w;
  return false;
}

int
ns_dnnl_act_block (ns_arith arith, int c)
{
  (void) arith, (void) c;
  return 1;
}

ns_status
ns_dnnl_conv_layout (const ns_conv *conv, const float *in, int in_blk, int h,
                     int w, float *out, int out_blk, int n_threads,
                     bool *handled, ns_error *err)
{
  (void) conv, (void) in, (void) in_blk, (void) h, (void) w, (void) out;
  (void) out_blk, (void) n_threads, (void) err;
  *handled = false;
  return NS_OK;
}

#else

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <string.h>

static size_t
elem_size (const ns_dact *a)
{
  return a->dt == dnnl_bf16 ? 2 : 4;
}

static int
n_blocks (const ns_dact *a)
{
  return (a->c + a->blk - 1) / a->blk;
}

/* IN (c x h x w) -> OUT (c x h+2P x w+2P), reflected, same layout: whole
 * channel blocks are copied, so the zero lanes of a padded block stay
 * zero. */
static void
pad_reflect (const ns_dact *in, const ns_dact *out, int p, int nt)
{
  const size_t px = (size_t) in->blk * elem_size (in);
  const int nb = n_blocks (in), h = in->h, w = in->w;

#pragma omp parallel for collapse(2) num_threads(nt) schedule(static)
  for (int b = 0; b < nb; b++)
    for (int y = 0; y < h + 2 * p; y++)
      {
        const char *src = (const char *) in->data +
                          ((size_t) b * h +
                           (size_t) ns_reflect_index (y - p, h)) *
                              (size_t) w * px;
        char *dst = (char *) out->data +
                    ((size_t) b * (h + 2 * p) + (size_t) y) *
                        (size_t) (w + 2 * p) * px;
        memcpy (dst + (size_t) p * px, src, (size_t) w * px);
        for (int x = 0; x < p; x++)
          {
            memcpy (dst + (size_t) x * px,
                    src + (size_t) ns_reflect_index (x - p, w) * px, px);
            memcpy (dst + (size_t) (w + p + x) * px,
                    src + (size_t) ns_reflect_index (w + x, w) * px, px);
          }
      }
}

static inline float
load (const void *base, size_t i, bool bf)
{
  float f;
  if (bf)
    {
      uint32_t u = (uint32_t) ((const uint16_t *) base)[i] << 16;
      memcpy (&f, &u, 4);
    }
  else
    f = ((const float *) base)[i];
  return f;
}

/* 2x2 stride-2 max pool, OUT's h, w set by the caller (floor or ceil).
 * Ties and NaNs as PyTorch: the first maximum in window order wins, a NaN
 * wins over anything.  The winner's bits are copied, so bf16 stays exact. */
static inline float
pick (float m, float v)
{
  return v > m || isnan (v) ? v : m;
}

/* The fp32 case on whole 2x2 windows, vectorised along the block's lanes;
 * the same choices as the general loop below. */
static void
pool_2x2_f32 (const ns_dact *in, const ns_dact *out, int nt)
{
  const int nb = n_blocks (in), h = in->h, w = in->w, B = in->blk;
  const int oh = out->h < h / 2 ? out->h : h / 2;
  const int ow = out->w < w / 2 ? out->w : w / 2;
  const float *src = in->data;
  float *dst = out->data;

#pragma omp parallel for collapse(2) num_threads(nt) schedule(static)
  for (int b = 0; b < nb; b++)
    for (int oy = 0; oy < oh; oy++)
      {
        const float *r0 = src + ((size_t) b * h + 2 * (size_t) oy) * w * B;
        const float *r1 = r0 + (size_t) w * B;
        float *d = dst + ((size_t) b * out->h + oy) * out->w * B;
        for (int ox = 0; ox < ow; ox++)
          for (int l = 0; l < B; l++)
            {
              const size_t i = (size_t) 2 * ox * B + l;
              float m = r0[i];
              m = pick (m, r0[i + B]);
              m = pick (m, r1[i]);
              m = pick (m, r1[i + B]);
              d[(size_t) ox * B + l] = m;
            }
      }
}

static void
pool_2x2 (const ns_dact *in, const ns_dact *out, int nt)
{
  const int nb = n_blocks (in), h = in->h, w = in->w, B = in->blk;
  const int oh = out->h, ow = out->w;
  const size_t es = elem_size (in);
  const bool bf = in->dt == dnnl_bf16;

  /* Whole windows of fp32 data: the fast loop; only a ceil-mode edge row
     or column is left to the general one. */
  if (!bf && oh <= h / 2 && ow <= w / 2)
    {
      pool_2x2_f32 (in, out, nt);
      return;
    }

#pragma omp parallel for collapse(2) num_threads(nt) schedule(static)
  for (int b = 0; b < nb; b++)
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++)
        for (int l = 0; l < B; l++)
          {
            size_t cand[4];
            int n = 0;
            for (int dy = 0; dy < 2; dy++)
              for (int dx = 0; dx < 2; dx++)
                {
                  int y = 2 * oy + dy, x = 2 * ox + dx;
                  if (y < h && x < w)
                    cand[n++] = (((size_t) b * h + (size_t) y) * (size_t) w +
                                 (size_t) x) *
                                    (size_t) B +
                                (size_t) l;
                }
            size_t best = cand[0];
            float m = load (in->data, best, bf);
            for (int k = 1; k < n; k++)
              {
                float v = load (in->data, cand[k], bf);
                if (v > m || isnan (v))
                  {
                    m = v;
                    best = cand[k];
                  }
              }
            memcpy ((char *) out->data +
                        ((((size_t) b * oh + (size_t) oy) * (size_t) ow +
                          (size_t) ox) *
                             (size_t) B +
                         (size_t) l) *
                            es,
                    (const char *) in->data + best * es, es);
          }
}

/* Nearest-neighbour 2x upsampling. */
static void
upsample_2x (const ns_dact *in, const ns_dact *out, int nt)
{
  const size_t px = (size_t) in->blk * elem_size (in);
  const int nb = n_blocks (in), h = in->h, w = in->w;

#pragma omp parallel for collapse(2) num_threads(nt) schedule(static)
  for (int b = 0; b < nb; b++)
    for (int oy = 0; oy < 2 * h; oy++)
      {
        const char *src = (const char *) in->data +
                          ((size_t) b * h + (size_t) (oy / 2)) * (size_t) w *
                              px;
        char *dst = (char *) out->data +
                    ((size_t) b * 2 * h + (size_t) oy) * (size_t) (2 * w) * px;
        for (int x = 0; x < w; x++)
          {
            memcpy (dst + (size_t) (2 * x) * px, src + (size_t) x * px, px);
            memcpy (dst + (size_t) (2 * x + 1) * px, src + (size_t) x * px, px);
          }
      }
}

static bool
supported (const ns_net *net, int first, int last)
{
  for (int i = first; i < last; i++)
    {
      const ns_layer *l = &net->layers[i];
      /* Dense convolutions of any kernel, stride and padding; depthwise
         ones stay with the own kernels. */
      if (l->kind == NS_LAYER_CONV && l->conv.groups > 1)
        return false;
    }
  return true;
}

/* The shape and layout of the activation after layer L. */
static void
next_shape (const ns_net *net, const ns_layer *l, ns_dact *a, int blk)
{
  switch (l->kind)
    {
    case NS_LAYER_CONV:
      a->blk = l->conv.cout < 8 && a->blk == 1 ? 1 : blk;
      a->c = l->conv.cout;
      ns_conv_out_size (&l->conv, a->h, a->w, &a->h, &a->w);
      break;
    case NS_LAYER_POOL:
      a->h = net->pool_ceil ? (a->h + 1) / 2 : a->h / 2;
      a->w = net->pool_ceil ? (a->w + 1) / 2 : a->w / 2;
      break;
    case NS_LAYER_UPSAMPLE:
      a->h *= 2;
      a->w *= 2;
      break;
    }
}

static ns_status
to_plain (const ns_dact *a, float *data, dnnl_stream_t s, ns_error *err)
{
  ns_dact p = { a->c, a->h, a->w, 1, dnnl_f32, data };
  return ns_dnnl_reorder (a, &p, s, err);
}

static ns_status
tap_copy (const ns_dact *a, ns_tensor *t, dnnl_stream_t s, ns_error *err)
{
  ns_status st = ns_tensor_alloc (t, a->c, a->h, a->w, err);
  if (st == NS_OK && (st = to_plain (a, t->data, s, err)) != NS_OK)
    ns_tensor_free (t);
  return st;
}

/* A stream for one run, with oneDNN's OpenMP regions set to NT threads
   (they take the calling thread's team size). */
static ns_status
run_stream (int nt, dnnl_stream_t *s, ns_error *err)
{
  if (dnnl_stream_create (s, ns_dnnl_engine (), dnnl_stream_default_flags) !=
      dnnl_success)
    return ns_fail (err, NS_ERR_INTERNAL, "oneDNN: no stream");
  omp_set_num_threads (nt);
  return NS_OK;
}

/* Whether oneDNN would run any convolution of layers [FIRST, LAST) on IN
 * with its reference implementation (then the own kernels run the whole
 * network: they are faster than oneDNN's reference by far). */
static bool
net_has_ref (const ns_net *net, int first, int last, const ns_tensor *in,
             ns_arith arith)
{
  const int blk = ns_dnnl_block ();
  ns_dact a = { in->c,
                in->h,
                in->w,
                in->c >= 8 ? blk : 1,
                arith == NS_ARITH_BF16 ? dnnl_bf16 : dnnl_f32,
                NULL };
  for (int i = first; i < last; i++)
    {
      const ns_layer *l = &net->layers[i];
      ns_dact next = a;
      next_shape (net, l, &next, blk);
      if (l->kind == NS_LAYER_CONV)
        {
          ns_dact src = a;
          const int p = l->conv.pad_zero ? 0 : l->conv.pad;
          src.h += 2 * p;
          src.w += 2 * p;
          if (next.h <= 0 || next.w <= 0 ||
              ns_dnnl_conv_fwd_is_ref (&l->conv, &src, &next, arith))
            return next.h > 0 && next.w > 0;
        }
      a = next;
    }
  return false;
}

/* The common run: OUT allocated unless OUT_INTO (the caller's plain
 * buffer) is given. */
static ns_status
net_run (const ns_net *net, int first, int last, const ns_tensor *in,
         const int *tap_layers, int n_taps, ns_tensor *taps, ns_tensor *out,
         float *out_into, ns_run *run, ns_arith arith, int nt, ns_error *err)
{
  const int blk = ns_dnnl_block ();
  const dnnl_data_type_t dt = arith == NS_ARITH_BF16 ? dnnl_bf16 : dnnl_f32;
  const bool emu = arith == NS_ARITH_BF16_EMU;
  ns_dact cur = { in->c, in->h, in->w, 1, dnnl_f32, in->data }, a;
  size_t act_bytes = 0, pad_bytes = 0;
  void *buf[3] = { NULL, NULL, NULL };
  dnnl_stream_t s = NULL;
  ns_status st = NS_OK;
  int saved_nt = omp_get_max_threads ();

  /* The input enters the working layout (blocked from 8 channels on). */
  a = cur;
  a.dt = dt;
  a.blk = in->c >= 8 ? blk : 1;
  act_bytes = ns_dact_bytes (&a);
  for (int i = first; i < last; i++)
    {
      const ns_layer *l = &net->layers[i];
      /* The own kernels' checks, before anything runs. */
      const ns_tensor t = { a.c, a.h, a.w, in->data };
      if (l->kind == NS_LAYER_CONV)
        st = ns_conv_check (&l->conv, &t, err);
      else if (l->kind == NS_LAYER_POOL &&
               (net->pool_ceil ? a.h : a.h / 2) *
                       (net->pool_ceil ? a.w : a.w / 2) ==
                   0)
        st = ns_fail (err, NS_ERR_SHAPE,
                      "maxpool: a %dx%d input is too small to pool", a.w, a.h);
      else if (l->kind == NS_LAYER_UPSAMPLE &&
               (a.h > (1 << 29) || a.w > (1 << 29)))
        st = ns_fail (err, NS_ERR_INVALID_ARG, "upsample: input too large");
      if (st != NS_OK)
        {
          if (err)
            ns_error_prefix (err, "layer %s", l->name);
          return st;
        }
      if (l->kind == NS_LAYER_CONV && !l->conv.pad_zero && l->conv.pad > 0)
        {
          ns_dact p = a;
          p.h += 2 * l->conv.pad;
          p.w += 2 * l->conv.pad;
          if (ns_dact_bytes (&p) > pad_bytes)
            pad_bytes = ns_dact_bytes (&p);
        }
      next_shape (net, l, &a, blk);
      if (ns_dact_bytes (&a) > act_bytes)
        act_bytes = ns_dact_bytes (&a);
    }
  if (!(buf[0] = ns_alloc (act_bytes)) || !(buf[1] = ns_alloc (act_bytes)) ||
      (pad_bytes && !(buf[2] = ns_alloc (pad_bytes))))
    {
      st = ns_fail (err, NS_ERR_NOMEM,
                    "out of memory for two %.1f MiB activations",
                    (double) act_bytes / (1024.0 * 1024.0));
      goto done;
    }
  if ((st = run_stream (nt, &s, err)) != NS_OK)
    goto done;

  a = cur;
  a.dt = dt;
  a.blk = in->c >= 8 ? blk : 1;
  if (a.dt != cur.dt || a.blk != cur.blk || emu)
    {
      a.data = buf[0];
      if ((st = ns_dnnl_reorder (&cur, &a, s, err)) != NS_OK)
        goto done;
      if (emu)
        ns_round_bf16 (a.data, ns_dact_bytes (&a) / 4, nt);
      cur = a;
    }

  for (int i = first; i < last && st == NS_OK; i++)
    {
      const ns_layer *l = &net->layers[i];
      ns_dact next = cur;
      if (run && run->cancelled)
        {
          st = ns_fail (err, NS_ERR_CANCELLED, "cancelled");
          break;
        }
      next_shape (net, l, &next, blk);
      next.data = cur.data == buf[0] ? buf[1] : buf[0];
      switch (l->kind)
        {
        case NS_LAYER_CONV:
          {
            ns_dact src = cur;
            const int p = l->conv.pad_zero ? 0 : l->conv.pad;
            if (p > 0)
              {
                src.h += 2 * p;
                src.w += 2 * p;
                src.data = buf[2];
                pad_reflect (&cur, &src, p, nt);
              }
            st = ns_dnnl_conv_exec (&l->conv, &src, &next, arith, s, err);
            if (st == NS_OK && emu)
              ns_round_bf16 (next.data, ns_dact_bytes (&next) / 4, nt);
            if (st == NS_OK && run &&
                !ns_run_tick (run, ns_conv_flops (&l->conv, cur.h, cur.w)))
              st = ns_fail (err, NS_ERR_CANCELLED, "cancelled");
            break;
          }
        case NS_LAYER_POOL:
          pool_2x2 (&cur, &next, nt);
          break;
        case NS_LAYER_UPSAMPLE:
          upsample_2x (&cur, &next, nt);
          break;
        }
      if (st != NS_OK)
        {
          if (st != NS_ERR_CANCELLED && err)
            ns_error_prefix (err, "layer %s", l->name);
          break;
        }
      cur = next;
      for (int t = 0; t < n_taps && st == NS_OK; t++)
        if (tap_layers[t] == i)
          st = tap_copy (&cur, &taps[t], s, err);
    }
  if (st == NS_OK && out_into)
    st = to_plain (&cur, out_into, s, err);
  else if (st == NS_OK && out)
    st = tap_copy (&cur, out, s, err);

done:
  omp_set_num_threads (saved_nt);
  if (s)
    dnnl_stream_destroy (s);
  for (int i = 0; i < 3; i++)
    ns_free (buf[i]);
  if (st != NS_OK)
    for (int t = 0; t < n_taps; t++)
      ns_tensor_free (&taps[t]);
  return st;
}

ns_status
ns_dnnl_net_run (const ns_net *net, int first, int last, const ns_tensor *in,
                 const int *tap_layers, int n_taps, ns_tensor *taps,
                 ns_tensor *out, ns_run *run, ns_arith arith, bool *handled,
                 ns_error *err)
{
  *handled = false;
  if (arith == NS_ARITH_OWN || !ns_dnnl_engine () ||
      !supported (net, first, last) ||
      net_has_ref (net, first, last, in, arith))
    return NS_OK;
  *handled = true;
  return net_run (net, first, last, in, tap_layers, n_taps, taps, out, NULL,
                  run, arith, ns_threads_resolve (run ? run->n_threads : 0),
                  err);
}

/* Gatys runs fp32: its gradients feed L-BFGS's line search, where bf16's
 * 8-bit mantissa would show as noise in the curvature pairs. */
ns_status
ns_dnnl_conv_plain (const ns_conv *conv, const float *in, int h, int w,
                    float *out, int n_threads, ns_arith arith, bool *handled,
                    ns_error *err)
{
  ns_layer layer = { NS_LAYER_CONV, *conv, "conv" };
  ns_net net = { &layer, 1, false, conv->cin, conv->cout, 1 };
  ns_tensor tin = { conv->cin, h, w, (float *) in };

  *handled = false;
  if (arith == NS_ARITH_OWN || !ns_dnnl_engine () || !supported (&net, 0, 1))
    return NS_OK;
  /* A few output channels from a wide kernel (a fast style's last 9x9
     layer, 32 -> 3): oneDNN computes a whole 8-channel block, the own
     direct kernel only the 3; measured at 1024x768, 2 threads: 0.93-1.07 s
     own, 1.06-1.15 s oneDNN with its reorders (loaded AMD EPYC). */
  if ((conv->cout <= 4 && conv->k > 3) ||
      net_has_ref (&net, 0, 1, &tin, NS_ARITH_FP32))
    return NS_OK;
  *handled = true;
  return net_run (&net, 0, 1, &tin, NULL, 0, NULL, NULL, out, NULL,
                  NS_ARITH_FP32, ns_threads_resolve (n_threads), err);
}

int
ns_dnnl_act_block (ns_arith arith, int c)
{
  const int blk = ns_dnnl_engine () ? ns_dnnl_block () : 1;
  return arith == NS_ARITH_FP32 && blk > 1 && c >= blk && c % blk == 0 ? blk
                                                                       : 1;
}

ns_status
ns_dnnl_conv_layout (const ns_conv *conv, const float *in, int in_blk, int h,
                     int w, float *out, int out_blk, int n_threads,
                     bool *handled, ns_error *err)
{
  ns_layer layer = { NS_LAYER_CONV, *conv, "conv" };
  ns_net net = { &layer, 1, false, conv->cin, conv->cout, 1 };
  const ns_tensor tin = { conv->cin, h, w, (float *) in };
  const int p = conv->pad_zero ? 0 : conv->pad;
  const int nt = ns_threads_resolve (n_threads);
  const int saved_nt = omp_get_max_threads ();
  ns_dact src = { conv->cin, h, w, in_blk, dnnl_f32, (void *) in };
  ns_dact dst = { conv->cout, 0, 0, out_blk, dnnl_f32, out };
  dnnl_stream_t s = NULL;
  void *padded = NULL;
  ns_status st;

  *handled = false;
  if (!ns_dnnl_engine () || !supported (&net, 0, 1) ||
      (conv->cout <= 4 && conv->k > 3) /* as ns_dnnl_conv_plain */)
    return NS_OK;
  if ((st = ns_conv_check (&layer.conv, &tin, err)) != NS_OK)
    return st;
  ns_conv_out_size (conv, h, w, &dst.h, &dst.w);
  src.h += 2 * p;
  src.w += 2 * p;
  if (ns_dnnl_conv_fwd_is_ref (conv, &src, &dst, NS_ARITH_FP32))
    return NS_OK;
  *handled = true;
  if (p > 0)
    {
      const ns_dact plain_in = {
        conv->cin, h, w, in_blk, dnnl_f32, (void *) in
      };
      if (!(padded = ns_alloc (ns_dact_bytes (&src))))
        return ns_fail (err, NS_ERR_NOMEM,
                        "out of memory for a %.1f MiB padded input",
                        (double) ns_dact_bytes (&src) / (1024.0 * 1024.0));
      src.data = padded;
      pad_reflect (&plain_in, &src, p, nt);
    }
  if ((st = run_stream (nt, &s, err)) == NS_OK)
    st = ns_dnnl_conv_exec (conv, &src, &dst, NS_ARITH_FP32, s, err);
  omp_set_num_threads (saved_nt);
  if (s)
    dnnl_stream_destroy (s);
  ns_free (padded);
  return st;
}

bool
ns_dnnl_conv_backward_is_ref (const ns_conv *conv, int h, int w)
{
  const int blk = ns_dnnl_block (), p = conv->pad;
  ns_dact g = { conv->cout, h, w, conv->cout >= 8 ? blk : 1, dnnl_f32, NULL };
  ns_dact d = { conv->cin, h + 2 * p, w + 2 * p, conv->cin >= 8 ? blk : 1,
                dnnl_f32,  NULL };
  return ns_dnnl_engine () && ns_dnnl_conv_bwd_is_ref (conv, &g, &d);
}

ns_status
ns_dnnl_conv_backward_plain (const ns_conv *conv, const float *gout, int h,
                             int w, float *gin, int n_threads, ns_arith arith,
                             bool *handled, ns_error *err)
{
  const int blk = ns_dnnl_block (), nt = ns_threads_resolve (n_threads);
  const int p = conv->pad;
  ns_dact g0 = { conv->cout, h, w, 1, dnnl_f32, (void *) gout };
  ns_dact g = { conv->cout, h, w, conv->cout >= 8 ? blk : 1, dnnl_f32, NULL };
  ns_dact d = { conv->cin, h + 2 * p, w + 2 * p, conv->cin >= 8 ? blk : 1,
                dnnl_f32,  NULL };
  ns_dact dp = { conv->cin, h + 2 * p, w + 2 * p, 1, dnnl_f32, NULL };
  dnnl_stream_t s = NULL;
  ns_status st = NS_OK;
  int saved_nt = omp_get_max_threads ();

  *handled = false;
  if (arith == NS_ARITH_OWN || !ns_dnnl_engine () || !ns_conv_is_basic (conv))
    return NS_OK;
  /* Where oneDNN has no optimised kernel it runs its reference: with
     fewer than 8 input channels (a plain diff_src, the image's gradient
     through the first layer) oneDNN 2.6 took 1.06 s for 3 -> 16 at
     256x256, where the own kernel takes milliseconds. */
  if (ns_dnnl_conv_bwd_is_ref (conv, &g, &d))
    return NS_OK;
  *handled = true;
  g.data = g.blk == 1 ? g0.data : ns_alloc (ns_dact_bytes (&g));
  d.data = ns_alloc (ns_dact_bytes (&d));
  dp.data = p == 0 && d.blk == 1 ? d.data : ns_alloc (ns_dact_bytes (&dp));
  if (!g.data || !d.data || !dp.data)
    {
      st = ns_fail (err, NS_ERR_NOMEM, "out of memory (conv backward)");
      goto done;
    }
  if ((st = run_stream (nt, &s, err)) != NS_OK)
    goto done;
  if (g.data != g0.data && (st = ns_dnnl_reorder (&g0, &g, s, err)) != NS_OK)
    goto done;
  if ((st = ns_dnnl_conv_bwd_exec (conv, &g, &d, NS_ARITH_FP32, s, err)) !=
      NS_OK)
    goto done;
  if (p == 0)
    {
      ns_dact o = dp;
      o.data = gin;
      st = ns_dnnl_reorder (&d, &o, s, err);
    }
  else
    {
      if (dp.data != d.data &&
          (st = ns_dnnl_reorder (&d, &dp, s, err)) != NS_OK)
        goto done;
      /* Folds the reflected border back onto the pixels it came from. */
      ns_reflpad_backward (dp.data, conv->cin, h, w, gin);
    }
done:
  omp_set_num_threads (saved_nt);
  if (s)
    dnnl_stream_destroy (s);
  if (g.data != g0.data)
    ns_free (g.data);
  if (dp.data != d.data)
    ns_free (dp.data);
  ns_free (d.data);
  return st;
}

#endif /* NS_HAVE_DNNL */
