/* The interactive dialog of plug-in-neural-style: every argument, with
 * the procedure's own labels and help, style presets (styles/), and a live
 * preview (ns-dialog-preview.c, rendered by ns-preview.c's worker).
 *
 * NS_DIALOG_DEBUG=1 prints machine-readable lines on stderr (preview
 * geometry and timings, main-loop gaps): the UI tests read them; their
 * accessibility and layout check is a GTK module of the tests
 * (tests/ui/dialog-check.c). */
#include "config.h"

#include "ns-dialog.h"
#include "ns-dialog-private.h"
#include "ns-download.h"
#include "ns-models.h"
#include "ns-presets.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#define PREVIEW_DEFAULT 384
#define PREVIEW_MIN_VIEW 400 /* the preview area's minimum viewport */
#define CONTROLS_MAX_HEIGHT 520

/* ----------------------------------------------------------- helpers */

void
ns_dialog_debug (NsDialog *d, const char *fmt, ...)
{
  va_list ap;
  char *s;

  if (!d->debug)
    return;
  va_start (ap, fmt);
  s = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_printerr ("ns-dialog: %s\n", s);
  g_free (s);
}

gboolean
ns_dialog_drawable_usable (GimpDrawable *drawable)
{
  return drawable && gimp_item_is_valid (GIMP_ITEM (drawable));
}

/* When no style layer is set yet, propose another layer of this image or,
 * failing that, the first layer of another open image. */
static void
default_style_layer (NsDialog *d)
{
  GimpDrawable *style = NULL;
  GimpImage **images;

  g_object_get (d->config, "style-layer", &style, NULL);
  if (ns_dialog_drawable_usable (style))
    {
      g_object_unref (style);
      return;
    }
  g_clear_object (&style);

  images = gimp_get_images ();
  /* This image first. */
  for (gint pass = 0; pass < 2 && !style; pass++)
    for (gint i = 0; images && images[i] && !style; i++)
      {
        GimpLayer **layers;

        if ((pass == 0) != (images[i] == d->image))
          continue;
        layers = gimp_image_get_layers (images[i]);
        for (gint j = 0; layers && layers[j] && !style; j++)
          if (GIMP_DRAWABLE (layers[j]) != d->drawable)
            style = GIMP_DRAWABLE (layers[j]);
        g_free (layers);
      }
  g_free (images);
  if (style)
    g_object_set (d->config, "style-layer", style, NULL);
}

/* ---------------------------------------------------------- controls */

static gboolean
method_is_gatys (NsDialog *d)
{
  return gimp_procedure_config_get_choice_id (d->config, "method") ==
         NS_METHOD_GATYS;
}

static void
config_notify (GObject *config, GParamSpec *pspec, NsDialog *d)
{
  const char *name = pspec->name;

  if (strcmp (name, "method") == 0 || strcmp (name, "fast-style") == 0)
    ns_dialog_fast_sync (d, name);
  if (strcmp (name, "method") == 0)
    {
      gtk_widget_set_visible (d->gatys_frame, method_is_gatys (d));
      ns_dialog_debug (d, "method=%d gatys-visible=%d",
                       gimp_procedure_config_get_choice_id (d->config,
                                                            "method"),
                       gtk_widget_get_visible (d->gatys_frame));
    }

  /* "Reset to factory defaults" clears the style layer: propose one. */
  if (strcmp (name, "style-layer") == 0)
    {
      GimpDrawable *style = NULL;

      g_object_get (config, "style-layer", &style, NULL);
      if (!ns_dialog_drawable_usable (style))
        default_style_layer (d);
      g_clear_object (&style);
    }

  if (!d->applying_preset && d->preset_combo)
    gtk_combo_box_set_active (GTK_COMBO_BOX (d->preset_combo), 0);

  /* Arguments that do not change the preview. */
  if (strcmp (name, "output") == 0)
    return;
  if (!method_is_gatys (d))
    {
      const ns_param_spec *spec = ns_param_find (name);

      /* The seed only seeds Gatys' noise. */
      if ((spec && spec->gatys_only) || strcmp (name, "seed") == 0)
        return;
    }

  if (strcmp (name, "strength") == 0 || strcmp (name, "preserve-colors") == 0)
    ns_dialog_schedule_preview (d, DEBOUNCE_FAST_MS);
  else
    ns_dialog_schedule_preview (d, DEBOUNCE_MS);
}

static void
preview_size_changed (GtkWidget *combo, NsDialog *d)
{
  gint size;

  if (gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (combo), &size) &&
      size != d->preview_size)
    {
      d->preview_size = size;
      d->style_loaded_id = 0; /* the style size follows the preview size */
      ns_dialog_schedule_preview (d, DEBOUNCE_MS);
    }
}

static const char preset_tooltip[] = N_ (
    "Ready-made settings; choosing one sets the method, strength and sizes "
    "below");

static void
preset_changed (GtkComboBox *combo, NsDialog *d)
{
  gint i = gtk_combo_box_get_active (combo) - 1;
  GError *error = NULL;

  if (d->applying_preset)
    return;
  if (i < 0 || (guint) i >= d->presets->len)
    {
      gimp_help_set_help_data (d->preset_combo, _ (preset_tooltip), NULL);
      return;
    }
  d->applying_preset = TRUE;
  {
    const NsPreset *p = d->presets->pdata[i];

    gimp_help_set_help_data (d->preset_combo,
                             p->description
                                 ? g_dgettext (GETTEXT_PACKAGE, p->description)
                                 : _ (preset_tooltip),
                             NULL);
  }
  if (ns_preset_apply (d->presets->pdata[i], G_OBJECT (d->config), &error))
    {
      gdouble strength;
      gboolean preserve;

      g_object_get (d->config, "strength", &strength, "preserve-colors",
                    &preserve, NULL);
      ns_dialog_debug (d,
                       "preset-applied name=\"%s\" strength=%.3f "
                       "preserve-colors=%d",
                       ((NsPreset *) d->presets->pdata[i])->name, strength,
                       preserve);
    }
  else
    {
      gchar *msg = g_strdup_printf (_ ("Preset not applied: %s"),
                                    error->message);

      gtk_label_set_text (GTK_LABEL (d->status), msg);
      g_free (msg);
      g_clear_error (&error);
    }
  d->applying_preset = FALSE;
}

static void
compare_toggled (GtkToggleButton *button, NsDialog *d)
{
  gtk_widget_queue_draw (d->area);
}

/* Packs the widget of PROPERTY into BOX; GIMP gives it the argument's
 * label (with its mnemonic) and help as its tooltip.  TYPE: as for
 * gimp_procedure_dialog_get_widget, or GIMP_TYPE_SCALE_ENTRY. */
static GtkWidget *
add_prop (NsDialog *d, GtkWidget *box, const char *property, GType type)
{
  GtkWidget *w;

  if (type == GIMP_TYPE_SCALE_ENTRY)
    w = gimp_procedure_dialog_get_scale_entry (d->dialog, property, 1.0);
  else
    w = gimp_procedure_dialog_get_widget (d->dialog, property, type);
  if (w)
    {
      gtk_widget_show (w);
      gtk_box_pack_start (GTK_BOX (box), w, FALSE, FALSE, 0);
    }
  return w;
}

static GtkWidget *
vbox_new (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

  gtk_widget_show (box);
  return box;
}

static GtkWidget *
build_preview (NsDialog *d)
{
  GtkWidget *vbox = vbox_new ();
  GtkWidget *frame = gtk_frame_new (NULL);
  GtkWidget *overlay = gtk_overlay_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new (NULL, NULL);
  GtkWidget *hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label;

  gtk_frame_set_shadow_type (GTK_FRAME (frame), GTK_SHADOW_IN);
  gtk_box_pack_start (GTK_BOX (vbox), frame, TRUE, TRUE, 0);
  gtk_container_add (GTK_CONTAINER (frame), overlay);
  gtk_container_add (GTK_CONTAINER (overlay), scrolled);
  /* Larger preview sizes scroll (pan) inside this viewport. */
  gtk_scrolled_window_set_min_content_width (GTK_SCROLLED_WINDOW (scrolled),
                                             PREVIEW_MIN_VIEW);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled),
                                              PREVIEW_MIN_VIEW);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled),
                                  GTK_POLICY_AUTOMATIC, GTK_POLICY_AUTOMATIC);

  d->area = gtk_drawing_area_new ();
  gtk_widget_set_halign (d->area, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (d->area, GTK_ALIGN_CENTER);
  gimp_help_set_help_data (d->area,
                           _ ("Live preview of the content (or its selection) "
                              "with the current settings"),
                           NULL);
  g_signal_connect (d->area, "draw", G_CALLBACK (ns_dialog_area_draw), d);
  gimp_help_set_help_data (scrolled,
                           _ ("Scroll to see other parts of "
                              "larger previews"),
                           NULL);
  gtk_container_add (GTK_CONTAINER (scrolled), d->area);

  d->spinner = gtk_spinner_new ();
  gtk_widget_set_size_request (d->spinner, 32, 32);
  gtk_widget_set_halign (d->spinner, GTK_ALIGN_END);
  gtk_widget_set_valign (d->spinner, GTK_ALIGN_START);
  gtk_widget_set_margin_top (d->spinner, 6);
  gtk_widget_set_margin_end (d->spinner, 6);
  gtk_widget_set_no_show_all (d->spinner, TRUE);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), d->spinner);
  gtk_overlay_set_overlay_pass_through (GTK_OVERLAY (overlay), d->spinner,
                                        TRUE);

  d->status = gtk_label_new (_ ("Computing the preview…"));
  gtk_label_set_xalign (GTK_LABEL (d->status), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (d->status), PANGO_ELLIPSIZE_END);
  gtk_label_set_width_chars (GTK_LABEL (d->status), 30);
  gtk_box_pack_start (GTK_BOX (vbox), d->status, FALSE, FALSE, 0);

  gtk_box_pack_start (GTK_BOX (vbox), hbox, FALSE, FALSE, 0);
  label = gtk_label_new (_ ("Preview size:"));
  gtk_box_pack_start (GTK_BOX (hbox), label, FALSE, FALSE, 0);
  d->size_combo = gimp_int_combo_box_new (_ ("256 px"), 256, _ ("384 px"), 384,
                                          _ ("512 px"), 512, _ ("768 px"), 768,
                                          NULL);
  gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (d->size_combo),
                                 d->preview_size);
  gimp_help_set_help_data (d->size_combo,
                           _ ("Long side of the preview: larger shows more "
                              "detail but takes longer (scroll to pan)"),
                           NULL);
  g_signal_connect (d->size_combo, "changed", G_CALLBACK (preview_size_changed),
                    d);
  gtk_box_pack_start (GTK_BOX (hbox), d->size_combo, FALSE, FALSE, 0);

  d->compare = gtk_toggle_button_new_with_label (_ ("Show the original"));
  gimp_help_set_help_data (d->compare,
                           _ ("Show the content without the style, to "
                              "compare"),
                           NULL);
  g_signal_connect (d->compare, "toggled", G_CALLBACK (compare_toggled), d);
  gtk_box_pack_end (GTK_BOX (hbox), d->compare, FALSE, FALSE, 0);

  gtk_widget_show_all (vbox);
  return vbox;
}

static GtkWidget *
build_presets (NsDialog *d)
{
  GtkWidget *hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new_with_mnemonic (_ ("_Preset:"));
  gchar *user_dir = g_build_filename (gimp_directory (), "neural-style",
                                      "styles", NULL);
  gchar **dirs = ns_presets_default_dirs (user_dir);

  d->presets = ns_presets_load ((const char *const *) dirs);
  g_strfreev (dirs);
  g_free (user_dir);

  d->preset_combo = gtk_combo_box_text_new ();
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->preset_combo),
                                  _ ("(custom settings)"));
  for (guint i = 0; i < d->presets->len; i++)
    {
      NsPreset *p = d->presets->pdata[i];

      /* Translated when the catalogue has the name; else as written. */
      gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->preset_combo),
                                      g_dgettext (GETTEXT_PACKAGE, p->name));
    }
  gtk_combo_box_set_active (GTK_COMBO_BOX (d->preset_combo), 0);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), d->preset_combo);
  gimp_help_set_help_data (d->preset_combo, _ (preset_tooltip), NULL);
  g_signal_connect (d->preset_combo, "changed", G_CALLBACK (preset_changed), d);
  gtk_box_pack_start (GTK_BOX (hbox), label, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), d->preset_combo, TRUE, TRUE, 0);
  gtk_widget_set_sensitive (hbox, d->presets->len > 0);
  gtk_widget_show_all (hbox);
  return hbox;
}

static GtkWidget *
build_controls (NsDialog *d)
{
  GtkWidget *vbox = vbox_new ();
  GtkWidget *gbox, *expander, *abox, *fast_row;

  gtk_widget_set_size_request (vbox, 360, -1);
  gtk_box_pack_start (GTK_BOX (vbox), build_presets (d), FALSE, FALSE, 0);

  /* The fast styles, then the style layer they replace. */
  fast_row = ns_dialog_fast_new (d);
  gtk_box_pack_start (GTK_BOX (vbox), fast_row, FALSE, FALSE, 0);
  d->style_chooser = add_prop (d, vbox, "style-layer", G_TYPE_NONE);
  add_prop (d, vbox, "method", G_TYPE_NONE);
  add_prop (d, vbox, "strength", GIMP_TYPE_SCALE_ENTRY);
  add_prop (d, vbox, "preserve-colors", G_TYPE_NONE);

  /* Gatys-only arguments: shown only for that method. */
  d->gatys_frame = gimp_frame_new (_ ("Optimisation (Gatys)"));
  /* Named for the tests' layout check, which opens it. */
  gtk_widget_set_name (d->gatys_frame, "ns-gatys");
  gbox = vbox_new ();
  gtk_container_add (GTK_CONTAINER (d->gatys_frame), gbox);
  add_prop (d, gbox, "iterations", G_TYPE_NONE);
  add_prop (d, gbox, "scales", G_TYPE_NONE);
  add_prop (d, gbox, "content-weight", G_TYPE_NONE);
  add_prop (d, gbox, "style-weight", G_TYPE_NONE);
  add_prop (d, gbox, "tv-weight", G_TYPE_NONE);
  add_prop (d, gbox, "init", G_TYPE_NONE);
  gtk_widget_set_no_show_all (d->gatys_frame, TRUE);
  gtk_widget_set_visible (d->gatys_frame, method_is_gatys (d));
  gtk_box_pack_start (GTK_BOX (vbox), d->gatys_frame, FALSE, FALSE, 0);

  d->expander = expander = gtk_expander_new_with_mnemonic (_ ("_Advanced"));
  gtk_widget_set_name (d->expander, "ns-advanced");
  gimp_help_set_help_data (expander, _ ("Model, sizes, mask, output and seed"),
                           NULL);
  abox = vbox_new ();
  gtk_container_add (GTK_CONTAINER (expander), abox);
  add_prop (d, abox, "model", G_TYPE_NONE);
  add_prop (d, abox, "model-dir", G_TYPE_NONE);
  d->style_size_widget = add_prop (d, abox, "style-size", G_TYPE_NONE);
  add_prop (d, abox, "design-size", G_TYPE_NONE);
  add_prop (d, abox, "max-size", G_TYPE_NONE);
  add_prop (d, abox, "memory-budget", G_TYPE_NONE);
  add_prop (d, abox, "mask", G_TYPE_NONE);
  add_prop (d, abox, "output", G_TYPE_NONE);
  add_prop (d, abox, "seed", G_TYPE_NONE);
  gtk_box_pack_start (GTK_BOX (vbox), expander, FALSE, FALSE, 0);
  gtk_widget_show_all (expander);
  /* Now that the style layer's widgets exist: their sensitivity, and the
   * method in step with a fast style of the last values. */
  ns_dialog_fast_sync (d, "fast-style");
  return vbox;
}

/* ------------------------------------------------------------ debug */

static gboolean
tick (gpointer data)
{
  NsDialog *d = data;
  gint64 now = g_get_monotonic_time ();
  gdouble gap = (now - d->last_tick) / 1000.0;

  if (d->last_tick)
    {
      d->max_gap_ms = MAX (d->max_gap_ms, gap);
      if (ns_preview_busy (d->preview))
        d->max_gap_busy_ms = MAX (d->max_gap_busy_ms, gap);
    }
  d->last_tick = now;
  d->ticks++;
  return G_SOURCE_CONTINUE;
}

static void
dialog_mapped (GtkWidget *widget, NsDialog *d)
{
  GdkWindow *win = gtk_widget_get_window (widget);

  /* GimpDrawableChooser (3.0.4) draws its thumbnail only when a drawable
   * is set, at the size allocated then: set it again now that it has a
   * size, without treating it as a change. */
  if (GIMP_IS_DRAWABLE_CHOOSER (d->style_chooser))
    {
      GimpDrawableChooser *chooser = GIMP_DRAWABLE_CHOOSER (d->style_chooser);

      g_signal_handlers_block_by_func (d->config, config_notify, d);
      gimp_drawable_chooser_set_drawable (chooser,
                                          gimp_drawable_chooser_get_drawable (
                                              chooser));
      g_signal_handlers_unblock_by_func (d->config, config_notify, d);
    }
  if (!d->debug)
    return;
  {
    gint x = 0, y = 0;

    gtk_widget_translate_coordinates (d->compare, widget, 0, 0, &x, &y);
    ns_dialog_debug (d, "mapped xid-size=%dx%d compare=%d,%d,%dx%d",
                     gdk_window_get_width (win), gdk_window_get_height (win), x,
                     y, gtk_widget_get_allocated_width (d->compare),
                     gtk_widget_get_allocated_height (d->compare));
  }
  d->last_tick = 0;
  d->tick_id = g_timeout_add (10, tick, d);
}

/* -------------------------------------------------------------- run */

static void
model_installed (gpointer data)
{
  ns_dialog_schedule_preview (data, 0);
}

gboolean
ns_dialog_run (GimpProcedure *procedure, GimpProcedureConfig *config,
               GimpImage *image, GimpDrawable *drawable)
{
  NsDialog d = { 0 };
  GtkWidget *content, *hbox;
  gboolean run;
  gint64 t_close;

  gimp_ui_init ("neural-style");

  d.config = config;
  d.image = image;
  d.drawable = drawable;
  d.debug = g_strcmp0 (g_getenv ("NS_DIALOG_DEBUG"), "1") == 0;
  d.preview_size = PREVIEW_DEFAULT;
  if (!gimp_drawable_mask_intersect (drawable, &d.sel_x, &d.sel_y, &d.sel_w,
                                     &d.sel_h) ||
      d.sel_w < 1 || d.sel_h < 1)
    {
      d.sel_x = d.sel_y = 0;
      d.sel_w = gimp_drawable_get_width (drawable);
      d.sel_h = gimp_drawable_get_height (drawable);
    }
  default_style_layer (&d);

  d.dialog = GIMP_PROCEDURE_DIALOG (
      gimp_procedure_dialog_new (procedure, config,
                                 _ ("Neural Style Transfer")));
  d.preview = ns_preview_new (ns_dialog_preview_done, &d);

  content = gtk_dialog_get_content_area (GTK_DIALOG (d.dialog));
  hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_container_set_border_width (GTK_CONTAINER (hbox), 12);
  gtk_box_pack_start (GTK_BOX (content), hbox, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), build_preview (&d), TRUE, TRUE, 0);
  {
    /* The controls scroll when the Gatys rows and Advanced are open, so
     * that the dialog stays within a 1280x800 screen. */
    GtkWidget *sw = gtk_scrolled_window_new (NULL, NULL);

    gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (sw), GTK_POLICY_NEVER,
                                    GTK_POLICY_AUTOMATIC);
    gtk_scrolled_window_set_propagate_natural_width (GTK_SCROLLED_WINDOW (sw),
                                                     TRUE);
    gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (sw),
                                                      TRUE);
    gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (sw),
                                                CONTROLS_MAX_HEIGHT);
    gtk_container_add (GTK_CONTAINER (sw), build_controls (&d));
    gtk_widget_show (sw);
    gtk_box_pack_start (GTK_BOX (hbox), sw, FALSE, FALSE, 0);
  }
  gtk_widget_show (hbox);
  {
    /* No model installed: offer to download one (ns-download.c). */
    gchar *model_dir = NULL, *found;

    g_object_get (config, "model-dir", &model_dir, NULL);
    found = ns_gimp_model_find (model_dir, NS_MODEL_AUTO, NULL, NULL);
    g_free (model_dir);

    if (!found)
      {
        GtkWidget *bar = ns_download_new (gimp_directory (), "cd16x",
                                          model_installed, &d);

        gtk_box_pack_start (GTK_BOX (content), bar, FALSE, FALSE, 0);
        gtk_box_reorder_child (GTK_BOX (content), bar, 0);
      }
    g_free (found);
  }

  g_signal_connect (config, "notify", G_CALLBACK (config_notify), &d);
  g_signal_connect_after (d.dialog, "map", G_CALLBACK (dialog_mapped), &d);

  ns_dialog_schedule_preview (&d, 0);
  run = gimp_procedure_dialog_run (d.dialog);

  /* Close at once: hide first, then stop the worker (its progress
   * callback sees the cancellation within a few ms). */
  t_close = g_get_monotonic_time ();
  g_signal_handlers_disconnect_by_data (config, &d);
  ns_dialog_fast_free (&d);
  if (d.debounce_id)
    g_source_remove (d.debounce_id);
  if (d.tick_id)
    g_source_remove (d.tick_id);
  gtk_widget_destroy (GTK_WIDGET (d.dialog));
  ns_preview_free (d.preview);
  ns_dialog_debug (&d,
                   "closed run=%d previews=%u stop_ms=%.1f ticks=%u "
                   "max_gap_ms=%.1f max_gap_busy_ms=%.1f",
                   run, d.previews_done,
                   (g_get_monotonic_time () - t_close) / 1000.0, d.ticks,
                   d.max_gap_ms, d.max_gap_busy_ms);

  g_clear_object (&d.content_pb);
  g_clear_object (&d.result_pb);
  g_ptr_array_unref (d.presets);
  g_strfreev (d.fast_styles);
  return run;
}
