/* ns_render / the large-image path of ns_stylize with the real cd16x model
 * (../shared/models; skipped without it): tiles join without seams, the
 * preview (the design stage) agrees with the result, small contents are
 * unchanged, every pixel is written once, memory refusals name the fix. */
#include "stylize.h"
#include "test-images.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ns_model *model;

/* Shapes (discs, bars) over a smooth gradient and fine noise: edges for
 * the shallow levels, masses for the deep ones. */
static void
make_image (ns_image *img, int w, int h, int seed)
{
  uint64_t rng = 7 + (uint64_t) seed;
  size_t n = (size_t) w * h;
  ns_image_alloc (img, w, h, NULL);
  tu_fill_random (img->data, 3 * n, 0.0f, 0.08f, &rng);
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        {
          float u = (float) x / w, v = (float) y / h;
          float d = hypotf (u - 0.3f - 0.1f * c, v - 0.5f);
          float val = 0.2f + 0.5f * u * (c == seed % 3) + 0.3f * v;
          if (d < 0.2f)
            val = 0.9f - 0.3f * c;
          if ((x / (40 + 10 * seed)) % 3 == 0 && v > 0.7f)
            val = 0.1f + 0.2f * c;
          img->data[c * n + (size_t) y * w + x] += val;
        }
}

static double
psnr (const ns_image *a, const ns_image *b)
{
  size_t n = 3 * (size_t) a->width * a->height;
  double mse = 0.0;
  for (size_t i = 0; i < n; i++)
    mse += ((double) a->data[i] - b->data[i]) * (a->data[i] - b->data[i]);
  mse /= n;
  return mse > 0 ? 10 * log10 (1.0 / mse) : 99.0;
}

/* ---------------------------------------------------------- streams */

typedef struct
{
  const ns_image *content;
  ns_image *out;
  int *writes; /* per pixel */
} io_state;

static ns_status
rd (void *ud, int x, int y, int w, int h, float *rgb, ns_error *err)
{
  const io_state *s = ud;
  const ns_image *c = s->content;
  for (int k = 0; k < 3; k++)
    for (int yy = 0; yy < h; yy++)
      memcpy (rgb + ((size_t) k * h + yy) * w,
              c->data + ((size_t) k * c->height + y + yy) * c->width + x,
              sizeof (float) * (size_t) w);
  (void) err;
  return NS_OK;
}

static ns_status
wr (void *ud, int x, int y, int w, int h, const float *rgb, ns_error *err)
{
  io_state *s = ud;
  ns_image *o = s->out;
  for (int k = 0; k < 3; k++)
    for (int yy = 0; yy < h; yy++)
      memcpy (o->data + ((size_t) k * o->height + y + yy) * o->width + x,
              rgb + ((size_t) k * h + yy) * w, sizeof (float) * (size_t) w);
  for (int yy = 0; yy < h; yy++)
    for (int xx = 0; xx < w; xx++)
      s->writes[(size_t) (y + yy) * o->width + x + xx]++;
  (void) err;
  return NS_OK;
}

static ns_status
render (const ns_params *p, const ns_image *c, const ns_style *st, int n,
        ns_image *out, ns_render_info *info, int *once)
{
  ns_context *ctx = NULL;
  io_state s = { c, out, calloc ((size_t) c->width * c->height, sizeof (int)) };
  ns_stream io = { c->width, c->height, rd, NULL, wr, &s };
  ns_error err = { 0 };
  ns_status status;
  ns_image_alloc (out, c->width, c->height, NULL);
  TU_CHECK (ns_context_new (model, &ctx, &err) == NS_OK);
  status = ns_render (ctx, p, &io, st, n, 0.0, info, &err);
  if (status != NS_OK)
    fprintf (stderr, "render: %s\n", err.message);
  *once = 1;
  for (size_t i = 0; i < (size_t) c->width * c->height; i++)
    if (s.writes[i] != 1)
      *once = 0;
  free (s.writes);
  ns_context_free (ctx);
  return status;
}

/* The budget (MB) that makes ns_render_plan pick a tile of at most MAX. */
static int
budget_for_tile (const ns_params *p0, const ns_image *c, const ns_style *st,
                 int max)
{
  ns_params p = *p0;
  for (int mb = 4096; mb > 16; mb = mb * 9 / 10)
    {
      ns_render_info info;
      p.memory_budget_mb = mb;
      if (ns_render_plan (model, &p, c->width, c->height, st, 1, 0.0, &info,
                          NULL) != NS_OK)
        return 0;
      if (info.tile <= max)
        return mb;
    }
  return 0;
}

/* Tiles of 384 px against one tile over the whole image: the same result,
 * and no stripe along the tile borders. */
static void
test_tiles (void)
{
  ns_image c, s, one = { 0 }, many = { 0 };
  ns_style st = { &s, 1.0f };
  ns_params p = ns_params_default ();
  ns_render_info i1, i2;
  int once1, once2, tile;
  double border = 0.0, inner = 0.0, nb = 0.0, ni = 0.0, maxd;

  make_image (&c, 1536, 1000, 0);
  make_image (&s, 400, 300, 1);
  p.design_size = 512;
  p.memory_budget_mb = 8192;
  TU_CHECK (render (&p, &c, &st, 1, &one, &i1, &once1) == NS_OK);
  TU_CHECK (i1.tile >= 1536 && i1.shallow_levels == 2);
  TU_CHECK (i1.design_width == 512 && i1.design_height == 333);
  p.memory_budget_mb = budget_for_tile (&p, &c, &st, 384);
  TU_CHECK (p.memory_budget_mb > 0);
  TU_CHECK (render (&p, &c, &st, 1, &many, &i2, &once2) == NS_OK);
  TU_CHECK (once1 && once2);
  tile = i2.tile;
  TU_CHECK (tile <= 384);
  TU_CHECK (i2.bytes <= i2.budget);
  maxd = tu_image_maxdiff (&one, &many);
  for (int y = 0; y < c.height; y++)
    for (int x = 0; x < c.width; x++)
      {
        int bx = x % tile, by = y % tile;
        bool b = bx < 3 || bx >= tile - 3 || by < 3 || by >= tile - 3;
        for (int k = 0; k < 3; k++)
          {
            size_t i = ((size_t) k * c.height + y) * c.width + x;
            double d = fabs ((double) one.data[i] - many.data[i]);
            if (b)
              border += d, nb++;
            else
              inner += d, ni++;
          }
      }
  border /= nb;
  inner /= ni;
  printf ("tiles %d vs %d: max diff %.2e, border %.2e, interior %.2e\n", tile,
          i1.tile, maxd, border, inner);
  /* The margins cover the receptive field: only rounding differs. */
  TU_CHECK (maxd < 2e-3);
  TU_CHECK ((border + 1e-7) / (inner + 1e-7) <= 1.5);
  ns_image_free (&c);
  ns_image_free (&s);
  ns_image_free (&one);
  ns_image_free (&many);
}

/* The preview (the method at the design size) against the result shrunk
 * to 384 px; and the large path of ns_stylize is ns_render's. */
static void
test_preview (void)
{
  ns_image c, s, small = { 0 }, prev = { 0 }, res = { 0 }, viaimg = { 0 };
  ns_image a = { 0 }, b = { 0 };
  ns_style st = { &s, 1.0f };
  ns_params p = ns_params_default ();
  ns_context *ctx = NULL;
  ns_render_info info;
  int once;
  double db;

  make_image (&c, 2048, 1366, 2);
  make_image (&s, 512, 512, 3);
  TU_CHECK (ns_context_new (model, &ctx, NULL) == NS_OK);
  TU_CHECK (ns_image_resize (&c, 1024, 683, &small, NULL) == NS_OK);
  TU_CHECK (tu_stylize (ctx, &p, &small, &st, 1, NULL, &prev) == NS_OK);
  TU_CHECK (render (&p, &c, &st, 1, &res, &info, &once) == NS_OK && once);
  TU_CHECK (info.design_width == 1024 && info.design_height == 683);
  TU_CHECK (ns_image_resize (&prev, 384, 256, &a, NULL) == NS_OK);
  TU_CHECK (ns_image_resize (&res, 384, 256, &b, NULL) == NS_OK);
  db = psnr (&a, &b);
  printf ("preview vs result at 384 px: %.1f dB\n", db);
  TU_CHECK (db >= 25.0);
  /* ns_stylize on the whole image takes the same path. */
  TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &viaimg) == NS_OK);
  TU_CHECK (tu_image_maxdiff (&viaimg, &res) == 0.0);
  ns_context_free (ctx);
  ns_image_free (&c);
  ns_image_free (&s);
  ns_image_free (&small);
  ns_image_free (&prev);
  ns_image_free (&res);
  ns_image_free (&viaimg);
  ns_image_free (&a);
  ns_image_free (&b);
}

/* At most the design size: ns_render gives ns_stylize's result exactly,
 * for every feed-forward method, with max-size too. */
static void
test_small (void)
{
  ns_image c, s;
  ns_style st = { &s, 1.0f };
  ns_context *ctx = NULL;
  const ns_method methods[] = { NS_METHOD_CASCADE_ADAIN, NS_METHOD_WCT,
                                NS_METHOD_ADAIN };
  make_image (&c, 300, 200, 4);
  make_image (&s, 128, 128, 5);
  TU_CHECK (ns_context_new (model, &ctx, NULL) == NS_OK);
  for (int m = 0; m < 3; m++)
    for (int ms = 0; ms <= 160; ms += 160)
      {
        ns_params p = ns_params_default ();
        ns_image direct = { 0 }, streamed = { 0 };
        ns_render_info info;
        int once;
        p.method = methods[m];
        p.max_size = ms;
        p.preserve_colors = m == 1;
        TU_CHECK (tu_stylize (ctx, &p, &c, &st, 1, NULL, &direct) == NS_OK);
        TU_CHECK (render (&p, &c, &st, 1, &streamed, &info, &once) == NS_OK);
        TU_CHECK (once && info.shallow_levels == 0);
        TU_CHECK (tu_image_maxdiff (&direct, &streamed) == 0.0);
        ns_image_free (&direct);
        ns_image_free (&streamed);
      }
  ns_context_free (ctx);
  ns_image_free (&c);
  ns_image_free (&s);
}

/* A budget too small is refused before anything large is allocated, with
 * the numbers and the fix; the default plan stays within its budget. */
static void
test_memory (void)
{
  ns_image s;
  ns_style st = { &s, 1.0f };
  ns_params p = ns_params_default ();
  ns_render_info info;
  ns_error err = { 0 };

  make_image (&s, 512, 512, 6);
  p.memory_budget_mb = 64;
  TU_CHECK (ns_render_plan (model, &p, 8000, 8000, &st, 1, 0.0, &info, &err) ==
            NS_ERR_NOMEM);
  TU_CHECK (strstr (err.message, "memory budget of 64 MB") != NULL);
  TU_CHECK (strstr (err.message, "design-size") != NULL);
  p.memory_budget_mb = 2048;
  TU_CHECK (ns_render_plan (model, &p, 8000, 8000, &st, 1, 0.0, &info, &err) ==
            NS_OK);
  printf ("8000x8000 in 2048 MB: tile %d, estimate %.0f MB\n", info.tile,
          info.bytes / 1048576.0);
  TU_CHECK (info.bytes <= info.budget && info.tile >= 256);
  /* What the caller holds counts too. */
  TU_CHECK (ns_render_plan (model, &p, 8000, 8000, &st, 1, 3e9, &info, &err) ==
            NS_ERR_NOMEM);
  p.memory_budget_mb = -1;
  {
    ns_context *ctx = NULL;
    ns_image c, out = { 0 };
    make_image (&c, 64, 64, 7);
    TU_CHECK (ns_context_new (model, &ctx, NULL) == NS_OK);
    ns_image_alloc (&out, 64, 64, NULL);
    TU_CHECK (ns_stylize (ctx, &p, &c, &st, 1, NULL, &out, &err) ==
              NS_ERR_INVALID_ARG);
    TU_CHECK (strstr (err.message, "memory budget") != NULL);
    p.memory_budget_mb = 0;
    p.design_size = 8;
    TU_CHECK (ns_stylize (ctx, &p, &c, &st, 1, NULL, &out, &err) ==
              NS_ERR_INVALID_ARG);
    TU_CHECK (strstr (err.message, "design size") != NULL);
    ns_context_free (ctx);
    ns_image_free (&c);
    ns_image_free (&out);
  }
  ns_image_free (&s);
}

int
main (void)
{
  char *dir = tu_shared_path_or_skip ("models/cd16x");
  ns_error err = { 0 };
  if (ns_model_load (dir, NS_MODEL_CD16X, &model, &err) != NS_OK)
    {
      fprintf (stderr, "%s\n", err.message);
      return 1;
    }
  free (dir);
  test_small ();
  test_memory ();
  test_tiles ();
  test_preview ();
  ns_model_free (model);
  return tu_finish ("render");
}
