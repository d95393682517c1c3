/* Drives the dialog's download bar (ui/ns-download.c) in a window:
 *   download-widget GIMP_DIR KIND ok|cancel
 * clicks Download (and, with "cancel", Stop once some bytes arrived),
 * waits for the outcome, and prints one line for test_widget.py:
 *   RESULT done=0|1 updates=N max_gap_ms=X status=TEXT
 * MAX_GAP_MS is the longest the GTK main loop went without running a 10
 * ms timer: the download must not freeze the dialog. */
#include "ns-download.h"

#include <stdlib.h>
#include <string.h>

static GtkWidget *bar;
static gboolean done, cancel_mode, cancel_sent;
static guint updates;
static gint64 last_tick;
static double max_gap_ms;
static double last_fraction = -1;

static void
on_done (gpointer data)
{
  done = TRUE;
}

static gboolean
tick (gpointer data)
{
  gint64 now = g_get_monotonic_time ();
  GtkWidget *pb = ns_download_get_progress (bar);
  double f = gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (pb));

  if (last_tick)
    max_gap_ms = MAX (max_gap_ms, (now - last_tick) / 1000.0);
  last_tick = now;
  if (f != last_fraction)
    {
      updates++;
      last_fraction = f;
    }
  if (cancel_mode && !cancel_sent && f > 0)
    {
      cancel_sent = TRUE;
      gtk_button_clicked (GTK_BUTTON (ns_download_get_cancel (bar)));
    }
  if (done || gtk_widget_get_visible (ns_download_get_status (bar)))
    gtk_main_quit ();
  return G_SOURCE_CONTINUE;
}

static gboolean
give_up (gpointer data)
{
  g_printerr ("download-widget: no outcome within 60 s\n");
  gtk_main_quit ();
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  GtkWidget *win;
  const char *status;

  gtk_init (&argc, &argv);
  if (argc != 4)
    {
      g_printerr ("usage: download-widget GIMP_DIR KIND ok|cancel\n");
      return 2;
    }
  cancel_mode = strcmp (argv[3], "cancel") == 0;
  win = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  bar = ns_download_new (argv[1], argv[2], on_done, NULL);
  gtk_container_add (GTK_CONTAINER (win), bar);
  gtk_widget_show_all (win);
  gtk_button_clicked (GTK_BUTTON (ns_download_get_button (bar)));
  g_timeout_add (10, tick, NULL);
  g_timeout_add_seconds (60, give_up, NULL);
  gtk_main ();
  status = gtk_label_get_text (GTK_LABEL (ns_download_get_status (bar)));
  g_print ("RESULT done=%d updates=%u max_gap_ms=%.1f status=%s\n", done,
           updates, max_gap_ms, status ? status : "");
  gtk_widget_destroy (win);
  return 0;
}
