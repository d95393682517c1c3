/* ns_stylize: the one entry point every method goes through (see
 * stylize.h).  Arguments are checked here once; the method then gets the
 * content and mask at the working size, and its result is finished here
 * (ns_job_finish). */
#include "stylize.h"

#include "gatys/gatys.h"
#include "fast/fast.h"
#include "microast/microast.h"
#include "nn/nn-dnnl.h"
#include "style/style.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Marks a string for xgettext; ns_tr translates it. */
#define N_(s) s

/* ---------------------------------------------------------- validation */

static bool
all_finite (const float *x, size_t n)
{
  int bad = 0;
#pragma omp parallel for reduction(| : bad) schedule(static)
  for (size_t i = 0; i < n; i++)
    if (!isfinite (x[i]))
      bad = 1;
  return !bad;
}

bool
ns_image_finite (const ns_image *img)
{
  return all_finite (img->data, (size_t) img->width * img->height * 3);
}

static ns_status
check_image (const ns_image *img, const char *what, ns_error *err)
{
  if (!img || !img->data)
    return ns_fail (err, NS_ERR_INVALID_ARG, "%s is missing", what);
  if (img->width < NS_MIN_SIZE || img->height < NS_MIN_SIZE)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "%s is %dx%d: images must be at least %dx%d pixels", what,
                    img->width, img->height, NS_MIN_SIZE, NS_MIN_SIZE);
  if (img->width > NS_MAX_SIZE || img->height > NS_MAX_SIZE)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "%s is %dx%d: at most %d pixels per side", what, img->width,
                    img->height, NS_MAX_SIZE);
  return NS_OK;
}

static ns_status
check_size (int v, const char *what, ns_error *err)
{
  if (v != 0 && (v < NS_MIN_SIZE || v > NS_MAX_SIZE))
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "%s must be 0 or in [%d, %d] (got %d)", what, NS_MIN_SIZE,
                    NS_MAX_SIZE, v);
  return NS_OK;
}

static ns_status
check_gatys (const ns_gatys_params *gp, ns_error *err)
{
  if (gp->iterations < 0 || gp->scales < 0 || !isfinite (gp->content_weight) ||
      !isfinite (gp->style_weight) || !isfinite (gp->tv_weight) ||
      gp->content_weight < 0 || gp->style_weight < 0 || gp->tv_weight < 0)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "gatys: iterations, scales and weights must be >= 0");
  if (gp->init == NS_INIT_IMAGE &&
      (!gp->init_image || !gp->init_image->data || gp->init_image->width <= 0 ||
       gp->init_image->height <= 0))
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "gatys: the initial image is empty");
  return NS_OK;
}

ns_status
ns_check_request (const ns_context *ctx, const ns_params *params,
                  const ns_style *styles, int n_styles, bool has_mask,
                  ns_error *err)
{
  ns_status st;
  double wsum = 0.0;

  if (!ctx || !params)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "stylize: context and params are required");
  if ((unsigned) params->method > NS_METHOD_FAST)
    return ns_fail (err, NS_ERR_INVALID_ARG, "unknown method %d",
                    (int) params->method);
  if (!(params->strength >= 0.0f && params->strength <= 1.0f))
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "strength must be in [0, 1] (got %g)",
                    (double) params->strength);
  if ((st = check_size (params->style_size, "style size", err)) != NS_OK ||
      (st = check_size (params->max_size, "maximum size", err)) != NS_OK ||
      (st = check_size (params->design_size, "design size", err)) != NS_OK)
    return st;
  if (params->memory_budget_mb < 0)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "memory budget must be >= 0 MB (got %d)",
                    params->memory_budget_mb);
  if (params->n_threads < 0 || params->n_threads > 1024)
    return ns_fail (err, NS_ERR_INVALID_ARG, "bad thread count %d",
                    params->n_threads);
  if (params->method == NS_METHOD_GATYS &&
      (st = check_gatys (&params->gatys, err)) != NS_OK)
    return st;
  /* A fast style is the model itself: styles are ignored. */
  if (params->method == NS_METHOD_FAST)
    return NS_OK;
  if (!styles || n_styles < 1)
    return ns_fail (err, NS_ERR_INVALID_ARG, "at least one style is needed");
  if (n_styles > NS_MAX_STYLES)
    return ns_fail (err, NS_ERR_INVALID_ARG, "too many styles (%d, at most %d)",
                    n_styles, NS_MAX_STYLES);
  for (int s = 0; s < n_styles; s++)
    {
      char what[64];
      /* Styles are numbered from 1 in every message, as users count. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      snprintf (what, sizeof what, ns_tr (N_ ("style image %d")), s + 1);
#pragma GCC diagnostic pop
      if ((st = check_image (styles[s].image, what, err)) != NS_OK)
        return st;
      if (!(styles[s].weight >= 0.0f) || !isfinite (styles[s].weight))
        return ns_fail (err, NS_ERR_INVALID_ARG,
                        "style %d: weight must be finite and >= 0 (got %g)",
                        s + 1, (double) styles[s].weight);
      wsum += styles[s].weight;
      if (!ns_image_finite (styles[s].image))
        return ns_fail (err, NS_ERR_INVALID_ARG,
                        "style %d has NaN or infinite pixels", s + 1);
    }
  if (!has_mask && !(wsum > 0.0))
    return ns_fail (err, NS_ERR_INVALID_ARG, "style weights sum to zero");
  if (has_mask && n_styles > 2)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "a mask works with one or two styles (got %d)", n_styles);
  return NS_OK;
}

static ns_status
check_args (const ns_context *ctx, const ns_params *params,
            const ns_image *content, const ns_style *styles, int n_styles,
            const ns_mask *mask, const ns_image *out, ns_error *err)
{
  ns_status st;

  if (!out)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "stylize: context, params and output are required");
  if ((st = check_image (content, ns_tr (N_ ("content image")), err)) != NS_OK)
    return st;
  if (!out->data || out->width != content->width ||
      out->height != content->height)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "output must be allocated at the content size %dx%d",
                    content->width, content->height);
  if ((st = ns_check_request (ctx, params, styles, n_styles, mask != NULL,
                              err)) != NS_OK)
    return st;
  if (mask)
    {
      if (!mask->data || mask->width != content->width ||
          mask->height != content->height)
        return ns_fail (err, NS_ERR_INVALID_ARG,
                        "mask must have the content size %dx%d", content->width,
                        content->height);
      if (!all_finite (mask->data, (size_t) mask->width * mask->height))
        return ns_fail (err, NS_ERR_INVALID_ARG,
                        "mask has NaN or infinite values");
    }
  if (!ns_image_finite (content))
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "content has NaN or infinite pixels");
  return NS_OK;
}

/* ------------------------------------------------------------- methods */

ns_status
ns_method_run (ns_context *ctx, const ns_job *job, ns_image *result,
               ns_error *err)
{
  /* The VGG-based methods cannot run on MicroAST's networks (the other
     way round: ns_microast_run says so). */
  if (job->params->method != NS_METHOD_MICROAST &&
      job->params->method != NS_METHOD_FAST &&
      ns_model_get_kind (job->model) == NS_MODEL_MICROAST)
    return ns_fail (err, NS_ERR_UNSUPPORTED,
                    "the %s method needs a VGG-based model (cd16x, vgg19 or "
                    "lst-r31); a MicroAST model runs only the microast method",
                    ns_method_name (job->params->method));
  if ((job->params->method == NS_METHOD_FAST) !=
      (ns_model_get_kind (job->model) == NS_MODEL_FAST))
    return ns_fail (err, NS_ERR_UNSUPPORTED,
                    job->params->method == NS_METHOD_FAST
                        ? "the fast-style method needs a fast style model "
                          "(transformer.param and STYLE.bin)"
                        : "a fast style model runs only the fast-style "
                          "method");
  switch (job->params->method)
    {
    case NS_METHOD_FAST:
      return ns_fast_run (ctx, job, result, err);
    case NS_METHOD_GATYS:
      return ns_gatys_run (job, result, err);
    case NS_METHOD_MICROAST:
      return ns_microast_run (job, result, err);
    case NS_METHOD_CASCADE_ADAIN:
    case NS_METHOD_WCT:
    case NS_METHOD_ADAIN:
    default:
      return ns_ff_stylize (ctx, job, result, err);
    }
}

/* Bytes the method needs at W x H beyond the caller's images, for
 * ns_memory_check; 0 when the method checks for itself (Gatys: per
 * scale, in its feature network's buffers). */
double
ns_method_memory (const ns_model *model, const ns_params *params, int w, int h)
{
  if (params->method == NS_METHOD_GATYS)
    return 0.0;
  if (params->method == NS_METHOD_FAST ||
      ns_model_get_kind (model) == NS_MODEL_FAST)
    return ns_fast_memory_need (model, w, h) +
           ns_model_cache_bytes (model, params);
  if (params->method == NS_METHOD_MICROAST ||
      ns_model_get_kind (model) == NS_MODEL_MICROAST)
    return ns_microast_memory_need (params, w, h);
  return ns_ff_memory_need (model, params->method, w, h) +
         ns_model_cache_bytes (model, params);
}

static double
cache_bytes (const ns_model *model, bool wino)
{
  double b = 0.0;
  if (!model)
    return 0.0;
  for (int i = 0; i < model->n_levels; i++)
    b += ns_net_cache_bytes (&model->enc[i], wino) +
         ns_net_cache_bytes (&model->dec[i], wino);
  return b + ns_fast_net_cache_bytes (model->fast, wino);
}

/* Winograd's transformed weights are speed bought with memory: taken
   when they are at most a sixteenth of the memory budget (VGG-19 and its
   decoder, about 90 MB, from a budget of 1.5 GB; cd16x's 30 MB from
   480 MB), else oneDNN's direct kernels keep the budget for the image. */
bool
ns_winograd_allowed (const ns_model *model, const ns_params *params)
{
  return cache_bytes (model, true) <= ns_memory_budget (params) / 16.0;
}

double
ns_model_cache_bytes (const ns_model *model, const ns_params *params)
{
  return cache_bytes (model, ns_winograd_allowed (model, params));
}

bool
ns_method_blends_mask (const ns_params *params, int n_styles)
{
  /* A fast style never uses the mask itself. */
  if (params->method == NS_METHOD_FAST)
    return true;
  /* Gatys and MicroAST use a mask themselves only to give two styles
     their regions. */
  return (params->method == NS_METHOD_GATYS ||
          params->method == NS_METHOD_MICROAST) &&
         n_styles == 1;
}

/* ------------------------------------------------------------- stylize */

static ns_status
stylize (ns_context *ctx, const ns_params *params, const ns_image *content,
         const ns_style *styles, int n_styles, const ns_mask *mask,
         ns_image *out, ns_error *err)
{
  ns_image work = { 0 }, result = { 0 };
  ns_mask work_mask = { 0 };
  ns_run run;
  ns_job job;
  ns_status st;
  int ww = content ? content->width : 0, wh = content ? content->height : 0;

  st = check_args (ctx, params, content, styles, n_styles, mask, out, err);
  if (st != NS_OK)
    return st;
  memset (&ctx->counters, 0, sizeof ctx->counters);
  /* Larger than the design size: composed there, detailed in tiles. */
  if (ns_render_needed (params, content->width, content->height))
    return ns_render_image (ctx, params, content, styles, n_styles, mask, out,
                            err);

  /* Working size: the content's long side at most max_size. */
  if (params->max_size > 0 &&
      (content->width > params->max_size || content->height > params->max_size))
    ns_fit_long_side (content->width, content->height, params->max_size, &ww,
                      &wh);
  st = ns_memory_check (ns_method_memory (ctx->model, params, ww, wh), ww, wh,
                        err);
  if (st != NS_OK)
    return st;

  memset (&job, 0, sizeof job);
  job.model = ctx->model;
  job.params = params;
  job.content = content;
  job.styles = styles;
  job.n_styles = n_styles;
  job.mask = mask;
  job.run = &run;
  job.full_content = content;
  job.full_mask = mask;
  job.blend_mask = ns_method_blends_mask (params, n_styles) && mask;
  if (ww != content->width || wh != content->height)
    {
      if ((st = ns_image_resize (content, ww, wh, &work, err)) != NS_OK)
        goto out;
      job.content = &work;
      if (mask &&
          (st = ns_mask_resize (mask, ww, wh, &work_mask, err)) != NS_OK)
        goto out;
      if (mask)
        job.mask = &work_mask;
    }

  ns_run_init (&run, params, 0.0);
  {
    /* The convolutions read the precision from the calling thread. */
    ns_precision saved = ns_nn_precision_begin (params->precision);
    bool saved_wino = ns_nn_winograd_begin (
        ns_winograd_allowed (ctx->model, params));
    st = ns_method_run (ctx, &job, &result, err);
    ns_nn_winograd_end (saved_wino);
    ns_nn_precision_end (saved);
  }
  /* Clamping would turn NaN into black (or infinity into white) and call
   * it a result: a non-finite result is an error instead, the output
   * untouched. */
  if ((st == NS_OK || st == NS_ERR_CANCELLED) && result.data &&
      !ns_image_finite (&result))
    {
      st = ns_fail (err, NS_ERR_INTERNAL,
                    "the %s method gave NaN or infinite values (the model's "
                    "weights or the settings are numerically unstable): no "
                    "result was produced; try another model or method",
                    ns_method_name (params->method));
      goto out;
    }
  if (st == NS_ERR_CANCELLED && !result.data)
    /* Nothing better to show than the content. */
    memcpy (out->data, content->data,
            sizeof (float) * 3 * (size_t) content->width * content->height);
  else if ((st == NS_OK || st == NS_ERR_CANCELLED) && result.data)
    {
      /* A cancelled method's best result so far is still shown. */
      ns_status fst = ns_job_finish (&job, &result, out, err);
      if (fst != NS_OK)
        st = fst;
    }

out:
  ns_image_free (&work);
  ns_image_free (&result);
  ns_mask_free (&work_mask);
  return st;
}

ns_status
ns_stylize (ns_context *ctx, const ns_params *params, const ns_image *content,
            const ns_style *styles, int n_styles, const ns_mask *mask,
            ns_image *out, ns_error *err)
{
  ns_status st = stylize (ctx, params, content, styles, n_styles, mask, out,
                          err);
  /* The buffers kept for reuse during the job go back (core.c). */
  ns_alloc_trim ();
  return st;
}
