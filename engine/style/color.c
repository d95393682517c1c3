/* Colour preservation by luminance-only transfer (Gatys et al. 2016,
 * "Preserving color in neural artistic style transfer", section 2.2):
 * stylize normally, then keep the stylized image's luminance and put back
 * the content's chroma.  It is a post-process, so it works for every
 * method (AdaIN, WCT, cascades, Gatys) at no extra network cost.  We use
 * full-range BT.601 YCbCr (as JPEG), whose Y is the usual luma. */
#include "style.h"

void
ns_rgb_to_ycbcr (float r, float g, float b, float *y, float *cb, float *cr)
{
  *y = 0.299f * r + 0.587f * g + 0.114f * b;
  *cb = -0.168736f * r - 0.331264f * g + 0.5f * b;
  *cr = 0.5f * r - 0.418688f * g - 0.081312f * b;
}

static float
clamp01 (float v)
{
  /* NaN -> 0 as well. */
  return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
}

void
ns_luminance_transfer (ns_image *stylized, const ns_image *content)
{
  const size_t n = (size_t) stylized->width * (size_t) stylized->height;
  float *sr = stylized->data, *sg = sr + n, *sb = sg + n;
  const float *cr_ = content->data, *cg = cr_ + n, *cb_ = cg + n;

#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++)
    {
      float y, u, v, dummy_u, dummy_v;
      ns_rgb_to_ycbcr (clamp01 (sr[i]), clamp01 (sg[i]), clamp01 (sb[i]), &y,
                       &dummy_u, &dummy_v);
      ns_rgb_to_ycbcr (cr_[i], cg[i], cb_[i], &dummy_u, &u, &v);
      sr[i] = clamp01 (y + 1.402f * v);
      sg[i] = clamp01 (y - 0.344136f * u - 0.714136f * v);
      sb[i] = clamp01 (y + 1.772f * u);
    }
}
