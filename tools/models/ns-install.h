/* The model installer: the manifest of every model file (manifest.ini,
 * compiled in), download with resume, offline install from a folder and
 * verification.  Shared by `nstyle models` and the dialog's download
 * button.  GLib/GIO + libsoup 3; knows nothing of GIMP or GTK.
 *
 * A kind KIND is installed as <root>/KIND/.  Files are fetched into a
 * hidden staging folder <root>/.KIND.part/ (FILE.part while incomplete,
 * kept for resuming), verified, and moved into <root>/KIND/ only when
 * every file of the kind is there: a failed or cancelled install leaves
 * <root>/KIND/ as it was (absent, or as the user left it). */
#ifndef NS_INSTALL_H
#define NS_INSTALL_H

#include <gio/gio.h>

G_BEGIN_DECLS

#define NS_INSTALL_ERROR (ns_install_error_quark ())
GQuark ns_install_error_quark (void);

typedef enum
{
  NS_INSTALL_ERROR_MANIFEST = 1, /* unreadable or invalid manifest */
  NS_INSTALL_ERROR_UNKNOWN_KIND, /* KIND not in the manifest */
  NS_INSTALL_ERROR_NETWORK,      /* connection failed, HTTP error */
  NS_INSTALL_ERROR_NOT_FOUND,    /* 404, or a file missing in --from DIR */
  NS_INSTALL_ERROR_PARTIAL,      /* the transfer stopped early (resumable) */
  NS_INSTALL_ERROR_CHECKSUM,     /* wrong SHA-256 or size */
  NS_INSTALL_ERROR_NO_SPACE,     /* disk full or file size limit */
  NS_INSTALL_ERROR_IO,           /* cannot write the models folder */
  NS_INSTALL_ERROR_CANCELLED,    /* the progress callback said stop */
  NS_INSTALL_ERROR_CHANGED       /* verify: an installed file changed */
} NsInstallError;

/* One file of the manifest. */
typedef struct
{
  char *kind;
  char *name;  /* file name inside <root>/KIND/ */
  char *url;   /* upstream URL (before $NS_MODELS_BASE_URL) */
  gint64 size; /* exact size, or -1 when only a range is known */
  gint64 size_min, size_max;
  char *sha256; /* lower-case hex, or NULL when not known in advance */
  char *license;
} NsModelFile;

typedef struct NsManifest NsManifest;

/* Loads the manifest: the file named by $NS_MODELS_MANIFEST when set
 * (tests), else the copy compiled in. */
NsManifest *ns_manifest_load (GError **error);
NsManifest *ns_manifest_load_file (const char *path, GError **error);
void ns_manifest_free (NsManifest *manifest);

/* The kinds in manifest order (NULL-terminated, owned by the manifest). */
const char *const *ns_manifest_kinds (const NsManifest *manifest);
gboolean ns_manifest_has_kind (const NsManifest *manifest, const char *kind);
const char *ns_manifest_kind_description (const NsManifest *manifest,
                                          const char *kind);
const char *ns_manifest_kind_license (const NsManifest *manifest,
                                      const char *kind);
/* The files of KIND (array of NsModelFile *, owned by the manifest). */
GPtrArray *ns_manifest_files (const NsManifest *manifest, const char *kind);
/* Total download size of KIND (upper bound for files without a size). */
gint64 ns_manifest_kind_size (const NsManifest *manifest, const char *kind);

/* The URL FILE is fetched from: its url with scheme and host replaced by
 * $NS_MODELS_BASE_URL when set.  g_free it. */
char *ns_model_file_url (const NsModelFile *file);

/* The user's models folder (ns_model_dirs' user entry for GIMP_DIR; NULL:
 * GIMP's default user folder), where installs go.  g_free it. */
char *ns_install_default_root (const char *gimp_dir);

/* Progress: FILE is the file being fetched ("KIND/NAME"), DONE and TOTAL
 * bytes of the whole kind (TOTAL an estimate when a size is unknown).
 * Return FALSE to cancel.  Called in the thread running the install. */
typedef gboolean (*NsInstallProgress) (const char *file, gint64 done,
                                       gint64 total, gpointer user_data);
/* A line for the user ("ok: cd16x/enc1.pth", notes about files without a
 * known checksum...).  Called in the thread running the install. */
typedef void (*NsInstallNote) (const char *message, gpointer user_data);

typedef struct
{
  NsInstallProgress progress; /* may be NULL */
  NsInstallNote note;         /* may be NULL */
  gpointer user_data;
  GCancellable *cancellable; /* may be NULL; cancel from any thread */
} NsInstallHooks;

/* Installs KIND into ROOT/KIND/: downloaded (FROM_DIR NULL) or copied from
 * FROM_DIR (which holds FROM_DIR/KIND/NAME, FROM_DIR/NAME or the upstream
 * file name).  Files already installed with the right checksum are kept.
 * Blocking: run it in a thread when a UI must stay responsive.  On error
 * ROOT/KIND/ is unchanged and ERROR says which file and why; an
 * interrupted download stays in the staging folder and the next install
 * resumes it. */
gboolean ns_install_kind (const NsManifest *manifest, const char *kind,
                          const char *root, const char *from_dir,
                          const NsInstallHooks *hooks, GError **error);

typedef enum
{
  NS_KIND_ABSENT = 0, /* no file of the kind */
  NS_KIND_INCOMPLETE, /* some files missing or of the wrong size */
  NS_KIND_INSTALLED   /* every file present with the right size */
} NsKindState;

/* Quick check by presence and size (no checksum: see ns_install_verify). */
NsKindState ns_install_kind_state (const NsManifest *manifest, const char *kind,
                                   const char *root);

/* Checks every file of ROOT/KIND/ against its SHA-256 (the manifest's, or
 * the one recorded at install for files without one).  HOOKS->note gets
 * one line per file.  FALSE with ERROR listing the problems (missing,
 * wrong size, changed). */
gboolean ns_install_verify (const NsManifest *manifest, const char *kind,
                            const char *root, const NsInstallHooks *hooks,
                            GError **error);

G_END_DECLS

#endif /* NS_INSTALL_H */
