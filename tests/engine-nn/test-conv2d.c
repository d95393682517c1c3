/* ns_conv2d against the naive ns_conv2d_ref on odd shapes, ReLU on/off,
 * with and without bias, 1 and 2 threads; and cancellation. */
#include "nn.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed = 1234;

static void
check_shape (int cin, int cout, int k, int h, int w, bool relu, bool bias,
             int threads)
{
  ns_conv conv = { cin, cout, k, k == 3 ? 1 : 0, relu, NULL, NULL };
  size_t nw = (size_t) cout * cin * k * k;
  float *wt = malloc (sizeof (float) * nw);
  float *b = malloc (sizeof (float) * (size_t) cout);
  ns_tensor in, out, ref;
  ns_run run;
  ns_error err;
  double d;

  tu_fill_random (wt, nw, -1.0f, 1.0f, &seed);
  tu_fill_random (b, (size_t) cout, -1.0f, 1.0f, &seed);
  conv.weight = wt;
  conv.bias = bias ? b : NULL;
  TU_CHECK (ns_tensor_alloc (&in, cin, h, w, &err) == NS_OK);
  tu_fill_random (in.data, ns_tensor_numel (&in), -1.0f, 1.0f, &seed);
  ns_run_init (&run, NULL, 1.0);
  run.n_threads = threads;

  TU_CHECK (ns_conv2d (&conv, &in, &out, &run, &err) == NS_OK);
  TU_CHECK (ns_conv2d_ref (&conv, &in, &ref, &err) == NS_OK);
  TU_CHECK (out.c == cout && out.h == h && out.w == w);
  d = tu_max_rel_diff (out.data, ref.data, ns_tensor_numel (&ref));
  if (!(d <= 1e-5))
    fprintf (stderr,
             "conv %d->%d k%d %dx%d relu %d bias %d threads %d: "
             "rel diff %g\n",
             cin, cout, k, h, w, relu, bias, threads, d);
  TU_CHECK (d <= 1e-5);
  if (relu)
    {
      bool nonneg = true;
      for (size_t i = 0; i < ns_tensor_numel (&out); i++)
        nonneg = nonneg && out.data[i] >= 0.0f;
      TU_CHECK (nonneg);
    }
  /* The progress accounting reports every FLOP exactly once. */
  TU_CHECK (run.done == ns_conv_flops (&conv, h, w));
  ns_tensor_free (&in);
  ns_tensor_free (&out);
  ns_tensor_free (&ref);
  free (wt);
  free (b);
}

static int calls;

static bool
cancel_after_two (float fraction, const char *stage, void *user_data)
{
  (void) fraction;
  (void) stage;
  (void) user_data;
  return ++calls < 2;
}

static void
check_cancel (void)
{
  /* Big enough for several bands. */
  ns_conv conv = { 64, 64, 3, 1, true, NULL, NULL };
  size_t nw = (size_t) 64 * 64 * 9;
  float *wt = calloc (nw, sizeof (float));
  ns_tensor in, out;
  ns_run run;
  ns_params params;
  ns_error err;
  ns_status st;

  memset (&params, 0, sizeof params);
  params.progress = cancel_after_two;
  conv.weight = wt;
  TU_CHECK (ns_tensor_alloc (&in, 64, 512, 512, &err) == NS_OK);
  memset (in.data, 0, sizeof (float) * ns_tensor_numel (&in));
  ns_run_init (&run, &params, ns_conv_flops (&conv, 512, 512));
  calls = 0;
  st = ns_conv2d (&conv, &in, &out, &run, &err);
  TU_CHECK (st == NS_ERR_CANCELLED);
  TU_CHECK (err.status == NS_ERR_CANCELLED);
  TU_CHECK (out.data == NULL);
  TU_CHECK (calls == 2);
  /* Stopped early: far from all the work was done. */
  TU_CHECK (run.done < 0.5 * run.total);
  /* Sticky: a later call fails at once. */
  TU_CHECK (ns_conv2d (&conv, &in, &out, &run, &err) == NS_ERR_CANCELLED);
  TU_CHECK (calls == 2);
  ns_tensor_free (&in);
  free (wt);
}

static void
check_errors (void)
{
  float wt[27] = { 0 };
  ns_conv conv = { 3, 1, 3, 1, false, wt, NULL };
  ns_tensor in, out;
  ns_error err;

  TU_CHECK (ns_tensor_alloc (&in, 2, 4, 4, &err) == NS_OK);
  TU_CHECK (ns_conv2d (&conv, &in, &out, NULL, &err) == NS_ERR_SHAPE);
  TU_CHECK (strstr (err.message, "2 channels") != NULL);
  TU_CHECK (ns_conv2d_ref (&conv, &in, &out, &err) == NS_ERR_SHAPE);
  conv.cin = 2;
  conv.k = 4;
  TU_CHECK (ns_conv2d (&conv, &in, &out, NULL, &err) == NS_ERR_UNSUPPORTED);
  ns_tensor_free (&in);
}

int
main (void)
{
  static const int shapes[][4] = {
    /* cin, cout, h, w */
    { 1, 1, 1, 1 },    { 3, 5, 1, 1 },     { 3, 3, 3, 5 },    { 5, 7, 3, 5 },
    { 3, 24, 17, 31 }, { 13, 11, 17, 31 }, { 7, 9, 2, 2 },    { 6, 5, 1, 9 },
    { 5, 6, 9, 1 },    { 33, 17, 45, 67 }, { 16, 3, 64, 64 },
  };
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    for (int k = 1; k <= 3; k += 2)
      for (int relu = 0; relu < 2; relu++)
        check_shape (shapes[i][0], shapes[i][1], k, shapes[i][2], shapes[i][3],
                     relu, relu == 0 || k == 3, 1 + (i & 1));
  /* Many bands (scratch bound) with a wide input and 2 threads. */
  check_shape (64, 8, 3, 40, 300, true, true, 2);
  check_shape (300, 8, 1, 100, 101, false, true, 2);
  check_cancel ();
  check_errors ();
  return tu_finish ("conv2d");
}
