/* Naive convolution forward and backward (explicit padding, direct loops,
 * double accumulation): the references ns_conv2d (and so the Gatys
 * forward pass) and ns_conv2d_backward are tested against. */
#include "nn.h"

#include <stdlib.h>
#include <string.h>

ns_status
ns_conv2d_ref (const ns_conv *conv, const ns_tensor *in, ns_tensor *out,
               ns_error *err)
{
  ns_status st;
  int k, r, s, oh, ow, cpg;
  bool dw;

  if (out)
    memset (out, 0, sizeof *out);
  if ((st = ns_conv_check (conv, in, err)) != NS_OK)
    return st;
  ns_conv_out_size (conv, in->h, in->w, &oh, &ow);
  if ((st = ns_tensor_alloc (out, conv->cout, oh, ow, err)) != NS_OK)
    return st;
  k = conv->k;
  r = conv->pad;
  s = ns_conv_stride (conv);
  dw = ns_conv_depthwise (conv);
  cpg = dw ? 1 : conv->cin; /* input channels per group */
  for (int co = 0; co < conv->cout; co++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        {
          double acc = conv->bias ? conv->bias[co] : 0.0;
          for (int j = 0; j < cpg; j++)
            {
              int ci = dw ? co : j;
              for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++)
                  {
                    int sy = ns_pad_index (y * s + ky - r, in->h,
                                           conv->pad_zero);
                    int sx = ns_pad_index (x * s + kx - r, in->w,
                                           conv->pad_zero);
                    if (sy < 0 || sx < 0)
                      continue;
                    acc += (double) conv
                               ->weight[((size_t) (co * cpg + j) * k + ky) * k +
                                        kx] *
                           in->data[((size_t) ci * in->h + sy) * in->w + sx];
                  }
            }
          if (conv->relu && acc < 0.0)
            acc = 0.0;
          out->data[((size_t) co * oh + y) * ow + x] = (float) acc;
        }
  return NS_OK;
}

void
ns_conv2d_backward_ref (const ns_conv *conv, const float *gout, int h, int w,
                        float *gin)
{
  int k = conv->k, p = conv->pad;
  int ph = h + 2 * p, pw = w + 2 * p;
  size_t np = (size_t) conv->cin * ph * pw;
  double *acc = calloc (np, sizeof (double));
  float *gpad = malloc (sizeof (float) * np);
  int co, ci, y, x, ky, kx;
  size_t i;

  if (!acc || !gpad)
    {
      free (acc);
      free (gpad);
      return;
    }
  /* Gradient with respect to the padded input of a valid convolution. */
  for (co = 0; co < conv->cout; co++)
    for (ci = 0; ci < conv->cin; ci++)
      for (ky = 0; ky < k; ky++)
        for (kx = 0; kx < k; kx++)
          {
            double wv = conv->weight[((co * conv->cin + ci) * k + ky) * k + kx];
            for (y = 0; y < h; y++)
              for (x = 0; x < w; x++)
                acc[((size_t) ci * ph + y + ky) * pw + x + kx] +=
                    wv * gout[((size_t) co * h + y) * w + x];
          }
  for (i = 0; i < np; i++)
    gpad[i] = (float) acc[i];
  if (p)
    ns_reflpad_backward (gpad, conv->cin, h, w, gin);
  else
    memcpy (gin, gpad, sizeof (float) * np);
  free (acc);
  free (gpad);
}
