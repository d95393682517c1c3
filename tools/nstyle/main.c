/* nstyle — neural style transfer from the command line.
 *
 *   nstyle -c content.jpg -s style.jpg -o out.png [options]
 *
 * Exit codes: see NST_EXIT_* in nstyle.h and the --help text. */
#include "config.h"
#include "models-cmd.h"
#include "nstyle.h"

#include <errno.h>
#include <locale.h>
#include <glib/gstdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------ options */

/* Options of nstyle alone; those for the fields of ns_params come from the
 * engine's parameter table (options.c). */
static char *opt_content;
static char **opt_styles;
static char *opt_output;
static char *opt_model;
static char *opt_weights;
static char *opt_mask;
static char *opt_size;
static char *opt_threads;
static gboolean opt_quiet;
static gboolean opt_version;
static gboolean opt_print_model_dirs;
static char *opt_fast_style;
static gboolean opt_list_fast_styles;

/* Numbers are taken as strings and parsed by us, so a bad value gets a
 * message naming the option and exit code 2. */
static const GOptionEntry files_entries[] = {
  { "content", 'c', 0, G_OPTION_ARG_FILENAME, &opt_content,
    N_ ("Content image (PNG, JPEG or TIFF)"), "FILE" },
  { "style", 's', 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_styles,
    N_ ("Style image; repeat for several styles"), "FILE" },
  { "fast-style", 0, 0, G_OPTION_ARG_STRING, &opt_fast_style,
    N_ ("Use the installed fast style NAME instead of style images (-s is then "
        "refused; 'help' lists the styles)"),
    "NAME" },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output,
    N_ ("Output image; format from the extension (.png, .jpg, .tif)"), "FILE" },
  { "model", 0, 0, G_OPTION_ARG_FILENAME, &opt_model,
    N_ ("Folder with the model's files (default: see MODELS below)"), "DIR" },
  { NULL }
};

static const GOptionEntry other_entries[] = {
  { "style-weights", 0, 0, G_OPTION_ARG_STRING, &opt_weights,
    N_ ("Comma-separated weights, one per style (default: equal)"), "W,W,..." },
  { "mask", 0, 0, G_OPTION_ARG_FILENAME, &opt_mask,
    N_ ("Grayscale mask (white = style 1, black = style 2 or the original)"),
    "FILE" },
  { "size", 0, 0, G_OPTION_ARG_STRING, &opt_size,
    N_ ("Resize the content's long side to N first (default: keep)"), "N" },
  { "threads", 't', 0, G_OPTION_ARG_STRING, &opt_threads,
    N_ ("Worker threads (default: all cores)"), "N" },
  { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet,
    N_ ("No progress bar and no timing"), NULL },
  { "list-fast-styles", 0, 0, G_OPTION_ARG_NONE, &opt_list_fast_styles,
    N_ ("Print the installed fast styles (in --model DIR or the model folders) "
        "and exit"),
    NULL },
  { "print-model-dirs", 0, 0, G_OPTION_ARG_NONE, &opt_print_model_dirs,
    N_ ("Print the folders searched for models, in order, and exit"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
    N_ ("Print the version and exit"), NULL },
  { NULL }
};

static const char summary[] = N_ (
    "Transfers the style of one or more pictures onto a content picture.\n"
    "\n"
    "Example:\n"
    "  nstyle -c photo.jpg -s starry_night.jpg --size 1024 -o out.png\n"
    "  nstyle -c photo.jpg --fast-style candy -o out.png\n"
    "\n"
    "Gatys optimisation options: nstyle --help-gatys\n"
    "Models: nstyle models list|install|verify (nstyle models --help)");

static char *
make_description (void)
{
  char *models = nst_model_describe ();
  char *d = g_strdup_printf (
      _ ("%s"
         "\n"
         "EXIT STATUS\n"
         "  0 success, 2 usage error, 3 unreadable or corrupt image,\n"
         "  4 model missing or corrupt, 5 engine failure,\n"
         "  6 output cannot be written, 130 interrupted (Ctrl-C, SIGTERM,\n"
         "  SIGHUP).  On failure or interruption no output file is left\n"
         "  behind: the output is written to a temporary file beside it,\n"
         "  renamed at the end and removed on any error or signal that can\n"
         "  be caught (not SIGKILL).\n"
         "\n"
         "INPUTS\n"
         "  An input is never replaced: an output that is the same file as\n"
         "  the content, a style, the mask or the --init image (also\n"
         "  through a link) is refused (exit 2).\n"
         "  A truncated or corrupt image is an error (exit 3), never\n"
         "  completed with grey; images must be at least %dx%d pixels and\n"
         "  at most %d per side; an animation gives its first frame.\n"
         "\n"
         "MEMORY\n"
         "  Contents over %d pixels are rendered from their 8-bit pixels in\n"
         "  tiles that fit --memory-budget (else NS_MEMORY_LIMIT_MB, else the\n"
         "  smaller of 2 GiB and half the RAM); what cannot fit is refused\n"
         "  (exit 5) before it is decoded or allocated.\n"),
      models, NS_MIN_SIZE, NS_MIN_SIZE, NS_MAX_SIZE, NST_STREAM_ABOVE);
  g_free (models);
  return d;
}

/* ------------------------------------------------------------ parsing */

static long
parse_int (const char *opt, const char *s, long lo, long hi)
{
  char *end;
  long v;
  errno = 0;
  v = strtol (s, &end, 10);
  if (errno != 0 || end == s || *end != '\0')
    nst_usage_error (_ ("%s: '%s' is not a whole number"), opt, s);
  if (v < lo || v > hi)
    nst_usage_error (_ ("%s: %ld is outside [%ld, %ld]"), opt, v, lo, hi);
  return v;
}

static double
parse_double (const char *opt, const char *s, double lo, double hi)
{
  char *end;
  double v;
  errno = 0;
  v = g_ascii_strtod (s, &end);
  if (errno != 0 || end == s || *end != '\0' || !isfinite (v))
    nst_usage_error (_ ("%s: '%s' is not a number"), opt, s);
  if (v < lo || v > hi)
    nst_usage_error (_ ("%s: %g is outside [%g, %g]"), opt, v, lo, hi);
  return v;
}

/* ------------------------------------------------------------ progress */

typedef struct
{
  bool bar;
  gint64 start;
  gint64 last_draw;
  int last_percent;
  const char *last_stage;
} progress_state;

static bool
on_progress (float fraction, const char *stage, void *user_data)
{
  progress_state *ps = user_data;

  if (nst_interrupted ())
    return false;
  if (ps->bar)
    {
      gint64 now = g_get_monotonic_time ();
      int percent = (int) (fraction * 100.0f + 0.5f);
      if (percent != ps->last_percent || stage != ps->last_stage)
        if (now - ps->last_draw > 100000 || percent == 100)
          {
            char bar[31];
            int filled = (int) (fraction * 30.0f);
            for (int i = 0; i < 30; i++)
              bar[i] = i < filled ? '#' : '.';
            bar[30] = '\0';
            fprintf (stderr, "\r[%s] %3d%%  %-24.24s %6.1f s", bar, percent,
                     stage ? stage : "", (now - ps->start) / 1e6);
            fflush (stderr);
            ps->last_draw = now;
            ps->last_percent = percent;
            ps->last_stage = stage;
          }
    }
  return true;
}

static void
progress_clear (progress_state *ps)
{
  if (ps->bar && ps->last_draw)
    {
      fprintf (stderr, "\r%78s\r", "");
      fflush (stderr);
    }
}

/* --------------------------------------------------------------- main */

static int
exit_code_for_status (ns_status s)
{
  switch (s)
    {
    case NS_OK:
      return NST_EXIT_OK;
    case NS_ERR_CANCELLED:
      return NST_EXIT_CANCELLED;
    default:
      return NST_EXIT_ENGINE;
    }
}

/* Prints the fast styles installed (one per line, on stdout). */
static int
list_fast_styles (void)
{
  char *dir = nst_fast_find (opt_model);
  char **names;
  int code = NST_EXIT_OK;

  if (!dir)
    return NST_EXIT_MODEL;
  names = ns_fast_styles_list (dir);
  if (!names)
    {
      fprintf (stderr, _ ("nstyle: out of memory\n"));
      g_free (dir);
      return NST_EXIT_ENGINE;
    }
  if (!names[0])
    {
      fprintf (stderr, _ ("nstyle: no fast styles (STYLE.bin files) in %s\n"),
               dir);
      nst_fast_print_help ();
      code = NST_EXIT_MODEL;
    }
  for (int i = 0; names[i]; i++)
    printf ("%s\n", names[i]);
  ns_strv_free (names);
  g_free (dir);
  return code;
}

/* Loads the fast style opt_fast_style; on failure prints why and sets
 * *CODE. */
static ns_model *
load_fast_style (int *code)
{
  ns_model *model = NULL;
  ns_error err;
  char *dir = nst_fast_find (opt_model);
  char **names;
  bool known = false;

  *code = NST_EXIT_MODEL;
  if (!dir)
    return NULL;
  names = ns_fast_styles_list (dir);
  if (!names)
    {
      fprintf (stderr, _ ("nstyle: out of memory\n"));
      g_free (dir);
      *code = NST_EXIT_ENGINE;
      return NULL;
    }
  for (int i = 0; names[i]; i++)
    known = known || strcmp (names[i], opt_fast_style) == 0;
  if (!known)
    {
      char *list = g_strjoinv (", ", names);
      if (names[0])
        fprintf (stderr,
                 _ ("nstyle: no fast style '%s' in %s; installed: %s\n"),
                 opt_fast_style, dir, list);
      else
        {
          fprintf (stderr,
                   _ ("nstyle: no fast style '%s': %s has no fast styles "
                      "(STYLE.bin files)\n"),
                   opt_fast_style, dir);
          nst_fast_print_help ();
        }
      g_free (list);
      ns_strv_free (names);
      g_free (dir);
      return NULL;
    }
  ns_strv_free (names);
  if (ns_model_load_fast (dir, opt_fast_style, &model, &err) != NS_OK)
    {
      fprintf (stderr, _ ("nstyle: cannot load the fast style %s in %s: %s\n"),
               opt_fast_style, dir, err.message);
      if (err.status == NS_ERR_NOMEM || err.status == NS_ERR_INTERNAL)
        *code = NST_EXIT_ENGINE;
      else
        fprintf (stderr,
                 _ ("The style's files may be damaged or incomplete.\n"));
      g_free (dir);
      return NULL;
    }
  g_free (dir);
  *code = NST_EXIT_OK;
  return model;
}

/* Finds and loads the model METHOD needs (METHOD_GIVEN: the user chose
 * it): the fast style, a MicroAST model, or a VGG-based one (cd16x, vgg19,
 * lst-r31).  On failure prints why and sets *CODE. */
static ns_model *
load_model (ns_method method, bool method_given, int *code)
{
  ns_model *model = NULL;
  ns_error err;
  ns_model_kind kind = NS_MODEL_AUTO;
  char *dir;

  if (method == NS_METHOD_FAST)
    return load_fast_style (code);
  if (method_given && method == NS_METHOD_MICROAST)
    kind = NS_MODEL_MICROAST;
  if (opt_model)
    {
      if (!g_file_test (opt_model, G_FILE_TEST_IS_DIR))
        {
          if (g_file_test (opt_model, G_FILE_TEST_EXISTS))
            fprintf (stderr,
                     _ ("nstyle: --model %s is a file, not a folder: give the "
                        "folder that holds the model's files\n"),
                     opt_model);
          else
            fprintf (stderr, _ ("nstyle: model folder %s does not exist\n"),
                     opt_model);
          nst_model_print_help (kind);
          *code = NST_EXIT_MODEL;
          return NULL;
        }
      dir = g_strdup (opt_model);
    }
  else
    {
      /* A chosen VGG method: a VGG-based model even when a MicroAST one
       * comes first. */
      dir = method_given && kind == NS_MODEL_AUTO ? nst_model_find_vgg ()
                                                  : NULL;
      if (!dir && !(method_given && kind == NS_MODEL_AUTO))
        {
          dir = nst_model_find (kind, &err);
          if (!dir)
            {
              fprintf (stderr, "nstyle: %s\n", err.message);
              *code = NST_EXIT_MODEL;
              return NULL;
            }
        }
      else if (!dir)
        {
          fprintf (stderr,
                   _ ("nstyle: no VGG-based model (cd16x, vgg19 or lst-r31) "
                      "found for --method %s; the folders searched are:\n"),
                   ns_method_name (method));
          {
            char **dirs = ns_model_dirs (NULL, NULL);
            for (int i = 0; dirs && dirs[i]; i++)
              fprintf (stderr, "  %s\n", dirs[i]);
            ns_strv_free (dirs);
          }
          nst_model_print_help (NS_MODEL_CD16X);
          *code = NST_EXIT_MODEL;
          return NULL;
        }
    }
  if (ns_model_load (dir, kind, &model, &err) != NS_OK)
    {
      fprintf (stderr, _ ("nstyle: cannot load the %smodel in %s: %s\n"),
               kind == NS_MODEL_MICROAST ? "MicroAST " : "", dir, err.message);
      fprintf (stderr, _ ("The model's files may be damaged or incomplete.\n"));
      g_free (dir);
      if (err.status == NS_ERR_NOMEM || err.status == NS_ERR_INTERNAL)
        {
          *code = NST_EXIT_ENGINE;
          return NULL;
        }
      nst_model_print_help (kind);
      *code = NST_EXIT_MODEL;
      return NULL;
    }
  if (method_given && method != NS_METHOD_MICROAST &&
      ns_model_get_kind (model) == NS_MODEL_MICROAST)
    {
      fprintf (
          stderr,
          _ ("nstyle: the model in %s is a MicroAST model, which runs only "
             "--method microast; --method %s needs a cd16x, vgg19 or "
             "lst-r31 model\n"),
          dir, ns_method_name (method));
      g_free (dir);
      ns_model_free (model);
      *code = NST_EXIT_MODEL;
      return NULL;
    }
  g_free (dir);
  return model;
}

/* Prints why an image could not be read and returns the exit code. */
static int
image_failure (const char *what, GError *error)
{
  if (g_error_matches (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_INTERRUPTED))
    {
      fprintf (stderr, _ ("nstyle: interrupted while reading the images; no "
                          "output written\n"));
      return NST_EXIT_CANCELLED;
    }
  fprintf (stderr, _ ("nstyle: cannot read %s: %s\n"), what, error->message);
  if (g_error_matches (error, NST_IMAGE_ERROR, NST_IMAGE_ERROR_NOMEM))
    return NST_EXIT_ENGINE;
  return NST_EXIT_IMAGE;
}

/* An image the engine cannot take (NS_MIN_SIZE): exit 3. */
static bool
big_enough (int w, int h, const char *what, const char *path, const char *hint)
{
  if (w >= NS_MIN_SIZE && h >= NS_MIN_SIZE)
    return true;
  fprintf (stderr,
           _ ("nstyle: %s %s is %dx%d pixels: each side must be at least %d "
              "pixels%s\n"),
           what, path, w, h, NS_MIN_SIZE, hint);
  return false;
}

/* A size option is 0 (off) or at least the engine's smallest side. */
static void
check_size_option (const char *option, int v)
{
  if (v > 0 && v < NS_MIN_SIZE)
    nst_usage_error (_ ("%s: %d is below the smallest size, %d pixels (0 for "
                        "no limit)"),
                     option, v, NS_MIN_SIZE);
}

/* Refuses (exit 2) an output that is the same file as an input: rename ()
 * would replace it.  Compares device and inode, so links count too. */
static void
check_not_an_input (const char *output, const char *input, const char *what)
{
  GStatBuf so, si;

  if (!input || g_stat (output, &so) != 0 || g_stat (input, &si) != 0)
    return;
  if (so.st_dev == si.st_dev && so.st_ino == si.st_ino)
    nst_usage_error (_ ("-o %s is the same file as the %s %s: nstyle never "
                        "replaces an input; choose another output file"),
                     output, what, input);
}

static int
stylize_main (int argc, char **argv)
{
  GOptionContext *octx;
  GOptionGroup *gatys;
  GError *error = NULL;
  char *desc;
  ns_params params = ns_params_default ();
  bool method_given = false;
  int n_styles, size = 0;
  double *weights = NULL;
  ns_image content = { 0 }, out = { 0 }, init = { 0 };
  ns_mask mask = { 0 };
  const char *init_file = NULL;
  float *alpha = NULL;
  ns_image *styles_img = NULL;
  ns_style *styles = NULL;
  ns_model *model = NULL;
  ns_context *ctx = NULL;
  ns_error err;
  ns_status st;
  char *tmp_path;
  progress_state ps = { 0 };
  gint64 t0 = g_get_monotonic_time (), t_run;
  const char *out_type;
  GdkPixbuf *content_pb = NULL, *out_pb = NULL;
  nst_stream sio = { 0 };
  ns_stream io;
  ns_render_info info = { 0 };
  ns_style no_style = { 0 };
  double extra = 0.0;
  bool stream = false, resize, keep_alpha;
  int cw, ch;

  octx = g_option_context_new (_ ("- neural style transfer"));
  g_option_context_set_summary (octx, _ (summary));
  desc = make_description ();
  g_option_context_set_description (octx, desc);
  g_option_context_add_main_entries (octx, files_entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (octx, nst_param_entries (false), NULL);
  g_option_context_add_main_entries (octx, other_entries, GETTEXT_PACKAGE);
  gatys = g_option_group_new ("gatys",
                              _ ("Gatys optimisation (--method gatys):"),
                              _ ("Show the Gatys options"), NULL, NULL);
  g_option_group_add_entries (gatys, nst_param_entries (true));
  g_option_context_add_group (octx, gatys);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      static char *msg; /* static: still reachable when exit () runs */
      msg = g_strdup (error->message);
      g_error_free (error);
      g_option_context_free (octx);
      g_free (desc);
      nst_usage_error ("%s", msg);
    }
  g_option_context_free (octx);
  g_free (desc);

  if (opt_version)
    {
      printf ("nstyle %s\n", NS_VERSION);
      return NST_EXIT_OK;
    }
  if (opt_print_model_dirs)
    return nst_model_print_dirs () ? NST_EXIT_OK : NST_EXIT_ENGINE;
  if (argc > 1)
    nst_usage_error (_ ("unexpected argument '%s'"), argv[1]);
  if (opt_list_fast_styles ||
      (opt_fast_style && strcmp (opt_fast_style, "help") == 0))
    return list_fast_styles ();
  if (!opt_content)
    nst_usage_error (_ ("missing the content image (-c FILE)"));
  if (opt_fast_style)
    {
      if (opt_styles && opt_styles[0])
        nst_usage_error (_ ("-s and --fast-style cannot go together: a fast "
                            "style has its painting built in"));
      if (opt_weights)
        nst_usage_error (_ ("--style-weights does not apply to --fast-style"));
      if (!opt_fast_style[0])
        nst_usage_error (
            _ ("--fast-style: empty style name (--list-fast-styles "
               "lists them)"));
    }
  else if (!opt_styles || !opt_styles[0])
    nst_usage_error (_ ("missing a style image (-s FILE) or a fast style "
                        "(--fast-style NAME)"));
  if (!opt_output)
    nst_usage_error (_ ("missing the output file (-o FILE)"));
  n_styles = opt_styles ? (int) g_strv_length (opt_styles) : 0;

  /* Check every option before any slow work. */
  nst_param_apply (&params, &method_given, &init_file);
  if (opt_fast_style)
    {
      if (method_given && params.method != NS_METHOD_FAST)
        nst_usage_error (_ ("--fast-style runs the fast-style method, not "
                            "--method %s"),
                         ns_method_name (params.method));
      params.method = NS_METHOD_FAST;
      method_given = true;
    }
  else if (method_given && params.method == NS_METHOD_FAST)
    nst_usage_error (_ ("--method fast-style needs --fast-style NAME "
                        "(--list-fast-styles lists them)"));
  if (opt_size)
    size = (int) parse_int ("--size", opt_size, 0, 65536);
  if (opt_threads)
    params.n_threads = (int) parse_int ("--threads", opt_threads, 0, 1024);
  if (opt_weights)
    {
      char **parts = g_strsplit (opt_weights, ",", -1);
      int n = (int) g_strv_length (parts);
      double sum = 0;
      if (n != n_styles)
        nst_usage_error (_ ("--style-weights: %d weight%s for %d style%s"), n,
                         n == 1 ? "" : "s", n_styles, n_styles == 1 ? "" : "s");
      weights = g_new (double, n);
      for (int i = 0; i < n; i++)
        {
          weights[i] = parse_double ("--style-weights", g_strstrip (parts[i]),
                                     0.0, 1e6);
          sum += weights[i];
        }
      if (!(sum > 0))
        nst_usage_error (_ ("--style-weights: the weights add up to 0"));
      g_strfreev (parts);
    }
  if (opt_mask && n_styles > 2)
    nst_usage_error (_ ("--mask works with one or two styles, not %d"),
                     n_styles);
  check_size_option ("--size", size);
  check_size_option ("--max-size", params.max_size);
  check_size_option ("--style-size", params.style_size);
  out_type = nst_image_type_for_path (opt_output);
  if (!out_type)
    nst_usage_error (
        _ ("-o %s: unknown output format (use .png, .jpg or .tif)"),
        opt_output);
  check_not_an_input (opt_output, opt_content, _ ("content image"));
  for (int i = 0; i < n_styles; i++)
    {
      char what[32];
      g_snprintf (what, sizeof what, _ ("style image %d"), i + 1);
      check_not_an_input (opt_output, opt_styles[i], what);
    }
  check_not_an_input (opt_output, opt_mask, _ ("mask"));
  check_not_an_input (opt_output, init_file, _ ("--init image"));

  /* Fail early, before the slow part, when the output cannot be written. */
  if (g_file_test (opt_output, G_FILE_TEST_IS_DIR))
    {
      fprintf (stderr, _ ("nstyle: cannot write %s: it is a folder\n"),
               opt_output);
      return NST_EXIT_OUTPUT;
    }
  /* The handlers first, so that no signal can leave the temporary file. */
  nst_signals_install ();
  tmp_path = nst_reserve_temp (opt_output, &error);
  if (!tmp_path)
    {
      fprintf (stderr, _ ("nstyle: cannot write %s: %s\n"), opt_output,
               error->message);
      g_error_free (error);
      return NST_EXIT_OUTPUT;
    }
  if (!nst_signals_set_temp (tmp_path))
    {
      fprintf (stderr, _ ("nstyle: cannot write %s: the path is too long\n"),
               opt_output);
      g_unlink (tmp_path);
      g_free (tmp_path);
      return NST_EXIT_OUTPUT;
    }

  /* From here on, every exit path removes TMP_PATH: exit() runs no
   * cleanup, so use goto. */
  {
    int code = NST_EXIT_OK;

#define FAIL(c)   \
  do              \
    {             \
      code = (c); \
      goto done;  \
    }             \
  while (0)

    styles_img = g_new0 (ns_image, n_styles);
    styles = g_new0 (ns_style, n_styles);

    /* A content too large for the budget even as 8-bit pixels is refused
     * from its header, before decoding. */
    if (nst_image_size (opt_content, &cw, &ch) &&
        !nst_stream_precheck (opt_content, cw, ch, &params, &error))
      FAIL (image_failure (_ ("the content image"), error));
    content_pb = nst_pixbuf_load (opt_content, &error);
    if (!content_pb)
      FAIL (image_failure (_ ("the content image"), error));
    cw = gdk_pixbuf_get_width (content_pb);
    ch = gdk_pixbuf_get_height (content_pb);
    resize = size > 0 && MAX (cw, ch) != size;
    stream = (resize ? size : MAX (cw, ch)) > NST_STREAM_ABOVE;
    /* Small contents, and --size (resampled as float), as floats. */
    if (!stream || resize)
      {
        if (!nst_image_from_pixbuf (content_pb, opt_content, &content, &alpha,
                                    &error))
          FAIL (image_failure (_ ("the content image"), error));
        g_clear_object (&content_pb);
      }
    for (int i = 0; i < n_styles; i++)
      {
        char what[32];
        g_snprintf (what, sizeof what, _ ("style image %d"), i + 1);
        if (!nst_image_load (opt_styles[i], &styles_img[i], NULL, &error))
          FAIL (image_failure (what, error));
        if (!big_enough (styles_img[i].width, styles_img[i].height, what,
                         opt_styles[i], ""))
          FAIL (NST_EXIT_IMAGE);
        styles[i].image = &styles_img[i];
        styles[i].weight = weights ? (float) weights[i] : 1.0f;
      }
    if (!content_pb && !nst_resize_long_side (&content, &alpha, size))
      FAIL (NST_EXIT_ENGINE);
    if (!content_pb)
      {
        cw = content.width;
        ch = content.height;
      }
    if (!big_enough (cw, ch, _ ("the content image"), opt_content,
                     size ? "" : _ (" (--size N scales its long side to N)")))
      FAIL (NST_EXIT_IMAGE);
    if (opt_mask && !nst_mask_load (opt_mask, cw, ch, &mask, &error))
      FAIL (image_failure (_ ("the mask"), error));
    if (params.method == NS_METHOD_GATYS && params.gatys.init == NS_INIT_IMAGE)
      {
        ns_image raw;
        if (!nst_image_load (init_file, &raw, NULL, &error))
          FAIL (image_failure (_ ("the --init image"), error));
        if (raw.width != cw || raw.height != ch)
          {
            if (ns_image_resize (&raw, cw, ch, &init, &err) != NS_OK)
              {
                fprintf (stderr, "nstyle: %s\n", err.message);
                ns_image_free (&raw);
                FAIL (NST_EXIT_ENGINE);
              }
            ns_image_free (&raw);
          }
        else
          init = raw;
        params.gatys.init_image = &init;
      }
    if (nst_interrupted ())
      {
        fprintf (stderr, _ ("nstyle: interrupted while reading the images; no "
                            "output written\n"));
        FAIL (NST_EXIT_CANCELLED);
      }

    model = load_model (params.method, method_given, &code);
    /* The loader cannot be stopped midway; the request is honoured when it
     * returns. */
    if (nst_interrupted ())
      {
        fprintf (stderr, _ ("nstyle: interrupted while loading the model; no "
                            "output written\n"));
        FAIL (NST_EXIT_CANCELLED);
      }
    if (!model)
      goto done;
    if (!method_given)
      {
        if (ns_model_get_kind (model) == NS_MODEL_MICROAST)
          params.method = NS_METHOD_MICROAST;
        else
          params.method = ns_model_num_levels (model) > 1
                              ? NS_METHOD_CASCADE_ADAIN
                              : NS_METHOD_ADAIN;
      }

    keep_alpha = (content_pb ? gdk_pixbuf_get_has_alpha (content_pb)
                             : alpha != NULL) &&
                 strcmp (out_type, "jpeg") != 0;
    if (stream)
      {
        /* What nstyle holds through the render, charged to the budget
         * before the result is allocated: the process as it stands (the
         * decoded images, the model, the libraries) when Linux tells,
         * else the images counted; and the result. */
        double px = (double) cw * ch, held = nst_resident_bytes ();
        extra = content_pb ? (double) gdk_pixbuf_get_byte_length (content_pb)
                           : (alpha ? 16.0 : 12.0) * px;
        extra += (opt_mask ? 4.0 * px : 0.0) + (init.data ? 12.0 * px : 0.0);
        for (int i = 0; i < n_styles; i++)
          extra += 12.0 * styles_img[i].width * (double) styles_img[i].height;
        extra = MAX (extra, held) + (keep_alpha ? 4.0 : 3.0) * px;
        st = ns_render_plan (model, &params, cw, ch,
                             n_styles ? styles : &no_style, n_styles, extra,
                             &info, &err);
        if (st != NS_OK)
          {
            fprintf (stderr, "nstyle: %s\n", err.message);
            FAIL (exit_code_for_status (st));
          }
        out_pb = nst_output_new (opt_output, cw, ch, keep_alpha, &error);
        if (!out_pb)
          {
            fprintf (stderr, "nstyle: %s\n", error->message);
            FAIL (NST_EXIT_ENGINE);
          }
      }
    if ((!stream && ns_image_alloc (&out, cw, ch, &err) != NS_OK) ||
        ns_context_new (model, &ctx, &err) != NS_OK)
      {
        fprintf (stderr, "nstyle: %s\n", err.message);
        FAIL (NST_EXIT_ENGINE);
      }
    ps.bar = !opt_quiet && isatty (STDERR_FILENO);
    ps.start = g_get_monotonic_time ();
    ps.last_percent = -1;
    params.progress = on_progress;
    params.progress_user_data = &ps;
    if (!opt_quiet && opt_fast_style)
      fprintf (stderr, _ ("nstyle: %s %s, %dx%d, model %s"),
               ns_method_name (params.method), opt_fast_style, cw, ch,
               ns_model_kind_name (ns_model_get_kind (model)));
    else if (!opt_quiet)
      fprintf (stderr, _ ("nstyle: %s, %dx%d, %d style%s, model %s"),
               ns_method_name (params.method), cw, ch, n_styles,
               n_styles == 1 ? "" : "s",
               ns_model_kind_name (ns_model_get_kind (model)));
    /* The plan of a tiled render: where the composition is made. */
    if (!opt_quiet && stream &&
        (info.design_width != info.work_width ||
         info.design_height != info.work_height))
      fprintf (stderr, _ (", design %dx%d, tiles %d, %.0f of %.0f MB"),
               info.design_width, info.design_height, info.tile,
               info.bytes / 1048576.0, info.budget / 1048576.0);
    if (!opt_quiet)
      fprintf (stderr, "\n");
    t_run = g_get_monotonic_time ();
    if (stream)
      {
        sio = (nst_stream){ content_pb, &content, alpha,
                            opt_mask ? &mask : NULL, out_pb };
        nst_stream_io (&sio, &io);
        st = ns_render (ctx, &params, &io, n_styles ? styles : &no_style,
                        n_styles, extra, &info, &err);
      }
    else
      st = ns_stylize (ctx, &params, &content, styles, n_styles,
                       opt_mask ? &mask : NULL, &out, &err);
    progress_clear (&ps);
    if (st == NS_OK && nst_interrupted ())
      st = NS_ERR_CANCELLED;
    if (st == NS_ERR_CANCELLED)
      {
        fprintf (stderr, _ ("nstyle: interrupted; no output written\n"));
        FAIL (NST_EXIT_CANCELLED);
      }
    if (st != NS_OK)
      {
        fprintf (stderr, _ ("nstyle: stylization failed (%s): %s\n"),
                 ns_status_string (st), err.message);
        FAIL (exit_code_for_status (st));
      }
    t_run = g_get_monotonic_time () - t_run;
    if (stream ? !nst_pixbuf_save (opt_output, tmp_path, out_pb, &error)
               : !nst_image_save (opt_output, tmp_path, &out, alpha, &error))
      {
        fprintf (stderr, _ ("nstyle: cannot write the output: %s\n"),
                 error->message);
        FAIL (NST_EXIT_OUTPUT);
      }
    if (!opt_quiet)
      fprintf (stderr,
               _ ("nstyle: wrote %s (%dx%d) in %.2f s (stylization %.2f s, "
                  "%s)\n"),
               opt_output, cw, ch, (g_get_monotonic_time () - t0) / 1e6,
               t_run / 1e6, ns_precision_effective_name (params.precision));

  done:
    nst_signals_set_temp (NULL);
    if (code != NST_EXIT_OK)
      g_unlink (tmp_path);
    g_clear_error (&error);
    ns_context_free (ctx);
    ns_model_free (model);
    for (int i = 0; i < n_styles; i++)
      ns_image_free (&styles_img[i]);
    g_free (styles_img);
    g_free (styles);
    ns_image_free (&content);
    ns_image_free (&out);
    g_clear_object (&content_pb);
    g_clear_object (&out_pb);
    ns_mask_free (&mask);
    ns_image_free (&init);
    g_free (alpha);
    g_free (weights);
    g_free (tmp_path);
    return code;
#undef FAIL
  }
}

/* Messages in the user's language: the catalogue installed with nstyle,
 * or the one in $NS_LOCALEDIR (for the tests, and running from a build). */
static void
init_i18n (void)
{
  const char *dir = g_getenv ("NS_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, dir && dir[0] ? dir : NS_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

int
main (int argc, char **argv)
{
#ifdef M_MMAP_THRESHOLD
  /* glibc raises its mmap threshold (up to 32 MiB) each time a large
   * buffer is freed, then serves the next ones (tiles) from a heap it does
   * not give back: the peak RSS of a tiled render ran a third above the
   * memory budget.  A fixed threshold keeps large buffers mapped, returned
   * when freed. */
  mallopt (M_MMAP_THRESHOLD, 128 * 1024);
#endif
  init_i18n ();
  /* nstyle models ...: the model installer (models-cmd.c). */
  if (argc > 1 && strcmp (argv[1], "models") == 0)
    return nst_models_main (argc - 1, argv + 1);
  return stylize_main (argc, argv);
}
