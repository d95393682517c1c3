/* The model installer: fetch (HTTP with resume through libsoup 3, file://
 * and local folders through GIO) into a hidden staging folder, check
 * sizes and SHA-256 (GChecksum), then move the complete kind into place
 * with rename (see ns-install.h for the layout). */
#include "config.h"

#include "ns-install.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>
#include <unistd.h>

#define RECORD_NAME ".ns-installed" /* computed sums, in <root>/KIND/ */
#define BUF_SIZE (64 * 1024)
#define MAX_ATTEMPTS 3 /* per file, when a transfer stops early */

typedef struct
{
  const NsInstallHooks *hooks;
  GCancellable *cancellable;
  SoupSession *session; /* created on first HTTP use */
  const char *kind;
  gint64 done;  /* bytes of the kind already counted */
  gint64 total; /* bytes of the kind */
  char *label;  /* "KIND/NAME" of the file being fetched */
} Ctx;

static void note (Ctx *c, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
note (Ctx *c, const char *fmt, ...)
{
  va_list ap;
  char *s;

  if (!c->hooks || !c->hooks->note)
    return;
  va_start (ap, fmt);
  s = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  c->hooks->note (s, c->hooks->user_data);
  g_free (s);
}

/* FALSE (and ERROR) when the user cancelled. */
static gboolean
report (Ctx *c, gint64 file_done, GError **error)
{
  if ((c->hooks && c->hooks->progress &&
       !c->hooks->progress (c->label, c->done + file_done, c->total,
                            c->hooks->user_data)) ||
      g_cancellable_is_cancelled (c->cancellable))
    {
      g_cancellable_cancel (c->cancellable);
      g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_CANCELLED,
                   _ ("%s: cancelled"), c->label);
      return FALSE;
    }
  return TRUE;
}

static char *
human_size (gint64 n)
{
  return g_format_size_full ((guint64) MAX (n, 0), G_FORMAT_SIZE_DEFAULT);
}

/* SHA-256 of PATH's first bytes into CK; its size in *SIZE. */
static gboolean
hash_file (const char *path, GChecksum *ck, gint64 *size, GError **error)
{
  guchar *buf = g_malloc (BUF_SIZE);
  int fd = g_open (path, O_RDONLY, 0);
  gssize n;

  *size = 0;
  if (fd < 0)
    {
      int e = errno;
      g_free (buf);
      g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_IO, "%s: %s", path,
                   g_strerror (e));
      return FALSE;
    }
  while ((n = read (fd, buf, BUF_SIZE)) > 0)
    {
      g_checksum_update (ck, buf, n);
      *size += n;
    }
  if (n < 0)
    g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_IO, "%s: %s", path,
                 g_strerror (errno));
  close (fd);
  g_free (buf);
  return n == 0;
}

/* SHA-256 (g_free) of PATH, or NULL when unreadable (*SIZE -1). */
static char *
file_sha256 (const char *path, gint64 *size)
{
  GChecksum *ck = g_checksum_new (G_CHECKSUM_SHA256);
  char *sum = NULL;

  if (hash_file (path, ck, size, NULL))
    sum = g_strdup (g_checksum_get_string (ck));
  else
    *size = -1;
  g_checksum_free (ck);
  return sum;
}

static gboolean
size_ok (const NsModelFile *f, gint64 size)
{
  return size >= f->size_min && size <= f->size_max;
}

/* The sum recorded at install for ROOT/KIND/NAME (g_free), or NULL. */
static char *
recorded_sum (const char *kind_dir, const char *name)
{
  char *path = g_build_filename (kind_dir, RECORD_NAME, NULL);
  GKeyFile *kf = g_key_file_new ();
  char *sum = NULL;

  if (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL))
    sum = g_key_file_get_string (kf, name, "sha256", NULL);
  g_key_file_free (kf);
  g_free (path);
  return sum;
}

/* ------------------------------------------------------------ transfer */

/* Appends IN to FD (hashing into CK, *WRITTEN counting), reporting
 * progress, failing when more than F->size_max bytes arrive. */
static gboolean
pump (Ctx *c, const NsModelFile *f, GInputStream *in, int fd, GChecksum *ck,
      gint64 *written, GError **error)
{
  guchar *buf = g_malloc (BUF_SIZE);
  gboolean ok = FALSE;

  for (;;)
    {
      GError *e = NULL;
      gssize n = g_input_stream_read (in, buf, BUF_SIZE, c->cancellable, &e);

      if (n < 0)
        {
          if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_CANCELLED,
                         _ ("%s: cancelled"), c->label);
          else
            g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_PARTIAL,
                         "%s", e->message);
          g_error_free (e);
          break;
        }
      if (n == 0)
        {
          ok = TRUE;
          break;
        }
      if (*written + n > f->size_max)
        {
          g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_CHECKSUM,
                       _ ("%s: larger than the expected %lld bytes; the "
                          "download was deleted"),
                       c->label, (long long) f->size_max);
          break;
        }
      for (gssize off = 0; off < n;)
        {
          gssize w = write (fd, buf + off, n - off);

          if (w < 0 && errno == EINTR)
            continue;
          if (w < 0)
            {
              int err = errno;
              gboolean full = err == ENOSPC || err == EFBIG || err == EDQUOT;

              g_set_error (error, NS_INSTALL_ERROR,
                           full ? NS_INSTALL_ERROR_NO_SPACE
                                : NS_INSTALL_ERROR_IO,
                           full ? _ ("%s: not enough disk space to write it "
                                     "(%s); nothing was installed, free "
                                     "some space and try again")
                                : _ ("%s: cannot write it (%s)"),
                           c->label, g_strerror (err));
              goto out;
            }
          off += w;
        }
      g_checksum_update (ck, buf, n);
      *written += n;
      if (!report (c, *written, error))
        break;
    }
out:
  g_free (buf);
  return ok;
}

/* Opens a stream on URL from byte OFFSET.  *RESTART is set when the source
 * starts from 0 regardless (the part must be emptied). */
static GInputStream *
open_url (Ctx *c, const char *url, gint64 offset, gboolean *restart,
          gint64 *end, GError **error)
{
  GError *e = NULL;
  SoupMessage *msg;
  GInputStream *in;
  guint status;

  *restart = FALSE;
  *end = -1;
  if (!g_str_has_prefix (url, "http://") && !g_str_has_prefix (url, "https://"))
    {
      GFile *file = g_file_new_for_uri (url);
      GFileInputStream *fin = g_file_read (file, c->cancellable, &e);

      g_object_unref (file);
      if (fin && offset > 0 &&
          !g_seekable_seek (G_SEEKABLE (fin), offset, G_SEEK_SET,
                            c->cancellable, NULL))
        *restart = TRUE;
      if (!fin)
        {
          gboolean nf = g_error_matches (e, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
          g_set_error (error, NS_INSTALL_ERROR,
                       nf ? NS_INSTALL_ERROR_NOT_FOUND
                          : NS_INSTALL_ERROR_NETWORK,
                       _ ("%s: download failed from %s: %s"), c->label, url,
                       e->message);
          g_error_free (e);
        }
      return fin ? G_INPUT_STREAM (fin) : NULL;
    }

  if (!c->session)
    c->session = soup_session_new_with_options ("user-agent",
                                                "gimp-neural-style/" NS_VERSION,
                                                "timeout", 60, NULL);
  msg = soup_message_new ("GET", url);
  if (!msg)
    {
      g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_NETWORK,
                   _ ("%s: invalid URL %s"), c->label, url);
      return NULL;
    }
  if (offset > 0)
    soup_message_headers_set_range (soup_message_get_request_headers (msg),
                                    offset, -1);
  in = soup_session_send (c->session, msg, c->cancellable, &e);
  status = soup_message_get_status (msg);
  if (in && status == SOUP_STATUS_PARTIAL_CONTENT)
    {
      goffset start = -1, last, total;

      /* A range starting elsewhere than asked: start over. */
      if (!soup_message_headers_get_content_range (
              soup_message_get_response_headers (msg), &start, &last, &total) ||
          start != offset)
        {
          g_clear_object (&in);
          g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_PARTIAL,
                       _ ("%s: the server sent the wrong part of the file"),
                       c->label);
        }
    }
  else if (in && status == SOUP_STATUS_OK)
    *restart = offset > 0; /* the server ignored the range */
  else if (in)
    {
      g_clear_object (&in);
      g_set_error (error, NS_INSTALL_ERROR,
                   status == SOUP_STATUS_NOT_FOUND ? NS_INSTALL_ERROR_NOT_FOUND
                                                   : NS_INSTALL_ERROR_NETWORK,
                   _ ("%s: download failed from %s: HTTP %u %s"), c->label, url,
                   status,
                   soup_message_get_reason_phrase (msg)
                       ? soup_message_get_reason_phrase (msg)
                       : "");
    }
  else if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_CANCELLED,
                 _ ("%s: cancelled"), c->label);
  else
    g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_NETWORK,
                 _ ("%s: download failed from %s: %s"), c->label, url,
                 e->message);
  if (in)
    {
      /* Where the body announced ends: fewer bytes is a cut transfer. */
      goffset len = soup_message_headers_get_content_length (
          soup_message_get_response_headers (msg));

      if (len > 0)
        *end = (*restart ? 0 : offset) + len;
    }
  g_clear_error (&e);
  g_object_unref (msg);
  return in;
}

/* Fetches F from URL into PART (resuming what PART holds), then checks
 * its size and SHA-256.  Returns the computed sum (g_free) or NULL.  A
 * part that cannot be resumed, is corrupt or too large is deleted; one
 * that stopped early is kept. */
static char *
fetch (Ctx *c, const NsModelFile *f, const char *url, const char *part,
       GError **error)
{
  GChecksum *ck = g_checksum_new (G_CHECKSUM_SHA256);
  gint64 have = 0;
  char *sum = NULL;
  int fd;
  GError *e = NULL;

  fd = g_open (part, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0 || !hash_file (part, ck, &have, &e))
    {
      g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_IO,
                   _ ("%s: cannot write %s: %s"), c->label, part,
                   e ? e->message : g_strerror (errno));
      g_clear_error (&e);
      if (fd >= 0)
        close (fd);
      g_checksum_free (ck);
      return NULL;
    }
  if (have > f->size_max)
    {
      g_checksum_reset (ck);
      have = 0;
      if (ftruncate (fd, 0) != 0)
        have = -1;
    }
  if (have > 0)
    {
      char *h = human_size (have);
      note (c, _ ("%s: resuming the download at %s"), c->label, h);
      g_free (h);
    }

  for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++)
    {
      gboolean restart = FALSE, done;
      gint64 end = -1;
      GInputStream *in;

      g_clear_error (&e);
      if (f->size >= 0 && have == f->size)
        break; /* complete already: just verify */
      in = open_url (c, url, have, &restart, &end, &e);
      if (!in)
        {
          if (e->code != NS_INSTALL_ERROR_PARTIAL)
            break;
          continue;
        }
      if (restart)
        {
          g_checksum_reset (ck);
          have = 0;
          if (ftruncate (fd, 0) != 0)
            {
              g_set_error (&e, NS_INSTALL_ERROR, NS_INSTALL_ERROR_IO,
                           _ ("%s: cannot write %s: %s"), c->label, part,
                           g_strerror (errno));
              g_object_unref (in);
              break;
            }
        }
      done = pump (c, f, in, fd, ck, &have, &e);
      g_input_stream_close (in, NULL, NULL);
      g_object_unref (in);
      if (done && end > 0 && have < end)
        {
          done = FALSE;
          g_set_error (&e, NS_INSTALL_ERROR, NS_INSTALL_ERROR_PARTIAL, "%s",
                       _ ("the connection closed early"));
        }
      if (done)
        break;
      if (e->code != NS_INSTALL_ERROR_PARTIAL)
        break;
    }
  close (fd);

  if (!e && !size_ok (f, have))
    {
      if (have == 0)
        g_set_error (&e, NS_INSTALL_ERROR, NS_INSTALL_ERROR_CHECKSUM,
                     _ ("%s: downloaded file is empty; it was deleted"),
                     c->label);
      else if (f->sha256)
        g_set_error (&e, NS_INSTALL_ERROR, NS_INSTALL_ERROR_CHECKSUM,
                     _ ("%s: SHA-256 mismatch (expected %s, got %s: %lld bytes "
                        "instead of %lld); the downloaded file was deleted"),
                     c->label, f->sha256, g_checksum_get_string (ck),
                     (long long) have, (long long) f->size);
      else
        g_set_error (&e, NS_INSTALL_ERROR, NS_INSTALL_ERROR_CHECKSUM,
                     _ ("%s: the file has %lld bytes, expected %lld to %lld; "
                        "it was deleted"),
                     c->label, (long long) have, (long long) f->size_min,
                     (long long) f->size_max);
    }
  if (e && e->code == NS_INSTALL_ERROR_PARTIAL)
    {
      char *got = human_size (have), *want = human_size (f->size_max);

      /* Kept for resuming, except an empty file (nothing to resume). */
      g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_PARTIAL,
                   _ ("%s: the download from %s stopped after %s of %s (%s); "
                      "run the install again to resume it"),
                   c->label, url, got, want, e->message);
      g_free (got);
      g_free (want);
      if (have == 0)
        g_unlink (part);
    }
  else if (e)
    {
      g_propagate_error (error, e);
      e = NULL;
      if ((*error)->code != NS_INSTALL_ERROR_CANCELLED &&
          (*error)->code != NS_INSTALL_ERROR_NETWORK)
        g_unlink (part);
    }
  else
    {
      const char *got = g_checksum_get_string (ck);

      if (f->sha256 && strcmp (got, f->sha256) != 0)
        {
          g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_CHECKSUM,
                       _ ("%s: SHA-256 mismatch (expected %s, got %s); the "
                          "downloaded file was deleted"),
                       c->label, f->sha256, got);
          g_unlink (part);
        }
      else
        sum = g_strdup (got);
    }
  g_clear_error (&e);
  g_checksum_free (ck);
  return sum;
}

/* ------------------------------------------------------------- install */

/* Where F is in FROM_DIR: KIND/NAME, NAME, then the upstream name. */
static char *
find_local (const char *from_dir, const NsModelFile *f)
{
  char *base = g_path_get_basename (f->url);
  char *cands[3] = { g_build_filename (from_dir, f->kind, f->name, NULL),
                     g_build_filename (from_dir, f->name, NULL),
                     g_build_filename (from_dir, base, NULL) };
  char *found = NULL;

  for (int i = 0; i < 3; i++)
    {
      if (!found && g_file_test (cands[i], G_FILE_TEST_IS_REGULAR))
        found = cands[i];
      else
        g_free (cands[i]);
    }
  g_free (base);
  return found;
}

/* Whether PATH holds F: size, and SHA-256 against the manifest or the
 * record.  *SUM receives the computed sum (g_free). */
static gboolean
holds (const NsModelFile *f, const char *path, const char *recorded, char **sum)
{
  gint64 size = 0;

  *sum = NULL;
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return FALSE;
  *sum = file_sha256 (path, &size);
  if (!*sum || !size_ok (f, size))
    return FALSE;
  if (f->sha256)
    return strcmp (*sum, f->sha256) == 0;
  return !recorded || strcmp (*sum, recorded) == 0;
}

static gboolean
check_space (Ctx *c, const char *root, gint64 needed, GError **error)
{
  GFile *dir = g_file_new_for_path (root);
  GFileInfo *info =
      g_file_query_filesystem_info (dir, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, NULL,
                                    NULL);
  gboolean ok = TRUE;

  if (info &&
      g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE))
    {
      guint64 free_bytes =
          g_file_info_get_attribute_uint64 (info,
                                            G_FILE_ATTRIBUTE_FILESYSTEM_FREE);

      if ((guint64) needed > free_bytes)
        {
          char *n = human_size (needed), *fr = human_size ((gint64) free_bytes);

          g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_NO_SPACE,
                       _ ("%s needs %s in %s, but only %s are free; nothing "
                          "was installed"),
                       c->kind, n, root, fr);
          g_free (n);
          g_free (fr);
          ok = FALSE;
        }
    }
  g_clear_object (&info);
  g_object_unref (dir);
  return ok;
}

static void
remove_tree (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
      g_free (p);
    }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

/* Writes the record of SUMS (name -> sha256) into DIR/RECORD_NAME,
 * keeping entries already there. */
static gboolean
write_record (const char *dir, GHashTable *sums, GError **error)
{
  char *path = g_build_filename (dir, RECORD_NAME, NULL);
  GKeyFile *kf = g_key_file_new ();
  GHashTableIter it;
  gpointer k, v;
  gboolean ok;

  g_key_file_load_from_file (kf, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
  g_key_file_set_comment (kf, NULL, NULL,
                          " SHA-256 of the files as installed by GIMP Neural "
                          "Style (checked by 'nstyle models verify')",
                          NULL);
  g_hash_table_iter_init (&it, sums);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_key_file_set_string (kf, k, "sha256", v);
  ok = g_key_file_save_to_file (kf, path, error);
  g_key_file_free (kf);
  g_free (path);
  return ok;
}

/* Moves every verified file of STAGE into KIND_DIR (or STAGE itself when
 * KIND_DIR does not exist yet: one rename). */
static gboolean
commit (Ctx *c, const char *stage, const char *kind_dir, GPtrArray *files,
        GHashTable *staged, GHashTable *sums, GError **error)
{
  int err = 0;

  if (!g_file_test (kind_dir, G_FILE_TEST_EXISTS))
    {
      if (!write_record (stage, sums, error))
        return FALSE;
      if (g_rename (stage, kind_dir) == 0)
        return TRUE;
      err = errno;
    }
  else
    {
      for (guint i = 0; i < files->len && !err; i++)
        {
          NsModelFile *f = files->pdata[i];
          char *from, *to;

          if (!g_hash_table_contains (staged, f->name))
            continue;
          from = g_build_filename (stage, f->name, NULL);
          to = g_build_filename (kind_dir, f->name, NULL);
          if (g_rename (from, to) != 0)
            err = errno;
          g_free (from);
          g_free (to);
        }
      if (!err)
        {
          if (!write_record (kind_dir, sums, error))
            return FALSE;
          remove_tree (stage);
          return TRUE;
        }
    }
  g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_IO,
               _ ("%s: cannot move the files into %s: %s"), c->kind, kind_dir,
               g_strerror (err));
  return FALSE;
}

gboolean
ns_install_kind (const NsManifest *m, const char *kind, const char *root,
                 const char *from_dir, const NsInstallHooks *hooks,
                 GError **error)
{
  GPtrArray *files = ns_manifest_files (m, kind);
  Ctx c = { hooks, NULL, NULL, kind, 0, 0, NULL };
  char *kind_dir, *stage, *stage_name;
  GHashTable *staged, *sums, *present;
  gboolean ok = FALSE, keep_stage = FALSE;
  gint64 needed = 0;

  if (!files)
    {
      g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_UNKNOWN_KIND,
                   _ ("Unknown model kind '%s'"), kind);
      return FALSE;
    }
  c.cancellable = hooks && hooks->cancellable
                      ? g_object_ref (hooks->cancellable)
                      : g_cancellable_new ();
  kind_dir = g_build_filename (root, kind, NULL);
  stage_name = g_strdup_printf (".%s.part", kind);
  stage = g_build_filename (root, stage_name, NULL);
  staged = g_hash_table_new (g_str_hash, g_str_equal);
  present = g_hash_table_new (g_str_hash, g_str_equal);
  sums = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  c.total = ns_manifest_kind_size (m, kind);

  if (g_mkdir_with_parents (stage, 0755) != 0)
    {
      g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_IO,
                   _ ("Cannot create %s: %s"), stage, g_strerror (errno));
      goto out;
    }

  /* What is already there (installed, or staged by an earlier run). */
  for (guint i = 0; i < files->len; i++)
    {
      NsModelFile *f = files->pdata[i];
      char *have = g_build_filename (kind_dir, f->name, NULL);
      char *st = g_build_filename (stage, f->name, NULL);
      char *rec = recorded_sum (kind_dir, f->name), *sum = NULL;

      if (holds (f, have, rec, &sum))
        {
          note (&c, _ ("ok: %s/%s (already present, checksum verified)"), kind,
                f->name);
          g_hash_table_add (present, f->name);
          c.total -= f->size_max;
        }
      else
        {
          g_free (sum);
          if (holds (f, st, NULL, &sum))
            {
              g_hash_table_add (staged, f->name);
              g_hash_table_insert (sums, f->name, g_steal_pointer (&sum));
              c.total -= f->size_max;
            }
          else
            needed += f->size_max;
        }
      g_free (sum);
      g_free (rec);
      g_free (have);
      g_free (st);
    }
  if (!check_space (&c, root, needed, error))
    goto out;

  for (guint i = 0; i < files->len; i++)
    {
      NsModelFile *f = files->pdata[i];
      char *st, *part, *src, *sum;

      if (g_hash_table_contains (staged, f->name) ||
          g_hash_table_contains (present, f->name))
        continue;
      g_free (c.label);
      c.label = g_strdup_printf ("%s/%s", kind, f->name);
      st = g_build_filename (stage, f->name, NULL);
      part = g_strconcat (st, ".part", NULL);
      if (from_dir)
        {
          char *path = find_local (from_dir, f);

          src = path ? g_filename_to_uri (path, NULL, NULL) : NULL;
          g_free (path);
          if (!src)
            {
              g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_NOT_FOUND,
                           _ ("%s: not found in %s (looked for %s/%s, %s and "
                              "its upstream name)"),
                           c.label, from_dir, kind, f->name, f->name);
              g_free (st);
              g_free (part);
              goto out;
            }
          g_unlink (part); /* a local copy is never resumed */
        }
      else
        src = ns_model_file_url (f);
      sum = fetch (&c, f, src, part, error);
      g_free (src);
      if (sum && g_rename (part, st) != 0)
        {
          g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_IO,
                       _ ("%s: cannot rename %s: %s"), c.label, part,
                       g_strerror (errno));
          g_clear_pointer (&sum, g_free);
        }
      g_free (st);
      g_free (part);
      if (!sum)
        {
          keep_stage = !from_dir &&
                       ((*error)->code == NS_INSTALL_ERROR_PARTIAL ||
                        (*error)->code == NS_INSTALL_ERROR_CANCELLED ||
                        (*error)->code == NS_INSTALL_ERROR_NETWORK);
          goto out;
        }
      if (!f->sha256)
        note (&c,
              _ ("note: %s: no SHA-256 is published for this file; it was "
                 "accepted by its size and its SHA-256 %s was recorded so "
                 "that 'verify' can tell if it changes"),
              c.label, sum);
      else
        note (&c, _ ("ok: %s (checksum verified)"), c.label);
      g_hash_table_add (staged, f->name);
      g_hash_table_insert (sums, f->name, sum);
      c.done += f->size_max;
    }
  ok = commit (&c, stage, kind_dir, files, staged, sums, error);

out:
  if (!ok && !keep_stage)
    remove_tree (stage);
  g_clear_object (&c.session);
  g_object_unref (c.cancellable);
  g_hash_table_unref (staged);
  g_hash_table_unref (present);
  g_hash_table_unref (sums);
  g_free (c.label);
  g_free (kind_dir);
  g_free (stage);
  g_free (stage_name);
  return ok;
}

/* -------------------------------------------------------------- verify */

NsKindState
ns_install_kind_state (const NsManifest *m, const char *kind, const char *root)
{
  GPtrArray *files = ns_manifest_files (m, kind);
  guint present = 0, good = 0;

  for (guint i = 0; files && i < files->len; i++)
    {
      NsModelFile *f = files->pdata[i];
      char *p = g_build_filename (root, kind, f->name, NULL);
      GStatBuf st;

      if (g_stat (p, &st) == 0 && S_ISREG (st.st_mode))
        {
          present++;
          good += size_ok (f, st.st_size);
        }
      g_free (p);
    }
  if (!files || present == 0)
    return NS_KIND_ABSENT;
  return good == files->len ? NS_KIND_INSTALLED : NS_KIND_INCOMPLETE;
}

gboolean
ns_install_verify (const NsManifest *m, const char *kind, const char *root,
                   const NsInstallHooks *hooks, GError **error)
{
  GPtrArray *files = ns_manifest_files (m, kind);
  Ctx c = { hooks, NULL, NULL, kind, 0, 0, NULL };
  char *kind_dir;
  GString *problems;

  if (!files)
    {
      g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_UNKNOWN_KIND,
                   _ ("Unknown model kind '%s'"), kind);
      return FALSE;
    }
  kind_dir = g_build_filename (root, kind, NULL);
  problems = g_string_new (NULL);
  for (guint i = 0; i < files->len; i++)
    {
      NsModelFile *f = files->pdata[i];
      char *path = g_build_filename (kind_dir, f->name, NULL);
      char *rec = recorded_sum (kind_dir, f->name);
      const char *want = f->sha256 ? f->sha256 : rec;
      gint64 size = -1;
      char *sum = g_file_test (path, G_FILE_TEST_IS_REGULAR)
                      ? file_sha256 (path, &size)
                      : NULL;
      char *msg = NULL;

      if (!sum)
        msg = g_strdup_printf (_ ("%s/%s: missing"), kind, f->name);
      else if (!size_ok (f, size))
        msg = g_strdup_printf (_ ("%s/%s: %lld bytes, expected %lld"), kind,
                               f->name, (long long) size,
                               (long long) f->size_max);
      else if (want && strcmp (sum, want) != 0)
        msg = g_strdup_printf (_ ("%s/%s: changed (SHA-256 %s, expected %s)"),
                               kind, f->name, sum, want);
      if (msg)
        {
          g_string_append_printf (problems, "%s%s", problems->len ? "\n" : "",
                                  msg);
          note (&c, "%s", msg);
        }
      else if (want)
        note (&c, _ ("ok: %s/%s (checksum verified)"), kind, f->name);
      else
        note (&c,
              _ ("ok: %s/%s (size checked; no SHA-256 is known for it: it "
                 "was not installed by this tool)"),
              kind, f->name);
      g_free (msg);
      g_free (sum);
      g_free (rec);
      g_free (path);
    }
  g_free (kind_dir);
  if (problems->len)
    {
      g_set_error (error, NS_INSTALL_ERROR, NS_INSTALL_ERROR_CHANGED,
                   _ ("%s in %s is not intact:\n%s"), kind, root,
                   problems->str);
      g_string_free (problems, TRUE);
      return FALSE;
    }
  g_string_free (problems, TRUE);
  return TRUE;
}
