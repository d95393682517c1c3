/* Model lookup for the plug-in and the dialog: the engine's one folder
 * list (ns_model_dirs) with GIMP's user folder, searched by
 * ns_model_find. */
#include "config.h"

#include <stdlib.h>

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
                               "out of memory for the model folder list");
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
