/* The procedure's engine arguments, declared from and read back through
 * the engine's parameter table (ns_param_specs): one mapping for the
 * procedure and the dialog's preview, as GIMP's destripe.c has one
 * function for both. */
#ifndef NS_CONFIG_H
#define NS_CONFIG_H

#include <libgimp/gimp.h>

#include "ns.h"

G_BEGIN_DECLS

/* Declares the arguments of the table's parameters from FIRST to LAST
 * (names; LAST NULL = to the end of the table), in table order, with the
 * table's ranges and ns_params_default's defaults.  Label and help are
 * translated here. */
void ns_config_add_arguments (GimpProcedure *procedure, const gchar *first,
                              const gchar *last);

/* PARAMS = ns_params_default () with every table parameter set from
 * CONFIG.  FALSE + ERROR when a value is refused by the table (GIMP
 * checks the ranges first, so only a table/argument mismatch does). */
gboolean ns_config_get_params (GimpProcedureConfig *config, ns_params *params,
                               GError **error);

G_END_DECLS

#endif
