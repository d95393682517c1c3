/* Every file of the fuzz seed corpus (tiny state dicts written by torch,
 * tests/fuzz/make-corpus.py) loads, in the normal build too. */
#include "ns-internal.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (void)
{
  const char *root = getenv ("NS_SOURCE_ROOT");
  char dir[2048];
  struct dirent *e;
  DIR *d;
  int n = 0;

  snprintf (dir, sizeof dir, "%s/tests/fuzz/corpus", root ? root : ".");
  d = opendir (dir);
  TU_CHECK (d != NULL);
  if (!d)
    return tu_finish ("test-pth-corpus");
  while ((e = readdir (d)))
    {
      char path[4096];
      ns_weights *w = NULL;
      ns_error err = { 0 };
      if (e->d_name[0] == '.')
        continue;
      snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
      if (ns_weights_load_pth (path, &w, &err) != NS_OK)
        {
          tu_failures++;
          fprintf (stderr, "%s\n", err.message);
          continue;
        }
      TU_CHECK (ns_weights_count (w) >= 2);
      printf ("%s: %d tensors\n", e->d_name, ns_weights_count (w));
      ns_weights_free (w);
      n++;
    }
  closedir (d);
  TU_CHECK (n >= 12);
  return tu_finish ("test-pth-corpus");
}
