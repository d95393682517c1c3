/* Private to the dialog's files: ns-dialog.c builds the window and its
 * controls, ns-dialog-preview.c reads the layers as thumbnails and wires
 * them to the preview worker (ns-preview.c). */
#ifndef NS_DIALOG_PRIVATE_H
#define NS_DIALOG_PRIVATE_H

#include <libgimp/gimpui.h>

#include "ns-preview.h"

G_BEGIN_DECLS

typedef struct _NsFastGallery NsFastGallery;

#define DEBOUNCE_FAST_MS 40 /* strength / colours: cheap re-runs */
#define DEBOUNCE_MS 150     /* anything that re-encodes */

typedef struct
{
  GimpProcedureDialog *dialog;
  GimpProcedureConfig *config;
  GimpImage *image;
  GimpDrawable *drawable;

  NsPreview *preview;
  GPtrArray *presets;

  GtkWidget *area;
  GtkWidget *spinner;
  GtkWidget *status;
  GtkWidget *size_combo;
  GtkWidget *preset_combo;
  GtkWidget *gatys_frame;
  GtkWidget *compare;
  GtkWidget *expander;
  GtkWidget *style_chooser;
  GtkWidget *style_size_widget;
  GtkWidget *fast_combo;   /* ns-dialog-fast.c */
  GtkWidget *fast_gallery; /* thumbnails of the fast styles, or NULL */
  NsFastGallery *gallery;  /* its renderer (ns-dialog-fast.c) */
  gchar **fast_styles;     /* installed fast styles (NULL-terminated) */
  gboolean syncing_fast;   /* fast-style and method being kept in step */

  /* Selection bounds in drawable coordinates. */
  gint sel_x, sel_y, sel_w, sel_h;
  gint preview_size;
  GdkPixbuf *content_pb; /* the content at preview size */
  GdkPixbuf *result_pb;  /* the newest preview */
  gint content_loaded_size;
  gint style_loaded_id;
  gint style_loaded_size;
  gint mask_loaded_id; /* 0: no mask loaded */
  gint mask_loaded_size;
  /* The exact pass: the content at the render's design stage (long side
   * EXACT_LOADED_SIZE, 0: not loaded), the style as the render uses it. */
  gint exact_loaded_size;
  gint exact_style_id;
  gint exact_style_size;
  gint mask_exact_size;

  guint debounce_id;
  guint wanted_gen;
  guint shown_gen; /* generation of RESULT_PB */
  guint drawn_gen; /* last generation painted (debug output) */
  gboolean drawn_original;
  gint64 request_time;
  gboolean applying_preset;

  /* Debug / measurement. */
  gboolean debug;
  guint tick_id;
  gint64 last_tick;
  gdouble max_gap_ms;
  gdouble max_gap_busy_ms;
  guint ticks;
  guint previews_done;
} NsDialog;

/* NS_DIALOG_DEBUG=1: a machine-readable line on stderr (read by the UI
 * tests). */
void ns_dialog_debug (NsDialog *d, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

gboolean ns_dialog_drawable_usable (GimpDrawable *drawable);

/* ns-dialog-fast.c */

/* The "Fast style" row: none (use the style layer) or an installed fast
 * style, bound to the fast-style argument. */
GtkWidget *ns_dialog_fast_new (NsDialog *d);
/* Stops the gallery's renderer (before the dialog is destroyed). */
void ns_dialog_fast_free (NsDialog *d);
/* After PROPERTY ("fast-style" or "method") changed: keeps the other in
 * step (a fast style is the method fast-style) and the style layer's
 * widgets insensitive while a fast style is chosen. */
void ns_dialog_fast_sync (NsDialog *d, const char *property);
/* TRUE while a fast style is chosen. */
gboolean ns_dialog_fast_active (NsDialog *d);
/* The model the preview runs: a fast style's file (FOLDER/STYLE.bin,
 * *FOUND_KIND NS_MODEL_FAST), else the folder for the method and model
 * choice; NULL when not installed. */
gchar *ns_dialog_find_model (NsDialog *d, const gchar *model_dir,
                             ns_model_kind *found_kind);

/* ns-dialog-preview.c */

/* (Re)starts the debounce timer; the preview is requested when it fires. */
void ns_dialog_schedule_preview (NsDialog *d, guint delay_ms);
/* The NsPreviewFn of d->preview. */
void ns_dialog_preview_done (const NsPreviewResult *r, gpointer user_data);
/* The "draw" handler of d->area: the preview, or the content to compare. */
gboolean ns_dialog_area_draw (GtkWidget *area, cairo_t *cr, NsDialog *d);

G_END_DECLS

#endif
