/* The Gatys objective and its gradient vs PyTorch autograd (float64) on
 * the cd16x enc5 network with its aux heads and a 64x48 image.
 *
 * Also the canonical normalised VGG-19 layout (random weights written by
 * the script at test time) and lst-r31 (relu1_1..relu3_1).
 *
 * Tolerances (float32 engine vs float64 reference): total loss and each
 * part within 1e-5 relative; gradient within 1e-4 of its largest
 * magnitude everywhere, and relative L2 error below 1e-4 (measured:
 * about 1e-7, 6e-7 and 4e-7).
 *
 * Usage: test-gatys-torch PYTHON SCRIPT.  Skips (77) without PyTorch;
 * the shared-model cases are left out without ../shared. */
#include "gatys-net.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Loss and gradient of one network vs the script. */
static void
check_kind (const char *python, const char *script, const char *kind_name,
            ns_model_kind kind, const char *model_path, int w, int h)
{
  char dir[] = "/tmp/ns-gatys-torch-XXXXXX", path[4096], cmd[8192];
  ns_weights *wf = NULL;
  ns_error err = { 0 };
  ns_featnet net;
  ns_gatys_objective obj;
  const int sw = w - 8, sh = h - 8;
  size_t n = (size_t) 3 * w * h, i;
  float *x = malloc (n * 4), *content = malloc (n * 4), *g = malloc (n * 4);
  ns_image style = { sw, sh, malloc ((size_t) 3 * sw * sh * 4) };
  const ns_image *sp = &style;
  int64_t shape[3] = { 3, h, w }, sshape[3] = { 3, sh, sw }, rs[8];
  int rnd;
  uint64_t state = 42;
  double f;
  const double cw = 1.0, stw = 100.0, tvw = 5.0;
  float *ref_loss, *ref_grad;

  printf ("--- %s (%s), %dx%d\n", kind_name, model_path, w, h);
  if (ns_weights_load_pth (model_path, &wf, &err) != NS_OK)
    {
      fprintf (stderr, "loading %s: %s\n", model_path, err.message);
      tu_failures++;
      return;
    }
  TU_CHECK (ns_featnet_build (kind, &wf, 1, NULL, &net, &err) == NS_OK);

  tu_smooth_image (content, w, h, 0.05f, 0.3f, 0.01f, &state);
  tu_smooth_image (style.data, sw, sh, 0.05f, 0.3f, 0.01f, &state);
  /* X: the content plus noise, so all losses are far from zero. */
  tu_fill_random (x, n, -0.2f, 0.2f, &state);
  for (i = 0; i < n; i++)
    x[i] += content[i];

  TU_CHECK (ns_gatys_objective_init (&obj, &net, h, w, 2, &err) == NS_OK);
  TU_CHECK (ns_gatys_objective_set_content (&obj, content, &err) == NS_OK);
  TU_CHECK (ns_gatys_objective_set_styles (&obj, &sp, NULL, 1, 2, &err) ==
            NS_OK);
  obj.content_weight = cw;
  obj.style_weight = stw;
  obj.tv_weight = tvw;
  TU_CHECK (ns_gatys_objective_eval (x, &f, g, &obj));

  if (!mkdtemp (dir))
    {
      tu_failures++;
      return;
    }
  snprintf (path, sizeof path, "%s/x.npy", dir);
  tu_npy_write (path, x, shape, 3);
  snprintf (path, sizeof path, "%s/content.npy", dir);
  tu_npy_write (path, content, shape, 3);
  snprintf (path, sizeof path, "%s/style.npy", dir);
  tu_npy_write (path, style.data, sshape, 3);
  snprintf (cmd, sizeof cmd, "%s %s grad %s %s %s %g %g %g", python, script,
            kind_name, model_path, dir, cw, stw, tvw);
  rnd = system (cmd);
  TU_CHECK (rnd == 0);
  snprintf (path, sizeof path, "%s/ref_loss.npy", dir);
  ref_loss = tu_npy_read (path, rs, &rnd);
  snprintf (path, sizeof path, "%s/ref_grad.npy", dir);
  ref_grad = tu_npy_read (path, rs, &rnd);
  TU_CHECK (ref_loss && ref_grad);
  if (ref_loss && ref_grad)
    {
      double ours[4] = { f, obj.last_content, obj.last_style, obj.last_tv };
      double gmax = 0.0, dmax = 0.0, d2 = 0.0, r2 = 0.0;
      int k;
      for (k = 0; k < 4; k++)
        {
          double rel = fabs (ours[k] - ref_loss[k]) / fabs (ref_loss[k]);
          printf ("loss part %d: engine %.8g torch %.8g rel %.2g\n", k, ours[k],
                  ref_loss[k], rel);
          TU_CHECK (rel < 1e-5);
        }
      for (i = 0; i < n; i++)
        {
          double d = (double) g[i] - ref_grad[i];
          gmax = fmax (gmax, fabs (ref_grad[i]));
          dmax = fmax (dmax, fabs (d));
          d2 += d * d;
          r2 += (double) ref_grad[i] * ref_grad[i];
        }
      printf ("gradient: max |diff| %.3g of max |g| %.3g (%.2g), relative "
              "L2 %.3g\n",
              dmax, gmax, dmax / gmax, sqrt (d2 / r2));
      TU_CHECK (dmax <= 1e-4 * gmax);
      TU_CHECK (sqrt (d2 / r2) < 1e-4);
    }
  free (ref_loss);
  free (ref_grad);
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system (cmd) != 0)
    fprintf (stderr, "could not remove %s\n", dir);
  ns_gatys_objective_free (&obj);
  ns_featnet_free (&net);
  ns_weights_free (wf);
  free (x);
  free (content);
  free (g);
  free (style.data);
}

int
main (int argc, char **argv)
{
  const char *shared;
  char cmd[8192], vgg[] = "/tmp/ns-gatys-vgg-XXXXXX", path[4200];
  int ran = 0;

  if (argc < 3)
    {
      fprintf (stderr, "usage: %s PYTHON SCRIPT\n", argv[0]);
      return 1;
    }
  snprintf (cmd, sizeof cmd, "%s -c 'import torch, numpy' 2>/dev/null",
            argv[1]);
  if (system (cmd) != 0)
    {
      printf ("SKIP: %s has no torch/numpy\n", argv[1]);
      return NS_TEST_SKIP;
    }

  /* The canonical normalised VGG-19 layout (ceil-mode pools, content at
     relu4_2) with random weights written by the script: needs no shared
     data.  Odd sizes exercise the ceil-mode pools' partial windows. */
  if (mkdtemp (vgg))
    {
      snprintf (path, sizeof path, "%s/vgg_normalised.pth", vgg);
      snprintf (cmd, sizeof cmd, "%s %s mkvgg %s", argv[1], argv[2], path);
      TU_CHECK (system (cmd) == 0);
      check_kind (argv[1], argv[2], "vgg19", NS_MODEL_VGG19, path, 67, 45);
      snprintf (cmd, sizeof cmd, "rm -rf '%s'", vgg);
      if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", vgg);
      ran++;
    }

  shared = tu_shared_dir ();
  if (shared)
    {
      snprintf (path, sizeof path, "%s/models/cd16x/enc5.pth", shared);
      if (access (path, R_OK) == 0)
        {
          check_kind (argv[1], argv[2], "cd16x", NS_MODEL_CD16X, path, 64, 48);
          ran++;
        }
      else
        printf ("cd16x: %s absent, not checked\n", path);
      snprintf (path, sizeof path, "%s/models/lst-r31/vgg_r31.pth", shared);
      if (access (path, R_OK) == 0)
        {
          check_kind (argv[1], argv[2], "lst", NS_MODEL_LST_R31, path, 64, 48);
          ran++;
        }
      else
        printf ("lst-r31: %s absent, not checked\n", path);
    }
  return tu_finish ("test-gatys-torch");
}
