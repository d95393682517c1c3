/* Progress and cancellation of one run.  Compiled with OpenMP (unlike
 * core.c) so the default thread count follows OMP_NUM_THREADS. */
#include "ns-internal.h"

#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#else
#include <unistd.h>
#endif

void
ns_run_init (ns_run *run, const ns_params *params, double total)
{
  memset (run, 0, sizeof *run);
  if (params)
    {
      run->fn = params->progress;
      run->user_data = params->progress_user_data;
      run->n_threads = params->n_threads;
    }
  if (run->n_threads <= 0)
    {
#ifdef _OPENMP
      run->n_threads = omp_get_max_threads ();
#else
      run->n_threads = (int) sysconf (_SC_NPROCESSORS_ONLN);
      if (run->n_threads < 1)
        run->n_threads = 1;
#endif
    }
  run->total = total > 0 ? total : 1.0;
  run->stage = "";
}

bool
ns_run_tick (ns_run *run, double work)
{
  float f;
  if (run->cancelled)
    return false;
  run->done += work;
  if (!run->fn)
    return true;
  f = (float) (run->done / run->total);
  if (!(f >= 0.0f))
    f = 0.0f;
  if (f > 1.0f)
    f = 1.0f;
  if (!run->fn (f, run->stage, run->user_data))
    run->cancelled = true;
  return !run->cancelled;
}

void
ns_run_stage (ns_run *run, const char *stage)
{
  run->stage = stage ? stage : "";
}
