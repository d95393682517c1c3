/* What every fuzz target checks of a load: on success every value is
 * read (so ASan sees a bad extent) and finite (the loader's contract);
 * on failure there is no handle and there is a message. */
#ifndef NS_FUZZ_COMMON_H
#define NS_FUZZ_COMMON_H

#include "ns-internal.h"

#include <math.h>
#include <string.h>

static inline void
fuzz_check_weights (ns_status s, ns_weights *w, const ns_error *err)
{
  if (s == NS_OK)
    {
      for (int i = 0; i < ns_weights_count (w); i++)
        {
          const ns_weight *x = ns_weights_get (w, i);
          for (size_t j = 0; j < x->numel; j++)
            if (!isfinite (x->data[j]))
              __builtin_trap ();
          (void) strlen (x->name);
        }
      ns_weights_free (w);
    }
  else if (w != NULL || err->message[0] == '\0')
    __builtin_trap ();
}

#endif
