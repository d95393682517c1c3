/* Driver for the PyTorch comparison and the benchmark of MicroAST
 * (test_microast.py, bench_microast.py):
 *   microast-driver load MODEL_DIR [KIND]
 *     loads the model (KIND: a model kind name, default auto); prints
 *     "kind NAME" or "status STATUS: MESSAGE" and exits 0 / 1.
 *   microast-driver run MODEL_DIR METHOD STRENGTH CONTENT.npy OUT.npy
 *                  [-m MASK.npy] [-r REPEAT] [-t THREADS]
 *                  STYLE.npy[:WEIGHT]...
 *     runs ns_stylize (style-size 0: styles as given), prints the time of
 *     each run ("time S s") and writes the result; on failure prints
 *     "status STATUS: MESSAGE" and exits 1.
 * Images are 3 x H x W float32 .npy in [0,1], masks H x W. */
#include "ns.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *
load_npy (const char *path, int want_ndim, int64_t *shape)
{
  int ndim = 0;
  float *d = tu_npy_read (path, shape, &ndim);
  if (!d || ndim != want_ndim || (want_ndim == 3 && shape[0] != 3))
    {
      fprintf (stderr, "%s: expected a %s float32 .npy\n", path,
               want_ndim == 3 ? "3 x H x W" : "H x W");
      free (d);
      return NULL;
    }
  return d;
}

static bool
load_image (const char *path, ns_image *img)
{
  int64_t shape[8];
  float *d = load_npy (path, 3, shape);
  if (!d || ns_image_alloc (img, (int) shape[2], (int) shape[1], NULL) != NS_OK)
    {
      free (d);
      return false;
    }
  memcpy (img->data, d, sizeof (float) * 3 * shape[1] * shape[2]);
  free (d);
  return true;
}

static int
fail (const ns_error *err)
{
  printf ("status %s: %s\n", ns_status_string (err->status), err->message);
  fflush (stdout);
  return 1;
}

static int
cmd_load (int argc, char **argv)
{
  ns_model *model = NULL;
  ns_error err = { 0 };
  ns_model_kind kind = NS_MODEL_AUTO;
  if (argc > 3)
    {
      for (kind = NS_MODEL_AUTO; kind <= NS_MODEL_MICROAST; kind++)
        if (strcmp (ns_model_kind_name (kind), argv[3]) == 0)
          break;
      if (kind > NS_MODEL_MICROAST)
        return 2;
    }
  if (ns_model_load (argv[2], kind, &model, &err) != NS_OK)
    return fail (&err);
  printf ("kind %s\n", ns_model_kind_name (ns_model_get_kind (model)));
  ns_model_free (model);
  return 0;
}

static int
cmd_run (int argc, char **argv)
{
  ns_model *model = NULL;
  ns_context *ctx = NULL;
  ns_image content = { 0 }, out = { 0 }, styles_img[4] = { { 0 } };
  ns_mask mask = { 0 };
  ns_style styles[4];
  ns_params params = ns_params_default ();
  ns_error err = { 0 };
  int n_styles = 0, repeat = 1, i, rc = 1;

  if (argc < 8)
    return 2;
  if (!ns_method_from_name (argv[3], &params.method))
    {
      fprintf (stderr, "unknown method %s\n", argv[3]);
      return 2;
    }
  params.strength = (float) atof (argv[4]);
  params.style_size = 0;
  if (!load_image (argv[5], &content))
    return 1;
  for (i = 7; i < argc; i++)
    {
      if (strcmp (argv[i], "-m") == 0 && i + 1 < argc)
        {
          int64_t shape[8];
          float *d = load_npy (argv[++i], 2, shape);
          if (!d || ns_mask_alloc (&mask, (int) shape[1], (int) shape[0],
                                   NULL) != NS_OK)
            return 1;
          memcpy (mask.data, d, sizeof (float) * shape[0] * shape[1]);
          free (d);
        }
      else if (strcmp (argv[i], "-r") == 0 && i + 1 < argc)
        repeat = atoi (argv[++i]);
      else if (strcmp (argv[i], "-t") == 0 && i + 1 < argc)
        params.n_threads = atoi (argv[++i]);
      else if (n_styles < 4)
        {
          char *colon = strrchr (argv[i], ':');
          styles[n_styles].weight = 1.0f;
          if (colon)
            {
              *colon = '\0';
              styles[n_styles].weight = (float) atof (colon + 1);
            }
          if (!load_image (argv[i], &styles_img[n_styles]))
            return 1;
          styles[n_styles].image = &styles_img[n_styles];
          n_styles++;
        }
    }
  if (ns_model_load (argv[2], NS_MODEL_AUTO, &model, &err) != NS_OK ||
      ns_context_new (model, &ctx, &err) != NS_OK ||
      ns_image_alloc (&out, content.width, content.height, &err) != NS_OK)
    {
      rc = fail (&err);
      goto done;
    }
  for (int r = 0; r < repeat; r++)
    {
      double t0 = tu_now ();
      if (ns_stylize (ctx, &params, &content, styles, n_styles,
                      mask.data ? &mask : NULL, &out, &err) != NS_OK)
        {
          rc = fail (&err);
          goto done;
        }
      printf ("time %.4f s\n", tu_now () - t0);
    }
  {
    int64_t shape[3] = { 3, content.height, content.width };
    rc = tu_npy_write (argv[6], out.data, shape, 3) ? 0 : 1;
  }
done:
  for (i = 0; i < n_styles; i++)
    ns_image_free (&styles_img[i]);
  ns_image_free (&content);
  ns_image_free (&out);
  ns_mask_free (&mask);
  ns_context_free (ctx);
  ns_model_free (model);
  return rc;
}

int
main (int argc, char **argv)
{
  int rc = 2;
  if (argc >= 3 && strcmp (argv[1], "load") == 0)
    rc = cmd_load (argc, argv);
  else if (argc >= 8 && strcmp (argv[1], "run") == 0)
    rc = cmd_run (argc, argv);
  if (rc == 2)
    fprintf (stderr,
             "usage: %s load MODEL_DIR [KIND]\n"
             "       %s run MODEL_DIR METHOD STRENGTH CONTENT.npy OUT.npy "
             "[-m MASK.npy] [-r N] [-t THREADS] STYLE.npy[:WEIGHT]...\n",
             argv[0], argv[0]);
  return rc;
}
