/* Max pooling (floor / ceil) and nearest upsampling against their naive
 * references and hand-computed values. */
#include "nn.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>

static uint64_t seed = 99;

static void
check_pool (int c, int h, int w, bool ceil_mode)
{
  ns_tensor in, a, b;
  ns_error err;
  TU_CHECK (ns_tensor_alloc (&in, c, h, w, &err) == NS_OK);
  /* Negative values catch a max initialised to 0. */
  tu_fill_random (in.data, ns_tensor_numel (&in), -2.0f, -1.0f, &seed);
  TU_CHECK (ns_maxpool2x2 (&in, ceil_mode, &a, &err) == NS_OK);
  TU_CHECK (ns_maxpool2x2_ref (&in, ceil_mode, &b, &err) == NS_OK);
  TU_CHECK (a.h == (ceil_mode ? (h + 1) / 2 : h / 2));
  TU_CHECK (a.w == (ceil_mode ? (w + 1) / 2 : w / 2));
  TU_CHECK (a.c == b.c && a.h == b.h && a.w == b.w);
  TU_CHECK (tu_max_abs_diff (a.data, b.data, ns_tensor_numel (&b)) == 0.0);
  ns_tensor_free (&in);
  ns_tensor_free (&a);
  ns_tensor_free (&b);
}

static void
check_upsample (int c, int h, int w)
{
  ns_tensor in, a, b;
  ns_error err;
  TU_CHECK (ns_tensor_alloc (&in, c, h, w, &err) == NS_OK);
  tu_fill_random (in.data, ns_tensor_numel (&in), -1.0f, 1.0f, &seed);
  TU_CHECK (ns_upsample2x (&in, &a, &err) == NS_OK);
  TU_CHECK (ns_upsample2x_ref (&in, &b, &err) == NS_OK);
  TU_CHECK (a.c == c && a.h == 2 * h && a.w == 2 * w);
  TU_CHECK (tu_max_abs_diff (a.data, b.data, ns_tensor_numel (&b)) == 0.0);
  ns_tensor_free (&in);
  ns_tensor_free (&a);
  ns_tensor_free (&b);
}

int
main (void)
{
  static const int sizes[][3] = { { 1, 2, 2 }, { 2, 3, 5 }, { 3, 17, 31 },
                                  { 5, 4, 4 }, { 1, 1, 7 }, { 4, 45, 67 } };
  ns_error err;

  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    {
      check_pool (sizes[i][0], sizes[i][1], sizes[i][2], true);
      if (sizes[i][1] >= 2 && sizes[i][2] >= 2)
        check_pool (sizes[i][0], sizes[i][1], sizes[i][2], false);
      check_upsample (sizes[i][0], sizes[i][1], sizes[i][2]);
    }

  /* Hand-checked 3x3 -> ceil 2x2 / floor 1x1. */
  {
    float v[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    ns_tensor in = { 1, 3, 3, v }, out;
    TU_CHECK (ns_maxpool2x2 (&in, true, &out, &err) == NS_OK);
    TU_CHECK (out.h == 2 && out.w == 2);
    TU_CHECK (out.data[0] == 5 && out.data[1] == 6 && out.data[2] == 8 &&
              out.data[3] == 9);
    ns_tensor_free (&out);
    TU_CHECK (ns_maxpool2x2 (&in, false, &out, &err) == NS_OK);
    TU_CHECK (out.h == 1 && out.w == 1 && out.data[0] == 5);
    ns_tensor_free (&out);
  }
  /* Floor mode cannot pool a single row. */
  {
    float v[3] = { 1, 2, 3 };
    ns_tensor in = { 1, 1, 3, v }, out;
    TU_CHECK (ns_maxpool2x2 (&in, false, &out, &err) == NS_ERR_SHAPE);
    TU_CHECK (out.data == NULL);
  }
  return tu_finish ("pool-upsample");
}
