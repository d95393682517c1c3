/* ns-bench: wall time, GFLOP/s and peak memory of the engine against
 * PyTorch running the same networks and algorithms.  A development tool,
 * built but not installed (it knows the source tree, NS_BENCH_SOURCE_ROOT,
 * to find tools/bench/bench_torch.py, which imports the tests' PyTorch
 * references).
 *
 * Rows (--rows; issue 10: the VGG/cd16x methods, Gatys, the dialog's
 * preview; issue 11: the fast styles and MicroAST):
 *  - stylizations at each --sizes entry ("N": content and style N x N;
 *    "WxH": content W x H, style --style-size square), run in one pass at
 *    full size (design-size 0), which is what the PyTorch reference
 *    computes;
 *  - cascade-render: what nstyle runs for a layer larger than the design
 *    size (default parameters: composition at 1024, shallow levels in
 *    tiles), for the sizes above 1024; PyTorch has no counterpart;
 *  - Gatys: seconds per evaluation of the objective (one forward and
 *    backward: loss and gradient with respect to the image), after one
 *    warm-up evaluation, at each --gatys-sizes entry;
 *  - the dialog's preview at --preview-size: ns_stylize on the preview
 *    content with the style read in proportion, as ui/ns-preview.c calls
 *    it (full: a fresh context; strength change: the context the dialog
 *    keeps, after a first preview, so the cached encodings are reused).
 *
 * Each measurement runs in its own child process (ours: fork; PyTorch:
 * fork + exec of bench_torch.py), so the peak RSS read from wait4 ()
 * belongs to that measurement alone.  Model loading is not timed; every
 * repeat of a stylization uses a fresh context (no cached encoding is
 * reused), after one untimed pass on a small picture (library start-up).
 * FLOPs come from the engine's own networks. */
#include "config.h"

#include "fast/fast.h"
#include "gatys/gatys-net.h"
#include "nn/nn-dnnl.h"
#include "stylize.h"

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
  BENCH_CD16X,
  BENCH_FAST,
  BENCH_MICROAST,
  BENCH_N_MODELS
} bench_model;

typedef enum
{
  KIND_STYLIZE,         /* one pass at full size */
  KIND_RENDER,          /* nstyle's default render (design size, tiles) */
  KIND_GATYS,           /* one objective evaluation */
  KIND_PREVIEW_FULL,    /* the dialog's preview, fresh context */
  KIND_PREVIEW_STRENGTH /* the dialog's preview, strength change only */
} bench_kind;

/* Which size list a row runs at. */
typedef enum
{
  SIZES_MAIN,
  SIZES_GATYS,
  SIZES_PREVIEW
} bench_sizes;

typedef struct
{
  const char *name;  /* the --rows key */
  const char *torch; /* bench_torch.py --net; NULL: no PyTorch counterpart */
  const char *label;
  bench_model model;
  ns_method method;
  const char *fast_style; /* BENCH_FAST */
  bench_kind kind;
  bench_sizes sizes;
  bool torch_bf16; /* PyTorch also under bf16 autocast (issue 10's rows) */
  int issue;
} bench_row;

static const bench_row rows[] = {
  { "adain", "adain", "AdaIN, VGG-19 relu4_1 (random)", BENCH_VGG19,
    NS_METHOD_ADAIN, NULL, KIND_STYLIZE, SIZES_MAIN, true, 10 },
  { "cascade", "cascade", "cd16x cascade AdaIN 5..1", BENCH_CD16X,
    NS_METHOD_CASCADE_ADAIN, NULL, KIND_STYLIZE, SIZES_MAIN, true, 10 },
  { "wct", "wct", "cd16x WCT 5..1", BENCH_CD16X, NS_METHOD_WCT, NULL,
    KIND_STYLIZE, SIZES_MAIN, true, 10 },
  { "cascade-render", NULL, "cd16x cascade, nstyle render", BENCH_CD16X,
    NS_METHOD_CASCADE_ADAIN, NULL, KIND_RENDER, SIZES_MAIN, false, 10 },
  { "gatys-cd16x", "gatys-cd16x", "Gatys 1 eval, cd16x enc5+aux", BENCH_CD16X,
    NS_METHOD_GATYS, NULL, KIND_GATYS, SIZES_GATYS, true, 10 },
  { "gatys-vgg19", "gatys-vgg19", "Gatys 1 eval, VGG-19 (random)", BENCH_VGG19,
    NS_METHOD_GATYS, NULL, KIND_GATYS, SIZES_GATYS, true, 10 },
  { "preview", "cascade", "preview cascade, full", BENCH_CD16X,
    NS_METHOD_CASCADE_ADAIN, NULL, KIND_PREVIEW_FULL, SIZES_PREVIEW, true, 10 },
  { "preview-strength", NULL, "preview cascade, strength change", BENCH_CD16X,
    NS_METHOD_CASCADE_ADAIN, NULL, KIND_PREVIEW_STRENGTH, SIZES_PREVIEW, false,
    10 },
  { "fast-candy", "fast", "fast style candy", BENCH_FAST, NS_METHOD_FAST,
    "candy", KIND_STYLIZE, SIZES_MAIN, false, 11 },
  { "fast-mosaic", "fast", "fast style mosaic", BENCH_FAST, NS_METHOD_FAST,
    "mosaic", KIND_STYLIZE, SIZES_MAIN, false, 11 },
  { "fast-pointilism", "fast", "fast style pointilism", BENCH_FAST,
    NS_METHOD_FAST, "pointilism", KIND_STYLIZE, SIZES_MAIN, false, 11 },
  { "fast-rain_princess", "fast", "fast style rain_princess", BENCH_FAST,
    NS_METHOD_FAST, "rain_princess", KIND_STYLIZE, SIZES_MAIN, false, 11 },
  { "fast-udnie", "fast", "fast style udnie", BENCH_FAST, NS_METHOD_FAST,
    "udnie", KIND_STYLIZE, SIZES_MAIN, false, 11 },
  { "microast", "microast", "MicroAST", BENCH_MICROAST, NS_METHOD_MICROAST,
    NULL, KIND_STYLIZE, SIZES_MAIN, false, 11 },
  { "preview-fast", "fast", "preview fast style candy, full", BENCH_FAST,
    NS_METHOD_FAST, "candy", KIND_PREVIEW_FULL, SIZES_PREVIEW, false, 11 },
};
#define N_ROWS G_N_ELEMENTS (rows)

/* A measurement's sizes: content W x H, style SW x SH. */
typedef struct
{
  int w, h, sw, sh;
} bench_size;

#define MAX_SIZES 16

typedef struct
{
  bool ok;
  bool na;        /* not measurable here (MSG says why); not an error */
  double seconds; /* best of the repeats */
  double flops;   /* per measurement; 0: not counted */
  double rss_mib; /* peak resident set of the child */
  char msg[512];
} bench_result;

/* ------------------------------------------------------------- FLOPs */

/* Convolution FLOPs of one stylization: at each level used, the content
 * and the style are encoded and the result decoded. */
static double
stylize_flops (const ns_model *m, ns_method method, const bench_size *sz)
{
  int first = method == NS_METHOD_ADAIN ? m->n_levels - 1 : 0;
  double total = 0.0;

  if (m->fast)
    return ns_fast_net_flops (m->fast, sz->w, sz->h);
  if (m->kind == NS_MODEL_MICROAST)
    return 0.0;
  for (int i = first; i < m->n_levels; i++)
    {
      const ns_net *enc = &m->enc[i];
      int fh, fw;
      total += ns_net_flops (enc, sz->h, sz->w);
      total += ns_net_flops (enc, sz->sh, sz->sw);
      ns_net_out_shape (enc, enc->n_layers, sz->h, sz->w, NULL, &fh, &fw);
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

/* Our precisions: the own kernels (the fallback), oneDNN fp32 and bf16. */
static const char *const prec_names[] = { "own", "fp32", "bf16" };
#define N_PREC 3

/* What a child needs to measure one row at one size. */
typedef struct
{
  const bench_row *row;
  const char *dir; /* model folder */
  bench_size size;
  int threads, repeat, prec;
} bench_job;

static void G_GNUC_NORETURN
child_fail (FILE *f, const char *what, ns_status s, const ns_error *err)
{
  fprintf (f, "err %s: %s: %s\n", what, ns_status_string (s), err->message);
  fclose (f);
  _exit (1);
}

static ns_status
load_model (const bench_job *job, ns_model **model, ns_error *err)
{
  switch (job->row->model)
    {
    case BENCH_FAST:
      return ns_model_load_fast (job->dir, job->row->fast_style, model, err);
    case BENCH_MICROAST:
      return ns_model_load (job->dir, NS_MODEL_MICROAST, model, err);
    case BENCH_VGG19:
      return ns_model_load (job->dir, NS_MODEL_VGG19, model, err);
    default:
      return ns_model_load (job->dir, NS_MODEL_CD16X, model, err);
    }
}

/* One ns_stylize in a fresh context (CTX NULL) or in CTX; returns the
 * seconds, or a negative value after printing the error to F. */
static double
timed_stylize (FILE *f, const ns_model *model, ns_context *ctx,
               const ns_params *params, const ns_image *content,
               const ns_style *style, ns_image *out)
{
  ns_context *own = NULL;
  ns_error err;
  ns_status s;
  double t;
  bool fast = params->method == NS_METHOD_FAST;

  if (!ctx)
    {
      if ((s = ns_context_new (model, &own, &err)) != NS_OK)
        child_fail (f, "context", s, &err);
      ctx = own;
    }
  t = now_s ();
  s = ns_stylize (ctx, params, content, fast ? NULL : style, fast ? 0 : 1, NULL,
                  out, &err);
  t = now_s () - t;
  if (own)
    ns_context_free (own);
  if (s != NS_OK)
    child_fail (f, "ns_stylize", s, &err);
  return t;
}

/* Seconds per Gatys objective evaluation (best of the repeats, after one
 * warm-up), on the model's feature network, as bench-gatys and gatys.c
 * build it; *FLOPS the forward pass's. */
static double
gatys_eval (FILE *f, const bench_job *job, double *flops)
{
  const char *file = job->row->model == BENCH_VGG19 ? "vgg_normalised.pth"
                                                    : "enc5.pth";
  char *path = g_build_filename (job->dir, file, NULL);
  ns_model_kind kind = job->row->model == BENCH_VGG19 ? NS_MODEL_VGG19
                                                      : NS_MODEL_CD16X;
  const bench_size *sz = &job->size;
  ns_weights *wf = NULL;
  ns_featnet net;
  ns_gatys_objective obj;
  ns_image content = { 0 }, style = { 0 };
  const ns_image *sp = &style;
  ns_error err;
  ns_status s;
  double best = INFINITY, fx;
  float *x, *g;
  size_t n = (size_t) 3 * sz->w * sz->h;

  if ((s = ns_weights_load_pth (path, &wf, &err)) != NS_OK)
    child_fail (f, path, s, &err);
  if ((s = ns_featnet_build (kind, &wf, 1, NULL, &net, &err)) != NS_OK)
    child_fail (f, "feature network", s, &err);
  if ((s = synthetic_image (&content, sz->w, sz->h, 0, &err)) != NS_OK ||
      (s = synthetic_image (&style, sz->sw, sz->sh, 1, &err)) != NS_OK)
    child_fail (f, "images", s, &err);
  if ((s = ns_gatys_objective_init (&obj, &net, sz->h, sz->w, job->threads,
                                    &err)) != NS_OK ||
      (s = ns_gatys_objective_set_content (&obj, content.data, &err)) !=
          NS_OK ||
      (s = ns_gatys_objective_set_styles (&obj, &sp, NULL, 1, job->threads,
                                          &err)) != NS_OK)
    child_fail (f, "objective", s, &err);
  /* The weights of ns_params_default and bench_torch.py. */
  obj.content_weight = 1.0;
  obj.style_weight = 30.0;
  obj.tv_weight = 1e-3;
  x = g_memdup2 (content.data, n * sizeof (float));
  g = g_malloc (n * sizeof (float));
  ns_gatys_objective_eval (x, &fx, g, &obj);
  for (int r = 0; r < job->repeat; r++)
    {
      double t = now_s ();
      if (!ns_gatys_objective_eval (x, &fx, g, &obj))
        {
          fprintf (f, "err the evaluation stopped\n");
          fclose (f);
          _exit (1);
        }
      t = now_s () - t;
      if (!isfinite (fx))
        {
          fprintf (f, "err non-finite loss\n");
          fclose (f);
          _exit (1);
        }
      if (t < best)
        best = t;
    }
  *flops = 0.0; /* the forward pass alone would mislead: not counted */
  g_free (x);
  g_free (g);
  ns_gatys_objective_free (&obj);
  ns_featnet_free (&net);
  ns_weights_free (wf);
  ns_image_free (&content);
  ns_image_free (&style);
  g_free (path);
  return best;
}

/* In the forked child: measure our engine, print one line to FD. */
static void G_GNUC_NORETURN
run_ours_child (int fd, const bench_job *job)
{
  const bench_row *row = job->row;
  const bench_size *sz = &job->size;
  ns_model *model = NULL;
  ns_image content = { 0 }, style = { 0 }, out = { 0 };
  ns_params params = ns_params_default ();
  ns_style st;
  ns_error err;
  ns_status s;
  double best = INFINITY, flops = 0.0;
  FILE *f = fdopen (fd, "w");

  ns_dnnl_set_enabled (job->prec != 0);
  ns_nn_precision_begin (job->prec == 2 ? NS_PRECISION_BF16
                                        : NS_PRECISION_FP32);
  if (row->kind == KIND_GATYS)
    {
      best = gatys_eval (f, job, &flops);
      fprintf (f, "ok %.6f %.6e\n", best, flops);
      fclose (f);
      _exit (0);
    }
  if ((s = load_model (job, &model, &err)) != NS_OK)
    child_fail (f, "model", s, &err);
  if ((s = synthetic_image (&content, sz->w, sz->h, 0, &err)) != NS_OK ||
      (s = synthetic_image (&style, sz->sw, sz->sh, 1, &err)) != NS_OK ||
      (s = ns_image_alloc (&out, sz->w, sz->h, &err)) != NS_OK)
    child_fail (f, "images", s, &err);
  params.method = row->method;
  params.strength = 1.0f;
  params.n_threads = job->threads;
  params.precision = job->prec == 2 ? NS_PRECISION_BF16 : NS_PRECISION_FP32;
  switch (row->kind)
    {
    case KIND_STYLIZE:
      /* The reference's algorithm: one pass at full size, the style as
         given. */
      params.style_size = 0;
      params.design_size = 0;
      break;
    case KIND_PREVIEW_FULL:
    case KIND_PREVIEW_STRENGTH:
      /* ns-dialog-preview.c's quick pass: the style already read in
         proportion (style-size 0), the content at its preview size. */
      params.style_size = 0;
      params.max_size = 0;
      break;
    default:
      /* KIND_RENDER: nstyle's defaults; the style is given at
         --style-size (512 by default, nstyle's style-size). */
      params.style_size = 0;
      break;
    }
  st.image = &style;
  st.weight = 1.0f;
  if (row->kind != KIND_RENDER && row->kind != KIND_PREVIEW_STRENGTH)
    flops = stylize_flops (model, row->method, sz);

  {
    /* Library start-up off the clock: one pass on a small picture. */
    ns_image c0 = { 0 }, s0 = { 0 }, o0 = { 0 };
    ns_style st0 = { &s0, 1.0f };
    if ((s = synthetic_image (&c0, 64, 48, 0, &err)) != NS_OK ||
        (s = synthetic_image (&s0, 32, 32, 1, &err)) != NS_OK ||
        (s = ns_image_alloc (&o0, 64, 48, &err)) != NS_OK)
      child_fail (f, "images", s, &err);
    timed_stylize (f, model, NULL, &params, &c0, &st0, &o0);
    ns_image_free (&c0);
    ns_image_free (&s0);
    ns_image_free (&o0);
  }

  if (row->kind == KIND_PREVIEW_STRENGTH)
    {
      /* The dialog's one context: a first preview, then strength changes
         that reuse the cached style statistics and content encoding. */
      ns_context *ctx = NULL;
      ns_context_counters n;
      if ((s = ns_context_new (model, &ctx, &err)) != NS_OK)
        child_fail (f, "context", s, &err);
      timed_stylize (f, model, ctx, &params, &content, &st, &out);
      for (int r = 0; r < job->repeat; r++)
        {
          double t;
          params.strength = 0.3f + 0.4f * (float) (r % 2);
          t = timed_stylize (f, model, ctx, &params, &content, &st, &out);
          if (t < best)
            best = t;
        }
      ns_context_get_counters (ctx, &n);
      ns_context_free (ctx);
      if (n.style_encodes != 0)
        {
          fprintf (f, "err a strength change encoded the style again\n");
          fclose (f);
          _exit (1);
        }
    }
  else
    for (int r = 0; r < job->repeat; r++)
      {
        double t = timed_stylize (f, model, NULL, &params, &content, &st, &out);
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
bench_ours (const bench_job *job, bench_result *res)
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
      run_ours_child (fds[1], job);
    }
  close (fds[1]);
  collect_child (pid, fds[0], res);
}

/* Runs ARGV (stdout captured, stderr passed through) and fills RES from
 * its answer.  Returns 0 when it answered "ok". */
static int
bench_exec (char **argv, bench_result *res)
{
  int fds[2];
  pid_t pid;

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
  return res->ok ? 0 : 1;
}

/* True when PYTHON can import torch. */
static bool
torch_available (const char *python, char *why, size_t why_len,
                 double *base_rss)
{
  char *argv[] = { (char *) python, "-c", "import torch; print('ok 0 0')",
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

/* torch.__version__, for the header. */
static void
torch_version (const char *python, char *out, size_t len)
{
  char *argv[] = { (char *) python, "-c",
                   "import torch; print('err ' + torch.__version__)", NULL };
  bench_result r;
  bench_exec (argv, &r);
  g_strlcpy (out, r.msg[0] ? r.msg : "?", len);
}

/* ---------------------------------------------------------------- main */

static char *b_sizes;
static char *b_gatys_sizes;
static char *b_preview_size;
static char *b_style_size;
static char *b_threads;
static char *b_cd16x;
static char *b_fast;
static char *b_microast;
static gboolean b_no_torch;
static gboolean b_quick;
static char *b_repeat;
static char *b_rows;
static char *b_script;
static char *b_python;
static char *b_prec;
static char *b_bf16_max;

static const GOptionEntry bench_entries[] = {
  { "sizes", 0, 0, G_OPTION_ARG_STRING, &b_sizes,
    "Stylization sizes, comma-separated: N (content and style N x N) or WxH "
    "(content W x H, style --style-size) (default 512,1024,4000x3000)",
    "LIST" },
  { "style-size", 0, 0, G_OPTION_ARG_STRING, &b_style_size,
    "Side of the square style of the WxH sizes (default 512)", "N" },
  { "gatys-sizes", 0, 0, G_OPTION_ARG_STRING, &b_gatys_sizes,
    "Gatys evaluation sizes (square), comma-separated (default 256,512)",
    "LIST" },
  { "preview-size", 0, 0, G_OPTION_ARG_STRING, &b_preview_size,
    "The dialog's preview size: long side of a 4:3 content (default 384)",
    "N" },
  { "threads", 't', 0, G_OPTION_ARG_STRING, &b_threads,
    "Threads for both engines (default: all cores)", "N" },
  { "model-dir-cd16x", 0, 0, G_OPTION_ARG_FILENAME, &b_cd16x,
    "cd16x model folder (default: $NS_SHARED_DIR/models/cd16x, then the "
    "usual model folders, then ../shared beside the source)",
    "DIR" },
  { "model-dir-fast", 0, 0, G_OPTION_ARG_FILENAME, &b_fast,
    "Fast styles folder, transformer.param + STYLE.bin (default: "
    "$NS_SHARED_DIR/models/fast-ncnn, then ../shared)",
    "DIR" },
  { "model-dir-microast", 0, 0, G_OPTION_ARG_FILENAME, &b_microast,
    "MicroAST folder (default: $NS_SHARED_DIR/models/microast, then the "
    "usual model folders, then ../shared)",
    "DIR" },
  { "no-torch", 0, 0, G_OPTION_ARG_NONE, &b_no_torch,
    "Do not run the PyTorch side (the VGG-19 rows need it for their random "
    "weights)",
    NULL },
  { "torch-bf16-max-mpix", 0, 0, G_OPTION_ARG_STRING, &b_bf16_max,
    "Run PyTorch's bf16 autocast only up to this many megapixels of content "
    "(slow on CPUs without native bf16; default: no limit)",
    "X" },
  { "repeat", 'r', 0, G_OPTION_ARG_STRING, &b_repeat,
    "Runs per measurement; the best time is kept (default 2; contents over "
    "4 megapixels run once)",
    "N" },
  { "rows", 0, 0, G_OPTION_ARG_STRING, &b_rows,
    "Rows, comma-separated: adain, cascade, wct, cascade-render, "
    "gatys-cd16x, gatys-vgg19, preview, preview-strength, fast-STYLE (candy, "
    "mosaic, pointilism, rain_princess, udnie), microast, preview-fast; or "
    "fast (the five fast styles), issue10, issue11, all (default: all)",
    "LIST" },
  { "quick", 'q', 0, G_OPTION_ARG_NONE, &b_quick,
    "Tiny sizes, one run each (--sizes 64,96x64 --style-size 48 "
    "--gatys-sizes 48 --preview-size 64 -r 1 unless given): checks that "
    "every row runs",
    NULL },
  { "torch-script", 0, 0, G_OPTION_ARG_FILENAME, &b_script,
    "bench_torch.py to use (default: $NS_BENCH_TORCH_SCRIPT, else "
    "tools/bench/ of the source tree)",
    "FILE" },
  { "python", 0, 0, G_OPTION_ARG_FILENAME, &b_python,
    "Python with PyTorch (default /usr/bin/python3)", "EXE" },
  { "precisions", 0, 0, G_OPTION_ARG_STRING, &b_prec,
    "Our precisions, subset of own,fp32,bf16 (default: fp32,bf16 with "
    "oneDNN, own,bf16 without; bf16 shows as unavailable on CPUs without "
    "native bf16)",
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

/* "N" or "WxH" (sides of at least NS_MIN_SIZE). */
static void
parse_size (const char *opt, const char *s, int style, bench_size *out)
{
  const char *x = strchr (s, 'x');
  if (x)
    {
      char *w = g_strndup (s, (gsize) (x - s));
      out->w = parse_pos (opt, w, 65536);
      out->h = parse_pos (opt, x + 1, 65536);
      out->sw = out->sh = style;
      g_free (w);
    }
  else
    out->w = out->h = out->sw = out->sh = parse_pos (opt, s, 65536);
  if (out->w < NS_MIN_SIZE || out->h < NS_MIN_SIZE)
    bench_usage ("%s: '%s' is below %d pixels", opt, s, NS_MIN_SIZE);
}

static int
parse_sizes (const char *opt, const char *list, int style, bool square,
             bench_size *sizes)
{
  char **parts = g_strsplit (list, ",", -1);
  int n = 0;
  for (int i = 0; parts[i]; i++)
    {
      if (n == MAX_SIZES)
        bench_usage ("%s: at most %d sizes", opt, MAX_SIZES);
      if (square && strchr (parts[i], 'x'))
        bench_usage ("%s: '%s': square sizes only", opt, parts[i]);
      parse_size (opt, parts[i], style, &sizes[n++]);
    }
  g_strfreev (parts);
  if (n == 0)
    bench_usage ("%s: no size given", opt);
  return n;
}

static char *
size_name (const bench_size *s)
{
  if (s->w == s->h && s->sw == s->w && s->sh == s->h)
    return g_strdup_printf ("%d", s->w);
  return g_strdup_printf ("%dx%d", s->w, s->h);
}

/* The model folder: OPTION, $NS_SHARED_DIR/models/SUB, the folders nstyle
 * and the plug-in search (KIND; NS_MODEL_AUTO: skip), then ../shared beside
 * the source tree. */
static char *
find_model (const char *option, const char *sub, ns_model_kind kind)
{
  const char *shared = g_getenv ("NS_SHARED_DIR");
  char *dir;

  if (option)
    return g_strdup (option);
  if (shared && *shared)
    {
      dir = g_build_filename (shared, "models", sub, NULL);
      if (g_file_test (dir, G_FILE_TEST_IS_DIR))
        return dir;
      g_free (dir);
    }
  if (kind != NS_MODEL_AUTO)
    {
      char **roots = ns_model_dirs (NULL, NULL), *found = NULL;
      int n = 0;
      while (roots && roots[n])
        n++;
      if (roots && ns_model_find ((const char *const *) roots, n, kind, &found,
                                  NULL, NULL) == NS_OK)
        {
          dir = g_strdup (found);
          free (found);
          ns_strv_free (roots);
          return dir;
        }
      ns_strv_free (roots);
    }
  dir = g_build_filename (NS_BENCH_SOURCE_ROOT, "..", "shared", "models", sub,
                          NULL);
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

/* lscpu's "Model name" (else /proc/cpuinfo's "model name"). */
static char *
cpu_model (void)
{
  char line[512];
  FILE *p = popen ("LC_ALL=C lscpu 2>/dev/null", "r");
  char *found = NULL;

  while (p && fgets (line, sizeof line, p))
    if (!found && g_str_has_prefix (line, "Model name:"))
      found = g_strstrip (g_strdup (line + strlen ("Model name:")));
  if (p)
    pclose (p);
  if (!found)
    {
      FILE *ci = fopen ("/proc/cpuinfo", "r");
      while (ci && !found && fgets (line, sizeof line, ci))
        if (g_str_has_prefix (line, "model name") && strchr (line, ':'))
          found = g_strstrip (g_strdup (strchr (line, ':') + 1));
      if (ci)
        fclose (ci);
    }
  return found ? found : g_strdup ("unknown");
}

static char *
load_average (void)
{
  char buf[128] = "unknown";
  FILE *f = fopen ("/proc/loadavg", "r");
  if (f)
    {
      if (!fgets (buf, sizeof buf, f))
        g_strlcpy (buf, "unknown", sizeof buf);
      fclose (f);
    }
  g_strchomp (buf);
  {
    /* The three averages only. */
    char **parts = g_strsplit (buf, " ", 4);
    char *out = parts[0] && parts[1] && parts[2]
                    ? g_strdup_printf ("%s %s %s", parts[0], parts[1], parts[2])
                    : g_strdup (buf);
    g_strfreev (parts);
    return out;
  }
}

/* Times under 0.1 s get a fourth decimal: at tiny sizes on a fast CPU three
   would print 0.000 and make the ratio beside them unreadable. */
static int
time_decimals (double seconds)
{
  return seconds < 0.1 ? 4 : 3;
}

/* Cells: ours "time GFLOP/s MiB", PyTorch "time MiB". */
static void
print_ours (const bench_result *r)
{
  if (r->ok && r->flops > 0.0)
    printf (" %8.*f %7.1f %8.0f |", time_decimals (r->seconds), r->seconds,
            r->flops / r->seconds / 1e9, r->rss_mib);
  else if (r->ok)
    printf (" %8.*f %7s %8.0f |", time_decimals (r->seconds), r->seconds, "-",
            r->rss_mib);
  else if (r->na)
    printf (" %8s %7s %8s |", "n/a", "-", "-");
  else
    printf (" %8s %7s %8s |", "failed", "-", "-");
}

static void
print_torch (const bench_result *r, bool run)
{
  if (r->ok && run)
    printf (" %8.*f %8.0f |", time_decimals (r->seconds), r->seconds,
            r->rss_mib);
  else if (r->na || !run)
    printf (" %8s %8s |", "-", "-");
  else
    printf (" %8s %8s |", "failed", "-");
}

static void
print_ratio (const bench_result *o, const bench_result *t)
{
  if (o->ok && t->ok && t->seconds > 0.0)
    printf (" %6.2f", o->seconds / t->seconds);
  else
    printf (" %6s", "-");
}

static bench_result ours[N_ROWS][MAX_SIZES][N_PREC];
static bench_result theirs[N_ROWS][MAX_SIZES][2]; /* fp32, bf16 */
static bool torch_run[N_ROWS][MAX_SIZES][2];

/* Prints row R at size index S (our precisions, PyTorch's columns, the
 * ratios) and adds its failures to NOTES. */
static void
print_row (const bench_row *row, size_t r, int s, const bench_size *sz,
           const bool *use_prec, GPtrArray *notes)
{
  bench_result *t32 = &theirs[r][s][0], *t16 = &theirs[r][s][1];
  char *sn = size_name (sz);
  bool any = false;

  for (int p = 0; p < N_PREC; p++)
    {
      bench_result *o = &ours[r][s][p];
      if (!use_prec[p])
        continue;
      any = true;
      printf ("%-34s %-9s %-4s |", row->label, sn, prec_names[p]);
      print_ours (o);
      /* PyTorch's cells beside each of our measured precisions. */
      print_torch (t32, torch_run[r][s][0] && !o->na);
      print_torch (t16, torch_run[r][s][1] && !o->na);
      print_ratio (o, t32);
      print_ratio (o, t16);
      printf ("\n");
      if (!o->ok && !o->na)
        g_ptr_array_add (notes,
                         g_strdup_printf ("ours %s %s %s failed: %s", row->name,
                                          sn, prec_names[p], o->msg));
      /* Both sides count FLOPs independently: flag a
         disagreement. */
      if (o->ok && t32->ok && o->flops > 0.0 && t32->flops > 0.0 &&
          fabs (o->flops - t32->flops) > 0.01 * o->flops)
        g_ptr_array_add (notes,
                         g_strdup_printf ("%s %s: FLOP counts differ "
                                          "(ours %.3g, torch %.3g)",
                                          row->name, sn, o->flops, t32->flops));
    }
  for (int d = 0; d < 2 && any; d++)
    if (torch_run[r][s][d] && !theirs[r][s][d].ok)
      g_ptr_array_add (notes,
                       g_strdup_printf ("torch %s %s %s failed: %s", row->name,
                                        sn, d ? "bf16" : "fp32",
                                        theirs[r][s][d].msg));
  g_free (sn);
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  GOptionContext *octx;
  GError *error = NULL;
  bench_size sizes[3][MAX_SIZES];
  int n_sizes[3] = { 0, 0, 0 };
  int threads = 0, repeat = 2, style_side = 512, preview = 384;
  double bf16_max_mpix = 0.0;
  bool use_row[N_ROWS];
  bool torch = false;
  double torch_rss = 0.0;
  char why[256] = "", tver[64] = "";
  char *script, *python, *cpu, *load_before, *load_after;
  char *model_dir[BENCH_N_MODELS] = { NULL };
  GPtrArray *notes = g_ptr_array_new_with_free_func (g_free);
  bool use_prec[N_PREC] = { !ns_dnnl_built (), ns_dnnl_built (), true };
  GDateTime *now;
  char *stamp;

  octx = g_option_context_new ("- benchmark against PyTorch");
  g_option_context_set_summary (
      octx,
      "Times the engine's methods and the same networks and algorithms in\n"
      "PyTorch (tools/bench/bench_torch.py, which uses the tests' PyTorch\n"
      "references; fp32 and, for the VGG/cd16x rows, bf16 autocast), each\n"
      "measurement in its own process, and prints one table, each row as\n"
      "soon as it is measured (every row at the first size, then at the\n"
      "second, ...).  Rows: canonical AdaIN, cd16x cascade AdaIN and WCT,\n"
      "nstyle's render of large layers, Gatys seconds per evaluation, the\n"
      "dialog's preview (full, strength change), the five fast styles and\n"
      "MicroAST.");
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

  if (b_quick)
    {
      style_side = 48;
      repeat = 1;
    }
  if (b_style_size)
    style_side = parse_pos ("--style-size", b_style_size, 65536);
  if (style_side < NS_MIN_SIZE)
    bench_usage ("--style-size: below %d pixels", NS_MIN_SIZE);
  n_sizes[SIZES_MAIN] = parse_sizes ("--sizes",
                                     b_sizes   ? b_sizes
                                     : b_quick ? "64,96x64"
                                               : "512,1024,4000x3000",
                                     style_side, false, sizes[SIZES_MAIN]);
  n_sizes[SIZES_GATYS] = parse_sizes ("--gatys-sizes",
                                      b_gatys_sizes ? b_gatys_sizes
                                      : b_quick     ? "48"
                                                    : "256,512",
                                      0, true, sizes[SIZES_GATYS]);
  if (b_preview_size)
    preview = parse_pos ("--preview-size", b_preview_size, 4096);
  else if (b_quick)
    preview = 64;
  if (preview < 22)
    bench_usage ("--preview-size: below 22 pixels");
  {
    /* The dialog's quick pass for a layer larger than the design size
       (ns-dialog-preview.c, load_style): a 4:3 content at the preview
       size, the style at style-size * preview / design-size. */
    ns_params d = ns_params_default ();
    bench_size *p = &sizes[SIZES_PREVIEW][0];
    int target = (int) lround ((double) d.style_size * preview /
                               (d.design_size > 0 ? d.design_size : preview));
    p->w = preview;
    p->h = (int) lround (preview * 0.75);
    p->sw = p->sh = CLAMP (target, 32, 1024);
    n_sizes[SIZES_PREVIEW] = 1;
  }
  if (b_threads)
    threads = parse_pos ("--threads", b_threads, 1024);
  else
    threads = (int) sysconf (_SC_NPROCESSORS_ONLN);
  if (threads < 1)
    threads = 1;
  if (b_repeat)
    repeat = parse_pos ("--repeat", b_repeat, 100);
  if (b_bf16_max)
    {
      char *end;
      bf16_max_mpix = g_ascii_strtod (b_bf16_max, &end);
      if (end == b_bf16_max || *end || !(bf16_max_mpix >= 0.0))
        bench_usage ("--torch-bf16-max-mpix: '%s' is not a number", b_bf16_max);
    }
  for (size_t r = 0; r < N_ROWS; r++)
    use_row[r] = !b_rows;
  if (b_rows)
    {
      char **parts = g_strsplit (b_rows, ",", -1);
      for (int i = 0; parts[i]; i++)
        {
          bool found = false;
          for (size_t r = 0; r < N_ROWS; r++)
            if (strcmp (parts[i], rows[r].name) == 0 ||
                strcmp (parts[i], "all") == 0 ||
                (strcmp (parts[i], "fast") == 0 &&
                 rows[r].model == BENCH_FAST && rows[r].kind == KIND_STYLIZE) ||
                (strcmp (parts[i], "issue10") == 0 && rows[r].issue == 10) ||
                (strcmp (parts[i], "issue11") == 0 && rows[r].issue == 11))
              use_row[r] = found = true;
          if (!found)
            {
              GString *names = g_string_new (NULL);
              for (size_t r = 0; r < N_ROWS; r++)
                g_string_append_printf (names, "%s, ", rows[r].name);
              bench_usage ("--rows: unknown row '%s' (%sfast, issue10, "
                           "issue11, all)",
                           parts[i], names->str);
            }
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
          if (k == 1 && !ns_dnnl_built ())
            bench_usage ("--precisions: fp32 needs oneDNN (not built)");
          use_prec[k] = true;
        }
      g_strfreev (parts);
    }

  python = g_strdup (b_python ? b_python : "/usr/bin/python3");
  if (b_script)
    script = g_strdup (b_script);
  else if (g_getenv ("NS_BENCH_TORCH_SCRIPT"))
    script = g_strdup (g_getenv ("NS_BENCH_TORCH_SCRIPT"));
  else
    script = g_build_filename (NS_BENCH_SOURCE_ROOT, "tools", "bench",
                               "bench_torch.py", NULL);
  if (b_no_torch)
    g_ptr_array_add (notes, g_strdup ("PyTorch columns skipped (--no-torch)"));
  else if (!g_file_test (script, G_FILE_TEST_IS_REGULAR))
    g_ptr_array_add (notes,
                     g_strdup_printf ("PyTorch columns skipped: %s not found "
                                      "(--torch-script)",
                                      script));
  else if (!(torch = torch_available (python, why, sizeof why, &torch_rss)))
    g_ptr_array_add (notes,
                     g_strdup_printf ("PyTorch columns skipped: %s", why));
  else
    {
      torch_version (python, tver, sizeof tver);
      g_ptr_array_add (
          notes, g_strdup_printf ("PyTorch's peak RSS includes the interpreter "
                                  "and the torch library: %.0f MiB for `import "
                                  "torch` alone",
                                  torch_rss));
    }

  model_dir[BENCH_CD16X] = find_model (b_cd16x, "cd16x", NS_MODEL_CD16X);
  model_dir[BENCH_FAST] = find_model (b_fast, "fast-ncnn", NS_MODEL_AUTO);
  model_dir[BENCH_MICROAST] = find_model (b_microast, "microast",
                                          NS_MODEL_MICROAST);
  for (size_t r = 0; r < N_ROWS; r++)
    if (use_row[r] && rows[r].model != BENCH_VGG19 && !model_dir[rows[r].model])
      {
        g_ptr_array_add (notes, g_strdup_printf ("%s skipped: no model (give "
                                                 "its folder, see --help)",
                                                 rows[r].name));
        use_row[r] = false;
      }

  /* The canonical AdaIN weights are 80 MB; random ones of the same shapes
   * and layout time the same. */
  {
    bool need_vgg = false;
    for (size_t r = 0; r < N_ROWS; r++)
      need_vgg |= use_row[r] && rows[r].model == BENCH_VGG19;
    if (need_vgg && !torch)
      {
        g_ptr_array_add (notes, g_strdup ("VGG-19 rows skipped: their random "
                                          "weights are written by PyTorch"));
        for (size_t r = 0; r < N_ROWS; r++)
          if (rows[r].model == BENCH_VGG19)
            use_row[r] = false;
      }
    else if (need_vgg)
      {
        char *dir_script = g_path_get_dirname (script);
        char *maker = g_build_filename (dir_script, "make_random_vgg19.py",
                                        NULL);
        bench_result made;
        char *vgg_dir = g_dir_make_tmp ("ns-bench-XXXXXX", &error);
        if (!vgg_dir)
          {
            g_ptr_array_add (notes, g_strdup_printf ("VGG-19 rows skipped: %s",
                                                     error->message));
            g_clear_error (&error);
          }
        else
          {
            char *argv2[] = { python, maker, vgg_dir, NULL };
            fprintf (stderr,
                     "ns-bench: writing random VGG-19 weights into %s\n",
                     vgg_dir);
            bench_exec (argv2, &made);
            if (!made.ok)
              {
                g_ptr_array_add (notes,
                                 g_strdup_printf ("VGG-19 rows skipped: %s "
                                                  "failed: %s",
                                                  maker, made.msg));
                remove_tree (vgg_dir);
                g_free (vgg_dir);
                vgg_dir = NULL;
              }
          }
        model_dir[BENCH_VGG19] = vgg_dir;
        if (!vgg_dir)
          for (size_t r = 0; r < N_ROWS; r++)
            if (rows[r].model == BENCH_VGG19)
              use_row[r] = false;
        g_free (maker);
        g_free (dir_script);
      }
  }

  load_before = load_average ();
  now = g_date_time_new_now_utc ();
  stamp = g_date_time_format (now, "%Y-%m-%d %H:%M UTC");
  g_date_time_unref (now);

  cpu = cpu_model ();
  printf ("\nnstyle %s bench, %s: %d thread%s, best of %d run%s (contents "
          "over 4 Mpx: 1 run), model loading not timed\n",
          NS_VERSION, stamp, threads, threads == 1 ? "" : "s", repeat,
          repeat == 1 ? "" : "s");
  printf ("CPU: %s; oneDNN %s (ISA %s, native bf16: %s); PyTorch %s\n", cpu,
          ns_dnnl_built () ? ns_dnnl_version () : "not built",
          ns_dnnl_isa_name (), ns_dnnl_bf16_native () ? "yes" : "no",
          torch ? tver : "not run");
  printf ("load average at the start: %s\n\n", load_before);
  printf ("%-34s %-9s %-4s |%-26s|%-18s|%-18s| %s\n", "", "", "", " ours",
          " PyTorch fp32", " PyTorch bf16", "ours/PyTorch");
  printf ("%-34s %-9s %-4s | %8s %7s %8s | %8s %8s | %8s %8s | %6s %6s\n",
          "row", "size", "prec", "time s", "GFLOP/s", "peak MiB", "time s",
          "peak MiB", "time s", "peak MiB", "fp32", "bf16");
  /* Size-major (every row at its first size, then at its second, ...),
     each row printed as soon as it is measured: an interrupted run still
     has whole rows. */
  for (int s = 0; s < MAX_SIZES; s++)
    for (size_t r = 0; r < N_ROWS; r++)
      {
        const bench_row *row = &rows[r];
        const bench_size *sz = &sizes[row->sizes][s];
        double mpix = (double) sz->w * sz->h / 1e6;
        int rep = mpix > 4.0 ? 1 : repeat;
        char *sn;

        if (s >= n_sizes[row->sizes] || !use_row[r])
          continue;
        /* nstyle's render differs from the one pass only above the
           design size. */
        if (row->kind == KIND_RENDER &&
            MAX (sz->w, sz->h) <= ns_params_default ().design_size)
          continue;
        sn = size_name (sz);
        fprintf (stderr, "ns-bench: %s %s:", row->name, sn);
        for (int p = 0; p < N_PREC; p++)
          {
            bench_result *o = &ours[r][s][p];
            bench_job job = {
              row, model_dir[row->model], *sz, threads, rep, p
            };
            if (!use_prec[p])
              continue;
            memset (o, 0, sizeof *o);
            if (p == 2 && row->kind == KIND_GATYS)
              {
                o->na = true;
                g_strlcpy (o->msg, "the Gatys method runs fp32", sizeof o->msg);
                continue;
              }
            if (p == 2 && !ns_dnnl_bf16_native ())
              {
                o->na = true;
                g_strlcpy (o->msg,
                           ns_dnnl_built () ? "this CPU has no native bf16"
                                            : "built without oneDNN",
                           sizeof o->msg);
                continue;
              }
            fprintf (stderr, " %s...", prec_names[p]);
            bench_ours (&job, o);
            if (o->ok)
              fprintf (stderr, " %.3f s", o->seconds);
            else
              fprintf (stderr, " failed: %s", o->msg);
          }
        for (int d = 0; d < 2 && torch && row->torch; d++)
          {
            char w_s[16], h_s[16], sw_s[16], sh_s[16], thr_s[16], rep_s[16];
            char *argv2[] = { python,
                              script,
                              "--net",
                              (char *) row->torch,
                              "--width",
                              w_s,
                              "--height",
                              h_s,
                              "--style-width",
                              sw_s,
                              "--style-height",
                              sh_s,
                              "--threads",
                              thr_s,
                              "--repeat",
                              rep_s,
                              "--model-dir",
                              model_dir[row->model],
                              "--dtype",
                              d ? "bf16" : "fp32",
                              "--fast-style",
                              (char *) (row->fast_style ? row->fast_style
                                                        : "candy"),
                              NULL };
            bench_result *t = &theirs[r][s][d];
            if (d == 1 && !row->torch_bf16)
              continue;
            if (d == 1 && bf16_max_mpix > 0.0 && mpix > bf16_max_mpix)
              {
                t->na = true;
                continue;
              }
            torch_run[r][s][d] = true;
            g_snprintf (w_s, sizeof w_s, "%d", sz->w);
            g_snprintf (h_s, sizeof h_s, "%d", sz->h);
            g_snprintf (sw_s, sizeof sw_s, "%d", sz->sw);
            g_snprintf (sh_s, sizeof sh_s, "%d", sz->sh);
            g_snprintf (thr_s, sizeof thr_s, "%d", threads);
            g_snprintf (rep_s, sizeof rep_s, "%d", rep);
            fprintf (stderr, ", torch %s...", d ? "bf16" : "fp32");
            bench_exec (argv2, t);
            if (t->ok)
              fprintf (stderr, " %.3f s", t->seconds);
            else
              fprintf (stderr, " failed: %s", t->msg);
          }
        fprintf (stderr, "\n");
        g_free (sn);
        print_row (row, r, s, sz, use_prec, notes);
      }
  load_after = load_average ();
  printf ("load average at the end: %s\n", load_after);
  printf ("\nNotes:\n");
  printf ("  - stylization rows: one pass at full size (design-size 0), "
          "the style at the size shown (N: N x N; WxH: %d x %d), as the "
          "PyTorch reference computes; 'nstyle render' rows: nstyle's "
          "default parameters (composition at %d px, shallow levels in "
          "tiles), no PyTorch counterpart\n",
          style_side, style_side, ns_params_default ().design_size);
  printf ("  - Gatys rows: seconds per objective evaluation (forward + "
          "backward to the image; content weight 1, style 30, TV 1e-3), the "
          "style at the content's size, after one warm-up evaluation; our "
          "Gatys runs fp32 whatever the precision\n");
  printf ("  - preview rows: content %dx%d, style %dx%d (the dialog's quick "
          "pass for a layer larger than the design size); strength change: "
          "the dialog's kept context, cached encodings reused (no PyTorch "
          "counterpart)\n",
          sizes[SIZES_PREVIEW][0].w, sizes[SIZES_PREVIEW][0].h,
          sizes[SIZES_PREVIEW][0].sw, sizes[SIZES_PREVIEW][0].sh);
  printf ("  - prec: our convolution arithmetic (own kernels, oneDNN fp32, "
          "oneDNN bf16); n/a: not measurable here (bf16: %s)\n",
          !ns_dnnl_built ()         ? "built without oneDNN"
          : !ns_dnnl_bf16_native () ? "this CPU has no native bf16"
                                    : "Gatys runs fp32");
  if (torch && bf16_max_mpix > 0.0)
    printf ("  - PyTorch bf16 autocast run up to %.2f Mpx of content "
            "(--torch-bf16-max-mpix); '-' above\n",
            bf16_max_mpix);
  printf ("  - GFLOP/s: convolutions of the engine's networks ('-': not "
          "counted); peak MiB: peak RSS of the measurement's own process\n");
  for (guint i = 0; i < notes->len; i++)
    printf ("  - %s\n", (char *) notes->pdata[i]);
  if (model_dir[BENCH_VGG19])
    remove_tree (model_dir[BENCH_VGG19]);
  for (int m = 0; m < BENCH_N_MODELS; m++)
    g_free (model_dir[m]);
  g_free (script);
  g_free (python);
  g_free (cpu);
  g_free (stamp);
  g_free (load_before);
  g_free (load_after);
  g_ptr_array_free (notes, TRUE);
  return BENCH_EXIT_OK;
}
