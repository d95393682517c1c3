/* The dialog's preview: the content (or its selection), the style and
 * the mask are read as GIMP thumbnails (computed by the core, so reading
 * them costs a few ms even for large layers) and converted with the
 * engine's pixel functions; requests are debounced while a control
 * moves, and a newer request cancels the running one (ns-preview.c).
 *
 * The preview is the result: each request renders in two passes.  A
 * quick one at the preview's size (the style shrunk in proportion, so the
 * strokes keep about their scale; shown at once, marked approximate), then
 * the exact one: the render's design stage itself, the content at
 * min (layer, max-size, design-size) long side and the style at its
 * style-size, with the render's parameters; it replaces the quick one,
 * shrunk to the preview's size.  Each pass keeps its own context cache, so
 * a strength or colour change re-runs only the decoders.
 * NS_DIALOG_DUMP=DIR (with NS_DIALOG_DEBUG) saves what is shown to
 * DIR/preview-quick.png and DIR/preview-exact.png, for the tests. */
#include "config.h"

#include "ns-config.h"
#include "ns-dialog-private.h"
#include "ns-models.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

/* ------------------------------------------------------- thumbnails */

/* Planar float RGB from GIMP thumbnail data (BPP 1-4: grey, grey+alpha,
 * RGB, RGBA).  Alpha is ignored: the engine works on colour and the
 * plug-in keeps the layer's alpha.  The *_data calls are used because
 * gimp_drawable_get_sub_thumbnail () frees its buffer twice in GIMP 3.0.4. */
static ns_image *
image_from_thumbnail (GBytes *bytes, gint w, gint h, gint bpp)
{
  gsize len = 0;
  const guchar *px = bytes ? g_bytes_get_data (bytes, &len) : NULL;
  ns_pixel_layout layout = { NS_PIXELS_U8, bpp, 0 };
  ns_image *img;

  if (!px || w < 1 || h < 1 || bpp < 1 || bpp > 4 || len < (gsize) w * h * bpp)
    return NULL;
  img = g_new0 (ns_image, 1);
  if (ns_image_from_pixels (px, w, h, layout, img, NULL, NULL) != NS_OK)
    g_clear_pointer (&img, g_free);
  return img;
}

static GdkPixbuf *
pixbuf_from_image (const ns_image *img)
{
  GdkPixbuf *pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, img->width,
                                  img->height);
  ns_pixel_layout layout = { NS_PIXELS_U8, 3,
                             (size_t) gdk_pixbuf_get_rowstride (pb) };

  ns_image_to_pixels (img, NULL, gdk_pixbuf_get_pixels (pb), layout, NULL);
  return pb;
}

/* GIMP's thumbnails are at most this large (the PDB's limit). */
#define THUMBNAIL_MAX 1024
/* The exact pass's long side at most (design-size 0 on a huge layer). */
#define EXACT_MAX 2048

/* Planar float RGB of the region (X, Y, W, H) of DRAWABLE at DW x DH: a
 * thumbnail from the core when small enough, else a scaled read of its
 * GEGL buffer. */
static ns_image *
read_scaled (GimpDrawable *drawable, gint x, gint y, gint w, gint h, gint dw,
             gint dh)
{
  ns_image *img;

  if (dw <= THUMBNAIL_MAX && dh <= THUMBNAIL_MAX)
    {
      gint tw = 0, th = 0, bpp = 0;
      GBytes *bytes = gimp_drawable_get_sub_thumbnail_data (drawable, x, y, w,
                                                            h, dw, dh, &tw, &th,
                                                            &bpp);

      img = image_from_thumbnail (bytes, tw, th, bpp);
      if (bytes)
        g_bytes_unref (bytes);
    }
  else
    {
      GeglBuffer *buffer = gimp_drawable_get_buffer (drawable);
      gdouble scale = (gdouble) dw / w;
      GeglRectangle r = { (gint) floor (x * scale), (gint) floor (y * scale),
                          dw, dh };
      guchar *px = g_try_malloc ((gsize) dw * dh * 4);
      GBytes *bytes;

      if (!buffer || !px)
        {
          g_clear_object (&buffer);
          g_free (px);
          return NULL;
        }
      gegl_buffer_get (buffer, &r, scale, babl_format ("R'G'B'A u8"), px,
                       GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_CLAMP);
      g_object_unref (buffer);
      bytes = g_bytes_new_take (px, (gsize) dw * dh * 4);
      img = image_from_thumbnail (bytes, dw, dh, 4);
      g_bytes_unref (bytes);
    }
  return img;
}

/* The region (X, Y, W, H) of DRAWABLE at DW x DH as the render sees it:
 * read as float R'G'B' (as the plug-in reads layers) in strips, then
 * resized by the engine's filter.  The network is sensitive to how its
 * input was resampled (a box-filtered thumbnail of the same layer gives
 * visibly different strokes), so this is what makes the exact pass the
 * render's design stage (exactly so for regions up to 4 times the target;
 * larger ones are first halved by GEGL's mipmaps, 2 x 2 boxes, until
 * under that, which bounds the memory to 12 bytes per pixel of at most
 * (4 DW) x (4 DH)). */
static ns_image *
read_resized (GimpDrawable *drawable, gint x, gint y, gint w, gint h, gint dw,
              gint dh)
{
  GeglBuffer *buffer;
  ns_image src = { 0 }, *dst;
  gint k = 0, sw = w, sh = h, sx, sy, rows = 64;
  gdouble scale;
  gfloat *strip;

  while (MAX (sw, sh) / 2 >= 2 * MAX (dw, dh))
    {
      k++;
      sw = w >> k;
      sh = h >> k;
    }
  scale = 1.0 / (1 << k);
  sx = (gint) floor (x * scale);
  sy = (gint) floor (y * scale);
  sw = MAX (1, sw);
  sh = MAX (1, sh);
  buffer = gimp_drawable_get_buffer (drawable);
  strip = g_try_malloc (sizeof (gfloat) * 3 * (gsize) sw * rows);
  if (!buffer || !strip || ns_image_alloc (&src, sw, sh, NULL) != NS_OK)
    {
      g_clear_object (&buffer);
      g_free (strip);
      return NULL;
    }
  for (gint y0 = 0; y0 < sh; y0 += rows)
    {
      gint n = MIN (rows, sh - y0);
      GeglRectangle r = { sx, sy + y0, sw, n };
      gsize plane = (gsize) sw * sh;

      gegl_buffer_get (buffer, &r, scale, babl_format ("R'G'B' float"), strip,
                       GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_CLAMP);
      for (gint yy = 0; yy < n; yy++)
        for (gint xx = 0; xx < sw; xx++)
          {
            const gfloat *px = strip + 3 * ((gsize) yy * sw + xx);
            gsize i = (gsize) (y0 + yy) * sw + xx;

            src.data[i] = px[0];
            src.data[plane + i] = px[1];
            src.data[2 * plane + i] = px[2];
          }
    }
  g_free (strip);
  g_object_unref (buffer);
  if (sw == dw && sh == dh)
    {
      dst = g_new (ns_image, 1);
      *dst = src;
      return dst;
    }
  dst = g_new0 (ns_image, 1);
  if (ns_image_resize (&src, dw, dh, dst, NULL) != NS_OK)
    g_clear_pointer (&dst, g_free);
  ns_image_free (&src);
  return dst;
}

/* The engine's rule (ns_fit_long_side): W x H with its long side LONG. */
static void
fit_long_side (gint w, gint h, gint size, gint *ow, gint *oh)
{
  if (w >= h)
    {
      *ow = size;
      *oh = (gint) lround ((gdouble) h * size / w);
    }
  else
    {
      *oh = size;
      *ow = (gint) lround ((gdouble) w * size / h);
    }
  *ow = MAX (*ow, NS_MIN_SIZE);
  *oh = MAX (*oh, NS_MIN_SIZE);
}

/* The size of the render's design stage for the selection: the working
 * size (max-size), then the design size, as engine/render.c plans it. */
static void
design_stage_size (NsDialog *d, gint *w, gint *h)
{
  gint max_size, design_size;

  g_object_get (d->config, "max-size", &max_size, "design-size", &design_size,
                NULL);
  *w = d->sel_w;
  *h = d->sel_h;
  if (max_size > 0 && MAX (*w, *h) > max_size)
    fit_long_side (*w, *h, max_size, w, h);
  if (design_size > 0 && MAX (*w, *h) > design_size)
    fit_long_side (*w, *h, design_size, w, h);
  if (MAX (*w, *h) > EXACT_MAX)
    fit_long_side (*w, *h, EXACT_MAX, w, h);
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
    GBytes *bytes = gimp_drawable_get_sub_thumbnail_data (d->drawable, d->sel_x,
                                                          d->sel_y, d->sel_w,
                                                          d->sel_h, w, h, &tw,
                                                          &th, &bpp);
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
  gtk_widget_set_size_request (d->area, gdk_pixbuf_get_width (d->content_pb),
                               gdk_pixbuf_get_height (d->content_pb));
  gtk_widget_queue_draw (d->area);
  return TRUE;
}

/* The style at the size that gives the preview the same stroke scale as
 * the full render: the render composes at min (content, max-size,
 * design-size) with the style at style-size; the preview shrinks the
 * content by SCALE, so the style is shrunk by the same factor. */
static gboolean
load_style (NsDialog *d, GimpDrawable *style)
{
  gint style_size, max_size, design_size, work, target, style_long;
  gdouble scale;

  g_object_get (d->config, "style-size", &style_size, "max-size", &max_size,
                "design-size", &design_size, NULL);
  style_long = MAX (gimp_drawable_get_width (style),
                    gimp_drawable_get_height (style));
  work = MAX (d->sel_w, d->sel_h);
  if (max_size > 0 && max_size < work)
    work = max_size;
  if (design_size > 0 && design_size < work)
    work = design_size;
  scale = (gdouble) MAX (gdk_pixbuf_get_width (d->content_pb),
                         gdk_pixbuf_get_height (d->content_pb)) /
          work;
  target = (gint) ((style_size > 0 ? style_size : style_long) * scale + 0.5);
  target = CLAMP (target, 32, 1024);

  if (d->style_loaded_id == gimp_item_get_id (GIMP_ITEM (style)) &&
      d->style_loaded_size == target)
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

/* The exact pass's content: the selection at the design stage's size. */
static gboolean
load_exact_content (NsDialog *d, gint *ew, gint *eh)
{
  ns_image *img;

  design_stage_size (d, ew, eh);
  if (d->exact_loaded_size == MAX (*ew, *eh))
    return TRUE;
  img = read_resized (d->drawable, d->sel_x, d->sel_y, d->sel_w, d->sel_h, *ew,
                      *eh);
  if (!img)
    return FALSE;
  ns_preview_set_exact_images (d->preview, img, NULL);
  d->exact_loaded_size = MAX (*ew, *eh);
  return TRUE;
}

/* The exact pass's style: as the render reads it, at most style-size long
 * (the engine then resizes it to style-size exactly, as in the render). */
static gboolean
load_exact_style (NsDialog *d, GimpDrawable *style)
{
  gint style_size, sw = gimp_drawable_get_width (style);
  gint sh = gimp_drawable_get_height (style);
  gint target = MAX (sw, sh), tw = sw, th = sh;
  ns_image *img;

  g_object_get (d->config, "style-size", &style_size, NULL);
  if (style_size > 0 && style_size < target)
    target = style_size;
  target = MIN (target, 2 * EXACT_MAX);
  if (d->exact_style_id == gimp_item_get_id (GIMP_ITEM (style)) &&
      d->exact_style_size == target)
    return TRUE;
  if (target < MAX (sw, sh))
    fit_long_side (sw, sh, target, &tw, &th);
  img = read_resized (style, 0, 0, sw, sh, tw, th);
  if (!img)
    return FALSE;
  ns_preview_set_exact_images (d->preview, NULL, img);
  d->exact_style_id = gimp_item_get_id (GIMP_ITEM (style));
  d->exact_style_size = target;
  return TRUE;
}

/* The mask over the previewed region, as the plug-in places it: a mask
 * of the content's image by the image offsets, a mask of another image
 * (content-sized) at the same pixel positions; 0 outside the mask. */
static ns_mask *
mask_at (NsDialog *d, GimpDrawable *drawable, gint cw, gint ch)
{
  ns_mask *mask;
  gint mx, my, mw, mh, ix0, iy0, ix1, iy1, dx0, dy0, dx1, dy1;
  gdouble sx = (gdouble) cw / d->sel_w, sy = (gdouble) ch / d->sel_h;
  ns_image *img = NULL;
  gint tw, th;

  /* The region in the mask's coordinates. */
  mx = d->sel_x;
  my = d->sel_y;
  if (gimp_item_get_image (GIMP_ITEM (drawable)) == d->image)
    {
      gint cx, cy, ox, oy;

      gimp_drawable_get_offsets (d->drawable, &cx, &cy);
      gimp_drawable_get_offsets (drawable, &ox, &oy);
      mx += cx - ox;
      my += cy - oy;
    }
  mw = gimp_drawable_get_width (drawable);
  mh = gimp_drawable_get_height (drawable);
  ix0 = MAX (mx, 0);
  iy0 = MAX (my, 0);
  ix1 = MIN (mx + d->sel_w, mw);
  iy1 = MIN (my + d->sel_h, mh);

  mask = g_new0 (ns_mask, 1);
  if (ns_mask_alloc (mask, cw, ch, NULL) != NS_OK)
    {
      g_free (mask);
      return NULL;
    }
  memset (mask->data, 0, sizeof (float) * (size_t) cw * ch);
  /* The part of the preview the mask covers. */
  dx0 = (gint) ((ix0 - mx) * sx + 0.5);
  dy0 = (gint) ((iy0 - my) * sy + 0.5);
  dx1 = MIN (cw, (gint) ((ix1 - mx) * sx + 0.5));
  dy1 = MIN (ch, (gint) ((iy1 - my) * sy + 0.5));
  if (ix1 > ix0 && iy1 > iy0 && dx1 > dx0 && dy1 > dy0)
    img = read_scaled (drawable, ix0, iy0, ix1 - ix0, iy1 - iy0, dx1 - dx0,
                       dy1 - dy0);
  if (img)
    {
      size_t plane;

      tw = img->width;
      th = img->height;
      plane = (size_t) tw * th;

      for (gint y = 0; y < th && dy0 + y < ch; y++)
        for (gint x = 0; x < tw && dx0 + x < cw; x++)
          {
            size_t i = (size_t) y * tw + x;

            /* Layers are read as seen (perceptual grey, as babl's Y'). */
            mask->data[(size_t) (dy0 + y) * cw + (dx0 + x)] =
                0.2126f * img->data[i] + 0.7152f * img->data[plane + i] +
                0.0722f * img->data[2 * plane + i];
          }
      ns_image_free (img);
      g_free (img);
    }
  return mask;
}

/* The mask of both passes (EW x EH: the exact pass's content). */
static void
load_mask (NsDialog *d, gint ew, gint eh)
{
  GimpDrawable *drawable = NULL;

  g_object_get (d->config, "mask", &drawable, NULL);
  if (!ns_dialog_drawable_usable (drawable))
    {
      if (d->mask_loaded_id)
        {
          ns_preview_set_mask (d->preview, NULL);
          ns_preview_set_exact_mask (d->preview, NULL);
        }
      d->mask_loaded_id = 0;
      g_clear_object (&drawable);
      return;
    }
  if (d->mask_loaded_id == gimp_item_get_id (GIMP_ITEM (drawable)) &&
      d->mask_loaded_size == d->content_loaded_size &&
      d->mask_exact_size == d->exact_loaded_size)
    {
      g_object_unref (drawable);
      return;
    }
  ns_preview_set_mask (d->preview,
                       mask_at (d, drawable,
                                gdk_pixbuf_get_width (d->content_pb),
                                gdk_pixbuf_get_height (d->content_pb)));
  ns_preview_set_exact_mask (d->preview, mask_at (d, drawable, ew, eh));
  d->mask_loaded_id = gimp_item_get_id (GIMP_ITEM (drawable));
  d->mask_loaded_size = d->content_loaded_size;
  d->mask_exact_size = d->exact_loaded_size;
  g_object_unref (drawable);
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
  ns_params params, exact;
  gint ew = 0, eh = 0;
  gboolean refine;
  gint64 t0 = g_get_monotonic_time ();
  gchar *model_dir = NULL;
  gchar *found_dir;
  ns_model_kind found_kind;
  GError *error = NULL;
  gboolean fast = ns_dialog_fast_active (d); /* no style layer then */

  g_object_get (d->config, "style-layer", &style, "model-dir", &model_dir,
                NULL);

  if (!fast && !ns_dialog_drawable_usable (style))
    {
      ns_preview_cancel (d->preview);
      set_status (d, FALSE, _ ("Choose a style layer to see a preview."));
      goto out;
    }
  if (!load_content (d) || (!fast && !load_style (d, style)) ||
      !load_exact_content (d, &ew, &eh) ||
      (!fast && !load_exact_style (d, style)))
    {
      ns_preview_cancel (d->preview);
      set_status (d, FALSE, _ ("Could not read the layers."));
      goto out;
    }
  load_mask (d, ew, eh);

  found_dir = ns_dialog_find_model (d, model_dir, &found_kind);
  if (!found_dir)
    {
      ns_preview_cancel (d->preview);
      set_status (d, FALSE,
                  _ ("No model found: press Download, or set the model "
                     "folder."));
      goto out;
    }

  /* The procedure's own mapping, but the preview's sizes: the style was
   * read at the right size, the content is the preview. */
  if (!ns_config_get_params (d->config, &params, &error))
    {
      ns_preview_cancel (d->preview);
      set_status (d, FALSE, error->message);
      g_clear_error (&error);
      g_free (found_dir);
      goto out;
    }
  /* The exact pass: the render's own parameters on the design stage's
   * content (read at that size, so no max-size). */
  if (fast)
    params.method = NS_METHOD_FAST;
  exact = params;
  exact.max_size = 0;
  /* The quick pass: the content at the preview's size, the style read in
   * proportion. */
  params.style_size = 0;
  params.max_size = 0;
  /* Refined only when the exact pass is larger than the quick one. */
  refine = MAX (ew, eh) > MAX (gdk_pixbuf_get_width (d->content_pb),
                               gdk_pixbuf_get_height (d->content_pb));

  d->request_time = g_get_monotonic_time ();
  d->wanted_gen = ns_preview_request_refined (d->preview, found_dir, found_kind,
                                              refine ? &params : NULL, &exact);
  set_status (d, TRUE,
              params.method == NS_METHOD_GATYS
                  ? _ ("Optimising… (the preview updates as it goes)")
                  : _ ("Computing the preview…"));
  ns_dialog_debug (d,
                   "request gen=%u strength=%.3f method=%d model=%s "
                   "exact=%dx%d refine=%d read_ms=%.1f",
                   d->wanted_gen, params.strength, params.method, found_dir, ew,
                   eh, refine, (d->request_time - t0) / 1000.0);
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

void
ns_dialog_schedule_preview (NsDialog *d, guint delay_ms)
{
  if (d->debounce_id)
    g_source_remove (d->debounce_id);
  d->debounce_id = g_timeout_add (delay_ms, debounce_fired, d);
}

/* IMG shown at the content's preview size (the exact pass renders at
 * the design stage's size). */
static GdkPixbuf *
pixbuf_at_preview_size (NsDialog *d, const ns_image *img)
{
  gint w = gdk_pixbuf_get_width (d->content_pb);
  gint h = gdk_pixbuf_get_height (d->content_pb);
  ns_image small = { 0 };
  GdkPixbuf *pb;

  if (img->width == w && img->height == h)
    return pixbuf_from_image (img);
  if (ns_image_resize (img, w, h, &small, NULL) != NS_OK)
    return NULL;
  pb = pixbuf_from_image (&small);
  ns_image_free (&small);
  return pb;
}

static void
save_png (NsDialog *d, GdkPixbuf *pb, const char *dir, const char *stage,
          const char *suffix)
{
  gchar *name = g_strdup_printf ("preview-%s%s.png", stage, suffix);
  gchar *path = g_build_filename (dir, name, NULL);

  if (!gdk_pixbuf_save (pb, path, "png", NULL, NULL))
    ns_dialog_debug (d, "dump-failed %s", path);
  g_free (path);
  g_free (name);
}

/* NS_DIALOG_DUMP=DIR: what is shown, to DIR/preview-STAGE.png, and the
 * render at its own size, to DIR/preview-STAGE-render.png (tests). */
static void
dump_preview (NsDialog *d, const char *stage, const ns_image *img)
{
  const char *dir = g_getenv ("NS_DIALOG_DUMP");
  GdkPixbuf *pb;

  if (!dir || !*dir)
    return;
  save_png (d, d->result_pb, dir, stage, "");
  pb = pixbuf_from_image (img);
  save_png (d, pb, dir, stage, "-render");
  g_object_unref (pb);
}

void
ns_dialog_preview_done (const NsPreviewResult *r, gpointer user_data)
{
  NsDialog *d = user_data;
  gdouble since_request = (g_get_monotonic_time () - d->request_time) / 1000.0;

  if (r->generation != d->wanted_gen ||
      (r->status != NS_PREVIEW_FAILED && !r->image))
    return;
  if (r->status == NS_PREVIEW_FAILED)
    {
      gchar *msg = g_strdup_printf (_ ("Preview failed: %s"), r->message);

      set_status (d, FALSE, msg);
      ns_dialog_debug (d, "preview-failed gen=%u message=%s", r->generation,
                       r->message);
      g_free (msg);
      return;
    }

  g_clear_object (&d->result_pb);
  d->result_pb = pixbuf_at_preview_size (d, r->image);
  if (!d->result_pb)
    return;
  d->shown_gen = r->generation;
  gtk_widget_queue_draw (d->area);

  if (r->status == NS_PREVIEW_DONE)
    {
      gchar *msg = g_strdup_printf (_ ("Preview %d × %d, %.0f ms"),
                                    r->image->width, r->image->height,
                                    r->compute_ms);

      set_status (d, FALSE, msg);
      g_free (msg);
      d->previews_done++;
    }
  else if (r->status == NS_PREVIEW_APPROX)
    set_status (d, TRUE, _ ("Approximate preview; refining…"));
  if (d->debug &&
      (r->status == NS_PREVIEW_DONE || r->status == NS_PREVIEW_APPROX))
    dump_preview (d, r->exact ? "exact" : "quick", r->image);

  if (d->debug)
    {
      GtkWidget *top = gtk_widget_get_toplevel (d->area);
      gint x = 0, y = 0;
      gdouble strength;

      gtk_widget_translate_coordinates (d->area, top, 0, 0, &x, &y);
      g_object_get (d->config, "strength", &strength, NULL);
      ns_dialog_debug (d,
                       "preview-%s gen=%u strength=%.3f compute_ms=%.1f "
                       "since_request_ms=%.1f model_loaded=%d area=%d,%d,%dx%d "
                       "image=%dx%d",
                       r->status == NS_PREVIEW_DONE     ? "ready"
                       : r->status == NS_PREVIEW_APPROX ? "quick"
                                                        : "partial",
                       r->generation, strength, r->compute_ms, since_request,
                       r->model_loaded, x, y,
                       gtk_widget_get_allocated_width (d->area),
                       gtk_widget_get_allocated_height (d->area),
                       r->image->width, r->image->height);
    }
}

gboolean
ns_dialog_area_draw (GtkWidget *area, cairo_t *cr, NsDialog *d)
{
  GdkPixbuf *pb = d->result_pb;
  gboolean original = !pb || gtk_toggle_button_get_active (
                                 GTK_TOGGLE_BUTTON (d->compare));

  if (original)
    pb = d->content_pb;
  /* Tests wait for this before taking screenshots. */
  if (d->debug && pb &&
      (original != d->drawn_original ||
       (!original && d->shown_gen != d->drawn_gen)))
    {
      d->drawn_original = original;
      if (!original)
        d->drawn_gen = d->shown_gen;
      ns_dialog_debug (d, "drawn %s gen=%u", original ? "original" : "preview",
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
