/* libFuzzer target for the .pth loader through its file path
 * (ns_weights_load_pth: open, fstat, mmap), on a memfd holding the input,
 * so the mapping code and its size checks run on every input (an empty
 * input gives an empty file). */
#define _GNU_SOURCE /* memfd_create */
#include "fuzz_common.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static int fd = -1;
  static char path[64];
  ns_weights *w = NULL;
  ns_error err = { 0 };
  ns_status s;

  if (fd < 0)
    {
      fd = memfd_create ("fuzz.pth", MFD_CLOEXEC);
      if (fd < 0)
        __builtin_trap ();
      snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
    }
  if (ftruncate (fd, 0) != 0 || pwrite (fd, data, size, 0) != (ssize_t) size)
    __builtin_trap ();
  s = ns_weights_load_pth (path, &w, &err);
  fuzz_check_weights (s, w, &err);
  return 0;
}
