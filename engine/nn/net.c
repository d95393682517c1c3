/* Sequential networks: a list of conv / pool / upsample layers run in
 * order, each intermediate freed as soon as the next exists, so a forward
 * pass holds about two activations at a time. */
#include "nn-dnnl.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ns_status
net_push (ns_net *net, ns_layer_kind kind, const char *name,
          const ns_conv *conv, ns_error *err)
{
  ns_layer *layers;
  ns_layer *l;
  char *copy = strdup (name ? name : "");
  if (!copy)
    return ns_fail (err, NS_ERR_NOMEM, "out of memory building a network");
  layers = realloc (net->layers, sizeof *layers * (size_t) (net->n_layers + 1));
  if (!layers)
    {
      free (copy);
      return ns_fail (err, NS_ERR_NOMEM, "out of memory building a network");
    }
  net->layers = layers;
  l = &layers[net->n_layers++];
  memset (l, 0, sizeof *l);
  l->kind = kind;
  l->name = copy;
  if (conv)
    l->conv = *conv;
  return NS_OK;
}

ns_status
ns_net_add_conv (ns_net *net, const char *name, const ns_conv *conv,
                 ns_error *err)
{
  ns_status st;
  if (net->n_layers == 0 || net->in_channels == 0)
    net->in_channels = conv->cin;
  if ((st = net_push (net, NS_LAYER_CONV, name, conv, err)) != NS_OK)
    return st;
  net->out_channels = conv->cout;
  if (net->downsample == 0)
    net->downsample = 1;
  return NS_OK;
}

ns_status
ns_net_add_pool (ns_net *net, ns_error *err)
{
  char name[16];
  int n_pools = 0;
  for (int i = 0; i < net->n_layers; i++)
    n_pools += net->layers[i].kind == NS_LAYER_POOL;
  snprintf (name, sizeof name, "pool%d", n_pools + 1);
  if (net->downsample == 0)
    net->downsample = 1;
  net->downsample *= 2;
  return net_push (net, NS_LAYER_POOL, name, NULL, err);
}

ns_status
ns_net_add_upsample (ns_net *net, ns_error *err)
{
  if (net->downsample == 0)
    net->downsample = 1;
  return net_push (net, NS_LAYER_UPSAMPLE, "upsample", NULL, err);
}

void
ns_net_clear (ns_net *net)
{
  if (!net)
    return;
  for (int i = 0; i < net->n_layers; i++)
    free ((char *) net->layers[i].name);
  free (net->layers);
  memset (net, 0, sizeof *net);
}

/* Shape after layer L given the shape before it; false on overflow (an
 * upsample past 2^29). */
static bool
layer_shape (const ns_net *net, const ns_layer *l, int *c, int *h, int *w)
{
  switch (l->kind)
    {
    case NS_LAYER_CONV:
      *c = l->conv.cout;
      ns_conv_out_size (&l->conv, *h, *w, h, w);
      break;
    case NS_LAYER_POOL:
      *h = net->pool_ceil ? (*h + 1) / 2 : *h / 2;
      *w = net->pool_ceil ? (*w + 1) / 2 : *w / 2;
      break;
    case NS_LAYER_UPSAMPLE:
      if (*h > (1 << 29) || *w > (1 << 29))
        return false;
      *h *= 2;
      *w *= 2;
      break;
    }
  return *c >= 0 && *h >= 0 && *w >= 0;
}

void
ns_net_out_shape (const ns_net *net, int upto_layer, int h, int w, int *c,
                  int *oh, int *ow)
{
  int cc = net->in_channels;

  if (upto_layer > net->n_layers)
    upto_layer = net->n_layers;
  for (int i = 0; i < upto_layer; i++)
    if (!layer_shape (net, &net->layers[i], &cc, &h, &w))
      {
        cc = h = w = 0;
        break;
      }
  if (c)
    *c = cc;
  if (oh)
    *oh = h;
  if (ow)
    *ow = w;
}

double
ns_net_flops (const ns_net *net, int h, int w)
{
  double total = 0.0;
  int c = net->in_channels;
  for (int i = 0; i < net->n_layers; i++)
    {
      const ns_layer *l = &net->layers[i];
      if (l->kind == NS_LAYER_CONV)
        total += ns_conv_flops (&l->conv, h, w);
      if (!layer_shape (net, l, &c, &h, &w))
        break;
    }
  return total;
}

int
ns_net_find_tap (const ns_net *net, const char *name)
{
  int block = 1, index = 0, want_block, want_index;
  char kind[8];

  if (!net || !name)
    return -1;
  if (sscanf (name, "pool%d", &want_block) == 1)
    {
      for (int i = 0; i < net->n_layers; i++)
        if (net->layers[i].kind == NS_LAYER_POOL && block++ == want_block)
          return i;
      return -1;
    }
  if (sscanf (name, "%4[a-z]%d_%d", kind, &want_block, &want_index) != 3 ||
      (strcmp (kind, "relu") != 0 && strcmp (kind, "conv") != 0))
    return -1;
  /* Layer 0 is the 1x1 input conv; then count convs within blocks. */
  for (int i = 1; i < net->n_layers; i++)
    {
      const ns_layer *l = &net->layers[i];
      if (l->kind == NS_LAYER_POOL)
        {
          block++;
          index = 0;
        }
      else if (l->kind == NS_LAYER_CONV)
        {
          index++;
          if (block == want_block && index == want_index)
            return i;
        }
      else
        return -1; /* not an encoder */
    }
  return -1;
}

/* Runs one layer: IN -> OUT, written into BUF. */
static ns_status
layer_forward (const ns_net *net, const ns_layer *l, const ns_tensor *in,
               float *buf, ns_tensor *out, ns_run *run, ns_error *err)
{
  ns_status st;
  switch (l->kind)
    {
    case NS_LAYER_CONV:
      st = ns_conv2d_buf (&l->conv, in, buf, out, run, err);
      break;
    case NS_LAYER_POOL:
      st = ns_maxpool2x2_buf (in, net->pool_ceil, buf, out, err);
      break;
    case NS_LAYER_UPSAMPLE:
      st = ns_upsample2x_buf (in, buf, out, err);
      break;
    default:
      st = ns_fail (err, NS_ERR_INTERNAL, "unknown layer kind");
      break;
    }
  if (st != NS_OK && st != NS_ERR_CANCELLED && err)
    ns_error_prefix (err, "layer %s", l->name);
  return st;
}

/* The largest activation (floats) layers [FIRST, LAST) produce from an
 * input of C x H x W; false on overflow. */
static bool
max_activation (const ns_net *net, int first, int last, int c, int h, int w,
                size_t *numel)
{
  size_t best = 0, n;
  for (int i = first; i < last; i++)
    {
      if (!layer_shape (net, &net->layers[i], &c, &h, &w))
        return false;
      if (!ns_size_mul ((size_t) c, (size_t) h, &n) ||
          !ns_size_mul (n, (size_t) w, &n))
        return false;
      if (n > best)
        best = n;
    }
  *numel = best > 0 ? best : 1;
  return true;
}

double
ns_conv_cache_bytes (const ns_conv *conv, bool wino)
{
  if (ns_arith_current () == NS_ARITH_OWN)
    return 0.0;
  if (wino && ns_wino_fits (conv))
    return sizeof (float) * (double) ns_wino_weights_floats (conv, 16);
  return sizeof (float) * (double) conv->cout * conv->cin * conv->k * conv->k;
}

double
ns_net_cache_bytes (const ns_net *net, bool wino)
{
  double b = 0.0;
  for (int i = 0; i < net->n_layers; i++)
    if (net->layers[i].kind == NS_LAYER_CONV)
      b += ns_conv_cache_bytes (&net->layers[i].conv, wino);
  return b;
}

double
ns_net_peak_bytes (const ns_net *net, int h, int w)
{
  size_t numel;
  double scratch = 0.0;
  int c = net->in_channels;

  if (net->n_layers == 0)
    return 0.0;
  if (!max_activation (net, 0, net->n_layers, c, h, w, &numel))
    return HUGE_VAL;
  /* ns_conv2d_into allocates its scratch per call: the largest counts. */
  for (int i = 0; i < net->n_layers; i++)
    {
      const ns_layer *l = &net->layers[i];
      if (l->kind == NS_LAYER_CONV)
        {
          size_t f = ns_conv_scratch_floats (&l->conv, h, w, NULL);
          if (f == SIZE_MAX)
            return HUGE_VAL;
          /* Winograd's bands, on the oneDNN path. */
          if (ns_wino_fits (&l->conv) && ns_arith_current () == NS_ARITH_FP32 &&
              ns_wino_scratch_floats (&l->conv, h, w, 0) > f)
            f = ns_wino_scratch_floats (&l->conv, h, w, 0);
          if ((double) f > scratch)
            scratch = (double) f;
        }
      if (!layer_shape (net, l, &c, &h, &w))
        return HUGE_VAL;
    }
  return sizeof (float) *
         ((net->n_layers > 1 ? 2.0 : 1.0) * (double) numel + scratch);
}

static ns_status
copy_tensor (const ns_tensor *src, ns_tensor *dst, ns_error *err)
{
  ns_status st = ns_tensor_alloc (dst, src->c, src->h, src->w, err);
  if (st == NS_OK)
    memcpy (dst->data, src->data, sizeof (float) * ns_tensor_numel (src));
  return st;
}

/* The network's output is an image (at most 4 channels) made by a last
 * convolution from 8 or more: oneDNN would compute a whole channel block
 * of 8 or 16 for 3 and reorder around it; the own direct kernel computes
 * the 3.  Measured on a 4000x3000 cascade render, the shallowest level's
 * decoder (one 16 -> 3 convolution, 2 threads, loaded AMD EPYC): 2.03 s
 * on oneDNN, 1.31 s own. */
static bool
rgb_tail (const ns_net *net, int first, int last, const ns_tensor *out,
          const int *tap_layers, int n_taps)
{
  const ns_layer *l = last > first ? &net->layers[last - 1] : NULL;
  if (!out || !l || l->kind != NS_LAYER_CONV || l->conv.cout > 4 ||
      l->conv.cin < 8 || l->conv.groups > 1)
    return false;
  for (int t = 0; t < n_taps; t++)
    if (tap_layers[t] == last - 1)
      return false;
  return true;
}

/* The common loop: layers [FIRST, LAST) with optional taps. */
static ns_status
net_run (const ns_net *net, int first, int last, const ns_tensor *in,
         const int *tap_layers, int n_taps, ns_tensor *taps, ns_tensor *out,
         ns_run *run, ns_error *err)
{
  ns_tensor cur;
  float *buf[2] = { NULL, NULL };
  size_t buf_numel = 0;
  ns_status st = NS_OK;

  if (out)
    memset (out, 0, sizeof *out);
  for (int t = 0; t < n_taps; t++)
    memset (&taps[t], 0, sizeof taps[t]);
  if (!net || !in || !in->data || first < 0 || last > net->n_layers ||
      first > last || (n_taps > 0 && (!tap_layers || !taps)))
    return ns_fail (err, NS_ERR_INVALID_ARG, "net forward: bad arguments");
  if (!out && n_taps == 0)
    return ns_fail (err, NS_ERR_INVALID_ARG, "net forward: nothing to do");
  if (!out)
    {
      /* Only taps wanted: stop after the deepest. */
      last = first;
      for (int t = 0; t < n_taps; t++)
        if (tap_layers[t] + 1 > last)
          last = tap_layers[t] + 1;
    }
  for (int t = 0; t < n_taps; t++)
    if (tap_layers[t] < first || tap_layers[t] >= last)
      return ns_fail (err, NS_ERR_INVALID_ARG,
                      "net forward: tap layer %d outside %d..%d", tap_layers[t],
                      first, last - 1);
  if (first == last)
    return out ? copy_tensor (in, out, err) : NS_OK;

  /* oneDNN when built, enabled and the network is of its kinds. */
  if (ns_arith_current () != NS_ARITH_OWN &&
      rgb_tail (net, first, last, out, tap_layers, n_taps))
    {
      /* The layers before the RGB output on oneDNN, that last convolution
         on the own kernel. */
      bool handled = true;
      ns_tensor mid = { 0 };
      if (last - 1 > first)
        st = ns_dnnl_net_run (net, first, last - 1, in, tap_layers, n_taps,
                              taps, &mid, run, ns_arith_current (), &handled,
                              err);
      if (handled)
        {
          const ns_layer *l = &net->layers[last - 1];
          if (st == NS_OK)
            {
              st = ns_conv2d (&l->conv, last - 1 > first ? &mid : in, out, run,
                              err);
              if (st != NS_OK && st != NS_ERR_CANCELLED && err)
                ns_error_prefix (err, "layer %s", l->name);
            }
          ns_tensor_free (&mid);
          if (st != NS_OK)
            for (int t = 0; t < n_taps; t++)
              ns_tensor_free (&taps[t]);
          return st;
        }
    }
  else
    {
      bool handled = false;
      st = ns_dnnl_net_run (net, first, last, in, tap_layers, n_taps, taps, out,
                            run, ns_arith_current (), &handled, err);
      if (handled)
        return st;
    }

  {
    size_t bytes;
    if (!max_activation (net, first, last, in->c, in->h, in->w, &buf_numel) ||
        !ns_size_mul (buf_numel, sizeof (float), &bytes))
      return ns_fail (err, NS_ERR_NOMEM,
                      "net forward: a %dx%d input is too "
                      "large",
                      in->w, in->h);
    buf[0] = ns_alloc (bytes);
    buf[1] = last - first > 1 ? ns_alloc (bytes) : NULL;
    if (!buf[0] || (last - first > 1 && !buf[1]))
      {
        ns_free (buf[0]);
        ns_free (buf[1]);
        return ns_fail (err, NS_ERR_NOMEM,
                        "out of memory for two %.1f MiB activations",
                        (double) bytes / (1024.0 * 1024.0));
      }
  }

  /* Layer i reads CUR (the caller's input, then one buffer) and writes
     the other buffer. */
  cur = *in;
  for (int i = first; i < last; i++)
    {
      ns_tensor next;
      float *dst = buf[(i - first) & 1];
      if (run && run->cancelled)
        {
          st = ns_fail (err, NS_ERR_CANCELLED, "cancelled");
          break;
        }
      st = layer_forward (net, &net->layers[i], &cur, dst, &next, run, err);
      if (st != NS_OK)
        break;
      cur = next;
      for (int t = 0; t < n_taps && st == NS_OK; t++)
        if (tap_layers[t] == i)
          st = copy_tensor (&cur, &taps[t], err);
      if (st != NS_OK)
        break;
    }
  if (st != NS_OK)
    {
      ns_free (buf[0]);
      ns_free (buf[1]);
      for (int t = 0; t < n_taps; t++)
        ns_tensor_free (&taps[t]);
      return st;
    }
  /* CUR lives in one buffer, sized for the largest activation.  Callers
     keep outputs (cached encodings), so a much smaller one gets an exact
     copy rather than pinning the big buffer. */
  if (out && ns_tensor_numel (&cur) * 2 >= buf_numel)
    {
      *out = cur;
      ns_free (cur.data == buf[0] ? buf[1] : buf[0]);
      return NS_OK;
    }
  st = out ? copy_tensor (&cur, out, err) : NS_OK;
  ns_free (buf[0]);
  ns_free (buf[1]);
  if (st != NS_OK)
    for (int t = 0; t < n_taps; t++)
      ns_tensor_free (&taps[t]);
  return st;
}

ns_status
ns_net_forward (const ns_net *net, const ns_tensor *in, ns_tensor *out,
                ns_run *run, ns_error *err)
{
  if (!out)
    return ns_fail (err, NS_ERR_INVALID_ARG, "net forward: NULL output");
  return net_run (net, 0, net ? net->n_layers : 0, in, NULL, 0, NULL, out, run,
                  err);
}

ns_status
ns_net_forward_range (const ns_net *net, int first, int last,
                      const ns_tensor *in, ns_tensor *out, ns_run *run,
                      ns_error *err)
{
  if (!out)
    return ns_fail (err, NS_ERR_INVALID_ARG, "net forward: NULL output");
  return net_run (net, first, last, in, NULL, 0, NULL, out, run, err);
}

ns_status
ns_net_forward_taps (const ns_net *net, const ns_tensor *in,
                     const int *tap_layers, int n_taps, ns_tensor *taps,
                     ns_tensor *out, ns_run *run, ns_error *err)
{
  return net_run (net, 0, net ? net->n_layers : 0, in, tap_layers, n_taps, taps,
                  out, run, err);
}
