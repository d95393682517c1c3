/* libFuzzer target for the ncnn reader (engine/io/ncnn.c): the input is
 * a .param text, a NUL byte, then the .bin bytes (no NUL: the .param alone,
 * with an empty .bin).  On success every weight is read (so ASan sees a bad
 * extent) and must be finite; on failure there must be a message. */
#include "io/ncnn.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const uint8_t *nul = memchr (data, 0, size);
  size_t plen = nul ? (size_t) (nul - data) : size;
  ns_ncnn *net = NULL;
  ns_error err = { 0 };
  ns_status s;

  s = ns_ncnn_parse_param ((const char *) data, plen, "fuzz.param", &net, &err);
  if (s != NS_OK)
    {
      if (net || err.message[0] == '\0')
        __builtin_trap ();
      return 0;
    }
  err.message[0] = '\0';
  s = ns_ncnn_read_bin (net, nul ? nul + 1 : data + size,
                        nul ? size - plen - 1 : 0, "fuzz.bin", &err);
  if (s != NS_OK && err.message[0] == '\0')
    __builtin_trap ();
  if (s == NS_OK)
    for (int i = 0; i < net->n_layers; i++)
      for (int j = 0; j < 2; j++)
        for (size_t k = 0; k < net->layers[i].n_data[j]; k++)
          if (!isfinite (net->layers[i].data[j][k]))
            __builtin_trap ();
  for (int b = 0; b < net->n_blobs; b++)
    (void) strlen (net->blob_names[b]);
  ns_ncnn_free (net);
  return 0;
}
