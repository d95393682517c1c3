/* ns_stylize with the real models (../shared/models; skipped without
 * them): the context cache, masks and mixing, sizes, colour preservation,
 * progress and cancellation, two contexts on two threads, and the
 * statistics/region API against ns_stylize. */
#include "nn/nn-dnnl.h"
#include "style/style.h"
#include "test-images.h"
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ns_model *cd16x, *lst;

/* A smooth pattern with some texture, different per SEED. */
static void
make_image (ns_image *img, int w, int h, int seed)
{
  uint64_t rng = 99 + (uint64_t) seed;
  size_t n = (size_t) w * h;
  ns_image_alloc (img, w, h, NULL);
  tu_fill_random (img->data, 3 * n, 0.0f, 0.15f, &rng);
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        img->data[c * n + (size_t) y * w + x] +=
            0.4f + 0.3f * sinf ((x * (c + 1 + seed) + y * (2 + seed)) / 9.0f) +
            0.1f * cosf (y / (3.0f + seed));
}

/* ------------------------------------------------------------- cache */

static void
test_cache (void)
{
  ns_context *ctx, *fresh;
  ns_image c, s1, s2, o1 = { 0 }, o2 = { 0 }, o3 = { 0 }, o4 = { 0 };
  ns_style st = { &s1, 1.0f };
  ns_params p = ns_params_default ();
  ns_context_counters k;

  make_image (&c, 64, 48, 0);
  make_image (&s1, 40, 56, 1);
  make_image (&s2, 48, 48, 2);
  ns_context_new (cd16x, &ctx, NULL);
  ns_context_new (cd16x, &fresh, NULL);
  p.style_size = 0;

  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &o1) == NS_OK);
  ns_context_get_counters (ctx, &k);
  TU_CHECK (k.style_encodes == 5 && k.content_encodes == 5 && k.decodes == 5);

  /* Same call: no style encoding, the deepest content encoding reused. */
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &o2) == NS_OK);
  ns_context_get_counters (ctx, &k);
  TU_CHECK (k.style_encodes == 0 && k.content_encodes == 4);
  TU_CHECK (tu_image_maxdiff (&o1, &o2) == 0.0);

  /* Strength only: transform + decode (+ the lower levels). */
  p.strength = 0.5f;
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &o3) == NS_OK);
  ns_context_get_counters (ctx, &k);
  TU_CHECK (k.style_encodes == 0 && k.content_encodes == 4);
  TU_CHECK (tu_stylize (fresh, &p, &c, &st, 1, NULL, &o4) == NS_OK);
  TU_CHECK (tu_image_maxdiff (&o3, &o4) == 0.0);
  TU_CHECK (tu_image_maxdiff (&o1, &o3) > 1e-3);

  /* Method change (WCT): same cached statistics, derived anew. */
  p.method = NS_METHOD_WCT;
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &o3) == NS_OK);
  ns_context_get_counters (ctx, &k);
  TU_CHECK (k.style_encodes == 0 && k.content_encodes == 4);
  TU_CHECK (tu_stylize (fresh, &p, &c, &st, 1, NULL, &o4) == NS_OK);
  TU_CHECK (tu_image_maxdiff (&o3, &o4) == 0.0);

  /* A new style is encoded; a changed content pixel is noticed. */
  st.image = &s2;
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &o3) == NS_OK);
  ns_context_get_counters (ctx, &k);
  TU_CHECK (k.style_encodes == 5 && k.content_encodes == 4);
  c.data[100] += 0.25f;
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &o3) == NS_OK);
  ns_context_get_counters (ctx, &k);
  TU_CHECK (k.style_encodes == 0 && k.content_encodes == 5);
  /* Style size is part of the style key. */
  p.style_size = 32;
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &o3) == NS_OK);
  ns_context_get_counters (ctx, &k);
  TU_CHECK (k.style_encodes == 5);

  ns_context_free (ctx);
  ns_context_free (fresh);
  ns_image_free (&c), ns_image_free (&s1), ns_image_free (&s2);
  ns_image_free (&o1), ns_image_free (&o2), ns_image_free (&o3);
  ns_image_free (&o4);
}

/* ------------------------------------------------------ mask, mixing */

static void
test_mask_mix (ns_method method)
{
  ns_context *ctx;
  ns_image c, s1, s2, a = { 0 }, b = { 0 }, r = { 0 };
  ns_mask m0, m1;
  ns_style two[2], one[1];
  ns_params p = ns_params_default ();
  double d;

  p.method = method;
  p.style_size = 0;
  p.strength = 0.8f;
  make_image (&c, 48, 40, 3);
  make_image (&s1, 32, 32, 4);
  make_image (&s2, 36, 30, 5);
  tu_mask_fill (&m0, 48, 40, 0.0f);
  tu_mask_fill (&m1, 48, 40, 1.0f);
  ns_context_new (cd16x, &ctx, NULL);
  two[0] = (ns_style){ &s1, 1.0f };
  two[1] = (ns_style){ &s2, 3.0f };

  /* Two styles: mask 1 = style 0 alone, mask 0 = style 1 alone. */
  one[0] = two[0];
  TU_CHECK (tu_stylize (ctx, &p, &c, one, 1, NULL, &a) == NS_OK);
  TU_CHECK (tu_stylize (ctx, &p, &c, two, 2, &m1, &r) == NS_OK);
  d = tu_image_maxdiff (&a, &r);
  TU_CHECK (d <= 1e-6);
  one[0] = two[1];
  TU_CHECK (tu_stylize (ctx, &p, &c, one, 1, NULL, &a) == NS_OK);
  TU_CHECK (tu_stylize (ctx, &p, &c, two, 2, &m0, &r) == NS_OK);
  TU_CHECK (tu_image_maxdiff (&a, &r) <= 1e-6);

  /* Weights: (1, 0) is style 0; (1, 3) differs from both. */
  two[1].weight = 0.0f;
  one[0] = two[0];
  TU_CHECK (tu_stylize (ctx, &p, &c, one, 1, NULL, &a) == NS_OK);
  TU_CHECK (tu_stylize (ctx, &p, &c, two, 2, NULL, &r) == NS_OK);
  TU_CHECK (tu_image_maxdiff (&a, &r) <= 1e-6);
  two[1].weight = 3.0f;
  TU_CHECK (tu_stylize (ctx, &p, &c, two, 2, NULL, &r) == NS_OK);
  TU_CHECK (tu_image_maxdiff (&a, &r) > 1e-3);

  /* One style: mask 1 = no mask, mask 0 = strength 0 (content through
   * the autoencoders). */
  TU_CHECK (tu_stylize (ctx, &p, &c, one, 1, &m1, &r) == NS_OK);
  TU_CHECK (tu_image_maxdiff (&a, &r) <= 1e-6);
  TU_CHECK (tu_stylize (ctx, &p, &c, one, 1, &m0, &r) == NS_OK);
  p.strength = 0.0f;
  TU_CHECK (tu_stylize (ctx, &p, &c, one, 1, NULL, &b) == NS_OK);
  TU_CHECK (tu_image_maxdiff (&b, &r) <= 1e-6);
  TU_CHECK (tu_image_maxdiff (&a, &b) > 1e-3);

  /* A half mask gives something in between, closer to each side. */
  {
    ns_mask mh;
    tu_mask_fill (&mh, 48, 40, 0.0f);
    for (int y = 0; y < 40; y++)
      for (int x = 24; x < 48; x++)
        mh.data[y * 48 + x] = 1.0f;
    p.strength = 0.8f;
    TU_CHECK (tu_stylize (ctx, &p, &c, one, 1, &mh, &r) == NS_OK);
    /* Left (mask 0) stays near B (no style); right (mask 1) is styled:
     * far from B, and for single-level AdaIN near A.  (In a cascade the
     * lower levels see a half-styled image, so the right half is styled
     * differently from A.) */
    double dlb = 0, dla = 0, drb = 0, dra = 0, lab = 0, rab = 0;
    for (int ch = 0; ch < 3; ch++)
      for (int y = 0; y < 40; y++)
        for (int x = 0; x < 8; x++)
          {
            size_t kl = ch * 1920 + y * 48 + x, kr = kl + 40;
            dlb += fabs (r.data[kl] - b.data[kl]);
            dla += fabs (r.data[kl] - a.data[kl]);
            drb += fabs (r.data[kr] - b.data[kr]);
            dra += fabs (r.data[kr] - a.data[kr]);
            lab += fabs (a.data[kl] - b.data[kl]);
            rab += fabs (a.data[kr] - b.data[kr]);
          }
    printf ("half mask (%s): left |r-content| %.2f |r-styled| %.2f; right "
            "|r-content| %.2f |r-styled| %.2f; |styled-content| %.2f / "
            "%.2f\n",
            ns_method_name (method), dlb, dla, drb, dra, lab, rab);
    TU_CHECK (dlb < 0.3 * lab);
    TU_CHECK (drb > 0.5 * rab);
    if (method == NS_METHOD_ADAIN)
      TU_CHECK (dra < 0.3 * rab);
    ns_mask_free (&mh);
  }

  ns_context_free (ctx);
  ns_image_free (&c), ns_image_free (&s1), ns_image_free (&s2);
  ns_mask_free (&m0), ns_mask_free (&m1);
  ns_image_free (&a), ns_image_free (&b), ns_image_free (&r);
}

/* ------------------------------------------------------------- sizes */

static void
test_sizes (void)
{
  ns_context *ctx;
  ns_image c, s, small, big = { 0 }, o = { 0 }, ref = { 0 }, tmp = { 0 };
  ns_image s32 = { 0 }, o16 = { 0 };
  ns_style st;
  ns_params p = ns_params_default ();

  ns_context_new (cd16x, &ctx, NULL);
  make_image (&s, 64, 64, 6);
  st = (ns_style){ &s, 1.0f };
  p.style_size = 0;

  /* The smallest accepted content, odd sizes, each method. */
  make_image (&small, 16, 16, 7);
  for (int m = 0; m < 3; m++)
    {
      p.method = (ns_method) m;
      TU_CHECK (tu_stylize (ctx, &p, &small, &st, 1, NULL, &o16) == NS_OK);
    }
  make_image (&c, 37, 23, 8);
  for (int m = 0; m < 3; m++)
    {
      p.method = (ns_method) m;
      TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &o) == NS_OK);
      for (size_t i = 0; i < (size_t) 3 * 37 * 23; i++)
        TU_CHECK (o.data[i] >= 0.0f && o.data[i] <= 1.0f);
    }
  ns_image_free (&o);
  ns_image_free (&c);

  /* max_size: the same as stylizing a downscaled copy and upsampling. */
  p.method = NS_METHOD_CASCADE_ADAIN;
  make_image (&c, 96, 64, 9);
  p.max_size = 48;
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &o) == NS_OK);
  p.max_size = 0;
  ns_image_resize (&c, 48, 32, &tmp, NULL);
  TU_CHECK (tu_stylize (ctx, &p, &tmp, &st, 1, NULL, &ref) == NS_OK);
  ns_image_resize (&ref, 96, 64, &big, NULL);
  for (size_t i = 0; i < (size_t) 3 * 96 * 64; i++)
    big.data[i] = fminf (fmaxf (big.data[i], 0.0f), 1.0f);
  TU_CHECK (tu_image_maxdiff (&o, &big) <= 1e-6);
  ns_image_free (&ref);

  /* style_size: the same as handing over a pre-resized style. */
  ns_image_free (&o16);
  p.style_size = 32;
  TU_CHECK (tu_stylize (ctx, &p, &tmp, &st, 1, NULL, &o16) == NS_OK);
  ns_image_resize (&s, 32, 32, &s32, NULL);
  st.image = &s32;
  p.style_size = 0;
  {
    ns_image r2 = { 0 };
    TU_CHECK (tu_stylize (ctx, &p, &tmp, &st, 1, NULL, &r2) == NS_OK);
    TU_CHECK (tu_image_maxdiff (&o16, &r2) <= 1e-6);
    ns_image_free (&r2);
  }

  /* Colour preservation keeps the content's chroma. */
  {
    ns_image pc = { 0 };
    int keep = 0;
    size_t n = (size_t) 48 * 32;
    p.preserve_colors = true;
    TU_CHECK (tu_stylize (ctx, &p, &tmp, &st, 1, NULL, &pc) == NS_OK);
    for (size_t i = 0; i < n; i++)
      {
        float y, u, v, yc, uc, vc;
        ns_rgb_to_ycbcr (pc.data[i], pc.data[n + i], pc.data[2 * n + i], &y, &u,
                         &v);
        ns_rgb_to_ycbcr (tmp.data[i], tmp.data[n + i], tmp.data[2 * n + i], &yc,
                         &uc, &vc);
        if (fabsf (u - uc) < 1e-4f && fabsf (v - vc) < 1e-4f)
          keep++;
      }
    printf ("preserve colours: %d/%zu pixels keep the content chroma "
            "within 1e-4\n",
            keep, n);
    TU_CHECK (keep > (int) (n * 9 / 10));
    ns_image_free (&pc);
  }

  ns_context_free (ctx);
  ns_image_free (&c), ns_image_free (&s), ns_image_free (&small);
  ns_image_free (&big), ns_image_free (&o), ns_image_free (&tmp);
  ns_image_free (&s32), ns_image_free (&o16);
}

/* ------------------------------------------- progress, cancellation */

typedef struct
{
  int calls;
  int cancel_at;    /* return false on this call (0: never) */
  int after_cancel; /* calls after returning false */
  bool cancelled;
  float last;
  bool monotonic;
  bool saw_style, saw_decode;
} progress_log;

static bool
on_progress (float f, const char *stage, void *data)
{
  progress_log *l = data;
  if (l->cancelled)
    l->after_cancel++;
  l->calls++;
  if (f < l->last - 1e-6f || f < 0.0f || f > 1.0f)
    l->monotonic = false;
  l->last = f;
  if (stage && strcmp (stage, "encoding style") == 0)
    l->saw_style = true;
  if (stage && strcmp (stage, "decoding") == 0)
    l->saw_decode = true;
  if (l->cancel_at > 0 && l->calls >= l->cancel_at)
    {
      l->cancelled = true;
      return false;
    }
  return true;
}

static void
test_progress_cancel (void)
{
  ns_context *ctx;
  ns_image c, s, o = { 0 }, ref = { 0 };
  ns_style st;
  ns_params p = ns_params_default ();
  progress_log log = { 0 };
  ns_error err;
  int total_calls;

  make_image (&c, 64, 64, 10);
  make_image (&s, 64, 64, 11);
  ns_image_alloc (&o, 64, 64, NULL);
  st = (ns_style){ &s, 1.0f };
  p.style_size = 0;
  p.method = NS_METHOD_WCT;
  ns_context_new (cd16x, &ctx, NULL);
  p.progress = on_progress;
  p.progress_user_data = &log;
  log.monotonic = true;
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &ref) == NS_OK);
  total_calls = log.calls;
  printf ("progress: %d calls, last fraction %.3f\n", log.calls,
          (double) log.last);
  TU_CHECK (log.monotonic);
  TU_CHECK (log.last > 0.95f);
  TU_CHECK (log.saw_style && log.saw_decode);
  TU_CHECK (total_calls > 10);

  /* The same call on a warm context reports fewer steps. */
  memset (&log, 0, sizeof log);
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &o) == NS_OK);
  int warm_calls = log.calls;
  printf ("progress: %d calls on a warm context\n", warm_calls);
  TU_CHECK (warm_calls < total_calls);

  /* Cancel at various points, on fresh and on warm contexts. */
  for (int i = 0; i < 3; i++)
    for (int warm = 0; warm < 2; warm++)
      {
        int n = warm ? warm_calls : total_calls;
        int points[] = { 1, n / 3, n - 1 };
        ns_context *cx;
        ns_context_new (cd16x, &cx, NULL);
        if (warm)
          {
            p.progress = NULL;
            TU_CHECK (ns_stylize (cx, &p, &c, &st, 1, NULL, &o, &err) == NS_OK);
            p.progress = on_progress;
          }
        memset (&log, 0, sizeof log);
        log.monotonic = true;
        log.cancel_at = points[i] > 0 ? points[i] : 1;
        memset (&err, 0, sizeof err);
        TU_CHECK (ns_stylize (cx, &p, &c, &st, 1, NULL, &o, &err) ==
                  NS_ERR_CANCELLED);
        TU_CHECK (err.status == NS_ERR_CANCELLED);
        /* Prompt: no further progress once cancelled. */
        TU_CHECK (log.after_cancel == 0);
        /* The context still works and gives the same result. */
        p.progress = NULL;
        TU_CHECK (ns_stylize (cx, &p, &c, &st, 1, NULL, &o, &err) == NS_OK);
        TU_CHECK (tu_image_maxdiff (&o, &ref) == 0.0);
        p.progress = on_progress;
        ns_context_free (cx);
      }

  ns_context_free (ctx);
  ns_image_free (&c), ns_image_free (&s), ns_image_free (&o);
  ns_image_free (&ref);
}

/* ----------------------------------------------------------- threads */

typedef struct
{
  const ns_image *c, *s;
  ns_method method;
  ns_image out;
  ns_status st;
} job;

static void *
thread_main (void *data)
{
  job *j = data;
  ns_context *ctx;
  ns_params p = ns_params_default ();
  ns_style st = { j->s, 1.0f };
  p.method = j->method;
  p.style_size = 0;
  p.n_threads = 1;
  j->st = ns_context_new (cd16x, &ctx, NULL);
  /* Twice: the second call takes the cached path. */
  for (int r = 0; r < 2 && j->st == NS_OK; r++)
    j->st = tu_stylize (ctx, &p, j->c, &st, 1, NULL, &j->out);
  ns_context_free (ctx);
  return NULL;
}

static void
test_threads (void)
{
  ns_image c1, c2, s1, s2;
  job serial[2], para[2];
  pthread_t th[2];

  make_image (&c1, 64, 48, 12);
  make_image (&c2, 48, 64, 13);
  make_image (&s1, 40, 40, 14);
  make_image (&s2, 56, 40, 15);
  serial[0] = (job){ &c1, &s1, NS_METHOD_WCT, { 0 }, NS_OK };
  serial[1] = (job){ &c2, &s2, NS_METHOD_CASCADE_ADAIN, { 0 }, NS_OK };
  para[0] = serial[0];
  para[1] = serial[1];
  thread_main (&serial[0]);
  thread_main (&serial[1]);
  for (int i = 0; i < 2; i++)
    TU_CHECK (pthread_create (&th[i], NULL, thread_main, &para[i]) == 0);
  for (int i = 0; i < 2; i++)
    pthread_join (th[i], NULL);
  for (int i = 0; i < 2; i++)
    {
      TU_CHECK (serial[i].st == NS_OK && para[i].st == NS_OK);
      if (serial[i].st == NS_OK && para[i].st == NS_OK)
        {
          double d = tu_image_maxdiff (&serial[i].out, &para[i].out);
          printf ("thread %d: max diff serial vs concurrent %.3g\n", i, d);
          TU_CHECK (d <= 1e-6);
        }
      ns_image_free (&serial[i].out);
      ns_image_free (&para[i].out);
    }
  ns_image_free (&c1), ns_image_free (&c2);
  ns_image_free (&s1), ns_image_free (&s2);
}

/* ----------------------------------------------------------- regions */

static void
regions_case (ns_model *model, ns_method method, int size)
{
  ns_context *ctx;
  ns_image c, s, whole = { 0 }, ref = { 0 }, tiled = { 0 };
  ns_params p = ns_params_default ();
  ns_style st;
  ns_error err;
  int level = ns_model_deepest_level (model);
  ns_stats *cs, *ss, *cs4;
  double d;

  if (method == NS_METHOD_ADAIN && level > 4)
    level = 4;
  make_image (&c, size, size * 3 / 4, 16);
  make_image (&s, 64, 64, 17);
  st = (ns_style){ &s, 1.0f };
  p.method = method;
  p.style_size = 0;
  p.strength = 0.9f;
  ns_context_new (model, &ctx, NULL);
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &ref) == NS_OK);

  cs = ns_stats_new (model, level, &err);
  ss = ns_stats_new (model, level, &err);
  TU_CHECK (cs && ss);
  TU_CHECK (ns_stats_accumulate (ctx, ss, &s, 0, 0, 64, 64, &err) == NS_OK);
  TU_CHECK (ns_stats_accumulate (ctx, cs, &c, 0, 0, c.width, c.height, &err) ==
            NS_OK);
  ns_image_alloc (&whole, c.width, c.height, NULL);
  TU_CHECK (ns_region_transform (ctx, &p, cs, ss, &c, 0, 0, c.width, c.height,
                                 &whole, &err) == NS_OK);
  d = tu_image_maxdiff (&whole, &ref);
  printf ("regions %s %s level %d: one region vs ns_stylize max diff %.3g\n",
          ns_model_kind_name (ns_model_get_kind (model)),
          ns_method_name (method), level, d);
  TU_CHECK (d <= 1e-5);

  /* 2 x 2 tiles (not aligned to the downsampling), statistics accumulated
   * per tile, then each tile transformed. */
  {
    int xs[3] = { 0, c.width / 2 + 3, c.width };
    int ys[3] = { 0, c.height / 2 - 5, c.height };
    double dm = 0;
    cs4 = ns_stats_new (model, level, &err);
    for (int j = 0; j < 2; j++)
      for (int i = 0; i < 2; i++)
        TU_CHECK (ns_stats_accumulate (ctx, cs4, &c, xs[i], ys[j],
                                       xs[i + 1] - xs[i], ys[j + 1] - ys[j],
                                       &err) == NS_OK);
    TU_CHECK (cs4->n == cs->n);
    for (int k = 0; k < cs->c; k++)
      dm = fmax (dm, fabs (cs4->mean[k] - cs->mean[k]) /
                         (1e-3 + fabs (cs->mean[k])));
    ns_image_alloc (&tiled, c.width, c.height, NULL);
    for (int j = 0; j < 2; j++)
      for (int i = 0; i < 2; i++)
        TU_CHECK (ns_region_transform (ctx, &p, cs4, ss, &c, xs[i], ys[j],
                                       xs[i + 1] - xs[i], ys[j + 1] - ys[j],
                                       &tiled, &err) == NS_OK);
    d = tu_image_maxdiff (&tiled, &ref);
    printf ("regions %s %s level %d: 2x2 tiles of %dx%d: mean relative "
            "stats diff %.3g, image max diff %.3g, mean diff %.3g\n",
            ns_model_kind_name (ns_model_get_kind (model)),
            ns_method_name (method), level, c.width, c.height, dm, d,
            tu_image_meandiff (&tiled, &ref));
    /* The margin (8x the downsampling, >= 32 px) covers the encoder's and
     * decoder's receptive fields: tiles match the whole image up to the
     * float32 rounding of the features, whose summation order in sgemm
     * depends on the band width with some OpenBLAS kernels (bit-identical
     * on an AVX-512 Xeon, up to 4.7e-7 relative on an AMD EPYC). */
    TU_CHECK (dm < 1e-5);
    TU_CHECK (d <= 1e-4);
    ns_stats_free (cs4);
  }
  /* Errors: a region outside, mismatched statistics. */
  TU_CHECK (ns_region_transform (ctx, &p, cs, ss, &c, 10, 10, c.width, c.height,
                                 &whole, &err) == NS_ERR_INVALID_ARG);
  ns_stats_free (cs);
  ns_stats_free (ss);
  ns_context_free (ctx);
  ns_image_free (&c), ns_image_free (&s), ns_image_free (&whole);
  ns_image_free (&ref), ns_image_free (&tiled);
}

static void
test_gatys_dispatch (void)
{
  ns_context *ctx;
  ns_image c, s, o = { 0 };
  ns_params p = ns_params_default ();
  ns_style st;
  ns_error err = { 0 };
  ns_status r;
  make_image (&c, 32, 32, 18);
  make_image (&s, 32, 32, 19);
  ns_image_alloc (&o, 32, 32, NULL);
  st = (ns_style){ &s, 1.0f };
  p.method = NS_METHOD_GATYS;
  p.gatys.iterations = 2;
  ns_context_new (cd16x, &ctx, NULL);
  r = ns_stylize (ctx, &p, &c, &st, 1, NULL, &o, &err);
  printf ("gatys dispatch: %s%s%s\n", ns_status_string (r),
          r != NS_OK ? ": " : "", r != NS_OK ? err.message : "");
  TU_CHECK (r == NS_OK);
  for (int i = 0; i < 3 * 32 * 32; i++)
    TU_CHECK (o.data[i] >= 0.0f && o.data[i] <= 1.0f);
  ns_context_free (ctx);
  ns_image_free (&c), ns_image_free (&s), ns_image_free (&o);
}

/* Winograd's transformed weights count in the plan, and are taken only
 * within a sixteenth of the budget: cd16x's (about 30 MB) at 2048 MB, not
 * at 400 MB, where the direct kernels' copies (a quarter) are counted. */
static void
test_winograd_budget (void)
{
  ns_params p = ns_params_default ();
  double big, small;
  if (ns_arith_resolve (NS_PRECISION_AUTO) != NS_ARITH_FP32)
    {
      printf ("winograd budget: not on oneDNN fp32 here, skipped\n");
      return;
    }
  p.memory_budget_mb = 2048;
  TU_CHECK (ns_winograd_allowed (cd16x, &p));
  big = ns_model_cache_bytes (cd16x, &p);
  p.memory_budget_mb = 400;
  TU_CHECK (!ns_winograd_allowed (cd16x, &p));
  small = ns_model_cache_bytes (cd16x, &p);
  printf ("winograd budget: cd16x caches %.1f MB with Winograd, %.1f MB "
          "without\n",
          big / 1048576.0, small / 1048576.0);
  TU_CHECK (big > 2.0 * small && small > 0.0);
}

int
main (void)
{
  char *cd = tu_shared_path_or_skip ("models/cd16x/enc5.pth");
  char *ls = tu_shared_path_or_skip ("models/lst-r31/vgg_r31.pth");
  ns_error err;
  char *slash;

  slash = strrchr (cd, '/');
  *slash = '\0';
  slash = strrchr (ls, '/');
  *slash = '\0';
  if (ns_model_load (cd, NS_MODEL_CD16X, &cd16x, &err) != NS_OK ||
      ns_model_load (ls, NS_MODEL_LST_R31, &lst, &err) != NS_OK)
    {
      fprintf (stderr, "model load failed: %s\n", err.message);
      return 1;
    }
  test_cache ();
  test_mask_mix (NS_METHOD_CASCADE_ADAIN);
  test_mask_mix (NS_METHOD_WCT);
  test_mask_mix (NS_METHOD_ADAIN);
  test_sizes ();
  test_progress_cancel ();
  test_threads ();
  regions_case (cd16x, NS_METHOD_ADAIN, 320);
  regions_case (lst, NS_METHOD_WCT, 160);
  regions_case (lst, NS_METHOD_ADAIN, 160);
  test_gatys_dispatch ();
  test_winograd_budget ();
  ns_model_free (cd16x);
  ns_model_free (lst);
  free (cd);
  free (ls);
  return tu_finish ("stylize");
}
