/* nstyle: image files <-> ns_image through gdk-pixbuf. */
#include "nstyle.h"

#include <errno.h>
#include <fcntl.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
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

/* The layout of an 8-bit RGB(A) pixbuf (load_pixbuf checks that). */
static ns_pixel_layout
pixbuf_layout (GdkPixbuf *pb)
{
  ns_pixel_layout layout = { NS_PIXELS_U8, gdk_pixbuf_get_n_channels (pb),
                             (size_t) gdk_pixbuf_get_rowstride (pb) };
  return layout;
}

bool
nst_image_load (const char *path, ns_image *rgb, float **alpha, GError **error)
{
  GdkPixbuf *pb;
  int w, h;
  ns_error err;
  float *a = NULL;

  memset (rgb, 0, sizeof *rgb);
  if (alpha)
    *alpha = NULL;
  pb = load_pixbuf (path, error);
  if (!pb)
    return false;
  w = gdk_pixbuf_get_width (pb);
  h = gdk_pixbuf_get_height (pb);
  if (alpha && gdk_pixbuf_get_has_alpha (pb))
    a = g_malloc ((size_t) w * (size_t) h * sizeof (float));
  if (ns_image_from_pixels (gdk_pixbuf_read_pixels (pb), w, h,
                            pixbuf_layout (pb), rgb, a, &err) != NS_OK)
    {
      g_set_error (error, nst_error_quark (), 2, "%s: %s", path, err.message);
      g_free (a);
      g_object_unref (pb);
      return false;
    }
  if (alpha)
    *alpha = a;
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
nst_mask_load (const char *path, int width, int height, ns_mask *mask,
               GError **error)
{
  GdkPixbuf *pb;
  ns_error err;
  size_t n;

  memset (mask, 0, sizeof *mask);
  pb = load_pixbuf (path, error);
  if (!pb)
    return false;
  /* Channel -1: the luminance. */
  if (ns_mask_from_pixels (gdk_pixbuf_read_pixels (pb),
                           gdk_pixbuf_get_width (pb),
                           gdk_pixbuf_get_height (pb), pixbuf_layout (pb), -1,
                           mask, &err) != NS_OK)
    {
      g_set_error (error, nst_error_quark (), 2, "%s: %s", path, err.message);
      g_object_unref (pb);
      return false;
    }
  g_object_unref (pb);
  if (mask->width == width && mask->height == height)
    return true;
  {
    float *resized = nst_plane_resize (mask->data, mask->width, mask->height,
                                       width, height, error);
    ns_mask_free (mask);
    if (!resized)
      return false;
    if (ns_mask_alloc (mask, width, height, &err) != NS_OK)
      {
        g_free (resized);
        g_set_error (error, nst_error_quark (), 2, "%s: %s", path, err.message);
        return false;
      }
    /* The resampler may overshoot [0,1] at sharp edges. */
    n = (size_t) width * (size_t) height;
    for (size_t i = 0; i < n; i++)
      mask->data[i] = resized[i] < 0.0f   ? 0.0f
                      : resized[i] > 1.0f ? 1.0f
                                          : resized[i];
    g_free (resized);
  }
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

bool
nst_image_save (const char *path, const char *tmp_path, const ns_image *img,
                const float *alpha, GError **error)
{
  const char *type = nst_image_type_for_path (path);
  bool keep_alpha;
  GdkPixbuf *pb;
  ns_error err;
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
  if (ns_image_to_pixels (img, keep_alpha ? alpha : NULL,
                          gdk_pixbuf_get_pixels (pb), pixbuf_layout (pb),
                          &err) != NS_OK)
    {
      g_set_error (error, nst_error_quark (), 6, "%s: %s", path, err.message);
      g_object_unref (pb);
      return false;
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
