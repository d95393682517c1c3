/* Zip reader for PyTorch files (see zip.h).  A file is untrusted: every
 * offset and size read from it is checked against the input before use,
 * and only stored entries are read, so there is no decompressor to
 * attack. */
#include "zip.h"

#include <stdlib.h>

static int
entry_cmp (const void *a, const void *b)
{
  const ns_zip_entry *x = a, *y = b;
  return ns_bytes_cmp (x->name, x->name_len, y->name, y->name_len);
}

ns_status
ns_zip_open (ns_zip *z, const ns_input *in, size_t max_bytes)
{
  const unsigned char *b = in->base;
  size_t len = in->len, eocd = 0, i, pos;
  uint64_t nent, cd_size, cd_off;
  bool found = false;

  z->in = in;
  z->ent = NULL;
  z->n = 0;
  z->bytes = 0;
  if (len < 22)
    return ns_input_fail (in, NS_ERR_FORMAT, "truncated zip archive");
  /* The end-of-central-directory record, maybe followed by a comment. */
  for (i = len - 22;; i--)
    {
      if (rd32 (b + i) == 0x06054b50)
        {
          eocd = i;
          found = true;
          break;
        }
      if (i == 0 || len - 22 - i >= 65535)
        break;
    }
  if (!found)
    return ns_input_fail (in, NS_ERR_FORMAT,
                          "zip end-of-directory record not found "
                          "(truncated?)");
  nent = rd16 (b + eocd + 10);
  cd_size = rd32 (b + eocd + 12);
  cd_off = rd32 (b + eocd + 16);
  if (nent == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu)
    {
      uint64_t r;
      if (eocd < 20 || rd32 (b + eocd - 20) != 0x07064b50)
        return ns_input_fail (in, NS_ERR_FORMAT, "zip64 locator not found");
      r = rd64 (b + eocd - 20 + 8);
      if (r > len || len - r < 56 || rd32 (b + r) != 0x06064b50)
        return ns_input_fail (in, NS_ERR_FORMAT, "bad zip64 directory record");
      nent = rd64 (b + r + 32);
      cd_size = rd64 (b + r + 40);
      cd_off = rd64 (b + r + 48);
    }
  if (cd_off > len || cd_size > len - cd_off)
    return ns_input_fail (in, NS_ERR_FORMAT,
                          "zip central directory lies outside the file");
  if (nent > cd_size / 46)
    return ns_input_fail (in, NS_ERR_FORMAT,
                          "zip directory claims %llu entries, it has room "
                          "for %llu",
                          (unsigned long long) nent,
                          (unsigned long long) (cd_size / 46));
  /* NENT is below the file's size / 46, so this holds for any budget
   * proportional to the file; checked all the same. */
  z->bytes = (nent ? (size_t) nent : 1) * sizeof *z->ent;
  if (z->bytes > max_bytes)
    return ns_input_fail (in, NS_ERR_FORMAT,
                          "zip directory of %llu entries needs more memory "
                          "than a file of %zu bytes can justify",
                          (unsigned long long) nent, len);
  z->ent = calloc (nent ? (size_t) nent : 1, sizeof *z->ent);
  if (!z->ent)
    return ns_input_fail (in, NS_ERR_NOMEM, "out of memory");
  pos = (size_t) cd_off;
  for (i = 0; i < nent; i++)
    {
      ns_zip_entry *e = &z->ent[i];
      size_t end = (size_t) (cd_off + cd_size), nl, xl, cl, x;
      if (end - pos < 46 || rd32 (b + pos) != 0x02014b50)
        return ns_input_fail (in, NS_ERR_FORMAT, "bad zip directory entry %zu",
                              i);
      e->method = rd16 (b + pos + 10);
      e->csize = rd32 (b + pos + 20);
      e->usize = rd32 (b + pos + 24);
      nl = rd16 (b + pos + 28);
      xl = rd16 (b + pos + 30);
      cl = rd16 (b + pos + 32);
      e->local_off = rd32 (b + pos + 42);
      if (end - pos - 46 < nl + xl + cl)
        return ns_input_fail (in, NS_ERR_FORMAT, "bad zip directory entry %zu",
                              i);
      e->name = b + pos + 46;
      e->name_len = nl;
      /* Zip64 extra field: the 0xffffffff fields, in order. */
      for (x = pos + 46 + nl; x + 4 <= pos + 46 + nl + xl;)
        {
          size_t id = rd16 (b + x), sz = rd16 (b + x + 2), f = x + 4;
          if (x + 4 + sz > pos + 46 + nl + xl)
            break;
          if (id == 1)
            {
              if (e->usize == 0xffffffffu && f + 8 <= x + 4 + sz)
                e->usize = rd64 (b + f), f += 8;
              if (e->csize == 0xffffffffu && f + 8 <= x + 4 + sz)
                e->csize = rd64 (b + f), f += 8;
              if (e->local_off == 0xffffffffu && f + 8 <= x + 4 + sz)
                e->local_off = rd64 (b + f);
            }
          x += 4 + sz;
        }
      pos += 46 + nl + xl + cl;
    }
  z->n = (size_t) nent;
  qsort (z->ent, z->n, sizeof *z->ent, entry_cmp);
  return NS_OK;
}

void
ns_zip_close (ns_zip *z)
{
  free (z->ent);
  z->ent = NULL;
  z->n = 0;
  z->bytes = 0;
}

const ns_zip_entry *
ns_zip_find (const ns_zip *z, const unsigned char *name, size_t len)
{
  ns_zip_entry probe;
  probe.name = name;
  probe.name_len = len;
  return bsearch (&probe, z->ent, z->n, sizeof *z->ent, entry_cmp);
}

ns_status
ns_zip_data (const ns_zip *z, const ns_zip_entry *e, size_t *off, size_t *size)
{
  const ns_input *in = z->in;
  const unsigned char *b = in->base;
  char nb[80];
  uint64_t lo = e->local_off, start;

  ns_input_printable (nb, sizeof nb, e->name, e->name_len);
  if (e->method != 0 || e->csize != e->usize)
    return ns_input_fail (in, NS_ERR_FORMAT,
                          "zip entry %s is compressed (method %u); only "
                          "stored entries are supported",
                          nb, e->method);
  if (lo > in->len || in->len - lo < 30 || rd32 (b + lo) != 0x04034b50)
    return ns_input_fail (in, NS_ERR_FORMAT, "bad zip local header for %s", nb);
  start = lo + 30 + rd16 (b + lo + 26) + rd16 (b + lo + 28);
  if (start > in->len || e->csize > in->len - start)
    return ns_input_fail (in, NS_ERR_FORMAT,
                          "zip entry %s runs past the end of the file", nb);
  *off = (size_t) start;
  *size = (size_t) e->csize;
  return NS_OK;
}
