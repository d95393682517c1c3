/* nstyle: where models are looked for, and what to tell the user when
 * there is none. */
#include "config.h"
#include "nstyle.h"

#include <stdio.h>
#include <stdlib.h>

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

char *
nst_model_find (ns_model_kind kind, ns_error *err)
{
  char **bases = model_bases ();
  char *dir = NULL, *found = NULL;

  if (ns_model_find ((const char *const *) bases, (int) g_strv_length (bases),
                     kind, &dir, NULL, err) == NS_OK)
    {
      found = g_strdup (dir);
      free (dir);
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
