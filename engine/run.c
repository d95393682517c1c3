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
  run->n_threads = ns_threads_resolve (run->n_threads);
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

int
ns_threads_resolve (int requested)
{
  int n = requested;
  if (n <= 0)
    {
#ifdef _OPENMP
      n = omp_get_max_threads ();
#else
      n = (int) sysconf (_SC_NPROCESSORS_ONLN);
#endif
    }
  return n > 0 ? n : 1;
}

int
ns_blas_serial_begin (void)
{
#ifdef _OPENMP
  int saved = omp_get_max_threads ();
  omp_set_num_threads (1);
  return saved;
#else
  return 1;
#endif
}

void
ns_blas_serial_end (int saved)
{
#ifdef _OPENMP
  omp_set_num_threads (saved > 0 ? saved : 1);
#else
  (void) saved;
#endif
}
