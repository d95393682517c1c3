/* ns-bench: wall time, GFLOP/s and peak memory of the engine against
 * PyTorch running the same networks and algorithms.  A development tool,
 * built but not installed (it knows the source tree, NS_BENCH_SOURCE_ROOT,
 * to find tools/bench/bench_torch.py).
 *
 * Each measurement runs in its own child process (ours: fork; PyTorch:
 * fork + exec of tools/bench/bench_torch.py), so the peak RSS read from
 * wait4 () belongs to that row alone.  Model loading is not timed; every
 * repeat uses a fresh context so no cached encoding is reused.  FLOPs come
 * from the engine's own networks (ns_net_flops over the one VGG table). */
#include "config.h"

#include "nn/nn-dnnl.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Exit statuses, as nstyle's. */
enum
{
  BENCH_EXIT_OK = 0,
  BENCH_EXIT_USAGE = 2
};

typedef enum
{
  BENCH_VGG19,
  BENCH_CD16X
} bench_model;

typedef struct
{
  const char *name; /* also the --rows key and bench_torch.py --net */
  const char *label;
  bench_model model;
  ns_method method;
} bench_row;

static const bench_row rows[] = {
  { "adain", "AdaIN, VGG-19 relu4_1 (random)", BENCH_VGG19, NS_METHOD_ADAIN },
  { "cascade", "cd16x cascade AdaIN 5..1", BENCH_CD16X,
    NS_METHOD_CASCADE_ADAIN },
  { "wct", "cd16x WCT 5..1", BENCH_CD16X, NS_METHOD_WCT },
};

typedef struct
{
  bool ok;
  double seconds; /* best of the repeats */
  double flops;   /* per stylization */
  double rss_mib; /* peak resident set of the child */
  char msg[512];
} bench_result;

/* ------------------------------------------------------------- FLOPs */

/* Convolution FLOPs of one stylization: at each level used, the content
 * and the style (same size here) are encoded and the result decoded. */
static double
stylize_flops (const ns_model *m, ns_method method, int h, int w)
{
  int first = method == NS_METHOD_ADAIN ? m->n_levels - 1 : 0;
  double total = 0.0;

  for (int i = first; i < m->n_levels; i++)
    {
      const ns_net *enc = &m->enc[i];
      int fh, fw;
      total += 2.0 * ns_net_flops (enc, h, w);
      ns_net_out_shape (enc, enc->n_layers, h, w, NULL, &fh, &fw);
      total += ns_net_flops (&m->dec[i], fh, fw);
    }
  return total;
}

/* ------------------------------------------------------------- images */

/* A deterministic W x H test picture: smooth shapes (KIND 0, the content)
 * or stripes (KIND 1, the style), the same formula as bench_torch.py so
 * both sides see the same pictures. */
static ns_status
synthetic_image (ns_image *img, int width, int height, int kind, ns_error *err)
{
  ns_status st;
  size_t n;

  if ((st = ns_image_alloc (img, width, height, err)) != NS_OK)
    return st;
  n = (size_t) width * (size_t) height;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        float u = (float) x / (float) width, v = (float) y / (float) height;
        size_t i = (size_t) y * (size_t) width + (size_t) x;
        float r, g, b;
        if (kind == 0)
          {
            r = 0.5f + 0.5f * sinf (6.0f * u + 2.0f * v);
            g = 0.5f + 0.5f * cosf (5.0f * v - 3.0f * u * v);
            b = 0.5f + 0.4f * sinf (9.0f * (u - 0.5f) * (v - 0.5f));
          }
        else
          {
            r = 0.5f + 0.5f * sinf (40.0f * u + 10.0f * sinf (7.0f * v));
            g = 0.5f + 0.5f * sinf (31.0f * v + 5.0f * u);
            b = 0.5f + 0.5f * cosf (23.0f * (u + v));
          }
        img->data[i] = r;
        img->data[n + i] = g;
        img->data[2 * n + i] = b;
      }
  return NS_OK;
}

/* ------------------------------------------------------------ children */

static double
now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

/* In the forked child: measure our engine, print one line to FD. */
/* Our precisions: the own kernels (the fallback), oneDNN fp32 and bf16. */
static const char *const prec_names[] = { "own", "fp32", "bf16" };
#define N_PREC 3

static void G_GNUC_NORETURN
run_ours_child (int fd, const char *dir, ns_method method, int size,
                int threads, int repeat, int prec)
{
  ns_model *model = NULL;
  ns_image content = { 0 }, style = { 0 }, out = { 0 };
  ns_params params = ns_params_default ();
  ns_style st;
  ns_error err;
  double best = INFINITY, flops;
  FILE *f = fdopen (fd, "w");

  ns_dnnl_set_enabled (prec != 0);
  ns_nn_precision_begin (prec == 2 ? NS_PRECISION_BF16 : NS_PRECISION_FP32);
  if (ns_model_load (dir, NS_MODEL_AUTO, &model, &err) != NS_OK)
    {
      fprintf (f, "err %s\n", err.message);
      fclose (f);
      _exit (1);
    }
  if (synthetic_image (&content, size, size, 0, &err) != NS_OK ||
      synthetic_image (&style, size, size, 1, &err) != NS_OK)
    {
      fprintf (f, "err %s\n", err.message);
      fclose (f);
      _exit (1);
    }
  if (ns_image_alloc (&out, size, size, &err) != NS_OK)
    {
      fprintf (f, "err %s\n", err.message);
      fclose (f);
      _exit (1);
    }
  params.method = method;
  params.strength = 1.0f;
  params.style_size = 0; /* the style at N x N, as on the PyTorch side */
  params.n_threads = threads;
  st.image = &style;
  st.weight = 1.0f;
  flops = stylize_flops (model, method, size, size);
  for (int r = 0; r < repeat; r++)
    {
      ns_context *ctx = NULL;
      double t;
      ns_status s;

      if (ns_context_new (model, &ctx, &err) != NS_OK)
        {
          fprintf (f, "err %s\n", err.message);
          fclose (f);
          _exit (1);
        }
      t = now_s ();
      s = ns_stylize (ctx, &params, &content, &st, 1, NULL, &out, &err);
      t = now_s () - t;
      ns_context_free (ctx);
      if (s != NS_OK)
        {
          fprintf (f, "err %s: %s\n", ns_status_string (s), err.message);
          fclose (f);
          _exit (1);
        }
      if (t < best)
        best = t;
    }
  fprintf (f, "ok %.6f %.6e\n", best, flops);
  fclose (f);
  ns_image_free (&out);
  ns_image_free (&content);
  ns_image_free (&style);
  ns_model_free (model);
  _exit (0);
}

/* Parses a child's one-line answer ("ok TIME FLOPS" or "err MESSAGE"). */
static void
parse_answer (const char *text, bench_result *res)
{
  const char *line = text;
  /* The answer is the last line starting with ok/err (the PyTorch side
   * may print warnings before it). */
  for (const char *p = text; p && *p; p = strchr (p, '\n'))
    {
      if (*p == '\n')
        p++;
      if (g_str_has_prefix (p, "ok ") || g_str_has_prefix (p, "err "))
        line = p;
    }
  if (g_str_has_prefix (line, "ok ") &&
      sscanf (line + 3, "%lf %lf", &res->seconds, &res->flops) == 2)
    res->ok = true;
  else if (g_str_has_prefix (line, "err "))
    {
      g_strlcpy (res->msg, line + 4, sizeof res->msg);
      g_strchomp (res->msg);
    }
  else if (!res->msg[0])
    g_strlcpy (res->msg, "no answer from the child", sizeof res->msg);
}

/* Reads FD to EOF, reaps PID and fills RES (peak RSS from wait4). */
static void
collect_child (pid_t pid, int fd, bench_result *res)
{
  GString *text = g_string_new (NULL);
  char buf[4096];
  ssize_t n;
  int status = 0;
  struct rusage ru;

  for (;;)
    {
      n = read (fd, buf, sizeof buf);
      if (n > 0)
        g_string_append_len (text, buf, n);
      else if (n < 0 && errno == EINTR)
        continue;
      else
        break;
    }
  close (fd);
  memset (&ru, 0, sizeof ru);
  while (wait4 (pid, &status, 0, &ru) < 0 && errno == EINTR)
    ;
  parse_answer (text->str, res);
  g_string_free (text, TRUE);
  res->rss_mib = ru.ru_maxrss / 1024.0; /* kilobytes on Linux */
  if (WIFSIGNALED (status))
    {
      res->ok = false;
      g_snprintf (res->msg, sizeof res->msg, "crashed (signal %d)",
                  WTERMSIG (status));
    }
}

static void
bench_ours (const char *dir, ns_method method, int size, int threads,
            int repeat, int prec, bench_result *res)
{
  int fds[2];
  pid_t pid;

  memset (res, 0, sizeof *res);
  if (pipe (fds) != 0)
    {
      g_snprintf (res->msg, sizeof res->msg, "pipe: %s", g_strerror (errno));
      return;
    }
  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    {
      g_snprintf (res->msg, sizeof res->msg, "fork: %s", g_strerror (errno));
      close (fds[0]);
      close (fds[1]);
      return;
    }
  if (pid == 0)
    {
      close (fds[0]);
      run_ours_child (fds[1], dir, method, size, threads, repeat, prec);
    }
  close (fds[1]);
  collect_child (pid, fds[0], res);
}

/* Runs ARGV (stdout captured, stderr passed through) and fills RES from
 * its answer.  Returns the exit status (-1 when it did not run). */
static int
bench_exec (char **argv, bench_result *res)
{
  int fds[2];
  pid_t pid;
  int status = 0;

  memset (res, 0, sizeof *res);
  if (pipe (fds) != 0)
    return -1;
  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    {
      close (fds[0]);
      close (fds[1]);
      return -1;
    }
  if (pid == 0)
    {
      close (fds[0]);
      dup2 (fds[1], STDOUT_FILENO);
      close (fds[1]);
      execv (argv[0], argv);
      fprintf (stdout, "err cannot run %s: %s\n", argv[0], g_strerror (errno));
      _exit (127);
    }
  close (fds[1]);
  collect_child (pid, fds[0], res);
  (void) status;
  return res->ok ? 0 : 1;
}

/* True when PYTHON can import torch. */
static bool
torch_available (const char *python, char *why, size_t why_len,
                 double *base_rss)
{
  char *argv[] = { (char *) python, "-c",
                   "import torch; print('ok 0 0 torch', torch.__version__)",
                   NULL };
  bench_result r;

  if (!g_file_test (python, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_snprintf (why, why_len, "%s not found", python);
      return false;
    }
  bench_exec (argv, &r);
  if (!r.ok)
    g_snprintf (why, why_len, "%s cannot import torch", python);
  *base_rss = r.rss_mib;
  return r.ok;
}

/* ---------------------------------------------------------------- main */

static char *b_sizes;
static char *b_threads;
static char *b_cd16x;
static gboolean b_no_torch;
static char *b_repeat;
static char *b_rows;
static char *b_script;
static char *b_python;
static char *b_prec;

static const GOptionEntry bench_entries[] = {
  { "sizes", 0, 0, G_OPTION_ARG_STRING, &b_sizes,
    "Content and style sizes (square), comma-separated (default 512,1024)",
    "N,N" },
  { "threads", 't', 0, G_OPTION_ARG_STRING, &b_threads,
    "Threads for both engines (default: all cores)", "N" },
  { "model-dir-cd16x", 0, 0, G_OPTION_ARG_FILENAME, &b_cd16x,
    "cd16x model folder (default: $NS_SHARED_DIR/models/cd16x, then the "
    "usual model folders)",
    "DIR" },
  { "no-torch", 0, 0, G_OPTION_ARG_NONE, &b_no_torch,
    "Do not run the PyTorch side (the AdaIN row needs it for its weights)",
    NULL },
  { "repeat", 'r', 0, G_OPTION_ARG_STRING, &b_repeat,
    "Runs per measurement; the best time is kept (default 2)", "N" },
  { "rows", 0, 0, G_OPTION_ARG_STRING, &b_rows,
    "Subset of adain,cascade,wct (default: all)", "LIST" },
  { "torch-script", 0, 0, G_OPTION_ARG_FILENAME, &b_script,
    "bench_torch.py to use (default: $NS_BENCH_TORCH_SCRIPT, else "
    "tools/bench/ of the source tree)",
    "FILE" },
  { "python", 0, 0, G_OPTION_ARG_FILENAME, &b_python,
    "Python with PyTorch (default /usr/bin/python3)", "EXE" },
  { "precisions", 0, 0, G_OPTION_ARG_STRING, &b_prec,
    "Our precisions, subset of own,fp32,bf16 (default: the one `auto` "
    "picks)",
    "LIST" },
  { NULL }
};

static void G_GNUC_NORETURN G_GNUC_PRINTF (1, 2)
    bench_usage (const char *fmt, ...)
{
  va_list ap;
  fprintf (stderr, "ns-bench: ");
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fprintf (stderr, "\nTry 'ns-bench --help'.\n");
  exit (BENCH_EXIT_USAGE);
}

static int
parse_pos (const char *opt, const char *s, int hi)
{
  char *end;
  long v;
  errno = 0;
  v = strtol (s, &end, 10);
  if (errno || end == s || *end || v < 1 || v > hi)
    bench_usage ("%s: '%s' is not a whole number in [1, %d]", opt, s, hi);
  return (int) v;
}

static char *
find_cd16x (void)
{
  const char *shared = g_getenv ("NS_SHARED_DIR");
  char *dir;

  if (b_cd16x)
    return g_strdup (b_cd16x);
  if (shared && *shared)
    {
      dir = g_build_filename (shared, "models", "cd16x", NULL);
      if (g_file_test (dir, G_FILE_TEST_IS_DIR))
        return dir;
      g_free (dir);
    }
  {
    /* The folders nstyle and the plug-in search. */
    char **roots = ns_model_dirs (NULL, NULL), *found = NULL;
    int n = 0;
    while (roots && roots[n])
      n++;
    if (roots && ns_model_find ((const char *const *) roots, n, NS_MODEL_CD16X,
                                &found, NULL, NULL) == NS_OK)
      {
        dir = g_strdup (found);
        free (found);
        ns_strv_free (roots);
        return dir;
      }
    ns_strv_free (roots);
  }
  /* A development checkout keeps test models beside the source. */
  dir = g_build_filename (NS_BENCH_SOURCE_ROOT, "..", "shared", "models",
                          "cd16x", NULL);
  if (g_file_test (dir, G_FILE_TEST_IS_DIR))
    return dir;
  g_free (dir);
  return NULL;
}

static void
remove_tree (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  if (d)
    {
      while ((name = g_dir_read_name (d)))
        {
          char *p = g_build_filename (dir, name, NULL);
          g_unlink (p);
          g_free (p);
        }
      g_dir_close (d);
    }
  g_rmdir (dir);
}

static void
print_cell (const bench_result *r)
{
  if (r->ok)
    printf (" %8.3f %8.1f %9.0f |", r->seconds, r->flops / r->seconds / 1e9,
            r->rss_mib);
  else
    printf (" %8s %8s %9s |", "-", "-", "-");
}

int
main (int argc, char **argv)
{
  GOptionContext *octx;
  GError *error = NULL;
  int sizes[16], n_sizes = 0, threads = 0, repeat = 2;
  bool use_row[G_N_ELEMENTS (rows)];
  bool torch = false;
  double torch_rss = 0.0;
  char why[256] = "";
  char *script, *cd16x, *vgg_dir = NULL, *python;
  GPtrArray *notes = g_ptr_array_new_with_free_func (g_free);
  bench_result ours[G_N_ELEMENTS (rows)][16][N_PREC];
  /* By default what `auto` runs; --precisions own,fp32 compares. */
  bool use_prec[N_PREC] = { !ns_dnnl_built (),
                            ns_dnnl_built () && !ns_dnnl_bf16_native (),
                            ns_dnnl_built () && ns_dnnl_bf16_native () };
  bench_result theirs[G_N_ELEMENTS (rows)][16];

  octx = g_option_context_new ("- benchmark against PyTorch");
  g_option_context_set_summary (
      octx,
      "For each size, times (a) canonical AdaIN (VGG-19 to relu4_1 and its\n"
      "decoder, random weights of the real shapes), (b) cd16x cascade AdaIN\n"
      "and (c) cd16x WCT, in this engine and in PyTorch (same networks, same\n"
      "algorithm, same thread count), each row in its own process.");
  g_option_context_add_main_entries (octx, bench_entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      static char *msg; /* static: still reachable when exit () runs */
      msg = g_strdup (error->message);
      g_error_free (error);
      g_option_context_free (octx);
      bench_usage ("%s", msg);
    }
  g_option_context_free (octx);
  if (argc > 1)
    bench_usage ("unexpected argument '%s'", argv[1]);

  {
    char **parts = g_strsplit (b_sizes ? b_sizes : "512,1024", ",", -1);
    for (int i = 0; parts[i]; i++)
      {
        if (n_sizes == (int) G_N_ELEMENTS (sizes))
          bench_usage ("--sizes: at most %d sizes", (int) G_N_ELEMENTS (sizes));
        sizes[n_sizes++] = parse_pos ("--sizes", parts[i], 8192);
      }
    g_strfreev (parts);
  }
  if (b_threads)
    threads = parse_pos ("--threads", b_threads, 1024);
  else
    threads = (int) sysconf (_SC_NPROCESSORS_ONLN);
  if (threads < 1)
    threads = 1;
  if (b_repeat)
    repeat = parse_pos ("--repeat", b_repeat, 100);
  for (size_t r = 0; r < G_N_ELEMENTS (rows); r++)
    use_row[r] = !b_rows;
  if (b_rows)
    {
      char **parts = g_strsplit (b_rows, ",", -1);
      for (int i = 0; parts[i]; i++)
        {
          bool found = false;
          for (size_t r = 0; r < G_N_ELEMENTS (rows); r++)
            if (strcmp (parts[i], rows[r].name) == 0)
              use_row[r] = found = true;
          if (!found)
            bench_usage ("--rows: unknown row '%s' (adain, cascade, wct)",
                         parts[i]);
        }
      g_strfreev (parts);
    }

  if (b_prec)
    {
      char **parts = g_strsplit (b_prec, ",", -1);
      memset (use_prec, 0, sizeof use_prec);
      for (int i = 0; parts[i]; i++)
        {
          int k = 0;
          while (k < N_PREC && strcmp (parts[i], prec_names[k]) != 0)
            k++;
          if (k == N_PREC)
            bench_usage ("--precisions: unknown '%s' (own, fp32, bf16)",
                         parts[i]);
          if (k > 0 && !ns_dnnl_built ())
            bench_usage ("--precisions: %s needs oneDNN (not built)", parts[i]);
          use_prec[k] = true;
        }
      g_strfreev (parts);
    }
  if (use_prec[2] && !ns_dnnl_bf16_native ())
    g_ptr_array_add (notes, g_strdup ("bf16: this CPU has no native bf16, "
                                      "so it runs fp32"));

  python = g_strdup (b_python ? b_python : "/usr/bin/python3");
  if (b_script)
    script = g_strdup (b_script);
  else if (g_getenv ("NS_BENCH_TORCH_SCRIPT"))
    script = g_strdup (g_getenv ("NS_BENCH_TORCH_SCRIPT"));
  else
    script = g_build_filename (NS_BENCH_SOURCE_ROOT, "tools", "bench",
                               "bench_torch.py", NULL);
  if (b_no_torch)
    g_ptr_array_add (notes, g_strdup ("PyTorch column skipped (--no-torch)"));
  else if (!g_file_test (script, G_FILE_TEST_IS_REGULAR))
    g_ptr_array_add (notes,
                     g_strdup_printf ("PyTorch column skipped: %s not found "
                                      "(--torch-script)",
                                      script));
  else if (!(torch = torch_available (python, why, sizeof why, &torch_rss)))
    g_ptr_array_add (notes,
                     g_strdup_printf ("PyTorch column skipped: %s", why));
  else
    g_ptr_array_add (
        notes, g_strdup_printf ("PyTorch's peak RSS includes the interpreter "
                                "and the torch library: %.0f MiB for `import "
                                "torch` alone",
                                torch_rss));

  cd16x = find_cd16x ();
  if (!cd16x && (use_row[1] || use_row[2]))
    {
      g_ptr_array_add (notes,
                       g_strdup ("cd16x rows skipped: no cd16x model "
                                 "(--model-dir-cd16x DIR, or "
                                 "tools/download-models.sh --kind cd16x)"));
      use_row[1] = use_row[2] = false;
    }

  /* The canonical AdaIN weights are 80 MB; random ones of the same shapes
   * and layout time the same. */
  if (use_row[0])
    {
      if (!torch)
        {
          g_ptr_array_add (notes,
                           g_strdup ("AdaIN row skipped: its random weights "
                                     "are written by PyTorch"));
          use_row[0] = false;
        }
      else
        {
          char *dir_script = g_path_get_dirname (script);
          char *maker = g_build_filename (dir_script, "make_random_vgg19.py",
                                          NULL);
          bench_result r;
          vgg_dir = g_dir_make_tmp ("ns-bench-XXXXXX", &error);
          if (!vgg_dir)
            {
              g_ptr_array_add (notes, g_strdup_printf ("AdaIN row skipped: %s",
                                                       error->message));
              g_clear_error (&error);
              use_row[0] = false;
            }
          else
            {
              char *argv2[] = { python, maker, vgg_dir, NULL };
              fprintf (stderr,
                       "ns-bench: writing random VGG-19 "
                       "weights into %s\n",
                       vgg_dir);
              bench_exec (argv2, &r);
              if (!r.ok)
                {
                  g_ptr_array_add (
                      notes, g_strdup_printf ("AdaIN row skipped: %s failed: "
                                              "%s",
                                              maker, r.msg));
                  use_row[0] = false;
                }
            }
          g_free (maker);
          g_free (dir_script);
        }
    }

  for (size_t r = 0; r < G_N_ELEMENTS (rows); r++)
    for (int s = 0; s < n_sizes; s++)
      {
        const char *dir = rows[r].model == BENCH_VGG19 ? vgg_dir : cd16x;
        memset (ours[r][s], 0, sizeof ours[r][s]);
        memset (&theirs[r][s], 0, sizeof theirs[r][s]);
        if (!use_row[r])
          continue;
        fprintf (stderr, "ns-bench: %s %dx%d:", rows[r].name, sizes[s],
                 sizes[s]);
        for (int p = 0; p < N_PREC; p++)
          {
            bench_result *o = &ours[r][s][p];
            if (!use_prec[p])
              continue;
            fprintf (stderr, " %s...", prec_names[p]);
            bench_ours (dir, rows[r].method, sizes[s], threads, repeat, p, o);
            if (o->ok)
              fprintf (stderr, " %.3f s", o->seconds);
            else
              fprintf (stderr, " failed: %s", o->msg);
          }
        if (torch)
          {
            char size_s[16], thr_s[16], rep_s[16];
            char *argv2[] = {
              python,     script, "--net",       (char *) rows[r].name,
              "--size",   size_s, "--threads",   thr_s,
              "--repeat", rep_s,  "--model-dir", (char *) dir,
              NULL
            };
            g_snprintf (size_s, sizeof size_s, "%d", sizes[s]);
            g_snprintf (thr_s, sizeof thr_s, "%d", threads);
            g_snprintf (rep_s, sizeof rep_s, "%d", repeat);
            fprintf (stderr, ", torch...");
            bench_exec (argv2, &theirs[r][s]);
            if (theirs[r][s].ok)
              fprintf (stderr, " %.3f s", theirs[r][s].seconds);
            else
              fprintf (stderr, " failed: %s", theirs[r][s].msg);
          }
        fprintf (stderr, "\n");
      }

  printf ("\nnstyle %s bench: %d thread%s, best of %d run%s; GFLOP/s from "
          "the convolutions of every encoder/decoder pass; peak RSS of each "
          "row's process\n\n",
          NS_VERSION, threads, threads == 1 ? "" : "s", repeat,
          repeat == 1 ? "" : "s");
  {
    char line[256] = "unknown";
    FILE *ci = fopen ("/proc/cpuinfo", "r");
    while (ci && fgets (line, sizeof line, ci))
      if (g_str_has_prefix (line, "model name"))
        break;
    if (ci)
      fclose (ci);
    g_strchomp (line);
    printf ("CPU: %s; oneDNN %s (ISA %s, native bf16: %s)\n\n",
            strchr (line, ':') ? strchr (line, ':') + 2 : line,
            ns_dnnl_built () ? ns_dnnl_version () : "not built",
            ns_dnnl_isa_name (), ns_dnnl_bf16_native () ? "yes" : "no");
  }
  printf ("%-32s %5s %-4s |%-29s|%-29s|\n", "", "", "", " ours", " PyTorch");
  printf ("%-32s %5s %-4s | %8s %8s %9s | %8s %8s %9s | %s\n", "row", "size",
          "prec", "time s", "GFLOP/s", "peak MiB", "time s", "GFLOP/s",
          "peak MiB", "ours/torch");
  for (size_t r = 0; r < G_N_ELEMENTS (rows); r++)
    for (int s = 0; s < n_sizes; s++)
      {
        bench_result *t = &theirs[r][s], *o = NULL;
        if (!use_row[r])
          continue;
        for (int p = 0; p < N_PREC; p++)
          {
            if (!use_prec[p])
              continue;
            o = &ours[r][s][p];
            printf ("%-32s %5d %-4s |", rows[r].label, sizes[s], prec_names[p]);
            print_cell (o);
            print_cell (t);
            if (o->ok && t->ok)
              printf (" %6.2f\n", o->seconds / t->seconds);
            else
              printf (" %6s\n", "-");
            if (!o->ok)
              g_ptr_array_add (notes, g_strdup_printf ("ours %s %d %s: %s",
                                                       rows[r].name, sizes[s],
                                                       prec_names[p], o->msg));
          }
        if (!o)
          continue;
        if (torch && !t->ok)
          g_ptr_array_add (notes,
                           g_strdup_printf ("torch %s %d: %s", rows[r].name,
                                            sizes[s], t->msg));
        /* Both sides count FLOPs independently: flag a disagreement. */
        if (o->ok && t->ok && fabs (o->flops - t->flops) > 0.01 * o->flops)
          g_ptr_array_add (
              notes,
              g_strdup_printf ("%s %d: FLOP counts differ (ours %.3g, "
                               "torch %.3g)",
                               rows[r].name, sizes[s], o->flops, t->flops));
      }
  if (notes->len)
    {
      printf ("\nNotes:\n");
      for (guint i = 0; i < notes->len; i++)
        printf ("  - %s\n", (char *) notes->pdata[i]);
    }
  if (vgg_dir)
    remove_tree (vgg_dir);
  g_free (vgg_dir);
  g_free (cd16x);
  g_free (script);
  g_free (python);
  g_ptr_array_free (notes, TRUE);
  return BENCH_EXIT_OK;
}
