/* Networks (forward, taps, ranges, flops, cancellation) and image <->
 * tensor padding, on a small synthetic VGG-like encoder and decoder. */
#include "nn.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed = 7;
static float *wbuf[32];
static int n_wbuf;

static void
add_conv (ns_net *net, int cin, int cout, int k, bool relu)
{
  ns_conv c = { cin, cout, k, k == 3, relu, NULL, NULL };
  size_t nw = (size_t) cout * cin * k * k;
  float *w = malloc (sizeof (float) * (nw + (size_t) cout));
  char name[16];
  tu_fill_random (w, nw + (size_t) cout, -0.3f, 0.3f, &seed);
  c.weight = w;
  c.bias = w + nw;
  wbuf[n_wbuf++] = w;
  snprintf (name, sizeof name, "c%d", net->n_layers);
  TU_CHECK (ns_net_add_conv (net, name, &c, NULL) == NS_OK);
}

/* The same net with the reference kernels. */
static ns_tensor
ref_forward (const ns_net *net, const ns_tensor *in, int stop)
{
  ns_tensor cur = { 0 }, next;
  for (int i = 0; i <= stop; i++)
    {
      const ns_layer *l = &net->layers[i];
      const ns_tensor *src = i ? &cur : in;
      if (l->kind == NS_LAYER_CONV)
        ns_conv2d_ref (&l->conv, src, &next, NULL);
      else if (l->kind == NS_LAYER_POOL)
        ns_maxpool2x2_ref (src, net->pool_ceil, &next, NULL);
      else
        ns_upsample2x_ref (src, &next, NULL);
      if (i)
        ns_tensor_free (&cur);
      cur = next;
    }
  return cur;
}

static bool
cancel_now (float f, const char *stage, void *data)
{
  (void) f;
  (void) stage;
  (void) data;
  return false;
}

static void
check_tensor_image (void)
{
  ns_image img = { 0 }, back = { 0 };
  ns_tensor t;
  ns_error err;

  /* 5x3 padded to 8: x reflects (3 < 5), y needs 5 > 2 rows -> edge. */
  TU_CHECK (ns_image_alloc (&img, 5, 3, &err) == NS_OK);
  for (int i = 0; i < 45; i++)
    img.data[i] = (float) i / 44.0f;
  TU_CHECK (ns_image_to_tensor (&img, 8, &t, &err) == NS_OK);
  TU_CHECK (t.c == 3 && t.w == 8 && t.h == 8);
  /* Row 0: x = 5, 6, 7 reflect to 3, 2, 1. */
  TU_CHECK (t.data[5] == img.data[3] && t.data[6] == img.data[2] &&
            t.data[7] == img.data[1]);
  /* Rows 3..7 replicate row 2 (reflection impossible). */
  TU_CHECK (t.data[7 * 8 + 0] == img.data[2 * 5 + 0]);
  /* Channel 2, row 1, x 4 kept. */
  TU_CHECK (t.data[2 * 64 + 8 + 4] == img.data[2 * 15 + 5 + 4]);
  /* 16x16 and pad 16: unchanged size. */
  {
    ns_image sq = { 0 };
    ns_tensor t2;
    TU_CHECK (ns_image_alloc (&sq, 16, 16, &err) == NS_OK);
    memset (sq.data, 0, sizeof (float) * 3 * 256);
    TU_CHECK (ns_image_to_tensor (&sq, 16, &t2, &err) == NS_OK);
    TU_CHECK (t2.w == 16 && t2.h == 16);
    ns_tensor_free (&t2);
    ns_image_free (&sq);
  }
  /* Crop back with clamping. */
  t.data[0] = -1.0f;
  t.data[1] = 2.0f;
  TU_CHECK (ns_image_alloc (&back, 5, 3, &err) == NS_OK);
  TU_CHECK (ns_tensor_to_image (&t, &back, &err) == NS_OK);
  TU_CHECK (back.data[0] == 0.0f && back.data[1] == 1.0f);
  TU_CHECK (tu_max_abs_diff (back.data + 2, img.data + 2, 43) == 0.0);
  ns_image_free (&back);
  /* Too big a crop fails. */
  TU_CHECK (ns_image_alloc (&back, 9, 3, &err) == NS_OK);
  TU_CHECK (ns_tensor_to_image (&t, &back, &err) == NS_ERR_SHAPE);
  ns_image_free (&back);
  ns_tensor_free (&t);
  ns_image_free (&img);
}

/* The VGG table: the keys of each family, as in their files. */
static void
check_vgg_table (void)
{
  static const struct
  {
    ns_model_kind kind;
    int block, index;
    const char *key;
  } keys[] = {
    { NS_MODEL_CD16X, 0, 0, "conv0" },   { NS_MODEL_CD16X, 3, 4, "conv34" },
    { NS_MODEL_CD16X, 5, 1, "conv51" },  { NS_MODEL_VGG19, 0, 0, "0" },
    { NS_MODEL_VGG19, 1, 1, "2" },       { NS_MODEL_VGG19, 2, 1, "9" },
    { NS_MODEL_VGG19, 4, 1, "29" },      { NS_MODEL_VGG19, 5, 1, "42" },
    { NS_MODEL_LST_R31, 0, 0, "conv1" }, { NS_MODEL_LST_R31, 1, 2, "conv3" },
    { NS_MODEL_LST_R31, 3, 1, "conv6" },
  };
  char key[32];

  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    {
      ns_vgg_key (keys[i].kind, keys[i].block, keys[i].index, key, sizeof key);
      TU_CHECK (strcmp (key, keys[i].key) == 0);
    }
  TU_CHECK (ns_vgg_family_get (NS_MODEL_VGG19)->pool_ceil);
  TU_CHECK (!ns_vgg_family_get (NS_MODEL_CD16X)->pool_ceil);
  TU_CHECK (ns_vgg_family_get (NS_MODEL_LST_R31)->trunk_depth == 3);
  TU_CHECK (ns_vgg_family_get (NS_MODEL_AUTO) == NULL);
}

int
main (void)
{
  ns_net enc = { 0 }, dec = { 0 };
  ns_tensor in, out, ref, taps[3];
  ns_error err;
  ns_run run;
  int tap_idx[3];
  double flops;

  /* conv0, conv1_1, conv1_2, pool, conv2_1, conv2_2, pool, conv3_1 */
  enc.pool_ceil = true;
  add_conv (&enc, 3, 3, 1, false);
  add_conv (&enc, 3, 8, 3, true);
  add_conv (&enc, 8, 8, 3, true);
  TU_CHECK (ns_net_add_pool (&enc, NULL) == NS_OK);
  add_conv (&enc, 8, 12, 3, true);
  add_conv (&enc, 12, 12, 3, true);
  TU_CHECK (ns_net_add_pool (&enc, NULL) == NS_OK);
  add_conv (&enc, 12, 16, 3, true);
  TU_CHECK (enc.downsample == 4 && enc.in_channels == 3 &&
            enc.out_channels == 16);

  TU_CHECK (ns_net_find_tap (&enc, "relu1_1") == 1);
  TU_CHECK (ns_net_find_tap (&enc, "relu1_2") == 2);
  TU_CHECK (ns_net_find_tap (&enc, "conv2_2") == 5);
  TU_CHECK (ns_net_find_tap (&enc, "relu3_1") == 7);
  TU_CHECK (ns_net_find_tap (&enc, "pool2") == 6);
  TU_CHECK (ns_net_find_tap (&enc, "relu4_1") == -1);
  TU_CHECK (ns_net_find_tap (&enc, "relu2_3") == -1);
  TU_CHECK (ns_net_find_tap (&enc, "bogus") == -1);

  TU_CHECK (ns_tensor_alloc (&in, 3, 45, 67, &err) == NS_OK);
  tu_fill_random (in.data, ns_tensor_numel (&in), 0.0f, 1.0f, &seed);

  /* Same thread count as the NULL-run calls below (band boundaries, hence
     rounding, depend on it). */
  ns_run_init (&run, NULL, 1.0);
  run.n_threads = 0;
  TU_CHECK (ns_net_forward (&enc, &in, &out, &run, &err) == NS_OK);
  ref = ref_forward (&enc, &in, enc.n_layers - 1);
  /* Ceil mode: 45x67 -> 23x34 -> 12x17. */
  TU_CHECK (out.c == 16 && out.h == 12 && out.w == 17);
  TU_CHECK (tu_max_rel_diff (out.data, ref.data, ns_tensor_numel (&ref)) <
            1e-5);
  flops = ns_net_flops (&enc, 45, 67);
  TU_CHECK (run.done == flops);
  TU_CHECK (flops == 2.0 * (3 * 3 * 45 * 67 + 3 * 8 * 9 * 45 * 67 +
                            8 * 8 * 9 * 45 * 67 + 8 * 12 * 9 * 23 * 34 +
                            12 * 12 * 9 * 23 * 34 + 12 * 16 * 9 * 12 * 17));
  ns_tensor_free (&ref);

  /* The one size walk: every prefix, both pool modes. */
  {
    int c, h, w;
    ns_net_out_shape (&enc, 0, 45, 67, &c, &h, &w);
    TU_CHECK (c == 3 && h == 45 && w == 67);
    ns_net_out_shape (&enc, 4, 45, 67, &c, &h, &w);
    TU_CHECK (c == 8 && h == 23 && w == 34);
    ns_net_out_shape (&enc, enc.n_layers, 45, 67, &c, &h, &w);
    TU_CHECK (c == out.c && h == out.h && w == out.w);
    enc.pool_ceil = false;
    ns_net_out_shape (&enc, enc.n_layers, 45, 67, &c, &h, &w);
    TU_CHECK (c == 16 && h == 11 && w == 16);
    enc.pool_ceil = true;
    /* Forward's two ping-pong buffers of the largest activation (8 x 45 x
       67 here) plus the largest convolution scratch. */
    TU_CHECK (ns_net_peak_bytes (&enc, 45, 67) >=
              2.0 * sizeof (float) * 8 * 45 * 67);
    TU_CHECK (ns_net_peak_bytes (&enc, 45, 67) <
              2.0 * sizeof (float) * 8 * 45 * 67 + (64 << 20));
  }

  /* Taps (out of order) + final output. */
  tap_idx[0] = ns_net_find_tap (&enc, "relu2_1");
  tap_idx[1] = ns_net_find_tap (&enc, "relu1_1");
  tap_idx[2] = ns_net_find_tap (&enc, "relu2_1");
  {
    ns_tensor out2;
    TU_CHECK (ns_net_forward_taps (&enc, &in, tap_idx, 3, taps, &out2, NULL,
                                   &err) == NS_OK);
    TU_CHECK (tu_max_abs_diff (out2.data, out.data, ns_tensor_numel (&out)) ==
              0.0);
    ns_tensor_free (&out2);
  }
  for (int t = 0; t < 3; t++)
    {
      ref = ref_forward (&enc, &in, tap_idx[t]);
      TU_CHECK (taps[t].c == ref.c && taps[t].h == ref.h && taps[t].w == ref.w);
      TU_CHECK (tu_max_rel_diff (taps[t].data, ref.data,
                                 ns_tensor_numel (&ref)) < 1e-5);
      ns_tensor_free (&ref);
      ns_tensor_free (&taps[t]);
    }
  /* Taps only: stops after the deepest tap. */
  TU_CHECK (ns_net_forward_taps (&enc, &in, tap_idx, 2, taps, NULL, NULL,
                                 &err) == NS_OK);
  TU_CHECK (taps[0].c == 12 && taps[1].c == 8);
  /* Continue from relu2_1 to the end: same as the full forward. */
  {
    ns_tensor rest;
    TU_CHECK (ns_net_forward_range (&enc, tap_idx[0] + 1, enc.n_layers,
                                    &taps[0], &rest, NULL, &err) == NS_OK);
    TU_CHECK (tu_max_abs_diff (rest.data, out.data, ns_tensor_numel (&out)) ==
              0.0);
    ns_tensor_free (&rest);
  }
  ns_tensor_free (&taps[0]);
  ns_tensor_free (&taps[1]);

  /* Decoder: conv, up, conv, up, conv (no ReLU at the end). */
  add_conv (&dec, 16, 12, 3, true);
  TU_CHECK (ns_net_add_upsample (&dec, NULL) == NS_OK);
  add_conv (&dec, 12, 8, 3, true);
  TU_CHECK (ns_net_add_upsample (&dec, NULL) == NS_OK);
  add_conv (&dec, 8, 3, 3, false);
  {
    ns_tensor img;
    TU_CHECK (ns_net_forward (&dec, &out, &img, NULL, &err) == NS_OK);
    ref = ref_forward (&dec, &out, dec.n_layers - 1);
    TU_CHECK (img.c == 3 && img.h == 48 && img.w == 68);
    TU_CHECK (tu_max_rel_diff (img.data, ref.data, ns_tensor_numel (&ref)) <
              1e-5);
    ns_tensor_free (&img);
    ns_tensor_free (&ref);
  }
  /* Wrong input channels: a shape error naming the layer. */
  {
    ns_tensor img;
    TU_CHECK (ns_net_forward (&dec, &in, &img, NULL, &err) == NS_ERR_SHAPE);
    TU_CHECK (strstr (err.message, "c0") != NULL);
    TU_CHECK (img.data == NULL);
  }
  /* Cancellation propagates and frees everything. */
  {
    ns_params params;
    ns_tensor img;
    memset (&params, 0, sizeof params);
    params.progress = cancel_now;
    ns_run_init (&run, &params, 1.0);
    TU_CHECK (ns_net_forward (&enc, &in, &img, &run, &err) == NS_ERR_CANCELLED);
    TU_CHECK (img.data == NULL);
  }

  ns_tensor_free (&out);
  ns_tensor_free (&in);
  ns_net_clear (&enc);
  ns_net_clear (&dec);
  TU_CHECK (enc.layers == NULL && enc.n_layers == 0);
  for (int i = 0; i < n_wbuf; i++)
    free (wbuf[i]);

  check_vgg_table ();
  check_tensor_image ();
  return tu_finish ("net");
}
