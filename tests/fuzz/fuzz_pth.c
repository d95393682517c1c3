/* libFuzzer target for the .pth loader (legacy and zip formats). */
#include "ns-internal.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  ns_weights *w = NULL;
  ns_error err;
  int i;

  if (ns_weights_load_pth_mem (data, size, "fuzz.pth", &w, &err) == NS_OK)
    {
      /* Touch every value so ASan sees any bad extent. */
      volatile float sink = 0.0f;
      for (i = 0; i < ns_weights_count (w); i++)
        {
          const ns_weight *x = ns_weights_get (w, i);
          size_t j;
          for (j = 0; j < x->numel; j++)
            sink += x->data[j];
          (void) strlen (x->name);
        }
      (void) sink;
      ns_weights_free (w);
    }
  else if (w != NULL || err.message[0] == '\0')
    __builtin_trap (); /* the contract: no handle, a message */
  return 0;
}
