/* A GTK module for the dialog test (test-dialog.sh loads it into GIMP and
 * the plug-in with GTK_MODULES): when the "Neural Style Transfer" dialog
 * is mapped, it checks what a user of the keyboard or of a screen reader
 * needs and whether the dialog fits a 1280x800 screen, and prints one
 * machine-readable line each:
 *
 *   ns-dialog-check: a11y mnemonics=N controls=N problems=... \
 *                    min_size=WxH largest=WxH
 *   ns-dialog-check: presets loaded=N invalid=N
 *
 * problems lists mnemonic clashes, mnemonics without a target widget and
 * controls without a tooltip (" none" when there are none); largest is the
 * size with the Gatys rows ("ns-gatys") shown and Advanced ("ns-advanced")
 * expanded.  The presets are checked against the procedure's own
 * arguments (the dialog's config).  Only GTK and GLib: the module is
 * loaded into GIMP too, where it finds no such dialog. */
#include "ns-presets.h"

#include <string.h>

#include <gtk/gtk.h>

#define DIALOG_TITLE "Neural Style Transfer"

/* GtkModuleInitFunc */
void gtk_module_init (gint *argc, gchar ***argv);

typedef struct
{
  GtkWidget *dialog;
  GHashTable *keys; /* keyval -> label text */
  GString *problems;
  guint n_mnemonics;
  guint n_controls;
  GtkWidget *gatys;    /* "ns-gatys" */
  GtkWidget *advanced; /* "ns-advanced" */
} Check;

static gboolean
is_a (GtkWidget *w, const char *type_name)
{
  GType t = g_type_from_name (type_name);

  return t && g_type_is_a (G_OBJECT_TYPE (w), t);
}

static gboolean
has_tooltip_up_to (GtkWidget *w, GtkWidget *stop)
{
  for (; w && w != stop; w = gtk_widget_get_parent (w))
    if (gtk_widget_get_has_tooltip (w))
      return TRUE;
  return FALSE;
}

static void
visit (GtkWidget *w, Check *c)
{
  const char *name = gtk_widget_get_name (w);

  if (g_strcmp0 (name, "ns-gatys") == 0)
    c->gatys = w;
  else if (g_strcmp0 (name, "ns-advanced") == 0)
    c->advanced = w;

  if (GTK_IS_LABEL (w))
    {
      guint key = gtk_label_get_mnemonic_keyval (GTK_LABEL (w));

      if (key != GDK_KEY_VoidSymbol)
        {
          const char *text = gtk_label_get_text (GTK_LABEL (w));
          const char *other;
          gboolean in_button = gtk_widget_get_ancestor (w, GTK_TYPE_BUTTON) ||
                               gtk_widget_get_ancestor (w, GTK_TYPE_EXPANDER);

          key = gdk_keyval_to_lower (key);
          c->n_mnemonics++;
          other = g_hash_table_lookup (c->keys, GUINT_TO_POINTER (key));
          if (other)
            g_string_append_printf (c->problems, " clash:'%s'/'%s'", other,
                                    text);
          else
            g_hash_table_insert (c->keys, GUINT_TO_POINTER (key),
                                 (gpointer) text);
          if (!in_button && !gtk_label_get_mnemonic_widget (GTK_LABEL (w)))
            g_string_append_printf (c->problems, " no-target:'%s'", text);
        }
    }
  /* Controls a user operates: each needs a tooltip (on it or on the row
   * around it).  The dialog's own buttons are GIMP's and skipped. */
  if ((GTK_IS_SPIN_BUTTON (w) || GTK_IS_COMBO_BOX (w) ||
       GTK_IS_TOGGLE_BUTTON (w) ||
       (GTK_IS_RANGE (w) && !GTK_IS_SCROLLBAR (w)) ||
       (GTK_IS_ENTRY (w) && !gtk_widget_get_ancestor (w, GTK_TYPE_COMBO_BOX)) ||
       is_a (w, "GimpDrawableChooser")) &&
      !gtk_widget_get_ancestor (w, GTK_TYPE_BUTTON_BOX))
    {
      c->n_controls++;
      if (!has_tooltip_up_to (w, c->dialog))
        g_string_append_printf (c->problems, " no-tooltip:%s",
                                G_OBJECT_TYPE_NAME (w));
    }
}

static void
walk (GtkWidget *w, gpointer data)
{
  visit (w, data);
  if (GTK_IS_CONTAINER (w))
    gtk_container_forall (GTK_CONTAINER (w), walk, data);
}

static void
check_a11y (GtkWidget *dialog)
{
  Check c = { 0 };
  GtkRequisition req, full;

  c.dialog = dialog;
  c.keys = g_hash_table_new (NULL, NULL);
  c.problems = g_string_new (NULL);
  /* The Gatys rows count too: they share the window when shown. */
  gtk_container_forall (GTK_CONTAINER (dialog), walk, &c);
  gtk_widget_get_preferred_size (dialog, &req, NULL);
  full = req;
  /* The largest layout: Gatys rows shown and Advanced expanded. */
  if (c.gatys && GTK_IS_EXPANDER (c.advanced))
    {
      gboolean gatys = gtk_widget_get_visible (c.gatys);
      gboolean expanded = gtk_expander_get_expanded (GTK_EXPANDER (c.advanced));

      gtk_widget_set_visible (c.gatys, TRUE);
      gtk_expander_set_expanded (GTK_EXPANDER (c.advanced), TRUE);
      gtk_widget_get_preferred_size (dialog, &full, NULL);
      gtk_widget_set_visible (c.gatys, gatys);
      gtk_expander_set_expanded (GTK_EXPANDER (c.advanced), expanded);
    }
  else
    g_string_append (c.problems, " no-ns-gatys-or-ns-advanced");
  g_printerr ("ns-dialog-check: a11y mnemonics=%u controls=%u problems=%s "
              "min_size=%dx%d largest=%dx%d\n",
              c.n_mnemonics, c.n_controls,
              c.problems->len ? c.problems->str : " none", req.width,
              req.height, full.width, full.height);
  g_hash_table_unref (c.keys);
  g_string_free (c.problems, TRUE);
}

static void
check_presets (GtkWidget *dialog)
{
  GObject *config = NULL;
  char **dirs;
  GPtrArray *presets;
  guint bad = 0;

  /* GimpProcedureDialog's "config": the procedure's arguments. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (dialog), "config"))
    g_object_get (dialog, "config", &config, NULL);
  if (!config)
    {
      g_printerr ("ns-dialog-check: presets no-config\n");
      return;
    }
  dirs = ns_presets_default_dirs (NULL);
  presets = ns_presets_load ((const char *const *) dirs);
  for (guint i = 0; i < presets->len; i++)
    {
      GError *error = NULL;

      if (!ns_preset_check (presets->pdata[i], G_OBJECT_GET_CLASS (config),
                            &error))
        {
          g_printerr ("ns-dialog-check: preset-invalid %s\n", error->message);
          g_clear_error (&error);
          bad++;
        }
    }
  g_printerr ("ns-dialog-check: presets loaded=%u invalid=%u\n", presets->len,
              bad);
  g_ptr_array_unref (presets);
  g_strfreev (dirs);
  g_object_unref (config);
}

static gboolean
check (gpointer data)
{
  GtkWidget *dialog = data;

  if (gtk_widget_get_mapped (dialog))
    {
      check_a11y (dialog);
      check_presets (dialog);
    }
  return G_SOURCE_REMOVE;
}

static gboolean
mapped (GSignalInvocationHint *hint, guint n_values, const GValue *values,
        gpointer data)
{
  GtkWidget *w = g_value_get_object (&values[0]);

  if (GTK_IS_DIALOG (w) &&
      g_strcmp0 (gtk_window_get_title (GTK_WINDOW (w)), DIALOG_TITLE) == 0)
    /* Once the dialog's own "map" handlers have run, before it is drawn. */
    g_idle_add_full (G_PRIORITY_HIGH_IDLE, check, g_object_ref (w),
                     g_object_unref);
  return TRUE; /* stay connected */
}

void
gtk_module_init (gint *argc, gchar ***argv)
{
  /* Signals exist once the class does; GTK may not have made it yet.
   * The reference is kept: the hook is for the process's lifetime. */
  g_type_class_ref (GTK_TYPE_WIDGET);
  g_signal_add_emission_hook (g_signal_lookup ("map", GTK_TYPE_WIDGET), 0,
                              mapped, NULL, NULL);
}
