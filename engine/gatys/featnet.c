/* The Gatys feature network: built from a model's weight files, run
 * forward keeping every activation (and pooling winners), and backward
 * from the gradients at its loss taps to the image. */
#include "gatys-net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Trunk layouts: weight key prefixes in order, "P" for a max-pool. */
static const char *const cd16x_ops[] = { "conv0",  "conv11", "conv12", "P",
                                         "conv21", "conv22", "P",      "conv31",
                                         "conv32", "conv33", "conv34", "P",
                                         "conv41", "conv42", "conv43", "conv44",
                                         "P",      "conv51", NULL };
static const char *const vgg19_ops[] = { "0",  "2", "5",  "P",  "9",
                                         "12", "P", "16", "19", "22",
                                         "25", "P", "29", "32", "35",
                                         "38", "P", "42", NULL };
static const char *const lst_ops[] = { "conv1", "conv2", "conv3", "P", "conv4",
                                       "conv5", "P",     "conv6", NULL };
/* VGG names of the trunk ops above (same order, pools included). */
static const char *const vgg_names[] = {
  "input",   "relu1_1", "relu1_2", "pool1",   "relu2_1", "relu2_2", "pool2",
  "relu3_1", "relu3_2", "relu3_3", "relu3_4", "pool3",   "relu4_1", "relu4_2",
  "relu4_3", "relu4_4", "pool4",   "relu5_1", NULL
};

static ns_status
get_conv (const ns_weights *wf, const char *prefix, int k, bool relu,
          ns_conv *conv, ns_error *err)
{
  char key[64];
  const ns_weight *w, *b;
  snprintf (key, sizeof key, "%s.weight", prefix);
  w = ns_weights_find (wf, key);
  snprintf (key, sizeof key, "%s.bias", prefix);
  b = ns_weights_find (wf, key);
  if (!w)
    return ns_fail (err, NS_ERR_FORMAT, "%s: no tensor %s.weight",
                    ns_weights_path (wf), prefix);
  if (w->ndim != 4 || w->shape[2] != k || w->shape[3] != k ||
      w->shape[0] <= 0 || w->shape[1] <= 0 || w->shape[0] > 4096 ||
      w->shape[1] > 4096)
    return ns_fail (err, NS_ERR_SHAPE,
                    "%s: %s.weight is not a %dx%d "
                    "convolution",
                    ns_weights_path (wf), prefix, k, k);
  if (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))
    return ns_fail (err, NS_ERR_SHAPE, "%s: %s.bias has the wrong shape",
                    ns_weights_path (wf), prefix);
  memset (conv, 0, sizeof *conv);
  conv->cout = (int) w->shape[0];
  conv->cin = (int) w->shape[1];
  conv->k = k;
  conv->pad = k == 3 ? 1 : 0;
  conv->relu = relu;
  conv->weight = w->data;
  conv->bias = b ? b->data : NULL;
  return NS_OK;
}

static int
find_op (const ns_featnet *net, const char *vgg_name)
{
  int i;
  for (i = 0; i < net->n_ops; i++)
    if (strcmp (net->ops[i].name, vgg_name) == 0)
      return i;
  return -1;
}

static ns_status
add_tap (ns_featnet *net, const ns_weights *wf, const char *layer,
         const char *head, int *tap_out, ns_error *err)
{
  ns_featnet_tap *t;
  int op = find_op (net, layer), i;
  ns_status st;

  if (op < 0 || net->ops[op].pool)
    return ns_fail (err, NS_ERR_UNSUPPORTED, "%s has no layer %s",
                    ns_model_kind_name (net->kind), layer);
  for (i = 0; i < net->n_taps; i++)
    if (net->taps[i].op == op && net->taps[i].has_head == (head != NULL))
      {
        *tap_out = i;
        return NS_OK;
      }
  if (net->n_taps >= NS_FEATNET_MAX_TAPS)
    return ns_fail (err, NS_ERR_INTERNAL, "too many taps");
  t = &net->taps[net->n_taps];
  memset (t, 0, sizeof *t);
  t->op = op;
  t->channels = net->ops[op].conv.cout;
  snprintf (t->name, sizeof t->name, "%s%s", layer, head ? "_aux" : "");
  if (head)
    {
      st = get_conv (wf, head, 1, true, &t->head, err);
      if (st != NS_OK)
        return st;
      if (t->head.cin != t->channels)
        return ns_fail (err, NS_ERR_SHAPE,
                        "%s: %s takes %d channels, "
                        "%s has %d",
                        ns_weights_path (wf), head, t->head.cin, layer,
                        t->channels);
      t->has_head = true;
      t->channels = t->head.cout;
    }
  *tap_out = net->n_taps++;
  return NS_OK;
}

ns_status
ns_featnet_build (ns_model_kind kind, ns_weights *const *files, int n_files,
               const char *content_layer, ns_featnet *net, ns_error *err)
{
  const char *const *ops;
  const char *probe;
  const ns_weights *wf = NULL;
  int i, cin = 3, n_style_levels;
  ns_status st;
  bool aux = kind == NS_MODEL_CD16X;

  memset (net, 0, sizeof *net);
  net->kind = kind;
  switch (kind)
    {
    case NS_MODEL_CD16X:
      ops = cd16x_ops;
      probe = "conv51_aux.weight";
      net->pool_ceil = false;
      n_style_levels = 5;
      break;
    case NS_MODEL_VGG19:
      ops = vgg19_ops;
      probe = "42.weight";
      net->pool_ceil = true;
      n_style_levels = 5;
      break;
    case NS_MODEL_LST_R31:
      ops = lst_ops;
      probe = "conv6.weight";
      net->pool_ceil = false;
      n_style_levels = 3;
      break;
    default:
      return ns_fail (err, NS_ERR_UNSUPPORTED,
                      "the Gatys method has no feature network for %s",
                      ns_model_kind_name (kind));
    }
  for (i = 0; i < n_files && !wf; i++)
    if (files[i] && ns_weights_find (files[i], probe))
      wf = files[i];
  if (!wf)
    return ns_fail (err, NS_ERR_FORMAT, "no weight file of the %s model has %s",
                    ns_model_kind_name (kind), probe);

  for (i = 0; ops[i]; i++)
    {
      ns_featnet_op *op = &net->ops[net->n_ops];
      snprintf (op->name, sizeof op->name, "%s", vgg_names[i]);
      if (strcmp (ops[i], "P") == 0)
        {
          op->pool = true;
          net->n_pools++;
        }
      else
        {
          /* The 1x1 input layer has no ReLU; every 3x3 conv has one. */
          st = get_conv (wf, ops[i], i == 0 ? 1 : 3, i != 0, &op->conv, err);
          if (st != NS_OK)
            return st;
          if (op->conv.cin != cin)
            return ns_fail (err, NS_ERR_SHAPE,
                            "%s: %s takes %d channels, "
                            "expected %d",
                            ns_weights_path (wf), ops[i], op->conv.cin, cin);
          cin = op->conv.cout;
        }
      net->n_ops++;
    }

  for (i = 0; i < n_style_levels; i++)
    {
      char layer[16], head[24];
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
  return NS_OK;
}

void
ns_featnet_state_free (ns_featnet_state *b)
{
  int i;
  if (!b || !b->net)
    return;
  for (i = 0; i < NS_FEATNET_MAX_OPS; i++)
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
ns_featnet_state_init (ns_featnet_state *b, const ns_featnet *net, int h, int w, int n_threads,
              ns_error *err)
{
  int i, c = 3, ch = h, cw = w;
  size_t max_act = (size_t) 3 * h * w, work = 1;
  bool ok = true;

  memset (b, 0, sizeof *b);
  b->net = net;
  b->h = h;
  b->w = w;
  b->n_threads = ns_threads_resolve (n_threads);
  if (h <= 0 || w <= 0 || (size_t) h * w > ((size_t) 1 << 26))
    return ns_fail (err, NS_ERR_INVALID_ARG, "bad image size %dx%d", w, h);
  b->last_op = 0;
  for (i = 0; i < net->n_taps; i++)
    if (net->taps[i].op > b->last_op)
      b->last_op = net->taps[i].op;

  for (i = 0; i <= b->last_op; i++)
    {
      const ns_featnet_op *op = &net->ops[i];
      if (op->pool)
        ns_gpool_out_size (ch, cw, net->pool_ceil, &ch, &cw);
      else
        {
          size_t wk;
          if (op->conv.k == 3 && (ch < 2 || cw < 2))
            return ns_fail (err, NS_ERR_INVALID_ARG,
                            "image %dx%d is too small for the %s network "
                            "(at least %dx%d pixels)",
                            w, h, ns_model_kind_name (net->kind),
                            2 << net->n_pools, 2 << net->n_pools);
          c = op->conv.cout;
          wk = ns_gconv_work_floats (&op->conv, ch, cw, b->n_threads);
          if (wk > work)
            work = wk;
        }
      b->oc[i] = c;
      b->oh[i] = ch;
      b->ow[i] = cw;
      if ((size_t) c * ch * cw > max_act)
        max_act = (size_t) c * ch * cw;
    }
  {
    /* Everything below, plus the optimiser's image-sized vectors (L-BFGS
       keeps 2 x 20 of them), checked before allocating any of it. */
    double need = (double) work + 3.0 * (double) max_act
                  + 46.0 * 3.0 * (double) h * (double) w;
    ns_status st;
    for (i = 0; i <= b->last_op; i++)
      need += (double) b->oc[i] * b->oh[i] * b->ow[i]
              * (net->ops[i].pool ? 2.0 : 1.0);
    for (i = 0; i < net->n_taps; i++)
      need += 2.0 * (double) net->taps[i].channels * b->oh[net->taps[i].op]
              * b->ow[net->taps[i].op];
    if ((st = ns_memory_check (need * sizeof (float), w, h, err)) != NS_OK)
      return st;
  }
  for (i = 0; i <= b->last_op; i++)
    {
      size_t n = (size_t) b->oc[i] * b->oh[i] * b->ow[i];
      b->act[i] = alloc_floats (n, &ok);
      if (net->ops[i].pool)
        b->argmax[i] = ns_alloc (n * sizeof (int32_t));
      if (net->ops[i].pool && !b->argmax[i])
        ok = false;
    }
  for (i = 0; i < net->n_taps; i++)
    {
      const ns_featnet_tap *t = &net->taps[i];
      size_t n = (size_t) t->channels * b->oh[t->op] * b->ow[t->op];
      b->tap_h[i] = b->oh[t->op];
      b->tap_w[i] = b->ow[t->op];
      if (t->has_head)
        b->tap_out[i] = alloc_floats (n, &ok);
      else
        b->tap_out[i] = b->act[t->op];
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

bool
ns_featnet_forward (ns_featnet_state *b, const float *x, ns_run *run)
{
  const ns_featnet *net = b->net;
  int i, t;
  for (i = 0; i <= b->last_op; i++)
    {
      const ns_featnet_op *op = &net->ops[i];
      const float *in = i == 0 ? x : b->act[i - 1];
      int ih = i == 0 ? b->h : b->oh[i - 1];
      int iw = i == 0 ? b->w : b->ow[i - 1];
      int ic = i == 0 ? 3 : b->oc[i - 1];
      if (op->pool)
        ns_gpool_forward (in, ic, ih, iw, net->pool_ceil, b->act[i],
                          b->argmax[i], b->n_threads);
      /* WORK is sized for the convolution's scratch (ns_gconv_work_floats)
         and the shapes were checked by ns_featnet_state_init: it cannot fail. */
      else if (ns_gconv_forward (&op->conv, in, ih, iw, b->act[i], b->work,
                                 b->n_threads) != NS_OK)
        return false;
      if (!poll (run))
        return false;
    }
  for (t = 0; t < net->n_taps; t++)
    if (net->taps[t].has_head)
      {
        int op = net->taps[t].op;
        if (ns_gconv_forward (&net->taps[t].head, b->act[op], b->oh[op],
                              b->ow[op], b->tap_out[t], b->work,
                              b->n_threads) != NS_OK)
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

  for (i = b->last_op; i >= 0; i--)
    {
      const ns_featnet_op *op = &net->ops[i];
      size_t n = (size_t) b->oc[i] * b->oh[i] * b->ow[i], j;
      int ih = i == 0 ? b->h : b->oh[i - 1];
      int iw = i == 0 ? b->w : b->ow[i - 1];
      int ic = i == 0 ? 3 : b->oc[i - 1];
      float *dst = i == 0 ? gx : next;
      bool have = i != b->last_op;

      /* Add the gradients of the losses reading this op's output. */
      for (t = 0; t < net->n_taps; t++)
        {
          const ns_featnet_tap *tap = &net->taps[t];
          const float *src;
          if (tap->op != i)
            continue;
          src = b->tap_grad[t];
          if (tap->has_head)
            {
              ns_gconv_backward (&tap->head, b->tap_out[t], b->tap_grad[t],
                                 b->oh[i], b->ow[i], b->gtmp, b->work,
                                 b->n_threads);
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

      if (op->pool)
        ns_gpool_backward (cur, b->argmax[i], ic, ih, iw, net->pool_ceil, dst,
                           b->n_threads);
      else
        ns_gconv_backward (&op->conv, op->conv.relu ? b->act[i] : NULL, cur, ih,
                           iw, dst, b->work, b->n_threads);
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
  double total = 0.0;
  int i, last = 0;
  int oh[NS_FEATNET_MAX_OPS], ow[NS_FEATNET_MAX_OPS];
  for (i = 0; i < net->n_taps; i++)
    if (net->taps[i].op > last)
      last = net->taps[i].op;
  for (i = 0; i <= last; i++)
    {
      const ns_featnet_op *op = &net->ops[i];
      if (op->pool)
        ns_gpool_out_size (h, w, net->pool_ceil, &h, &w);
      else
        total += 2.0 * op->conv.cin * op->conv.cout * op->conv.k * op->conv.k *
                 h * w;
      oh[i] = h;
      ow[i] = w;
    }
  for (i = 0; i < net->n_taps; i++)
    {
      const ns_featnet_tap *t = &net->taps[i];
      if (t->has_head)
        total += 2.0 * t->head.cin * t->head.cout * oh[t->op] * ow[t->op];
    }
  return total;
}
