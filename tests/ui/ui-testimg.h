/* Image helpers for the ui tests (gdk-pixbuf). */
#ifndef UI_TESTIMG_H
#define UI_TESTIMG_H

#include "ns.h"

/* Loads REL (relative to the shared folder; exits 77 when absent) scaled so
 * that its long side is LONG_SIDE, into IMG. Exits 1 on a decoding error. */
void ui_load_shared (const char *rel, int long_side, ns_image *img);

/* Mean |a - b| over all samples (same size), in [0,1]. */
double ui_mean_abs_diff (const ns_image *a, const ns_image *b);
/* Standard deviation of all samples. */
double ui_stddev (const ns_image *img);

#endif
