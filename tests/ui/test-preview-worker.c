/* The dialog's preview worker (ui/ns-preview.c) without a display:
 *  - a newer request cancels the stale one (only the newest is delivered);
 *  - the result is a stylized, non-blank image that differs from the
 *    content, and a strength change updates it (closer to the content at a
 *    lower strength);
 *  - a strength-only change is faster than a full preview (the context
 *    cache skips the style/content encodings);
 *  - the main loop keeps running while the worker computes (a 10 ms timer
 *    keeps firing; the largest gap is printed);
 *  - a mask limits the style to its white part;
 *  - freeing while a preview computes returns promptly and delivers
 *    nothing afterwards. */
#include "ns-preview.h"
#include "testutil.h"
#include "ui-testimg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  GMainLoop *loop;
  guint n_callbacks;
  guint last_gen;
  NsPreviewStatus last_status;
  double last_ms;
  gboolean last_model_loaded;
  ns_image last;
  gboolean timed_out;
  /* main-loop ticks */
  gint64 last_tick;
  double max_gap_ms;
  guint ticks;
} T;

static void
on_result (const NsPreviewResult *r, gpointer user_data)
{
  T *t = user_data;

  t->n_callbacks++;
  t->last_gen = r->generation;
  t->last_status = r->status;
  t->last_ms = r->compute_ms;
  t->last_model_loaded = r->model_loaded;
  if (r->status == NS_PREVIEW_FAILED)
    fprintf (stderr, "preview failed: %s\n", r->message);
  if (r->status == NS_PREVIEW_PARTIAL)
    return;
  ns_image_free (&t->last);
  if (r->image && ns_image_alloc (&t->last, r->image->width, r->image->height,
                                  NULL) == NS_OK)
    memcpy (t->last.data, r->image->data,
            sizeof (float) * 3 * (size_t) r->image->width * r->image->height);
  g_main_loop_quit (t->loop);
}

static gboolean
tick (gpointer data)
{
  T *t = data;
  gint64 now = g_get_monotonic_time ();

  if (t->last_tick)
    t->max_gap_ms = MAX (t->max_gap_ms, (now - t->last_tick) / 1000.0);
  t->last_tick = now;
  t->ticks++;
  return G_SOURCE_CONTINUE;
}

static gboolean
timeout_cb (gpointer data)
{
  T *t = data;

  t->timed_out = TRUE;
  g_main_loop_quit (t->loop);
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until a result arrives; returns the wall time. */
static double
wait_result (T *t)
{
  gint64 t0 = g_get_monotonic_time ();
  guint to = g_timeout_add_seconds (120, timeout_cb, t);

  g_main_loop_run (t->loop);
  if (!t->timed_out)
    g_source_remove (to);
  return (g_get_monotonic_time () - t0) / 1000.0;
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

/* A mirrored copy: new pixels, so nothing cached applies. */
static ns_image *
mirror_heap (const ns_image *src)
{
  ns_image *img = copy_heap (src);
  size_t plane = (size_t) src->width * src->height;

  for (int c = 0; c < 3; c++)
    for (int y = 0; y < src->height; y++)
      for (int x = 0; x < src->width; x++)
        img->data[c * plane + (size_t) y * src->width + x] =
            src->data[c * plane + (size_t) y * src->width +
                      (src->width - 1 - x)];
  return img;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

int
main (void)
{
  char *model_dir = tu_shared_path_or_skip ("models/cd16x");
  ns_image content = { 0 }, style = { 0 }, full = { 0 };
  ns_params params = ns_params_default ();
  NsPreview *p;
  T t = { 0 };
  guint gen1, gen2, tick_id;
  double busy_ms = 0, w, full_ms, strength_ms[3], d_full, d_low;
  guint n_before;
  gint64 t0;

  ui_load_shared ("images/content/tubingen.jpg", 384, &content);
  ui_load_shared ("images/style/starry_night.jpg", 256, &style);
  t.loop = g_main_loop_new (NULL, FALSE);
  tick_id = g_timeout_add (10, tick, &t);

  p = ns_preview_new (on_result, &t);
  ns_preview_set_images (p, copy_heap (&content), copy_heap (&style));

  /* 1. Two requests in a row: only the second is delivered. */
  params.strength = 0.5f;
  gen1 = ns_preview_request (p, model_dir, NS_MODEL_CD16X, &params);
  params.strength = 1.0f;
  gen2 = ns_preview_request (p, model_dir, NS_MODEL_CD16X, &params);
  busy_ms += w = wait_result (&t);
  TU_CHECK (!t.timed_out);
  TU_CHECK (gen2 != gen1);
  TU_CHECK (t.n_callbacks == 1 && t.last_gen == gen2);
  TU_CHECK (t.last_status == NS_PREVIEW_DONE);
  TU_CHECK (t.last.data && t.last.width == content.width &&
            t.last.height == content.height);
  if (!t.last.data)
    return tu_finish ("test-preview-worker");
  printf ("first preview (model load + full): %.1f ms wall, %.1f ms "
          "compute, model_loaded=%d\n",
          w, t.last_ms, t.last_model_loaded);
  TU_CHECK (t.last_model_loaded);
  TU_CHECK (ui_stddev (&t.last) > 0.02); /* not blank */
  d_full = ui_mean_abs_diff (&t.last, &content);
  printf ("mean |preview - content| at strength 1: %.4f\n", d_full);
  TU_CHECK (d_full > 0.03); /* stylized */
  full = t.last;
  memset (&t.last, 0, sizeof t.last);

  /* 2. Strength-only changes reuse the cached encodings. */
  for (int i = 0; i < 3; i++)
    {
      guint n = t.n_callbacks;

      params.strength = 0.2f + 0.1f * i;
      ns_preview_request (p, model_dir, NS_MODEL_CD16X, &params);
      busy_ms += wait_result (&t);
      TU_CHECK (t.n_callbacks == n + 1 && t.last_status == NS_PREVIEW_DONE);
      TU_CHECK (!t.last_model_loaded);
      strength_ms[i] = t.last_ms;
    }
  /* The last one is strength 0.4: between the content and the full style. */
  d_low = ui_mean_abs_diff (&t.last, &content);
  printf ("mean |preview - content| at strength 0.4: %.4f; "
          "|s0.4 - s1|: %.4f\n",
          d_low, ui_mean_abs_diff (&t.last, &full));
  TU_CHECK (d_low < d_full);
  TU_CHECK (ui_mean_abs_diff (&t.last, &full) > 0.005);

  /* 3. The same images again: the cached encodings apply, and the result
   * is the one of step 1. */
  ns_preview_set_images (p, copy_heap (&content), copy_heap (&style));
  params.strength = 1.0f;
  ns_preview_request (p, model_dir, NS_MODEL_CD16X, &params);
  busy_ms += wait_result (&t);
  TU_CHECK (t.last_status == NS_PREVIEW_DONE && !t.last_model_loaded);
  TU_CHECK (ui_mean_abs_diff (&t.last, &full) < 1e-3); /* deterministic */

  /* 4. A full preview: new images, everything encoded. */
  ns_preview_set_images (p, mirror_heap (&content), mirror_heap (&style));
  ns_preview_request (p, model_dir, NS_MODEL_CD16X, &params);
  busy_ms += wait_result (&t);
  full_ms = t.last_ms;
  TU_CHECK (t.last_status == NS_PREVIEW_DONE && !t.last_model_loaded);
  TU_CHECK (ui_mean_abs_diff (&t.last, &full) > 0.01);

  /* 5. A mask: style on the left half only, the content on the right. */
  {
    ns_mask *mask = g_new0 (ns_mask, 1);
    size_t plane = (size_t) content.width * content.height;
    double dl = 0, dr = 0;
    int half = content.width / 2;

    if (ns_mask_alloc (mask, content.width, content.height, NULL) != NS_OK)
      abort ();
    for (int y = 0; y < content.height; y++)
      for (int x = 0; x < content.width; x++)
        mask->data[(size_t) y * content.width + x] = x < half ? 1.0f : 0.0f;
    ns_preview_set_images (p, copy_heap (&content), copy_heap (&style));
    ns_preview_set_mask (p, mask);
    ns_preview_request (p, model_dir, NS_MODEL_CD16X, &params);
    busy_ms += wait_result (&t);
    TU_CHECK (t.last_status == NS_PREVIEW_DONE);
    for (int c = 0; c < 3; c++)
      for (int y = 0; y < content.height; y++)
        for (int x = 0; x < content.width; x++)
          {
            size_t i = c * plane + (size_t) y * content.width + x;
            double d = fabs ((double) t.last.data[i] - content.data[i]);

            if (x < half - 8)
              dl += d;
            else if (x >= half + 8)
              dr += d;
          }
    dl /= 3.0 * content.height * (half - 8);
    dr /= 3.0 * content.height * (content.width - half - 8);
    printf ("masked preview: |result - content| left (style) %.4f, "
            "right (original) %.4f\n",
            dl, dr);
    /* The engine blends in feature space (the unstyled part still goes
     * through the decoders), so "original" means nearer the content. */
    TU_CHECK (dl > 0.05 && dr < 0.8 * dl);
    ns_preview_set_mask (p, NULL);
  }

  qsort (strength_ms, 3, sizeof (double), cmp_double);
  printf ("preview %dx%d, style %dx%d, cd16x, %s:\n"
          "  full preview      %.1f ms\n"
          "  strength change   %.1f ms (median of 3)\n",
          content.width, content.height, style.width, style.height,
          ns_method_name (params.method), full_ms, strength_ms[1]);
  TU_CHECK (strength_ms[1] < full_ms);

  /* 6. The main loop was never blocked by the computations. */
  printf ("main loop: %u ticks of 10 ms in %.0f ms of previews, "
          "max gap %.1f ms\n",
          t.ticks, busy_ms, t.max_gap_ms);
  TU_CHECK (t.ticks >= busy_ms / 10.0 * 0.25);

  /* 7. Freeing while a preview computes: prompt, and nothing delivered. */
  ns_preview_set_images (p, copy_heap (&content), copy_heap (&style));
  ns_preview_request (p, model_dir, NS_MODEL_CD16X, &params);
  g_usleep (30 * 1000);
  TU_CHECK (ns_preview_busy (p));
  n_before = t.n_callbacks;
  t0 = g_get_monotonic_time ();
  ns_preview_free (p);
  printf ("free while computing returned after %.1f ms\n",
          (g_get_monotonic_time () - t0) / 1000.0);
  for (int i = 0; i < 50; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  TU_CHECK (t.n_callbacks == n_before);

  g_source_remove (tick_id);
  g_main_loop_unref (t.loop);
  ns_image_free (&t.last);
  ns_image_free (&full);
  ns_image_free (&content);
  ns_image_free (&style);
  free (model_dir);
  return tu_finish ("test-preview-worker");
}
