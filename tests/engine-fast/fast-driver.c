/* Runs a fast style for test_fast_torch.py and the benchmark:
 *   fast-driver run DIR STYLE IN.npy OUT.npy   (images [3,h,w] in [0,1])
 *   fast-driver time DIR STYLE W H REPEATS THREADS
 *     prints "W H seconds" (best of REPEATS) and the estimated peak MiB */
#include "fast/fast.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
  ns_fast_net *net;
  ns_error err;

  if (argc < 4)
    {
      fprintf (stderr, "usage: see the source\n");
      return 2;
    }
  if (ns_fast_net_load (argv[2], argv[3], &net, &err) != NS_OK)
    {
      fprintf (stderr, "fast-driver: %s\n", err.message);
      return 1;
    }
  if (strcmp (argv[1], "run") == 0 && argc == 6)
    {
      int64_t shape[8];
      int nd;
      float *data = tu_npy_read (argv[4], shape, &nd);
      ns_image img, out;
      if (!data || nd != 3 || shape[0] != 3)
        {
          fprintf (stderr, "fast-driver: bad input %s\n", argv[4]);
          return 2;
        }
      img.width = (int) shape[2];
      img.height = (int) shape[1];
      img.data = data;
      if (ns_fast_net_run (net, &img, &out, NULL, &err) != NS_OK)
        {
          fprintf (stderr, "fast-driver: %s\n", err.message);
          return 1;
        }
      if (!tu_npy_write (argv[5], out.data, shape, 3))
        return 1;
      ns_image_free (&out);
      free (data);
    }
  else if (strcmp (argv[1], "time") == 0 && argc == 8)
    {
      int w = atoi (argv[4]), h = atoi (argv[5]), reps = atoi (argv[6]);
      ns_image img, out;
      ns_run run;
      double best = 1e30;
      uint64_t seed = 1;
      if (ns_image_alloc (&img, w, h, &err) != NS_OK)
        return 1;
      tu_smooth_image (img.data, w, h, 2.0f, 6.0f, 1.0f, &seed);
      for (int r = 0; r < reps; r++)
        {
          double t0;
          ns_run_init (&run, NULL, 1.0);
          run.n_threads = atoi (argv[7]);
          t0 = tu_now ();
          if (ns_fast_net_run (net, &img, &out, &run, &err) != NS_OK)
            {
              fprintf (stderr, "fast-driver: %s\n", err.message);
              return 1;
            }
          t0 = tu_now () - t0;
          best = t0 < best ? t0 : best;
          ns_image_free (&out);
        }
      printf ("%d %d %.3f s (best of %d, %s threads), estimated peak %.0f "
              "MiB, %.1f GFLOP\n",
              w, h, best, reps, argv[7],
              ns_fast_net_peak_bytes (net, w, h) / 1048576.0,
              ns_fast_net_flops (net, w, h) / 1e9);
      ns_image_free (&img);
    }
  else
    {
      fprintf (stderr, "fast-driver: bad arguments\n");
      return 2;
    }
  ns_fast_net_free (net);
  return 0;
}
