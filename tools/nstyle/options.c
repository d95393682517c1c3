/* nstyle: the options for the fields of ns_params, built from the
 * engine's parameter table, so the names, help, ranges and defaults are
 * those of the GIMP procedure.  Values are taken as strings and checked
 * after parsing, so a bad value gets a message naming the option as the
 * user spelled it, and exit code 2. */
#include "nstyle.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the CLI adds to a parameter of the table. */
typedef struct
{
  const char *name;         /* the parameter */
  char short_name;          /* its short option, or 0 */
  const char *alias;        /* another long option for it (kept from older
                               versions), or NULL */
  char alias_short;         /* the alias's short option, or 0 */
  const char *default_text; /* replaces "default X" in the help */
  const char *other_value;  /* a choice also takes this (e.g. a FILE) */
  const char *arg_text;     /* the value in the help, for a choice; NULL:
                               the list of choices */
} cli_extra;

static const cli_extra extras[] = {
  { "method", 'm', NULL, 0,
    N_ ("cascade-adain for multi-level models, microast for a MicroAST model, "
        "adain otherwise"),
    NULL, "NAME" },
  { "strength", 0, "alpha", 'a', NULL, NULL, NULL },
  { "init", 0, NULL, 0, NULL, "FILE", NULL },
};

static const cli_extra *
extra_of (const char *name)
{
  for (size_t i = 0; i < G_N_ELEMENTS (extras); i++)
    if (strcmp (extras[i].name, name) == 0)
      return &extras[i];
  return NULL;
}

/* The value last given for each parameter, and the option it came by. */
typedef struct
{
  char *value;
  char *given_as;
} given_value;

static given_value *given; /* indexed like ns_param_specs */

G_NORETURN void
nst_usage_error (const char *fmt, ...)
{
  va_list ap;
  fprintf (stderr, "nstyle: ");
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fprintf (stderr, _ ("\nTry 'nstyle --help' for more information.\n"));
  exit (NST_EXIT_USAGE);
}

/* The spec an option name ("--alpha", "-m") stands for. */
static const ns_param_spec *
spec_of_option (const char *option)
{
  bool is_long = option[0] == '-' && option[1] == '-';
  const char *name = option + (is_long ? 2 : 1);

  for (size_t i = 0; i < G_N_ELEMENTS (extras); i++)
    {
      const cli_extra *x = &extras[i];
      if (is_long ? x->alias && strcmp (name, x->alias) == 0
                  : name[0] && !name[1] &&
                        (name[0] == x->short_name || name[0] == x->alias_short))
        return ns_param_find (x->name);
    }
  return is_long ? ns_param_find (name) : NULL;
}

static gboolean
on_param (const char *option, const char *value, gpointer data, GError **error)
{
  const ns_param_spec *spec = spec_of_option (option);
  int n, i;
  const ns_param_spec *specs = ns_param_specs (&n);

  if (!spec)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _ ("unknown option %s"), option);
      return FALSE;
    }
  if (!given)
    given = g_new0 (given_value, n);
  i = (int) (spec - specs);
  /* As for other options, the last one given wins. */
  g_free (given[i].value);
  g_free (given[i].given_as);
  given[i].value = g_strdup (value ? value : "1");
  given[i].given_as = g_strdup (option);
  return TRUE;
}

/* "a, b, c or d" from the choices of SPEC (and OTHER, if not NULL). */
static char *
choice_list (const ns_param_spec *spec, const char *sep, const char *last,
             const char *other)
{
  GString *s = g_string_new (NULL);
  int n = 0, total = 0;

  for (const ns_param_choice *c = spec->choices; c->nick; c++)
    total++;
  if (other)
    total++;
  for (const ns_param_choice *c = spec->choices; c->nick; c++, n++)
    g_string_append_printf (s, "%s%s",
                            n == 0           ? ""
                            : n == total - 1 ? last
                                             : sep,
                            c->nick);
  if (other)
    g_string_append_printf (s, "%s%s", n == 0 ? "" : last, other);
  return g_string_free (s, FALSE);
}

/* A number of SPEC's type for messages: whole numbers without exponent. */
static char *
format_value (const ns_param_spec *spec, double v)
{
  if (spec->type == NS_PARAM_FLOAT)
    return g_strdup_printf ("%g", v);
  return g_strdup_printf ("%.0f", v);
}

static char *
describe (const ns_param_spec *spec, const cli_extra *x,
          const ns_params *defaults)
{
  double def = ns_param_get (defaults, spec);
  char *lo, *hi, *d, *list;

  switch (spec->type)
    {
    case NS_PARAM_BOOL:
      return g_strdup ((spec->help ? _ (spec->help) : ""));
    case NS_PARAM_CHOICE:
      list = choice_list (spec, ", ", _ (" or "),
                          x && x->other_value ? x->other_value : NULL);
      {
        const ns_param_choice *c = ns_param_choice_of (spec, (int) def);
        d = g_strdup_printf (_ ("%s: %s; default %s"),
                             (spec->help ? _ (spec->help) : ""), list,
                             x && x->default_text ? _ (x->default_text)
                             : c                  ? c->nick
                                                  : "?");
      }
      g_free (list);
      return d;
    default:
      lo = format_value (spec, spec->min);
      hi = format_value (spec, spec->max);
      {
        char *dv = format_value (spec, def);
        d = g_strdup_printf (_ ("%s; %s to %s, default %s"),
                             (spec->help ? _ (spec->help) : ""), lo, hi,
                             x && x->default_text ? _ (x->default_text) : dv);
        g_free (dv);
      }
      g_free (lo);
      g_free (hi);
      return d;
    }
}

static GOptionEntry *
build_entries (bool gatys)
{
  int n;
  const ns_param_spec *specs = ns_param_specs (&n);
  ns_params defaults = ns_params_default ();
  /* Each parameter, perhaps an alias, and the terminator. */
  GOptionEntry *entries = g_new0 (GOptionEntry, 2 * (size_t) n + 1);
  int k = 0;

  for (int i = 0; i < n; i++)
    {
      const ns_param_spec *spec = &specs[i];
      const cli_extra *x = extra_of (spec->name);
      GOptionEntry *e;

      if (spec->gatys_only != gatys)
        continue;
      e = &entries[k++];
      e->long_name = spec->name;
      e->short_name = x ? x->short_name : 0;
      e->flags = spec->type == NS_PARAM_BOOL ? G_OPTION_FLAG_NO_ARG : 0;
      if (x && x->other_value)
        e->flags |= G_OPTION_FLAG_FILENAME;
      e->arg = G_OPTION_ARG_CALLBACK;
      e->arg_data = (gpointer) on_param;
      e->description = describe (spec, x, &defaults);
      if (spec->type == NS_PARAM_CHOICE && x && x->arg_text)
        e->arg_description = x->arg_text;
      else if (spec->type == NS_PARAM_CHOICE)
        e->arg_description = choice_list (spec, "|", "|",
                                          x ? x->other_value : NULL);
      else if (spec->type == NS_PARAM_FLOAT)
        e->arg_description = "X";
      else if (spec->type != NS_PARAM_BOOL)
        e->arg_description = "N";
      if (x && x->alias)
        {
          GOptionEntry *a = &entries[k++];
          *a = *e;
          a->long_name = x->alias;
          a->short_name = x->alias_short;
          a->description = g_strdup_printf (_ ("Same as --%s"), spec->name);
        }
    }
  return entries;
}

GOptionEntry *
nst_param_entries (bool gatys)
{
  /* Built once and kept for the process: GOption points into them until
     the context is freed, and the help strings must live as long. */
  static GOptionEntry *built[2];
  if (!built[gatys])
    built[gatys] = build_entries (gatys);
  return built[gatys];
}

/* Parses S as SPEC's type and sets it in PARAMS through the table's range
 * check; OPTION (as the user spelled it) names it in errors. */
static void
apply_number (ns_params *params, const ns_param_spec *spec, const char *option,
              const char *s)
{
  ns_error err;
  char *end;
  double v;

  errno = 0;
  if (spec->type == NS_PARAM_FLOAT)
    {
      v = g_ascii_strtod (s, &end);
      if (errno != 0 || end == s || *end != '\0' || !isfinite (v))
        nst_usage_error (_ ("%s: '%s' is not a number"), option, s);
    }
  else
    {
      long long i = strtoll (s, &end, 10);
      if (end == s || *end != '\0')
        nst_usage_error (_ ("%s: '%s' is not a whole number"), option, s);
      /* Out of long long: out of range too, whatever the sign. */
      v = errno == ERANGE ? (i < 0 ? -HUGE_VAL : HUGE_VAL) : (double) i;
    }
  if (ns_param_set (params, spec, v, &err) != NS_OK)
    {
      char *lo = format_value (spec, spec->min);
      char *hi = format_value (spec, spec->max);
      nst_usage_error (_ ("%s: %s is outside [%s, %s]"), option, s, lo, hi);
    }
}

void
nst_param_apply (ns_params *params, bool *method_given, const char **init_file)
{
  int n;
  const ns_param_spec *specs = ns_param_specs (&n);
  ns_error err;

  *method_given = false;
  *init_file = NULL;
  if (!given)
    return;
  for (int i = 0; i < n; i++)
    {
      const ns_param_spec *spec = &specs[i];
      const char *v = given[i].value, *option = given[i].given_as;
      const ns_param_choice *c;

      if (!v)
        continue;
      if (strcmp (spec->name, "method") == 0)
        *method_given = true;
      switch (spec->type)
        {
        case NS_PARAM_BOOL:
          ns_param_set (params, spec, 1.0, &err);
          break;
        case NS_PARAM_CHOICE:
          c = ns_param_choice_find (spec, v);
          if (c)
            ns_param_set (params, spec, c->value, &err);
          else if (strcmp (spec->name, "init") == 0)
            {
              /* An image FILE: the engine's third start, which the GIMP
               * procedure does not offer (so not a choice of the table). */
              params->gatys.init = NS_INIT_IMAGE;
              *init_file = v;
            }
          else
            {
              char *list = choice_list (spec, ", ", _ (" or "), NULL);
              nst_usage_error (_ ("%s: unknown %s '%s' (use %s)"), option,
                               spec->name, v, list);
            }
          break;
        default:
          apply_number (params, spec, option, v);
          break;
        }
    }
}
