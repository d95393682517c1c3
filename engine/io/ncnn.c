/* ncnn .param / .bin reader (see ncnn.h for the format and the rules).
 * Everything read is untrusted: counts are bounded before anything is
 * allocated, every extent is checked against the bytes left, blob names
 * are looked up in a hash table so a hostile file stays linear. */
#include "ncnn.h"
#include "input.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NCNN_TAG_FP16 0x01306B47u
#define NCNN_MAX_TOKEN 256
#define NCNN_MAX_TOPS 64
#define NCNN_ARRAY_KEY -23300

static const char *const type_names[] = {
  "Input", "Padding", "Convolution", "InstanceNorm",
  "ReLU",  "Split",   "BinaryOp",    "Interp",
};

const char *
ns_ncnn_type_name (ns_ncnn_type type)
{
  return (unsigned) type < sizeof type_names / sizeof type_names[0]
             ? type_names[type]
             : "?";
}

float
ns_half_to_float (uint16_t h)
{
  const unsigned e = (h >> 10) & 0x1f, m = h & 0x3ff;
  float v;

  if (e == 0)
    v = ldexpf ((float) m, -24);
  else if (e == 31)
    v = m ? NAN : INFINITY;
  else
    v = ldexpf ((float) (m | 0x400), (int) e - 25);
  return (h & 0x8000) ? -v : v;
}

int
ns_ncnn_int (const ns_ncnn_layer *l, int k, int def)
{
  if (k < 0 || k >= NS_NCNN_MAX_KEYS || !(l->set & (1u << k)) ||
      (l->is_array & (1u << k)))
    return def;
  return l->ival[k];
}

float
ns_ncnn_float (const ns_ncnn_layer *l, int k, float def)
{
  if (k < 0 || k >= NS_NCNN_MAX_KEYS || !(l->set & (1u << k)) ||
      (l->is_array & (1u << k)))
    return def;
  return l->fval[k];
}

void
ns_ncnn_free (ns_ncnn *net)
{
  if (!net)
    return;
  for (int i = 0; i < net->n_layers; i++)
    {
      ns_ncnn_layer *l = &net->layers[i];
      free (l->name);
      free (l->bottom);
      free (l->top);
      for (int k = 0; k < NS_NCNN_MAX_KEYS; k++)
        free (l->arr[k]);
      free (l->data[0]);
      free (l->data[1]);
    }
  if (net->blob_names)
    for (int i = 0; i < net->n_blobs; i++)
      free (net->blob_names[i]);
  free (net->layers);
  free (net->blob_names);
  free (net->blob_producer);
  free (net->blob_consumer);
  free (net->param_name);
  free (net->bin_name);
  free (net);
}

/* ------------------------------------------------------------ parsing */

typedef struct
{
  ns_input in;
  const char *p, *end; /* the rest of the text */
  int line;
  /* Blob name -> index: open addressing, 2 * max blobs slots. */
  int *slots;
  size_t n_slots;
  ns_ncnn *net;
  int declared_blobs;
} parser;

static uint32_t
hash_name (const char *s)
{
  uint32_t h = 2166136261u;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 16777619u;
  return h;
}

/* Slot of NAME: its blob's index there, or -1 where it would go. */
static size_t
find_slot (const parser *ps, const char *name)
{
  size_t i = hash_name (name) & (ps->n_slots - 1);
  while (ps->slots[i] >= 0 && strcmp (ps->net->blob_names[ps->slots[i]], name))
    i = (i + 1) & (ps->n_slots - 1);
  return i;
}

/* The next whitespace-separated token of the current line into TOK; false
 * at the end of the line (not consumed). */
static bool
next_token (parser *ps, char *tok, bool *too_long)
{
  size_t n = 0;

  *too_long = false;
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r'))
    ps->p++;
  if (ps->p >= ps->end || *ps->p == '\n')
    return false;
  while (ps->p < ps->end && *ps->p != ' ' && *ps->p != '\t' && *ps->p != '\r' &&
         *ps->p != '\n')
    {
      if (n + 1 < NCNN_MAX_TOKEN)
        tok[n++] = *ps->p;
      else
        *too_long = true;
      ps->p++;
    }
  tok[n] = '\0';
  return true;
}

/* Moves past the end of the line; false at the end of the text. */
static bool
next_line (parser *ps)
{
  while (ps->p < ps->end && *ps->p != '\n')
    ps->p++;
  if (ps->p >= ps->end)
    return false;
  ps->p++;
  ps->line++;
  return true;
}

static bool
is_blank_line (const parser *ps)
{
  for (const char *q = ps->p; q < ps->end && *q != '\n'; q++)
    if (*q != ' ' && *q != '\t' && *q != '\r')
      return false;
  return true;
}

static ns_status fail_line (parser *ps, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static ns_status
fail_line (parser *ps, const char *fmt, ...)
{
  char msg[NS_ERROR_MESSAGE_MAX];
  va_list ap;

  va_start (ap, fmt);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  vsnprintf (msg, sizeof msg, ns_tr (fmt), ap);
#pragma GCC diagnostic pop
  va_end (ap);
  return ns_input_fail (&ps->in, NS_ERR_FORMAT, "line %d: %s", ps->line, msg);
}

static bool
parse_int (const char *s, long lo, long hi, int *out)
{
  char *end;
  long v;

  errno = 0;
  v = strtol (s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi)
    return false;
  *out = (int) v;
  return true;
}

/* One scalar value as ncnn reads it: a float when it has '.', 'e' or 'E'. */
static bool
parse_value (const char *s, bool *is_float, int32_t *iv, float *fv)
{
  char *end;

  *is_float = strpbrk (s, ".eE") != NULL;
  if (*is_float)
    {
      errno = 0;
      *fv = strtof (s, &end);
      if (errno || end == s || *end || !isfinite (*fv))
        return false;
      *iv = (int32_t) (*fv > 2e9f ? 2e9f : *fv < -2e9f ? -2e9f : *fv);
      return true;
    }
  if (!parse_int (s, INT32_MIN, INT32_MAX, iv))
    return false;
  *fv = (float) *iv;
  return true;
}

static ns_status
parse_kv (parser *ps, ns_ncnn_layer *l, char *tok)
{
  char *eq = strchr (tok, '=');
  int key;

  if (!eq)
    return fail_line (ps, "expected KEY=VALUE, got '%s'", tok);
  *eq = '\0';
  if (!parse_int (tok, NCNN_ARRAY_KEY - NS_NCNN_MAX_KEYS + 1,
                  NS_NCNN_MAX_KEYS - 1, &key) ||
      (key < 0 && key > NCNN_ARRAY_KEY))
    return fail_line (ps, "bad parameter key '%s'", tok);
  if (key <= NCNN_ARRAY_KEY)
    {
      /* -233KK=N,V1,...,VN */
      int k = NCNN_ARRAY_KEY - key, n;
      char *s = eq + 1, *comma = strchr (s, ',');
      if (l->set & (1u << k))
        return fail_line (ps, "parameter %d given twice", k);
      if (comma)
        *comma = '\0';
      if (!parse_int (s, 0, NS_NCNN_MAX_ARRAY, &n))
        return fail_line (ps, "bad array length '%s' for parameter %d", s, k);
      l->arr[k] = malloc (sizeof (float) * (size_t) (n ? n : 1));
      if (!l->arr[k])
        return ns_input_fail (&ps->in, NS_ERR_NOMEM, "out of memory");
      for (int i = 0; i < n; i++)
        {
          bool isf;
          int32_t iv;
          if (!comma)
            return fail_line (ps, "array parameter %d has fewer than %d values",
                              k, n);
          s = comma + 1;
          comma = strchr (s, ',');
          if (comma)
            *comma = '\0';
          if (!parse_value (s, &isf, &iv, &l->arr[k][i]))
            return fail_line (ps, "bad value '%s' in array parameter %d", s, k);
        }
      if (comma)
        return fail_line (ps, "array parameter %d has more than %d values", k,
                          n);
      l->arr_len[k] = n;
      l->set |= 1u << k;
      l->is_array |= 1u << k;
      return NS_OK;
    }
  {
    bool isf;
    if (l->set & (1u << key))
      return fail_line (ps, "parameter %d given twice", key);
    if (!parse_value (eq + 1, &isf, &l->ival[key], &l->fval[key]))
      return fail_line (ps, "bad value '%s' for parameter %d", eq + 1, key);
    l->set |= 1u << key;
    if (isf)
      l->is_float |= 1u << key;
  }
  return NS_OK;
}

/* An int parameter in [LO, HI] (DEF when absent). */
static ns_status
int_param (parser *ps, const ns_ncnn_layer *l, int k, int def, int lo, int hi,
           const char *what, int *out)
{
  if ((l->is_array | l->is_float) & (1u << k))
    return fail_line (ps, "%s '%s': parameter %d (%s) must be an integer",
                      ns_ncnn_type_name (l->type), l->name, k, what);
  *out = ns_ncnn_int (l, k, def);
  if (*out < lo || *out > hi)
    return fail_line (ps, "%s '%s': %s %d out of range [%d, %d]",
                      ns_ncnn_type_name (l->type), l->name, what, *out, lo, hi);
  return NS_OK;
}

/* What the .bin reader relies on, checked at parse time. */
static ns_status
check_layer_params (parser *ps, const ns_ncnn_layer *l)
{
  ns_status st;
  int v, nout, kw, kh;

  switch (l->type)
    {
    case NS_NCNN_CONVOLUTION:
      if ((st = int_param (ps, l, 0, 0, 1, 65536, "num_output", &nout)) ||
          (st = int_param (ps, l, 1, 0, 1, 15, "kernel_w", &kw)) ||
          (st = int_param (ps, l, 11, kw, 1, 15, "kernel_h", &kh)) ||
          (st = int_param (ps, l, 5, 0, 0, 1, "bias_term", &v)) ||
          (st = int_param (ps, l, 8, 0, 0, 0, "int8_scale_term", &v)) ||
          (st = int_param (ps, l, 6, 0, 1, INT_MAX, "weight_data_size", &v)))
        return st;
      if (v % (nout * kw * kh))
        return fail_line (ps,
                          "Convolution '%s': weight_data_size %d is not a "
                          "multiple of %d x %d x %d",
                          l->name, v, nout, kh, kw);
      break;
    case NS_NCNN_INSTANCENORM:
      if ((st = int_param (ps, l, 0, 0, 1, 65536, "channels", &v)) ||
          (st = int_param (ps, l, 2, 1, 0, 1, "affine", &v)))
        return st;
      if (!(ns_ncnn_float (l, 1, 0.001f) > 0.0f))
        return fail_line (ps, "InstanceNorm '%s': eps must be positive",
                          l->name);
      break;
    default:
      break;
    }
  return NS_OK;
}

/* Bottoms and tops each type takes (tops: at least MIN_TOP for Split). */
static bool
arity_ok (ns_ncnn_type t, int nb, int nt)
{
  switch (t)
    {
    case NS_NCNN_INPUT:
      return nb == 0 && nt == 1;
    case NS_NCNN_SPLIT:
      return nb == 1 && nt >= 1;
    case NS_NCNN_BINARYOP:
      return (nb == 1 || nb == 2) && nt == 1;
    default:
      return nb == 1 && nt == 1;
    }
}

static ns_status
parse_layer (parser *ps, ns_ncnn_layer *l, int index)
{
  ns_ncnn *net = ps->net;
  char tok[NCNN_MAX_TOKEN];
  bool too_long;
  ns_status st;
  int t;

  l->line = ps->line;
  if (!next_token (ps, tok, &too_long) || too_long)
    return fail_line (ps, "missing layer type");
  for (t = 0; t < (int) (sizeof type_names / sizeof type_names[0]); t++)
    if (strcmp (tok, type_names[t]) == 0)
      break;
  if (t == (int) (sizeof type_names / sizeof type_names[0]))
    return fail_line (ps, "unknown layer type '%s'", tok);
  l->type = (ns_ncnn_type) t;
  if (!next_token (ps, tok, &too_long) || too_long)
    return fail_line (ps, "missing or too long layer name");
  if (!(l->name = strdup (tok)))
    return ns_input_fail (&ps->in, NS_ERR_NOMEM, "out of memory");
  if (!next_token (ps, tok, &too_long) ||
      !parse_int (tok, 0, NCNN_MAX_TOPS, &l->n_bottom) ||
      !next_token (ps, tok, &too_long) ||
      !parse_int (tok, 0, NCNN_MAX_TOPS, &l->n_top))
    return fail_line (ps, "layer '%s': bad bottom/top counts", l->name);
  if (!arity_ok (l->type, l->n_bottom, l->n_top))
    return fail_line (ps, "%s '%s' cannot have %d inputs and %d outputs",
                      type_names[t], l->name, l->n_bottom, l->n_top);
  l->bottom = calloc ((size_t) l->n_bottom + 1, sizeof (int));
  l->top = calloc ((size_t) l->n_top + 1, sizeof (int));
  if (!l->bottom || !l->top)
    return ns_input_fail (&ps->in, NS_ERR_NOMEM, "out of memory");
  for (int i = 0; i < l->n_bottom; i++)
    {
      size_t s;
      int b;
      if (!next_token (ps, tok, &too_long) || too_long)
        return fail_line (ps, "layer '%s': missing input blob", l->name);
      s = find_slot (ps, tok);
      if ((b = ps->slots[s]) < 0)
        return fail_line (ps,
                          "layer '%s': input blob '%s' is not produced by an "
                          "earlier layer",
                          l->name, tok);
      if (net->blob_consumer[b] >= 0)
        return fail_line (ps,
                          "layer '%s': blob '%s' is already consumed by layer "
                          "'%s' (ncnn fans out with Split)",
                          l->name, tok,
                          net->layers[net->blob_consumer[b]].name);
      net->blob_consumer[b] = index;
      l->bottom[i] = b;
    }
  for (int i = 0; i < l->n_top; i++)
    {
      size_t s;
      if (!next_token (ps, tok, &too_long) || too_long)
        return fail_line (ps, "layer '%s': missing output blob", l->name);
      s = find_slot (ps, tok);
      if (ps->slots[s] >= 0)
        return fail_line (ps, "layer '%s': blob '%s' is produced twice",
                          l->name, tok);
      if (net->n_blobs >= ps->declared_blobs)
        return fail_line (ps, "more blobs than the %d declared",
                          ps->declared_blobs);
      if (!(net->blob_names[net->n_blobs] = strdup (tok)))
        return ns_input_fail (&ps->in, NS_ERR_NOMEM, "out of memory");
      net->blob_producer[net->n_blobs] = index;
      net->blob_consumer[net->n_blobs] = -1;
      ps->slots[s] = net->n_blobs;
      l->top[i] = net->n_blobs++;
    }
  while (next_token (ps, tok, &too_long))
    {
      if (too_long)
        return fail_line (ps, "layer '%s': parameter too long", l->name);
      if ((st = parse_kv (ps, l, tok)) != NS_OK)
        return st;
    }
  return check_layer_params (ps, l);
}

ns_status
ns_ncnn_parse_param (const char *text, size_t len, const char *name,
                     ns_ncnn **out, ns_error *err)
{
  parser ps = { { (const unsigned char *) text, len, name, err } };
  char tok[NCNN_MAX_TOKEN];
  bool too_long;
  int magic, n_layers, n_blobs;
  ns_ncnn *net;
  ns_status st = NS_OK;

  *out = NULL;
  if (len > NS_NCNN_MAX_PARAM_BYTES)
    return ns_input_fail (&ps.in, NS_ERR_FORMAT,
                          "%zu bytes, more than a .param may have (%zu)", len,
                          NS_NCNN_MAX_PARAM_BYTES);
  if (memchr (text, '\0', len))
    return ns_input_fail (&ps.in, NS_ERR_FORMAT,
                          "not an ncnn .param text file (binary data)");
  ps.p = text;
  ps.end = text + len;
  ps.line = 1;
  if (!next_token (&ps, tok, &too_long) ||
      !parse_int (tok, 0, INT_MAX, &magic) || magic != NS_NCNN_MAGIC)
    return ns_input_fail (&ps.in, NS_ERR_FORMAT,
                          "not an ncnn .param file (no magic %d on line 1)",
                          NS_NCNN_MAGIC);
  if (!next_line (&ps) || !next_token (&ps, tok, &too_long) ||
      !parse_int (tok, 1, NS_NCNN_MAX_LAYERS, &n_layers) ||
      !next_token (&ps, tok, &too_long) ||
      !parse_int (tok, 1, NS_NCNN_MAX_BLOBS, &n_blobs))
    return fail_line (&ps,
                      "expected the layer count (1..%d) and the blob count "
                      "(1..%d)",
                      NS_NCNN_MAX_LAYERS, NS_NCNN_MAX_BLOBS);
  /* Each layer is a line of at least 8 bytes: a hostile count is refused
     before anything of its size is allocated. */
  if ((size_t) n_layers > len / 8 || (size_t) n_blobs > len / 2)
    return fail_line (&ps, "%d layers and %d blobs cannot fit in %zu bytes",
                      n_layers, n_blobs, len);
  if (!(net = calloc (1, sizeof *net)))
    return ns_input_fail (&ps.in, NS_ERR_NOMEM, "out of memory");
  ps.net = net;
  ps.declared_blobs = n_blobs;
  for (ps.n_slots = 16; ps.n_slots < 2 * (size_t) n_blobs; ps.n_slots *= 2)
    ;
  net->layers = calloc ((size_t) n_layers, sizeof *net->layers);
  net->blob_names = calloc ((size_t) n_blobs, sizeof (char *));
  net->blob_producer = calloc ((size_t) n_blobs, sizeof (int));
  net->blob_consumer = calloc ((size_t) n_blobs, sizeof (int));
  net->param_name = strdup (name);
  ps.slots = malloc (sizeof (int) * ps.n_slots);
  if (!net->layers || !net->blob_names || !net->blob_producer ||
      !net->blob_consumer || !net->param_name || !ps.slots)
    {
      st = ns_input_fail (&ps.in, NS_ERR_NOMEM, "out of memory");
      goto out;
    }
  memset (ps.slots, 0xff, sizeof (int) * ps.n_slots);
  while (next_line (&ps))
    {
      if (is_blank_line (&ps))
        continue;
      if (net->n_layers >= n_layers)
        {
          st = fail_line (&ps, "more layers than the %d declared", n_layers);
          goto out;
        }
      st = parse_layer (&ps, &net->layers[net->n_layers], net->n_layers);
      net->n_layers++;
      if (st != NS_OK)
        goto out;
    }
  if (net->n_layers != n_layers || net->n_blobs != n_blobs)
    {
      st = ns_input_fail (&ps.in, NS_ERR_FORMAT,
                          "%d layers and %d blobs, the header declares %d and "
                          "%d",
                          net->n_layers, net->n_blobs, n_layers, n_blobs);
      goto out;
    }
out:
  free (ps.slots);
  if (st != NS_OK)
    ns_ncnn_free (net);
  else
    *out = net;
  return st;
}

/* --------------------------------------------------------------- .bin */

typedef struct
{
  ns_input in;
  size_t pos;
} bin_reader;

static ns_status
bin_fail (bin_reader *br, const ns_ncnn_layer *l, const char *what, size_t need)
{
  return ns_input_fail (&br->in, NS_ERR_FORMAT,
                        "truncated in %s '%s' (param line %d): its %s need "
                        "%zu bytes at offset %zu, %zu left",
                        ns_ncnn_type_name (l->type), l->name, l->line, what,
                        need, br->pos, br->in.len - br->pos);
}

static ns_status
check_finite (bin_reader *br, const ns_ncnn_layer *l, const char *what,
              const float *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!isfinite (v[i]))
      return ns_input_fail (&br->in, NS_ERR_FORMAT,
                            "%s '%s' (param line %d): %s value %zu is not "
                            "finite",
                            ns_ncnn_type_name (l->type), l->name, l->line, what,
                            i);
  return NS_OK;
}

/* N raw fp32 values (ncnn's load (N, 1)). */
static ns_status
read_f32 (bin_reader *br, const ns_ncnn_layer *l, const char *what, size_t n,
          float **out)
{
  const size_t need = n * 4;

  if (need > br->in.len - br->pos)
    return bin_fail (br, l, what, need);
  if (!(*out = malloc (need ? need : 1)))
    return ns_input_fail (&br->in, NS_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < n; i++)
    {
      uint32_t u = rd32 (br->in.base + br->pos + 4 * i);
      memcpy (*out + i, &u, 4);
    }
  br->pos += need;
  return check_finite (br, l, what, *out, n);
}

/* N tagged values (ncnn's load (N, 0)): fp16 or fp32, padded to 4. */
static ns_status
read_tagged (bin_reader *br, const ns_ncnn_layer *l, size_t n, float **out)
{
  uint32_t tag;
  size_t need;

  if (4 > br->in.len - br->pos)
    return bin_fail (br, l, "weight tag", 4);
  tag = rd32 (br->in.base + br->pos);
  if (tag == 0)
    {
      br->pos += 4;
      return read_f32 (br, l, "fp32 weights", n, out);
    }
  if (tag != NCNN_TAG_FP16)
    return ns_input_fail (&br->in, NS_ERR_FORMAT,
                          "%s '%s' (param line %d): unsupported weight tag "
                          "0x%08x at offset %zu (fp16 0x%08x and fp32 0 are "
                          "read)",
                          ns_ncnn_type_name (l->type), l->name, l->line, tag,
                          br->pos, NCNN_TAG_FP16);
  br->pos += 4;
  need = (n * 2 + 3) & ~(size_t) 3;
  if (need > br->in.len - br->pos)
    return bin_fail (br, l, "fp16 weights", need);
  if (!(*out = malloc (n * sizeof (float))))
    return ns_input_fail (&br->in, NS_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < n; i++)
    (*out)[i] = ns_half_to_float (rd16 (br->in.base + br->pos + 2 * i));
  br->pos += need;
  return check_finite (br, l, "weight", *out, n);
}

ns_status
ns_ncnn_read_bin (ns_ncnn *net, const void *data, size_t len, const char *name,
                  ns_error *err)
{
  bin_reader br = { { data, len, name, err }, 0 };
  ns_status st;

  free (net->bin_name);
  if (!(net->bin_name = strdup (name)))
    return ns_fail (err, NS_ERR_NOMEM, "out of memory");
  for (int i = 0; i < net->n_layers; i++)
    {
      ns_ncnn_layer *l = &net->layers[i];
      for (int j = 0; j < 2; j++)
        {
          free (l->data[j]);
          l->data[j] = NULL;
          l->n_data[j] = 0;
        }
      if (l->type == NS_NCNN_CONVOLUTION)
        {
          l->n_data[0] = (size_t) ns_ncnn_int (l, 6, 0);
          if ((st = read_tagged (&br, l, l->n_data[0], &l->data[0])) != NS_OK)
            return st;
          if (ns_ncnn_int (l, 5, 0))
            {
              l->n_data[1] = (size_t) ns_ncnn_int (l, 0, 0);
              if ((st = read_f32 (&br, l, "bias", l->n_data[1], &l->data[1])) !=
                  NS_OK)
                return st;
            }
        }
      else if (l->type == NS_NCNN_INSTANCENORM && ns_ncnn_int (l, 2, 1))
        {
          size_t c = (size_t) ns_ncnn_int (l, 0, 0);
          l->n_data[0] = l->n_data[1] = c;
          if ((st = read_f32 (&br, l, "gamma", c, &l->data[0])) != NS_OK ||
              (st = read_f32 (&br, l, "beta", c, &l->data[1])) != NS_OK)
            return st;
        }
    }
  if (br.pos != len)
    return ns_input_fail (&br.in, NS_ERR_FORMAT,
                          "%zu bytes after the last layer's weights (read "
                          "%zu of %zu): not the weights of this graph",
                          len - br.pos, br.pos, len);
  return NS_OK;
}

/* Smallest and largest .bin the graph allows (fp16 / fp32 weights). */
static void
bin_bounds (const ns_ncnn *net, double *lo, double *hi)
{
  *lo = *hi = 0.0;
  for (int i = 0; i < net->n_layers; i++)
    {
      const ns_ncnn_layer *l = &net->layers[i];
      if (l->type == NS_NCNN_CONVOLUTION)
        {
          double n = ns_ncnn_int (l, 6, 0);
          double bias = ns_ncnn_int (l, 5, 0) ? 4.0 * ns_ncnn_int (l, 0, 0) : 0;
          *lo += 4 + ceil (n * 2 / 4) * 4 + bias;
          *hi += 4 + n * 4 + bias;
        }
      else if (l->type == NS_NCNN_INSTANCENORM && ns_ncnn_int (l, 2, 1))
        {
          *lo += 8.0 * ns_ncnn_int (l, 0, 0);
          *hi += 8.0 * ns_ncnn_int (l, 0, 0);
        }
    }
}

/* Reads PATH whole (at most MAX bytes, else NS_ERR_FORMAT); with LO/HI >=
 * 0 the size must lie in [LO, HI]. */
static ns_status
read_file (const char *path, size_t max, double lo, double hi, char **data,
           size_t *len, ns_error *err)
{
  FILE *f = fopen (path, "rb");
  struct stat sb;
  size_t n;

  *data = NULL;
  if (!f)
    return ns_fail (err, NS_ERR_IO, "%s: cannot open: %s", path,
                    strerror (errno));
  if (fstat (fileno (f), &sb) != 0 || !S_ISREG (sb.st_mode))
    {
      fclose (f);
      return ns_fail (err, NS_ERR_IO, "%s: not a regular file", path);
    }
  if ((uintmax_t) sb.st_size > max)
    {
      fclose (f);
      return ns_fail (err, NS_ERR_FORMAT, "%s: %jd bytes, more than %zu", path,
                      (intmax_t) sb.st_size, max);
    }
  n = (size_t) sb.st_size;
  if (lo >= 0 && ((double) n < lo || (double) n > hi))
    {
      fclose (f);
      return ns_fail (err, NS_ERR_FORMAT,
                      "%s: %zu bytes, but the graph's weights take between "
                      "%.0f and %.0f bytes (a truncated file, or the weights "
                      "of another graph)",
                      path, n, lo, hi);
    }
  if (!(*data = malloc (n + 1)))
    {
      fclose (f);
      return ns_fail (err, NS_ERR_NOMEM, "%s: out of memory", path);
    }
  if (fread (*data, 1, n, f) != n)
    {
      fclose (f);
      free (*data);
      *data = NULL;
      return ns_fail (err, NS_ERR_IO, "%s: read error", path);
    }
  fclose (f);
  *len = n;
  return NS_OK;
}

ns_status
ns_ncnn_load (const char *param_path, const char *bin_path, ns_ncnn **out,
              ns_error *err)
{
  char *text, *bin;
  size_t tlen, blen;
  double lo, hi;
  ns_ncnn *net;
  ns_status st;

  *out = NULL;
  if ((st = read_file (param_path, NS_NCNN_MAX_PARAM_BYTES, -1, -1, &text,
                       &tlen, err)) != NS_OK)
    return st;
  st = ns_ncnn_parse_param (text, tlen, param_path, &net, err);
  free (text);
  if (st != NS_OK)
    return st;
  bin_bounds (net, &lo, &hi);
  if ((st = read_file (bin_path, NS_NCNN_MAX_BIN_BYTES, lo, hi, &bin, &blen,
                       err)) != NS_OK)
    {
      ns_ncnn_free (net);
      return st;
    }
  st = ns_ncnn_read_bin (net, bin, blen, bin_path, err);
  free (bin);
  if (st != NS_OK)
    {
      ns_ncnn_free (net);
      return st;
    }
  *out = net;
  return NS_OK;
}
