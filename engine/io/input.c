/* Error and message helpers for the weight-file readers (see input.h). */
#include "input.h"

#include <stdio.h>
#include <string.h>

ns_status
ns_input_fail (const ns_input *in, ns_status status, const char *fmt, ...)
{
  if (in->err)
    {
      va_list ap;
      in->err->status = status;
      va_start (ap, fmt);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      vsnprintf (in->err->message, sizeof in->err->message, ns_tr (fmt), ap);
#pragma GCC diagnostic pop
      va_end (ap);
      /* The file's name before the message, untranslated. */
      char old[NS_ERROR_MESSAGE_MAX];
      memcpy (old, in->err->message, sizeof old);
      old[sizeof old - 1] = '\0';
      snprintf (in->err->message, sizeof in->err->message, "%.300s: %.700s",
                in->name, old);
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
