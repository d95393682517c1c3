/* The channel-blocked layout (blocked.c) and the layer kinds the fast
 * styles run on it: conversions both ways, instance normalisation and
 * nearest upsampling against their plain versions, and
 * ns_dnnl_conv_layout (every in/out layout pair) against the naive
 * convolution. */
#include "nn-dnnl.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed = 777;

static float *
random_floats (size_t n)
{
  float *x = malloc (n * sizeof (float));
  tu_fill_random (x, n, -1.0f, 1.0f, &seed);
  return x;
}

static void
check_layers (int c, int h, int w, int blk)
{
  const size_t n = (size_t) c * h * w;
  float *x = random_floats (n), *b = malloc (n * sizeof (float));
  float *back = malloc (n * sizeof (float)), *ref = malloc (n * sizeof (float));
  float *gamma = random_floats ((size_t) c), *beta = random_floats ((size_t) c);
  ns_tensor tin = { c, h, w, b }, up, upref, tplain = { c, h, w, x };
  ns_error err;

  /* Round trip, exact; a lane lands where the layout says. */
  ns_blocked_from_plain (x, c, h, w, blk, b, 2);
  TU_CHECK (b[((size_t) 1 * h * w + (size_t) h * w - 1) * blk + 3] ==
            x[(size_t) (blk + 4) * h * w - 1]);
  ns_blocked_to_plain (b, c, h, w, blk, back, 1);
  TU_CHECK (memcmp (back, x, n * sizeof (float)) == 0);

  /* Upsampling: the blocked result is the plain result, blocked. */
  TU_CHECK (ns_upsample2x_blocked (&tin, blk, &up, &err) == NS_OK);
  TU_CHECK (ns_upsample2x (&tplain, &upref, &err) == NS_OK);
  TU_CHECK (up.c == c && up.h == 2 * h && up.w == 2 * w);
  {
    float *p = malloc (4 * n * sizeof (float));
    ns_blocked_to_plain (up.data, c, 2 * h, 2 * w, blk, p, 2);
    TU_CHECK (memcmp (p, upref.data, 4 * n * sizeof (float)) == 0);
    free (p);
  }
  ns_tensor_free (&up);
  ns_tensor_free (&upref);

  /* Instance normalisation with ReLU against the reference. */
  for (int relu = 0; relu < 2; relu++)
    {
      double d;
      ns_blocked_from_plain (x, c, h, w, blk, b, 2);
      ns_instnorm_forward_blocked (b, c, h, w, blk, gamma, relu ? beta : NULL,
                                   1e-5f, relu, 2);
      ns_blocked_to_plain (b, c, h, w, blk, back, 2);
      ns_instnorm_ref (x, c, h, w, gamma, relu ? beta : NULL, 1e-5f, relu, ref);
      d = tu_max_rel_diff (back, ref, n);
      if (!(d < 1e-5))
        fprintf (stderr, "instnorm blocked %d: rel diff %g\n", blk, d);
      TU_CHECK (d < 1e-5);
    }
  free (x);
  free (b);
  free (back);
  free (ref);
  free (gamma);
  free (beta);
}

/* ns_dnnl_conv_layout with IN_BLK / OUT_BLK (0: the block, when the
 * channels allow) against ns_conv2d_ref. */
static void
check_conv (int cin, int cout, int k, int stride, bool zero, int h, int w)
{
  ns_conv conv = {
    cin, cout, k, (k - 1) / 2, true, NULL, NULL, stride, 1, zero
  };
  const size_t nw = (size_t) cin * cout * k * k;
  float *wt = random_floats (nw), *bias = random_floats ((size_t) cout);
  ns_tensor in, ref;
  ns_error err;

  for (size_t i = 0; i < nw; i++)
    wt[i] /= sqrtf ((float) (cin * k * k));
  conv.weight = wt;
  conv.bias = bias;
  TU_CHECK (ns_tensor_alloc (&in, cin, h, w, &err) == NS_OK);
  tu_fill_random (in.data, ns_tensor_numel (&in), -1.0f, 1.0f, &seed);
  TU_CHECK (ns_conv2d_ref (&conv, &in, &ref, &err) == NS_OK);
  for (int li = 0; li < 2; li++)
    for (int lo = 0; lo < 2; lo++)
      {
        const int ib = li ? ns_dnnl_act_block (NS_ARITH_FP32, cin) : 1;
        const int ob = lo ? ns_dnnl_act_block (NS_ARITH_FP32, cout) : 1;
        const size_t no = ns_tensor_numel (&ref);
        float *src = malloc (ns_tensor_numel (&in) * sizeof (float));
        float *out = malloc (no * sizeof (float));
        float *plain = malloc (no * sizeof (float));
        bool handled = false;
        if (ib > 1)
          ns_blocked_from_plain (in.data, cin, h, w, ib, src, 2);
        else
          memcpy (src, in.data, ns_tensor_numel (&in) * sizeof (float));
        TU_CHECK (ns_dnnl_conv_layout (&conv, src, ib, h, w, out, ob, 2,
                                       &handled, &err) == NS_OK);
        /* Declined only where oneDNN would run its reference kernel
           (plain on one side, blocked on the other, on AVX2); the fast
           styles use the same layout on both sides, or plain RGB in. */
        printf ("conv %d->%d k%d s%d layouts %d -> %d: %s\n", cin, cout, k,
                stride, ib, ob, handled ? "oneDNN" : "declined");
        TU_CHECK (handled || (ib != ob && cin >= 8));
        if (!handled)
          {
            free (src);
            free (out);
            free (plain);
            continue;
          }
        if (ob > 1)
          ns_blocked_to_plain (out, cout, ref.h, ref.w, ob, plain, 2);
        else
          memcpy (plain, out, no * sizeof (float));
        if (!(tu_max_rel_diff (plain, ref.data, no) < 1e-5))
          fprintf (stderr, "conv %d->%d k%d s%d layouts %d/%d: rel diff %g\n",
                   cin, cout, k, stride, ib, ob,
                   tu_max_rel_diff (plain, ref.data, no));
        TU_CHECK (tu_max_rel_diff (plain, ref.data, no) < 1e-5);
        free (src);
        free (out);
        free (plain);
      }
  ns_dnnl_forget (wt);
  ns_tensor_free (&in);
  ns_tensor_free (&ref);
  free (wt);
  free (bias);
}

int
main (void)
{
  check_layers (32, 7, 5, 8);
  check_layers (64, 3, 11, 16);
  check_layers (16, 1, 1, 8);
  if (!ns_dnnl_built ())
    printf ("built without oneDNN: ns_dnnl_conv_layout not checked\n");
  else
    {
      /* A fast style's kinds: 9x9 from RGB, stride 2, residual, wide. */
      check_conv (3, 32, 9, 1, false, 21, 17);
      check_conv (32, 64, 3, 2, false, 19, 14);
      check_conv (64, 64, 3, 1, false, 13, 9);
      check_conv (16, 24, 3, 1, true, 11, 10);
      /* Not the layout's business: a few outputs from a wide kernel stay
         with the own kernel. */
      {
        ns_conv c = { 32, 3, 9, 4, false, NULL, NULL, 1, 1, false };
        float *wt = random_floats (32 * 3 * 81), in[32 * 4 * 4], out[3 * 16];
        bool handled = true;
        c.weight = wt;
        tu_fill_random (in, 32 * 16, -1.0f, 1.0f, &seed);
        TU_CHECK (ns_dnnl_conv_layout (&c, in, 1, 4, 4, out, 1, 1, &handled,
                                       NULL) == NS_OK);
        TU_CHECK (!handled);
        free (wt);
      }
    }
  return tu_finish ("test-blocked");
}
