/* Benchmark of the dialog's preview: the time of a strength change (the
 * context's cached encodings are reused: transform + decode only) and of a
 * full preview (fresh context: style and content encoded too), at preview
 * size with the default method and model.  Prints, does not assert speed.
 *   bench-preview [CONTENT_LONG_SIDE [STYLE_LONG_SIDE [RUNS [METHOD]]]]
 * Defaults: 384 (the dialog's preview size), 256, 3, the default method. */
#include "ns.h"
#include "style/style.h" /* ns_context_get_counters: what was re-encoded */
#include "testutil.h"
#include "ui-testimg.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *
load_average (void)
{
  static char buf[128] = "unknown\n";
  FILE *f = fopen ("/proc/loadavg", "r");

  if (f)
    {
      if (!fgets (buf, sizeof buf, f))
        strcpy (buf, "unknown\n");
      fclose (f);
    }
  return buf;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* CPU time of the whole process (all threads): on a busy machine the
 * wall time says little, CPU time / threads estimates an idle machine. */
static double
cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double last_cpu_ms;

static int
run (ns_context *ctx, ns_params *params, const ns_image *content,
     const ns_style *style, ns_image *out, double *ms)
{
  ns_error err = { 0 };
  double t0 = now_ms ();
  double c0 = cpu_ms ();

  if (ns_stylize (ctx, params, content, style, 1, NULL, out, &err) != NS_OK)
    {
      fprintf (stderr, "ns_stylize: %s\n", err.message);
      return 0;
    }
  *ms = now_ms () - t0;
  last_cpu_ms = cpu_ms () - c0;
  return 1;
}

int
main (int argc, char **argv)
{
  int csize = argc > 1 ? atoi (argv[1]) : 384;
  int ssize = argc > 2 ? atoi (argv[2]) : 256;
  int runs = argc > 3 ? CLAMP (atoi (argv[3]), 1, 50) : 3;
  const char *method = argc > 4 ? argv[4] : NULL;
  char *model_dir = tu_shared_path_or_skip ("models/cd16x");
  ns_image content = { 0 }, style_img = { 0 }, a = { 0 }, b = { 0 };
  ns_params params = ns_params_default ();
  ns_model *model = NULL;
  ns_context *ctx = NULL;
  ns_error err = { 0 };
  ns_style style;
  double *full = g_new (double, runs), *strength = g_new (double, runs);
  double *full_cpu = g_new (double, runs), *strength_cpu = g_new (double, runs);
  double t0, load_ms, ms;
  const char *threads = g_getenv ("OMP_NUM_THREADS");

  ui_load_shared ("images/content/tubingen.jpg", csize, &content);
  ui_load_shared ("images/style/starry_night.jpg", ssize, &style_img);
  if (method && !ns_method_from_name (method, &params.method))
    {
      fprintf (stderr, "unknown method %s\n", method);
      return 2;
    }
  style.image = &style_img;
  style.weight = 1.0f;

  t0 = now_ms ();
  if (ns_model_load (model_dir, NS_MODEL_AUTO, &model, &err) != NS_OK)
    {
      fprintf (stderr, "ns_model_load: %s\n", err.message);
      return 1;
    }
  load_ms = now_ms () - t0;
  if (ns_image_alloc (&a, content.width, content.height, &err) != NS_OK ||
      ns_image_alloc (&b, content.width, content.height, &err) != NS_OK)
    return 1;

  /* Full previews: a fresh context each time (nothing cached). */
  for (int i = 0; i < runs; i++)
    {
      if (ns_context_new (model, &ctx, &err) != NS_OK)
        return 1;
      params.strength = 1.0f;
      if (!run (ctx, &params, &content, &style, &a, &full[i]))
        return 1;
      full_cpu[i] = last_cpu_ms;
      ns_context_free (ctx);
    }

  /* Strength changes: one context (as the dialog keeps one). */
  if (ns_context_new (model, &ctx, &err) != NS_OK)
    return 1;
  params.strength = 1.0f;
  if (!run (ctx, &params, &content, &style, &a, &ms))
    return 1;
  for (int i = 0; i < runs; i++)
    {
      ns_context_counters n;

      params.strength = 0.3f + 0.4f * (float) (i % 2);
      if (!run (ctx, &params, &content, &style, &b, &strength[i]))
        return 1;
      strength_cpu[i] = last_cpu_ms;
      /* The point of the cache: no style encoding, and not the first
       * (deepest) content encoding either. */
      ns_context_get_counters (ctx, &n);
      if (i == 0)
        printf ("  strength change: %d style encodes, %d content encodes, "
                "%d decodes\n",
                n.style_encodes, n.content_encodes, n.decodes);
      TU_CHECK (n.style_encodes == 0);
    }
  ns_context_free (ctx);

  qsort (full, runs, sizeof (double), cmp_double);
  qsort (strength, runs, sizeof (double), cmp_double);
  qsort (full_cpu, runs, sizeof (double), cmp_double);
  qsort (strength_cpu, runs, sizeof (double), cmp_double);
  printf ("bench-preview: model %s (load %.0f ms), method %s, content "
          "%dx%d, style %dx%d, OMP_NUM_THREADS=%s, %d runs\n",
          ns_model_kind_name (ns_model_get_kind (model)), load_ms,
          ns_method_name (params.method), content.width, content.height,
          style_img.width, style_img.height, threads ? threads : "unset", runs);
  printf ("  full preview:    median %7.1f ms  (min %.1f, max %.1f), "
          "CPU %.1f ms\n",
          full[runs / 2], full[0], full[runs - 1], full_cpu[runs / 2]);
  printf ("  strength change: median %7.1f ms  (min %.1f, max %.1f), "
          "CPU %.1f ms; target < 150 ms\n",
          strength[runs / 2], strength[0], strength[runs - 1],
          strength_cpu[runs / 2]);
  printf ("  load average when done: %s", load_average ());

  /* Behaviour, not speed: a different strength gives a different image. */
  TU_CHECK (ui_mean_abs_diff (&a, &b) > 0.005);

  ns_image_free (&a);
  ns_image_free (&b);
  ns_image_free (&content);
  ns_image_free (&style_img);
  ns_model_free (model);
  g_free (full);
  g_free (strength);
  g_free (full_cpu);
  g_free (strength_cpu);
  free (model_dir);
  return tu_finish ("bench-preview");
}
