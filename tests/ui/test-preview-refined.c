/* The preview's two passes (ui/ns-preview.c, ns_preview_request_refined)
 * without a display:
 *  - a refined request delivers the quick pass first (NS_PREVIEW_APPROX,
 *    exact FALSE, at the quick images' size), then the exact pass
 *    (NS_PREVIEW_DONE, exact TRUE, at the exact images' size);
 *  - the exact pass is the render's design stage: equal to ns_stylize of
 *    the same images and parameters in a context of its own;
 *  - a newer request cancels the older one: nothing of it is delivered;
 *  - a strength change gives both passes again, from the caches;
 *  - QUICK NULL runs the exact pass only. */
#include "ns-preview.h"
#include "testutil.h"
#include "ui-testimg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVENTS 32

typedef struct
{
  guint gen;
  NsPreviewStatus status;
  gboolean exact;
  int w, h;
  double ms;
} Event;

typedef struct
{
  GMainLoop *loop;
  Event ev[MAX_EVENTS];
  int n;
  ns_image done; /* the last DONE image */
  gboolean timed_out;
} T;

static void
on_result (const NsPreviewResult *r, gpointer user_data)
{
  T *t = user_data;

  if (t->n < MAX_EVENTS)
    {
      Event *e = &t->ev[t->n++];

      e->gen = r->generation;
      e->status = r->status;
      e->exact = r->exact;
      e->w = r->image ? r->image->width : 0;
      e->h = r->image ? r->image->height : 0;
      e->ms = r->compute_ms;
    }
  if (r->status == NS_PREVIEW_FAILED)
    fprintf (stderr, "preview failed: %s\n", r->message);
  if (r->status == NS_PREVIEW_DONE && r->image)
    {
      ns_image_free (&t->done);
      if (ns_image_alloc (&t->done, r->image->width, r->image->height, NULL) !=
          NS_OK)
        abort ();
      memcpy (t->done.data, r->image->data,
              sizeof (float) * 3 * (size_t) r->image->width * r->image->height);
    }
  if (r->status == NS_PREVIEW_DONE || r->status == NS_PREVIEW_FAILED)
    g_main_loop_quit (t->loop);
}

static gboolean
timeout_cb (gpointer data)
{
  T *t = data;

  t->timed_out = TRUE;
  g_main_loop_quit (t->loop);
  return G_SOURCE_REMOVE;
}

static void
wait_done (T *t)
{
  guint to = g_timeout_add_seconds (240, timeout_cb, t);

  g_main_loop_run (t->loop);
  if (!t->timed_out)
    g_source_remove (to);
}

static ns_image *
copy_heap (const ns_image *src)
{
  ns_image *img = g_new0 (ns_image, 1);

  if (ns_image_alloc (img, src->width, src->height, NULL) != NS_OK)
    abort ();
  memcpy (img->data, src->data,
          sizeof (float) * 3 * (size_t) src->width * src->height);
  return img;
}

/* The two events of a refined request GEN from event FIRST on. */
static void
check_two_passes (const T *t, int first, guint gen, const ns_image *quick,
                  const ns_image *exact)
{
  TU_CHECK (t->n == first + 2);
  if (t->n != first + 2)
    return;
  TU_CHECK (t->ev[first].gen == gen && t->ev[first + 1].gen == gen);
  TU_CHECK (t->ev[first].status == NS_PREVIEW_APPROX && !t->ev[first].exact);
  TU_CHECK (t->ev[first].w == quick->width && t->ev[first].h == quick->height);
  TU_CHECK (t->ev[first + 1].status == NS_PREVIEW_DONE &&
            t->ev[first + 1].exact);
  TU_CHECK (t->ev[first + 1].w == exact->width &&
            t->ev[first + 1].h == exact->height);
  printf ("gen %u: quick pass %.1f ms (%dx%d), exact pass %.1f ms (%dx%d)\n",
          gen, t->ev[first].ms, t->ev[first].w, t->ev[first].h,
          t->ev[first + 1].ms, t->ev[first + 1].w, t->ev[first + 1].h);
}

int
main (void)
{
  char *model_dir = tu_shared_path_or_skip ("models/cd16x");
  ns_image quick = { 0 }, exact = { 0 }, style_q = { 0 }, style = { 0 };
  ns_image direct = { 0 }, first = { 0 };
  ns_params qp = ns_params_default (), ep = ns_params_default ();
  ns_model *model = NULL;
  ns_context *ctx = NULL;
  ns_error err = { 0 };
  ns_style st;
  NsPreview *p;
  T t = { 0 };
  guint gen1, gen2;
  int n0;
  double diff;

  ui_load_shared ("images/content/tubingen.jpg", 128, &quick);
  ui_load_shared ("images/content/tubingen.jpg", 320, &exact);
  ui_load_shared ("images/style/starry_night.jpg", 128, &style_q);
  ui_load_shared ("images/style/starry_night.jpg", 384, &style);
  qp.style_size = 0;
  ep.style_size = 256; /* the engine resizes the exact pass's style */
  t.loop = g_main_loop_new (NULL, FALSE);

  p = ns_preview_new (on_result, &t);
  ns_preview_set_images (p, copy_heap (&quick), copy_heap (&style_q));
  ns_preview_set_exact_images (p, copy_heap (&exact), copy_heap (&style));

  /* 1. Two refined requests in a row: only the second is delivered, in
   * two passes. */
  qp.strength = ep.strength = 0.5f;
  gen1 = ns_preview_request_refined (p, model_dir, NS_MODEL_CD16X, &qp, &ep);
  qp.strength = ep.strength = 1.0f;
  gen2 = ns_preview_request_refined (p, model_dir, NS_MODEL_CD16X, &qp, &ep);
  wait_done (&t);
  TU_CHECK (!t.timed_out && gen1 != gen2);
  check_two_passes (&t, 0, gen2, &quick, &exact);
  TU_CHECK (t.done.data != NULL);
  if (!t.done.data)
    return tu_finish ("test-preview-refined");

  /* 2. The exact pass is ns_stylize of the exact images. */
  TU_CHECK (ns_model_load (model_dir, NS_MODEL_CD16X, &model, &err) == NS_OK);
  TU_CHECK (ns_context_new (model, &ctx, &err) == NS_OK);
  TU_CHECK (ns_image_alloc (&direct, exact.width, exact.height, NULL) == NS_OK);
  st.image = &style;
  st.weight = 1.0f;
  TU_CHECK (ns_stylize (ctx, &ep, &exact, &st, 1, NULL, &direct, &err) ==
            NS_OK);
  diff = tu_max_abs_diff (direct.data, t.done.data,
                          3 * (size_t) exact.width * exact.height);
  printf ("exact pass vs ns_stylize: max |diff| %.2g\n", diff);
  TU_CHECK (diff <= 1e-4);
  /* ... and not a blank or unchanged image. */
  TU_CHECK (ui_stddev (&t.done) > 0.02);
  TU_CHECK (ui_mean_abs_diff (&t.done, &exact) > 0.03);
  first = t.done;
  memset (&t.done, 0, sizeof t.done);

  /* 3. A strength change: both passes again, a different result. */
  n0 = t.n;
  qp.strength = ep.strength = 0.4f;
  gen1 = ns_preview_request_refined (p, model_dir, NS_MODEL_CD16X, &qp, &ep);
  wait_done (&t);
  TU_CHECK (!t.timed_out);
  check_two_passes (&t, n0, gen1, &quick, &exact);
  TU_CHECK (t.done.data && ui_mean_abs_diff (&t.done, &first) > 0.005);
  TU_CHECK (t.done.data && ui_mean_abs_diff (&t.done, &exact) <
                               ui_mean_abs_diff (&first, &exact));

  /* 4. No quick pass: the exact one only. */
  n0 = t.n;
  gen1 = ns_preview_request_refined (p, model_dir, NS_MODEL_CD16X, NULL, &ep);
  wait_done (&t);
  TU_CHECK (!t.timed_out && t.n == n0 + 1);
  TU_CHECK (t.ev[n0].gen == gen1 && t.ev[n0].status == NS_PREVIEW_DONE &&
            t.ev[n0].exact && t.ev[n0].w == exact.width);

  ns_preview_free (p);
  ns_context_free (ctx);
  ns_model_free (model);
  ns_image_free (&quick);
  ns_image_free (&exact);
  ns_image_free (&style_q);
  ns_image_free (&style);
  ns_image_free (&direct);
  ns_image_free (&first);
  ns_image_free (&t.done);
  g_main_loop_unref (t.loop);
  free (model_dir);
  return tu_finish ("test-preview-refined");
}
