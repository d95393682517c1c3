/* Error and message helpers for the weight-file readers (see input.h). */
#include "input.h"

#include <stdio.h>

ns_status
ns_input_fail (const ns_input *in, ns_status status, const char *fmt, ...)
{
  if (in->err)
    {
      va_list ap;
      in->err->status = status;
      va_start (ap, fmt);
      vsnprintf (in->err->message, sizeof in->err->message, fmt, ap);
      va_end (ap);
      ns_error_prefix (in->err, "%s", in->name);
    }
  return status;
}

const char *
ns_input_printable (char *buf, size_t size, const unsigned char *s, size_t len)
{
  size_t i, n = len < size - 4 ? len : size - 4;
  for (i = 0; i < n; i++)
    buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char) s[i] : '?';
  if (n < len)
    {
      memcpy (buf + n, "...", 3);
      n += 3;
    }
  buf[n] = '\0';
  return buf;
}
