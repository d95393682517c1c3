/* Gradient checks of the Gatys backward kernels against central finite
 * differences and the naive references.
 *
 * Linear kernels (convolution, padding, the 1x1 input layer) are checked
 * through L = <R, f(X)> with a random R: the central difference of a linear
 * function is exact for any step, so a large step keeps float rounding
 * negligible.  Piecewise-linear kernels (ReLU, max-pool) get inputs kept
 * away from their kinks (|x| >= 0.1, window maxima apart by >= 0.05) and a
 * step of 1e-2 that cannot cross one, as ggml's and kann's checks do.
 * Losses (polynomials of degree <= 4) use a small step in double-summed
 * losses.  Whole-network checks use directional derivatives. */
#include "gatys-net.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x1234567u;

static float *
rnd (size_t n, float lo, float hi)
{
  float *p = malloc (n * sizeof (float));
  tu_fill_random (p, n, lo, hi, &rng);
  return p;
}

static double
dotf (const float *a, const float *b, size_t n)
{
  double s = 0.0;
  size_t i;
  for (i = 0; i < n; i++)
    s += (double) a[i] * b[i];
  return s;
}

/* The naive reference convolution (ns_conv2d_ref) into OUT. */
static void
conv_ref (const ns_conv *conv, const float *x, int h, int w, float *out)
{
  ns_tensor in = { conv->cin, h, w, (float *) x }, ref;
  TU_CHECK (ns_conv2d_ref (conv, &in, &ref, NULL) == NS_OK);
  memcpy (out, ref.data, ns_tensor_numel (&ref) * sizeof (float));
  ns_tensor_free (&ref);
}

/* Keeps |x| >= 0.1 so ReLU kinks are out of a 1e-2 step's reach. */
static void
away_from_zero (float *x, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (fabsf (x[i]) < 0.1f)
      x[i] = x[i] < 0.0f ? x[i] - 0.1f : x[i] + 0.1f;
}

/* ---- convolution: optimised vs reference, and vs finite differences */
static void
check_conv (int cin, int cout, int k, int h, int w, bool relu)
{
  ns_conv conv = { cin, cout, k, k == 3 ? 1 : 0, relu, NULL, NULL };
  size_t nin = (size_t) cin * h * w, nout = (size_t) cout * h * w, i;
  float *wt = rnd ((size_t) cout * cin * k * k, -0.5f, 0.5f);
  float *bias = rnd ((size_t) cout, -0.2f, 0.2f);
  float *x = rnd (nin, -1.0f, 1.0f);
  float *r = rnd (nout, -1.0f, 1.0f);
  float *y = malloc (nout * sizeof (float)), *yr = malloc (nout * 4);
  float *gin = malloc (nin * sizeof (float)), *gref = malloc (nin * 4);
  float *work;
  double maxd = 0.0, scale = 0.0;
  int probe;

  conv.weight = wt;
  conv.bias = bias;
  work = malloc (ns_conv2d_work_floats (&conv, h, w, 2) * sizeof (float));

  /* Forward: fused padding + sgemm vs explicit padding + loops. */
  {
    const ns_conv_opts opts = { 2, 0, work };
    TU_CHECK (ns_conv2d_into (&conv, x, h, w, y, &opts, NULL, NULL) == NS_OK);
  }
  conv_ref (&conv, x, h, w, yr);
  TU_CHECK (tu_max_rel_diff (y, yr, nout) < 1e-5);

  /* Backward vs reference (on the linear part: no ReLU mask). */
  ns_conv2d_backward (&conv, NULL, r, h, w, gin, work, 2);
  ns_conv2d_backward_ref (&conv, r, h, w, gref);
  TU_CHECK (tu_max_rel_diff (gin, gref, nin) < 1e-5);

  /* The fused ReLU mask: backward (Y, R) == backward_ref (R * (Y > 0)). */
  if (relu)
    {
      float *rm = malloc (nout * sizeof (float));
      float *gf = malloc (nin * sizeof (float));
      memcpy (rm, r, nout * sizeof (float));
      ns_conv2d_backward (&conv, y, rm, h, w, gf, work, 2);
      memcpy (rm, r, nout * sizeof (float));
      ns_relu_backward (y, rm, nout);
      ns_conv2d_backward_ref (&conv, rm, h, w, gref);
      TU_CHECK (tu_max_rel_diff (gf, gref, nin) < 1e-5);
      free (rm);
      free (gf);
    }
  printf ("conv %dx%d %d->%d %dx%d (%s mode): optimised vs reference "
          "checked\n",
          k, k, cin, cout, w, h,
          ns_conv2d_backward_banded (&conv, h, w, 2) ? "banded" : "whole");
  if (nin > 4096)
    goto done;

  /* Backward vs central differences of L = <R, conv(X) - bias>: exact for
     a linear map, so a step of 0.5 is fine.  All pixels of channel 0 and
     a few others (the reflected borders are where bugs hide). */
  conv.relu = false;
  for (i = 0; i < nin; i++)
    scale = fmax (scale, fabs (gin[i]));
  for (probe = 0; probe < (int) nin; probe++)
    {
      double lp, lm, fd;
      float keep;
      if (probe >= h * w && probe % 7 != 0)
        continue;
      keep = x[probe];
      x[probe] = keep + 0.5f;
      conv_ref (&conv, x, h, w, yr);
      lp = dotf (r, yr, nout);
      x[probe] = keep - 0.5f;
      conv_ref (&conv, x, h, w, yr);
      lm = dotf (r, yr, nout);
      x[probe] = keep;
      fd = (lp - lm) / 1.0;
      maxd = fmax (maxd, fabs (fd - gin[probe]));
    }
  printf ("conv %dx%d %d->%d %dx%d: max |fd - grad| = %.3g (grad scale "
          "%.3g)\n",
          k, k, cin, cout, w, h, maxd, scale);
  TU_CHECK (maxd <= 1e-4 * fmax (1.0, scale));

done:
  free (wt);
  free (bias);
  free (x);
  free (r);
  free (y);
  free (yr);
  free (gin);
  free (gref);
  free (work);
}

/* ---- reflection padding: adjoint identity and finite differences */
static void
check_reflpad (void)
{
  int c = 2, h = 5, w = 4;
  size_t n = (size_t) c * h * w, np = (size_t) c * (h + 2) * (w + 2), i;
  float *x = rnd (n, -1, 1), *r = rnd (np, -1, 1);
  float *px = malloc (np * 4), *g = malloc (n * 4);
  double maxd = 0.0;

  ns_reflpad_forward (x, c, h, w, px);
  ns_reflpad_backward (r, c, h, w, g);
  /* <pad(x), r> == <x, pad^T(r)> */
  TU_CHECK (fabs (dotf (px, r, np) - dotf (x, g, n)) < 1e-5);
  for (i = 0; i < n; i++)
    {
      float keep = x[i];
      double lp, lm;
      x[i] = keep + 0.5f;
      ns_reflpad_forward (x, c, h, w, px);
      lp = dotf (px, r, np);
      x[i] = keep - 0.5f;
      ns_reflpad_forward (x, c, h, w, px);
      lm = dotf (px, r, np);
      x[i] = keep;
      maxd = fmax (maxd, fabs (lp - lm - g[i]));
    }
  printf ("reflection pad: max |fd - grad| = %.3g\n", maxd);
  TU_CHECK (maxd < 1e-5);
  /* A corner pixel is copied to 4 padded cells and the interior edge
     pixel next to it too: check one hand-computed count. */
  {
    float ones[2 * 7 * 6], gg[2 * 5 * 4];
    for (i = 0; i < np; i++)
      ones[i] = 1.0f;
    ns_reflpad_backward (ones, c, h, w, gg);
    TU_CHECK (gg[0] == 1.0f);         /* (0,0): not reflected onto */
    TU_CHECK (gg[1 * w + 1] == 4.0f); /* (1,1): itself + 3 reflections */
    TU_CHECK (gg[1] == 2.0f);         /* (0,1): itself + top reflection */
  }
  free (x);
  free (r);
  free (px);
  free (g);
}

/* ---- ReLU */
static void
check_relu (void)
{
  size_t n = 200, i;
  float *x = rnd (n, -1, 1), *r = rnd (n, -1, 1), *y = malloc (n * 4);
  float *g = malloc (n * 4);
  double maxd = 0.0;
  away_from_zero (x, n);
  memcpy (y, x, n * 4);
  ns_relu_forward (y, n);
  memcpy (g, r, n * 4);
  ns_relu_backward (y, g, n);
  for (i = 0; i < n; i++)
    {
      float keep = x[i], a, b;
      double fd;
      a = keep + 1e-2f;
      b = keep - 1e-2f;
      ns_relu_forward (&a, 1);
      ns_relu_forward (&b, 1);
      fd = r[i] * ((double) a - b) / ((double) (keep + 1e-2f) - (keep - 1e-2f));
      maxd = fmax (maxd, fabs (fd - g[i]));
    }
  printf ("relu: max |fd - grad| = %.3g\n", maxd);
  TU_CHECK (maxd < 1e-5);
  free (x);
  free (r);
  free (y);
  free (g);
}

/* ---- max-pool, floor and ceil modes, odd sizes */
static void
check_pool (bool ceil_mode, int w)
{
  int c = 3, h = 7, oh, ow, i;
  size_t n = (size_t) c * h * w, no;
  float *x = malloc (n * 4), *r, *y, *y2, *g;
  int32_t *am;
  double maxd = 0.0;

  ns_maxpool2x2_shape (h, w, ceil_mode, &oh, &ow);
  TU_CHECK (oh == (ceil_mode ? 4 : 3) &&
            ow == (ceil_mode ? (w + 1) / 2 : w / 2));
  no = (size_t) c * oh * ow;
  /* A random permutation scaled by 0.05: all values at least 0.05 apart,
     so no window has a near-tie. */
  for (i = 0; i < (int) n; i++)
    x[i] = (float) i;
  for (i = (int) n - 1; i > 0; i--)
    {
      uint64_t s = rng = rng * 6364136223846793005ull + 1442695040888963407ull;
      int j = (int) ((s >> 33) % (uint64_t) (i + 1));
      float t = x[i];
      x[i] = x[j];
      x[j] = t;
    }
  for (i = 0; i < (int) n; i++)
    x[i] *= 0.05f;
  r = rnd (no, -1, 1);
  y = malloc (no * 4);
  y2 = malloc (no * 4);
  g = malloc (n * 4);
  am = malloc (no * sizeof (int32_t));
  ns_maxpool2x2_into (x, c, h, w, ceil_mode, y, am, 2);
  ns_maxpool2x2_backward (r, am, c, h, w, ceil_mode, g, 2);
  for (i = 0; i < (int) n; i++)
    {
      float keep = x[i];
      double lp, lm;
      x[i] = keep + 1e-2f;
      ns_maxpool2x2_into (x, c, h, w, ceil_mode, y2, NULL, 1);
      lp = dotf (r, y2, no);
      x[i] = keep - 1e-2f;
      ns_maxpool2x2_into (x, c, h, w, ceil_mode, y2, NULL, 1);
      lm = dotf (r, y2, no);
      x[i] = keep;
      maxd = fmax (maxd, fabs ((lp - lm) / 2e-2 - g[i]));
    }
  printf ("maxpool (%s): max |fd - grad| = %.3g\n",
          ceil_mode ? "ceil" : "floor", maxd);
  TU_CHECK (maxd < 1e-3);
  /* Ties: the first in row-major window order gets the gradient, as
     PyTorch's CPU kernel. */
  {
    float t[4] = { 1, 1, 1, 1 }, to, gt[4], one = 1.0f;
    int32_t a;
    ns_maxpool2x2_into (t, 1, 2, 2, false, &to, &a, 1);
    ns_maxpool2x2_backward (&one, &a, 1, 2, 2, false, gt, 1);
    TU_CHECK (a == 0 && gt[0] == 1.0f && gt[1] == 0.0f && gt[3] == 0.0f);
    t[0] = 0.5f;
    ns_maxpool2x2_into (t, 1, 2, 2, false, &to, &a, 1);
    TU_CHECK (a == 1);
  }
  free (x);
  free (r);
  free (y);
  free (y2);
  free (g);
  free (am);
}

/* ---- Gram matrix, content, style and TV losses */
static void
check_losses (void)
{
  int c = 5, h = 4, w = 6, n = h * w;
  size_t nf = (size_t) c * n, i;
  float *f = rnd (nf, 0, 1), *target = rnd ((size_t) c * c, 0, 0.4f);
  float *ct = rnd (nf, 0, 1), *g = calloc (nf, 4), *work = malloc (c * c * 4);
  double maxd_s = 0.0, maxd_c = 0.0, maxd_t = 0.0, sc = 0.0;
  float *gc = calloc (nf, 4), *gt = calloc (nf, 4);

  ns_style_loss (f, c, n, target, 0.7, 1.3, work, g);
  ns_content_loss (f, ct, nf, 0.9, 2.0, gc);
  ns_tv_loss (f, c, h, w, 1.1, gt);
  /* Gram symmetric and equal to a direct computation. */
  ns_gram (f, c, n, 0.5f, work);
  {
    double maxg = 0.0;
    int a, b, k;
    for (a = 0; a < c; a++)
      for (b = 0; b < c; b++)
        {
          double s = 0.0;
          for (k = 0; k < n; k++)
            s += (double) f[a * n + k] * f[b * n + k];
          maxg = fmax (maxg, fabs (0.5 * s - work[a * c + b]));
        }
    TU_CHECK (maxg < 1e-5);
  }
  for (i = 0; i < nf; i++)
    {
      float keep = f[i];
      const float e = 1e-2f;
      double p, m, de = (double) (keep + e) - (double) (keep - e);
      f[i] = keep + e;
      p = ns_style_loss (f, c, n, target, 0.7, 1.3, work, NULL);
      f[i] = keep - e;
      m = ns_style_loss (f, c, n, target, 0.7, 1.3, work, NULL);
      maxd_s = fmax (maxd_s, fabs ((p - m) / de - g[i]));
      sc = fmax (sc, fabs (g[i]));
      f[i] = keep + e;
      p = ns_content_loss (f, ct, nf, 0.9, 2.0, NULL);
      f[i] = keep - e;
      m = ns_content_loss (f, ct, nf, 0.9, 2.0, NULL);
      maxd_c = fmax (maxd_c, fabs ((p - m) / de - gc[i]));
      f[i] = keep + e;
      p = ns_tv_loss (f, c, h, w, 1.1, NULL);
      f[i] = keep - e;
      m = ns_tv_loss (f, c, h, w, 1.1, NULL);
      maxd_t = fmax (maxd_t, fabs ((p - m) / de - gt[i]));
      f[i] = keep;
    }
  /* The masked (region) style loss. */
  {
    float *m = rnd ((size_t) n, 0, 1), *gm = calloc (nf, 4);
    float *tmp = malloc (nf * 4);
    double maxd_m = 0.0, scm = 0.0;
    m[0] = 0.0f; /* a pixel outside the region gets no gradient */
    ns_style_loss_masked (f, c, n, m, target, 0.7, 1.3, work, tmp, gm);
    for (i = 0; i < nf; i++)
      {
        float keep = f[i];
        const float e = 1e-2f;
        double p, mm, de = (double) (keep + e) - (double) (keep - e);
        f[i] = keep + e;
        p = ns_style_loss_masked (f, c, n, m, target, 0.7, 1.3, work, tmp,
                                  NULL);
        f[i] = keep - e;
        mm = ns_style_loss_masked (f, c, n, m, target, 0.7, 1.3, work, tmp,
                                   NULL);
        f[i] = keep;
        maxd_m = fmax (maxd_m, fabs ((p - mm) / de - gm[i]));
        scm = fmax (scm, fabs (gm[i]));
      }
    printf ("masked style loss: max |fd - grad| = %.3g (scale %.3g)\n", maxd_m,
            scm);
    TU_CHECK (maxd_m < 1e-3 * fmax (scm, 1e-3));
    for (i = 0; i < (size_t) c; i++)
      TU_CHECK (gm[i * n] == 0.0f);
    /* An all-ones mask is the plain style loss. */
    for (i = 0; i < (size_t) n; i++)
      m[i] = 1.0f;
    TU_CHECK (fabs (ns_style_loss_masked (f, c, n, m, target, 0.7, 1.3, work,
                                          tmp, NULL) -
                    ns_style_loss (f, c, n, target, 0.7, 1.3, work, NULL)) <
              1e-6);
    free (m);
    free (gm);
    free (tmp);
  }
  printf ("style loss: max |fd - grad| = %.3g (scale %.3g); content %.3g; "
          "tv %.3g\n",
          maxd_s, sc, maxd_c, maxd_t);
  TU_CHECK (maxd_s < 1e-3 * fmax (sc, 1e-3));
  TU_CHECK (maxd_c < 1e-5);
  TU_CHECK (maxd_t < 1e-5);
  free (f);
  free (target);
  free (ct);
  free (g);
  free (work);
  free (gc);
  free (gt);
}

/* FNV-1a hash of the activation pattern: each ReLU output's sign and
 * each pool's winners. */
static uint64_t
signature (const ns_featnet_state *b)
{
  uint64_t hsh = 1469598103934665603ull;
  int i, t;
  for (i = 0; i <= b->last_layer; i++)
    {
      size_t n = (size_t) b->oc[i] * b->oh[i] * b->ow[i], j;
      for (j = 0; j < n; j++)
        {
          uint64_t v = b->net->trunk.layers[i].kind == NS_LAYER_POOL
                           ? (uint64_t) b->argmax[i][j]
                           : b->act[i][j] > 0.0f;
          hsh = (hsh ^ v) * 1099511628211ull;
        }
    }
  for (t = 0; t < b->net->n_taps; t++)
    if (b->net->taps[t].has_head)
      {
        size_t n = (size_t) b->net->taps[t].channels * b->tap_h[t] *
                   b->tap_w[t],
               j;
        for (j = 0; j < n; j++)
          hsh = (hsh ^ (uint64_t) (b->tap_out[t][j] > 0.0f)) * 1099511628211ull;
      }
  return hsh;
}

/* ---- a whole small network (1x1 input layer, convs, pools in ceil mode,
 * an aux head) through the objective: directional derivatives. */
static void
check_objective (bool ceil_mode)
{
  ns_featnet net;
  ns_gatys_objective obj;
  ns_error err = { 0 };
  int h = 13, w = 10, i, d;
  size_t n = (size_t) 3 * h * w;
  int widths[] = { 3, 4, 4, 0, 6, 0, 8 };
  float *weights[8] = { 0 }, *biases[8] = { 0 }, *hw, *hb;
  float *x, *g, *v, *xs, *gs, *content;
  ns_image style;
  const ns_image *sp = &style;
  double f, f2;
  uint64_t sig0;
  int checked = 0, crossed = 0;

  memset (&net, 0, sizeof net);
  net.kind = NS_MODEL_CD16X;
  net.trunk.pool_ceil = ceil_mode;
  for (i = 0; i < 7; i++)
    {
      if (widths[i] == 0)
        {
          TU_CHECK (ns_net_add_pool (&net.trunk, &err) == NS_OK);
          net.n_pools++;
        }
      else
        {
          int cin = i == 0 ? 3 : widths[i - 1 - (widths[i - 1] == 0)];
          int k = i == 0 ? 1 : 3;
          char name[16];
          ns_conv conv;
          weights[i] = rnd ((size_t) widths[i] * cin * k * k, -0.4f, 0.6f);
          biases[i] = rnd ((size_t) widths[i], -0.05f, 0.1f);
          conv = (ns_conv){ cin,    widths[i],  k,        k == 3 ? 1 : 0,
                            i != 0, weights[i], biases[i] };
          snprintf (name, sizeof name, "op%d", i);
          TU_CHECK (ns_net_add_conv (&net.trunk, name, &conv, &err) == NS_OK);
        }
    }
  hw = rnd (12 * 4, -0.3f, 0.7f);
  hb = rnd (12, 0.0f, 0.1f);
  net.taps[0] =
      (ns_featnet_tap){ 1, true, { 4, 12, 1, 0, true, hw, hb }, 12, "t0" };
  net.taps[1] = (ns_featnet_tap){ 4, false, { 0 }, 6, "t1" };
  net.taps[2] = (ns_featnet_tap){ 6, false, { 0 }, 8, "t2" };
  net.n_taps = 3;
  net.style[0] = 0;
  net.style[1] = 1;
  net.style[2] = 2;
  net.n_style = 3;
  net.content = 1;

  TU_CHECK (ns_gatys_objective_init (&obj, &net, h, w, 2, &err) == NS_OK);
  content = rnd (n, 0, 1);
  x = rnd (n, 0, 1);
  g = malloc (n * 4);
  v = rnd (n, -1, 1);
  xs = malloc (n * 4);
  gs = malloc (n * 4);
  style.width = 9;
  style.height = 11;
  style.data = rnd (3 * 9 * 11, 0, 1);
  TU_CHECK (ns_gatys_objective_set_content (&obj, content, &err) == NS_OK);
  TU_CHECK (ns_gatys_objective_set_styles (&obj, &sp, NULL, 1, 2, &err) ==
            NS_OK);
  obj.content_weight = 1.0;
  obj.style_weight = 5.0;
  obj.tv_weight = 0.1;
  TU_CHECK (ns_gatys_objective_eval (x, &f, g, &obj));
  sig0 = signature (&obj.buf);
  /* Directions whose +-e perturbations keep every ReLU's sign and every
     pool's winner (the function is then smooth along the segment) must
     match; those that cross a kink are skipped and counted. */
  for (d = 0; d < 16; d++)
    {
      static const double steps[] = { 1e-2, 3e-3, 1e-3, 3e-4, 1e-4 };
      double fp = 0, fm = 0, dd, fd, e = 0, tol;
      float *dir = d == 0 ? v : rnd (n, -1, 1);
      size_t j;
      bool smooth = false;
      int si;
      /* The largest step that crosses no kink. */
      for (si = 0; si < 5 && !smooth; si++)
        {
          e = steps[si];
          for (j = 0; j < n; j++)
            xs[j] = x[j] + (float) e * dir[j];
          ns_gatys_objective_eval (xs, &fp, gs, &obj);
          smooth = signature (&obj.buf) == sig0;
          for (j = 0; j < n; j++)
            xs[j] = x[j] - (float) e * dir[j];
          ns_gatys_objective_eval (xs, &fm, gs, &obj);
          smooth = smooth && signature (&obj.buf) == sig0;
        }
      fd = (fp - fm) / (2 * e);
      dd = dotf (g, dir, n);
      if (dir != v)
        free (dir);
      if (!smooth)
        {
          crossed++;
          continue;
        }
      /* Truncation (relative) plus float rounding of f amplified by 1/e. */
      tol = 1e-3 * fabs (dd) + 1e-6 * (fabs (f) + 1.0) / e;
      printf ("objective (%s pools) f %.6g direction %d step %g: fd %.7g, "
              "grad.v %.7g\n",
              ceil_mode ? "ceil" : "floor", f, d, e, fd, dd);
      TU_CHECK (fabs (fd - dd) <= tol);
      checked++;
    }
  printf ("objective (%s pools): %d directions checked, %d crossed a "
          "kink\n",
          ceil_mode ? "ceil" : "floor", checked, crossed);
  TU_CHECK (checked >= 3);
  /* The same image twice gives the same loss bit for bit. */
  TU_CHECK (ns_gatys_objective_eval (x, &f2, gs, &obj));
  TU_CHECK (f2 == f && memcmp (g, gs, n * 4) == 0);
  ns_gatys_objective_free (&obj);
  ns_featnet_free (&net);
  for (i = 0; i < 8; i++)
    {
      free (weights[i]);
      free (biases[i]);
    }
  free (hw);
  free (hb);
  free (content);
  free (x);
  free (g);
  free (v);
  free (xs);
  free (gs);
  free (style.data);
}

int
main (void)
{
  check_conv (3, 5, 3, 6, 7, false);
  check_conv (4, 6, 3, 2, 3, true); /* the smallest legal size */
  check_conv (6, 4, 3, 9, 5, true);
  check_conv (3, 3, 1, 5, 4, false); /* the 1x1 input layer */
  check_conv (4, 9, 1, 3, 6, true);  /* an aux head */
  /* Several row bands (even then odd bands in parallel), a last band of
     one row, 1x1 chunks. */
  check_conv (64, 4, 3, 33, 256, true);
  check_conv (48, 5, 3, 44, 200, false);
  check_conv (8, 16, 1, 70, 90, true);
  check_conv (4, 8, 1, 128, 130, true); /* 1x1, banded */
  check_conv (512, 2, 3, 600, 4, true); /* whole mode, two large bands */
  check_reflpad ();
  check_relu ();
  check_pool (false, 6);
  check_pool (true, 6);
  check_pool (true, 5);
  check_losses ();
  check_objective (false);
  check_objective (true);
  return tu_finish ("test-gatys-grad");
}
