/* The dialog's fast styles: a choice between "use a style layer" and each
 * installed fast style (ns_gimp_fast_styles), kept in step with the
 * procedure's fast-style and method arguments; the style layer's widgets
 * are insensitive while a fast style is chosen, and the preview then runs
 * the style's own network (ns_dialog_find_model).  Below the choice, a
 * gallery shows each style applied to a small thumbnail of the layer,
 * rendered in a background thread (one thread, one style at a time); a
 * click chooses the style. */
#include "config.h"

#include "ns-dialog-private.h"
#include "ns-models.h"

#include <stdbool.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#define THUMB_SIZE 64

/* The gallery's renderer, shared by the dialog and its thread; the last
 * reference frees it.  D is used on the main thread only, while CANCELLED
 * is not set. */
struct _NsFastGallery
{
  gint ref;
  gint cancelled;
  GThread *thread;
  gchar *dir;
  gchar **styles;
  ns_image content;
  NsDialog *d;
};

typedef struct
{
  NsFastGallery *g;
  gint index;
  GdkPixbuf *pixbuf;
} Thumb;

static void
gallery_unref (NsFastGallery *g)
{
  if (!g_atomic_int_dec_and_test (&g->ref))
    return;
  g_free (g->dir);
  g_strfreev (g->styles);
  ns_image_free (&g->content);
  g_free (g);
}

/* "rain_princess" -> "Rain princess". */
static gchar *
display_name (const gchar *style)
{
  gchar *s = g_strdup (style);

  g_strdelimit (s, "_-", ' ');
  if (*s)
    s[0] = g_ascii_toupper (s[0]);
  return s;
}

/* ------------------------------------------------------------ gallery */

static bool
thumb_progress (float fraction, const char *stage, void *user_data)
{
  NsFastGallery *g = user_data;

  return !g_atomic_int_get (&g->cancelled);
}

/* Main thread: shows one rendered thumbnail. */
static gboolean
thumb_show (gpointer data)
{
  Thumb *t = data;
  NsFastGallery *g = t->g;

  if (!g_atomic_int_get (&g->cancelled) && g->d->fast_gallery)
    {
      GtkFlowBoxChild *child =
          gtk_flow_box_get_child_at_index (GTK_FLOW_BOX (g->d->fast_gallery),
                                           t->index);
      GtkWidget *image = child
                             ? g_object_get_data (G_OBJECT (child), "ns-image")
                             : NULL;

      if (image)
        gtk_image_set_from_pixbuf (GTK_IMAGE (image), t->pixbuf);
      ns_dialog_debug (g->d, "fast-thumbnail style=%s", g->styles[t->index]);
    }
  g_object_unref (t->pixbuf);
  gallery_unref (g);
  g_free (t);
  return G_SOURCE_REMOVE;
}

static gpointer
gallery_thread (gpointer data)
{
  NsFastGallery *g = data;
  ns_params params = ns_params_default ();

  params.method = NS_METHOD_FAST;
  params.n_threads = 1; /* beside the live preview */
  params.progress = thumb_progress;
  params.progress_user_data = g;
  for (gint i = 0; g->styles[i] && !g_atomic_int_get (&g->cancelled); i++)
    {
      ns_model *model = NULL;
      ns_context *ctx = NULL;
      ns_image out = { 0 };
      ns_error err;

      if (ns_model_load_fast (g->dir, g->styles[i], &model, &err) == NS_OK &&
          ns_context_new (model, &ctx, &err) == NS_OK &&
          ns_image_alloc (&out, g->content.width, g->content.height, &err) ==
              NS_OK &&
          ns_stylize (ctx, &params, &g->content, NULL, 0, NULL, &out, &err) ==
              NS_OK)
        {
          GdkPixbuf *pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8,
                                          out.width, out.height);
          ns_pixel_layout layout = { NS_PIXELS_U8, 3,
                                     (size_t) gdk_pixbuf_get_rowstride (pb) };
          Thumb *t = g_new0 (Thumb, 1);

          ns_image_to_pixels (&out, NULL, gdk_pixbuf_get_pixels (pb), layout,
                              NULL);
          t->g = g;
          t->index = i;
          t->pixbuf = pb;
          g_atomic_int_inc (&g->ref);
          g_idle_add (thumb_show, t);
        }
      ns_image_free (&out);
      ns_context_free (ctx);
      ns_model_free (model);
    }
  gallery_unref (g);
  return NULL;
}

static void
gallery_activated (GtkFlowBox *box, GtkFlowBoxChild *child, NsDialog *d)
{
  const gchar *style = g_object_get_data (G_OBJECT (child), "ns-style");

  if (style && !d->syncing_fast)
    g_object_set (d->config, "fast-style", style, NULL);
}

/* The layer's thumbnail as the gallery's content; FALSE if unreadable. */
static gboolean
content_thumbnail (NsDialog *d, ns_image *img)
{
  gint w = 0, h = 0, bpp = 0;
  gsize len = 0;
  GBytes *bytes = gimp_drawable_get_thumbnail_data (d->drawable, THUMB_SIZE,
                                                    THUMB_SIZE, &w, &h, &bpp);
  const guchar *px = bytes ? g_bytes_get_data (bytes, &len) : NULL;
  ns_pixel_layout layout = { NS_PIXELS_U8, bpp, 0 };
  gboolean ok = px && w > 0 && h > 0 && bpp >= 1 && bpp <= 4 &&
                len >= (gsize) w * h * bpp &&
                ns_image_from_pixels (px, w, h, layout, img, NULL, NULL) ==
                    NS_OK;

  if (bytes)
    g_bytes_unref (bytes);
  return ok;
}

static GtkWidget *
gallery_new (NsDialog *d, const gchar *dir)
{
  GtkWidget *box = gtk_flow_box_new ();
  NsFastGallery *g = g_new0 (NsFastGallery, 1);

  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (box), GTK_SELECTION_SINGLE);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (box), TRUE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (box), 5);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (box), 4);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (box), 4);
  for (gint i = 0; d->fast_styles[i]; i++)
    {
      GtkWidget *child = gtk_flow_box_child_new ();
      GtkWidget *vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      GtkWidget *image = gtk_image_new ();
      gchar *name = display_name (d->fast_styles[i]);
      GtkWidget *label = gtk_label_new (name);
      gchar *tip = g_strdup_printf (_ ("%s: click to paint the layer in this "
                                       "fast style"),
                                    name);

      gtk_widget_set_size_request (image, THUMB_SIZE, THUMB_SIZE * 3 / 4);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 10);
      gtk_box_pack_start (GTK_BOX (vbox), image, FALSE, FALSE, 0);
      gtk_box_pack_start (GTK_BOX (vbox), label, FALSE, FALSE, 0);
      gtk_container_add (GTK_CONTAINER (child), vbox);
      gimp_help_set_help_data (child, tip, NULL);
      g_object_set_data_full (G_OBJECT (child), "ns-style",
                              g_strdup (d->fast_styles[i]), g_free);
      g_object_set_data (G_OBJECT (child), "ns-image", image);
      gtk_container_add (GTK_CONTAINER (box), child);
      g_free (tip);
      g_free (name);
    }
  g_signal_connect (box, "child-activated", G_CALLBACK (gallery_activated), d);

  g->ref = 2; /* the dialog's and the thread's */
  g->d = d;
  g->dir = g_strdup (dir);
  g->styles = g_strdupv (d->fast_styles);
  d->gallery = g;
  if (content_thumbnail (d, &g->content))
    g->thread = g_thread_new ("ns-fast-gallery", gallery_thread, g);
  else
    g->ref = 1;
  return box;
}

void
ns_dialog_fast_free (NsDialog *d)
{
  NsFastGallery *g = d->gallery;

  if (!g)
    return;
  /* The thread stops within one thumbnail; the thumbnails it queued see
   * CANCELLED and only free themselves. */
  g_atomic_int_set (&g->cancelled, 1);
  if (g->thread)
    g_thread_join (g->thread);
  d->gallery = NULL;
  d->fast_gallery = NULL;
  gallery_unref (g);
}

/* ------------------------------------------------------------ choice */

static gchar *
config_fast_style (NsDialog *d)
{
  gchar *fast = NULL;

  g_object_get (d->config, "fast-style", &fast, NULL);
  if (fast)
    g_strstrip (fast);
  if (fast && (!*fast || g_ascii_strcasecmp (fast, "none") == 0))
    g_clear_pointer (&fast, g_free);
  return fast;
}

gboolean
ns_dialog_fast_active (NsDialog *d)
{
  gchar *fast = config_fast_style (d);
  gboolean active = fast != NULL;

  g_free (fast);
  return active;
}

static void
update_widgets (NsDialog *d)
{
  gchar *fast = config_fast_style (d);
  GtkComboBox *combo = GTK_COMBO_BOX (d->fast_combo);

  if (fast && !ns_gimp_fast_style_known (d->fast_styles, fast) &&
      !gtk_combo_box_set_active_id (combo, fast))
    {
      /* A preset or the last values name a style not installed here: show
       * it, so that the preview's message makes sense. */
      gchar *label = g_strdup_printf (_ ("%s (not installed)"), fast);

      gtk_combo_box_text_append (GTK_COMBO_BOX_TEXT (combo), fast, label);
      g_free (label);
    }
  gtk_combo_box_set_active_id (combo, fast ? fast : "");
  if (d->fast_gallery)
    {
      GtkFlowBox *box = GTK_FLOW_BOX (d->fast_gallery);
      GtkFlowBoxChild *child;

      gtk_flow_box_unselect_all (box);
      for (gint i = 0;
           fast && (child = gtk_flow_box_get_child_at_index (box, i)); i++)
        if (g_strcmp0 (g_object_get_data (G_OBJECT (child), "ns-style"),
                       fast) == 0)
          gtk_flow_box_select_child (box, child);
    }
  if (d->style_chooser)
    gtk_widget_set_sensitive (d->style_chooser, fast == NULL);
  if (d->style_size_widget)
    gtk_widget_set_sensitive (d->style_size_widget, fast == NULL);
  ns_dialog_debug (d, "fast-style=\"%s\" style-layer-sensitive=%d",
                   fast ? fast : "", fast == NULL);
  g_free (fast);
}

void
ns_dialog_fast_sync (NsDialog *d, const char *property)
{
  gint method;
  gchar *fast;

  if (d->syncing_fast || !d->fast_combo)
    return;
  d->syncing_fast = TRUE;
  method = gimp_procedure_config_get_choice_id (d->config, "method");
  fast = config_fast_style (d);
  if (strcmp (property, "method") == 0)
    {
      /* The method fast-style picks the first installed style; another
       * method goes back to the style layer. */
      if (method == NS_METHOD_FAST && !fast && d->fast_styles[0])
        g_object_set (d->config, "fast-style", d->fast_styles[0], NULL);
      else if (method != NS_METHOD_FAST && fast)
        g_object_set (d->config, "fast-style", "", NULL);
    }
  else if (strcmp (property, "fast-style") == 0)
    {
      if (fast && method != NS_METHOD_FAST)
        g_object_set (d->config, "method", "fast-style", NULL);
      else if (!fast && method == NS_METHOD_FAST)
        g_object_set (d->config, "method", "cascade-adain", NULL);
    }
  update_widgets (d);
  g_free (fast);
  d->syncing_fast = FALSE;
}

static void
combo_changed (GtkComboBox *combo, NsDialog *d)
{
  const gchar *id = gtk_combo_box_get_active_id (combo);

  if (d->syncing_fast || !id)
    return;
  /* The config's notify handler (ns_dialog_fast_sync) does the rest. */
  g_object_set (d->config, "fast-style", id, NULL);
}

GtkWidget *
ns_dialog_fast_new (NsDialog *d)
{
  GtkWidget *vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new_with_mnemonic (_ ("_Quick style:"));
  gchar *model_dir = NULL;
  gchar *dir;

  g_object_get (d->config, "model-dir", &model_dir, NULL);
  dir = ns_gimp_fast_find (model_dir, NULL);
  {
    char **list = dir ? ns_fast_styles_list (dir) : NULL;

    d->fast_styles = list ? g_strdupv (list) : g_new0 (gchar *, 1);
    ns_strv_free (list);
  }
  g_free (model_dir);

  d->fast_combo = gtk_combo_box_text_new ();
  gtk_combo_box_text_append (GTK_COMBO_BOX_TEXT (d->fast_combo), "",
                             _ ("None: use the style layer"));
  for (gint i = 0; d->fast_styles[i]; i++)
    {
      gchar *name = display_name (d->fast_styles[i]);

      gtk_combo_box_text_append (GTK_COMBO_BOX_TEXT (d->fast_combo),
                                 d->fast_styles[i], name);
      g_free (name);
    }
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), d->fast_combo);
  gimp_help_set_help_data (
      d->fast_combo,
      d->fast_styles[0]
          ? _ ("Fast styles: a painting with its own network, applied in "
               "one pass without a style layer; or none, to use the style "
               "layer")
          : _ ("No fast styles are installed (install them with \"nstyle "
               "models install fast\"); the style layer is used"),
      NULL);
  gtk_box_pack_start (GTK_BOX (hbox), label, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), d->fast_combo, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), hbox, FALSE, FALSE, 0);
  if (dir && d->fast_styles[0])
    {
      d->fast_gallery = gallery_new (d, dir);
      gtk_box_pack_start (GTK_BOX (vbox), d->fast_gallery, FALSE, FALSE, 0);
    }
  g_free (dir);
  gtk_widget_show_all (vbox);

  d->syncing_fast = TRUE;
  update_widgets (d);
  d->syncing_fast = FALSE;
  g_signal_connect (d->fast_combo, "changed", G_CALLBACK (combo_changed), d);
  return vbox;
}

gchar *
ns_dialog_find_model (NsDialog *d, const gchar *model_dir,
                      ns_model_kind *found_kind)
{
  gchar *fast = config_fast_style (d);
  gchar *found = NULL;

  if (fast)
    {
      gchar *dir = ns_gimp_fast_find (model_dir, NULL);
      gchar *file = g_strconcat (fast, ".bin", NULL);

      /* The preview worker takes a fast style as FOLDER/STYLE.bin. */
      if (dir)
        found = g_build_filename (dir, file, NULL);
      if (found && !g_file_test (found, G_FILE_TEST_IS_REGULAR))
        g_clear_pointer (&found, g_free);
      *found_kind = NS_MODEL_FAST;
      g_free (file);
      g_free (dir);
    }
  else
    found = ns_gimp_model_find_for (
        model_dir, gimp_procedure_config_get_choice_id (d->config, "method"),
        gimp_procedure_config_get_choice_id (d->config, "model"), found_kind,
        NULL);
  g_free (fast);
  return found;
}
