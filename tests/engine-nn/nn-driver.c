/* Test driver for the PyTorch comparisons (test_models.py):
 *
 *   nn-driver load DIR KIND
 *       load the model, print "kind LEVELS DEEPEST"; on error print the
 *       status name and message on stderr and exit 2
 *   nn-driver enc|dec DIR KIND LEVEL IN.npy OUT.npy
 *       run the encoder / decoder of LEVEL (1-based) on IN (C,H,W)
 *   nn-driver taps DIR KIND IN.npy OUTPREFIX TAP...
 *       run the feature net (ns_model_feature_net) and write
 *       OUTPREFIX<TAP>.npy for each tap name (relu1_1, relu4_2, ...)
 *   nn-driver image DIR KIND LEVEL IN.npy OUT.npy
 *       image (3,H,W) -> padded tensor -> encoder -> decoder -> image
 *
 * KIND: auto, cd16x, vgg19, lst-r31. */
#include "nn.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
fail (const ns_error *err)
{
  fprintf (stderr, "error: %s: %s\n", ns_status_string (err->status),
           err->message);
  return 2;
}

static bool
parse_kind (const char *s, ns_model_kind *kind)
{
  for (int k = NS_MODEL_AUTO; k <= NS_MODEL_LST_R31; k++)
    if (strcmp (s, ns_model_kind_name ((ns_model_kind) k)) == 0)
      {
        *kind = (ns_model_kind) k;
        return true;
      }
  return false;
}

static bool
read_tensor (const char *path, ns_tensor *t)
{
  int64_t shape[8];
  int ndim = 0;
  float *data = tu_npy_read (path, shape, &ndim);
  if (!data)
    return false;
  if (ndim == 4 && shape[0] == 1)
    {
      memmove (shape, shape + 1, 3 * sizeof shape[0]);
      ndim = 3;
    }
  if (ndim != 3 || ns_tensor_alloc (t, (int) shape[0], (int) shape[1],
                                    (int) shape[2], NULL) != NS_OK)
    {
      free (data);
      return false;
    }
  memcpy (t->data, data, sizeof (float) * ns_tensor_numel (t));
  free (data);
  return true;
}

static bool
write_tensor (const char *path, const ns_tensor *t)
{
  int64_t shape[3] = { t->c, t->h, t->w };
  return tu_npy_write (path, t->data, shape, 3);
}

static int
level_index (const ns_model *m, int level)
{
  for (int i = 0; i < m->n_levels; i++)
    if (m->level_id[i] == level)
      return i;
  return -1;
}

int
main (int argc, char **argv)
{
  ns_model_kind kind;
  ns_model *model = NULL;
  ns_error err = { 0 };
  ns_tensor in = { 0 }, out = { 0 };
  const char *mode;

  if (argc < 4 || !parse_kind (argv[3], &kind))
    {
      fprintf (stderr, "usage: see nn-driver.c\n");
      return 1;
    }
  mode = argv[1];
  if (ns_model_load (argv[2], kind, &model, &err) != NS_OK)
    return fail (&err);

  if (strcmp (mode, "load") == 0)
    {
      printf ("%s %d %d\n", ns_model_kind_name (ns_model_get_kind (model)),
              ns_model_num_levels (model), ns_model_deepest_level (model));
    }
  else if ((strcmp (mode, "enc") == 0 || strcmp (mode, "dec") == 0 ||
            strcmp (mode, "image") == 0) &&
           argc == 7)
    {
      int li = level_index (model, atoi (argv[4]));
      if (li < 0)
        {
          fprintf (stderr, "no level %s\n", argv[4]);
          return 1;
        }
      if (!read_tensor (argv[5], &in))
        {
          fprintf (stderr, "cannot read %s\n", argv[5]);
          return 1;
        }
      if (strcmp (mode, "image") == 0)
        {
          ns_image img = { in.w, in.h, in.data }, res = { 0 };
          ns_tensor padded, feat, dec;
          if (ns_image_to_tensor (&img, model->enc[li].downsample, &padded,
                                  &err) != NS_OK ||
              ns_net_forward (&model->enc[li], &padded, &feat, NULL, &err) !=
                  NS_OK ||
              ns_net_forward (&model->dec[li], &feat, &dec, NULL, &err) !=
                  NS_OK ||
              ns_image_alloc (&res, in.w, in.h, &err) != NS_OK ||
              ns_tensor_to_image (&dec, &res, &err) != NS_OK)
            return fail (&err);
          ns_tensor_free (&padded);
          ns_tensor_free (&feat);
          ns_tensor_free (&dec);
          out.c = 3;
          out.h = res.height;
          out.w = res.width;
          out.data = res.data;
        }
      else if (ns_net_forward (mode[0] == 'e' ? &model->enc[li]
                                              : &model->dec[li],
                               &in, &out, NULL, &err) != NS_OK)
        return fail (&err);
      if (!write_tensor (argv[6], &out))
        return 1;
    }
  else if (strcmp (mode, "taps") == 0 && argc >= 7)
    {
      ns_net net;
      int n = argc - 6;
      int *idx = calloc ((size_t) n, sizeof *idx);
      ns_tensor *taps = calloc ((size_t) n, sizeof *taps);
      if (!read_tensor (argv[4], &in))
        return 1;
      if (ns_model_feature_net (model, &net, &err) != NS_OK)
        return fail (&err);
      for (int i = 0; i < n; i++)
        if ((idx[i] = ns_net_find_tap (&net, argv[6 + i])) < 0)
          {
            fprintf (stderr, "no tap %s\n", argv[6 + i]);
            return 1;
          }
      if (ns_net_forward_taps (&net, &in, idx, n, taps, NULL, NULL, &err) !=
          NS_OK)
        return fail (&err);
      for (int i = 0; i < n; i++)
        {
          char path[4096];
          snprintf (path, sizeof path, "%s%s.npy", argv[5], argv[6 + i]);
          if (!write_tensor (path, &taps[i]))
            return 1;
          ns_tensor_free (&taps[i]);
        }
      ns_net_clear (&net);
      free (idx);
      free (taps);
    }
  else
    {
      fprintf (stderr, "bad arguments\n");
      return 1;
    }
  ns_tensor_free (&in);
  ns_tensor_free (&out);
  ns_model_free (model);
  return 0;
}
