/* Rendering at any size (ns_render, ns_render_plan): the composition at
 * the design size, the detail at full size in tiles, in a memory budget.
 *
 * Stages, for a W x H content (work size = W x H after max-size):
 *  1. the content (and mask) are read in strips and shrunk to the design
 *     size (the same resampling as ns_image_resize, bit for bit);
 *  2. the method runs there: all of it, or for the cascades only the deep
 *     levels (relu5_1..relu3_1), which decide shapes, strokes and colour
 *     masses.  This is exactly what the dialog's preview shows;
 *  3. the cascades' shallow levels (relu2_1, relu1_1) run on the design
 *     upsampled to the work size, in overlapping tiles with statistics
 *     global to the image (engine/style/tiled.c): full-resolution texture
 *     on the designed composition;
 *  4. the finish, per tile: clamp, upsample to the content size when the
 *     work size is smaller, colour preservation, mask blend; then written.
 * A content no larger than the design size takes ns_stylize's direct path
 * (stage 2 on the whole image), so small images are unchanged.
 *
 * Memory: everything the stages hold at once is estimated first (the
 * design stage from the network table, styles at their encoding size,
 * full-size buffers, one tile) and the tile is the largest that fits the
 * budget; nothing large is allocated before. */
#include "stylize.h"

#include "nn/nn-dnnl.h"
#include "nn/nn.h"
#include "style/style.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB 1048576.0

/* Rows of the design image computed per strip while shrinking. */
#define STRIP_BYTES (32.0 * MIB)

static bool
is_cascade (ns_method m)
{
  return m == NS_METHOD_CASCADE_ADAIN || m == NS_METHOD_WCT;
}

static bool
is_feedforward (ns_method m)
{
  return is_cascade (m) || m == NS_METHOD_ADAIN;
}

static void
work_size (const ns_params *params, int w, int h, int *ww, int *wh)
{
  *ww = w;
  *wh = h;
  if (params->max_size > 0 && (w > params->max_size || h > params->max_size))
    ns_fit_long_side (w, h, params->max_size, ww, wh);
}

bool
ns_render_needed (const ns_params *params, int w, int h)
{
  int ww, wh;
  work_size (params, w, h, &ww, &wh);
  return params->design_size > 0 &&
         (ww > params->design_size || wh > params->design_size);
}

double
ns_memory_budget (const ns_params *params)
{
  const char *limit = getenv ("NS_MEMORY_LIMIT_MB");
  double ram;
  if (params->memory_budget_mb > 0)
    return params->memory_budget_mb * MIB;
  if (limit && atof (limit) > 0.0)
    return atof (limit) * MIB;
  ram = ns_memory_available ();
  if (ram <= 0.0)
    return 2048.0 * MIB;
  return ram / 2 < 2048.0 * MIB ? ram / 2 : 2048.0 * MIB;
}

/* Peak bytes of encoding the styles (they are encoded one at a time, at
 * their style-size, before any content pass). */
static double
style_bytes (const ns_model *model, const ns_params *params,
             const ns_style *styles, int n_styles)
{
  double need = 0.0;
  if (!is_feedforward (params->method) || model->n_levels < 1)
    return 0.0;
  for (int s = 0; s < n_styles; s++)
    {
      int w = styles[s].image->width, h = styles[s].image->height;
      double b;
      if (params->style_size > 0)
        ns_fit_long_side (w, h, params->style_size, &w, &h);
      b = 3.0 * sizeof (float) * (double) w * h;
      for (int i = 0; i < model->n_levels; i++)
        {
          double e = ns_net_peak_bytes (&model->enc[i], h, w);
          int fc, fh, fw;
          ns_net_out_shape (&model->enc[i], model->enc[i].n_layers, h, w, &fc,
                            &fh, &fw);
          e += (double) fc * fh * fw * sizeof (float);
          if (b + e > need)
            need = b + e;
        }
    }
  return need;
}

typedef struct
{
  double design, styles, full, tile, strip;
} plan_parts;

static double
plan_peak (const plan_parts *p, double extra)
{
  double a = p->design + p->strip, b = p->full + p->tile;
  double m = a > b ? a : b;
  if (p->styles > m)
    m = p->styles;
  return m + extra;
}

static ns_status
plan (const ns_model *model, const ns_params *params, int w, int h,
      const ns_style *styles, int n_styles, double extra, ns_render_info *info,
      int *idx, int *n_idx, ns_error *err)
{
  static const int tiles[] = { 2048, 1536, 1024, 768, 512, 384, 256, 128 };
  int ww, wh, dw, dh;
  plan_parts p = { 0 };
  const double px_bytes = 3.0 * sizeof (float);

  memset (info, 0, sizeof *info);
  work_size (params, w, h, &ww, &wh);
  dw = ww;
  dh = wh;
  if (ns_render_needed (params, w, h))
    ns_fit_long_side (ww, wh, params->design_size, &dw, &dh);
  *n_idx = 0;
  if (is_cascade (params->method) && (dw != ww || dh != wh))
    *n_idx = ns_ff_usable_levels (model, params->method, 1, 2, ww, wh, idx);
  info->work_width = ww;
  info->work_height = wh;
  info->design_width = dw;
  info->design_height = dh;
  info->shallow_levels = *n_idx;
  info->budget = ns_memory_budget (params);

  /* The design stage: the method, its input and result, the mask. */
  p.design = ns_method_memory (model, params, dw, dh) +
             (3.0 * px_bytes + sizeof (float)) * (double) dw * dh;
  /* The networks' weight caches stay through every stage (the design
     stage has them in ns_method_memory). */
  p.styles = style_bytes (model, params, styles, n_styles) +
             ns_model_cache_bytes (model, params);
  p.strip = STRIP_BYTES + px_bytes * (double) w * 8;
  /* Kept through the tiles: the design result, the level between the two
   * shallow levels, the work-size result when max-size shrinks. */
  p.full = px_bytes * (double) dw * dh + ns_model_cache_bytes (model, params);
  if (*n_idx >= 2)
    p.full += px_bytes * (double) ww * wh;
  if (*n_idx >= 1 && (ww != w || wh != h))
    p.full += px_bytes * (double) ww * wh;

  for (size_t t = 0; t < sizeof tiles / sizeof tiles[0]; t++)
    {
      int tile = tiles[t];
      /* The finish: stylized, content and output regions, the mask, the
       * resampling source. */
      p.tile = (4.0 * px_bytes + sizeof (float)) * (double) tile * tile;
      if (*n_idx > 0)
        p.tile += ns_ff_tile_bytes (model, idx, *n_idx, tile);
      info->tile = tile;
      info->bytes = plan_peak (&p, extra);
      if (info->bytes <= info->budget)
        return NS_OK;
    }
  return ns_fail (
      err, NS_ERR_NOMEM,
      "rendering a %dx%d image needs about %.0f MB (composition at %dx%d: "
      "%.0f MB; styles: %.0f MB; full-size buffers and %d px tiles: %.0f "
      "MB; held by the caller: %.0f MB), more than the memory budget of "
      "%.0f MB: raise the budget (memory-budget, NS_MEMORY_LIMIT_MB), "
      "lower design-size or set max-size",
      w, h, info->bytes / MIB, dw, dh, (p.design + p.strip) / MIB,
      p.styles / MIB, info->tile, (p.full + p.tile) / MIB, extra / MIB,
      info->budget / MIB);
}

ns_status
ns_render_plan (const ns_model *model, const ns_params *params, int width,
                int height, const ns_style *styles, int n_styles,
                double extra_bytes, ns_render_info *info, ns_error *err)
{
  int idx[5], n_idx;
  ns_render_info tmp;
  if (!model || !params || (!styles && n_styles > 0))
    return ns_fail (err, NS_ERR_INVALID_ARG, "render plan: missing argument");
  if (width < NS_MIN_SIZE || height < NS_MIN_SIZE || width > NS_MAX_SIZE ||
      height > NS_MAX_SIZE)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "content image is %dx%d: sides must be in [%d, %d]", width,
                    height, NS_MIN_SIZE, NS_MAX_SIZE);
  return plan (model, params, width, height, styles, n_styles, extra_bytes,
               info ? info : &tmp, idx, &n_idx, err);
}

/* ------------------------------------------------------------ readers */

static ns_status
read_stream_rgb (void *ud, int x, int y, int w, int h, float *out,
                 ns_error *err)
{
  const ns_stream *io = ud;
  return io->read_rgb (io->user_data, x, y, w, h, out, err);
}

static ns_status
read_stream_mask (void *ud, int x, int y, int w, int h, float *out,
                  ns_error *err)
{
  const ns_stream *io = ud;
  return io->read_mask (io->user_data, x, y, w, h, out, err);
}

/* An in-memory planar image of N planes. */
typedef struct
{
  const float *data;
  int w, h, planes;
  bool clamp;
} mem_src;

static ns_status
read_mem (void *ud, int x, int y, int w, int h, float *out, ns_error *err)
{
  const mem_src *m = ud;
  for (int c = 0; c < m->planes; c++)
    for (int yy = 0; yy < h; yy++)
      {
        const float *s = m->data + ((size_t) c * m->h + y + yy) * m->w + x;
        float *d = out + ((size_t) c * h + yy) * w;
        if (m->clamp)
          for (int xx = 0; xx < w; xx++)
            d[xx] = s[xx] > 0.0f ? (s[xx] < 1.0f ? s[xx] : 1.0f) : 0.0f;
        else
          memcpy (d, s, sizeof (float) * (size_t) w);
      }
  (void) err;
  return NS_OK;
}

/* A source resampled to DW x DH on the fly (ns_resize_region). */
typedef struct
{
  ns_region_fn read;
  void *ud;
  int sw, sh, dw, dh, planes;
} scaled_src;

static ns_status
read_scaled (void *ud, int x, int y, int w, int h, float *out, ns_error *err)
{
  const scaled_src *s = ud;
  if (s->sw == s->dw && s->sh == s->dh)
    return s->read (s->ud, x, y, w, h, out, err);
  return ns_resize_region (s->read, s->ud, s->sw, s->sh, s->planes, s->dw,
                           s->dh, x, y, w, h, out, err);
}

/* Fills OUT (N planes of DW x DH) from SRC in strips of rows. */
static ns_status
read_whole (const scaled_src *src, float *out, ns_error *err)
{
  const int dw = src->dw, dh = src->dh, n = src->planes;
  double row_src = (double) src->sw * n * sizeof (float) *
                   ((double) src->sh / dh + 4.0);
  int rows = (int) (STRIP_BYTES / row_src);
  float *buf;
  ns_status st = NS_OK;

  if (rows < 1)
    rows = 1;
  if (rows > dh)
    rows = dh;
  buf = ns_alloc (sizeof *buf * (size_t) n * dw * rows);
  if (!buf)
    return ns_fail (err, NS_ERR_NOMEM, "out of memory");
  for (int y = 0; y < dh && st == NS_OK; y += rows)
    {
      int h = y + rows <= dh ? rows : dh - y;
      st = read_scaled ((void *) src, 0, y, dw, h, buf, err);
      for (int c = 0; c < n && st == NS_OK; c++)
        memcpy (out + ((size_t) c * dh + y) * dw, buf + (size_t) c * dw * h,
                sizeof (float) * (size_t) dw * h);
    }
  ns_free (buf);
  return st;
}

/* ------------------------------------------------------------- finish */

typedef struct
{
  const ns_stream *io;
  const ns_params *params;
  bool blend_mask;
  ns_run *run;
} finisher;

/* RES: the unclamped stylized region at the content size. */
static ns_status
finish_region (void *ud, int x, int y, int w, int h, const float *res,
               ns_error *err)
{
  const finisher *f = ud;
  const size_t n = (size_t) w * h;
  ns_image out = { 0 }, content = { 0 };
  float *mask = NULL;
  ns_status st = ns_image_alloc (&out, w, h, err);

  if (st != NS_OK)
    return st;
  for (size_t i = 0; i < 3 * n; i++)
    {
      float v = res[i];
      if (!isfinite (v))
        {
          st = ns_fail (err, NS_ERR_INTERNAL,
                        "the %s method gave NaN or infinite values (the "
                        "model's weights or the settings are numerically "
                        "unstable): no result was produced; try another "
                        "model or method",
                        ns_method_name (f->params->method));
          goto out;
        }
      out.data[i] = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
    }
  if (f->params->preserve_colors || (f->blend_mask && f->io->read_mask))
    {
      if ((st = ns_image_alloc (&content, w, h, err)) != NS_OK ||
          (st = f->io->read_rgb (f->io->user_data, x, y, w, h, content.data,
                                 err)) != NS_OK)
        goto out;
    }
  if (f->blend_mask && f->io->read_mask)
    {
      mask = ns_alloc (sizeof *mask * n);
      if (!mask)
        {
          st = ns_fail (err, NS_ERR_NOMEM, "out of memory");
          goto out;
        }
      if ((st = f->io->read_mask (f->io->user_data, x, y, w, h, mask, err)) !=
          NS_OK)
        goto out;
    }
  ns_finish_pixels (f->params->preserve_colors, &out, &content, mask);
  st = f->io->write_rgb (f->io->user_data, x, y, w, h, out.data, err);
out:
  ns_free (mask);
  ns_image_free (&out);
  ns_image_free (&content);
  return st;
}

/* Stage 4 from a work-size result held in memory. */
static ns_status
finish_from (const finisher *f, const ns_image *res, int tile, ns_error *err)
{
  const int w = f->io->width, h = f->io->height;
  mem_src m = { res->data, res->width, res->height, 3, true };
  ns_status st = NS_OK;
  float *buf = ns_alloc (sizeof *buf * 3 * (size_t) tile * tile);
  if (!buf)
    return ns_fail (err, NS_ERR_NOMEM, "out of memory");
  ns_run_stage (f->run, "finishing");
  for (int y = 0; y < h && st == NS_OK; y += tile)
    for (int x = 0; x < w && st == NS_OK; x += tile)
      {
        int tw = x + tile <= w ? tile : w - x,
            th = y + tile <= h ? tile : h - y;
        /* Clamped before resizing, as ns_job_finish does. */
        if (res->width == w && res->height == h)
          st = read_mem (&m, x, y, tw, th, buf, err);
        else
          st = ns_resize_region (read_mem, &m, res->width, res->height, 3, w, h,
                                 x, y, tw, th, buf, err);
        if (st == NS_OK)
          st = finish_region ((void *) f, x, y, tw, th, buf, err);
        if (st == NS_OK && !ns_run_tick (f->run, 3.0 * tw * th))
          st = ns_fail (err, NS_ERR_CANCELLED, "cancelled");
      }
  ns_free (buf);
  return st;
}

/* ------------------------------------------------------------- render */

static ns_status
render (ns_context *ctx, const ns_params *params, const ns_stream *io,
        const ns_style *styles, int n_styles, double extra_bytes,
        ns_render_info *info_out, ns_error *err)
{
  ns_render_info info;
  int idx[5], n_idx;
  ns_image design = { 0 }, result = { 0 }, work = { 0 };
  ns_mask dmask = { 0 };
  ns_ff_capture cap = { 0 };
  scaled_src csrc, msrc;
  finisher fin;
  ns_run run;
  ns_job job;
  ns_precision saved;
  bool saved_wino;
  ns_status st;

  if (!io || !io->read_rgb || !io->write_rgb)
    return ns_fail (err, NS_ERR_INVALID_ARG, "render: no content or output");
  if (io->width < NS_MIN_SIZE || io->height < NS_MIN_SIZE ||
      io->width > NS_MAX_SIZE || io->height > NS_MAX_SIZE)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "content image is %dx%d: images must be at least %dx%d "
                    "and at most %d pixels per side",
                    io->width, io->height, NS_MIN_SIZE, NS_MIN_SIZE,
                    NS_MAX_SIZE);
  st = ns_check_request (ctx, params, styles, n_styles, io->read_mask != NULL,
                         err);
  if (st != NS_OK)
    return st;
  st = plan (ctx->model, params, io->width, io->height, styles, n_styles,
             extra_bytes, &info, idx, &n_idx, err);
  if (info_out)
    *info_out = info;
  if (st != NS_OK)
    return st;
  memset (&ctx->counters, 0, sizeof ctx->counters);

  csrc = (scaled_src){
    read_stream_rgb,   (void *) io,        io->width, io->height,
    info.design_width, info.design_height, 3
  };
  msrc = (scaled_src){
    read_stream_mask,  (void *) io,        io->width, io->height,
    info.design_width, info.design_height, 1
  };
  fin = (finisher){ io, params, false, &run };

  ns_run_init (&run, params, 0.0);
  saved = ns_nn_precision_begin (params->precision);
  saved_wino = ns_nn_winograd_begin (ns_winograd_allowed (ctx->model, params));

  /* Stages 1 and 2: the design. */
  ns_run_stage (&run, "reading");
  if ((st = ns_image_alloc (&design, info.design_width, info.design_height,
                            err)) != NS_OK ||
      (st = read_whole (&csrc, design.data, err)) != NS_OK)
    goto out;
  if (io->read_mask &&
      ((st = ns_mask_alloc (&dmask, info.design_width, info.design_height,
                            err)) != NS_OK ||
       (st = read_whole (&msrc, dmask.data, err)) != NS_OK))
    goto out;
  if (!ns_image_finite (&design))
    {
      st = ns_fail (err, NS_ERR_INVALID_ARG,
                    "content has NaN or infinite pixels");
      goto out;
    }
  memset (&job, 0, sizeof job);
  job.model = ctx->model;
  job.params = params;
  job.content = &design;
  job.styles = styles;
  job.n_styles = n_styles;
  job.mask = io->read_mask ? &dmask : NULL;
  job.run = &run;
  job.full_content = &design;
  job.full_mask = job.mask;
  job.blend_mask = io->read_mask && ns_method_blends_mask (params, n_styles);
  /* The whole method at the design size (it is the preview); the
   * cascades keep the input and statistics of their shallow levels. */
  if (n_idx > 0)
    {
      cap.level = ctx->model->level_id[idx[0]];
      job.capture = &cap;
    }
  fin.blend_mask = job.blend_mask;
  run.after = (n_idx > 0
                   ? ns_ff_tiled_work (ctx->model, idx, n_idx, info.work_width,
                                       info.work_height, info.tile)
                   : 0.0) +
              3.0 * io->width * (double) io->height;
  st = ns_method_run (ctx, &job, &result, err);
  if (st == NS_OK && !ns_image_finite (&result))
    st = ns_fail (err, NS_ERR_INTERNAL,
                  "the %s method gave NaN or infinite values (the model's "
                  "weights or the settings are numerically unstable): no "
                  "result was produced; try another model or method",
                  ns_method_name (params->method));
  /* A cancelled render writes nothing: the caller keeps its original. */
  if (st != NS_OK)
    goto out;
  ns_image_free (&design);
  ns_mask_free (&dmask);
  run.total = run.done + run.after;

  if (n_idx > 0)
    {
      /* Stage 3: the shallow levels on the upsampled design. */
      bool direct = info.work_width == io->width &&
                    info.work_height == io->height;
      scaled_src mwork = {
        read_stream_mask, (void *) io,      io->width, io->height,
        info.work_width,  info.work_height, 1
      };
      const ns_stats *stats[5] = { NULL };
      mem_src rsrc = { cap.input.data, cap.input.width, cap.input.height, 3,
                       false };
      scaled_src up = { read_mem,
                        &rsrc,
                        cap.input.width,
                        cap.input.height,
                        info.work_width,
                        info.work_height,
                        3 };
      ns_ff_tiled_io tio = { read_scaled, &up, NULL, NULL, NULL, NULL };
      /* The design's own result is the preview; not needed from here. */
      ns_image_free (&result);
      for (int i = 0; i < 5; i++)
        if (cap.have[i])
          stats[i] = &cap.stats[i];
      job.content = NULL;
      job.mask = NULL;
      if (io->read_mask)
        {
          tio.read_mask = read_scaled;
          tio.mask_user_data = &mwork;
        }
      if (direct)
        {
          tio.write = finish_region;
          tio.out_user_data = &fin;
        }
      else
        {
          if ((st = ns_image_alloc (&work, info.work_width, info.work_height,
                                    err)) != NS_OK)
            goto out;
          tio.write = ns_image_write_region;
          tio.out_user_data = &work;
        }
      st = ns_ff_tiled_levels (ctx, &job, idx, n_idx, info.work_width,
                               info.work_height, info.tile, stats, &tio, err);
      if (st == NS_OK && !direct)
        {
          ns_image_free (&result);
          st = finish_from (&fin, &work, info.tile, err);
        }
    }
  else
    /* Stage 4 only: upsample the design (or write it as is). */
    st = finish_from (&fin, &result, info.tile, err);
  if (st == NS_OK && run.cancelled)
    st = ns_fail (err, NS_ERR_CANCELLED, "cancelled");

out:
  ns_nn_winograd_end (saved_wino);
  ns_nn_precision_end (saved);
  ns_image_free (&design);
  ns_image_free (&result);
  ns_image_free (&work);
  ns_mask_free (&dmask);
  ns_ff_capture_clear (&cap);
  return st;
}

/* ------------------------------------------------ ns_stylize's large path */

typedef struct
{
  const ns_image *content;
  const ns_mask *mask;
  ns_image *out;
} image_io;

static ns_status
img_read_rgb (void *ud, int x, int y, int w, int h, float *rgb, ns_error *err)
{
  const image_io *im = ud;
  mem_src m = { im->content->data, im->content->width, im->content->height, 3,
                false };
  return read_mem (&m, x, y, w, h, rgb, err);
}

static ns_status
img_read_mask (void *ud, int x, int y, int w, int h, float *out, ns_error *err)
{
  const image_io *im = ud;
  mem_src m = { im->mask->data, im->mask->width, im->mask->height, 1, false };
  return read_mem (&m, x, y, w, h, out, err);
}

static ns_status
img_write (void *ud, int x, int y, int w, int h, const float *rgb,
           ns_error *err)
{
  const image_io *im = ud;
  return ns_image_write_region (im->out, x, y, w, h, rgb, err);
}

ns_status
ns_render_image (ns_context *ctx, const ns_params *params,
                 const ns_image *content, const ns_style *styles, int n_styles,
                 const ns_mask *mask, ns_image *out, ns_error *err)
{
  image_io im = { content, mask, out };
  ns_stream io = { content->width, content->height,
                   img_read_rgb,   mask ? img_read_mask : NULL,
                   img_write,      &im };
  ns_status st = ns_render (ctx, params, &io, styles, n_styles, 0.0, NULL, err);
  if (st == NS_ERR_CANCELLED)
    /* As ns_stylize: the content when there is nothing better. */
    memcpy (out->data, content->data,
            sizeof (float) * 3 * (size_t) content->width * content->height);
  return st;
}

ns_status
ns_render (ns_context *ctx, const ns_params *params, const ns_stream *io,
           const ns_style *styles, int n_styles, double extra_bytes,
           ns_render_info *info_out, ns_error *err)
{
  ns_status st = render (ctx, params, io, styles, n_styles, extra_bytes,
                         info_out, err);
  /* The buffers kept for reuse during the job go back (core.c). */
  ns_alloc_trim ();
  return st;
}
