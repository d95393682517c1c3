/* The oneDNN backend against the naive references: single convolutions on
 * odd shapes (forward and backward-data), whole networks with pools,
 * upsampling and taps, the weight cache, thread counts and bf16 (native,
 * or emulated on CPUs without it).  Skipped when built without oneDNN. */
#include "nn-dnnl.h"
#include "testutil.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed = 11;

static ns_conv
make_conv (int cin, int cout, int k, bool relu, bool bias)
{
  ns_conv c = { cin, cout, k, (k - 1) / 2, relu, NULL, NULL };
  size_t n = (size_t) cin * cout * k * k;
  float *w = malloc (n * sizeof (float));
  float s = 1.0f / sqrtf ((float) (cin * k * k));
  tu_fill_random (w, n, -s, s, &seed);
  c.weight = w;
  if (bias)
    {
      float *b = malloc ((size_t) cout * sizeof (float));
      tu_fill_random (b, (size_t) cout, -0.1f, 0.1f, &seed);
      c.bias = b;
    }
  return c;
}

static void
free_conv (ns_conv *c)
{
  ns_dnnl_forget (c->weight);
  free ((float *) c->weight);
  free ((float *) c->bias);
}

static ns_tensor
random_tensor (int c, int h, int w)
{
  ns_tensor t;
  ns_tensor_alloc (&t, c, h, w, NULL);
  tu_fill_random (t.data, ns_tensor_numel (&t), -1.0f, 1.0f, &seed);
  return t;
}

/* One conv, forward and backward-data, against the references. */
static void
check_conv (int cin, int cout, int k, int h, int w, bool relu, bool bias)
{
  ns_conv c = make_conv (cin, cout, k, relu, bias);
  ns_tensor in = random_tensor (cin, h, w), ref, g = random_tensor (cout, h, w);
  float *out = malloc (sizeof (float) * (size_t) cout * h * w);
  float *gin = malloc (sizeof (float) * (size_t) cin * h * w);
  float *gref = malloc (sizeof (float) * (size_t) cin * h * w);
  bool handled = false;
  ns_error err;
  double d;

  TU_CHECK (ns_conv2d_ref (&c, &in, &ref, &err) == NS_OK);
  TU_CHECK (ns_dnnl_conv_plain (&c, in.data, h, w, out, 2, NS_ARITH_FP32,
                                &handled, &err) == NS_OK);
  TU_CHECK (handled);
  d = tu_max_rel_diff (out, ref.data, ns_tensor_numel (&ref));
  if (!(d < 1e-5))
    fprintf (stderr, "conv %d->%d k%d %dx%d: rel diff %g\n", cin, cout, k, w, h,
             d);
  TU_CHECK (d < 1e-5);

  /* The weight cache notices new values at the same address. */
  for (size_t i = 0; i < (size_t) cin * cout * k * k; i++)
    ((float *) c.weight)[i] *= -2.0f;
  ns_tensor_free (&ref);
  TU_CHECK (ns_conv2d_ref (&c, &in, &ref, &err) == NS_OK);
  TU_CHECK (ns_dnnl_conv_plain (&c, in.data, h, w, out, 1, NS_ARITH_FP32,
                                &handled, &err) == NS_OK);
  TU_CHECK (tu_max_rel_diff (out, ref.data, ns_tensor_numel (&ref)) < 1e-5);

  /* Backward-data (pre-ReLU gradient). */
  ns_conv2d_backward_ref (&c, g.data, h, w, gref);
  TU_CHECK (ns_dnnl_conv_backward_plain (&c, g.data, h, w, gin, 2,
                                         NS_ARITH_FP32, &handled,
                                         &err) == NS_OK);
  /* Left to the own kernel exactly where oneDNN would run its reference
     (on oneDNN 2.6 and AVX2: a plain gradient on either side, fewer than 8
     channels); blocked layouts on both sides always have an optimised
     kernel. */
  {
    bool is_ref = ns_dnnl_conv_backward_is_ref (&c, h, w);
    TU_CHECK (handled == !is_ref);
    if (cin >= 8 && cout >= 8)
      TU_CHECK (handled);
    printf ("conv backward %d->%d k%d: %s\n", cin, cout, k,
            is_ref ? "oneDNN has only its reference: own kernel" : "oneDNN");
  }
  if (handled)
    {
      d = tu_max_rel_diff (gin, gref, (size_t) cin * h * w);
      if (!(d < 1e-5))
        fprintf (stderr, "conv backward %d->%d k%d %dx%d: rel diff %g\n", cin,
                 cout, k, w, h, d);
      TU_CHECK (d < 1e-5);
    }

  free (out);
  free (gin);
  free (gref);
  ns_tensor_free (&in);
  ns_tensor_free (&ref);
  ns_tensor_free (&g);
  free_conv (&c);
}

/* The reference forward: references layer by layer. */
static ns_tensor
ref_forward (const ns_net *net, const ns_tensor *in, int upto)
{
  ns_tensor cur, next;
  cur.data = malloc (sizeof (float) * ns_tensor_numel (in));
  cur.c = in->c, cur.h = in->h, cur.w = in->w;
  memcpy (cur.data, in->data, sizeof (float) * ns_tensor_numel (in));
  for (int i = 0; i <= upto; i++)
    {
      const ns_layer *l = &net->layers[i];
      if (l->kind == NS_LAYER_CONV)
        ns_conv2d_ref (&l->conv, &cur, &next, NULL);
      else if (l->kind == NS_LAYER_POOL)
        ns_maxpool2x2_ref (&cur, net->pool_ceil, &next, NULL);
      else
        ns_upsample2x_ref (&cur, &next, NULL);
      free (cur.data);
      cur = next;
    }
  return cur;
}

/* The general convolutions (fast styles, MicroAST): any odd kernel,
 * stride 2, reflection or zero padding, forward only, against the
 * reference on odd sizes; and a few output channels from a wide kernel,
 * which the own direct kernel keeps. */
static void
check_general (int cin, int cout, int k, int pad, int stride, bool zero, int h,
               int w)
{
  ns_conv c = make_conv (cin, cout, k, true, true);
  ns_tensor in = random_tensor (cin, h, w), ref;
  bool handled = false;
  ns_error err;
  float *out;
  double d;

  c.pad = pad;
  c.stride = stride;
  c.pad_zero = zero;
  TU_CHECK (ns_conv2d_ref (&c, &in, &ref, &err) == NS_OK);
  out = malloc (sizeof (float) * ns_tensor_numel (&ref));
  TU_CHECK (ns_dnnl_conv_plain (&c, in.data, h, w, out, 2, NS_ARITH_FP32,
                                &handled, &err) == NS_OK);
  TU_CHECK (handled == !(cout <= 4 && k > 3));
  if (handled)
    {
      d = tu_max_rel_diff (out, ref.data, ns_tensor_numel (&ref));
      if (!(d < 1e-5))
        fprintf (stderr,
                 "conv %d->%d k%d pad %d%s stride %d %dx%d: rel diff "
                 "%g\n",
                 cin, cout, k, pad, zero ? " (zeros)" : "", stride, w, h, d);
      TU_CHECK (d < 1e-5);
    }
  free (out);
  ns_tensor_free (&in);
  ns_tensor_free (&ref);
  free_conv (&c);
}

/* An encoder/decoder-like net with odd widths: 1x1 input conv, 3x3 convs,
 * pools (ceil or floor), an upsample and a 3-channel output. */
static void
check_net (bool ceil_mode, int h, int w)
{
  static const int widths[] = { 3, 13, 24, 9 };
  ns_net net = { 0 };
  ns_conv convs[8];
  int nc = 0;
  ns_tensor in = random_tensor (3, h, w), out, ref, taps[2];
  const int tap_layers[2] = { 2, 5 };
  ns_error err;
  double d;

  net.pool_ceil = ceil_mode;
  convs[nc] = make_conv (3, 3, 1, false, true);
  ns_net_add_conv (&net, "c0", &convs[nc++], &err);
  for (int i = 1; i < 4; i++)
    {
      convs[nc] = make_conv (widths[i - 1], widths[i], 3, true, i != 2);
      ns_net_add_conv (&net, "c", &convs[nc++], &err);
      if (i < 3)
        ns_net_add_pool (&net, &err);
    }
  ns_net_add_upsample (&net, &err);
  convs[nc] = make_conv (9, 3, 3, false, true);
  ns_net_add_conv (&net, "out", &convs[nc++], &err);

  TU_CHECK (ns_net_forward_taps (&net, &in, tap_layers, 2, taps, &out, NULL,
                                 &err) == NS_OK);
  ref = ref_forward (&net, &in, net.n_layers - 1);
  TU_CHECK (out.c == ref.c && out.h == ref.h && out.w == ref.w);
  d = tu_max_rel_diff (out.data, ref.data, ns_tensor_numel (&ref));
  if (!(d < 1e-5))
    fprintf (stderr, "net %dx%d ceil %d: rel diff %g\n", w, h, ceil_mode, d);
  TU_CHECK (d < 1e-5);
  for (int t = 0; t < 2; t++)
    {
      ns_tensor r = ref_forward (&net, &in, tap_layers[t]);
      TU_CHECK (taps[t].c == r.c && taps[t].h == r.h && taps[t].w == r.w);
      TU_CHECK (tu_max_rel_diff (taps[t].data, r.data, ns_tensor_numel (&r)) <
                1e-5);
      free (r.data);
      ns_tensor_free (&taps[t]);
    }

  /* bf16: native where the CPU has it, else emulated (fp32 kernels on
     bf16-rounded data).  Relative error of a few bf16 ulps per layer. */
  {
    ns_tensor bf;
    ns_precision saved;
    setenv ("NS_BF16_EMULATE", "1", 1);
    saved = ns_nn_precision_begin (NS_PRECISION_BF16);
    TU_CHECK (ns_arith_current () == NS_ARITH_BF16 ||
              ns_arith_current () == NS_ARITH_BF16_EMU);
    TU_CHECK (ns_net_forward (&net, &in, &bf, NULL, &err) == NS_OK);
    ns_nn_precision_end (saved);
    unsetenv ("NS_BF16_EMULATE");
    d = tu_max_rel_diff (bf.data, ref.data, ns_tensor_numel (&ref));
    printf ("net %dx%d ceil %d: bf16 (%s) vs fp32 rel diff %.3g\n", w, h,
            ceil_mode, ns_dnnl_bf16_native () ? "native" : "emulated", d);
    TU_CHECK (d > 1e-6 && d < 3e-2); /* rounded, but not far */
    ns_tensor_free (&bf);
  }

  free (ref.data);
  ns_tensor_free (&out);
  ns_tensor_free (&in);
  for (int i = 0; i < nc; i++)
    free_conv (&convs[i]);
  ns_net_clear (&net);
}

int
main (void)
{
  if (!ns_dnnl_built ())
    {
      printf ("SKIP: built without oneDNN (-Ddnnl=disabled or no "
              "libdnnl-dev)\n");
      return NS_TEST_SKIP;
    }
  printf ("oneDNN %s, ISA %s, bf16 native: %s\n", ns_dnnl_version (),
          ns_dnnl_isa_name (), ns_dnnl_bf16_native () ? "yes" : "no");
  unsetenv ("NS_PRECISION");
  unsetenv ("NS_DNNL");
  TU_CHECK (ns_dnnl_enabled ());
  TU_CHECK (ns_arith_resolve (NS_PRECISION_FP32) == NS_ARITH_FP32);
  TU_CHECK (ns_arith_resolve (NS_PRECISION_AUTO) == NS_ARITH_FP32);
  setenv ("NS_PRECISION", "bf16", 1);
  TU_CHECK (ns_arith_resolve (NS_PRECISION_AUTO) ==
            (ns_dnnl_bf16_native () ? NS_ARITH_BF16 : NS_ARITH_FP32));
  TU_CHECK (ns_arith_resolve (NS_PRECISION_FP32) == NS_ARITH_FP32);
  /* bf16 without native support and without emulation runs fp32. */
  if (!ns_dnnl_bf16_native ())
    TU_CHECK (ns_arith_resolve (NS_PRECISION_BF16) == NS_ARITH_FP32);
  setenv ("NS_PRECISION", "fp32", 1);
  TU_CHECK (ns_arith_resolve (NS_PRECISION_AUTO) == NS_ARITH_FP32);
  unsetenv ("NS_PRECISION");
  ns_dnnl_set_enabled (false);
  TU_CHECK (ns_arith_resolve (NS_PRECISION_FP32) == NS_ARITH_OWN);
  ns_dnnl_set_enabled (true);

  /* Odd shapes: channels below, at and above a block, 1-pixel axes. */
  check_conv (3, 3, 1, 7, 5, false, true);
  check_conv (3, 16, 3, 9, 11, true, true);
  check_conv (5, 13, 3, 1, 6, true, false);
  check_conv (13, 3, 3, 6, 1, false, true);
  check_conv (24, 17, 3, 2, 3, true, true);
  check_conv (17, 40, 1, 5, 4, true, true);
  /* Wide 3x3 layers run by Winograd (winograd.c) unless $NS_WINOGRAD=0
     keeps oneDNN's direct kernel: both against the reference, including
     tiles cut by the edges and channels off the block. */
  for (int wino = 1; wino >= 0; wino--)
    {
      if (!wino)
        setenv ("NS_WINOGRAD", "0", 1);
      check_conv (64, 64, 3, 13, 10, true, true);
      check_conv (96, 72, 3, 37, 21, true, false);
      check_conv (136, 64, 3, 5, 9, false, true);
      unsetenv ("NS_WINOGRAD");
    }

  check_general (3, 32, 9, 4, 1, false, 21, 17);  /* a fast style's first */
  check_general (32, 64, 3, 1, 2, false, 19, 14); /* its strided ones */
  check_general (16, 24, 3, 1, 2, true, 11, 9);
  check_general (12, 8, 5, 2, 1, true, 7, 10);
  check_general (9, 20, 1, 0, 2, false, 9, 7);
  check_general (32, 3, 9, 4, 1, false, 15, 12); /* declined: own kernel */

  check_net (true, 23, 17);
  check_net (false, 22, 19);

  /* The caller's OpenMP team size survives, and 1 thread works. */
  {
    int before = omp_get_max_threads ();
    ns_conv c = make_conv (8, 8, 3, true, true);
    ns_tensor in = random_tensor (8, 12, 12), ref;
    float out[8 * 12 * 12];
    bool handled;
    ns_conv2d_ref (&c, &in, &ref, NULL);
    TU_CHECK (ns_dnnl_conv_plain (&c, in.data, 12, 12, out, 1, NS_ARITH_FP32,
                                  &handled, NULL) == NS_OK);
    TU_CHECK (tu_max_rel_diff (out, ref.data, ns_tensor_numel (&ref)) < 1e-5);
    TU_CHECK (omp_get_max_threads () == before);
    ns_tensor_free (&in);
    ns_tensor_free (&ref);
    free_conv (&c);
  }
  return tu_finish ("dnnl");
}
