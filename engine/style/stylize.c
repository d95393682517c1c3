/* ns_stylize for the feed-forward methods: single-level AdaIN, and the
 * AdaIN / WCT cascades of Li et al. 2017 (as PytorchWCT and the
 * Collaborative-Distillation WCT.py: level 5 -> 1, each level encodes the
 * previous level's output, transforms it against the style's features at
 * that level, decodes, and hands the image on; no clamping between
 * levels).  NS_METHOD_GATYS is dispatched to engine/gatys.
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
 * side to style_size; max_size stylizes a downscaled content and resizes
 * the clamped result back.  Colour preservation is a post-process
 * (color.c).
 *
 * Cache (struct ns_context): per style image (hashed with style_size) the
 * feature statistics per level and the derived AdaIN mean/std and WCT
 * colouring matrix; for the content (hashed with max_size and the first
 * level) the deepest encoding, its statistics and derived terms.  Nothing
 * is global, so contexts may run on different threads. */
#include "style.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../gatys/gatys.h"

#define NS_MIN_SIZE 16
#define NS_MAX_SIZE 65536
#define NS_MAX_STYLES 16

/* -------------------------------------------------------------- cache */

/* Per style image: statistics per model level, and what AdaIN / WCT
 * derive from them (computed on first use). */
typedef struct
{
  uint64_t key;
  bool have[5];
  ns_stats stats[5];
  double *mean[5], *std[5]; /* AdaIN */
  double *color[5];         /* WCT colouring matrix */
} style_entry;

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

struct ns_context
{
  const ns_model *model;
  style_entry *styles[NS_MAX_STYLES];
  int n_styles;
  content_entry content;
  ns_context_counters counters;
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

ns_status
ns_context_new (const ns_model *model, ns_context **out, ns_error *err)
{
  ns_context *ctx;
  if (!out)
    return ns_fail (err, NS_ERR_INVALID_ARG, "context: OUT is NULL");
  *out = NULL;
  if (!model)
    return ns_fail (err, NS_ERR_INVALID_ARG, "context: no model");
  if (model->n_levels < 1 || model->n_levels > 5)
    return ns_fail (err, NS_ERR_INVALID_ARG, "context: model has %d levels",
                    model->n_levels);
  ctx = calloc (1, sizeof *ctx);
  if (!ctx)
    return ns_fail (err, NS_ERR_NOMEM, "out of memory for a context");
  ctx->model = model;
  *out = ctx;
  return NS_OK;
}

void
ns_context_free (ns_context *ctx)
{
  if (!ctx)
    return;
  for (int i = 0; i < ctx->n_styles; i++)
    style_entry_free (ctx->styles[i]);
  content_entry_clear (&ctx->content);
  free (ctx);
}

void
ns_context_get_counters (const ns_context *ctx, ns_context_counters *out)
{
  *out = ctx->counters;
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

static bool
image_finite (const ns_image *img, int channels)
{
  size_t n = (size_t) img->width * img->height * (size_t) channels;
  int bad = 0;
#pragma omp parallel for reduction(| : bad) schedule(static)
  for (size_t i = 0; i < n; i++)
    if (!isfinite (img->data[i]))
      bad = 1;
  return !bad;
}

/* Size with long side LONG_SIDE keeping the aspect ratio, each side at
 * least NS_MIN_SIZE. */
static void
fit_long_side (int w, int h, int long_side, int *ow, int *oh)
{
  if (w >= h)
    {
      *ow = long_side;
      *oh = (int) lround ((double) h * long_side / w);
    }
  else
    {
      *oh = long_side;
      *ow = (int) lround ((double) w * long_side / h);
    }
  if (*ow < NS_MIN_SIZE)
    *ow = NS_MIN_SIZE;
  if (*oh < NS_MIN_SIZE)
    *oh = NS_MIN_SIZE;
}

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
static ns_status
encode (const ns_model *model, int idx, const ns_image *img, int pad_to,
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

static ns_status
stats_of (const ns_tensor *f, ns_stats *s, int n_threads, ns_error *err)
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

/* Downsamples the (work-size) mask to the feature grid of encoder IDX by
 * area averaging, after the same reflection padding as the image. */
static ns_status
mask_to_features (const ns_image *mask3, int pad_to, int fw, int fh,
                  float **out, ns_error *err)
{
  ns_tensor t = { 0 };
  ns_status st = ns_image_to_tensor (mask3, pad_to, &t, err);
  float *m;
  if (st != NS_OK)
    return st;
  m = malloc (sizeof *m * (size_t) fw * (size_t) fh);
  if (!m)
    {
      ns_tensor_free (&t);
      return ns_fail (err, NS_ERR_NOMEM, "out of memory");
    }
  if (t.w % fw == 0 && t.h % fh == 0)
    {
      int fx = t.w / fw, fy = t.h / fh;
      for (int y = 0; y < fh; y++)
        for (int x = 0; x < fw; x++)
          {
            double acc = 0.0;
            for (int j = 0; j < fy; j++)
              for (int i = 0; i < fx; i++)
                acc += t.data[(size_t) (y * fy + j) * t.w + x * fx + i];
            m[(size_t) y * fw + x] = (float) (acc / (fx * fy));
          }
    }
  else
    {
      /* Ceil-mode pools on an unpadded size: resample instead. */
      ns_image src = { t.w, t.h, t.data }, dst = { 0 };
      st = ns_image_resize (&src, fw, fh, &dst, err);
      if (st != NS_OK)
        {
          free (m);
          ns_tensor_free (&t);
          return st;
        }
      memcpy (m, dst.data, sizeof *m * (size_t) fw * fh);
      ns_image_free (&dst);
    }
  ns_tensor_free (&t);
  *out = m;
  return NS_OK;
}

/* Crops the decoded tensor T (top-left aligned: ns_image_to_tensor pads
 * right and bottom) into a new W x H image.  No clamping: the cascade hands
 * unclamped images from level to level, as PytorchWCT does (and
 * ns_tensor_to_image would clamp). */
static ns_status
tensor_crop_to_image (const ns_tensor *t, int w, int h, ns_image *img,
                      ns_error *err)
{
  ns_status st;
  if (t->c != 3 || t->w < w || t->h < h)
    return ns_fail (err, NS_ERR_SHAPE,
                    "decoder output %dx%dx%d cannot give a %dx%d image",
                    t->c, t->h, t->w, w, h);
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
  if (style_size > 0)
    {
      int w, h;
      fit_long_side (style->width, style->height, style_size, &w, &h);
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
      st = encode (model, i, img, 1, &f, run, err);
      ctx->counters.style_encodes++;
      if (st == NS_OK)
        st = stats_of (&f, &e->stats[i], run->n_threads, err);
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

typedef struct
{
  const ns_params *params;
  const ns_style *styles;
  int n_styles;
  style_entry **entries;
  double *weights; /* normalised */
  const ns_image *mask3; /* work size, 3 identical planes, or NULL */
  bool wct;
} level_job;

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
      return ns_wct_map (c_whiten, cs->mean, e->color[idx],
                         e->stats[idx].mean, cs->c, map, err);
    }
  st = adain_derive (&e->stats[idx], &e->mean[idx], &e->std[idx], err);
  if (st != NS_OK)
    return st;
  return ns_adain_map (c_mean, c_std, e->mean[idx], e->std[idx], cs->c, map,
                       err);
}

/* Transforms the content features FC (statistics CS) at level IDX into
 * the decoder input T. */
static ns_status
transform_level (const level_job *job, int idx, int pad_to,
                 const ns_tensor *fc, const ns_stats *cs, double **c_mean,
                 double **c_std, double **c_whiten, ns_tensor *t, ns_run *run,
                 ns_error *err)
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

  if (!job->mask3)
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

  if (n_maps == 1 && !job->mask3)
    {
      st = ns_affine_apply (&maps[0], fc, t, run->n_threads, err);
    }
  else
    {
      ns_tensor t0 = { 0 }, t1 = { 0 };
      const ns_tensor *src1 = fc;
      float *m = NULL;
      size_t plane = (size_t) fc->h * fc->w;

      st = mask_to_features (job->mask3, pad_to, fc->w, fc->h, &m, err);
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

/* ---------------------------------------------------------- validation */

static ns_status
check_image (const ns_image *img, const char *what, ns_error *err)
{
  if (!img || !img->data)
    return ns_fail (err, NS_ERR_INVALID_ARG, "%s image is missing", what);
  if (img->width < NS_MIN_SIZE || img->height < NS_MIN_SIZE)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "%s image is %dx%d: images must be at least %dx%d pixels",
                    what, img->width, img->height, NS_MIN_SIZE, NS_MIN_SIZE);
  if (img->width > NS_MAX_SIZE || img->height > NS_MAX_SIZE)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "%s image is %dx%d: at most %d pixels per side", what,
                    img->width, img->height, NS_MAX_SIZE);
  return NS_OK;
}

static ns_status
check_args (const ns_context *ctx, const ns_params *params,
            const ns_image *content, const ns_style *styles, int n_styles,
            const ns_image *mask, const ns_image *out, ns_error *err)
{
  ns_status st;
  double wsum = 0.0;

  if (!ctx || !params || !out)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "stylize: context, params and output are required");
  if ((st = check_image (content, "content", err)) != NS_OK)
    return st;
  if (!out->data || out->width != content->width
      || out->height != content->height)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "output must be allocated at the content size %dx%d",
                    content->width, content->height);
  if ((unsigned) params->method > NS_METHOD_GATYS)
    return ns_fail (err, NS_ERR_INVALID_ARG, "unknown method %d",
                    (int) params->method);
  if (!(params->strength >= 0.0f && params->strength <= 1.0f))
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "strength must be in [0, 1] (got %g)",
                    (double) params->strength);
  if (params->style_size != 0
      && (params->style_size < NS_MIN_SIZE || params->style_size > NS_MAX_SIZE))
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "style size must be 0 or in [%d, %d] (got %d)",
                    NS_MIN_SIZE, NS_MAX_SIZE, params->style_size);
  if (params->max_size != 0
      && (params->max_size < NS_MIN_SIZE || params->max_size > NS_MAX_SIZE))
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "maximum size must be 0 or in [%d, %d] (got %d)",
                    NS_MIN_SIZE, NS_MAX_SIZE, params->max_size);
  if (params->n_threads < 0 || params->n_threads > 1024)
    return ns_fail (err, NS_ERR_INVALID_ARG, "bad thread count %d",
                    params->n_threads);
  if (!styles || n_styles < 1)
    return ns_fail (err, NS_ERR_INVALID_ARG, "at least one style is needed");
  if (n_styles > NS_MAX_STYLES)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "too many styles (%d, at most %d)", n_styles,
                    NS_MAX_STYLES);
  for (int s = 0; s < n_styles; s++)
    {
      char what[32];
      snprintf (what, sizeof what, "style %d", s);
      if ((st = check_image (styles[s].image, what, err)) != NS_OK)
        return st;
      if (!(styles[s].weight >= 0.0f) || !isfinite (styles[s].weight))
        return ns_fail (err, NS_ERR_INVALID_ARG,
                        "style %d: weight must be finite and >= 0 (got %g)",
                        s, (double) styles[s].weight);
      wsum += styles[s].weight;
      if (!image_finite (styles[s].image, 3))
        return ns_fail (err, NS_ERR_INVALID_ARG,
                        "style %d has NaN or infinite pixels", s);
    }
  if (!mask && !(wsum > 0.0))
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "style weights sum to zero");
  if (mask)
    {
      if (!mask->data || mask->width != content->width
          || mask->height != content->height)
        return ns_fail (err, NS_ERR_INVALID_ARG,
                        "mask must have the content size %dx%d",
                        content->width, content->height);
      if (n_styles > 2)
        return ns_fail (err, NS_ERR_INVALID_ARG,
                        "a mask works with one or two styles (got %d)",
                        n_styles);
      if (!image_finite (mask, 1))
        return ns_fail (err, NS_ERR_INVALID_ARG,
                        "mask has NaN or infinite values");
    }
  if (!image_finite (content, 3))
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "content has NaN or infinite pixels");
  return NS_OK;
}

/* ------------------------------------------------------------ stylize */

static int
round_up (int v, int m)
{
  return m > 1 ? (v + m - 1) / m * m : v;
}

/* Resolves the cache entries for STYLES, dropping entries no longer used
 * (the cache holds the styles of the last call). */
static ns_status
bind_styles (ns_context *ctx, const ns_params *params, const ns_style *styles,
             int n_styles, style_entry **entries, ns_error *err)
{
  style_entry *keep[NS_MAX_STYLES];
  int n_keep = 0;

  for (int s = 0; s < n_styles; s++)
    {
      uint64_t key = hash_image (hash_mix (0x5e1f, (uint64_t)
                                           params->style_size),
                                 styles[s].image);
      style_entry *e = NULL;
      for (int k = 0; k < n_keep && !e; k++)
        if (keep[k]->key == key)
          e = keep[k];
      for (int k = 0; k < ctx->n_styles && !e; k++)
        if (ctx->styles[k] && ctx->styles[k]->key == key)
          {
            e = ctx->styles[k];
            ctx->styles[k] = NULL;
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
  for (int k = 0; k < ctx->n_styles; k++)
    style_entry_free (ctx->styles[k]);
  memcpy (ctx->styles, keep, sizeof keep[0] * (size_t) n_keep);
  ctx->n_styles = n_keep;
  return NS_OK;
}

/* Peak bytes of one pass of NET at H x W: ns_net_forward keeps two
 * buffers of the largest activation. */
static double
net_peak_bytes (const ns_net *net, int h, int w)
{
  double hh = h, ww = w, c = net->in_channels, peak = c * hh * ww;

  for (int l = 0; l < net->n_layers; l++)
    {
      const ns_layer *layer = &net->layers[l];
      if (layer->kind == NS_LAYER_CONV)
        c = layer->conv.cout;
      else if (layer->kind == NS_LAYER_POOL)
        {
          hh = ceil (hh / 2.0);
          ww = ceil (ww / 2.0);
        }
      else
        {
          hh *= 2.0;
          ww *= 2.0;
        }
      if (c * hh * ww > peak)
        peak = c * hh * ww;
    }
  return 2.0 * sizeof (float) * peak;
}

/* Estimates the working memory of a run at W x H for ns_memory_check.
 * It errs high (cd16x at 2048x1536: 717 MB peak RSS measured, 1.1 GB
 * estimated). */
static ns_status
check_memory (const ns_model *model, const int *idx, int n_idx, int w, int h,
              ns_error *err)
{
  double need = 0.0;

  for (int k = 0; k < n_idx; k++)
    {
      const ns_net *enc = &model->enc[idx[k]];
      int ds = enc->downsample > 0 ? enc->downsample : 1;
      int hp = round_up (h, ds), wp = round_up (w, ds);
      double feat = (double) enc->out_channels * (hp / ds) * (double) (wp / ds)
                    * sizeof (float);
      double e = net_peak_bytes (enc, hp, wp);
      double d = net_peak_bytes (&model->dec[idx[k]], hp / ds, wp / ds);
      /* Image-sized buffers (content, working copies, output, mask) and
       * the features being transformed, beside the larger pass. */
      double level = (e > d ? e : d) + feat
                     + 16.0 * sizeof (float) * (double) hp * (double) wp;
      if (level > need)
        need = level;
    }
  return ns_memory_check (need, w, h, err);
}

static ns_status
stylize_ff (ns_context *ctx, const ns_params *params, const ns_image *content,
            const ns_style *styles, int n_styles, const ns_image *mask,
            ns_image *out, ns_error *err)
{
  const ns_model *model = ctx->model;
  int idx[5], n_idx = 0;
  style_entry *entries[NS_MAX_STYLES];
  double weights[NS_MAX_STYLES];
  ns_image work = { 0 }, mask3 = { 0 }, cur = { 0 }, up = { 0 };
  const ns_image *work_img = content;
  ns_status st = NS_OK;
  ns_run run;
  double total = 0.0, wsum = 0.0;
  uint64_t content_key;
  int ww = content->width, wh = content->height;
  level_job job;

  memset (&ctx->counters, 0, sizeof ctx->counters);

  if (params->method == NS_METHOD_ADAIN)
    idx[n_idx++] = single_level_index (model);
  else
    for (int i = model->n_levels - 1; i >= 0; i--)
      idx[n_idx++] = i;

  /* Working size. */
  if (params->max_size > 0
      && (content->width > params->max_size
          || content->height > params->max_size))
    {
      fit_long_side (content->width, content->height, params->max_size, &ww,
                     &wh);
      if ((st = ns_image_resize (content, ww, wh, &work, err)) != NS_OK)
        return st;
      work_img = &work;
    }
  if ((st = check_memory (model, idx, n_idx, ww, wh, err)) != NS_OK)
    goto out;
  if (mask)
    {
      /* Three identical planes so the image helpers pad and resample it
       * exactly as the content. */
      ns_image m3 = { 0 };
      size_t n = (size_t) content->width * content->height;
      if ((st = ns_image_alloc (&m3, content->width, content->height, err))
          != NS_OK)
        goto out;
      for (int c = 0; c < 3; c++)
        memcpy (m3.data + c * n, mask->data, sizeof (float) * n);
      if (ww != content->width || wh != content->height)
        {
          st = ns_image_resize (&m3, ww, wh, &mask3, err);
          ns_image_free (&m3);
          if (st != NS_OK)
            goto out;
        }
      else
        mask3 = m3;
    }

  if ((st = bind_styles (ctx, params, styles, n_styles, entries, err))
      != NS_OK)
    goto out;
  for (int s = 0; s < n_styles; s++)
    wsum += styles[s].weight;
  for (int s = 0; s < n_styles; s++)
    weights[s] = wsum > 0.0 ? styles[s].weight / wsum : 0.0;

  content_key = hash_image (hash_mix (hash_mix (0xc0de, (uint64_t) idx[0]),
                                      (uint64_t) params->max_size),
                            content);

  /* Progress total: the network passes still to run. */
  for (int k = 0; k < n_idx; k++)
    {
      int i = idx[k];
      const ns_net *enc = &model->enc[i];
      int hp = round_up (wh, enc->downsample), wp = round_up (ww,
                                                             enc->downsample);
      int ds = enc->downsample > 0 ? enc->downsample : 1;
      if (!(k == 0 && ctx->content.valid && ctx->content.key == content_key))
        total += ns_net_flops (enc, hp, wp);
      total += ns_net_flops (&model->dec[i], hp / ds, wp / ds);
      total += 2.0 * enc->out_channels * (double) enc->out_channels
               * (hp / ds) * (double) (wp / ds);
      for (int s = 0; s < n_styles; s++)
        if (!entries[s]->have[i])
          {
            int sw = styles[s].image->width, sh = styles[s].image->height;
            if (params->style_size > 0)
              fit_long_side (sw, sh, params->style_size, &sw, &sh);
            total += ns_net_flops (enc, sh, sw);
          }
    }
  ns_run_init (&run, params, total);

  for (int s = 0; s < n_styles && st == NS_OK; s++)
    st = ensure_style (ctx, entries[s], styles[s].image, params->style_size,
                       idx, n_idx, &run, err);
  if (st != NS_OK)
    goto out;

  job.params = params;
  job.styles = styles;
  job.n_styles = n_styles;
  job.entries = entries;
  job.weights = weights;
  job.mask3 = mask ? &mask3 : NULL;
  job.wct = params->method == NS_METHOD_WCT;

  for (int k = 0; k < n_idx && st == NS_OK; k++)
    {
      int i = idx[k];
      int pad_to = model->enc[i].downsample;
      const ns_image *src = k == 0 ? work_img : &cur;
      ns_tensor fc_own = { 0 }, t = { 0 }, dec = { 0 };
      ns_stats cs_own = { 0 };
      const ns_tensor *fc;
      ns_stats *cs;
      double *c_mean = NULL, *c_std = NULL, *c_whiten = NULL;
      double **pm = &c_mean, **ps = &c_std, **pw = &c_whiten;
      ns_image next = { 0 };

      if (k == 0)
        {
          content_entry *ce = &ctx->content;
          if (!(ce->valid && ce->key == content_key))
            {
              content_entry_clear (ce);
              ns_run_stage (&run, "encoding content");
              st = encode (model, i, src, pad_to, &ce->feat, &run, err);
              ctx->counters.content_encodes++;
              if (st == NS_OK)
                st = stats_of (&ce->feat, &ce->stats, run.n_threads, err);
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
          ns_run_stage (&run, "encoding content");
          st = encode (model, i, src, pad_to, &fc_own, &run, err);
          ctx->counters.content_encodes++;
          if (st == NS_OK)
            st = stats_of (&fc_own, &cs_own, run.n_threads, err);
          fc = &fc_own;
          cs = &cs_own;
        }

      if (st == NS_OK)
        {
          ns_run_stage (&run, "transforming");
          st = transform_level (&job, i, pad_to, fc, cs, pm, ps, pw, &t, &run,
                                err);
        }
      ns_tensor_free (&fc_own);
      ns_fstats_clear (&cs_own);
      free (c_mean);
      free (c_std);
      free (c_whiten);
      if (st == NS_OK)
        {
          ns_run_stage (&run, "decoding");
          st = ns_net_forward (&model->dec[i], &t, &dec, &run, err);
          ctx->counters.decodes++;
        }
      ns_tensor_free (&t);
      if (st == NS_OK)
        st = tensor_crop_to_image (&dec, ww, wh, &next, err);
      ns_tensor_free (&dec);
      ns_image_free (&cur);
      cur = next;
    }
  if (st != NS_OK)
    goto out;
  if (run.cancelled)
    {
      st = ns_fail (err, NS_ERR_CANCELLED, "cancelled");
      goto out;
    }

  /* Clamp, back to the content size, colours. */
  {
    size_t n = (size_t) 3 * ww * wh;
    for (size_t k = 0; k < n; k++)
      {
        float v = cur.data[k];
        cur.data[k] = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
      }
  }
  if (ww != content->width || wh != content->height)
    {
      if ((st = ns_image_resize (&cur, content->width, content->height, &up,
                                 err)) != NS_OK)
        goto out;
      ns_image_free (&cur);
      cur = up;
      memset (&up, 0, sizeof up);
    }
  if (params->preserve_colors)
    ns_luminance_transfer (&cur, content);
  {
    size_t n = (size_t) 3 * content->width * content->height;
    for (size_t k = 0; k < n; k++)
      {
        float v = cur.data[k];
        out->data[k] = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
      }
  }

out:
  ns_image_free (&work);
  ns_image_free (&mask3);
  ns_image_free (&cur);
  ns_image_free (&up);
  return st;
}

ns_status
ns_stylize (ns_context *ctx, const ns_params *params, const ns_image *content,
            const ns_style *styles, int n_styles, const ns_image *mask,
            ns_image *out, ns_error *err)
{
  ns_status st = check_args (ctx, params, content, styles, n_styles, mask,
                             out, err);
  if (st != NS_OK)
    return st;
  if (params->method == NS_METHOD_GATYS)
    {
      return ns_gatys_stylize (ctx->model, params, content, styles, n_styles,
                               mask, out, NULL, err);
    }
  return stylize_ff (ctx, params, content, styles, n_styles, mask, out, err);
}
