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
  /* Only for the test hook $NS_PLUGIN_TEST_ACTION (see ns_worker_run). */
  GimpImage *image;
  GimpDrawable *drawable;
  GimpDrawable *style_drawable;
  /* outputs */
  ns_image out; /* allocated by the caller at content size */
  ns_error err;
  ns_status status;
} NsJob;

/* Runs JOB in a worker thread while the calling (main) thread relays
 * progress to gimp_progress_update and keeps the GLib main context
 * spinning.  GIMP (another process) stays usable meanwhile: the user
 * may delete or close anything during the run, so the caller re-checks
 * the image and layer before writing.
 *
 * Cancellation: the engine's progress callback returns false once the
 * main thread has seen a failed progress update (the GIMP connection is
 * gone) or the test hook $NS_PLUGIN_CANCEL_AT (a fraction) was passed.
 *
 * GIMP's own Cancel (progress dialog or status bar) cannot reach the
 * engine in GIMP 3.0: GimpProgressVtable has no cancel member, the
 * gimp-progress-cancel procedure does nothing, and the core's handler
 * (gimp_plug_in_progress_cancel_callback) sets the call's status to
 * GIMP_PDB_CANCEL, sends GP_QUIT and SIGKILLs the plug-in 10 ms later.
 * That is safe here: nothing is written to the image while the progress
 * is shown (ns_worker_run ends it before returning, which disconnects
 * that handler), and the engine holds no resource outside the process.
 *
 * Test hook $NS_PLUGIN_TEST_ACTION="ACTION@FRACTION": once the engine has
 * passed FRACTION, the main thread does what a user could do meanwhile:
 * ACTION = delete-content | close-image | delete-style | close-style. */
ns_status ns_worker_run (NsJob *job);

G_END_DECLS

#endif
