/* Drawable <-> engine pixels: small drawables (the style) are read whole
 * and converted by ns_image_from_pixels; the content layer is never read
 * whole: NsLayerIO streams it by regions through GEGL (ns_render). */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "ns-plugin.h"

/* "R'G'B'A float", packed. */
static const ns_pixel_layout rgba_float = { NS_PIXELS_FLOAT, 4, 0 };

void
ns_pixels_clear (NsPixels *px)
{
  ns_image_free (&px->rgb);
  g_free (px->alpha);
  px->alpha = NULL;
}

gboolean
ns_pixels_read (GimpDrawable *drawable, NsPixels *out, GError **error)
{
  gint w = gimp_drawable_get_width (drawable);
  gint h = gimp_drawable_get_height (drawable);
  gsize n = (gsize) w * (gsize) h;
  GeglBuffer *buffer;
  gfloat *rgba;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  /* Float keeps the precision of 16/32-bit images; the engine and GIMP
   * both think in non-linear (sRGB-like) R'G'B'. */
  rgba = g_try_malloc_n (n, 4 * sizeof (gfloat));
  out->alpha = g_try_malloc_n (n, sizeof (gfloat));
  if (rgba && out->alpha)
    {
      buffer = gimp_drawable_get_buffer (drawable);
      gegl_buffer_get (buffer, GEGL_RECTANGLE (0, 0, w, h), 1.0,
                       babl_format ("R'G'B'A float"), rgba, GEGL_AUTO_ROWSTRIDE,
                       GEGL_ABYSS_NONE);
      g_object_unref (buffer);
      ok = ns_image_from_pixels (rgba, w, h, rgba_float, &out->rgb, out->alpha,
                                 NULL) == NS_OK;
    }
  g_free (rgba);
  if (!ok)
    {
      ns_pixels_clear (out);
      g_set_error (error, GIMP_PLUG_IN_ERROR, 0,
                   _ ("Not enough memory for a %d x %d layer."), w, h);
    }
  return ok;
}

/* --------------------------------------------------- streamed layer I/O */

/* Regions are moved in bands of at most this many pixels, so what the
 * plug-in holds per region (16 bytes of "R'G'B'A float" plus 4 of
 * coverage per pixel, and GEGL's tiles of the band) stays small whatever
 * region the engine asks for. */
#define BAND_PIXELS (1 << 20)

typedef enum
{
  REQ_RGB,  /* content RGBA into rgba */
  REQ_MASK, /* mask coverage into cov */
  REQ_WRITE /* content RGBA into rgba, selection coverage into cov */
} ReqKind;

typedef struct
{
  NsLayerIO *io;
  ReqKind kind;
  gint x, y, w, h; /* in the content's coordinates */
  gfloat *rgba;
  gfloat *cov;
} Req;

/* Main thread.  A buffer per read, dropped at once: GEGL then keeps no
 * tiles of the layer cached between reads (they would add up to the
 * whole layer). */
static void
get_region (GimpDrawable *drawable, gint x, gint y, gint w, gint h,
            const Babl *format, gfloat *out)
{
  GeglBuffer *buffer = gimp_drawable_get_buffer (drawable);

  /* GEGL_ABYSS_NONE: 0 where the area sticks out of the drawable. */
  gegl_buffer_get (buffer, GEGL_RECTANGLE (x, y, w, h), 1.0, format, out,
                   GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  g_object_unref (buffer);
}

/* Main thread (ns_worker_call_main): the layer may have been deleted
 * since the last read, as GIMP stays usable during the run. */
static gboolean
req_serve (gpointer data)
{
  Req *r = data;
  NsLayerIO *io = r->io;

  if (r->kind == REQ_MASK)
    {
      if (!gimp_item_is_valid (GIMP_ITEM (io->mask)))
        {
          if (!io->why)
            io->why = g_strdup (_ ("The mask was deleted during the run; "
                                   "the result was discarded."));
          return FALSE;
        }
      get_region (io->mask, io->mask_x + r->x, io->mask_y + r->y, r->w, r->h,
                  io->mask_format, r->cov);
      return TRUE;
    }
  if (!gimp_item_is_valid (GIMP_ITEM (io->drawable)))
    {
      if (!io->why)
        io->why = g_strdup (_ ("The layer was deleted during the run; the "
                               "result was discarded."));
      return FALSE;
    }
  get_region (io->drawable, r->x, r->y, r->w, r->h,
              babl_format ("R'G'B'A float"), r->rgba);
  if (r->kind == REQ_WRITE && io->selection)
    get_region (io->selection, io->sel_x + r->x, io->sel_y + r->y, r->w, r->h,
                babl_format ("Y float"), r->cov);
  return TRUE;
}

/* Worker thread: one request served on the main thread, timed. */
static gboolean
serve (Req *r)
{
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = ns_worker_call_main (req_serve, r);

  r->io->io_usec += g_get_monotonic_time () - t0;
  r->io->n_requests++;
  return ok;
}

static ns_status
io_fail (NsLayerIO *io, const gchar *what, ns_error *err)
{
  err->status = io->why ? NS_ERR_IO : NS_ERR_NOMEM;
  g_strlcpy (err->message, io->why ? io->why : what, sizeof err->message);
  return err->status;
}

/* Worker thread: the engine's region callbacks.  Each walks the region in
 * bands of rows; OUT / RGB are planar with rows of W. */
static ns_status
io_read (NsLayerIO *io, ReqKind kind, gint x, gint y, gint w, gint h,
         float *out, ns_error *err)
{
  gint rows = CLAMP (BAND_PIXELS / w, 1, h);
  gsize plane = (gsize) w * h;
  Req r = { io, kind, x, 0, w, 0, NULL, NULL };
  ns_status st = NS_OK;

  if (kind == REQ_RGB)
    r.rgba = g_try_malloc_n ((gsize) w * rows, 4 * sizeof (gfloat));
  else
    r.cov = g_try_malloc_n ((gsize) w * rows, sizeof (gfloat));
  if (!r.rgba && !r.cov)
    return io_fail (io, "out of memory reading the layer", err);
  for (gint y0 = 0; y0 < h && st == NS_OK; y0 += rows)
    {
      gsize n;

      r.y = y + y0;
      r.h = MIN (rows, h - y0);
      n = (gsize) w * r.h;
      if (!serve (&r))
        {
          st = io_fail (io, "the layer could not be read", err);
          break;
        }
      /* Float layers may hold values outside [0, 1]; the engine works
       * in [0, 1] as ns_image_from_pixels does for the whole layer. */
      if (kind == REQ_RGB)
        for (gint c = 0; c < 3; c++)
          {
            float *d = out + c * plane + (gsize) y0 * w;

            for (gsize i = 0; i < n; i++)
              d[i] = CLAMP (r.rgba[4 * i + c], 0.0f, 1.0f);
          }
      else
        for (gsize i = 0; i < n; i++)
          out[(gsize) y0 * w + i] = CLAMP (r.cov[i], 0.0f, 1.0f);
    }
  g_free (r.rgba);
  g_free (r.cov);
  return st;
}

static ns_status
io_read_rgb (void *user_data, int x, int y, int w, int h, float *rgb,
             ns_error *err)
{
  return io_read (user_data, REQ_RGB, x, y, w, h, rgb, err);
}

static ns_status
io_read_mask (void *user_data, int x, int y, int w, int h, float *mask,
              ns_error *err)
{
  return io_read (user_data, REQ_MASK, x, y, w, h, mask, err);
}

/* The finished region goes into IO->result (the plug-in's own buffer,
 * thread-safe to write from here), with the content's alpha, so the
 * result stays limited to the layer's visible pixels; selection-on-copy
 * blends it with the content by the selection's coverage, so feathered
 * edges stay soft. */
static ns_status
io_write_rgb (void *user_data, int x, int y, int w, int h, const float *rgb,
              ns_error *err)
{
  NsLayerIO *io = user_data;
  gint rows = CLAMP (BAND_PIXELS / w, 1, h);
  gsize plane = (gsize) w * h;
  Req r = { io, REQ_WRITE, x, 0, w, 0, NULL, NULL };
  ns_status st = NS_OK;

  r.rgba = g_try_malloc_n ((gsize) w * rows, 4 * sizeof (gfloat));
  if (io->selection)
    r.cov = g_try_malloc_n ((gsize) w * rows, sizeof (gfloat));
  if (!r.rgba || (io->selection && !r.cov))
    {
      g_free (r.rgba);
      g_free (r.cov);
      return io_fail (io, "out of memory writing the result", err);
    }
  for (gint y0 = 0; y0 < h && st == NS_OK; y0 += rows)
    {
      gsize n;

      r.y = y + y0;
      r.h = MIN (rows, h - y0);
      n = (gsize) w * r.h;
      if (!serve (&r))
        {
          st = io_fail (io, "the layer could not be read", err);
          break;
        }
      for (gint c = 0; c < 3; c++)
        {
          const float *s = rgb + c * plane + (gsize) y0 * w;

          if (r.cov)
            for (gsize i = 0; i < n; i++)
              {
                gfloat src = r.rgba[4 * i + c];

                r.rgba[4 * i + c] = src +
                                    CLAMP (r.cov[i], 0.0f, 1.0f) * (s[i] - src);
              }
          else
            for (gsize i = 0; i < n; i++)
              r.rgba[4 * i + c] = s[i];
        }
      /* babl converts to the layer's format (Y' for grayscale, the
       * image's precision). */
      gegl_buffer_set (io->result, GEGL_RECTANGLE (x, r.y, w, r.h), 0,
                       babl_format ("R'G'B'A float"), r.rgba,
                       GEGL_AUTO_ROWSTRIDE);
    }
  g_free (r.rgba);
  g_free (r.cov);
  return st;
}

void
ns_layer_io_stream (NsLayerIO *io, ns_stream *stream)
{
  memset (stream, 0, sizeof *stream);
  stream->width = io->width;
  stream->height = io->height;
  stream->read_rgb = io_read_rgb;
  stream->read_mask = io->mask ? io_read_mask : NULL;
  stream->write_rgb = io_write_rgb;
  stream->user_data = io;
}

gdouble
ns_layer_io_bytes (const NsLayerIO *io)
{
  /* One band of RGBA float and coverage, GEGL's tiles of the band (at
   * most float RGBA, plus the partial tile rows around it), and the
   * result buffer in the layer's format. */
  gdouble band = (gdouble) MIN ((gdouble) BAND_PIXELS,
                                (gdouble) io->width * io->height);
  gdouble tiles = band + 2.0 * 128 * io->width;

  return band * 20.0 + tiles * 16.0 +
         (gdouble) io->width * io->height *
             babl_format_get_bytes_per_pixel (
                 gegl_buffer_get_format (io->result));
}
