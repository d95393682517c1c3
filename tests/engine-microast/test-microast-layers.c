/* MicroAST's layer kinds (engine/nn/gconv.c, bilinear.c, modulate.c)
 * against their naive references and against values worked out by hand
 * (so that a reference sharing a kernel's mistake is caught too). */
#include "nn-microast.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed = 42;

static float *
randf (size_t n, float lo, float hi)
{
  float *x = malloc (sizeof (float) * (n ? n : 1));
  tu_fill_random (x, n, lo, hi, &seed);
  return x;
}

/* ---- grouped convolution */

static void
check_gconv (int cin, int cout, int groups, int k, int stride, bool relu, int h,
             int w, int nt)
{
  ns_gconv g = { cin, cout, groups, k, stride, relu, NULL, NULL };
  int oh, ow;
  size_t nw = (size_t) cout * (cin / groups) * k * k;
  float *wt = randf (nw, -0.5f, 0.5f), *b = randf (cout, -0.2f, 0.2f);
  float *in = randf ((size_t) cin * h * w, -1.0f, 1.0f);
  float *o1, *o2;
  ns_error err = { 0 };

  g.weight = wt;
  g.bias = b;
  TU_CHECK (ns_gconv_check (&g, cin, h, w, &err) == NS_OK);
  ns_gconv_out_size (&g, h, w, &oh, &ow);
  /* PyTorch: floor ((n + 2 (k/2) - k) / s) + 1. */
  TU_CHECK (oh == (h + 2 * (k / 2) - k) / stride + 1);
  o1 = malloc (sizeof (float) * cout * oh * ow);
  o2 = malloc (sizeof (float) * cout * oh * ow);
  ns_gconv_into (&g, in, h, w, o1, nt);
  ns_gconv_ref (&g, in, h, w, o2);
  double d = tu_max_abs_diff (o1, o2, (size_t) cout * oh * ow);
  printf ("gconv %d->%d g%d k%d s%d relu%d %dx%d (%d threads): max diff %.2e\n",
          cin, cout, groups, k, stride, relu, w, h, nt, d);
  TU_CHECK (d < 2e-5);
  free (wt);
  free (b);
  free (in);
  free (o1);
  free (o2);
}

static void
gconv_by_hand (void)
{
  /* 1 channel 4x3, values y*10 + x. */
  float in[12], out[12], wt[9] = { 0 };
  ns_gconv g = { 1, 1, 1, 3, 1, false, wt, NULL };
  for (int i = 0; i < 12; i++)
    in[i] = (float) ((i / 4) * 10 + i % 4);
  /* Centre tap: identity. */
  wt[4] = 1.0f;
  ns_gconv_into (&g, in, 3, 4, out, 1);
  TU_CHECK (memcmp (in, out, sizeof in) == 0);
  /* Top-left tap: out(y, x) = in(y-1, x-1) reflected, so (0,0) <- (1,1). */
  wt[4] = 0.0f;
  wt[0] = 1.0f;
  ns_gconv_into (&g, in, 3, 4, out, 1);
  TU_CHECK (out[0] == 11.0f && out[1] == 10.0f && out[5] == 0.0f);
  /* Stride 2, centre tap: even pixels: 2 x 2 from 3 x 4. */
  wt[0] = 0.0f;
  wt[4] = 1.0f;
  g.stride = 2;
  ns_gconv_into (&g, in, 3, 4, out, 2);
  TU_CHECK (out[0] == 0.0f && out[1] == 2.0f && out[2] == 20.0f &&
            out[3] == 22.0f);
  /* Two input channels per group: the sum of both. */
  {
    float in2[2 * 12], w2[18] = { 0 };
    ns_gconv g2 = { 2, 1, 1, 3, 1, false, w2, NULL };
    for (int i = 0; i < 24; i++)
      in2[i] = (float) i;
    w2[4] = 1.0f;
    w2[9 + 4] = 2.0f;
    ns_gconv_into (&g2, in2, 3, 4, out, 1);
    TU_CHECK (out[5] == 5.0f + 2.0f * 17.0f);
  }
}

static void
gconv_errors (void)
{
  float wt[9] = { 0 };
  ns_error err = { 0 };
  ns_gconv g = { 3, 4, 2, 3, 1, false, wt, NULL };
  TU_CHECK (ns_gconv_check (&g, 3, 8, 8, &err) == NS_ERR_SHAPE);
  g = (ns_gconv){ 4, 4, 2, 4, 1, false, wt, NULL };
  TU_CHECK (ns_gconv_check (&g, 4, 8, 8, &err) == NS_ERR_INVALID_ARG);
  g = (ns_gconv){ 4, 4, 2, 3, 3, false, wt, NULL };
  TU_CHECK (ns_gconv_check (&g, 4, 8, 8, &err) == NS_ERR_INVALID_ARG);
  g = (ns_gconv){ 4, 4, 2, 9, 1, false, wt, NULL };
  TU_CHECK (ns_gconv_check (&g, 4, 4, 8, &err) == NS_ERR_INVALID_ARG);
  g = (ns_gconv){ 4, 4, 2, 3, 1, false, wt, NULL };
  TU_CHECK (ns_gconv_check (&g, 5, 8, 8, &err) == NS_ERR_SHAPE);
  TU_CHECK (ns_gconv_check (&g, 4, 8, 8, &err) == NS_OK);
}

/* ---- bilinear x2 and the fused upsampling conv */

static void
bilinear_tests (void)
{
  /* By hand: row [0, 1] -> [0, .25, .75, 1] (align_corners=False, the
     source coordinate clamped at 0 and the last tap at the edge). */
  float in[2] = { 0.0f, 1.0f }, out[8];
  ns_bilinear2x_into (in, 1, 1, 2, out, 1);
  TU_CHECK (out[0] == 0.0f && out[1] == 0.25f && out[2] == 0.75f &&
            out[3] == 1.0f);
  TU_CHECK (memcmp (out, out + 4, 4 * sizeof (float)) == 0);

  const int sizes[][3] = {
    { 3, 5, 7 }, { 2, 1, 1 }, { 4, 17, 2 }, { 64, 24, 31 }
  };
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    {
      int c = sizes[i][0], h = sizes[i][1], w = sizes[i][2];
      size_t n = (size_t) c * 4 * h * w;
      float *x = randf ((size_t) c * h * w, -2.0f, 2.0f);
      float *a = malloc (sizeof (float) * n), *b = malloc (sizeof (float) * n);
      ns_bilinear2x_into (x, c, h, w, a, 2);
      ns_bilinear2x_ref (x, c, h, w, b);
      double d = tu_max_abs_diff (a, b, n);
      printf ("bilinear2x %dx%dx%d: max diff %.2e\n", c, w, h, d);
      TU_CHECK (d < 1e-6);
      free (x);
      free (a);
      free (b);
    }
}

static void
check_up2 (int cin, int cout, int groups, bool relu, int h, int w)
{
  ns_gconv g = { cin, cout, groups, 3, 1, relu, NULL, NULL };
  const int H = 2 * h, W = 2 * w;
  float *wt = randf ((size_t) cout * (cin / groups) * 9, -0.5f, 0.5f);
  float *b = randf (cout, -0.1f, 0.1f);
  float *x = randf ((size_t) cin * h * w, -1.0f, 1.0f);
  float *up = malloc (sizeof (float) * cin * H * W);
  float *o1 = malloc (sizeof (float) * cout * H * W);
  float *o2 = malloc (sizeof (float) * cout * H * W);
  float *o3 = malloc (sizeof (float) * cout * H * W);
  ns_error err = { 0 };
  g.weight = wt;
  g.bias = b;
  TU_CHECK (ns_gconv_up2_into (&g, x, h, w, o1, 2, &err) == NS_OK);
  ns_bilinear2x_into (x, cin, h, w, up, 2);
  ns_gconv_into (&g, up, H, W, o2, 2);
  ns_bilinear2x_ref (x, cin, h, w, up);
  ns_gconv_ref (&g, up, H, W, o3);
  double d12 = tu_max_abs_diff (o1, o2, (size_t) cout * H * W);
  double d13 = tu_max_abs_diff (o1, o3, (size_t) cout * H * W);
  printf ("up2+gconv %d->%d g%d %dx%d: vs unfused %.2e, vs references %.2e\n",
          cin, cout, groups, w, h, d12, d13);
  /* The same arithmetic as the unfused kernels, in the same order. */
  TU_CHECK (d12 == 0.0);
  TU_CHECK (d13 < 2e-5);
  free (wt);
  free (b);
  free (x);
  free (up);
  free (o1);
  free (o2);
  free (o3);
}

/* ---- modulation and statistics */

static void
modulate_tests (void)
{
  const int c = 5;
  const size_t hw = 9001; /* several chunks, one partial */
  float *a = randf (c * hw, -1, 1), *x = randf (c * hw, -1, 1);
  float *res = randf (c * hw, -1, 1), *wt = randf (c, -2, 2),
        *bs = randf (c, -2, 2);
  float *o1 = malloc (sizeof (float) * c * hw),
        *o2 = malloc (sizeof (float) * c * hw);
  for (int relu = 0; relu < 2; relu++)
    for (int r = 0; r < 2; r++)
      {
        ns_modulate_into (a, x, wt, bs, r ? res : NULL, c, hw, relu, o1, 2);
        ns_modulate_ref (a, x, wt, bs, r ? res : NULL, c, hw, relu, o2);
        TU_CHECK (tu_max_abs_diff (o1, o2, c * hw) < 1e-6);
      }
  /* By hand: w = 2, b = -1, a = 3, x = 4 -> 2; with ReLU and b = -3: 0;
     with a residual 10: 12. */
  {
    float one_a = 3, one_x = 4, w = 2, b = -1, r = 10, o;
    ns_modulate_into (&one_a, &one_x, &w, &b, NULL, 1, 1, false, &o, 1);
    TU_CHECK (o == 2.0f);
    b = -3;
    ns_modulate_into (&one_a, &one_x, &w, &b, NULL, 1, 1, true, &o, 1);
    TU_CHECK (o == 0.0f);
    b = -1;
    ns_modulate_into (&one_a, &one_x, &w, &b, &r, 1, 1, false, &o, 1);
    TU_CHECK (o == 12.0f);
  }
  /* In place, as the network uses it: OUT = A, then OUT = RES. */
  memcpy (o1, a, sizeof (float) * c * hw);
  ns_modulate_into (o1, x, wt, bs, NULL, c, hw, true, o1, 2);
  ns_modulate_ref (a, x, wt, bs, NULL, c, hw, true, o2);
  TU_CHECK (tu_max_abs_diff (o1, o2, c * hw) < 1e-6);
  memcpy (o1, res, sizeof (float) * c * hw);
  ns_modulate_into (a, x, wt, bs, o1, c, hw, false, o1, 2);
  ns_modulate_ref (a, x, wt, bs, res, c, hw, false, o2);
  TU_CHECK (tu_max_abs_diff (o1, o2, c * hw) < 1e-6);

  /* Residual add. */
  memcpy (o1, res, sizeof (float) * c * hw);
  ns_residual_add (o1, a, c * hw, 2);
  for (size_t i = 0; i < c * hw; i++)
    TU_CHECK (o1[i] == res[i] + a[i]);

  /* Statistics: kernel vs Welford, and by hand. */
  {
    double m1[5], s1[5], m2[5], s2[5];
    for (size_t i = 0; i < c * hw; i++)
      x[i] = 100.0f + 3.0f * x[i]; /* an offset the two passes must not mind */
    ns_channel_mean_std (x, c, hw, 1e-5, m1, s1, 2);
    ns_channel_mean_std_ref (x, c, hw, 1e-5, m2, s2);
    for (int ch = 0; ch < c; ch++)
      {
        TU_CHECK (fabs (m1[ch] - m2[ch]) < 1e-9 * 100);
        TU_CHECK (fabs (s1[ch] - s2[ch]) < 1e-9 * 3);
      }
    float v[4] = { 1, 2, 3, 4 }, k[3] = { 7, 7, 7 };
    ns_channel_mean_std (v, 1, 4, 1e-5, m1, s1, 1);
    TU_CHECK (m1[0] == 2.5 && fabs (s1[0] - sqrt (5.0 / 3.0 + 1e-5)) < 1e-12);
    ns_channel_mean_std (k, 1, 3, 1e-5, m1, s1, 1);
    TU_CHECK (m1[0] == 7.0 && fabs (s1[0] - sqrt (1e-5)) < 1e-12);
  }

  /* AdaIN blend: kernel vs reference; alpha 0 keeps X; alpha 1 gives the
     target statistics. */
  {
    double cm[5], cs[5], sm[5], ss[5], m[5], s[5];
    for (int ch = 0; ch < c; ch++)
      {
        sm[ch] = ch - 2.0;
        ss[ch] = 0.5 + ch;
      }
    ns_channel_mean_std (x, c, hw, 1e-5, cm, cs, 2);
    memcpy (o1, x, sizeof (float) * c * hw);
    memcpy (o2, x, sizeof (float) * c * hw);
    ns_adain_blend (o1, c, hw, cm, cs, sm, ss, 0.7, 2);
    ns_adain_blend_ref (o2, c, hw, cm, cs, sm, ss, 0.7);
    TU_CHECK (tu_max_abs_diff (o1, o2, c * hw) < 1e-4);
    memcpy (o1, x, sizeof (float) * c * hw);
    ns_adain_blend (o1, c, hw, cm, cs, sm, ss, 0.0, 2);
    TU_CHECK (tu_max_abs_diff (o1, x, c * hw) == 0.0);
    ns_adain_blend (o1, c, hw, cm, cs, sm, ss, 1.0, 2);
    ns_channel_mean_std (o1, c, hw, 0.0, m, s, 2);
    for (int ch = 0; ch < c; ch++)
      TU_CHECK (fabs (m[ch] - sm[ch]) < 1e-4 && fabs (s[ch] - ss[ch]) < 1e-3);
  }
  free (a);
  free (x);
  free (res);
  free (wt);
  free (bs);
  free (o1);
  free (o2);
}

int
main (void)
{
  gconv_by_hand ();
  gconv_errors ();
  /* MicroAST's grouped layers, on odd sizes, 1 and 2 threads. */
  check_gconv (16, 32, 16, 3, 2, true, 37, 23, 2);
  check_gconv (32, 64, 32, 3, 2, true, 19, 12, 1);
  check_gconv (64, 32, 32, 3, 1, true, 14, 9, 2);
  check_gconv (32, 16, 16, 3, 1, true, 27, 18, 2);
  check_gconv (64, 64, 64, 3, 1, false, 10, 7, 2);
  /* Other shapes the kernel accepts. */
  check_gconv (6, 4, 2, 5, 2, false, 11, 13, 2);
  check_gconv (3, 3, 1, 9, 1, true, 9, 5, 2);
  check_gconv (4, 8, 4, 3, 2, false, 2, 3, 1);
  bilinear_tests ();
  check_up2 (64, 32, 32, true, 9, 13);
  check_up2 (32, 16, 16, true, 17, 10);
  check_up2 (4, 4, 2, false, 1, 2);
  modulate_tests ();
  return tu_finish ("microast-layers");
}
