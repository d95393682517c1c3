/* Image helpers shared by the C tests that run ns_stylize (kept apart from
 * testutil.h, whose users need not link the engine). */
#ifndef NS_TEST_IMAGES_H
#define NS_TEST_IMAGES_H

#include "ns.h"

/* Allocates M at W x H filled with V. */
void tu_mask_fill (ns_mask *m, int w, int h, float v);
/* max |a - b| and mean |a - b| over all planes of same-sized images. */
double tu_image_maxdiff (const ns_image *a, const ns_image *b);
double tu_image_meandiff (const ns_image *a, const ns_image *b);
/* ns_stylize into OUT (allocated at C's size when OUT->data is NULL); the
 * message goes to stderr on failure. */
ns_status tu_stylize (ns_context *ctx, const ns_params *p, const ns_image *c,
                      const ns_style *s, int n_styles, const ns_mask *mask,
                      ns_image *out);

#endif /* NS_TEST_IMAGES_H */
