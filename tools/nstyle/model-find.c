/* nstyle: where models are looked for, and what to tell the user when
 * there is none. */
#include "config.h"
#include "nstyle.h"

#include <stdio.h>

static const ns_model_kind kind_order[] = { NS_MODEL_CD16X, NS_MODEL_VGG19,
                                            NS_MODEL_LST_R31 };

/* The base folders, in order; g_strfreev the result. */
static char **
model_bases (void)
{
  GPtrArray *a = g_ptr_array_new ();
  const char *env = g_getenv ("NS_MODELS_DIR");

  if (env && *env)
    g_ptr_array_add (a, g_strdup (env));
  g_ptr_array_add (a, g_build_filename (g_get_home_dir (), ".config", "GIMP",
                                        "3.0", "neural-style", "models", NULL));
  g_ptr_array_add (a, g_build_filename (NS_DATADIR, "models", NULL));
  g_ptr_array_add (a, NULL);
  return (char **) g_ptr_array_free (a, FALSE);
}

/* True when DIR holds every file of KIND; else lists the missing ones. */
static bool
kind_complete (const char *dir, ns_model_kind kind, GString *missing)
{
  const char *const *files = ns_model_kind_files (kind);
  bool ok = true;

  for (int i = 0; files && files[i]; i++)
    {
      char *p = g_build_filename (dir, files[i], NULL);
      if (!g_file_test (p, G_FILE_TEST_IS_REGULAR))
        {
          if (missing)
            g_string_append_printf (missing, "%s%s", ok ? "" : ", ", files[i]);
          ok = false;
        }
      g_free (p);
    }
  return ok && files && files[0];
}

char *
nst_model_find (ns_model_kind kind, GString *looked_at)
{
  char **bases = model_bases ();
  char *found = NULL;
  const char *env = g_getenv ("NS_MODELS_DIR");

  if (looked_at && !(env && *env))
    g_string_append (looked_at, "  $NS_MODELS_DIR (not set)\n");
  for (int b = 0; bases[b] && !found; b++)
    for (size_t k = 0; k < G_N_ELEMENTS (kind_order) && !found; k++)
      {
        char *dir;
        GString *missing;

        if (kind != NS_MODEL_AUTO && kind != kind_order[k])
          continue;
        dir = g_build_filename (bases[b], ns_model_kind_name (kind_order[k]),
                                NULL);
        missing = g_string_new (NULL);
        if (kind_complete (dir, kind_order[k], missing))
          found = g_strdup (dir);
        else if (looked_at)
          {
            if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
              g_string_append_printf (looked_at, "  %s (no such folder)\n",
                                      dir);
            else
              g_string_append_printf (looked_at, "  %s (missing %s)\n", dir,
                                      missing->str);
          }
        g_string_free (missing, TRUE);
        g_free (dir);
      }
  g_strfreev (bases);
  return found;
}

void
nst_model_print_help (ns_model_kind kind)
{
  const char *name = ns_model_kind_name (kind == NS_MODEL_AUTO ? NS_MODEL_CD16X
                                                               : kind);
  const char *const *files = ns_model_kind_files (
      kind == NS_MODEL_AUTO ? NS_MODEL_CD16X : kind);
  const char *env = g_getenv ("NS_MODELS_DIR");
  char *user = g_build_filename (g_get_home_dir (), ".config", "GIMP", "3.0",
                                 "neural-style", "models", NULL);

  fprintf (stderr, "A %s model is a folder with the files", name);
  for (int i = 0; files && files[i]; i++)
    fprintf (stderr, " %s", files[i]);
  fprintf (stderr,
           ".\nTo get one, run from the source tree:\n"
           "  tools/download-models.sh --kind %s\n"
           "which installs it into %s/%s\n"
           "(or pass --model DIR with the files in DIR).\n",
           name, env && *env ? "$NS_MODELS_DIR" : user, name);
  g_free (user);
}
