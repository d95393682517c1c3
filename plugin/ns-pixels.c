/* Drawable <-> engine image conversion (planar float RGB + alpha). */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "ns-plugin.h"

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
  ns_error err = { 0 };

  memset (out, 0, sizeof *out);
  /* Float keeps the precision of 16/32-bit images; the engine and GIMP
   * both think in non-linear (sRGB-like) R'G'B'. */
  rgba = g_try_malloc_n (n, 4 * sizeof (gfloat));
  out->alpha = g_try_malloc_n (n, sizeof (gfloat));
  if (! rgba || ! out->alpha
      || ns_image_alloc (&out->rgb, w, h, &err) != NS_OK)
    {
      g_free (rgba);
      ns_pixels_clear (out);
      g_set_error (error, GIMP_PLUG_IN_ERROR, 0,
                   _("Not enough memory for a %d x %d layer."), w, h);
      return FALSE;
    }

  buffer = gimp_drawable_get_buffer (drawable);
  gegl_buffer_get (buffer, GEGL_RECTANGLE (0, 0, w, h), 1.0,
                   babl_format ("R'G'B'A float"), rgba, GEGL_AUTO_ROWSTRIDE,
                   GEGL_ABYSS_NONE);
  g_object_unref (buffer);

  for (gsize i = 0; i < n; i++)
    {
      for (gint c = 0; c < 3; c++)
        out->rgb.data[c * n + i] = CLAMP (rgba[4 * i + c], 0.0f, 1.0f);
      out->alpha[i] = rgba[4 * i + 3];
    }
  g_free (rgba);
  return TRUE;
}

gfloat *
ns_coverage_read (GimpDrawable *drawable, gint x, gint y, gint w, gint h,
                  const Babl *format)
{
  gint off_x, off_y;
  GeglBuffer *buffer;
  gfloat *cov = g_try_malloc_n ((gsize) w * h, sizeof (gfloat));

  if (! cov)
    return NULL;
  /* Buffers are in the drawable's coordinates; GEGL_ABYSS_NONE gives 0
   * where the area sticks out. */
  gimp_drawable_get_offsets (drawable, &off_x, &off_y);
  buffer = gimp_drawable_get_buffer (drawable);
  gegl_buffer_get (buffer, GEGL_RECTANGLE (x - off_x, y - off_y, w, h), 1.0,
                   format, cov, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  g_object_unref (buffer);
  for (gsize i = 0; i < (gsize) w * h; i++)
    cov[i] = CLAMP (cov[i], 0.0f, 1.0f);
  return cov;
}

gfloat *
ns_pixels_interleave (const ns_image *rgb, const gfloat *alpha)
{
  gsize n = (gsize) rgb->width * rgb->height;
  gfloat *rgba = g_try_malloc_n (n, 4 * sizeof (gfloat));

  if (! rgba)
    return NULL;
  for (gsize i = 0; i < n; i++)
    {
      for (gint c = 0; c < 3; c++)
        rgba[4 * i + c] = rgb->data[c * n + i];
      rgba[4 * i + 3] = alpha ? alpha[i] : 1.0f;
    }
  return rgba;
}
