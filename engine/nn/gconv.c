/* Grouped convolution with reflection padding k/2, stride 1 or 2 (see
 * nn-microast.h).  MicroAST's grouped layers have one or two input
 * channels per group: a direct loop per output row is cheaper than any
 * unfolding, and the inner loop over x vectorises. */
#include "nn-microast.h"

#include "nn.h"

#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

void
ns_gconv_out_size (const ns_gconv *g, int h, int w, int *oh, int *ow)
{
  int p = g->k / 2, s = g->stride > 1 ? g->stride : 1;
  if (oh)
    *oh = (h + 2 * p - g->k) / s + 1;
  if (ow)
    *ow = (w + 2 * p - g->k) / s + 1;
}

ns_status
ns_gconv_check (const ns_gconv *g, int cin, int h, int w, ns_error *err)
{
  if (!g || !g->weight)
    return ns_fail (err, NS_ERR_INVALID_ARG, "grouped conv: no weights");
  if (g->groups < 1 || g->cin < 1 || g->cout < 1 || g->cin % g->groups ||
      g->cout % g->groups)
    return ns_fail (err, NS_ERR_SHAPE,
                    "grouped conv: %d -> %d channels cannot form %d groups",
                    g->cin, g->cout, g->groups);
  if (g->k < 1 || g->k > 9 || !(g->k & 1) || g->stride < 1 || g->stride > 2)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "grouped conv: kernel %d stride %d unsupported", g->k,
                    g->stride);
  if (cin != g->cin)
    return ns_fail (err, NS_ERR_SHAPE,
                    "grouped conv: input has %d channels, expected %d", cin,
                    g->cin);
  /* Reflection padding needs a side longer than the padding. */
  if (h <= g->k / 2 || w <= g->k / 2)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "grouped conv: %dx%d input too small for a %dx%d kernel", w,
                    h, g->k, g->k);
  return NS_OK;
}

double
ns_gconv_flops (const ns_gconv *g, int h, int w)
{
  int oh, ow;
  ns_gconv_out_size (g, h, w, &oh, &ow);
  return 2.0 * g->cout * (double) (g->cin / g->groups) * g->k * g->k *
         (double) oh * (double) ow;
}

/* OUT_ROW[x] += WV * ROW[x * S + KX - P] for x in [0, OW), reflecting at
 * the borders. */
static inline void
row_tap (float *restrict orow, const float *restrict row, int w, int ow, int s,
         int kx, int p, float wv)
{
  int lo = 0, hi = ow;
  /* Interior: 0 <= x*s + kx - p < w. */
  while (lo < ow && lo * s + kx - p < 0)
    lo++;
  while (hi > lo && (hi - 1) * s + kx - p >= w)
    hi--;
  for (int x = 0; x < lo; x++)
    orow[x] += wv * row[ns_reflect_index (x * s + kx - p, w)];
  if (s == 1)
    {
      const float *r = row + kx - p;
      for (int x = lo; x < hi; x++)
        orow[x] += wv * r[x];
    }
  else
    {
      const float *r = row + kx - p;
      for (int x = lo; x < hi; x++)
        orow[x] += wv * r[2 * x];
    }
  for (int x = hi; x < ow; x++)
    orow[x] += wv * row[ns_reflect_index (x * s + kx - p, w)];
}

void
ns_gconv_into (const ns_gconv *g, const float *in, int h, int w, float *out,
               int n_threads)
{
  const int gi = g->cin / g->groups, go = g->cout / g->groups;
  const int k = g->k, p = k / 2, s = g->stride;
  int oh, ow;
  const int nt = ns_threads_resolve (n_threads);

  ns_gconv_out_size (g, h, w, &oh, &ow);
#pragma omp parallel for collapse(2) schedule(static) num_threads(nt)
  for (int co = 0; co < g->cout; co++)
    for (int y = 0; y < oh; y++)
      {
        const int grp = co / go;
        const float *wk = g->weight + (size_t) co * gi * k * k;
        float *orow = out + ((size_t) co * oh + y) * ow;
        const float b = g->bias ? g->bias[co] : 0.0f;
        for (int x = 0; x < ow; x++)
          orow[x] = b;
        for (int j = 0; j < gi; j++)
          {
            const float *plane = in + (size_t) (grp * gi + j) * h * w;
            for (int ky = 0; ky < k; ky++)
              {
                const float *row =
                    plane + (size_t) ns_reflect_index (y * s + ky - p, h) * w;
                for (int kx = 0; kx < k; kx++)
                  row_tap (orow, row, w, ow, s, kx, p,
                           wk[((size_t) j * k + ky) * k + kx]);
              }
          }
        if (g->relu)
          for (int x = 0; x < ow; x++)
            orow[x] = orow[x] > 0.0f ? orow[x] : 0.0f;
      }
}

void
ns_gconv_ref (const ns_gconv *g, const float *in, int h, int w, float *out)
{
  const int gi = g->cin / g->groups, go = g->cout / g->groups;
  const int k = g->k, p = k / 2, s = g->stride, ph = h + 2 * p, pw = w + 2 * p;
  int oh, ow;
  ns_gconv_out_size (g, h, w, &oh, &ow);

  /* Explicit padding, as ReflectionPad2d followed by Conv2d. */
  float *pad = ns_alloc (sizeof (float) * (size_t) g->cin * ph * pw);
  if (!pad)
    return;
  for (int c = 0; c < g->cin; c++)
    for (int y = 0; y < ph; y++)
      for (int x = 0; x < pw; x++)
        pad[((size_t) c * ph + y) * pw + x] =
            in[((size_t) c * h + ns_reflect_index (y - p, h)) * w +
               ns_reflect_index (x - p, w)];
  for (int co = 0; co < g->cout; co++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        {
          double acc = g->bias ? g->bias[co] : 0.0;
          for (int j = 0; j < gi; j++)
            for (int ky = 0; ky < k; ky++)
              for (int kx = 0; kx < k; kx++)
                acc +=
                    (double)
                        g->weight[(((size_t) co * gi + j) * k + ky) * k + kx] *
                    pad[((size_t) ((co / go) * gi + j) * ph + y * s + ky) * pw +
                        x * s + kx];
          if (g->relu && acc < 0.0)
            acc = 0.0;
          out[((size_t) co * oh + y) * ow + x] = (float) acc;
        }
  ns_free (pad);
}

ns_status
ns_gconv_up2_into (const ns_gconv *g, const float *in, int h, int w, float *out,
                   int n_threads, ns_error *err)
{
  const int H = 2 * h, W = 2 * w;
  const int gi = g->cin / g->groups, go = g->cout / g->groups;
  const int k = g->k, p = k / 2;
  const int nt = ns_threads_resolve (n_threads);
  const size_t per = (size_t) gi * k * W;
  int *xi = ns_alloc (sizeof (int) * 2 * (size_t) W);
  float *xl = ns_alloc (sizeof (float) * 2 * (size_t) W);
  float *rows = ns_alloc (sizeof (float) * per * (size_t) nt);

  if (!xi || !xl || !rows)
    {
      ns_free (xi);
      ns_free (xl);
      ns_free (rows);
      return ns_fail (err, NS_ERR_NOMEM, "upsampling conv: out of memory");
    }
  ns_bilinear2x_xtaps (w, xi, xl);
#pragma omp parallel num_threads(nt)
  {
    int tid = 0;
#ifdef _OPENMP
    tid = omp_get_thread_num ();
#endif
    float *mine = rows + per * (size_t) tid;
#pragma omp for collapse(2) schedule(static)
    for (int grp = 0; grp < g->groups; grp++)
      for (int y = 0; y < H; y++)
        {
          /* The upsampled rows y - p .. y + p (reflected) of the group's
             input channels. */
          for (int j = 0; j < gi; j++)
            for (int ky = 0; ky < k; ky++)
              ns_bilinear2x_row (in + (size_t) (grp * gi + j) * h * w, h, w,
                                 ns_reflect_index (y + ky - p, H), xi, xl,
                                 mine + ((size_t) j * k + ky) * W);
          for (int o = 0; o < go; o++)
            {
              const int co = grp * go + o;
              const float *wk = g->weight + (size_t) co * gi * k * k;
              float *orow = out + ((size_t) co * H + y) * W;
              const float b = g->bias ? g->bias[co] : 0.0f;
              for (int x = 0; x < W; x++)
                orow[x] = b;
              for (int j = 0; j < gi; j++)
                for (int ky = 0; ky < k; ky++)
                  for (int kx = 0; kx < k; kx++)
                    row_tap (orow, mine + ((size_t) j * k + ky) * W, W, W, 1,
                             kx, p, wk[((size_t) j * k + ky) * k + kx]);
              if (g->relu)
                for (int x = 0; x < W; x++)
                  orow[x] = orow[x] > 0.0f ? orow[x] : 0.0f;
            }
        }
  }
  ns_free (xi);
  ns_free (xl);
  ns_free (rows);
  return NS_OK;
}
