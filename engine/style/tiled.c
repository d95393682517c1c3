/* The shallow levels of the cascades at full size, in overlapping tiles
 * (ns_render, engine/render.c): the deep levels have composed the image at
 * the design size; these levels add full-resolution texture on top of it.
 *
 * Each level runs in two passes.  The first accumulates the content's
 * feature statistics over the whole image, or over an even sample of a
 * large one (Chan's merge, ns_fstats_add); the second transforms every
 * tile with the one map those global statistics give, so every tile gets
 * the same transform.  A tile
 * is encoded with a margin wider than the encoder + decoder's receptive
 * field and its crop origin aligned to the encoder's downsampling, so its
 * feature cells coincide with the whole image's: the inner region equals
 * the untiled result up to float rounding, and no blending is needed to
 * hide seams.  Levels before the last write their output into a work-size
 * buffer the next level reads; the last hands its tiles to the caller. */
#include "style.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"

/* The context a tile needs: 3x3 convs add one pixel each at their scale;
 * a generous 2x keeps rounding differences at the border negligible. */
static int
level_margin (const ns_model *model, int idx)
{
  const ns_net *enc = &model->enc[idx], *dec = &model->dec[idx];
  int rf = 0, scale = 1;
  for (int i = 0; i < enc->n_layers; i++)
    {
      if (enc->layers[i].kind == NS_LAYER_POOL)
        scale *= 2;
      else if (enc->layers[i].kind == NS_LAYER_CONV)
        rf += enc->layers[i].conv.pad * scale;
    }
  for (int i = 0; i < dec->n_layers; i++)
    {
      if (dec->layers[i].kind == NS_LAYER_UPSAMPLE)
        scale /= 2;
      else if (dec->layers[i].kind == NS_LAYER_CONV)
        rf += dec->layers[i].conv.pad * (scale > 0 ? scale : 1);
    }
  rf *= 2;
  return rf < 16 ? 16 : rf;
}

int
ns_ff_tile_margin (const ns_model *model, const int *idx, int n_idx)
{
  int m = 0;
  for (int k = 0; k < n_idx; k++)
    {
      int l = level_margin (model, idx[k]);
      if (l > m)
        m = l;
    }
  return m;
}

double
ns_ff_tile_bytes (const ns_model *model, const int *idx, int n_idx, int tile)
{
  double need = 0.0;
  int m = ns_ff_tile_margin (model, idx, n_idx);
  for (int k = 0; k < n_idx; k++)
    {
      const ns_net *enc = &model->enc[idx[k]];
      int side = tile + 2 * m + enc->downsample, hp, wp, fc, fw, fh;
      double e, d, feat, img;
      ns_ff_level_sizes (enc, side, side, &wp, &hp, &fc, &fw, &fh);
      e = ns_net_peak_bytes (enc, hp, wp);
      d = ns_net_peak_bytes (&model->dec[idx[k]], fh, fw);
      feat = (double) fc * fh * (double) fw * sizeof (float);
      /* Crop, its padded tensor, the decoded crop, the mask crop and the
       * features before and after the transform. */
      img = (3.0 * 3 + 1) * sizeof (float) * (double) hp * wp;
      if ((e > d ? e : d) + 2.0 * feat + img > need)
        need = (e > d ? e : d) + 2.0 * feat + img;
    }
  return need;
}

/* The content statistics a shallow level normalises with: a mix of the
 * design stage's (what the preview used) and the full-size image's (the
 * upsampled design: smoother, so smaller spread).  The full-size ones
 * alone amplify the smooth image into strong, fine texture (13x the
 * Laplacian variance of a design-size render, but the result shrunk to
 * 384 px only 22.9 dB from the preview); the design ones alone give 32 dB
 * but 1.97x (tubingen at 3072 px, starry_night, cd16x cascade).  Half of
 * each: 30.1 dB and 3.4x at 3072 px, 31.5 dB and 3.8x at 2048 px, against
 * targets of 25 dB and 2.5x (tools/bench/design-check.py). */
#define NS_DETAIL_MIX 0.5

/* OWN = (1 - B) * DESIGN + B * OWN, as per-pixel mean and covariance;
 * OWN keeps its pixel count. */
static void
mix_stats (ns_stats *own, const ns_stats *design, double b)
{
  const int c = own->c;
  double *mean_d = design->mean, *mean_o = own->mean;
  if (own->n < 1.0 || design->n < 1.0 || design->c != c)
    return;
  for (int k = 0; k < c * c; k++)
    own->m2[k] = own->n * ((1.0 - b) * design->m2[k] / design->n +
                           b * own->m2[k] / own->n);
  for (int k = 0; k < c; k++)
    mean_o[k] = (1.0 - b) * mean_d[k] + b * mean_o[k];
}

void
ns_ff_capture_clear (ns_ff_capture *cap)
{
  ns_image_free (&cap->input);
  for (int i = 0; i < 5; i++)
    if (cap->have[i])
      ns_fstats_clear (&cap->stats[i]);
  memset (cap, 0, sizeof *cap);
}

typedef struct
{
  int x0, y0, x1, y1; /* the crop, in image pixels */
  int x, y, w, h;     /* the tile it serves */
} tile_box;

static void
tile_crop (int x, int y, int w, int h, int iw, int ih, int m, int ds,
           tile_box *b)
{
  b->x = x;
  b->y = y;
  b->w = w;
  b->h = h;
  b->x0 = (x - m > 0 ? x - m : 0) / ds * ds;
  b->y0 = (y - m > 0 ? y - m : 0) / ds * ds;
  b->x1 = x + w + m < iw ? x + w + m : iw;
  b->y1 = y + h + m < ih ? y + h + m : ih;
  /* At least NS_MIN_SIZE and two feature cells a side. */
  while (b->x1 - b->x0 < NS_MIN_SIZE || b->x1 - b->x0 < 2 * ds)
    {
      if (b->x1 < iw)
        b->x1++;
      else if (b->x0 >= ds)
        b->x0 -= ds;
      else
        break;
    }
  while (b->y1 - b->y0 < NS_MIN_SIZE || b->y1 - b->y0 < 2 * ds)
    {
      if (b->y1 < ih)
        b->y1++;
      else if (b->y0 >= ds)
        b->y0 -= ds;
      else
        break;
    }
}

/* Reads a crop of the level's input and encodes it. */
static ns_status
encode_crop (ns_region_fn read, void *ud, const ns_model *model, int idx,
             const tile_box *b, ns_image *img, ns_tensor *f, ns_run *run,
             ns_error *err)
{
  ns_status st = ns_image_alloc (img, b->x1 - b->x0, b->y1 - b->y0, err);
  if (st != NS_OK)
    return st;
  st = read (ud, b->x0, b->y0, img->width, img->height, img->data, err);
  if (st == NS_OK)
    st = ns_ff_encode (model, idx, img, model->enc[idx].downsample, f, run,
                       err);
  return st;
}

/* Above this many pixels a level's content statistics are measured on a
 * sample: the central quarter of every STATS_CELL square of a grid fixed
 * to the image (the same for any tile size), a quarter of the pixels and
 * about 0.28 of the encoding work.  These are means and covariances of
 * millions of feature vectors; the sample spreads evenly over the image. */
#define STATS_SAMPLE_MIN_PIXELS (6.0 * 1024 * 1024)
#define STATS_CELL 1024

/* Adds the features of the region X,Y,W,H of the level's input (IW x IH)
 * to S: the region is encoded with margin M, and the cells whose top-left
 * pixel is in the region are counted; the image's last (padded) cells
 * belong to the region at that edge, as the untiled encoding counts them. */
static ns_status
stats_region (ns_region_fn read, void *ud, const ns_model *model, int idx,
              int x, int y, int w, int h, int iw, int ih, int m, ns_stats *s,
              ns_run *run, ns_error *err)
{
  const int ds = model->enc[idx].downsample;
  tile_box bx;
  ns_image img = { 0 };
  ns_tensor f = { 0 };
  int fx0, fy0, fx1, fy1;
  ns_status st;

  tile_crop (x, y, w, h, iw, ih, m, ds, &bx);
  st = encode_crop (read, ud, model, idx, &bx, &img, &f, run, err);
  ns_image_free (&img);
  if (st != NS_OK)
    {
      ns_tensor_free (&f);
      return st;
    }
  fx0 = (bx.x + ds - 1) / ds - bx.x0 / ds;
  fy0 = (bx.y + ds - 1) / ds - bx.y0 / ds;
  fx1 = bx.x + bx.w == iw ? f.w : (bx.x + bx.w + ds - 1) / ds - bx.x0 / ds;
  fy1 = bx.y + bx.h == ih ? f.h : (bx.y + bx.h + ds - 1) / ds - bx.y0 / ds;
  if (fx1 > f.w)
    fx1 = f.w;
  if (fy1 > f.h)
    fy1 = f.h;
  if (fx1 > fx0 && fy1 > fy0)
    st = ns_fstats_add (s, &f, fx0, fy0, fx1 - fx0, fy1 - fy0, run->n_threads,
                        err);
  ns_tensor_free (&f);
  if (st == NS_OK && run->cancelled)
    st = ns_fail (err, NS_ERR_CANCELLED, "cancelled");
  return st;
}

double
ns_ff_tiled_work (const ns_model *model, const int *idx, int n_idx, int w,
                  int h, int tile)
{
  int m = ns_ff_tile_margin (model, idx, n_idx);
  double over = (double) (tile + 2 * m) * (tile + 2 * m) /
                ((double) tile * tile);
  /* The statistics pass: every tile, or the sample's blocks. */
  double stats = over, total = 0.0;
  if (over > 4.0)
    over = stats = 4.0;
  if ((double) w * h >= STATS_SAMPLE_MIN_PIXELS)
    stats = 0.25 * (STATS_CELL / 2 + 2.0 * m) * (STATS_CELL / 2 + 2.0 * m) /
            ((double) STATS_CELL * STATS_CELL / 4);
  for (int k = 0; k < n_idx; k++)
    {
      const ns_net *enc = &model->enc[idx[k]];
      int hp, wp, fc, fw, fh;
      ns_ff_level_sizes (enc, w, h, &wp, &hp, &fc, &fw, &fh);
      total += (stats + over) * ns_net_flops (enc, hp, wp) +
               over * ns_net_flops (&model->dec[idx[k]], fh, fw);
    }
  return total;
}

ns_status
ns_ff_tiled_levels (ns_context *ctx, const ns_job *job, const int *idx,
                    int n_idx, int w, int h, int tile,
                    const ns_stats *const *stats, const ns_ff_tiled_io *io,
                    ns_error *err)
{
  const ns_model *model = ctx->model;
  ns_run *run = job->run;
  const int m = ns_ff_tile_margin (model, idx, n_idx);
  ns_ff_bound b;
  ns_image buf = { 0 }, next = { 0 };
  ns_region_fn read = io->read_in;
  void *ud = io->in_user_data;
  ns_status st;

  if ((st = ns_ff_bind (ctx, job, &b, err)) != NS_OK)
    return st;
  if ((st = ns_ff_ensure_styles (ctx, job, &b, idx, n_idx, err)) != NS_OK)
    return st;

  for (int k = 0; k < n_idx && st == NS_OK; k++)
    {
      const int i = idx[k], ds = model->enc[i].downsample;
      const bool last = k == n_idx - 1;
      ns_stats own = { 0 };
      const ns_stats *given = stats ? stats[i] : NULL;
      const ns_stats *cs = &own;
      double *c_mean = NULL, *c_std = NULL, *c_whiten = NULL;
      /* Tiles aligned to the downsampling so cells are not split. */
      const int t = tile / ds * ds > ds ? tile / ds * ds : ds;

      if (!last && (st = ns_image_alloc (&next, w, h, err)) != NS_OK)
        break;
      st = ns_fstats_init (&own, model->enc[i].out_channels, err);

      /* Pass 1: the content's statistics over the whole image, or over
       * an even sample of it when it is large. */
      ns_run_stage (run, "measuring detail");
      if ((double) w * h >= STATS_SAMPLE_MIN_PIXELS)
        for (int cy = 0; cy < h && st == NS_OK; cy += STATS_CELL)
          for (int cx = 0; cx < w && st == NS_OK; cx += STATS_CELL)
            {
              int x0 = cx + STATS_CELL / 4, y0 = cy + STATS_CELL / 4;
              int x1 = cx + 3 * STATS_CELL / 4, y1 = cy + 3 * STATS_CELL / 4;
              if (x1 > w)
                x1 = w;
              if (y1 > h)
                y1 = h;
              if (x1 > x0 && y1 > y0)
                st = stats_region (read, ud, model, i, x0, y0, x1 - x0, y1 - y0,
                                   w, h, m, &own, run, err);
            }
      else
        for (int ty = 0; ty < h && st == NS_OK; ty += t)
          for (int tx = 0; tx < w && st == NS_OK; tx += t)
            st = stats_region (read, ud, model, i, tx, ty,
                               tx + t < w ? t : w - tx, ty + t < h ? t : h - ty,
                               w, h, m, &own, run, err);

      if (st == NS_OK && given)
        mix_stats (&own, given, NS_DETAIL_MIX);

      /* Pass 2: every tile with the one global map. */
      for (int ty = 0; ty < h && st == NS_OK; ty += t)
        for (int tx = 0; tx < w && st == NS_OK; tx += t)
          {
            tile_box bx;
            ns_image img = { 0 }, out = { 0 };
            ns_tensor f = { 0 }, tt = { 0 }, dec = { 0 };
            ns_mask mk = { 0 };
            ns_ff_levels lv = b.lv;
            tile_crop (tx, ty, tx + t < w ? t : w - tx, ty + t < h ? t : h - ty,
                       w, h, m, ds, &bx);
            ns_run_stage (run, "adding detail");
            st = encode_crop (read, ud, model, i, &bx, &img, &f, run, err);
            if (st == NS_OK && io->read_mask)
              {
                st = ns_mask_alloc (&mk, img.width, img.height, err);
                if (st == NS_OK)
                  st = io->read_mask (io->mask_user_data, bx.x0, bx.y0,
                                      img.width, img.height, mk.data, err);
                lv.mask = &mk;
              }
            else
              lv.mask = NULL;
            if (st == NS_OK)
              st = ns_ff_transform_level (&lv, i, ds, &f, cs, &c_mean, &c_std,
                                          &c_whiten, &tt, run, err);
            ns_tensor_free (&f);
            if (st == NS_OK)
              st = ns_net_forward (&model->dec[i], &tt, &dec, run, err);
            ns_tensor_free (&tt);
            if (st == NS_OK)
              st = ns_ff_crop_to_image (&dec, img.width, img.height, &out, err);
            ns_tensor_free (&dec);
            if (st == NS_OK)
              {
                /* The inner region only. */
                ns_image inner = { 0 };
                st = ns_image_alloc (&inner, bx.w, bx.h, err);
                if (st == NS_OK)
                  {
                    size_t op = (size_t) out.width * out.height;
                    size_t ip = (size_t) bx.w * bx.h;
                    for (int c = 0; c < 3; c++)
                      for (int yy = 0; yy < bx.h; yy++)
                        memcpy (inner.data + c * ip + (size_t) yy * bx.w,
                                out.data + c * op +
                                    (size_t) (bx.y - bx.y0 + yy) * out.width +
                                    (bx.x - bx.x0),
                                sizeof (float) * (size_t) bx.w);
                    if (last)
                      st = io->write (io->out_user_data, bx.x, bx.y, bx.w, bx.h,
                                      inner.data, err);
                    else
                      st = ns_image_write_region (&next, bx.x, bx.y, bx.w, bx.h,
                                                  inner.data, err);
                  }
                ns_image_free (&inner);
              }
            ns_image_free (&img);
            ns_image_free (&out);
            ns_mask_free (&mk);
            if (st == NS_OK && run->cancelled)
              st = ns_fail (err, NS_ERR_CANCELLED, "cancelled");
          }
      ns_fstats_clear (&own);
      free (c_mean);
      free (c_std);
      free (c_whiten);
      /* The next level reads this one's output. */
      ns_image_free (&buf);
      buf = next;
      memset (&next, 0, sizeof next);
      read = ns_image_read_region;
      ud = &buf;
    }
  ns_image_free (&buf);
  ns_image_free (&next);
  return st;
}
