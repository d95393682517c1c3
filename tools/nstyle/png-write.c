/* nstyle's PNG writer: 8-bit RGB or RGBA from a GdkPixbuf, compressed on
 * every thread.  gdk-pixbuf's saver deflates on one core with adaptive
 * filters (1.06 s for a 4000x3000 result, loaded AMD EPYC); here the rows
 * go in bands, each band split into one segment per thread, each segment
 * filtered (Sub) and deflated on its own (zlib level 1, raw deflate,
 * sync-flushed to a byte boundary), and the segments are concatenated in
 * order into the one zlib stream PNG wants, its Adler-32 combined from the
 * segments'.  The same construction as pigz.  Memory: two band buffers
 * per thread, a few MB, whatever the image size. */
#include "nstyle.h"

#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* Rows per segment: long enough that restarting the dictionary costs
   little, short enough to keep the buffers small. */
#define SEG_ROWS 64

typedef struct
{
  unsigned char *raw, *out;
  size_t raw_len, out_len, out_cap;
  uLong adler;
  bool ok;
} segment;

static bool
put_u32 (FILE *f, uLong v)
{
  unsigned char b[4] = { (unsigned char) (v >> 24), (unsigned char) (v >> 16),
                         (unsigned char) (v >> 8), (unsigned char) v };
  return fwrite (b, 1, 4, f) == 4;
}

static bool
put_chunk (FILE *f, const char *type, const unsigned char *data, size_t len)
{
  uLong crc = crc32 (0L, (const Bytef *) type, 4);
  if (len > 0x7fffffffu)
    return false;
  if (len)
    crc = crc32 (crc, data, (uInt) len);
  return put_u32 (f, (uLong) len) && fwrite (type, 1, 4, f) == 4 &&
         (len == 0 || fwrite (data, 1, len, f) == len) && put_u32 (f, crc);
}

/* Rows Y0..Y1 of PB, Sub-filtered into S->raw and deflated into S->out;
 * FINISH ends the deflate stream (the image's last rows). */
static void
segment_run (segment *s, const guint8 *pixels, size_t stride, int width,
             int bpp, int y0, int y1, bool finish)
{
  const size_t row = 1 + (size_t) width * bpp;
  z_stream z;
  int rc;

  s->raw_len = (size_t) (y1 - y0) * row;
  s->out_len = 0;
  s->ok = true;
  for (int y = y0; y < y1; y++)
    {
      const guint8 *src = pixels + (size_t) y * stride;
      unsigned char *d = s->raw + (size_t) (y - y0) * row;
      d[0] = 1; /* Sub */
      memcpy (d + 1, src, (size_t) bpp);
      for (size_t i = (size_t) bpp; i < (size_t) width * bpp; i++)
        d[1 + i] = (unsigned char) (src[i] - src[i - (size_t) bpp]);
    }
  s->adler = adler32 (adler32 (0L, Z_NULL, 0), s->raw, (uInt) s->raw_len);
  memset (&z, 0, sizeof z);
  if (deflateInit2 (&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    {
      s->ok = false;
      return;
    }
  z.next_in = s->raw;
  z.avail_in = (uInt) s->raw_len;
  z.next_out = s->out;
  z.avail_out = (uInt) s->out_cap;
  rc = deflate (&z, finish ? Z_FINISH : Z_SYNC_FLUSH);
  s->ok = (finish ? rc == Z_STREAM_END : rc == Z_OK) && z.avail_in == 0;
  s->out_len = s->out_cap - z.avail_out;
  deflateEnd (&z);
}

bool
nst_png_write (const char *path, const char *display, GdkPixbuf *pb,
               GError **error)
{
  static const unsigned char sig[8] = { 137, 80, 78, 71, 13, 10, 26, 10 };
  /* CMF 0x78 (deflate, 32 KiB window), FLG 0x01 (fastest; header % 31 = 0). */
  static const unsigned char zhead[2] = { 0x78, 0x01 };
  const int width = gdk_pixbuf_get_width (pb);
  const int height = gdk_pixbuf_get_height (pb);
  const int bpp = gdk_pixbuf_get_n_channels (pb);
  const size_t stride = (size_t) gdk_pixbuf_get_rowstride (pb);
  const guint8 *pixels = gdk_pixbuf_read_pixels (pb);
  const size_t row = 1 + (size_t) width * bpp;
  int nt = omp_get_max_threads ();
  unsigned char ihdr[13];
  uLong adler = adler32 (0L, Z_NULL, 0);
  segment *seg;
  FILE *f;
  bool ok = true;
  int e = 0;

  if (nt > 64)
    nt = 64;
  if (nt < 1)
    nt = 1;
  if ((bpp != 3 && bpp != 4) || gdk_pixbuf_get_bits_per_sample (pb) != 8)
    {
      g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_OUTPUT, "%s: %s",
                   display, g_strerror (EINVAL));
      return false;
    }
  seg = g_new0 (segment, nt);
  for (int t = 0; t < nt; t++)
    {
      seg[t].out_cap = compressBound ((uLong) (SEG_ROWS * row)) + 64;
      seg[t].raw = g_try_malloc (SEG_ROWS * row);
      seg[t].out = g_try_malloc (seg[t].out_cap);
      ok &= seg[t].raw && seg[t].out;
    }
  if (!ok)
    {
      for (int t = 0; t < nt; t++)
        g_free (seg[t].raw), g_free (seg[t].out);
      g_free (seg);
      g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_NOMEM,
                   _ ("out of memory for a %dx%d output image"), width, height);
      return false;
    }

  errno = 0;
  if (!(f = fopen (path, "wb")))
    e = errno;
  else
    {
      ihdr[0] = (unsigned char) (width >> 24);
      ihdr[1] = (unsigned char) (width >> 16);
      ihdr[2] = (unsigned char) (width >> 8);
      ihdr[3] = (unsigned char) width;
      ihdr[4] = (unsigned char) (height >> 24);
      ihdr[5] = (unsigned char) (height >> 16);
      ihdr[6] = (unsigned char) (height >> 8);
      ihdr[7] = (unsigned char) height;
      ihdr[8] = 8;                /* bits per sample */
      ihdr[9] = bpp == 4 ? 6 : 2; /* RGBA or RGB */
      ihdr[10] = ihdr[11] = ihdr[12] = 0;
      ok = fwrite (sig, 1, 8, f) == 8 && put_chunk (f, "IHDR", ihdr, 13) &&
           put_chunk (f, "IDAT", zhead, 2);
      for (int y = 0; ok && y < height; y += nt * SEG_ROWS)
        {
#pragma omp parallel for num_threads(nt) schedule(static, 1)
          for (int t = 0; t < nt; t++)
            {
              int y0 = y + t * SEG_ROWS, y1 = y0 + SEG_ROWS;
              if (y1 > height)
                y1 = height;
              seg[t].raw_len = seg[t].out_len = 0;
              seg[t].ok = true;
              if (y0 < y1)
                segment_run (&seg[t], pixels, stride, width, bpp, y0, y1,
                             y1 == height);
            }
          for (int t = 0; ok && t < nt; t++)
            if (seg[t].raw_len > 0)
              {
                ok = seg[t].ok &&
                     put_chunk (f, "IDAT", seg[t].out, seg[t].out_len);
                adler = adler32_combine (adler, seg[t].adler,
                                         (z_off_t) seg[t].raw_len);
              }
        }
      if (ok)
        {
          unsigned char a[4] = { (unsigned char) (adler >> 24),
                                 (unsigned char) (adler >> 16),
                                 (unsigned char) (adler >> 8),
                                 (unsigned char) adler };
          ok = put_chunk (f, "IDAT", a, 4) && put_chunk (f, "IEND", NULL, 0);
        }
      if (!ok || ferror (f))
        e = errno ? errno : EIO;
      if (fclose (f) != 0 && !e)
        e = errno ? errno : EIO;
    }
  for (int t = 0; t < nt; t++)
    g_free (seg[t].raw), g_free (seg[t].out);
  g_free (seg);
  if (e || !ok)
    {
      g_set_error (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_OUTPUT, "%s: %s",
                   display, g_strerror (e ? e : EIO));
      return false;
    }
  return true;
}
