/* libFuzzer target for the .pth loader from memory (legacy and zip
 * formats): ns_weights_load_pth_mem. */
#include "fuzz_common.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  ns_weights *w = NULL;
  ns_error err = { 0 };
  ns_status s = ns_weights_load_pth_mem (data, size, "fuzz.pth", &w, &err);
  fuzz_check_weights (s, w, &err);
  return 0;
}
