/* The zip reader PyTorch's format (1.6 and later) needs: the central
 * directory (zip64 too) and stored, uncompressed entries, as torch.save
 * writes them.  Entries point into the input; nothing is copied. */
#ifndef NS_IO_ZIP_H
#define NS_IO_ZIP_H

#include "input.h"

typedef struct
{
  const unsigned char *name;
  size_t name_len;
  unsigned method;
  uint64_t csize, usize, local_off;
} ns_zip_entry;

typedef struct
{
  const ns_input *in;
  ns_zip_entry *ent; /* sorted by name */
  size_t n;
  size_t bytes; /* allocated for ENT */
} ns_zip;

/* Reads IN's central directory, allocating at most MAX_BYTES (the
 * caller's memory budget; Z->bytes receives what was allocated).  Call
 * ns_zip_close even on failure. */
ns_status ns_zip_open (ns_zip *z, const ns_input *in, size_t max_bytes);
void ns_zip_close (ns_zip *z);
/* The entry named NAME (LEN bytes), or NULL. */
const ns_zip_entry *ns_zip_find (const ns_zip *z, const unsigned char *name,
                                 size_t len);
/* The extent of stored entry E's data in the input, via its local
 * header. */
ns_status ns_zip_data (const ns_zip *z, const ns_zip_entry *e, size_t *off,
                       size_t *size);

#endif
