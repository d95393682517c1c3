/* Procedure arguments <-> engine parameters (see ns-config.h). */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ns-config.h"

static GimpChoice *
choice_new (const ns_param_spec *spec)
{
  GimpChoice *choice = gimp_choice_new ();

  for (const ns_param_choice *c = spec->choices; c->nick; c++)
    gimp_choice_add (choice, c->nick, c->value, _ (c->label),
                     c->help ? _ (c->help) : NULL);
  return choice;
}

static void
add_argument (GimpProcedure *procedure, const ns_param_spec *spec,
              const ns_params *def)
{
  const gchar *label = _ (spec->label);
  const gchar *help = _ (spec->help);
  gdouble value = ns_param_get (def, spec);

  switch (spec->type)
    {
    case NS_PARAM_FLOAT:
      gimp_procedure_add_double_argument (procedure, spec->name, label, help,
                                          spec->min, spec->max, value,
                                          G_PARAM_READWRITE);
      break;
    case NS_PARAM_INT:
    case NS_PARAM_UINT64:
      /* gint arguments: a wider engine range is clamped to gint's. */
      gimp_procedure_add_int_argument (procedure, spec->name, label, help,
                                       (gint) spec->min,
                                       (gint) MIN (spec->max, G_MAXINT),
                                       (gint) value, G_PARAM_READWRITE);
      break;
    case NS_PARAM_BOOL:
      gimp_procedure_add_boolean_argument (procedure, spec->name, label, help,
                                           value != 0.0, G_PARAM_READWRITE);
      break;
    case NS_PARAM_CHOICE:
      {
        const ns_param_choice *c = ns_param_choice_of (spec, (gint) value);

        gimp_procedure_add_choice_argument (procedure, spec->name, label, help,
                                            choice_new (spec),
                                            c ? c->nick : spec->choices[0].nick,
                                            G_PARAM_READWRITE);
      }
      break;
    }
}

void
ns_config_add_arguments (GimpProcedure *procedure, const gchar *first,
                         const gchar *last)
{
  ns_params def = ns_params_default ();
  gint n;
  const ns_param_spec *specs = ns_param_specs (&n);
  gboolean on = FALSE;

  for (gint i = 0; i < n; i++)
    {
      if (g_strcmp0 (specs[i].name, first) == 0)
        on = TRUE;
      if (!on)
        continue;
      add_argument (procedure, &specs[i], &def);
      if (g_strcmp0 (specs[i].name, last) == 0)
        break;
    }
  g_return_if_fail (on);
}

gboolean
ns_config_get_params (GimpProcedureConfig *config, ns_params *params,
                      GError **error)
{
  gint n;
  const ns_param_spec *specs = ns_param_specs (&n);

  *params = ns_params_default ();
  for (gint i = 0; i < n; i++)
    {
      const ns_param_spec *spec = &specs[i];
      gdouble value = 0.0;
      ns_error err;

      switch (spec->type)
        {
        case NS_PARAM_FLOAT:
          g_object_get (config, spec->name, &value, NULL);
          break;
        case NS_PARAM_INT:
        case NS_PARAM_UINT64:
          {
            gint v;

            g_object_get (config, spec->name, &v, NULL);
            value = v;
          }
          break;
        case NS_PARAM_BOOL:
          {
            gboolean v;

            g_object_get (config, spec->name, &v, NULL);
            value = v ? 1.0 : 0.0;
          }
          break;
        case NS_PARAM_CHOICE:
          value = gimp_procedure_config_get_choice_id (config, spec->name);
          break;
        }
      if (ns_param_set (params, spec, value, &err) != NS_OK)
        {
          g_set_error_literal (error, GIMP_PLUG_IN_ERROR, 0, err.message);
          return FALSE;
        }
    }
  return TRUE;
}
