/* ns_stylize with NS_METHOD_GATYS end to end on the cd16x model (small images):
 * fixed seeds reproduce bit for bit, the loss goes down, the image callback is
 * called and can stop the run, cancelling is prompt and leaves the best
 * image in OUT, multi-scale, Adam, colour preservation, two styles with a
 * mask, and bad input. */
#include "ns.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
make_image (ns_image *img, int w, int h, uint64_t seed)
{
  float p[12];
  int c, y, x;
  ns_image_alloc (img, w, h, NULL);
  tu_fill_random (p, 12, 0.0f, 1.0f, &seed);
  for (c = 0; c < 3; c++)
    for (y = 0; y < h; y++)
      for (x = 0; x < w; x++)
        {
          float *q = p + 4 * c;
          img->data[((size_t) c * h + y) * w + x] =
              0.5f + 0.3f * sinf (x * (0.1f + 0.5f * q[0]) + 6 * q[1]) *
                         cosf (y * (0.1f + 0.5f * q[2]) + 6 * q[3]);
        }
}

typedef struct
{
  int calls;
  int stop_at;
  float losses[64];
  bool sizes_ok;
  int w, h;
} cb_state;

static bool
on_image (int iteration, float loss, const ns_image *img, void *user)
{
  cb_state *s = user;
  if (s->calls < 64)
    s->losses[s->calls] = loss;
  s->calls++;
  if (img->width != s->w || img->height != s->h || iteration != s->calls)
    s->sizes_ok = false;
  return s->stop_at == 0 || s->calls < s->stop_at;
}

typedef struct
{
  int calls, cancel_after;
  double cancel_time;
} prog_state;

static bool
on_progress (float fraction, const char *stage, void *user)
{
  prog_state *s = user;
  s->calls++;
  if (s->cancel_after > 0 && s->calls >= s->cancel_after)
    {
      if (s->cancel_time == 0.0)
        s->cancel_time = tu_now ();
      return false;
    }
  return true;
}

static bool
all_in_01 (const ns_image *img)
{
  size_t n = (size_t) 3 * img->width * img->height, i;
  for (i = 0; i < n; i++)
    if (!(img->data[i] >= 0.0f && img->data[i] <= 1.0f))
      return false;
  return true;
}

int
main (void)
{
  char *dir = tu_shared_path_or_skip ("models/cd16x");
  ns_model *model = NULL;
  ns_context *ctx = NULL;
  ns_error err = { 0 };
  ns_image content, style, style2, out, out2;
  ns_style st[2];
  ns_params p = ns_params_default ();
  ns_status rc;
  size_t n;

  if (ns_model_load (dir, NS_MODEL_CD16X, &model, &err) != NS_OK)
    {
      fprintf (stderr, "%s\n", err.message);
      return 1;
    }
  if (ns_context_new (model, &ctx, &err) != NS_OK)
    {
      fprintf (stderr, "%s\n", err.message);
      return 1;
    }
  make_image (&content, 64, 48, 1);
  make_image (&style, 40, 40, 2);
  make_image (&style2, 48, 40, 3);
  st[0] = (ns_style){ &style, 1.0f };
  st[1] = (ns_style){ &style2, 1.0f };
  ns_image_alloc (&out, 64, 48, NULL);
  ns_image_alloc (&out2, 64, 48, NULL);
  n = (size_t) 3 * 64 * 48;
  p.method = NS_METHOD_GATYS;
  p.style_size = 0;
  p.n_threads = 2;
  p.gatys.iterations = 6;
  p.gatys.init = NS_INIT_NOISE;
  p.seed = 5;

  /* A fixed seed reproduces bit for bit; another seed differs. */
  rc = ns_stylize (ctx, &p, &content, st, 1, NULL, &out, &err);
  TU_CHECK (rc == NS_OK);
  rc = ns_stylize (ctx, &p, &content, st, 1, NULL, &out2, &err);
  TU_CHECK (rc == NS_OK);
  TU_CHECK (memcmp (out.data, out2.data, n * sizeof (float)) == 0);
  TU_CHECK (all_in_01 (&out));
  p.seed = 6;
  ns_stylize (ctx, &p, &content, st, 1, NULL, &out2, &err);
  TU_CHECK (memcmp (out.data, out2.data, n * sizeof (float)) != 0);

  /* The image callback: every iteration, content size, loss decreasing
     overall; returning false stops with NS_OK. */
  {
    cb_state cs = { 0, 0, { 0 }, true, 64, 48 };
    p.gatys.init = NS_INIT_CONTENT;
    p.gatys.iterations = 10;
    p.gatys.image_every = 1;
    p.gatys.image_cb = on_image;
    p.gatys.image_user_data = &cs;
    rc = ns_stylize (ctx, &p, &content, st, 1, NULL, &out, &err);
    TU_CHECK (rc == NS_OK);
    TU_CHECK (cs.calls == 10 && cs.sizes_ok);
    printf ("loss: %.4g after 1 iteration, %.4g after 10\n", cs.losses[0],
            cs.losses[9]);
    TU_CHECK (cs.losses[9] < 0.5f * cs.losses[0]);
    /* The result moved away from the content towards the style. */
    TU_CHECK (tu_max_abs_diff (out.data, content.data, n) > 0.05);

    memset (&cs, 0, sizeof cs);
    cs.sizes_ok = true;
    cs.w = 64;
    cs.h = 48;
    cs.stop_at = 3;
    memset (out.data, 0, n * sizeof (float));
    rc = ns_stylize (ctx, &p, &content, st, 1, NULL, &out, &err);
    TU_CHECK (rc == NS_OK && cs.calls == 3);
    TU_CHECK (all_in_01 (&out) &&
              tu_max_abs_diff (out.data, content.data, n) > 0.0);
    p.gatys.image_cb = NULL;
    p.gatys.image_every = 0;
  }

  /* Cancel: prompt, NS_ERR_CANCELLED, OUT holds the best image so far.
     At 256x256 one evaluation takes ~0.1-1 s; cancelling is checked
     between layers. */
  {
    ns_image big, bigout;
    prog_state ps = { 0, 0, 0.0 };
    double t;
    make_image (&big, 256, 256, 4);
    ns_image_alloc (&bigout, 256, 256, NULL);
    p.progress = on_progress;
    p.progress_user_data = &ps;
    p.gatys.iterations = 1000;
    ps.cancel_after = 200;
    memset (bigout.data, 0, sizeof (float) * 3 * 256 * 256);
    rc = ns_stylize (ctx, &p, &big, st, 1, NULL, &bigout, &err);
    t = tu_now () - ps.cancel_time;
    printf ("cancel: returned %.3f s after the callback said stop "
            "(%d progress calls)\n",
            t, ps.calls);
    TU_CHECK (rc == NS_ERR_CANCELLED);
    TU_CHECK (ps.cancel_time > 0.0 && t < 1.0);
    TU_CHECK (all_in_01 (&bigout) &&
              tu_max_abs_diff (bigout.data, big.data, (size_t) 3 * 256 * 256) >
                  0.0);
    p.progress = NULL;
    ns_image_free (&big);
    ns_image_free (&bigout);
  }

  /* Two scales, two styles with weights, Adam. */
  {
    ns_image c2, o2;
    make_image (&c2, 160, 128, 7);
    ns_image_alloc (&o2, 160, 128, NULL);
    p.gatys.iterations = 4;
    p.gatys.scales = 2;
    st[1].weight = 0.5f;
    rc = ns_stylize (ctx, &p, &c2, st, 2, NULL, &o2, &err);
    TU_CHECK (rc == NS_OK && all_in_01 (&o2));
    p.gatys.use_adam = true;
    p.gatys.learning_rate = 0.02f;
    p.gatys.scales = 1;
    rc = ns_stylize (ctx, &p, &c2, st, 2, NULL, &o2, &err);
    TU_CHECK (rc == NS_OK && all_in_01 (&o2));
    TU_CHECK (tu_max_abs_diff (o2.data, c2.data, (size_t) 3 * 160 * 128) >
              0.01);
    p.gatys.use_adam = false;
    ns_image_free (&c2);
    ns_image_free (&o2);
  }

  /* Colour preservation: the result's chroma is the content's. */
  {
    size_t i, np = (size_t) 64 * 48;
    double maxd = 0.0;
    p.preserve_colors = true;
    p.gatys.iterations = 5;
    rc = ns_stylize (ctx, &p, &content, st, 1, NULL, &out, &err);
    TU_CHECK (rc == NS_OK);
    for (i = 0; i < np; i++)
      {
        const float *o = out.data, *c = content.data;
        double cbo = -0.168736 * o[i] - 0.331264 * o[np + i] +
                     0.5 * o[2 * np + i];
        double cbc = -0.168736 * c[i] - 0.331264 * c[np + i] +
                     0.5 * c[2 * np + i];
        maxd = fmax (maxd, fabs (cbo - cbc));
      }
    printf ("colour preservation: max Cb difference %.3g\n", maxd);
    TU_CHECK (maxd < 0.02);
    p.preserve_colors = false;
  }

  /* Two styles and a mask: each style on its region.  With an all-ones
     mask the result is style 0's alone; with a left/right mask the left
     half is closer to the style-0 result, the right to the style-1 one. */
  {
    ns_mask m;
    ns_image r0, r1, rm;
    size_t np = (size_t) 64 * 48, i;
    int y, x, c;
    double d[2][2] = { { 0 } };
    ns_style one0[1], one1[1];
    m.width = 64;
    m.height = 48;
    m.data = malloc (np * sizeof (float));
    ns_image_alloc (&r0, 64, 48, NULL);
    ns_image_alloc (&r1, 64, 48, NULL);
    ns_image_alloc (&rm, 64, 48, NULL);
    p.gatys.iterations = 10;
    st[1].weight = 1.0f;
    one0[0] = st[0];
    one1[0] = st[1];
    for (i = 0; i < np; i++)
      m.data[i] = 1.0f;
    TU_CHECK (ns_stylize (ctx, &p, &content, one0, 1, NULL, &r0, &err) ==
              NS_OK);
    TU_CHECK (ns_stylize (ctx, &p, &content, st, 2, &m, &rm, &err) == NS_OK);
    printf ("all-ones mask vs style 0 alone: max diff %.3g\n",
            tu_max_abs_diff (rm.data, r0.data, 3 * np));
    TU_CHECK (tu_max_abs_diff (rm.data, r0.data, 3 * np) < 1e-4);
    TU_CHECK (ns_stylize (ctx, &p, &content, one1, 1, NULL, &r1, &err) ==
              NS_OK);
    for (y = 0; y < 48; y++)
      for (x = 0; x < 64; x++)
        m.data[y * 64 + x] = x < 32 ? 1.0f : 0.0f;
    TU_CHECK (ns_stylize (ctx, &p, &content, st, 2, &m, &rm, &err) == NS_OK);
    /* d[half][style]: squared distance of the masked result to each
       single-style result, away from the seam. */
    for (c = 0; c < 3; c++)
      for (y = 0; y < 48; y++)
        for (x = 0; x < 64; x++)
          {
            size_t k = (size_t) c * np + (size_t) y * 64 + x;
            int half = x < 24 ? 0 : x >= 40 ? 1 : -1;
            double a = rm.data[k] - r0.data[k], b = rm.data[k] - r1.data[k];
            if (half < 0)
              continue;
            d[half][0] += a * a;
            d[half][1] += b * b;
          }
    printf ("mask: left half to style 0/1 results %.4g/%.4g, right half "
            "%.4g/%.4g\n",
            d[0][0], d[0][1], d[1][0], d[1][1]);
    TU_CHECK (d[0][0] < d[0][1] && d[1][1] < d[1][0]);
    free (m.data);
    ns_image_free (&r0);
    ns_image_free (&r1);
    ns_image_free (&rm);
  }

  /* Bad input. */
  {
    ns_image tiny, tout;
    ns_mask mask;
    make_image (&tiny, 20, 20, 9);
    ns_image_alloc (&tout, 20, 20, NULL);
    rc = ns_stylize (ctx, &p, &tiny, st, 1, NULL, &tout, &err);
    TU_CHECK (rc == NS_ERR_INVALID_ARG);
    printf ("too small: %s\n", err.message);
    rc = ns_stylize (ctx, &p, &content, st, 1, NULL, &tout, &err);
    TU_CHECK (rc == NS_ERR_INVALID_ARG);
    mask.width = 64;
    mask.height = 48;
    mask.data = calloc (64 * 48, sizeof (float));
    {
      /* A mask with three styles. */
      ns_style three[3] = { st[0], st[1], st[0] };
      rc = ns_stylize (ctx, &p, &content, three, 3, &mask, &out, &err);
      TU_CHECK (rc == NS_ERR_INVALID_ARG);
    }
    p.gatys.iterations = -1;
    rc = ns_stylize (ctx, &p, &content, st, 1, NULL, &out, &err);
    TU_CHECK (rc == NS_ERR_INVALID_ARG);
    free (mask.data);
    ns_image_free (&tiny);
    ns_image_free (&tout);
  }

  ns_image_free (&content);
  ns_image_free (&style);
  ns_image_free (&style2);
  ns_image_free (&out);
  ns_image_free (&out2);
  ns_context_free (ctx);
  ns_model_free (model);
  free (dir);
  return tu_finish ("test-gatys-run");
}
