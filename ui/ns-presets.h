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

/* As ns_preset_apply, but sets only the properties still at their
 * default value: values set by the caller (e.g. Script-Fu's explicit
 * arguments) win over the preset's. */
gboolean ns_preset_apply_to_defaults (const NsPreset *preset, GObject *config,
                                      GError **error);

/* The preset called NAME: its Name (case-insensitive) or its file's name
 * without ".preset" ("candy" finds candy.preset).  NULL if none. */
const NsPreset *ns_presets_find (GPtrArray *presets, const char *name);

/* "Name1, Name2, ..." (g_free; "" when there are none). */
char *ns_presets_names (GPtrArray *presets);

/* The fast style a preset names (its fast-style key), or NULL (g_free). */
char *ns_preset_fast_style (const NsPreset *preset);

/* The checks of ns_preset_apply against KLASS, without setting anything. */
gboolean ns_preset_check (const NsPreset *preset, GObjectClass *klass,
                          GError **error);

G_END_DECLS

#endif
