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
         "iterations, content-weight, style-weight, tv-weight, scales, init). "
         "Models are looked up in $NS_MODELS_DIR/<kind>, "
         "<GIMP folder>/neural-style/models/<kind>, then the installed data "
         "folder, unless model-dir is given."),
      name);
  gimp_procedure_set_attribution (procedure, "GIMP Neural Style authors",
                                  "GIMP Neural Style authors", "2026");

  gimp_procedure_add_drawable_argument (
      procedure, "style-layer", _ ("St_yle layer"),
      _ ("Drawable whose style is transferred "
         "(may belong to any open image)"),
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

/* A content-sized mask from DRAWABLE (same image: placed by offsets;
 * other image: must have the content's size). */
static gboolean
read_mask (GimpDrawable *mask, GimpImage *image, gint x, gint y, gint w, gint h,
           ns_mask *out, gchar **why)
{
  const Babl *format;

  /* Channels hold coverage (linear); painted layers are read as the
   * user sees them (perceptual grey). */
  format = gimp_item_is_layer (GIMP_ITEM (mask)) ? babl_format ("Y' float")
                                                 : babl_format ("Y float");
  if (gimp_item_get_image (GIMP_ITEM (mask)) != image)
    {
      gint mx, my;

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
      gimp_drawable_get_offsets (mask, &mx, &my);
      x = mx;
      y = my;
    }
  if (!ns_coverage_read (mask, x, y, w, h, format, out))
    {
      *why = g_strdup (_ ("Not enough memory for the mask."));
      return FALSE;
    }
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
  ns_mask mask = { 0 };
  NsJob job;
  gchar *model_dir = NULL;
  gchar *content_name, *layer_name;
  gint model, output;
  gboolean has_selection;
  gint w, h, off_x, off_y;
  GError *error = NULL;
  ns_status status;
  gchar *why = NULL;

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

  /* GIMP checks ranges and IDs itself; these are the checks it cannot
   * make. */
  if (!style_drw)
    {
      /* Script-Fu passes an unknown ID (closed image) as NULL too. */
      ret = fail (procedure, GIMP_PDB_CALLING_ERROR,
                  _ ("No style layer given, or it no longer exists (was its "
                     "image closed?): set style-layer to a layer of any open "
                     "image."));
      goto out;
    }
  if (!gimp_item_is_valid (GIMP_ITEM (style_drw)))
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

  if (!ns_pixels_read (drawable, &content, &error) ||
      !ns_pixels_read (style_drw, &style, &error))
    {
      ret = gimp_procedure_new_return_values (procedure,
                                              GIMP_PDB_EXECUTION_ERROR, error);
      goto out;
    }
  if (mask_drw && !read_mask (mask_drw, image, off_x, off_y, w, h, &mask, &why))
    {
      ret = fail (procedure, GIMP_PDB_CALLING_ERROR, "%s", why);
      goto out;
    }

  /* Model folder: explicit, or looked up. */
  job.model_kind = (ns_model_kind) model;
  job.model_dir = ns_gimp_model_find (model_dir, (ns_model_kind) model,
                                      &job.model_kind, &error);
  if (!job.model_dir)
    {
      ret = gimp_procedure_new_return_values (procedure,
                                              GIMP_PDB_EXECUTION_ERROR, error);
      goto out;
    }

  job.content = &content.rgb;
  job.style = &style.rgb;
  job.mask = mask_drw ? &mask : NULL;
  job.image = image;
  job.drawable = drawable;
  job.style_drawable = style_drw;

  if (ns_image_alloc (&job.out, w, h, &job.err) != NS_OK)
    {
      ret = fail (procedure, GIMP_PDB_EXECUTION_ERROR, "%s", job.err.message);
      goto out_job;
    }

  status = ns_worker_run (&job);
  if (status == NS_ERR_CANCELLED)
    {
      ret = gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL, NULL);
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

  {
    gfloat *rgba = NULL;
    GeglBuffer *buffer;
    gsize n = (gsize) w * h;

    if (output == OUTPUT_SELECTION_ON_COPY && has_selection)
      {
        /* Replace only the selected area: blend by the selection's
         * coverage so feathered edges stay soft. */
        ns_mask sel;

        if (ns_coverage_read (GIMP_DRAWABLE (gimp_image_get_selection (image)),
                              off_x, off_y, w, h, babl_format ("Y float"),
                              &sel))
          {
            for (gint c = 0; c < 3; c++)
              for (gsize i = 0; i < n; i++)
                {
                  gfloat *o = &job.out.data[c * n + i];
                  gfloat src = content.rgb.data[c * n + i];

                  *o = src + sel.data[i] * (*o - src);
                }
            ns_mask_free (&sel);
          }
        else
          {
            ret = fail (procedure, GIMP_PDB_EXECUTION_ERROR,
                        _ ("Not enough memory for the selection."));
            g_free (layer_name);
            goto out_job;
          }
      }
    rgba = ns_pixels_interleave (&job.out, content.alpha);
    if (!rgba)
      {
        ret = fail (procedure, GIMP_PDB_EXECUTION_ERROR,
                    _ ("Not enough memory for the result."));
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
    /* Fails only if the image or layer vanished since still_there (). */
    if (!layer ||
        !gimp_image_insert_layer (
            image, layer,
            GIMP_LAYER (gimp_item_get_parent (GIMP_ITEM (drawable))),
            gimp_image_get_item_position (image, GIMP_ITEM (drawable))))
      {
        if (layer)
          gimp_item_delete (GIMP_ITEM (layer));
        if (gimp_image_is_valid (image))
          gimp_image_undo_group_end (image);
        g_free (rgba);
        g_free (layer_name);
        ret = fail (procedure, GIMP_PDB_EXECUTION_ERROR,
                    _ ("The image or layer changed while the result was "
                       "being added; nothing was added."));
        goto out_job;
      }
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
  ns_mask_free (&mask);
  g_free (why);
  g_free (model_dir);
  g_clear_object (&style_drw);
  g_clear_object (&mask_drw);
  return ret;
}
