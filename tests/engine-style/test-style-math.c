/* Unit tests of the stylization math, without models: AdaIN and WCT
 * against straightforward double references, the LAPACK eigensolver
 * against Jacobi, statistics merging, colour preservation, method names. */
#include "style/style.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 12345;

static double
urand (void)
{
  float x;
  tu_fill_random (&x, 1, 0.0f, 1.0f, &rng);
  return x;
}

/* Features that look like ReLU activations: correlated, non-negative. */
static void
make_features (ns_tensor *t, int c, int h, int w, double corr)
{
  size_t plane = (size_t) h * w;
  ns_tensor_alloc (t, c, h, w, NULL);
  for (size_t p = 0; p < plane; p++)
    {
      double shared = urand ();
      for (int ch = 0; ch < c; ch++)
        {
          double v = corr * shared * (1.0 + ch % 3) + urand () * (0.5 + ch) -
                     0.3;
          t->data[ch * plane + p] = (float) (v > 0 ? v : 0);
        }
    }
}

/* -------------------------------------------------------------- AdaIN */

static void
test_adain (void)
{
  ns_tensor fc, fs, out;
  ns_stats cs, ss;
  ns_affine map;
  const int c = 6;
  double cm[6], cstd[6], sm[6], sstd[6];
  double maxd = 0.0, maxv = 0.0;

  make_features (&fc, c, 13, 11, 0.5);
  make_features (&fs, c, 9, 7, 2.0);
  TU_CHECK (ns_fstats_init (&cs, c, NULL) == NS_OK);
  TU_CHECK (ns_fstats_init (&ss, c, NULL) == NS_OK);
  TU_CHECK (ns_fstats_add (&cs, &fc, 0, 0, 11, 13, 2, NULL) == NS_OK);
  TU_CHECK (ns_fstats_add (&ss, &fs, 0, 0, 7, 9, 2, NULL) == NS_OK);
  ns_adain_mean_std (&cs, cm, cstd);
  ns_adain_mean_std (&ss, sm, sstd);
  TU_CHECK (ns_adain_map (cm, cstd, sm, sstd, c, &map, NULL) == NS_OK);
  TU_CHECK (ns_affine_apply (&map, &fc, &out, 2, NULL) == NS_OK);

  /* Reference: calc_mean_std of pytorch-AdaIN, written out. */
  for (int ch = 0; ch < c; ch++)
    {
      double mc = 0, ms = 0, vc = 0, vs = 0;
      size_t nc = 13 * 11, ns = 9 * 7;
      const float *a = fc.data + ch * nc, *b = fs.data + ch * ns;
      for (size_t k = 0; k < nc; k++)
        mc += a[k];
      mc /= nc;
      for (size_t k = 0; k < ns; k++)
        ms += b[k];
      ms /= ns;
      for (size_t k = 0; k < nc; k++)
        vc += (a[k] - mc) * (a[k] - mc);
      for (size_t k = 0; k < ns; k++)
        vs += (b[k] - ms) * (b[k] - ms);
      vc = sqrt (vc / (nc - 1) + 1e-5);
      vs = sqrt (vs / (ns - 1) + 1e-5);
      for (size_t k = 0; k < nc; k++)
        {
          double ref = (a[k] - mc) / vc * vs + ms;
          double d = fabs (ref - out.data[ch * nc + k]);
          if (d > maxd)
            maxd = d;
          if (fabs (ref) > maxv)
            maxv = fabs (ref);
        }
    }
  printf ("adain: max abs diff %.3g (max |ref| %.3g)\n", maxd, maxv);
  TU_CHECK (maxd <= 1e-6 * (1.0 + maxv));

  /* Alpha blend: 0.6 * map + 0.4 * identity. */
  {
    ns_tensor out2;
    double md = 0.0;
    ns_affine_scale_add_identity (&map, 0.6, 0.4);
    TU_CHECK (ns_affine_apply (&map, &fc, &out2, 1, NULL) == NS_OK);
    for (size_t k = 0; k < ns_tensor_numel (&fc); k++)
      {
        double ref = 0.6 * out.data[k] + 0.4 * fc.data[k];
        md = fmax (md, fabs (ref - out2.data[k]));
      }
    TU_CHECK (md <= 1e-5 * (1.0 + maxv));
    ns_tensor_free (&out2);
  }
  ns_affine_clear (&map);
  ns_fstats_clear (&cs);
  ns_fstats_clear (&ss);
  ns_tensor_free (&fc);
  ns_tensor_free (&fs);
  ns_tensor_free (&out);
}

/* ---------------------------------------------------------------- WCT */

/* A^P of a symmetric matrix via Jacobi, eigenvalues < MIN dropped. */
static void
jacobi_power (int n, const double *a, double shift, double p, double *out)
{
  double *m = malloc (sizeof *m * n * n), *e = malloc (sizeof *e * n);
  double *v = malloc (sizeof *v * n * n);
  memcpy (m, a, sizeof *m * n * n);
  for (int i = 0; i < n; i++)
    m[i * n + i] += shift;
  TU_CHECK (ns_eig_sym_jacobi (n, m, e, v, NULL) == NS_OK);
  memset (out, 0, sizeof *out * n * n);
  for (int j = 0; j < n; j++)
    if (e[j] >= 1e-5)
      for (int r = 0; r < n; r++)
        for (int k = 0; k < n; k++)
          out[r * n + k] += pow (e[j], p) * v[j * n + r] * v[j * n + k];
  free (m);
  free (e);
  free (v);
}

static void
test_wct (int c, int hc, int wc, int hs, int ws)
{
  ns_tensor fc, fs, out;
  ns_stats cs, ss;
  ns_affine map;
  size_t nc = (size_t) hc * wc, ns = (size_t) hs * ws;
  double *wm = malloc (sizeof *wm * c * c), *col = malloc (sizeof *col * c * c);
  double *covc = calloc (c * c, sizeof *covc), *covs = calloc (c * c, 8);
  double *rw = malloc (sizeof *rw * c * c), *rc = malloc (sizeof *rc * c * c);
  double *mc = calloc (c, 8), *ms = calloc (c, 8), *white = calloc (c, 8);
  double maxd = 0.0, maxv = 0.0;

  make_features (&fc, c, hc, wc, 0.8);
  make_features (&fs, c, hs, ws, 3.0);
  ns_fstats_init (&cs, c, NULL);
  ns_fstats_init (&ss, c, NULL);
  TU_CHECK (ns_fstats_add (&cs, &fc, 0, 0, wc, hc, 2, NULL) == NS_OK);
  TU_CHECK (ns_fstats_add (&ss, &fs, 0, 0, ws, hs, 2, NULL) == NS_OK);
  TU_CHECK (ns_wct_whitening (&cs, wm, NULL) == NS_OK);
  TU_CHECK (ns_wct_coloring (&ss, col, NULL) == NS_OK);
  TU_CHECK (ns_wct_map (wm, cs.mean, col, ss.mean, c, &map, NULL) == NS_OK);
  TU_CHECK (ns_affine_apply (&map, &fc, &out, 2, NULL) == NS_OK);

  /* Reference: whiten_and_color of PytorchWCT, step by step. */
  for (int i = 0; i < c; i++)
    {
      for (size_t k = 0; k < nc; k++)
        mc[i] += fc.data[i * nc + k];
      mc[i] /= nc;
      for (size_t k = 0; k < ns; k++)
        ms[i] += fs.data[i * ns + k];
      ms[i] /= ns;
    }
  for (int i = 0; i < c; i++)
    for (int j = 0; j < c; j++)
      {
        double a = 0, b = 0;
        for (size_t k = 0; k < nc; k++)
          a += (fc.data[i * nc + k] - mc[i]) * (fc.data[j * nc + k] - mc[j]);
        for (size_t k = 0; k < ns; k++)
          b += (fs.data[i * ns + k] - ms[i]) * (fs.data[j * ns + k] - ms[j]);
        covc[i * c + j] = a / (nc - 1);
        covs[i * c + j] = b / (ns - 1);
      }
  jacobi_power (c, covc, 1.0, -0.5, rw);
  jacobi_power (c, covs, 0.0, 0.5, rc);
  for (size_t k = 0; k < nc; k++)
    {
      for (int i = 0; i < c; i++)
        {
          white[i] = 0;
          for (int j = 0; j < c; j++)
            white[i] += rw[i * c + j] * (fc.data[j * nc + k] - mc[j]);
        }
      for (int i = 0; i < c; i++)
        {
          double t = ms[i];
          for (int j = 0; j < c; j++)
            t += rc[i * c + j] * white[j];
          maxd = fmax (maxd, fabs (t - out.data[i * nc + k]));
          maxv = fmax (maxv, fabs (t));
        }
    }
  printf ("wct c=%d content %dx%d style %dx%d: max abs diff %.3g "
          "(max |ref| %.3g)\n",
          c, hc, wc, hs, ws, maxd, maxv);
  TU_CHECK (maxd <= 1e-5 * (1.0 + maxv));

  ns_affine_clear (&map);
  ns_fstats_clear (&cs);
  ns_fstats_clear (&ss);
  ns_tensor_free (&fc);
  ns_tensor_free (&fs);
  ns_tensor_free (&out);
  free (wm), free (col), free (covc), free (covs), free (rw), free (rc);
  free (mc), free (ms), free (white);
}

/* -------------------------------------------------------------- eigen */

static void
check_eig (int n, int rank)
{
  double *b = malloc (sizeof *b * n * (rank > 0 ? rank : n));
  double *a = calloc (n * n, 8), *e1 = malloc (8 * n), *e2 = malloc (8 * n);
  double *v1 = malloc (8 * n * n), *v2 = malloc (8 * n * n);
  double *p1 = malloc (8 * n * n), *p2 = malloc (8 * n * n);
  int r = rank > 0 ? rank : n;
  double emax = 0, de = 0, rec = 0, dp = 0, pmax = 0;

  for (int i = 0; i < n * r; i++)
    b[i] = urand () * 2 - 1;
  /* A = B B^T (+ n I when full rank, for a well-conditioned SPD). */
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      {
        double s = 0;
        for (int k = 0; k < r; k++)
          s += b[i * r + k] * b[j * r + k];
        a[i * n + j] = s + (rank == 0 && i == j ? 0.5 : 0.0);
      }
  TU_CHECK (ns_eig_sym (n, a, e1, v1, NULL) == NS_OK);
  TU_CHECK (ns_eig_sym_jacobi (n, a, e2, v2, NULL) == NS_OK);
  for (int j = 0; j < n; j++)
    emax = fmax (emax, fabs (e2[j]));
  for (int j = 0; j < n; j++)
    {
      de = fmax (de, fabs (e1[j] - e2[j]));
      if (j > 0)
        TU_CHECK (e1[j] >= e1[j - 1]);
    }
  /* Reconstruction A = V^T diag(e) V from the LAPACK rows. */
  for (int i = 0; i < n; i++)
    for (int k = 0; k < n; k++)
      {
        double s = 0;
        for (int j = 0; j < n; j++)
          s += v1[j * n + i] * e1[j] * v1[j * n + k];
        rec = fmax (rec, fabs (s - a[i * n + k]));
      }
  /* Thresholded powers (what WCT uses) agree. */
  TU_CHECK (ns_sym_power (n, a, 0.0, 0.5, 1e-5, p1, NULL) == NS_OK);
  jacobi_power (n, a, 0.0, 0.5, p2);
  for (int i = 0; i < n * n; i++)
    {
      dp = fmax (dp, fabs (p1[i] - p2[i]));
      pmax = fmax (pmax, fabs (p2[i]));
    }
  printf ("eig n=%d rank=%d: eigenvalue diff %.3g (max %.3g), "
          "reconstruction %.3g, sqrt diff %.3g\n",
          n, r, de, emax, rec, dp);
  TU_CHECK (de <= 1e-10 * (1 + emax));
  TU_CHECK (rec <= 1e-10 * (1 + emax));
  TU_CHECK (dp <= 1e-8 * (1 + pmax));
  if (rank > 0 && rank < n)
    {
      /* N - RANK eigenvalues are (numerically) zero. */
      int zeros = 0;
      for (int j = 0; j < n; j++)
        if (fabs (e1[j]) < 1e-9 * emax)
          zeros++;
      TU_CHECK (zeros == n - rank);
    }
  free (b), free (a), free (e1), free (e2), free (v1), free (v2);
  free (p1), free (p2);
}

/* Mixing styles by mixing their maps equals mixing the transformed
 * features (what ns_stylize documents), for AdaIN and WCT maps. */
static void
test_mix (bool wct)
{
  const int c = 7;
  ns_tensor fc, f1, f2, o1, o2, om;
  ns_stats cs, s1, s2;
  ns_affine m1, m2, mix;
  double w1 = 0.25, w2 = 0.75, md = 0, mv = 0;

  make_features (&fc, c, 10, 9, 0.7);
  make_features (&f1, c, 8, 8, 1.5);
  make_features (&f2, c, 9, 12, 0.2);
  ns_fstats_init (&cs, c, NULL);
  ns_fstats_init (&s1, c, NULL);
  ns_fstats_init (&s2, c, NULL);
  ns_fstats_add (&cs, &fc, 0, 0, 9, 10, 1, NULL);
  ns_fstats_add (&s1, &f1, 0, 0, 8, 8, 1, NULL);
  ns_fstats_add (&s2, &f2, 0, 0, 12, 9, 1, NULL);
  if (wct)
    {
      double w[49], c1[49], c2[49];
      ns_wct_whitening (&cs, w, NULL);
      ns_wct_coloring (&s1, c1, NULL);
      ns_wct_coloring (&s2, c2, NULL);
      ns_wct_map (w, cs.mean, c1, s1.mean, c, &m1, NULL);
      ns_wct_map (w, cs.mean, c2, s2.mean, c, &m2, NULL);
    }
  else
    {
      double cm[7], cd[7], am[7], ad[7], bm[7], bd[7];
      ns_adain_mean_std (&cs, cm, cd);
      ns_adain_mean_std (&s1, am, ad);
      ns_adain_mean_std (&s2, bm, bd);
      ns_adain_map (cm, cd, am, ad, c, &m1, NULL);
      ns_adain_map (cm, cd, bm, bd, c, &m2, NULL);
    }
  ns_affine_init (&mix, c, !wct, NULL);
  ns_affine_accumulate (&mix, &m1, w1);
  ns_affine_accumulate (&mix, &m2, w2);
  /* Strength 0.6 on top. */
  ns_affine_scale_add_identity (&mix, 0.6, 0.4);
  ns_affine_apply (&m1, &fc, &o1, 1, NULL);
  ns_affine_apply (&m2, &fc, &o2, 1, NULL);
  ns_affine_apply (&mix, &fc, &om, 2, NULL);
  for (size_t k = 0; k < ns_tensor_numel (&fc); k++)
    {
      double ref = 0.6 * (w1 * o1.data[k] + w2 * o2.data[k]) + 0.4 * fc.data[k];
      md = fmax (md, fabs (ref - om.data[k]));
      mv = fmax (mv, fabs (ref));
    }
  printf ("mix %s: max diff %.3g (max |ref| %.3g)\n", wct ? "wct" : "adain", md,
          mv);
  TU_CHECK (md <= 1e-5 * (1 + mv));
  ns_affine_clear (&m1), ns_affine_clear (&m2), ns_affine_clear (&mix);
  ns_fstats_clear (&cs), ns_fstats_clear (&s1), ns_fstats_clear (&s2);
  ns_tensor_free (&fc), ns_tensor_free (&f1), ns_tensor_free (&f2);
  ns_tensor_free (&o1), ns_tensor_free (&o2), ns_tensor_free (&om);
}

/* ------------------------------------------------------------- stats */

static void
test_stats_merge (void)
{
  ns_tensor f;
  ns_stats whole, parts;
  double dm = 0, d2 = 0, m2max = 0;
  make_features (&f, 5, 20, 30, 1.0);
  /* Large offset: raw sums of squares would lose digits. */
  for (size_t k = 0; k < ns_tensor_numel (&f); k++)
    f.data[k] += 1000.0f;
  ns_fstats_init (&whole, 5, NULL);
  ns_fstats_init (&parts, 5, NULL);
  TU_CHECK (ns_fstats_add (&whole, &f, 0, 0, 30, 20, 2, NULL) == NS_OK);
  TU_CHECK (ns_fstats_add (&parts, &f, 0, 0, 17, 9, 2, NULL) == NS_OK);
  TU_CHECK (ns_fstats_add (&parts, &f, 17, 0, 13, 9, 2, NULL) == NS_OK);
  TU_CHECK (ns_fstats_add (&parts, &f, 0, 9, 30, 11, 2, NULL) == NS_OK);
  TU_CHECK (parts.n == whole.n && whole.n == 600);
  for (int i = 0; i < 5; i++)
    dm = fmax (dm, fabs (whole.mean[i] - parts.mean[i]));
  for (int i = 0; i < 25; i++)
    {
      d2 = fmax (d2, fabs (whole.m2[i] - parts.m2[i]));
      m2max = fmax (m2max, fabs (whole.m2[i]));
    }
  TU_CHECK (dm < 1e-9);
  TU_CHECK (d2 < 1e-9 * m2max);
  /* Bad regions are refused, not read out of bounds. */
  TU_CHECK (ns_fstats_add (&parts, &f, 25, 0, 10, 5, 2, NULL) ==
            NS_ERR_INVALID_ARG);
  ns_fstats_clear (&whole);
  ns_fstats_clear (&parts);
  ns_tensor_free (&f);
}

/* ------------------------------------------------------------ colour */

static void
test_luminance (void)
{
  ns_image sty, con;
  int n = 40 * 30, exact = 0;
  double dy = 0;
  ns_image_alloc (&sty, 40, 30, NULL);
  ns_image_alloc (&con, 40, 30, NULL);
  tu_fill_random (sty.data, 3 * n, 0.0f, 1.0f, &rng);
  /* Content with moderate chroma so that most pixels do not clip. */
  for (int i = 0; i < n; i++)
    {
      float g = (float) urand () * 0.5f + 0.25f;
      con.data[i] = g + 0.1f * (float) urand ();
      con.data[n + i] = g;
      con.data[2 * n + i] = g - 0.1f * (float) urand ();
    }
  ns_image keep;
  ns_image_alloc (&keep, 40, 30, NULL);
  memcpy (keep.data, sty.data, sizeof (float) * 3 * n);
  ns_luminance_transfer (&sty, &con);
  for (int i = 0; i < n; i++)
    {
      float y0, u0, v0, y1, u1, v1, yc, uc, vc;
      ns_rgb_to_ycbcr (keep.data[i], keep.data[n + i], keep.data[2 * n + i],
                       &y0, &u0, &v0);
      ns_rgb_to_ycbcr (sty.data[i], sty.data[n + i], sty.data[2 * n + i], &y1,
                       &u1, &v1);
      ns_rgb_to_ycbcr (con.data[i], con.data[n + i], con.data[2 * n + i], &yc,
                       &uc, &vc);
      TU_CHECK (sty.data[i] >= 0 && sty.data[i] <= 1);
      if (fabsf (u1 - uc) < 1e-5f && fabsf (v1 - vc) < 1e-5f &&
          fabsf (y1 - y0) < 1e-5f)
        exact++;
      dy = fmax (dy, fabs (y1 - y0));
    }
  printf ("luminance transfer: %d/%d pixels keep content chroma and "
          "stylized luma exactly (the rest clip); max luma change %.3g\n",
          exact, n, dy);
  TU_CHECK (exact > n * 8 / 10);
  ns_image_free (&sty);
  ns_image_free (&con);
  ns_image_free (&keep);
}

/* ------------------------------------------------------------ names */

static void
test_names (void)
{
  ns_method m;
  ns_params p = ns_params_default ();
  for (int i = 0; i <= NS_METHOD_GATYS; i++)
    {
      TU_CHECK (ns_method_from_name (ns_method_name ((ns_method) i), &m));
      TU_CHECK ((int) m == i);
    }
  TU_CHECK (!ns_method_from_name ("nope", &m));
  TU_CHECK (!ns_method_from_name (NULL, &m));
  TU_CHECK (strcmp (ns_method_name (NS_METHOD_WCT), "wct") == 0);
  TU_CHECK (strcmp (ns_method_name ((ns_method) 99), "unknown") == 0);
  TU_CHECK (p.method == NS_METHOD_CASCADE_ADAIN);
  TU_CHECK (p.strength == 1.0f);
  TU_CHECK (p.gatys.iterations > 0);
}

/* -------------------------------------------------------- validation */

/* Argument checks run before the model is touched, so a stand-in model
 * with one (empty) level is enough here. */
static void
test_validation (void)
{
  ns_model fake;
  ns_context *ctx = NULL;
  ns_image c16 = { 0 }, c15 = { 0 }, out = { 0 }, s = { 0 };
  ns_mask m = { 0 }, m32 = { 0 };
  ns_style st[3];
  ns_params p = ns_params_default ();
  ns_error err;

  memset (&fake, 0, sizeof fake);
  fake.n_levels = 1;
  TU_CHECK (ns_context_new (NULL, &ctx, &err) == NS_ERR_INVALID_ARG);
  TU_CHECK (ns_context_new (&fake, &ctx, &err) == NS_OK);
  ns_image_alloc (&c16, 16, 20, NULL);
  ns_image_alloc (&c15, 15, 40, NULL);
  ns_image_alloc (&out, 16, 20, NULL);
  ns_image_alloc (&s, 32, 32, NULL);
  ns_mask_alloc (&m, 16, 20, NULL);
  ns_mask_alloc (&m32, 32, 32, NULL);
  memset (c16.data, 0, sizeof (float) * 3 * 16 * 20);
  memset (c15.data, 0, sizeof (float) * 3 * 15 * 40);
  memset (s.data, 0, sizeof (float) * 3 * 32 * 32);
  memset (m.data, 0, sizeof (float) * 16 * 20);
  memset (m32.data, 0, sizeof (float) * 32 * 32);
  for (int i = 0; i < 3; i++)
    {
      st[i].image = &s;
      st[i].weight = 1.0f;
    }

#define EXPECT_INVALID(call, word)                            \
  do                                                          \
    {                                                         \
      memset (&err, 0, sizeof err);                           \
      TU_CHECK ((call) == NS_ERR_INVALID_ARG);                \
      TU_CHECK (err.status == NS_ERR_INVALID_ARG);            \
      TU_CHECK (strstr (err.message, word) != NULL);          \
      if (!strstr (err.message, word))                        \
        fprintf (stderr, "  message was: %s\n", err.message); \
    }                                                         \
  while (0)

  /* Too small: the message names the limit. */
  {
    ns_image o15 = { 0 };
    ns_image_alloc (&o15, 15, 40, NULL);
    EXPECT_INVALID (ns_stylize (ctx, &p, &c15, st, 1, NULL, &o15, &err),
                    "at least 16x16");
    ns_image_free (&o15);
  }
  {
    ns_image tiny = { 0 };
    ns_style ts = { &tiny, 1.0f };
    ns_image_alloc (&tiny, 8, 64, NULL);
    memset (tiny.data, 0, sizeof (float) * 3 * 8 * 64);
    /* Styles are numbered from 1 in messages. */
    EXPECT_INVALID (ns_stylize (ctx, &p, &c16, &ts, 1, NULL, &out, &err),
                    "style image 1 is 8x64");
    ns_image_free (&tiny);
  }
  EXPECT_INVALID (ns_stylize (ctx, &p, &c16, st, 1, NULL, &s, &err),
                  "content size");
  EXPECT_INVALID (ns_stylize (ctx, &p, &c16, st, 0, NULL, &out, &err), "style");
  EXPECT_INVALID (ns_stylize (ctx, &p, &c16, st, 3, &m, &out, &err), "mask");
  EXPECT_INVALID (ns_stylize (ctx, &p, &c16, st, 1, &m32, &out, &err), "mask");
  p.strength = NAN;
  EXPECT_INVALID (ns_stylize (ctx, &p, &c16, st, 1, NULL, &out, &err),
                  "strength");
  p.strength = 1.5f;
  EXPECT_INVALID (ns_stylize (ctx, &p, &c16, st, 1, NULL, &out, &err),
                  "strength");
  p.strength = -0.01f;
  EXPECT_INVALID (ns_stylize (ctx, &p, &c16, st, 1, NULL, &out, &err),
                  "strength");
  p = ns_params_default ();
  p.style_size = 5;
  EXPECT_INVALID (ns_stylize (ctx, &p, &c16, st, 1, NULL, &out, &err),
                  "style size");
  p = ns_params_default ();
  p.max_size = -3;
  EXPECT_INVALID (ns_stylize (ctx, &p, &c16, st, 1, NULL, &out, &err),
                  "maximum size");
  p = ns_params_default ();
  p.method = (ns_method) 42;
  EXPECT_INVALID (ns_stylize (ctx, &p, &c16, st, 1, NULL, &out, &err),
                  "method");
  p = ns_params_default ();
  st[0].weight = 0.0f;
  EXPECT_INVALID (ns_stylize (ctx, &p, &c16, st, 1, NULL, &out, &err),
                  "sum to zero");
  st[0].weight = -1.0f;
  EXPECT_INVALID (ns_stylize (ctx, &p, &c16, st, 1, NULL, &out, &err),
                  "weight");
  st[0].weight = INFINITY;
  EXPECT_INVALID (ns_stylize (ctx, &p, &c16, st, 1, NULL, &out, &err),
                  "weight");
  st[0].weight = 1.0f;
  c16.data[7] = NAN;
  EXPECT_INVALID (ns_stylize (ctx, &p, &c16, st, 1, NULL, &out, &err), "NaN");
  c16.data[7] = 0.0f;
  EXPECT_INVALID (ns_stylize (NULL, &p, &c16, st, 1, NULL, &out, &err),
                  "required");
  EXPECT_INVALID (ns_stylize (ctx, NULL, &c16, st, 1, NULL, &out, &err),
                  "required");
  /* Levels the model lacks. */
  TU_CHECK (ns_stats_new (&fake, 3, &err) == NULL);
  TU_CHECK (err.status == NS_ERR_INVALID_ARG);
#undef EXPECT_INVALID

  ns_context_free (ctx);
  ns_image_free (&c16);
  ns_image_free (&c15);
  ns_image_free (&out);
  ns_image_free (&s);
  ns_mask_free (&m);
  ns_mask_free (&m32);
}

int
main (void)
{
  test_validation ();
  test_adain ();
  test_wct (8, 12, 10, 9, 11);
  /* More channels than style pixels - 1: a rank-deficient style
   * covariance, eigenvalues dropped. */
  test_wct (16, 6, 7, 3, 4);
  check_eig (1, 0);
  check_eig (2, 0);
  check_eig (7, 0);
  check_eig (64, 0);
  check_eig (32, 5);
  check_eig (24, 1);
  test_mix (false);
  test_mix (true);
  test_stats_merge ();
  test_luminance ();
  test_names ();
  return tu_finish ("style-math");
}
