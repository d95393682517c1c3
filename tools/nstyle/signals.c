/* nstyle: signals.  SIGINT, SIGTERM and SIGHUP ask the run to stop (the
 * engine's progress callback and the image reader poll nst_interrupted);
 * every other signal whose default action ends the process, including
 * SIGABRT (g_malloc failing, assertions) and the faults, removes the
 * temporary output file first and then ends the process as its default
 * action would.  Signals the caller left ignored (nohup, background jobs)
 * stay ignored.  SIGKILL and SIGSTOP cannot be caught. */
#include "nstyle.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;
/* The temporary file to remove; a static copy, so the handler touches no
 * heap memory. */
static char temp_path[4096];
static volatile sig_atomic_t have_temp;

/* Terminating signals by default action (signal(7)): "Term" and "Core". */
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
static const int fatal_signals[] = {
  SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM,   SIGVTALRM, SIGPROF,
  SIGXCPU, SIGXFSZ, SIGIO,   SIGSYS,  SIGTRAP,   SIGABRT,   SIGSEGV,
  SIGBUS,  SIGFPE,  SIGILL,  SIGPWR,  SIGSTKFLT,
};

static void
remove_temp (void)
{
  if (have_temp)
    unlink (temp_path); /* async-signal-safe */
}

static void
on_fatal (int sig)
{
  int saved = errno;
  remove_temp ();
  /* Die as the default action would (exit status, core dump).  The signal
   * is blocked while we run: it is delivered when the handler returns (a
   * fault re-executes the instruction and faults again). */
  signal (sig, SIG_DFL);
  raise (sig);
  errno = saved;
}

static void
on_stop (int sig)
{
  /* A second request stops at once, should the engine not check in time. */
  if (interrupted)
    on_fatal (sig);
  else
    interrupted = sig;
}

static void
install (int sig, void (*handler) (int))
{
  struct sigaction sa, old;

  if (sigaction (sig, NULL, &old) != 0 || old.sa_handler == SIG_IGN)
    return;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigemptyset (&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction (sig, &sa, NULL);
}

void
nst_signals_install (void)
{
  for (size_t i = 0; i < G_N_ELEMENTS (stop_signals); i++)
    install (stop_signals[i], on_stop);
  for (size_t i = 0; i < G_N_ELEMENTS (fatal_signals); i++)
    install (fatal_signals[i], on_fatal);
  /* Real-time signals end the process by default too. */
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
    install (sig, on_fatal);
}

bool
nst_signals_set_temp (const char *path)
{
  have_temp = 0;
  if (!path)
    return true;
  if (strlen (path) >= sizeof temp_path)
    return false;
  strcpy (temp_path, path);
  have_temp = 1;
  return true;
}

int
nst_interrupted (void)
{
  return interrupted;
}
