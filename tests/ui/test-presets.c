/* ui/ns-presets.c: loading (sorted, first folder wins on equal names,
 * broken files skipped) and applying (all-or-nothing, type and range
 * checked) against a GObject with the plug-in's kinds of properties. */
#include "ns-presets.h"
#include "testutil.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

/* ---- a stand-in for the procedure config */

typedef struct
{
  GObject parent;
  char *method;
  double strength;
  gboolean preserve;
  int style_size;
  char *fast_style;
} TConfig;
typedef struct
{
  GObjectClass parent_class;
} TConfigClass;

GType tconfig_get_type (void);
G_DEFINE_TYPE (TConfig, tconfig, G_TYPE_OBJECT)

enum
{
  P0,
  P_METHOD,
  P_STRENGTH,
  P_PRESERVE,
  P_STYLE_SIZE,
  P_FAST_STYLE
};

static void
tconfig_set (GObject *o, guint id, const GValue *v, GParamSpec *ps)
{
  TConfig *c = (TConfig *) o;

  switch (id)
    {
    case P_METHOD:
      g_free (c->method);
      c->method = g_value_dup_string (v);
      break;
    case P_STRENGTH:
      c->strength = g_value_get_double (v);
      break;
    case P_PRESERVE:
      c->preserve = g_value_get_boolean (v);
      break;
    case P_STYLE_SIZE:
      c->style_size = g_value_get_int (v);
      break;
    case P_FAST_STYLE:
      g_free (c->fast_style);
      c->fast_style = g_value_dup_string (v);
      break;
    }
}

static void
tconfig_get (GObject *o, guint id, GValue *v, GParamSpec *ps)
{
  TConfig *c = (TConfig *) o;

  switch (id)
    {
    case P_METHOD:
      g_value_set_string (v, c->method);
      break;
    case P_STRENGTH:
      g_value_set_double (v, c->strength);
      break;
    case P_PRESERVE:
      g_value_set_boolean (v, c->preserve);
      break;
    case P_STYLE_SIZE:
      g_value_set_int (v, c->style_size);
      break;
    case P_FAST_STYLE:
      g_value_set_string (v, c->fast_style);
      break;
    }
}

static void
tconfig_finalize (GObject *o)
{
  g_free (((TConfig *) o)->method);
  g_free (((TConfig *) o)->fast_style);
  G_OBJECT_CLASS (tconfig_parent_class)->finalize (o);
}

static void
tconfig_class_init (TConfigClass *k)
{
  GObjectClass *oc = G_OBJECT_CLASS (k);

  oc->set_property = tconfig_set;
  oc->get_property = tconfig_get;
  oc->finalize = tconfig_finalize;
  g_object_class_install_property (oc, P_METHOD,
                                   g_param_spec_string ("method", NULL, NULL,
                                                        "cascade-adain",
                                                        G_PARAM_READWRITE |
                                                            G_PARAM_CONSTRUCT));
  g_object_class_install_property (oc, P_STRENGTH,
                                   g_param_spec_double ("strength", NULL, NULL,
                                                        0.0, 1.0, 1.0,
                                                        G_PARAM_READWRITE |
                                                            G_PARAM_CONSTRUCT));
  g_object_class_install_property (
      oc, P_PRESERVE,
      g_param_spec_boolean ("preserve-colors", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT));
  g_object_class_install_property (oc, P_STYLE_SIZE,
                                   g_param_spec_int ("style-size", NULL, NULL,
                                                     0, 4096, 512,
                                                     G_PARAM_READWRITE |
                                                         G_PARAM_CONSTRUCT));
  g_object_class_install_property (oc, P_FAST_STYLE,
                                   g_param_spec_string ("fast-style", NULL,
                                                        NULL, "",
                                                        G_PARAM_READWRITE |
                                                            G_PARAM_CONSTRUCT));
}

static void
tconfig_init (TConfig *c)
{
}

/* ---- helpers */

static void
write_file (const char *dir, const char *name, const char *text)
{
  char *p = g_build_filename (dir, name, NULL);

  if (!g_file_set_contents (p, text, -1, NULL))
    {
      fprintf (stderr, "cannot write %s\n", p);
      exit (1);
    }
  g_free (p);
}

static const NsPreset *
find (GPtrArray *presets, const char *name)
{
  for (guint i = 0; i < presets->len; i++)
    if (strcmp (((NsPreset *) presets->pdata[i])->name, name) == 0)
      return presets->pdata[i];
  return NULL;
}

int
main (void)
{
  char *a = g_dir_make_tmp ("ns-presets-a-XXXXXX", NULL);
  char *b = g_dir_make_tmp ("ns-presets-b-XXXXXX", NULL);
  const char *dirs[] = { a, b, "/nonexistent/folder", NULL };
  const char *bundled[2] = { NULL, NULL };
  GPtrArray *presets;
  TConfig *c;
  GError *error = NULL;
  char *styles;

  write_file (a, "good.preset",
              "[Neural Style Preset]\nName=Zeta\nDescription=d\n"
              "method=wct\nstrength=0.25\npreserve-colors=true\n"
              "style-size=256\n");
  write_file (a, "unknown.preset",
              "[Neural Style Preset]\nName=Alpha\nstrength=0.5\nbogus=1\n");
  write_file (a, "range.preset",
              "[Neural Style Preset]\nName=Beta\nstrength=0.5\n"
              "style-size=99999\n");
  write_file (a, "type.preset",
              "[Neural Style Preset]\nName=Gamma\nstrength=0.5\n"
              "style-size=large\n");
  write_file (a, "noname.preset", "[Neural Style Preset]\nstrength=0.5\n");
  write_file (a, "broken.preset", "this is not a key file\n[[\n");
  write_file (a, "ignored.txt", "[Neural Style Preset]\nName=Txt\n");
  write_file (b, "dup.preset",
              "[Neural Style Preset]\nName=Zeta\nmethod=adain\n");
  write_file (b, "other.preset",
              "[Neural Style Preset]\nName=Delta\nmethod=adain\n");

  presets = ns_presets_load (dirs);
  /* Alpha, Beta, Delta, Gamma, Zeta: sorted; no name, broken, .txt and
   * the second Zeta skipped. */
  TU_CHECK (presets->len == 5);
  if (presets->len == 5)
    {
      TU_CHECK (strcmp (((NsPreset *) presets->pdata[0])->name, "Alpha") == 0);
      TU_CHECK (strcmp (((NsPreset *) presets->pdata[4])->name, "Zeta") == 0);
    }
  TU_CHECK (find (presets, "Txt") == NULL);
  TU_CHECK (find (presets, "Zeta") && find (presets, "Zeta")->description &&
            strstr (find (presets, "Zeta")->path, a) != NULL);

  c = g_object_new (tconfig_get_type (), NULL);

  /* A good preset sets every value. */
  TU_CHECK (ns_preset_apply (find (presets, "Zeta"), G_OBJECT (c), &error));
  g_clear_error (&error);
  TU_CHECK (g_strcmp0 (c->method, "wct") == 0);
  TU_CHECK (c->strength == 0.25 && c->preserve && c->style_size == 256);

  /* Bad presets fail and change nothing (strength=0.5 comes first). */
  TU_CHECK (!ns_preset_apply (find (presets, "Alpha"), G_OBJECT (c), &error));
  TU_CHECK (error && strstr (error->message, "bogus"));
  g_clear_error (&error);
  TU_CHECK (!ns_preset_apply (find (presets, "Beta"), G_OBJECT (c), &error));
  TU_CHECK (error != NULL);
  g_clear_error (&error);
  TU_CHECK (!ns_preset_apply (find (presets, "Gamma"), G_OBJECT (c), &error));
  TU_CHECK (error != NULL);
  g_clear_error (&error);
  TU_CHECK (c->strength == 0.25 && c->style_size == 256);

  /* ns_preset_check validates without setting. */
  TU_CHECK (
      ns_preset_check (find (presets, "Delta"), G_OBJECT_GET_CLASS (c), NULL));
  TU_CHECK (g_strcmp0 (c->method, "wct") == 0);
  TU_CHECK (
      !ns_preset_check (find (presets, "Alpha"), G_OBJECT_GET_CLASS (c), NULL));
  g_ptr_array_unref (presets);

  /* The bundled presets all load and use only keys of this kind of
   * config (the GUI test checks them against the real procedure). */
  styles = g_build_filename (g_getenv ("NS_SOURCE_ROOT")
                                 ? g_getenv ("NS_SOURCE_ROOT")
                                 : ".",
                             "styles", NULL);
  bundled[0] = styles;
  presets = ns_presets_load (bundled);
  printf ("bundled presets: %u\n", presets->len);
  TU_CHECK (presets->len >= 5);
  for (guint i = 0; i < presets->len; i++)
    {
      const NsPreset *p = presets->pdata[i];

      if (!ns_preset_check (p, G_OBJECT_GET_CLASS (c), &error))
        {
          fprintf (stderr, "%s\n", error->message);
          g_clear_error (&error);
          TU_CHECK (!"bundled preset valid");
        }
      TU_CHECK (p->description != NULL);
    }
  /* By name (the procedure's `preset`): Name or file name, any case; its
   * values go only to the arguments still at their defaults. */
  {
    const NsPreset *candy = ns_presets_find (presets, "candy");
    char *names = ns_presets_names (presets);
    char *fast;

    TU_CHECK (candy != NULL);
    TU_CHECK (ns_presets_find (presets, "Rain Princess") ==
              ns_presets_find (presets, "rain-princess"));
    TU_CHECK (ns_presets_find (presets, "nosuch") == NULL);
    TU_CHECK (strstr (names, "Candy, ") != NULL);
    fast = ns_preset_fast_style (candy);
    TU_CHECK (g_strcmp0 (fast, "candy") == 0);
    g_free (fast);
    g_free (names);
    g_object_set (c, "method", "cascade-adain", "fast-style", "", "strength",
                  0.25, NULL);
    TU_CHECK (ns_preset_apply_to_defaults (candy, G_OBJECT (c), NULL));
    TU_CHECK (g_strcmp0 (c->method, "fast-style") == 0);
    TU_CHECK (g_strcmp0 (c->fast_style, "candy") == 0);
    TU_CHECK (c->strength == 0.25); /* set by the caller: kept */
  }
  g_ptr_array_unref (presets);
  g_free (styles);
  g_object_unref (c);

  {
    const char *const rm[] = { "good", "unknown", "range",
                               "type", "noname",  "broken" };
    for (guint i = 0; i < G_N_ELEMENTS (rm); i++)
      {
        char *f = g_strdup_printf ("%s/%s.preset", a, rm[i]);
        g_unlink (f);
        g_free (f);
      }
    for (guint i = 0; i < 2; i++)
      {
        char *f = g_strdup_printf ("%s/%s.preset", b, i ? "other" : "dup");
        g_unlink (f);
        g_free (f);
      }
    {
      char *f = g_strdup_printf ("%s/ignored.txt", a);
      g_unlink (f);
      g_free (f);
    }
  }
  g_rmdir (a);
  g_rmdir (b);
  g_free (a);
  g_free (b);
  return tu_finish ("test-presets");
}
