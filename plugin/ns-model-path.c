/* Model folder lookup: environment, the user's GIMP folder, the installed
 * data folder (in that order). */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ns-plugin.h"

/* The kinds NS_MODEL_AUTO tries, in the engine's order. */
static const ns_model_kind auto_kinds[] = {
  NS_MODEL_CD16X, NS_MODEL_VGG19, NS_MODEL_LST_R31
};

gchar **
ns_model_search_roots (void)
{
  GPtrArray *roots = g_ptr_array_new ();
  const gchar *env = g_getenv ("NS_MODELS_DIR");

  if (env && *env)
    g_ptr_array_add (roots, g_strdup (env));
  g_ptr_array_add (roots, g_build_filename (gimp_directory (), "neural-style",
                                            "models", NULL));
  g_ptr_array_add (roots, g_build_filename (NS_DATADIR, "models", NULL));
  g_ptr_array_add (roots, NULL);
  return (gchar **) g_ptr_array_free (roots, FALSE);
}

/* The first file of KIND missing in DIR, or NULL when the set is complete. */
static const gchar *
first_missing (const gchar *dir, ns_model_kind kind)
{
  const char *const *files = ns_model_kind_files (kind);

  if (! files || ! files[0])
    return "(no file list)";
  for (gint i = 0; files[i]; i++)
    {
      gchar *path = g_build_filename (dir, files[i], NULL);
      gboolean ok = g_file_test (path, G_FILE_TEST_IS_REGULAR);

      g_free (path);
      if (! ok)
        return files[i];
    }
  return NULL;
}

gchar *
ns_model_find (ns_model_kind kind, ns_model_kind *found_kind, GError **error)
{
  gchar **roots = ns_model_search_roots ();
  const ns_model_kind *kinds = auto_kinds;
  gint n_kinds = G_N_ELEMENTS (auto_kinds);
  GString *tried = g_string_new (NULL);
  gchar *result = NULL;
  const gchar *want;

  if (kind != NS_MODEL_AUTO)
    {
      kinds = &kind;
      n_kinds = 1;
    }

  /* Root-major: a model in the user's own folder wins over any installed
   * one, whatever its kind. */
  for (gint r = 0; roots[r] && ! result; r++)
    for (gint k = 0; k < n_kinds && ! result; k++)
      {
        gchar *dir = g_build_filename (roots[r], ns_model_kind_name (kinds[k]),
                                       NULL);
        const gchar *missing = first_missing (dir, kinds[k]);

        if (! missing)
          {
            result = dir;
            if (found_kind)
              *found_kind = kinds[k];
            break;
          }
        g_string_append_printf (tried, "\n  %s%s%s", dir, G_DIR_SEPARATOR_S,
                                missing);
        g_free (dir);
      }

  if (! result)
    {
      want = kind == NS_MODEL_AUTO ? "cd16x" : ns_model_kind_name (kind);
      g_set_error (error, GIMP_PLUG_IN_ERROR, 0,
                   _("No %s model found. Missing files (first missing file "
                     "of each folder tried):%s\n"
                     "Get the model with:\n  tools/download-models.sh --kind %s\n"
                     "(installs into %s), or set NS_MODELS_DIR to a folder "
                     "holding %s/, or pass model-dir."),
                   kind == NS_MODEL_AUTO ? _("usable") : want, tried->str,
                   want,
                   "~/.config/GIMP/3.0/neural-style/models/<kind>", want);
    }

  g_string_free (tried, TRUE);
  g_strfreev (roots);
  return result;
}
