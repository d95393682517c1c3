/* Convolution forward pass for the Gatys feature network: reflection
 * padding fused into im2col, processed in row bands (bounded workspace),
 * OpenBLAS sgemm, then bias and ReLU.  Also the naive reference. */
#include "gatys-kernels.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

/* Upper bound of the im2col band, in floats (16 MiB): large enough for
 * efficient sgemm, small enough to stay cheap at 2048 px. */
#define NS_GCONV_BAND_FLOATS ((size_t) 4 << 20)

/* Rows per band; shared with conv2d_backward.c through ns_gconv_band. */
int ns_gconv_band (const ns_conv *conv, int h, int w);
void ns_gconv_im2col (const float *in, int cin, int h, int w, int y0, int y1,
                      float *col, int n_threads);

int
ns_gconv_band (const ns_conv *conv, int h, int w)
{
  size_t per_row = (size_t) conv->cin * 9 * (size_t) w;
  size_t rows = per_row ? NS_GCONV_BAND_FLOATS / per_row : 1;
  if (rows < 1)
    rows = 1;
  if (rows > (size_t) h)
    rows = (size_t) h;
  return (int) rows;
}

size_t
ns_gconv_work_floats (const ns_conv *conv, int h, int w)
{
  if (conv->k == 1)
    return 1;
  return (size_t) conv->cin * 9 * (size_t) ns_gconv_band (conv, h, w)
         * (size_t) w;
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

/* COL[(ci*3+ky)*3+kx][(y-y0)*w + x] = IN[ci][refl(y+ky-1)][refl(x+kx-1)]
 * for output rows y0 <= y < y1. */
void
ns_gconv_im2col (const float *in, int cin, int h, int w, int y0, int y1,
                 float *col, int n_threads)
{
  size_t bw = (size_t) (y1 - y0) * (size_t) w;
  size_t hw = (size_t) h * (size_t) w;
  int ci;

#pragma omp parallel for num_threads (n_threads) schedule (static)
  for (ci = 0; ci < cin; ci++)
    {
      int ky, kx, y;
      for (ky = 0; ky < 3; ky++)
        for (kx = 0; kx < 3; kx++)
          {
            float *dst = col + (size_t) ((ci * 3 + ky) * 3 + kx) * bw;
            for (y = y0; y < y1; y++)
              {
                const float *src = in + (size_t) ci * hw
                                   + (size_t) reflect (y + ky - 1, h) * w;
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
}

void
ns_gconv_forward (const ns_conv *conv, const float *in, int h, int w,
                  float *out, float *work, int n_threads)
{
  size_t hw = (size_t) h * (size_t) w;
  int co;

  if (conv->k == 1)
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, conv->cout,
                 (int) hw, conv->cin, 1.0f, conv->weight, conv->cin, in,
                 (int) hw, 0.0f, out, (int) hw);
  else
    {
      int band = ns_gconv_band (conv, h, w);
      int kk = conv->cin * 9;
      int y0;
      for (y0 = 0; y0 < h; y0 += band)
        {
          int y1 = y0 + band < h ? y0 + band : h;
          int bw = (y1 - y0) * w;
          ns_gconv_im2col (in, conv->cin, h, w, y0, y1, work, n_threads);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, conv->cout,
                       bw, kk, 1.0f, conv->weight, kk, work, bw, 0.0f,
                       out + (size_t) y0 * w, (int) hw);
        }
    }

#pragma omp parallel for num_threads (n_threads) schedule (static)
  for (co = 0; co < conv->cout; co++)
    {
      float *o = out + (size_t) co * hw;
      float b = conv->bias ? conv->bias[co] : 0.0f;
      size_t i;
      if (conv->relu)
        for (i = 0; i < hw; i++)
          {
            float v = o[i] + b;
            o[i] = v > 0.0f ? v : 0.0f;
          }
      else if (b != 0.0f)
        for (i = 0; i < hw; i++)
          o[i] += b;
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
                acc += (double) conv->weight[((co * conv->cin + ci) * k + ky)
                                             * k + kx]
                       * pad[((size_t) ci * ph + y + ky) * pw + x + kx];
          if (conv->relu && acc < 0.0)
            acc = 0.0;
          out[((size_t) co * h + y) * w + x] = (float) acc;
        }
  free (pad);
}
