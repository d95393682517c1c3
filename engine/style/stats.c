/* Feature statistics (mean, centred second moments) and per-pixel affine
 * feature maps, in double. */
#include "style.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Pixels per block when accumulating: bounds the double scratch buffer
 * (C x BLOCK) while keeping dsyrk efficient. */
#define STATS_BLOCK 8192

ns_status
ns_fstats_init (ns_stats *s, int c, ns_error *err)
{
  memset (s, 0, sizeof *s);
  if (c <= 0 || c > 4096)
    return ns_fail (err, NS_ERR_INVALID_ARG, "stats: bad channel count %d", c);
  s->c = c;
  s->mean = calloc ((size_t) c, sizeof *s->mean);
  s->m2 = calloc ((size_t) c * (size_t) c, sizeof *s->m2);
  if (!s->mean || !s->m2)
    {
      ns_fstats_clear (s);
      return ns_fail (err, NS_ERR_NOMEM, "stats: out of memory");
    }
  return NS_OK;
}

void
ns_fstats_clear (ns_stats *s)
{
  if (!s)
    return;
  free (s->mean);
  free (s->m2);
  s->mean = s->m2 = NULL;
  s->n = 0;
  s->c = 0;
}

/* Mean and centred M2 of pixels [P0, P0+NB) of the region (raster order),
 * with BUF (c x NB doubles) as scratch. */
static void
block_stats (const ns_tensor *f, int x0, int y0, int w, size_t p0, size_t nb,
             double *buf, double *bmean, double *bm2)
{
  const int c = f->c;
  const size_t plane = (size_t) f->h * (size_t) f->w;
  for (int ch = 0; ch < c; ch++)
    {
      const float *src = f->data + (size_t) ch * plane;
      double *dst = buf + (size_t) ch * nb;
      double sum = 0.0;
      int yy = y0 + (int) (p0 / (size_t) w);
      int xx = x0 + (int) (p0 % (size_t) w);
      const float *row = src + (size_t) yy * f->w;
      for (size_t k = 0; k < nb; k++)
        {
          dst[k] = row[xx];
          sum += dst[k];
          if (++xx == x0 + w)
            {
              xx = x0;
              row += f->w;
            }
        }
      bmean[ch] = sum / (double) nb;
      for (size_t k = 0; k < nb; k++)
        dst[k] -= bmean[ch];
    }
  cblas_dsyrk (CblasRowMajor, CblasUpper, CblasNoTrans, c, (int) nb, 1.0, buf,
               (int) nb, 0.0, bm2, c);
  for (int i = 0; i < c; i++)
    for (int j = 0; j < i; j++)
      bm2[(size_t) i * c + j] = bm2[(size_t) j * c + i];
}

/* Chan et al.: merges (NB, BMEAN, BM2) into S. */
static void
merge_block (ns_stats *s, double nb, const double *bmean, const double *bm2)
{
  const int c = s->c;
  double na = s->n, ntot = na + nb, fb = na * nb / ntot;
  for (int i = 0; i < c; i++)
    {
      double di = bmean[i] - s->mean[i];
      for (int j = 0; j < c; j++)
        {
          double dj = bmean[j] - s->mean[j];
          s->m2[(size_t) i * c + j] += bm2[(size_t) i * c + j] + di * dj * fb;
        }
    }
  for (int i = 0; i < c; i++)
    s->mean[i] += (bmean[i] - s->mean[i]) * (nb / ntot);
  s->n = ntot;
}

ns_status
ns_fstats_add (ns_stats *s, const ns_tensor *f, int x0, int y0, int w, int h,
               int n_threads, ns_error *err)
{
  const int c = s->c;
  size_t npix, nblocks, cc;
  double *buf, *bmean, *bm2;
  int nt, saved;

  if (f->c != c)
    return ns_fail (err, NS_ERR_SHAPE, "stats: %d channels, expected %d", f->c,
                    c);
  if (w <= 0 || h <= 0 || x0 < 0 || y0 < 0 || x0 + w > f->w || y0 + h > f->h)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "stats: region %dx%d+%d+%d outside %dx%d features", w, h,
                    x0, y0, f->w, f->h);
  npix = (size_t) w * (size_t) h;
  nblocks = (npix + STATS_BLOCK - 1) / STATS_BLOCK;
  nt = ns_threads_resolve (n_threads);
  if ((size_t) nt > nblocks)
    nt = (int) nblocks;
  cc = (size_t) c * (size_t) c;
  buf = ns_alloc (sizeof *buf * (size_t) c * STATS_BLOCK * (size_t) nt);
  bmean = malloc (sizeof *bmean * (size_t) c * (size_t) nt);
  bm2 = malloc (sizeof *bm2 * cc * (size_t) nt);
  if (!buf || !bmean || !bm2)
    {
      ns_free (buf);
      free (bmean);
      free (bm2);
      return ns_fail (err, NS_ERR_NOMEM, "stats: out of memory");
    }

  /* Blocks in rounds of NT, one per thread, merged in block order so the
   * result is the same for any thread count. */
  saved = ns_blas_serial_begin ();
  for (size_t b0 = 0; b0 < nblocks; b0 += (size_t) nt)
    {
      int nr = nblocks - b0 < (size_t) nt ? (int) (nblocks - b0) : nt;
#pragma omp parallel for schedule(static, 1) num_threads(nr)
      for (int t = 0; t < nr; t++)
        {
          size_t p0 = (b0 + (size_t) t) * STATS_BLOCK;
          size_t nb = npix - p0 < STATS_BLOCK ? npix - p0 : STATS_BLOCK;
          block_stats (f, x0, y0, w, p0, nb, buf + (size_t) t * c * STATS_BLOCK,
                       bmean + (size_t) t * c, bm2 + (size_t) t * cc);
        }
      for (int t = 0; t < nr; t++)
        {
          size_t p0 = (b0 + (size_t) t) * STATS_BLOCK;
          size_t nb = npix - p0 < STATS_BLOCK ? npix - p0 : STATS_BLOCK;
          merge_block (s, (double) nb, bmean + (size_t) t * c,
                       bm2 + (size_t) t * cc);
        }
    }
  ns_blas_serial_end (saved);
  ns_free (buf);
  free (bmean);
  free (bm2);
  return NS_OK;
}

/* ------------------------------------------------------------ affine */

ns_status
ns_affine_init (ns_affine *m, int c, bool diag, ns_error *err)
{
  size_t na = diag ? (size_t) c : (size_t) c * (size_t) c;
  m->c = c;
  m->diag = diag;
  m->a = calloc (na, sizeof *m->a);
  m->b = calloc ((size_t) c, sizeof *m->b);
  if (!m->a || !m->b)
    {
      ns_affine_clear (m);
      return ns_fail (err, NS_ERR_NOMEM, "affine map: out of memory");
    }
  return NS_OK;
}

void
ns_affine_clear (ns_affine *m)
{
  if (!m)
    return;
  free (m->a);
  free (m->b);
  m->a = m->b = NULL;
  m->c = 0;
}

void
ns_affine_scale_add_identity (ns_affine *m, double s, double t)
{
  const int c = m->c;
  if (m->diag)
    for (int i = 0; i < c; i++)
      m->a[i] = m->a[i] * s + t;
  else
    for (int i = 0; i < c; i++)
      for (int j = 0; j < c; j++)
        m->a[(size_t) i * c + j] = m->a[(size_t) i * c + j] * s +
                                   (i == j ? t : 0.0);
  for (int i = 0; i < c; i++)
    m->b[i] *= s;
}

void
ns_affine_accumulate (ns_affine *dst, const ns_affine *src, double w)
{
  const int c = dst->c;
  if (dst->diag || src->diag)
    {
      for (int i = 0; i < c; i++)
        {
          size_t di = dst->diag ? (size_t) i : (size_t) i * c + i;
          if (src->diag)
            dst->a[di] += w * src->a[i];
          else
            dst->a[di] += w * src->a[(size_t) i * c + i];
        }
      /* A full SRC into a diagonal DST would drop terms: not used. */
    }
  else
    for (size_t k = 0; k < (size_t) c * c; k++)
      dst->a[k] += w * src->a[k];
  for (int i = 0; i < c; i++)
    dst->b[i] += w * src->b[i];
}

ns_status
ns_affine_apply (const ns_affine *m, const ns_tensor *in, ns_tensor *out,
                 int n_threads, ns_error *err)
{
  const int c = m->c;
  const size_t plane = (size_t) in->h * (size_t) in->w;
  ns_status st;

  if (in->c != c)
    return ns_fail (err, NS_ERR_SHAPE, "affine map: %d channels, expected %d",
                    in->c, c);
  st = ns_tensor_alloc (out, in->c, in->h, in->w, err);
  if (st != NS_OK)
    return st;
  if (n_threads < 1)
    n_threads = 1;

  if (m->diag)
    {
#pragma omp parallel for schedule(static) num_threads(n_threads)
      for (int ch = 0; ch < c; ch++)
        {
          const float *src = in->data + (size_t) ch * plane;
          float *dst = out->data + (size_t) ch * plane;
          double a = m->a[ch], b = m->b[ch];
          for (size_t k = 0; k < plane; k++)
            dst[k] = (float) (a * src[k] + b);
        }
      return NS_OK;
    }

  /* Full map in double, in column blocks (bounded scratch), blocks spread
   * over our threads with single-threaded BLAS inside. */
  {
    const size_t block = 2048;
    const size_t nblocks = (plane + block - 1) / block;
    int nt = n_threads < (int) nblocks ? n_threads : (int) nblocks;
    double *din, *dout;
    int saved;

    if (nt < 1)
      nt = 1;
    din = ns_alloc (sizeof *din * (size_t) c * block * (size_t) nt);
    dout = ns_alloc (sizeof *dout * (size_t) c * block * (size_t) nt);
    if (!din || !dout)
      {
        ns_free (din);
        ns_free (dout);
        ns_tensor_free (out);
        return ns_fail (err, NS_ERR_NOMEM, "affine map: out of memory");
      }
    saved = ns_blas_serial_begin ();
#pragma omp parallel for schedule(static) num_threads(nt)
    for (size_t bi = 0; bi < nblocks; bi++)
      {
#ifdef _OPENMP
        size_t t = (size_t) omp_get_thread_num ();
#else
        size_t t = 0;
#endif
        double *di = din + t * (size_t) c * block;
        double *dd = dout + t * (size_t) c * block;
        size_t p0 = bi * block;
        size_t nb = plane - p0 < block ? plane - p0 : block;
        for (int ch = 0; ch < c; ch++)
          {
            const float *src = in->data + (size_t) ch * plane + p0;
            double *d = di + (size_t) ch * nb;
            for (size_t k = 0; k < nb; k++)
              d[k] = src[k];
          }
        /* DD (c x nb) = A (c x c) DI (c x nb). */
        cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, c, (int) nb, c,
                     1.0, m->a, c, di, (int) nb, 0.0, dd, (int) nb);
        for (int ch = 0; ch < c; ch++)
          {
            float *dst = out->data + (size_t) ch * plane + p0;
            const double *d = dd + (size_t) ch * nb;
            double b = m->b[ch];
            for (size_t k = 0; k < nb; k++)
              dst[k] = (float) (d[k] + b);
          }
      }
    ns_blas_serial_end (saved);
    ns_free (din);
    ns_free (dout);
  }
  return NS_OK;
}
