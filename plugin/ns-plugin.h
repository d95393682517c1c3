/* GIMP Neural Style — plug-in internals shared between plugin/ files. */
#ifndef NS_PLUGIN_H
#define NS_PLUGIN_H

#include <libgimp/gimp.h>

#include "ns.h"

G_BEGIN_DECLS

#define NS_PLUG_IN_PROC "plug-in-neural-style"
#define NS_PLUG_IN_BINARY "neural-style"

/* ------------------------------------------------------- pixel I/O */

/* Planar float RGB + alpha plane, read with "R'G'B'A float". */
typedef struct
{
  ns_image rgb;  /* planar RGB in [0,1] (engine layout) */
  gfloat *alpha; /* width * height */
} NsPixels;

/* Reads DRAWABLE's whole extent (its own coordinates).  FALSE + ERROR on
 * allocation failure. */
gboolean ns_pixels_read (GimpDrawable *drawable, NsPixels *out, GError **error);
void ns_pixels_clear (NsPixels *px);

/* Reads a single-channel coverage map (FORMAT: "Y float" or "Y' float")
 * for the area (X, Y, W, H) in image coordinates of DRAWABLE's image into
 * OUT, clamped to [0,1]; 0 outside DRAWABLE.  FALSE when out of memory. */
gboolean ns_coverage_read (GimpDrawable *drawable, gint x, gint y, gint w,
                           gint h, const Babl *format, ns_mask *out);

/* Interleaves RGB + ALPHA into "R'G'B'A float" for gegl_buffer_set. */
gfloat *ns_pixels_interleave (const ns_image *rgb, const gfloat *alpha);

/* ----------------------------------------------------- background run */

typedef struct
{
  /* inputs (owned by the caller) */
  gchar *model_dir;
  ns_model_kind model_kind;
  ns_params params; /* progress fields are set by ns_worker_run */
  const ns_image *content;
  const ns_image *style;
  const ns_mask *mask; /* NULL or content-sized */
  /* outputs */
  ns_image out; /* allocated by the caller at content size */
  ns_error err;
  ns_status status;
} NsJob;

/* Runs JOB in a worker thread while the calling (main) thread relays
 * progress to gimp_progress_update and keeps the GLib main context
 * spinning.  Cancellation: the engine's progress callback returns false
 * once the main thread has seen a failed progress update (the GIMP
 * connection is gone) or the test hook $NS_PLUGIN_CANCEL_AT (a fraction)
 * was passed.  Note: GIMP's own "Cancel" button on a plug-in progress
 * closes the plug-in process at once (app/plug-in/gimpplugin-progress.c),
 * which is safe here because nothing is written to the image before the
 * engine has finished. */
ns_status ns_worker_run (NsJob *job);

G_END_DECLS

#endif
