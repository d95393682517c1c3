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
 * runs it too (ns_conv2d_into, with its own scratch and thread count).
 *
 * The backward pass (gradient with respect to the input, for Gatys), at
 * the end of this file: per band of output rows, W^T times the band's
 * output gradient by sgemm into an im2col-shaped private buffer, then
 * col2im (the adjoint of ns_im2col3x3_band), which adds each column entry
 * back onto the input pixel it was read from, so reflected border reads
 * fold back onto the interior.  A band's col2im touches its rows and one
 * row either side; bands are at least two rows high, so bands of the same
 * parity never touch the same row: even bands run in parallel, then odd
 * ones.  The ReLU mask of the forward output can be applied to each band
 * of the output gradient on the way (fused, saving a pass over memory).
 * The naive references of both passes are in conv2d_ref.c.
 */
#include "nn.h"

#include <cblas.h>
#include <limits.h>
#include <stdlib.h>
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
ns_im2col3x3_band (const float *in, int cin, int h, int w, size_t p0, int npix,
                   float *col)
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

bool
ns_conv_is_basic (const ns_conv *conv)
{
  return conv->stride <= 1 && conv->groups <= 1 &&
         ((conv->k == 3 && conv->pad == 1 && !conv->pad_zero) ||
          (conv->k == 1 && conv->pad == 0));
}

void
ns_conv_out_size (const ns_conv *conv, int h, int w, int *oh, int *ow)
{
  const int s = ns_conv_stride (conv);
  /* Floor division of a possibly negative numerator: a too small input
     gives a size < 1. */
  int nh = h + 2 * conv->pad - conv->k, nw = w + 2 * conv->pad - conv->k;

  if (oh)
    *oh = nh < 0 ? 0 : nh / s + 1;
  if (ow)
    *ow = nw < 0 ? 0 : nw / s + 1;
}

ns_status
ns_conv_check (const ns_conv *conv, const ns_tensor *in, ns_error *err)
{
  int oh, ow;

  if (!conv || !in || !in->data || !conv->weight)
    return ns_fail (err, NS_ERR_INVALID_ARG, "conv2d: NULL argument");
  if (conv->k < 1 || conv->k > 9 || conv->k % 2 == 0)
    return ns_fail (err, NS_ERR_UNSUPPORTED, "conv2d: kernel size %d", conv->k);
  if (conv->pad < 0 || conv->pad >= conv->k)
    return ns_fail (err, NS_ERR_UNSUPPORTED,
                    "conv2d: padding %d with a %dx%d kernel", conv->pad,
                    conv->k, conv->k);
  if (conv->stride < 0 || conv->stride > 2)
    return ns_fail (err, NS_ERR_UNSUPPORTED, "conv2d: stride %d", conv->stride);
  if (conv->cin <= 0 || conv->cout <= 0)
    return ns_fail (err, NS_ERR_INVALID_ARG, "conv2d: %d -> %d channels",
                    conv->cin, conv->cout);
  if (conv->groups < 0 || (conv->groups > 1 && (conv->groups != conv->cin ||
                                                conv->groups != conv->cout)))
    return ns_fail (err, NS_ERR_UNSUPPORTED,
                    "conv2d: %d groups for %d -> %d channels (only dense or "
                    "depthwise)",
                    conv->groups, conv->cin, conv->cout);
  if (in->c != conv->cin)
    return ns_fail (err, NS_ERR_SHAPE,
                    "conv2d: input has %d channels, the layer expects %d",
                    in->c, conv->cin);
  if (in->h <= 0 || in->w <= 0)
    return ns_fail (err, NS_ERR_INVALID_ARG, "conv2d: empty input");
  /* Reflection reads one mirror image deep (as PyTorch, which refuses
     larger padding); a 1-pixel axis replicates (the basic path's rule). */
  if (!conv->pad_zero &&
      ((in->h > 1 && conv->pad >= in->h) || (in->w > 1 && conv->pad >= in->w)))
    return ns_fail (err, NS_ERR_SHAPE,
                    "conv2d: a %dx%d input is too small for reflection "
                    "padding %d",
                    in->w, in->h, conv->pad);
  ns_conv_out_size (conv, in->h, in->w, &oh, &ow);
  if (oh < 1 || ow < 1)
    return ns_fail (err, NS_ERR_SHAPE,
                    "conv2d: a %dx%d input is too small for a %dx%d kernel",
                    in->w, in->h, conv->k, conv->k);
  /* BLAS takes int sizes and leading dimensions. */
  if ((size_t) in->h * (size_t) in->w > (size_t) INT_MAX ||
      (size_t) conv->cin * (size_t) conv->k * conv->k > (size_t) INT_MAX)
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
              const float *src = in->data + (size_t) ci * hw +
                                 (size_t) ns_reflect_index (y + ky - 1, h) * w;
              float *p = prow + (size_t) ky * (w + 2);
              memcpy (p + 1, src, sizeof (float) * (size_t) w);
              p[0] = src[ns_reflect_index (-1, w)];
              p[w + 1] = src[ns_reflect_index (w, w)];
            }
          for (int co = 0; co < cout; co++)
            {
              const float *k = conv->weight + ((size_t) co * cin + ci) * 9;
              const float k0 = k[0], k1 = k[1], k2 = k[2], k3 = k[3], k4 = k[4],
                          k5 = k[5], k6 = k[6], k7 = k[7], k8 = k[8];
              float *a = acc + (size_t) co * w;
              for (int x = 0; x < w; x++)
                a[x] += k0 * p0[x] + k1 * p0[x + 1] + k2 * p0[x + 2] +
                        k3 * p1[x] + k4 * p1[x + 1] + k5 * p1[x + 2] +
                        k6 * p2[x] + k7 * p2[x + 1] + k8 * p2[x + 2];
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
  int nt = opts && opts->n_threads > 0
               ? opts->n_threads
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
  if (!ns_conv_is_basic (conv))
    return ns_conv_general_scratch_floats (conv, h, w, opts);
  plan_for (conv, h, w, opts, NULL, &p);
  return plan_scratch_floats (conv, w, &p);
}

ns_status
ns_conv2d (const ns_conv *conv, const ns_tensor *in, ns_tensor *out,
           ns_run *run, ns_error *err)
{
  ns_status st;
  float *buf;
  int oh, ow;

  if (out)
    memset (out, 0, sizeof *out);
  if ((st = ns_conv_check (conv, in, err)) != NS_OK)
    return st;
  if (!out)
    return ns_fail (err, NS_ERR_INVALID_ARG, "conv2d: NULL output");
  if (run && run->cancelled)
    return ns_fail (err, NS_ERR_CANCELLED, "cancelled");
  ns_conv_out_size (conv, in->h, in->w, &oh, &ow);
  if ((st = ns_tensor_alloc (out, conv->cout, oh, ow, err)) != NS_OK)
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
      ns_conv_out_size (conv, in->h, in->w, &out->h, &out->w);
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
  if (!ns_conv_is_basic (conv))
    return ns_conv2d_general_into (conv, in_data, h, w, out_data, opts, run,
                                   err);
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
      if (!ns_size_mul (floats, sizeof (float), &bytes) ||
          !(owned = scratch = ns_alloc (bytes)))
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

      flops = 2.0 * (double) conv->cout * (double) kdim *
              (double) ((b1 * npix_max < hw ? b1 * npix_max : hw) -
                        b0 * npix_max);
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
  int oh = h, ow = w;
  const double cin_per_group = ns_conv_depthwise (conv) ? 1.0 : conv->cin;

  if (!ns_conv_is_basic (conv))
    ns_conv_out_size (conv, h, w, &oh, &ow);
  return 2.0 * conv->cout * cin_per_group * conv->k * conv->k * (double) oh *
         (double) ow;
}

/* ------------------------------------------------------ backward pass */

/* Banded mode: target col floats per band (1 MiB: a core's L2 with room
 * for the gradient band), and at least this many pixels per band so that
 * packing the weights once per sgemm call stays negligible. */
#define NS_CONVB_BAND_FLOATS ((size_t) 1 << 18)
#define NS_CONVB_MIN_BAND_PIXELS 1024
/* Whole mode: col floats per (sequential) band, 32 MiB. */
#define NS_CONVB_WHOLE_FLOATS ((size_t) 1 << 23)
/* Pixels per chunk of a 1x1 convolution. */
#define NS_CONVB_CHUNK 4096
/* Elementwise loops smaller than this stay on one thread (a parallel
 * region costs more than the loop, and far more on a busy machine). */
#define NS_CONVB_PAR_MIN ((size_t) 1 << 16)

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

static int
backward_band_rows (const ns_conv *conv, int h, int w)
{
  size_t per_row = (size_t) conv->cin * 9 * (size_t) w;
  size_t rows = NS_CONVB_BAND_FLOATS / per_row;
  size_t min_rows = (NS_CONVB_MIN_BAND_PIXELS + (size_t) w - 1) / (size_t) w;
  return clamp_rows (rows > min_rows ? rows : min_rows, h);
}

static int
backward_whole_rows (const ns_conv *conv, int h, int w)
{
  size_t per_row = (size_t) conv->cin * 9 * (size_t) w;
  return clamp_rows (NS_CONVB_WHOLE_FLOATS / per_row, h);
}

bool
ns_conv2d_backward_banded (const ns_conv *conv, int h, int w, int n_threads)
{
  int n_bands;
  if (n_threads <= 1)
    return true;
  if (conv->k == 1)
    return ((size_t) h * w + NS_CONVB_CHUNK - 1) / NS_CONVB_CHUNK >=
           (size_t) (2 * n_threads);
  n_bands = (h + backward_band_rows (conv, h, w) - 1) /
            backward_band_rows (conv, h, w);
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
ns_conv2d_work_floats (const ns_conv *conv, int h, int w, int n_threads)
{
  size_t per_row = (size_t) conv->cin * 9 * (size_t) w;
  size_t back, fwd;
  if (n_threads < 1)
    n_threads = 1;
  /* The forward pass (ns_conv2d_into) shares the buffer. */
  {
    const ns_conv_opts opts = { n_threads, 0, NULL };
    fwd = ns_conv_scratch_floats (conv, h, w, &opts);
  }
  if (conv->k == 1)
    back = 1;
  else if (ns_conv2d_backward_banded (conv, h, w, n_threads))
    back = (size_t) n_threads * per_row *
           (size_t) backward_band_rows (conv, h, w);
  else
    back = per_row * (size_t) backward_whole_rows (conv, h, w);
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
ns_conv2d_backward (const ns_conv *conv, const float *y, float *gout, int h,
                    int w, float *gin, float *work, int n_threads)
{
  size_t hw = (size_t) h * (size_t) w;
  int band, n_bands, kk, phase;
  size_t per;

  if (n_threads < 1)
    n_threads = 1;
  if (!ns_conv2d_backward_banded (conv, h, w, n_threads))
    {
      /* Few bands: mask, then large sequential bands with OpenBLAS
         threading each sgemm and col2im parallel over channels. */
      int co, y0;
      kk = conv->cin * 9;
      if (y)
        {
#pragma omp parallel for num_threads(n_threads) \
    schedule(static) if ((size_t) conv->cout * hw >= NS_CONVB_PAR_MIN)
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
      band = backward_whole_rows (conv, h, w);
      for (y0 = 0; y0 < h; y0 += band)
        {
          int y1 = y0 + band < h ? y0 + band : h;
          int bw = (y1 - y0) * w, ci;
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, kk, bw,
                       conv->cout, 1.0f, conv->weight, kk,
                       gout + (size_t) y0 * w, (int) hw, 0.0f, work, bw);
#pragma omp parallel for num_threads(n_threads) \
    schedule(static) if ((size_t) conv->cin * bw >= NS_CONVB_PAR_MIN)
          for (ci = 0; ci < conv->cin; ci++)
            col2im (work + (size_t) ci * 9 * bw, 1, h, w, y0, y1,
                    gin + (size_t) ci * hw);
        }
      return;
    }
  if (conv->k == 1)
    {
      int n_chunks = (int) ((hw + NS_CONVB_CHUNK - 1) / NS_CONVB_CHUNK), c;
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
      for (c = 0; c < n_chunks; c++)
        {
          size_t p0 = (size_t) c * NS_CONVB_CHUNK;
          size_t p1 = p0 + NS_CONVB_CHUNK < hw ? p0 + NS_CONVB_CHUNK : hw;
          relu_mask (y, gout, conv->cout, hw, p0, p1);
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, conv->cin,
                       (int) (p1 - p0), conv->cout, 1.0f, conv->weight,
                       conv->cin, gout + p0, (int) hw, 0.0f, gin + p0,
                       (int) hw);
        }
      return;
    }

  memset (gin, 0, sizeof (float) * (size_t) conv->cin * hw);
  band = backward_band_rows (conv, h, w);
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
