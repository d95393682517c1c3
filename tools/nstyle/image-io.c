/* nstyle: image files <-> ns_image through gdk-pixbuf. */
#include "nstyle.h"

#include <errno.h>
#include <fcntl.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool
nst_check_pixels (const char *what, int w, int h, double bytes_per_pixel,
                  GError **error)
{
  double need = (double) w * (double) h * bytes_per_pixel;
  double ram = ns_memory_available ();

  if (w > NS_MAX_SIZE || h > NS_MAX_SIZE)
    {
      g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_CORRUPT,
                   _ ("%s is %dx%d pixels: at most %d pixels per side"), what,
                   w, h, NS_MAX_SIZE);
      return false;
    }
  if (ram > 0.0 && need > ram)
    {
      g_set_error (
          error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_NOMEM,
          _ ("%s is %dx%d pixels: it needs about %.0f MB of memory, more "
             "than the %.0f MB available (RAM, or NS_MEMORY_LIMIT_MB)"),
          what, w, h, need / 1e6, ram / 1e6);
      return false;
    }
  return true;
}

GQuark
nst_image_error_quark (void)
{
  return g_quark_from_static_string ("nstyle-image-error");
}

/* Rows the loader has decoded ("area-updated"), to tell a complete image
 * from one gdk-pixbuf completed with grey or left blank. */
typedef struct
{
  const char *path;
  guint8 *rows;
  int height;
  bool nomem;
  GError *too_big; /* nst_check_pixels at "size-prepared" */
  double bytes_per_pixel;
} coverage;

static void
on_size_prepared (GdkPixbufLoader *loader, int w, int h, gpointer data)
{
  coverage *c = data;
  (void) loader;
  if (c->rows || c->too_big || h <= 0)
    return;
  if (!nst_check_pixels (c->path, w, h, c->bytes_per_pixel, &c->too_big))
    return;
  c->rows = g_try_malloc0 ((gsize) h);
  c->nomem = c->rows == NULL;
  c->height = h;
}

static void
on_area_updated (GdkPixbufLoader *loader, int x, int y, int w, int h,
                 gpointer data)
{
  coverage *c = data;
  (void) loader;
  (void) x;
  (void) w;
  if (!c->rows)
    return;
  for (int r = MAX (y, 0); r < y + h && r < c->height; r++)
    c->rows[r] = 1;
}

static int
rows_covered (const coverage *c)
{
  int n = 0;
  for (int r = 0; c->rows && r < c->height; r++)
    n += c->rows[r];
  return n;
}

/* Feeds the file to a GdkPixbufLoader: unlike gdk_pixbuf_new_from_file, the
 * loader tells how much of the image was really decoded (a truncated JPEG
 * is otherwise completed with grey and a truncated PNG with blank rows,
 * without an error), and the reading can be interrupted. */
static GdkPixbuf *
decode (const char *path, const char *type, double bytes_per_pixel,
        GError **error)
{
  GdkPixbufLoader *loader = NULL;
  GdkPixbufAnimation *anim;
  GdkPixbuf *pb = NULL;
  GdkPixbufFormat *format;
  coverage cov = { path, NULL, 0, false, NULL, bytes_per_pixel };
  char *fmt_name = NULL;
  guchar buf[65536];
  int before = 0, after, height;
  bool closed = false;
  size_t total = 0;
  FILE *f;
  size_t n;

  f = g_fopen (path, "rb");
  if (!f)
    {
      int e = errno;
      g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_CORRUPT, "%s: %s",
                   path, g_strerror (e));
      return NULL;
    }
  /* With its type known, the loader hands the module the data as it comes
   * (otherwise it holds back the first 4 KiB until closed, and a small
   * truncated JPEG would look decoded before the grey filling). */
  loader = type ? gdk_pixbuf_loader_new_with_type (type, NULL) : NULL;
  if (!loader)
    loader = gdk_pixbuf_loader_new ();
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared),
                    &cov);
  g_signal_connect (loader, "area-updated", G_CALLBACK (on_area_updated), &cov);
  while ((n = fread (buf, 1, sizeof buf, f)) > 0)
    {
      total += n;
      if (nst_interrupted ())
        {
          g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_INTERRUPTED,
                       _ ("%s: interrupted while reading"), path);
          goto fail;
        }
      if (!gdk_pixbuf_loader_write (loader, buf, n, error))
        {
          closed = true; /* the loader closes itself on a write error */
          goto fail_prefix;
        }
      if (cov.too_big)
        {
          g_propagate_error (error, cov.too_big);
          cov.too_big = NULL;
          goto fail;
        }
      if (cov.nomem)
        {
          g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_NOMEM,
                       _ ("%s: out of memory"), path);
          goto fail;
        }
    }
  if (cov.too_big)
    {
      g_propagate_error (error, cov.too_big);
      cov.too_big = NULL;
      goto fail;
    }
  if (ferror (f))
    {
      g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_CORRUPT,
                   _ ("%s: read error"), path);
      goto fail;
    }
  if (total == 0)
    {
      g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_CORRUPT,
                   _ ("%s: the file is empty"), path);
      goto fail;
    }
  before = rows_covered (&cov);
  closed = true;
  if (!gdk_pixbuf_loader_close (loader, error))
    goto fail_prefix;
  pb = gdk_pixbuf_loader_get_pixbuf (loader);
  if (!pb)
    {
      g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_CORRUPT,
                   _ ("%s: not an image gdk-pixbuf can read"), path);
      goto fail;
    }
  format = gdk_pixbuf_loader_get_format (loader);
  fmt_name = format ? gdk_pixbuf_format_get_name (format) : NULL;
  height = gdk_pixbuf_get_height (pb);
  after = rows_covered (&cov);
  /* Every loader reports the rows it decodes; the JPEG one decodes as the
   * data comes and, at the end, fills what is missing with grey. */
  if (after < height || (g_strcmp0 (fmt_name, "jpeg") == 0 && before < height))
    {
      g_set_error (
          error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_CORRUPT,
          _ ("%s is truncated or corrupt: only %d of its %d rows could "
             "be read"),
          path, g_strcmp0 (fmt_name, "jpeg") == 0 ? before : after, height);
      pb = NULL;
      goto fail;
    }
  anim = gdk_pixbuf_loader_get_animation (loader);
  if (anim && !gdk_pixbuf_animation_is_static_image (anim))
    g_printerr (_ ("nstyle: %s is animated: using its first frame\n"), path);
  g_object_ref (pb);
  g_free (fmt_name);
  g_free (cov.rows);
  g_object_unref (loader);
  fclose (f);
  return pb;

fail_prefix:
  if (cov.too_big)
    {
      g_clear_error (error);
      g_propagate_error (error, cov.too_big);
      cov.too_big = NULL;
    }
  if (error && *error && (*error)->domain != NST_IMAGE_ERROR)
    {
      /* gdk-pixbuf's message does not name the file. */
      char *msg = g_strdup_printf ("%s: %s", path, (*error)->message);
      bool nomem = g_error_matches (*error, GDK_PIXBUF_ERROR,
                                    GDK_PIXBUF_ERROR_INSUFFICIENT_MEMORY);
      g_clear_error (error);
      g_set_error_literal (error, NST_IMAGE_ERROR,
                           nomem ? NST_IMAGE_ERROR_NOMEM
                                 : NST_IMAGE_ERROR_CORRUPT,
                           msg);
      g_free (msg);
    }
fail:
  if (!closed)
    gdk_pixbuf_loader_close (loader, NULL);
  g_clear_error (&cov.too_big);
  g_free (fmt_name);
  g_free (cov.rows);
  g_object_unref (loader);
  fclose (f);
  return NULL;
}

static GdkPixbuf *
load_pixbuf (const char *path, double bytes_per_pixel, GError **error)
{
  GdkPixbuf *pb;
  GdkPixbuf *oriented;
  GdkPixbufFormat *format = NULL;
  char *type = NULL;
  int w = 0, h = 0;

  /* The size from the header first: a small file may claim an image too
   * large to decode.  (Not for a pipe, which would lose what is read: the
   * loader's "size-prepared" checks it then.) */
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    format = gdk_pixbuf_get_file_info (path, &w, &h);
  if (format && w > 0 && h > 0 &&
      !nst_check_pixels (path, w, h, bytes_per_pixel, error))
    return NULL;
  type = format ? gdk_pixbuf_format_get_name (format) : NULL;
  pb = decode (path, type, bytes_per_pixel, error);
  g_free (type);
  if (!pb)
    return NULL;
  if (gdk_pixbuf_get_bits_per_sample (pb) != 8 ||
      gdk_pixbuf_get_colorspace (pb) != GDK_COLORSPACE_RGB ||
      gdk_pixbuf_get_n_channels (pb) < 3)
    {
      g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_CORRUPT,
                   _ ("%s: unsupported pixel layout (need 8-bit RGB or RGBA)"),
                   path);
      g_object_unref (pb);
      return NULL;
    }
  /* Photos often store rotation in EXIF only. */
  oriented = gdk_pixbuf_apply_embedded_orientation (pb);
  g_object_unref (pb);
  if (!oriented)
    g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_NOMEM,
                 _ ("%s: out of memory"), path);
  return oriented;
}

GdkPixbuf *
nst_pixbuf_load (const char *path, GError **error)
{
  return load_pixbuf (path, NST_PIXBUF_BYTES_PER_PIXEL, error);
}

/* An engine failure as an image error: memory (exit 5) or the image. */
static int
error_code (const ns_error *err)
{
  return err->status == NS_ERR_NOMEM ? NST_IMAGE_ERROR_NOMEM
                                     : NST_IMAGE_ERROR_CORRUPT;
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
nst_image_from_pixbuf (GdkPixbuf *pb, const char *path, ns_image *rgb,
                       float **alpha, GError **error)
{
  int w = gdk_pixbuf_get_width (pb), h = gdk_pixbuf_get_height (pb);
  ns_error err;
  float *a = NULL;

  memset (rgb, 0, sizeof *rgb);
  if (alpha)
    *alpha = NULL;
  if (alpha && gdk_pixbuf_get_has_alpha (pb))
    {
      a = g_try_malloc ((size_t) w * (size_t) h * sizeof (float));
      if (!a)
        {
          g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_NOMEM,
                       _ ("%s: out of memory for the alpha of a %dx%d image"),
                       path, w, h);
          return false;
        }
    }
  if (ns_image_from_pixels (gdk_pixbuf_read_pixels (pb), w, h,
                            pixbuf_layout (pb), rgb, a, &err) != NS_OK)
    {
      g_set_error (error, NST_IMAGE_ERROR, error_code (&err), "%s: %s", path,
                   err.message);
      g_free (a);
      return false;
    }
  if (alpha)
    *alpha = a;
  return true;
}

bool
nst_image_load (const char *path, ns_image *rgb, float **alpha, GError **error)
{
  GdkPixbuf *pb;
  bool ok;

  memset (rgb, 0, sizeof *rgb);
  if (alpha)
    *alpha = NULL;
  pb = load_pixbuf (path, NST_DECODE_BYTES_PER_PIXEL, error);
  if (!pb)
    return false;
  ok = nst_image_from_pixbuf (pb, path, rgb, alpha, error);
  g_object_unref (pb);
  return ok;
}

/* Resizes IMG (and *ALPHA) so its long side is LONG_SIDE. */
bool
nst_resize_long_side (ns_image *img, float **alpha, int long_side)
{
  int w = img->width, h = img->height, nw, nh;
  ns_image dst;
  ns_error err;

  if (long_side <= 0 || (w >= h ? w : h) == long_side)
    return true;
  if (w >= h)
    {
      nw = long_side;
      nh = (int) fmax (1.0, floor ((double) h * long_side / w + 0.5));
    }
  else
    {
      nh = long_side;
      nw = (int) fmax (1.0, floor ((double) w * long_side / h + 0.5));
    }
  /* The resized content, its alpha, the output and its pixbuf, before
   * allocating any. */
  {
    GError *error = NULL;
    if (!nst_check_pixels ("with --size, the content", nw, nh, 32.0, &error))
      {
        fprintf (stderr, "nstyle: %s\n", error->message);
        g_error_free (error);
        return false;
      }
  }
  if (ns_image_resize (img, nw, nh, &dst, &err) != NS_OK)
    {
      fprintf (stderr, _ ("nstyle: resizing to %dx%d: %s\n"), nw, nh,
               err.message);
      return false;
    }
  ns_image_free (img);
  *img = dst;
  if (alpha && *alpha)
    {
      GError *error = NULL;
      float *a = nst_plane_resize (*alpha, w, h, nw, nh, &error);
      if (!a)
        {
          fprintf (stderr, "nstyle: %s\n", error->message);
          g_error_free (error);
          return false;
        }
      g_free (*alpha);
      *alpha = a;
    }
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
  out = g_try_malloc ((size_t) new_w * (size_t) new_h * sizeof (float));
  if (!out)
    {
      ns_image_free (&dst);
      g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_NOMEM,
                   _ ("resizing to %dx%d: out of memory"), new_w, new_h);
      return NULL;
    }
  memcpy (out, dst.data, (size_t) new_w * (size_t) new_h * sizeof (float));
  ns_image_free (&dst);
  return out;

fail:
  ns_image_free (&src);
  ns_image_free (&dst);
  g_set_error (error, NST_IMAGE_ERROR, error_code (&err), _ ("resizing: %s"),
               err.message);
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
  pb = load_pixbuf (path, NST_DECODE_BYTES_PER_PIXEL, error);
  if (!pb)
    return false;
  /* Channel -1: the luminance. */
  if (ns_mask_from_pixels (gdk_pixbuf_read_pixels (pb),
                           gdk_pixbuf_get_width (pb),
                           gdk_pixbuf_get_height (pb), pixbuf_layout (pb), -1,
                           mask, &err) != NS_OK)
    {
      g_set_error (error, NST_IMAGE_ERROR, error_code (&err), "%s: %s", path,
                   err.message);
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
        g_set_error (error, NST_IMAGE_ERROR, error_code (&err), "%s: %s", path,
                     err.message);
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
      g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_OUTPUT,
                   _ ("cannot write into folder %s: %s"), d, g_strerror (e));
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
  bool keep_alpha = alpha && type && strcmp (type, "jpeg") != 0;
  GdkPixbuf *pb;
  ns_error err;
  bool ok;

  pb = nst_output_new (path, img->width, img->height, keep_alpha, error);
  if (!pb)
    return false;
  if (ns_image_to_pixels (img, keep_alpha ? alpha : NULL,
                          gdk_pixbuf_get_pixels (pb), pixbuf_layout (pb),
                          &err) != NS_OK)
    {
      g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_OUTPUT, "%s: %s",
                   path, err.message);
      g_object_unref (pb);
      return false;
    }
  ok = nst_pixbuf_save (path, tmp_path, pb, error);
  g_object_unref (pb);
  return ok;
}

GdkPixbuf *
nst_output_new (const char *path, int width, int height, bool alpha,
                GError **error)
{
  GdkPixbuf *pb;

  if (!nst_image_type_for_path (path))
    {
      g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_OUTPUT,
                   _ ("%s: unknown output format (use .png, .jpg or .tif)"),
                   path);
      return NULL;
    }
  pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, alpha, 8, width, height);
  if (!pb)
    g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_NOMEM,
                 _ ("out of memory for a %dx%d output image"), width, height);
  return pb;
}

bool
nst_pixbuf_save (const char *path, const char *tmp_path, GdkPixbuf *pb,
                 GError **error)
{
  const char *type = nst_image_type_for_path (path);
  bool ok;

  if (!type)
    {
      g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_OUTPUT,
                   _ ("%s: unknown output format (use .png, .jpg or .tif)"),
                   path);
      return false;
    }
  if (strcmp (type, "jpeg") == 0)
    ok = gdk_pixbuf_save (pb, tmp_path, type, error, "quality", "95", NULL);
  else if (strcmp (type, "tiff") == 0)
    ok = gdk_pixbuf_save (pb, tmp_path, type, error, "compression", "8", NULL);
  else
    ok = nst_png_write (tmp_path, path, pb, error);
  if (!ok)
    {
      g_unlink (tmp_path);
      if (strcmp (type, "png") != 0)
        g_prefix_error (error, "%s: ", path);
      return false;
    }
  if (g_rename (tmp_path, path) != 0)
    {
      int e = errno;
      g_unlink (tmp_path);
      g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_OUTPUT, "%s: %s",
                   path, g_strerror (e));
      return false;
    }
  return true;
}

/* ------------------------------------------------------------ streaming */

bool
nst_image_size (const char *path, int *width, int *height)
{
  *width = *height = 0;
  /* Not for a pipe, which would lose what is read. */
  return g_file_test (path, G_FILE_TEST_IS_REGULAR) &&
         gdk_pixbuf_get_file_info (path, width, height) && *width > 0 &&
         *height > 0;
}

double
nst_memory_budget (const ns_params *params)
{
  /* The engine's rule: one definition. */
  return ns_memory_budget (params);
}

bool
nst_stream_precheck (const char *path, int w, int h, const ns_params *params,
                     GError **error)
{
  const double mib = 1048576.0;
  double budget = nst_memory_budget (params);
  double need = NST_STREAM_BYTES_PER_PIXEL * (double) w * (double) h;

  if (w > NS_MAX_SIZE || h > NS_MAX_SIZE)
    {
      g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_CORRUPT,
                   _ ("%s is %dx%d pixels: at most %d pixels per side"), path,
                   w, h, NS_MAX_SIZE);
      return false;
    }
  if (need <= budget)
    return true;
  g_set_error (
      error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_NOMEM,
      _ ("%s is %dx%d pixels: holding its decoded pixels and the result "
         "alone needs about %.0f MB of memory, more than the memory "
         "budget of %.0f MB: raise the budget (--memory-budget, "
         "NS_MEMORY_LIMIT_MB) or use a smaller image"),
      path, w, h, need / mib, budget / mib);
  return false;
}

double
nst_resident_bytes (void)
{
  long pages = 0, resident = 0;
  FILE *f = fopen ("/proc/self/statm", "r");
  if (!f)
    return 0.0;
  if (fscanf (f, "%ld %ld", &pages, &resident) != 2)
    resident = 0;
  fclose (f);
  return (double) resident * (double) sysconf (_SC_PAGESIZE);
}

/* The pixels of row Y of the 8-bit source from column X. */
static const guint8 *
src_row (const nst_stream *s, int x, int y)
{
  return gdk_pixbuf_read_pixels (s->pixbuf) +
         (size_t) y * gdk_pixbuf_get_rowstride (s->pixbuf) +
         (size_t) x * gdk_pixbuf_get_n_channels (s->pixbuf);
}

/* The same values as ns_image_from_pixels, for one region. */
static ns_status
stream_read_rgb (void *ud, int x, int y, int w, int h, float *rgb,
                 ns_error *err)
{
  const nst_stream *s = ud;
  const size_t plane = (size_t) w * h;

  (void) err;
  for (int yy = 0; yy < h; yy++)
    {
      float *d = rgb + (size_t) yy * w;
      if (s->pixbuf)
        {
          const guint8 *p = src_row (s, x, y + yy);
          int nc = gdk_pixbuf_get_n_channels (s->pixbuf);
          for (int xx = 0; xx < w; xx++, p += nc)
            for (int c = 0; c < 3; c++)
              d[c * plane + xx] = p[c] / 255.0f;
        }
      else
        {
          const ns_image *im = s->image;
          size_t ip = (size_t) im->width * im->height;
          for (int c = 0; c < 3; c++)
            memcpy (d + c * plane,
                    im->data + c * ip + (size_t) (y + yy) * im->width + x,
                    sizeof (float) * (size_t) w);
        }
    }
  return NS_OK;
}

static ns_status
stream_read_mask (void *ud, int x, int y, int w, int h, float *out,
                  ns_error *err)
{
  const nst_stream *s = ud;
  (void) err;
  for (int yy = 0; yy < h; yy++)
    memcpy (out + (size_t) yy * w,
            s->mask->data + (size_t) (y + yy) * s->mask->width + x,
            sizeof (float) * (size_t) w);
  return NS_OK;
}

/* As ns_image_to_pixels: clamped, rounded to nearest; the alpha from the
 * content. */
static inline guint8
to_u8 (float v)
{
  return !(v > 0.0f) ? 0 : v >= 1.0f ? 255 : (guint8) lrintf (v * 255.0f);
}

static ns_status
stream_write_rgb (void *ud, int x, int y, int w, int h, const float *rgb,
                  ns_error *err)
{
  const nst_stream *s = ud;
  const size_t plane = (size_t) w * h;
  int nc = gdk_pixbuf_get_n_channels (s->out);
  size_t stride = (size_t) gdk_pixbuf_get_rowstride (s->out);
  guint8 *base = gdk_pixbuf_get_pixels (s->out);

  (void) err;
  for (int yy = 0; yy < h; yy++)
    {
      const float *r = rgb + (size_t) yy * w;
      guint8 *d = base + (size_t) (y + yy) * stride + (size_t) x * nc;
      for (int xx = 0; xx < w; xx++, d += nc)
        {
          for (int c = 0; c < 3; c++)
            d[c] = to_u8 (r[c * plane + xx]);
          if (nc == 4 && s->pixbuf)
            d[3] = src_row (s, x + xx, y + yy)[3];
          else if (nc == 4)
            d[3] = to_u8 (
                s->alpha
                    ? s->alpha[(size_t) (y + yy) * s->image->width + x + xx]
                    : 1.0f);
        }
    }
  return NS_OK;
}

void
nst_stream_io (nst_stream *s, ns_stream *io)
{
  if (s->pixbuf)
    {
      io->width = gdk_pixbuf_get_width (s->pixbuf);
      io->height = gdk_pixbuf_get_height (s->pixbuf);
    }
  else
    {
      io->width = s->image->width;
      io->height = s->image->height;
    }
  io->read_rgb = stream_read_rgb;
  io->read_mask = s->mask ? stream_read_mask : NULL;
  io->write_rgb = stream_write_rgb;
  io->user_data = s;
}
