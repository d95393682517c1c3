/* Compares what ns_weights_load_pth reads with a manifest written by
 * torch_ref.py from PyTorch itself (see there for the line format). */
#include "ns-internal.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 16

static ns_weights *cur;
static char cur_path[4096];
static ns_status cur_status;
static ns_error cur_err;

/* Loads PATH unless it is the file loaded last. */
static void
load (const char *path)
{
  if (strcmp (path, cur_path) == 0)
    return;
  ns_weights_free (cur);
  cur = NULL;
  snprintf (cur_path, sizeof cur_path, "%s", path);
  memset (&cur_err, 0, sizeof cur_err);
  cur_status = ns_weights_load_pth (path, &cur, &cur_err);
}

static float *
read_f32 (const char *path, size_t n)
{
  FILE *f = fopen (path, "rb");
  float *x = malloc (n ? n * sizeof *x : 1);
  if (!f || fread (x, sizeof *x, n, f) != n)
    {
      fprintf (stderr, "cannot read %zu floats from %s\n", n, path);
      exit (1);
    }
  fclose (f);
  return x;
}

int
main (int argc, char **argv)
{
  char line[16384];
  FILE *m;
  int lines = 0, tensors = 0;

  if (argc != 2)
    {
      fprintf (stderr, "usage: pth-check MANIFEST\n");
      return 2;
    }
  m = fopen (argv[1], "r");
  if (!m)
    {
      perror (argv[1]);
      return 1;
    }
  while (fgets (line, sizeof line, m))
    {
      char *field[MAX_FIELDS], *save = NULL, *p;
      int nf = 0;

      line[strcspn (line, "\n")] = '\0';
      for (p = strtok_r (line, "\t", &save); p && nf < MAX_FIELDS;
           p = strtok_r (NULL, "\t", &save))
        field[nf++] = p;
      if (nf < 3)
        continue;
      lines++;
      load (field[1]);
      if (field[0][0] == 'E')
        {
          /* E FILE SUBSTRING: must fail with a message naming the file. */
          TU_CHECK (cur_status == NS_ERR_FORMAT);
          TU_CHECK (strstr (cur_err.message, field[2]) != NULL);
          TU_CHECK (strstr (cur_err.message, field[1]) != NULL);
          printf ("%s: error as expected: %s\n", field[1], cur_err.message);
          continue;
        }
      if (cur_status != NS_OK)
        {
          tu_failures++;
          fprintf (stderr, "%s: %s\n", field[1], cur_err.message);
          continue;
        }
      if (field[0][0] == 'N')
        {
          /* N FILE COUNT: the number of tensors. */
          int want = atoi (field[2]);
          if (ns_weights_count (cur) != want)
            fprintf (stderr, "%s: %d tensors, torch has %d\n", field[1],
                     ns_weights_count (cur), want);
          TU_CHECK (ns_weights_count (cur) == want);
        }
      else if (field[0][0] == 'T' && nf >= 5)
        {
          /* T FILE NAME NDIM D0 ... REF: shape and every value. */
          const ns_weight *w = ns_weights_find (cur, field[2]);
          int ndim = atoi (field[3]), d;
          size_t numel = 1, i, bad = 0;
          float *ref;

          if (nf != 5 + ndim)
            {
              fprintf (stderr, "bad manifest line %d\n", lines);
              return 1;
            }
          if (!w)
            {
              tu_failures++;
              fprintf (stderr, "%s: tensor %s missing\n", field[1], field[2]);
              continue;
            }
          TU_CHECK (strcmp (w->name, field[2]) == 0);
          TU_CHECK (w->ndim == ndim);
          for (d = 0; d < ndim && d < w->ndim; d++)
            {
              TU_CHECK (w->shape[d] == atoll (field[4 + d]));
              numel *= (size_t) atoll (field[4 + d]);
            }
          TU_CHECK (w->numel == numel);
          if (w->numel != numel)
            continue;
          ref = read_f32 (field[4 + ndim], numel);
          /* Exact: float32 is copied, other types convert exactly as
           * torch's .float() does. */
          for (i = 0; i < numel; i++)
            if (memcmp (&ref[i], &w->data[i], sizeof (float)) != 0)
              {
                if (bad++ < 3)
                  fprintf (stderr, "%s %s[%zu]: %.9g, torch %.9g\n", field[1],
                           field[2], i, w->data[i], ref[i]);
              }
          TU_CHECK (bad == 0);
          free (ref);
          tensors++;
        }
    }
  fclose (m);
  ns_weights_free (cur);
  printf ("checked %d manifest lines, %d tensors value by value\n", lines,
          tensors);
  TU_CHECK (lines > 0);
  return tu_finish ("pth-check");
}
