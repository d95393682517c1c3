/* ns_stylize end to end on models with random weights (written by
 * random_models.py, which runs this test): every method, Gatys included,
 * through the one entry point, with masks, two styles, colour
 * preservation, max-size, strength, cancellation and the memory check.
 *   test-stylize-random CD16X_DIR LST_R31_DIR */
#include "stylize.h"
#include "test-images.h"
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ns_model *cd16x, *lst;

static void
make_image (ns_image *img, int w, int h, uint64_t seed)
{
  ns_image_alloc (img, w, h, NULL);
  tu_smooth_image (img->data, w, h, 0.05f, 0.3f, 0.02f, &seed);
}

/* Size, finite, in [0,1]. */
static bool
valid (const ns_image *img, int w, int h)
{
  if (img->width != w || img->height != h)
    return false;
  for (size_t i = 0; i < (size_t) 3 * w * h; i++)
    if (!(img->data[i] >= 0.0f && img->data[i] <= 1.0f))
      return false;
  return true;
}

static ns_params
params_for (ns_method m)
{
  ns_params p = ns_params_default ();
  p.method = m;
  p.style_size = 0;
  p.n_threads = 2;
  p.seed = 7;
  p.gatys.iterations = 3;
  p.gatys.scales = 1;
  p.gatys.init = NS_INIT_CONTENT;
  return p;
}

/* Fraction of pixels whose chroma is the content's within 1e-4. */
static double
chroma_kept (const ns_image *o, const ns_image *c)
{
  size_t n = (size_t) o->width * o->height, keep = 0;
  for (size_t i = 0; i < n; i++)
    {
      float y, u, v, yc, uc, vc;
      ns_rgb_to_ycbcr (o->data[i], o->data[n + i], o->data[2 * n + i], &y, &u,
                       &v);
      ns_rgb_to_ycbcr (c->data[i], c->data[n + i], c->data[2 * n + i], &yc, &uc,
                       &vc);
      if (fabsf (u - uc) < 1e-4f && fabsf (v - vc) < 1e-4f)
        keep++;
    }
  return (double) keep / n;
}

/* --------------------------------------------------- every method */

static void
test_method (ns_model *model, ns_method m)
{
  const char *name = ns_method_name (m);
  const bool gatys = m == NS_METHOD_GATYS;
  const int w = 64, h = 48;
  ns_context *ctx;
  ns_image c, s1, s2, a = { 0 }, b = { 0 }, r = { 0 }, z = { 0 };
  ns_mask m0, m1;
  ns_style one[1], two[2];
  ns_params p = params_for (m);
  double d_style, d_half, d_full;

  make_image (&c, w, h, 1);
  make_image (&s1, 40, 52, 2);
  make_image (&s2, 56, 40, 3);
  tu_mask_fill (&m0, w, h, 0.0f);
  tu_mask_fill (&m1, w, h, 1.0f);
  ns_context_new (model, &ctx, NULL);
  one[0] = (ns_style){ &s1, 1.0f };
  two[0] = one[0];
  two[1] = (ns_style){ &s2, 1.0f };

  /* Basic properties; a different style gives a different image. */
  TU_CHECK (tu_stylize (ctx, &p, &c, one, 1, NULL, &a) == NS_OK);
  TU_CHECK (valid (&a, w, h));
  TU_CHECK (tu_stylize (ctx, &p, &c, two + 1, 1, NULL, &b) == NS_OK);
  TU_CHECK (valid (&b, w, h));
  d_style = tu_image_maxdiff (&a, &b);
  TU_CHECK (d_style > 1e-3);

  /* Strength: 0 is the content through the method without style; the
   * result moves monotonically towards full strength. */
  p.strength = 0.0f;
  TU_CHECK (tu_stylize (ctx, &p, &c, one, 1, NULL, &z) == NS_OK);
  p.strength = 0.5f;
  TU_CHECK (tu_stylize (ctx, &p, &c, one, 1, NULL, &r) == NS_OK);
  d_half = tu_image_meandiff (&r, &z);
  d_full = tu_image_meandiff (&a, &z);
  printf ("%s %s: style change %.3g, strength 0.5 / 1 from 0 (mean): %.3g "
          "/ %.3g\n",
          ns_model_kind_name (ns_model_get_kind (model)), name, d_style, d_half,
          d_full);
  TU_CHECK (d_half > 1e-4 && d_full > d_half);
  if (gatys)
    {
      /* No style loss, started from the content: the content stays (up
       * to the small TV smoothing of 3 iterations). */
      double dc = tu_image_maxdiff (&z, &c);
      printf ("%s: strength 0 vs content max diff %.3g\n", name, dc);
      TU_CHECK (dc < 0.05);
    }
  p.strength = 1.0f;

  /* One style and a mask: mask 1 is no mask; mask 0 is the content
   * (Gatys: blended on pixels) or strength 0 (feed-forward: identity
   * features). */
  TU_CHECK (tu_stylize (ctx, &p, &c, one, 1, &m1, &r) == NS_OK);
  TU_CHECK (tu_image_maxdiff (&r, &a) <= 1e-6);
  TU_CHECK (tu_stylize (ctx, &p, &c, one, 1, &m0, &r) == NS_OK);
  TU_CHECK (tu_image_maxdiff (&r, gatys ? &c : &z) <= 1e-6);

  /* Two styles and a mask: all ones is style 0 alone (Gatys: as close as
   * its masked Gram losses allow); the mask replaces the weights. */
  two[1].weight = 3.0f;
  TU_CHECK (tu_stylize (ctx, &p, &c, two, 2, &m1, &r) == NS_OK);
  printf ("%s: two styles, mask 1 vs style 0 alone %.3g\n", name,
          tu_image_maxdiff (&r, &a));
  TU_CHECK (tu_image_maxdiff (&r, &a) <= (gatys ? 1e-4 : 1e-6));
  if (!gatys)
    {
      TU_CHECK (tu_stylize (ctx, &p, &c, two, 2, &m0, &r) == NS_OK);
      TU_CHECK (tu_image_maxdiff (&r, &b) <= 1e-6);
    }
  /* Two styles without a mask: a mix, unlike either. */
  TU_CHECK (tu_stylize (ctx, &p, &c, two, 2, NULL, &r) == NS_OK);
  TU_CHECK (valid (&r, w, h));
  TU_CHECK (tu_image_maxdiff (&r, &a) > 1e-4 &&
            tu_image_maxdiff (&r, &b) > 1e-4);
  two[1].weight = 1.0f;

  /* Colour preservation is the luminance transfer of the result, and
   * keeps the content's chroma wherever that stays in gamut. */
  p.preserve_colors = true;
  TU_CHECK (tu_stylize (ctx, &p, &c, one, 1, NULL, &r) == NS_OK);
  ns_luminance_transfer (&a, &c);
  printf ("%s: preserve colours, %.1f%% of pixels keep the chroma\n", name,
          100.0 * chroma_kept (&r, &c));
  TU_CHECK (valid (&r, w, h) && tu_image_maxdiff (&r, &a) == 0.0);
  TU_CHECK (chroma_kept (&r, &c) > 0.5);
  p.preserve_colors = false;

  ns_context_free (ctx);
  ns_image_free (&c), ns_image_free (&s1), ns_image_free (&s2);
  ns_image_free (&a), ns_image_free (&b), ns_image_free (&r);
  ns_image_free (&z);
  ns_mask_free (&m0), ns_mask_free (&m1);
}

/* --------------------------------------------------------- max-size */

/* max_size is the same as stylizing a downscaled copy, then resizing back
 * and clamping, for every method. */
static void
test_max_size (ns_method m)
{
  ns_context *ctx;
  ns_image c, s, small = { 0 }, o = { 0 }, ref = { 0 }, big = { 0 };
  ns_mask mask, msmall = { 0 };
  ns_style st;
  ns_params p = params_for (m);
  double d;

  make_image (&c, 96, 64, 4);
  make_image (&s, 48, 48, 5);
  tu_mask_fill (&mask, 96, 64, 1.0f);
  for (int y = 0; y < 64; y++)
    for (int x = 0; x < 40; x++)
      mask.data[y * 96 + x] = 0.25f;
  st = (ns_style){ &s, 1.0f };
  ns_context_new (cd16x, &ctx, NULL);
  p.max_size = 48;
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &o) == NS_OK);
  TU_CHECK (valid (&o, 96, 64));
  p.max_size = 0;
  ns_image_resize (&c, 48, 32, &small, NULL);
  TU_CHECK (tu_stylize (ctx, &p, &small, &st, 1, NULL, &ref) == NS_OK);
  ns_image_resize (&ref, 96, 64, &big, NULL);
  for (size_t i = 0; i < (size_t) 3 * 96 * 64; i++)
    big.data[i] = fminf (fmaxf (big.data[i], 0.0f), 1.0f);
  d = tu_image_maxdiff (&o, &big);
  printf ("%s max-size: vs a downscaled run %.3g\n", ns_method_name (m), d);
  TU_CHECK (d <= 1e-6);

  /* With a mask: the feed-forward methods use it at the working size
   * (the same as a downscaled mask); Gatys blends at the full size. */
  p.max_size = 48;
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, &mask, &o) == NS_OK);
  TU_CHECK (valid (&o, 96, 64));
  if (m != NS_METHOD_GATYS)
    {
      ns_mask_resize (&mask, 48, 32, &msmall, NULL);
      p.max_size = 0;
      ns_image_free (&ref);
      TU_CHECK (tu_stylize (ctx, &p, &small, &st, 1, &msmall, &ref) == NS_OK);
      ns_image_free (&big);
      ns_image_resize (&ref, 96, 64, &big, NULL);
      for (size_t i = 0; i < (size_t) 3 * 96 * 64; i++)
        big.data[i] = fminf (fmaxf (big.data[i], 0.0f), 1.0f);
      TU_CHECK (tu_image_maxdiff (&o, &big) <= 1e-6);
      ns_mask_free (&msmall);
    }
  else
    {
      /* Where the mask is 0.25, a quarter of the unmasked result. */
      ns_image full = { 0 };
      size_t n = (size_t) 96 * 64;
      double worst = 0.0;
      TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &full) == NS_OK);
      for (int ch = 0; ch < 3; ch++)
        for (int y = 0; y < 64; y++)
          for (int x = 0; x < 96; x++)
            {
              size_t k = ch * n + (size_t) y * 96 + x;
              float mv = mask.data[y * 96 + x];
              double e = mv * full.data[k] + (1.0f - mv) * c.data[k];
              worst = fmax (worst, fabs (o.data[k] - e));
            }
      TU_CHECK (worst <= 1e-6);
      ns_image_free (&full);
    }

  ns_context_free (ctx);
  ns_image_free (&c), ns_image_free (&s), ns_image_free (&small);
  ns_image_free (&o), ns_image_free (&ref), ns_image_free (&big);
  ns_mask_free (&mask);
}

/* ------------------------------------------------------ cancellation */

typedef struct
{
  int calls, cancel_at, after;
  bool cancelled;
} cancel_log;

static bool
on_progress (float f, const char *stage, void *data)
{
  cancel_log *l = data;
  (void) f;
  (void) stage;
  if (l->cancelled)
    l->after++;
  l->calls++;
  if (l->cancel_at > 0 && l->calls >= l->cancel_at)
    l->cancelled = true;
  return !l->cancelled;
}

static void
test_cancel (ns_method m)
{
  ns_context *ctx;
  ns_image c, s, o = { 0 }, ref = { 0 };
  ns_style st;
  ns_params p = params_for (m);
  cancel_log log = { 0 };
  ns_error err;
  int total;

  make_image (&c, 64, 64, 6);
  make_image (&s, 48, 48, 7);
  ns_image_alloc (&o, 64, 64, NULL);
  st = (ns_style){ &s, 1.0f };
  ns_context_new (cd16x, &ctx, NULL);
  p.progress = on_progress;
  p.progress_user_data = &log;
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &ref) == NS_OK);
  total = log.calls;
  TU_CHECK (total > 3);
  for (int i = 0; i < 3; i++)
    {
      int at[3] = { 1, total / 2, total - 1 };
      ns_context *cx;
      ns_context_new (cd16x, &cx, NULL);
      memset (&log, 0, sizeof log);
      log.cancel_at = at[i] > 0 ? at[i] : 1;
      memset (&err, 0, sizeof err);
      TU_CHECK (ns_stylize (cx, &p, &c, &st, 1, NULL, &o, &err) ==
                NS_ERR_CANCELLED);
      TU_CHECK (err.status == NS_ERR_CANCELLED);
      TU_CHECK (log.after == 0);
      /* OUT holds the best result so far, or the content. */
      TU_CHECK (valid (&o, 64, 64));
      /* The context still works and gives the same result. */
      p.progress = NULL;
      TU_CHECK (ns_stylize (cx, &p, &c, &st, 1, NULL, &o, &err) == NS_OK);
      TU_CHECK (tu_image_maxdiff (&o, &ref) == 0.0);
      p.progress = on_progress;
      ns_context_free (cx);
    }
  printf ("%s: cancelled at 3 points of %d progress calls\n",
          ns_method_name (m), total);
  ns_context_free (ctx);
  ns_image_free (&c), ns_image_free (&s), ns_image_free (&o);
  ns_image_free (&ref);
}

/* ------------------------------------------------------ small images */

/* Mean over channels of the spatial standard deviation. */
static double
spread (const ns_image *img)
{
  size_t n = (size_t) img->width * img->height;
  double acc = 0.0;
  for (int c = 0; c < 3; c++)
    {
      const float *x = img->data + (size_t) c * n;
      double m = 0.0, v = 0.0;
      for (size_t i = 0; i < n; i++)
        m += x[i];
      m /= n;
      for (size_t i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
      acc += sqrt (v / n);
    }
  return acc / 3.0;
}

/* At the deep levels a small image has 1x1 features (or fewer pixels than
 * the statistics need): the cascades once decoded a constant there, and
 * the image stayed one flat colour through every later level.  The result
 * must keep a good part of the content's structure, and differ from it. */
static void
test_small (ns_model *model, const char *mname, ns_method m)
{
  static const int sizes[][2] = {
    { 16, 16 }, { 20, 17 }, { 16, 57 }, { 33, 16 }
  };
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
    {
      int w = sizes[k][0], h = sizes[k][1];
      ns_context *ctx;
      ns_image c, s, o = { 0 };
      ns_style st;
      ns_params p = params_for (m);
      double sc, so;

      make_image (&c, w, h, 40 + k);
      make_image (&s, 16, 16, 50 + k);
      st = (ns_style){ &s, 1.0f };
      ns_context_new (model, &ctx, NULL);
      TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &o) == NS_OK);
      TU_CHECK (valid (&o, w, h));
      sc = spread (&c);
      so = spread (&o);
      printf ("%s %s %dx%d (16x16 style): spread %.4f (content %.4f), "
              "mean change %.4f\n",
              mname, ns_method_name (m), w, h, so, sc,
              tu_image_meandiff (&o, &c));
      TU_CHECK (so > 0.1 * sc);
      TU_CHECK (tu_image_meandiff (&o, &c) > 1e-3);
      ns_context_free (ctx);
      ns_image_free (&c), ns_image_free (&s), ns_image_free (&o);
    }
}

/* ------------------------------------------------ non-finite results */

/* Decoders whose last convolution overflows float (finite weights of
 * FLT_MAX: the loader accepts them) give infinite pixels, which clamping
 * once turned into a white (NaN: black) image reported as success.  Now
 * an error, and the output is left as it was. */
static void
test_non_finite (ns_method m)
{
  ns_context *ctx;
  ns_image c, s, o = { 0 };
  ns_style st;
  ns_params p = params_for (m);
  ns_error err = { 0 };
  float *saved[5] = { NULL };
  size_t nsaved[5] = { 0 };
  bool untouched = true;

  for (int i = 0; i < cd16x->n_levels; i++)
    {
      ns_net *d = &cd16x->dec[i];
      ns_conv *cv = &d->layers[d->n_layers - 1].conv;
      size_t n = (size_t) cv->cout * cv->cin * cv->k * cv->k;
      float *wt = (float *) cv->weight;
      saved[i] = malloc (n * sizeof (float));
      memcpy (saved[i], wt, n * sizeof (float));
      nsaved[i] = n;
      for (size_t j = 0; j < n; j++)
        wt[j] = FLT_MAX;
    }
  make_image (&c, 40, 32, 60);
  make_image (&s, 32, 32, 61);
  ns_image_alloc (&o, 40, 32, NULL);
  for (size_t i = 0; i < (size_t) 3 * 40 * 32; i++)
    o.data[i] = 0.25f;
  st = (ns_style){ &s, 1.0f };
  ns_context_new (cd16x, &ctx, NULL);
  TU_CHECK (ns_stylize (ctx, &p, &c, &st, 1, NULL, &o, &err) ==
            NS_ERR_INTERNAL);
  TU_CHECK (strstr (err.message, "NaN or infinite") != NULL);
  TU_CHECK (strstr (err.message, ns_method_name (m)) != NULL);
  for (size_t i = 0; i < (size_t) 3 * 40 * 32; i++)
    if (o.data[i] != 0.25f)
      untouched = false;
  TU_CHECK (untouched);
  printf ("%s, overflowing decoder: %s\n", ns_method_name (m), err.message);
  for (int i = 0; i < cd16x->n_levels; i++)
    {
      ns_conv *cv = &cd16x->dec[i].layers[cd16x->dec[i].n_layers - 1].conv;
      memcpy ((float *) cv->weight, saved[i], nsaved[i] * sizeof (float));
      free (saved[i]);
    }
  /* The context still works with the weights restored. */
  TU_CHECK (ns_stylize (ctx, &p, &c, &st, 1, NULL, &o, &err) == NS_OK);
  TU_CHECK (valid (&o, 40, 32));
  ns_context_free (ctx);
  ns_image_free (&c), ns_image_free (&s), ns_image_free (&o);
}

/* Messages number styles from 1, as users (and nstyle's --style
 * options) count them. */
static void
test_style_numbers (void)
{
  ns_context *ctx;
  ns_image c, s, bad, o = { 0 };
  ns_style st[2];
  ns_params p = params_for (NS_METHOD_ADAIN);
  ns_error err = { 0 };

  make_image (&c, 32, 32, 70);
  make_image (&s, 32, 32, 71);
  make_image (&bad, 32, 32, 72);
  bad.data[5] = NAN;
  ns_image_alloc (&o, 32, 32, NULL);
  ns_context_new (cd16x, &ctx, NULL);
  st[0] = (ns_style){ &bad, 1.0f };
  st[1] = (ns_style){ &s, 1.0f };
  TU_CHECK (ns_stylize (ctx, &p, &c, st, 2, NULL, &o, &err) ==
            NS_ERR_INVALID_ARG);
  TU_CHECK (strstr (err.message, "style 1 has NaN") != NULL);
  printf ("first style bad: %s\n", err.message);
  st[0] = (ns_style){ &s, 1.0f };
  st[1] = (ns_style){ &s, -1.0f };
  TU_CHECK (ns_stylize (ctx, &p, &c, st, 2, NULL, &o, &err) ==
            NS_ERR_INVALID_ARG);
  TU_CHECK (strstr (err.message, "style 2: weight") != NULL);
  printf ("second style bad: %s\n", err.message);
  ns_context_free (ctx);
  ns_image_free (&c), ns_image_free (&s), ns_image_free (&bad);
  ns_image_free (&o);
}

/* ------------------------------------------- cache, memory, arguments */

static void
test_cache_memory_args (void)
{
  ns_context *ctx;
  ns_image c, s, o = { 0 };
  ns_mask mask;
  ns_style st, three[3];
  ns_params p = params_for (NS_METHOD_CASCADE_ADAIN);
  ns_context_counters k;
  ns_error err;

  make_image (&c, 64, 48, 8);
  make_image (&s, 48, 48, 9);
  ns_image_alloc (&o, 64, 48, NULL);
  tu_mask_fill (&mask, 64, 48, 0.5f);
  st = (ns_style){ &s, 1.0f };
  ns_context_new (cd16x, &ctx, NULL);

  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &o) == NS_OK);
  ns_context_get_counters (ctx, &k);
  TU_CHECK (k.style_encodes == 5 && k.content_encodes == 5 && k.decodes == 5);
  p.strength = 0.5f;
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &o) == NS_OK);
  ns_context_get_counters (ctx, &k);
  TU_CHECK (k.style_encodes == 0 && k.content_encodes == 4);
  /* Gatys leaves the feed-forward cache alone. */
  p.method = NS_METHOD_GATYS;
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &o) == NS_OK);
  p.method = NS_METHOD_CASCADE_ADAIN;
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &o) == NS_OK);
  ns_context_get_counters (ctx, &k);
  TU_CHECK (k.style_encodes == 0 && k.content_encodes == 4);

  /* Refused before allocating, with advice; max-size makes it fit. */
  setenv ("NS_MEMORY_LIMIT_MB", "1", 1);
  for (int m = 0; m <= NS_METHOD_GATYS; m++)
    {
      ns_image big = { 0 }, bo = { 0 };
      make_image (&big, 512, 384, 10);
      ns_image_alloc (&bo, 512, 384, NULL);
      p = params_for ((ns_method) m);
      memset (&err, 0, sizeof err);
      TU_CHECK (ns_stylize (ctx, &p, &big, &st, 1, NULL, &bo, &err) ==
                NS_ERR_NOMEM);
      TU_CHECK (strstr (err.message, "max-size") != NULL);
      p.max_size = 64;
      setenv ("NS_MEMORY_LIMIT_MB", "64", 1);
      TU_CHECK (ns_stylize (ctx, &p, &big, &st, 1, NULL, &bo, &err) == NS_OK);
      TU_CHECK (valid (&bo, 512, 384));
      setenv ("NS_MEMORY_LIMIT_MB", "1", 1);
      ns_image_free (&big), ns_image_free (&bo);
    }
  unsetenv ("NS_MEMORY_LIMIT_MB");

  /* Gatys arguments are checked at the entry, as the others. */
  p = params_for (NS_METHOD_GATYS);
  p.gatys.iterations = -1;
  TU_CHECK (ns_stylize (ctx, &p, &c, &st, 1, NULL, &o, &err) ==
            NS_ERR_INVALID_ARG);
  p = params_for (NS_METHOD_GATYS);
  p.gatys.init = NS_INIT_IMAGE;
  TU_CHECK (ns_stylize (ctx, &p, &c, &st, 1, NULL, &o, &err) ==
            NS_ERR_INVALID_ARG);
  p = params_for (NS_METHOD_GATYS);
  three[0] = three[1] = three[2] = st;
  TU_CHECK (ns_stylize (ctx, &p, &c, three, 3, &mask, &o, &err) ==
            NS_ERR_INVALID_ARG);
  TU_CHECK (strstr (err.message, "mask") != NULL);

  ns_context_free (ctx);
  ns_image_free (&c), ns_image_free (&s), ns_image_free (&o);
  ns_mask_free (&mask);
}

int
main (int argc, char **argv)
{
  ns_error err;

  if (argc != 3)
    {
      fprintf (stderr,
               "usage: %s CD16X_DIR LST_R31_DIR (run by "
               "random_models.py)\n",
               argv[0]);
      return 2;
    }
  if (ns_model_load (argv[1], NS_MODEL_CD16X, &cd16x, &err) != NS_OK ||
      ns_model_load (argv[2], NS_MODEL_LST_R31, &lst, &err) != NS_OK)
    {
      fprintf (stderr, "model load failed: %s\n", err.message);
      return 1;
    }
  for (int m = 0; m <= NS_METHOD_GATYS; m++)
    test_method (cd16x, (ns_method) m);
  test_method (lst, NS_METHOD_ADAIN);
  test_method (lst, NS_METHOD_WCT);
  test_method (lst, NS_METHOD_GATYS);
  for (int m = 0; m <= NS_METHOD_GATYS; m++)
    test_max_size ((ns_method) m);
  test_cancel (NS_METHOD_WCT);
  test_cancel (NS_METHOD_GATYS);
  for (int m = 0; m < NS_METHOD_GATYS; m++)
    test_small (cd16x, "cd16x", (ns_method) m);
  test_small (lst, "lst-r31", NS_METHOD_ADAIN);
  test_small (lst, "lst-r31", NS_METHOD_WCT);
  for (int m = 0; m < NS_METHOD_GATYS; m++)
    test_non_finite ((ns_method) m);
  test_style_numbers ();
  test_cache_memory_args ();
  ns_model_free (cd16x);
  ns_model_free (lst);
  return tu_finish ("stylize-random");
}
