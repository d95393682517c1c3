/* The user-facing parameters of ns_params, described once: the GIMP
 * procedure declares its arguments from this table, the procedure config
 * is mapped back through it (for the procedure and the dialog alike), and
 * nstyle builds its options and range checks from it. */
#include "ns-internal.h"
#include "nn/nn-dnnl.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Marks a string for translation (xgettext --keyword=N_); the engine has
 * no gettext, its callers translate. */
#define N_(s) s

static const ns_param_choice method_choices[] = {
  { "cascade-adain", NS_METHOD_CASCADE_ADAIN, N_ ("Cascade AdaIN"),
    N_ ("AdaIN at every level, deepest first (fast, strong)") },
  { "wct", NS_METHOD_WCT, N_ ("WCT"),
    N_ ("Whitening-colouring transform at every level") },
  { "adain", NS_METHOD_ADAIN, N_ ("AdaIN"),
    N_ ("Single-level AdaIN (fast, mostly colour)") },
  { "gatys", NS_METHOD_GATYS, N_ ("Gatys (optimisation)"),
    N_ ("Iterative optimisation; slow, most faithful") },
  { "microast", NS_METHOD_MICROAST, N_ ("MicroAST (fast, keeps shapes)"),
    N_ ("Tiny arbitrary-style network (needs the MicroAST model): keeps "
        "faces and architecture, less painterly texture") },
  { "fast-style", NS_METHOD_FAST, N_ ("Fast style (one painting)"),
    N_ ("A network trained on one painting (needs a fast style: "
        "transformer.param and STYLE.bin); no style image") },
  { NULL, 0, NULL, NULL }
};

static const ns_param_choice init_choices[] = {
  { "content", NS_INIT_CONTENT, N_ ("Content"), NULL },
  { "noise", NS_INIT_NOISE, N_ ("Noise"), NULL },
  { NULL, 0, NULL, NULL }
};

static const ns_param_choice precision_choices[] = {
  { "auto", NS_PRECISION_AUTO, N_ ("Automatic"),
    N_ ("fp32 (bf16 is not yet accurate enough by default)") },
  { "fp32", NS_PRECISION_FP32, N_ ("fp32"), N_ ("32-bit floats everywhere") },
  { "bf16", NS_PRECISION_BF16, N_ ("bf16"),
    N_ ("bfloat16 convolutions with fp32 accumulation") },
  { NULL, 0, NULL, NULL }
};

#define F(member) offsetof (ns_params, member)

/* The largest seed a double carries exactly (2^53); front ends with
 * narrower integers (GIMP's gint) clamp the range to theirs. */
#define NS_PARAM_UINT64_MAX 9007199254740992.0

static const ns_param_spec specs[] = {
  { "method", N_ ("_Method"), N_ ("Style transfer method"), NS_PARAM_CHOICE, 0,
    0, F (method), method_choices, false },
  { "strength", N_ ("Stren_gth"), N_ ("0 = content only, 1 = full style"),
    NS_PARAM_FLOAT, 0.0, 1.0, F (strength), NULL, false },
  { "preserve-colors", N_ ("Preser_ve colors"),
    N_ ("Keep the content's colours (transfer luminance only)"), NS_PARAM_BOOL,
    0, 1, F (preserve_colors), NULL, false },
  { "style-size", N_ ("Style si_ze"),
    N_ ("Long side the style is resized to (0 = as is)"), NS_PARAM_INT, 0,
    65536, F (style_size), NULL, false },
  { "max-size", N_ ("Ma_x size"),
    N_ ("Work at most at this long side, then upscale (0 = full size)"),
    NS_PARAM_INT, 0, 65536, F (max_size), NULL, false },
  { "seed", N_ ("S_eed"), N_ ("Random seed (noise initialisation)"),
    NS_PARAM_UINT64, 0, NS_PARAM_UINT64_MAX, F (seed), NULL, false },
  { "iterations", N_ ("_Iterations"), N_ ("Gatys: iterations per scale"),
    NS_PARAM_INT, 1, 1000000, F (gatys.iterations), NULL, true },
  { "content-weight", N_ ("Co_ntent weight"),
    N_ ("Gatys: weight of the content loss"), NS_PARAM_FLOAT, 0.0, 1e12,
    F (gatys.content_weight), NULL, true },
  { "style-weight", N_ ("Style _weight"),
    N_ ("Gatys: weight of the style loss"), NS_PARAM_FLOAT, 0.0, 1e12,
    F (gatys.style_weight), NULL, true },
  { "tv-weight", N_ ("_TV weight"), N_ ("Gatys: total-variation smoothing"),
    NS_PARAM_FLOAT, 0.0, 1e12, F (gatys.tv_weight), NULL, true },
  { "scales", N_ ("Num_ber of scales"), N_ ("Gatys: coarse-to-fine levels"),
    NS_PARAM_INT, 1, 16, F (gatys.scales), NULL, true },
  { "init", N_ ("Initial image"), N_ ("Gatys: starting image"), NS_PARAM_CHOICE,
    0, 0, F (gatys.init), init_choices, true },
  /* Last, so that positional Script-Fu calls written before it existed
   * keep their meaning. */
  { "precision", N_ ("_Precision"), N_ ("Arithmetic of the convolutions"),
    NS_PARAM_CHOICE, 0, 0, F (precision), precision_choices, false },
  { "design-size", N_ ("Design size"),
    N_ ("Stroke scale: long side at which the composition is designed, "
        "whatever the layer's size (0 = the layer's own size)"),
    NS_PARAM_INT, 0, 65536, F (design_size), NULL, false },
  { "memory-budget", N_ ("Memory budget (MB)"),
    N_ ("Memory a render may use; large layers are rendered in tiles that "
        "fit it (0 = automatic)"),
    NS_PARAM_INT, 0, 1048576, F (memory_budget_mb), NULL, false },
};

#undef F

const ns_param_spec *
ns_param_specs (int *n)
{
  if (n)
    *n = (int) (sizeof specs / sizeof specs[0]);
  return specs;
}

const ns_param_spec *
ns_param_find (const char *name)
{
  if (!name)
    return NULL;
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
    if (strcmp (specs[i].name, name) == 0)
      return &specs[i];
  return NULL;
}

const ns_param_choice *
ns_param_choice_find (const ns_param_spec *spec, const char *nick)
{
  if (!spec || !spec->choices || !nick)
    return NULL;
  for (const ns_param_choice *c = spec->choices; c->nick; c++)
    if (strcmp (c->nick, nick) == 0)
      return c;
  return NULL;
}

const ns_param_choice *
ns_param_choice_of (const ns_param_spec *spec, int value)
{
  if (!spec || !spec->choices)
    return NULL;
  for (const ns_param_choice *c = spec->choices; c->nick; c++)
    if (c->value == value)
      return c;
  return NULL;
}

double
ns_param_get (const ns_params *p, const ns_param_spec *spec)
{
  const char *base = (const char *) p + spec->offset;
  switch (spec->type)
    {
    case NS_PARAM_FLOAT:
      return *(const float *) base;
    case NS_PARAM_INT:
      return *(const int *) base;
    case NS_PARAM_UINT64:
      return (double) *(const uint64_t *) base;
    case NS_PARAM_BOOL:
      return *(const bool *) base ? 1.0 : 0.0;
    case NS_PARAM_CHOICE:
      return *(const int *) base; /* an enum */
    }
  return 0.0;
}

ns_status
ns_param_set (ns_params *p, const ns_param_spec *spec, double value,
              ns_error *err)
{
  char *base = (char *) p + spec->offset;

  if (spec->type == NS_PARAM_CHOICE)
    {
      if (value != floor (value) || !ns_param_choice_of (spec, (int) value))
        return ns_fail (err, NS_ERR_INVALID_ARG, "%s: no choice %g", spec->name,
                        value);
      *(int *) base = (int) value;
      return NS_OK;
    }
  if (!(value >= spec->min && value <= spec->max))
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "%s must be between %g and %g (got %g)", spec->name,
                    spec->min, spec->max, value);
  if (spec->type != NS_PARAM_FLOAT && value != floor (value))
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "%s must be a whole number (got %g)", spec->name, value);
  switch (spec->type)
    {
    case NS_PARAM_FLOAT:
      *(float *) base = (float) value;
      break;
    case NS_PARAM_INT:
      *(int *) base = (int) value;
      break;
    case NS_PARAM_UINT64:
      *(uint64_t *) base = (uint64_t) value;
      break;
    case NS_PARAM_BOOL:
      *(bool *) base = value != 0.0;
      break;
    case NS_PARAM_CHOICE:
      break;
    }
  return NS_OK;
}

/* --------------------------------------------------------------- names */

const char *
ns_method_name (ns_method method)
{
  const ns_param_choice *c = ns_param_choice_of (ns_param_find ("method"),
                                                 (int) method);
  return c ? c->nick : "unknown";
}

bool
ns_method_from_name (const char *name, ns_method *out)
{
  const ns_param_choice *c = ns_param_choice_find (ns_param_find ("method"),
                                                   name);
  if (!c)
    return false;
  if (out)
    *out = (ns_method) c->value;
  return true;
}

ns_params
ns_params_default (void)
{
  ns_params p;
  memset (&p, 0, sizeof p);
  p.method = NS_METHOD_CASCADE_ADAIN;
  p.strength = 1.0f;
  p.preserve_colors = false;
  p.style_size = 512;
  p.max_size = 0;
  p.n_threads = 0;
  p.precision = NS_PRECISION_AUTO;
  /* 1024: what artists tune at 100% zoom on a screen; the prototypes met
   * both the preview agreement and the sharpness targets with it. */
  p.design_size = 1024;
  p.memory_budget_mb = 0;
  p.seed = 0;
  /* Gatys defaults: with the normalised losses of engine/gatys/gatys.h
   * (content and style are relative errors) weights of the same order
   * balance.  Style weight 30 over 2 scales gave a clearly painterly
   * tubingen/starry_night at 512 px where 10 over 1 scale stayed faint. */
  p.gatys.iterations = 200;
  p.gatys.content_weight = 1.0f;
  p.gatys.style_weight = 30.0f;
  p.gatys.tv_weight = 1e-3f;
  p.gatys.init = NS_INIT_CONTENT;
  p.gatys.scales = 2;
  p.gatys.use_adam = false;
  p.gatys.learning_rate = 0.02f;
  p.gatys.image_every = 0;
  return p;
}

const char *
ns_precision_effective_name (ns_precision precision)
{
  return ns_arith_name (ns_arith_resolve (precision));
}
