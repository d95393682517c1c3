/* Minimal dialog (placeholder until the full dialog with live preview lands). */
#include "config.h"

#include "ns-dialog.h"

#include <libgimp/gimpui.h>
#include <glib/gi18n-lib.h>

gboolean
ns_dialog_run (GimpProcedure *procedure, GimpProcedureConfig *config,
               GimpImage *image, GimpDrawable *drawable)
{
  GtkWidget *dialog;
  gboolean run;

  gimp_ui_init ("neural-style");
  dialog = gimp_procedure_dialog_new (procedure, config,
                                      _("Neural Style Transfer"));
  gimp_procedure_dialog_fill (GIMP_PROCEDURE_DIALOG (dialog), NULL);
  run = gimp_procedure_dialog_run (GIMP_PROCEDURE_DIALOG (dialog));
  gtk_widget_destroy (dialog);
  return run;
}
