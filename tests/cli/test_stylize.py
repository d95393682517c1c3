#!/usr/bin/python3
"""nstyle end to end with the cd16x model and the test pictures of
../shared (skipped when absent): output size and format, the style really
transferred, colour preservation, two styles, masks, alpha, odd sizes,
TIFF/JPEG output, the progress bar on a terminal."""
import os
import pty
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clitest as T  # noqa: E402

import numpy as np  # noqa: E402


def main():
    exe = T.nstyle_path()
    model, content, starry, scream = T.shared_or_skip(
        'models/cd16x', 'images/content/tubingen.jpg',
        'images/style/starry_night.jpg', 'images/style/the_scream.jpg')
    tmp = T.tmpdir()
    env = T.clean_env(tmp)
    common = ['--model', model, '-q']

    def stylize(out, *args, content_=content, styles=(starry,)):
        argv = ['-c', content_] + sum([['-s', s] for s in styles], []) \
            + ['-o', out] + common + list(args)
        rc, so, se = T.run(exe, argv, env)
        if not T.check(rc == 0 and os.path.exists(out),
                       'nstyle %s -> %s' % (' '.join(args), out)):
            print('  rc %d, stderr: %s' % (rc, se.strip()))
            return None
        return T.load(out)

    # tubingen is 1024x768: --size 192 gives 192x144 (small: seconds).
    out = stylize(os.path.join(tmp, 'plain.png'), '--size', '192')
    if out is None:
        return T.finish('test_stylize')
    T.check(out.shape == (144, 192, 3), 'PNG of 192x144 RGB (got %s)'
            % (out.shape,))
    c = T.resized(content, 192, 144)
    s = T.resized(starry, 256, 160)
    diff = np.abs(out - c).mean()
    T.check(diff > 0.05, 'output differs from the content (mean |d| %.3f)'
            % diff)
    d_out = np.linalg.norm(T.stats(out) - T.stats(s))
    d_content = np.linalg.norm(T.stats(c) - T.stats(s))
    T.check(d_out < 0.6 * d_content,
            'colour statistics moved toward the style (%.3f vs content '
            '%.3f)' % (d_out, d_content))
    T.check(np.isfinite(out).all() and out.std() > 0.05,
            'output is a picture, not a flat field')

    # Colour preservation: the chroma stays near the content's.
    pres = stylize(os.path.join(tmp, 'pres.png'), '--size', '192',
                   '--preserve-colors')
    if pres is not None:
        e_pres = np.abs(T.chroma(pres) - T.chroma(c)).mean()
        e_plain = np.abs(T.chroma(out) - T.chroma(c)).mean()
        T.check(e_pres < 0.6 * e_plain,
                '--preserve-colors keeps the chroma (%.4f vs %.4f)'
                % (e_pres, e_plain))

    # A lower strength stays nearer the content.
    weak = stylize(os.path.join(tmp, 'weak.png'), '--size', '192',
                   '--alpha', '0.3')
    if weak is not None:
        d_weak = np.abs(weak - c).mean()
        T.check(d_weak < diff, '--alpha 0.3 stays closer to the content '
                '(%.3f < %.3f)' % (d_weak, diff))
        # --strength is the plug-in's name for it; --alpha an alias.
        weak2 = stylize(os.path.join(tmp, 'weak2.png'), '--size', '192',
                        '--strength', '0.3')
        T.check(weak2 is not None and np.array_equal(weak2, weak),
                '--strength 0.3 gives the same output as --alpha 0.3')

    # Two styles with weights.
    two = stylize(os.path.join(tmp, 'two.png'), '--size', '192',
                  '--style-weights', '0.7,0.3', styles=(starry, scream))
    if two is not None:
        T.check(two.shape == (144, 192, 3), 'two styles: right size')
        T.check(np.abs(two - out).mean() > 0.01,
                'two styles differ from the first alone')

    # A mask with one style: white is stylized, black keeps the original
    # (as the decoders reconstruct it: the engine blends features, so the
    # black side is the content seen through the cascade, a little soft).
    mask = os.path.join(tmp, 'mask.png')
    m = np.zeros((96, 128, 3))
    m[:, :64] = 1.0  # left half styled; a different size on purpose
    T.save(mask, m)
    masked = stylize(os.path.join(tmp, 'masked.png'), '--size', '192',
                     '--mask', mask)
    if masked is not None:
        r_masked = np.abs(masked[:, 120:] - c[:, 120:]).mean()
        r_plain = np.abs(out[:, 120:] - c[:, 120:]).mean()
        l_content = np.abs(masked[:, :72] - c[:, :72]).mean()
        l_plain = np.abs(masked[:, :72] - out[:, :72]).mean()
        T.check(r_masked < 0.75 * r_plain,
                'mask black: nearer the content than unmasked (%.3f vs %.3f)'
                % (r_masked, r_plain))
        T.check(l_plain < l_content,
                'mask white: nearer the stylized output than the content '
                '(%.3f vs %.3f)' % (l_plain, l_content))

    # The other methods reach the engine.
    w = stylize(os.path.join(tmp, 'wct.png'), '--size', '128', '-m', 'wct')
    if w is not None:
        c128 = T.resized(content, 128, 96)
        T.check(w.shape == (96, 128, 3) and np.abs(w - c128).mean() > 0.05,
                '--method wct stylizes')
    g_out = os.path.join(tmp, 'gatys.png')
    rc, so, se = T.run(exe, ['-c', content, '-s', starry, '-o', g_out,
                             '--size', '64', '-m', 'gatys', '--iterations',
                             '3', '--seed', '1', '--init', 'noise'] + common,
                       env)
    T.check(rc == 0 and T.load(g_out).shape == (48, 64, 3),
            '--method gatys runs (rc %d %s)' % (rc, se.strip()))

    # Other formats and an odd size.
    for name, magic in (('out.tif', (b'II*\0', b'MM\0*')),
                        ('out.jpg', (b'\xff\xd8\xff',))):
        p = os.path.join(tmp, name)
        a = stylize(p, '--size', '123')
        if a is not None:
            with open(p, 'rb') as f:
                head = f.read(4)
            T.check(any(head.startswith(mm) for mm in magic),
                    name + ': right file format')
            T.check(a.shape[:2] == (92, 123), name + ': 123x92 (got %s)'
                    % (a.shape[:2],))

    # Alpha of the content survives in PNG output.
    rgba_path = os.path.join(tmp, 'rgba.png')
    small = T.resized(content, 96, 72)
    alpha = np.tile(np.linspace(0.0, 1.0, 96), (72, 1))[..., None]
    T.save(rgba_path, np.concatenate([small, alpha], -1))
    a = stylize(os.path.join(tmp, 'rgba_out.png'), content_=rgba_path)
    if a is not None:
        T.check(a.shape == (72, 96, 4), 'alpha kept (got %s)' % (a.shape,))
        if a.shape[2] == 4:
            T.check(np.abs(a[..., 3] - T.load(rgba_path)[..., 3]).max()
                    < 1.5 / 255, 'alpha values unchanged')

    # The progress bar goes to a terminal only.
    master, slave = pty.openpty()
    p = subprocess.Popen([exe, '-c', content, '-s', starry, '-o',
                          os.path.join(tmp, 'tty.png'), '--model', model,
                          '--size', '128'], env=env, stdout=subprocess.PIPE,
                         stderr=slave)
    os.close(slave)
    text = b''
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        text += chunk
    p.wait()
    os.close(master)
    text = text.decode('utf-8', 'replace')
    T.check(p.returncode == 0, 'run on a terminal')
    T.check('%' in text and '\r' in text, 'progress bar drawn on a terminal')
    T.check(' s' in text and 'wrote' in text, 'wall time printed')
    rc, so, se = T.run(exe, ['-c', content, '-s', starry, '-o',
                             os.path.join(tmp, 'notty.png'), '--model', model,
                             '--size', '128'], env)
    T.check(rc == 0 and '%' not in se and 'wrote' in se,
            'no bar when stderr is not a terminal; time still printed')

    # Too large for the memory: refused up front with advice, not killed.
    small_ram = dict(env, NS_MEMORY_LIMIT_MB='40')
    big = os.path.join(tmp, 'big.png')
    rc, so, se = T.run(exe, ['-c', content, '-s', starry, '-o', big,
                             '--size', '1024'] + common, small_ram)
    T.check(rc == 5 and 'memory' in se and 'max-size' in se
            and not os.path.exists(big),
            'over the memory limit: exit 5, says so, suggests max-size '
            '(rc %d: %s)' % (rc, se.strip()))
    rc, so, se = T.run(exe, ['-c', content, '-s', starry, '-o', big,
                             '--size', '1024', '--max-size', '128'] + common,
                       small_ram)
    T.check(rc == 0 and T.load(big).shape == (768, 1024, 3),
            'with --max-size the same image fits and keeps its size')
    os.remove(big)
    rc, so, se = T.run(exe, ['-c', content, '-s', starry, '-o', big, '-m',
                             'gatys', '--iterations', '2', '--size',
                             '512'] + common, small_ram)
    T.check(rc == 5 and 'memory' in se and not os.path.exists(big),
            'Gatys over the memory limit: refused before allocating '
            '(rc %d: %s)' % (rc, se.strip()))

    return T.finish('test_stylize')


if __name__ == '__main__':
    sys.exit(main())
