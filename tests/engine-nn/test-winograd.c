/* Winograd F(4x4, 3x3) (winograd.c) against the naive ns_conv2d_ref on odd
 * shapes (sizes not multiples of 4, channels not multiples of the block),
 * channel blocks of 8 and 16, reflection (padded by the caller) and zero
 * padding, ReLU and bias on and off, 1 and 2 threads.
 * `test-winograd bench CIN COUT H W [THREADS]` prints its time against
 * the own im2col kernel (ns_conv2d) on the same layer, and through
 * oneDNN's entry with and without Winograd (built with oneDNN). */
#include "nn-dnnl.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed = 4321;

/* Plain C x H x W -> blocked (C padded to BLK, zero lanes). */
static float *
to_blocked (const float *x, int c, int h, int w, int blk)
{
  const int nb = (c + blk - 1) / blk;
  float *y = calloc ((size_t) nb * blk * h * w, sizeof (float));
  for (int ci = 0; ci < c; ci++)
    for (int i = 0; i < h * w; i++)
      y[((size_t) (ci / blk) * h * w + i) * blk + ci % blk] =
          x[(size_t) ci * h * w + i];
  return y;
}

/* Reflection-pads plain X by one pixel (as ReflectionPad2d(1)). */
static float *
pad1 (const float *x, int c, int h, int w)
{
  float *y = malloc (sizeof (float) * (size_t) c * (h + 2) * (w + 2));
  for (int ci = 0; ci < c; ci++)
    for (int i = 0; i < h + 2; i++)
      for (int j = 0; j < w + 2; j++)
        y[((size_t) ci * (h + 2) + i) * (w + 2) + j] =
            x[((size_t) ci * h + ns_pad_index (i - 1, h, false)) * w +
              ns_pad_index (j - 1, w, false)];
  return y;
}

static void
check_shape (int cin, int cout, int h, int w, int blk, bool zero_pad, bool relu,
             bool bias, int threads)
{
  ns_conv conv = { cin, cout, 3, 1, relu, NULL, NULL, 1, 1, zero_pad };
  const size_t nw = (size_t) cout * cin * 9;
  const int coutp = (cout + blk - 1) / blk * blk;
  float *wt = malloc (sizeof (float) * nw);
  float *b = malloc (sizeof (float) * (size_t) cout);
  float *u, *src, *blocked, *out, *plain;
  ns_tensor in, ref;
  ns_error err;
  double d;
  bool lanes_zero = true;

  tu_fill_random (wt, nw, -1.0f, 1.0f, &seed);
  tu_fill_random (b, (size_t) cout, -1.0f, 1.0f, &seed);
  conv.weight = wt;
  conv.bias = bias ? b : NULL;
  TU_CHECK (ns_wino_fits (&conv));
  TU_CHECK (ns_tensor_alloc (&in, cin, h, w, &err) == NS_OK);
  tu_fill_random (in.data, ns_tensor_numel (&in), -1.0f, 1.0f, &seed);
  TU_CHECK (ns_conv2d_ref (&conv, &in, &ref, &err) == NS_OK);

  u = malloc (sizeof (float) * ns_wino_weights_floats (&conv, blk));
  ns_wino_weights_make (&conv, blk, u);
  src = zero_pad ? NULL : pad1 (in.data, cin, h, w);
  blocked = to_blocked (zero_pad ? in.data : src, cin, zero_pad ? h : h + 2,
                        zero_pad ? w : w + 2, blk);
  out = malloc (sizeof (float) * (size_t) coutp * h * w);
  memset (out, 0xff, sizeof (float) * (size_t) coutp * h * w); /* NaN */
  TU_CHECK (ns_wino_conv (&conv, u, blocked, zero_pad ? h : h + 2,
                          zero_pad ? w : w + 2, zero_pad ? 1 : 0, blk, out,
                          threads, &err) == NS_OK);
  plain = malloc (sizeof (float) * (size_t) cout * h * w);
  for (int co = 0; co < coutp; co++)
    for (int i = 0; i < h * w; i++)
      {
        float v = out[((size_t) (co / blk) * h * w + i) * blk + co % blk];
        if (co < cout)
          plain[(size_t) co * h * w + i] = v;
        else
          lanes_zero = lanes_zero && v == 0.0f;
      }
  d = tu_max_rel_diff (plain, ref.data, (size_t) cout * h * w);
  if (!(d <= 2e-5) || !lanes_zero)
    fprintf (stderr,
             "winograd %d->%d %dx%d blk %d %s relu %d bias %d threads %d: "
             "rel diff %g, padded lanes zero %d\n",
             cin, cout, w, h, blk, zero_pad ? "zero" : "reflect", relu, bias,
             threads, d, lanes_zero);
  TU_CHECK (d <= 2e-5);
  TU_CHECK (lanes_zero);

  ns_tensor_free (&in);
  ns_tensor_free (&ref);
  free (wt);
  free (b);
  free (u);
  free (src);
  free (blocked);
  free (out);
  free (plain);
}

static int
bench (int argc, char **argv)
{
  const int cin = atoi (argv[2]), cout = atoi (argv[3]);
  const int h = atoi (argv[4]), w = atoi (argv[5]);
  const int threads = argc > 6 ? atoi (argv[6]) : 2, blk = 8;
  ns_conv conv = { cin, cout, 3, 1, true, NULL, NULL, 1, 1, false };
  float *wt = malloc (sizeof (float) * (size_t) cout * cin * 9);
  float *u, *blocked, *out;
  ns_tensor in, o;
  ns_run run;
  ns_error err;
  double t0, tw = 1e9, to = 1e9;

  tu_fill_random (wt, (size_t) cout * cin * 9, -0.1f, 0.1f, &seed);
  conv.weight = wt;
  if (!ns_wino_fits (&conv))
    {
      fprintf (stderr, "not a Winograd layer (at least %d channels)\n",
               NS_WINO_MIN_CHANNELS);
      return 2;
    }
  if (ns_tensor_alloc (&in, cin, h, w, &err) != NS_OK)
    return 1;
  tu_fill_random (in.data, ns_tensor_numel (&in), 0.0f, 1.0f, &seed);
  u = malloc (sizeof (float) * ns_wino_weights_floats (&conv, blk));
  ns_wino_weights_make (&conv, blk, u);
  blocked = to_blocked (in.data, cin, h, w, blk);
  out = malloc (sizeof (float) * (size_t) ((cout + 7) / 8 * 8) * h * w);
  conv.pad_zero = true; /* same work as the padded case */
  for (int r = 0; r < 3; r++)
    {
      t0 = tu_now ();
      if (ns_wino_conv (&conv, u, blocked, h, w, 1, blk, out, threads, &err) !=
          NS_OK)
        return 1;
      if (tu_now () - t0 < tw)
        tw = tu_now () - t0;
      ns_run_init (&run, NULL, 1.0);
      run.n_threads = threads;
      conv.pad_zero = false;
      t0 = tu_now ();
      if (ns_conv2d (&conv, &in, &o, &run, &err) != NS_OK)
        return 1;
      if (tu_now () - t0 < to)
        to = tu_now () - t0;
      ns_tensor_free (&o);
      conv.pad_zero = true;
    }
  printf ("conv %d->%d 3x3 at %dx%d, %d threads: winograd %.4f s, own %.4f "
          "s (%.1f GFLOP/s direct-equivalent), ratio %.2f\n",
          cin, cout, w, h, threads, tw, to,
          ns_conv_flops (&conv, h, w) / tw * 1e-9, tw / to);
  /* Through oneDNN's entry (with its reorders from and to plain), with
     and without Winograd. */
  if (ns_dnnl_built ())
    {
      float *po = malloc (sizeof (float) * (size_t) cout * h * w);
      double best[2] = { 1e9, 1e9 };
      bool handled;
      conv.pad_zero = false;
      for (int r = 0; r < 6; r++)
        {
          setenv ("NS_WINOGRAD", r % 2 ? "0" : "1", 1);
          t0 = tu_now ();
          if (ns_dnnl_conv_plain (&conv, in.data, h, w, po, threads,
                                  NS_ARITH_FP32, &handled, &err) != NS_OK ||
              !handled)
            return 1;
          if (tu_now () - t0 < best[r % 2])
            best[r % 2] = tu_now () - t0;
        }
      unsetenv ("NS_WINOGRAD");
      printf ("  oneDNN entry: winograd %.4f s, oneDNN direct %.4f s, ratio "
              "%.2f\n",
              best[0], best[1], best[0] / best[1]);
      free (po);
    }
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc > 5 && strcmp (argv[1], "bench") == 0)
    return bench (argc, argv);

  for (int blk = 8; blk <= 16; blk *= 2)
    {
      /* Sizes around the 4-pixel tile and bands of tiles. */
      check_shape (64, 64, 4, 4, blk, false, false, false, 1);
      check_shape (64, 64, 1, 1, blk, true, true, true, 1);
      check_shape (65, 67, 5, 7, blk, false, true, true, 2);
      check_shape (72, 64, 13, 11, blk, true, false, true, 2);
      check_shape (64, 80, 33, 29, blk, false, true, false, 1);
      check_shape (96, 71, 1, 37, blk, false, true, true, 2);
      check_shape (67, 64, 50, 3, blk, true, true, true, 2);
      check_shape (128, 128, 67, 45, blk, false, true, true, 2);
      check_shape (192, 136, 11, 9, blk, false, true, true, 2);
    }
  /* Large enough for several bands per thread. */
  check_shape (64, 64, 130, 126, 8, false, true, true, 2);
  return tu_finish ("test-winograd");
}
