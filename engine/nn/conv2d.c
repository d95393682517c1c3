/* 3x3 (fused reflection padding 1) and 1x1 convolutions, stride 1, with
 * fused bias and ReLU.  The hot path of every network.
 *
 * A 1x1 convolution is a plain GEMM on the activation: out[cout][HW] =
 * W[cout][cin] * in[cin][HW], no copy at all.  A 3x3 convolution unfolds
 * (im2col) a band of output pixels into a [cin*9][npix] matrix and
 * multiplies it by W[cout][cin*9].  Bands are ranges of flat pixel indices
 * y*W+x: the output of a band is then a [cout][npix] block of OUT with
 * leading dimension H*W, so sgemm writes into place, and the scratch
 * matrix stays bounded whatever the image size (2048x2048 and beyond).
 *
 * Parallelism: the bands of one step are processed by the threads of one
 * OpenMP team (dynamic schedule), each unfolding its own band and calling a
 * single-threaded sgemm (OpenBLAS's OpenMP build runs single-threaded
 * inside a parallel region), so unfolding is parallel and no thread waits
 * on a serial im2col.  Measured on 2 cores this beats one threaded sgemm
 * per band.  Between steps (~2 GFLOP) the calling thread reports progress
 * and checks for cancellation.
 *
 * Convolutions with at most 4 output channels (a decoder's last layer) are
 * computed directly instead, see conv3x3_direct.
 *
 * The one forward convolution of the engine: the Gatys feature network
 * runs it too (ns_conv2d_into, with its own scratch, thread count and a
 * smaller band budget), and its backward pass reuses ns_im2col3x3_band's
 * layout and ns_reflect_index (nn.h) in col2im.
 */
#include "nn.h"

#include <cblas.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Scratch per thread for the unfolded band: about a core's L2, so narrow
 * layers (cd16x's 16-64 channels) unfold and multiply in cache.  Measured
 * on cd16x at 384 px: 1 MiB runs the cascade in 0.32 s against 0.42 s with
 * 6 MiB, with the canonical VGG-19 unchanged (1.78 vs 1.75 s). */
#ifndef NS_CONV_SCRATCH_BYTES
#define NS_CONV_SCRATCH_BYTES ((size_t) 1 << 20)
#endif
/* Fewer pixels than this per band make sgemm inefficient (the weight
 * packing is no longer amortised): wide layers then exceed the budget
 * rather than shrink the band further. */
#ifndef NS_CONV_MIN_PIXELS
#define NS_CONV_MIN_PIXELS 512
#endif
/* Upper bound on pixels per band so that a step stays short (fast
 * cancellation) and the [cout][npix] output block stays cache-friendly. */
#ifndef NS_CONV_MAX_PIXELS
#define NS_CONV_MAX_PIXELS 8192
#endif
/* Work between two progress/cancellation checks. */
#define NS_CONV_STEP_FLOPS 2e9

void
ns_im2col3x3_band (const float *in, int cin, int h, int w, size_t p0,
                   int npix, float *col)
{
  const size_t hw = (size_t) h * w;

  for (int ci = 0; ci < cin; ci++)
    {
      const float *plane = in + (size_t) ci * hw;
      for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++)
          {
            float *dst = col + ((size_t) ci * 9 + ky * 3 + kx) * npix;
            size_t p = p0;
            const size_t pend = p0 + (size_t) npix;
            while (p < pend)
              {
                int y = (int) (p / (size_t) w);
                int x0 = (int) (p - (size_t) y * w);
                int x1 = w;
                const float *srow;
                int x;
                if ((size_t) (x1 - x0) > pend - p)
                  x1 = x0 + (int) (pend - p);
                srow = plane + (size_t) ns_reflect_index (y + ky - 1, h) * w;
                x = x0;
                /* Left border, then the interior as one copy, then the
                 * right border. */
                if (x == 0 && x < x1)
                  {
                    *dst++ = srow[ns_reflect_index (kx - 1, w)];
                    x++;
                  }
                {
                  int xe = x1 < w - 1 ? x1 : w - 1;
                  if (xe > x)
                    {
                      memcpy (dst, srow + x + kx - 1,
                              sizeof (float) * (size_t) (xe - x));
                      dst += xe - x;
                      x = xe;
                    }
                }
                for (; x < x1; x++)
                  *dst++ = srow[ns_reflect_index (x + kx - 1, w)];
                p += (size_t) (x1 - x0);
              }
          }
    }
}

/* Bias and ReLU on a [cout][npix] block with leading dimension LD. */
static void
bias_relu_block (float *c, size_t ld, int cout, int npix, const float *bias,
                 bool relu)
{
  for (int co = 0; co < cout; co++)
    {
      float *row = c + (size_t) co * ld;
      const float b = bias ? bias[co] : 0.0f;
      if (relu)
        for (int j = 0; j < npix; j++)
          {
            float v = row[j] + b;
            row[j] = v > 0.0f ? v : 0.0f;
          }
      else if (bias)
        for (int j = 0; j < npix; j++)
          row[j] += b;
    }
}


/* Pixels per band for a scratch budget of BUDGET bytes per thread. */
static int
band_pixels (const ns_conv *conv, int h, int w, size_t budget)
{
  size_t hw = (size_t) h * w;
  size_t k = (size_t) conv->cin * conv->k * conv->k;
  size_t npix;

  if (conv->k == 1)
    /* No scratch: only the step length (cancel latency) and the size of
       the output block bound the band. */
    npix = NS_CONV_MAX_PIXELS;
  else
    npix = budget / (sizeof (float) * k);
  if (npix < NS_CONV_MIN_PIXELS)
    npix = NS_CONV_MIN_PIXELS;
  if (npix > NS_CONV_MAX_PIXELS)
    npix = NS_CONV_MAX_PIXELS;
  /* Whole multiples of 16 keep sgemm's column blocks aligned. */
  npix &= ~(size_t) 15;
  if (npix > hw)
    npix = hw;
  return (int) npix;
}

int
ns_conv_band_pixels (const ns_conv *conv, int h, int w)
{
  return band_pixels (conv, h, w, NS_CONV_SCRATCH_BYTES);
}

ns_status
ns_conv_check (const ns_conv *conv, const ns_tensor *in, ns_error *err)
{
  if (!conv || !in || !in->data || !conv->weight)
    return ns_fail (err, NS_ERR_INVALID_ARG, "conv2d: NULL argument");
  if (conv->k != 1 && conv->k != 3)
    return ns_fail (err, NS_ERR_UNSUPPORTED, "conv2d: kernel size %d",
                    conv->k);
  if (conv->pad != (conv->k - 1) / 2)
    return ns_fail (err, NS_ERR_UNSUPPORTED,
                    "conv2d: padding %d with a %dx%d kernel", conv->pad,
                    conv->k, conv->k);
  if (conv->cin <= 0 || conv->cout <= 0)
    return ns_fail (err, NS_ERR_INVALID_ARG, "conv2d: %d -> %d channels",
                    conv->cin, conv->cout);
  if (in->c != conv->cin)
    return ns_fail (err, NS_ERR_SHAPE,
                    "conv2d: input has %d channels, the layer expects %d",
                    in->c, conv->cin);
  if (in->h <= 0 || in->w <= 0)
    return ns_fail (err, NS_ERR_INVALID_ARG, "conv2d: empty input");
  /* BLAS takes int sizes and leading dimensions. */
  if ((size_t) in->h * (size_t) in->w > (size_t) INT_MAX
      || (size_t) conv->cin * 9 > (size_t) INT_MAX)
    return ns_fail (err, NS_ERR_UNSUPPORTED,
                    "conv2d: a %dx%d input is too large", in->w, in->h);
  return NS_OK;
}

/* ------------------------------------------------ few output channels
 * A decoder's last layer (64 -> 3) gives sgemm an M of 3: it then streams
 * the whole unfolded matrix for very little arithmetic.  Computed directly
 * it is somewhat faster (measured ~26 vs ~23 GFLOP/s per core) and needs
 * no unfolding: for each input channel reflect its three source rows into
 * a padded copy once, then add the nine taps to every output channel's
 * accumulator row, vectorised along x.  (For few INPUT channels, 3 -> 64,
 * sgemm measured better than this loop, so it keeps that case.) */
#define NS_CONV_DIRECT_MAX_COUT 4

/* Output rows [Y0, Y1).  ACC holds cout rows of w floats, PROW 3 (w + 2). */
static void
conv3x3_direct_rows (const ns_conv *conv, const ns_tensor *in, ns_tensor *out,
                     int y0, int y1, float *acc, float *prow)
{
  const int h = in->h, w = in->w, cin = conv->cin, cout = conv->cout;
  const size_t hw = (size_t) h * w;
  float *p0 = prow, *p1 = prow + w + 2, *p2 = prow + 2 * (w + 2);

  for (int y = y0; y < y1; y++)
    {
      for (int co = 0; co < cout; co++)
        {
          const float b = conv->bias ? conv->bias[co] : 0.0f;
          for (int x = 0; x < w; x++)
            acc[(size_t) co * w + x] = b;
        }
      for (int ci = 0; ci < cin; ci++)
        {
          for (int ky = 0; ky < 3; ky++)
            {
              const float *src
                  = in->data + (size_t) ci * hw
                    + (size_t) ns_reflect_index (y + ky - 1, h) * w;
              float *p = prow + (size_t) ky * (w + 2);
              memcpy (p + 1, src, sizeof (float) * (size_t) w);
              p[0] = src[ns_reflect_index (-1, w)];
              p[w + 1] = src[ns_reflect_index (w, w)];
            }
          for (int co = 0; co < cout; co++)
            {
              const float *k = conv->weight + ((size_t) co * cin + ci) * 9;
              const float k0 = k[0], k1 = k[1], k2 = k[2], k3 = k[3],
                          k4 = k[4], k5 = k[5], k6 = k[6], k7 = k[7],
                          k8 = k[8];
              float *a = acc + (size_t) co * w;
              for (int x = 0; x < w; x++)
                a[x] += k0 * p0[x] + k1 * p0[x + 1] + k2 * p0[x + 2]
                        + k3 * p1[x] + k4 * p1[x + 1] + k5 * p1[x + 2]
                        + k6 * p2[x] + k7 * p2[x + 1] + k8 * p2[x + 2];
            }
        }
      for (int co = 0; co < cout; co++)
        {
          float *o = out->data + (size_t) co * hw + (size_t) y * w;
          const float *a = acc + (size_t) co * w;
          if (conv->relu)
            for (int x = 0; x < w; x++)
              o[x] = a[x] > 0.0f ? a[x] : 0.0f;
          else
            memcpy (o, a, sizeof (float) * (size_t) w);
        }
    }
}

/* Floats of scratch per thread for the direct path. */
static size_t
direct_per_thread (const ns_conv *conv, int w)
{
  return (size_t) conv->cout * w + 3 * ((size_t) w + 2);
}

static ns_status
conv3x3_direct (const ns_conv *conv, const ns_tensor *in, ns_tensor *out,
                int nt, float *scratch, ns_run *run, ns_error *err)
{
  const int h = in->h, w = in->w;
  const double row_flops = ns_conv_flops (conv, 1, w);
  int rows_per_step = (int) (NS_CONV_STEP_FLOPS / row_flops);
  const size_t per_thread = direct_per_thread (conv, w);

  if (rows_per_step < nt)
    rows_per_step = nt;
  for (int y0 = 0; y0 < h; y0 += rows_per_step)
    {
      int y1 = y0 + rows_per_step < h ? y0 + rows_per_step : h;
      int chunk = (y1 - y0 + nt - 1) / nt;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
      for (int t = 0; t < nt; t++)
        {
          int tid = 0;
          int ya = y0 + t * chunk, yb = ya + chunk < y1 ? ya + chunk : y1;
#ifdef _OPENMP
          tid = omp_get_thread_num ();
#endif
          float *acc = scratch + (size_t) tid * per_thread;
          if (ya < yb)
            conv3x3_direct_rows (conv, in, out, ya, yb, acc,
                                 acc + (size_t) conv->cout * w);
        }
      if (run && !ns_run_tick (run, row_flops * (y1 - y0)))
        return ns_fail (err, NS_ERR_CANCELLED, "cancelled");
    }
  return NS_OK;
}

/* How a layer is cut: NT threads, bands of NPIX pixels (the last one
 * shorter), or the direct path. */
typedef struct
{
  bool direct;
  int nt;
  size_t npix, n_bands;
} conv_plan;

static void
conv_plan_make (const ns_conv *conv, int h, int w, int nt, size_t budget,
                conv_plan *p)
{
  const size_t hw = (size_t) h * w;
  size_t npix_max, n_bands;

  p->direct = conv->k == 3 && conv->cout <= NS_CONV_DIRECT_MAX_COUT;
  if (p->direct)
    {
      p->nt = nt > h ? h : nt;
      p->npix = 0;
      p->n_bands = 0;
      return;
    }
  npix_max = (size_t) band_pixels (conv, h, w,
                                   budget ? budget : NS_CONV_SCRATCH_BYTES);
  /* Too little work to share: one thread. */
  if (hw < (size_t) nt * NS_CONV_MIN_PIXELS)
    nt = 1;
  n_bands = (hw + npix_max - 1) / npix_max;
  /* Whole steps of NT bands, of equal size, so no thread idles. */
  if (n_bands % (size_t) nt)
    n_bands += (size_t) nt - n_bands % (size_t) nt;
  npix_max = (hw + n_bands - 1) / n_bands;
  npix_max = (npix_max + 15) & ~(size_t) 15;
  if (npix_max > hw)
    npix_max = hw;
  n_bands = (hw + npix_max - 1) / npix_max;
  if ((size_t) nt > n_bands)
    nt = (int) n_bands;
  p->nt = nt;
  p->npix = npix_max;
  p->n_bands = n_bands;
}

static void
plan_for (const ns_conv *conv, int h, int w, const ns_conv_opts *opts,
          const ns_run *run, conv_plan *p)
{
  int nt = opts && opts->n_threads > 0 ? opts->n_threads
                                       : ns_threads_resolve (run ? run->n_threads : 0);
  conv_plan_make (conv, h, w, nt, opts ? opts->band_bytes : 0, p);
}

/* Floats of scratch PLAN needs (SIZE_MAX on overflow). */
static size_t
plan_scratch_floats (const ns_conv *conv, int w, const conv_plan *p)
{
  size_t per_thread, total;

  if (p->direct)
    per_thread = direct_per_thread (conv, w);
  else if (conv->k == 3)
    {
      if (!ns_size_mul ((size_t) conv->cin * 9, p->npix, &per_thread))
        return SIZE_MAX;
    }
  else
    return 0;
  if (!ns_size_mul (per_thread, (size_t) p->nt, &total))
    return SIZE_MAX;
  return total;
}

size_t
ns_conv_scratch_floats (const ns_conv *conv, int h, int w,
                        const ns_conv_opts *opts)
{
  conv_plan p;

  if (h <= 0 || w <= 0)
    return 0;
  plan_for (conv, h, w, opts, NULL, &p);
  return plan_scratch_floats (conv, w, &p);
}

ns_status
ns_conv2d (const ns_conv *conv, const ns_tensor *in, ns_tensor *out,
           ns_run *run, ns_error *err)
{
  ns_status st;
  float *buf;

  if (out)
    memset (out, 0, sizeof *out);
  if ((st = ns_conv_check (conv, in, err)) != NS_OK)
    return st;
  if (!out)
    return ns_fail (err, NS_ERR_INVALID_ARG, "conv2d: NULL output");
  if (run && run->cancelled)
    return ns_fail (err, NS_ERR_CANCELLED, "cancelled");
  if ((st = ns_tensor_alloc (out, conv->cout, in->h, in->w, err)) != NS_OK)
    return st;
  buf = out->data;
  st = ns_conv2d_buf (conv, in, buf, out, run, err);
  if (st != NS_OK)
    ns_free (buf);
  return st;
}

ns_status
ns_conv2d_buf (const ns_conv *conv, const ns_tensor *in, float *buf,
               ns_tensor *out, ns_run *run, ns_error *err)
{
  ns_status st;

  if (out)
    memset (out, 0, sizeof *out);
  if ((st = ns_conv_check (conv, in, err)) != NS_OK)
    return st;
  if (!out || !buf)
    return ns_fail (err, NS_ERR_INVALID_ARG, "conv2d: NULL output");
  st = ns_conv2d_into (conv, in->data, in->h, in->w, buf, NULL, run, err);
  if (st == NS_OK)
    {
      out->c = conv->cout;
      out->h = in->h;
      out->w = in->w;
      out->data = buf;
    }
  return st;
}

ns_status
ns_conv2d_into (const ns_conv *conv, const float *in_data, int h, int w,
                float *out_data, const ns_conv_opts *opts, ns_run *run,
                ns_error *err)
{
  const ns_tensor tin = { conv ? conv->cin : 0, h, w, (float *) in_data };
  ns_tensor tout;
  size_t hw, kdim, npix_max, n_bands;
  int nt, saved_threads = 1;
  size_t step;
  float *scratch = opts ? opts->scratch : NULL, *owned = NULL;
  conv_plan plan;
  ns_status st;

  if ((st = ns_conv_check (conv, &tin, err)) != NS_OK)
    return st;
  if (!out_data)
    return ns_fail (err, NS_ERR_INVALID_ARG, "conv2d: NULL output");
  if (run && run->cancelled)
    return ns_fail (err, NS_ERR_CANCELLED, "cancelled");
  tout.c = conv->cout;
  tout.h = h;
  tout.w = w;
  tout.data = out_data;

  hw = (size_t) h * w;
  kdim = (size_t) conv->cin * conv->k * conv->k;
  plan_for (conv, h, w, opts, run, &plan);
  nt = plan.nt;
  npix_max = plan.npix;
  n_bands = plan.n_bands;

  if (!scratch && (plan.direct || conv->k == 3))
    {
      size_t floats = plan_scratch_floats (conv, w, &plan), bytes;
      if (!ns_size_mul (floats, sizeof (float), &bytes)
          || !(owned = scratch = ns_alloc (bytes)))
        return ns_fail (err, NS_ERR_NOMEM,
                        "conv2d: out of memory for the %zu-pixel bands",
                        npix_max);
    }
  if (plan.direct)
    {
      st = conv3x3_direct (conv, &tin, &tout, nt, scratch, run, err);
      ns_free (owned);
      return st;
    }
  /* Every sgemm runs single-threaded: inside our parallel region OpenBLAS
     (OpenMP build) does so by itself; with one band it would spread over
     omp_get_max_threads () threads, whose fork/join costs more than small
     products gain (and suffers badly on a busy machine). */
  saved_threads = ns_blas_serial_begin ();

  /* Bands per step: enough work that the fork/join of a step is
     negligible and a thread descheduled by a busy machine is covered by
     the others (dynamic schedule), few enough that cancellation stays
     quick (NS_CONV_STEP_FLOPS is ~10-20 ms of work on two cores). */
  {
    double band_flops = 2.0 * conv->cout * (double) kdim * (double) npix_max;
    step = (size_t) (NS_CONV_STEP_FLOPS / band_flops);
    if (step < (size_t) nt)
      step = (size_t) nt;
    step -= step % (size_t) nt;
  }

  for (size_t b0 = 0; b0 < n_bands; b0 += step)
    {
      size_t b1 = b0 + step < n_bands ? b0 + step : n_bands;
      double flops = 0.0;

#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
      for (size_t b = b0; b < b1; b++)
        {
          size_t p0 = b * npix_max;
          int npix = (int) (p0 + npix_max <= hw ? npix_max : hw - p0);
          const float *bmat;
          int ldb;
          if (conv->k == 3)
            {
              int tid = 0;
#ifdef _OPENMP
              tid = omp_get_thread_num ();
#endif
              float *col = scratch + (size_t) tid * kdim * npix_max;
              ns_im2col3x3_band (in_data, conv->cin, h, w, p0, npix, col);
              bmat = col;
              ldb = npix;
            }
          else
            {
              bmat = in_data + p0;
              ldb = (int) hw;
            }
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, conv->cout,
                       npix, (int) kdim, 1.0f, conv->weight, (int) kdim, bmat,
                       ldb, 0.0f, out_data + p0, (int) hw);
          bias_relu_block (out_data + p0, hw, conv->cout, npix, conv->bias,
                           conv->relu);
        }

      flops = 2.0 * (double) conv->cout * (double) kdim
              * (double) ((b1 * npix_max < hw ? b1 * npix_max : hw)
                          - b0 * npix_max);
      if (run && !ns_run_tick (run, flops))
        {
          ns_free (owned);
          ns_blas_serial_end (saved_threads);
          return ns_fail (err, NS_ERR_CANCELLED, "cancelled");
        }
    }
  ns_free (owned);
  ns_blas_serial_end (saved_threads);
  return NS_OK;
}

double
ns_conv_flops (const ns_conv *conv, int h, int w)
{
  return 2.0 * conv->cout * (double) conv->cin * conv->k * conv->k
         * (double) h * (double) w;
}
