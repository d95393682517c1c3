/* Where the plug-in and its dialog look for models (GIMP side of
 * ns_model_find). */
#ifndef NS_MODELS_H
#define NS_MODELS_H

#include <libgimp/gimp.h>

#include "ns.h"

G_BEGIN_DECLS

/* Finds the model folder for KIND (NS_MODEL_AUTO = the first complete kind
 * in the order cd16x, vgg19, lst-r31, microast).  MODEL_DIR, when not
 * empty, is the only place searched (the folder itself or
 * MODEL_DIR/<kind>); otherwise the folders of
 * ns_model_dirs (gimp_directory (), NULL).
 * Returns the folder (g_free) and sets *FOUND_KIND; on failure returns NULL
 * and sets ERROR to a message naming the first missing file of every
 * folder tried and how to get the model. */
gchar *ns_gimp_model_find (const gchar *model_dir, ns_model_kind kind,
                           ns_model_kind *found_kind, GError **error);

/* The model for METHOD with the procedure's `model` choice KIND:
 * microast needs (and NS_MODEL_AUTO then means) the MicroAST model; the
 * other methods need a VGG-family model (cd16x, vgg19, lst-r31), so a
 * MicroAST model is an error for them.  Otherwise as ns_gimp_model_find.
 * Not for NS_METHOD_FAST (see ns_gimp_fast_find). */
gchar *ns_gimp_model_find_for (const gchar *model_dir, ns_method method,
                               ns_model_kind kind, ns_model_kind *found_kind,
                               GError **error);

/* The folder of the fast styles (transformer.param + one STYLE.bin per
 * style): MODEL_DIR/fast or MODEL_DIR itself when MODEL_DIR is not empty
 * (the only place searched then); else, for each folder of ns_model_dirs,
 * FOLDER/fast then FOLDER (ns_fast_find).  NULL + ERROR (naming the
 * folders tried) when none holds transformer.param. */
gchar *ns_gimp_fast_find (const gchar *model_dir, GError **error);

/* The fast styles installed where ns_gimp_fast_find looks, sorted,
 * NULL-terminated (empty when none); g_strfreev. */
gchar **ns_gimp_fast_styles (const gchar *model_dir);

/* TRUE when STYLE is one of STYLES (NULL-terminated). */
gboolean ns_gimp_fast_style_known (gchar **styles, const gchar *style);

G_END_DECLS

#endif
