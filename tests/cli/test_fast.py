#!/usr/bin/python3
"""nstyle --fast-style and --method microast end to end with the models of
../shared (skipped when absent): every fast style writes a stylized image
of the content's size, --strength 0 gives the content back, masks, an
unknown style lists the installed ones (exit 4), -s with --fast-style is
a usage error (exit 2), the model folders are searched for fast/, and
MicroAST runs or says clearly that its model is missing (exit 4)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clitest as T  # noqa: E402

import numpy as np  # noqa: E402

STYLES = ['candy', 'mosaic', 'pointilism', 'rain_princess', 'udnie']


def main():
    exe = T.nstyle_path()
    fast, microast, content_src, starry = T.shared_or_skip(
        'models/fast-ncnn', 'models/microast', 'images/content/tubingen.jpg',
        'images/style/starry_night.jpg')
    for s in STYLES:
        T.shared_or_skip('models/fast-ncnn/%s.bin' % s)
    tmp = T.tmpdir()
    env = T.clean_env(tmp)

    # A 160x120 content made now.
    content = os.path.join(tmp, 'content.png')
    T.save(content, T.resized(content_src, 160, 120))
    c = T.load(content)

    def out_path(name):
        return os.path.join(tmp, name)

    # --- every fast style
    for s in STYLES:
        o = out_path('fast-%s.png' % s)
        rc, so, se = T.run(exe, ['-c', content, '--fast-style', s, '--model',
                                 fast, '-o', o], env)
        if not T.check(rc == 0 and os.path.exists(o),
                       '--fast-style %s runs' % s):
            print('  rc %d, stderr: %s' % (rc, se.strip()))
            continue
        T.check('fast-style %s' % s in se,
                'the summary line names the style %s' % s)
        a = T.load(o)
        T.check(a.shape == (120, 160, 3), '%s: 160x120 RGB (got %s)'
                % (s, a.shape,))
        if a.shape == c.shape:
            d = np.abs(a - c).mean()
            T.check(d > 0.03, '%s: differs from the content (mean |d| %.3f)'
                    % (s, d))
            T.check(a.std() > 0.03, '%s: a picture, not a flat field' % s)

    # Two styles give different pictures.
    if all(os.path.exists(out_path('fast-%s.png' % s)) for s in STYLES[:2]):
        d = np.abs(T.load(out_path('fast-candy.png')) -
                   T.load(out_path('fast-mosaic.png'))).mean()
        T.check(d > 0.03, 'candy and mosaic differ (mean |d| %.3f)' % d)

    # --- --strength 0: the content back (within 1/255)
    o = out_path('strength0.png')
    rc, so, se = T.run(exe, ['-c', content, '--fast-style', 'candy',
                             '--model', fast, '--strength', '0', '-q', '-o',
                             o], env)
    if T.check(rc == 0, '--strength 0 runs (rc %d %s)' % (rc, se.strip())):
        d = np.abs(T.load(o) - c).max()
        T.check(d <= 1.0 / 255 + 1e-9,
                '--strength 0 gives the content (max |d| %.4f)' % d)

    # --- a mask: black keeps the original
    mask = np.zeros((120, 160, 3))
    mask[:, :80] = 1.0
    mpath = out_path('mask.png')
    T.save(mpath, mask)
    o = out_path('masked.png')
    rc, so, se = T.run(exe, ['-c', content, '--fast-style', 'udnie',
                             '--model', fast, '--mask', mpath, '-q', '-o', o],
                       env)
    if T.check(rc == 0, '--mask with --fast-style runs (rc %d %s)'
               % (rc, se.strip())):
        a = T.load(o)
        right = np.abs(a[:, 100:] - c[:, 100:]).max()
        left = np.abs(a[:, :60] - c[:, :60]).mean()
        T.check(right <= 2.0 / 255, 'black part of the mask keeps the '
                'content (max |d| %.4f)' % right)
        T.check(left > 0.03, 'white part of the mask is stylized (mean |d| '
                '%.3f)' % left)

    # --- unknown style: exit 4, the installed ones listed, no output
    o = out_path('unknown.png')
    rc, so, se = T.run(exe, ['-c', content, '--fast-style', 'no_such_style',
                             '--model', fast, '-o', o], env)
    T.check(rc == 4, 'unknown fast style: exit 4 (got %d)' % rc)
    T.check(all(s in se for s in STYLES) and 'no_such_style' in se,
            'the message names the style and lists the installed ones: '
            + se.strip())
    T.check(not os.path.exists(o) and not T.leftovers(tmp, 'unknown.png'),
            'no output left for an unknown style')
    rc, so, se = T.run(exe, ['-c', content, '--fast-style', '../candy',
                             '--model', fast, '-o', o], env)
    T.check(rc == 4 and 'candy' in se, 'a path as style name: exit 4 (got '
            '%d)' % rc)

    # --- listing
    for args in (['--list-fast-styles'], ['--fast-style', 'help']):
        rc, so, se = T.run(exe, args + ['--model', fast], env)
        T.check(rc == 0 and so.split() == STYLES,
                '%s prints the installed styles (rc %d: %r)'
                % (' '.join(args), rc, so))

    # --- usage errors
    o = out_path('usage.png')
    rc, so, se = T.run(exe, ['-c', content, '-s', starry, '--fast-style',
                             'candy', '--model', fast, '-o', o], env)
    T.check(rc == 2 and '-s' in se and '--fast-style' in se,
            '-s with --fast-style: exit 2 (got %d: %s)' % (rc, se.strip()))
    rc, so, se = T.run(exe, ['-c', content, '--fast-style', 'candy', '-m',
                             'wct', '--model', fast, '-o', o], env)
    T.check(rc == 2, '--fast-style with --method wct: exit 2 (got %d)' % rc)
    rc, so, se = T.run(exe, ['-c', content, '-m', 'fast-style', '-o', o],
                       env)
    T.check(rc == 2, '--method fast-style without a style: exit 2 (got %d)'
            % rc)
    T.check(not os.path.exists(o), 'no output after usage errors')

    # --- without --model: the model folders are searched for fast/
    root = os.path.join(tmp, 'models')
    os.makedirs(root)
    os.symlink(os.path.abspath(fast), os.path.join(root, 'fast'))
    env2 = dict(env)
    env2['NS_MODELS_DIR'] = root
    o = out_path('found.png')
    rc, so, se = T.run(exe, ['-c', content, '--fast-style', 'candy', '-q',
                             '-o', o], env2)
    if T.check(rc == 0, 'fast styles found in $NS_MODELS_DIR/fast (rc %d %s)'
               % (rc, se.strip())):
        d = np.abs(T.load(o) - T.load(out_path('fast-candy.png'))).max()
        T.check(d <= 1.0 / 255, 'same result as with --model (max |d| %.4f)'
                % d)
    rc, so, se = T.run(exe, ['--list-fast-styles'], env2)
    T.check(rc == 0 and so.split() == STYLES,
            '--list-fast-styles searches the model folders')
    # None installed: exit 4, with how to get them.
    rc, so, se = T.run(exe, ['-c', content, '--fast-style', 'candy', '-o', o
                             + '.png'], env)
    T.check(rc == 4 and 'transformer.param' in se and 'install fast' in se,
            'no fast styles installed: exit 4 and how to get them (got %d: '
            '%s)' % (rc, se.strip()))

    # --- MicroAST
    o = out_path('microast.png')
    rc, so, se = T.run(exe, ['-c', content, '-s', starry, '-m', 'microast',
                             '--model', microast, '-o', o], env)
    if T.check(rc == 0 and os.path.exists(o), '-m microast runs (rc %d %s)'
               % (rc, se.strip())):
        a = T.load(o)
        T.check(a.shape == (120, 160, 3), 'microast: 160x120 RGB (got %s)'
                % (a.shape,))
        T.check('microast' in se, 'the summary names microast')
        if a.shape == c.shape:
            d = np.abs(a - c).mean()
            T.check(d > 0.03, 'microast: differs from the content (mean |d| '
                    '%.3f)' % d)
    # A MicroAST folder without --method picks the microast method.
    o = out_path('microast-auto.png')
    rc, so, se = T.run(exe, ['-c', content, '-s', starry, '--model',
                             microast, '-o', o], env)
    T.check(rc == 0 and 'microast,' in se,
            'a MicroAST model alone runs microast (rc %d %s)'
            % (rc, se.strip()))
    # A VGG method with a MicroAST model: exit 4, said clearly.
    rc, so, se = T.run(exe, ['-c', content, '-s', starry, '-m', 'wct',
                             '--model', microast, '-o', o + '.png'], env)
    T.check(rc == 4 and 'MicroAST' in se,
            '-m wct with a MicroAST model: exit 4 (got %d: %s)'
            % (rc, se.strip()))
    # Missing MicroAST model: in the model folders, and by --model.
    o = out_path('missing.png')
    rc, so, se = T.run(exe, ['-c', content, '-s', starry, '-m', 'microast',
                             '-o', o], env)
    T.check(rc == 4 and 'microast' in se and 'content_encoder' in se,
            'no MicroAST model installed: exit 4, files named (got %d: %s)'
            % (rc, se.strip()))
    rc, so, se = T.run(exe, ['-c', content, '-s', starry, '-m', 'microast',
                             '--model', os.path.join(tmp, 'nowhere'), '-o',
                             o], env)
    T.check(rc == 4 and 'does not exist' in se and 'microast' in se,
            '--model of a missing folder: exit 4 (got %d: %s)'
            % (rc, se.strip()))
    # A folder without MicroAST's files (the fast styles').
    rc, so, se = T.run(exe, ['-c', content, '-s', starry, '-m', 'microast',
                             '--model', fast, '-o', o], env)
    T.check(rc == 4 and 'content_encoder' in se,
            '--model without MicroAST files: exit 4 naming the file (got '
            '%d: %s)' % (rc, se.strip()))
    T.check(not os.path.exists(o) and not T.leftovers(tmp, 'missing.png'),
            'no output left when the model is missing')

    return T.finish('test_fast')


if __name__ == '__main__':
    sys.exit(main())
