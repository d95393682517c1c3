/* The real weight files from the shared folder: names and shapes as
 * its models/MODELS.md lists them, and how long loading takes.  (Values are
 * compared with PyTorch by pth-torch-shared.) */
#include "ns-internal.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct
{
  const char *file, *name;
  int64_t shape[4];
} expect;

/* Weights are [cout][cin][k][k]. */
static const expect expects[] = {
  { "cd16x/enc1.pth", "conv0.weight", { 3, 3, 1, 1 } },
  { "cd16x/enc1.pth", "conv11.weight", { 24, 3, 3, 3 } },
  { "cd16x/dec1.pth", "conv11.weight", { 3, 24, 3, 3 } },
  { "cd16x/enc2.pth", "conv12.weight", { 16, 16, 3, 3 } },
  { "cd16x/enc2.pth", "conv21.weight", { 32, 16, 3, 3 } },
  { "cd16x/dec2.pth", "conv21.weight", { 16, 32, 3, 3 } },
  { "cd16x/dec2.pth", "conv11.weight", { 3, 16, 3, 3 } },
  { "cd16x/enc3.pth", "conv22.weight", { 32, 32, 3, 3 } },
  { "cd16x/enc3.pth", "conv31.weight", { 64, 32, 3, 3 } },
  { "cd16x/dec3.pth", "conv31.weight", { 32, 64, 3, 3 } },
  { "cd16x/enc4.pth", "conv34.weight", { 64, 64, 3, 3 } },
  { "cd16x/enc4.pth", "conv41.weight", { 128, 64, 3, 3 } },
  { "cd16x/enc4.pth", "conv41_aux.weight", { 512, 128, 1, 1 } },
  { "cd16x/dec4.pth", "conv41.weight", { 64, 128, 3, 3 } },
  { "cd16x/enc5.pth", "conv44.weight", { 128, 128, 3, 3 } },
  { "cd16x/enc5.pth", "conv51.weight", { 128, 128, 3, 3 } },
  { "cd16x/dec5.pth", "conv51.weight", { 128, 128, 3, 3 } },
  { "cd16x/dec5.pth", "conv41.weight", { 64, 128, 3, 3 } },
  { "lst-r31/vgg_r31.pth", "conv1.weight", { 3, 3, 1, 1 } },
  { "lst-r31/vgg_r31.pth", "conv2.weight", { 64, 3, 3, 3 } },
  { "lst-r31/vgg_r31.pth", "conv6.weight", { 256, 128, 3, 3 } },
  { "lst-r31/dec_r31.pth", "conv7.weight", { 128, 256, 3, 3 } },
  { "lst-r31/dec_r31.pth", "conv11.weight", { 3, 64, 3, 3 } },
};

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static ns_weights *
load (const char *rel)
{
  char path[256];
  char *p;
  ns_weights *w = NULL;
  ns_error err = { 0 };

  snprintf (path, sizeof path, "models/%s", rel);
  p = tu_shared_path_or_skip (path);
  if (ns_weights_load_pth (p, &w, &err) != NS_OK)
    {
      tu_failures++;
      fprintf (stderr, "%s\n", err.message);
    }
  free (p);
  return w;
}

int
main (void)
{
  size_t i;
  int rep, lv;
  double best = 1e9;

  for (i = 0; i < sizeof expects / sizeof expects[0]; i++)
    {
      const expect *e = &expects[i];
      ns_weights *w = load (e->file);
      const ns_weight *x = ns_weights_find (w, e->name);
      char bias[64];
      int d;

      if (!x)
        {
          tu_failures++;
          fprintf (stderr, "%s: no %s\n", e->file, e->name);
          ns_weights_free (w);
          continue;
        }
      TU_CHECK (x->ndim == 4);
      for (d = 0; d < 4; d++)
        TU_CHECK (x->shape[d] == e->shape[d]);
      TU_CHECK (x->numel == (size_t) (e->shape[0] * e->shape[1] * e->shape[2] *
                                      e->shape[3]));
      /* Every conv has a bias of cout. */
      snprintf (bias, sizeof bias, "%.*s.bias",
                (int) (strlen (e->name) - strlen (".weight")), e->name);
      x = ns_weights_find (w, bias);
      TU_CHECK (x && x->ndim == 1 && x->shape[0] == e->shape[0]);
      /* The cd16x files wrap the state dict in {"model": ..., "epoch"}. */
      if (strncmp (e->file, "cd16x", 5) == 0)
        TU_CHECK (x && strncmp (x->name, "model.", 6) == 0);
      ns_weights_free (w);
    }

  /* Load time of a whole cd16x model (10 files); best of 5. */
  for (rep = 0; rep < 5; rep++)
    {
      double t0 = now (), t;
      size_t bytes = 0;
      for (lv = 1; lv <= 5; lv++)
        {
          char rel[32];
          ns_weights *w;
          int k;
          snprintf (rel, sizeof rel, "cd16x/enc%d.pth", lv);
          w = load (rel);
          for (k = 0; k < ns_weights_count (w); k++)
            bytes += ns_weights_get (w, k)->numel * 4;
          ns_weights_free (w);
          snprintf (rel, sizeof rel, "cd16x/dec%d.pth", lv);
          w = load (rel);
          for (k = 0; k < ns_weights_count (w); k++)
            bytes += ns_weights_get (w, k)->numel * 4;
          ns_weights_free (w);
        }
      t = now () - t0;
      if (t < best)
        best = t;
      if (rep == 0)
        printf ("cd16x: 10 files, %.1f MiB of float32 weights\n",
                (double) bytes / 1048576.0);
    }
  printf ("cd16x: loading all 10 files takes %.2f ms (best of 5)\n",
          best * 1e3);
  TU_CHECK (best < 2.0); /* milliseconds expected; seconds means a bug */
  return tu_finish ("test-pth-models");
}
