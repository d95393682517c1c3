/* Model folder lookup for the dialog (see ns-ui-models.h). */
#include "config.h"

#include "ns-ui-models.h"

#include <libgimp/gimp.h>

static const ns_model_kind kind_order[] = { NS_MODEL_CD16X, NS_MODEL_VGG19,
                                            NS_MODEL_LST_R31 };

ns_model_kind
ns_ui_model_kind_from_name (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (kind_order); i++)
    if (g_strcmp0 (name, ns_model_kind_name (kind_order[i])) == 0)
      return kind_order[i];
  return NS_MODEL_AUTO;
}

static gboolean
kind_complete (const char *dir, ns_model_kind kind)
{
  const char *const *files = ns_model_kind_files (kind);

  if (!files)
    return FALSE;
  for (int i = 0; files[i]; i++)
    {
      char *p = g_build_filename (dir, files[i], NULL);
      gboolean ok = g_file_test (p, G_FILE_TEST_IS_REGULAR);

      g_free (p);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

/* Checks DIR itself for KIND (or, for auto, any kind). */
static gboolean
dir_has (const char *dir, ns_model_kind kind, ns_model_kind *found)
{
  for (guint i = 0; i < G_N_ELEMENTS (kind_order); i++)
    if ((kind == NS_MODEL_AUTO || kind == kind_order[i])
        && kind_complete (dir, kind_order[i]))
      {
        *found = kind_order[i];
        return TRUE;
      }
  return FALSE;
}

char *
ns_ui_model_find (const char *model_dir, ns_model_kind kind,
                  ns_model_kind *found_kind)
{
  const char *env = g_getenv ("NS_MODELS_DIR");
  char *bases[4] = { NULL };
  char *result = NULL;
  ns_model_kind dummy;
  int n = 0;

  if (!found_kind)
    found_kind = &dummy;
  *found_kind = kind;

  if (model_dir && *model_dir)
    {
      /* A folder named by the user: that folder, or its <kind> child. */
      if (dir_has (model_dir, kind, found_kind))
        return g_strdup (model_dir);
      for (guint i = 0; i < G_N_ELEMENTS (kind_order); i++)
        if (kind == NS_MODEL_AUTO || kind == kind_order[i])
          {
            char *d = g_build_filename (model_dir,
                                        ns_model_kind_name (kind_order[i]),
                                        NULL);
            if (kind_complete (d, kind_order[i]))
              {
                *found_kind = kind_order[i];
                return d;
              }
            g_free (d);
          }
      return NULL;
    }

  if (env && *env)
    bases[n++] = g_strdup (env);
  bases[n++] = g_build_filename (gimp_directory (), "neural-style", "models",
                                 NULL);
  bases[n++] = g_build_filename (NS_DATADIR, "models", NULL);

  for (int b = 0; b < n && !result; b++)
    for (guint i = 0; i < G_N_ELEMENTS (kind_order) && !result; i++)
      if (kind == NS_MODEL_AUTO || kind == kind_order[i])
        {
          char *d = g_build_filename (bases[b],
                                      ns_model_kind_name (kind_order[i]),
                                      NULL);
          if (kind_complete (d, kind_order[i]))
            {
              *found_kind = kind_order[i];
              result = d;
            }
          else
            g_free (d);
        }
  for (int b = 0; b < n; b++)
    g_free (bases[b]);
  return result;
}
