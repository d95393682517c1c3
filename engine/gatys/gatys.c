/* ns_gatys_run: the optimisation method of Gatys, Ecker & Bethge (2015),
 * coarse to fine as crowsonkb/style-transfer-pytorch.  Called by
 * ns_stylize (engine/stylize.c) with checked arguments at the working
 * size; ns_stylize then clamps, resizes back, preserves colours and blends
 * a one-style mask. */
#include "gatys.h"
#include "gatys-net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* L-BFGS correction pairs kept (torch's default is 100; 20 is the usual
 * choice for images and costs 2 x 20 image-sized vectors). */
#define NS_GATYS_LBFGS_HISTORY 20
/* The coarsest scale's short side is not made smaller than this. */
#define NS_GATYS_MIN_SCALE_SIDE 64

static uint64_t
splitmix64 (uint64_t *state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* A scale of the pyramid: W x H with the long side LONG_SIDE, aspect
 * kept, each side >= MIN (the network's smallest input). */
static void
fit_size (int w, int h, int long_side, int min, int *ow, int *oh)
{
  double s = (double) long_side / (w > h ? w : h);
  *ow = (int) lround (w * s);
  *oh = (int) lround (h * s);
  if (*ow < min)
    *ow = min;
  if (*oh < min)
    *oh = min;
}

static ns_status
resized (const ns_image *src, int w, int h, ns_image *dst, ns_error *err)
{
  if (src->width == w && src->height == h)
    {
      ns_status st = ns_image_alloc (dst, w, h, err);
      if (st == NS_OK)
        memcpy (dst->data, src->data, sizeof (float) * 3 * (size_t) w * h);
      return st;
    }
  return ns_image_resize (src, w, h, dst, err);
}

ns_status
ns_gatys_run (const ns_job *job, ns_image *result, ns_error *err)
{
  const ns_model *model = job->model;
  const ns_params *params = job->params;
  const ns_image *content = job->content;
  const ns_style *styles = job->styles;
  const ns_mask *mask = job->mask;
  const int n_styles = job->n_styles;
  const ns_gatys_params *gp = &params->gatys;
  ns_run *run = job->run;
  ns_featnet net;
  ns_status st;
  float *x = NULL, *g = NULL, *best = NULL;
  float style_w[NS_MAX_STYLES];
  int n_scales, min_side, long_side, ww, wh, s, k, iter_global = 0;
  int bw = 0, bh = 0, style_long;
  double total_work = 0.0, wsum = 0.0;
  bool stopped = false, cancelled = false;
  /* RUN keeps a pointer to the stage label: it must outlive the loop. */
  char stage[64];

  for (k = 0; k < n_styles; k++)
    {
      float wk = styles[k].weight;
      style_w[k] = isfinite (wk) && wk > 0.0f ? wk : 0.0f;
      wsum += style_w[k];
    }
  if (wsum <= 0.0)
    for (k = 0; k < n_styles; k++)
      style_w[k] = 1.0f;

  st = ns_featnet_build (model->kind, model->files, model->n_files, NULL, &net,
                         err);
  if (st != NS_OK)
    return st;
  min_side = 2 << net.n_pools;

  /* ---- scales of the working size */
  ww = content->width;
  wh = content->height;
  long_side = ww > wh ? ww : wh;
  if ((ww < wh ? ww : wh) < min_side)
    {
      ns_featnet_free (&net);
      return ns_fail (err, NS_ERR_INVALID_ARG,
                      "gatys: the image must be at least %dx%d pixels for the "
                      "%s network",
                      min_side, min_side, ns_model_kind_name (model->kind));
    }
  n_scales = gp->scales > 0 ? gp->scales : 1;
  while (n_scales > 1 &&
         ((ww < wh ? ww : wh) >> (n_scales - 1)) <
             (min_side > NS_GATYS_MIN_SCALE_SIDE ? min_side
                                                 : NS_GATYS_MIN_SCALE_SIDE))
    n_scales--;
  style_long = params->style_size > 0 ? params->style_size : long_side;

  for (s = 0; s < n_scales; s++)
    {
      int sw, sh;
      fit_size (ww, wh, long_side >> (n_scales - 1 - s), min_side, &sw, &sh);
      total_work += 3.0 * ns_featnet_flops (&net, sh, sw) * gp->iterations;
      for (k = 0; k < n_styles; k++)
        {
          int tw, th;
          fit_size (styles[k].image->width, styles[k].image->height,
                    style_long >> (n_scales - 1 - s), min_side, &tw, &th);
          total_work += ns_featnet_flops (&net, th, tw);
        }
    }
  run->total = run->done + total_work;

  for (s = 0; s < n_scales && !stopped && !cancelled; s++)
    {
      ns_gatys_objective obj;
      ns_image sc_content = { 0 }, sty[NS_MAX_STYLES];
      const ns_image *sty_p[NS_MAX_STYLES];
      ns_lbfgs *lb = NULL;
      ns_adam *adam = NULL;
      int sw, sh, it;
      size_t n;
      double f = 0.0, best_f = INFINITY;
      double iter_work;

      fit_size (ww, wh, long_side >> (n_scales - 1 - s), min_side, &sw, &sh);
      n = (size_t) 3 * sw * sh;
      iter_work = 3.0 * ns_featnet_flops (&net, sh, sw);
      if (n_scales > 1)
        snprintf (stage, sizeof stage, "optimising, scale %d/%d", s + 1,
                  n_scales);
      else
        snprintf (stage, sizeof stage, "optimising");
      ns_run_stage (run, "encoding style");

      memset (sty, 0, sizeof sty);
      st = ns_gatys_objective_init (&obj, &net, sh, sw, run->n_threads, err);
      if (st != NS_OK)
        break;
      obj.run = run;
      obj.content_weight = gp->content_weight;
      obj.style_weight = (double) gp->style_weight *
                         (params->strength >= 0.0f ? params->strength : 1.0f);
      obj.tv_weight = gp->tv_weight;

      /* Styles at this scale. */
      for (k = 0; k < n_styles && st == NS_OK; k++)
        {
          int tw, th;
          fit_size (styles[k].image->width, styles[k].image->height,
                    style_long >> (n_scales - 1 - s), min_side, &tw, &th);
          st = resized (styles[k].image, tw, th, &sty[k], err);
          sty_p[k] = &sty[k];
        }
      if (st == NS_OK && mask && n_styles == 2)
        {
          /* Each style on its region: the mask at this scale's size. */
          float *smask = ns_alloc ((size_t) sw * sh * sizeof (float));
          if (!smask)
            st = ns_fail (err, NS_ERR_NOMEM, "out of memory");
          else
            {
              ns_mask_box_resample (mask->data, mask->width, mask->height,
                                    smask, sw, sh);
              st = ns_gatys_objective_set_masked_styles (&obj, sty_p, smask,
                                                         run->n_threads, err);
              ns_free (smask);
            }
        }
      else if (st == NS_OK)
        st = ns_gatys_objective_set_styles (&obj, sty_p, style_w, n_styles,
                                            run->n_threads, err);
      for (k = 0; k < n_styles; k++)
        {
          if (sty[k].data)
            ns_run_tick (run,
                         ns_featnet_flops (&net, sty[k].height, sty[k].width));
          ns_image_free (&sty[k]);
        }
      if (st == NS_OK)
        st = resized (content, sw, sh, &sc_content, err);
      if (st == NS_OK)
        st = ns_gatys_objective_set_content (&obj, sc_content.data, err);

      /* Start point: the previous scale's result upsampled, else init. */
      if (st == NS_OK)
        {
          ns_free (g);
          g = ns_alloc (n * sizeof (float));
          if (!g)
            st = ns_fail (err, NS_ERR_NOMEM, "out of memory");
        }
      if (st == NS_OK && s > 0)
        {
          ns_image prev = { bw, bh, best }, up;
          st = ns_image_resize (&prev, sw, sh, &up, err);
          if (st == NS_OK)
            {
              ns_free (x);
              x = up.data;
            }
        }
      else if (st == NS_OK)
        {
          x = ns_alloc (n * sizeof (float));
          if (!x)
            st = ns_fail (err, NS_ERR_NOMEM, "out of memory");
          else if (gp->init == NS_INIT_NOISE)
            {
              uint64_t state = params->seed;
              size_t i;
              for (i = 0; i < n; i++)
                x[i] = (float) ((splitmix64 (&state) >> 40) *
                                (1.0 / 16777216.0));
            }
          else if (gp->init == NS_INIT_IMAGE)
            {
              ns_image tmp;
              st = resized (gp->init_image, sw, sh, &tmp, err);
              if (st == NS_OK)
                {
                  memcpy (x, tmp.data, n * sizeof (float));
                  ns_image_free (&tmp);
                }
            }
          else
            memcpy (x, sc_content.data, n * sizeof (float));
        }
      ns_image_free (&sc_content);
      if (st == NS_OK)
        {
          ns_free (best);
          best = ns_alloc (n * sizeof (float));
          if (!best)
            st = ns_fail (err, NS_ERR_NOMEM, "out of memory");
          else
            {
              memcpy (best, x, n * sizeof (float));
              bw = sw;
              bh = sh;
            }
        }
      if (st == NS_OK)
        {
          if (gp->use_adam)
            adam = ns_adam_new (n, gp->learning_rate);
          else
            lb = ns_lbfgs_new (n, NS_GATYS_LBFGS_HISTORY, 1.0f);
          if (!adam && !lb)
            st = ns_fail (err, NS_ERR_NOMEM, "out of memory");
        }
      if (st != NS_OK)
        {
          ns_gatys_objective_free (&obj);
          ns_adam_free (adam);
          ns_lbfgs_free (lb);
          break;
        }

      ns_run_stage (run, stage);
      if (!ns_gatys_objective_eval (x, &f, g, &obj))
        cancelled = true;
      else
        {
          best_f = f;
          memcpy (best, x, n * sizeof (float));
        }
      for (it = 0; it < gp->iterations && !cancelled && !stopped; it++)
        {
          if (lb)
            {
              int r = ns_lbfgs_step (lb, x, &f, g, ns_gatys_objective_eval,
                                     &obj);
              if (r < 0)
                cancelled = true;
              else if (r == 0)
                {
                  /* Converged: the remaining iterations are done. */
                  ns_run_tick (run, iter_work * (gp->iterations - it));
                  iter_global += gp->iterations - it;
                  break;
                }
            }
          else
            {
              ns_adam_update (adam, x, g);
              if (!ns_gatys_objective_eval (x, &f, g, &obj))
                cancelled = true;
            }
          if (cancelled)
            break;
          if (isfinite (f) && f < best_f)
            {
              best_f = f;
              memcpy (best, x, n * sizeof (float));
            }
          iter_global++;
          if (!ns_run_tick (run, iter_work))
            {
              cancelled = true;
              break;
            }
          if (gp->image_cb && gp->image_every > 0 &&
              iter_global % gp->image_every == 0)
            {
              const ns_image *full = job->full_content;
              ns_image preview, cur = { sw, sh, x };
              if (ns_image_alloc (&preview, full->width, full->height, NULL) ==
                  NS_OK)
                {
                  bool go = true;
                  /* Previews are finished as the result will be. */
                  if (ns_job_finish (job, &cur, &preview, NULL) == NS_OK)
                    go = gp->image_cb (iter_global, (float) f, &preview,
                                       gp->image_user_data);
                  ns_image_free (&preview);
                  if (!go)
                    stopped = true;
                }
            }
        }
      /* NS_GATYS_DEBUG=1 prints a line per scale (for benchmarks). */
      if (getenv ("NS_GATYS_DEBUG"))
        fprintf (stderr,
                 "gatys: scale %d/%d %dx%d: %d iterations, %d "
                 "evaluations, loss %.6g (content %.4g style %.4g tv %.4g)\n",
                 s + 1, n_scales, sw, sh, it, obj.evals, best_f,
                 obj.last_content, obj.last_style, obj.last_tv);
      ns_gatys_objective_free (&obj);
      ns_adam_free (adam);
      ns_lbfgs_free (lb);
    }

  /* Cancelled while encoding a scale's targets: still a cancel, and the
     previous scale's best image is still the result so far. */
  if (st == NS_ERR_CANCELLED)
    {
      cancelled = true;
      st = NS_OK;
    }
  ns_free (x);
  ns_free (g);
  ns_featnet_free (&net);
  if (st != NS_OK)
    {
      ns_free (best);
      return st;
    }
  /* The best image so far, also when cancelled (none before the first
     evaluation). */
  if (best)
    {
      result->width = bw;
      result->height = bh;
      result->data = best;
    }
  if (cancelled)
    return ns_fail (err, NS_ERR_CANCELLED, "cancelled");
  return NS_OK;
}
