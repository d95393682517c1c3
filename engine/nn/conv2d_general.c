/* The general convolution: any odd kernel 1..9, stride 1 or 2, reflection
 * or zero padding 0..k-1, dense or depthwise.  ns_conv2d_into sends every
 * case that is not the basic one (3x3 reflect 1 / 1x1, stride 1, dense:
 * conv2d.c) here.
 *
 * Dense: bands of whole output rows are unfolded (im2col) into a
 * [cin*k*k][npix] matrix and multiplied by W[cout][cin*k*k] with a
 * single-threaded sgemm writing straight into OUT (leading dimension
 * OH*OW), the threads of one OpenMP team taking bands, as the basic path.
 * Depthwise: each channel is padded once into a private plane, then the
 * k*k taps are added row by row (vectorised along x for stride 1).
 * The naive reference of both is ns_conv2d_ref (conv2d_ref.c). */
#include "nn.h"

#include <cblas.h>
#include <stdint.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Per-thread budget of the unfolded band, and the pixel bounds per band
 * (as the basic path: sgemm needs enough columns to amortise packing; a
 * step stays short for cancellation). */
#define GEN_BAND_BYTES ((size_t) 1 << 20)
#define GEN_MIN_PIXELS 512
#define GEN_MAX_PIXELS 8192
#define GEN_STEP_FLOPS 2e9

static int
threads_for (const ns_conv_opts *opts, const ns_run *run)
{
  return opts && opts->n_threads > 0
             ? opts->n_threads
             : ns_threads_resolve (run ? run->n_threads : 0);
}

/* Output rows per band of the dense path. */
static int
band_rows (const ns_conv *conv, int oh, int ow, const ns_conv_opts *opts)
{
  const size_t kdim = (size_t) conv->cin * conv->k * conv->k;
  size_t budget = opts && opts->band_bytes ? opts->band_bytes : GEN_BAND_BYTES;
  size_t npix = budget / (sizeof (float) * kdim);
  size_t rows;

  if (npix < GEN_MIN_PIXELS)
    npix = GEN_MIN_PIXELS;
  if (npix > GEN_MAX_PIXELS)
    npix = GEN_MAX_PIXELS;
  rows = npix / (size_t) ow;
  if (rows < 1)
    rows = 1;
  if (rows > (size_t) oh)
    rows = (size_t) oh;
  return (int) rows;
}

/* ------------------------------------------------ few output channels
 * A last layer (32 -> 3, 9x9) gives sgemm an M of 3 over a 2592-row
 * unfolded matrix: memory-bound, measured ~3 GFLOP/s.  Computed directly,
 * per output row: the k padded source rows of each input channel, then
 * every tap added to each output channel's accumulator row (vectorised
 * along x), as the basic path's conv3x3_direct. */
#define GEN_DIRECT_MAX_COUT 4

static bool
use_direct (const ns_conv *conv)
{
  return !ns_conv_depthwise (conv) && conv->cout <= GEN_DIRECT_MAX_COUT &&
         conv->k > 1;
}

/* Floats per thread: cout accumulator rows and k padded source rows. */
static size_t
direct_floats (const ns_conv *conv, int w, int ow)
{
  return (size_t) conv->cout * ow + (size_t) conv->k * (w + 2 * conv->pad);
}

/* Scratch floats for NT threads. */
static size_t
scratch_floats (const ns_conv *conv, int h, int w, const ns_conv_opts *opts,
                int nt)
{
  int oh, ow;
  size_t per_thread, total;

  ns_conv_out_size (conv, h, w, &oh, &ow);
  if (oh < 1 || ow < 1)
    return 0;
  if (ns_conv_depthwise (conv))
    {
      if (nt > conv->cin)
        nt = conv->cin;
      if (!ns_size_mul ((size_t) (h + 2 * conv->pad),
                        (size_t) (w + 2 * conv->pad), &per_thread))
        return SIZE_MAX;
    }
  else if (use_direct (conv))
    {
      if (nt > oh)
        nt = oh;
      per_thread = direct_floats (conv, w, ow);
    }
  else if (!ns_size_mul ((size_t) conv->cin * conv->k * conv->k,
                         (size_t) band_rows (conv, oh, ow, opts) * ow,
                         &per_thread))
    return SIZE_MAX;
  if (!ns_size_mul (per_thread, (size_t) nt, &total))
    return SIZE_MAX;
  return total;
}

size_t
ns_conv_general_scratch_floats (const ns_conv *conv, int h, int w,
                                const ns_conv_opts *opts)
{
  return scratch_floats (conv, h, w, opts, threads_for (opts, NULL));
}

/* Unfolds output rows [OY0, OY1) into COL [cin*k*k][(oy1-oy0)*ow], row
 * (ci*k + ky)*k + kx. */
static void
im2col_rows (const ns_conv *conv, const float *in, int h, int w, int oy0,
             int oy1, int ow, float *col)
{
  const int k = conv->k, s = ns_conv_stride (conv), p = conv->pad;
  const bool zero = conv->pad_zero;
  const size_t hw = (size_t) h * w, npix = (size_t) (oy1 - oy0) * ow;

  for (int ci = 0; ci < conv->cin; ci++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < k; kx++)
        {
          float *dst = col + ((size_t) (ci * k + ky) * k + kx) * npix;
          /* Output columns whose source column is inside the image. */
          int lo = p - kx <= 0 ? 0 : (p - kx + s - 1) / s;
          int t = w - 1 - kx + p;
          int hi = t < 0 ? 0 : t / s + 1;
          if (hi > ow)
            hi = ow;
          if (lo > hi)
            lo = hi;
          for (int oy = oy0; oy < oy1; oy++, dst += ow)
            {
              int iy = ns_pad_index (oy * s + ky - p, h, zero);
              const float *srow;
              if (iy < 0)
                {
                  memset (dst, 0, sizeof (float) * (size_t) ow);
                  continue;
                }
              srow = in + (size_t) ci * hw + (size_t) iy * w;
              for (int ox = 0; ox < lo; ox++)
                {
                  int ix = ns_pad_index (ox * s + kx - p, w, zero);
                  dst[ox] = ix < 0 ? 0.0f : srow[ix];
                }
              if (s == 1)
                memcpy (dst + lo, srow + lo + kx - p,
                        sizeof (float) * (size_t) (hi - lo));
              else
                for (int ox = lo; ox < hi; ox++)
                  dst[ox] = srow[ox * s + kx - p];
              for (int ox = hi; ox < ow; ox++)
                {
                  int ix = ns_pad_index (ox * s + kx - p, w, zero);
                  dst[ox] = ix < 0 ? 0.0f : srow[ix];
                }
            }
        }
}

static void
bias_relu_rows (float *c, size_t ld, int cout, size_t npix, const float *bias,
                bool relu)
{
  for (int co = 0; co < cout; co++)
    {
      float *row = c + (size_t) co * ld;
      const float b = bias ? bias[co] : 0.0f;
      for (size_t j = 0; j < npix; j++)
        {
          float v = row[j] + b;
          row[j] = relu && v < 0.0f ? 0.0f : v;
        }
    }
}

static ns_status
dense (const ns_conv *conv, const float *in, int h, int w, float *out, int oh,
       int ow, int nt, float *scratch, const ns_conv_opts *opts, ns_run *run,
       ns_error *err)
{
  const int rows = band_rows (conv, oh, ow, opts);
  const int n_bands = (oh + rows - 1) / rows;
  const size_t kdim = (size_t) conv->cin * conv->k * conv->k;
  const size_t ohw = (size_t) oh * ow;
  const double band_flops = 2.0 * conv->cout * (double) kdim * rows * ow;
  int step = (int) (GEN_STEP_FLOPS / band_flops), saved;

  if (nt > n_bands)
    nt = n_bands;
  if (step < nt)
    step = nt;
  saved = ns_blas_serial_begin ();
  for (int b0 = 0; b0 < n_bands; b0 += step)
    {
      int b1 = b0 + step < n_bands ? b0 + step : n_bands;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
      for (int b = b0; b < b1; b++)
        {
          int tid = 0;
          int oy0 = b * rows, oy1 = oy0 + rows < oh ? oy0 + rows : oh;
          int npix = (oy1 - oy0) * ow;
#ifdef _OPENMP
          tid = omp_get_thread_num ();
#endif
          float *col = scratch + (size_t) tid * kdim * (size_t) rows * ow;
          float *c = out + (size_t) oy0 * ow;
          im2col_rows (conv, in, h, w, oy0, oy1, ow, col);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, conv->cout,
                       npix, (int) kdim, 1.0f, conv->weight, (int) kdim, col,
                       npix, 0.0f, c, (int) ohw);
          bias_relu_rows (c, ohw, conv->cout, (size_t) npix, conv->bias,
                          conv->relu);
        }
      int r1 = b1 * rows < oh ? b1 * rows : oh;
      if (run && !ns_run_tick (run, 2.0 * conv->cout * (double) kdim *
                                        (double) (r1 - b0 * rows) * ow))
        {
          ns_blas_serial_end (saved);
          return ns_fail (err, NS_ERR_CANCELLED, "cancelled");
        }
    }
  ns_blas_serial_end (saved);
  return NS_OK;
}

/* Eight floats (GCC/clang vector extension: AVX in the AVX2 clone, two
 * SSE registers otherwise). */
typedef float ns_v8f __attribute__ ((vector_size (32)));

/* A macro, not a function: returning a 32-byte vector by value changes
 * the ABI between the AVX2 clone and the rest. */
#define LD8(v, p) memcpy (&(v), (p), sizeof (ns_v8f))

/* Adds row KY of input channel CI's taps (source row R, padded) to the
 * accumulator rows ACC.  Blocks of 8 output pixels are kept in registers
 * across the k taps and the (at most 4) output channels, so each source
 * value is loaded once per block and tap. */
static inline __attribute__ ((always_inline)) void
direct_taps_n (const ns_conv *conv, int ci, int ky, const float *r, float *acc,
               int ow, const int cout)
{
  const int k = conv->k, s = ns_conv_stride (conv);
  float wk[GEN_DIRECT_MAX_COUT][9];
  int x0 = 0;

  for (int co = 0; co < cout; co++)
    for (int kx = 0; kx < k; kx++)
      wk[co][kx] =
          conv->weight[(((size_t) co * conv->cin + ci) * k + ky) * k + kx];
  if (s == 1)
    for (; x0 + 8 <= ow; x0 += 8)
      {
        ns_v8f v[GEN_DIRECT_MAX_COUT];
        for (int co = 0; co < cout; co++)
          LD8 (v[co], acc + (size_t) co * ow + x0);
        for (int kx = 0; kx < k; kx++)
          {
            ns_v8f q;
            LD8 (q, r + x0 + kx);
            for (int co = 0; co < cout; co++)
              v[co] += wk[co][kx] * q;
          }
        for (int co = 0; co < cout; co++)
          memcpy (acc + (size_t) co * ow + x0, &v[co], sizeof v[co]);
      }
  for (int x = x0; x < ow; x++)
    for (int co = 0; co < cout; co++)
      {
        float v = 0.0f;
        for (int kx = 0; kx < k; kx++)
          v += wk[co][kx] * r[x * s + kx];
        acc[(size_t) co * ow + x] += v;
      }
}

/* COUT a constant in each call, so the register blocks unroll. */
#define DIRECT_TAPS_BODY                           \
  switch (conv->cout)                              \
    {                                              \
    case 1:                                        \
      direct_taps_n (conv, ci, ky, r, acc, ow, 1); \
      break;                                       \
    case 2:                                        \
      direct_taps_n (conv, ci, ky, r, acc, ow, 2); \
      break;                                       \
    case 3:                                        \
      direct_taps_n (conv, ci, ky, r, acc, ow, 3); \
      break;                                       \
    default:                                       \
      direct_taps_n (conv, ci, ky, r, acc, ow, 4); \
      break;                                       \
    }

#if defined(__x86_64__) && defined(__GNUC__)
/* The engine is built for baseline x86-64 (SSE2); the same loops compiled
 * for AVX2 run ~2x faster where the CPU has it (checked at run time). */
__attribute__ ((target ("avx2,fma"))) static void
direct_taps_avx2 (const ns_conv *conv, int ci, int ky, const float *r,
                  float *acc, int ow)
{
  DIRECT_TAPS_BODY
}
#endif

static void
direct_taps (const ns_conv *conv, int ci, int ky, const float *r, float *acc,
             int ow)
{
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    {
      direct_taps_avx2 (conv, ci, ky, r, acc, ow);
      return;
    }
#endif
  DIRECT_TAPS_BODY
}

static void
direct_rows (const ns_conv *conv, const float *in, int h, int w, float *out,
             int oh, int ow, int oy0, int oy1, float *acc)
{
  const int k = conv->k, s = ns_conv_stride (conv), p = conv->pad;
  const int pw = w + 2 * p, cin = conv->cin;
  const size_t hw = (size_t) h * w;
  float *rows = acc + (size_t) conv->cout * ow;

  for (int oy = oy0; oy < oy1; oy++)
    {
      for (int co = 0; co < conv->cout; co++)
        {
          const float b = conv->bias ? conv->bias[co] : 0.0f;
          for (int x = 0; x < ow; x++)
            acc[(size_t) co * ow + x] = b;
        }
      for (int ci = 0; ci < cin; ci++)
        {
          for (int ky = 0; ky < k; ky++)
            {
              int iy = ns_pad_index (oy * s + ky - p, h, conv->pad_zero);
              float *r = rows + (size_t) ky * pw;
              const float *src = in + ci * hw + (size_t) (iy < 0 ? 0 : iy) * w;
              if (iy < 0)
                {
                  memset (r, 0, sizeof (float) * (size_t) pw);
                  continue;
                }
              memcpy (r + p, src, sizeof (float) * (size_t) w);
              for (int x = 0; x < p; x++)
                {
                  int l = ns_pad_index (x - p, w, conv->pad_zero);
                  int rr = ns_pad_index (w + x, w, conv->pad_zero);
                  r[x] = l < 0 ? 0.0f : src[l];
                  r[p + w + x] = rr < 0 ? 0.0f : src[rr];
                }
            }
          for (int ky = 0; ky < k; ky++)
            direct_taps (conv, ci, ky, rows + (size_t) ky * pw, acc, ow);
        }
      for (int co = 0; co < conv->cout; co++)
        {
          float *o = out + ((size_t) co * oh + oy) * ow;
          const float *a = acc + (size_t) co * ow;
          for (int x = 0; x < ow; x++)
            o[x] = conv->relu && a[x] < 0.0f ? 0.0f : a[x];
        }
    }
}

static ns_status
direct (const ns_conv *conv, const float *in, int h, int w, float *out, int oh,
        int ow, int nt, float *scratch, ns_run *run, ns_error *err)
{
  const double row_flops = 2.0 * conv->cout * (double) conv->cin * conv->k *
                           conv->k * ow;
  int rows_per_step = (int) (GEN_STEP_FLOPS / row_flops);
  const size_t per_thread = direct_floats (conv, w, ow);

  if (nt > oh)
    nt = oh;
  if (rows_per_step < nt)
    rows_per_step = nt;
  for (int y0 = 0; y0 < oh; y0 += rows_per_step)
    {
      int y1 = y0 + rows_per_step < oh ? y0 + rows_per_step : oh;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
      for (int y = y0; y < y1; y += 4)
        {
          int tid = 0;
#ifdef _OPENMP
          tid = omp_get_thread_num ();
#endif
          direct_rows (conv, in, h, w, out, oh, ow, y, y + 4 < y1 ? y + 4 : y1,
                       scratch + (size_t) tid * per_thread);
        }
      if (run && !ns_run_tick (run, row_flops * (y1 - y0)))
        return ns_fail (err, NS_ERR_CANCELLED, "cancelled");
    }
  return NS_OK;
}

/* One channel: PLANE receives the padded input (ph x pw). */
static void
depthwise_channel (const ns_conv *conv, const float *in, int h, int w,
                   float *out, int oh, int ow, int c, float *plane)
{
  const int k = conv->k, s = ns_conv_stride (conv), p = conv->pad;
  const int ph = h + 2 * p, pw = w + 2 * p;
  const float *src = in + (size_t) c * h * w;
  const float *kw = conv->weight + (size_t) c * k * k;
  const float b = conv->bias ? conv->bias[c] : 0.0f;
  float *dst = out + (size_t) c * oh * ow;

  for (int y = 0; y < ph; y++)
    {
      int iy = ns_pad_index (y - p, h, conv->pad_zero);
      float *prow = plane + (size_t) y * pw;
      if (iy < 0)
        {
          memset (prow, 0, sizeof (float) * (size_t) pw);
          continue;
        }
      for (int x = 0; x < pw; x++)
        {
          int ix = ns_pad_index (x - p, w, conv->pad_zero);
          prow[x] = ix < 0 ? 0.0f : src[(size_t) iy * w + ix];
        }
    }
  for (int oy = 0; oy < oh; oy++)
    {
      float *o = dst + (size_t) oy * ow;
      for (int ox = 0; ox < ow; ox++)
        o[ox] = b;
      for (int ky = 0; ky < k; ky++)
        {
          const float *prow = plane + (size_t) (oy * s + ky) * pw;
          for (int kx = 0; kx < k; kx++)
            {
              const float wv = kw[ky * k + kx];
              const float *q = prow + kx;
              if (s == 1)
                for (int ox = 0; ox < ow; ox++)
                  o[ox] += wv * q[ox];
              else
                for (int ox = 0; ox < ow; ox++)
                  o[ox] += wv * q[ox * s];
            }
        }
      if (conv->relu)
        for (int ox = 0; ox < ow; ox++)
          o[ox] = o[ox] > 0.0f ? o[ox] : 0.0f;
    }
}

static ns_status
depthwise (const ns_conv *conv, const float *in, int h, int w, float *out,
           int oh, int ow, int nt, float *scratch, ns_run *run, ns_error *err)
{
  const size_t plane = (size_t) (h + 2 * conv->pad) * (w + 2 * conv->pad);

  if (nt > conv->cin)
    nt = conv->cin;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
  for (int c = 0; c < conv->cin; c++)
    {
      int tid = 0;
#ifdef _OPENMP
      tid = omp_get_thread_num ();
#endif
      depthwise_channel (conv, in, h, w, out, oh, ow, c,
                         scratch + (size_t) tid * plane);
    }
  if (run && !ns_run_tick (run, ns_conv_flops (conv, h, w)))
    return ns_fail (err, NS_ERR_CANCELLED, "cancelled");
  return NS_OK;
}

ns_status
ns_conv2d_general_into (const ns_conv *conv, const float *in, int h, int w,
                        float *out, const ns_conv_opts *opts, ns_run *run,
                        ns_error *err)
{
  const ns_tensor tin = { conv ? conv->cin : 0, h, w, (float *) in };
  float *scratch = opts ? opts->scratch : NULL, *owned = NULL;
  int oh, ow, nt;
  ns_status st;

  if ((st = ns_conv_check (conv, &tin, err)) != NS_OK)
    return st;
  if (!out)
    return ns_fail (err, NS_ERR_INVALID_ARG, "conv2d: NULL output");
  if (run && run->cancelled)
    return ns_fail (err, NS_ERR_CANCELLED, "cancelled");
  ns_conv_out_size (conv, h, w, &oh, &ow);
  nt = threads_for (opts, run);
  if (scratch)
    {
      /* The caller's scratch was sized by ns_conv_scratch_floats (OPTS'
         thread count, not RUN's). */
      int nt_opts = threads_for (opts, NULL);
      if (nt > nt_opts)
        nt = nt_opts;
    }
  else
    {
      size_t floats = scratch_floats (conv, h, w, opts, nt), bytes;
      if (!ns_size_mul (floats, sizeof (float), &bytes) ||
          !(owned = scratch = ns_alloc (bytes)))
        return ns_fail (err, NS_ERR_NOMEM,
                        "conv2d: out of memory for a %dx%d convolution "
                        "scratch at %dx%d",
                        conv->k, conv->k, w, h);
    }
  if (ns_conv_depthwise (conv))
    st = depthwise (conv, in, h, w, out, oh, ow, nt, scratch, run, err);
  else if (use_direct (conv))
    st = direct (conv, in, h, w, out, oh, ow, nt, scratch, run, err);
  else
    st = dense (conv, in, h, w, out, oh, ow, nt, scratch, opts, run, err);
  ns_free (owned);
  return st;
}
