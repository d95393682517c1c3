/* Finding a model folder: shared by nstyle, the plug-in and its dialog,
 * which differ only in the list of places they search. */
#include "ns-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const ns_model_kind auto_order[] = { NS_MODEL_CD16X, NS_MODEL_VGG19,
                                            NS_MODEL_LST_R31 };

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
          if (strlen (roots[r]) < sizeof dir
              && !first_missing (roots[r], kinds[k]))
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
  return ns_fail (err, NS_ERR_IO,
                  "no %s model found; missing (first missing file of each "
                  "folder tried):%s\nGet it with: tools/download-models.sh "
                  "--kind %s (installs into "
                  "~/.config/GIMP/3.0/neural-style/models/%s), or set "
                  "NS_MODELS_DIR to a folder holding %s/",
                  kind == NS_MODEL_AUTO ? "usable" : want, tried, want, want,
                  want);
}
