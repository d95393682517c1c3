/* Statistics accumulated over regions, and region transforms with global
 * statistics: the building blocks of tiled rendering.
 *
 * A region is encoded with a margin of context around it (MARGIN below),
 * the crop's origin aligned to the encoder's downsampling factor so that
 * its feature cells coincide with those of the whole image.  Statistics
 * take the feature cells whose top-left pixel lies in the region (cells
 * at the right/bottom edge of the image include its padding, as
 * ns_stylize does), so any partition of the image into regions adds up to
 * the whole-image statistics up to the encoder's context differences. */
#include "style.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int
region_margin (int ds)
{
  int m = 8 * ds;
  return m < 32 ? 32 : m;
}

static int
index_of_level (const ns_model *model, int level)
{
  for (int i = 0; i < model->n_levels; i++)
    if (model->level_id[i] == level)
      return i;
  return -1;
}

ns_stats *
ns_stats_new (const ns_model *model, int level, ns_error *err)
{
  ns_stats *s;
  int idx;
  if (!model)
    {
      ns_fail (err, NS_ERR_INVALID_ARG, "stats: no model");
      return NULL;
    }
  idx = index_of_level (model, level);
  if (idx < 0)
    {
      ns_fail (err, NS_ERR_INVALID_ARG,
               "model %s has no encoder/decoder at level %d",
               ns_model_kind_name (model->kind), level);
      return NULL;
    }
  s = calloc (1, sizeof *s);
  if (!s)
    {
      ns_fail (err, NS_ERR_NOMEM, "out of memory");
      return NULL;
    }
  if (ns_fstats_init (s, model->enc[idx].out_channels, err) != NS_OK)
    {
      free (s);
      return NULL;
    }
  s->model = model;
  s->level = level;
  s->index = idx;
  return s;
}

void
ns_stats_free (ns_stats *stats)
{
  if (!stats)
    return;
  ns_fstats_clear (stats);
  free (stats);
}

typedef struct
{
  int x0, y0, x1, y1; /* crop in image pixels */
  ns_image img;
} crop;

static ns_status
check_region (const ns_image *image, int x, int y, int w, int h, ns_error *err)
{
  if (!image || !image->data)
    return ns_fail (err, NS_ERR_INVALID_ARG, "region: no image");
  if (image->width < 16 || image->height < 16)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "image is %dx%d: images must be at least 16x16 pixels",
                    image->width, image->height);
  if (w <= 0 || h <= 0 || x < 0 || y < 0 || x > image->width - w ||
      y > image->height - h)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "region %dx%d+%d+%d is not inside the %dx%d image", w, h, x,
                    y, image->width, image->height);
  return NS_OK;
}

/* The crop around (x, y, w, h) with margin, origin aligned to DS, at least
 * 16 pixels and DS pixels per side. */
static ns_status
make_crop (const ns_image *image, int x, int y, int w, int h, int ds, crop *c,
           ns_error *err)
{
  int m = region_margin (ds), minside = ds > 16 ? ds : 16;
  int cw, ch;
  ns_status st;
  size_t plane, cplane;

  c->x0 = (x - m > 0 ? x - m : 0) / ds * ds;
  c->y0 = (y - m > 0 ? y - m : 0) / ds * ds;
  c->x1 = x + w + m < image->width ? x + w + m : image->width;
  c->y1 = y + h + m < image->height ? y + h + m : image->height;
  if (c->x1 - c->x0 < minside)
    c->x1 = c->x0 + minside < image->width ? c->x0 + minside : image->width;
  if (c->y1 - c->y0 < minside)
    c->y1 = c->y0 + minside < image->height ? c->y0 + minside : image->height;
  /* Near the right/bottom edge the aligned origin may leave too little. */
  while (c->x1 - c->x0 < minside && c->x0 >= ds)
    c->x0 -= ds;
  while (c->y1 - c->y0 < minside && c->y0 >= ds)
    c->y0 -= ds;
  cw = c->x1 - c->x0;
  ch = c->y1 - c->y0;
  st = ns_image_alloc (&c->img, cw, ch, err);
  if (st != NS_OK)
    return st;
  plane = (size_t) image->width * image->height;
  cplane = (size_t) cw * ch;
  for (int k = 0; k < 3; k++)
    for (int yy = 0; yy < ch; yy++)
      memcpy (c->img.data + k * cplane + (size_t) yy * cw,
              image->data + k * plane + (size_t) (c->y0 + yy) * image->width +
                  c->x0,
              sizeof (float) * (size_t) cw);
  return NS_OK;
}

static ns_status
encode_crop (const ns_model *model, int idx, const crop *c, ns_tensor *f,
             ns_run *run, ns_error *err)
{
  ns_tensor in = { 0 };
  ns_status st = ns_image_to_tensor (&c->img, model->enc[idx].downsample, &in,
                                     err);
  if (st != NS_OK)
    return st;
  st = ns_net_forward (&model->enc[idx], &in, f, run, err);
  ns_tensor_free (&in);
  return st;
}

ns_status
ns_stats_accumulate (ns_context *ctx, ns_stats *stats, const ns_image *image,
                     int x, int y, int w, int h, ns_error *err)
{
  const ns_model *model;
  crop c = { 0 };
  ns_tensor f = { 0 };
  ns_run run;
  ns_status st;
  int ds, fx0, fy0, fx1, fy1;

  if (!ctx || !stats || !stats->model)
    return ns_fail (err, NS_ERR_INVALID_ARG, "stats: no context or stats");
  if ((st = check_region (image, x, y, w, h, err)) != NS_OK)
    return st;
  model = stats->model;
  ds = model->enc[stats->index].downsample;
  if (ds < 1)
    ds = 1;
  if ((st = make_crop (image, x, y, w, h, ds, &c, err)) != NS_OK)
    return st;
  ns_run_init (&run, NULL, 1.0);
  st = encode_crop (model, stats->index, &c, &f, &run, err);
  ns_image_free (&c.img);
  if (st != NS_OK)
    return st;

  /* Cells whose top-left pixel is in the region; the image's last
   * (padded) cells belong to the region touching that edge. */
  fx0 = (x + ds - 1) / ds - c.x0 / ds;
  fy0 = (y + ds - 1) / ds - c.y0 / ds;
  fx1 = x + w == image->width ? f.w : (x + w + ds - 1) / ds - c.x0 / ds;
  fy1 = y + h == image->height ? f.h : (y + h + ds - 1) / ds - c.y0 / ds;
  if (fx1 > f.w)
    fx1 = f.w;
  if (fy1 > f.h)
    fy1 = f.h;
  if (fx1 > fx0 && fy1 > fy0)
    st = ns_fstats_add (stats, &f, fx0, fy0, fx1 - fx0, fy1 - fy0,
                        run.n_threads, err);
  ns_tensor_free (&f);
  return st;
}

ns_status
ns_region_transform (ns_context *ctx, const ns_params *params,
                     const ns_stats *content, const ns_stats *style,
                     const ns_image *image, int x, int y, int w, int h,
                     ns_image *out, ns_error *err)
{
  const ns_model *model;
  crop c = { 0 };
  ns_tensor f = { 0 }, t = { 0 }, dec = { 0 };
  ns_affine map = { 0 };
  ns_run run;
  ns_status st;
  int ds, idx, cw, ch;
  bool wct;
  double alpha;

  if (!ctx || !params || !content || !style || !out)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "region transform: missing argument");
  if ((st = check_region (image, x, y, w, h, err)) != NS_OK)
    return st;
  if (!out->data || out->width != image->width || out->height != image->height)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "region transform: output must be %dx%d", image->width,
                    image->height);
  if (!content->model || content->model != style->model ||
      content->level != style->level)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "region transform: statistics of different models or "
                    "levels");
  if (content->n < 1.0 || style->n < 1.0)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "region transform: empty statistics");
  if (!(params->strength >= 0.0f && params->strength <= 1.0f))
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "strength must be in [0, 1] (got %g)",
                    (double) params->strength);
  if (params->method == NS_METHOD_GATYS ||
      (unsigned) params->method > NS_METHOD_GATYS)
    return ns_fail (err, NS_ERR_UNSUPPORTED,
                    "region transform needs AdaIN or WCT");
  wct = params->method == NS_METHOD_WCT;
  alpha = params->strength;
  model = content->model;
  idx = content->index;
  ds = model->enc[idx].downsample;
  if (ds < 1)
    ds = 1;

  /* The map from the global statistics. */
  if (wct)
    {
      size_t cc = (size_t) content->c * content->c;
      double *wm = malloc (sizeof *wm * cc), *cm = malloc (sizeof *cm * cc);
      if (!wm || !cm)
        st = ns_fail (err, NS_ERR_NOMEM, "out of memory");
      if (st == NS_OK)
        st = ns_wct_whitening (content, wm, err);
      if (st == NS_OK)
        st = ns_wct_coloring (style, cm, err);
      if (st == NS_OK)
        st = ns_wct_map (wm, content->mean, cm, style->mean, content->c, &map,
                         err);
      free (wm);
      free (cm);
    }
  else
    {
      int nc = content->c;
      double *buf = malloc (sizeof *buf * 4 * (size_t) nc);
      if (!buf)
        st = ns_fail (err, NS_ERR_NOMEM, "out of memory");
      else
        {
          ns_adain_mean_std (content, buf, buf + nc);
          ns_adain_mean_std (style, buf + 2 * nc, buf + 3 * nc);
          st = ns_adain_map (buf, buf + nc, buf + 2 * nc, buf + 3 * nc, nc,
                             &map, err);
          free (buf);
        }
    }
  if (st != NS_OK)
    return st;
  ns_affine_scale_add_identity (&map, alpha, 1.0 - alpha);

  ns_run_init (&run, params,
               ns_net_flops (&model->enc[idx], h, w) +
                   ns_net_flops (&model->dec[idx], h / ds, w / ds));
  if ((st = make_crop (image, x, y, w, h, ds, &c, err)) != NS_OK)
    goto out;
  ns_run_stage (&run, "encoding content");
  if ((st = encode_crop (model, idx, &c, &f, &run, err)) != NS_OK)
    goto out;
  ns_run_stage (&run, "transforming");
  if ((st = ns_affine_apply (&map, &f, &t, run.n_threads, err)) != NS_OK)
    goto out;
  ns_tensor_free (&f);
  ns_run_stage (&run, "decoding");
  if ((st = ns_net_forward (&model->dec[idx], &t, &dec, &run, err)) != NS_OK)
    goto out;
  cw = c.x1 - c.x0;
  ch = c.y1 - c.y0;
  if (dec.c != 3 || dec.w < cw || dec.h < ch)
    {
      st = ns_fail (err, NS_ERR_SHAPE, "decoder output %dx%dx%d too small",
                    dec.c, dec.h, dec.w);
      goto out;
    }
  /* The decoded crop is top-left aligned with the crop (the padding is on
   * the right and bottom); write back only the region. */
  {
    size_t plane = (size_t) image->width * image->height;
    size_t dplane = (size_t) dec.w * dec.h;
    for (int k = 0; k < 3; k++)
      for (int yy = y; yy < y + h; yy++)
        for (int xx = x; xx < x + w; xx++)
          {
            float v = dec.data[k * dplane + (size_t) (yy - c.y0) * dec.w +
                               (xx - c.x0)];
            out->data[k * plane + (size_t) yy * image->width + xx] =
                v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
          }
    if (params->preserve_colors)
      for (int yy = y; yy < y + h; yy++)
        {
          /* Luminance transfer (see color.c) on the region's pixels. */
          for (int xx = x; xx < x + w; xx++)
            {
              size_t p = (size_t) yy * image->width + xx;
              float Y, u, v, du, dv;
              ns_rgb_to_ycbcr (out->data[p], out->data[plane + p],
                               out->data[2 * plane + p], &Y, &du, &dv);
              ns_rgb_to_ycbcr (image->data[p], image->data[plane + p],
                               image->data[2 * plane + p], &du, &u, &v);
              float r = Y + 1.402f * v, g = Y - 0.344136f * u - 0.714136f * v,
                    b = Y + 1.772f * u;
              out->data[p] = r > 0.0f ? (r < 1.0f ? r : 1.0f) : 0.0f;
              out->data[plane + p] = g > 0.0f ? (g < 1.0f ? g : 1.0f) : 0.0f;
              out->data[2 * plane + p] = b > 0.0f ? (b < 1.0f ? b : 1.0f)
                                                  : 0.0f;
            }
        }
  }

out:
  ns_affine_clear (&map);
  ns_image_free (&c.img);
  ns_tensor_free (&f);
  ns_tensor_free (&t);
  ns_tensor_free (&dec);
  return st;
}
