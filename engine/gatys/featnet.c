/* The Gatys feature network: built from a model's weight files, run
 * forward keeping every activation (and pooling winners), and backward
 * from the gradients at its loss taps to the image. */
#include "gatys-net.h"
#include "nn/nn-dnnl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ns_status
add_tap (ns_featnet *net, const ns_weights *wf, const char *layer,
         const char *head, int *tap_out, ns_error *err)
{
  ns_featnet_tap *t;
  int li = ns_net_find_tap (&net->trunk, layer), i;
  ns_status st;

  if (li < 0 || net->trunk.layers[li].kind != NS_LAYER_CONV)
    return ns_fail (err, NS_ERR_UNSUPPORTED, "%s has no layer %s",
                    ns_model_kind_name (net->kind), layer);
  for (i = 0; i < net->n_taps; i++)
    if (net->taps[i].layer == li && net->taps[i].has_head == (head != NULL))
      {
        *tap_out = i;
        return NS_OK;
      }
  if (net->n_taps >= NS_FEATNET_MAX_TAPS)
    return ns_fail (err, NS_ERR_INTERNAL, "too many taps");
  t = &net->taps[net->n_taps];
  memset (t, 0, sizeof *t);
  t->layer = li;
  t->channels = net->trunk.layers[li].conv.cout;
  snprintf (t->name, sizeof t->name, "%s%s", layer, head ? "_aux" : "");
  if (head)
    {
      st = ns_conv_from_weights (wf, ns_weights_path (wf), head, t->channels, 1,
                                 true, &t->head, err);
      if (st != NS_OK)
        return st;
      t->has_head = true;
      t->channels = t->head.cout;
    }
  *tap_out = net->n_taps++;
  return NS_OK;
}

void
ns_featnet_free (ns_featnet *net)
{
  if (!net)
    return;
  ns_net_clear (&net->trunk);
  memset (net, 0, sizeof *net);
}

static ns_status
build (ns_model_kind kind, ns_weights *const *files, int n_files,
       const char *content_layer, ns_featnet *net, ns_error *err)
{
  const ns_vgg_family *fam = ns_vgg_family_get (kind);
  const ns_weights *wf;
  int i, last = 0;
  ns_status st;
  /* cd16x's pruned trunk carries 1x1 heads (convN1_aux) back to the real
     VGG-19 widths at each reluN_1: the losses read those. */
  bool aux = kind == NS_MODEL_CD16X;

  memset (net, 0, sizeof *net);
  net->kind = kind;
  if (!fam)
    return ns_fail (err, NS_ERR_UNSUPPORTED,
                    "the Gatys method has no feature network for %s",
                    ns_model_kind_name (kind));
  if (!(wf = ns_vgg_find_trunk (kind, files, n_files)))
    return ns_fail (err, NS_ERR_FORMAT,
                    "no weight file of the %s model has its trunk to "
                    "relu%d_1",
                    ns_model_kind_name (kind), fam->trunk_depth);
  st = ns_vgg_feature_net (kind, wf, ns_weights_path (wf), &net->trunk, err);
  if (st != NS_OK)
    return st;
  if (net->trunk.n_layers > NS_FEATNET_MAX_LAYERS)
    return ns_fail (err, NS_ERR_INTERNAL, "feature network too deep");

  for (i = 0; i < fam->trunk_depth; i++)
    {
      char layer[32], head[40];
      snprintf (layer, sizeof layer, "relu%d_1", i + 1);
      snprintf (head, sizeof head, "conv%d1_aux", i + 1);
      st = add_tap (net, wf, layer, aux ? head : NULL,
                    &net->style[net->n_style], err);
      if (st != NS_OK)
        return st;
      net->n_style++;
    }

  /* cd16x: relu3_1's aux head.  Measured on tubingen + starry_night at
     256 px, 150 L-BFGS iterations, judged by the real VGG-19 features of
     lst-r31: at the same cd16x style loss (0.176 vs 0.174), content at
     relu3_1 (style weight 40) left both a smaller real-VGG content
     distance (1.04 vs 1.56) and a smaller real-VGG Gram distance (0.036
     vs 0.038) than content at relu4_1 (style weight 10), with a cleaner
     sky; relu4_1's, trunk relu4_2's and relu5_1's results were noisier. */
  if (!content_layer)
    content_layer = kind == NS_MODEL_VGG19 ? "relu4_2" : "relu3_1";
  {
    bool trunk = strncmp (content_layer, "trunk:", 6) == 0;
    const char *layer = trunk ? content_layer + 6 : content_layer;
    char head[24] = "";
    size_t len = strlen (layer);
    bool use_head = aux && !trunk && len == 7 && layer[6] == '1';
    if (use_head)
      snprintf (head, sizeof head, "conv%c1_aux", layer[4]);
    st = add_tap (net, wf, layer, use_head ? head : NULL, &net->content, err);
    if (st != NS_OK)
      return st;
  }

  /* Nothing past the deepest tap is run. */
  for (i = 0; i < net->n_taps; i++)
    if (net->taps[i].layer > last)
      last = net->taps[i].layer;
  for (i = last + 1; i < net->trunk.n_layers; i++)
    free ((char *) net->trunk.layers[i].name);
  net->trunk.n_layers = last + 1;
  net->trunk.out_channels = net->trunk.layers[last].conv.cout;
  for (i = 0; i <= last; i++)
    net->n_pools += net->trunk.layers[i].kind == NS_LAYER_POOL;
  net->trunk.downsample = 1 << net->n_pools;
  return NS_OK;
}

ns_status
ns_featnet_build (ns_model_kind kind, ns_weights *const *files, int n_files,
                  const char *content_layer, ns_featnet *net, ns_error *err)
{
  ns_status st = build (kind, files, n_files, content_layer, net, err);
  if (st != NS_OK)
    ns_featnet_free (net);
  return st;
}

void
ns_featnet_state_free (ns_featnet_state *b)
{
  int i;
  if (!b || !b->net)
    return;
  for (i = 0; i < NS_FEATNET_MAX_LAYERS; i++)
    {
      ns_free (b->act[i]);
      ns_free (b->argmax[i]);
    }
  for (i = 0; i < b->net->n_taps; i++)
    {
      if (b->net->taps[i].has_head)
        ns_free (b->tap_out[i]);
      ns_free (b->tap_grad[i]);
    }
  ns_free (b->g0);
  ns_free (b->g1);
  ns_free (b->gtmp);
  ns_free (b->work);
  memset (b, 0, sizeof *b);
}

static float *
alloc_floats (size_t n, bool *ok)
{
  float *p = ns_alloc (n * sizeof (float));
  if (!p)
    *ok = false;
  return p;
}

ns_status
ns_featnet_state_init (ns_featnet_state *b, const ns_featnet *net, int h, int w,
                       int n_threads, ns_error *err)
{
  const ns_net *trunk = &net->trunk;
  int i;
  size_t max_act = (size_t) 3 * h * w, work = 1;
  bool ok = true;

  memset (b, 0, sizeof *b);
  b->net = net;
  b->h = h;
  b->w = w;
  b->n_threads = ns_threads_resolve (n_threads);
  if (h <= 0 || w <= 0 || (size_t) h * w > ((size_t) 1 << 26))
    return ns_fail (err, NS_ERR_INVALID_ARG, "bad image size %dx%d", w, h);
  if (trunk->n_layers < 1 || trunk->n_layers > NS_FEATNET_MAX_LAYERS)
    return ns_fail (err, NS_ERR_INTERNAL, "feature network of %d layers",
                    trunk->n_layers);
  b->last_layer = 0;
  for (i = 0; i < net->n_taps; i++)
    if (net->taps[i].layer > b->last_layer)
      b->last_layer = net->taps[i].layer;

  for (i = 0; i <= b->last_layer; i++)
    {
      const ns_layer *l = &trunk->layers[i];
      int ih = i == 0 ? h : b->oh[i - 1], iw = i == 0 ? w : b->ow[i - 1];
      if (l->kind == NS_LAYER_CONV)
        {
          size_t wk;
          if (l->conv.k == 3 && (ih < 2 || iw < 2))
            return ns_fail (err, NS_ERR_INVALID_ARG,
                            "image %dx%d is too small for the %s network "
                            "(at least %dx%d pixels)",
                            w, h, ns_model_kind_name (net->kind),
                            2 << net->n_pools, 2 << net->n_pools);
          wk = ns_conv2d_work_floats (&l->conv, ih, iw, b->n_threads);
          if (wk > work)
            work = wk;
        }
      ns_net_out_shape (trunk, i + 1, h, w, &b->oc[i], &b->oh[i], &b->ow[i]);
      if ((size_t) b->oc[i] * b->oh[i] * b->ow[i] > max_act)
        max_act = (size_t) b->oc[i] * b->oh[i] * b->ow[i];
    }
  {
    /* Everything below, plus the optimiser's image-sized vectors (L-BFGS
       keeps 2 x 20 of them), checked before allocating any of it. */
    double need = (double) work + 3.0 * (double) max_act +
                  46.0 * 3.0 * (double) h * (double) w;
    ns_status st;
    for (i = 0; i <= b->last_layer; i++)
      need += (double) b->oc[i] * b->oh[i] * b->ow[i] *
              (trunk->layers[i].kind == NS_LAYER_POOL ? 2.0 : 1.0);
    for (i = 0; i < net->n_taps; i++)
      need += 2.0 * (double) net->taps[i].channels * b->oh[net->taps[i].layer] *
              b->ow[net->taps[i].layer];
    if ((st = ns_memory_check (need * sizeof (float), w, h, err)) != NS_OK)
      return st;
  }
  for (i = 0; i <= b->last_layer; i++)
    {
      size_t n = (size_t) b->oc[i] * b->oh[i] * b->ow[i];
      b->act[i] = alloc_floats (n, &ok);
      if (trunk->layers[i].kind == NS_LAYER_POOL &&
          !(b->argmax[i] = ns_alloc (n * sizeof (int32_t))))
        ok = false;
    }
  for (i = 0; i < net->n_taps; i++)
    {
      const ns_featnet_tap *t = &net->taps[i];
      size_t n = (size_t) t->channels * b->oh[t->layer] * b->ow[t->layer];
      b->tap_h[i] = b->oh[t->layer];
      b->tap_w[i] = b->ow[t->layer];
      if (t->has_head)
        b->tap_out[i] = alloc_floats (n, &ok);
      else
        b->tap_out[i] = b->act[t->layer];
      b->tap_grad[i] = alloc_floats (n, &ok);
    }
  b->g0 = alloc_floats (max_act, &ok);
  b->g1 = alloc_floats (max_act, &ok);
  b->gtmp = alloc_floats (max_act, &ok);
  b->work = alloc_floats (work, &ok);
  if (!ok)
    {
      ns_featnet_state_free (b);
      return ns_fail (err, NS_ERR_NOMEM,
                      "out of memory for the Gatys buffers at %dx%d", w, h);
    }
  return NS_OK;
}

static bool
poll (ns_run *run)
{
  return !run || ns_run_tick (run, 0.0);
}

/* OUT (cout x h x w) = CONV (IN) with the state's scratch and threads.
 * WORK is sized for it (ns_conv2d_work_floats) and the shapes were
 * checked by ns_featnet_state_init: it cannot fail. */
static bool
conv_forward (const ns_featnet_state *b, const ns_conv *conv, const float *in,
              int h, int w, float *out)
{
  const ns_conv_opts opts = { b->n_threads, 0, b->work };
  bool handled = false, ok;
  /* oneDNN when built and enabled (it allocates its buffers: it may run
     out of memory, then the own kernel below takes over).  Without
     Winograd: Gatys checks its memory itself (per scale) and does not
     count the transformed weights, which raised a VGG-19 evaluation's
     peak from 525 to 724 MiB at 256 px (0.72-0.86 s instead of 0.95 s). */
  const bool saved = ns_nn_winograd_begin (false);
  ok = ns_dnnl_conv_plain (conv, in, h, w, out, b->n_threads,
                           ns_arith_current (), &handled, NULL) == NS_OK &&
       handled;
  ns_nn_winograd_end (saved);
  if (ok)
    return true;
  return ns_conv2d_into (conv, in, h, w, out, &opts, NULL, NULL) == NS_OK;
}

/* GIN = dL/d(conv input) from GOUT (dL/d(output after the ReLU when Y,
 * the forward's output, is given)); GOUT is overwritten. */
static void
conv_backward (const ns_featnet_state *b, const ns_conv *conv, const float *y,
               float *gout, int h, int w, float *gin)
{
  bool handled = false;
  if (ns_dnnl_enabled ())
    {
      if (y)
        ns_relu_backward (y, gout, (size_t) conv->cout * h * w);
      if (ns_dnnl_conv_backward_plain (conv, gout, h, w, gin, b->n_threads,
                                       ns_arith_current (), &handled,
                                       NULL) == NS_OK &&
          handled)
        return;
      y = NULL; /* the mask is applied */
    }
  ns_conv2d_backward (conv, y, gout, h, w, gin, b->work, b->n_threads);
}

bool
ns_featnet_forward (ns_featnet_state *b, const float *x, ns_run *run)
{
  const ns_featnet *net = b->net;
  int i, t;
  for (i = 0; i <= b->last_layer; i++)
    {
      const ns_layer *l = &net->trunk.layers[i];
      const float *in = i == 0 ? x : b->act[i - 1];
      int ih = i == 0 ? b->h : b->oh[i - 1];
      int iw = i == 0 ? b->w : b->ow[i - 1];
      int ic = i == 0 ? 3 : b->oc[i - 1];
      if (l->kind == NS_LAYER_POOL)
        ns_maxpool2x2_into (in, ic, ih, iw, net->trunk.pool_ceil, b->act[i],
                            b->argmax[i], b->n_threads);
      else if (!conv_forward (b, &l->conv, in, ih, iw, b->act[i]))
        return false;
      if (!poll (run))
        return false;
    }
  for (t = 0; t < net->n_taps; t++)
    if (net->taps[t].has_head)
      {
        int li = net->taps[t].layer;
        if (!conv_forward (b, &net->taps[t].head, b->act[li], b->oh[li],
                           b->ow[li], b->tap_out[t]))
          return false;
      }
  return poll (run);
}

bool
ns_featnet_backward (ns_featnet_state *b, float *gx, ns_run *run)
{
  const ns_featnet *net = b->net;
  float *cur = b->g0, *next = b->g1;
  int i, t;

  for (i = b->last_layer; i >= 0; i--)
    {
      const ns_layer *l = &net->trunk.layers[i];
      size_t n = (size_t) b->oc[i] * b->oh[i] * b->ow[i], j;
      int ih = i == 0 ? b->h : b->oh[i - 1];
      int iw = i == 0 ? b->w : b->ow[i - 1];
      int ic = i == 0 ? 3 : b->oc[i - 1];
      float *dst = i == 0 ? gx : next;
      bool have = i != b->last_layer;

      /* Add the gradients of the losses reading this layer's output. */
      for (t = 0; t < net->n_taps; t++)
        {
          const ns_featnet_tap *tap = &net->taps[t];
          const float *src;
          if (tap->layer != i)
            continue;
          src = b->tap_grad[t];
          if (tap->has_head)
            {
              conv_backward (b, &tap->head, b->tap_out[t], b->tap_grad[t],
                             b->oh[i], b->ow[i], b->gtmp);
              src = b->gtmp;
            }
          if (have)
            for (j = 0; j < n; j++)
              cur[j] += src[j];
          else
            memcpy (cur, src, n * sizeof (float));
          have = true;
        }
      if (!have)
        memset (cur, 0, n * sizeof (float));

      if (l->kind == NS_LAYER_POOL)
        ns_maxpool2x2_backward (cur, b->argmax[i], ic, ih, iw,
                                net->trunk.pool_ceil, dst, b->n_threads);
      else
        conv_backward (b, &l->conv, l->conv.relu ? b->act[i] : NULL, cur, ih,
                       iw, dst);
      if (!poll (run))
        return false;
      {
        float *tmp = cur;
        cur = next;
        next = tmp;
      }
    }
  return true;
}

double
ns_featnet_flops (const ns_featnet *net, int h, int w)
{
  /* The trunk ends at the deepest tap (ns_featnet_build). */
  double total = ns_net_flops (&net->trunk, h, w);
  for (int i = 0; i < net->n_taps; i++)
    {
      const ns_featnet_tap *t = &net->taps[i];
      int th, tw;
      if (!t->has_head)
        continue;
      ns_net_out_shape (&net->trunk, t->layer + 1, h, w, NULL, &th, &tw);
      total += ns_conv_flops (&t->head, th, tw);
    }
  return total;
}
