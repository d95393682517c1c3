/* ncnn models: the `.param` text graph and the `.bin` weights, as
 * published for the fast styles (../shared/models/fast-ncnn).  No OpenMP,
 * no BLAS (part of ns-io, fuzzed alone).
 *
 * The .param: "7767517", then "LAYERS BLOBS", then one line per layer:
 * TYPE NAME N_BOTTOM N_TOP BOTTOM... TOP... KEY=VALUE..., keys 0..31, an
 * array as -233KK=N,V1,...,VN (KK = key).  Only the layer types the
 * TransformerNet has are known (Input, Padding, Convolution, InstanceNorm,
 * ReLU, Split, BinaryOp, Interp); the graph must be in order (every
 * bottom produced by an earlier layer, so no cycle), every blob produced
 * once and consumed at most once (ncnn fans out with Split).
 *
 * The .bin, in layer order: a Convolution's weights (a 4-byte tag:
 * 0x01306B47 fp16, 0 fp32; padded to 4 bytes), then its fp32 bias; an
 * affine InstanceNorm's fp32 gamma then beta.  Every byte is accounted
 * for, every value must be finite.  All errors are NS_ERR_FORMAT naming
 * the file (and the layer and line where there is one). */
#ifndef NS_IO_NCNN_H
#define NS_IO_NCNN_H

#include "ns-internal.h"

#define NS_NCNN_MAGIC 7767517
#define NS_NCNN_MAX_KEYS 32
/* Hostile-count bounds (far above any published style network). */
#define NS_NCNN_MAX_LAYERS 4096
#define NS_NCNN_MAX_BLOBS 8192
#define NS_NCNN_MAX_PARAM_BYTES ((size_t) 1 << 20)
#define NS_NCNN_MAX_BIN_BYTES ((size_t) 1 << 30)
#define NS_NCNN_MAX_ARRAY 4096

typedef enum
{
  NS_NCNN_INPUT,
  NS_NCNN_PADDING,
  NS_NCNN_CONVOLUTION,
  NS_NCNN_INSTANCENORM,
  NS_NCNN_RELU,
  NS_NCNN_SPLIT,
  NS_NCNN_BINARYOP,
  NS_NCNN_INTERP
} ns_ncnn_type;

typedef struct
{
  ns_ncnn_type type;
  char *name;
  int line; /* in the .param, for messages */
  int n_bottom, n_top;
  int *bottom, *top; /* blob indices */
  /* Parameters by key: SET bit K when key K was given. */
  uint32_t set, is_float, is_array;
  int32_t ival[NS_NCNN_MAX_KEYS];
  float fval[NS_NCNN_MAX_KEYS];
  int arr_len[NS_NCNN_MAX_KEYS];
  float *arr[NS_NCNN_MAX_KEYS];
  /* Weights from the .bin: Convolution: [0] weights, [1] bias (NULL
   * without bias_term); affine InstanceNorm: [0] gamma, [1] beta. */
  float *data[2];
  size_t n_data[2];
} ns_ncnn_layer;

typedef struct
{
  int n_layers, n_blobs;
  ns_ncnn_layer *layers;
  char **blob_names;
  int *blob_producer; /* layer index of each blob */
  int *blob_consumer; /* layer index, or -1 when not consumed (an output) */
  char *param_name, *bin_name;
} ns_ncnn;

/* Parses and validates the .param text (LEN bytes, no NUL needed).  NAME
 * prefixes messages.  *OUT: free with ns_ncnn_free. */
ns_status ns_ncnn_parse_param (const char *text, size_t len, const char *name,
                               ns_ncnn **out, ns_error *err);
/* Reads the .bin (LEN bytes) into NET's layers. */
ns_status ns_ncnn_read_bin (ns_ncnn *net, const void *data, size_t len,
                            const char *name, ns_error *err);
/* Both from files (the .bin checked against NS_NCNN_MAX_BIN_BYTES and
 * what the graph declares before its bytes are read). */
ns_status ns_ncnn_load (const char *param_path, const char *bin_path,
                        ns_ncnn **out, ns_error *err);
void ns_ncnn_free (ns_ncnn *net);

/* Key K of L as an int / a float (DEF when absent; an int key read as a
 * float is converted, a float key read as an int is truncated). */
int ns_ncnn_int (const ns_ncnn_layer *l, int k, int def);
float ns_ncnn_float (const ns_ncnn_layer *l, int k, float def);
/* The ncnn name of TYPE ("Convolution"). */
const char *ns_ncnn_type_name (ns_ncnn_type type);

/* IEEE half to float (NaN and infinity come through as such). */
float ns_half_to_float (uint16_t h);

#endif
