#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int tu_failures = 0;

const char *
tu_shared_dir (void)
{
  static char buf[4096];
  const char *env = getenv ("NS_SHARED_DIR");
  const char *root = getenv ("NS_SOURCE_ROOT");
  struct stat st;

  if (env && *env)
    snprintf (buf, sizeof buf, "%s", env);
  else
    snprintf (buf, sizeof buf, "%s/../shared", root && *root ? root : ".");
  if (stat (buf, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      fprintf (
          stderr,
          "shared test data not found at %s "
          "(set NS_SHARED_DIR to the folder holding models/ and images/)\n",
          buf);
      return NULL;
    }
  return buf;
}

char *
tu_shared_path_or_skip (const char *rel)
{
  const char *dir = tu_shared_dir ();
  char *p;
  struct stat st;

  if (!dir)
    {
      printf ("SKIP: needs %s from the shared test data\n", rel);
      exit (NS_TEST_SKIP);
    }
  p = malloc (strlen (dir) + strlen (rel) + 2);
  if (!p)
    {
      fprintf (stderr, "out of memory\n");
      exit (1);
    }
  sprintf (p, "%s/%s", dir, rel);
  if (stat (p, &st) != 0)
    {
      printf ("SKIP: %s not found\n", p);
      exit (NS_TEST_SKIP);
    }
  return p;
}

int
tu_finish (const char *name)
{
  if (tu_failures)
    fprintf (stderr, "%s: %d check(s) failed\n", name, tu_failures);
  else
    printf ("%s: all checks passed\n", name);
  return tu_failures ? 1 : 0;
}

void
tu_fill_random (float *x, size_t n, float lo, float hi, uint64_t *state)
{
  for (size_t i = 0; i < n; i++)
    {
      /* xorshift64* */
      uint64_t s = *state;
      s ^= s >> 12;
      s ^= s << 25;
      s ^= s >> 27;
      *state = s;
      double u = (double) ((s * 2685821657736338717ULL) >> 11) /
                 9007199254740992.0;
      x[i] = lo + (float) u * (hi - lo);
    }
}

double
tu_max_abs_diff (const float *a, const float *b, size_t n)
{
  double m = 0.0;
  for (size_t i = 0; i < n; i++)
    {
      double d = fabs ((double) a[i] - (double) b[i]);
      if (!(d <= m)) /* also catches NaN */
        m = isnan (d) ? INFINITY : d;
    }
  return m;
}

double
tu_max_rel_diff (const float *a, const float *b, size_t n)
{
  double scale = 1.0;
  for (size_t i = 0; i < n; i++)
    if (fabs (b[i]) > scale)
      scale = fabs (b[i]);
  return tu_max_abs_diff (a, b, n) / scale;
}

bool
tu_npy_write (const char *path, const float *data, const int64_t *shape,
              int ndim)
{
  char hdr[256], dims[160] = "";
  size_t n = 1, len;
  FILE *f;

  for (int i = 0; i < ndim; i++)
    {
      char d[32];
      snprintf (d, sizeof d, "%lld%s", (long long) shape[i],
                ndim == 1 || i < ndim - 1 ? ", " : "");
      strcat (dims, d);
      n *= (size_t) shape[i];
    }
  len = (size_t) snprintf (hdr, sizeof hdr,
                           "{'descr': '<f4', 'fortran_order': False, "
                           "'shape': (%s), }",
                           dims);
  /* pad so that magic(6)+ver(2)+len(2)+header is a multiple of 64 */
  while ((10 + len + 1) % 64)
    hdr[len++] = ' ';
  hdr[len++] = '\n';
  f = fopen (path, "wb");
  if (!f)
    return false;
  fwrite ("\x93NUMPY\x01\x00", 1, 8, f);
  fputc ((int) (len & 0xff), f);
  fputc ((int) (len >> 8), f);
  fwrite (hdr, 1, len, f);
  fwrite (data, sizeof (float), n, f);
  return fclose (f) == 0;
}

float *
tu_npy_read (const char *path, int64_t *shape, int *ndim)
{
  unsigned char pre[10];
  char hdr[1024];
  size_t hlen, n = 1;
  float *data;
  char *p;
  FILE *f = fopen (path, "rb");

  if (!f)
    return NULL;
  if (fread (pre, 1, 10, f) != 10 || memcmp (pre, "\x93NUMPY", 6) != 0)
    goto bad;
  hlen = (size_t) pre[8] | ((size_t) pre[9] << 8);
  if (hlen >= sizeof hdr || fread (hdr, 1, hlen, f) != hlen)
    goto bad;
  hdr[hlen] = '\0';
  if (!strstr (hdr, "'<f4'") || strstr (hdr, "'fortran_order': True"))
    goto bad;
  p = strstr (hdr, "'shape': (");
  if (!p)
    goto bad;
  p += 10;
  *ndim = 0;
  while (*p && *p != ')' && *ndim < 8)
    {
      char *end;
      long long v = strtoll (p, &end, 10);
      if (end == p)
        break;
      shape[(*ndim)++] = v;
      n *= (size_t) v;
      p = end;
      while (*p == ',' || *p == ' ')
        p++;
    }
  data = malloc (n * sizeof (float) + 1);
  if (!data || fread (data, sizeof (float), n, f) != n)
    {
      free (data);
      goto bad;
    }
  fclose (f);
  return data;
bad:
  fclose (f);
  return NULL;
}

void
tu_smooth_image (float *x, int w, int h, float base, float span, float xy,
                 uint64_t *state)
{
  float p[12];
  tu_fill_random (p, 12, 0.0f, 1.0f, state);
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < h; y++)
      for (int xx = 0; xx < w; xx++)
        {
          const float *q = p + 4 * c;
          float v = 0.5f + 0.25f * sinf (xx * (base + span * q[0]) + 6 * q[1]) +
                    0.2f * cosf (y * (base + span * q[2]) + 6 * q[3]) +
                    0.05f * sinf ((float) (xx * y) * xy);
          x[((size_t) c * h + y) * w + xx] = v;
        }
}

double
tu_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}
