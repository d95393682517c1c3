/* Benchmark: GFLOP/s of ns_conv2d on the layer shapes of canonical AdaIN
 * (VGG-19 to relu4_1 + decoder) and the time of the whole networks, with
 * random weights (no files needed), against OpenBLAS's sgemm.
 *
 *   bench-conv [SIZE [THREADS [REPEATS [net]]]]     (default 512 2 3)
 *
 * "net": only the whole networks (no per-layer table, no 4*SIZE
 * cancellation-latency run). */
#include "nn.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static double
cpu_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static void
fill (float *x, size_t n, uint64_t *s, float scale)
{
  for (size_t i = 0; i < n; i++)
    {
      *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
      x[i] = scale * ((float) (*s >> 40) / (float) (1 << 24) - 0.5f);
    }
}

typedef struct
{
  int cin, cout, k, size_div;
} shape;

/* Encoder to relu4_1 then decoder; SIZE_DIV = input size / layer size. */
static const shape enc_shapes[] = {
  { 3, 3, 1, 1 },     { 3, 64, 3, 1 },    { 64, 64, 3, 1 },
  { 0, 0, 0, 0 },     { 64, 128, 3, 2 },  { 128, 128, 3, 2 },
  { 0, 0, 0, 0 },     { 128, 256, 3, 4 }, { 256, 256, 3, 4 },
  { 256, 256, 3, 4 }, { 256, 256, 3, 4 }, { 0, 0, 0, 0 },
  { 256, 512, 3, 8 },
};
static const shape dec_shapes[] = {
  { 512, 256, 3, 8 }, { -1, 0, 0, 0 },    { 256, 256, 3, 4 },
  { 256, 256, 3, 4 }, { 256, 256, 3, 4 }, { 256, 128, 3, 4 },
  { -1, 0, 0, 0 },    { 128, 128, 3, 2 }, { 128, 64, 3, 2 },
  { -1, 0, 0, 0 },    { 64, 64, 3, 1 },   { 64, 3, 3, 1 },
};

static float *weights_pool[64];
static int n_weights_pool;

static void
build (ns_net *net, const shape *s, int n, bool ceil, uint64_t *seed)
{
  memset (net, 0, sizeof *net);
  net->pool_ceil = ceil;
  for (int i = 0; i < n; i++)
    {
      if (s[i].cin == 0)
        ns_net_add_pool (net, NULL);
      else if (s[i].cin < 0)
        ns_net_add_upsample (net, NULL);
      else
        {
          ns_conv c = { s[i].cin, s[i].cout, s[i].k, s[i].k == 3,
                        true,     NULL,      NULL };
          size_t nw = (size_t) c.cout * c.cin * c.k * c.k;
          float *w = malloc (sizeof (float) * (nw + (size_t) c.cout));
          fill (w, nw + (size_t) c.cout, seed,
                2.0f / (float) (c.cin * c.k * c.k));
          c.weight = w;
          c.bias = w + nw;
          weights_pool[n_weights_pool++] = w;
          ns_net_add_conv (net, "conv", &c, NULL);
        }
    }
}

static double last_tick, max_gap;

static bool
gap_progress (float fraction, const char *stage, void *user_data)
{
  double t = now ();
  (void) fraction;
  (void) stage;
  (void) user_data;
  if (t - last_tick > max_gap)
    max_gap = t - last_tick;
  last_tick = t;
  return true;
}

/* The longest stretch without a progress call (= cancellation latency) in
   a 64->64 3x3 conv at SIZE x SIZE. */
static void
cancel_latency (int size, int threads)
{
  ns_conv c = { 64, 64, 3, 1, true, NULL, NULL };
  float *w = calloc (64 * 64 * 9, sizeof (float));
  ns_tensor in, out;
  ns_params params;
  ns_run run;
  double t;

  memset (&params, 0, sizeof params);
  params.progress = gap_progress;
  params.n_threads = threads;
  c.weight = w;
  if (ns_tensor_alloc (&in, 64, size, size, NULL) != NS_OK)
    return;
  memset (in.data, 0, sizeof (float) * ns_tensor_numel (&in));
  ns_run_init (&run, &params, ns_conv_flops (&c, size, size));
  max_gap = 0;
  t = last_tick = now ();
  if (ns_conv2d (&c, &in, &out, &run, NULL) == NS_OK)
    {
      t = now () - t;
      if (now () - last_tick > max_gap)
        max_gap = now () - last_tick;
      printf ("conv 64->64 3x3 @%dx%d: %.2f s (%.1f GFLOP/s), longest gap "
              "between progress calls %.1f ms\n",
              size, size, t, ns_conv_flops (&c, size, size) / t * 1e-9,
              max_gap * 1e3);
      ns_tensor_free (&out);
    }
  ns_tensor_free (&in);
  free (w);
}

int
main (int argc, char **argv)
{
  int size = argc > 1 ? atoi (argv[1]) : 512;
  int threads = argc > 2 ? atoi (argv[2]) : 2;
  int reps = argc > 3 ? atoi (argv[3]) : 3;
  bool net_only = argc > 4 && strcmp (argv[4], "net") == 0;
  uint64_t seed = 42;
  ns_run run;
  ns_net enc, dec;
  ns_tensor in, out, feat;
  ns_error err;
  double t, best, best_cpu;

  ns_run_init (&run, NULL, 1.0);
  run.n_threads = threads;
#ifdef _OPENMP
  omp_set_num_threads (threads);
#endif

  /* sgemm peak on a large square-ish product (threaded by OpenBLAS). */
  if (!net_only)
    {
      int m = 512, n = 4096, k = 2304;
      float *a = malloc (sizeof (float) * (size_t) m * k);
      float *b = malloc (sizeof (float) * (size_t) k * n);
      float *c = malloc (sizeof (float) * (size_t) m * n);
      fill (a, (size_t) m * k, &seed, 1.0f);
      fill (b, (size_t) k * n, &seed, 1.0f);
      best = 1e9;
      for (int r = 0; r < reps; r++)
        {
          t = now ();
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f,
                       a, k, b, n, 0.0f, c, n);
          t = now () - t;
          best = t < best ? t : best;
        }
      printf ("sgemm %dx%dx%d: %.1f GFLOP/s (%d threads)\n", m, n, k,
              2.0 * m * n * k / best * 1e-9, threads);
      free (a);
      free (b);
      free (c);
    }

  printf ("%-24s %8s %8s %9s %12s\n", "conv (cin->cout k @HxW)", "GFLOP", "ms",
          "GFLOP/s", "GFLOP/cpu-s");
  for (int part = 0; part < (net_only ? 0 : 2); part++)
    {
      const shape *s = part ? dec_shapes : enc_shapes;
      int n = part ? (int) (sizeof dec_shapes / sizeof dec_shapes[0])
                   : (int) (sizeof enc_shapes / sizeof enc_shapes[0]);
      for (int i = 0; i < n; i++)
        {
          ns_conv c = { s[i].cin, s[i].cout, s[i].k, s[i].k == 3,
                        true,     NULL,      NULL };
          int hw = size / (s[i].size_div ? s[i].size_div : 1);
          size_t nw;
          float *w;
          char label[64];
          if (s[i].cin <= 0)
            continue;
          nw = (size_t) c.cout * c.cin * c.k * c.k;
          w = malloc (sizeof (float) * (nw + (size_t) c.cout));
          fill (w, nw + (size_t) c.cout, &seed, 0.01f);
          c.weight = w;
          c.bias = w + nw;
          ns_tensor_alloc (&in, c.cin, hw, hw, NULL);
          fill (in.data, ns_tensor_numel (&in), &seed, 1.0f);
          best = 1e9;
          best_cpu = 1e9;
          for (int r = 0; r < reps; r++)
            {
              double tc = cpu_now ();
              t = now ();
              if (ns_conv2d (&c, &in, &out, &run, &err) != NS_OK)
                {
                  fprintf (stderr, "conv: %s\n", err.message);
                  return 1;
                }
              t = now () - t;
              tc = cpu_now () - tc;
              best = t < best ? t : best;
              best_cpu = tc < best_cpu ? tc : best_cpu;
              ns_tensor_free (&out);
            }
          snprintf (label, sizeof label, "%s %d->%d %dx%d @%d",
                    part ? "dec" : "enc", c.cin, c.cout, c.k, c.k, hw);
          printf ("%-24s %8.2f %8.1f %9.1f %12.1f\n", label,
                  ns_conv_flops (&c, hw, hw) * 1e-9, best * 1e3,
                  ns_conv_flops (&c, hw, hw) / best * 1e-9,
                  ns_conv_flops (&c, hw, hw) / best_cpu * 1e-9);
          ns_tensor_free (&in);
          free (w);
        }
    }

  /* Whole networks: canonical AdaIN = encoder on content and on style +
     decoder (AdaIN itself is negligible). */
  build (&enc, enc_shapes, (int) (sizeof enc_shapes / sizeof enc_shapes[0]),
         true, &seed);
  build (&dec, dec_shapes, (int) (sizeof dec_shapes / sizeof dec_shapes[0]),
         false, &seed);
  ns_tensor_alloc (&in, 3, size, size, NULL);
  fill (in.data, ns_tensor_numel (&in), &seed, 1.0f);
  best = 1e9;
  for (int r = 0; r < reps; r++)
    {
      double te, td, tc = cpu_now ();
      t = now ();
      if (ns_net_forward (&enc, &in, &feat, &run, &err) != NS_OK)
        {
          fprintf (stderr, "enc: %s\n", err.message);
          return 1;
        }
      te = now () - t;
      if (ns_net_forward (&dec, &feat, &out, &run, &err) != NS_OK)
        {
          fprintf (stderr, "dec: %s\n", err.message);
          return 1;
        }
      td = now () - t - te;
      ns_tensor_free (&feat);
      ns_tensor_free (&out);
      tc = cpu_now () - tc;
      printf ("encoder %.3f s, decoder %.3f s, AdaIN (2 enc + dec) %.3f s; "
              "enc + dec CPU time %.3f s\n",
              te, td, 2 * te + td, tc);
      best = 2 * te + td < best ? 2 * te + td : best;
    }
  printf ("canonical AdaIN at %dx%d, %d threads: best %.3f s "
          "(%.1f GFLOP, %.1f GFLOP/s)\n",
          size, size, threads, best,
          (2 * ns_net_flops (&enc, size, size) +
           ns_net_flops (&dec, size / 8, size / 8)) *
              1e-9,
          (2 * ns_net_flops (&enc, size, size) +
           ns_net_flops (&dec, size / 8, size / 8)) /
              best * 1e-9);
  ns_tensor_free (&in);
  if (!net_only)
    cancel_latency (4 * size, threads);
  ns_net_clear (&enc);
  ns_net_clear (&dec);
  for (int i = 0; i < n_weights_pool; i++)
    free (weights_pool[i]);
  return 0;
}
