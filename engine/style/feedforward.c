/* The feed-forward methods: single-level AdaIN, and the AdaIN / WCT
 * cascades of Li et al. 2017 (as PytorchWCT and the
 * Collaborative-Distillation WCT.py: level 5 -> 1, each level encodes the
 * previous level's output, transforms it against the style's features at
 * that level, decodes, and hands the image on; no clamping between
 * levels).  Called by ns_stylize (engine/stylize.c) with checked
 * arguments at the working size; ns_stylize then clamps, resizes back and
 * preserves colours.
 *
 * Every transform is a per-pixel affine map of the features (AdaIN:
 * diagonal, WCT: full), so several styles mix exactly by mixing their maps,
 * and the strength alpha is alpha * map + (1 - alpha) * identity.  With a
 * mask (downsampled to each level's feature grid by area averaging) the
 * features are m * T0 + (1 - m) * T1, T1 being style 1's map or, with one
 * style, the identity; the style weights are then not used.
 *
 * Sizes: the content is padded (right/bottom, reflection) to a multiple of
 * the encoder's downsampling and cropped back after decoding; styles are
 * encoded unpadded (they only give statistics) after resizing their long
 * side to style_size.
 *
 * Cache (ns_ff_cache, kept in the context): per style image (hashed with
 * style_size) the feature statistics per level and the derived AdaIN
 * mean/std and WCT colouring matrix; for the working content (hashed with
 * the first level) the deepest encoding, its statistics and derived
 * terms. */
#include "style.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"

/* -------------------------------------------------------------- cache */

/* Per style image: statistics per model level, and what AdaIN / WCT
 * derive from them (computed on first use). */
struct ns_ff_style
{
  uint64_t key;
  bool have[5];
  ns_stats stats[5];
  double *mean[5], *std[5]; /* AdaIN */
  double *color[5];         /* WCT colouring matrix */
};
typedef struct ns_ff_style style_entry;

/* The first (deepest) content encoding of the last call. */
typedef struct
{
  bool valid;
  uint64_t key;
  ns_tensor feat;
  ns_stats stats;
  double *mean, *std; /* AdaIN */
  double *whiten;     /* WCT */
} content_entry;

struct ns_ff_cache
{
  style_entry *styles[NS_MAX_STYLES]; /* the styles of the last call */
  int n_styles;
  content_entry content;
};

static void
style_entry_free (style_entry *e)
{
  if (!e)
    return;
  for (int i = 0; i < 5; i++)
    {
      ns_fstats_clear (&e->stats[i]);
      free (e->mean[i]);
      free (e->std[i]);
      free (e->color[i]);
    }
  free (e);
}

static void
content_entry_clear (content_entry *e)
{
  ns_tensor_free (&e->feat);
  ns_fstats_clear (&e->stats);
  free (e->mean);
  free (e->std);
  free (e->whiten);
  memset (e, 0, sizeof *e);
}

void
ns_ff_cache_free (ns_ff_cache *cache)
{
  if (!cache)
    return;
  for (int i = 0; i < cache->n_styles; i++)
    style_entry_free (cache->styles[i]);
  content_entry_clear (&cache->content);
  free (cache);
}

/* A fast 64-bit hash (multiply-rotate over 8-byte words); collisions
 * between two different images of the same size are negligible. */
static uint64_t
hash_mix (uint64_t h, uint64_t v)
{
  h ^= v * 0x9E3779B97F4A7C15ull;
  h = (h << 31) | (h >> 33);
  return h * 0xC2B2AE3D27D4EB4Full;
}

static uint64_t
hash_image (uint64_t h, const ns_image *img)
{
  size_t nbytes = (size_t) img->width * img->height * 3 * sizeof (float);
  const unsigned char *p = (const unsigned char *) img->data;
  size_t i = 0;
  h = hash_mix (h, (uint64_t) img->width);
  h = hash_mix (h, (uint64_t) img->height);
  for (; i + 8 <= nbytes; i += 8)
    {
      uint64_t w;
      memcpy (&w, p + i, 8);
      h = hash_mix (h, w);
    }
  for (; i < nbytes; i++)
    h = hash_mix (h, p[i]);
  return h ^ (h >> 29);
}

/* ------------------------------------------------------------ helpers */

static int
level_index_of (const ns_model *model, int level)
{
  for (int i = 0; i < model->n_levels; i++)
    if (model->level_id[i] == level)
      return i;
  return -1;
}

/* Single-level AdaIN works at relu4_1 when the model has it (cd16x,
 * vgg19), else at its deepest level (lst-r31: relu3_1). */
static int
single_level_index (const ns_model *model)
{
  int i = level_index_of (model, 4);
  return i >= 0 ? i : model->n_levels - 1;
}

/* Encodes IMG with encoder IDX; PAD_TO as ns_image_to_tensor. */
ns_status
ns_ff_encode (const ns_model *model, int idx, const ns_image *img, int pad_to,
              ns_tensor *feat, ns_run *run, ns_error *err)
{
  ns_tensor in = { 0 };
  ns_status st = ns_image_to_tensor (img, pad_to, &in, err);
  if (st != NS_OK)
    return st;
  st = ns_net_forward (&model->enc[idx], &in, feat, run, err);
  ns_tensor_free (&in);
  return st;
}

ns_status
ns_ff_stats_of (const ns_tensor *f, ns_stats *s, int n_threads, ns_error *err)
{
  ns_status st = ns_fstats_init (s, f->c, err);
  if (st != NS_OK)
    return st;
  st = ns_fstats_add (s, f, 0, 0, f->w, f->h, n_threads, err);
  if (st != NS_OK)
    ns_fstats_clear (s);
  return st;
}

static ns_status
adain_derive (const ns_stats *s, double **mean, double **std, ns_error *err)
{
  if (*mean)
    return NS_OK;
  *mean = malloc (sizeof **mean * (size_t) s->c);
  *std = malloc (sizeof **std * (size_t) s->c);
  if (!*mean || !*std)
    {
      free (*mean);
      free (*std);
      *mean = *std = NULL;
      return ns_fail (err, NS_ERR_NOMEM, "out of memory");
    }
  ns_adain_mean_std (s, *mean, *std);
  return NS_OK;
}

static ns_status
wct_derive (const ns_stats *s, bool whiten, double **m, ns_error *err)
{
  ns_status st;
  if (*m)
    return NS_OK;
  *m = malloc (sizeof **m * (size_t) s->c * (size_t) s->c);
  if (!*m)
    return ns_fail (err, NS_ERR_NOMEM, "out of memory");
  st = whiten ? ns_wct_whitening (s, *m, err) : ns_wct_coloring (s, *m, err);
  if (st != NS_OK)
    {
      free (*m);
      *m = NULL;
    }
  return st;
}

static int
round_up (int v, int m)
{
  return m > 1 ? (v + m - 1) / m * m : v;
}

/* Source index of padded index I on an axis of N samples: reflection when
 * the padding is shorter than the axis, else edge replication (as
 * ns_image_to_tensor pads the image). */
static int
pad_index (int i, int n, bool reflect)
{
  if (i < n)
    return i;
  return reflect ? 2 * n - 2 - i : n - 1;
}

/* Downsamples the (working-size) mask to the FW x FH feature grid of an
 * encoder by area averaging, after the same padding to PAD_TO as the
 * image. */
static ns_status
mask_to_features (const ns_mask *mask, int pad_to, int fw, int fh, float **out,
                  ns_error *err)
{
  const int w = mask->width, h = mask->height;
  const int tw = round_up (w, pad_to), th = round_up (h, pad_to);
  ns_mask t = { 0 };
  ns_status st = ns_mask_alloc (&t, tw, th, err);
  float *m;

  if (st != NS_OK)
    return st;
  for (int y = 0; y < th; y++)
    for (int x = 0; x < tw; x++)
      t.data[(size_t) y * tw + x] =
          mask->data[(size_t) pad_index (y, h, th - h < h) * w +
                     pad_index (x, w, tw - w < w)];
  m = malloc (sizeof *m * (size_t) fw * (size_t) fh);
  if (!m)
    {
      ns_mask_free (&t);
      return ns_fail (err, NS_ERR_NOMEM, "out of memory");
    }
  if (t.width % fw == 0 && t.height % fh == 0)
    {
      int fx = t.width / fw, fy = t.height / fh;
      for (int y = 0; y < fh; y++)
        for (int x = 0; x < fw; x++)
          {
            double acc = 0.0;
            for (int j = 0; j < fy; j++)
              for (int i = 0; i < fx; i++)
                acc += t.data[(size_t) (y * fy + j) * t.width + x * fx + i];
            m[(size_t) y * fw + x] = (float) (acc / (fx * fy));
          }
    }
  else
    {
      /* Ceil-mode pools on an unpadded size: resample instead. */
      ns_mask dst = { 0 };
      st = ns_mask_resize (&t, fw, fh, &dst, err);
      if (st != NS_OK)
        {
          free (m);
          ns_mask_free (&t);
          return st;
        }
      memcpy (m, dst.data, sizeof *m * (size_t) fw * fh);
      ns_mask_free (&dst);
    }
  ns_mask_free (&t);
  *out = m;
  return NS_OK;
}

/* Crops the decoded tensor T (top-left aligned: ns_image_to_tensor pads
 * right and bottom) into a new W x H image.  No clamping: the cascade hands
 * unclamped images from level to level, as PytorchWCT does (and
 * ns_tensor_to_image would clamp). */
ns_status
ns_ff_crop_to_image (const ns_tensor *t, int w, int h, ns_image *img,
                     ns_error *err)
{
  ns_status st;
  if (t->c != 3 || t->w < w || t->h < h)
    return ns_fail (err, NS_ERR_SHAPE,
                    "decoder output %dx%dx%d cannot give a %dx%d image", t->c,
                    t->h, t->w, w, h);
  st = ns_image_alloc (img, w, h, err);
  if (st != NS_OK)
    return st;
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < h; y++)
      memcpy (img->data + ((size_t) c * h + y) * w,
              t->data + ((size_t) c * t->h + y) * t->w,
              sizeof (float) * (size_t) w);
  return NS_OK;
}

/* ------------------------------------------------------------ styles */

/* Feature pixels a level needs, in the content and in every style, for
 * its statistics to mean something.  Below that (a 16x16 image has 1x1
 * features at relu5_1) AdaIN and WCT map every pixel to the style's mean
 * (a one-pixel style has no spread to colour with): the decoder then gives
 * one flat colour, and the later levels, seeing a flat image, keep it
 * flat.  Such levels are skipped (usable_levels), and small styles are
 * enlarged (style_work_size).  2x2 is enough for a result with the
 * content's structure (tests/engine-style, test_small); more would also
 * skip levels of images that stylize well today (e.g. 48x32). */
#define NS_FF_MIN_PIXELS 4

/* Feature pixels of encoder ENC on a W x H image padded to PAD_TO. */
static double
feature_pixels (const ns_net *enc, int w, int h, int pad_to)
{
  int fc, fh, fw;
  ns_net_out_shape (enc, enc->n_layers, round_up (h, pad_to),
                    round_up (w, pad_to), &fc, &fh, &fw);
  return (double) fh * fw;
}

/* The size a style is encoded at: its long side STYLE_SIZE (when > 0),
 * enlarged if need be so that the deepest level's features have
 * NS_FF_MIN_PIXELS pixels (2x2: each side at least twice the deepest
 * downsampling).  It depends on the model only, as the cache needs. */
static void
style_work_size (const ns_model *model, const ns_image *style, int style_size,
                 int *w, int *h)
{
  int min_side = 2 * model->enc[model->n_levels - 1].downsample;
  *w = style->width;
  *h = style->height;
  if (style_size > 0)
    ns_fit_long_side (*w, *h, style_size, w, h);
  if (*w < min_side || *h < min_side)
    {
      double f = (double) min_side / (*w < *h ? *w : *h);
      *w = (int) ceil (*w * f);
      *h = (int) ceil (*h * f);
    }
}

/* Makes sure entry E has statistics for every level index in IDX. */
static ns_status
ensure_style (ns_context *ctx, style_entry *e, const ns_image *style,
              int style_size, const int *idx, int n_idx, ns_run *run,
              ns_error *err)
{
  const ns_model *model = ctx->model;
  ns_image resized = { 0 };
  const ns_image *img = style;
  ns_status st = NS_OK;
  bool need = false;

  for (int k = 0; k < n_idx; k++)
    if (!e->have[idx[k]])
      need = true;
  if (!need)
    return NS_OK;

  /* STYLE_SIZE sets the long side, enlarging small styles as well. */
  {
    int w, h;
    style_work_size (model, style, style_size, &w, &h);
    if (w != style->width || h != style->height)
      {
        st = ns_image_resize (style, w, h, &resized, err);
        if (st != NS_OK)
          return st;
        img = &resized;
      }
  }

  ns_run_stage (run, "encoding style");
  for (int k = 0; k < n_idx && st == NS_OK; k++)
    {
      int i = idx[k];
      ns_tensor f = { 0 };
      if (e->have[i])
        continue;
      /* No padding: the style only contributes statistics. */
      st = ns_ff_encode (model, i, img, 1, &f, run, err);
      ctx->counters.style_encodes++;
      if (st == NS_OK)
        st = ns_ff_stats_of (&f, &e->stats[i], run->n_threads, err);
      ns_tensor_free (&f);
      if (st == NS_OK)
        e->have[i] = true;
    }
  ns_image_free (&resized);
  return st;
}

/* ------------------------------------------------------------ levels */

/* Progress units for one transform (the networks report FLOPs). */
static double
transform_work (const ns_tensor *fc)
{
  return 2.0 * fc->c * (double) fc->c * fc->h * (double) fc->w;
}

typedef ns_ff_levels level_job;

/* The map of style S at level IDX against content statistics CS with its
 * derived AdaIN / WCT terms. */
static ns_status
style_map (const level_job *job, int s, int idx, const ns_stats *cs,
           double *c_mean, double *c_std, double *c_whiten, ns_affine *map,
           ns_error *err)
{
  style_entry *e = job->entries[s];
  ns_status st;
  if (job->wct)
    {
      st = wct_derive (&e->stats[idx], false, &e->color[idx], err);
      if (st != NS_OK)
        return st;
      return ns_wct_map (c_whiten, cs->mean, e->color[idx], e->stats[idx].mean,
                         cs->c, map, err);
    }
  st = adain_derive (&e->stats[idx], &e->mean[idx], &e->std[idx], err);
  if (st != NS_OK)
    return st;
  return ns_adain_map (c_mean, c_std, e->mean[idx], e->std[idx], cs->c, map,
                       err);
}

/* Transforms the content features FC (statistics CS) at level IDX into
 * the decoder input T. */
ns_status
ns_ff_transform_level (const level_job *job, int idx, int pad_to,
                       const ns_tensor *fc, const ns_stats *cs, double **c_mean,
                       double **c_std, double **c_whiten, ns_tensor *t,
                       ns_run *run, ns_error *err)
{
  const int c = fc->c;
  const double alpha = job->params->strength;
  ns_affine maps[2] = { { 0 }, { 0 } };
  ns_status st;
  int n_maps;

  if (job->wct)
    st = wct_derive (cs, true, c_whiten, err);
  else
    st = adain_derive (cs, c_mean, c_std, err);
  if (st != NS_OK)
    return st;

  if (!job->mask)
    {
      /* One map: sum_s w_s map_s, blended with the identity by alpha. */
      st = ns_affine_init (&maps[0], c, !job->wct, err);
      for (int s = 0; s < job->n_styles && st == NS_OK; s++)
        {
          ns_affine ms = { 0 };
          st = style_map (job, s, idx, cs, *c_mean, *c_std, *c_whiten, &ms,
                          err);
          if (st == NS_OK)
            ns_affine_accumulate (&maps[0], &ms, job->weights[s]);
          ns_affine_clear (&ms);
        }
      n_maps = 1;
    }
  else
    {
      /* Mask: map 0 is style 0 (mask 1); map 1 is style 1 or, with a
       * single style, the identity (original features). */
      n_maps = job->n_styles;
      st = NS_OK;
      for (int s = 0; s < n_maps && st == NS_OK; s++)
        st = style_map (job, s, idx, cs, *c_mean, *c_std, *c_whiten, &maps[s],
                        err);
    }
  if (st != NS_OK)
    goto out;
  for (int m = 0; m < n_maps; m++)
    ns_affine_scale_add_identity (&maps[m], alpha, 1.0 - alpha);

  if (n_maps == 1 && !job->mask)
    {
      st = ns_affine_apply (&maps[0], fc, t, run->n_threads, err);
    }
  else
    {
      ns_tensor t0 = { 0 }, t1 = { 0 };
      const ns_tensor *src1 = fc;
      float *m = NULL;
      size_t plane = (size_t) fc->h * fc->w;

      st = mask_to_features (job->mask, pad_to, fc->w, fc->h, &m, err);
      if (st == NS_OK)
        st = ns_affine_apply (&maps[0], fc, &t0, run->n_threads, err);
      if (st == NS_OK && n_maps == 2)
        {
          st = ns_affine_apply (&maps[1], fc, &t1, run->n_threads, err);
          src1 = &t1;
        }
      if (st == NS_OK)
        {
          /* Reuse T0's storage for the blend. */
          for (int ch = 0; ch < c; ch++)
            {
              float *d = t0.data + (size_t) ch * plane;
              const float *o = src1->data + (size_t) ch * plane;
              for (size_t k = 0; k < plane; k++)
                d[k] = m[k] * d[k] + (1.0f - m[k]) * o[k];
            }
          *t = t0;
          t0.data = NULL;
        }
      ns_tensor_free (&t0);
      ns_tensor_free (&t1);
      free (m);
    }
  if (st == NS_OK && !ns_run_tick (run, transform_work (fc)))
    {
      ns_tensor_free (t);
      st = ns_fail (err, NS_ERR_CANCELLED, "cancelled");
    }
out:
  ns_affine_clear (&maps[0]);
  ns_affine_clear (&maps[1]);
  return st;
}

/* ------------------------------------------------------------ stylize */

/* Resolves the cache entries for STYLES, dropping entries no longer used
 * (the cache holds the styles of the last call). */
static ns_status
bind_styles (ns_ff_cache *cache, const ns_params *params,
             const ns_style *styles, int n_styles, style_entry **entries,
             ns_error *err)
{
  style_entry *keep[NS_MAX_STYLES];
  int n_keep = 0;

  for (int s = 0; s < n_styles; s++)
    {
      uint64_t key = hash_image (hash_mix (0x5e1f,
                                           (uint64_t) params->style_size),
                                 styles[s].image);
      style_entry *e = NULL;
      for (int k = 0; k < n_keep && !e; k++)
        if (keep[k]->key == key)
          e = keep[k];
      for (int k = 0; k < cache->n_styles && !e; k++)
        if (cache->styles[k] && cache->styles[k]->key == key)
          {
            e = cache->styles[k];
            cache->styles[k] = NULL;
            keep[n_keep++] = e;
          }
      if (!e)
        {
          e = calloc (1, sizeof *e);
          if (!e)
            {
              for (int k = 0; k < n_keep; k++)
                style_entry_free (keep[k]);
              return ns_fail (err, NS_ERR_NOMEM, "out of memory");
            }
          e->key = key;
          keep[n_keep++] = e;
        }
      entries[s] = e;
    }
  for (int k = 0; k < cache->n_styles; k++)
    style_entry_free (cache->styles[k]);
  memcpy (cache->styles, keep, sizeof keep[0] * (size_t) n_keep);
  cache->n_styles = n_keep;
  return NS_OK;
}

/* The level indices METHOD runs, in order (deepest first). */
static int
levels_of (const ns_model *model, ns_method method, int *idx)
{
  int n = 0;
  if (method == NS_METHOD_ADAIN)
    idx[n++] = single_level_index (model);
  else
    for (int i = model->n_levels - 1; i >= 0; i--)
      idx[n++] = i;
  return n;
}

/* The levels of METHOD (levels_of) whose content features (W x H, padded
 * as it is encoded) have NS_FF_MIN_PIXELS pixels; when none has, the
 * shallowest, so that the content is still stylized.  Styles are enlarged
 * for their statistics instead (style_work_size): skipping levels for a
 * small style would make a style's result depend on the others given. */
int
ns_ff_usable_levels (const ns_model *model, ns_method method, int min_level,
                     int max_level, int w, int h, int *idx)
{
  int all[5], n_all = levels_of (model, method, all), n = 0;
  for (int k = 0; k < n_all; k++)
    {
      const ns_net *enc = &model->enc[all[k]];
      int id = model->level_id[all[k]];
      if (id < min_level || (max_level > 0 && id > max_level))
        continue;
      if (feature_pixels (enc, w, h, enc->downsample) >= NS_FF_MIN_PIXELS)
        idx[n++] = all[k];
    }
  if (n == 0 && min_level <= 1 && max_level <= 0)
    idx[n++] = all[n_all - 1];
  return n;
}

/* The padded size an encoder sees for a W x H image, and its feature
 * grid. */
void
ns_ff_level_sizes (const ns_net *enc, int w, int h, int *wp, int *hp, int *fc,
                   int *fw, int *fh)
{
  *hp = round_up (h, enc->downsample);
  *wp = round_up (w, enc->downsample);
  ns_net_out_shape (enc, enc->n_layers, *hp, *wp, fc, fh, fw);
}

/* Keeps what ns_render's full-size stage needs from level I: the input of
 * the first captured level, the content statistics of each. */
static ns_status
capture_level (ns_ff_capture *cap, int i, int level, const ns_image *src,
               const ns_stats *cs, ns_error *err)
{
  ns_status st;
  if (level == cap->level && !cap->input.data)
    {
      st = ns_image_alloc (&cap->input, src->width, src->height, err);
      if (st != NS_OK)
        return st;
      memcpy (cap->input.data, src->data,
              sizeof (float) * 3 * (size_t) src->width * src->height);
    }
  if (cap->have[i])
    return NS_OK;
  st = ns_fstats_init (&cap->stats[i], cs->c, err);
  if (st != NS_OK)
    return st;
  cap->stats[i].n = cs->n;
  memcpy (cap->stats[i].mean, cs->mean, sizeof (double) * (size_t) cs->c);
  memcpy (cap->stats[i].m2, cs->m2,
          sizeof (double) * (size_t) cs->c * (size_t) cs->c);
  cap->have[i] = true;
  return NS_OK;
}

ns_status
ns_ff_bind (ns_context *ctx, const ns_job *job, ns_ff_bound *b, ns_error *err)
{
  const ns_params *params = job->params;
  double wsum = 0.0;
  ns_status st;

  if (!ctx->ff && !(ctx->ff = calloc (1, sizeof *ctx->ff)))
    return ns_fail (err, NS_ERR_NOMEM, "out of memory");
  st = bind_styles (ctx->ff, params, job->styles, job->n_styles, b->entries,
                    err);
  if (st != NS_OK)
    return st;
  for (int s = 0; s < job->n_styles; s++)
    wsum += job->styles[s].weight;
  for (int s = 0; s < job->n_styles; s++)
    b->weights[s] = wsum > 0.0 ? job->styles[s].weight / wsum : 0.0;
  memset (&b->lv, 0, sizeof b->lv);
  b->lv.params = params;
  b->lv.styles = job->styles;
  b->lv.n_styles = job->n_styles;
  b->lv.entries = b->entries;
  b->lv.weights = b->weights;
  b->lv.wct = params->method == NS_METHOD_WCT;
  return NS_OK;
}

double
ns_ff_style_work (const ns_context *ctx, const ns_job *job,
                  const ns_ff_bound *b, const int *idx, int n_idx)
{
  double total = 0.0;
  for (int k = 0; k < n_idx; k++)
    for (int s = 0; s < job->n_styles; s++)
      if (!b->entries[s]->have[idx[k]])
        {
          int sw, sh;
          style_work_size (ctx->model, job->styles[s].image,
                           job->params->style_size, &sw, &sh);
          total += ns_net_flops (&ctx->model->enc[idx[k]], sh, sw);
        }
  return total;
}

ns_status
ns_ff_ensure_styles (ns_context *ctx, const ns_job *job, ns_ff_bound *b,
                     const int *idx, int n_idx, ns_error *err)
{
  ns_status st = NS_OK;
  for (int s = 0; s < job->n_styles && st == NS_OK; s++)
    st = ensure_style (ctx, b->entries[s], job->styles[s].image,
                       job->params->style_size, idx, n_idx, job->run, err);
  return st;
}

/* It errs high (cd16x at 2048x1536: 717 MB peak RSS measured). */
double
ns_ff_memory_need (const ns_model *model, ns_method method, int w, int h)
{
  int idx[5], n_idx = levels_of (model, method, idx);
  double need = 0.0;

  for (int k = 0; k < n_idx; k++)
    {
      const ns_net *enc = &model->enc[idx[k]];
      int hp, wp, fc, fh, fw;
      double feat, e, d, level;

      ns_ff_level_sizes (enc, w, h, &wp, &hp, &fc, &fw, &fh);
      feat = (double) fc * fh * (double) fw * sizeof (float);
      e = ns_net_peak_bytes (enc, hp, wp);
      d = ns_net_peak_bytes (&model->dec[idx[k]], fh, fw);
      /* Image-sized buffers (content, working copies, output, mask) and
       * the features being transformed, beside the larger pass. */
      level = (e > d ? e : d) + feat +
              16.0 * sizeof (float) * (double) hp * (double) wp;
      if (level > need)
        need = level;
    }
  return need;
}

ns_status
ns_ff_stylize (ns_context *ctx, const ns_job *job, ns_image *result,
               ns_error *err)
{
  const ns_model *model = ctx->model;
  const ns_params *params = job->params;
  const ns_image *content = job->content;
  const int ww = content->width, wh = content->height;
  ns_run *run = job->run;
  int idx[5], n_idx = ns_ff_usable_levels (model, params->method,
                                           job->ff_min_level, 0, ww, wh, idx);
  ns_ff_bound b;
  ns_image cur = { 0 };
  ns_status st = NS_OK;
  double total = 0.0;
  uint64_t content_key;
  ns_ff_cache *cache;
  level_job lj;

  if (n_idx == 0)
    {
      /* Every level runs later (the tiled stage of ns_render). */
      st = ns_image_alloc (result, ww, wh, err);
      if (st == NS_OK)
        memcpy (result->data, content->data,
                sizeof (float) * 3 * (size_t) ww * wh);
      return st;
    }
  if ((st = ns_ff_bind (ctx, job, &b, err)) != NS_OK)
    return st;
  cache = ctx->ff;

  /* The working content (max_size applied) with the first level. */
  content_key = hash_image (hash_mix (0xc0de, (uint64_t) idx[0]), content);

  /* Progress total: the network passes still to run. */
  for (int k = 0; k < n_idx; k++)
    {
      int i = idx[k], hp, wp, fc, fh, fw;
      const ns_net *enc = &model->enc[i];
      ns_ff_level_sizes (enc, ww, wh, &wp, &hp, &fc, &fw, &fh);
      if (!(k == 0 && cache->content.valid &&
            cache->content.key == content_key))
        total += ns_net_flops (enc, hp, wp);
      total += ns_net_flops (&model->dec[i], fh, fw);
      total += 2.0 * fc * (double) fc * fh * (double) fw;
    }
  total += ns_ff_style_work (ctx, job, &b, idx, n_idx);
  run->total = run->done + (total > 0.0 ? total : 1.0) + run->after;

  if ((st = ns_ff_ensure_styles (ctx, job, &b, idx, n_idx, err)) != NS_OK)
    return st;
  lj = b.lv;
  lj.mask = job->mask;

  for (int k = 0; k < n_idx && st == NS_OK; k++)
    {
      int i = idx[k];
      int pad_to = model->enc[i].downsample;
      const ns_image *src = k == 0 ? content : &cur;
      ns_tensor fc_own = { 0 }, t = { 0 }, dec = { 0 };
      ns_stats cs_own = { 0 };
      const ns_tensor *fc;
      ns_stats *cs;
      double *c_mean = NULL, *c_std = NULL, *c_whiten = NULL;
      double **pm = &c_mean, **ps = &c_std, **pw = &c_whiten;
      ns_image next = { 0 };

      if (k == 0)
        {
          content_entry *ce = &cache->content;
          if (!(ce->valid && ce->key == content_key))
            {
              content_entry_clear (ce);
              ns_run_stage (run, "encoding content");
              st = ns_ff_encode (model, i, src, pad_to, &ce->feat, run, err);
              ctx->counters.content_encodes++;
              if (st == NS_OK)
                st = ns_ff_stats_of (&ce->feat, &ce->stats, run->n_threads,
                                     err);
              if (st != NS_OK)
                {
                  content_entry_clear (ce);
                  break;
                }
              ce->valid = true;
              ce->key = content_key;
            }
          fc = &ce->feat;
          cs = &ce->stats;
          pm = &ce->mean;
          ps = &ce->std;
          pw = &ce->whiten;
        }
      else
        {
          ns_run_stage (run, "encoding content");
          st = ns_ff_encode (model, i, src, pad_to, &fc_own, run, err);
          ctx->counters.content_encodes++;
          if (st == NS_OK)
            st = ns_ff_stats_of (&fc_own, &cs_own, run->n_threads, err);
          fc = &fc_own;
          cs = &cs_own;
        }

      if (st == NS_OK && job->capture &&
          model->level_id[i] <= job->capture->level)
        st = capture_level (job->capture, i, model->level_id[i], src, cs, err);
      if (st == NS_OK)
        {
          ns_run_stage (run, "transforming");
          st = ns_ff_transform_level (&lj, i, pad_to, fc, cs, pm, ps, pw, &t,
                                      run, err);
        }
      ns_tensor_free (&fc_own);
      ns_fstats_clear (&cs_own);
      free (c_mean);
      free (c_std);
      free (c_whiten);
      if (st == NS_OK)
        {
          ns_run_stage (run, "decoding");
          st = ns_net_forward (&model->dec[i], &t, &dec, run, err);
          ctx->counters.decodes++;
        }
      ns_tensor_free (&t);
      if (st == NS_OK)
        st = ns_ff_crop_to_image (&dec, ww, wh, &next, err);
      ns_tensor_free (&dec);
      ns_image_free (&cur);
      cur = next;
    }
  if (st == NS_OK && run->cancelled)
    st = ns_fail (err, NS_ERR_CANCELLED, "cancelled");
  if (st != NS_OK)
    {
      ns_image_free (&cur);
      return st;
    }
  /* Unclamped: ns_stylize finishes it. */
  *result = cur;
  return NS_OK;
}
