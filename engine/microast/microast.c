/* MicroAST: the network (see microast.h).  Layer by layer as upstream's
 * net_microAST.py: every ConvLayer is ReflectionPad2d (k // 2) + Conv2d;
 * the encoders are 9x9 conv, two (grouped 3x3 stride 2, 1x1) pairs and
 * two residual blocks at 64 channels; the decoder two filter-modulated
 * residual blocks, each after an AdaIN blend, then two (bilinear x2,
 * grouped 3x3, 1x1) stages and a 9x9 conv to RGB.  Images are RGB in
 * [0, 1] as upstream's ToTensor, no normalisation. */
#include "microast.h"

#include "nn/nn-dnnl.h"
#include "nn/nn-microast.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define C64 64
#define EPS 1e-5 /* function.py calc_mean_std */

const char *const ns_microast_files[] = { "content_encoder_iter_160000.pth.tar",
                                          "style_encoder_iter_160000.pth.tar",
                                          "modulator_iter_160000.pth.tar",
                                          "decoder_iter_160000.pth.tar", NULL };

typedef struct
{
  ns_conv c0;        /* enc1.0: 9x9 3 -> 16, ReLU */
  ns_gconv g2;       /* enc1.2: 3x3 stride 2, 16 -> 32, 16 groups, ReLU */
  ns_conv c4;        /* enc1.4: 1x1 32 -> 32, ReLU */
  ns_gconv g6;       /* enc1.6: 3x3 stride 2, 32 -> 64, 32 groups, ReLU */
  ns_conv c8;        /* enc1.8: 1x1 64 -> 64, ReLU */
  ns_conv res[2][2]; /* enc1.10, enc2.0: conv1 (+ReLU), conv2 */
} ma_encoder;

typedef struct
{
  ns_gconv w[2], b[2]; /* weight1/bias1 (level 0), weight2/bias2 (level 1) */
} ma_modulator;

typedef struct
{
  ns_conv res[2][2]; /* dec1, dec2: conv1, conv2 (modulated, no ReLU) */
  ns_gconv g1;       /* dec3.1: 3x3 64 -> 32, 32 groups, ReLU */
  ns_conv c3;        /* dec3.3: 1x1 32 -> 32, ReLU */
  ns_gconv g6;       /* dec3.6: 3x3 32 -> 16, 16 groups, ReLU */
  ns_conv c8;        /* dec3.8: 1x1 16 -> 16, ReLU */
  /* dec3.10: 9x9 16 -> 3, direct (im2col + sgemm with 3 output rows
     measured 1.5-2x slower at 1024x768: 1296 unfolded rows per pixel). */
  ns_gconv c10;
} ma_decoder;

typedef struct
{
  ma_encoder content, style;
  ma_modulator mod;
  ma_decoder dec;
} ma_net;

/* A style's code: what the decoder takes from it, per level (0: after
 * enc1, 1: after enc2): feature mean and std, modulation weight and
 * bias. */
typedef struct
{
  double mean[2][C64], std[2][C64];
  float w[2][C64], b[2][C64];
} ma_code;

/* ------------------------------------------------------------- weights */

/* Wrapped state dicts ({"state_dict": ...}, DataParallel's "module.")
 * are accepted besides plain ones; ns_weights_find also tries "model.". */
static const ns_weight *
find (const ns_weights *w, const char *key)
{
  static const char *const prefixes[] = { "state_dict.", "module.",
                                          "state_dict.module." };
  const ns_weight *t = ns_weights_find (w, key);
  char buf[256];
  for (size_t i = 0; !t && i < sizeof prefixes / sizeof prefixes[0]; i++)
    {
      snprintf (buf, sizeof buf, "%s%s", prefixes[i], key);
      t = ns_weights_find (w, buf);
    }
  return t;
}

static ns_status
tensor (const ns_weights *w, const char *file, const char *key, int ndim,
        const int64_t *shape, const float **out, int *n_used, ns_error *err)
{
  const ns_weight *t = find (w, key);
  char want[96] = "", got[96] = "";
  size_t u = 0, v = 0;
  bool ok;

  if (!t)
    return ns_fail (err, NS_ERR_FORMAT,
                    "%s: tensor %s missing (not a MicroAST %s file?)", file,
                    key, file);
  ok = t->ndim == ndim;
  for (int i = 0; i < ndim; i++)
    {
      ok = ok && t->shape[i] == shape[i];
      u += (size_t) snprintf (want + u, sizeof want - u, "%s%lld", i ? "x" : "",
                              (long long) shape[i]);
    }
  if (!ok)
    {
      for (int i = 0; i < t->ndim && i < 8 && v < sizeof got; i++)
        v += (size_t) snprintf (got + v, sizeof got - v, "%s%lld", i ? "x" : "",
                                (long long) t->shape[i]);
      return ns_fail (err, NS_ERR_SHAPE, "%s: %s has shape [%s], expected [%s]",
                      file, key, got, want);
    }
  *out = t->data;
  (*n_used)++;
  return NS_OK;
}

/* Weight and bias of ConvLayer PREFIX: [cout][cin/groups][k][k], [cout]. */
static ns_status
conv_layer (const ns_weights *w, const char *file, const char *prefix, int cout,
            int cin_per_group, int k, const float **weight, const float **bias,
            int *n_used, ns_error *err)
{
  char key[128];
  const int64_t ws[4] = { cout, cin_per_group, k, k }, bs[1] = { cout };
  ns_status st;
  snprintf (key, sizeof key, "%s.conv_layer.weight", prefix);
  if ((st = tensor (w, file, key, 4, ws, weight, n_used, err)) != NS_OK)
    return st;
  snprintf (key, sizeof key, "%s.conv_layer.bias", prefix);
  return tensor (w, file, key, 1, bs, bias, n_used, err);
}

static ns_status
dense (const ns_weights *w, const char *file, const char *prefix, int cin,
       int cout, int k, bool relu, ns_conv *c, int *n_used, ns_error *err)
{
  memset (c, 0, sizeof *c);
  c->cin = cin;
  c->cout = cout;
  c->k = k;
  c->pad = k / 2;
  c->relu = relu;
  return conv_layer (w, file, prefix, cout, cin, k, &c->weight, &c->bias,
                     n_used, err);
}

static ns_status
grouped_k (const ns_weights *w, const char *file, const char *prefix, int cin,
           int cout, int groups, int k, int stride, bool relu, ns_gconv *g,
           int *n_used, ns_error *err)
{
  memset (g, 0, sizeof *g);
  g->cin = cin;
  g->cout = cout;
  g->groups = groups;
  g->k = k;
  g->stride = stride;
  g->relu = relu;
  return conv_layer (w, file, prefix, cout, cin / groups, k, &g->weight,
                     &g->bias, n_used, err);
}

/* A grouped 3x3 layer. */
static ns_status
grouped (const ns_weights *w, const char *file, const char *prefix, int cin,
         int cout, int groups, int stride, bool relu, ns_gconv *g, int *n_used,
         ns_error *err)
{
  return grouped_k (w, file, prefix, cin, cout, groups, 3, stride, relu, g,
                    n_used, err);
}

static ns_status
encoder (const ns_weights *w, const char *file, ma_encoder *e, int *n,
         ns_error *err)
{
  static const char *const res[2] = { "enc1.10", "enc2.0" };
  ns_status st;
  if ((st = dense (w, file, "enc1.0", 3, 16, 9, true, &e->c0, n, err)) ||
      (st = grouped (w, file, "enc1.2", 16, 32, 16, 2, true, &e->g2, n, err)) ||
      (st = dense (w, file, "enc1.4", 32, 32, 1, true, &e->c4, n, err)) ||
      (st = grouped (w, file, "enc1.6", 32, 64, 32, 2, true, &e->g6, n, err)) ||
      (st = dense (w, file, "enc1.8", 64, 64, 1, true, &e->c8, n, err)))
    return st;
  for (int r = 0; r < 2; r++)
    for (int i = 0; i < 2; i++)
      {
        char p[32];
        snprintf (p, sizeof p, "%s.conv%d", res[r], i + 1);
        if ((st = dense (w, file, p, C64, C64, 3, i == 0, &e->res[r][i], n,
                         err)))
          return st;
      }
  return NS_OK;
}

static ns_status
modulator (const ns_weights *w, const char *file, ma_modulator *m, int *n,
           ns_error *err)
{
  ns_status st;
  for (int l = 0; l < 2; l++)
    {
      char p[32];
      snprintf (p, sizeof p, "weight%d.0", l + 1);
      if ((st = grouped (w, file, p, C64, C64, C64, 1, false, &m->w[l], n,
                         err)))
        return st;
      snprintf (p, sizeof p, "bias%d.0", l + 1);
      if ((st = grouped (w, file, p, C64, C64, C64, 1, false, &m->b[l], n,
                         err)))
        return st;
    }
  return NS_OK;
}

static ns_status
decoder (const ns_weights *w, const char *file, ma_decoder *d, int *n,
         ns_error *err)
{
  ns_status st;
  for (int r = 0; r < 2; r++)
    for (int i = 0; i < 2; i++)
      {
        char p[32];
        snprintf (p, sizeof p, "dec%d.conv%d", r + 1, i + 1);
        if ((st = dense (w, file, p, C64, C64, 3, false, &d->res[r][i], n,
                         err)))
          return st;
      }
  if ((st = grouped (w, file, "dec3.1", 64, 32, 32, 1, true, &d->g1, n, err)) ||
      (st = dense (w, file, "dec3.3", 32, 32, 1, true, &d->c3, n, err)) ||
      (st = grouped (w, file, "dec3.6", 32, 16, 16, 1, true, &d->g6, n, err)) ||
      (st = dense (w, file, "dec3.8", 16, 16, 1, true, &d->c8, n, err)) ||
      (st = grouped_k (w, file, "dec3.10", 16, 3, 1, 9, 1, false, &d->c10, n,
                       err)))
    return st;
  return NS_OK;
}

static ns_status
build (ns_weights *const *files, const char *const *names, ma_net *net,
       ns_error *err)
{
  ns_status st = NS_OK;
  for (int f = 0; f < 4 && st == NS_OK; f++)
    {
      int n = 0;
      if (!files[f])
        return ns_fail (err, NS_ERR_INTERNAL, "%s: not loaded", names[f]);
      switch (f)
        {
        case 0:
          st = encoder (files[f], names[f], &net->content, &n, err);
          break;
        case 1:
          st = encoder (files[f], names[f], &net->style, &n, err);
          break;
        case 2:
          st = modulator (files[f], names[f], &net->mod, &n, err);
          break;
        default:
          st = decoder (files[f], names[f], &net->dec, &n, err);
          break;
        }
      /* Like load_state_dict (strict): extra tensors mean another network. */
      if (st == NS_OK && n != ns_weights_count (files[f]))
        st = ns_fail (err, NS_ERR_FORMAT,
                      "%s: %d tensors, MicroAST's has %d: not the MicroAST "
                      "file (or from another version of the network)",
                      names[f], ns_weights_count (files[f]), n);
    }
  return st;
}

ns_status
ns_microast_check_files (ns_weights *const *files, const char *const *names,
                         ns_error *err)
{
  ma_net net;
  return build (files, names, &net, err);
}

/* ------------------------------------------------------------- forward */

typedef struct
{
  ns_run *run;
  int nt;
  ns_error *err;
} ma_ctx;

static int
half (int n)
{
  return (n - 1) / 2 + 1; /* 3x3, stride 2, padding 1 */
}

static ns_status
tick (ma_ctx *x, double flops)
{
  if (!ns_run_tick (x->run, flops))
    return ns_fail (x->err, NS_ERR_CANCELLED, "cancelled");
  return NS_OK;
}

static ns_status
conv (ma_ctx *x, const ns_conv *c, const float *in, int h, int w, float *out)
{
  const ns_conv_opts opts = { x->nt, 0, NULL };
  bool handled = false;
  /* oneDNN takes the dense layers when built and enabled; it may decline
     (or run out of memory): the own kernel then runs. */
  if (ns_dnnl_conv_plain (c, in, h, w, out, x->nt, ns_arith_current (),
                          &handled, NULL) == NS_OK &&
      handled)
    return tick (x, ns_conv_flops (c, h, w));
  return ns_conv2d_into (c, in, h, w, out, &opts, x->run, x->err);
}

static ns_status
gconv (ma_ctx *x, const ns_gconv *g, const float *in, int h, int w, float *out)
{
  ns_gconv_into (g, in, h, w, out, x->nt);
  return tick (x, ns_gconv_flops (g, h, w));
}

static float *
alloc_floats (ma_ctx *x, size_t n)
{
  size_t bytes;
  float *p = NULL;
  if (ns_size_mul (n, sizeof (float), &bytes))
    p = ns_alloc (bytes);
  if (!p)
    ns_fail (x->err, NS_ERR_NOMEM, "microast: out of memory (%zu MiB)",
             n * sizeof (float) >> 20);
  return p;
}

static size_t
maxz (size_t a, size_t b)
{
  return a > b ? a : b;
}

/* Encoder E on IMG (3 x h x w): F2 (64 x h4 x w4, allocated) the output
 * of enc2; F1 (same size, may be NULL) that of enc1. */
static ns_status
encode (ma_ctx *x, const ma_encoder *e, const float *img, int h, int w,
        float **f1, float **f2)
{
  const int h2 = half (h), w2 = half (w), h4 = half (h2), w4 = half (w2);
  const size_t hw = (size_t) h * w, q = (size_t) h2 * w2,
               hw4 = (size_t) h4 * w4;
  float *a = alloc_floats (x, maxz (16 * hw, maxz (32 * q, 64 * hw4)));
  float *b = alloc_floats (x, maxz (32 * q, 64 * hw4));
  float *f = alloc_floats (x, 64 * hw4);
  ns_status st = NS_ERR_NOMEM;

  if (f1)
    *f1 = NULL;
  *f2 = NULL;
  if (!a || !b || !f || (f1 && !(*f1 = alloc_floats (x, 64 * hw4))))
    goto out;
  if ((st = conv (x, &e->c0, img, h, w, a)) ||
      (st = gconv (x, &e->g2, a, h, w, b)) ||
      (st = conv (x, &e->c4, b, h2, w2, a)) ||
      (st = gconv (x, &e->g6, a, h2, w2, b)) ||
      (st = conv (x, &e->c8, b, h4, w4, f)))
    goto out;
  for (int r = 0; r < 2; r++)
    {
      if ((st = conv (x, &e->res[r][0], f, h4, w4, a)) ||
          (st = conv (x, &e->res[r][1], a, h4, w4, b)))
        goto out;
      ns_residual_add (f, b, 64 * hw4, x->nt);
      if (r == 0 && f1)
        memcpy (*f1, f, sizeof (float) * 64 * hw4);
    }
  *f2 = f;
  f = NULL;
out:
  ns_free (a);
  ns_free (b);
  ns_free (f);
  if (st != NS_OK && f1)
    {
      ns_free (*f1);
      *f1 = NULL;
    }
  return st;
}

static double
encode_flops (const ma_encoder *e, int h, int w)
{
  const int h2 = half (h), w2 = half (w), h4 = half (h2), w4 = half (w2);
  return ns_conv_flops (&e->c0, h, w) + ns_gconv_flops (&e->g2, h, w) +
         ns_conv_flops (&e->c4, h2, w2) + ns_gconv_flops (&e->g6, h2, w2) +
         ns_conv_flops (&e->c8, h4, w4) +
         4 * ns_conv_flops (&e->res[0][0], h4, w4);
}

/* The code of STYLE (3 x h x w). */
static ns_status
style_code (ma_ctx *x, const ma_net *net, const float *style, int h, int w,
            ma_code *code)
{
  const int h4 = half (half (h)), w4 = half (half (w));
  const size_t hw4 = (size_t) h4 * w4;
  float *f[2] = { NULL, NULL }, *t = NULL;
  ns_status st;

  if ((st = encode (x, &net->style, style, h, w, &f[0], &f[1])))
    return st;
  if (!(t = alloc_floats (x, 64 * hw4)))
    st = NS_ERR_NOMEM;
  for (int l = 0; l < 2 && st == NS_OK; l++)
    {
      double m[C64];
      ns_channel_mean_std (f[l], C64, hw4, EPS, code->mean[l], code->std[l],
                           x->nt);
      /* The modulator: depthwise 3x3, then AdaptiveAvgPool2d (1). */
      if ((st = gconv (x, &net->mod.w[l], f[l], h4, w4, t)))
        break;
      ns_channel_mean_std (t, C64, hw4, EPS, m, NULL, x->nt);
      for (int c = 0; c < C64; c++)
        code->w[l][c] = (float) m[c];
      if ((st = gconv (x, &net->mod.b[l], f[l], h4, w4, t)))
        break;
      ns_channel_mean_std (t, C64, hw4, EPS, m, NULL, x->nt);
      for (int c = 0; c < C64; c++)
        code->b[l][c] = (float) m[c];
    }
  ns_free (f[0]);
  ns_free (f[1]);
  ns_free (t);
  return st;
}

/* A filter-modulated residual block in place on X (64 x hw4): upstream's
 * ResidualLayer.forward with filterMod. */
static ns_status
mod_block (ma_ctx *x, const ns_conv *res, float *f, int h4, int w4,
           const float *wt, const float *bs, float *t, float *u)
{
  const size_t n = (size_t) h4 * w4;
  ns_status st;
  if ((st = conv (x, &res[0], f, h4, w4, t)))
    return st;
  ns_modulate_into (t, f, wt, bs, NULL, C64, n, true, t, x->nt);
  if ((st = conv (x, &res[1], t, h4, w4, u)))
    return st;
  ns_modulate_into (u, t, wt, bs, f, C64, n, false, f, x->nt);
  return NS_OK;
}

/* AdaIN of F towards level L of CODE, blended with ALPHA. */
static void
feat_mod (ma_ctx *x, float *f, size_t n, const ma_code *code, int l,
          double alpha)
{
  double cm[C64], cs[C64];
  ns_channel_mean_std (f, C64, n, EPS, cm, cs, x->nt);
  ns_adain_blend (f, C64, n, cm, cs, code->mean[l], code->std[l], alpha, x->nt);
}

/* The decoder on the content's features F (64 x h4 x w4, changed) into
 * OUT (3 x 4 h4 x 4 w4). */
static ns_status
decode (ma_ctx *x, const ma_decoder *d, float *f, int h4, int w4,
        const ma_code *code, double alpha, float *out)
{
  const size_t n = (size_t) h4 * w4;
  const int h2 = 2 * h4, w2 = 2 * w4, h1 = 4 * h4, w1 = 4 * w4;
  const size_t q = (size_t) h2 * w2, hw = (size_t) h1 * w1;
  float *t = alloc_floats (x, maxz (64 * n, 32 * q));
  float *u = alloc_floats (x, maxz (64 * n, 32 * q));
  float *v = NULL;
  ns_status st = NS_ERR_NOMEM;

  if (!t || !u)
    goto out;
  feat_mod (x, f, n, code, 1, alpha);
  if ((st = mod_block (x, d->res[0], f, h4, w4, code->w[1], code->b[1], t, u)))
    goto out;
  feat_mod (x, f, n, code, 0, alpha);
  if ((st = mod_block (x, d->res[1], f, h4, w4, code->w[0], code->b[0], t, u)))
    goto out;
  if ((st = ns_gconv_up2_into (&d->g1, f, h4, w4, t, x->nt, x->err)) ||
      (st = tick (x, ns_gconv_flops (&d->g1, h2, w2))) ||
      (st = conv (x, &d->c3, t, h2, w2, u)))
    goto out;
  ns_free (t);
  if (!(t = alloc_floats (x, 16 * hw)) || !(v = alloc_floats (x, 16 * hw)))
    {
      st = NS_ERR_NOMEM;
      goto out;
    }
  if ((st = ns_gconv_up2_into (&d->g6, u, h2, w2, t, x->nt, x->err)) ||
      (st = tick (x, ns_gconv_flops (&d->g6, h1, w1))))
    goto out;
  ns_free (u);
  u = NULL;
  if ((st = conv (x, &d->c8, t, h1, w1, v)))
    goto out;
  ns_free (t);
  t = NULL;
  st = gconv (x, &d->c10, v, h1, w1, out);
out:
  ns_free (t);
  ns_free (u);
  ns_free (v);
  return st;
}

static double
decode_flops (const ma_decoder *d, int h4, int w4)
{
  const int h2 = 2 * h4, w2 = 2 * w4, h1 = 4 * h4, w1 = 4 * w4;
  return 4 * ns_conv_flops (&d->res[0][0], h4, w4) +
         ns_gconv_flops (&d->g1, h2, w2) + ns_conv_flops (&d->c3, h2, w2) +
         ns_gconv_flops (&d->g6, h1, w1) + ns_conv_flops (&d->c8, h1, w1) +
         ns_gconv_flops (&d->c10, h1, w1);
}

/* ----------------------------------------------------------------- run */

/* The size STYLE is encoded at: its long side STYLE_SIZE when > 0. */
static void
style_size (const ns_image *style, int style_size, int *w, int *h)
{
  *w = style->width;
  *h = style->height;
  if (style_size > 0)
    ns_fit_long_side (*w, *h, style_size, w, h);
}

static ns_status
encode_style (ma_ctx *x, const ma_net *net, const ns_image *style, int size,
              ma_code *code)
{
  ns_image work = { 0 };
  const ns_image *img = style;
  int w, h;
  ns_status st;
  style_size (style, size, &w, &h);
  if (w != style->width || h != style->height)
    {
      if ((st = ns_image_resize (style, w, h, &work, x->err)) != NS_OK)
        return st;
      img = &work;
    }
  st = style_code (x, net, img->data, h, w, code);
  ns_image_free (&work);
  return st;
}

/* DST += K * SRC. */
static void
code_accumulate (ma_code *dst, const ma_code *src, double k)
{
  for (int l = 0; l < 2; l++)
    for (int c = 0; c < C64; c++)
      {
        dst->mean[l][c] += k * src->mean[l][c];
        dst->std[l][c] += k * src->std[l][c];
        dst->w[l][c] += (float) (k * src->w[l][c]);
        dst->b[l][c] += (float) (k * src->b[l][c]);
      }
}

/* Top-left H x W of the 3 x oh x ow decoder output into RESULT. */
static ns_status
crop (const float *out, int oh, int ow, int w, int h, ns_image *result,
      ns_error *err)
{
  ns_status st = ns_image_alloc (result, w, h, err);
  if (st != NS_OK)
    return st;
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < h; y++)
      memcpy (result->data + ((size_t) c * h + y) * w,
              out + ((size_t) c * oh + y) * ow, sizeof (float) * (size_t) w);
  (void) oh;
  return NS_OK;
}

ns_status
ns_microast_run (const ns_job *job, ns_image *result, ns_error *err)
{
  const ns_params *params = job->params;
  const ns_image *content = job->content;
  const int w = content->width, h = content->height;
  const int h4 = half (half (h)), w4 = half (half (w));
  const size_t n4 = (size_t) h4 * w4, n1 = 16 * n4;
  /* Two styles and a mask: one decode per style, the mask picks. */
  const bool split = job->mask && job->n_styles == 2;
  ns_weights *files[4];
  ma_net net;
  ma_code mix, codes[2];
  ma_ctx x = { job->run, job->run->n_threads, err };
  float *f = NULL, *f2 = NULL, *out[2] = { NULL, NULL };
  double total, wsum = 0.0;
  ns_status st;

  if (ns_model_get_kind (job->model) != NS_MODEL_MICROAST)
    return ns_fail (err, NS_ERR_UNSUPPORTED,
                    "the microast method needs a MicroAST model (a folder "
                    "with %s, %s, %s and %s); this model is %s",
                    ns_microast_files[0], ns_microast_files[1],
                    ns_microast_files[2], ns_microast_files[3],
                    ns_model_kind_name (ns_model_get_kind (job->model)));
  for (int i = 0; i < 4; i++)
    files[i] = (ns_weights *) ns_model_weights (job->model,
                                                ns_microast_files[i]);
  if ((st = build (files, ns_microast_files, &net, err)) != NS_OK)
    return st;

  total = encode_flops (&net.content, h, w) +
          (split ? 2 : 1) * decode_flops (&net.dec, h4, w4);
  for (int s = 0; s < job->n_styles; s++)
    {
      int sw, sh;
      style_size (job->styles[s].image, params->style_size, &sw, &sh);
      total += encode_flops (&net.style, sh, sw);
      wsum += job->styles[s].weight;
    }
  job->run->total = job->run->done + total;

  ns_run_stage (job->run, "encoding style");
  memset (&mix, 0, sizeof mix);
  for (int s = 0; s < job->n_styles; s++)
    {
      ma_code *c = split ? &codes[s] : &codes[0];
      /* Without a mask a style of weight 0 takes no part; all of weight
         0 (allowed with a mask) count alike. */
      double k = wsum > 0.0 ? job->styles[s].weight / wsum
                            : 1.0 / job->n_styles;
      if (!split && !(k > 0.0))
        continue;
      if ((st = encode_style (&x, &net, job->styles[s].image,
                              params->style_size, c)) != NS_OK)
        return st;
      if (!split)
        code_accumulate (&mix, c, k);
    }
  if (!split)
    codes[0] = mix;

  ns_run_stage (job->run, "encoding content");
  if ((st = encode (&x, &net.content, content->data, h, w, NULL, &f)))
    return st;
  ns_run_stage (job->run, "decoding");
  if (split && !(f2 = alloc_floats (&x, 64 * n4)))
    st = NS_ERR_NOMEM;
  else if (split)
    memcpy (f2, f, sizeof (float) * 64 * n4);
  for (int i = 0; i < (split ? 2 : 1) && st == NS_OK; i++)
    {
      if (!(out[i] = alloc_floats (&x, 3 * n1)))
        st = NS_ERR_NOMEM;
      else
        st = decode (&x, &net.dec, i ? f2 : f, h4, w4, &codes[i], 1.0, out[i]);
    }
  if (st == NS_OK && split)
    {
      /* out[0] = m out[0] + (1 - m) out[1] over the kept pixels. */
      const float *m = job->mask->data;
      for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++)
          for (int xx = 0; xx < w; xx++)
            {
              size_t o = ((size_t) c * 4 * h4 + y) * 4 * w4 + xx;
              float k = m[(size_t) y * w + xx];
              out[0][o] = k * out[0][o] + (1.0f - k) * out[1][o];
            }
    }
  if (st == NS_OK)
    st = crop (out[0], 4 * h4, 4 * w4, w, h, result, err);
  if (st == NS_OK && params->strength < 1.0f)
    {
      /* Strength blends with the content (see microast.h for why not
         upstream's alpha). */
      const float k = params->strength;
      const size_t n = (size_t) 3 * w * h;
      for (size_t i = 0; i < n; i++)
        result->data[i] = k * result->data[i] + (1.0f - k) * content->data[i];
    }
  ns_free (f);
  ns_free (f2);
  ns_free (out[0]);
  ns_free (out[1]);
  return st;
}

double
ns_microast_memory_need (const ns_params *params, int w, int h)
{
  /* Floats per pixel: the encoders' 16 + 8 + 4 + 4 (the style's at
     style-size, or the content's size when 0); the decoder's features (4),
     the 16-channel pair around its last 1x1 conv and the output (3). */
  const double px = (double) (4 * half (half (w))) * (4 * half (half (h)));
  const double side = params && params->style_size > 0 ? params->style_size
                                                       : (w > h ? w : h);
  const double spx = side * side;
  double enc = 32.0 * (spx > px ? spx : px), dec = 39.0 * px;
  return sizeof (float) * (enc > dec ? enc : dec) + 32.0 * 1024 * 1024;
}
