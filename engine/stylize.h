/* GIMP Neural Style — what ns_stylize (engine/stylize.c) hands a method,
 * the context, and the steps every method shares.
 *
 * ns_stylize checks the arguments, brings the content (and mask) to the
 * working size (max-size), checks the memory, runs the method, and
 * finishes its result: clamp, resize back to the content's size, colour
 * preservation, and, for methods that do not use the mask themselves, the
 * mask blend with the content.  The methods (engine/style/ for the
 * feed-forward ones, engine/gatys/ for the optimisation) only transform;
 * they include this header and engine/nn/, never each other. */
#ifndef NS_STYLIZE_H
#define NS_STYLIZE_H

#include "ns-internal.h"

#define NS_MAX_STYLES 16

/* ------------------------------------------------------------- context */

/* Counters for tests of the context cache. */
typedef struct
{
  int style_encodes;   /* style encoder passes in the last ns_stylize */
  int content_encodes; /* content encoder passes in the last ns_stylize */
  int decodes;
  int fast_runs; /* fast-style network passes */
} ns_context_counters;

/* The feed-forward methods' cache of style statistics and of the content's
 * first encoding (engine/style/feedforward.c), created on first use. */
typedef struct ns_ff_cache ns_ff_cache;
void ns_ff_cache_free (ns_ff_cache *cache);

struct ns_context
{
  const ns_model *model;
  ns_ff_cache *ff;
  /* The fast-style network's last output and a hash of the content it was
   * computed from: a strength, colour or mask change reuses it. */
  ns_image fast_out;
  uint64_t fast_key;
  ns_context_counters counters; /* reset by every ns_stylize */
};

void ns_context_get_counters (const ns_context *ctx, ns_context_counters *out);

/* ----------------------------------------------------------------- jobs */

/* One checked call of ns_stylize, as a method sees it. */
typedef struct
{
  const ns_model *model;
  const ns_params *params;
  const ns_image *content; /* at the working size */
  const ns_style *styles;  /* as given: a method sizes them (style_size) */
  int n_styles;
  const ns_mask *mask; /* at the working size, or NULL */
  ns_run *run;         /* a method sets run->total = done + its work */
  /* For ns_job_finish: the caller's content and mask, and whether the mask
   * blends the result with the content (a method not using it itself). */
  const ns_image *full_content;
  const ns_mask *full_mask;
  bool blend_mask;
  /* Feed-forward cascades: run only the levels reluN_1 with N >= this (0:
   * all); ns_render runs the shallower ones at full size in tiles. */
  int ff_min_level;
  /* Feed-forward cascades: where to keep the input and the content
   * statistics of the levels reluN_1 with N <= capture->level (ns_render's
   * full-size stage replays them); NULL: none. */
  struct ns_ff_capture *capture;
} ns_job;

/* A method: transforms JOB into *RESULT (allocated by the method, any
 * size, not clamped).  On NS_OK, and on NS_ERR_CANCELLED when the method
 * has a best-so-far result, RESULT->data is set and ns_stylize finishes
 * it into the output. */

/* ------------------------------------------------------------ the steps */

/* Size with long side LONG_SIDE keeping W x H's aspect ratio, each side
 * at least NS_MIN_SIZE (max-size, style-size). */
void ns_fit_long_side (int w, int h, int long_side, int *ow, int *oh);

/* Bilinear (area-averaging when shrinking) resize of a mask, as
 * ns_image_resize does each plane. */
ns_status ns_mask_resize (const ns_mask *src, int width, int height,
                          ns_mask *dst, ns_error *err);

/* The steps after every method: RESULT (any size, unclamped) into OUT
 * (JOB's full content size): clamp to [0,1], resize, clamp, colour
 * preservation, mask blend when JOB->blend_mask.  RESULT is not changed
 * (the Gatys previews finish the image being optimised). */
ns_status ns_job_finish (const ns_job *job, const ns_image *result,
                         ns_image *out, ns_error *err);

/* Colour preservation: keeps the luminance (BT.601 Y) of STYLIZED and the
 * chroma (Cb, Cr) of CONTENT, in place in STYLIZED (same size), clamped
 * to [0,1]. */
void ns_luminance_transfer (ns_image *stylized, const ns_image *content);
/* The steps after clamping, on an image or one region of it: colour
 * preservation (keeps CONTENT's luminance), then the blend with CONTENT
 * where MASK (one float per pixel, or NULL) is below 1. */
void ns_finish_pixels (bool preserve_colors, ns_image *out,
                       const ns_image *content, const float *mask);
void ns_rgb_to_ycbcr (float r, float g, float b, float *y, float *cb,
                      float *cr);

/* ---------------------------------------------- stylize.c, for render.c */

/* Runs the method JOB's params name, in the precision they ask for. */
ns_status ns_method_run (ns_context *ctx, const ns_job *job, ns_image *result,
                         ns_error *err);
/* Bytes the method needs at W x H beyond the caller's images (0: the
 * method checks for itself). */
double ns_method_memory (const ns_model *model, const ns_params *params, int w,
                         int h);
/* Whether runs of MODEL under PARAMS' memory budget use Winograd (its
 * transformed weights within a sixteenth of the budget). */
bool ns_winograd_allowed (const ns_model *model, const ns_params *params);
/* Bytes of the weight copies the convolution backend keeps for MODEL's
 * networks while it lives under PARAMS (ns_net_cache_bytes); part of
 * every stage's memory, included in ns_method_memory. */
double ns_model_cache_bytes (const ns_model *model, const ns_params *params);
/* Whether a mask blends the method's result with the content (rather than
 * the method using it itself). */
bool ns_method_blends_mask (const ns_params *params, int n_styles);
bool ns_image_finite (const ns_image *img);
/* The checks of ns_stylize that do not need the content's pixels. */
ns_status ns_check_request (const ns_context *ctx, const ns_params *params,
                            const ns_style *styles, int n_styles, bool has_mask,
                            ns_error *err);

/* ---------------------------------------------------------- render.c */

/* Whether a W x H content goes through the design stage and tiles. */
bool ns_render_needed (const ns_params *params, int w, int h);
/* ns_render on whole images (checked arguments): ns_stylize's large path. */
ns_status ns_render_image (ns_context *ctx, const ns_params *params,
                           const ns_image *content, const ns_style *styles,
                           int n_styles, const ns_mask *mask, ns_image *out,
                           ns_error *err);

#endif /* NS_STYLIZE_H */
