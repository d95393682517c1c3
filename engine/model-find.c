/* Where models are: the one list of folders searched (ns_model_dirs, used
 * by nstyle, the plug-in, its dialog and, through nstyle, the download
 * tool), and finding a complete model folder (ns_model_find) or the fast
 * styles' folder (ns_fast_find) among them. */
#include "config.h"
#include "ns-internal.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const ns_model_kind auto_order[] = { NS_MODEL_CD16X, NS_MODEL_VGG19,
                                            NS_MODEL_LST_R31,
                                            NS_MODEL_MICROAST };

static bool
is_file (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISREG (st.st_mode);
}

static bool
is_dir (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* DIR "/" NAME into BUF; false when it does not fit. */
static bool
join (char *buf, size_t size, const char *dir, const char *name)
{
  int n = snprintf (buf, size, "%s/%s", dir, name);
  return n >= 0 && (size_t) n < size;
}

/* The first file of KIND missing in DIR, or NULL when all are there. */
static const char *
first_missing (const char *dir, ns_model_kind kind)
{
  const char *const *files = ns_model_kind_files (kind);
  char path[4096];

  if (!files || !files[0])
    return "(no file list)";
  for (int i = 0; files[i]; i++)
    {
      if (!join (path, sizeof path, dir, files[i]) || !is_file (path))
        return files[i];
    }
  return NULL;
}

ns_status
ns_model_find (const char *const *roots, int n_roots, ns_model_kind kind,
               char **dir_out, ns_model_kind *kind_out, ns_error *err)
{
  const ns_model_kind *kinds = auto_order;
  int n_kinds = (int) (sizeof auto_order / sizeof auto_order[0]);
  char tried[NS_ERROR_MESSAGE_MAX / 2] = "";
  size_t used = 0;
  const char *want;

  *dir_out = NULL;
  if (kind != NS_MODEL_AUTO)
    {
      if (!ns_model_kind_files (kind))
        return ns_fail (err, NS_ERR_INVALID_ARG, "unknown model kind %d",
                        (int) kind);
      kinds = &kind;
      n_kinds = 1;
    }
  /* Root-major: a model in an earlier place (the user's own) wins over any
   * later one, whatever its kind. */
  for (int r = 0; r < n_roots; r++)
    {
      if (!roots[r] || !roots[r][0])
        continue;
      for (int k = 0; k < n_kinds; k++)
        {
          char dir[4096];
          const char *missing;

          /* The root itself may be a model folder (a --model DIR). */
          if (strlen (roots[r]) < sizeof dir &&
              !first_missing (roots[r], kinds[k]))
            strcpy (dir, roots[r]);
          else if (!join (dir, sizeof dir, roots[r],
                          ns_model_kind_name (kinds[k])))
            continue; /* a path that long cannot hold a model */
          missing = first_missing (dir, kinds[k]);
          if (!missing)
            {
              *dir_out = strdup (dir);
              if (!*dir_out)
                return ns_fail (err, NS_ERR_NOMEM, "out of memory");
              if (kind_out)
                *kind_out = kinds[k];
              return NS_OK;
            }
          if (used < sizeof tried)
            used += (size_t) snprintf (tried + used, sizeof tried - used,
                                       "\n  %s/%s%s", dir, missing,
                                       is_dir (dir) ? "" : " (no such folder)");
        }
    }
  want = kind == NS_MODEL_AUTO ? "cd16x" : ns_model_kind_name (kind);
  {
    /* Where the download tool puts models: the first folder of the list. */
    char **dirs = ns_model_dirs (NULL, NULL);
    const char *dest = dirs && dirs[0] ? dirs[0] : "the models folder";
    ns_fail (err, NS_ERR_IO,
             "no %s model found; missing (first missing file of each "
             "folder tried):%s\nGet it with: nstyle models install %s "
             "(installs into %s/%s; or from GIMP's Neural Style dialog), or "
             "set NS_MODELS_DIR to a folder holding %s/",
             kind == NS_MODEL_AUTO ? "usable" : want, tried, want, dest, want,
             want);
    ns_strv_free (dirs);
  }
  return NS_ERR_IO;
}

/* ------------------------------------------------------- the folder list */

/* A malloc'd A "/" B ("/" C), or NULL when out of memory. */
static char *
path_join (const char *a, const char *b, const char *c)
{
  size_t n = strlen (a) + strlen (b) + (c ? strlen (c) + 1 : 0) + 2;
  char *p = malloc (n);
  if (p)
    snprintf (p, n, c ? "%s/%s/%s" : "%s/%s", a, b, c ? c : "");
  return p;
}

static const char *
home_dir (void)
{
  const char *home = getenv ("HOME");
  const struct passwd *pw;

  /* As g_get_home_dir: $HOME first, then the password database. */
  if (home && *home)
    return home;
  pw = getpwuid (getuid ());
  return pw && pw->pw_dir ? pw->pw_dir : "/";
}

/* GIMP 3's user folder as gimp_directory () computes it on Unix
 * (libgimpbase/gimpenv.c): $GIMP3_DIRECTORY (relative: to the home),
 * else <user config dir>/GIMPDIR/GIMP_USER_VERSION. */
static char *
default_gimp_dir (void)
{
  static const char subdir[] = "GIMP/3.0";
  const char *env = getenv ("GIMP3_DIRECTORY");
  const char *config = getenv ("XDG_CONFIG_HOME");

  if (env && *env)
    return env[0] == '/' ? strdup (env) : path_join (home_dir (), env, NULL);
  if (config && *config) /* as g_get_user_config_dir */
    return path_join (config, subdir, NULL);
  return path_join (home_dir (), ".config", subdir);
}

char **
ns_model_dirs (const char *gimp_dir, int *user_index)
{
  const char *env = getenv ("NS_MODELS_DIR");
  char **dirs = calloc (4, sizeof *dirs);
  char *gimp = NULL;
  int n = 0;

  if (!dirs)
    return NULL;
  if (env && *env && !(dirs[n++] = strdup (env)))
    goto nomem;
  if (user_index)
    *user_index = n;
  gimp = gimp_dir && *gimp_dir ? strdup (gimp_dir) : default_gimp_dir ();
  if (!gimp || !(dirs[n++] = path_join (gimp, "neural-style", "models")))
    goto nomem;
  if (!(dirs[n++] = path_join (NS_DATADIR, "models", NULL)))
    goto nomem;
  free (gimp);
  return dirs;

nomem:
  free (gimp);
  ns_strv_free (dirs);
  return NULL;
}

void
ns_strv_free (char **strv)
{
  if (!strv)
    return;
  for (char **p = strv; *p; p++)
    free (*p);
  free (strv);
}

/* ------------------------------------------------------- the fast styles */

/* ROOT "/" NAME, malloc'd, without doubling a "/" ROOT ends with (as
 * g_build_filename); NULL when out of memory. */
static char *
sub_path (const char *root, const char *name)
{
  size_t len = strlen (root), n;
  char *p;

  while (len > 1 && root[len - 1] == '/')
    len--;
  n = len + strlen (name) + 2;
  if ((p = malloc (n)))
    snprintf (p, n, "%.*s%s%s", (int) len, root,
              root[len - 1] == '/' ? "" : "/", name);
  return p;
}

/* Appends DIR (taken) to the NULL-terminated list *LIST of *N; false when
 * out of memory (DIR freed). */
static bool
strv_push (char ***list, int *n, char *dir)
{
  char **l = realloc (*list, (size_t) (*n + 2) * sizeof *l);

  if (!l)
    {
      free (dir);
      return false;
    }
  l[(*n)++] = dir;
  l[*n] = NULL;
  *list = l;
  return true;
}

ns_status
ns_fast_find (const char *const *roots, int n_roots, bool in_fast,
              char **dir_out, char ***tried_out, ns_error *err)
{
  char **tried = calloc (1, sizeof *tried);
  char listed[NS_ERROR_MESSAGE_MAX / 2] = "";
  size_t used = 0;
  int n_tried = 0;

  *dir_out = NULL;
  if (tried_out)
    *tried_out = NULL;
  if (!tried)
    return ns_fail (err, NS_ERR_NOMEM, "out of memory");
  for (int r = 0; r < n_roots; r++)
    {
      if (!roots[r] || !roots[r][0])
        continue;
      /* ROOT/fast first, then ROOT itself. */
      for (int sub = in_fast ? 1 : 0; sub >= 0; sub--)
        {
          char *dir = sub ? sub_path (roots[r], "fast") : strdup (roots[r]);
          char *param = dir ? sub_path (dir, "transformer.param") : NULL;
          bool found = param && is_file (param);

          if (found)
            {
              free (param);
              *dir_out = dir;
              ns_strv_free (tried);
              return NS_OK;
            }
          if (!param || !strv_push (&tried, &n_tried, dir))
            {
              if (!param)
                free (dir);
              free (param);
              ns_strv_free (tried);
              return ns_fail (err, NS_ERR_NOMEM, "out of memory");
            }
          free (param);
        }
    }
  for (int i = 0; tried[i] && used < sizeof listed; i++)
    used += (size_t) snprintf (listed + used, sizeof listed - used, "\n  %s",
                               tried[i]);
  ns_fail (err, NS_ERR_IO,
           "no fast styles found: none of these folders holds "
           "transformer.param:%s\nGet them with: nstyle models install fast, "
           "or give the folder holding transformer.param and the STYLE.bin "
           "files",
           listed);
  if (tried_out)
    *tried_out = tried;
  else
    ns_strv_free (tried);
  return NS_ERR_IO;
}
