/* libFuzzer target for the model layer: ns_model_load on a folder whose
 * files come from the input, so the key and shape checks of every model
 * kind run (engine/nn/model.c, engine/nn/vgg.c) behind the loader.
 *
 * Input: one byte choosing the kind (byte % 4: auto, cd16x, vgg19,
 * lst-r31; auto writes the files of kind (byte / 4) % 3 + 1 and lets the
 * loader detect it), then the kind's files (ns_model_kind_files order)
 * separated by
 * FUZZ_SEP; missing files are left out of the folder, so "file not
 * found" is reached too.  make-corpus.py writes inputs in this form from
 * real model layouts with tiny random weights. */
#include "fuzz_common.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_SEP "\n--ns-fuzz-file--\n"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char dir[64];

/* Every model file name, for clearing the folder. */
static void
clear_dir (void)
{
  for (int k = NS_MODEL_CD16X; k <= NS_MODEL_LST_R31; k++)
    for (const char *const *f = ns_model_kind_files ((ns_model_kind) k); *f;
         f++)
      {
        char path[128];
        snprintf (path, sizeof path, "%s/%s", dir, *f);
        unlink (path);
      }
}

/* Leaves nothing behind when libFuzzer exits. */
static void
remove_dir (void)
{
  clear_dir ();
  rmdir (dir);
}

static const uint8_t *
find_sep (const uint8_t *p, const uint8_t *end)
{
  const size_t n = sizeof FUZZ_SEP - 1;
  for (; (size_t) (end - p) >= n; p++)
    if (memcmp (p, FUZZ_SEP, n) == 0)
      return p;
  return NULL;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const uint8_t *p, *end = data + size;
  const char *const *files;
  ns_model_kind kind;
  ns_model *m = NULL;
  ns_error err = { 0 };
  ns_status s;
  int i;

  if (!dir[0])
    {
      /* One folder for the whole run, in memory when /dev/shm exists. */
      snprintf (dir, sizeof dir, "%s/ns-fuzz-model-XXXXXX",
                access ("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
      if (!mkdtemp (dir))
        __builtin_trap ();
      atexit (remove_dir);
    }
  /* No file of an earlier input may stay (auto detection would see it). */
  clear_dir ();
  if (size < 1)
    return 0;
  kind = (ns_model_kind) (data[0] % 4);
  files = ns_model_kind_files (
      kind != NS_MODEL_AUTO ? kind : (ns_model_kind) (data[0] / 4 % 3 + 1));
  p = data + 1;
  for (i = 0; files[i]; i++)
    {
      char path[128];
      const uint8_t *sep = p ? find_sep (p, end) : NULL;
      const uint8_t *stop = sep ? sep : end;
      snprintf (path, sizeof path, "%s/%s", dir, files[i]);
      if (p)
        {
          int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
          if (fd < 0 || write (fd, p, (size_t) (stop - p)) != stop - p)
            __builtin_trap ();
          close (fd);
        }
      p = sep ? sep + sizeof FUZZ_SEP - 1 : NULL;
    }
  s = ns_model_load (dir, kind, &m, &err);
  /* To see what a corpus input reaches: NS_FUZZ_VERBOSE=1. */
  if (getenv ("NS_FUZZ_VERBOSE"))
    fprintf (stderr, "fuzz_model: kind %d: %s\n", (int) kind,
             s == NS_OK ? "loaded" : err.message);
  if (s == NS_OK)
    ns_model_free (m);
  else if (m != NULL || err.message[0] == '\0')
    __builtin_trap ();
  return 0;
}
