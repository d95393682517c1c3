/* Model lookup for the plug-in and the dialog: the engine's one folder
 * list (ns_model_dirs) with GIMP's user folder, searched by
 * ns_model_find (and, for fast styles, by ns_fast_find: FOLDER/fast,
 * then FOLDER, as nstyle's --fast-style). */
#include "config.h"

#include <stdlib.h>

#include <glib/gi18n-lib.h>

#include "ns-models.h"

gchar *
ns_gimp_model_find (const gchar *model_dir, ns_model_kind kind,
                    ns_model_kind *found_kind, GError **error)
{
  const char *only[2] = { model_dir, NULL };
  char **dirs = NULL;
  const char *const *roots = only;
  gchar *result = NULL;
  char *dir = NULL;
  ns_error err;

  /* An explicit folder is the only place searched. */
  if (!model_dir || !*model_dir)
    {
      dirs = ns_model_dirs (gimp_directory (), NULL);
      if (!dirs)
        {
          g_set_error_literal (error, GIMP_PLUG_IN_ERROR, 0,
                               _ ("out of memory for the model folder list"));
          return NULL;
        }
      roots = (const char *const *) dirs;
    }
  if (ns_model_find (roots, (int) g_strv_length ((gchar **) roots), kind, &dir,
                     found_kind, &err) == NS_OK)
    {
      result = g_strdup (dir);
      free (dir);
    }
  else
    g_set_error_literal (error, GIMP_PLUG_IN_ERROR, 0, err.message);
  ns_strv_free (dirs);
  return result;
}

gchar *
ns_gimp_model_find_for (const gchar *model_dir, ns_method method,
                        ns_model_kind kind, ns_model_kind *found_kind,
                        GError **error)
{
  static const ns_model_kind vgg[] = { NS_MODEL_CD16X, NS_MODEL_VGG19,
                                       NS_MODEL_LST_R31 };
  GError *first = NULL;

  if (method == NS_METHOD_MICROAST)
    {
      if (kind != NS_MODEL_AUTO && kind != NS_MODEL_MICROAST)
        {
          g_set_error (error, GIMP_PLUG_IN_ERROR, 0,
                       _ ("The method microast runs only the MicroAST model; "
                          "set model to \"microast\" or \"auto\" (it is "
                          "\"%s\")."),
                       ns_model_kind_name (kind));
          return NULL;
        }
      return ns_gimp_model_find (model_dir, NS_MODEL_MICROAST, found_kind,
                                 error);
    }
  if (kind == NS_MODEL_MICROAST)
    {
      g_set_error (error, GIMP_PLUG_IN_ERROR, 0,
                   _ ("The MicroAST model runs only the method microast "
                      "(the method is \"%s\")."),
                   ns_method_name (method));
      return NULL;
    }
  if (kind != NS_MODEL_AUTO)
    return ns_gimp_model_find (model_dir, kind, found_kind, error);
  /* Automatic: the first VGG-family kind found (not MicroAST, which
   * these methods cannot run). */
  for (gsize i = 0; i < G_N_ELEMENTS (vgg); i++)
    {
      gchar *dir = ns_gimp_model_find (model_dir, vgg[i], found_kind,
                                       first ? NULL : &first);

      if (dir)
        {
          g_clear_error (&first);
          return dir;
        }
    }
  g_propagate_error (error, first);
  return NULL;
}

gchar *
ns_gimp_fast_find (const gchar *model_dir, GError **error)
{
  const char *only[2] = { model_dir, NULL };
  char **dirs = NULL, **tried = NULL;
  const char *const *roots = only;
  gchar *found = NULL;
  char *dir = NULL;
  ns_error err;

  /* An explicit folder is the only place searched. */
  if (!model_dir || !*model_dir)
    {
      dirs = ns_model_dirs (gimp_directory (), NULL);
      roots = (const char *const *) dirs;
    }
  if (ns_fast_find (roots, roots ? (int) g_strv_length ((gchar **) roots) : 0,
                    TRUE, &dir, &tried, &err) == NS_OK)
    {
      found = g_strdup (dir);
      free (dir);
    }
  else if (tried)
    {
      GString *list = g_string_new (NULL);

      for (gint i = 0; tried[i]; i++)
        g_string_append_printf (list, "\n  %s", tried[i]);
      g_set_error (error, GIMP_PLUG_IN_ERROR, 0,
                   _ ("No fast styles installed: none of these folders holds "
                      "transformer.param:%s\nInstall them with \"nstyle "
                      "models install fast\", or set the model folder to the "
                      "folder holding transformer.param and the STYLE.bin "
                      "files."),
                   list->str);
      g_string_free (list, TRUE);
    }
  else
    g_set_error_literal (error, GIMP_PLUG_IN_ERROR, 0, err.message);
  ns_strv_free (tried);
  ns_strv_free (dirs);
  return found;
}

gchar **
ns_gimp_fast_styles (const gchar *model_dir)
{
  gchar *dir = ns_gimp_fast_find (model_dir, NULL);
  char **list = dir ? ns_fast_styles_list (dir) : NULL;
  gchar **styles = list ? g_strdupv (list) : g_new0 (gchar *, 1);

  ns_strv_free (list);
  g_free (dir);
  return styles;
}

gboolean
ns_gimp_fast_style_known (gchar **styles, const gchar *style)
{
  return style && styles &&
         g_strv_contains ((const gchar *const *) styles, style);
}
