/* Model lookup for the plug-in and the dialog: the places GIMP users keep
 * models, searched by the engine's ns_model_find. */
#include "config.h"

#include <stdlib.h>

#include "ns-models.h"

gchar *
ns_gimp_model_find (const gchar *model_dir, ns_model_kind kind,
                    ns_model_kind *found_kind, GError **error)
{
  gchar *roots[3] = { NULL, NULL, NULL };
  gchar *result = NULL;
  char *dir = NULL;
  ns_error err;
  int n = 0;

  if (model_dir && *model_dir)
    roots[n++] = g_strdup (model_dir);
  else
    {
      const gchar *env = g_getenv ("NS_MODELS_DIR");

      if (env && *env)
        roots[n++] = g_strdup (env);
      roots[n++] = g_build_filename (gimp_directory (), "neural-style",
                                     "models", NULL);
      roots[n++] = g_build_filename (NS_DATADIR, "models", NULL);
    }
  if (ns_model_find ((const char *const *) roots, n, kind, &dir, found_kind,
                     &err) == NS_OK)
    {
      result = g_strdup (dir);
      free (dir);
    }
  else
    g_set_error_literal (error, GIMP_PLUG_IN_ERROR, 0, err.message);
  for (int i = 0; i < n; i++)
    g_free (roots[i]);
  return result;
}
