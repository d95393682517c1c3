/* nstyle: image files <-> ns_image through gdk-pixbuf. */
#include "nstyle.h"

#include <errno.h>
#include <fcntl.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static GQuark
nst_error_quark (void)
{
  return g_quark_from_static_string ("nstyle-image-error");
}

static GdkPixbuf *
load_pixbuf (const char *path, GError **error)
{
  GdkPixbuf *pb;
  GdkPixbuf *oriented;

  pb = gdk_pixbuf_new_from_file (path, error);
  if (!pb)
    return NULL;
  if (gdk_pixbuf_get_bits_per_sample (pb) != 8 ||
      gdk_pixbuf_get_colorspace (pb) != GDK_COLORSPACE_RGB ||
      gdk_pixbuf_get_n_channels (pb) < 3)
    {
      g_set_error (error, nst_error_quark (), 1,
                   "%s: unsupported pixel layout (need 8-bit RGB or RGBA)",
                   path);
      g_object_unref (pb);
      return NULL;
    }
  /* Photos often store rotation in EXIF only. */
  oriented = gdk_pixbuf_apply_embedded_orientation (pb);
  g_object_unref (pb);
  return oriented;
}

bool
nst_image_load (const char *path, ns_image *rgb, float **alpha, GError **error)
{
  GdkPixbuf *pb;
  const guint8 *pixels;
  int w, h, stride, nch;
  ns_error err;
  size_t plane;

  memset (rgb, 0, sizeof *rgb);
  if (alpha)
    *alpha = NULL;
  pb = load_pixbuf (path, error);
  if (!pb)
    return false;
  w = gdk_pixbuf_get_width (pb);
  h = gdk_pixbuf_get_height (pb);
  stride = gdk_pixbuf_get_rowstride (pb);
  nch = gdk_pixbuf_get_n_channels (pb);
  pixels = gdk_pixbuf_read_pixels (pb);
  if (ns_image_alloc (rgb, w, h, &err) != NS_OK)
    {
      g_set_error (error, nst_error_quark (), 2, "%s: %s", path, err.message);
      g_object_unref (pb);
      return false;
    }
  plane = (size_t) w * (size_t) h;
  if (alpha && nch == 4)
    *alpha = g_malloc (plane * sizeof (float));
  for (int y = 0; y < h; y++)
    {
      const guint8 *row = pixels + (size_t) y * (size_t) stride;
      for (int x = 0; x < w; x++)
        {
          size_t i = (size_t) y * (size_t) w + (size_t) x;
          for (int c = 0; c < 3; c++)
            rgb->data[c * plane + i] = row[x * nch + c] / 255.0f;
          if (alpha && *alpha)
            (*alpha)[i] = row[x * nch + 3] / 255.0f;
        }
    }
  g_object_unref (pb);
  return true;
}

float *
nst_plane_resize (const float *plane, int w, int h, int new_w, int new_h,
                  GError **error)
{
  ns_image src = { 0 }, dst = { 0 };
  ns_error err;
  size_t n = (size_t) w * (size_t) h;
  float *out;

  /* The engine resamples 3-plane images; the waste is small next to a
   * stylization. */
  if (ns_image_alloc (&src, w, h, &err) != NS_OK)
    goto fail;
  for (int c = 0; c < 3; c++)
    memcpy (src.data + c * n, plane, n * sizeof (float));
  if (ns_image_resize (&src, new_w, new_h, &dst, &err) != NS_OK)
    goto fail;
  ns_image_free (&src);
  out = g_malloc ((size_t) new_w * (size_t) new_h * sizeof (float));
  memcpy (out, dst.data, (size_t) new_w * (size_t) new_h * sizeof (float));
  ns_image_free (&dst);
  return out;

fail:
  ns_image_free (&src);
  ns_image_free (&dst);
  g_set_error (error, nst_error_quark (), 3, "resizing: %s", err.message);
  return NULL;
}

bool
nst_mask_load (const char *path, int width, int height, ns_image *mask,
               GError **error)
{
  ns_image rgb;
  float *lum, *resized;
  size_t n, nn;
  ns_error err;

  memset (mask, 0, sizeof *mask);
  if (!nst_image_load (path, &rgb, NULL, error))
    return false;
  n = (size_t) rgb.width * (size_t) rgb.height;
  lum = g_malloc (n * sizeof (float));
  for (size_t i = 0; i < n; i++)
    lum[i] = 0.299f * rgb.data[i] + 0.587f * rgb.data[n + i] +
             0.114f * rgb.data[2 * n + i];
  if (rgb.width != width || rgb.height != height)
    {
      resized = nst_plane_resize (lum, rgb.width, rgb.height, width, height,
                                  error);
      g_free (lum);
      if (!resized)
        {
          ns_image_free (&rgb);
          return false;
        }
      lum = resized;
    }
  ns_image_free (&rgb);
  if (ns_image_alloc (mask, width, height, &err) != NS_OK)
    {
      g_free (lum);
      g_set_error (error, nst_error_quark (), 2, "%s: %s", path, err.message);
      return false;
    }
  nn = (size_t) width * (size_t) height;
  for (size_t i = 0; i < nn; i++)
    {
      float v = lum[i] < 0.0f ? 0.0f : lum[i] > 1.0f ? 1.0f : lum[i];
      mask->data[i] = mask->data[nn + i] = mask->data[2 * nn + i] = v;
    }
  g_free (lum);
  return true;
}

const char *
nst_image_type_for_path (const char *path)
{
  static const struct
  {
    const char *ext;
    const char *type;
  } map[] = {
    { ".png", "png" },  { ".jpg", "jpeg" }, { ".jpeg", "jpeg" },
    { ".jpe", "jpeg" }, { ".tif", "tiff" }, { ".tiff", "tiff" },
  };
  const char *dot = strrchr (path, '.');
  const char *slash = strrchr (path, '/');

  if (!dot || (slash && dot < slash))
    return NULL;
  for (size_t i = 0; i < G_N_ELEMENTS (map); i++)
    if (g_ascii_strcasecmp (dot, map[i].ext) == 0)
      {
        /* Make sure this gdk-pixbuf can actually write it. */
        GSList *formats = gdk_pixbuf_get_formats ();
        bool ok = false;
        for (GSList *l = formats; l; l = l->next)
          {
            gchar *name = gdk_pixbuf_format_get_name (l->data);
            if (g_strcmp0 (name, map[i].type) == 0 &&
                gdk_pixbuf_format_is_writable (l->data))
              ok = true;
            g_free (name);
          }
        g_slist_free (formats);
        return ok ? map[i].type : NULL;
      }
  return NULL;
}

char *
nst_reserve_temp (const char *path, GError **error)
{
  char *dir = g_path_get_dirname (path);
  char *base = g_path_get_basename (path);
  char *tmpl = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  int fd;
  mode_t mask;

  g_free (dir);
  g_free (base);
  fd = g_mkstemp_full (tmpl, O_RDWR, 0666);
  if (fd < 0)
    {
      int e = errno;
      char *d = g_path_get_dirname (path);
      g_set_error (error, nst_error_quark (), 4,
                   "cannot write into folder %s: %s", d, g_strerror (e));
      g_free (d);
      g_free (tmpl);
      return NULL;
    }
  /* mkstemp makes the file 0600; give the result the usual permissions. */
  mask = umask (0);
  umask (mask);
  if (fchmod (fd, 0666 & ~mask) != 0)
    {
      /* Not fatal: the output is still correct, just private. */
    }
  close (fd);
  return tmpl;
}

static guint8
to_byte (float v)
{
  if (!(v > 0.0f)) /* also NaN */
    return 0;
  if (v >= 1.0f)
    return 255;
  return (guint8) lrintf (v * 255.0f);
}

bool
nst_image_save (const char *path, const char *tmp_path, const ns_image *img,
                const float *alpha, GError **error)
{
  const char *type = nst_image_type_for_path (path);
  bool keep_alpha;
  GdkPixbuf *pb;
  guint8 *pixels;
  int stride, nch;
  size_t n = (size_t) img->width * (size_t) img->height;
  bool ok;

  if (!type)
    {
      g_set_error (error, nst_error_quark (), 5,
                   "%s: unknown output format (use .png, .jpg or .tif)", path);
      return false;
    }
  keep_alpha = alpha && strcmp (type, "jpeg") != 0;
  pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, keep_alpha, 8, img->width,
                       img->height);
  if (!pb)
    {
      g_set_error (error, nst_error_quark (), 6,
                   "out of memory for a %dx%d output image", img->width,
                   img->height);
      return false;
    }
  pixels = gdk_pixbuf_get_pixels (pb);
  stride = gdk_pixbuf_get_rowstride (pb);
  nch = gdk_pixbuf_get_n_channels (pb);
  for (int y = 0; y < img->height; y++)
    {
      guint8 *row = pixels + (size_t) y * (size_t) stride;
      for (int x = 0; x < img->width; x++)
        {
          size_t i = (size_t) y * (size_t) img->width + (size_t) x;
          for (int c = 0; c < 3; c++)
            row[x * nch + c] = to_byte (img->data[c * n + i]);
          if (keep_alpha)
            row[x * nch + 3] = to_byte (alpha[i]);
        }
    }
  if (strcmp (type, "jpeg") == 0)
    ok = gdk_pixbuf_save (pb, tmp_path, type, error, "quality", "95", NULL);
  else if (strcmp (type, "tiff") == 0)
    ok = gdk_pixbuf_save (pb, tmp_path, type, error, "compression", "8", NULL);
  else
    ok = gdk_pixbuf_save (pb, tmp_path, type, error, NULL);
  g_object_unref (pb);
  if (!ok)
    {
      g_unlink (tmp_path);
      g_prefix_error (error, "%s: ", path);
      return false;
    }
  if (g_rename (tmp_path, path) != 0)
    {
      int e = errno;
      g_unlink (tmp_path);
      g_set_error (error, nst_error_quark (), 7, "%s: %s", path,
                   g_strerror (e));
      return false;
    }
  return true;
}

bool
nst_image_synthetic (ns_image *img, int width, int height, int kind,
                     GError **error)
{
  ns_error err;
  size_t n;

  if (ns_image_alloc (img, width, height, &err) != NS_OK)
    {
      g_set_error (error, nst_error_quark (), 2, "%s", err.message);
      return false;
    }
  n = (size_t) width * (size_t) height;
  /* Smooth shapes for the content, stripes for the style: same formula as
   * tools/bench/bench_torch.py, so both sides see the same pictures. */
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        float u = (float) x / (float) width, v = (float) y / (float) height;
        size_t i = (size_t) y * (size_t) width + (size_t) x;
        float r, g, b;
        if (kind == 0)
          {
            r = 0.5f + 0.5f * sinf (6.0f * u + 2.0f * v);
            g = 0.5f + 0.5f * cosf (5.0f * v - 3.0f * u * v);
            b = 0.5f + 0.4f * sinf (9.0f * (u - 0.5f) * (v - 0.5f));
          }
        else
          {
            r = 0.5f + 0.5f * sinf (40.0f * u + 10.0f * sinf (7.0f * v));
            g = 0.5f + 0.5f * sinf (31.0f * v + 5.0f * u);
            b = 0.5f + 0.5f * cosf (23.0f * (u + v));
          }
        img->data[i] = r;
        img->data[n + i] = g;
        img->data[2 * n + i] = b;
      }
  return true;
}
