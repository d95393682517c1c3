/* The dialog's model download bar (see ns-download.h).  The install runs
 * in a GTask thread; its progress reaches GTK through an idle source, and
 * Cancel cancels the GCancellable the installer reads from. */
#include "config.h"

#include "ns-download.h"
#include "ns-install.h"

#include <glib/gi18n-lib.h>

typedef struct
{
  gint ref;
  char *root;
  char *kind;
  NsDownloadDone done;
  gpointer user_data;
  GtkWidget *bar, *button, *cancel, *progress, *status;
  GCancellable *cancellable;
  gboolean alive; /* the bar is not destroyed */
  /* Written by the worker under LOCK, shown by an idle source. */
  GMutex lock;
  gint64 bytes, total;
  guint idle_id;
} Dl;

static Dl *
dl_ref (Dl *d)
{
  g_atomic_int_inc (&d->ref);
  return d;
}

static void
dl_unref (gpointer p)
{
  Dl *d = p;

  if (!g_atomic_int_dec_and_test (&d->ref))
    return;
  g_clear_object (&d->cancellable);
  g_mutex_clear (&d->lock);
  g_free (d->root);
  g_free (d->kind);
  g_free (d);
}

static void
set_status (Dl *d, const char *text)
{
  gtk_label_set_text (GTK_LABEL (d->status), text);
  gtk_widget_show (d->status);
}

static gboolean
show_progress (gpointer data)
{
  Dl *d = data;
  gint64 bytes, total;

  g_mutex_lock (&d->lock);
  bytes = d->bytes;
  total = d->total;
  d->idle_id = 0;
  g_mutex_unlock (&d->lock);
  if (d->alive && total > 0)
    {
      char *b = g_format_size (bytes), *t = g_format_size (total);
      /* TRANSLATORS: download progress, "1.2 MB of 9.7 MB". */
      char *text = g_strdup_printf (_ ("%s of %s"), b, t);

      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (d->progress),
                                     CLAMP ((double) bytes / total, 0, 1));
      gtk_progress_bar_set_text (GTK_PROGRESS_BAR (d->progress), text);
      g_free (text);
      g_free (b);
      g_free (t);
    }
  return G_SOURCE_REMOVE;
}

/* Worker thread. */
static gboolean
on_progress (const char *file, gint64 bytes, gint64 total, gpointer data)
{
  Dl *d = data;

  g_mutex_lock (&d->lock);
  d->bytes = bytes;
  d->total = total;
  if (!d->idle_id)
    d->idle_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, show_progress,
                                  dl_ref (d), dl_unref);
  g_mutex_unlock (&d->lock);
  return !g_cancellable_is_cancelled (d->cancellable);
}

static void
install_thread (GTask *task, gpointer source, gpointer task_data,
                GCancellable *cancellable)
{
  Dl *d = task_data;
  NsInstallHooks hooks = { on_progress, NULL, d, cancellable };
  GError *error = NULL;
  NsManifest *m = ns_manifest_load (&error);

  if (!d->root)
    g_set_error (&error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_IO,
                 _ ("The models folder is unknown"));
  else if (m && ns_install_kind (m, d->kind, d->root, NULL, &hooks, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  ns_manifest_free (m);
}

static void
install_finished (GObject *source, GAsyncResult *res, gpointer data)
{
  Dl *d = data;
  GError *error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (res), &error);

  if (d->alive)
    {
      gtk_widget_hide (d->cancel);
      gtk_widget_set_sensitive (d->button, !ok);
      if (ok)
        {
          char *text = g_strdup_printf (_ ("The %s model is installed."),
                                        d->kind);

          gtk_widget_hide (d->progress);
          gtk_widget_hide (d->button);
          set_status (d, text);
          g_free (text);
        }
      else if (g_error_matches (error, NS_INSTALL_ERROR,
                                NS_INSTALL_ERROR_CANCELLED))
        set_status (d, _ ("Download cancelled. What was fetched is kept: "
                          "the next download resumes it."));
      else
        {
          char *text = g_strdup_printf (_ ("Download failed: %s"),
                                        error->message);
          set_status (d, text);
          g_free (text);
        }
      if (ok && d->done)
        d->done (d->user_data);
    }
  g_clear_error (&error);
  dl_unref (d);
}

static void
start_clicked (GtkButton *button, Dl *d)
{
  GTask *task;

  g_clear_object (&d->cancellable);
  d->cancellable = g_cancellable_new ();
  gtk_widget_set_sensitive (d->button, FALSE);
  gtk_widget_hide (d->status);
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (d->progress), 0);
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (d->progress), _ ("Connecting…"));
  gtk_widget_show (d->progress);
  gtk_widget_show (d->cancel);
  task = g_task_new (NULL, d->cancellable, install_finished, dl_ref (d));
  /* A cancelled install reports NS_INSTALL_ERROR_CANCELLED itself. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, dl_ref (d), dl_unref);
  g_task_run_in_thread (task, install_thread);
  g_object_unref (task);
}

static void
cancel_clicked (GtkButton *button, Dl *d)
{
  g_cancellable_cancel (d->cancellable);
}

static void
bar_destroyed (GtkWidget *bar, Dl *d)
{
  d->alive = FALSE;
  if (d->cancellable)
    g_cancellable_cancel (d->cancellable);
  dl_unref (d);
}

GtkWidget *
ns_download_new (const char *gimp_dir, const char *kind, NsDownloadDone done,
                 gpointer user_data)
{
  Dl *d = g_new0 (Dl, 1);
  NsManifest *m = ns_manifest_load (NULL);
  GtkWidget *title, *text, *hbox;
  char *size, *msg, *bold;

  d->ref = 1;
  d->alive = TRUE;
  d->root = ns_install_default_root (gimp_dir);
  d->kind = g_strdup (kind);
  d->done = done;
  d->user_data = user_data;
  g_mutex_init (&d->lock);

  d->bar = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_name (d->bar, "ns-download");
  gtk_container_set_border_width (GTK_CONTAINER (d->bar), 12);
  bold = g_markup_printf_escaped ("<b>%s</b>",
                                  _ ("No style model is installed."));
  title = gtk_label_new (NULL);
  gtk_label_set_markup (GTK_LABEL (title), bold);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  g_free (bold);
  size = g_format_size (m ? ns_manifest_kind_size (m, kind) : 0);
  msg = g_strdup_printf (
      _ ("Download the %s model (%s, %s licence) from its authors' "
         "repository? Its files are checked (SHA-256) and installed into %s."),
      kind, size,
      m && ns_manifest_kind_license (m, kind)
          ? ns_manifest_kind_license (m, kind)
          : "?",
      d->root ? d->root : "?");
  text = gtk_label_new (msg);
  gtk_label_set_line_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (text), 70);
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  g_free (msg);
  g_free (size);
  ns_manifest_free (m);

  hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  /* No mnemonics: the dialog's letters are taken (the tests check). */
  d->button = gtk_button_new_with_label (_ ("Download"));
  gtk_widget_set_name (d->button, "ns-download-start");
  gtk_widget_set_tooltip_text (
      d->button, _ ("Download the model, check its files and install it"));
  d->progress = gtk_progress_bar_new ();
  gtk_widget_set_name (d->progress, "ns-download-progress");
  gtk_progress_bar_set_show_text (GTK_PROGRESS_BAR (d->progress), TRUE);
  gtk_widget_set_valign (d->progress, GTK_ALIGN_CENTER);
  d->cancel = gtk_button_new_with_label (_ ("Stop"));
  gtk_widget_set_name (d->cancel, "ns-download-cancel");
  gtk_widget_set_tooltip_text (
      d->cancel, _ ("Stop the download; the next one resumes it"));
  d->status = gtk_label_new (NULL);
  gtk_widget_set_name (d->status, "ns-download-status");
  gtk_label_set_line_wrap (GTK_LABEL (d->status), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (d->status), 70);
  gtk_label_set_selectable (GTK_LABEL (d->status), TRUE);
  gtk_label_set_xalign (GTK_LABEL (d->status), 0);

  gtk_box_pack_start (GTK_BOX (hbox), d->button, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), d->progress, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), d->cancel, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (d->bar), title, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (d->bar), text, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (d->bar), hbox, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (d->bar), d->status, FALSE, FALSE, 0);
  gtk_widget_show_all (d->bar);
  gtk_widget_hide (d->progress);
  gtk_widget_hide (d->cancel);
  gtk_widget_hide (d->status);
  /* Hidden parts stay hidden when the dialog shows all its children. */
  gtk_widget_set_no_show_all (d->progress, TRUE);
  gtk_widget_set_no_show_all (d->cancel, TRUE);
  gtk_widget_set_no_show_all (d->status, TRUE);

  g_signal_connect (d->button, "clicked", G_CALLBACK (start_clicked), d);
  g_signal_connect (d->cancel, "clicked", G_CALLBACK (cancel_clicked), d);
  g_signal_connect (d->bar, "destroy", G_CALLBACK (bar_destroyed), d);
  g_object_set_data (G_OBJECT (d->bar), "ns-download", d);
  return d->bar;
}

static Dl *
get (GtkWidget *bar)
{
  return g_object_get_data (G_OBJECT (bar), "ns-download");
}

GtkWidget *
ns_download_get_button (GtkWidget *bar)
{
  return get (bar)->button;
}

GtkWidget *
ns_download_get_cancel (GtkWidget *bar)
{
  return get (bar)->cancel;
}

GtkWidget *
ns_download_get_progress (GtkWidget *bar)
{
  return get (bar)->progress;
}

GtkWidget *
ns_download_get_status (GtkWidget *bar)
{
  return get (bar)->status;
}
