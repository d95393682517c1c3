/* The Gatys objective at one image size: content, style (Gram) and TV
 * losses and their gradient with respect to the image. */
#include "gatys-net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Keeps the normalisations finite for a blank content or style. */
#define NS_GNORM_EPS 1e-8

ns_status
ns_gatys_objective_init (ns_gatys_objective *o, const ns_featnet *net, int h,
                         int w, int n_threads, ns_error *err)
{
  ns_status st;
  int i, maxc = 1;
  memset (o, 0, sizeof *o);
  o->net = net;
  o->h = h;
  o->w = w;
  st = ns_featnet_state_init (&o->buf, net, h, w, n_threads, err);
  if (st != NS_OK)
    return st;
  for (i = 0; i < net->n_taps; i++)
    if (net->taps[i].channels > maxc)
      maxc = net->taps[i].channels;
  o->gram_work = ns_alloc ((size_t) maxc * maxc * sizeof (float));
  for (i = 0; i < net->n_style; i++)
    {
      int c = net->taps[net->style[i]].channels;
      o->style_gram[i] = ns_calloc ((size_t) c * c * sizeof (float));
      o->layer_weight[i] = 1.0 / net->n_style;
      if (!o->style_gram[i])
        break;
    }
  {
    int t = net->content;
    o->content_feat = ns_calloc ((size_t) net->taps[t].channels *
                                 o->buf.tap_h[t] * o->buf.tap_w[t] *
                                 sizeof (float));
  }
  if (!o->gram_work || i < net->n_style || !o->content_feat)
    {
      ns_gatys_objective_free (o);
      return ns_fail (err, NS_ERR_NOMEM,
                      "out of memory for the Gatys "
                      "targets");
    }
  o->content_weight = 1.0;
  o->style_weight = 1.0;
  o->content_norm = 1.0;
  for (i = 0; i < net->n_style; i++)
    o->style_norm[i] = 1.0;
  return NS_OK;
}

void
ns_gatys_objective_free (ns_gatys_objective *o)
{
  int i;
  if (!o || !o->net)
    return;
  ns_featnet_state_free (&o->buf);
  for (i = 0; i < NS_FEATNET_MAX_STYLE; i++)
    {
      ns_free (o->style_gram[i]);
      ns_free (o->region_gram[0][i]);
      ns_free (o->region_gram[1][i]);
      ns_free (o->region_mask[0][i]);
      ns_free (o->region_mask[1][i]);
    }
  ns_free (o->mask_tmp);
  ns_free (o->content_feat);
  ns_free (o->gram_work);
  memset (o, 0, sizeof *o);
}

ns_status
ns_gatys_objective_set_content (ns_gatys_objective *o, const float *content,
                                ns_error *err)
{
  int t = o->net->content;
  size_t n = (size_t) o->net->taps[t].channels * o->buf.tap_h[t] *
             o->buf.tap_w[t],
         i;
  double norm = 0.0;
  if (!ns_featnet_forward (&o->buf, content, o->run))
    return ns_fail (err, NS_ERR_CANCELLED, "cancelled");
  memcpy (o->content_feat, o->buf.tap_out[t], n * sizeof (float));
  for (i = 0; i < n; i++)
    norm += (double) o->content_feat[i] * o->content_feat[i];
  o->content_norm = norm + NS_GNORM_EPS;
  return NS_OK;
}

ns_status
ns_gatys_objective_set_styles (ns_gatys_objective *o,
                               const ns_image *const *styles,
                               const float *weights, int n, int n_threads,
                               ns_error *err)
{
  const ns_featnet *net = o->net;
  double wsum = 0.0;
  int k, l;

  for (k = 0; k < n; k++)
    wsum += weights ? fmax (0.0, weights[k]) : 1.0;
  for (l = 0; l < net->n_style; l++)
    {
      int c = net->taps[net->style[l]].channels;
      memset (o->style_gram[l], 0, (size_t) c * c * sizeof (float));
    }
  for (k = 0; k < n; k++)
    {
      ns_featnet_state sb;
      ns_status st;
      double wk = weights ? fmax (0.0, weights[k]) : 1.0;
      wk = wsum > 0.0 ? wk / wsum : 1.0 / n;
      st = ns_featnet_state_init (&sb, net, styles[k]->height, styles[k]->width,
                                  n_threads, err);
      if (st != NS_OK)
        return st;
      if (!ns_featnet_forward (&sb, styles[k]->data, o->run))
        {
          ns_featnet_state_free (&sb);
          return ns_fail (err, NS_ERR_CANCELLED, "cancelled");
        }
      for (l = 0; l < net->n_style; l++)
        {
          int t = net->style[l];
          int c = net->taps[t].channels;
          int nn = sb.tap_h[t] * sb.tap_w[t];
          size_t i;
          ns_gram (sb.tap_out[t], c, nn, 1.0f / (float) nn, o->gram_work);
          for (i = 0; i < (size_t) c * c; i++)
            o->style_gram[l][i] += (float) wk * o->gram_work[i];
        }
      ns_featnet_state_free (&sb);
    }
  for (l = 0; l < net->n_style; l++)
    {
      int c = net->taps[net->style[l]].channels;
      double norm = 0.0;
      size_t i;
      for (i = 0; i < (size_t) c * c; i++)
        norm += (double) o->style_gram[l][i] * o->style_gram[l][i];
      o->style_norm[l] = norm + NS_GNORM_EPS;
    }
  return NS_OK;
}

void
ns_mask_box_resample (const float *src, int sw, int sh, float *dst, int dw,
                      int dh)
{
  int y, x;
  for (y = 0; y < dh; y++)
    {
      int y0 = (int) ((long) y * sh / dh);
      int y1 = (int) (((long) (y + 1) * sh + dh - 1) / dh);
      for (x = 0; x < dw; x++)
        {
          int x0 = (int) ((long) x * sw / dw);
          int x1 = (int) (((long) (x + 1) * sw + dw - 1) / dw);
          double s = 0.0;
          int yy, xx;
          for (yy = y0; yy < y1; yy++)
            for (xx = x0; xx < x1; xx++)
              s += src[(size_t) yy * sw + xx];
          dst[(size_t) y * dw + x] = (float) (s / ((y1 - y0) * (x1 - x0)));
        }
    }
}

ns_status
ns_gatys_objective_set_masked_styles (ns_gatys_objective *o,
                                      const ns_image *const *styles,
                                      const float *mask, int n_threads,
                                      ns_error *err)
{
  const ns_featnet *net = o->net;
  size_t max_tmp = 1, np = (size_t) o->h * o->w, i;
  double msum = 0.0;
  int k, l;
  ns_status st;

  for (l = 0; l < net->n_style; l++)
    {
      int t = net->style[l];
      int c = net->taps[t].channels;
      size_t nt = (size_t) o->buf.tap_h[t] * o->buf.tap_w[t];
      if ((size_t) c * nt > max_tmp)
        max_tmp = (size_t) c * nt;
      for (k = 0; k < 2; k++)
        {
          o->region_gram[k][l] = ns_alloc ((size_t) c * c * sizeof (float));
          o->region_mask[k][l] = ns_alloc (nt * sizeof (float));
          if (!o->region_gram[k][l] || !o->region_mask[k][l])
            return ns_fail (err, NS_ERR_NOMEM, "out of memory for masks");
        }
      ns_mask_box_resample (mask, o->w, o->h, o->region_mask[0][l],
                            o->buf.tap_w[t], o->buf.tap_h[t]);
      for (i = 0; i < nt; i++)
        {
          float m = o->region_mask[0][l][i];
          m = m < 0.0f ? 0.0f : m > 1.0f ? 1.0f : m;
          o->region_mask[0][l][i] = m;
          o->region_mask[1][l][i] = 1.0f - m;
        }
    }
  o->mask_tmp = ns_alloc (max_tmp * sizeof (float));
  if (!o->mask_tmp)
    return ns_fail (err, NS_ERR_NOMEM, "out of memory for masks");
  for (i = 0; i < np; i++)
    msum += mask[i] < 0.0f ? 0.0 : mask[i] > 1.0f ? 1.0 : mask[i];
  o->region_weight[0] = msum / np;
  o->region_weight[1] = 1.0 - msum / np;

  /* Each style's own Grams: blend them one at a time. */
  for (k = 0; k < 2; k++)
    {
      float one = 1.0f;
      st = ns_gatys_objective_set_styles (o, &styles[k], &one, 1, n_threads,
                                          err);
      if (st != NS_OK)
        return st;
      for (l = 0; l < net->n_style; l++)
        {
          int c = net->taps[net->style[l]].channels;
          memcpy (o->region_gram[k][l], o->style_gram[l],
                  (size_t) c * c * sizeof (float));
          o->region_norm[k][l] = o->style_norm[l];
        }
    }
  o->n_regions = 2;
  return NS_OK;
}

bool
ns_gatys_objective_eval (const float *x, double *f, float *g, void *user)
{
  ns_gatys_objective *o = user;
  const ns_featnet *net = o->net;
  ns_featnet_state *b = &o->buf;
  int t, l;
  double lc = 0.0, ls = 0.0, ltv;

  o->evals++;
  if (!ns_featnet_forward (b, x, o->run))
    return false;
  for (t = 0; t < net->n_taps; t++)
    memset (b->tap_grad[t], 0,
            (size_t) net->taps[t].channels * b->tap_h[t] * b->tap_w[t] *
                sizeof (float));
  if (o->content_weight != 0.0)
    {
      t = net->content;
      lc = ns_content_loss (b->tap_out[t], o->content_feat,
                            (size_t) net->taps[t].channels * b->tap_h[t] *
                                b->tap_w[t],
                            o->content_weight, o->content_norm, b->tap_grad[t]);
    }
  if (o->style_weight != 0.0 && o->n_regions == 2)
    for (l = 0; l < net->n_style; l++)
      {
        int k;
        t = net->style[l];
        for (k = 0; k < 2; k++)
          ls += ns_style_loss_masked (
              b->tap_out[t], net->taps[t].channels, b->tap_h[t] * b->tap_w[t],
              o->region_mask[k][l], o->region_gram[k][l],
              o->style_weight * o->layer_weight[l] * o->region_weight[k],
              o->region_norm[k][l], o->gram_work, o->mask_tmp, b->tap_grad[t]);
      }
  else if (o->style_weight != 0.0)
    for (l = 0; l < net->n_style; l++)
      {
        t = net->style[l];
        ls += ns_style_loss (b->tap_out[t], net->taps[t].channels,
                             b->tap_h[t] * b->tap_w[t], o->style_gram[l],
                             o->style_weight * o->layer_weight[l],
                             o->style_norm[l], o->gram_work, b->tap_grad[t]);
      }
  if (!ns_featnet_backward (b, g, o->run))
    return false;
  ltv = o->tv_weight != 0.0 ? ns_tv_loss (x, 3, o->h, o->w, o->tv_weight, g)
                            : 0.0;
  o->last_content = lc;
  o->last_style = ls;
  o->last_tv = ltv;
  *f = lc + ls + ltv;
  return true;
}
