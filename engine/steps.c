/* The steps around every method (see stylize.h): working size, and the
 * finish of a result into the caller's output (clamp, resize back, colour
 * preservation, mask blend). */
#include "stylize.h"

#include <math.h>
#include <string.h>

void
ns_fit_long_side (int w, int h, int long_side, int *ow, int *oh)
{
  if (w >= h)
    {
      *ow = long_side;
      *oh = (int) lround ((double) h * long_side / w);
    }
  else
    {
      *oh = long_side;
      *ow = (int) lround ((double) w * long_side / h);
    }
  if (*ow < NS_MIN_SIZE)
    *ow = NS_MIN_SIZE;
  if (*oh < NS_MIN_SIZE)
    *oh = NS_MIN_SIZE;
}

static float
clamp01 (float v)
{
  /* NaN -> 0 as well. */
  return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
}

static void
clamp_into (const float *src, float *dst, size_t n)
{
  for (size_t i = 0; i < n; i++)
    dst[i] = clamp01 (src[i]);
}

/* ---------------------------------------------------- colour preservation
 * Luminance-only transfer (Gatys et al. 2016, "Preserving color in neural
 * artistic style transfer", section 2.2): keep the stylized image's
 * luminance and put back the content's chroma.  A post-process, so it
 * works for every method at no network cost.  Full-range BT.601 YCbCr (as
 * JPEG), whose Y is the usual luma. */

void
ns_rgb_to_ycbcr (float r, float g, float b, float *y, float *cb, float *cr)
{
  *y = 0.299f * r + 0.587f * g + 0.114f * b;
  *cb = -0.168736f * r - 0.331264f * g + 0.5f * b;
  *cr = 0.5f * r - 0.418688f * g - 0.081312f * b;
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

/* ---------------------------------------------------------------- finish */

ns_status
ns_job_finish (const ns_job *job, const ns_image *result, ns_image *out,
               ns_error *err)
{
  const ns_image *content = job->full_content;
  const int w = content->width, h = content->height;
  const size_t n = (size_t) w * h;

  /* Clamped before resizing, so the interpolation sees valid pixels. */
  if (result->width == w && result->height == h)
    clamp_into (result->data, out->data, 3 * n);
  else
    {
      ns_image tmp = { 0 }, up = { 0 };
      ns_status st = ns_image_alloc (&tmp, result->width, result->height, err);
      if (st != NS_OK)
        return st;
      clamp_into (result->data, tmp.data,
                  (size_t) 3 * result->width * result->height);
      st = ns_image_resize (&tmp, w, h, &up, err);
      ns_image_free (&tmp);
      if (st != NS_OK)
        return st;
      clamp_into (up.data, out->data, 3 * n);
      ns_image_free (&up);
    }
  ns_finish_pixels (job->params->preserve_colors, out, content,
                    job->blend_mask && job->full_mask ? job->full_mask->data
                                                      : NULL);
  return NS_OK;
}

void
ns_finish_pixels (bool preserve_colors, ns_image *out, const ns_image *content,
                  const float *mask)
{
  const size_t n = (size_t) out->width * out->height;
  if (preserve_colors)
    ns_luminance_transfer (out, content);
  if (mask)
    for (size_t i = 0; i < n; i++)
      {
        float m = mask[i] < 0.0f ? 0.0f : mask[i] > 1.0f ? 1.0f : mask[i];
        for (int ch = 0; ch < 3; ch++)
          out->data[ch * n + i] = m * out->data[ch * n + i] +
                                  (1.0f - m) * content->data[ch * n + i];
      }
}
