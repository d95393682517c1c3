/* Model folders -> encoder/decoder networks.
 *
 * Three families share the VGG-19 trunk; the encoders come from the one
 * VGG table (vgg.c: keys, pool mode, levels), the decoders are built here:
 *  - cd16x: enc1..enc5.pth / dec1..dec5.pth, one pruned encoder/decoder
 *    pair per level, ReLU after every decoder conv including the last (as
 *    upstream);
 *  - vgg19: naoto0804/pytorch-AdaIN's vgg_normalised.pth and decoder.pth,
 *    relu4_1;
 *  - lst-r31: LinearStyleTransfer's vgg_r31.pth / dec_r31.pth, relu3_1.
 * Every shape is checked so that a wrong file fails here with a message
 * naming it, never later in a kernel. */
#include "nn-dnnl.h"

#include "microast/microast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const cd16x_files[] = { "enc1.pth", "enc2.pth", "enc3.pth",
                                           "enc4.pth", "enc5.pth", "dec1.pth",
                                           "dec2.pth", "dec3.pth", "dec4.pth",
                                           "dec5.pth", NULL };
static const char *const vgg19_files[] = { "vgg_normalised.pth", "decoder.pth",
                                           NULL };
static const char *const lst_files[] = { "vgg_r31.pth", "dec_r31.pth", NULL };
static const char *const no_files[] = { NULL };

const char *
ns_model_kind_name (ns_model_kind kind)
{
  switch (kind)
    {
    case NS_MODEL_AUTO:
      return "auto";
    case NS_MODEL_CD16X:
      return "cd16x";
    case NS_MODEL_VGG19:
      return "vgg19";
    case NS_MODEL_LST_R31:
      return "lst-r31";
    case NS_MODEL_MICROAST:
      return "microast";
    case NS_MODEL_FAST:
      return "fast";
    }
  return "unknown";
}

/* Beside it, one STYLE.bin per style (ns_fast_styles_list). */
static const char *const fast_files[] = { "transformer.param", NULL };

const char *const *
ns_model_kind_files (ns_model_kind kind)
{
  switch (kind)
    {
    case NS_MODEL_CD16X:
      return cd16x_files;
    case NS_MODEL_VGG19:
      return vgg19_files;
    case NS_MODEL_LST_R31:
      return lst_files;
    case NS_MODEL_MICROAST:
      return ns_microast_files;
    case NS_MODEL_FAST:
      return fast_files;
    case NS_MODEL_AUTO:
      break;
    }
  return no_files;
}

ns_model_kind
ns_model_get_kind (const ns_model *model)
{
  return model ? model->kind : NS_MODEL_AUTO;
}

int
ns_model_num_levels (const ns_model *model)
{
  return model ? model->n_levels : 0;
}

int
ns_model_deepest_level (const ns_model *model)
{
  return model && model->n_levels > 0 ? model->level_id[model->n_levels - 1]
                                      : 0;
}

void
ns_model_free (ns_model *model)
{
  if (!model)
    return;
  for (int i = 0; i < 5; i++)
    {
      ns_net_clear (&model->enc[i]);
      ns_net_clear (&model->dec[i]);
    }
  for (int i = 0; i < model->n_files; i++)
    {
      /* oneDNN's reordered copies of these weights go with them. */
      for (int j = 0; j < ns_weights_count (model->files[i]); j++)
        ns_dnnl_forget (ns_weights_get (model->files[i], j)->data);
      ns_weights_free (model->files[i]);
    }
  ns_fast_net_free (model->fast);
  free (model->dir);
  free (model);
}

static const char *
base_name (const char *path)
{
  const char *s = strrchr (path, '/');
  return s ? s + 1 : path;
}

const ns_weights *
ns_model_weights (const ns_model *model, const char *file)
{
  if (!model || !file)
    return NULL;
  for (int i = 0; i < model->n_files; i++)
    {
      const char *p = ns_weights_path (model->files[i]);
      if (p && strcmp (base_name (p), file) == 0)
        return model->files[i];
    }
  return NULL;
}

/* ------------------------------------------------------------ building */

/* A decoder step: a conv key (with ReLU or not) or an upsampling (NULL
 * key). */
typedef struct
{
  const char *key;
  bool relu;
} dec_step;

static ns_status
build_decoder (ns_net *net, const ns_weights *w, const char *file,
               const dec_step *steps, int n_steps, int cin, ns_error *err)
{
  ns_status st = NS_OK;
  memset (net, 0, sizeof *net);
  for (int s = 0; s < n_steps && st == NS_OK; s++)
    {
      if (!steps[s].key)
        st = ns_net_add_upsample (net, err);
      else
        st = ns_net_add_conv_weights (net, w, file, steps[s].key, steps[s].key,
                                      cin, 3, steps[s].relu, err);
    }
  if (st == NS_OK && net->out_channels != 3)
    st = ns_fail (err, NS_ERR_SHAPE,
                  "%s: the last conv has %d output channels, expected 3 (RGB)",
                  file, net->out_channels);
  if (st != NS_OK)
    ns_net_clear (net);
  return st;
}

/* cd16x decoder N: convN1, up, then each lower block's convs from the last
 * to the first, an upsampling between blocks; ReLU everywhere. */
static ns_status
build_cd16x_decoder (ns_net *net, const ns_weights *w, const char *file,
                     int level, int cin, ns_error *err)
{
  dec_step steps[24];
  char keys[24][32];
  int n = 0;
  for (int b = level; b >= 1; b--)
    {
      int convs = b == level ? 1 : ns_vgg_block_convs[b - 1];
      for (int i = convs; i >= 1; i--)
        {
          snprintf (keys[n], sizeof keys[n], "conv%d%d", b, i);
          steps[n].key = keys[n];
          steps[n].relu = true;
          n++;
        }
      if (b > 1)
        {
          steps[n].key = NULL;
          steps[n].relu = false;
          n++;
        }
    }
  return build_decoder (net, w, file, steps, n, cin, err);
}

static const dec_step lst_decoder[] = { { "conv7", true },  { NULL, false },
                                        { "conv8", true },  { "conv9", true },
                                        { NULL, false },    { "conv10", true },
                                        { "conv11", false } };

/* naoto0804/pytorch-AdaIN decoder: nn.Sequential of (pad, conv, ReLU)
 * triples with upsamplings after the 1st, 5th and 7th convs, the last conv
 * without ReLU; in net.py the conv keys are 1, 5, 8, 11, 14, 18, 21, 25,
 * 28.  The keys are taken from the file in numeric order rather than
 * hard-coded, so an equivalent Sequential with other indices loads too. */
#define VGG19_DEC_CONVS 9

static int
cmp_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

static ns_status
vgg19_decoder_steps (const ns_weights *w, const char *file, dec_step *steps,
                     char (*keys)[16], int *n_steps, ns_error *err)
{
  int idx[VGG19_DEC_CONVS];
  int n = 0, s = 0;

  for (int i = 0; i < ns_weights_count (w); i++)
    {
      const ns_weight *t = ns_weights_get (w, i);
      int k, len = 0;
      if (t && sscanf (t->name, "%d.weight%n", &k, &len) == 1 &&
          t->name[len] == '\0' && k >= 0)
        {
          if (n == VGG19_DEC_CONVS)
            return ns_fail (err, NS_ERR_FORMAT,
                            "%s: more than %d convolutions (keys N.weight); "
                            "expected the pytorch-AdaIN decoder",
                            file, VGG19_DEC_CONVS);
          idx[n++] = k;
        }
    }
  if (n != VGG19_DEC_CONVS)
    return ns_fail (err, NS_ERR_FORMAT,
                    "%s: %d convolutions (keys N.weight), expected %d "
                    "(the pytorch-AdaIN decoder)",
                    file, n, VGG19_DEC_CONVS);
  qsort (idx, (size_t) n, sizeof idx[0], cmp_int);
  for (int c = 0; c < n; c++)
    {
      snprintf (keys[c], sizeof keys[c], "%d", idx[c]);
      steps[s].key = keys[c];
      steps[s].relu = c != n - 1;
      s++;
      if (c == 0 || c == 4 || c == 6)
        {
          steps[s].key = NULL;
          steps[s].relu = false;
          s++;
        }
    }
  *n_steps = s;
  return NS_OK;
}

/* ------------------------------------------------------------- loading */

static bool
file_exists (const char *dir, const char *name)
{
  char path[4096];
  struct stat st;
  snprintf (path, sizeof path, "%s/%s", dir, name);
  return stat (path, &st) == 0 && S_ISREG (st.st_mode);
}

static bool
kind_complete (const char *dir, ns_model_kind kind)
{
  const char *const *files = ns_model_kind_files (kind);
  if (!files[0])
    return false;
  for (int i = 0; files[i]; i++)
    if (!file_exists (dir, files[i]))
      return false;
  return true;
}

static void
files_list (ns_model_kind kind, char *buf, size_t len)
{
  const char *const *files = ns_model_kind_files (kind);
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; files[i] && used < len; i++)
    used += (size_t) snprintf (buf + used, len - used, "%s%s", i ? ", " : "",
                               files[i]);
}

static ns_status
load_file (ns_model *m, const char *name, const ns_weights **out, ns_error *err)
{
  char path[4096];
  char list[256];
  struct stat sb;
  ns_status st;
  ns_weights *w = NULL;

  snprintf (path, sizeof path, "%s/%s", m->dir, name);
  if (stat (path, &sb) != 0 || !S_ISREG (sb.st_mode))
    {
      files_list (m->kind, list, sizeof list);
      return ns_fail (err, NS_ERR_IO,
                      "%s: file not found (a %s model folder must contain %s)",
                      path, ns_model_kind_name (m->kind), list);
    }
  if (m->n_files >= (int) (sizeof m->files / sizeof m->files[0]))
    return ns_fail (err, NS_ERR_INTERNAL, "too many model files");
  st = ns_weights_load_pth (path, &w, err);
  if (st != NS_OK)
    return st;
  m->files[m->n_files++] = w;
  *out = w;
  return NS_OK;
}

static ns_status
check_pair (const ns_net *enc, const ns_net *dec, const char *enc_file,
            const char *dec_file, ns_error *err)
{
  if (dec->in_channels != enc->out_channels)
    return ns_fail (err, NS_ERR_SHAPE,
                    "%s takes %d channels but %s produces %d: the files do "
                    "not belong together",
                    dec_file, dec->in_channels, enc_file, enc->out_channels);
  return NS_OK;
}

static ns_status
load_cd16x (ns_model *m, ns_error *err)
{
  ns_status st;
  m->n_levels = 5;
  for (int l = 1; l <= 5; l++)
    {
      const ns_weights *we, *wd;
      const char *ef = cd16x_files[l - 1], *df = cd16x_files[l + 4];
      m->level_id[l - 1] = l;
      if ((st = load_file (m, ef, &we, err)) != NS_OK ||
          (st = ns_vgg_encoder (&m->enc[l - 1], NS_MODEL_CD16X, we, ef, l, 1,
                                err)) != NS_OK ||
          (st = load_file (m, df, &wd, err)) != NS_OK ||
          (st = build_cd16x_decoder (&m->dec[l - 1], wd, df, l,
                                     m->enc[l - 1].out_channels, err)) !=
              NS_OK ||
          (st = check_pair (&m->enc[l - 1], &m->dec[l - 1], ef, df, err)) !=
              NS_OK)
        return st;
    }
  return NS_OK;
}

static ns_status
load_single (ns_model *m, const dec_step *dec, int n_dec, ns_error *err)
{
  const int level = ns_vgg_family_get (m->kind)->ff_level;
  const char *const *files = ns_model_kind_files (m->kind);
  const ns_weights *we, *wd;
  dec_step steps[VGG19_DEC_CONVS + 3];
  char keys[VGG19_DEC_CONVS][16];
  ns_status st;

  m->n_levels = 1;
  m->level_id[0] = level;
  if ((st = load_file (m, files[0], &we, err)) != NS_OK ||
      (st = ns_vgg_encoder (&m->enc[0], m->kind, we, files[0], level, 1,
                            err)) != NS_OK ||
      (st = load_file (m, files[1], &wd, err)) != NS_OK)
    return st;
  if (!dec)
    {
      if ((st = vgg19_decoder_steps (wd, files[1], steps, keys, &n_dec, err)) !=
          NS_OK)
        return st;
      dec = steps;
    }
  if ((st = build_decoder (&m->dec[0], wd, files[1], dec, n_dec,
                           m->enc[0].out_channels, err)) != NS_OK)
    return st;
  return check_pair (&m->enc[0], &m->dec[0], files[0], files[1], err);
}

/* MicroAST: no VGG encoder/decoder levels; its four files are
 * kept in M->files and its network is built from them per run
 * (engine/microast), every shape checked here. */
static ns_status
load_microast (ns_model *m, ns_error *err)
{
  const ns_weights *w;
  ns_status st;
  for (int i = 0; ns_microast_files[i]; i++)
    if ((st = load_file (m, ns_microast_files[i], &w, err)) != NS_OK)
      return st;
  return ns_microast_check_files (m->files, ns_microast_files, err);
}

ns_status
ns_model_load (const char *dir, ns_model_kind kind, ns_model **out,
               ns_error *err)
{
  static const ns_model_kind order[] = { NS_MODEL_CD16X, NS_MODEL_VGG19,
                                         NS_MODEL_LST_R31, NS_MODEL_MICROAST };
  ns_model *m;
  ns_status st;
  struct stat sb;

  if (out)
    *out = NULL;
  if (!dir || !out)
    return ns_fail (err, NS_ERR_INVALID_ARG, "model load: NULL argument");
  if (stat (dir, &sb) != 0 || !S_ISDIR (sb.st_mode))
    return ns_fail (err, NS_ERR_IO, "%s: model folder not found", dir);
  if (kind == NS_MODEL_AUTO)
    {
      for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (kind_complete (dir, order[i]))
          {
            kind = order[i];
            break;
          }
      if (kind == NS_MODEL_AUTO)
        return ns_fail (err, NS_ERR_IO,
                        "%s: no complete model found; the folder must contain "
                        "enc1..enc5.pth and dec1..dec5.pth (cd16x), or "
                        "vgg_normalised.pth and decoder.pth (vgg19), or "
                        "vgg_r31.pth and dec_r31.pth (lst-r31), or the four "
                        "MicroAST *_iter_160000.pth.tar files (microast)",
                        dir);
    }
  else if (kind == NS_MODEL_FAST)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "%s: fast styles are loaded by name (ns_model_load_fast)",
                    dir);
  else if (kind != NS_MODEL_CD16X && kind != NS_MODEL_VGG19 &&
           kind != NS_MODEL_LST_R31 && kind != NS_MODEL_MICROAST)
    return ns_fail (err, NS_ERR_INVALID_ARG, "unknown model kind %d",
                    (int) kind);

  m = calloc (1, sizeof *m);
  if (!m || !(m->dir = strdup (dir)))
    {
      free (m);
      return ns_fail (err, NS_ERR_NOMEM, "out of memory loading a model");
    }
  m->kind = kind;
  switch (kind)
    {
    case NS_MODEL_CD16X:
      st = load_cd16x (m, err);
      break;
    case NS_MODEL_VGG19:
      st = load_single (m, NULL, 0, err);
      break;
    case NS_MODEL_MICROAST:
      st = load_microast (m, err);
      break;
    default:
      st = load_single (m, lst_decoder,
                        (int) (sizeof lst_decoder / sizeof lst_decoder[0]),
                        err);
      break;
    }
  if (st != NS_OK)
    {
      ns_model_free (m);
      return st;
    }
  *out = m;
  return NS_OK;
}

ns_status
ns_model_feature_net (const ns_model *model, ns_net *net, ns_error *err)
{
  const ns_vgg_family *fam;
  if (net)
    memset (net, 0, sizeof *net);
  if (!model || !net)
    return ns_fail (err, NS_ERR_INVALID_ARG, "feature net: NULL argument");
  if (!(fam = ns_vgg_family_get (model->kind)))
    return ns_fail (err, NS_ERR_INTERNAL, "feature net: unknown model kind");
  return ns_vgg_feature_net (model->kind,
                             ns_model_weights (model, fam->trunk_file),
                             fam->trunk_file, net, err);
}
