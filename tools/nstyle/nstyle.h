/* nstyle — command-line front end of the GIMP Neural Style engine.
 * Declarations shared by the files of the tool. */
#ifndef NSTYLE_H
#define NSTYLE_H

#include <glib.h>
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

/* ----------------------------------------------------------- image I/O */

/* Loads PATH (any gdk-pixbuf format; EXIF orientation applied) into RGB
 * (allocated) and, when the image has an alpha channel and ALPHA is not
 * NULL, *ALPHA (g_malloc'd w*h floats in [0,1]). */
bool nst_image_load (const char *path, ns_image *rgb, float **alpha,
                     GError **error);

/* Loads a mask: the luminance of PATH, resized to WIDTH x HEIGHT.  The
 * result has the mask in all three planes, so it can be passed wherever an
 * ns_image is expected. */
bool nst_mask_load (const char *path, int width, int height, ns_image *mask,
                    GError **error);

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

/* Reserves a temporary file beside PATH (checks early that the folder is
 * writable).  Returns a g_malloc'd path or NULL. */
char *nst_reserve_temp (const char *path, GError **error);

/* Deterministic synthetic test pictures (for the benchmark). */
bool nst_image_synthetic (ns_image *img, int width, int height, int kind,
                          GError **error);

/* -------------------------------------------------------------- models */

/* Finds a model folder (ns_model_find over $NS_MODELS_DIR, the user's
 * GIMP folder, then the installed data folder).  Returns a g_malloc'd
 * folder, or NULL with ERR (may be NULL) saying every place tried. */
char *nst_model_find (ns_model_kind kind, ns_error *err);

/* Prints how to get a model (for "model missing" messages). */
void nst_model_print_help (ns_model_kind kind);

/* ---------------------------------------------------------------- bench */

int nst_bench_main (int argc, char **argv);

#endif /* NSTYLE_H */
