/* The .pth loader against files that are valid in form but hostile or
 * corrupt in content (built here, no PyTorch needed):
 *  - non-finite weights (NaN, infinity, float64 beyond float's range) are
 *    refused with a message naming the file, the tensor and the element;
 *  - a file that makes many tensors with long names from few bytes (one
 *    4095-byte key and one tensor, referenced again and again: 4 bytes of
 *    file per tensor) is refused or loaded within the loader's memory
 *    budget of NS_PTH_MEM_FACTOR bytes per byte of file plus 1 MiB, checked
 *    on the peak RSS of a child process that loads it through the file
 *    (mmap) path, at 1 MB and 4 MB. */
#include "ns-internal.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/pickle.h" /* NS_PTH_MEM_FACTOR, NS_PTH_MEM_BASE */
#include "pth-build.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Loading must fail with NS_ERR_FORMAT and a message holding every TEXT
 * (NULL-terminated), starting with the file's name. */
static void
expect_format (const buf *f, const char *name, const char *const *text)
{
  ns_weights *w = (ns_weights *) 1;
  ns_error err = { 0 };
  ns_status s = ns_weights_load_pth_mem (f->b, f->n, name, &w, &err);
  TU_CHECK (s == NS_ERR_FORMAT && w == NULL);
  TU_CHECK (strncmp (err.message, name, strlen (name)) == 0);
  for (; *text; text++)
    if (!strstr (err.message, *text))
      {
        tu_failures++;
        fprintf (stderr, "%s: message \"%s\" lacks \"%s\"\n", name, err.message,
                 *text);
      }
  printf ("%-20s -> %s\n", name, err.message);
  if (s == NS_OK)
    ns_weights_free (w);
}

/* Sets the float at byte AT of F. */
static void
poke (buf *f, size_t at, float v)
{
  memcpy (f->b + at, &v, sizeof v);
}

static void
non_finite (void)
{
  /* make_legacy ends with: count, W (storage "0"), count, B (storage
   * "1"); tensor "b" is B[1..3]. */
  buf f = make_legacy (true), z;
  const size_t w_at = f.n - sizeof B - 8 - sizeof W, b_at = f.n - sizeof B;
  ns_weights *w = NULL;
  ns_error err = { 0 };
  unsigned char *zw;

  poke (&f, w_at + 2 * 4, NAN);
  expect_format (&f, "nan.pth",
                 (const char *[]){ "tensor model.w", "element 2 of 6 is NaN",
                                   "corrupt", NULL });
  poke (&f, w_at + 2 * 4, W[2]);
  poke (&f, b_at + 3 * 4, -INFINITY);
  expect_format (&f, "inf.pth",
                 (const char *[]){ "tensor model.b", "element 2 of 3",
                                   "infinite", NULL });
  /* A NaN outside every tensor's view is never read: the file loads. */
  poke (&f, b_at + 3 * 4, B[3]);
  poke (&f, b_at, NAN);
  TU_CHECK (ns_weights_load_pth_mem (f.b, f.n, "unused-nan.pth", &w, &err) ==
            NS_OK);
  ns_weights_free (w);
  free (f.b);

  /* The zip framing goes through the same check. */
  z = make_zip (false, 0);
  zw = NULL;
  for (size_t i = 0; i + sizeof W <= z.n && !zw; i++)
    if (memcmp (z.b + i, W, sizeof W) == 0)
      zw = z.b + i;
  TU_CHECK (zw != NULL);
  if (zw)
    {
      poke (&z, (size_t) (zw - z.b) + 5 * 4, NAN);
      expect_format (&z, "nan-zip.pth",
                     (const char *[]){ "tensor w", "element 5 of 6 is NaN",
                                       NULL });
    }
  free (z.b);

  /* float64 1e300 does not fit in a float. */
  {
    buf p = { 0 }, o = { 0 };
    static const int64_t sz[1] = { 1 }, st[1] = { 1 };
    double big = 1e300;
    put_lit (&p, "\x80\x02}(X\x01\x00\x00\x00"
                 "d");
    p_global (&p, "torch._utils", "_rebuild_tensor_v2");
    put_lit (&p, "((X\x07\x00\x00\x00storage");
    p_global (&p, "torch", "DoubleStorage");
    p_str (&p, "0");
    p_str (&p, "cpu");
    p_int (&p, 1);
    put_lit (&p, "NtQ");
    p_int (&p, 0);
    p_tuple_ints (&p, sz, 1);
    p_tuple_ints (&p, st, 1);
    put1 (&p, 0x89);
    p_global (&p, "collections", "OrderedDict");
    put_lit (&p, ")RtRu.");
    legacy_header (&o);
    put (&o, p.b, p.n);
    put_lit (&o, "\x80\x02]q\x00(X\x01\x00\x00\x00"
                 "0e.");
    put_le (&o, 1, 8);
    put (&o, &big, sizeof big);
    expect_format (&o, "f64.pth",
                   (const char *[]){ "tensor d", "beyond float range", NULL });
    free (p.b);
    free (o.b);
  }
}

/* A legacy file of about SIZE bytes: { KEY: t, KEY: t, ... } with one
 * 4095-byte KEY and one 1-element tensor t, both memoised, then
 * BINGET KEY, BINGET t pairs in SETITEMS runs of 1000 (the pickle stack
 * stays small). */
static buf
long_names (size_t size)
{
  static const int64_t sz[1] = { 1 }, st[1] = { 1 };
  buf o = { 0 };
  char *key = malloc (4096);
  size_t pairs;

  memset (key, 'k', 4095);
  key[4095] = '\0';
  legacy_header (&o);
  put_lit (&o, "\x80\x02}(");
  p_str (&o, key);
  put_lit (&o, "q\x01");
  p_tensor (&o, "0", 1, 0, sz, st, 1, true);
  put_lit (&o, "q\x02u");
  for (pairs = 0; o.n < size - 64; pairs++)
    {
      if (pairs % 1000 == 0)
        put1 (&o, '(');
      put_lit (&o, "h\x01h\x02");
      if (pairs % 1000 == 999)
        put1 (&o, 'u');
    }
  if (pairs % 1000 != 0)
    put1 (&o, 'u');
  put_lit (&o, ".\x80\x02]q\x00(X\x01\x00\x00\x00"
               "0e.");
  put_le (&o, 1, 8);
  put (&o, W, sizeof (float));
  free (key);
  return o;
}

/* Loads PATH in a child; *PEAK_KB is the growth of its peak RSS (kB),
 * *N the tensors loaded (-1 on an error, MSG the message). */
static ns_status
load_in_child (const char *path, long *peak_kb, long *n, char *msg,
               size_t msg_size)
{
  struct
  {
    ns_status s;
    long before, after, n;
    char msg[NS_ERROR_MESSAGE_MAX];
  } r = { 0 };
  int fd[2], wst;
  pid_t pid;

  *peak_kb = 0;
  *n = -1;
  if (pipe (fd) != 0)
    return NS_ERR_INTERNAL;
  fflush (NULL);
  pid = fork ();
  if (pid == 0)
    {
      struct rusage u;
      ns_weights *w = NULL;
      ns_error err = { 0 };
      close (fd[0]);
      getrusage (RUSAGE_SELF, &u);
      r.before = u.ru_maxrss;
      r.s = ns_weights_load_pth (path, &w, &err);
      getrusage (RUSAGE_SELF, &u);
      r.after = u.ru_maxrss;
      r.n = r.s == NS_OK ? ns_weights_count (w) : -1;
      snprintf (r.msg, sizeof r.msg, "%s", err.message);
      ns_weights_free (w);
      _exit (write (fd[1], &r, sizeof r) == (ssize_t) sizeof r ? 0 : 1);
    }
  close (fd[1]);
  if (pid < 0 || read (fd[0], &r, sizeof r) != (ssize_t) sizeof r)
    r.s = NS_ERR_INTERNAL;
  close (fd[0]);
  if (pid > 0)
    waitpid (pid, &wst, 0);
  *peak_kb = r.after - r.before;
  *n = r.n;
  snprintf (msg, msg_size, "%s", r.msg);
  return r.s;
}

static void
bounded (size_t size)
{
  char path[] = "/tmp/ns-pth-hostile-XXXXXX", msg[NS_ERROR_MESSAGE_MAX];
  buf f = long_names (size);
  int fd = mkstemp (path);
  long peak_kb = 0, n = 0;
  double bound;
  ns_status s;

  TU_CHECK (fd >= 0 && write (fd, f.b, f.n) == (ssize_t) f.n);
  if (fd >= 0)
    close (fd);
  s = load_in_child (path, &peak_kb, &n, msg, sizeof msg);
  unlink (path);
  /* The budget, the mapped file, and 16 MiB for the allocator and the
   * page granularity. */
  bound = (double) NS_PTH_MEM_FACTOR * f.n + NS_PTH_MEM_BASE + f.n +
          16.0 * 1048576.0;
  printf ("%zu-byte file of one 4095-byte key repeated: %s (%ld tensors), "
          "peak RSS +%.1f MB (bound %.1f MB, %.0f bytes per byte of "
          "file)\n  %s\n",
          f.n, s == NS_OK ? "loaded" : "refused", n, peak_kb / 1024.0,
          bound / 1048576.0, peak_kb * 1024.0 / f.n, msg);
  TU_CHECK (s == NS_OK || s == NS_ERR_FORMAT);
  if (s == NS_ERR_FORMAT)
    TU_CHECK (strstr (msg, "can justify") != NULL);
#ifdef UNDER_ASAN
  printf ("  (ASan build: its shadow memory makes RSS meaningless, bound "
          "not checked)\n");
#else
  TU_CHECK (peak_kb * 1024.0 <= bound);
#endif
  free (f.b);
}

int
main (void)
{
  non_finite ();
  bounded ((size_t) 1 << 20);
  bounded ((size_t) 4 << 20);
  return tu_finish ("test-pth-hostile");
}
