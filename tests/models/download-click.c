/* A GTK module for test-dialog-download.sh (loaded into the plug-in with
 * GTK_MODULES): when the dialog's download bar ("ns-download") appears,
 * it presses Download and prints, on stderr:
 *   ns-download-check: shown
 *   ns-download-check: progress updates=N
 *   ns-download-check: status=TEXT
 * Only GTK: in GIMP itself it finds no such bar. */
#include <gtk/gtk.h>
#include <string.h>

/* GtkModuleInitFunc */
void gtk_module_init (gint *argc, gchar ***argv);

static GtkWidget *
find (GtkWidget *w, const char *name)
{
  GtkWidget *hit = NULL;

  if (g_strcmp0 (gtk_widget_get_name (w), name) == 0)
    return w;
  if (GTK_IS_CONTAINER (w))
    {
      GList *kids = gtk_container_get_children (GTK_CONTAINER (w));

      for (GList *l = kids; l && !hit; l = l->next)
        hit = find (l->data, name);
      g_list_free (kids);
    }
  return hit;
}

static guint updates;
static double last = -1;

static gboolean
watch (gpointer data)
{
  GtkWidget *bar = data;
  GtkWidget *pb = find (bar, "ns-download-progress");
  GtkWidget *status = find (bar, "ns-download-status");
  double f = pb ? gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (pb)) : 0;

  if (f != last)
    {
      updates++;
      last = f;
    }
  if (status && gtk_widget_get_visible (status))
    {
      g_printerr ("ns-download-check: progress updates=%u\n", updates);
      g_printerr ("ns-download-check: status=%s\n",
                  gtk_label_get_text (GTK_LABEL (status)));
      g_object_unref (bar);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
look (gpointer data)
{
  GList *tops = gtk_window_list_toplevels ();
  gboolean found = FALSE;

  for (GList *l = tops; l && !found; l = l->next)
    {
      GtkWidget *bar = find (l->data, "ns-download");

      if (bar && gtk_widget_get_mapped (bar))
        {
          found = TRUE;
          g_printerr ("ns-download-check: shown\n");
          gtk_button_clicked (GTK_BUTTON (find (bar, "ns-download-start")));
          g_timeout_add (10, watch, g_object_ref (bar));
        }
    }
  g_list_free (tops);
  return found ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

void
gtk_module_init (gint *argc, gchar ***argv)
{
  g_timeout_add (200, look, NULL);
}
