#!/usr/bin/python3
"""nstyle: --help/--version, and every bad input gives its documented exit
code and a message that says what is wrong (no model or ../shared needed,
except that none is used)."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clitest as T  # noqa: E402

import numpy as np  # noqa: E402


def main():
    exe = T.nstyle_path()
    tmp = T.tmpdir()
    env = T.clean_env(tmp)
    content = os.path.join(tmp, 'content.png')
    style = os.path.join(tmp, 'style.png')
    yy, xx = np.mgrid[0:48, 0:64] / 64.0
    T.save(content, np.stack([xx, yy, 0.5 + 0 * xx], -1))
    T.save(style, np.stack([yy, 1 - xx, xx * yy], -1))
    out = os.path.join(tmp, 'out.png')
    base = ['-c', content, '-s', style, '-o', out, '-q']

    def case(args, code, words, what, env_=env):
        rc, so, se = T.run(exe, args, env_)
        msg = (so + se).lower()
        ok = T.check(rc == code, '%s: exit %d (got %d)' % (what, code, rc))
        for w in words:
            ok &= T.check(w.lower() in msg,
                          '%s: message mentions %r' % (what, w))
        if not ok:
            print('  stdout: ' + so.strip().replace('\n', '\n          '))
            print('  stderr: ' + se.strip().replace('\n', '\n          '))
        T.check(not os.path.exists(out), what + ': no output file')
        T.check(not T.leftovers(tmp, 'out.png'), what + ': no temp file left')
        return se

    # Help and version.
    rc, so, se = T.run(exe, ['--help'], env)
    T.check(rc == 0, '--help exits 0')
    for w in ('--content', '--style', '--method', '--alpha', '--mask',
              '--size', '--preserve-colors', 'EXIT STATUS', '130',
              '--strength', 'Same as --strength', '--print-model-dirs'):
        T.check(w in so, '--help mentions ' + w)
    # The options of ns_params come from the engine's table: its range and
    # default are shown.
    line = [ln for ln in so.splitlines() if '--style-size' in ln]
    T.check(len(line) == 1 and '0 to 65536' in line[0]
            and 'default 512' in line[0],
            '--help: --style-size shows the range and default of the table')
    rc, so, se = T.run(exe, ['--help-gatys'], env)
    T.check(rc == 0 and '--iterations' in so and '--init' in so,
            '--help-gatys lists the Gatys options')
    line = [ln for ln in so.splitlines() if '--iterations' in ln]
    T.check(len(line) == 1 and 'default 200' in line[0],
            '--help-gatys: --iterations shows its default')
    rc, so, se = T.run(exe, ['--version'], env)
    T.check(rc == 0 and so.startswith('nstyle '), '--version')

    # nstyle is installed: it must not refer to the source tree (debug
    # information aside, which names the build folder).
    root = os.environ.get('NS_SOURCE_ROOT')
    strip = shutil.which('strip')
    if root and strip:
        stripped = os.path.join(tmp, 'nstyle-stripped')
        subprocess.run([strip, '--strip-debug', '-o', stripped, exe],
                       check=True)
        with open(stripped, 'rb') as f:
            data = f.read()
        os.unlink(stripped)
        if b'__asan_init' in data:
            print('skip source-path check (sanitizer build names files)')
        else:
            T.check(os.fsencode(os.path.realpath(root)) not in data
                    and os.fsencode(root) not in data,
                    'the binary names no source-tree path')

    # The model folders: one list, the engine's (ns_model_dirs).
    def dirs(**extra):
        e = dict(env)
        e.pop('NS_MODELS_DIR')
        e.update(extra)
        rc, so, se = T.run(exe, ['--print-model-dirs'], e)
        return rc, so.splitlines()

    rc, lines = dirs()
    T.check(rc == 0 and len(lines) == 2
            and lines[0] == os.path.join(tmp, '.config', 'GIMP', '3.0',
                                         'neural-style', 'models')
            and lines[1].endswith('/share/gimp-neural-style/models'),
            '--print-model-dirs: user folder, data folder (%s)' % lines)
    rc, lines = dirs(NS_MODELS_DIR='/m', GIMP3_DIRECTORY='/g')
    T.check(rc == 0 and lines[:2] == ['/m', '/g/neural-style/models'],
            '--print-model-dirs: $NS_MODELS_DIR first, $GIMP3_DIRECTORY '
            '(%s)' % lines)
    rc, lines = dirs(GIMP3_DIRECTORY='rel')
    T.check(rc == 0 and lines[0] == os.path.join(tmp, 'rel', 'neural-style',
                                                 'models'),
            '--print-model-dirs: relative $GIMP3_DIRECTORY is under home '
            '(%s)' % lines)
    rc, lines = dirs(XDG_CONFIG_HOME='/xdg')
    T.check(rc == 0 and lines[0] == '/xdg/GIMP/3.0/neural-style/models',
            '--print-model-dirs: $XDG_CONFIG_HOME (%s)' % lines)

    # Usage errors: 2.
    case([], 2, ['-c'], 'no arguments')
    case(['-s', style, '-o', out], 2, ['content'], 'missing -c')
    case(['-c', content, '-o', out], 2, ['style'], 'missing -s')
    case(['-c', content, '-s', style], 2, ['output'], 'missing -o')
    case(base + ['--frobnicate'], 2, ['frobnicate'], 'unknown option')
    case(base + ['extra'], 2, ['extra'], 'stray argument')
    case(base + ['--alpha', '2'], 2, ['--alpha', '[0, 1]'], 'alpha 2')
    case(base + ['--alpha', '-0.1'], 2, ['--alpha'], 'alpha -0.1')
    case(base + ['--alpha', 'abc'], 2, ['--alpha', 'abc'], 'alpha abc')
    case(base + ['--alpha'], 2, ['alpha'], 'alpha without value')
    case(base + ['-a', '1.5'], 2, ['-a', '[0, 1]'], '-a 1.5')
    case(base + ['--strength', '2'], 2, ['--strength', '[0, 1]'],
         'strength 2')
    case(base + ['--strength', 'abc'], 2, ['--strength', 'abc'],
         'strength abc')
    # Ranges are the table's (the GIMP procedure's), e.g. at most 16 scales.
    case(base + ['--scales', '17'], 2, ['--scales', '[1, 16]'], 'scales 17')
    case(base + ['--style-size', '70000'], 2, ['--style-size', '[0, 65536]'],
         'style size 70000')
    case(base + ['--iterations', '2.5'], 2, ['--iterations', '2.5'],
         'iterations 2.5')
    case(base + ['--init', 'noise', '--method', 'gatys', '--tv-weight',
                 'x'], 2, ['--tv-weight', "'x'"], 'bad tv weight')
    case(base + ['--size', '-5'], 2, ['--size'], 'negative size')
    case(base + ['--size', '12x'], 2, ['--size', '12x'], 'bad size')
    case(base + ['--style-size', '-1'], 2, ['--style-size'],
         'negative style size')
    case(base + ['--max-size', '-1'], 2, ['--max-size'], 'negative max size')
    case(base + ['--threads', 'many'], 2, ['--threads'], 'bad threads')
    case(base + ['--method', 'cubism'], 2, ['cubism', 'cascade-adain'],
         'unknown method')
    case(base + ['--style-weights', '0.7,0.3'], 2,
         ['--style-weights', '2 weights', '1 style'], 'weights count')
    case(base + ['-s', style, '--style-weights', '0.7,x'], 2,
         ['--style-weights', "'x'"], 'bad weight')
    case(base + ['-s', style, '--style-weights', '0,0'], 2,
         ['--style-weights'], 'zero weights')
    case(base + ['-s', style, '-s', style, '--mask', content], 2,
         ['--mask'], 'mask with 3 styles')
    case(base + ['--iterations', '0'], 2, ['--iterations'], 'iterations 0')
    case(base + ['--seed', '-3'], 2, ['--seed'], 'negative seed')
    case(['-c', content, '-s', style, '-o', os.path.join(tmp, 'out.xyz')],
         2, ['unknown output format'], 'unknown output extension')

    # Output cannot be written: 6 (checked before any slow work).
    case(['-c', content, '-s', style, '-o',
          os.path.join(tmp, 'no', 'such', 'dir', 'out.png')], 6,
         [os.path.join(tmp, 'no', 'such', 'dir')], 'output folder missing')
    case(['-c', content, '-s', style, '-o',
          os.path.join(content, 'out.png')], 6, [content],
         'output folder is a file')
    ro = os.path.join(tmp, 'readonly')
    os.mkdir(ro, 0o555)
    if os.access(ro, os.W_OK):
        print('skip read-only folder case (running as root)')
    else:
        case(['-c', content, '-s', style, '-o', os.path.join(ro, 'o.png')],
             6, [ro], 'read-only output folder')

    # The output is never an input (content, style, mask, --init image,
    # also through a symbolic or hard link): refused with exit 2 before
    # anything is read, the input unchanged.
    mask_in = os.path.join(tmp, 'mask-in.png')
    T.save(mask_in, np.ones((8, 8, 3)) * 0.5)
    link = os.path.join(tmp, 'link.png')
    os.symlink(content, link)
    hard = os.path.join(tmp, 'hard.png')
    os.link(style, hard)
    sub = os.path.join(tmp, 'sub')
    os.mkdir(sub)
    snapshot = {p: open(p, 'rb').read() for p in (content, style, mask_in)}
    for what, args in (
            ('-o the content', ['-c', content, '-s', style, '-o', content]),
            ('-o the content by another path',
             ['-c', content, '-s', style, '-o',
              os.path.join(sub, '..', 'content.png')]),
            ('-o a symlink to the content',
             ['-c', content, '-s', style, '-o', link]),
            ('-o the content, given as a symlink',
             ['-c', link, '-s', style, '-o', content]),
            ('-o the style', ['-c', content, '-s', style, '-o', style]),
            ('-o a hard link to the style',
             ['-c', content, '-s', style, '-o', hard]),
            ('-o the second style', ['-c', content, '-s', style, '-s',
                                     mask_in, '-o', mask_in]),
            ('-o the mask', ['-c', content, '-s', style, '--mask', mask_in,
                             '-o', mask_in]),
            ('-o the --init image', ['-c', content, '-s', style, '-m',
                                     'gatys', '--init', mask_in, '-o',
                                     mask_in])):
        rc, so, se = T.run(exe, args + ['-q'], env)
        T.check(rc == 2 and 'same file' in se and 'never replaces' in se,
                '%s: refused with exit 2 (%d: %s)'
                % (what, rc, (se.strip().splitlines() or [''])[0]))
        for p, data in snapshot.items():
            T.check(open(p, 'rb').read() == data,
                    '%s: %s unchanged' % (what, os.path.basename(p)))
        T.check(not [f for f in os.listdir(tmp) if '.XXXXXX' in f
                     or (f.startswith('.') and f.count('.') >= 3)],
                what + ': no temp file')
    T.check(os.path.islink(link), 'the symlink is still a symlink')
    rc, so, se = T.run(exe, ['--help'], env)
    T.check('never replaced' in so.lower() or 'never replace' in so.lower(),
            '--help says inputs are never replaced')
    T.check('truncated' in so, '--help says truncated images are errors')

    # An output that is a folder: exit 6, before reading anything.
    folder = os.path.join(tmp, 'folder.png')
    os.mkdir(folder)
    rc, so, se = T.run(exe, ['-c', os.path.join(tmp, 'absent.png'), '-s',
                             style, '-o', folder], env)
    T.check(rc == 6 and 'folder' in se and folder in se,
            '-o a folder: exit 6 before reading the inputs (%d: %s)'
            % (rc, se.strip()))
    T.check(os.path.isdir(folder) and not os.listdir(folder),
            '-o a folder: folder untouched')

    # Unreadable images: 3.
    missing = os.path.join(tmp, 'missing.jpg')
    case(['-c', missing, '-s', style, '-o', out], 3, [missing],
         'missing content file')
    case(['-c', content, '-s', missing, '-o', out], 3, [missing, 'style'],
         'missing style file')
    garbage = os.path.join(tmp, 'x.jpg')
    with open(garbage, 'wb') as f:
        f.write(bytes((i * 7919 + 13) % 251 for i in range(4000)))
    case(['-c', garbage, '-s', style, '-o', out], 3, ['x.jpg'],
         'corrupt content (garbage x.jpg)')
    case(['-c', content, '-s', garbage, '-o', out], 3, ['x.jpg'],
         'corrupt style')
    truncated = os.path.join(tmp, 'trunc.png')
    with open(content, 'rb') as f:
        data = f.read()
    with open(truncated, 'wb') as f:
        f.write(data[:len(data) // 2])
    case(['-c', truncated, '-s', style, '-o', out], 3, ['trunc.png'],
         'truncated PNG')
    case(base + ['--mask', garbage], 3, ['mask', 'x.jpg'], 'corrupt mask')

    # Models: 4.
    nodir = os.path.join(tmp, 'models', 'nope')
    case(base + ['--model', nodir], 4, [nodir, 'nstyle models install cd16x'],
         'missing --model folder')
    se = case(base, 4, [os.path.join(tmp, 'no-models-here', 'cd16x'),
                        os.path.join(tmp, '.config', 'GIMP', '3.0',
                                     'neural-style', 'models', 'cd16x'),
                        'nstyle models install cd16x', 'enc1.pth'],
              'no model found by default')
    T.check('installs into %s/cd16x' % env['NS_MODELS_DIR'] in se,
            'the download destination is the first folder of the list')
    bad = os.path.join(tmp, 'badmodel')
    os.mkdir(bad)
    for i in range(1, 6):
        for kind in ('enc', 'dec'):
            with open(os.path.join(bad, '%s%d.pth' % (kind, i)), 'wb') as f:
                f.write(b'\x80\x02garbage' * 10)
    case(base + ['--model', bad], 4, [bad], 'corrupt model files')
    empty = os.path.join(tmp, 'emptymodel')
    os.mkdir(empty)
    case(base + ['--model', empty], 4, [empty], 'empty model folder')

    return T.finish('test_errors')


if __name__ == '__main__':
    sys.exit(main())
