/* Convolution forward pass for the Gatys feature network.
 *
 * The image is cut into bands of rows; each thread takes whole bands and
 * runs, for its band, reflection-padded im2col into a private buffer
 * small enough to stay in its L2 cache, a single-threaded OpenBLAS sgemm
 * (OpenBLAS runs single-threaded inside an OpenMP region), then bias and
 * ReLU on the band's output while it is still cached.  Narrow layers are
 * memory-bound, so keeping each band in cache matters more than large
 * sgemm calls.  1x1 convolutions skip im2col and are cut into column
 * chunks the same way.  Also the naive reference. */
#include "gatys-conv.h"
#include "gatys-kernels.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Banded mode: target im2col floats per band (1 MiB: a core's L2 with
 * room for the output band), and at least this many pixels per band so
 * that packing the weights once per sgemm call stays negligible. */
#define NS_GCONV_BAND_FLOATS ((size_t) 1 << 18)
#define NS_GCONV_MIN_BAND_PIXELS 1024
/* Whole mode: im2col floats per (sequential) band, 32 MiB. */
#define NS_GCONV_WHOLE_FLOATS ((size_t) 1 << 23)
/* Pixels per chunk of a 1x1 convolution. */
#define NS_GCONV_CHUNK 4096
/* Elementwise loops smaller than this stay on one thread (a parallel
 * region costs more than the loop, and far more on a busy machine). */
#define NS_GCONV_PAR_MIN ((size_t) 1 << 16)

static int
clamp_rows (size_t rows, int h)
{
  /* At least two rows: col2im of bands two apart then never overlap. */
  if (rows < 2)
    rows = 2;
  if (rows > (size_t) h)
    rows = (size_t) h;
  return (int) rows;
}

int
ns_gconv_band (const ns_conv *conv, int h, int w)
{
  size_t per_row = (size_t) conv->cin * 9 * (size_t) w;
  size_t rows = NS_GCONV_BAND_FLOATS / per_row;
  size_t min_rows = (NS_GCONV_MIN_BAND_PIXELS + (size_t) w - 1) / (size_t) w;
  return clamp_rows (rows > min_rows ? rows : min_rows, h);
}

int
ns_gconv_whole_band (const ns_conv *conv, int h, int w)
{
  size_t per_row = (size_t) conv->cin * 9 * (size_t) w;
  return clamp_rows (NS_GCONV_WHOLE_FLOATS / per_row, h);
}

bool
ns_gconv_banded (const ns_conv *conv, int h, int w, int n_threads)
{
  int n_bands;
  if (n_threads <= 1)
    return true;
  if (conv->k == 1)
    return ((size_t) h * w + NS_GCONV_CHUNK - 1) / NS_GCONV_CHUNK >=
           (size_t) (2 * n_threads);
  n_bands = (h + ns_gconv_band (conv, h, w) - 1) / ns_gconv_band (conv, h, w);
  return n_bands >= 2 * n_threads;
}

int
ns_gconv_thread (void)
{
#ifdef _OPENMP
  return omp_get_thread_num ();
#else
  return 0;
#endif
}

size_t
ns_gconv_work_floats (const ns_conv *conv, int h, int w, int n_threads)
{
  size_t per_row = (size_t) conv->cin * 9 * (size_t) w;
  size_t banded, whole;
  if (conv->k == 1)
    return 1;
  if (n_threads < 1)
    n_threads = 1;
  banded = (size_t) n_threads * per_row * (size_t) ns_gconv_band (conv, h, w);
  whole = per_row * (size_t) ns_gconv_whole_band (conv, h, w);
  return ns_gconv_banded (conv, h, w, n_threads) ? banded : whole;
}

static inline int
reflect (int i, int n)
{
  if (i < 0)
    return -i;
  if (i >= n)
    return 2 * n - 2 - i;
  return i;
}

void
ns_gconv_im2col (const float *in, int cin, int h, int w, int y0, int y1,
                 float *col)
{
  size_t bw = (size_t) (y1 - y0) * (size_t) w;
  size_t hw = (size_t) h * (size_t) w;
  int ci, ky, kx, y;

  for (ci = 0; ci < cin; ci++)
    for (ky = 0; ky < 3; ky++)
      for (kx = 0; kx < 3; kx++)
        {
          float *dst = col + (size_t) ((ci * 3 + ky) * 3 + kx) * bw;
          for (y = y0; y < y1; y++)
            {
              const float *src = in + (size_t) ci * hw +
                                 (size_t) reflect (y + ky - 1, h) * w;
              float *d = dst + (size_t) (y - y0) * w;
              if (kx == 0)
                {
                  d[0] = src[1];
                  memcpy (d + 1, src, sizeof (float) * (size_t) (w - 1));
                }
              else if (kx == 1)
                memcpy (d, src, sizeof (float) * (size_t) w);
              else
                {
                  memcpy (d, src + 1, sizeof (float) * (size_t) (w - 1));
                  d[w - 1] = src[w - 2];
                }
            }
        }
}

/* Bias and ReLU on pixels [p0, p1) of every output channel. */
static void
bias_relu (const ns_conv *conv, float *out, size_t hw, size_t p0, size_t p1)
{
  int co;
  for (co = 0; co < conv->cout; co++)
    {
      float *o = out + (size_t) co * hw;
      float b = conv->bias ? conv->bias[co] : 0.0f;
      size_t i;
      if (conv->relu)
        for (i = p0; i < p1; i++)
          {
            float v = o[i] + b;
            o[i] = v > 0.0f ? v : 0.0f;
          }
      else if (b != 0.0f)
        for (i = p0; i < p1; i++)
          o[i] += b;
    }
}

void
ns_gconv_forward (const ns_conv *conv, const float *in, int h, int w,
                  float *out, float *work, int n_threads)
{
  size_t hw = (size_t) h * (size_t) w;
  int kk = conv->cin * 9;

  if (n_threads < 1)
    n_threads = 1;
  if (!ns_gconv_banded (conv, h, w, n_threads))
    {
      /* Few bands (a small image, deep wide layers): OpenBLAS threads
         each large sgemm instead. */
      int band = conv->k == 1 ? h : ns_gconv_whole_band (conv, h, w), y0, co;
      for (y0 = 0; y0 < h; y0 += band)
        {
          int y1 = y0 + band < h ? y0 + band : h;
          int bw = (y1 - y0) * w, ci;
          if (conv->k == 1)
            {
              cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                           conv->cout, (int) hw, conv->cin, 1.0f, conv->weight,
                           conv->cin, in, (int) hw, 0.0f, out, (int) hw);
              break;
            }
#pragma omp parallel for num_threads(n_threads) \
    schedule(static) if ((size_t) conv->cin * bw >= NS_GCONV_PAR_MIN)
          for (ci = 0; ci < conv->cin; ci++)
            ns_gconv_im2col (in + (size_t) ci * hw, 1, h, w, y0, y1,
                             work + (size_t) ci * 9 * bw);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, conv->cout,
                       bw, kk, 1.0f, conv->weight, kk, work, bw, 0.0f,
                       out + (size_t) y0 * w, (int) hw);
        }
#pragma omp parallel for num_threads(n_threads) \
    schedule(static) if ((size_t) conv->cout * hw >= NS_GCONV_PAR_MIN)
      for (co = 0; co < conv->cout; co++)
        {
          ns_conv one = *conv;
          one.cout = 1;
          one.bias = conv->bias ? conv->bias + co : NULL;
          bias_relu (&one, out + (size_t) co * hw, hw, 0, hw);
        }
      return;
    }

  if (conv->k == 1)
    {
      int n_chunks = (int) ((hw + NS_GCONV_CHUNK - 1) / NS_GCONV_CHUNK), c;
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
      for (c = 0; c < n_chunks; c++)
        {
          size_t p0 = (size_t) c * NS_GCONV_CHUNK;
          size_t p1 = p0 + NS_GCONV_CHUNK < hw ? p0 + NS_GCONV_CHUNK : hw;
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, conv->cout,
                       (int) (p1 - p0), conv->cin, 1.0f, conv->weight,
                       conv->cin, in + p0, (int) hw, 0.0f, out + p0, (int) hw);
          bias_relu (conv, out, hw, p0, p1);
        }
    }
  else
    {
      int band = ns_gconv_band (conv, h, w);
      int n_bands = (h + band - 1) / band, b;
      size_t per = (size_t) kk * band * w;
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
      for (b = 0; b < n_bands; b++)
        {
          int y0 = b * band, y1 = y0 + band < h ? y0 + band : h;
          int bw = (y1 - y0) * w;
          float *col = work + (size_t) ns_gconv_thread () * per;
          ns_gconv_im2col (in, conv->cin, h, w, y0, y1, col);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, conv->cout,
                       bw, kk, 1.0f, conv->weight, kk, col, bw, 0.0f,
                       out + (size_t) y0 * w, (int) hw);
          bias_relu (conv, out, hw, (size_t) y0 * w, (size_t) y1 * w);
        }
    }
}

void
ns_gconv_forward_ref (const ns_conv *conv, const float *in, int h, int w,
                      float *out)
{
  int k = conv->k, p = conv->pad;
  int ph = h + 2 * p, pw = w + 2 * p;
  float *pad = malloc (sizeof (float) * (size_t) conv->cin * ph * pw);
  int co, ci, y, x, ky, kx;

  if (!pad)
    return;
  if (p)
    ns_reflpad_forward (in, conv->cin, h, w, pad);
  else
    memcpy (pad, in, sizeof (float) * (size_t) conv->cin * h * w);
  for (co = 0; co < conv->cout; co++)
    for (y = 0; y < h; y++)
      for (x = 0; x < w; x++)
        {
          double acc = conv->bias ? conv->bias[co] : 0.0;
          for (ci = 0; ci < conv->cin; ci++)
            for (ky = 0; ky < k; ky++)
              for (kx = 0; kx < k; kx++)
                acc += (double) conv
                           ->weight[((co * conv->cin + ci) * k + ky) * k + kx] *
                       pad[((size_t) ci * ph + y + ky) * pw + x + kx];
          if (conv->relu && acc < 0.0)
            acc = 0.0;
          out[((size_t) co * h + y) * w + x] = (float) acc;
        }
  free (pad);
}
