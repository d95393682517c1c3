/* Fast styles in the engine: the loader's errors on damaged copies of the
 * real files (truncated, extra bytes, bad magic, unknown layer, hostile
 * counts, dangling blob, NaN weight), the list of installed styles, and
 * ns_stylize with strength 0 (= content), 0.5 (the blend) and a mask, and
 * the method/model mismatch.  Skips (77) without ../shared. */
#include "io/ncnn.h"
#include "ns.h"
#include "stylize.h" /* ns_context_get_counters */
#include "test-images.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *mdir, tmp[] = "/tmp/ns-fast-XXXXXX";

static char *
slurp (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  char *d;
  long n;
  if (!f)
    return NULL;
  fseek (f, 0, SEEK_END);
  n = ftell (f);
  rewind (f);
  d = malloc ((size_t) n + 1);
  if (fread (d, 1, (size_t) n, f) != (size_t) n)
    n = 0;
  fclose (f);
  d[n] = '\0';
  *len = (size_t) n;
  return d;
}

static void
spill (const char *name, const void *d, size_t len)
{
  char path[512];
  FILE *f;
  snprintf (path, sizeof path, "%s/%s", tmp, name);
  f = fopen (path, "wb");
  TU_CHECK (f && fwrite (d, 1, len, f) == len);
  if (f)
    fclose (f);
}

/* Loads style "s" from TMP (PARAM + BIN written there); checks STATUS and
 * that the message contains WANT. */
static void
expect (const char *what, const char *param, size_t plen, const char *bin,
        size_t blen, ns_status status, const char *want)
{
  ns_model *m = NULL;
  ns_error err = { 0 };
  ns_status st;

  spill ("transformer.param", param, plen);
  spill ("s.bin", bin, blen);
  st = ns_model_load_fast (tmp, "s", &m, &err);
  printf ("%-22s -> %d: %s\n", what, st, err.message);
  TU_CHECK (st == status);
  TU_CHECK (strstr (err.message, want) != NULL);
  TU_CHECK ((m != NULL) == (status == NS_OK));
  ns_model_free (m);
}

static char *
replace_once (const char *s, const char *from, const char *to, size_t *len)
{
  const char *p = strstr (s, from);
  char *r = malloc (strlen (s) + strlen (to) + 1);
  size_t a = (size_t) (p - s);
  memcpy (r, s, a);
  strcpy (r + a, to);
  strcat (r, p + strlen (from));
  *len = strlen (r);
  return r;
}

static void
check_errors (void)
{
  char path[512], *param, *bin, *p2;
  size_t plen, blen, l2;
  ns_model *m = NULL;
  ns_error err = { 0 };
  ns_ncnn *net = NULL;

  snprintf (path, sizeof path, "%s/transformer.param", mdir);
  param = slurp (path, &plen);
  snprintf (path, sizeof path, "%s/candy.bin", mdir);
  bin = slurp (path, &blen);
  TU_CHECK (param && bin && blen > 1000);

  expect ("intact copy", param, plen, bin, blen, NS_OK, "");
  expect ("truncated .bin", param, plen, bin, blen - 10, NS_ERR_FORMAT,
          "s.bin");
  {
    char *b2 = malloc (blen + 4);
    memcpy (b2, bin, blen);
    memset (b2 + blen, 0, 4);
    expect ("4 extra bytes", param, plen, b2, blen + 4, NS_ERR_FORMAT,
            "bytes after the last layer");
    /* A NaN weight (fp16 0x7e00) in the first convolution. */
    memcpy (b2, bin, blen);
    b2[8] = 0x00;
    b2[9] = 0x7e;
    expect ("NaN weight", param, plen, b2, blen, NS_ERR_FORMAT, "not finite");
    /* An unknown weight tag. */
    memcpy (b2, bin, blen);
    b2[0] = 0x55;
    expect ("bad weight tag", param, plen, b2, blen, NS_ERR_FORMAT, "tag");
    free (b2);
  }
  p2 = replace_once (param, "7767517", "7767518", &l2);
  expect ("bad magic", p2, l2, bin, blen, NS_ERR_FORMAT, "magic");
  free (p2);
  p2 = replace_once (param, "ReLU    ", "Swish   ", &l2);
  expect ("unknown layer", p2, l2, bin, blen, NS_ERR_FORMAT,
          "unknown layer type 'Swish'");
  free (p2);
  p2 = replace_once (param, "70 75", "4000 8000", &l2);
  expect ("hostile counts", p2, l2, bin, blen, NS_ERR_FORMAT, "cannot fit");
  free (p2);
  p2 = replace_once (param, "70 75", "70 2000000000", &l2);
  expect ("absurd blob count", p2, l2, bin, blen, NS_ERR_FORMAT, "blob count");
  free (p2);
  p2 = replace_once (param, " 65 66", " 99x 66", &l2);
  expect ("dangling blob", p2, l2, bin, blen, NS_ERR_FORMAT,
          "not produced by an earlier layer");
  free (p2);
  p2 = replace_once (param, "0=32 1=9 5=1 6=7776", "0=32 1=9 5=1 6=7777", &l2);
  expect ("bad weight size", p2, l2, bin, blen, NS_ERR_FORMAT,
          "weight_data_size");
  free (p2);
  /* Valid syntax the network cannot run: a leaky ReLU. */
  p2 = replace_once (param, "65 66", "65 66 0=0.1", &l2);
  expect ("leaky ReLU", p2, l2, bin, blen, NS_ERR_UNSUPPORTED, "leaky");
  free (p2);

  /* The per-layer truncation message, from memory (the file loader
     refuses a wrong size before reading). */
  TU_CHECK (ns_ncnn_parse_param (param, plen, "t.param", &net, &err) == NS_OK);
  TU_CHECK (net && net->n_layers == 70 && net->n_blobs == 75);
  TU_CHECK (ns_ncnn_read_bin (net, bin, blen - 10, "t.bin", &err) ==
            NS_ERR_FORMAT);
  printf ("in memory, truncated  -> %s\n", err.message);
  TU_CHECK (strstr (err.message, "output1") != NULL);
  TU_CHECK (ns_ncnn_read_bin (net, bin, blen, "t.bin", &err) == NS_OK);
  ns_ncnn_free (net);

  TU_CHECK (ns_model_load_fast (mdir, "../candy", &m, &err) ==
            NS_ERR_INVALID_ARG);
  TU_CHECK (ns_model_load_fast (mdir, "nosuchstyle", &m, &err) == NS_ERR_IO);
  TU_CHECK (strstr (err.message, "nosuchstyle.bin") != NULL);
  free (param);
  free (bin);
}

static void
check_list (void)
{
  char **l = ns_fast_styles_list (mdir);
  const char *want[] = { "candy", "mosaic", "pointilism", "rain_princess",
                         "udnie" };
  int n = 0;
  TU_CHECK (l != NULL);
  for (; l && l[n]; n++)
    TU_CHECK (n < 5 && strcmp (l[n], want[n]) == 0);
  TU_CHECK (n == 5);
  ns_strv_free (l);
  l = ns_fast_styles_list ("/nonexistent");
  TU_CHECK (l && !l[0]);
  ns_strv_free (l);
}

static void
check_stylize (void)
{
  ns_model *m = NULL;
  ns_context *ctx = NULL;
  ns_error err;
  ns_params p = ns_params_default ();
  ns_image c, full = { 0 }, half = { 0 }, zero = { 0 }, masked = { 0 };
  ns_image moved = { 0 };
  ns_context_counters k;
  ns_mask mask;
  uint64_t seed = 3;
  const int w = 161, h = 117;
  double d;

  TU_CHECK (ns_model_load_fast (mdir, "mosaic", &m, &err) == NS_OK);
  TU_CHECK (ns_model_get_kind (m) == NS_MODEL_FAST);
  TU_CHECK (ns_context_new (m, &ctx, &err) == NS_OK);
  TU_CHECK (ns_image_alloc (&c, w, h, &err) == NS_OK);
  tu_smooth_image (c.data, w, h, 2.0f, 5.0f, 1.0f, &seed);
  p.method = NS_METHOD_FAST;
  p.strength = 1.0f;
  TU_CHECK (tu_stylize (ctx, &p, &c, NULL, 0, NULL, &full) == NS_OK);
  TU_CHECK (full.width == w && full.height == h);
  ns_context_get_counters (ctx, &k);
  TU_CHECK (k.fast_runs == 1);
  /* The network really changes the image. */
  TU_CHECK (tu_image_meandiff (&full, &c) > 0.05);
  p.strength = 0.0f;
  TU_CHECK (tu_stylize (ctx, &p, &c, NULL, 0, NULL, &zero) == NS_OK);
  d = tu_image_maxdiff (&zero, &c);
  printf ("strength 0: max diff to the content %g\n", d);
  TU_CHECK (d < 1e-6);
  p.strength = 0.5f;
  TU_CHECK (tu_stylize (ctx, &p, &c, NULL, 0, NULL, &half) == NS_OK);
  {
    double md = 0;
    for (size_t i = 0; i < (size_t) 3 * w * h; i++)
      {
        double e = 0.5 * full.data[i] + 0.5 * c.data[i] - half.data[i];
        md = e > md ? e : (-e > md ? -e : md);
      }
    printf ("strength 0.5: max diff to the blend %g\n", md);
    TU_CHECK (md < 1e-5);
  }
  /* A strength change reused the network's output (the dialog's slider);
     a changed content runs the network again. */
  ns_context_get_counters (ctx, &k);
  TU_CHECK (k.fast_runs == 0);
  c.data[5] += 0.01f;
  TU_CHECK (tu_stylize (ctx, &p, &c, NULL, 0, NULL, &moved) == NS_OK);
  ns_context_get_counters (ctx, &k);
  TU_CHECK (k.fast_runs == 1);
  c.data[5] -= 0.01f;
  ns_image_free (&moved);
  /* A mask: 1 on the left half, 0 on the right. */
  p.strength = 1.0f;
  tu_mask_fill (&mask, w, h, 0.0f);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w / 2; x++)
      mask.data[y * w + x] = 1.0f;
  TU_CHECK (tu_stylize (ctx, &p, &c, NULL, 0, &mask, &masked) == NS_OK);
  {
    double dl = 0, dr = 0;
    for (int ch = 0; ch < 3; ch++)
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          {
            size_t i = ((size_t) ch * h + y) * w + x;
            double e = x < w / 2 ? masked.data[i] - full.data[i]
                                 : masked.data[i] - c.data[i];
            e = e < 0 ? -e : e;
            if (x < w / 2)
              dl = e > dl ? e : dl;
            else
              dr = e > dr ? e : dr;
          }
    printf ("mask: left vs styled %g, right vs content %g\n", dl, dr);
    TU_CHECK (dl < 1e-5 && dr < 1e-6);
  }
  /* Larger than the design size: the render path (design size, then
     up to the layer's size) runs the fast style too. */
  {
    ns_image big = { 0 };
    p.design_size = 128;
    TU_CHECK (tu_stylize (ctx, &p, &c, NULL, 0, NULL, &big) == NS_OK);
    TU_CHECK (big.width == w && big.height == h);
    d = tu_image_meandiff (&big, &full);
    printf ("design size 128: mean diff to the full-size run %g, the "
            "content's %g\n",
            d, tu_image_meandiff (&c, &full));
    /* Styled (nearer the full-size run than the content is). */
    TU_CHECK (d < tu_image_meandiff (&c, &full));
    ns_image_free (&big);
    p.design_size = ns_params_default ().design_size;
  }
  /* A fast model cannot run another method. */
  p.method = NS_METHOD_ADAIN;
  {
    ns_style s = { &c, 1.0f };
    ns_image o = { 0 };
    TU_CHECK (ns_image_alloc (&o, w, h, &err) == NS_OK);
    TU_CHECK (ns_stylize (ctx, &p, &c, &s, 1, NULL, &o, &err) ==
              NS_ERR_UNSUPPORTED);
    printf ("adain on a fast model -> %s\n", err.message);
    ns_image_free (&o);
  }
  ns_context_free (ctx);
  ns_model_free (m);
  /* Nor a VGG model the fast method. */
  {
    char *cd = tu_shared_path_or_skip ("models/cd16x");
    ns_image o = { 0 };
    TU_CHECK (ns_image_alloc (&o, w, h, &err) == NS_OK);
    TU_CHECK (ns_model_load (cd, NS_MODEL_CD16X, &m, &err) == NS_OK);
    TU_CHECK (ns_context_new (m, &ctx, &err) == NS_OK);
    p.method = NS_METHOD_FAST;
    TU_CHECK (ns_stylize (ctx, &p, &c, NULL, 0, NULL, &o, &err) ==
              NS_ERR_UNSUPPORTED);
    printf ("fast-style on cd16x -> %s\n", err.message);
    ns_image_free (&o);
    ns_context_free (ctx);
    ns_model_free (m);
    free (cd);
  }
  ns_image_free (&c);
  ns_image_free (&full);
  ns_image_free (&half);
  ns_image_free (&zero);
  ns_image_free (&masked);
  free (mask.data);
}

int
main (void)
{
  mdir = tu_shared_path_or_skip ("models/fast-ncnn");
  if (!mkdtemp (tmp))
    return 1;
  check_errors ();
  check_list ();
  check_stylize ();
  {
    char cmd[600];
    snprintf (cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system (cmd) != 0)
      fprintf (stderr, "could not remove %s\n", tmp);
  }
  free (mdir);
  return tu_finish ("test-fast");
}
