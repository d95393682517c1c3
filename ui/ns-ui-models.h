/* Where the dialog looks for model folders (the same order as the plug-in
 * and nstyle): $NS_MODELS_DIR/<kind>, gimp_directory()/neural-style/models/
 * <kind>, NS_DATADIR/models/<kind>. */
#ifndef NS_UI_MODELS_H
#define NS_UI_MODELS_H

#include <glib.h>

#include "ns.h"

G_BEGIN_DECLS

/* Parses a model choice ("auto", "cd16x", "vgg19", "lst-r31"); unknown
 * names give NS_MODEL_AUTO. */
ns_model_kind ns_ui_model_kind_from_name (const char *name);

/* Returns the folder (g_free it) holding a complete model of KIND (for
 * NS_MODEL_AUTO: the first of cd16x, vgg19, lst-r31), and in *FOUND_KIND
 * the kind it holds.  MODEL_DIR, when not empty, is used as is.  NULL when
 * nothing is found. */
char *ns_ui_model_find (const char *model_dir, ns_model_kind kind,
                        ns_model_kind *found_kind);

G_END_DECLS

#endif
