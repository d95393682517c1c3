/* nstyle's PNG writer (tools/nstyle/png-write.c): images of every shape
 * the band and segment split can meet (1x1, one row, one column, a
 * segment boundary +- 1 row, RGBA, rows not a multiple of the threads'
 * band) written and read back by gdk-pixbuf (libpng) byte for byte, at 1
 * and 3 threads; an unwritable path is an error naming the file, and
 * leaves nothing. */
#include "nstyle.h"
#include "testutil.h"

#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

GQuark
nst_image_error_quark (void)
{
  return g_quark_from_static_string ("nst-image-error");
}

static void
round_trip (const char *dir, int w, int h, bool alpha, int threads)
{
  GdkPixbuf *pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, alpha, 8, w, h), *back;
  int nc = alpha ? 4 : 3, stride = gdk_pixbuf_get_rowstride (pb);
  guint8 *px = gdk_pixbuf_get_pixels (pb);
  guint32 seed = (guint32) (w * 7919 + h * 31 + alpha);
  char *path = g_strdup_printf ("%s/rt-%dx%d-%d-%d.png", dir, w, h, alpha,
                                threads);
  GError *error = NULL;
  bool same = true;

  /* Smooth gradients with noise: both the filter and the deflate matter. */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w * nc; x++)
      {
        seed = seed * 1103515245u + 12345u;
        px[(size_t) y * stride + x] = (guint8) ((x * 3 + y * 5) / 4 +
                                                ((seed >> 16) & 7));
      }
  omp_set_num_threads (threads);
  TU_CHECK (nst_png_write (path, path, pb, &error));
  if (error)
    {
      fprintf (stderr, "%s\n", error->message);
      g_clear_error (&error);
    }
  back = gdk_pixbuf_new_from_file (path, &error);
  TU_CHECK (back != NULL);
  if (back)
    {
      TU_CHECK (gdk_pixbuf_get_width (back) == w);
      TU_CHECK (gdk_pixbuf_get_height (back) == h);
      TU_CHECK (gdk_pixbuf_get_n_channels (back) == nc);
      if (gdk_pixbuf_get_width (back) == w &&
          gdk_pixbuf_get_height (back) == h &&
          gdk_pixbuf_get_n_channels (back) == nc)
        for (int y = 0; y < h; y++)
          same &= memcmp (gdk_pixbuf_read_pixels (back) +
                              (size_t) y * gdk_pixbuf_get_rowstride (back),
                          px + (size_t) y * stride, (size_t) w * nc) == 0;
      TU_CHECK (same);
      g_object_unref (back);
    }
  else
    g_clear_error (&error);
  printf ("%dx%d %s, %d thread(s): %s\n", w, h, alpha ? "RGBA" : "RGB", threads,
          same && back ? "identical" : "DIFFERENT");
  unlink (path);
  g_free (path);
  g_object_unref (pb);
}

int
main (void)
{
  char *dir = g_dir_make_tmp ("ns-png-XXXXXX", NULL);
  static const int sizes[][2] = { { 1, 1 },    { 5, 1 },     { 1, 300 },
                                  { 64, 63 },  { 33, 64 },   { 17, 65 },
                                  { 80, 129 }, { 301, 385 }, { 1000, 517 } };
  GdkPixbuf *pb;
  GError *error = NULL;
  char *bad;

  TU_CHECK (dir != NULL);
  for (size_t i = 0; i < G_N_ELEMENTS (sizes); i++)
    for (int threads = 1; threads <= 3; threads += 2)
      {
        round_trip (dir, sizes[i][0], sizes[i][1], false, threads);
        round_trip (dir, sizes[i][0], sizes[i][1], true, threads);
      }

  /* A folder that does not exist: an error naming the output. */
  pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 8, 8);
  gdk_pixbuf_fill (pb, 0x336699ff);
  bad = g_strdup_printf ("%s/no-such-folder/out.png", dir);
  TU_CHECK (!nst_png_write (bad, "shown.png", pb, &error));
  TU_CHECK (error && strstr (error->message, "shown.png") != NULL);
  TU_CHECK (!g_file_test (bad, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  g_free (bad);
  /* /dev/full: the disk is full while writing. */
  if (g_file_test ("/dev/full", G_FILE_TEST_EXISTS))
    {
      TU_CHECK (!nst_png_write ("/dev/full", "full.png", pb, &error));
      TU_CHECK (error && strstr (error->message, "full.png") != NULL);
      if (error)
        printf ("full disk: %s\n", error->message);
      g_clear_error (&error);
    }
  g_object_unref (pb);
  rmdir (dir);
  g_free (dir);
  return tu_finish ("test-png-write");
}
