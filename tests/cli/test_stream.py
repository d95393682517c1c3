"""nstyle renders large contents through the engine's streaming entry
(ns_render) from the decoded 8-bit pixels, within a memory budget:

- a content whose header alone is too large for the budget is refused
  before it is decoded (exit 5, the numbers and the fix, no output);
- a budget too small for the render is refused by the engine's plan with
  its message, before anything large is allocated (exit 5, no output);
- tiles forced by a small budget (400 MB) give the same image as one tile
  (2048 MB) within 1/255, the content's alpha kept, and the peak resident
  memory of each run stays within 10% above its budget.  (Larger sizes:
  tools/bench/size-bench.py prints time and peak memory up to 8000x8000.)

The first two need nothing; the others need ../shared (models/cd16x,
images/content/tubingen.jpg, images/style/starry_night.jpg) and are
skipped without it."""
import os
import re
import struct
import subprocess
import sys
import time
import zlib

import numpy as np

import clitest as T
from clitest import GdkPixbuf


def png_header(w, h):
    """A valid PNG signature and IHDR claiming W x H, with one tiny IDAT:
    the header is all a reader can trust before decoding."""
    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data
                + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    ihdr = struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr)
            + chunk(b'IDAT', zlib.compress(b'\0' * 64)) + chunk(b'IEND', b''))


def temp_left(folder, name):
    return T.leftovers(folder, name)


def refused(exe, env, tmp, args, words, what, max_s=None):
    out = os.path.join(tmp, 'refused.png')
    t = time.monotonic()
    rc, so, se = T.run(exe, args + ['-o', out, '-q'], env)
    t = time.monotonic() - t
    T.check(rc == 5, '%s: exit 5 (%d: %s)' % (what, rc, se.strip()))
    missing = [w for w in words if w not in se]
    T.check(not missing, '%s: message names %s (missing %s)'
            % (what, words, missing))
    T.check(not os.path.exists(out) and not temp_left(tmp, 'refused.png'),
            what + ': no output, no temporary file')
    if max_s is not None:
        T.check(t < max_s, '%s: refused in %.2f s (< %g s: before decoding)'
                % (what, t, max_s))
    return se


def run_rss(exe, args, env):
    """Runs nstyle; -> (exit code, stderr, peak RSS in MiB) of that child
    alone (os.wait4)."""
    errf = os.path.join(T.tmpdir(), 'stderr')
    with open(errf, 'w') as f:
        p = subprocess.Popen([exe] + args, env=env, stdout=subprocess.DEVNULL,
                             stderr=f)
        _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    with open(errf) as f:
        se = f.read()
    return p.returncode, se, usage.ru_maxrss / 1024.0  # KiB on Linux


def tiles_of(se):
    m = re.search(r'design (\d+)x(\d+), tiles (\d+)', se)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def make_content(src, path, w, h, alpha):
    pb = GdkPixbuf.Pixbuf.new_from_file(src).scale_simple(
        w, h, GdkPixbuf.InterpType.BILINEAR)
    rgb = path + '.rgb.png'
    pb.savev(rgb, 'png', [], [])
    a = T.load(rgb)
    os.unlink(rgb)
    if alpha:
        ramp = np.linspace(0.2, 1.0, w)[None, :, None] * np.ones((h, 1, 1))
        a = np.concatenate([a[..., :3], ramp], -1)
    T.save(path, a)
    return a


def main():
    exe = T.nstyle_path()
    tmp = T.tmpdir()
    env = T.clean_env(tmp)
    env.pop('NS_MEMORY_LIMIT_MB', None)
    style = os.path.join(tmp, 'style.png')
    T.save(style, np.random.default_rng(1).random((64, 64, 3)))

    # A header claiming 60000x60000 (a 150-byte file): refused from the
    # header against the budget, before decoding and before the model.
    huge = os.path.join(tmp, 'huge.png')
    with open(huge, 'wb') as f:
        f.write(png_header(60000, 60000))
    refused(exe, env, tmp, ['-c', huge, '-s', style, '--memory-budget',
                            '2048'],
            ['huge.png', '60000x60000', 'memory budget of 2048 MB',
             '--memory-budget'],
            'PNG header 60000x60000', max_s=5.0)
    # Fits the RAM but not a 20 MB budget (8 bytes a pixel at least).
    mid = os.path.join(tmp, 'mid.png')
    with open(mid, 'wb') as f:
        f.write(png_header(2000, 1500))
    refused(exe, env, tmp, ['-c', mid, '-s', style, '--memory-budget', '20'],
            ['mid.png', '2000x1500', 'memory budget of 20 MB'],
            'PNG header 2000x1500, budget 20 MB', max_s=5.0)

    model, tub, starry = T.shared_or_skip(
        'models/cd16x', 'images/content/tubingen.jpg',
        'images/style/starry_night.jpg')
    common = ['-s', starry, '--model', model]

    # 2400x1600 RGBA: large tiles (2048 MB) against small ones (400 MB).
    content = os.path.join(tmp, 'c2400.png')
    src = make_content(tub, content, 2400, 1600, alpha=True)
    outs, plans = [], []
    for budget in (2048, 400):
        out = os.path.join(tmp, 'out-%d.png' % budget)
        rc, se, rss = run_rss(exe, ['-c', content, '-o', out,
                                    '--memory-budget', str(budget)] + common,
                              env)
        plan = tiles_of(se)
        T.check(rc == 0 and os.path.exists(out),
                'budget %d MB: rendered (%d: %s)' % (budget, rc, se.strip()))
        T.check(plan is not None and plan[:2] == (1024, 683),
                'budget %d MB: summary shows design and tiles (%s)'
                % (budget, plan))
        # The process as a whole (libraries, model, images, engine).
        T.check(rss <= 1.10 * budget,
                'budget %d MB: peak RSS %.0f MiB (<= %.0f)'
                % (budget, rss, 1.10 * budget))
        plans.append(plan)
        outs.append(T.load(out) if rc == 0 else None)
    if all(o is not None for o in outs) and all(plans):
        T.check(plans[1][2] < 1600 and plans[1][2] < plans[0][2],
                'the small budget forces small tiles (%d px against %d px), '
                'several in each direction' % (plans[1][2], plans[0][2]))
        T.check(outs[0].shape == (1600, 2400, 4)
                and outs[1].shape == (1600, 2400, 4),
                'result 2400x1600 RGBA (%s)' % (outs[0].shape,))
        d = np.abs(outs[0] - outs[1]).max()
        T.check(d <= 1.0 / 255 + 1e-9,
                'tiled = one tile, max difference %.4f (<= 1/255)' % d)
        T.check(np.abs(outs[1][..., 3] - src[..., 3]).max() <= 0.5 / 255,
                'the content\'s alpha is kept')
        T.check(np.abs(outs[1][..., :3] - src[..., :3]).mean() > 0.05,
                'the result is stylized, not the content')

    # A budget the render cannot fit: the engine's plan, before anything
    # large is allocated.
    refused(exe, env, tmp, ['-c', content, '--memory-budget', '150'] + common,
            ['2400x1600', 'memory budget of 150 MB', 'raise the budget'],
            'budget 150 MB for 2400x1600', max_s=30.0)

    return T.finish('test_stream')


if __name__ == '__main__':
    sys.exit(main())
