/* The dialog's "no model installed: download one" bar: a button, a
 * progress bar and Cancel, running the model installer (tools/models) in a
 * thread so that GTK stays responsive.  GTK + GLib only (no libgimp), so
 * the tests drive it without GIMP. */
#ifndef NS_DOWNLOAD_H
#define NS_DOWNLOAD_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Called in the main thread once KIND is installed. */
typedef void (*NsDownloadDone) (gpointer user_data);

/* A bar offering to install KIND into the user's models folder for
 * GIMP_DIR (gimp_directory () in the plug-in; see ns_model_dirs).  DONE (may be
 * NULL) is called after a successful install; the bar then says so.  Closing
 * the bar's window mid-download cancels it (what was fetched is kept for
 * resuming). */
GtkWidget *ns_download_new (const char *gimp_dir, const char *kind,
                            NsDownloadDone done, gpointer user_data);

/* For the tests: the bar's buttons and progress bar (named children
 * "ns-download-start", "ns-download-cancel", "ns-download-progress" and
 * the label "ns-download-status" can also be found by name). */
GtkWidget *ns_download_get_button (GtkWidget *bar);
GtkWidget *ns_download_get_cancel (GtkWidget *bar);
GtkWidget *ns_download_get_progress (GtkWidget *bar);
GtkWidget *ns_download_get_status (GtkWidget *bar);

G_END_DECLS

#endif
