/* Contexts: a model and what the methods keep between calls (see
 * stylize.h).  Nothing is global, so contexts may run on different
 * threads. */
#include "stylize.h"

#include <stdlib.h>

/* The encoder/decoder levels a model of its kind needs: none for the
 * models whose methods use no VGG level (a fast style: NS_METHOD_FAST;
 * MicroAST: NS_METHOD_MICROAST), which ns_method_run lets run no other
 * method; at least one for the VGG-based kinds. */
static int
min_levels (const ns_model *model)
{
  switch (model->kind)
    {
    case NS_MODEL_FAST:
    case NS_MODEL_MICROAST:
      return 0;
    default:
      return 1;
    }
}

ns_status
ns_context_new (const ns_model *model, ns_context **out, ns_error *err)
{
  ns_context *ctx;
  if (!out)
    return ns_fail (err, NS_ERR_INVALID_ARG, "context: OUT is NULL");
  *out = NULL;
  if (!model)
    return ns_fail (err, NS_ERR_INVALID_ARG, "context: no model");
  if (model->n_levels < min_levels (model) || model->n_levels > 5)
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
  ns_image_free (&ctx->fast_out);
  free (ctx);
}

void
ns_context_get_counters (const ns_context *ctx, ns_context_counters *out)
{
  *out = ctx->counters;
}
