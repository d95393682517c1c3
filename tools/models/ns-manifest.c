/* The model manifest (manifest.ini, compiled in as a GResource): every
 * installable file with its URL, size, SHA-256 and licence. */
#include "config.h"

#include "ns-install.h"
#include "ns-models-resources.h"

#include "ns.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

#define MANIFEST_RESOURCE "/org/gimp/neural-style/models/manifest.ini"

struct NsManifest
{
  GPtrArray *kinds;      /* char *, NULL-terminated */
  GPtrArray *kind_desc;  /* char *, parallel to KINDS */
  GPtrArray *kind_lic;   /* char *, parallel to KINDS */
  GPtrArray *kind_files; /* GPtrArray of NsModelFile *, parallel */
};

G_DEFINE_QUARK (ns - install - error - quark, ns_install_error)

static void
model_file_free (gpointer p)
{
  NsModelFile *f = p;

  g_free (f->kind);
  g_free (f->name);
  g_free (f->url);
  g_free (f->sha256);
  g_free (f->license);
  g_free (f);
}

void
ns_manifest_free (NsManifest *m)
{
  if (!m)
    return;
  g_ptr_array_unref (m->kinds);
  g_ptr_array_unref (m->kind_desc);
  g_ptr_array_unref (m->kind_lic);
  g_ptr_array_unref (m->kind_files);
  g_free (m);
}

static int
kind_index (const NsManifest *m, const char *kind)
{
  for (guint i = 0; kind && i + 1 < m->kinds->len; i++)
    if (strcmp (m->kinds->pdata[i], kind) == 0)
      return (int) i;
  return -1;
}

static gboolean
is_sha256 (const char *s)
{
  if (strlen (s) != 64)
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isxdigit (*s) || g_ascii_isupper (*s))
      return FALSE;
  return TRUE;
}

/* A safe file or kind name: no path separators, no "..", not hidden. */
static gboolean
is_plain_name (const char *s)
{
  return s && *s && *s != '.' && !strchr (s, '/') && !strchr (s, '\\');
}

static gboolean
bad (GError **error, const char *where, const char *group, const char *why)
{
  g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_MANIFEST,
               _ ("Model manifest %s: [%s]: %s"), where, group, why);
  return FALSE;
}

static gboolean
parse_file (NsManifest *m, GKeyFile *kf, const char *where, const char *group,
            GError **error)
{
  const char *slash = strchr (group, '/');
  NsModelFile *f;
  int k;
  GError *e = NULL;

  if (!slash)
    return bad (error, where, group, _ ("not a [kind KIND] or [KIND/FILE]"));
  f = g_new0 (NsModelFile, 1);
  f->kind = g_strndup (group, slash - group);
  f->name = g_strdup (slash + 1);
  f->url = g_key_file_get_string (kf, group, "url", NULL);
  f->sha256 = g_key_file_get_string (kf, group, "sha256", NULL);
  f->license = g_key_file_get_string (kf, group, "license", NULL);
  f->size = -1;
  if (g_key_file_has_key (kf, group, "size", NULL))
    f->size = f->size_min = f->size_max = g_key_file_get_int64 (kf, group,
                                                                "size", &e);
  else
    {
      f->size_min = g_key_file_get_int64 (kf, group, "size-min", &e);
      if (!e)
        f->size_max = g_key_file_get_int64 (kf, group, "size-max", &e);
    }
  k = kind_index (m, f->kind);
  if (e || !is_plain_name (f->name) || k < 0 || !f->url || !f->license ||
      f->size_min <= 0 || f->size_max < f->size_min ||
      (f->sha256 && !is_sha256 (f->sha256)) || (f->sha256 && f->size < 0))
    {
      gboolean unknown = k < 0;

      g_clear_error (&e);
      model_file_free (f);
      return bad (error, where, group,
                  unknown ? _ ("its kind has no [kind ...] group before it")
                          : _ ("needs url, license, and size (with sha256) "
                               "or size-min and size-max"));
    }
  g_ptr_array_add (m->kind_files->pdata[k], f);
  return TRUE;
}

static NsManifest *
parse (GKeyFile *kf, const char *where, GError **error)
{
  NsManifest *m = g_new0 (NsManifest, 1);
  gchar **groups = g_key_file_get_groups (kf, NULL);

  m->kinds = g_ptr_array_new_with_free_func (g_free);
  m->kind_desc = g_ptr_array_new_with_free_func (g_free);
  m->kind_lic = g_ptr_array_new_with_free_func (g_free);
  m->kind_files = g_ptr_array_new_with_free_func (
      (GDestroyNotify) g_ptr_array_unref);
  g_ptr_array_add (m->kinds, NULL);
  for (int i = 0; groups[i]; i++)
    {
      const char *g = groups[i];

      if (g_str_has_prefix (g, "kind "))
        {
          if (!is_plain_name (g + 5) || kind_index (m, g + 5) >= 0)
            {
              bad (error, where, g, _ ("invalid or repeated kind"));
              goto fail;
            }
          m->kinds->pdata[m->kinds->len - 1] = g_strdup (g + 5);
          g_ptr_array_add (m->kinds, NULL);
          g_ptr_array_add (m->kind_desc,
                           g_key_file_get_string (kf, g, "description", NULL));
          g_ptr_array_add (m->kind_lic,
                           g_key_file_get_string (kf, g, "license", NULL));
          g_ptr_array_add (m->kind_files,
                           g_ptr_array_new_with_free_func (model_file_free));
        }
      else if (!parse_file (m, kf, where, g, error))
        goto fail;
    }
  for (guint k = 0; k < m->kind_files->len; k++)
    if (((GPtrArray *) m->kind_files->pdata[k])->len == 0)
      {
        bad (error, where, m->kinds->pdata[k], _ ("a kind without files"));
        goto fail;
      }
  if (m->kind_files->len == 0)
    {
      bad (error, where, "", _ ("no kind"));
      goto fail;
    }
  g_strfreev (groups);
  return m;

fail:
  g_strfreev (groups);
  ns_manifest_free (m);
  return NULL;
}

static NsManifest *
load_data (const char *data, gsize len, const char *where, GError **error)
{
  GKeyFile *kf = g_key_file_new ();
  GError *e = NULL;
  NsManifest *m = NULL;

  if (g_key_file_load_from_data (kf, data, len, G_KEY_FILE_NONE, &e))
    m = parse (kf, where, error);
  else
    {
      g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_MANIFEST,
                   _ ("Model manifest %s: %s"), where, e->message);
      g_error_free (e);
    }
  g_key_file_free (kf);
  return m;
}

NsManifest *
ns_manifest_load_file (const char *path, GError **error)
{
  gchar *data = NULL;
  gsize len = 0;
  GError *e = NULL;
  NsManifest *m;

  if (!g_file_get_contents (path, &data, &len, &e))
    {
      g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_MANIFEST,
                   _ ("Cannot read the model manifest: %s"), e->message);
      g_error_free (e);
      return NULL;
    }
  m = load_data (data, len, path, error);
  g_free (data);
  return m;
}

NsManifest *
ns_manifest_load (GError **error)
{
  const char *path = g_getenv ("NS_MODELS_MANIFEST");
  GBytes *bytes;
  NsManifest *m;
  gsize len;
  const char *data;

  if (path && *path)
    return ns_manifest_load_file (path, error);
  bytes = g_resource_lookup_data (ns_models_get_resource (), MANIFEST_RESOURCE,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (!bytes)
    {
      g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_MANIFEST,
                   _ ("The built-in model manifest is missing"));
      return NULL;
    }
  data = g_bytes_get_data (bytes, &len);
  m = load_data (data, len, "(built in)", error);
  g_bytes_unref (bytes);
  return m;
}

const char *const *
ns_manifest_kinds (const NsManifest *m)
{
  return (const char *const *) m->kinds->pdata;
}

gboolean
ns_manifest_has_kind (const NsManifest *m, const char *kind)
{
  return kind_index (m, kind) >= 0;
}

const char *
ns_manifest_kind_description (const NsManifest *m, const char *kind)
{
  int k = kind_index (m, kind);
  return k < 0 ? NULL : m->kind_desc->pdata[k];
}

const char *
ns_manifest_kind_license (const NsManifest *m, const char *kind)
{
  int k = kind_index (m, kind);
  return k < 0 ? NULL : m->kind_lic->pdata[k];
}

GPtrArray *
ns_manifest_files (const NsManifest *m, const char *kind)
{
  int k = kind_index (m, kind);
  return k < 0 ? NULL : m->kind_files->pdata[k];
}

gint64
ns_manifest_kind_size (const NsManifest *m, const char *kind)
{
  GPtrArray *files = ns_manifest_files (m, kind);
  gint64 total = 0;

  for (guint i = 0; files && i < files->len; i++)
    total += ((NsModelFile *) files->pdata[i])->size_max;
  return total;
}

char *
ns_model_file_url (const NsModelFile *f)
{
  const char *base = g_getenv ("NS_MODELS_BASE_URL");
  const char *host, *path;

  if (!base || !*base || !(host = strstr (f->url, "://")))
    return g_strdup (f->url);
  /* Keep the path: a mirror holds the same paths as the upstream hosts. */
  path = strchr (host + 3, '/');
  if (!path)
    path = "/";
  return g_strconcat (base, g_str_has_suffix (base, "/") ? path + 1 : path,
                      NULL);
}

char *
ns_install_default_root (const char *gimp_dir)
{
  int user = -1;
  char **dirs = ns_model_dirs (gimp_dir, &user);
  char *root = NULL;

  if (dirs && user >= 0)
    root = g_strdup (dirs[user]);
  ns_strv_free (dirs);
  return root;
}
