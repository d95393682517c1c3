/* GIMP Neural Style — the plug-in-neural-style procedure.
 *
 * Reads the content layer and a style drawable (from any open image),
 * runs the engine in a worker thread (ns-worker.c) and writes the result
 * into a new layer above the content, inside one undo group.  Nothing is
 * written to the image until the engine has succeeded, so a failed or
 * cancelled run leaves the image exactly as it was.
 */
#include "config.h"

#include <string.h>

#include <libgimp/gimp.h>
#include <glib/gi18n-lib.h>

#include "ns-config.h"
#include "ns-dialog.h"
#include "ns-plugin.h"
#include "ns-models.h"
#include "ns-presets.h"

typedef struct _NsPlugIn
{
  GimpPlugIn parent_instance;
} NsPlugIn;
typedef struct _NsPlugInClass
{
  GimpPlugInClass parent_class;
} NsPlugInClass;

#define NS_TYPE_PLUG_IN (ns_plug_in_get_type ())
GType ns_plug_in_get_type (void) G_GNUC_CONST;

static GList *ns_plug_in_query_procedures (GimpPlugIn *plug_in);
static GimpProcedure *ns_plug_in_create_procedure (GimpPlugIn *plug_in,
                                                   const gchar *name);
static gboolean ns_plug_in_set_i18n (GimpPlugIn *plug_in,
                                     const gchar *procedure_name,
                                     gchar **gettext_domain,
                                     gchar **catalog_dir);
static GimpValueArray *ns_run (GimpProcedure *procedure, GimpRunMode run_mode,
                               GimpImage *image, GimpDrawable **drawables,
                               GimpProcedureConfig *config, gpointer run_data);

G_DEFINE_TYPE (NsPlugIn, ns_plug_in, GIMP_TYPE_PLUG_IN)

GIMP_MAIN (NS_TYPE_PLUG_IN)

enum
{
  OUTPUT_NEW_LAYER,
  OUTPUT_SELECTION_ON_COPY
};

static void
ns_plug_in_class_init (NsPlugInClass *klass)
{
  GimpPlugInClass *plug_in_class = GIMP_PLUG_IN_CLASS (klass);

  plug_in_class->query_procedures = ns_plug_in_query_procedures;
  plug_in_class->create_procedure = ns_plug_in_create_procedure;
  plug_in_class->set_i18n = ns_plug_in_set_i18n;
}

static void
ns_plug_in_init (NsPlugIn *plug_in)
{
}

static gboolean
ns_plug_in_set_i18n (GimpPlugIn *plug_in, const gchar *procedure_name,
                     gchar **gettext_domain, gchar **catalog_dir)
{
  /* Catalogs are installed in <plug-in folder>/locale (GIMP requires a
   * folder below the plug-in's own), under our own domain.  Without that
   * folder (an uninstalled build, no translations) GIMP would warn on
   * every start, so localization is then simply off. */
  gchar *dir = g_path_get_dirname (gimp_get_progname ());
  gchar *locale = g_build_filename (dir, "locale", NULL);
  gboolean have = g_file_test (locale, G_FILE_TEST_IS_DIR);

  g_free (locale);
  g_free (dir);
  if (!have)
    return FALSE;
  *gettext_domain = g_strdup (GETTEXT_PACKAGE);
  *catalog_dir = g_strdup ("locale");
  return TRUE;
}

static GList *
ns_plug_in_query_procedures (GimpPlugIn *plug_in)
{
  return g_list_append (NULL, g_strdup (NS_PLUG_IN_PROC));
}

static GimpProcedure *
ns_plug_in_create_procedure (GimpPlugIn *plug_in, const gchar *name)
{
  GimpProcedure *procedure;
  GimpChoice *choice;

  if (g_strcmp0 (name, NS_PLUG_IN_PROC) != 0)
    return NULL;

  procedure = gimp_image_procedure_new (plug_in, name,
                                        GIMP_PDB_PROC_TYPE_PLUGIN, ns_run, NULL,
                                        NULL);

  gimp_procedure_set_image_types (procedure, "RGB*, GRAY*");
  gimp_procedure_set_sensitivity_mask (procedure,
                                       GIMP_PROCEDURE_SENSITIVE_DRAWABLE);
  gimp_procedure_set_menu_label (procedure, _ ("Neural Style Transfer..."));
  gimp_procedure_add_menu_path (procedure, "<Image>/Filters/Artistic");
  gimp_procedure_set_documentation (
      procedure, _ ("Paint a layer in the style of another image"),
      _ ("Transfers the style (colours, brush strokes, textures) of the "
         "style layer onto the selected layer with a neural network running "
         "on the CPU, and puts the result in a new layer above it, named "
         "\"<layer> (stylized)\" and limited to the selection. The original "
         "layers are not modified; one Undo removes the result.\n"
         "Methods: cascade-adain and wct (fast, arbitrary style, multi-level), "
         "adain (single level, mostly colour), gatys (slow optimisation; uses "
         "iterations, content-weight, style-weight, tv-weight, scales, init), "
         "microast (MicroAST, its own model) and fast-style (one painting's "
         "own network: set fast-style to its name, e.g. \"candy\"; no style "
         "layer needed). "
         "preset applies a preset by name (e.g. \"candy\"; styles/*.preset): "
         "its values replace the arguments left at their defaults, so "
         "arguments given another value win. "
         "Models are looked up in $NS_MODELS_DIR/<kind>, "
         "<GIMP folder>/neural-style/models/<kind>, then the installed data "
         "folder (fast styles in <folder>/fast), unless model-dir is "
         "given."),
      name);
  gimp_procedure_set_attribution (procedure, "GIMP Neural Style authors",
                                  "GIMP Neural Style authors", "2026");

  gimp_procedure_add_drawable_argument (
      procedure, "style-layer", _ ("St_yle layer"),
      _ ("Drawable whose style is transferred "
         "(may belong to any open image); not used by a fast style"),
      TRUE, G_PARAM_READWRITE);
  /* The engine's parameters come from its table (ns-config.c); the
   * GIMP-only arguments sit between them in the order Script-Fu's
   * positional calls know. */
  ns_config_add_arguments (procedure, "method", "method");
  choice = gimp_choice_new ();
  gimp_choice_add (choice, "auto", NS_MODEL_AUTO, _ ("Automatic"),
                   _ ("The first model found: cd16x, vgg19, lst-r31"));
  gimp_choice_add (choice, "cd16x", NS_MODEL_CD16X,
                   _ ("Compressed VGG-19 (cd16x)"),
                   _ ("Collaborative Distillation 16x, 5 levels"));
  gimp_choice_add (choice, "vgg19", NS_MODEL_VGG19, _ ("VGG-19 (AdaIN)"),
                   _ ("vgg_normalised.pth + decoder.pth"));
  gimp_choice_add (choice, "lst-r31", NS_MODEL_LST_R31,
                   _ ("VGG-19 up to relu3_1 (LST)"),
                   _ ("vgg_r31.pth + dec_r31.pth"));
  gimp_choice_add (choice, "microast", NS_MODEL_MICROAST, _ ("MicroAST"),
                   _ ("MicroAST's own encoders and decoder (method "
                      "microast)"));
  gimp_procedure_add_choice_argument (procedure, "model", _ ("Mo_del"),
                                      _ ("Network weights to use"), choice,
                                      "auto", G_PARAM_READWRITE);
  gimp_procedure_add_string_argument (procedure, "model-dir",
                                      _ ("Model _folder"),
                                      _ ("Folder holding the model files; "
                                         "empty = look up the model"),
                                      "", G_PARAM_READWRITE);
  ns_config_add_arguments (procedure, "strength", "max-size");
  gimp_procedure_add_drawable_argument (
      procedure, "mask", _ ("Mas_k"),
      _ ("Optional: where to apply the style "
         "(white = style, black = original); "
         "content-sized or from the same image; "
         "blended in feature space, so black "
         "areas come back close to the original"),
      TRUE, G_PARAM_READWRITE);
  choice = gimp_choice_new ();
  gimp_choice_add (choice, "new-layer", OUTPUT_NEW_LAYER, _ ("New layer"),
                   _ ("A new layer, masked by the selection"));
  gimp_choice_add (choice, "selection-on-copy", OUTPUT_SELECTION_ON_COPY,
                   _ ("Selection on a copy"),
                   _ ("A copy of the layer with the selection area replaced"));
  gimp_procedure_add_choice_argument (procedure, "output", _ ("O_utput"),
                                      _ ("Where the result goes"), choice,
                                      "new-layer", G_PARAM_READWRITE);
  ns_config_add_arguments (procedure, "seed", NULL);
  /* After every older argument, so positional Script-Fu calls keep their
   * meaning.  A string, not a choice: styles installed after GIMP queried
   * the plug-in work at once, and an unknown one gets a message listing
   * the installed ones. */
  gimp_procedure_add_string_argument (
      procedure, "fast-style", _ ("Fast sty_le"),
      _ ("Name of an installed fast style (e.g. candy, mosaic, pointilism, "
         "rain_princess, udnie): the method is then fast-style and no style "
         "layer is needed; empty or \"none\" = use the style layer"),
      "", G_PARAM_READWRITE);
  gimp_procedure_add_string_argument (
      procedure, "preset", _ ("Pr_eset"),
      _ ("Name of a preset (styles/*.preset, e.g. \"candy\"), applied to "
         "the arguments left at their defaults; empty = none"),
      "", G_PARAM_READWRITE);

  gimp_procedure_add_layer_return_value (procedure, "layer", _ ("Layer"),
                                         _ ("The new stylized layer"), FALSE,
                                         G_PARAM_READWRITE);
  return procedure;
}

/* ------------------------------------------------------------------ run */

static GimpValueArray *fail (GimpProcedure *procedure, GimpPDBStatusType status,
                             const gchar *fmt, ...) G_GNUC_PRINTF (3, 4);

static GimpValueArray *
fail (GimpProcedure *procedure, GimpPDBStatusType status, const gchar *fmt, ...)
{
  va_list ap;
  gchar *msg;
  GError *error;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  error = g_error_new_literal (GIMP_PLUG_IN_ERROR, 0, msg);
  g_free (msg);
  return gimp_procedure_new_return_values (procedure, status, error);
}

/* Places the mask DRAWABLE over the content (same image: by offsets;
 * other image: must have the content's size) in IO; the stream reads it
 * by regions during the run. */
static gboolean
place_mask (GimpDrawable *mask, GimpImage *image, gint x, gint y, gint w,
            gint h, NsLayerIO *io, gchar **why)
{
  gint mx, my;

  /* Channels hold coverage (linear); painted layers are read as the
   * user sees them (perceptual grey). */
  io->mask_format = gimp_item_is_layer (GIMP_ITEM (mask))
                        ? babl_format ("Y' float")
                        : babl_format ("Y float");
  gimp_drawable_get_offsets (mask, &mx, &my);
  if (gimp_item_get_image (GIMP_ITEM (mask)) != image)
    {
      if (gimp_drawable_get_width (mask) != w ||
          gimp_drawable_get_height (mask) != h)
        {
          *why = g_strdup_printf (_ ("The mask is from another image and is "
                                     "%d x %d; it must be %d x %d like the "
                                     "layer."),
                                  gimp_drawable_get_width (mask),
                                  gimp_drawable_get_height (mask), w, h);
          return FALSE;
        }
      x = mx;
      y = my;
    }
  /* The mask's buffer is in its own coordinates. */
  io->mask = mask;
  io->mask_x = x - mx;
  io->mask_y = y - my;
  return TRUE;
}

/* After the run: are the image and the content layer still there, and
 * still something the result can be written for?  FALSE + WHY if not.
 * An image closed during the run is not seen here: the call's arguments
 * keep it alive (valid ID, in gimp_get_images) until the call returns,
 * and GIMP then frees it with the result in it.  Deleted layers are
 * seen: GIMP marks them removed at once. */
static gboolean
still_there (GimpImage *image, GimpDrawable *drawable, gint w, gint h,
             gchar **why)
{
  if (!gimp_image_is_valid (image))
    *why = g_strdup (_ ("The image was closed during the run; the result "
                        "was discarded."));
  else if (!gimp_item_is_valid (GIMP_ITEM (drawable)) ||
           gimp_item_get_image (GIMP_ITEM (drawable)) != image)
    *why = g_strdup (_ ("The layer was deleted during the run; the result "
                        "was discarded."));
  else if (gimp_image_get_base_type (image) == GIMP_INDEXED)
    *why = g_strdup (_ ("The image was converted to indexed during the run; "
                        "the result was discarded."));
  else if (gimp_drawable_get_width (drawable) != w ||
           gimp_drawable_get_height (drawable) != h)
    *why = g_strdup_printf (_ ("The layer was resized during the run (%d x "
                               "%d, now %d x %d); the result was "
                               "discarded."),
                            w, h, gimp_drawable_get_width (drawable),
                            gimp_drawable_get_height (drawable));
  else
    return TRUE;
  return FALSE;
}

/* The `preset` argument: the named preset's values replace the arguments
 * still at their defaults (explicit values win), then `preset` is
 * cleared so that it is not kept in the last values.  FALSE + WHY when
 * the preset is unknown or broken (nothing is changed then). */
static gboolean
apply_preset_argument (GimpProcedureConfig *config, gchar **why)
{
  gchar *name = NULL;
  gchar *user_dir, **dirs;
  GPtrArray *presets;
  const NsPreset *preset;
  GError *error = NULL;
  gboolean ok = TRUE;

  g_object_get (config, "preset", &name, NULL);
  if (!name || !*name)
    {
      g_free (name);
      return TRUE;
    }
  user_dir = g_build_filename (gimp_directory (), "neural-style", "styles",
                               NULL);
  dirs = ns_presets_default_dirs (user_dir);
  presets = ns_presets_load ((const char *const *) dirs);
  preset = ns_presets_find (presets, name);
  if (!preset)
    {
      gchar *names = ns_presets_names (presets);

      *why = g_strdup_printf (_ ("Unknown preset \"%s\". The presets are: "
                                 "%s."),
                              name, *names ? names : _ ("(none installed)"));
      g_free (names);
      ok = FALSE;
    }
  else if (!ns_preset_apply_to_defaults (preset, G_OBJECT (config), &error))
    {
      *why = g_strdup_printf (_ ("The preset \"%s\" cannot be applied: %s"),
                              name, error->message);
      g_clear_error (&error);
      ok = FALSE;
    }
  else
    g_object_set (config, "preset", "", NULL);
  g_ptr_array_unref (presets);
  g_strfreev (dirs);
  g_free (user_dir);
  g_free (name);
  return ok;
}

/* The `fast-style` argument: NULL when none ("" or "none"), else the
 * style's name (g_free). */
static gchar *
fast_style_argument (GimpProcedureConfig *config)
{
  gchar *fast = NULL;

  g_object_get (config, "fast-style", &fast, NULL);
  if (fast)
    g_strstrip (fast);
  if (!fast || !*fast || g_ascii_strcasecmp (fast, "none") == 0)
    g_clear_pointer (&fast, g_free);
  return fast;
}

/* The fast styles' folder and a check that STYLE is installed there:
 * NULL + WHY (listing the installed styles) if not. */
static gchar *
fast_style_folder (const gchar *model_dir, const gchar *style, gchar **why)
{
  GError *error = NULL;
  gchar *dir = ns_gimp_fast_find (model_dir, &error);
  char **list;
  gchar *names;

  if (!dir)
    {
      *why = g_strdup (error->message);
      g_clear_error (&error);
      return NULL;
    }
  list = ns_fast_styles_list (dir);
  if (list && g_strv_contains ((const gchar *const *) list, style))
    {
      ns_strv_free (list);
      return dir;
    }
  names = list && list[0] ? g_strjoinv (", ", list) : g_strdup (_ ("none"));
  *why = g_strdup_printf (_ ("Unknown fast style \"%s\". Installed in %s: "
                             "%s."),
                          style, dir, names);
  g_free (names);
  ns_strv_free (list);
  g_free (dir);
  return NULL;
}

/* Copies RESULT into the new layer LAYER in bands of rows, each through
 * a buffer flushed and dropped at once, so the plug-in never holds more
 * than a band of the layer's tiles on its side of the wire. */
static void
copy_result (GeglBuffer *result, GimpDrawable *layer, gint w, gint h)
{
  /* Whole tiles (GIMP's are 64 px high), about 16 MB of float RGBA. */
  gint rows = MAX (64, (1 << 20) / MAX (w, 1) / 64 * 64);

  for (gint y = 0; y < h; y += rows)
    {
      GeglBuffer *buffer = gimp_drawable_get_buffer (layer);
      GeglRectangle band = { 0, y, w, MIN (rows, h - y) };

      /* babl converts to the layer's format. */
      gegl_buffer_copy (result, &band, GEGL_ABYSS_NONE, buffer, &band);
      gegl_buffer_flush (buffer);
      g_object_unref (buffer);
    }
}

static GimpValueArray *
ns_run (GimpProcedure *procedure, GimpRunMode run_mode, GimpImage *image,
        GimpDrawable **drawables, GimpProcedureConfig *config,
        gpointer run_data)
{
  GimpDrawable *drawable;
  GimpDrawable *style_drw = NULL;
  GimpDrawable *mask_drw = NULL;
  GimpLayer *layer = NULL;
  GimpValueArray *ret;
  NsPixels style = { 0 };
  NsLayerIO io = { 0 };
  NsJob job;
  gchar *model_dir = NULL;
  gchar *fast_style = NULL;
  gchar *content_name, *layer_name;
  gint model, output;
  gboolean has_selection;
  gint w, h, off_x, off_y;
  GError *error = NULL;
  ns_status status;
  gchar *why = NULL;

  /* libgimp does not initialise GEGL in the plug-in's process (GIMP's own
   * plug-ins call gegl_init at the start of their run too): without it,
   * the first gegl_buffer_new (the result buffer below) printed
   * "g_hash_table_lookup: assertion 'hash_table != NULL' failed" from a
   * GEGL class initialisation on every run. */
  gegl_init (NULL, NULL);

  if (gimp_core_object_array_get_length ((GObject **) drawables) != 1)
    return fail (procedure, GIMP_PDB_CALLING_ERROR,
                 _ ("Neural style works on exactly one layer; %d are "
                    "selected."),
                 (gint) gimp_core_object_array_get_length (
                     (GObject **) drawables));
  drawable = drawables[0];

  if (gimp_image_get_base_type (image) == GIMP_INDEXED)
    return fail (procedure, GIMP_PDB_CALLING_ERROR,
                 _ ("Neural style does not work on indexed images. Convert "
                    "the image to RGB first (Image > Mode > RGB)."));
  if (!gimp_item_is_layer (GIMP_ITEM (drawable)))
    return fail (procedure, GIMP_PDB_CALLING_ERROR,
                 _ ("Neural style works on layers, not on channels or "
                    "masks. Select a layer."));
  if (gimp_item_is_group (GIMP_ITEM (drawable)))
    return fail (procedure, GIMP_PDB_CALLING_ERROR,
                 _ ("Neural style does not work on layer groups. Select a "
                    "layer inside the group, or merge the group first."));

  /* Before the dialog, so that it shows the preset's values. */
  if (!apply_preset_argument (config, &why))
    {
      ret = fail (procedure, GIMP_PDB_CALLING_ERROR, "%s", why);
      g_free (why);
      return ret;
    }

  if (run_mode == GIMP_RUN_INTERACTIVE)
    {
      if (!ns_dialog_run (procedure, config, image, drawable))
        return gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL,
                                                 NULL);
    }

  memset (&job, 0, sizeof job);
  g_object_get (config, "style-layer", &style_drw, "model-dir", &model_dir,
                "mask", &mask_drw, NULL);
  model = gimp_procedure_config_get_choice_id (config, "model");
  output = gimp_procedure_config_get_choice_id (config, "output");
  if (!ns_config_get_params (config, &job.params, &error))
    {
      ret = gimp_procedure_new_return_values (procedure, GIMP_PDB_CALLING_ERROR,
                                              error);
      goto out;
    }
  job.params.n_threads = gimp_get_num_processors ();

  /* A fast style, when named, is the method (whatever `method` says). */
  fast_style = fast_style_argument (config);
  if (fast_style)
    job.params.method = NS_METHOD_FAST;
  else if (job.params.method == NS_METHOD_FAST)
    {
      gchar **names = ns_gimp_fast_styles (model_dir);
      gchar *list = names[0] ? g_strjoinv (", ", names)
                             : g_strdup (_ ("none installed"));

      ret = fail (procedure, GIMP_PDB_CALLING_ERROR,
                  _ ("The method fast-style needs the name of a fast style: "
                     "set fast-style to one of: %s."),
                  list);
      g_free (list);
      g_strfreev (names);
      goto out;
    }

  /* GIMP checks ranges and IDs itself; these are the checks it cannot
   * make. */
  if (!style_drw && !fast_style)
    {
      /* Script-Fu passes an unknown ID (closed image) as NULL too. */
      ret = fail (procedure, GIMP_PDB_CALLING_ERROR,
                  _ ("No style layer given, or it no longer exists (was its "
                     "image closed?): set style-layer to a layer of any open "
                     "image, or fast-style to an installed fast style."));
      goto out;
    }
  if (!fast_style && !gimp_item_is_valid (GIMP_ITEM (style_drw)))
    {
      ret = fail (procedure, GIMP_PDB_CALLING_ERROR,
                  _ ("The style layer no longer exists (was its image "
                     "closed?)."));
      goto out;
    }
  if (mask_drw && !gimp_item_is_valid (GIMP_ITEM (mask_drw)))
    {
      ret = fail (procedure, GIMP_PDB_CALLING_ERROR,
                  _ ("The mask drawable no longer exists."));
      goto out;
    }

  w = gimp_drawable_get_width (drawable);
  h = gimp_drawable_get_height (drawable);
  gimp_drawable_get_offsets (drawable, &off_x, &off_y);

  /* The content (and mask) are not read here: the worker streams them
   * by regions once the render is planned.  The style is read whole (the
   * engine encodes it at its style-size). */
  io.drawable = drawable;
  io.width = w;
  io.height = h;
  if (!fast_style && !ns_pixels_read (style_drw, &style, &error))
    {
      ret = gimp_procedure_new_return_values (procedure,
                                              GIMP_PDB_EXECUTION_ERROR, error);
      goto out;
    }
  g_clear_pointer (&style.alpha, g_free); /* not used: no need to hold it */
  if (mask_drw && !place_mask (mask_drw, image, off_x, off_y, w, h, &io, &why))
    {
      ret = fail (procedure, GIMP_PDB_CALLING_ERROR, "%s", why);
      goto out;
    }

  /* Model folder: explicit, or looked up (by method). */
  if (fast_style)
    {
      job.model_kind = NS_MODEL_FAST;
      job.fast_style = fast_style;
      job.model_dir = fast_style_folder (model_dir, fast_style, &why);
      if (!job.model_dir)
        {
          ret = fail (procedure, GIMP_PDB_CALLING_ERROR, "%s", why);
          goto out;
        }
    }
  else
    {
      job.model_kind = (ns_model_kind) model;
      job.model_dir = ns_gimp_model_find_for (model_dir, job.params.method,
                                              (ns_model_kind) model,
                                              &job.model_kind, &error);
    }
  if (!job.model_dir)
    {
      ret = gimp_procedure_new_return_values (procedure,
                                              GIMP_PDB_EXECUTION_ERROR, error);
      goto out;
    }

  job.io = &io;
  job.style = fast_style ? NULL : &style.rgb;
  job.image = image;
  job.drawable = drawable;
  job.style_drawable = fast_style ? NULL : style_drw;

  /* Selection on a copy replaces only the selected area: the stream
   * blends by the selection's coverage as it writes. */
  has_selection = !gimp_selection_is_empty (image);
  if (output == OUTPUT_SELECTION_ON_COPY && has_selection)
    {
      io.selection = GIMP_DRAWABLE (gimp_image_get_selection (image));
      io.sel_x = off_x;
      io.sel_y = off_y;
    }
  /* The result is rendered into a buffer of the plug-in's own, in the
   * layer's format (its precision, and no float copy of an 8-bit layer):
   * GEGL keeps it in its tile cache or swap.  The image gets it only
   * after the whole render succeeded. */
  io.result = gegl_buffer_new (GEGL_RECTANGLE (0, 0, w, h),
                               gimp_drawable_get_format (drawable));
  job.extra_bytes = ns_layer_io_bytes (&io);

  status = ns_worker_run (&job);
  if (status == NS_ERR_CANCELLED)
    {
      ret = gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL, NULL);
      goto out_job;
    }
  /* A layer deleted during the run fails the stream's next read. */
  if (status != NS_OK && (io.why || !still_there (image, drawable, w, h, &why)))
    {
      ret = fail (procedure, GIMP_PDB_EXECUTION_ERROR, "%s",
                  io.why ? io.why : why);
      goto out_job;
    }
  if (status != NS_OK)
    {
      ret = fail (procedure,
                  status == NS_ERR_INVALID_ARG ? GIMP_PDB_CALLING_ERROR
                                               : GIMP_PDB_EXECUTION_ERROR,
                  _ ("Neural style failed (%s): %s"), ns_status_string (status),
                  job.err.message[0] ? job.err.message
                                     : ns_status_string (status));
      goto out_job;
    }

  /* GIMP stayed usable during the run: the style and mask were read
   * before it (their loss no longer matters), but the result goes into
   * the content's image, next to the content layer. */
  if (!still_there (image, drawable, w, h, &why))
    {
      ret = fail (procedure, GIMP_PDB_EXECUTION_ERROR, "%s", why);
      goto out_job;
    }
  gimp_drawable_get_offsets (drawable, &off_x, &off_y);

  /* --- write the result: everything from here is one undo step. */
  has_selection = !gimp_selection_is_empty (image);
  content_name = gimp_item_get_name (GIMP_ITEM (drawable));
  layer_name = g_strdup_printf (_ ("%s (stylized)"), content_name);
  g_free (content_name);

  gimp_image_undo_group_start (image);

  if (output == OUTPUT_SELECTION_ON_COPY)
    {
      layer = gimp_layer_copy (GIMP_LAYER (drawable));
      gimp_item_set_name (GIMP_ITEM (layer), layer_name);
    }
  else
    {
      /* Same type as the content (alpha only if it had alpha); the
       * image's precision, so high bit depth stays high. */
      layer = gimp_layer_new (image, layer_name, w, h,
                              gimp_drawable_type (drawable), 100.0,
                              gimp_image_get_default_new_layer_mode (image));
    }
  /* Fails only if the image or layer vanished since still_there (). */
  if (!layer || !gimp_image_insert_layer (
                    image, layer,
                    GIMP_LAYER (gimp_item_get_parent (GIMP_ITEM (drawable))),
                    gimp_image_get_item_position (image, GIMP_ITEM (drawable))))
    {
      if (layer)
        gimp_item_delete (GIMP_ITEM (layer));
      if (gimp_image_is_valid (image))
        gimp_image_undo_group_end (image);
      g_free (layer_name);
      ret = fail (procedure, GIMP_PDB_EXECUTION_ERROR,
                  _ ("The image or layer changed while the result was "
                     "being added; nothing was added."));
      goto out_job;
    }
  gimp_layer_set_offsets (layer, off_x, off_y);
  copy_result (io.result, GIMP_DRAWABLE (layer), w, h);
  gimp_drawable_update (GIMP_DRAWABLE (layer), 0, 0, w, h);

  if (output == OUTPUT_NEW_LAYER && has_selection)
    {
      GimpLayerMask *lmask = gimp_layer_create_mask (layer,
                                                     GIMP_ADD_MASK_SELECTION);

      gimp_layer_add_mask (layer, lmask);
    }

  gimp_image_undo_group_end (image);
  g_free (layer_name);

  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();

  ret = gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS, NULL);
  GIMP_VALUES_SET_LAYER (ret, 1, layer);

  if (g_getenv ("NS_PLUGIN_REPORT_RSS"))
    g_printerr ("neural-style: %d x %d: design %d x %d, %d px tiles, plan "
                "%.0f MB of %.0f MB; %d layer reads/writes took %.1f s\n",
                w, h, job.info.design_width, job.info.design_height,
                job.info.tile, job.info.bytes / 1048576.0,
                job.info.budget / 1048576.0, io.n_requests, io.io_usec / 1e6);
  ns_worker_report_rss ();

out_job:
  g_free (job.model_dir);
out:
  g_clear_object (&io.result);
  g_free (io.why);
  ns_pixels_clear (&style);
  g_free (why);
  g_free (model_dir);
  g_free (fast_style);
  g_clear_object (&style_drw);
  g_clear_object (&mask_drw);
  return ret;
}
