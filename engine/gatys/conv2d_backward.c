/* Convolution backward pass (gradient with respect to the input) and its
 * band policy.  (The forward pass is the stylization networks' kernel,
 * ns_conv2d_into in engine/nn/conv2d.c.)
 *
 * Per band of output rows: W^T times the band's output gradient by sgemm
 * into an im2col-shaped private buffer, then col2im, which adds each
 * column entry back onto the input pixel it was read from, so reflected
 * border reads fold back onto the interior.  A band's col2im touches its
 * rows and one row either side; bands are at least two rows high, so
 * bands of the same parity never touch the same row: even bands run in
 * parallel, then odd ones.  The ReLU mask of the forward output can be
 * applied to each band of the output gradient on the way (fused, saving a
 * pass over memory).  Plus a naive reference (explicit padding, direct
 * loops, reflection-pad backward). */
#include "gatys-conv.h"
#include "gatys-kernels.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Banded mode: target col floats per band (1 MiB: a core's L2 with room
 * for the gradient band), and at least this many pixels per band so that
 * packing the weights once per sgemm call stays negligible. */
#define NS_GCONV_BAND_FLOATS ((size_t) 1 << 18)
#define NS_GCONV_MIN_BAND_PIXELS 1024
/* Whole mode: col floats per (sequential) band, 32 MiB. */
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

static int
thread_index (void)
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
  size_t back, fwd;
  if (n_threads < 1)
    n_threads = 1;
  /* The forward pass (ns_gconv_forward) shares the buffer. */
  {
    const ns_conv_opts opts = { n_threads, 0, NULL };
    fwd = ns_conv_scratch_floats (conv, h, w, &opts);
  }
  if (conv->k == 1)
    back = 1;
  else if (ns_gconv_banded (conv, h, w, n_threads))
    back = (size_t) n_threads * per_row * (size_t) ns_gconv_band (conv, h, w);
  else
    back = per_row * (size_t) ns_gconv_whole_band (conv, h, w);
  return fwd > back ? fwd : back;
}

/* The adjoint of ns_im2col3x3_band on rows [Y0, Y1):
 * GIN[ci][refl(y+ky-1)][refl(x+kx-1)] += COL[(ci*3+ky)*3+kx][(y-y0)*w + x]. */
static void
col2im (const float *col, int cin, int h, int w, int y0, int y1, float *gin)
{
  size_t bw = (size_t) (y1 - y0) * (size_t) w;
  size_t hw = (size_t) h * (size_t) w;
  int ci, ky, kx, y, x;

  for (ci = 0; ci < cin; ci++)
    for (ky = 0; ky < 3; ky++)
      for (kx = 0; kx < 3; kx++)
        {
          const float *src = col + (size_t) ((ci * 3 + ky) * 3 + kx) * bw;
          for (y = y0; y < y1; y++)
            {
              float *d = gin + (size_t) ci * hw +
                         (size_t) ns_reflect_index (y + ky - 1, h) * w;
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

/* GOUT[c][p] = 0 where Y[c][p] <= 0, for pixels [p0, p1). */
static void
relu_mask (const float *y, float *gout, int c, size_t hw, size_t p0, size_t p1)
{
  int ch;
  if (!y)
    return;
  for (ch = 0; ch < c; ch++)
    ns_relu_backward (y + (size_t) ch * hw + p0, gout + (size_t) ch * hw + p0,
                      p1 - p0);
}

void
ns_gconv_backward (const ns_conv *conv, const float *y, float *gout, int h,
                   int w, float *gin, float *work, int n_threads)
{
  size_t hw = (size_t) h * (size_t) w;
  int band, n_bands, kk, phase;
  size_t per;

  if (n_threads < 1)
    n_threads = 1;
  if (!ns_gconv_banded (conv, h, w, n_threads))
    {
      /* Few bands: mask, then large sequential bands with OpenBLAS
         threading each sgemm and col2im parallel over channels. */
      int co, y0;
      kk = conv->cin * 9;
      if (y)
        {
#pragma omp parallel for num_threads(n_threads) \
    schedule(static) if ((size_t) conv->cout * hw >= NS_GCONV_PAR_MIN)
          for (co = 0; co < conv->cout; co++)
            relu_mask (y + (size_t) co * hw, gout + (size_t) co * hw, 1, hw, 0,
                       hw);
        }
      if (conv->k == 1)
        {
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, conv->cin,
                       (int) hw, conv->cout, 1.0f, conv->weight, conv->cin,
                       gout, (int) hw, 0.0f, gin, (int) hw);
          return;
        }
      memset (gin, 0, sizeof (float) * (size_t) conv->cin * hw);
      band = ns_gconv_whole_band (conv, h, w);
      for (y0 = 0; y0 < h; y0 += band)
        {
          int y1 = y0 + band < h ? y0 + band : h;
          int bw = (y1 - y0) * w, ci;
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, kk, bw,
                       conv->cout, 1.0f, conv->weight, kk,
                       gout + (size_t) y0 * w, (int) hw, 0.0f, work, bw);
#pragma omp parallel for num_threads(n_threads) \
    schedule(static) if ((size_t) conv->cin * bw >= NS_GCONV_PAR_MIN)
          for (ci = 0; ci < conv->cin; ci++)
            col2im (work + (size_t) ci * 9 * bw, 1, h, w, y0, y1,
                    gin + (size_t) ci * hw);
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
          relu_mask (y, gout, conv->cout, hw, p0, p1);
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, conv->cin,
                       (int) (p1 - p0), conv->cout, 1.0f, conv->weight,
                       conv->cin, gout + p0, (int) hw, 0.0f, gin + p0,
                       (int) hw);
        }
      return;
    }

  memset (gin, 0, sizeof (float) * (size_t) conv->cin * hw);
  band = ns_gconv_band (conv, h, w);
  n_bands = (h + band - 1) / band;
  kk = conv->cin * 9;
  per = (size_t) kk * band * w;
  for (phase = 0; phase < 2; phase++)
    {
      int j, n_j = (n_bands - phase + 1) / 2;
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
      for (j = 0; j < n_j; j++)
        {
          int b = phase + 2 * j;
          int y0 = b * band, y1 = y0 + band < h ? y0 + band : h;
          int bw = (y1 - y0) * w;
          float *col = work + (size_t) thread_index () * per;
          relu_mask (y, gout, conv->cout, hw, (size_t) y0 * w, (size_t) y1 * w);
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, kk, bw,
                       conv->cout, 1.0f, conv->weight, kk,
                       gout + (size_t) y0 * w, (int) hw, 0.0f, col, bw);
          col2im (col, conv->cin, h, w, y0, y1, gin);
        }
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
            double wv = conv->weight[((co * conv->cin + ci) * k + ky) * k + kx];
            for (y = 0; y < h; y++)
              for (x = 0; x < w; x++)
                acc[((size_t) ci * ph + y + ky) * pw + x + kx] +=
                    wv * gout[((size_t) co * h + y) * w + x];
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
