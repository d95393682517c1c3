/* The fuzz corpora in the normal build (and under ASan in the ASan
 * build): every seed (tiny state dicts and tiny models' files written by
 * torch, tests/fuzz/make-corpus.py) loads; every input of the minimised
 * corpus (mostly hostile) loads or fails with a message naming the file,
 * through the file (mmap) path. */
#include "ns-internal.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Loads every file of ROOT/REL; returns how many, *LOADED those that
 * loaded.  MUST_LOAD: a failure is a test failure. */
static int
load_all (const char *root, const char *rel, bool must_load, int *loaded)
{
  char dir[2048];
  struct dirent *e;
  DIR *d;
  int n = 0;

  *loaded = 0;
  snprintf (dir, sizeof dir, "%s/%s", root, rel);
  d = opendir (dir);
  TU_CHECK (d != NULL);
  if (!d)
    return 0;
  while ((e = readdir (d)))
    {
      char path[4096];
      ns_weights *w = NULL;
      ns_error err = { 0 };
      if (e->d_name[0] == '.')
        continue;
      n++;
      snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
      if (ns_weights_load_pth (path, &w, &err) != NS_OK)
        {
          TU_CHECK (w == NULL && strstr (err.message, path) == err.message);
          if (must_load)
            {
              tu_failures++;
              fprintf (stderr, "%s\n", err.message);
            }
          continue;
        }
      if (must_load)
        {
          TU_CHECK (ns_weights_count (w) >= 2);
          printf ("%s: %d tensors\n", e->d_name, ns_weights_count (w));
        }
      ns_weights_free (w);
      (*loaded)++;
    }
  closedir (d);
  return n;
}

int
main (void)
{
  const char *root = getenv ("NS_SOURCE_ROOT");
  int n, loaded;

  if (!root)
    root = ".";
  n = load_all (root, "tests/fuzz/seeds/pth", true, &loaded);
  TU_CHECK (n >= 26 && loaded == n);
  n = load_all (root, "tests/fuzz/corpus", false, &loaded);
  TU_CHECK (n > 0);
  printf ("minimised corpus: %d inputs, %d load, the others give a "
          "message\n",
          n, loaded);
  return tu_finish ("test-pth-corpus");
}
