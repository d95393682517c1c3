/* Benchmark of the Gatys optimiser against PyTorch autograd +
 * torch.optim.LBFGS on the same network, images and objective, in the
 * same run.  Prints seconds per evaluation (one forward + backward; with
 * no line search an L-BFGS iteration is one evaluation), the ratio, and
 * the style loss both reach after the same iteration budget.
 *
 * Usage: bench-gatys PYTHON SCRIPT [ITERS [SIZES [NETS]]]
 *   SIZES e.g. "256,512", NETS e.g. "cd16x,vgg19" (vgg19 = the canonical
 *   normalised VGG-19 shape with random weights, written by SCRIPT).
 * Needs ../shared/models/cd16x/enc5.pth for cd16x. */
#include "gatys-net.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
bench (const char *python, const char *script, const char *kind_name,
       const char *model_path, int size, int iters, const char *dir)
{
  ns_weights *wf = NULL;
  ns_error err = { 0 };
  ns_featnet net;
  ns_gatys_objective obj;
  ns_lbfgs *lb;
  ns_model_kind kind = strcmp (kind_name, "cd16x") == 0 ? NS_MODEL_CD16X
                                                        : NS_MODEL_VGG19;
  size_t n = (size_t) 3 * size * size;
  float *x = malloc (n * 4), *content = malloc (n * 4), *g = malloc (n * 4);
  ns_image style = { size, size, malloc (n * 4) };
  const ns_image *sp = &style;
  int64_t shape[3] = { 3, size, size };
  uint64_t state = 7;
  char path[4096], cmd[8192], line[512] = "";
  double f, t0, t_setup, t_opt, torch_spe = 0, torch_style = 0;
  int evals = 0, it, torch_evals = 0;
  FILE *p;

  if (ns_weights_load_pth (model_path, &wf, &err) != NS_OK ||
      ns_featnet_build (kind, &wf, 1, NULL, &net, &err) != NS_OK)
    {
      fprintf (stderr, "%s: %s\n", model_path, err.message);
      exit (1);
    }
  tu_smooth_image (content, size, size, 0.02f, 0.1f, 0.003f, &state);
  tu_smooth_image (style.data, size, size, 0.02f, 0.1f, 0.003f, &state);
  snprintf (path, sizeof path, "%s/content.npy", dir);
  tu_npy_write (path, content, shape, 3);
  snprintf (path, sizeof path, "%s/style.npy", dir);
  tu_npy_write (path, style.data, shape, 3);

  t0 = tu_now ();
  if (ns_gatys_objective_init (&obj, &net, size, size, 2, &err) != NS_OK ||
      ns_gatys_objective_set_content (&obj, content, &err) != NS_OK ||
      ns_gatys_objective_set_styles (&obj, &sp, NULL, 1, 2, &err) != NS_OK)
    {
      fprintf (stderr, "%s\n", err.message);
      exit (1);
    }
  obj.content_weight = 1.0;
  obj.style_weight = 100.0;
  obj.tv_weight = 0.0;
  memcpy (x, content, n * 4);
  t_setup = tu_now () - t0;
  t0 = tu_now ();
  lb = ns_lbfgs_new (n, 20, 1.0f);
  ns_gatys_objective_eval (x, &f, g, &obj);
  evals = 1;
  /* ITERS steps, as torch.optim.LBFGS (max_iter=ITERS) takes: it skips
     the evaluation after its last step (the script evaluates that point
     outside the timing), so it makes one evaluation fewer. */
  for (it = 0; it < iters; it++)
    {
      int r = ns_lbfgs_step (lb, x, &f, g, ns_gatys_objective_eval, &obj);
      if (r <= 0)
        break;
      evals += r;
    }
  t_opt = tu_now () - t0;
  ns_lbfgs_free (lb);

  snprintf (cmd, sizeof cmd, "%s %s bench %s %s %s %d 20", python, script,
            kind_name, model_path, dir, iters);
  p = popen (cmd, "r");
  if (p)
    {
      while (fgets (line, sizeof line, p))
        if (strncmp (line, "torch ", 6) == 0)
          sscanf (line + 6, "%lf %d %*f %*f %lf", &torch_spe, &torch_evals,
                  &torch_style);
      pclose (p);
    }
  printf ("%-6s %4dx%-4d engine %.4f s/eval (%d evals, %.2f s, setup %.2f s)"
          " style %.5g | torch %.4f s/eval (%d evals) style %.5g | "
          "speed-up x%.2f\n",
          kind_name, size, size, t_opt / evals, evals, t_opt, t_setup,
          obj.last_style, torch_spe, torch_evals, torch_style,
          torch_spe > 0 ? torch_spe / (t_opt / evals) : 0.0);
  fflush (stdout);
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
  const char *python, *script, *sizes = "256,512", *nets = "cd16x,vgg19";
  char dir[] = "/tmp/ns-gatys-bench-XXXXXX", vgg[4096], cmd[8192];
  char *cd16x = NULL, *list, *tok, *save;
  int iters = 20;
  bool have_vgg = false;

  if (argc < 3)
    {
      fprintf (stderr, "usage: %s PYTHON SCRIPT [ITERS [SIZES [NETS]]]\n",
               argv[0]);
      return 1;
    }
  python = argv[1];
  script = argv[2];
  if (argc > 3)
    iters = atoi (argv[3]);
  if (argc > 4)
    sizes = argv[4];
  if (argc > 5)
    nets = argv[5];
  if (!mkdtemp (dir))
    return 1;
  printf ("Gatys benchmark: %d L-BFGS iterations (history 20, content "
          "init, cw 1, sw 100), 2 threads\n",
          iters);
  list = strdup (nets);
  for (tok = strtok_r (list, ",", &save); tok;
       tok = strtok_r (NULL, ",", &save))
    {
      const char *model;
      char *s2 = strdup (sizes), *sz, *save2;
      if (strcmp (tok, "cd16x") == 0)
        {
          if (!cd16x)
            cd16x = tu_shared_path_or_skip ("models/cd16x/enc5.pth");
          model = cd16x;
        }
      else
        {
          snprintf (vgg, sizeof vgg, "%s/vgg_normalised.pth", dir);
          if (!have_vgg)
            {
              snprintf (cmd, sizeof cmd, "%s %s mkvgg %s", python, script, vgg);
              if (system (cmd) != 0)
                {
                  fprintf (stderr, "could not write %s\n", vgg);
                  return 1;
                }
              have_vgg = true;
            }
          model = vgg;
        }
      for (sz = strtok_r (s2, ",", &save2); sz;
           sz = strtok_r (NULL, ",", &save2))
        bench (python, script, tok, model, atoi (sz), iters, dir);
      free (s2);
    }
  free (list);
  free (cd16x);
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system (cmd) == 0 ? 0 : 1;
}
