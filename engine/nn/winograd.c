/* 3x3 stride-1 convolutions by Winograd's minimal filtering, F(4x4, 3x3)
 * (Lavin & Gray 2016): each 4x4 output tile costs 36 multiplications per
 * input/output channel pair instead of 144, so the wide layers that
 * dominate VGG-19 and the fast styles' residual blocks do a quarter of
 * the multiply-adds.  oneDNN's Winograd kernels need AVX-512 (and none
 * is chosen by default), so this one is ours, on oneDNN's layout:
 *
 *   V[xi][t][ci] = (B^T d B)[xi]  for each 6x6 input patch d of tile t,
 *   U[xi][ci][co] = (G g G^T)[xi] once per model (weight cache, dnnl.c),
 *   M[xi] = V[xi] U[xi]           36 sgemms per band of tiles (OpenBLAS),
 *   y = A^T M A + bias (ReLU)     for each tile's 4x4 outputs.
 *
 * Activations are in oneDNN's channel-blocked layout (BLK lanes of
 * consecutive channels per pixel, channels padded with zero lanes to a
 * multiple of BLK), so the transforms work on whole vectors of channels.
 * The transforms are compiled for AVX2+FMA and AVX-512 beside the
 * baseline and chosen at run time.  The naive reference is conv2d_ref.c;
 * tests/engine-nn/test-winograd.c compares the two. */
#include "nn.h"

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define NT 36 /* transformed tile: 6x6 */

bool
ns_wino_fits (const ns_conv *conv)
{
  return conv->k == 3 && ns_conv_stride (conv) == 1 &&
         !ns_conv_depthwise (conv) && conv->cin >= NS_WINO_MIN_CHANNELS &&
         conv->cout >= NS_WINO_MIN_CHANNELS;
}

static int
round_up (int c, int blk)
{
  return (c + blk - 1) / blk * blk;
}

size_t
ns_wino_weights_floats (const ns_conv *conv, int blk)
{
  return (size_t) NT * (size_t) round_up (conv->cin, blk) *
         (size_t) round_up (conv->cout, blk);
}

/* U = G g G^T in double (the weights are transformed once), G:
 *   [ 1/4     0     0  ]
 *   [ -1/6  -1/6  -1/6 ]
 *   [ -1/6   1/6  -1/6 ]
 *   [ 1/24  1/12   1/6 ]
 *   [ 1/24 -1/12   1/6 ]
 *   [ 0       0     1  ] */
void
ns_wino_weights_make (const ns_conv *conv, int blk, float *u)
{
  static const double G[6][3] = {
    { 1.0 / 4, 0, 0 },
    { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
    { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
    { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
    { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
    { 0, 0, 1 },
  };
  const int cinp = round_up (conv->cin, blk),
            coutp = round_up (conv->cout, blk);

  memset (u, 0, ns_wino_weights_floats (conv, blk) * sizeof (float));
  /* Output channels innermost: each of the 36 rows is written in order. */
  for (int ci = 0; ci < conv->cin; ci++)
    for (int co = 0; co < conv->cout; co++)
      {
        const float *g = conv->weight + ((size_t) co * conv->cin + ci) * 9;
        double t[6][3];
        for (int i = 0; i < 6; i++)
          for (int j = 0; j < 3; j++)
            t[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
        for (int i = 0; i < 6; i++)
          for (int j = 0; j < 6; j++)
            u[((size_t) (i * 6 + j) * cinp + ci) * coutp + co] =
                (float) (t[i][0] * G[j][0] + t[i][1] * G[j][1] +
                         t[i][2] * G[j][2]);
      }
}

/* The geometry of one call. */
typedef struct
{
  const float *in;
  float *out;
  const float *bias;
  int blk, nbi, nbo, cout, ih, iw, zp, oh, ow, tw;
  bool relu;
} wgeom;

/* The transforms work on vectors of BLK lanes (GCC's vector extension:
 * one instruction per lane group on the ISA each clone is compiled for;
 * memcpy loads and stores, as activations are only float-aligned). */
typedef float v8 __attribute__ ((vector_size (32)));
typedef float v16 __attribute__ ((vector_size (64)));
typedef int v8i __attribute__ ((vector_size (32)));
typedef int v16i __attribute__ ((vector_size (64)));

/* (B^T d)[0..5] from D[0..5].  B^T:
 *   [ 4  0 -5  0  1  0 ]
 *   [ 0 -4 -4  1  1  0 ]
 *   [ 0  4 -4 -1  1  0 ]
 *   [ 0 -2 -1  2  1  0 ]
 *   [ 0  2 -1 -2  1  0 ]
 *   [ 0  4  0 -5  0  1 ] */
#define BT(D, S)                                            \
  do                                                        \
    {                                                       \
      (S)[0] = 4.0f * (D)[0] - 5.0f * (D)[2] + (D)[4];      \
      (S)[1] = -4.0f * ((D)[1] + (D)[2]) + (D)[3] + (D)[4]; \
      (S)[2] = 4.0f * ((D)[1] - (D)[2]) - (D)[3] + (D)[4];  \
      (S)[3] = 2.0f * ((D)[3] - (D)[1]) - (D)[2] + (D)[4];  \
      (S)[4] = 2.0f * ((D)[1] - (D)[3]) - (D)[2] + (D)[4];  \
      (S)[5] = 4.0f * (D)[1] - 5.0f * (D)[3] + (D)[5];      \
    }                                                       \
  while (0)

/* (A^T m)[0..3] from M[0..5].  A^T:
 *   [ 1  1  1  1  1  0 ]
 *   [ 0  1 -1  2 -2  0 ]
 *   [ 0  1  1  4  4  0 ]
 *   [ 0  1 -1  8 -8  1 ] */
#define AT(VT, M, R)                                       \
  do                                                       \
    {                                                      \
      const VT pa = (M)[1] + (M)[2], pb = (M)[1] - (M)[2]; \
      const VT pc = (M)[3] + (M)[4], pd = (M)[3] - (M)[4]; \
      (R)[0] = (M)[0] + pa + pc;                           \
      (R)[1] = pb + 2.0f * pd;                             \
      (R)[2] = pa + 4.0f * pc;                             \
      (R)[3] = pb + 8.0f * pd + (M)[5];                    \
    }                                                      \
  while (0)

/* Input transform of tiles [T0, T1) into V ([36][T1-T0][NBI*BLK]). */
#define INPUT_BODY(VT, BLK)                                                   \
  {                                                                           \
    const int cinp = g->nbi * (BLK);                                          \
    const size_t vs = (size_t) (t1 - t0) * (size_t) cinp;                     \
    VT zero, d[6][6], s[6][6], col[6], res[6];                                \
    memset (&zero, 0, sizeof zero);                                           \
    for (int t = t0; t < t1; t++)                                             \
      {                                                                       \
        const int y0 = (t / g->tw) * 4 - g->zp, x0 = (t % g->tw) * 4 - g->zp; \
        const bool inside = y0 >= 0 && x0 >= 0 && y0 + 6 <= g->ih &&          \
                            x0 + 6 <= g->iw;                                  \
        for (int b = 0; b < g->nbi; b++)                                      \
          {                                                                   \
            const float *src = g->in + (size_t) b * g->ih * g->iw * (BLK);    \
            float *v = V + (size_t) (t - t0) * cinp + (size_t) b * (BLK);     \
            for (int i = 0; i < 6; i++)                                       \
              for (int j = 0; j < 6; j++)                                     \
                {                                                             \
                  const int y = y0 + i, x = x0 + j;                           \
                  if (inside || (y >= 0 && y < g->ih && x >= 0 && x < g->iw)) \
                    memcpy (&d[i][j], src + ((size_t) y * g->iw + x) * (BLK), \
                            sizeof (VT));                                     \
                  else                                                        \
                    d[i][j] = zero;                                           \
                }                                                             \
            /* Each row, then each column: xi = k * 6 + j. */                 \
            for (int i = 0; i < 6; i++)                                       \
              BT (d[i], s[i]);                                                \
            for (int j = 0; j < 6; j++)                                       \
              {                                                               \
                for (int i = 0; i < 6; i++)                                   \
                  col[i] = s[i][j];                                           \
                BT (col, res);                                                \
                for (int k = 0; k < 6; k++)                                   \
                  memcpy (v + (size_t) (k * 6 + j) * vs, &res[k],             \
                          sizeof (VT));                                       \
              }                                                               \
          }                                                                   \
      }                                                                       \
  }

/* Output transform of tiles [T0, T1) from M ([36][T1-T0][NBO*BLK]). */
#define OUTPUT_BODY(VT, VI, BLK)                                               \
  {                                                                            \
    const int coutp = g->nbo * (BLK);                                          \
    const size_t ms = (size_t) (t1 - t0) * (size_t) coutp;                     \
    VT zero, m[6], r[4][6], y[4], bias;                                        \
    memset (&zero, 0, sizeof zero);                                            \
    bias = zero;                                                               \
    for (int t = t0; t < t1; t++)                                              \
      {                                                                        \
        const int oy = (t / g->tw) * 4, ox = (t % g->tw) * 4;                  \
        const int ny = g->oh - oy < 4 ? g->oh - oy : 4;                        \
        const int nx = g->ow - ox < 4 ? g->ow - ox : 4;                        \
        for (int b = 0; b < g->nbo; b++)                                       \
          {                                                                    \
            const float *mt = M + (size_t) (t - t0) * coutp +                  \
                              (size_t) b * (BLK);                              \
            float *dst = g->out + (size_t) b * g->oh * g->ow * (BLK);          \
            for (int l = 0; l < (BLK); l++)                                    \
              {                                                                \
                const int co = b * (BLK) + l;                                  \
                bias[l] = g->bias && co < g->cout ? g->bias[co] : 0.0f;        \
              }                                                                \
            /* Each column (xi = i * 6 + j over i), then each row. */          \
            for (int j = 0; j < 6; j++)                                        \
              {                                                                \
                VT c4[4];                                                      \
                for (int i = 0; i < 6; i++)                                    \
                  memcpy (&m[i], mt + (size_t) (i * 6 + j) * ms, sizeof (VT)); \
                AT (VT, m, c4);                                                \
                for (int k = 0; k < 4; k++)                                    \
                  r[k][j] = c4[k];                                             \
              }                                                                \
            for (int i = 0; i < ny; i++)                                       \
              {                                                                \
                AT (VT, r[i], y);                                              \
                for (int j = 0; j < nx; j++)                                   \
                  {                                                            \
                    VT o = y[j] + bias;                                        \
                    if (g->relu)                                               \
                      o = (VT) ((VI) o & (o > zero));                          \
                    memcpy (dst + ((size_t) (oy + i) * g->ow + (ox + j)) *     \
                                      (BLK),                                   \
                            &o, sizeof (VT));                                  \
                  }                                                            \
              }                                                                \
          }                                                                    \
      }                                                                        \
  }

/* One function per (ISA, block). */
#define DEFINE_TRANSFORMS(SUFFIX, ATTR, VT, VI, BLK)                         \
  ATTR static void input_##SUFFIX (const wgeom *g, int t0, int t1, float *V) \
      INPUT_BODY (VT, BLK)                                                   \
          ATTR static void output_##SUFFIX (const wgeom *g, int t0, int t1,  \
                                            const float *M)                  \
              OUTPUT_BODY (VT, VI, BLK)

DEFINE_TRANSFORMS (b8, , v8, v8i, 8)
DEFINE_TRANSFORMS (b16, , v16, v16i, 16)
#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_ISA_CLONES 1
DEFINE_TRANSFORMS (avx2_b8, __attribute__ ((target ("avx2,fma"))), v8, v8i, 8)
DEFINE_TRANSFORMS (avx2_b16, __attribute__ ((target ("avx2,fma"))), v16, v16i,
                   16)
DEFINE_TRANSFORMS (avx512_b16, __attribute__ ((target ("avx512f,fma"))), v16,
                   v16i, 16)
#endif

typedef void (*input_fn) (const wgeom *, int, int, float *);
typedef void (*output_fn) (const wgeom *, int, int, const float *);

static void
pick (int blk, input_fn *in, output_fn *out)
{
#ifdef HAVE_ISA_CLONES
  if (blk == 16 && __builtin_cpu_supports ("avx512f"))
    {
      *in = input_avx512_b16, *out = output_avx512_b16;
      return;
    }
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    {
      *in = blk == 16 ? input_avx2_b16 : input_avx2_b8;
      *out = blk == 16 ? output_avx2_b16 : output_avx2_b8;
      return;
    }
#endif
  *in = blk == 16 ? input_b16 : input_b8;
  *out = blk == 16 ? output_b16 : output_b8;
}

/* Tiles per band: V and M of a band (36 x tiles x channels each) within
   about 4 MiB per thread, the sgemms' rows at least 32 (16 when that
   gives every thread two bands), at most 512. */
static int
band_tiles (int cinp, int coutp, int n_tiles, int nt)
{
  const size_t per_tile = (size_t) NT * (size_t) (cinp + coutp) *
                          sizeof (float);
  const size_t share = ((size_t) n_tiles + 2 * (size_t) nt - 1) /
                       (2 * (size_t) nt);
  size_t t = ((size_t) 4 << 20) / per_tile;
  if (t < 32)
    t = 32;
  if (t > 512)
    t = 512;
  if (t > share)
    t = share < 16 ? 16 : share;
  return t > (size_t) n_tiles ? n_tiles : (int) t;
}

size_t
ns_wino_scratch_floats (const ns_conv *conv, int oh, int ow, int n_threads)
{
  /* The widest block (16) bounds the channel rounding of both ISAs. */
  const int cinp = round_up (conv->cin, 16), coutp = round_up (conv->cout, 16);
  const int n_tiles = ((oh + 3) / 4) * ((ow + 3) / 4);
  const int nt = ns_threads_resolve (n_threads);
  const int band = band_tiles (cinp, coutp, n_tiles > 0 ? n_tiles : 1, nt);
  return (size_t) NT * (size_t) band * (size_t) (cinp + coutp) * (size_t) nt;
}

ns_status
ns_wino_conv (const ns_conv *conv, const float *u, const float *in, int ih,
              int iw, int zp, int blk, float *out, int n_threads, ns_error *err)
{
  const int cinp = round_up (conv->cin, blk),
            coutp = round_up (conv->cout, blk);
  wgeom g = { .in = in,
              .out = out,
              .bias = conv->bias,
              .blk = blk,
              .nbi = cinp / blk,
              .nbo = coutp / blk,
              .cout = conv->cout,
              .ih = ih,
              .iw = iw,
              .zp = zp,
              .oh = ih + 2 * zp - 2,
              .ow = iw + 2 * zp - 2,
              .relu = conv->relu };
  input_fn fin;
  output_fn fout;
  int n_tiles, band, n_bands, nt, saved;
  float *scratch;
  size_t per_thread;

  if ((blk != 8 && blk != 16) || !ns_wino_fits (conv) || g.oh < 1 || g.ow < 1)
    return ns_fail (err, NS_ERR_INTERNAL,
                    "winograd: not a 3x3 stride-1 convolution on blocks");
  g.tw = (g.ow + 3) / 4;
  n_tiles = ((g.oh + 3) / 4) * g.tw;
  nt = ns_threads_resolve (n_threads);
  band = band_tiles (cinp, coutp, n_tiles, nt);
  n_bands = (n_tiles + band - 1) / band;
  if (nt > n_bands)
    nt = n_bands;
  per_thread = (size_t) NT * (size_t) band * (size_t) (cinp + coutp);
  if (!(scratch = ns_alloc (per_thread * (size_t) nt * sizeof (float))))
    return ns_fail (err, NS_ERR_NOMEM, "out of memory for a %.1f MiB band",
                    (double) (per_thread * sizeof (float)) / (1 << 20));
  pick (blk, &fin, &fout);
  /* One thread's sgemms must not fork OpenBLAS's own threads (outside an
     active parallel region it would, and its fork/join dwarfs these
     products). */
  saved = ns_blas_serial_begin ();

  /* Each thread runs whole bands: transform, 36 single-threaded sgemms
     (OpenBLAS's OpenMP build runs single-threaded inside our region),
     inverse transform; the band stays in its core's cache. */
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    float *V = scratch + per_thread * (size_t) omp_get_thread_num ();
    float *M = V + (size_t) NT * (size_t) band * (size_t) cinp;
#pragma omp for schedule(dynamic, 1)
    for (int bi = 0; bi < n_bands; bi++)
      {
        const int t0 = bi * band;
        const int t1 = t0 + band < n_tiles ? t0 + band : n_tiles;
        const int n = t1 - t0;
        fin (&g, t0, t1, V);
        for (int xi = 0; xi < NT; xi++)
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, coutp,
                       cinp, 1.0f, V + (size_t) xi * n * cinp, cinp,
                       u + (size_t) xi * cinp * coutp, coutp, 0.0f,
                       M + (size_t) xi * n * coutp, coutp);
        fout (&g, t0, t1, M);
      }
  }
  ns_blas_serial_end (saved);
  ns_free (scratch);
  return NS_OK;
}
