/* Runs the engine in a worker thread; the main thread owns every libgimp
 * call (the wire to GIMP is not thread-safe) and relays progress. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "ns-plugin.h"

typedef struct
{
  NsJob *job;
  GMainLoop *loop;

  GMutex lock; /* guards fraction, stage, done */
  gdouble fraction;
  const gchar *stage; /* engine string literals: safe to keep */
  gboolean done;

  gint cancel;       /* atomic; set by the main thread */
  gdouble cancel_at; /* test hook, > 1 = never */
  const gchar *shown_stage;

  gchar *action;     /* test hook $NS_PLUGIN_TEST_ACTION, or NULL */
  gdouble action_at; /* ... its fraction */
} Worker;

/* Engine thread: record progress, answer whether to go on. */
static bool
worker_progress (float fraction, const char *stage, void *user_data)
{
  Worker *w = user_data;

  g_mutex_lock (&w->lock);
  w->fraction = fraction;
  if (stage)
    w->stage = stage;
  g_mutex_unlock (&w->lock);
  return !g_atomic_int_get (&w->cancel);
}

static gpointer
worker_thread (gpointer data)
{
  Worker *w = data;
  NsJob *job = w->job;
  ns_model *model = NULL;
  ns_context *ctx = NULL;
  ns_style style = { job->style, 1.0f };

  job->status = ns_model_load (job->model_dir, job->model_kind, &model,
                               &job->err);
  if (job->status == NS_OK)
    job->status = ns_context_new (model, &ctx, &job->err);
  if (job->status == NS_OK)
    job->status = ns_stylize (ctx, &job->params, job->content, &style, 1,
                              job->mask, &job->out, &job->err);
  ns_context_free (ctx);
  ns_model_free (model);

  g_mutex_lock (&w->lock);
  w->done = TRUE;
  g_mutex_unlock (&w->lock);
  /* Wakes the main loop at once instead of at the next poll. */
  g_main_context_wakeup (NULL);
  return NULL;
}

/* Test hook, main thread: act as a user would during the run. */
static void
worker_test_action (Worker *w)
{
  NsJob *job = w->job;
  GimpImage *style_image;
  gboolean ok = FALSE;

  style_image = gimp_item_get_image (GIMP_ITEM (job->style_drawable));
  if (g_strcmp0 (w->action, "delete-content") == 0)
    ok = gimp_image_remove_layer (job->image, GIMP_LAYER (job->drawable));
  else if (g_strcmp0 (w->action, "close-image") == 0)
    ok = gimp_image_delete (job->image);
  else if (g_strcmp0 (w->action, "delete-style") == 0)
    ok = gimp_image_remove_layer (style_image,
                                  GIMP_LAYER (job->style_drawable));
  else if (g_strcmp0 (w->action, "close-style") == 0)
    ok = gimp_image_delete (style_image);
  g_message ("NS_PLUGIN_TEST_ACTION %s at %.2f: %s", w->action, w->action_at,
             ok ? "done" : "FAILED");
  g_clear_pointer (&w->action, g_free);
}

/* Main thread, every 50 ms: relay progress, notice completion. */
static gboolean
worker_poll (gpointer data)
{
  Worker *w = data;
  gdouble fraction;
  const gchar *stage;
  gboolean done;

  g_mutex_lock (&w->lock);
  fraction = w->fraction;
  stage = w->stage;
  done = w->done;
  g_mutex_unlock (&w->lock);

  if (done)
    {
      g_main_loop_quit (w->loop);
      return G_SOURCE_REMOVE;
    }
  if (stage && stage != w->shown_stage)
    {
      gimp_progress_set_text_printf (_ ("Neural style: %s"), stage);
      w->shown_stage = stage;
    }
  /* A failed update means GIMP is no longer listening: stop the engine. */
  if (!gimp_progress_update (CLAMP (fraction, 0.0, 1.0)))
    g_atomic_int_set (&w->cancel, 1);
  if (fraction >= w->cancel_at)
    g_atomic_int_set (&w->cancel, 1);
  if (w->action && fraction >= w->action_at)
    worker_test_action (w);
  return G_SOURCE_CONTINUE;
}

ns_status
ns_worker_run (NsJob *job)
{
  Worker w = { 0 };
  const gchar *hook = g_getenv ("NS_PLUGIN_CANCEL_AT");
  const gchar *action = g_getenv ("NS_PLUGIN_TEST_ACTION");
  GThread *thread;
  GError *error = NULL;
  guint poll_id;

  w.job = job;
  w.cancel_at = hook && *hook ? g_ascii_strtod (hook, NULL) : 2.0;
  if (action && strchr (action, '@') && job->image && job->style_drawable)
    {
      w.action = g_strndup (action, strchr (action, '@') - action);
      w.action_at = g_ascii_strtod (strchr (action, '@') + 1, NULL);
    }
  g_mutex_init (&w.lock);
  job->params.progress = worker_progress;
  job->params.progress_user_data = &w;
  job->status = NS_ERR_INTERNAL;

  gimp_progress_init (_ ("Neural style transfer"));

  thread = g_thread_try_new ("ns-engine", worker_thread, &w, &error);
  if (!thread)
    {
      g_snprintf (job->err.message, sizeof job->err.message,
                  "cannot start a worker thread: %s", error->message);
      job->err.status = job->status = NS_ERR_INTERNAL;
      g_clear_error (&error);
      g_mutex_clear (&w.lock);
      g_free (w.action);
      return job->status;
    }

  w.loop = g_main_loop_new (NULL, FALSE);
  poll_id = g_timeout_add (50, worker_poll, &w);
  g_main_loop_run (w.loop);
  g_thread_join (thread);
  g_main_loop_unref (w.loop);
  (void) poll_id; /* removed by worker_poll returning G_SOURCE_REMOVE */

  gimp_progress_update (1.0);
  gimp_progress_end ();
  g_mutex_clear (&w.lock);
  g_free (w.action);
  return job->status;
}
