/* The interactive dialog of plug-in-neural-style (ui/ owns it). */
#ifndef NS_DIALOG_H
#define NS_DIALOG_H

#include <libgimp/gimp.h>

G_BEGIN_DECLS

/* Shows the dialog for CONFIG (the procedure's arguments) with DRAWABLE as
 * content.  Returns TRUE when the user pressed OK; CONFIG then holds the
 * chosen values and the plug-in renders.  Calls gimp_ui_init itself. */
gboolean ns_dialog_run (GimpProcedure *procedure, GimpProcedureConfig *config,
                        GimpImage *image, GimpDrawable *drawable);

G_END_DECLS

#endif
