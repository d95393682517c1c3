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
  gfloat *alpha; /* width * height; may be freed early by the caller */
} NsPixels;

/* Reads DRAWABLE's whole extent (its own coordinates).  FALSE + ERROR on
 * allocation failure.  For small drawables only (the style, the
 * preview): layers are streamed through NsLayerIO. */
gboolean ns_pixels_read (GimpDrawable *drawable, NsPixels *out, GError **error);
void ns_pixels_clear (NsPixels *px);

/* The content layer as an engine stream (ns_render): regions are read
 * from the layer through GEGL, never the whole layer at once, and the
 * finished regions go into RESULT, a GeglBuffer of the plug-in's own (not
 * the image's), so the image is untouched until the whole render has
 * succeeded.  The stream's callbacks run in the worker thread; the
 * layer's buffers are read on the main thread (ns_worker_call_main),
 * because libgimp's tile requests share the one wire to GIMP with the PDB
 * calls the main thread makes meanwhile.  A layer deleted during the run
 * makes the next read fail with WHY set. */
typedef struct
{
  GimpDrawable *drawable; /* the content layer */
  gint width, height;
  GimpDrawable *mask;  /* NULL or the mask drawable */
  gint mask_x, mask_y; /* the content's (0, 0) in the mask's image */
  const Babl *mask_format;
  GimpDrawable *selection; /* selection-on-copy: blend by it; else NULL */
  gint sel_x, sel_y;       /* the content's (0, 0) in the image */
  GeglBuffer *result;      /* content-sized, the content's format */
  gchar *why;              /* set (main thread) when a read failed */
  gint64 io_usec;          /* time spent waiting for reads (statistics) */
  gint n_requests;
} NsLayerIO;

/* Fills STREAM for IO (which must outlive the render). */
void ns_layer_io_stream (NsLayerIO *io, ns_stream *stream);
/* Bytes IO holds during a render besides RESULT (buffers per region). */
gdouble ns_layer_io_bytes (const NsLayerIO *io);

/* ----------------------------------------------------- background run */

typedef struct
{
  /* inputs (owned by the caller) */
  gchar *model_dir;
  ns_model_kind model_kind;
  const gchar *fast_style; /* NS_MODEL_FAST: the style's name, else NULL */
  ns_params params;        /* progress fields are set by ns_worker_run */
  NsLayerIO *io;           /* the content, mask and result */
  const ns_image *style;   /* NULL for a fast style */
  gdouble extra_bytes;     /* held by the plug-in during the render */
  /* Only for the test hook $NS_PLUGIN_TEST_ACTION (see ns_worker_run). */
  GimpImage *image;
  GimpDrawable *drawable;
  GimpDrawable *style_drawable;
  /* outputs */
  ns_render_info info;
  ns_error err;
  ns_status status;
} NsJob;

/* Runs JOB in a worker thread: loads the model, plans the render
 * (ns_render_plan, refusing what does not fit the memory budget before
 * any pixel of the content is read) and streams it (ns_render) through
 * JOB->io, while the calling (main) thread relays progress to
 * gimp_progress_update, serves the stream's reads and keeps the GLib
 * main context spinning.  GIMP (another process) stays usable meanwhile:
 * the user may delete or close anything during the run, so the caller
 * re-checks the image and layer before writing.
 *
 * Cancellation: the engine's progress callback returns false once the
 * main thread has seen a failed progress update (the GIMP connection is
 * gone) or the test hook $NS_PLUGIN_CANCEL_AT (a fraction) was passed.
 * The engine asks between tiles.
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
 * ACTION = delete-content | close-image | delete-style | close-style.
 */
ns_status ns_worker_run (NsJob *job);

/* Test hook $NS_PLUGIN_REPORT_RSS (set): prints the plug-in's peak
 * resident memory (VmHWM) to stderr; the procedure calls it last. */
void ns_worker_report_rss (void);

/* From the worker thread: runs FUNC (DATA) on the main thread, during
 * ns_worker_run, and returns its result. */
gboolean ns_worker_call_main (GSourceFunc func, gpointer data);

G_END_DECLS

#endif
