/* Style presets (see ns-presets.h). */
#include "config.h"

#include "ns-presets.h"

#include <string.h>

#include <glib/gi18n-lib.h>

static void
preset_free (gpointer data)
{
  NsPreset *p = data;

  g_free (p->name);
  g_free (p->description);
  g_free (p->path);
  g_key_file_unref (p->keys);
  g_free (p);
}

static gint
preset_cmp (gconstpointer a, gconstpointer b)
{
  const NsPreset *pa = *(NsPreset *const *) a;
  const NsPreset *pb = *(NsPreset *const *) b;

  return g_utf8_collate (pa->name, pb->name);
}

static gboolean
has_name (GPtrArray *presets, const char *name)
{
  for (guint i = 0; i < presets->len; i++)
    if (strcmp (((NsPreset *) presets->pdata[i])->name, name) == 0)
      return TRUE;
  return FALSE;
}

GPtrArray *
ns_presets_load (const char *const *dirs)
{
  GPtrArray *presets = g_ptr_array_new_with_free_func (preset_free);

  for (int d = 0; dirs && dirs[d]; d++)
    {
      GDir *dir = g_dir_open (dirs[d], 0, NULL);
      GPtrArray *files;
      const char *entry;

      if (!dir)
        continue;
      /* Sorted, so that which of two same-named presets wins is stable. */
      files = g_ptr_array_new_with_free_func (g_free);
      while ((entry = g_dir_read_name (dir)))
        if (g_str_has_suffix (entry, ".preset"))
          g_ptr_array_add (files, g_build_filename (dirs[d], entry, NULL));
      g_dir_close (dir);
      g_ptr_array_sort (files, (GCompareFunc) g_strcmp0);

      for (guint i = 0; i < files->len; i++)
        {
          GKeyFile *kf = g_key_file_new ();
          char *name;

          if (!g_key_file_load_from_file (kf, files->pdata[i], G_KEY_FILE_NONE,
                                          NULL) ||
              !(name = g_key_file_get_string (kf, NS_PRESET_GROUP, "Name",
                                              NULL)))
            {
              g_key_file_unref (kf);
              continue;
            }
          if (has_name (presets, name))
            {
              g_free (name);
              g_key_file_unref (kf);
              continue;
            }
          {
            NsPreset *p = g_new0 (NsPreset, 1);

            p->name = name;
            p->description = g_key_file_get_string (kf, NS_PRESET_GROUP,
                                                    "Description", NULL);
            p->path = g_strdup (files->pdata[i]);
            p->keys = kf;
            g_ptr_array_add (presets, p);
          }
        }
      g_ptr_array_unref (files);
    }
  g_ptr_array_sort (presets, preset_cmp);
  return presets;
}

char **
ns_presets_default_dirs (const char *user_dir)
{
  GPtrArray *a = g_ptr_array_new ();
  const char *env = g_getenv ("NS_STYLES_DIR");

  if (env && *env)
    g_ptr_array_add (a, g_strdup (env));
  if (user_dir)
    g_ptr_array_add (a, g_strdup (user_dir));
  g_ptr_array_add (a, g_build_filename (NS_DATADIR, "styles", NULL));
  g_ptr_array_add (a, NULL);
  return (char **) g_ptr_array_free (a, FALSE);
}

/* Reads KEY into VALUE (initialised to PSPEC's type). */
static gboolean
read_value (GKeyFile *kf, const char *key, GParamSpec *pspec, GValue *value,
            GError **error)
{
  GType t = G_PARAM_SPEC_VALUE_TYPE (pspec);
  GError *e = NULL;

  g_value_init (value, t);
  if (t == G_TYPE_DOUBLE)
    g_value_set_double (value,
                        g_key_file_get_double (kf, NS_PRESET_GROUP, key, &e));
  else if (t == G_TYPE_INT)
    g_value_set_int (value,
                     g_key_file_get_integer (kf, NS_PRESET_GROUP, key, &e));
  else if (t == G_TYPE_BOOLEAN)
    g_value_set_boolean (value,
                         g_key_file_get_boolean (kf, NS_PRESET_GROUP, key, &e));
  else if (t == G_TYPE_STRING)
    g_value_take_string (value,
                         g_key_file_get_string (kf, NS_PRESET_GROUP, key, &e));
  else
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   _ ("a preset cannot set \"%s\""), key);
      return FALSE;
    }
  if (e)
    {
      g_propagate_error (error, e);
      return FALSE;
    }
  if (g_param_value_validate (pspec, value))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   _ ("\"%s\": value out of range"), key);
      return FALSE;
    }
  return TRUE;
}

/* Validates the preset against KLASS; sets CONFIG's properties when
 * CONFIG is not NULL and everything is valid. */
static gboolean
preset_apply_real (const NsPreset *preset, GObjectClass *klass, GObject *config,
                   gboolean only_defaults, GError **error)
{
  char **keys = g_key_file_get_keys (preset->keys, NS_PRESET_GROUP, NULL, NULL);
  GArray *values = g_array_new (FALSE, TRUE, sizeof (GValue));
  GPtrArray *names = g_ptr_array_new ();
  gboolean ok = TRUE;

  g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);
  /* Validate everything first, then set: a bad preset changes nothing. */
  for (int i = 0; keys && keys[i] && ok; i++)
    {
      GParamSpec *pspec;
      GValue v = G_VALUE_INIT;

      if (strcmp (keys[i], "Name") == 0 ||
          strcmp (keys[i], "Description") == 0 || strchr (keys[i], '['))
        continue;
      pspec = g_object_class_find_property (klass, keys[i]);
      if (!pspec)
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                       _ ("%s: unknown argument \"%s\""), preset->path,
                       keys[i]);
          ok = FALSE;
          break;
        }
      if (!read_value (preset->keys, keys[i], pspec, &v, error))
        {
          g_prefix_error (error, "%s: ", preset->path);
          if (G_IS_VALUE (&v))
            g_value_unset (&v);
          ok = FALSE;
          break;
        }
      g_array_append_val (values, v);
      g_ptr_array_add (names, keys[i]);
    }
  if (ok && config)
    {
      g_object_freeze_notify (config);
      for (guint i = 0; i < names->len; i++)
        {
          if (only_defaults)
            {
              GParamSpec *pspec =
                  g_object_class_find_property (klass, names->pdata[i]);
              GValue cur = G_VALUE_INIT;
              gboolean is_default;

              g_value_init (&cur, G_PARAM_SPEC_VALUE_TYPE (pspec));
              g_object_get_property (config, names->pdata[i], &cur);
              if (G_VALUE_HOLDS_STRING (&cur))
                {
                  /* An unset string (NULL) is its default "" too. */
                  const char *v = g_value_get_string (&cur);
                  const char *def = g_value_get_string (
                      g_param_spec_get_default_value (pspec));

                  is_default = g_strcmp0 (v && *v ? v : NULL,
                                          def && *def ? def : NULL) == 0;
                }
              else
                is_default = g_param_value_defaults (pspec, &cur);
              g_value_unset (&cur);
              if (!is_default)
                continue;
            }
          g_object_set_property (config, names->pdata[i],
                                 &g_array_index (values, GValue, i));
        }
      g_object_thaw_notify (config);
    }
  g_array_unref (values);
  g_ptr_array_unref (names);
  g_strfreev (keys);
  return ok;
}

gboolean
ns_preset_apply (const NsPreset *preset, GObject *config, GError **error)
{
  return preset_apply_real (preset, G_OBJECT_GET_CLASS (config), config, FALSE,
                            error);
}

gboolean
ns_preset_apply_to_defaults (const NsPreset *preset, GObject *config,
                             GError **error)
{
  return preset_apply_real (preset, G_OBJECT_GET_CLASS (config), config, TRUE,
                            error);
}

const NsPreset *
ns_presets_find (GPtrArray *presets, const char *name)
{
  for (guint i = 0; presets && name && i < presets->len; i++)
    {
      const NsPreset *p = presets->pdata[i];
      char *base = g_path_get_basename (p->path);
      gboolean same;

      if (g_str_has_suffix (base, ".preset"))
        base[strlen (base) - strlen (".preset")] = '\0';
      same = g_ascii_strcasecmp (p->name, name) == 0 ||
             g_ascii_strcasecmp (base, name) == 0;
      g_free (base);
      if (same)
        return p;
    }
  return NULL;
}

char *
ns_presets_names (GPtrArray *presets)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; presets && i < presets->len; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "",
                            ((NsPreset *) presets->pdata[i])->name);
  return g_string_free (s, FALSE);
}

char *
ns_preset_fast_style (const NsPreset *preset)
{
  return g_key_file_get_string (preset->keys, NS_PRESET_GROUP, "fast-style",
                                NULL);
}

gboolean
ns_preset_check (const NsPreset *preset, GObjectClass *klass, GError **error)
{
  return preset_apply_real (preset, klass, NULL, FALSE, error);
}
