/* GIMP Neural Style — engine public API.
 *
 * Pure C11 + OpenMP + OpenBLAS.  No GIMP, no GTK.
 *
 * Conventions (after ggml / llama.h):
 *  - opaque handles (ns_model, ns_context), a params struct with
 *    ns_params_default (), <noun>_<verb> names;
 *  - every fallible call returns an ns_status and, when ERR is not NULL,
 *    fills it with a human-readable message (it never exits or aborts);
 *  - a progress callback that returns false cancels the run
 *    (NS_ERR_CANCELLED).
 *
 * Images are planar float RGB in [0,1]: data[c*w*h + y*w + x], c = 0..2.
 * Masks are single-channel float w*h in [0,1].
 *
 * Thread safety: an ns_model is immutable after loading and may be shared
 * by any number of contexts; an ns_context must be used by one thread at a
 * time.  Two contexts may run at once on different threads.
 */
#ifndef NS_H
#define NS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  NS_OK = 0,
  NS_ERR_INVALID_ARG, /* a caller error: bad size, NULL, out of range */
  NS_ERR_IO,          /* a file could not be opened or read */
  NS_ERR_FORMAT,      /* a file is truncated, corrupt or not what we expect */
  NS_ERR_SHAPE,       /* tensors present but of unexpected shape */
  NS_ERR_NOMEM,       /* an allocation failed */
  NS_ERR_CANCELLED,   /* the progress callback returned false */
  NS_ERR_UNSUPPORTED, /* valid input we do not handle (method/model pair) */
  NS_ERR_INTERNAL
} ns_status;

#define NS_ERROR_MESSAGE_MAX 1024

typedef struct
{
  ns_status status;
  char message[NS_ERROR_MESSAGE_MAX];
} ns_error;

const char *ns_status_string (ns_status status);

/* ---------------------------------------------------------------- images */

typedef struct
{
  int width;
  int height;
  float *data; /* planar RGB, 3 * width * height floats */
} ns_image;

/* Allocates DATA; returns NS_ERR_NOMEM / NS_ERR_INVALID_ARG on failure. */
ns_status ns_image_alloc (ns_image *img, int width, int height, ns_error *err);
void ns_image_free (ns_image *img); /* frees DATA, zeroes the struct */

/* The sides ns_stylize accepts for contents and styles. */
#define NS_MIN_SIZE 16
#define NS_MAX_SIZE 65536

/* Bytes the engine may plan to use: $NS_MEMORY_LIMIT_MB, else the RAM;
 * 0 when unknown. */
double ns_memory_available (void);

/* Bilinear (area-averaging when shrinking) resize into a new image. */
ns_status ns_image_resize (const ns_image *src, int width, int height,
                           ns_image *dst, ns_error *err);

/* A single-channel map in [0,1] (masks): data[y*w + x]. */
typedef struct
{
  int width;
  int height;
  float *data; /* width * height floats */
} ns_mask;

ns_status ns_mask_alloc (ns_mask *mask, int width, int height, ns_error *err);
void ns_mask_free (ns_mask *mask); /* frees DATA, zeroes the struct */

/* --------------------------------------------------------------- pixels
 * The one conversion between interleaved pixels (GEGL buffers, gdk-pixbuf,
 * test files) and the engine's planar layout. */

typedef enum
{
  NS_PIXELS_U8 = 0, /* 0..255 */
  NS_PIXELS_FLOAT   /* 0..1 */
} ns_pixel_type;

typedef struct
{
  ns_pixel_type type;
  int channels;     /* 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA */
  size_t rowstride; /* bytes from one row to the next; 0 = packed */
} ns_pixel_layout;

/* Allocates IMG at WIDTH x HEIGHT and fills it from PIXELS: colour clamped
 * to [0,1], grey copied into R, G and B.  ALPHA (optional, WIDTH * HEIGHT
 * floats owned by the caller) receives the alpha channel, or 1 where the
 * layout has none. */
ns_status ns_image_from_pixels (const void *pixels, int width, int height,
                                ns_pixel_layout layout, ns_image *img,
                                float *alpha, ns_error *err);
/* Writes IMG into PIXELS (LAYOUT with 3 or 4 channels; 8-bit values are
 * rounded to nearest after clamping to [0,1]).  ALPHA NULL: opaque. */
ns_status ns_image_to_pixels (const ns_image *img, const float *alpha,
                              void *pixels, ns_pixel_layout layout,
                              ns_error *err);
/* Allocates MASK from one channel of PIXELS: channel CHANNEL as is
 * (clamped), or, with CHANNEL < 0, the BT.601 luminance of RGB(A) layouts
 * (grey layouts: the grey channel). */
ns_status ns_mask_from_pixels (const void *pixels, int width, int height,
                               ns_pixel_layout layout, int channel,
                               ns_mask *mask, ns_error *err);

/* ---------------------------------------------------------------- models */

typedef enum
{
  NS_MODEL_AUTO = 0, /* detect from the files present in the folder */
  NS_MODEL_CD16X,   /* enc1..5.pth + dec1..5.pth (Collaborative Distillation) */
  NS_MODEL_VGG19,   /* vgg_normalised.pth + decoder.pth (canonical AdaIN) */
  NS_MODEL_LST_R31, /* vgg_r31.pth + dec_r31.pth */
  /* MicroAST's content_encoder, style_encoder, modulator and decoder
   * _iter_160000.pth.tar (its own networks, no VGG; NS_METHOD_MICROAST) */
  NS_MODEL_MICROAST,
  /* A fast style: transformer.param + STYLE.bin (ncnn, Johnson et al.
   * 2016; NS_METHOD_FAST); loaded by ns_model_load_fast, not detected */
  NS_MODEL_FAST
} ns_model_kind;

typedef struct ns_model ns_model;

/* Loads the model found in folder DIR.  KIND = NS_MODEL_AUTO picks the
 * first complete set in the order cd16x, vgg19, lst-r31, microast.  A missing
 * file is reported by full path. */
ns_status ns_model_load (const char *dir, ns_model_kind kind, ns_model **out,
                         ns_error *err);
void ns_model_free (ns_model *model);
ns_model_kind ns_model_get_kind (const ns_model *model);
/* Loads fast style STYLE (a name such as "candy": letters, digits, '_',
 * '-') from folder DIR, which holds transformer.param and STYLE.bin (ncnn).
 * Corrupt, truncated or oversized files are NS_ERR_FORMAT naming the file
 * and layer; a graph the engine cannot run NS_ERR_UNSUPPORTED. */
ns_status ns_model_load_fast (const char *dir, const char *style,
                              ns_model **out, ns_error *err);
/* The fast styles installed in DIR (each STYLE.bin beside a
 * transformer.param), sorted, NULL-terminated (empty when none); free
 * with ns_strv_free.  NULL only when out of memory or DIR is NULL. */
char **ns_fast_styles_list (const char *dir);
const char *ns_model_kind_name (ns_model_kind kind); /* "cd16x", ... */
/* The files a model kind needs, NULL-terminated (for error messages and
 * the download tool). */
const char *const *ns_model_kind_files (ns_model_kind kind);

/* Finds a complete model folder.  Each of ROOTS is tried in turn (NULL or
 * empty entries skipped): the root itself when it holds the files, else
 * ROOT/<kind>, for each kind KIND allows (NS_MODEL_AUTO: cd16x, vgg19,
 * lst-r31, microast).  On success *DIR_OUT (free() it) and *KIND_OUT (may be
 * NULL). Otherwise NS_ERR_IO with a message naming, for every folder tried, its
 * first missing file, and how to get the model. */
ns_status ns_model_find (const char *const *roots, int n_roots,
                         ns_model_kind kind, char **dir_out,
                         ns_model_kind *kind_out, ns_error *err);

/* The one list of folders searched for models, in order:
 *   $NS_MODELS_DIR, when set;
 *   GIMP_DIR/neural-style/models: the user's folder, where downloads go.
 *     GIMP_DIR NULL means GIMP 3's default user folder ($GIMP3_DIRECTORY,
 *     else $XDG_CONFIG_HOME/GIMP/3.0, else ~/.config/GIMP/3.0), which is
 *     what gimp_directory () returns in the plug-in;
 *   the installed data folder (<datadir>/gimp-neural-style/models).
 * NULL-terminated, malloc'd; free with ns_strv_free.  *USER_INDEX (may be
 * NULL) receives the index of the user's folder. */
char **ns_model_dirs (const char *gimp_dir, int *user_index);
void ns_strv_free (char **strv);

/* Finds the folder of the fast styles (transformer.param and one STYLE.bin
 * per style), as nstyle's --fast-style and the plug-in's fast-style do.
 * Each of ROOTS (NULL or empty entries skipped) is tried in turn:
 * ROOT/fast (when IN_FAST), then ROOT itself; the first holding
 * transformer.param wins.  On success *DIR_OUT (free() it).  Otherwise
 * NS_ERR_IO with a message listing the folders tried, which *TRIED_OUT
 * (may be NULL) also receives, in order, NULL-terminated (ns_strv_free),
 * for a caller's own message; NS_ERR_NOMEM when out of memory. */
ns_status ns_fast_find (const char *const *roots, int n_roots, bool in_fast,
                        char **dir_out, char ***tried_out, ns_error *err);

/* --------------------------------------------------------------- methods */

typedef enum
{
  NS_METHOD_CASCADE_ADAIN = 0, /* AdaIN at every level, deepest first */
  NS_METHOD_WCT,               /* WCT at every level, deepest first */
  NS_METHOD_ADAIN,             /* single-level AdaIN at the deepest level */
  NS_METHOD_GATYS,             /* optimisation (Gatys et al. 2015) */
  NS_METHOD_MICROAST, /* MicroAST (Wang et al. 2023): needs its own model */
  NS_METHOD_FAST /* a fast style (one painting): NS_MODEL_FAST, no styles */
} ns_method;

const char *ns_method_name (ns_method method); /* "cascade-adain", ... */
/* Parses a name as printed by ns_method_name; false when unknown. */
bool ns_method_from_name (const char *name, ns_method *out);

/* Returns false to cancel.  FRACTION in [0,1]; STAGE a short English
 * label ("encoding style", ...). Called often (every few ms of work). */
typedef bool (*ns_progress_fn) (float fraction, const char *stage,
                                void *user_data);

typedef enum
{
  NS_INIT_CONTENT = 0,
  NS_INIT_NOISE,
  NS_INIT_IMAGE
} ns_init;

/* Called by the Gatys optimiser every IMAGE_EVERY iterations with the
 * current image (content size); return false to stop early (the best image
 * so far is returned). */
typedef bool (*ns_image_fn) (int iteration, float loss, const ns_image *img,
                             void *user_data);

typedef struct
{
  int iterations; /* per scale */
  float content_weight;
  float style_weight;
  float tv_weight;
  ns_init init;
  const ns_image *init_image; /* for NS_INIT_IMAGE */
  int scales;                 /* coarse-to-fine levels, 1 = single scale */
  bool use_adam;              /* false: L-BFGS */
  float learning_rate;        /* Adam only */
  int image_every;            /* call IMAGE_CB every N iterations, 0 = never */
  ns_image_fn image_cb;
  void *image_user_data;
} ns_gatys_params;

/* Arithmetic of the convolutions (oneDNN backend).  BF16: bf16 storage
 * with fp32 accumulation where the CPU has native bf16 (AVX512_BF16 or
 * AMX), fp32 elsewhere.  AUTO is fp32 for now: bf16 measured under 40 dB
 * PSNR against fp32 on the test pairs.  The environment variable
 * NS_PRECISION (auto, fp32 or bf16) replaces an AUTO request.
 * Statistics, WCT, losses and the optimisers (Gatys runs fp32) stay
 * fp32/fp64 whatever this says. */
typedef enum
{
  NS_PRECISION_AUTO = 0,
  NS_PRECISION_FP32,
  NS_PRECISION_BF16
} ns_precision;

typedef struct
{
  ns_method method;
  float strength;         /* alpha in [0,1]: 0 = content, 1 = full style */
  bool preserve_colors;   /* keep the content's colours (luminance transfer) */
  int style_size;         /* long side the style is resized to; 0 = as given */
  int max_size;           /* work with the content's long side at most this,
                             then upsample to content size; 0 = full size */
  int n_threads;          /* 0 = all cores */
  ns_precision precision; /* convolution arithmetic (see ns_precision) */
  /* Design resolution: the long side at which the composition (what the
   * deep levels decide: shapes, stroke layout, colour masses) is computed,
   * whatever the layer's size; the shallow levels of the cascades then add
   * detail at full size, in tiles.  Methods without shallow levels
   * (single-level AdaIN, Gatys) work at this size and are upsampled.
   * 0 = no design stage (everything at the working size, as before). */
  int design_size;
  /* Memory budget for a run in MiB (tiles are sized to fit it); 0 = auto:
   * min (2 GiB, half of ns_memory_available ()). */
  int memory_budget_mb;
  uint64_t seed;
  ns_progress_fn progress;
  void *progress_user_data;
  ns_gatys_params gatys;
} ns_params;

ns_params ns_params_default (void);

/* ------------------------------------------------------ parameter table
 * Every user-facing field of ns_params, described once: name (the GIMP
 * procedure argument and the nstyle option --NAME), label (with a GTK
 * mnemonic) and help, both English and marked for translation by the
 * callers' catalogues, type and range.  Defaults are ns_params_default's. */

typedef enum
{
  NS_PARAM_FLOAT = 0,
  NS_PARAM_INT,
  NS_PARAM_UINT64,
  NS_PARAM_BOOL,
  NS_PARAM_CHOICE /* an enum; values and nicks in CHOICES */
} ns_param_type;

typedef struct
{
  const char *nick;  /* "cascade-adain" */
  int value;         /* the enum value */
  const char *label; /* "Cascade AdaIN" */
  const char *help;  /* may be NULL */
} ns_param_choice;

typedef struct
{
  const char *name;  /* "strength" */
  const char *label; /* "Stren_gth" */
  const char *help;
  ns_param_type type;
  double min, max;                /* inclusive; unused for choices */
  size_t offset;                  /* of the field in ns_params */
  const ns_param_choice *choices; /* NULL-nick-terminated, for choices */
  bool gatys_only;                /* used by NS_METHOD_GATYS only */
} ns_param_spec;

/* What PRECISION runs as on this CPU and build, for summaries: "fp32"
 * (oneDNN), "bf16", "bf16-emulated" or "fp32-own" (the own kernels). */
const char *ns_precision_effective_name (ns_precision precision);

const ns_param_spec *ns_param_specs (int *n);
const ns_param_spec *ns_param_find (const char *name);
const ns_param_choice *ns_param_choice_find (const ns_param_spec *spec,
                                             const char *nick);
const ns_param_choice *ns_param_choice_of (const ns_param_spec *spec,
                                           int value);
/* The field as a double (bool 0/1, choice its enum value). */
double ns_param_get (const ns_params *params, const ns_param_spec *spec);
/* Sets the field after checking VALUE against the range (whole numbers
 * for integer types, a known value for choices): NS_ERR_INVALID_ARG with a
 * message naming the parameter otherwise. */
ns_status ns_param_set (ns_params *params, const ns_param_spec *spec,
                        double value, ns_error *err);

/* -------------------------------------------------------------- contexts */

typedef struct ns_context ns_context;

/* MODEL must outlive the context. */
ns_status ns_context_new (const ns_model *model, ns_context **out,
                          ns_error *err);
void ns_context_free (ns_context *ctx);

typedef struct
{
  const ns_image *image;
  float weight; /* relative; normalised over all styles */
} ns_style;

/* Stylizes CONTENT with any method: the one entry point (engine/stylize.c).
 * OUT must be allocated by the caller at the content's size.  Every method
 * works at the working size (content's long side at most max_size) and
 * its result is clamped to [0,1], resized back to the content's size and,
 * with preserve_colors, given the content's chroma.  MASK (optional,
 * content size): with two styles it picks style 0 where 1 and style 1
 * where 0; with one style it blends style (1) and original (0).  Encoded
 * style statistics and the first content encoding of the feed-forward
 * methods are cached in the context, so repeated calls that change only
 * the strength or colour preservation skip that work.  A working size
 * whose estimated memory exceeds the machine's RAM (or
 * $NS_MEMORY_LIMIT_MB) is refused with NS_ERR_NOMEM before anything large
 * is allocated.  Cancelled (NS_ERR_CANCELLED): OUT holds the best result
 * so far (Gatys), else the content. */
ns_status ns_stylize (ns_context *ctx, const ns_params *params,
                      const ns_image *content, const ns_style *styles,
                      int n_styles, const ns_mask *mask, ns_image *out,
                      ns_error *err);

/* ------------------------------------------------------------ streaming
 * Rendering layers of any size without holding them as float images: the
 * content (and mask) are read, and the result written, region by region
 * through callbacks (a GEGL buffer in the plug-in, decoded 8/16-bit pixels
 * in nstyle).  The composition is computed at the design size; the
 * shallow levels and the finish (clamp, upsampling, colour preservation,
 * mask blend) run in overlapping tiles sized by the memory budget, with
 * statistics global to the image, so tiles join without seams. */

typedef struct
{
  int width, height; /* the content's size */
  /* Planar RGB [0,1] of the region (3 * w * h floats, rows of w). */
  ns_status (*read_rgb) (void *user_data, int x, int y, int w, int h,
                         float *rgb, ns_error *err);
  /* The mask of the region (w * h floats in [0,1]); NULL: no mask. */
  ns_status (*read_mask) (void *user_data, int x, int y, int w, int h,
                          float *mask, ns_error *err);
  /* Receives the finished result of a region (3 * w * h floats).  Regions
   * arrive in rows of tiles, top to bottom, each pixel exactly once. */
  ns_status (*write_rgb) (void *user_data, int x, int y, int w, int h,
                          const float *rgb, ns_error *err);
  void *user_data;
} ns_stream;

/* What a render of a W x H content needs, from ns_render_plan. */
typedef struct
{
  int work_width, work_height;     /* after max-size */
  int design_width, design_height; /* where the method runs */
  int tile;                        /* inner tile side of the tiled stages */
  int shallow_levels;              /* levels run at full size in tiles */
  double bytes;                    /* estimated peak, all stages */
  double budget;                   /* the budget it was planned against */
} ns_render_info;

/* The memory budget in bytes PARAMS ask for: memory_budget_mb when set,
 * else $NS_MEMORY_LIMIT_MB, else min (2 GiB, half of the RAM). */
double ns_memory_budget (const ns_params *params);

/* Plans a render (sizes, tile, memory) without running it: NS_ERR_NOMEM
 * with a message naming the numbers and the fix when even the smallest
 * tile does not fit the budget.  EXTRA_BYTES: memory the caller holds
 * during the render (decoded pixels, output buffers), charged to the same
 * budget.  Styles are needed (their encoding is part of the peak). */
ns_status ns_render_plan (const ns_model *model, const ns_params *params,
                          int width, int height, const ns_style *styles,
                          int n_styles, double extra_bytes,
                          ns_render_info *info, ns_error *err);

/* The streaming form of ns_stylize, with the same parameters and results
 * (ns_stylize runs it for contents larger than the design size).  Nothing
 * is written through IO->write_rgb after an error but the regions already
 * written; callers write into a buffer they discard on failure. */
ns_status ns_render (ns_context *ctx, const ns_params *params,
                     const ns_stream *io, const ns_style *styles, int n_styles,
                     double extra_bytes, ns_render_info *info, ns_error *err);

/* ------------------------------------------------- statistics and regions
 * For tiled rendering of large images (engine/style/regions.c): statistics
 * are computed over the whole image first (or accumulated over tiles),
 * then any region is transformed and decoded with those global
 * statistics.  LEVEL counts from 1 (relu1_1) to the model's deepest level.
 * Not used by ns_stylize, the plug-in or nstyle yet: kept for tiled
 * rendering (resolution independence, the next issue); tested by
 * tests/engine-style (test-stylize: one region and 2 x 2 tiles against
 * ns_stylize; test-style-math: merging statistics). */

typedef struct ns_stats ns_stats;

int ns_model_num_levels (const ns_model *model);
int ns_model_deepest_level (const ns_model *model);

ns_stats *ns_stats_new (const ns_model *model, int level, ns_error *err);
void ns_stats_free (ns_stats *stats);
/* Adds the features of IMAGE's region (x, y, w, h) at LEVEL to STATS.
 * The encoder sees IMAGE with a margin around the region. */
ns_status ns_stats_accumulate (ns_context *ctx, ns_stats *stats,
                               const ns_image *image, int x, int y, int w,
                               int h, ns_error *err);

/* Transforms IMAGE's region (x, y, w, h) at LEVEL so that its content
 * statistics CONTENT become those of STYLE (AdaIN or WCT per METHOD), blends
 * with STRENGTH, decodes, and writes the region into OUT (same size as
 * IMAGE). */
ns_status ns_region_transform (ns_context *ctx, const ns_params *params,
                               const ns_stats *content, const ns_stats *style,
                               const ns_image *image, int x, int y, int w,
                               int h, ns_image *out, ns_error *err);

#ifdef __cplusplus
}
#endif

#endif /* NS_H */
