/* nstyle models list|install|verify: the command-line face of the model
 * installer (tools/models/ns-install.h). */
#include "config.h"

#include "models-cmd.h"
#include "ns-install.h"
#include "nstyle.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char *opt_dest;
static char *opt_from;
static gboolean opt_quiet;

static const GOptionEntry entries[] = {
  { "dest", 0, 0, G_OPTION_ARG_FILENAME, &opt_dest,
    N_ ("Models folder (default: the user's, as --print-model-dirs shows)"),
    "DIR" },
  { "from", 0, 0, G_OPTION_ARG_FILENAME, &opt_from,
    N_ ("install: copy the files from DIR instead of downloading them"),
    "DIR" },
  { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, N_ ("No progress bar"),
    NULL },
  { NULL }
};

static const char summary[] = N_ (
    "Commands:\n"
    "  list                      the kinds of model, their size, licence "
    "and state\n"
    "  install KIND|all          download KIND, check its SHA-256 sums, "
    "move it\n"
    "                            into the models folder (resumes an "
    "interrupted\n"
    "                            download)\n"
    "  install --from DIR [KIND] the same from files already on this "
    "machine\n"
    "                            (DIR/KIND/FILE, DIR/FILE or the upstream "
    "names);\n"
    "                            without KIND, every kind complete in DIR\n"
    "  verify [KIND]             check the installed files' SHA-256 sums\n"
    "\n"
    "A kind is installed completely or not at all.  $NS_MODELS_BASE_URL "
    "replaces\n"
    "the upstream hosts (a mirror with the same paths).\n"
    "\n"
    "Exit status: 0 success, 2 usage, 4 download, checksum or verify "
    "failure,\n"
    "6 the models folder cannot be written (disk full...), 130 "
    "interrupted.");

typedef struct
{
  gboolean tty;
  gint64 last_us;
  gboolean drawn;
  gboolean done;
  GCancellable *cancellable;
} Progress;

static gboolean
on_progress (const char *file, gint64 done, gint64 total, gpointer data)
{
  Progress *p = data;
  gint64 now = g_get_monotonic_time ();

  if (nst_interrupted ())
    return FALSE;
  if (!p->tty || now - p->last_us < 200000)
    return TRUE;
  p->last_us = now;
  p->drawn = TRUE;
  fprintf (stderr, "\r  %-40s %5.1f%% of %.1f MB ", file,
           total > 0 ? 100.0 * done / total : 0.0, total / 1e6);
  fflush (stderr);
  return TRUE;
}

static void
on_note (const char *message, gpointer data)
{
  Progress *p = data;

  if (p->drawn)
    fprintf (stderr, "\r%79s\r", "");
  p->drawn = FALSE;
  printf ("%s\n", message);
  fflush (stdout);
}

/* Cancels the install when a stop signal arrives, even while a read
 * blocks (the progress callback runs only when data comes). */
static gpointer
watch_signals (gpointer data)
{
  Progress *p = data;

  while (!g_atomic_int_get (&p->done))
    {
      if (nst_interrupted ())
        {
          g_cancellable_cancel (p->cancellable);
          break;
        }
      g_usleep (50000);
    }
  return NULL;
}

static int
exit_code (const GError *e)
{
  if (e->domain != NS_INSTALL_ERROR)
    return NST_EXIT_MODEL;
  switch (e->code)
    {
    case NS_INSTALL_ERROR_CANCELLED:
      return NST_EXIT_CANCELLED;
    case NS_INSTALL_ERROR_NO_SPACE:
    case NS_INSTALL_ERROR_IO:
      return NST_EXIT_OUTPUT;
    case NS_INSTALL_ERROR_UNKNOWN_KIND:
      return NST_EXIT_USAGE;
    default:
      return NST_EXIT_MODEL;
    }
}

static const char *
state_name (NsKindState s)
{
  return s == NS_KIND_INSTALLED    ? "installed"
         : s == NS_KIND_INCOMPLETE ? "incomplete"
                                   : "not installed";
}

static int
cmd_list (const NsManifest *m, const char *root)
{
  const char *const *kinds = ns_manifest_kinds (m);

  printf (_ ("Models folder: %s\n"), root);
  for (int i = 0; kinds[i]; i++)
    {
      GPtrArray *files = ns_manifest_files (m, kinds[i]);
      char *stage = g_strdup_printf ("%s/.%s.part", root, kinds[i]);

      printf ("%-9s %-14s %3u files %6.1f MB  %-13s %s\n", kinds[i],
              state_name (ns_install_kind_state (m, kinds[i], root)),
              files->len, ns_manifest_kind_size (m, kinds[i]) / 1e6,
              ns_manifest_kind_license (m, kinds[i]),
              g_file_test (stage, G_FILE_TEST_IS_DIR)
                  ? "(interrupted download: install resumes it)"
                  : "");
      g_free (stage);
    }
  return NST_EXIT_OK;
}

static int
install_one (const NsManifest *m, const char *kind, const char *root,
             const char *from, Progress *p)
{
  NsInstallHooks hooks = { on_progress, on_note, p, p->cancellable };
  GError *e = NULL;
  char *size = g_format_size (ns_manifest_kind_size (m, kind));

  if (from)
    printf (_ ("Installing %s (%s) from %s into %s\n"), kind, size, from, root);
  else
    printf (_ ("Downloading %s (%s) into %s\n"), kind, size, root);
  g_free (size);
  if (!ns_install_kind (m, kind, root, from, &hooks, &e))
    {
      int code = exit_code (e);

      if (p->drawn)
        fprintf (stderr, "\n");
      p->drawn = FALSE;
      fprintf (stderr, _ ("error: %s\n"), e->message);
      if (e->code != NS_INSTALL_ERROR_PARTIAL &&
          e->code != NS_INSTALL_ERROR_CANCELLED)
        fprintf (stderr, _ ("nothing of %s was installed (%s/%s unchanged)\n"),
                 kind, root, kind);
      g_error_free (e);
      return code;
    }
  printf (_ ("%s is installed in %s/%s\n"), kind, root, kind);
  return NST_EXIT_OK;
}

static int
cmd_install (const NsManifest *m, int argc, char **argv, const char *root,
             Progress *p)
{
  const char *const *kinds = ns_manifest_kinds (m);
  int status = NST_EXIT_OK;

  if (argc > 3)
    nst_usage_error (_ ("models install: one KIND at most"));
  if (argc < 3 && !opt_from)
    nst_usage_error (_ ("models install: give a KIND (nstyle models list "
                        "shows them), 'all', or --from DIR"));
  if (argc == 3 && strcmp (argv[2], "all") != 0 &&
      !ns_manifest_has_kind (m, argv[2]))
    nst_usage_error (_ ("models install: unknown kind '%s' (nstyle models "
                        "list shows them)"),
                     argv[2]);
  if (opt_from && !g_file_test (opt_from, G_FILE_TEST_IS_DIR))
    {
      fprintf (stderr, _ ("error: --from %s: not a folder\n"), opt_from);
      return NST_EXIT_MODEL;
    }
  if (argc == 3 && strcmp (argv[2], "all") != 0)
    return install_one (m, argv[2], root, opt_from, p);

  /* Every kind, or with --from and no KIND every kind complete there. */
  {
    int n = 0;

    for (int i = 0; kinds[i] && status != NST_EXIT_CANCELLED; i++)
      {
        int s;

        if (opt_from && argc < 3)
          {
            GPtrArray *files = ns_manifest_files (m, kinds[i]);
            gboolean all = TRUE;

            for (guint j = 0; j < files->len && all; j++)
              {
                NsModelFile *f = files->pdata[j];
                char *a = g_build_filename (opt_from, kinds[i], f->name, NULL);
                char *b = g_build_filename (opt_from, f->name, NULL);
                all = g_file_test (a, G_FILE_TEST_IS_REGULAR) ||
                      g_file_test (b, G_FILE_TEST_IS_REGULAR);
                g_free (a);
                g_free (b);
              }
            if (!all)
              continue;
          }
        n++;
        s = install_one (m, kinds[i], root, opt_from, p);
        if (s != NST_EXIT_OK)
          status = s;
      }
    if (n == 0)
      {
        fprintf (stderr,
                 _ ("error: %s holds no complete model (as KIND/FILE or FILE; "
                    "nstyle models list shows the kinds)\n"),
                 opt_from);
        return NST_EXIT_MODEL;
      }
  }
  return status;
}

static int
cmd_verify (const NsManifest *m, int argc, char **argv, const char *root,
            Progress *p)
{
  const char *const *kinds = ns_manifest_kinds (m);
  NsInstallHooks hooks = { NULL, on_note, p, NULL };
  int status = NST_EXIT_OK, n = 0;

  if (argc > 3)
    nst_usage_error (_ ("models verify: one KIND at most"));
  if (argc == 3 && !ns_manifest_has_kind (m, argv[2]))
    nst_usage_error (_ ("models verify: unknown kind '%s'"), argv[2]);
  for (int i = 0; kinds[i]; i++)
    {
      GError *e = NULL;

      if (argc == 3
              ? strcmp (argv[2], kinds[i]) != 0
              : ns_install_kind_state (m, kinds[i], root) == NS_KIND_ABSENT)
        continue;
      n++;
      if (!ns_install_verify (m, kinds[i], root, &hooks, &e))
        {
          fprintf (stderr, _ ("error: %s\n"), e->message);
          g_error_free (e);
          status = NST_EXIT_MODEL;
        }
    }
  if (n == 0)
    {
      fprintf (stderr,
               _ ("error: no model is installed in %s (nstyle models install "
                  "cd16x)\n"),
               root);
      return NST_EXIT_MODEL;
    }
  if (status == NST_EXIT_OK)
    printf (_ ("All files verified.\n"));
  return status;
}

int
nst_models_main (int argc, char **argv)
{
  GOptionContext *ctx;
  GError *e = NULL;
  NsManifest *m;
  char *root;
  int status;
  Progress p = { isatty (STDERR_FILENO) && !opt_quiet, 0, FALSE, FALSE, NULL };
  GThread *watcher;

  ctx = g_option_context_new (_ ("list|install|verify [KIND] - model files"));
  g_option_context_set_summary (ctx, _ (summary));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (ctx, &argc, &argv, &e))
    {
      g_option_context_free (ctx);
      nst_usage_error (_ ("models: %s"), e->message);
    }
  g_option_context_free (ctx);
  if (argc < 2)
    nst_usage_error (_ ("models: give a command: list, install or verify"));
  p.tty = p.tty && !opt_quiet;
  m = ns_manifest_load (&e);
  if (!m)
    {
      fprintf (stderr, _ ("error: %s\n"), e->message);
      g_error_free (e);
      return NST_EXIT_MODEL;
    }
  root = opt_dest ? g_strdup (opt_dest) : ns_install_default_root (NULL);
  if (!root)
    {
      fprintf (stderr, _ ("error: no models folder (give --dest DIR)\n"));
      ns_manifest_free (m);
      return NST_EXIT_OUTPUT;
    }
  nst_signals_install ();
  p.cancellable = g_cancellable_new ();
  watcher = g_thread_new ("signals", watch_signals, &p);

  if (strcmp (argv[1], "list") == 0 && argc == 2)
    status = cmd_list (m, root);
  else if (strcmp (argv[1], "install") == 0)
    status = cmd_install (m, argc, argv, root, &p);
  else if (strcmp (argv[1], "verify") == 0)
    status = cmd_verify (m, argc, argv, root, &p);
  else
    nst_usage_error (_ ("models: unknown command '%s' (list, install or "
                        "verify)"),
                     argv[1]);

  g_atomic_int_set (&p.done, TRUE);
  g_thread_join (watcher);
  g_object_unref (p.cancellable);
  ns_manifest_free (m);
  g_free (root);
  return status;
}
