/* Reflection padding by one pixel (torch.nn.ReflectionPad2d(1)) and its
 * backward pass, used by the reference backward convolution and the tests
 * (the optimised kernels fuse it into im2col / col2im). */
#include "nn.h"

#include <string.h>

void
ns_reflpad_forward (const float *in, int c, int h, int w, float *out)
{
  int pw = w + 2, ph = h + 2;
  int ch, y, x;
  for (ch = 0; ch < c; ch++)
    for (y = 0; y < ph; y++)
      for (x = 0; x < pw; x++)
        out[((size_t) ch * ph + y) * pw + x] =
            in[((size_t) ch * h + ns_reflect_index (y - 1, h)) * w +
               ns_reflect_index (x - 1, w)];
}

void
ns_reflpad_backward (const float *gout, int c, int h, int w, float *gin)
{
  int pw = w + 2, ph = h + 2;
  int ch, y, x;
  memset (gin, 0, sizeof (float) * (size_t) c * h * w);
  for (ch = 0; ch < c; ch++)
    for (y = 0; y < ph; y++)
      for (x = 0; x < pw; x++)
        gin[((size_t) ch * h + ns_reflect_index (y - 1, h)) * w +
            ns_reflect_index (x - 1, w)] +=
            gout[((size_t) ch * ph + y) * pw + x];
}
