/* Background preview renderer (see ns-preview.h). */
#include "config.h"

#include "ns-preview.h"

#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* The two passes of a request: 0 quick, 1 exact. */
enum
{
  PASS_QUICK,
  PASS_EXACT,
  N_PASSES
};

/* Images waiting for the next request (under LOCK). */
typedef struct
{
  ns_image *content;
  ns_image *style;
  gboolean mask_pending;
  ns_mask *mask;
} Pending;

/* One pass's images and context (worker thread only). */
typedef struct
{
  ns_context *ctx;
  ns_image content;
  ns_image style;
  ns_mask mask; /* data NULL: none */
} Pass;

struct _NsPreview
{
  GMutex lock;
  GCond cond;
  GThread *thread;
  GMainContext *main_ctx;
  NsPreviewFn fn;
  gpointer user_data;

  /* Under LOCK. */
  gboolean quit;
  gboolean has_job;
  guint next_gen;
  guint job_gen;
  char *job_model_dir;
  ns_model_kind job_kind;
  ns_params job_params[N_PASSES];
  gboolean job_runs[N_PASSES];
  Pending pending[N_PASSES];

  /* Atomics: the generation whose results are still wanted (0 = none),
   * whether the worker is computing, whether callbacks are still wanted. */
  gint wanted_gen;
  gint running;
  gint closed;

  /* Worker thread only. */
  ns_model *model;
  char *model_dir;
  ns_model_kind model_kind;
  gboolean model_fresh; /* loaded since the last DONE/FAILED delivery */
  Pass pass[N_PASSES];
};

typedef struct
{
  NsPreview *preview;
  guint gen;
  gint64 t0;
  gboolean exact; /* the pass delivers exact results */
} Job;

typedef struct
{
  NsPreview *preview; /* a reference */
  NsPreviewResult result;
  ns_image image;
  char *message;
} Delivery;

static void
image_free_heap (ns_image *img)
{
  if (img)
    {
      ns_image_free (img);
      g_free (img);
    }
}

static void
mask_free_heap (ns_mask *mask)
{
  if (mask)
    {
      ns_mask_free (mask);
      g_free (mask);
    }
}

static void
preview_clear (gpointer data)
{
  NsPreview *p = data;

  g_mutex_clear (&p->lock);
  g_cond_clear (&p->cond);
  g_main_context_unref (p->main_ctx);
  g_free (p->job_model_dir);
  for (int i = 0; i < N_PASSES; i++)
    {
      image_free_heap (p->pending[i].content);
      image_free_heap (p->pending[i].style);
      mask_free_heap (p->pending[i].mask);
    }
}

static gboolean
still_wanted (NsPreview *p, guint gen)
{
  return (guint) g_atomic_int_get (&p->wanted_gen) == gen &&
         !g_atomic_int_get (&p->closed);
}

static gboolean
deliver_in_main (gpointer data)
{
  Delivery *d = data;

  /* Checked again here: a newer request may have been made meanwhile. */
  if (still_wanted (d->preview, d->result.generation))
    {
      d->result.image = d->image.data ? &d->image : NULL;
      d->result.message = d->message;
      d->preview->fn (&d->result, d->preview->user_data);
    }
  return G_SOURCE_REMOVE;
}

static void
delivery_free (gpointer data)
{
  Delivery *d = data;

  ns_image_free (&d->image);
  g_free (d->message);
  g_atomic_rc_box_release_full (d->preview, preview_clear);
  g_free (d);
}

static void
deliver (Job *job, NsPreviewStatus status, const ns_image *img,
         const char *message, gboolean model_loaded)
{
  Delivery *d = g_new0 (Delivery, 1);
  GSource *source;

  d->preview = g_atomic_rc_box_acquire (job->preview);
  d->result.generation = job->gen;
  d->result.status = status;
  d->result.compute_ms = (g_get_monotonic_time () - job->t0) / 1000.0;
  d->result.model_loaded = model_loaded;
  d->result.exact = job->exact;
  d->message = g_strdup (message);
  if (img && ns_image_alloc (&d->image, img->width, img->height, NULL) == NS_OK)
    memcpy (d->image.data, img->data,
            sizeof (float) * 3 * (size_t) img->width * img->height);

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, deliver_in_main, d, delivery_free);
  g_source_attach (source, job->preview->main_ctx);
  g_source_unref (source);
}

static bool
progress_cb (float fraction, const char *stage, void *user_data)
{
  Job *job = user_data;

  return still_wanted (job->preview, job->gen);
}

static bool
gatys_image_cb (int iteration, float loss, const ns_image *img, void *user_data)
{
  Job *job = user_data;

  if (!still_wanted (job->preview, job->gen))
    return false;
  deliver (job, NS_PREVIEW_PARTIAL, img, NULL, FALSE);
  return true;
}

/* Loads the model unless the loaded one is the one asked for. */
static gboolean
ensure_model (NsPreview *p, const char *dir, ns_model_kind kind, ns_error *err)
{
  ns_model *model = NULL;

  if (p->model && g_strcmp0 (dir, p->model_dir) == 0 && kind == p->model_kind)
    return TRUE;

  /* The contexts refer to the model: drop them all. */
  for (int i = 0; i < N_PASSES; i++)
    g_clear_pointer (&p->pass[i].ctx, ns_context_free);
  g_clear_pointer (&p->model, ns_model_free);
  g_clear_pointer (&p->model_dir, g_free);

  if (!dir)
    {
      err->status = NS_ERR_IO;
      g_strlcpy (err->message, "no model folder", sizeof err->message);
      return FALSE;
    }
  if (kind == NS_MODEL_FAST)
    {
      /* DIR is the style's file: FOLDER/STYLE.bin. */
      char *folder = g_path_get_dirname (dir);
      char *style = g_path_get_basename (dir);
      ns_status st;

      if (g_str_has_suffix (style, ".bin"))
        style[strlen (style) - 4] = '\0';
      st = ns_model_load_fast (folder, style, &model, err);
      g_free (folder);
      g_free (style);
      if (st != NS_OK)
        return FALSE;
    }
  else if (ns_model_load (dir, kind, &model, err) != NS_OK)
    return FALSE;
  p->model = model;
  p->model_dir = g_strdup (dir);
  p->model_kind = kind;
  p->model_fresh = TRUE;
  return TRUE;
}

/* Runs one pass; FINAL: its result is the request's last (DONE), else
 * APPROX.  Returns FALSE when nothing is to follow (failed, cancelled). */
static gboolean
run_job (NsPreview *p, Job *job, const char *model_dir, ns_model_kind kind,
         Pass *pass, ns_params *params, gboolean final)
{
  ns_error err = { 0 };
  ns_image out = { 0 };
  ns_style style;
  ns_status st;

  if (!pass->content.data || (!pass->style.data && kind != NS_MODEL_FAST))
    {
      deliver (job, NS_PREVIEW_FAILED, NULL, "no content or style image",
               FALSE);
      return FALSE;
    }
  if (!ensure_model (p, model_dir, kind, &err))
    {
      deliver (job, NS_PREVIEW_FAILED, NULL, err.message, FALSE);
      return FALSE;
    }
  /* One context for the dialog's life: its cache is keyed by the image
   * contents, so a change of strength only re-runs the transform and the
   * decoder, and a new preview size keeps what still applies. */
  if (!pass->ctx && ns_context_new (p->model, &pass->ctx, &err) != NS_OK)
    {
      deliver (job, NS_PREVIEW_FAILED, NULL, err.message, p->model_fresh);
      p->model_fresh = FALSE;
      return FALSE;
    }
  if (!still_wanted (p, job->gen))
    return FALSE;

  params->progress = progress_cb;
  params->progress_user_data = job;
  params->max_size = 0; /* the content is already at its working size */
  if (params->method == NS_METHOD_GATYS)
    {
      params->gatys.image_cb = gatys_image_cb;
      params->gatys.image_user_data = job;
      if (params->gatys.image_every <= 0)
        params->gatys.image_every = 10;
    }
  else
    {
      params->gatys.image_cb = NULL;
      params->gatys.image_every = 0;
    }
  params->gatys.init_image = NULL;

  style.image = &pass->style;
  style.weight = 1.0f;
  if (ns_image_alloc (&out, pass->content.width, pass->content.height, &err) !=
      NS_OK)
    {
      deliver (job, NS_PREVIEW_FAILED, NULL, err.message, p->model_fresh);
      p->model_fresh = FALSE;
      return FALSE;
    }
  /* A fast style takes no style image. */
  st = ns_stylize (pass->ctx, params, &pass->content,
                   kind == NS_MODEL_FAST ? NULL : &style,
                   kind == NS_MODEL_FAST ? 0 : 1,
                   pass->mask.data && pass->mask.width == pass->content.width &&
                           pass->mask.height == pass->content.height
                       ? &pass->mask
                       : NULL,
                   &out, &err);
  if (st != NS_ERR_CANCELLED)
    {
      deliver (job,
               st != NS_OK ? NS_PREVIEW_FAILED
               : final     ? NS_PREVIEW_DONE
                           : NS_PREVIEW_APPROX,
               st == NS_OK ? &out : NULL, st == NS_OK ? NULL : err.message,
               p->model_fresh);
      /* The quick pass's model_loaded is repeated with the exact pass. */
      if (final || st != NS_OK)
        p->model_fresh = FALSE;
    }
  ns_image_free (&out);
  return st == NS_OK;
}

/* Moves a pass's pending images in (under LOCK). */
static void
take_pending (Pending *pending, Pass *pass)
{
  if (pending->content)
    {
      ns_image_free (&pass->content);
      pass->content = *pending->content;
      g_clear_pointer (&pending->content, g_free);
    }
  if (pending->style)
    {
      ns_image_free (&pass->style);
      pass->style = *pending->style;
      g_clear_pointer (&pending->style, g_free);
    }
  if (pending->mask_pending)
    {
      ns_mask_free (&pass->mask);
      if (pending->mask)
        pass->mask = *pending->mask;
      g_clear_pointer (&pending->mask, g_free);
      pending->mask_pending = FALSE;
    }
}

static gpointer
worker (gpointer data)
{
  NsPreview *p = data;

#ifdef __linux__
  /* A little below the GUI thread, so that on a busy machine the main loop
   * still gets the CPU promptly.  The OpenMP threads this thread starts
   * inherit the value. */
  setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), 4);
#endif

  for (;;)
    {
      Job job;
      char *model_dir;
      ns_model_kind kind;
      ns_params params[N_PASSES];
      gboolean runs[N_PASSES];

      g_mutex_lock (&p->lock);
      while (!p->has_job && !p->quit)
        g_cond_wait (&p->cond, &p->lock);
      if (p->quit)
        {
          g_mutex_unlock (&p->lock);
          break;
        }
      p->has_job = FALSE;
      job.preview = p;
      job.gen = p->job_gen;
      job.t0 = g_get_monotonic_time ();
      model_dir = g_steal_pointer (&p->job_model_dir);
      kind = p->job_kind;
      for (int i = 0; i < N_PASSES; i++)
        {
          params[i] = p->job_params[i];
          runs[i] = p->job_runs[i];
          take_pending (&p->pending[i], &p->pass[i]);
        }
      g_atomic_int_set (&p->running, 1);
      g_mutex_unlock (&p->lock);

      /* A single-pass request runs the quick pass's images as final. */
      if (runs[PASS_QUICK])
        {
          job.exact = !runs[PASS_EXACT];
          if (!run_job (p, &job, model_dir, kind, &p->pass[PASS_QUICK],
                        &params[PASS_QUICK], !runs[PASS_EXACT]))
            runs[PASS_EXACT] = FALSE;
        }
      if (runs[PASS_EXACT] && still_wanted (p, job.gen))
        {
          job.exact = TRUE;
          run_job (p, &job, model_dir, kind, &p->pass[PASS_EXACT],
                   &params[PASS_EXACT], TRUE);
        }
      g_free (model_dir);
      g_atomic_int_set (&p->running, 0);
    }

  for (int i = 0; i < N_PASSES; i++)
    {
      g_clear_pointer (&p->pass[i].ctx, ns_context_free);
      ns_image_free (&p->pass[i].content);
      ns_image_free (&p->pass[i].style);
      ns_mask_free (&p->pass[i].mask);
    }
  g_clear_pointer (&p->model, ns_model_free);
  g_clear_pointer (&p->model_dir, g_free);
  return NULL;
}

NsPreview *
ns_preview_new (NsPreviewFn fn, gpointer user_data)
{
  NsPreview *p = g_atomic_rc_box_new0 (NsPreview);

  g_mutex_init (&p->lock);
  g_cond_init (&p->cond);
  p->fn = fn;
  p->user_data = user_data;
  p->main_ctx = g_main_context_ref_thread_default ();
  p->thread = g_thread_new ("ns-preview", worker, p);
  return p;
}

static void
set_images (NsPreview *p, int pass, ns_image *content, ns_image *style)
{
  Pending *pending = &p->pending[pass];

  g_mutex_lock (&p->lock);
  if (content)
    {
      image_free_heap (pending->content);
      pending->content = content;
    }
  if (style)
    {
      image_free_heap (pending->style);
      pending->style = style;
    }
  g_mutex_unlock (&p->lock);
}

static void
set_mask (NsPreview *p, int pass, ns_mask *mask)
{
  Pending *pending = &p->pending[pass];

  g_mutex_lock (&p->lock);
  mask_free_heap (pending->mask);
  pending->mask = mask;
  pending->mask_pending = TRUE;
  g_mutex_unlock (&p->lock);
}

void
ns_preview_set_images (NsPreview *p, ns_image *content, ns_image *style)
{
  set_images (p, PASS_QUICK, content, style);
}

void
ns_preview_set_mask (NsPreview *p, ns_mask *mask)
{
  set_mask (p, PASS_QUICK, mask);
}

void
ns_preview_set_exact_images (NsPreview *p, ns_image *content, ns_image *style)
{
  set_images (p, PASS_EXACT, content, style);
}

void
ns_preview_set_exact_mask (NsPreview *p, ns_mask *mask)
{
  set_mask (p, PASS_EXACT, mask);
}

guint
ns_preview_request_refined (NsPreview *p, const char *model_dir,
                            ns_model_kind kind, const ns_params *quick,
                            const ns_params *exact)
{
  guint gen;

  g_mutex_lock (&p->lock);
  gen = ++p->next_gen;
  if (gen == 0)
    gen = ++p->next_gen;
  p->has_job = TRUE;
  p->job_gen = gen;
  g_free (p->job_model_dir);
  p->job_model_dir = g_strdup (model_dir);
  p->job_kind = kind;
  p->job_runs[PASS_QUICK] = quick != NULL;
  p->job_runs[PASS_EXACT] = exact != NULL;
  if (quick)
    p->job_params[PASS_QUICK] = *quick;
  if (exact)
    p->job_params[PASS_EXACT] = *exact;
  /* Makes the running request's progress callback return false. */
  g_atomic_int_set (&p->wanted_gen, (gint) gen);
  g_cond_signal (&p->cond);
  g_mutex_unlock (&p->lock);
  return gen;
}

guint
ns_preview_request (NsPreview *p, const char *model_dir, ns_model_kind kind,
                    const ns_params *params)
{
  return ns_preview_request_refined (p, model_dir, kind, params, NULL);
}

void
ns_preview_cancel (NsPreview *p)
{
  g_mutex_lock (&p->lock);
  p->has_job = FALSE;
  g_atomic_int_set (&p->wanted_gen, 0);
  g_mutex_unlock (&p->lock);
}

gboolean
ns_preview_busy (NsPreview *p)
{
  gboolean busy;

  g_mutex_lock (&p->lock);
  busy = p->has_job || g_atomic_int_get (&p->running);
  g_mutex_unlock (&p->lock);
  return busy;
}

void
ns_preview_free (NsPreview *p)
{
  if (!p)
    return;
  g_atomic_int_set (&p->closed, 1);
  g_mutex_lock (&p->lock);
  p->quit = TRUE;
  p->has_job = FALSE;
  g_atomic_int_set (&p->wanted_gen, 0);
  g_cond_signal (&p->cond);
  g_mutex_unlock (&p->lock);
  g_thread_join (p->thread);
  g_atomic_rc_box_release_full (p, preview_clear);
}
