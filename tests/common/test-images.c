#include "test-images.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>

void
tu_mask_fill (ns_mask *m, int w, int h, float v)
{
  ns_mask_alloc (m, w, h, NULL);
  for (size_t i = 0; i < (size_t) w * h; i++)
    m->data[i] = v;
}

double
tu_image_maxdiff (const ns_image *a, const ns_image *b)
{
  return tu_max_abs_diff (a->data, b->data, (size_t) 3 * a->width * a->height);
}

double
tu_image_meandiff (const ns_image *a, const ns_image *b)
{
  size_t n = (size_t) 3 * a->width * a->height;
  double sum = 0.0;
  for (size_t i = 0; i < n; i++)
    sum += fabs (a->data[i] - b->data[i]);
  return sum / n;
}

ns_status
tu_stylize (ns_context *ctx, const ns_params *p, const ns_image *c,
            const ns_style *s, int n_styles, const ns_mask *mask, ns_image *out)
{
  ns_error err = { 0 };
  ns_status st;
  if (!out->data)
    ns_image_alloc (out, c->width, c->height, NULL);
  st = ns_stylize (ctx, p, c, s, n_styles, mask, out, &err);
  if (st != NS_OK)
    fprintf (stderr, "ns_stylize (%s): %s\n", ns_method_name (p->method),
             err.message);
  return st;
}
