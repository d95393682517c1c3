/* The general convolution (any odd kernel, stride 2, zero padding,
 * depthwise), instance normalisation and the residual add against their
 * naive references, on odd shapes with 1 and 2 threads; the errors of
 * unsupported or too small cases; and the size walk with a strided conv. */
#include "nn.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed = 4321;

static void
check_conv (int cin, int cout, int k, int pad, int stride, bool dw, bool zero,
            int h, int w, bool relu, int threads)
{
  ns_conv conv = { cin,  cout, k,      pad,          relu,
                   NULL, NULL, stride, dw ? cin : 0, zero };
  size_t nw = (size_t) cout * (dw ? 1 : cin) * k * k;
  float *wt = malloc (sizeof (float) * nw);
  float *b = malloc (sizeof (float) * (size_t) cout);
  ns_tensor in, out, ref;
  ns_run run;
  ns_error err;
  int oh, ow;
  double d;

  tu_fill_random (wt, nw, -1.0f, 1.0f, &seed);
  tu_fill_random (b, (size_t) cout, -1.0f, 1.0f, &seed);
  conv.weight = wt;
  conv.bias = b;
  TU_CHECK (ns_tensor_alloc (&in, cin, h, w, &err) == NS_OK);
  tu_fill_random (in.data, ns_tensor_numel (&in), -1.0f, 1.0f, &seed);
  ns_run_init (&run, NULL, 1.0);
  run.n_threads = threads;

  TU_CHECK (ns_conv2d (&conv, &in, &out, &run, &err) == NS_OK);
  TU_CHECK (ns_conv2d_ref (&conv, &in, &ref, &err) == NS_OK);
  ns_conv_out_size (&conv, h, w, &oh, &ow);
  /* PyTorch's floor((h + 2p - k) / s) + 1. */
  TU_CHECK (oh == (h + 2 * pad - k) / (stride > 1 ? stride : 1) + 1);
  TU_CHECK (out.c == cout && out.h == oh && out.w == ow);
  TU_CHECK (ref.h == oh && ref.w == ow);
  d = tu_max_rel_diff (out.data, ref.data, ns_tensor_numel (&ref));
  if (!(d <= 1e-5))
    fprintf (stderr,
             "conv %d->%d k%d pad %d stride %d dw %d zero %d %dx%d relu %d "
             "threads %d: rel diff %g\n",
             cin, cout, k, pad, stride, dw, zero, w, h, relu, threads, d);
  TU_CHECK (d <= 1e-5);
  TU_CHECK (run.done == ns_conv_flops (&conv, h, w));
  /* The caller's-buffer entry gives the same result. */
  {
    float *buf = malloc (sizeof (float) * ns_tensor_numel (&ref));
    ns_tensor o2;
    TU_CHECK (ns_conv2d_buf (&conv, &in, buf, &o2, NULL, &err) == NS_OK);
    TU_CHECK (o2.h == oh && o2.w == ow && o2.data == buf);
    TU_CHECK (memcmp (buf, out.data, sizeof (float) * ns_tensor_numel (&ref)) ==
              0);
    free (buf);
  }
  ns_tensor_free (&in);
  ns_tensor_free (&out);
  ns_tensor_free (&ref);
  free (wt);
  free (b);
}

static void
check_errors (void)
{
  float wt[9 * 9 * 4] = { 0 };
  ns_conv conv = { 2, 2, 9, 4, false, wt, NULL, 0, 0, false };
  ns_tensor in, out;
  ns_error err;

  TU_CHECK (ns_tensor_alloc (&in, 2, 4, 20, &err) == NS_OK);
  memset (in.data, 0, sizeof (float) * ns_tensor_numel (&in));
  /* Reflection pad 4 on a 4-row input: refused, as PyTorch does. */
  TU_CHECK (ns_conv2d (&conv, &in, &out, NULL, &err) == NS_ERR_SHAPE);
  TU_CHECK (strstr (err.message, "reflection") != NULL);
  /* Zero padding is fine there. */
  conv.pad_zero = true;
  TU_CHECK (ns_conv2d (&conv, &in, &out, NULL, &err) == NS_OK);
  TU_CHECK (out.h == 4 && out.w == 20);
  ns_tensor_free (&out);
  /* No padding: the kernel does not fit. */
  conv.pad = 0;
  TU_CHECK (ns_conv2d (&conv, &in, &out, NULL, &err) == NS_ERR_SHAPE);
  conv.pad = 4;
  conv.k = 4;
  TU_CHECK (ns_conv2d (&conv, &in, &out, NULL, &err) == NS_ERR_UNSUPPORTED);
  conv.k = 11;
  TU_CHECK (ns_conv2d (&conv, &in, &out, NULL, &err) == NS_ERR_UNSUPPORTED);
  conv.k = 3;
  conv.pad = 1;
  conv.stride = 3;
  TU_CHECK (ns_conv2d (&conv, &in, &out, NULL, &err) == NS_ERR_UNSUPPORTED);
  conv.stride = 2;
  conv.groups = 3; /* neither dense nor depthwise */
  TU_CHECK (ns_conv2d (&conv, &in, &out, NULL, &err) == NS_ERR_UNSUPPORTED);
  conv.groups = 2;
  TU_CHECK (ns_conv2d (&conv, &in, &out, NULL, &err) == NS_OK);
  TU_CHECK (out.h == 2 && out.w == 10);
  ns_tensor_free (&out);
  ns_tensor_free (&in);
}

static void
check_instnorm (int c, int h, int w, bool affine, bool relu, int threads)
{
  size_t n = (size_t) c * h * w;
  float *x = malloc (sizeof (float) * n), *ref = malloc (sizeof (float) * n);
  float *g = malloc (sizeof (float) * c), *b = malloc (sizeof (float) * c);
  double d;

  tu_fill_random (x, n, -3.0f, 5.0f, &seed);
  /* A large offset: the two-pass variance keeps its precision. */
  for (size_t i = 0; i < n; i++)
    x[i] = x[i] * 10.0f + 1000.0f;
  tu_fill_random (g, c, 0.5f, 2.0f, &seed);
  tu_fill_random (b, c, -1.0f, 1.0f, &seed);
  ns_instnorm_ref (x, c, h, w, affine ? g : NULL, affine ? b : NULL, 1e-5f,
                   relu, ref);
  ns_instnorm_forward (x, c, h, w, affine ? g : NULL, affine ? b : NULL, 1e-5f,
                       relu, threads);
  d = tu_max_abs_diff (x, ref, n);
  if (!(d <= 1e-4))
    fprintf (stderr, "instnorm %d x %dx%d: abs diff %g\n", c, w, h, d);
  TU_CHECK (d <= 1e-4);
  if (!affine && !relu)
    {
      /* Zero mean, unit (biased) variance per channel. */
      double m = 0, v = 0;
      for (int i = 0; i < h * w; i++)
        m += x[i];
      m /= h * w;
      for (int i = 0; i < h * w; i++)
        v += (x[i] - m) * (x[i] - m);
      v /= h * w;
      TU_CHECK (fabs (m) < 1e-4 && fabs (v - 1.0) < 1e-3);
    }
  free (x);
  free (ref);
  free (g);
  free (b);
}

static void
check_add (void)
{
  size_t n = 100003;
  float *y = malloc (sizeof (float) * n), *x = malloc (sizeof (float) * n);
  float *y0 = malloc (sizeof (float) * n);
  bool ok = true;

  tu_fill_random (y, n, -1.0f, 1.0f, &seed);
  tu_fill_random (x, n, -1.0f, 1.0f, &seed);
  memcpy (y0, y, sizeof (float) * n);
  ns_add_forward (y, x, n, true, 2);
  for (size_t i = 0; i < n; i++)
    {
      float v = y0[i] + x[i];
      ok = ok && y[i] == (v < 0.0f ? 0.0f : v);
    }
  TU_CHECK (ok);
  free (x);
  free (y);
  free (y0);
}

static void
check_net_walk (void)
{
  float wt[8 * 3 * 9] = { 0 };
  ns_conv s2 = { 3, 8, 3, 1, true, wt, NULL, 2, 0, false };
  ns_net net = { 0 };
  ns_tensor in, out;
  ns_error err;
  int c, oh, ow;

  TU_CHECK (ns_net_add_conv (&net, "s2", &s2, &err) == NS_OK);
  TU_CHECK (ns_net_add_upsample (&net, &err) == NS_OK);
  ns_net_out_shape (&net, 1, 101, 67, &c, &oh, &ow);
  TU_CHECK (c == 8 && oh == 51 && ow == 34);
  ns_net_out_shape (&net, 2, 101, 67, &c, &oh, &ow);
  TU_CHECK (c == 8 && oh == 102 && ow == 68);
  TU_CHECK (ns_net_flops (&net, 101, 67) == ns_conv_flops (&s2, 101, 67));
  TU_CHECK (ns_conv_flops (&s2, 101, 67) == 2.0 * 8 * 3 * 9 * 51 * 34);
  TU_CHECK (ns_tensor_alloc (&in, 3, 101, 67, &err) == NS_OK);
  memset (in.data, 0, sizeof (float) * ns_tensor_numel (&in));
  TU_CHECK (ns_net_forward (&net, &in, &out, NULL, &err) == NS_OK);
  TU_CHECK (out.c == 8 && out.h == 102 && out.w == 68);
  ns_tensor_free (&out);
  ns_tensor_free (&in);
  ns_net_clear (&net);
}

int
main (void)
{
  for (int t = 1; t <= 2; t++)
    {
      /* The TransformerNet's layers. */
      check_conv (3, 32, 9, 4, 1, false, false, 37, 29, false, t);
      check_conv (32, 64, 3, 1, 2, false, false, 37, 29, true, t);
      check_conv (64, 16, 3, 1, 2, false, false, 19, 15, false, t);
      check_conv (32, 3, 9, 4, 1, false, false, 23, 41, false, t);
      /* Every odd kernel, stride, padding mode. */
      for (int k = 1; k <= 9; k += 2)
        for (int s = 1; s <= 2; s++)
          for (int z = 0; z <= 1; z++)
            {
              check_conv (5, 7, k, k / 2, s, false, z, 13, 11, z, t);
              check_conv (6, 6, k, k / 2, s, true, z, 13, 11, !z, t);
            }
      /* Padding other than k/2, a 1x1 with stride 2, 1-pixel axes. */
      check_conv (4, 5, 5, 0, 1, false, false, 9, 12, false, t);
      check_conv (4, 5, 3, 2, 2, false, true, 9, 12, false, t);
      check_conv (4, 5, 1, 0, 2, false, false, 9, 12, false, t);
      check_conv (4, 4, 3, 1, 2, true, false, 1, 7, false, t);
      check_conv (4, 6, 3, 1, 1, false, true, 1, 1, false, t);
      /* Big enough for several bands and steps. */
      check_conv (16, 24, 3, 1, 2, false, false, 157, 131, true, t);
      check_conv (24, 24, 3, 1, 2, true, false, 157, 131, true, t);
      check_instnorm (7, 13, 11, true, false, t);
      check_instnorm (5, 33, 1, true, true, t);
      check_instnorm (3, 40, 30, false, false, t);
    }
  check_errors ();
  check_add ();
  check_net_walk ();
  return tu_finish ("test-conv-general");
}
