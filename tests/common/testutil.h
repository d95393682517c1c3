/* Small helpers shared by the engine's C tests. */
#ifndef NS_TESTUTIL_H
#define NS_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit code meson reads as "skipped". */
#define NS_TEST_SKIP 77

/* Folder with models/ and images/: $NS_SHARED_DIR, else ../shared from the
 * source root.  Returns NULL (after printing why) when absent. */
const char *tu_shared_dir (void);
/* tu_shared_dir()/REL, or exit(77) with a clear message when missing. */
char *tu_shared_path_or_skip (const char *rel);

/* Checks: print file:line and the expression, count failures. */
extern int tu_failures;
#define TU_CHECK(cond)                                                      \
  do                                                                        \
    {                                                                       \
      if (!(cond))                                                          \
        {                                                                   \
          tu_failures++;                                                    \
          fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                  \
        }                                                                   \
    }                                                                       \
  while (0)
/* Returns the exit status: 0 when no check failed. */
int tu_finish (const char *name);

/* Deterministic uniform floats in [lo, hi). */
void tu_fill_random (float *x, size_t n, float lo, float hi, uint64_t *state);

/* Smooth planar RGB test image in [0, 1]: per channel two random
 * sinusoids of frequency BASE + SPAN * u (u uniform) and a small X*Y
 * term of frequency XY. */
void tu_smooth_image (float *x, int w, int h, float base, float span, float xy,
                      uint64_t *state);
/* Monotonic seconds. */
double tu_now (void);

/* max |a-b| / max(1, max|b|): a relative-to-scale difference. */
double tu_max_rel_diff (const float *a, const float *b, size_t n);
double tu_max_abs_diff (const float *a, const float *b, size_t n);

/* Minimal .npy (version 1.0, '<f4', C order) reader and writer. */
bool tu_npy_write (const char *path, const float *data, const int64_t *shape,
                   int ndim);
/* Returns malloc'd data; SHAPE receives up to 8 dims. */
float *tu_npy_read (const char *path, int64_t *shape, int *ndim);

#endif
