/* Fast styles (see fast.h): the ncnn graph compiled into a list of ops on
 * "values" (a blob and its Split copies share one value), run with
 * reference counts so that each activation is freed after its last use
 * and the element-wise ops work in place when they are its only user. */
#include "fast.h"

#include "io/ncnn.h"
#include "nn/nn-dnnl.h"
#include "nn/nn.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum
{
  OP_CONV,
  OP_INSTNORM,
  OP_RELU,
  OP_ADD,
  OP_UP2
} op_kind;

typedef struct
{
  op_kind kind;
  int in0, in1, out; /* values */
  ns_conv conv;      /* OP_CONV */
  const float *gamma, *beta;
  float eps;
  bool relu; /* fused (OP_INSTNORM, OP_ADD; OP_CONV in conv.relu) */
  const char *name;
} fast_op;

struct ns_fast_net
{
  ns_ncnn *ncnn; /* owns the weights and names */
  fast_op *ops;
  int n_ops;
  int n_values, input, output;
  int *uses;     /* ops reading each value (ADD of a value with itself: 2) */
  int *channels; /* per value */
};

void
ns_fast_net_free (ns_fast_net *net)
{
  if (!net)
    return;
  /* oneDNN's reordered copies of the weights go with them. */
  for (int i = 0; i < net->n_ops; i++)
    if (net->ops[i].kind == OP_CONV)
      ns_dnnl_forget (net->ops[i].conv.weight);
  ns_ncnn_free (net->ncnn);
  free (net->ops);
  free (net->uses);
  free (net->channels);
  free (net);
}

/* ------------------------------------------------------------ compile */

typedef struct
{
  ns_fast_net *net;
  const ns_ncnn *g;
  int *val; /* blob -> value */
  int *pad; /* blob -> pending Padding amount (-1: none) */
  bool *pad_zero;
  ns_error *err;
} compiler;

static ns_status
unsupported (compiler *c, const ns_ncnn_layer *l, const char *what)
{
  return ns_fail (c->err, NS_ERR_UNSUPPORTED, "%s: %s '%s' (line %d): %s",
                  c->g->param_name, ns_ncnn_type_name (l->type), l->name,
                  l->line, what);
}

static int
new_value (compiler *c, int channels)
{
  c->net->channels[c->net->n_values] = channels;
  return c->net->n_values++;
}

static fast_op *
push_op (compiler *c, op_kind kind, const ns_ncnn_layer *l)
{
  fast_op *op = &c->net->ops[c->net->n_ops++];
  memset (op, 0, sizeof *op);
  op->kind = kind;
  op->in1 = -1;
  op->name = l->name;
  return op;
}

/* Does the op producing blob B's value (the last op) take a fused ReLU,
 * and is B read by nothing else? */
static fast_op *
fusable_producer (compiler *c, int b)
{
  fast_op *op;
  if (c->net->n_ops == 0)
    return NULL;
  op = &c->net->ops[c->net->n_ops - 1];
  if (op->out != c->val[b] ||
      (op->kind != OP_CONV && op->kind != OP_INSTNORM && op->kind != OP_ADD))
    return NULL;
  return op;
}

static ns_status
compile_conv (compiler *c, const ns_ncnn_layer *l)
{
  const int b = l->bottom[0];
  const int nout = ns_ncnn_int (l, 0, 0), k = ns_ncnn_int (l, 1, 0);
  const int s = ns_ncnn_int (l, 3, 1), p = ns_ncnn_int (l, 4, 0);
  const int cin = c->net->channels[c->val[b]];
  int act = ns_ncnn_int (l, 9, 0);
  fast_op *op;

  if (ns_ncnn_int (l, 11, k) != k || ns_ncnn_int (l, 13, s) != s ||
      k % 2 == 0 || k > 9)
    return unsupported (c, l,
                        "only square odd kernels up to 9x9 and equal "
                        "strides");
  if (s != 1 && s != 2)
    return unsupported (c, l, "stride other than 1 or 2");
  if (ns_ncnn_int (l, 2, 1) != 1 || ns_ncnn_int (l, 12, 1) != 1)
    return unsupported (c, l, "dilation");
  if (ns_ncnn_int (l, 14, p) != p || ns_ncnn_int (l, 15, p) != p ||
      ns_ncnn_int (l, 16, p) != p || p < 0 || ns_ncnn_float (l, 18, 0) != 0)
    return unsupported (c, l, "unequal or non-zero-valued padding");
  if (act != 0 && act != 1)
    return unsupported (c, l, "an activation other than ReLU");
  if (act == 1 && (l->set & (1u << 10)))
    return unsupported (c, l, "an activation with parameters");
  if ((size_t) nout * cin * k * k != l->n_data[0])
    return ns_fail (c->err, NS_ERR_SHAPE,
                    "%s: Convolution '%s' (line %d) has %zu weights, its "
                    "input has %d channels (expected %d x %d x %d x %d)",
                    c->g->param_name, l->name, l->line, l->n_data[0], cin, nout,
                    cin, k, k);
  op = push_op (c, OP_CONV, l);
  op->in0 = c->val[b];
  op->conv.cin = cin;
  op->conv.cout = nout;
  op->conv.k = k;
  op->conv.stride = s;
  op->conv.weight = l->data[0];
  op->conv.bias = l->data[1];
  op->conv.relu = act == 1;
  op->conv.pad = p;
  op->conv.pad_zero = true; /* ncnn's own convolution padding */
  if (c->pad[b] >= 0)
    {
      if (p != 0)
        return unsupported (c, l,
                            "padding both in a Padding layer and in "
                            "the convolution");
      op->conv.pad = c->pad[b];
      op->conv.pad_zero = c->pad_zero[b];
      /* The Padding's input is what the convolution reads. */
    }
  if (op->conv.pad >= k)
    return unsupported (c, l, "padding as large as the kernel");
  op->out = c->val[l->top[0]] = new_value (c, nout);
  return NS_OK;
}

static ns_status
compile_layer (compiler *c, const ns_ncnn_layer *l)
{
  const int b = l->n_bottom ? l->bottom[0] : -1;
  fast_op *op;

  /* A pending Padding is read only by a convolution. */
  if (b >= 0 && c->pad[b] >= 0 && l->type != NS_NCNN_CONVOLUTION)
    return unsupported (c, l,
                        "reads a Padding layer's output (only a "
                        "convolution may)");
  switch (l->type)
    {
    case NS_NCNN_INPUT:
      if (c->net->input >= 0)
        return unsupported (c, l, "a second input");
      if (ns_ncnn_int (l, 2, 3) != 3)
        return unsupported (c, l, "an input of other than 3 channels");
      c->net->input = c->val[l->top[0]] = new_value (c, 3);
      return NS_OK;
    case NS_NCNN_PADDING:
      {
        int p = ns_ncnn_int (l, 0, 0), type = ns_ncnn_int (l, 4, 0);
        if (ns_ncnn_int (l, 1, 0) != p || ns_ncnn_int (l, 2, 0) != p ||
            ns_ncnn_int (l, 3, 0) != p || p < 0 || p > 8 ||
            ns_ncnn_int (l, 6, 0) != 0 || ns_ncnn_int (l, 7, 0) != 0 ||
            ns_ncnn_int (l, 8, 0) != 0)
          return unsupported (c, l,
                              "padding other than equal on all four "
                              "sides, at most 8");
        if (type != 2 && !(type == 0 && ns_ncnn_float (l, 5, 0) == 0))
          return unsupported (c, l, "padding other than reflection or zeros");
        c->val[l->top[0]] = c->val[b];
        c->pad[l->top[0]] = p;
        c->pad_zero[l->top[0]] = type == 0;
        return NS_OK;
      }
    case NS_NCNN_CONVOLUTION:
      return compile_conv (c, l);
    case NS_NCNN_INSTANCENORM:
      if (ns_ncnn_int (l, 0, 0) != c->net->channels[c->val[b]])
        return ns_fail (c->err, NS_ERR_SHAPE,
                        "%s: InstanceNorm '%s' (line %d) has %d channels, its "
                        "input %d",
                        c->g->param_name, l->name, l->line,
                        ns_ncnn_int (l, 0, 0), c->net->channels[c->val[b]]);
      op = push_op (c, OP_INSTNORM, l);
      op->in0 = c->val[b];
      op->gamma = l->data[0];
      op->beta = l->data[1];
      op->eps = ns_ncnn_float (l, 1, 0.001f);
      op->out = c->val[l->top[0]] = new_value (c, c->net->channels[c->val[b]]);
      return NS_OK;
    case NS_NCNN_RELU:
      if (ns_ncnn_float (l, 0, 0) != 0)
        return unsupported (c, l, "leaky ReLU");
      if ((op = fusable_producer (c, b)) != NULL)
        {
          if (op->kind == OP_CONV)
            op->conv.relu = true;
          else
            op->relu = true;
          c->val[l->top[0]] = op->out;
          return NS_OK;
        }
      op = push_op (c, OP_RELU, l);
      op->in0 = c->val[b];
      op->out = c->val[l->top[0]] = new_value (c, c->net->channels[c->val[b]]);
      return NS_OK;
    case NS_NCNN_SPLIT:
      for (int i = 0; i < l->n_top; i++)
        c->val[l->top[i]] = c->val[b];
      return NS_OK;
    case NS_NCNN_BINARYOP:
      if (ns_ncnn_int (l, 0, 0) != 0 || ns_ncnn_int (l, 1, 0) != 0 ||
          l->n_bottom != 2)
        return unsupported (c, l, "an operation other than adding two blobs");
      if (c->pad[l->bottom[1]] >= 0)
        return unsupported (c, l, "reads a Padding layer's output");
      if (c->net->channels[c->val[b]] != c->net->channels[c->val[l->bottom[1]]])
        return unsupported (c, l, "adds blobs of different channel counts");
      op = push_op (c, OP_ADD, l);
      op->in0 = c->val[b];
      op->in1 = c->val[l->bottom[1]];
      op->out = c->val[l->top[0]] = new_value (c, c->net->channels[c->val[b]]);
      return NS_OK;
    case NS_NCNN_INTERP:
      if (ns_ncnn_int (l, 0, 0) != 1 || ns_ncnn_float (l, 1, 1) != 2.0f ||
          ns_ncnn_float (l, 2, 1) != 2.0f || ns_ncnn_int (l, 3, 0) != 0 ||
          ns_ncnn_int (l, 4, 0) != 0)
        return unsupported (c, l, "resizing other than nearest x2");
      op = push_op (c, OP_UP2, l);
      op->in0 = c->val[b];
      op->out = c->val[l->top[0]] = new_value (c, c->net->channels[c->val[b]]);
      return NS_OK;
    }
  return unsupported (c, l, "unknown layer");
}

static ns_status
compile (ns_fast_net *net, ns_error *err)
{
  const ns_ncnn *g = net->ncnn;
  compiler c = { net, g, NULL, NULL, NULL, err };
  ns_status st = NS_OK;
  int n_out = 0;

  net->input = net->output = -1;
  net->ops = calloc ((size_t) g->n_layers, sizeof *net->ops);
  net->uses = calloc ((size_t) g->n_blobs, sizeof (int));
  net->channels = calloc ((size_t) g->n_blobs, sizeof (int));
  c.val = malloc (sizeof (int) * (size_t) g->n_blobs);
  c.pad = malloc (sizeof (int) * (size_t) g->n_blobs);
  c.pad_zero = calloc ((size_t) g->n_blobs, sizeof (bool));
  if (!net->ops || !net->uses || !net->channels || !c.val || !c.pad ||
      !c.pad_zero)
    {
      st = ns_fail (err, NS_ERR_NOMEM, "out of memory");
      goto out;
    }
  for (int i = 0; i < g->n_blobs; i++)
    c.pad[i] = -1;
  for (int i = 0; i < g->n_layers && st == NS_OK; i++)
    st = compile_layer (&c, &g->layers[i]);
  if (st != NS_OK)
    goto out;
  /* Exactly one blob nobody reads: the output (3 channels). */
  for (int i = 0; i < g->n_blobs; i++)
    if (g->blob_consumer[i] < 0)
      {
        n_out++;
        net->output = c.val[i];
        if (c.pad[i] >= 0)
          n_out = 2;
      }
  if (net->input < 0 || n_out != 1 || net->output == net->input ||
      net->channels[net->output] != 3)
    {
      st = ns_fail (err, NS_ERR_UNSUPPORTED,
                    "%s: not an image-to-image network (one 3-channel input "
                    "and one 3-channel output)",
                    g->param_name);
      goto out;
    }
  for (int i = 0; i < net->n_ops; i++)
    {
      net->uses[net->ops[i].in0]++;
      if (net->ops[i].in1 >= 0)
        net->uses[net->ops[i].in1]++;
    }
out:
  free (c.val);
  free (c.pad);
  free (c.pad_zero);
  return st;
}

static bool
valid_style_name (const char *s)
{
  if (!s || !*s || strlen (s) > 64)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
      return false;
  return true;
}

ns_status
ns_fast_net_load (const char *dir, const char *style, ns_fast_net **out,
                  ns_error *err)
{
  char *param = NULL, *bin = NULL;
  ns_fast_net *net;
  ns_status st;
  size_t n;

  *out = NULL;
  if (!dir || !valid_style_name (style))
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "fast style: '%s' is not a style name (letters, digits, "
                    "'_' and '-')",
                    style ? style : "(null)");
  n = strlen (dir) + strlen (style) + 32;
  param = malloc (n);
  bin = malloc (n);
  net = calloc (1, sizeof *net);
  if (!param || !bin || !net)
    {
      free (param);
      free (bin);
      free (net);
      return ns_fail (err, NS_ERR_NOMEM, "out of memory");
    }
  snprintf (param, n, "%s/transformer.param", dir);
  snprintf (bin, n, "%s/%s.bin", dir, style);
  st = ns_ncnn_load (param, bin, &net->ncnn, err);
  if (st == NS_OK)
    st = compile (net, err);
  free (param);
  free (bin);
  if (st != NS_OK)
    {
      ns_fast_net_free (net);
      return st;
    }
  *out = net;
  return NS_OK;
}

/* ---------------------------------------------------------------- run */

typedef struct
{
  const ns_fast_net *net;
  ns_tensor *vals;
  int *refs;
  /* Per value: its layout, 1 (plain) or oneDNN's channel block (kept
     between layers on oneDNN fp32: no reorders around each
     convolution). */
  int *lay;
} runner;

/* Value V in layout BLK (converted through a new buffer if needed). */
static ns_status
relayout (runner *r, int v, int blk, int nt, ns_error *err)
{
  ns_tensor *t = &r->vals[v], n;
  ns_status st;

  if (r->lay[v] == blk)
    return NS_OK;
  if ((st = ns_tensor_alloc (&n, t->c, t->h, t->w, err)) != NS_OK)
    return st;
  if (blk > 1)
    ns_blocked_from_plain (t->data, t->c, t->h, t->w, blk, n.data, nt);
  else
    ns_blocked_to_plain (t->data, t->c, t->h, t->w, r->lay[v], n.data, nt);
  ns_tensor_free (t);
  *t = n;
  r->lay[v] = blk;
  return NS_OK;
}

static void
release (runner *r, int v)
{
  if (--r->refs[v] <= 0 && v != r->net->output)
    ns_tensor_free (&r->vals[v]);
}

/* Value O takes V's activation: moved when O's op is V's last reader,
 * else copied. */
static ns_status
take (runner *r, int v, int o, ns_error *err)
{
  ns_status st;

  r->lay[o] = r->lay[v];
  if (r->refs[v] == 1 && v != r->net->output)
    {
      r->vals[o] = r->vals[v];
      memset (&r->vals[v], 0, sizeof r->vals[v]);
      r->refs[v] = 0;
      return NS_OK;
    }
  if ((st = ns_tensor_alloc (&r->vals[o], r->vals[v].c, r->vals[v].h,
                             r->vals[v].w, err)) != NS_OK)
    return st;
  memcpy (r->vals[o].data, r->vals[v].data,
          sizeof (float) * ns_tensor_numel (&r->vals[v]));
  release (r, v);
  return NS_OK;
}

static ns_status
run_op (runner *r, const fast_op *op, int nt, ns_run *run, ns_error *err)
{
  ns_tensor *o = &r->vals[op->out];
  ns_status st;

  switch (op->kind)
    {
    case OP_CONV:
      {
        /* oneDNN for every convolution when built and enabled (it checks
           the shapes as the own kernels do); else the own kernels. */
        const ns_tensor *in = &r->vals[op->in0];
        const ns_arith arith = ns_arith_current ();
        const int out_blk = ns_dnnl_act_block (arith, op->conv.cout);
        bool handled = false;
        r->lay[op->out] = 1;
        if (arith == NS_ARITH_FP32)
          {
            /* Blocked in and out where the channels allow. */
            int oh, ow;
            if ((st = ns_conv_check (&op->conv, in, err)) != NS_OK)
              return st;
            ns_conv_out_size (&op->conv, in->h, in->w, &oh, &ow);
            if ((st = ns_tensor_alloc (o, op->conv.cout, oh, ow, err)) != NS_OK)
              return st;
            st = ns_dnnl_conv_layout (&op->conv, in->data, r->lay[op->in0],
                                      in->h, in->w, o->data, out_blk, nt,
                                      &handled, err);
            if (st != NS_OK)
              return st;
            if (handled)
              r->lay[op->out] = out_blk;
            if (handled && run &&
                !ns_run_tick (run, ns_conv_flops (&op->conv, in->h, in->w)))
              return ns_fail (err, NS_ERR_CANCELLED, "cancelled");
            if (!handled)
              {
                ns_tensor_free (o);
                /* The own kernel reads plain arrays. */
                if ((st = relayout (r, op->in0, 1, nt, err)) != NS_OK)
                  return st;
                in = &r->vals[op->in0];
              }
          }
        else if (arith != NS_ARITH_OWN)
          {
            int oh, ow;
            if ((st = ns_conv_check (&op->conv, in, err)) != NS_OK)
              return st;
            ns_conv_out_size (&op->conv, in->h, in->w, &oh, &ow);
            if ((st = ns_tensor_alloc (o, op->conv.cout, oh, ow, err)) != NS_OK)
              return st;
            st = ns_dnnl_conv_plain (&op->conv, in->data, in->h, in->w, o->data,
                                     nt, ns_arith_current (), &handled, err);
            if (st != NS_OK)
              return st;
            if (handled && run &&
                !ns_run_tick (run, ns_conv_flops (&op->conv, in->h, in->w)))
              return ns_fail (err, NS_ERR_CANCELLED, "cancelled");
            if (!handled)
              ns_tensor_free (o);
          }
        if (!handled && (st = ns_conv2d (&op->conv, in, o, run, err)) != NS_OK)
          return st;
        release (r, op->in0);
        return NS_OK;
      }
    case OP_UP2:
      r->lay[op->out] = r->lay[op->in0];
      if ((st = r->lay[op->in0] > 1
                    ? ns_upsample2x_blocked (&r->vals[op->in0], r->lay[op->in0],
                                             o, err)
                    : ns_upsample2x (&r->vals[op->in0], o, err)) != NS_OK)
        return st;
      release (r, op->in0);
      return NS_OK;
    case OP_INSTNORM:
    case OP_RELU:
      if ((st = take (r, op->in0, op->out, err)) != NS_OK)
        return st;
      if (op->kind == OP_RELU)
        ns_relu_forward (o->data, ns_tensor_numel (o));
      else
        ns_instnorm_forward_blocked (o->data, o->c, o->h, o->w, r->lay[op->out],
                                     op->gamma, op->beta, op->eps, op->relu,
                                     nt);
      return NS_OK;
    case OP_ADD:
      {
        int a = op->in0, b = op->in1;
        const ns_tensor *ta = &r->vals[a], *tb = &r->vals[b];
        if (ta->c != tb->c || ta->h != tb->h || ta->w != tb->w)
          return ns_fail (err, NS_ERR_SHAPE,
                          "fast style: BinaryOp '%s' adds %dx%dx%d to "
                          "%dx%dx%d",
                          op->name, ta->c, ta->h, ta->w, tb->c, tb->h, tb->w);
        /* Both operands in one layout. */
        if ((st = relayout (r, b, r->lay[a], nt, err)) != NS_OK)
          return st;
        tb = &r->vals[b];
        /* Into whichever operand this is the last reader of. */
        if (r->refs[a] != 1 && r->refs[b] == 1 && a != b)
          {
            int t = a;
            a = b;
            b = t;
          }
        if ((st = take (r, a, op->out, err)) != NS_OK)
          return st;
        ns_add_forward (o->data, r->vals[b].data, ns_tensor_numel (o), op->relu,
                        nt);
        release (r, b);
        return NS_OK;
      }
    }
  return ns_fail (err, NS_ERR_INTERNAL, "fast style: unknown op");
}

/* Runs the ops on IN (taken: freed here); OUT receives the output. */
static ns_status
forward (const ns_fast_net *net, ns_tensor *in, ns_tensor *out, ns_run *run,
         ns_error *err)
{
  runner r = { net, calloc ((size_t) net->n_values, sizeof (ns_tensor)),
               malloc (sizeof (int) * (size_t) (net->n_values + 1)),
               calloc ((size_t) net->n_values + 1, sizeof (int)) };
  const int nt = ns_threads_resolve (run ? run->n_threads : 0);
  ns_status st = NS_OK;

  memset (out, 0, sizeof *out);
  if (!r.vals || !r.refs || !r.lay)
    {
      free (r.vals);
      free (r.refs);
      free (r.lay);
      ns_tensor_free (in);
      return ns_fail (err, NS_ERR_NOMEM, "out of memory");
    }
  memcpy (r.refs, net->uses, sizeof (int) * (size_t) net->n_values);
  r.vals[net->input] = *in;
  memset (in, 0, sizeof *in);
  for (int v = 0; v < net->n_values; v++)
    r.lay[v] = 1;
  for (int i = 0; i < net->n_ops && st == NS_OK; i++)
    st = run_op (&r, &net->ops[i], nt, run, err);
  if (st == NS_OK)
    st = relayout (&r, net->output, 1, nt, err);
  if (st == NS_OK)
    {
      *out = r.vals[net->output];
      memset (&r.vals[net->output], 0, sizeof r.vals[0]);
    }
  for (int v = 0; v < net->n_values; v++)
    ns_tensor_free (&r.vals[v]);
  free (r.vals);
  free (r.refs);
  free (r.lay);
  return st;
}

/* The network sees a multiple of 4 (two stride-2 convolutions, two x2
 * upsamplings): the output then has exactly the input's size. */
#define FAST_ALIGN 4

ns_status
ns_fast_net_run (const ns_fast_net *net, const ns_image *img, ns_image *out,
                 ns_run *run, ns_error *err)
{
  ns_tensor in, res;
  ns_status st;

  if (out)
    memset (out, 0, sizeof *out);
  if (!net || !img || !img->data || !out)
    return ns_fail (err, NS_ERR_INVALID_ARG, "fast style: NULL argument");
  if (img->width < 5 || img->height < 5)
    return ns_fail (err, NS_ERR_INVALID_ARG,
                    "fast style: a %dx%d image is too small (at least 5x5)",
                    img->width, img->height);
  if ((st = ns_image_to_tensor (img, FAST_ALIGN, &in, err)) != NS_OK)
    return st;
  for (size_t i = 0, n = ns_tensor_numel (&in); i < n; i++)
    in.data[i] *= 255.0f;
  if ((st = forward (net, &in, &res, run, err)) != NS_OK)
    return st;
  for (size_t i = 0, n = ns_tensor_numel (&res); i < n; i++)
    res.data[i] *= 1.0f / 255.0f;
  if ((st = ns_image_alloc (out, img->width, img->height, err)) == NS_OK &&
      (st = ns_tensor_to_image (&res, out, err)) != NS_OK)
    ns_image_free (out);
  ns_tensor_free (&res);
  return st;
}

/* The size walk of forward (): shapes per value, live bytes with the same
 * moves and frees, each convolution's scratch while it runs. */
static void
walk (const ns_fast_net *net, int w, int h, double *peak, double *flops)
{
  int *c = calloc ((size_t) net->n_values, sizeof (int) * 3);
  int *refs = malloc (sizeof (int) * (size_t) (net->n_values + 1));
  double live, top;

  *peak = *flops = 0.0;
  if (!c || !refs)
    {
      free (c);
      free (refs);
      *peak = INFINITY;
      return;
    }
  memcpy (refs, net->uses, sizeof (int) * (size_t) net->n_values);
  h = (h + FAST_ALIGN - 1) / FAST_ALIGN * FAST_ALIGN;
  w = (w + FAST_ALIGN - 1) / FAST_ALIGN * FAST_ALIGN;
  c[3 * net->input] = 3;
  c[3 * net->input + 1] = h;
  c[3 * net->input + 2] = w;
  live = top = 12.0 * h * w;
#define BYTES(v) (4.0 * c[3 * (v)] * c[3 * (v) + 1] * c[3 * (v) + 2])
  for (int i = 0; i < net->n_ops; i++)
    {
      const fast_op *op = &net->ops[i];
      int *o = c + 3 * op->out, *a = c + 3 * op->in0;
      double extra = 0.0;
      o[0] = net->channels[op->out];
      o[1] = a[1];
      o[2] = a[2];
      if (op->kind == OP_CONV)
        {
          ns_conv_out_size (&op->conv, a[1], a[2], &o[1], &o[2]);
          extra = 4.0 *
                  (double) ns_conv_scratch_floats (&op->conv, a[1], a[2], NULL);
          if (ns_wino_fits (&op->conv))
            extra += 4.0 *
                     (double) ns_wino_scratch_floats (&op->conv, o[1], o[2], 0);
          *flops += ns_conv_flops (&op->conv, a[1], a[2]);
          /* oneDNN (run_op) works on blocked copies of the input and the
             output beside the plain ones. */
          if (ns_conv_is_basic (&op->conv) &&
              ns_arith_current () != NS_ARITH_OWN)
            extra += 4.0 * a[1] * a[2] * (a[0] + 16.0) +
                     4.0 * o[1] * o[2] * (o[0] + 16.0);
        }
      else if (op->kind == OP_UP2)
        {
          o[1] *= 2;
          o[2] *= 2;
        }
      if (op->kind == OP_CONV || op->kind == OP_UP2)
        {
          live += BYTES (op->out);
          if (live + extra > top)
            top = live + extra;
          if (--refs[op->in0] <= 0 && op->in0 != net->output)
            live -= BYTES (op->in0);
          continue;
        }
      {
        /* take () as run_op does: moved when the last reader. */
        int ta = op->in0, tb = op->in1;
        if (op->kind == OP_ADD && refs[ta] != 1 && refs[tb] == 1 && ta != tb)
          ta = op->in1, tb = op->in0;
        if (refs[ta] == 1 && ta != net->output)
          refs[ta] = 0;
        else
          {
            live += BYTES (op->out);
            if (--refs[ta] <= 0 && ta != net->output)
              live -= BYTES (ta);
          }
        if (live > top)
          top = live;
        if (op->kind == OP_ADD && --refs[tb] <= 0 && tb != net->output)
          live -= BYTES (tb);
      }
    }
#undef BYTES
  /* The cropped output image beside the output tensor. */
  *peak = top + 12.0 * w * h;
  free (c);
  free (refs);
}

double
ns_fast_net_peak_bytes (const ns_fast_net *net, int w, int h)
{
  double peak, flops;
  walk (net, w, h, &peak, &flops);
  return peak;
}

double
ns_fast_net_flops (const ns_fast_net *net, int w, int h)
{
  double peak, flops;
  walk (net, w, h, &peak, &flops);
  return flops;
}

/* ------------------------------------------------------------- method */

/* FNV-1a over the content's size and pixels (a few ms at the design
 * size, against seconds for the network). */
static uint64_t
content_key (const ns_image *c)
{
  const unsigned char *p = (const unsigned char *) c->data;
  const size_t n = sizeof (float) * 3 * (size_t) c->width * c->height;
  uint64_t h = 14695981039346656037ULL;
  h = (h ^ (uint64_t) c->width) * 1099511628211ULL;
  h = (h ^ (uint64_t) c->height) * 1099511628211ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

ns_status
ns_fast_run (ns_context *ctx, const ns_job *job, ns_image *result,
             ns_error *err)
{
  const ns_fast_net *net = job->model ? job->model->fast : NULL;
  const ns_image *c = job->content;
  const float s = job->params->strength;
  ns_image *kept = &ctx->fast_out;
  uint64_t key;
  ns_status st;

  if (!net)
    return ns_fail (err, NS_ERR_UNSUPPORTED,
                    "the fast-style method needs a fast style model (a folder "
                    "with transformer.param and STYLE.bin)");
  /* The context belongs to one model (one style), so the content decides. */
  key = content_key (c);
  if (kept->data && ctx->fast_key == key && kept->width == c->width &&
      kept->height == c->height)
    {
      if ((st = ns_image_alloc (result, c->width, c->height, err)) != NS_OK)
        return st;
      memcpy (result->data, kept->data,
              sizeof (float) * 3 * (size_t) c->width * c->height);
    }
  else
    {
      if (job->run)
        job->run->total = job->run->done +
                          ns_fast_net_flops (net, c->width, c->height);
      ns_image_free (kept);
      if ((st = ns_fast_net_run (net, c, result, job->run, err)) != NS_OK)
        return st;
      ctx->counters.fast_runs++;
      /* Kept when memory allows; the result is made either way. */
      if (ns_image_alloc (kept, c->width, c->height, NULL) == NS_OK)
        {
          memcpy (kept->data, result->data,
                  sizeof (float) * 3 * (size_t) c->width * c->height);
          ctx->fast_key = key;
        }
    }
  /* Strength: a blend with the content. */
  if (s < 1.0f)
    {
      const size_t n = (size_t) 3 * c->width * c->height;
      for (size_t i = 0; i < n; i++)
        result->data[i] = s * result->data[i] + (1.0f - s) * c->data[i];
    }
  return NS_OK;
}

double
ns_fast_net_cache_bytes (const ns_fast_net *net, bool wino)
{
  double b = 0.0;
  for (int i = 0; net && i < net->n_ops; i++)
    if (net->ops[i].kind == OP_CONV)
      b += ns_conv_cache_bytes (&net->ops[i].conv, wino);
  return b;
}

double
ns_fast_memory_need (const ns_model *model, int w, int h)
{
  return model && model->fast ? ns_fast_net_peak_bytes (model->fast, w, h)
                              : 0.0;
}

ns_status
ns_model_load_fast (const char *dir, const char *style, ns_model **out,
                    ns_error *err)
{
  ns_model *model;
  ns_status st;

  if (!out)
    return ns_fail (err, NS_ERR_INVALID_ARG, "fast style: NULL argument");
  *out = NULL;
  if (!(model = calloc (1, sizeof *model)) || !(model->dir = strdup (dir)))
    {
      free (model);
      return ns_fail (err, NS_ERR_NOMEM, "out of memory");
    }
  model->kind = NS_MODEL_FAST; /* no VGG level: n_levels 0 */
  if ((st = ns_fast_net_load (dir, style, &model->fast, err)) != NS_OK)
    {
      ns_model_free (model);
      return st;
    }
  *out = model;
  return NS_OK;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

char **
ns_fast_styles_list (const char *dir)
{
  char **list = NULL, *param;
  size_t n = 0, cap = 0;
  struct dirent *e;
  DIR *d;

  if (!dir || !(param = malloc (strlen (dir) + 32)))
    return NULL;
  sprintf (param, "%s/transformer.param", dir);
  d = access (param, R_OK) == 0 ? opendir (dir) : NULL;
  free (param);
  while (d && (e = readdir (d)) != NULL)
    {
      size_t len = strlen (e->d_name);
      char *name;
      if (len <= 4 || strcmp (e->d_name + len - 4, ".bin") != 0)
        continue;
      if (!(name = strndup (e->d_name, len - 4)) || !valid_style_name (name))
        {
          free (name);
          continue;
        }
      if (n + 2 > cap)
        {
          char **nl = realloc (list, sizeof (char *) * (cap = cap * 2 + 8));
          if (!nl)
            {
              free (name);
              break;
            }
          list = nl;
        }
      list[n++] = name;
    }
  if (d)
    closedir (d);
  if (!list && !(list = malloc (sizeof (char *))))
    return NULL;
  qsort (list, n, sizeof (char *), cmp_str);
  list[n] = NULL;
  return list;
}
