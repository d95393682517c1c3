/* Background preview renderer of the dialog: one worker thread, one
 * ns_context per pass reused across requests (so a strength-only change
 * re-runs only the transform and decoder), newest request wins.  A request
 * may run in two passes: a quick one on small images (shown at once,
 * approximate), then the exact one (the render's design stage) on the
 * images set with ns_preview_set_exact_images.
 *
 * GLib + engine only (no GTK, no libgimp), so it can be tested and
 * benchmarked without a display. */
#ifndef NS_PREVIEW_H
#define NS_PREVIEW_H

#include <glib.h>

#include "ns.h"

G_BEGIN_DECLS

typedef struct _NsPreview NsPreview;

typedef enum
{
  NS_PREVIEW_DONE,    /* IMAGE is the final result */
  NS_PREVIEW_PARTIAL, /* IMAGE is an intermediate (Gatys) result */
  NS_PREVIEW_FAILED,  /* MESSAGE says why */
  NS_PREVIEW_APPROX   /* IMAGE is the quick pass's result; the exact pass
                         follows (ns_preview_request_refined) */
} NsPreviewStatus;

typedef struct
{
  guint generation; /* as returned by ns_preview_request () */
  NsPreviewStatus status;
  const ns_image *image; /* DONE / PARTIAL; valid during the callback */
  const char *message;   /* FAILED */
  double compute_ms;     /* time spent in the worker for this request */
  /* The model was (re)loaded since the last DONE or FAILED result (by this
   * request, or by a superseded one whose result was never delivered). */
  gboolean model_loaded;
  /* FALSE for the quick pass of ns_preview_request_refined (its partial
   * and APPROX results), TRUE otherwise. */
  gboolean exact;
} NsPreviewResult;

/* Called in the main context that was the thread-default when the
 * preview was created, and only for the newest request. */
typedef void (*NsPreviewFn) (const NsPreviewResult *result, gpointer user_data);

NsPreview *ns_preview_new (NsPreviewFn fn, gpointer user_data);

/* Replaces the content and/or the style image (takes ownership; NULL keeps
 * the current one).  Takes effect with the next request. */
void ns_preview_set_images (NsPreview *preview, ns_image *content,
                            ns_image *style);

/* Replaces the mask (takes ownership; NULL = no mask).  It must have the
 * content's size when the next request runs, else it is ignored.  Takes
 * effect with the next request. */
void ns_preview_set_mask (NsPreview *preview, ns_mask *mask);

/* The images of the exact pass of ns_preview_request_refined (takes
 * ownership; NULL keeps the current one). */
void ns_preview_set_exact_images (NsPreview *preview, ns_image *content,
                                  ns_image *style);
/* Its mask, as ns_preview_set_mask. */
void ns_preview_set_exact_mask (NsPreview *preview, ns_mask *mask);

/* Queues a render of the current images with PARAMS (its progress fields
 * are ignored) using the model of KIND in MODEL_DIR (KIND NS_MODEL_FAST:
 * MODEL_DIR is the fast style's file, FOLDER/STYLE.bin, and no style image
 * is needed).  Any request still queued or running is cancelled.  Returns
 * the request's generation. */
guint ns_preview_request (NsPreview *preview, const char *model_dir,
                          ns_model_kind kind, const ns_params *params);

/* Like ns_preview_request, in two passes: QUICK on the images of
 * ns_preview_set_images (result NS_PREVIEW_APPROX, exact FALSE), then
 * EXACT on those of ns_preview_set_exact_images (NS_PREVIEW_DONE).
 * QUICK NULL: the exact pass only.  Each pass has its own context, so
 * each keeps its cache. */
guint ns_preview_request_refined (NsPreview *preview, const char *model_dir,
                                  ns_model_kind kind, const ns_params *quick,
                                  const ns_params *exact);

/* Cancels what is queued or running; no callback follows for it. */
void ns_preview_cancel (NsPreview *preview);

/* TRUE while a request is queued or running. */
gboolean ns_preview_busy (NsPreview *preview);

/* Cancels, waits for the worker (it stops within a few ms) and frees. */
void ns_preview_free (NsPreview *preview);

G_END_DECLS

#endif /* NS_PREVIEW_H */
