/* Style presets: small key files (styles/ *.preset) naming argument values
 * of plug-in-neural-style, e.g.
 *
 *   [Neural Style Preset]
 *   Name=Bold Van Gogh-like
 *   Description=Strong swirling strokes
 *   method=wct
 *   strength=1.0
 *
 * GObject only (no GTK), so tests can use it without a display. */
#ifndef NS_PRESETS_H
#define NS_PRESETS_H

#include <glib-object.h>

G_BEGIN_DECLS

#define NS_PRESET_GROUP "Neural Style Preset"

typedef struct
{
  char *name;        /* untranslated, as in the file */
  char *description; /* may be NULL */
  char *path;
  GKeyFile *keys;
} NsPreset;

/* Loads every *.preset of the folders DIRS (NULL-terminated; missing
 * folders are skipped; a name seen earlier wins), sorted by name.
 * Unreadable files are skipped.  Free with g_ptr_array_unref. */
GPtrArray *ns_presets_load (const char *const *dirs);

/* The default folders: $NS_STYLES_DIR, USER_DIR (may be NULL),
 * NS_DATADIR/styles.  g_strfreev the result. */
char **ns_presets_default_dirs (const char *user_dir);

/* Sets CONFIG's properties named by the preset's keys.  Keys naming no
 * property, or with values of the wrong type, are errors (nothing is set
 * after the first bad key). */
gboolean ns_preset_apply (const NsPreset *preset, GObject *config,
                          GError **error);

/* The checks of ns_preset_apply against KLASS, without setting anything. */
gboolean ns_preset_check (const NsPreset *preset, GObjectClass *klass,
                          GError **error);

G_END_DECLS

#endif
