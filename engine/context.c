/* Contexts: a model and what the methods keep between calls (see
 * stylize.h).  Nothing is global, so contexts may run on different
 * threads. */
#include "stylize.h"

#include <stdlib.h>

ns_status
ns_context_new (const ns_model *model, ns_context **out, ns_error *err)
{
  ns_context *ctx;
  if (!out)
    return ns_fail (err, NS_ERR_INVALID_ARG, "context: OUT is NULL");
  *out = NULL;
  if (!model)
    return ns_fail (err, NS_ERR_INVALID_ARG, "context: no model");
  if (model->n_levels < 1 || model->n_levels > 5)
    return ns_fail (err, NS_ERR_INVALID_ARG, "context: model has %d levels",
                    model->n_levels);
  ctx = calloc (1, sizeof *ctx);
  if (!ctx)
    return ns_fail (err, NS_ERR_NOMEM, "out of memory for a context");
  ctx->model = model;
  *out = ctx;
  return NS_OK;
}

void
ns_context_free (ns_context *ctx)
{
  if (!ctx)
    return;
  ns_ff_cache_free (ctx->ff);
  free (ctx);
}

void
ns_context_get_counters (const ns_context *ctx, ns_context_counters *out)
{
  *out = ctx->counters;
}
