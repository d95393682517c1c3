/* Drawable <-> engine image conversion: GEGL reads and writes interleaved
 * pixels, the engine's ns_image_from_pixels / ns_image_to_pixels /
 * ns_mask_from_pixels convert them. */
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

gboolean
ns_coverage_read (GimpDrawable *drawable, gint x, gint y, gint w, gint h,
                  const Babl *format, ns_mask *out)
{
  static const ns_pixel_layout grey_float = { NS_PIXELS_FLOAT, 1, 0 };
  gint off_x, off_y;
  GeglBuffer *buffer;
  gfloat *cov = g_try_malloc_n ((gsize) w * h, sizeof (gfloat));
  ns_status status;

  memset (out, 0, sizeof *out);
  if (!cov)
    return FALSE;
  /* Buffers are in the drawable's coordinates; GEGL_ABYSS_NONE gives 0
   * where the area sticks out. */
  gimp_drawable_get_offsets (drawable, &off_x, &off_y);
  buffer = gimp_drawable_get_buffer (drawable);
  gegl_buffer_get (buffer, GEGL_RECTANGLE (x - off_x, y - off_y, w, h), 1.0,
                   format, cov, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  g_object_unref (buffer);
  status = ns_mask_from_pixels (cov, w, h, grey_float, 0, out, NULL);
  g_free (cov);
  return status == NS_OK;
}

gfloat *
ns_pixels_interleave (const ns_image *rgb, const gfloat *alpha)
{
  gfloat *rgba = g_try_malloc_n ((gsize) rgb->width * rgb->height,
                                 4 * sizeof (gfloat));

  if (rgba && ns_image_to_pixels (rgb, alpha, rgba, rgba_float, NULL) != NS_OK)
    g_clear_pointer (&rgba, g_free);
  return rgba;
}
