/* The interactive dialog of plug-in-neural-style: every argument, style
 * presets, and a live preview rendered by a worker thread (ns-preview.c).
 *
 * The preview works on small copies of the content (or its selection) and
 * of the style, read as GIMP thumbnails (computed by the core, so reading
 * them costs a few ms even for large layers).  Requests are debounced
 * while a control moves; a newer request cancels the running one; the
 * worker keeps one ns_context, so a strength change only re-runs the
 * transform and the decoder.
 *
 * NS_DIALOG_DEBUG=1 prints machine-readable lines on stderr (preview
 * geometry and timings, main-loop gaps, an accessibility self-check): the
 * UI tests read them. */
#include "config.h"

#include "ns-dialog.h"
#include "ns-presets.h"
#include "ns-preview.h"
#include "ns-models.h"

#include <string.h>

#include <libgimp/gimpui.h>
#include <glib/gi18n-lib.h>

#define PREVIEW_DEFAULT 384
#define PREVIEW_MIN_VIEW 400  /* the preview area's minimum viewport */
#define DEBOUNCE_FAST_MS 40   /* strength / colours: cheap re-runs */
#define DEBOUNCE_MS 150       /* anything that re-encodes */
#define CONTROLS_MAX_HEIGHT 520

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

  /* Selection bounds in drawable coordinates. */
  gint sel_x, sel_y, sel_w, sel_h;
  gint preview_size;
  GdkPixbuf *content_pb;   /* the content at preview size */
  GdkPixbuf *result_pb;    /* the newest preview */
  gint content_loaded_size;
  gint style_loaded_id;
  gint style_loaded_size;
  gint mask_loaded_id;    /* 0: no mask loaded */
  gint mask_loaded_size;

  guint debounce_id;
  guint wanted_gen;
  guint shown_gen;        /* generation of RESULT_PB */
  guint drawn_gen;        /* last generation painted (debug output) */
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

/* ----------------------------------------------------------- helpers */

static void
debug_print (NsDialog *d, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
debug_print (NsDialog *d, const char *fmt, ...)
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

/* Planar float RGB from GIMP thumbnail data (BPP 1-4: grey, grey+alpha,
 * RGB, RGBA).  Alpha is ignored: the engine works on colour and the
 * plug-in keeps the layer's alpha.  The *_data calls are used because
 * gimp_drawable_get_sub_thumbnail () frees its buffer twice in GIMP 3.0.4. */
static ns_image *
image_from_thumbnail (GBytes *bytes, gint w, gint h, gint bpp)
{
  gsize len = 0;
  const guchar *px = bytes ? g_bytes_get_data (bytes, &len) : NULL;
  size_t plane = (size_t) w * h;
  ns_image *img;

  if (!px || w < 1 || h < 1 || bpp < 1 || bpp > 4
      || len < plane * (size_t) bpp)
    return NULL;
  img = g_new0 (ns_image, 1);
  if (ns_image_alloc (img, w, h, NULL) != NS_OK)
    {
      g_free (img);
      return NULL;
    }
  for (size_t i = 0; i < plane; i++)
    {
      const guchar *p = px + i * bpp;

      if (bpp >= 3)
        {
          img->data[i] = p[0] / 255.0f;
          img->data[plane + i] = p[1] / 255.0f;
          img->data[2 * plane + i] = p[2] / 255.0f;
        }
      else
        img->data[i] = img->data[plane + i] = img->data[2 * plane + i]
          = p[0] / 255.0f;
    }
  return img;
}

static GdkPixbuf *
pixbuf_from_image (const ns_image *img)
{
  GdkPixbuf *pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, img->width,
                                  img->height);
  gint stride = gdk_pixbuf_get_rowstride (pb);
  guchar *px = gdk_pixbuf_get_pixels (pb);
  size_t plane = (size_t) img->width * img->height;

  for (gint y = 0; y < img->height; y++)
    for (gint x = 0; x < img->width; x++)
      for (gint c = 0; c < 3; c++)
        {
          float v = img->data[c * plane + (size_t) y * img->width + x];

          v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
          px[(size_t) y * stride + x * 3 + c] = (guchar) (v * 255.0f + 0.5f);
        }
  return pb;
}

static gboolean
drawable_usable (GimpDrawable *drawable)
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
  if (drawable_usable (style))
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

/* ------------------------------------------------------- pixel input */

static gboolean
load_content (NsDialog *d)
{
  gint size = d->preview_size;
  gint w, h;
  gdouble scale;

  if (d->content_pb && d->content_loaded_size == size)
    return TRUE;
  scale = MIN (1.0, (gdouble) size / MAX (d->sel_w, d->sel_h));
  w = MAX (1, (gint) (d->sel_w * scale + 0.5));
  h = MAX (1, (gint) (d->sel_h * scale + 0.5));
  {
    gint tw = 0, th = 0, bpp = 0;
    GBytes *bytes = gimp_drawable_get_sub_thumbnail_data (d->drawable,
                                                          d->sel_x, d->sel_y,
                                                          d->sel_w, d->sel_h,
                                                          w, h, &tw, &th,
                                                          &bpp);
    ns_image *img = image_from_thumbnail (bytes, tw, th, bpp);

    if (bytes)
      g_bytes_unref (bytes);
    if (!img)
      return FALSE;
    g_clear_object (&d->content_pb);
    d->content_pb = pixbuf_from_image (img);
    d->content_loaded_size = size;
    ns_preview_set_images (d->preview, img, NULL);
  }
  g_clear_object (&d->result_pb);
  gtk_widget_set_size_request (d->area,
                               gdk_pixbuf_get_width (d->content_pb),
                               gdk_pixbuf_get_height (d->content_pb));
  gtk_widget_queue_draw (d->area);
  return TRUE;
}

/* The style at the size that gives the preview the same stroke scale as
 * the full render: the render works at min (content, max-size) with the
 * style at style-size; the preview shrinks the content by SCALE, so the
 * style is shrunk by the same factor. */
static gboolean
load_style (NsDialog *d, GimpDrawable *style)
{
  gint style_size, max_size, work, target, style_long;
  gdouble scale;

  g_object_get (d->config, "style-size", &style_size, "max-size", &max_size,
                NULL);
  style_long = MAX (gimp_drawable_get_width (style),
                    gimp_drawable_get_height (style));
  work = MAX (d->sel_w, d->sel_h);
  if (max_size > 0 && max_size < work)
    work = max_size;
  scale = (gdouble) MAX (gdk_pixbuf_get_width (d->content_pb),
                         gdk_pixbuf_get_height (d->content_pb)) / work;
  target = (gint) ((style_size > 0 ? style_size : style_long) * scale + 0.5);
  target = CLAMP (target, 32, 1024);

  if (d->style_loaded_id == gimp_item_get_id (GIMP_ITEM (style))
      && d->style_loaded_size == target)
    return TRUE;
  {
    gint tw = 0, th = 0, bpp = 0;
    GBytes *bytes = gimp_drawable_get_thumbnail_data (style, target, target,
                                                      &tw, &th, &bpp);
    ns_image *img = image_from_thumbnail (bytes, tw, th, bpp);

    if (bytes)
      g_bytes_unref (bytes);
    if (!img)
      return FALSE;
    ns_preview_set_images (d->preview, NULL, img);
  }
  d->style_loaded_id = gimp_item_get_id (GIMP_ITEM (style));
  d->style_loaded_size = target;
  return TRUE;
}

/* The mask over the previewed region, as the plug-in places it: a mask
 * of the content's image by the image offsets, a mask of another image
 * (content-sized) at the same pixel positions; 0 outside the mask. */
static void
load_mask (NsDialog *d)
{
  GimpDrawable *mask = NULL;
  gint cw = gdk_pixbuf_get_width (d->content_pb);
  gint ch = gdk_pixbuf_get_height (d->content_pb);
  gint mx, my, mw, mh, ix0, iy0, ix1, iy1, dx0, dy0, dx1, dy1;
  gdouble sx = (gdouble) cw / d->sel_w, sy = (gdouble) ch / d->sel_h;
  ns_image *img;
  GBytes *bytes = NULL;
  gint tw = 0, th = 0, bpp = 0;

  g_object_get (d->config, "mask", &mask, NULL);
  if (!drawable_usable (mask))
    {
      if (d->mask_loaded_id)
        ns_preview_set_mask (d->preview, NULL);
      d->mask_loaded_id = 0;
      g_clear_object (&mask);
      return;
    }
  if (d->mask_loaded_id == gimp_item_get_id (GIMP_ITEM (mask))
      && d->mask_loaded_size == d->content_loaded_size)
    {
      g_object_unref (mask);
      return;
    }

  /* The region in the mask's coordinates. */
  mx = d->sel_x;
  my = d->sel_y;
  if (gimp_item_get_image (GIMP_ITEM (mask)) == d->image)
    {
      gint cx, cy, ox, oy;

      gimp_drawable_get_offsets (d->drawable, &cx, &cy);
      gimp_drawable_get_offsets (mask, &ox, &oy);
      mx += cx - ox;
      my += cy - oy;
    }
  mw = gimp_drawable_get_width (mask);
  mh = gimp_drawable_get_height (mask);
  ix0 = MAX (mx, 0);
  iy0 = MAX (my, 0);
  ix1 = MIN (mx + d->sel_w, mw);
  iy1 = MIN (my + d->sel_h, mh);

  img = g_new0 (ns_image, 1);
  if (ns_image_alloc (img, cw, ch, NULL) != NS_OK)
    {
      g_free (img);
      g_object_unref (mask);
      return;
    }
  memset (img->data, 0, sizeof (float) * 3 * (size_t) cw * ch);
  /* The part of the preview the mask covers. */
  dx0 = (gint) ((ix0 - mx) * sx + 0.5);
  dy0 = (gint) ((iy0 - my) * sy + 0.5);
  dx1 = MIN (cw, (gint) ((ix1 - mx) * sx + 0.5));
  dy1 = MIN (ch, (gint) ((iy1 - my) * sy + 0.5));
  if (ix1 > ix0 && iy1 > iy0 && dx1 > dx0 && dy1 > dy0)
    bytes = gimp_drawable_get_sub_thumbnail_data (mask, ix0, iy0, ix1 - ix0,
                                                  iy1 - iy0, dx1 - dx0,
                                                  dy1 - dy0, &tw, &th, &bpp);
  if (bytes)
    {
      gsize len;
      const guchar *px = g_bytes_get_data (bytes, &len);
      size_t plane = (size_t) cw * ch;

      if (bpp >= 1 && bpp <= 4 && len >= (gsize) tw * th * bpp)
        for (gint y = 0; y < th && dy0 + y < ch; y++)
          for (gint x = 0; x < tw && dx0 + x < cw; x++)
            {
              const guchar *p = px + ((size_t) y * tw + x) * bpp;
              /* Layers are read as seen (perceptual grey). */
              float v = bpp >= 3 ? (0.2126f * p[0] + 0.7152f * p[1]
                                    + 0.0722f * p[2]) / 255.0f
                                 : p[0] / 255.0f;
              size_t i = (size_t) (dy0 + y) * cw + (dx0 + x);

              img->data[i] = img->data[plane + i] = img->data[2 * plane + i]
                = v;
            }
      g_bytes_unref (bytes);
    }
  ns_preview_set_mask (d->preview, img);
  d->mask_loaded_id = gimp_item_get_id (GIMP_ITEM (mask));
  d->mask_loaded_size = d->content_loaded_size;
  g_object_unref (mask);
}

/* ----------------------------------------------------------- preview */

static void
set_status (NsDialog *d, gboolean busy, const char *text)
{
  gtk_label_set_text (GTK_LABEL (d->status), text);
  if (busy)
    {
      gtk_widget_show (d->spinner);
      gtk_spinner_start (GTK_SPINNER (d->spinner));
    }
  else
    {
      gtk_spinner_stop (GTK_SPINNER (d->spinner));
      gtk_widget_hide (d->spinner);
    }
}

static void
request_preview (NsDialog *d)
{
  GimpDrawable *style = NULL;
  ns_params params = ns_params_default ();
  gchar *model_dir = NULL;
  gchar *found_dir;
  ns_model_kind kind, found_kind;
  gdouble strength, cw, sw, tvw;
  gboolean preserve;
  gint seed, iterations, scales;

  g_object_get (d->config, "style-layer", &style, "model-dir", &model_dir,
                "strength", &strength, "preserve-colors", &preserve,
                "seed", &seed, "iterations", &iterations,
                "content-weight", &cw, "style-weight", &sw, "tv-weight", &tvw,
                "scales", &scales, NULL);

  if (!drawable_usable (style))
    {
      ns_preview_cancel (d->preview);
      set_status (d, FALSE, _("Choose a style layer to see a preview."));
      goto out;
    }
  if (!load_content (d) || !load_style (d, style))
    {
      ns_preview_cancel (d->preview);
      set_status (d, FALSE, _("Could not read the layers."));
      goto out;
    }
  load_mask (d);

  kind = gimp_procedure_config_get_choice_id (d->config, "model");
  found_dir = ns_gimp_model_find (model_dir, kind, &found_kind, NULL);
  if (!found_dir)
    {
      ns_preview_cancel (d->preview);
      set_status (d, FALSE,
                  _("No model found: set the model folder or install a "
                    "model (see the README)."));
      goto out;
    }

  params.method = gimp_procedure_config_get_choice_id (d->config, "method");
  params.strength = (float) strength;
  params.preserve_colors = preserve;
  params.style_size = 0; /* the style was read at the right size */
  params.max_size = 0;
  params.seed = (uint64_t) seed;
  params.gatys.iterations = iterations;
  params.gatys.content_weight = (float) cw;
  params.gatys.style_weight = (float) sw;
  params.gatys.tv_weight = (float) tvw;
  params.gatys.scales = scales;
  params.gatys.init = gimp_procedure_config_get_choice_id (d->config, "init");

  d->request_time = g_get_monotonic_time ();
  d->wanted_gen = ns_preview_request (d->preview, found_dir, found_kind,
                                      &params);
  set_status (d, TRUE, params.method == NS_METHOD_GATYS
                         ? _("Optimising… (the preview updates as it goes)")
                         : _("Computing the preview…"));
  debug_print (d, "request gen=%u strength=%.3f method=%d model=%s",
               d->wanted_gen, strength, params.method, found_dir);
  g_free (found_dir);

out:
  g_clear_object (&style);
  g_free (model_dir);
}

static gboolean
debounce_fired (gpointer data)
{
  NsDialog *d = data;

  d->debounce_id = 0;
  request_preview (d);
  return G_SOURCE_REMOVE;
}

static void
schedule_preview (NsDialog *d, guint delay_ms)
{
  if (d->debounce_id)
    g_source_remove (d->debounce_id);
  d->debounce_id = g_timeout_add (delay_ms, debounce_fired, d);
}

static void
preview_done (const NsPreviewResult *r, gpointer user_data)
{
  NsDialog *d = user_data;
  gdouble since_request = (g_get_monotonic_time () - d->request_time) / 1000.0;

  if (r->generation != d->wanted_gen
      || (r->status != NS_PREVIEW_FAILED && !r->image))
    return;
  if (r->status == NS_PREVIEW_FAILED)
    {
      gchar *msg = g_strdup_printf (_("Preview failed: %s"), r->message);

      set_status (d, FALSE, msg);
      debug_print (d, "preview-failed gen=%u message=%s", r->generation,
                   r->message);
      g_free (msg);
      return;
    }

  g_clear_object (&d->result_pb);
  d->result_pb = pixbuf_from_image (r->image);
  d->shown_gen = r->generation;
  gtk_widget_queue_draw (d->area);

  if (r->status == NS_PREVIEW_DONE)
    {
      gchar *msg = g_strdup_printf (_("Preview %d × %d, %.0f ms"),
                                    r->image->width, r->image->height,
                                    r->compute_ms);

      set_status (d, FALSE, msg);
      g_free (msg);
      d->previews_done++;
    }

  if (d->debug)
    {
      GtkWidget *top = gtk_widget_get_toplevel (d->area);
      gint x = 0, y = 0;
      gdouble strength;

      gtk_widget_translate_coordinates (d->area, top, 0, 0, &x, &y);
      g_object_get (d->config, "strength", &strength, NULL);
      debug_print (d,
                   "preview-%s gen=%u strength=%.3f compute_ms=%.1f "
                   "since_request_ms=%.1f model_loaded=%d area=%d,%d,%dx%d "
                   "image=%dx%d",
                   r->status == NS_PREVIEW_DONE ? "ready" : "partial",
                   r->generation, strength, r->compute_ms, since_request,
                   r->model_loaded, x, y,
                   gtk_widget_get_allocated_width (d->area),
                   gtk_widget_get_allocated_height (d->area),
                   r->image->width, r->image->height);
    }
}

static gboolean
area_draw (GtkWidget *area, cairo_t *cr, NsDialog *d)
{
  GdkPixbuf *pb = d->result_pb;
  gboolean original = !pb || gtk_toggle_button_get_active
                               (GTK_TOGGLE_BUTTON (d->compare));

  if (original)
    pb = d->content_pb;
  /* Tests wait for this before taking screenshots. */
  if (d->debug && pb
      && (original != d->drawn_original
          || (!original && d->shown_gen != d->drawn_gen)))
    {
      d->drawn_original = original;
      if (!original)
        d->drawn_gen = d->shown_gen;
      debug_print (d, "drawn %s gen=%u", original ? "original" : "preview",
                   d->shown_gen);
    }
  if (pb)
    {
      gint aw = gtk_widget_get_allocated_width (area);
      gint ah = gtk_widget_get_allocated_height (area);
      gint x = (aw - gdk_pixbuf_get_width (pb)) / 2;
      gint y = (ah - gdk_pixbuf_get_height (pb)) / 2;

      gdk_cairo_set_source_pixbuf (cr, pb, MAX (0, x), MAX (0, y));
      cairo_paint (cr);
    }
  return TRUE;
}

/* ---------------------------------------------------------- controls */

static gboolean
method_is_gatys (NsDialog *d)
{
  return gimp_procedure_config_get_choice_id (d->config, "method")
         == NS_METHOD_GATYS;
}

static void
config_notify (GObject *config, GParamSpec *pspec, NsDialog *d)
{
  const char *name = pspec->name;

  if (strcmp (name, "method") == 0)
    {
      gtk_widget_set_visible (d->gatys_frame, method_is_gatys (d));
      debug_print (d, "method=%d gatys-visible=%d",
                   gimp_procedure_config_get_choice_id (d->config, "method"),
                   gtk_widget_get_visible (d->gatys_frame));
    }

  /* "Reset to factory defaults" clears the style layer: propose one. */
  if (strcmp (name, "style-layer") == 0)
    {
      GimpDrawable *style = NULL;

      g_object_get (config, "style-layer", &style, NULL);
      if (!drawable_usable (style))
        default_style_layer (d);
      g_clear_object (&style);
    }

  if (!d->applying_preset && d->preset_combo)
    gtk_combo_box_set_active (GTK_COMBO_BOX (d->preset_combo), 0);

  /* Arguments that do not change the preview. */
  if (strcmp (name, "output") == 0)
    return;
  if (!method_is_gatys (d)
      && (strcmp (name, "seed") == 0 || strcmp (name, "iterations") == 0
          || strcmp (name, "scales") == 0 || strcmp (name, "init") == 0
          || g_str_has_suffix (name, "-weight")))
    return;

  if (strcmp (name, "strength") == 0 || strcmp (name, "preserve-colors") == 0)
    schedule_preview (d, DEBOUNCE_FAST_MS);
  else
    schedule_preview (d, DEBOUNCE_MS);
}

static void
preview_size_changed (GtkWidget *combo, NsDialog *d)
{
  gint size;

  if (gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (combo), &size)
      && size != d->preview_size)
    {
      d->preview_size = size;
      d->style_loaded_id = 0; /* the style size follows the preview size */
      schedule_preview (d, DEBOUNCE_MS);
    }
}

/* The names and descriptions of the bundled presets (styles/), for
 * xgettext; the dialog looks them up with g_dgettext. */
G_GNUC_UNUSED static const char *const bundled_preset_strings[] = {
  N_("Bold Van Gogh-like"),
  N_("WCT at full strength: bold strokes and the painting's colours."),
  N_("Classic optimisation (Gatys)"),
  N_("The original slow method: best quality, minutes per image."),
  N_("Fine strokes"),
  N_("A small style image gives small, detailed strokes."),
  N_("Large strokes"),
  N_("A large style image gives broad strokes (slower)."),
  N_("Painterly"),
  N_("AdaIN at every level: a clear painted look that keeps the shapes."),
  N_("Subtle tint"),
  N_("Single-level AdaIN at half strength: mostly the style's colours."),
  N_("Texture only (keep colours)"),
  N_("Takes the strokes and texture of the style but keeps the photo's "
     "colours."),
};

static const char preset_tooltip[] =
  N_("Ready-made settings; choosing one sets the method, strength and sizes "
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
      gimp_help_set_help_data (d->preset_combo, _(preset_tooltip), NULL);
      return;
    }
  d->applying_preset = TRUE;
  {
    const NsPreset *p = d->presets->pdata[i];

    gimp_help_set_help_data (d->preset_combo,
                             p->description
                               ? g_dgettext (GETTEXT_PACKAGE, p->description)
                               : _(preset_tooltip), NULL);
  }
  if (ns_preset_apply (d->presets->pdata[i], G_OBJECT (d->config), &error))
    {
      gdouble strength;
      gboolean preserve;

      g_object_get (d->config, "strength", &strength, "preserve-colors",
                    &preserve, NULL);
      debug_print (d, "preset-applied name=\"%s\" strength=%.3f "
                   "preserve-colors=%d",
                   ((NsPreset *) d->presets->pdata[i])->name, strength,
                   preserve);
    }
  else
    {
      gchar *msg = g_strdup_printf (_("Preset not applied: %s"),
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

/* Gives the widget of PROPERTY our own label (so that mnemonics do not
 * clash with the dialog's buttons) and a tooltip. */
static GtkWidget *
prop_widget (NsDialog *d, const char *property, GType type,
             const char *label, const char *tooltip)
{
  GtkWidget *w;

  if (type == GIMP_TYPE_SCALE_ENTRY)
    w = gimp_procedure_dialog_get_scale_entry (d->dialog, property, 1.0);
  else
    w = gimp_procedure_dialog_get_widget (d->dialog, property, type);
  if (!w)
    return NULL;

  if (GIMP_IS_LABELED (w))
    gtk_label_set_text_with_mnemonic
      (GTK_LABEL (gimp_labeled_get_label (GIMP_LABELED (w))), label);
  else if (GIMP_IS_DRAWABLE_CHOOSER (w))
    {
      GtkWidget *l = gimp_drawable_chooser_get_label
                       (GIMP_DRAWABLE_CHOOSER (w));
      if (GTK_IS_LABEL (l))
        gtk_label_set_text_with_mnemonic (GTK_LABEL (l), label);
    }
  else if (GTK_IS_BUTTON (w))
    {
      gtk_button_set_label (GTK_BUTTON (w), label);
      gtk_button_set_use_underline (GTK_BUTTON (w), TRUE);
    }
  gimp_help_set_help_data (w, tooltip, NULL);
  gtk_widget_show (w);
  return w;
}

static GtkWidget *
add_prop (NsDialog *d, GtkWidget *box, const char *property, GType type,
          const char *label, const char *tooltip)
{
  GtkWidget *w = prop_widget (d, property, type, label, tooltip);

  if (w)
    gtk_box_pack_start (GTK_BOX (box), w, FALSE, FALSE, 0);
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
                           _("Live preview of the content (or its selection) "
                             "with the current settings"), NULL);
  g_signal_connect (d->area, "draw", G_CALLBACK (area_draw), d);
  gimp_help_set_help_data (scrolled, _("Scroll to see other parts of "
                                       "larger previews"), NULL);
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

  d->status = gtk_label_new (_("Computing the preview…"));
  gtk_label_set_xalign (GTK_LABEL (d->status), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (d->status), PANGO_ELLIPSIZE_END);
  gtk_label_set_width_chars (GTK_LABEL (d->status), 30);
  gtk_box_pack_start (GTK_BOX (vbox), d->status, FALSE, FALSE, 0);

  gtk_box_pack_start (GTK_BOX (vbox), hbox, FALSE, FALSE, 0);
  label = gtk_label_new (_("Preview size:"));
  gtk_box_pack_start (GTK_BOX (hbox), label, FALSE, FALSE, 0);
  d->size_combo = gimp_int_combo_box_new (_("256 px"), 256,
                                          _("384 px"), 384,
                                          _("512 px"), 512,
                                          _("768 px"), 768, NULL);
  gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (d->size_combo),
                                 d->preview_size);
  gimp_help_set_help_data (d->size_combo,
                           _("Long side of the preview: larger shows more "
                             "detail but takes longer (scroll to pan)"),
                           NULL);
  g_signal_connect (d->size_combo, "changed",
                    G_CALLBACK (preview_size_changed), d);
  gtk_box_pack_start (GTK_BOX (hbox), d->size_combo, FALSE, FALSE, 0);

  d->compare = gtk_toggle_button_new_with_label (_("Show the original"));
  gimp_help_set_help_data (d->compare,
                           _("Show the content without the style, to "
                             "compare"), NULL);
  g_signal_connect (d->compare, "toggled", G_CALLBACK (compare_toggled), d);
  gtk_box_pack_end (GTK_BOX (hbox), d->compare, FALSE, FALSE, 0);

  gtk_widget_show_all (vbox);
  return vbox;
}

static GtkWidget *
build_presets (NsDialog *d)
{
  GtkWidget *hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new_with_mnemonic (_("_Preset:"));
  gchar *user_dir = g_build_filename (gimp_directory (), "neural-style",
                                      "styles", NULL);
  gchar **dirs = ns_presets_default_dirs (user_dir);

  d->presets = ns_presets_load ((const char *const *) dirs);
  g_strfreev (dirs);
  g_free (user_dir);

  d->preset_combo = gtk_combo_box_text_new ();
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->preset_combo),
                                  _("(custom settings)"));
  for (guint i = 0; i < d->presets->len; i++)
    {
      NsPreset *p = d->presets->pdata[i];

      /* Translated when the catalogue has the name; else as written. */
      gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->preset_combo),
                                      g_dgettext (GETTEXT_PACKAGE, p->name));
    }
  gtk_combo_box_set_active (GTK_COMBO_BOX (d->preset_combo), 0);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), d->preset_combo);
  gimp_help_set_help_data (d->preset_combo, _(preset_tooltip), NULL);
  g_signal_connect (d->preset_combo, "changed", G_CALLBACK (preset_changed),
                    d);
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
  GtkWidget *gbox, *expander, *abox;

  gtk_widget_set_size_request (vbox, 360, -1);
  gtk_box_pack_start (GTK_BOX (vbox), build_presets (d), FALSE, FALSE, 0);

  d->style_chooser
    = add_prop (d, vbox, "style-layer", G_TYPE_NONE, _("St_yle layer"),
                _("The layer whose style is transferred; it may belong to "
                  "any open image"));
  add_prop (d, vbox, "method", G_TYPE_NONE, _("_Method"),
            _("Cascade AdaIN and WCT are fast and strong; AdaIN mostly "
              "transfers colours; Gatys optimises slowly for the best "
              "quality"));
  add_prop (d, vbox, "strength", GIMP_TYPE_SCALE_ENTRY, _("Stren_gth"),
            _("How much style: 0 keeps the content, 1 is the full style"));
  add_prop (d, vbox, "preserve-colors", G_TYPE_NONE,
            _("Preser_ve the content's colours"),
            _("Transfer strokes and texture only, keep the content's "
              "colours"));

  /* Gatys-only arguments: shown only for that method. */
  d->gatys_frame = gimp_frame_new (_("Optimisation (Gatys)"));
  gbox = vbox_new ();
  gtk_container_add (GTK_CONTAINER (d->gatys_frame), gbox);
  add_prop (d, gbox, "iterations", G_TYPE_NONE, _("_Iterations"),
            _("Optimisation steps per scale: more is slower and closer "
              "to the style"));
  add_prop (d, gbox, "scales", G_TYPE_NONE, _("Num_ber of scales"),
            _("Coarse-to-fine levels: more gives larger structures"));
  add_prop (d, gbox, "content-weight", G_TYPE_NONE, _("Co_ntent weight"),
            _("How strongly the result keeps the content's shapes"));
  add_prop (d, gbox, "style-weight", G_TYPE_NONE, _("Style _weight"),
            _("How strongly the result takes the style's textures"));
  add_prop (d, gbox, "tv-weight", G_TYPE_NONE, _("_TV weight"),
            _("Total-variation smoothing: higher removes noise and fine "
              "detail"));
  add_prop (d, gbox, "init", G_TYPE_NONE, _("Initial image"),
            _("What the optimisation starts from"));
  gtk_widget_set_no_show_all (d->gatys_frame, TRUE);
  gtk_widget_set_visible (d->gatys_frame, method_is_gatys (d));
  gtk_box_pack_start (GTK_BOX (vbox), d->gatys_frame, FALSE, FALSE, 0);

  d->expander = expander = gtk_expander_new_with_mnemonic (_("_Advanced"));
  gimp_help_set_help_data (expander,
                           _("Model, sizes, mask, output and seed"), NULL);
  abox = vbox_new ();
  gtk_container_add (GTK_CONTAINER (expander), abox);
  add_prop (d, abox, "model", G_TYPE_NONE, _("Mo_del"),
            _("Network weights; Automatic uses the first model found"));
  add_prop (d, abox, "model-dir", G_TYPE_NONE, _("Model _folder"),
            _("Folder holding the model files; leave empty to look in the "
              "usual places"));
  add_prop (d, abox, "style-size", G_TYPE_NONE, _("Style si_ze"),
            _("Long side the style is resized to: smaller gives finer "
              "strokes (0 = as is)"));
  add_prop (d, abox, "max-size", G_TYPE_NONE, _("Ma_x size"),
            _("Work at most at this long side, then upscale: faster on "
              "large images (0 = full size)"));
  add_prop (d, abox, "mask", G_TYPE_NONE, _("Mas_k"),
            _("Optional: where to apply the style (white = style, black = "
              "original); from this image, or another image's drawable of "
              "the layer's size"));
  add_prop (d, abox, "output", G_TYPE_NONE, _("O_utput"),
            _("Where the result goes"));
  add_prop (d, abox, "seed", G_TYPE_NONE, _("S_eed"),
            _("Random seed (noise initialisation)"));
  gtk_box_pack_start (GTK_BOX (vbox), expander, FALSE, FALSE, 0);
  gtk_widget_show_all (expander);
  return vbox;
}

/* ----------------------------------------------- debug and self-check */

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

typedef struct
{
  GHashTable *keys;     /* keyval -> label text */
  GString *problems;
  guint n_mnemonics;
  guint n_controls;
} A11yCheck;

static gboolean
has_tooltip_up_to (GtkWidget *w, GtkWidget *stop)
{
  for (; w && w != stop; w = gtk_widget_get_parent (w))
    if (gtk_widget_get_has_tooltip (w))
      return TRUE;
  return FALSE;
}

static void
a11y_walk (GtkWidget *w, gpointer data);

static void
a11y_visit (GtkWidget *w, A11yCheck *c, GtkWidget *dialog)
{
  if (GTK_IS_LABEL (w))
    {
      guint key = gtk_label_get_mnemonic_keyval (GTK_LABEL (w));

      if (key != GDK_KEY_VoidSymbol)
        {
          const char *text = gtk_label_get_text (GTK_LABEL (w));
          const char *other;
          gboolean in_button = gtk_widget_get_ancestor (w, GTK_TYPE_BUTTON)
                               || gtk_widget_get_ancestor (w,
                                                           GTK_TYPE_EXPANDER);

          key = gdk_keyval_to_lower (key);
          c->n_mnemonics++;
          other = g_hash_table_lookup (c->keys, GUINT_TO_POINTER (key));
          if (other)
            g_string_append_printf (c->problems, " clash:'%s'/'%s'", other,
                                    text);
          else
            g_hash_table_insert (c->keys, GUINT_TO_POINTER (key),
                                 (gpointer) text);
          if (!in_button && !gtk_label_get_mnemonic_widget (GTK_LABEL (w)))
            g_string_append_printf (c->problems, " no-target:'%s'", text);
        }
    }
  /* Controls a user operates: each needs a tooltip (on it or on the row
   * around it).  The dialog's own buttons are GIMP's and skipped. */
  if ((GTK_IS_SPIN_BUTTON (w) || GTK_IS_COMBO_BOX (w)
       || GTK_IS_TOGGLE_BUTTON (w)
       || (GTK_IS_RANGE (w) && !GTK_IS_SCROLLBAR (w))
       || (GTK_IS_ENTRY (w) && !gtk_widget_get_ancestor (w,
                                                        GTK_TYPE_COMBO_BOX))
       || GIMP_IS_DRAWABLE_CHOOSER (w))
      && !gtk_widget_get_ancestor (w, GTK_TYPE_BUTTON_BOX))
    {
      c->n_controls++;
      if (!has_tooltip_up_to (w, dialog))
        g_string_append_printf (c->problems, " no-tooltip:%s",
                                G_OBJECT_TYPE_NAME (w));
    }
}

typedef struct
{
  A11yCheck *check;
  GtkWidget *dialog;
} A11yWalk;

static void
a11y_walk (GtkWidget *w, gpointer data)
{
  A11yWalk *walk = data;

  a11y_visit (w, walk->check, walk->dialog);
  if (GTK_IS_CONTAINER (w))
    gtk_container_forall (GTK_CONTAINER (w), a11y_walk, walk);
}

static void
a11y_self_check (NsDialog *d)
{
  A11yCheck c = { 0 };
  A11yWalk walk = { &c, GTK_WIDGET (d->dialog) };
  GtkRequisition req, full;

  c.keys = g_hash_table_new (NULL, NULL);
  c.problems = g_string_new (NULL);
  /* The Gatys rows count too: they share the window when shown. */
  gtk_container_forall (GTK_CONTAINER (d->dialog), a11y_walk, &walk);
  gtk_widget_get_preferred_size (GTK_WIDGET (d->dialog), &req, NULL);
  /* The largest layout: Gatys rows shown and Advanced expanded. */
  {
    gboolean gatys = gtk_widget_get_visible (d->gatys_frame);
    gboolean expanded = gtk_expander_get_expanded
                          (GTK_EXPANDER (d->expander));

    gtk_widget_set_visible (d->gatys_frame, TRUE);
    gtk_expander_set_expanded (GTK_EXPANDER (d->expander), TRUE);
    gtk_widget_get_preferred_size (GTK_WIDGET (d->dialog), &full, NULL);
    gtk_widget_set_visible (d->gatys_frame, gatys);
    gtk_expander_set_expanded (GTK_EXPANDER (d->expander), expanded);
  }
  debug_print (d, "a11y mnemonics=%u controls=%u problems=%s min_size=%dx%d "
               "largest=%dx%d",
               c.n_mnemonics, c.n_controls,
               c.problems->len ? c.problems->str : " none",
               req.width, req.height, full.width, full.height);
  g_hash_table_unref (c.keys);
  g_string_free (c.problems, TRUE);
}

static void
check_presets (NsDialog *d)
{
  guint bad = 0;

  for (guint i = 0; i < d->presets->len; i++)
    {
      GError *error = NULL;

      if (!ns_preset_check (d->presets->pdata[i],
                            G_OBJECT_GET_CLASS (d->config), &error))
        {
          debug_print (d, "preset-invalid %s", error->message);
          g_clear_error (&error);
          bad++;
        }
    }
  debug_print (d, "presets loaded=%u invalid=%u", d->presets->len, bad);
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
      gimp_drawable_chooser_set_drawable
        (chooser, gimp_drawable_chooser_get_drawable (chooser));
      g_signal_handlers_unblock_by_func (d->config, config_notify, d);
    }
  if (!d->debug)
    return;
  a11y_self_check (d);
  check_presets (d);
  {
    gint x = 0, y = 0;

    gtk_widget_translate_coordinates (d->compare, widget, 0, 0, &x, &y);
    debug_print (d, "mapped xid-size=%dx%d compare=%d,%d,%dx%d",
                 gdk_window_get_width (win), gdk_window_get_height (win), x,
                 y, gtk_widget_get_allocated_width (d->compare),
                 gtk_widget_get_allocated_height (d->compare));
  }
  d->last_tick = 0;
  d->tick_id = g_timeout_add (10, tick, d);
}

/* -------------------------------------------------------------- run */

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
                                     &d.sel_h)
      || d.sel_w < 1 || d.sel_h < 1)
    {
      d.sel_x = d.sel_y = 0;
      d.sel_w = gimp_drawable_get_width (drawable);
      d.sel_h = gimp_drawable_get_height (drawable);
    }
  default_style_layer (&d);

  d.dialog = GIMP_PROCEDURE_DIALOG
    (gimp_procedure_dialog_new (procedure, config,
                                _("Neural Style Transfer")));
  d.preview = ns_preview_new (preview_done, &d);

  content = gtk_dialog_get_content_area (GTK_DIALOG (d.dialog));
  hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_container_set_border_width (GTK_CONTAINER (hbox), 12);
  gtk_box_pack_start (GTK_BOX (content), hbox, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), build_preview (&d), TRUE, TRUE, 0);
  {
    /* The controls scroll when the Gatys rows and Advanced are open, so
     * that the dialog stays within a 1280x800 screen. */
    GtkWidget *sw = gtk_scrolled_window_new (NULL, NULL);

    gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (sw),
                                    GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
    gtk_scrolled_window_set_propagate_natural_width (GTK_SCROLLED_WINDOW (sw),
                                                     TRUE);
    gtk_scrolled_window_set_propagate_natural_height
      (GTK_SCROLLED_WINDOW (sw), TRUE);
    gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (sw),
                                                CONTROLS_MAX_HEIGHT);
    gtk_container_add (GTK_CONTAINER (sw), build_controls (&d));
    gtk_widget_show (sw);
    gtk_box_pack_start (GTK_BOX (hbox), sw, FALSE, FALSE, 0);
  }
  gtk_widget_show (hbox);

  g_signal_connect (config, "notify", G_CALLBACK (config_notify), &d);
  g_signal_connect_after (d.dialog, "map", G_CALLBACK (dialog_mapped), &d);

  schedule_preview (&d, 0);
  run = gimp_procedure_dialog_run (d.dialog);

  /* Close at once: hide first, then stop the worker (its progress
   * callback sees the cancellation within a few ms). */
  t_close = g_get_monotonic_time ();
  g_signal_handlers_disconnect_by_data (config, &d);
  if (d.debounce_id)
    g_source_remove (d.debounce_id);
  if (d.tick_id)
    g_source_remove (d.tick_id);
  gtk_widget_destroy (GTK_WIDGET (d.dialog));
  ns_preview_free (d.preview);
  debug_print (&d,
               "closed run=%d previews=%u stop_ms=%.1f ticks=%u "
               "max_gap_ms=%.1f max_gap_busy_ms=%.1f",
               run, d.previews_done,
               (g_get_monotonic_time () - t_close) / 1000.0, d.ticks,
               d.max_gap_ms, d.max_gap_busy_ms);

  g_clear_object (&d.content_pb);
  g_clear_object (&d.result_pb);
  g_ptr_array_unref (d.presets);
  return run;
}
