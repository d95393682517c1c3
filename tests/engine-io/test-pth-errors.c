/* The .pth loader on files built byte by byte here (no PyTorch needed):
 * valid legacy and zip files, then truncated, corrupted and hostile ones,
 * which must give an error naming the file and the problem, never a
 * crash (the fuzz target covers the same ground under ASan/UBSan). */
#include "ns-internal.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pth-build.h"

/* ---- checks */

static void
check_valid (const buf *f, const char *name, bool nested)
{
  ns_weights *w = NULL;
  ns_error err = { 0 };
  const ns_weight *x;
  ns_status s = ns_weights_load_pth_mem (f->b, f->n, name, &w, &err);

  TU_CHECK (s == NS_OK);
  if (s != NS_OK)
    {
      fprintf (stderr, "%s: %s\n", name, err.message);
      return;
    }
  TU_CHECK (ns_weights_count (w) == 2);
  TU_CHECK (strcmp (ns_weights_path (w), name) == 0);
  x = ns_weights_find (w, "w");
  TU_CHECK (x && x->ndim == 2 && x->shape[0] == 2 && x->shape[1] == 3 &&
            x->numel == 6 && memcmp (x->data, W, sizeof W) == 0);
  TU_CHECK (x && strcmp (x->name, nested ? "model.w" : "w") == 0);
  x = ns_weights_find (w, "b");
  TU_CHECK (x && x->ndim == 1 && x->shape[0] == 3 && x->numel == 3 &&
            memcmp (x->data, B + 1, 3 * sizeof (float)) == 0);
  TU_CHECK (ns_weights_find (w, "epoch") == NULL);
  TU_CHECK (ns_weights_find (w, "nothing") == NULL);
  TU_CHECK (ns_weights_get (w, 2) == NULL && ns_weights_get (w, -1) == NULL);
  if (nested)
    TU_CHECK (ns_weights_find (w, "model.b") == ns_weights_find (w, "b"));
  ns_weights_free (w);
}

/* Loading must fail with a message naming the file and containing TEXT. */
static void
expect_error (const void *data, size_t len, const char *name, const char *text)
{
  ns_weights *w = (ns_weights *) 1;
  ns_error err = { 0 };
  ns_status s = ns_weights_load_pth_mem (data, len, name, &w, &err);
  TU_CHECK (s != NS_OK);
  TU_CHECK (w == NULL);
  TU_CHECK (err.status == s);
  TU_CHECK (strncmp (err.message, name, strlen (name)) == 0);
  if (text && !strstr (err.message, text))
    {
      tu_failures++;
      fprintf (stderr, "%s: message \"%s\" lacks \"%s\"\n", name, err.message,
               text);
    }
  else
    printf ("%-22s -> %s\n", name, err.message);
  if (s == NS_OK)
    ns_weights_free (w);
}

static void
truncations (const buf *f, const char *what)
{
  size_t len;
  int failures = 0;
  for (len = 0; len < f->n; len++)
    {
      ns_weights *w = NULL;
      ns_error err = { 0 };
      /* A private copy of exactly LEN bytes, so ASan would see overreads. */
      unsigned char *copy = malloc (len ? len : 1);
      ns_status s;
      memcpy (copy, f->b, len);
      s = ns_weights_load_pth_mem (copy, len, what, &w, &err);
      if (s == NS_OK || w != NULL || strstr (err.message, what) == NULL)
        {
          if (failures++ < 3)
            fprintf (stderr, "%s truncated to %zu bytes: status %d (%s)\n",
                     what, len, s, err.message);
          ns_weights_free (w);
        }
      free (copy);
    }
  TU_CHECK (failures == 0);
  printf ("%s: all %zu truncations rejected\n", what, f->n);
}

static uint64_t
rnd (uint64_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static void
byte_flips (const buf *f, const char *what, uint64_t seed)
{
  int iter, ok = 0;
  unsigned char *copy = malloc (f->n);
  for (iter = 0; iter < 3000; iter++)
    {
      ns_weights *w = NULL;
      ns_error err = { 0 };
      int k, nflip = 1 + (int) (rnd (&seed) % 4), i;
      memcpy (copy, f->b, f->n);
      for (k = 0; k < nflip; k++)
        copy[rnd (&seed) % f->n] ^= (unsigned char) (1 + rnd (&seed) % 255);
      if (ns_weights_load_pth_mem (copy, f->n, what, &w, &err) == NS_OK)
        {
          /* A flip in tensor data or an unused byte: still consistent. */
          for (i = 0; i < ns_weights_count (w); i++)
            {
              const ns_weight *x = ns_weights_get (w, i);
              TU_CHECK (x->numel <= f->n);
            }
          ok++;
          ns_weights_free (w);
        }
      else
        TU_CHECK (err.message[0] != '\0');
    }
  free (copy);
  printf ("%s: 3000 corrupted copies, %d still loadable, no crash\n", what, ok);
}

static void
hostile (void)
{
  buf p = { 0 }, f;
  int i;
  static const int64_t sz1[1] = { 6 }, st1[1] = { 1 };

  expect_error ("", 0, "empty.pth", "empty");
  expect_error ("<html>not a pickle", 18, "text.pth",
                "unsupported pickle opcode 0x3c at offset 0");

  /* Wrong magic number. */
  f = make_legacy (false);
  f.b[4] ^= 1;
  expect_error (f.b, f.n, "magic.pth", "bad magic");
  free (f.b);

  /* os.system via GLOBAL, builtins.eval via STACK_GLOBAL. */
  put_lit (&p, "\x80\x02"
               "cos\nsystem\n(X\x02\x00\x00\x00lstR.");
  f = make_legacy_with (&p);
  expect_error (f.b, f.n, "global.pth", "disallowed pickle global os.system");
  free (f.b);
  p.n = 0;
  put_lit (&p, "\x80\x04\x8c\x08"
               "builtins\x8c\x04"
               "eval\x93)R.");
  f = make_legacy_with (&p);
  expect_error (f.b, f.n, "stackglobal.pth", "builtins.eval");
  free (f.b);

  /* Unknown opcode (NEWOBJ), with its offset. */
  p.n = 0;
  put_lit (&p, "\x80\x02}\x81.");
  f = make_legacy_with (&p);
  expect_error (f.b, f.n, "newobj.pth", "unsupported pickle opcode 0x81");
  free (f.b);

  /* A string longer than the file. */
  p.n = 0;
  put_lit (&p, "\x80\x02X\xf0\xff\xff\xff"
               "abc");
  f = make_legacy_with (&p);
  expect_error (f.b, f.n, "longstr.pth", "runs past");
  free (f.b);

  /* Memo: huge LONG_BINPUT index, undefined BINGET. */
  p.n = 0;
  put_lit (&p, "\x80\x02}r\xff\xff\xff\xff.");
  f = make_legacy_with (&p);
  expect_error (f.b, f.n, "memoput.pth", "memo index");
  free (f.b);
  p.n = 0;
  put_lit (&p, "\x80\x02h\x05.");
  f = make_legacy_with (&p);
  expect_error (f.b, f.n, "memoget.pth", "undefined memo");
  free (f.b);

  /* Deep MARK nesting, a huge stack. */
  p.n = 0;
  put_lit (&p, "\x80\x02");
  for (i = 0; i < 100000; i++)
    put1 (&p, '(');
  f = make_legacy_with (&p);
  expect_error (f.b, f.n, "marks.pth", "MARKs nested");
  free (f.b);
  p.n = 0;
  for (i = 0; i < (1 << 20) + 10; i++)
    put1 (&p, 'N');
  expect_error (p.b, p.n, "stack.pth", "stack deeper");

  /* A storage claiming 2^60 elements. */
  p.n = 0;
  put_lit (&p, "\x80\x02}(X\x01\x00\x00\x00w");
  p_tensor (&p, "0", (int64_t) 1 << 60, 0, sz1, st1, 1, true);
  put_lit (&p, "u.");
  f = make_legacy_with (&p);
  expect_error (f.b, f.n, "hugestorage.pth", "more than the file holds");
  free (f.b);

  /* A tensor of 2^40 x 2^40 elements; one reading past its storage; one
   * transposed. */
  {
    static const int64_t hsz[2] = { (int64_t) 1 << 40, (int64_t) 1 << 40 },
                         hst[2] = { (int64_t) 1 << 40, 1 }, osz[2] = { 2, 4 },
                         ost[2] = { 4, 1 }, tsz[2] = { 3, 2 },
                         tst[2] = { 1, 3 };
    p.n = 0;
    put_lit (&p, "\x80\x02}(X\x01\x00\x00\x00w");
    p_tensor (&p, "0", 6, 0, hsz, hst, 2, true);
    put_lit (&p, "u.");
    f = make_legacy_with (&p);
    expect_error (f.b, f.n, "hugeshape.pth", "impossibly large");
    free (f.b);
    p.n = 0;
    put_lit (&p, "\x80\x02}(X\x01\x00\x00\x00w");
    p_tensor (&p, "0", 6, 0, osz, ost, 2, true);
    put_lit (&p, "u.");
    f = make_legacy_with (&p);
    expect_error (f.b, f.n, "pastend.pth", "reads past its storage");
    free (f.b);
    p.n = 0;
    put_lit (&p, "\x80\x02}(X\x01\x00\x00\x00w");
    p_tensor (&p, "0", 6, 0, tsz, tst, 2, true);
    put_lit (&p, "u.");
    f = make_legacy_with (&p);
    expect_error (f.b, f.n, "transposed.pth", "not contiguous");
    free (f.b);
  }

  /* Legacy storage whose element count is 2^62. */
  f = make_legacy (false);
  {
    size_t at = f.n - sizeof B - 8 - sizeof W - 8;
    put_le (&(buf){ f.b + at, 0, 8 }, (uint64_t) 1 << 62, 8);
    expect_error (f.b, f.n, "hugecount.pth", "truncated");
  }
  free (f.b);

  /* Storage "1" missing from the key list. */
  {
    buf q = { 0 }, o = { 0 };
    p_state_dict (&q, true, false);
    legacy_header (&o);
    put (&o, q.b, q.n);
    put_lit (&o, "\x80\x02]q\x00(X\x01\x00\x00\x00"
                 "0e.");
    put_le (&o, 6, 8);
    put (&o, W, sizeof W);
    expect_error (o.b, o.n, "nokey.pth", "has no data");
    free (q.b);
    free (o.b);
  }

  /* Not a dict; a storage type called; a dict holding itself; dicts
   * nested 100 deep. */
  p.n = 0;
  put_lit (&p, "\x80\x02]K\x01"
               "a.");
  f = make_legacy_with (&p);
  expect_error (f.b, f.n, "list.pth", "no dict");
  free (f.b);
  p.n = 0;
  put_lit (&p, "\x80\x02"
               "ctorch\nFloatStorage\n)R.");
  f = make_legacy_with (&p);
  expect_error (f.b, f.n, "callstorage.pth", "cannot call torch.FloatStorage");
  free (f.b);
  p.n = 0;
  put_lit (&p, "\x80\x02}q\x00X\x01\x00\x00\x00"
               "ah\x00s.");
  f = make_legacy_with (&p);
  expect_error (f.b, f.n, "cycle.pth", "referenced twice");
  free (f.b);
  p.n = 0;
  put_lit (&p, "\x80\x02");
  for (i = 0; i < 100; i++)
    put_lit (&p, "}X\x01\x00\x00\x00"
                 "a");
  put_lit (&p, "}");
  for (i = 0; i < 100; i++)
    put1 (&p, 's');
  put1 (&p, '.');
  f = make_legacy_with (&p);
  expect_error (f.b, f.n, "deepdict.pth", "nested deeper");
  free (f.b);

  /* One storage shared by many tensors: fine while the output stays
   * within a multiple of the file size, an error beyond. */
  for (i = 0; i < 2; i++)
    {
      static const int64_t big[1] = { 1000 };
      buf o = { 0 };
      int t, n = i ? 4000 : 10;
      ns_weights *w = NULL;
      ns_error err = { 0 };
      ns_status s;

      p.n = 0;
      put_lit (&p, "\x80\x02}(X\x01\x00\x00\x00w");
      p_tensor (&p, "0", 1000, 0, big, st1, 1, true);
      put_lit (&p, "q\x01");
      for (t = 0; t < n; t++)
        {
          char key[16];
          snprintf (key, sizeof key, "t%d", t);
          p_str (&p, key);
          put_lit (&p, "h\x01");
        }
      put_lit (&p, "u.");
      legacy_header (&o);
      put (&o, p.b, p.n);
      put_lit (&o, "\x80\x02]q\x00(X\x01\x00\x00\x00"
                   "0e.");
      put_le (&o, 1000, 8);
      for (t = 0; t < 1000; t++)
        put (&o, W, sizeof (float));
      s = ns_weights_load_pth_mem (o.b, o.n, "shared.pth", &w, &err);
      if (i == 0)
        {
          if (s != NS_OK)
            fprintf (stderr, "%s\n", err.message);
          TU_CHECK (s == NS_OK && ns_weights_count (w) == n + 1);
          TU_CHECK (w && ns_weights_get (w, n)->numel == 1000 &&
                    ns_weights_get (w, n)->data[999] == W[0]);
          ns_weights_free (w);
        }
      else
        expect_error (o.b, o.n, "shared.pth", "can justify");
      free (o.b);
    }

  /* Zip: compressed, directory outside the file, absurd entry count,
   * missing storage entry. */
  f = make_zip (false, 8);
  expect_error (f.b, f.n, "deflate.pth", "compressed");
  free (f.b);
  f = make_zip (false, 0);
  f.b[f.n - 6] = 0xff; /* central directory offset */
  expect_error (f.b, f.n, "cdoff.pth", "outside the file");
  free (f.b);
  f = make_zip (false, 0);
  f.b[f.n - 12] = 0xff; /* entries */
  f.b[f.n - 11] = 0xfe;
  expect_error (f.b, f.n, "entries.pth", "claims");
  free (f.b);
  {
    static const char *const names[2] = { "a/data.pkl", "a/data/0" };
    buf d[2] = { { 0 } };
    p_state_dict (&d[0], false, false);
    put (&d[1], W, sizeof W);
    f = make_zip_entries (names, d, 2, 0);
    expect_error (f.b, f.n, "nodata.pth", "a/data/1 is missing");
    free (f.b);
    free (d[0].b);
    free (d[1].b);
  }
  free (p.b);
}

static void
file_errors (void)
{
  ns_weights *w = NULL;
  ns_error err = { 0 };
  char path[] = "/tmp/ns-pth-XXXXXX";
  int fd;
  buf f;

  TU_CHECK (ns_weights_load_pth ("/nonexistent/enc1.pth", &w, &err) ==
            NS_ERR_IO);
  TU_CHECK (strstr (err.message, "/nonexistent/enc1.pth") != NULL);
  TU_CHECK (ns_weights_load_pth ("/tmp", &w, &err) == NS_ERR_IO);
  TU_CHECK (w == NULL);
  fd = mkstemp (path);
  TU_CHECK (fd >= 0);
  if (fd < 0)
    return;
  TU_CHECK (ns_weights_load_pth (path, &w, &err) == NS_ERR_FORMAT);
  /* The same bytes through the file path. */
  f = make_legacy (true);
  TU_CHECK (write (fd, f.b, f.n) == (ssize_t) f.n);
  close (fd);
  TU_CHECK (ns_weights_load_pth (path, &w, &err) == NS_OK);
  TU_CHECK (w && ns_weights_find (w, "w") != NULL &&
            strcmp (ns_weights_path (w), path) == 0);
  ns_weights_free (w);
  unlink (path);
  free (f.b);
}

int
main (void)
{
  buf l = make_legacy (false), ln = make_legacy (true);
  buf z = make_zip (false, 0), zn = make_zip (true, 0);

  check_valid (&l, "legacy.pth", false);
  check_valid (&ln, "legacy-nested.pth", true);
  check_valid (&z, "zip.pth", false);
  check_valid (&zn, "zip-nested.pth", true);
  truncations (&ln, "legacy-nested.pth");
  truncations (&zn, "zip-nested.pth");
  byte_flips (&ln, "legacy-nested.pth", 0x9e3779b97f4a7c15ull);
  byte_flips (&zn, "zip-nested.pth", 0x2545f4914f6cdd1dull);
  hostile ();
  file_errors ();
  free (l.b);
  free (ln.b);
  free (z.b);
  free (zn.b);
  return tu_finish ("test-pth-errors");
}
