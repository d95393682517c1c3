/* Convolution backward pass (gradient with respect to the input):
 * W^T times the output gradient by sgemm into an im2col-shaped buffer,
 * then col2im, which adds each column entry back to the input pixel it
 * was read from -- reflected border reads fold back onto the interior.
 * Plus a naive reference (explicit padding, direct loops, pad backward). */
#include "gatys-kernels.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

int ns_gconv_band (const ns_conv *conv, int h, int w);

static inline int
reflect (int i, int n)
{
  if (i < 0)
    return -i;
  if (i >= n)
    return 2 * n - 2 - i;
  return i;
}

/* The adjoint of ns_gconv_im2col: GIN[ci][refl(y+ky-1)][refl(x+kx-1)] +=
 * COL[(ci*3+ky)*3+kx][(y-y0)*w + x].  One channel per thread, so no two
 * threads write the same pixel. */
static void
col2im (const float *col, int cin, int h, int w, int y0, int y1, float *gin,
        int n_threads)
{
  size_t bw = (size_t) (y1 - y0) * (size_t) w;
  size_t hw = (size_t) h * (size_t) w;
  int ci;

#pragma omp parallel for num_threads (n_threads) schedule (static)
  for (ci = 0; ci < cin; ci++)
    {
      int ky, kx, y, x;
      for (ky = 0; ky < 3; ky++)
        for (kx = 0; kx < 3; kx++)
          {
            const float *src = col + (size_t) ((ci * 3 + ky) * 3 + kx) * bw;
            for (y = y0; y < y1; y++)
              {
                float *d = gin + (size_t) ci * hw
                           + (size_t) reflect (y + ky - 1, h) * w;
                const float *s = src + (size_t) (y - y0) * w;
                if (kx == 0)
                  {
                    d[1] += s[0];
                    for (x = 1; x < w; x++)
                      d[x - 1] += s[x];
                  }
                else if (kx == 1)
                  for (x = 0; x < w; x++)
                    d[x] += s[x];
                else
                  {
                    for (x = 0; x < w - 1; x++)
                      d[x + 1] += s[x];
                    d[w - 2] += s[w - 1];
                  }
              }
          }
    }
}

void
ns_gconv_backward (const ns_conv *conv, const float *gout, int h, int w,
                   float *gin, float *work, int n_threads)
{
  size_t hw = (size_t) h * (size_t) w;
  int band, kk, y0;

  if (conv->k == 1)
    {
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, conv->cin,
                   (int) hw, conv->cout, 1.0f, conv->weight, conv->cin, gout,
                   (int) hw, 0.0f, gin, (int) hw);
      return;
    }
  memset (gin, 0, sizeof (float) * (size_t) conv->cin * hw);
  band = ns_gconv_band (conv, h, w);
  kk = conv->cin * 9;
  for (y0 = 0; y0 < h; y0 += band)
    {
      int y1 = y0 + band < h ? y0 + band : h;
      int bw = (y1 - y0) * w;
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, kk, bw,
                   conv->cout, 1.0f, conv->weight, kk, gout + (size_t) y0 * w,
                   (int) hw, 0.0f, work, bw);
      col2im (work, conv->cin, h, w, y0, y1, gin, n_threads);
    }
}

void
ns_gconv_backward_ref (const ns_conv *conv, const float *gout, int h, int w,
                       float *gin)
{
  int k = conv->k, p = conv->pad;
  int ph = h + 2 * p, pw = w + 2 * p;
  size_t np = (size_t) conv->cin * ph * pw;
  double *acc = calloc (np, sizeof (double));
  float *gpad = malloc (sizeof (float) * np);
  int co, ci, y, x, ky, kx;
  size_t i;

  if (!acc || !gpad)
    {
      free (acc);
      free (gpad);
      return;
    }
  /* Gradient with respect to the padded input of a valid convolution. */
  for (co = 0; co < conv->cout; co++)
    for (ci = 0; ci < conv->cin; ci++)
      for (ky = 0; ky < k; ky++)
        for (kx = 0; kx < k; kx++)
          {
            double wv = conv->weight[((co * conv->cin + ci) * k + ky) * k
                                     + kx];
            for (y = 0; y < h; y++)
              for (x = 0; x < w; x++)
                acc[((size_t) ci * ph + y + ky) * pw + x + kx]
                  += wv * gout[((size_t) co * h + y) * w + x];
          }
  for (i = 0; i < np; i++)
    gpad[i] = (float) acc[i];
  if (p)
    ns_reflpad_backward (gpad, conv->cin, h, w, gin);
  else
    memcpy (gin, gpad, sizeof (float) * np);
  free (acc);
  free (gpad);
}
