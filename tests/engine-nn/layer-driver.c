/* Runs one general layer on .npy files for test_layers_torch.py:
 *   layer-driver conv IN W B OUT PAD STRIDE GROUPS ZERO
 *     (IN [c,h,w], W [cout,cin/groups,k,k], B [cout]; ZERO 1: zero padding)
 *   layer-driver instnorm IN GAMMA BETA OUT EPS RELU */
#include "nn.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
  int64_t si[8], sw[8], sb[8];
  int ni, nw, nb;
  float *in, *wt, *b;
  ns_error err;

  if (argc < 8)
    {
      fprintf (stderr, "usage: see the source\n");
      return 2;
    }
  in = tu_npy_read (argv[2], si, &ni);
  wt = tu_npy_read (argv[3], sw, &nw);
  b = tu_npy_read (argv[4], sb, &nb);
  if (!in || !wt || !b || ni != 3)
    {
      fprintf (stderr, "layer-driver: bad .npy input\n");
      return 2;
    }
  if (strcmp (argv[1], "conv") == 0 && argc == 10 && nw == 4)
    {
      ns_conv conv = { (int) si[0],
                       (int) sw[0],
                       (int) sw[2],
                       atoi (argv[6]),
                       false,
                       wt,
                       b,
                       atoi (argv[7]),
                       atoi (argv[8]),
                       atoi (argv[9]) != 0 };
      ns_tensor tin = { (int) si[0], (int) si[1], (int) si[2], in }, out;
      int64_t so[3];
      if (ns_conv2d (&conv, &tin, &out, NULL, &err) != NS_OK)
        {
          fprintf (stderr, "layer-driver: %s\n", err.message);
          return 1;
        }
      bool ok;
      so[0] = out.c;
      so[1] = out.h;
      so[2] = out.w;
      ok = tu_npy_write (argv[5], out.data, so, 3);
      ns_tensor_free (&out);
      free (in);
      free (wt);
      free (b);
      return ok ? 0 : 1;
    }
  if (strcmp (argv[1], "instnorm") == 0 && argc == 8)
    {
      ns_instnorm_forward (in, (int) si[0], (int) si[1], (int) si[2], wt, b,
                           (float) atof (argv[6]), atoi (argv[7]) != 0, 0);
      bool ok = tu_npy_write (argv[5], in, si, 3);
      free (in);
      free (wt);
      free (b);
      return ok ? 0 : 1;
    }
  fprintf (stderr, "layer-driver: bad arguments\n");
  return 2;
}
