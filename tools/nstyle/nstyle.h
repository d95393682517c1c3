/* nstyle — command-line front end of the GIMP Neural Style engine.
 * Declarations shared by the files of the tool. */
#ifndef NSTYLE_H
#define NSTYLE_H

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>
#include <glib/gi18n.h>
#include <stdbool.h>

#include "ns.h"

/* Exit codes (documented in --help; the tests rely on them). */
enum
{
  NST_EXIT_OK = 0,
  NST_EXIT_USAGE = 2,      /* bad command line */
  NST_EXIT_IMAGE = 3,      /* unreadable or corrupt input image */
  NST_EXIT_MODEL = 4,      /* model missing or corrupt */
  NST_EXIT_ENGINE = 5,     /* the engine failed (memory, unsupported...) */
  NST_EXIT_OUTPUT = 6,     /* the output file cannot be written */
  NST_EXIT_CANCELLED = 130 /* interrupted (Ctrl-C) */
};

/* ------------------------------------------------------------- signals */

/* Installs the handlers (signals.c): SIGINT, SIGTERM and SIGHUP set
 * nst_interrupted (a second one ends the process); every other signal
 * that would end the process removes the temporary file, then ends it.
 * Signals already ignored stay ignored. */
void nst_signals_install (void);

/* The temporary file the handlers remove (NULL: none).  False when PATH is
 * too long to keep. */
bool nst_signals_set_temp (const char *path);

/* The stop signal received, or 0. */
int nst_interrupted (void);

/* ----------------------------------------------------------- image I/O */

/* Errors of the functions below (GError domain NST_IMAGE_ERROR). */
#define NST_IMAGE_ERROR (nst_image_error_quark ())
GQuark nst_image_error_quark (void);
enum
{
  NST_IMAGE_ERROR_CORRUPT = 1, /* unreadable, truncated, too large: exit 3 */
  NST_IMAGE_ERROR_NOMEM,       /* not enough memory: exit 5 */
  NST_IMAGE_ERROR_INTERRUPTED, /* nst_interrupted while reading: exit 130 */
  NST_IMAGE_ERROR_OUTPUT       /* the output cannot be written: exit 6 */
};

/* Memory per pixel while an image is decoded and converted: the pixbuf
 * (4), its oriented copy (4), the planar float image (12), the alpha (4). */
#define NST_DECODE_BYTES_PER_PIXEL 24.0
/* The same for the pixels alone (nst_pixbuf_load): the pixbuf and its
 * oriented copy. */
#define NST_PIXBUF_BYTES_PER_PIXEL 8.0

/* Checks a W x H image named WHAT against NS_MAX_SIZE (CORRUPT) and, at
 * BYTES_PER_PIXEL, against the memory ($NS_MEMORY_LIMIT_MB or the RAM:
 * NOMEM), before anything is allocated. */
bool nst_check_pixels (const char *what, int w, int h, double bytes_per_pixel,
                       GError **error);

/* Loads PATH (any gdk-pixbuf format; EXIF orientation applied; the first
 * frame of an animation) into RGB
 * (allocated) and, when the image has an alpha channel and ALPHA is not
 * NULL, *ALPHA (g_malloc'd w*h floats in [0,1]).  The size in the header
 * is checked before decoding; an image the decoder could not read to its
 * last row (truncated, corrupt) is an error. */
bool nst_image_load (const char *path, ns_image *rgb, float **alpha,
                     GError **error);

/* Decodes PATH as nst_image_load does, keeping its 8-bit RGB(A) pixels. */
GdkPixbuf *nst_pixbuf_load (const char *path, GError **error);

/* PB's pixels as a planar float image (and *ALPHA as nst_image_load). */
bool nst_image_from_pixbuf (GdkPixbuf *pb, const char *path, ns_image *rgb,
                            float **alpha, GError **error);

/* Loads a mask: the luminance of PATH, resized to WIDTH x HEIGHT. */
bool nst_mask_load (const char *path, int width, int height, ns_mask *mask,
                    GError **error);

/* Resizes IMG (and *ALPHA) so its long side is LONG_SIDE (0: as is); false
 * after printing why. */
bool nst_resize_long_side (ns_image *img, float **alpha, int long_side);

/* Resizes a single-channel plane with the engine's resampler. */
float *nst_plane_resize (const float *plane, int w, int h, int new_w, int new_h,
                         GError **error);

/* The gdk-pixbuf saver type for PATH's extension ("png", "jpeg", "tiff"),
 * or NULL when unknown or not writable. */
const char *nst_image_type_for_path (const char *path);

/* Writes IMG (and ALPHA, if not NULL and the format keeps it) to PATH
 * atomically: first into TMP_PATH (in PATH's folder), then renamed. */
bool nst_image_save (const char *path, const char *tmp_path,
                     const ns_image *img, const float *alpha, GError **error);

/* An 8-bit RGB(A) image to write to PATH (NOMEM when it cannot be had). */
GdkPixbuf *nst_output_new (const char *path, int width, int height, bool alpha,
                           GError **error);

/* Writes PB to PATH as nst_image_save does. */
bool nst_pixbuf_save (const char *path, const char *tmp_path, GdkPixbuf *pb,
                      GError **error);

/* Writes PB (8-bit RGB or RGBA) as a PNG file at PATH, compressed on every
 * thread (png-write.c); errors name DISPLAY. */
bool nst_png_write (const char *path, const char *display, GdkPixbuf *pb,
                    GError **error);

/* Reserves a temporary file beside PATH (checks early that the folder is
 * writable).  Returns a g_malloc'd path or NULL. */
char *nst_reserve_temp (const char *path, GError **error);

/* ----------------------------------------------------------- streaming
 * Large contents are rendered by ns_render (engine/render.c) straight from
 * the decoded 8-bit pixels into an 8-bit result: 4 + 4 bytes a pixel held
 * by nstyle instead of the 12 + 12 of float images. */

/* Contents whose long side is above this are streamed; smaller ones take
 * ns_stylize as before (the float copies are small). */
#define NST_STREAM_ABOVE 1024

/* What nstyle holds per pixel of a streamed content at least: the decoded
 * RGBA pixels and the RGBA result. */
#define NST_STREAM_BYTES_PER_PIXEL 8.0

/* PATH's size from its header; false when unknown (not a regular file,
 * unreadable header). */
bool nst_image_size (const char *path, int *width, int *height);

/* The memory budget of a render in bytes, as ns_render_plan counts it. */
double nst_memory_budget (const ns_params *params);

/* Refuses (NOMEM) a W x H content whose pixels and result alone exceed the
 * budget, before it is decoded (the full plan needs the model). */
bool nst_stream_precheck (const char *path, int w, int h,
                          const ns_params *params, GError **error);

/* The process's resident memory in bytes (/proc/self/statm); 0 when
 * unknown. */
double nst_resident_bytes (void);

typedef struct
{
  GdkPixbuf *pixbuf;     /* the decoded content, or NULL: */
  const ns_image *image; /* the float content (after --size) */
  const float *alpha;    /* its alpha, or NULL */
  const ns_mask *mask;   /* at the content's size, or NULL */
  GdkPixbuf *out;        /* the result, RGB or RGBA (the content's alpha) */
} nst_stream;

/* Fills IO with callbacks reading and writing S. */
void nst_stream_io (nst_stream *s, ns_stream *io);

/* -------------------------------------------------------------- models */

/* Finds a model folder (ns_model_find over ns_model_dirs).  Returns a
 * g_malloc'd folder, or NULL with ERR (may be NULL) saying every place
 * tried. */
char *nst_model_find (ns_model_kind kind, ns_error *err);

/* Finds a VGG-based model (cd16x, vgg19 then lst-r31 in each folder of
 * ns_model_dirs, in order): a g_malloc'd folder, or NULL. */
char *nst_model_find_vgg (void);

/* The folder of the fast styles (ns_fast_find): MODEL_DIR (--model) when
 * it holds transformer.param, else the first ROOT/fast or ROOT holding it,
 * ROOT going over ns_model_dirs.  g_malloc'd; NULL after printing why (and
 * how to get them) to stderr. */
char *nst_fast_find (const char *model_dir);

/* Prints how to get the fast styles. */
void nst_fast_print_help (void);

/* Prints how to get a model (for "model missing" messages). */
void nst_model_print_help (ns_model_kind kind);

/* Prints ns_model_dirs to stdout, one per line; false when out of
 * memory. */
bool nst_model_print_dirs (void);

/* The models section of --help (g_free it). */
char *nst_model_describe (void);

/* ------------------------------------------------------------- options */

/* Prints "nstyle: MESSAGE" and a hint to stderr, exits with
 * NST_EXIT_USAGE. */
G_NORETURN void nst_usage_error (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

/* The options for the user-facing fields of ns_params, built from the
 * engine's parameter table (ns_param_specs): the Gatys-only ones when
 * GATYS, the others otherwise.  The array lives as long as the process. */
GOptionEntry *nst_param_entries (bool gatys);

/* Sets PARAMS from the options given, checking each against the table
 * (nst_usage_error otherwise).  *METHOD_GIVEN tells whether --method was
 * given; *INIT_FILE receives the --init FILE, if one was given. */
void nst_param_apply (ns_params *params, bool *method_given,
                      const char **init_file);

#endif /* NSTYLE_H */
