/* Test driver for the PyTorch comparison and benchmarks: reads content and
 * style as .npy (3 x H x W float32, [0,1]), runs ns_stylize, writes the
 * result as .npy.
 *   style-driver MODEL_DIR METHOD STRENGTH CONTENT.npy STYLE.npy OUT.npy
 *                [REPEAT] */
#include "ns.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool
load (const char *path, ns_image *img)
{
  int64_t shape[8];
  int ndim = 0;
  float *d = tu_npy_read (path, shape, &ndim);
  if (!d || ndim != 3 || shape[0] != 3)
    {
      fprintf (stderr, "%s: expected a 3 x H x W float32 .npy\n", path);
      free (d);
      return false;
    }
  if (ns_image_alloc (img, (int) shape[2], (int) shape[1], NULL) != NS_OK)
    return false;
  memcpy (img->data, d, sizeof (float) * 3 * shape[1] * shape[2]);
  free (d);
  return true;
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Time per progress stage: the time since the previous callback is
 * charged to the current stage. */
typedef struct
{
  const char *names[16];
  double secs[16];
  int n;
  double last;
} stage_times;

static bool
on_progress (float f, const char *stage, void *data)
{
  stage_times *t = data;
  double tn = now ();
  int i;
  (void) f;
  for (i = 0; i < t->n; i++)
    if (strcmp (t->names[i], stage) == 0)
      break;
  if (i == t->n && t->n < 16)
    t->names[t->n++] = stage;
  if (i < 16)
    t->secs[i] += tn - t->last;
  t->last = tn;
  return true;
}

int
main (int argc, char **argv)
{
  ns_model *model = NULL;
  ns_context *ctx = NULL;
  ns_image content = { 0 }, style = { 0 }, out = { 0 };
  ns_params params = ns_params_default ();
  ns_style st;
  ns_error err = { 0 };
  int repeat = 1;

  if (argc < 7)
    {
      fprintf (stderr,
               "usage: %s MODEL_DIR METHOD STRENGTH CONTENT.npy "
               "STYLE.npy OUT.npy [REPEAT]\n",
               argv[0]);
      return 2;
    }
  if (!ns_method_from_name (argv[2], &params.method))
    {
      fprintf (stderr, "unknown method %s\n", argv[2]);
      return 2;
    }
  params.strength = (float) atof (argv[3]);
  params.style_size = 0;
  if (argc > 7)
    repeat = atoi (argv[7]);
  if (!load (argv[4], &content) || !load (argv[5], &style))
    return 1;
  if (ns_model_load (argv[1], NS_MODEL_AUTO, &model, &err) != NS_OK ||
      ns_context_new (model, &ctx, &err) != NS_OK ||
      ns_image_alloc (&out, content.width, content.height, &err) != NS_OK)
    {
      fprintf (stderr, "error: %s\n", err.message);
      return 1;
    }
  st.image = &style;
  st.weight = 1.0f;
  stage_times times;
  memset (&times, 0, sizeof times);
  if (getenv ("NS_STAGE_TIMES"))
    {
      params.progress = on_progress;
      params.progress_user_data = &times;
    }
  for (int r = 0; r < repeat; r++)
    {
      double t0 = now ();
      times.last = t0;
      /* A fresh context per timed run (no cache hits), unless NS_WARM is
       * set: then runs after the first change only the strength. */
      if (r > 0 && getenv ("NS_WARM"))
        params.strength = params.strength > 0.5f ? params.strength - 0.1f
                                                 : params.strength + 0.1f;
      else if (r > 0)
        {
          ns_context_free (ctx);
          ns_context_new (model, &ctx, &err);
        }
      if (ns_stylize (ctx, &params, &content, &st, 1, NULL, &out, &err) !=
          NS_OK)
        {
          fprintf (stderr, "error: %s\n", err.message);
          return 1;
        }
      printf ("time %.3f s\n", now () - t0);
    }
  for (int i = 0; i < times.n; i++)
    printf ("  %-18s %.3f s (all runs)\n", times.names[i], times.secs[i]);
  {
    int64_t shape[3] = { 3, content.height, content.width };
    if (!tu_npy_write (argv[6], out.data, shape, 3))
      return 1;
  }
  ns_image_free (&content);
  ns_image_free (&style);
  ns_image_free (&out);
  ns_context_free (ctx);
  ns_model_free (model);
  return 0;
}
