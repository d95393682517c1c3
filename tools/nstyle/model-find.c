/* nstyle: where models are looked for (the engine's one list,
 * ns_model_dirs), and what to tell the user when there is none. */
#include "nstyle.h"

#include <stdio.h>
#include <stdlib.h>

char *
nst_model_find (ns_model_kind kind, ns_error *err)
{
  char **dirs = ns_model_dirs (NULL, NULL);
  char *dir = NULL, *found = NULL;
  int n = 0;

  if (!dirs)
    {
      if (err)
        {
          err->status = NS_ERR_NOMEM;
          g_strlcpy (err->message, _ ("out of memory"), sizeof err->message);
        }
      return NULL;
    }
  while (dirs[n])
    n++;
  if (ns_model_find ((const char *const *) dirs, n, kind, &dir, NULL, err) ==
      NS_OK)
    {
      found = g_strdup (dir);
      free (dir);
    }
  ns_strv_free (dirs);
  return found;
}

bool
nst_model_print_dirs (void)
{
  char **dirs = ns_model_dirs (NULL, NULL);

  if (!dirs)
    return false;
  for (int i = 0; dirs[i]; i++)
    printf ("%s\n", dirs[i]);
  ns_strv_free (dirs);
  return true;
}

char *
nst_model_describe (void)
{
  char **dirs = ns_model_dirs (NULL, NULL);
  GString *s = g_string_new (_ ("MODELS\n"
                                "  Without --model, the first complete folder "
                                "<kind> in\n"));

  for (int i = 0; dirs && dirs[i]; i++)
    g_string_append_printf (s, "    %s\n", dirs[i]);
  g_string_append (
      s, _ ("  is used, <kind> being cd16x, vgg19 then lst-r31 in each "
            "place\n"
            "  (microast for --method microast; for --fast-style, the "
            "first\n"
            "  <place>/fast or <place> holding transformer.param)\n"
            "  ($NS_MODELS_DIR comes first when set; "
            "--print-model-dirs prints the list).\n"
            "  Get models with: nstyle models install cd16x "
            "(into the first).\n"));
  ns_strv_free (dirs);
  return g_string_free (s, FALSE);
}

void
nst_model_print_help (ns_model_kind kind)
{
  ns_model_kind k = kind == NS_MODEL_AUTO ? NS_MODEL_CD16X : kind;
  const char *name = ns_model_kind_name (k);
  const char *const *files = ns_model_kind_files (k);
  char **dirs = ns_model_dirs (NULL, NULL);

  fprintf (stderr, _ ("A %s model is a folder with the files"), name);
  for (int i = 0; files && files[i]; i++)
    fprintf (stderr, " %s", files[i]);
  /* The download tool installs into the first folder of the list. */
  fprintf (stderr,
           _ (".\nTo get one, run:\n"
              "  nstyle models install %s\n"
              "which installs it into %s/%s\n"
              "(or pass --model DIR with the files in DIR).\n"),
           name, dirs && dirs[0] ? dirs[0] : _ ("the models folder"), name);
  ns_strv_free (dirs);
}

char *
nst_model_find_vgg (void)
{
  static const ns_model_kind kinds[] = { NS_MODEL_CD16X, NS_MODEL_VGG19,
                                         NS_MODEL_LST_R31 };
  char **dirs = ns_model_dirs (NULL, NULL);
  char *found = NULL;
  ns_error err;

  for (int i = 0; dirs && dirs[i] && !found; i++)
    for (size_t k = 0; k < G_N_ELEMENTS (kinds) && !found; k++)
      {
        const char *root = dirs[i];
        char *dir = NULL;
        if (ns_model_find (&root, 1, kinds[k], &dir, NULL, &err) == NS_OK)
          {
            found = g_strdup (dir);
            free (dir);
          }
      }
  ns_strv_free (dirs);
  return found;
}

char *
nst_fast_find (const char *model_dir)
{
  char **dirs = NULL, **tried = NULL;
  char *dir = NULL, *found = NULL;
  const char *root = model_dir;
  ns_status st;
  ns_error err;

  if (model_dir)
    {
      /* --model DIR: DIR itself, not DIR/fast. */
      if (!g_file_test (model_dir, G_FILE_TEST_IS_DIR))
        {
          fprintf (stderr, _ ("nstyle: model folder %s does not exist\n"),
                   model_dir);
          nst_fast_print_help ();
          return NULL;
        }
      st = ns_fast_find (&root, 1, false, &dir, NULL, &err);
    }
  else
    {
      int n = 0;

      if (!(dirs = ns_model_dirs (NULL, NULL)))
        {
          fprintf (stderr, _ ("nstyle: out of memory\n"));
          return NULL;
        }
      while (dirs[n])
        n++;
      st = ns_fast_find ((const char *const *) dirs, n, true, &dir, &tried,
                         &err);
      ns_strv_free (dirs);
    }
  if (st == NS_OK)
    {
      found = g_strdup (dir);
      free (dir);
      return found;
    }
  if (st == NS_ERR_NOMEM)
    {
      fprintf (stderr, _ ("nstyle: out of memory\n"));
      return NULL;
    }
  if (model_dir)
    fprintf (stderr,
             _ ("nstyle: %s has no transformer.param: it is not a folder "
                "of fast styles\n"),
             model_dir);
  else
    {
      fprintf (stderr, _ ("nstyle: no fast styles found; looked for "
                          "transformer.param in\n"));
      for (int i = 0; tried && tried[i]; i++)
        fprintf (stderr, "  %s\n", tried[i]);
      ns_strv_free (tried);
    }
  nst_fast_print_help ();
  return NULL;
}

void
nst_fast_print_help (void)
{
  char **dirs = ns_model_dirs (NULL, NULL);

  fprintf (stderr,
           _ ("Fast styles are a folder with transformer.param and one "
              "STYLE.bin per style.\n"
              "Get them with: nstyle models install fast (installs into "
              "%s/fast),\n"
              "or pass --model DIR with the files in DIR.\n"),
           dirs && dirs[0] ? dirs[0] : _ ("the models folder"));
  ns_strv_free (dirs);
}
