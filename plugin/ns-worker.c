/* Runs the engine in a worker thread; the main thread owns every libgimp
 * call (the wire to GIMP is not thread-safe: the layer's tile reads too
 * go through ns_worker_call_main) and relays progress. */
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

/* Memory the plug-in holds besides the engine: the style as read. */
static gdouble
job_extra_bytes (const NsJob *job)
{
  gdouble b = job->extra_bytes;

  if (job->style)
    b += 3.0 * sizeof (float) * job->style->width * job->style->height;
  return b;
}

static gpointer
worker_thread (gpointer data)
{
  Worker *w = data;
  NsJob *job = w->job;
  ns_model *model = NULL;
  ns_context *ctx = NULL;
  ns_style style = { job->style, 1.0f };
  /* A fast style is the model: no style images (the engine still wants a
   * non-NULL array). */
  gint n_styles = job->style ? 1 : 0;
  ns_stream stream;

  if (job->model_kind == NS_MODEL_FAST)
    job->status = ns_model_load_fast (job->model_dir, job->fast_style, &model,
                                      &job->err);
  else
    job->status = ns_model_load (job->model_dir, job->model_kind, &model,
                                 &job->err);
  /* Planned before any pixel of the content is read: a layer too large
   * for the budget is refused with the engine's numbers and fix. */
  if (job->status == NS_OK)
    job->status = ns_render_plan (model, &job->params, job->io->width,
                                  job->io->height, &style, n_styles,
                                  job_extra_bytes (job), &job->info, &job->err);
  if (job->status == NS_OK)
    job->status = ns_context_new (model, &ctx, &job->err);
  if (job->status == NS_OK)
    {
      ns_layer_io_stream (job->io, &stream);
      job->status = ns_render (ctx, &job->params, &stream, &style, n_styles,
                               job_extra_bytes (job), &job->info, &job->err);
    }
  ns_context_free (ctx);
  ns_model_free (model);

  g_mutex_lock (&w->lock);
  w->done = TRUE;
  g_mutex_unlock (&w->lock);
  /* Wakes the main loop at once instead of at the next poll. */
  g_main_context_wakeup (NULL);
  return NULL;
}

/* ------------------------------------------- calls onto the main thread */

typedef struct
{
  GSourceFunc func;
  gpointer data;
  GMutex lock;
  GCond cond;
  gboolean done, result;
} MainCall;

static gboolean
main_call_dispatch (gpointer data)
{
  MainCall *c = data;
  gboolean result = c->func (c->data);

  g_mutex_lock (&c->lock);
  c->result = result;
  c->done = TRUE;
  g_cond_signal (&c->cond);
  g_mutex_unlock (&c->lock);
  return G_SOURCE_REMOVE;
}

gboolean
ns_worker_call_main (GSourceFunc func, gpointer data)
{
  MainCall c = { func, data };

  g_mutex_init (&c.lock);
  g_cond_init (&c.cond);
  /* An idle source, not g_main_context_invoke: that would run FUNC in
   * this thread whenever the main thread is not inside the loop at this
   * moment (before g_main_loop_run starts). */
  g_idle_add_full (G_PRIORITY_DEFAULT, main_call_dispatch, &c, NULL);
  g_main_context_wakeup (NULL);
  g_mutex_lock (&c.lock);
  while (!c.done)
    g_cond_wait (&c.cond, &c.lock);
  g_mutex_unlock (&c.lock);
  g_mutex_clear (&c.lock);
  g_cond_clear (&c.cond);
  return c.result;
}

/* Test hook: the plug-in's peak resident memory, from the kernel. */
void
ns_worker_report_rss (void)
{
  gchar *status = NULL;
  gchar **lines;

  if (!g_getenv ("NS_PLUGIN_REPORT_RSS") ||
      !g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return;
  lines = g_strsplit (status, "\n", -1);
  for (gchar **l = lines; *l; l++)
    if (g_str_has_prefix (*l, "VmHWM:") || g_str_has_prefix (*l, "VmRSS:"))
      g_printerr ("neural-style: %s\n", *l);
  g_strfreev (lines);
  g_free (status);
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
