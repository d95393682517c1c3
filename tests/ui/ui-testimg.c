/* Image helpers for the ui tests. */
#include "ui-testimg.h"
#include "testutil.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void
ui_load_shared (const char *rel, int long_side, ns_image *img)
{
  char *path = tu_shared_path_or_skip (rel);
  GError *error = NULL;
  GdkPixbuf *pb = gdk_pixbuf_new_from_file_at_size (path, long_side, long_side,
                                                    &error);
  ns_pixel_layout layout;

  if (!pb)
    {
      fprintf (stderr, "%s: %s\n", path, error->message);
      exit (1);
    }
  layout.type = NS_PIXELS_U8;
  layout.channels = gdk_pixbuf_get_n_channels (pb);
  layout.rowstride = (size_t) gdk_pixbuf_get_rowstride (pb);
  if (ns_image_from_pixels (gdk_pixbuf_read_pixels (pb),
                            gdk_pixbuf_get_width (pb),
                            gdk_pixbuf_get_height (pb), layout, img, NULL,
                            NULL) != NS_OK)
    exit (1);
  g_object_unref (pb);
  free (path);
}

double
ui_mean_abs_diff (const ns_image *a, const ns_image *b)
{
  size_t n = 3 * (size_t) a->width * a->height;
  double s = 0;

  for (size_t i = 0; i < n; i++)
    s += fabs ((double) a->data[i] - b->data[i]);
  return s / n;
}

double
ui_stddev (const ns_image *img)
{
  size_t n = 3 * (size_t) img->width * img->height;
  double s = 0, s2 = 0;

  for (size_t i = 0; i < n; i++)
    {
      s += img->data[i];
      s2 += (double) img->data[i] * img->data[i];
    }
  s /= n;
  return sqrt (fmax (0.0, s2 / n - s * s));
}
