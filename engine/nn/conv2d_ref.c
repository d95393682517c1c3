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
  int k, r;

  if (out)
    memset (out, 0, sizeof *out);
  if ((st = ns_conv_check (conv, in, err)) != NS_OK)
    return st;
  if ((st = ns_tensor_alloc (out, conv->cout, in->h, in->w, err)) != NS_OK)
    return st;
  k = conv->k;
  r = conv->pad;
  for (int co = 0; co < conv->cout; co++)
    for (int y = 0; y < in->h; y++)
      for (int x = 0; x < in->w; x++)
        {
          double acc = conv->bias ? conv->bias[co] : 0.0;
          for (int ci = 0; ci < conv->cin; ci++)
            for (int ky = 0; ky < k; ky++)
              for (int kx = 0; kx < k; kx++)
                {
                  int sy = ns_reflect_index (y + ky - r, in->h);
                  int sx = ns_reflect_index (x + kx - r, in->w);
                  acc +=
                      (double) conv->weight
                          [((size_t) (co * conv->cin + ci) * k + ky) * k + kx] *
                      in->data[((size_t) ci * in->h + sy) * in->w + sx];
                }
          if (conv->relu && acc < 0.0)
            acc = 0.0;
          out->data[((size_t) co * in->h + y) * in->w + x] = (float) acc;
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
