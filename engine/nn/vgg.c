/* The one description of the VGG-family networks: the VGG-19 trunk's
 * blocks, how each model family names its convolutions, its pool mode,
 * and which file holds its deepest trunk.  The feed-forward encoders
 * (model.c), the Gatys feature network (gatys/featnet.c), the memory
 * estimate and the benchmark all build or read their networks from here.
 *
 * Families (see ../shared/models/MODELS.md):
 *  - cd16x: keys "convBI" (and "conv0" for the input layer), floor-mode
 *    pools, enc1..enc5.pth; enc5.pth holds the trunk to relu5_1;
 *  - vgg19: pytorch-AdaIN's vgg_normalised.pth, nn.Sequential indices as
 *    keys (each conv is pad, conv, ReLU; a pool after each block),
 *    ceil-mode pools, the trunk to relu5_1 and beyond;
 *  - lst-r31: LinearStyleTransfer's vgg_r31.pth, keys conv1..conv6 in
 *    order, floor-mode pools, the trunk to relu3_1. */
#include "nn.h"

#include <stdio.h>
#include <string.h>

const int ns_vgg_block_convs[5] = { 2, 2, 4, 4, 4 };

static const ns_vgg_family families[] = {
  { NS_MODEL_CD16X, false, 5, "enc5.pth", 5 },
  { NS_MODEL_VGG19, true, 4, "vgg_normalised.pth", 5 },
  { NS_MODEL_LST_R31, false, 3, "vgg_r31.pth", 3 },
};

const ns_vgg_family *
ns_vgg_family_get (ns_model_kind kind)
{
  for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
    if (families[i].kind == kind)
      return &families[i];
  return NULL;
}

void
ns_vgg_key (ns_model_kind kind, int block, int index, char *buf, size_t len)
{
  switch (kind)
    {
    case NS_MODEL_LST_R31:
      {
        /* conv1 is the input layer, then one number per conv in order. */
        int n = 2;
        for (int b = 1; b < block; b++)
          n += ns_vgg_block_convs[b - 1];
        snprintf (buf, len, "conv%d", block == 0 ? 1 : n + index - 1);
      }
      break;
    case NS_MODEL_VGG19:
      {
        /* 0: input conv; each conv is pad, conv, ReLU (3 modules); each
           block but the last ends with a pool (1 module). */
        int idx = 1;
        for (int b = 1; b < block; b++)
          idx += 3 * ns_vgg_block_convs[b - 1] + 1;
        snprintf (buf, len, "%d", block == 0 ? 0 : idx + 3 * (index - 1) + 1);
      }
      break;
    default:
      if (block == 0)
        snprintf (buf, len, "conv0");
      else
        snprintf (buf, len, "conv%d%d", block, index);
      break;
    }
}

/* ns_conv_from_weights; WHY (may be NULL) says in messages which layer a
 * missing key is. */
static ns_status
conv_from_weights (const ns_weights *w, const char *file, const char *key,
                   const char *why, int cin, int k, bool relu, ns_conv *conv,
                   ns_error *err)
{
  char wkey[64], bkey[64];
  const ns_weight *wt, *bt;

  snprintf (wkey, sizeof wkey, "%s.weight", key);
  snprintf (bkey, sizeof bkey, "%s.bias", key);
  wt = ns_weights_find (w, wkey);
  bt = ns_weights_find (w, bkey);
  if (!wt || !bt)
    return ns_fail (err, NS_ERR_FORMAT, "%s: key %s is missing%s%s%s", file,
                    wt ? bkey : wkey, why ? " (" : "", why ? why : "",
                    why ? ")" : "");
  if (wt->ndim != 4)
    return ns_fail (err, NS_ERR_SHAPE,
                    "%s: %s has %d dimensions, expected 4 "
                    "(out, in, %d, %d)",
                    file, wkey, wt->ndim, k, k);
  if (wt->shape[2] != k || wt->shape[3] != k)
    return ns_fail (err, NS_ERR_SHAPE,
                    "%s: %s is a %lldx%lld kernel, expected %dx%d", file, wkey,
                    (long long) wt->shape[2], (long long) wt->shape[3], k, k);
  if (cin > 0 && wt->shape[1] != cin)
    return ns_fail (err, NS_ERR_SHAPE,
                    "%s: %s has %lld input channels, expected %d "
                    "(the output of the previous layer)",
                    file, wkey, (long long) wt->shape[1], cin);
  if (wt->shape[0] <= 0 || wt->shape[0] > 65536 || wt->shape[1] <= 0 ||
      wt->shape[1] > 65536)
    return ns_fail (err, NS_ERR_SHAPE, "%s: %s has shape %lldx%lldx%dx%d", file,
                    wkey, (long long) wt->shape[0], (long long) wt->shape[1], k,
                    k);
  if (bt->ndim != 1 || bt->shape[0] != wt->shape[0])
    return ns_fail (err, NS_ERR_SHAPE,
                    "%s: %s has %lld values in %d dimension(s), expected %lld "
                    "(one per output channel of %s)",
                    file, bkey, (long long) (bt->ndim > 0 ? bt->shape[0] : 0),
                    bt->ndim, (long long) wt->shape[0], wkey);
  if (wt->numel != (size_t) (wt->shape[0] * wt->shape[1] * k * k) ||
      !wt->data || !bt->data)
    return ns_fail (err, NS_ERR_FORMAT, "%s: %s: inconsistent tensor", file,
                    wkey);

  memset (conv, 0, sizeof *conv);
  conv->cin = (int) wt->shape[1];
  conv->cout = (int) wt->shape[0];
  conv->k = k;
  conv->pad = k == 3 ? 1 : 0;
  conv->relu = relu;
  conv->weight = wt->data;
  conv->bias = bt->data;
  return NS_OK;
}

ns_status
ns_conv_from_weights (const ns_weights *w, const char *file, const char *key,
                      int cin, int k, bool relu, ns_conv *conv, ns_error *err)
{
  return conv_from_weights (w, file, key, NULL, cin, k, relu, conv, err);
}

ns_status
ns_net_add_conv_weights (ns_net *net, const ns_weights *w, const char *file,
                         const char *key, const char *name, int cin, int k,
                         bool relu, ns_error *err)
{
  char why[96];
  ns_conv conv;
  ns_status st;

  snprintf (why, sizeof why, "%s, %s", name,
            net->n_layers ? "expected by the network layout" : "first layer");
  if (net->n_layers > 0)
    cin = net->out_channels;
  if ((st = conv_from_weights (w, file, key, why, cin, k, relu, &conv, err)) !=
      NS_OK)
    return st;
  return ns_net_add_conv (net, name, &conv, err);
}

ns_status
ns_vgg_encoder (ns_net *net, ns_model_kind kind, const ns_weights *w,
                const char *file, int last_block, int last_index, ns_error *err)
{
  const ns_vgg_family *fam = ns_vgg_family_get (kind);
  char key[32], name[32];
  ns_status st;

  memset (net, 0, sizeof *net);
  if (!fam || !w || last_block < 1 || last_block > 5 || last_index < 1 ||
      last_index > ns_vgg_block_convs[last_block - 1])
    return ns_fail (err, NS_ERR_INTERNAL,
                    "VGG encoder: no %s trunk to "
                    "relu%d_%d",
                    ns_model_kind_name (kind), last_block, last_index);
  net->pool_ceil = fam->pool_ceil;
  /* The 1x1 input layer (RGB [0,1] -> normalised BGR) has no ReLU. */
  ns_vgg_key (kind, 0, 0, key, sizeof key);
  if ((st = ns_net_add_conv_weights (net, w, file, key, "conv0", 3, 1, false,
                                     err)) != NS_OK)
    goto fail;
  if (net->out_channels != 3)
    {
      st = ns_fail (err, NS_ERR_SHAPE,
                    "%s: %s.weight has %d output channels, expected 3", file,
                    key, net->out_channels);
      goto fail;
    }
  for (int b = 1; b <= last_block; b++)
    {
      int n = b == last_block ? last_index : ns_vgg_block_convs[b - 1];
      if (b > 1 && (st = ns_net_add_pool (net, err)) != NS_OK)
        goto fail;
      for (int i = 1; i <= n; i++)
        {
          ns_vgg_key (kind, b, i, key, sizeof key);
          snprintf (name, sizeof name, "conv%d_%d", b, i);
          if ((st = ns_net_add_conv_weights (net, w, file, key, name, -1, 3,
                                             true, err)) != NS_OK)
            goto fail;
        }
    }
  return NS_OK;
fail:
  ns_net_clear (net);
  return st;
}

ns_status
ns_vgg_feature_net (ns_model_kind kind, const ns_weights *w, const char *file,
                    ns_net *net, ns_error *err)
{
  const ns_vgg_family *fam = ns_vgg_family_get (kind);
  if (net)
    memset (net, 0, sizeof *net);
  if (!fam || !net)
    return ns_fail (err, NS_ERR_UNSUPPORTED, "%s has no VGG feature network",
                    ns_model_kind_name (kind));
  if (!w)
    return ns_fail (err, NS_ERR_INTERNAL, "%s model without %s",
                    ns_model_kind_name (kind), fam->trunk_file);
  return ns_vgg_encoder (net, kind, w, file ? file : fam->trunk_file,
                         fam->trunk_depth, 1, err);
}

const ns_weights *
ns_vgg_find_trunk (ns_model_kind kind, ns_weights *const *files, int n_files)
{
  const ns_vgg_family *fam = ns_vgg_family_get (kind);
  char first[32], last[32], wkey[48], lkey[48];

  if (!fam)
    return NULL;
  ns_vgg_key (kind, 0, 0, first, sizeof first);
  ns_vgg_key (kind, fam->trunk_depth, 1, last, sizeof last);
  snprintf (wkey, sizeof wkey, "%s.weight", first);
  snprintf (lkey, sizeof lkey, "%s.weight", last);
  /* Decoders hold some of the same keys, never the input layer too. */
  for (int i = 0; i < n_files; i++)
    if (files[i] && ns_weights_find (files[i], wkey) &&
        ns_weights_find (files[i], lkey))
      return files[i];
  return NULL;
}
