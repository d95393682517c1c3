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

#include "ns-dialog.h"
#include "ns-plugin.h"
#include "ns-models.h"

typedef struct _NsPlugIn      { GimpPlugIn      parent_instance; } NsPlugIn;
typedef struct _NsPlugInClass { GimpPlugInClass parent_class;    } NsPlugInClass;

#define NS_TYPE_PLUG_IN (ns_plug_in_get_type ())
GType ns_plug_in_get_type (void) G_GNUC_CONST;

static GList          *ns_plug_in_query_procedures (GimpPlugIn *plug_in);
static GimpProcedure  *ns_plug_in_create_procedure (GimpPlugIn  *plug_in,
                                                    const gchar *name);
static gboolean        ns_plug_in_set_i18n         (GimpPlugIn   *plug_in,
                                                    const gchar  *procedure_name,
                                                    gchar       **gettext_domain,
                                                    gchar       **catalog_dir);
static GimpValueArray *ns_run (GimpProcedure *procedure, GimpRunMode run_mode,
                               GimpImage *image, GimpDrawable **drawables,
                               GimpProcedureConfig *config, gpointer run_data);

G_DEFINE_TYPE (NsPlugIn, ns_plug_in, GIMP_TYPE_PLUG_IN)

GIMP_MAIN (NS_TYPE_PLUG_IN)

enum { OUTPUT_NEW_LAYER, OUTPUT_SELECTION_ON_COPY };

static void
ns_plug_in_class_init (NsPlugInClass *klass)
{
  GimpPlugInClass *plug_in_class = GIMP_PLUG_IN_CLASS (klass);

  plug_in_class->query_procedures = ns_plug_in_query_procedures;
  plug_in_class->create_procedure = ns_plug_in_create_procedure;
  plug_in_class->set_i18n         = ns_plug_in_set_i18n;
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
  if (! have)
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
  ns_params def = ns_params_default ();
  const gchar *def_method = ns_method_name (def.method);
  ns_method probe;

  if (g_strcmp0 (name, NS_PLUG_IN_PROC) != 0)
    return NULL;

  /* The choice list below has these names; fall back if the engine's
   * default is something else. */
  if (! def_method || ! ns_method_from_name (def_method, &probe))
    def_method = "cascade-adain";

  procedure = gimp_image_procedure_new (plug_in, name,
                                        GIMP_PDB_PROC_TYPE_PLUGIN,
                                        ns_run, NULL, NULL);

  gimp_procedure_set_image_types (procedure, "RGB*, GRAY*");
  gimp_procedure_set_sensitivity_mask (procedure,
                                       GIMP_PROCEDURE_SENSITIVE_DRAWABLE);
  gimp_procedure_set_menu_label (procedure, _("Neural Style Transfer..."));
  gimp_procedure_add_menu_path (procedure, "<Image>/Filters/Artistic");
  gimp_procedure_set_documentation
    (procedure,
     _("Paint a layer in the style of another image"),
     _("Transfers the style (colours, brush strokes, textures) of the "
       "style layer onto the selected layer with a neural network running "
       "on the CPU, and puts the result in a new layer above it, named "
       "\"<layer> (stylized)\" and limited to the selection. The original "
       "layers are not modified; one Undo removes the result.\n"
       "Methods: cascade-adain and wct (fast, arbitrary style, multi-level), "
       "adain (single level, mostly colour), gatys (slow optimisation; uses "
       "iterations, content-weight, style-weight, tv-weight, scales, init). "
       "Models are looked up in $NS_MODELS_DIR/<kind>, "
       "<GIMP folder>/neural-style/models/<kind>, then the installed data "
       "folder, unless model-dir is given."),
     name);
  gimp_procedure_set_attribution (procedure, "GIMP Neural Style authors",
                                  "GIMP Neural Style authors", "2026");

  gimp_procedure_add_drawable_argument (procedure, "style-layer",
                                        _("St_yle layer"),
                                        _("Drawable whose style is transferred "
                                          "(may belong to any open image)"),
                                        TRUE, G_PARAM_READWRITE);
  gimp_procedure_add_choice_argument
    (procedure, "method", _("_Method"), _("Style transfer method"),
     gimp_choice_new_with_values
       ("cascade-adain", NS_METHOD_CASCADE_ADAIN, _("Cascade AdaIN"),
          _("AdaIN at every level, deepest first (fast, strong)"),
        "wct", NS_METHOD_WCT, _("WCT"),
          _("Whitening-colouring transform at every level"),
        "adain", NS_METHOD_ADAIN, _("AdaIN"),
          _("Single-level AdaIN (fast, mostly colour)"),
        "gatys", NS_METHOD_GATYS, _("Gatys (optimisation)"),
          _("Iterative optimisation; slow, most faithful"),
        NULL),
     def_method, G_PARAM_READWRITE);
  gimp_procedure_add_choice_argument
    (procedure, "model", _("Mo_del"), _("Network weights to use"),
     gimp_choice_new_with_values
       ("auto", NS_MODEL_AUTO, _("Automatic"),
          _("The first model found: cd16x, vgg19, lst-r31"),
        "cd16x", NS_MODEL_CD16X, _("Compressed VGG-19 (cd16x)"),
          _("Collaborative Distillation 16x, 5 levels"),
        "vgg19", NS_MODEL_VGG19, _("VGG-19 (AdaIN)"),
          _("vgg_normalised.pth + decoder.pth"),
        "lst-r31", NS_MODEL_LST_R31, _("VGG-19 up to relu3_1 (LST)"),
          _("vgg_r31.pth + dec_r31.pth"),
        NULL),
     "auto", G_PARAM_READWRITE);
  gimp_procedure_add_string_argument (procedure, "model-dir",
                                      _("Model _folder"),
                                      _("Folder holding the model files; "
                                        "empty = look up the model"),
                                      "", G_PARAM_READWRITE);
  gimp_procedure_add_double_argument (procedure, "strength", _("Stren_gth"),
                                      _("0 = content only, 1 = full style"),
                                      0.0, 1.0, CLAMP (def.strength, 0.0, 1.0),
                                      G_PARAM_READWRITE);
  gimp_procedure_add_boolean_argument (procedure, "preserve-colors",
                                       _("Preser_ve colors"),
                                       _("Keep the content's colours "
                                         "(transfer luminance only)"),
                                       def.preserve_colors, G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (procedure, "style-size", _("Style si_ze"),
                                   _("Long side the style is resized to "
                                     "(0 = as is)"),
                                   0, 4096, 512, G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (procedure, "max-size", _("Ma_x size"),
                                   _("Work at most at this long side, then "
                                     "upscale (0 = full size)"),
                                   0, 16384, CLAMP (def.max_size, 0, 16384),
                                   G_PARAM_READWRITE);
  gimp_procedure_add_drawable_argument (procedure, "mask", _("Mas_k"),
                                        _("Optional: where to apply the style "
                                          "(white = style, black = original); "
                                          "content-sized or from the same image; "
                                          "blended in feature space, so black "
                                          "areas come back close to the original"),
                                        TRUE, G_PARAM_READWRITE);
  gimp_procedure_add_choice_argument
    (procedure, "output", _("O_utput"), _("Where the result goes"),
     gimp_choice_new_with_values
       ("new-layer", OUTPUT_NEW_LAYER, _("New layer"),
          _("A new layer, masked by the selection"),
        "selection-on-copy", OUTPUT_SELECTION_ON_COPY,
          _("Selection on a copy"),
          _("A copy of the layer with the selection area replaced"),
        NULL),
     "new-layer", G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (procedure, "seed", _("S_eed"),
                                   _("Random seed (noise initialisation)"),
                                   0, G_MAXINT, 0, G_PARAM_READWRITE);

  /* Gatys only. */
  gimp_procedure_add_int_argument (procedure, "iterations", _("_Iterations"),
                                   _("Gatys: iterations per scale"),
                                   1, 10000,
                                   CLAMP (def.gatys.iterations, 1, 10000),
                                   G_PARAM_READWRITE);
  gimp_procedure_add_double_argument (procedure, "content-weight",
                                      _("Co_ntent weight"),
                                      _("Gatys: weight of the content loss"),
                                      0.0, 1e9,
                                      CLAMP (def.gatys.content_weight, 0.0, 1e9),
                                      G_PARAM_READWRITE);
  gimp_procedure_add_double_argument (procedure, "style-weight",
                                      _("Style _weight"),
                                      _("Gatys: weight of the style loss"),
                                      0.0, 1e12,
                                      CLAMP (def.gatys.style_weight, 0.0, 1e12),
                                      G_PARAM_READWRITE);
  gimp_procedure_add_double_argument (procedure, "tv-weight",
                                      _("_TV weight"),
                                      _("Gatys: total-variation smoothing"),
                                      0.0, 1e9,
                                      CLAMP (def.gatys.tv_weight, 0.0, 1e9),
                                      G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (procedure, "scales", _("Num_ber of scales"),
                                   _("Gatys: coarse-to-fine levels"),
                                   1, 6, CLAMP (def.gatys.scales, 1, 6),
                                   G_PARAM_READWRITE);
  gimp_procedure_add_choice_argument
    (procedure, "init", _("Initial image"), _("Gatys: starting image"),
     gimp_choice_new_with_values
       ("content", NS_INIT_CONTENT, _("Content"), NULL,
        "noise", NS_INIT_NOISE, _("Noise"), NULL,
        NULL),
     def.gatys.init == NS_INIT_NOISE ? "noise" : "content",
     G_PARAM_READWRITE);

  gimp_procedure_add_layer_return_value (procedure, "layer", _("Layer"),
                                         _("The new stylized layer"),
                                         FALSE, G_PARAM_READWRITE);
  return procedure;
}

/* ------------------------------------------------------------------ run */

static GimpValueArray *
fail (GimpProcedure *procedure, GimpPDBStatusType status, const gchar *fmt,
      ...) G_GNUC_PRINTF (3, 4);

static GimpValueArray *
fail (GimpProcedure *procedure, GimpPDBStatusType status, const gchar *fmt,
      ...)
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

/* A content-sized mask from DRAWABLE (same image: placed by offsets;
 * other image: must have the content's size).  Planes all equal, so the
 * engine may read plane 0 or all three. */
static gboolean
read_mask (GimpDrawable *mask, GimpImage *image, gint x, gint y, gint w,
           gint h, ns_image *out, gchar **why)
{
  const Babl *format;
  gfloat *cov;
  gsize n = (gsize) w * h;
  ns_error err = { 0 };

  /* Channels hold coverage (linear); painted layers are read as the
   * user sees them (perceptual grey). */
  format = gimp_item_is_layer (GIMP_ITEM (mask)) ? babl_format ("Y' float")
                                                : babl_format ("Y float");
  if (gimp_item_get_image (GIMP_ITEM (mask)) != image)
    {
      gint mx, my;

      if (gimp_drawable_get_width (mask) != w
          || gimp_drawable_get_height (mask) != h)
        {
          *why = g_strdup_printf (_("The mask is from another image and is "
                                    "%d x %d; it must be %d x %d like the "
                                    "layer."),
                                  gimp_drawable_get_width (mask),
                                  gimp_drawable_get_height (mask), w, h);
          return FALSE;
        }
      gimp_drawable_get_offsets (mask, &mx, &my);
      x = mx;
      y = my;
    }
  cov = ns_coverage_read (mask, x, y, w, h, format);
  if (! cov || ns_image_alloc (out, w, h, &err) != NS_OK)
    {
      g_free (cov);
      *why = g_strdup (_("Not enough memory for the mask."));
      return FALSE;
    }
  for (gint c = 0; c < 3; c++)
    memcpy (out->data + c * n, cov, n * sizeof (gfloat));
  g_free (cov);
  return TRUE;
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
  NsPixels content = { 0 };
  NsPixels style = { 0 };
  ns_image mask = { 0 };
  NsJob job;
  gchar *model_dir = NULL;
  gchar *content_name, *layer_name;
  gint method, model, output, init, style_size, max_size, seed, iterations,
       scales;
  gdouble strength, content_weight, style_weight, tv_weight;
  gboolean preserve_colors, has_selection;
  gint w, h, off_x, off_y;
  GError *error = NULL;
  ns_status status;
  gchar *why = NULL;

  if (gimp_core_object_array_get_length ((GObject **) drawables) != 1)
    return fail (procedure, GIMP_PDB_CALLING_ERROR,
                 _("Neural style works on exactly one layer; %d are "
                   "selected."),
                 (gint) gimp_core_object_array_get_length ((GObject **) drawables));
  drawable = drawables[0];

  if (gimp_image_get_base_type (image) == GIMP_INDEXED)
    return fail (procedure, GIMP_PDB_CALLING_ERROR,
                 _("Neural style does not work on indexed images. Convert "
                   "the image to RGB first (Image > Mode > RGB)."));
  if (! gimp_item_is_layer (GIMP_ITEM (drawable)))
    return fail (procedure, GIMP_PDB_CALLING_ERROR,
                 _("Neural style works on layers, not on channels or "
                   "masks. Select a layer."));
  if (gimp_item_is_group (GIMP_ITEM (drawable)))
    return fail (procedure, GIMP_PDB_CALLING_ERROR,
                 _("Neural style does not work on layer groups. Select a "
                   "layer inside the group, or merge the group first."));

  if (run_mode == GIMP_RUN_INTERACTIVE)
    {
      if (! ns_dialog_run (procedure, config, image, drawable))
        return gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL,
                                                 NULL);
    }

  g_object_get (config,
                "style-layer", &style_drw,
                "model-dir", &model_dir,
                "strength", &strength,
                "preserve-colors", &preserve_colors,
                "style-size", &style_size,
                "max-size", &max_size,
                "mask", &mask_drw,
                "seed", &seed,
                "iterations", &iterations,
                "content-weight", &content_weight,
                "style-weight", &style_weight,
                "tv-weight", &tv_weight,
                "scales", &scales,
                NULL);
  method = gimp_procedure_config_get_choice_id (config, "method");
  model = gimp_procedure_config_get_choice_id (config, "model");
  output = gimp_procedure_config_get_choice_id (config, "output");
  init = gimp_procedure_config_get_choice_id (config, "init");

  /* GIMP checks ranges and IDs itself; these are the checks it cannot
   * make. */
  if (! style_drw)
    {
      /* Script-Fu passes an unknown ID (closed image) as NULL too. */
      ret = fail (procedure, GIMP_PDB_CALLING_ERROR,
                  _("No style layer given, or it no longer exists (was its "
                    "image closed?): set style-layer to a layer of any open "
                    "image."));
      goto out;
    }
  if (! gimp_item_is_valid (GIMP_ITEM (style_drw)))
    {
      ret = fail (procedure, GIMP_PDB_CALLING_ERROR,
                  _("The style layer no longer exists (was its image "
                    "closed?)."));
      goto out;
    }
  if (mask_drw && ! gimp_item_is_valid (GIMP_ITEM (mask_drw)))
    {
      ret = fail (procedure, GIMP_PDB_CALLING_ERROR,
                  _("The mask drawable no longer exists."));
      goto out;
    }

  w = gimp_drawable_get_width (drawable);
  h = gimp_drawable_get_height (drawable);
  gimp_drawable_get_offsets (drawable, &off_x, &off_y);

  if (! ns_pixels_read (drawable, &content, &error)
      || ! ns_pixels_read (style_drw, &style, &error))
    {
      ret = gimp_procedure_new_return_values (procedure,
                                              GIMP_PDB_EXECUTION_ERROR, error);
      goto out;
    }
  if (mask_drw && ! read_mask (mask_drw, image, off_x, off_y, w, h, &mask,
                               &why))
    {
      ret = fail (procedure, GIMP_PDB_CALLING_ERROR, "%s", why);
      goto out;
    }

  /* Model folder: explicit, or looked up. */
  memset (&job, 0, sizeof job);
  job.model_kind = (ns_model_kind) model;
  job.model_dir = ns_gimp_model_find (model_dir, (ns_model_kind) model,
                                      &job.model_kind, &error);
  if (! job.model_dir)
    {
      ret = gimp_procedure_new_return_values (procedure,
                                              GIMP_PDB_EXECUTION_ERROR,
                                              error);
      goto out;
    }

  job.params = ns_params_default ();
  job.params.method = (ns_method) method;
  job.params.strength = (float) strength;
  job.params.preserve_colors = preserve_colors;
  job.params.style_size = style_size;
  job.params.max_size = max_size;
  job.params.n_threads = gimp_get_num_processors ();
  job.params.seed = (uint64_t) seed;
  job.params.gatys.iterations = iterations;
  job.params.gatys.content_weight = (float) content_weight;
  job.params.gatys.style_weight = (float) style_weight;
  job.params.gatys.tv_weight = (float) tv_weight;
  job.params.gatys.scales = scales;
  job.params.gatys.init = (ns_init) init;
  job.content = &content.rgb;
  job.style = &style.rgb;
  job.mask = mask_drw ? &mask : NULL;

  if (ns_image_alloc (&job.out, w, h, &job.err) != NS_OK)
    {
      ret = fail (procedure, GIMP_PDB_EXECUTION_ERROR, "%s", job.err.message);
      goto out_job;
    }

  status = ns_worker_run (&job);
  if (status == NS_ERR_CANCELLED)
    {
      ret = gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL,
                                              NULL);
      goto out_job;
    }
  if (status != NS_OK)
    {
      ret = fail (procedure,
                  status == NS_ERR_INVALID_ARG ? GIMP_PDB_CALLING_ERROR
                                               : GIMP_PDB_EXECUTION_ERROR,
                  _("Neural style failed (%s): %s"), ns_status_string (status),
                  job.err.message[0] ? job.err.message
                                     : ns_status_string (status));
      goto out_job;
    }

  /* --- write the result: everything from here is one undo step. */
  has_selection = ! gimp_selection_is_empty (image);
  content_name = gimp_item_get_name (GIMP_ITEM (drawable));
  layer_name = g_strdup_printf (_("%s (stylized)"), content_name);
  g_free (content_name);

  {
    gfloat *rgba = NULL;
    GeglBuffer *buffer;
    gsize n = (gsize) w * h;

    if (output == OUTPUT_SELECTION_ON_COPY && has_selection)
      {
        /* Replace only the selected area: blend by the selection's
         * coverage so feathered edges stay soft. */
        gfloat *sel = ns_coverage_read (GIMP_DRAWABLE (gimp_image_get_selection (image)),
                                        off_x, off_y, w, h,
                                        babl_format ("Y float"));

        if (sel)
          {
            for (gint c = 0; c < 3; c++)
              for (gsize i = 0; i < n; i++)
                {
                  gfloat *o = &job.out.data[c * n + i];
                  gfloat src = content.rgb.data[c * n + i];

                  *o = src + sel[i] * (*o - src);
                }
            g_free (sel);
          }
        else
          {
            ret = fail (procedure, GIMP_PDB_EXECUTION_ERROR,
                        _("Not enough memory for the selection."));
            g_free (layer_name);
            goto out_job;
          }
      }
    rgba = ns_pixels_interleave (&job.out, content.alpha);
    if (! rgba)
      {
        ret = fail (procedure, GIMP_PDB_EXECUTION_ERROR,
                    _("Not enough memory for the result."));
        g_free (layer_name);
        goto out_job;
      }

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
    gimp_image_insert_layer (image, layer,
                             GIMP_LAYER (gimp_item_get_parent (GIMP_ITEM (drawable))),
                             gimp_image_get_item_position (image,
                                                           GIMP_ITEM (drawable)));
    gimp_layer_set_offsets (layer, off_x, off_y);

    buffer = gimp_drawable_get_buffer (GIMP_DRAWABLE (layer));
    /* babl converts R'G'B' to Y' for grayscale layers. */
    gegl_buffer_set (buffer, GEGL_RECTANGLE (0, 0, w, h), 0,
                     babl_format ("R'G'B'A float"), rgba, GEGL_AUTO_ROWSTRIDE);
    gegl_buffer_flush (buffer);
    g_object_unref (buffer);
    g_free (rgba);
    gimp_drawable_update (GIMP_DRAWABLE (layer), 0, 0, w, h);

    if (output == OUTPUT_NEW_LAYER && has_selection)
      {
        GimpLayerMask *lmask = gimp_layer_create_mask (layer,
                                                       GIMP_ADD_MASK_SELECTION);

        gimp_layer_add_mask (layer, lmask);
      }

    gimp_image_undo_group_end (image);
  }
  g_free (layer_name);

  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();

  ret = gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS, NULL);
  GIMP_VALUES_SET_LAYER (ret, 1, layer);

out_job:
  ns_image_free (&job.out);
  g_free (job.model_dir);
out:
  ns_pixels_clear (&content);
  ns_pixels_clear (&style);
  ns_image_free (&mask);
  g_free (why);
  g_free (model_dir);
  g_clear_object (&style_drw);
  g_clear_object (&mask_drw);
  return ret;
}
