/* Refusing work that cannot fit in memory, before allocating it: with
 * overcommit the allocations would succeed and the process be killed by
 * the kernel later, losing the user's work (in GIMP, the plug-in). */
#include "ns-internal.h"

#include <stdlib.h>
#include <unistd.h>

double
ns_memory_available (void)
{
  long pages = sysconf (_SC_PHYS_PAGES), page = sysconf (_SC_PAGE_SIZE);
  const char *limit = getenv ("NS_MEMORY_LIMIT_MB");

  /* A user's cap, e.g. to leave room for GIMP itself. */
  if (limit && atof (limit) > 0.0)
    return atof (limit) * 1048576.0;
  return pages > 0 && page > 0 ? (double) pages * (double) page : 0.0;
}

ns_status
ns_memory_check (double need, int w, int h, ns_error *err)
{
  double ram = ns_memory_available ();
  bool gb;
  double unit;

  if (ram <= 0.0 || need <= ram)
    return NS_OK;
  /* MB below 10 GB, so small limits do not read "0.0 GB". */
  gb = ram >= 1e10;
  unit = gb ? 1e9 : 1e6;
  return ns_fail (err, NS_ERR_NOMEM,
                  "a %dx%d image needs about %.*f %s of memory with this "
                  "model and method, more than the %.*f %s available (RAM, "
                  "or NS_MEMORY_LIMIT_MB): set a maximum working size "
                  "(max-size) to stylize at a lower resolution",
                  w, h, gb ? 1 : 0, need / unit, gb ? "GB" : "MB", gb ? 1 : 0,
                  ram / unit, gb ? "GB" : "MB");
}
