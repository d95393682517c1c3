"""Helpers for the nstyle CLI tests: run the tool, read and write images
(GdkPixbuf + numpy), count failures.  Run with /usr/bin/python3."""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile

import gi
import numpy as np

gi.require_version('GdkPixbuf', '2.0')
from gi.repository import GdkPixbuf, GLib  # noqa: E402

SKIP = 77
failures = 0


def check(cond, what):
    global failures
    if cond:
        print('ok   ' + what)
    else:
        failures += 1
        print('FAIL ' + what)
    sys.stdout.flush()
    return cond


def finish(name):
    print('%s: %s' % (name, 'all passed' if failures == 0
                      else '%d failure(s)' % failures))
    return 0 if failures == 0 else 1


def nstyle_path():
    if len(sys.argv) < 2:
        sys.exit('usage: %s PATH/TO/nstyle' % sys.argv[0])
    return os.path.abspath(sys.argv[1])


def shared_or_skip(*rel):
    d = os.environ.get('NS_SHARED_DIR')
    if not d:
        d = os.path.join(os.environ.get('NS_SOURCE_ROOT', '.'), '..',
                         'shared')
    paths = [os.path.join(d, r) for r in rel]
    for p in paths:
        if not os.path.exists(p):
            print('SKIP: %s not found (set NS_SHARED_DIR to the folder with '
                  'models/ and images/)' % p)
            sys.exit(SKIP)
    return paths


def tmpdir():
    """A scratch folder removed when the test ends."""
    d = tempfile.mkdtemp(prefix='nstyle-cli-')
    atexit.register(shutil.rmtree, d, True)
    return d


def clean_env(tmp):
    """An environment where no model is found by default and nothing
    depends on the user's home."""
    env = dict(os.environ)
    env['HOME'] = tmp
    # The user's GIMP folder follows these (as gimp_directory () does).
    env.pop('GIMP3_DIRECTORY', None)
    env.pop('XDG_CONFIG_HOME', None)
    env['NS_MODELS_DIR'] = os.path.join(tmp, 'no-models-here')
    env['OMP_NUM_THREADS'] = env.get('OMP_NUM_THREADS', '2')
    return env


def run(exe, args, env=None, timeout=120):
    p = subprocess.run([exe] + list(args), env=env, capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def load(path):
    """-> float array H x W x C in [0,1] (C = 3 or 4)."""
    pb = GdkPixbuf.Pixbuf.new_from_file(path)
    w, h, n, rs = (pb.get_width(), pb.get_height(), pb.get_n_channels(),
                   pb.get_rowstride())
    raw = np.frombuffer(pb.get_pixels(), dtype=np.uint8)
    rows = [raw[y * rs: y * rs + w * n] for y in range(h)]
    return np.stack(rows).reshape(h, w, n).astype(np.float64) / 255.0


def save(path, arr, fmt='png'):
    a = np.clip(np.round(arr * 255.0), 0, 255).astype(np.uint8)
    h, w, n = a.shape
    pb = GdkPixbuf.Pixbuf.new_from_bytes(GLib.Bytes.new(a.tobytes()),
                                         GdkPixbuf.Colorspace.RGB, n == 4, 8,
                                         w, h, w * n)
    pb.savev(path, fmt, [], [])


def resized(path, w, h):
    pb = GdkPixbuf.Pixbuf.new_from_file(path)
    pb = pb.scale_simple(w, h, GdkPixbuf.InterpType.HYPER)
    fd, tmp = tempfile.mkstemp(suffix='.png')
    os.close(fd)
    pb.savev(tmp, 'png', [], [])
    a = load(tmp)
    os.unlink(tmp)
    return a


def stats(a):
    rgb = a[..., :3].reshape(-1, 3)
    return np.concatenate([rgb.mean(0), rgb.std(0)])


def chroma(a):
    """Per-pixel chroma (YCbCr Cb, Cr)."""
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    return np.stack([b - y, r - y], -1)


def leftovers(folder, name):
    """Temporary files nstyle may have left beside NAME."""
    return [f for f in os.listdir(folder) if f.startswith('.' + name + '.')]
