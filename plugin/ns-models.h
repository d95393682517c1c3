/* Where the plug-in and its dialog look for models (GIMP side of
 * ns_model_find). */
#ifndef NS_MODELS_H
#define NS_MODELS_H

#include <libgimp/gimp.h>

#include "ns.h"

G_BEGIN_DECLS

/* Finds the model folder for KIND (NS_MODEL_AUTO = the first complete kind
 * in the order cd16x, vgg19, lst-r31).  MODEL_DIR, when not empty, is the
 * only place searched (the folder itself or MODEL_DIR/<kind>); otherwise
 * the folders of ns_model_dirs (gimp_directory (), NULL).
 * Returns the folder (g_free) and sets *FOUND_KIND; on failure returns NULL
 * and sets ERROR to a message naming the first missing file of every
 * folder tried and how to get the model. */
gchar *ns_gimp_model_find (const gchar *model_dir, ns_model_kind kind,
                           ns_model_kind *found_kind, GError **error);

G_END_DECLS

#endif
