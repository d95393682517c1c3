/* Method names and default parameters. */
#include "ns-internal.h"

#include <string.h>

static const char *const method_names[] = {
  [NS_METHOD_CASCADE_ADAIN] = "cascade-adain",
  [NS_METHOD_WCT] = "wct",
  [NS_METHOD_ADAIN] = "adain",
  [NS_METHOD_GATYS] = "gatys",
};

const char *
ns_method_name (ns_method method)
{
  if ((unsigned) method < sizeof method_names / sizeof method_names[0])
    return method_names[method];
  return "unknown";
}

bool
ns_method_from_name (const char *name, ns_method *out)
{
  if (!name)
    return false;
  for (unsigned i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
    if (strcmp (name, method_names[i]) == 0)
      {
        if (out)
          *out = (ns_method) i;
        return true;
      }
  return false;
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
