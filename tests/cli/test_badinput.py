#!/usr/bin/python3
"""nstyle against bad input (issue 12): every case gives a clear message and
its documented exit code, leaves no output and no temporary file, and
leaves the inputs untouched; the odd-but-valid images are stylized.

Images are written here (numpy, PIL, hand-made PNG chunks); model folders
are random-weight cd16x models written by PyTorch at test time
(tests/engine-style/random_models.py) and damaged copies of them.  Without
torch the cases that need a model are skipped (said so), the others run."""
import hashlib
import io
import os
import pickle
import shutil
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clitest as T  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

try:
    import clitorch as CT
except ImportError as e:  # torch missing
    CT = None
    NO_TORCH = str(e)


def png_chunk(kind, data):
    return (struct.pack('>I', len(data)) + kind + data
            + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))


def png_bytes(w, h, depth, color, raw):
    """A PNG from raw scanlines (filter bytes included)."""
    return (b'\x89PNG\r\n\x1a\n'
            + png_chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, color,
                                             0, 0, 0))
            + png_chunk(b'IDAT', zlib.compress(raw))
            + png_chunk(b'IEND', b''))


def png16(a):
    """A 16-bit RGB PNG of A (H x W x 3, [0,1])."""
    h, w, _ = a.shape
    v = np.round(a * 65535).astype('>u2')
    raw = b''.join(b'\0' + v[y].tobytes() for y in range(h))
    return png_bytes(w, h, 16, 2, raw)


def huge_png(w, h):
    """A small file whose header claims W x H (one row of data)."""
    return png_bytes(w, h, 8, 2, b'\0' * (3 * min(w, 4096) + 1))


def jpeg_sof(data, w, h):
    """DATA (a baseline JPEG) with the size in its SOF0 set to W x H."""
    i = data.index(b'\xff\xc0')
    return data[:i + 5] + struct.pack('>HH', h, w) + data[i + 9:]


def smooth(h, w, seed=0):
    rs = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w, 2)
    p = rs.rand(3)
    return np.stack([0.5 + 0.4 * np.sin(6 * xx + 5 * p[0]),
                     0.5 + 0.4 * np.cos(5 * yy + 5 * p[1]),
                     0.5 + 0.3 * np.sin(4 * (xx + yy) + 5 * p[2])], -1)


def pil_bytes(img, fmt, **kw):
    b = io.BytesIO()
    img.save(b, format=fmt, **kw)
    return b.getvalue()


def u8(a):
    return Image.fromarray(np.clip(np.round(a * 255), 0, 255)
                           .astype(np.uint8))


class Hostile:
    """Unpickling this runs os.system (a hostile .pth)."""

    def __init__(self, cmd):
        self.cmd = cmd

    def __reduce__(self):
        return (os.system, (self.cmd,))


def main():
    exe = T.nstyle_path()
    tmp = T.tmpdir()
    env = T.clean_env(tmp)
    img = os.path.join(tmp, 'img')
    work = os.path.join(tmp, 'work')
    os.mkdir(img)
    os.mkdir(work)

    def write(name, data):
        p = os.path.join(img, name)
        with open(p, 'wb') as f:
            f.write(data)
        return p

    def digest():
        """Every input file, for 'inputs untouched'."""
        d = {}
        for root, _, files in os.walk(tmp):
            if root.startswith(work):
                continue
            for f in files:
                p = os.path.join(root, f)
                if os.path.isfile(p):
                    with open(p, 'rb') as fh:
                        d[p] = hashlib.sha256(fh.read()).hexdigest()
        return d

    style = write('style.png', pil_bytes(u8(smooth(64, 80, 1)), 'PNG'))
    content = write('content.png', pil_bytes(u8(smooth(48, 64, 2)), 'PNG'))
    model = None
    if CT is None:
        print('SKIP (model cases): torch not available (%s)' % NO_TORCH)
    else:
        model = CT.write_cd16x(os.path.join(tmp, 'cd16x'))
        print('random cd16x model written to %s' % model)

    def run(args, env_=None):
        before = digest()
        rc, so, se = T.run(exe, args + ['-q'], env_ or env)
        T.check(digest() == before, '  inputs untouched')
        return rc, so, se

    def bad(what, args, code, words, out_name='out.png', env_=None):
        """A case that must fail: exit CODE, message with WORDS, nothing
        written."""
        out = os.path.join(work, out_name)
        rc, so, se = run(args + ['-o', out], env_)
        ok = T.check(rc == code, '%s: exit %d (got %d)' % (what, code, rc))
        for w in words:
            ok &= T.check(w.lower() in se.lower(),
                          '%s: message mentions %r' % (what, w))
        ok &= T.check(not os.path.exists(out), what + ': no output')
        ok &= T.check(not T.leftovers(work, out_name),
                      what + ': no temporary file')
        if not ok:
            print('  stderr: ' + se.strip().replace('\n', '\n          '))
        return se

    def good(what, args, shape, out_name='out.png'):
        """A case that must work: exit 0 and an output of SHAPE."""
        if model is None:
            print('skip %s (no model)' % what)
            return None, ''
        out = os.path.join(work, out_name)
        rc, so, se = run(args + ['-o', out, '--model', model])
        ok = T.check(rc == 0, '%s: exit 0 (got %d)' % (what, rc))
        a = T.load(out) if rc == 0 and os.path.exists(out) else None
        if a is not None:
            ok &= T.check(a.shape == shape, '%s: output %s (got %s)'
                          % (what, shape, a.shape))
            ok &= T.check(a[..., :3].std() > 0.01,
                          what + ': output is not one flat colour')
        if not ok:
            print('  stderr: ' + se.strip())
        T.check(not T.leftovers(work, out_name), what + ': no temp file')
        if os.path.exists(out):
            os.unlink(out)
        return a, se

    m = ['--model', model] if model else []

    # ---- Files that are not (whole) images: exit 3, naming the file.
    png = pil_bytes(u8(smooth(120, 160, 3)), 'PNG')
    jpg = pil_bytes(u8(smooth(120, 160, 3)), 'JPEG', quality=90)
    pjpg = pil_bytes(u8(smooth(120, 160, 3)), 'JPEG', quality=90,
                     progressive=True)
    cases = [
        ('empty file', write('empty.png', b''), ['empty.png', 'empty']),
        ('text file', write('notes.png', b'just some text\n' * 20),
         ['notes.png']),
        ('text file .txt', write('notes.txt', b'hello\n'), ['notes.txt']),
        ('PNG truncated at 60%', write('t60.png', png[:len(png) * 6 // 10]),
         ['t60.png', 'truncated']),
        ('PNG truncated at 97%', write('t97.png', png[:len(png) * 97 // 100]),
         ['t97.png']),
        ('JPEG truncated at 50%', write('t50.jpg', jpg[:len(jpg) // 2]),
         ['t50.jpg', 'truncated', 'rows']),
        ('JPEG truncated at 95%', write('t95.jpg', jpg[:len(jpg) * 95 // 100]),
         ['t95.jpg', 'truncated']),
        ('JPEG truncated after its header', write('t10.jpg', jpg[:700]),
         ['t10.jpg']),
        ('progressive JPEG truncated',
         write('tp.jpg', pjpg[:len(pjpg) * 8 // 10]), ['tp.jpg']),
        ('float TIFF', write('float.tif', pil_bytes(
            Image.fromarray(smooth(40, 50)[..., 0].astype(np.float32)),
            'TIFF')), ['float.tif']),
        ('1x1', write('1x1.png', pil_bytes(u8(smooth(1, 1)), 'PNG')),
         ['1x1.png', '1x1', 'at least 16']),
        ('2x2', write('2x2.png', pil_bytes(u8(smooth(2, 2)), 'PNG')),
         ['2x2', 'at least 16']),
        ('15x15', write('15.png', pil_bytes(u8(smooth(15, 15)), 'PNG')),
         ['15x15', 'at least 16']),
        ('17x13', write('17x13.png', pil_bytes(u8(smooth(13, 17)), 'PNG')),
         ['17x13', 'at least 16']),
        ('1x64 strip', write('1x64.png', pil_bytes(u8(smooth(64, 1)), 'PNG')),
         ['1x64', 'at least 16']),
        ('64x1 strip', write('64x1.png', pil_bytes(u8(smooth(1, 64)), 'PNG')),
         ['64x1', 'at least 16']),
        ('PNG header 100000x100000', write('huge.png',
                                           huge_png(100000, 100000)),
         ['huge.png', '100000x100000', '65536']),
    ]
    for what, path, words in cases:
        bad('content: ' + what, ['-c', path, '-s', style] + m, 3,
            ['content'] + words)
        # As the second style, numbered as users count.
        bad('style 2: ' + what, ['-c', content, '-s', style, '-s', path] + m,
            3, ['style image 2'] + words)
    for what, path, words in cases[:10]:
        bad('mask: ' + what, ['-c', content, '-s', style, '--mask', path] + m,
            3, ['mask'] + words)

    # Too large for the memory, from the header alone: exit 5, before
    # decoding (the file has one row of data).
    lim = dict(env, NS_MEMORY_LIMIT_MB='200')
    bad('content PNG header 60000x60000', ['-c', write(
        'big.png', huge_png(60000, 60000)), '-s', style] + m, 5,
        ['big.png', '60000x60000', 'memory'], env_=lim)
    bad('content JPEG header 65000x65000', ['-c', write(
        'big.jpg', jpeg_sof(jpg, 65000, 65000)), '-s', style] + m, 5,
        ['big.jpg', '65000x65000', 'memory'], env_=lim)
    bad('--size 60000 over the memory', ['-c', content, '-s', style,
                                         '--size', '60000'] + m, 5,
        ['--size', 'memory'], env_=lim)
    # An RGBA content (alpha resized as well) at an impossible size: an
    # error, not an abort leaving the temporary file.
    rgba = write('rgba.png', pil_bytes(u8(np.concatenate(
        [smooth(48, 64, 4), np.linspace(0, 1, 64)[None, :, None]
         * np.ones((48, 1, 1))], -1)), 'PNG'))
    bad('RGBA --size 65536', ['-c', rgba, '-s', style, '--size', '65536']
        + m, 5, ['memory'])

    # Small contents with --size become usable; strips stay too thin.
    good('15x15 with --size 32', ['-c', os.path.join(img, '15.png'), '-s',
                                  style, '--size', '32'], (32, 32, 3))
    bad('1x64 strip with --size 256', ['-c', os.path.join(img, '1x64.png'),
                                       '-s', style, '--size', '256'] + m, 3,
        ['at least 16'])

    # ---- Odd but valid images: stylized, alpha kept.
    good('16x16', ['-c', write('16.png', pil_bytes(u8(smooth(16, 16)),
                                                   'PNG')), '-s', style],
         (16, 16, 3))
    good('16x16 style', ['-c', content, '-s', os.path.join(img, '16.png')],
         (48, 64, 3))
    good('333x217', ['-c', write('odd.png', pil_bytes(u8(smooth(217, 333)),
                                                      'PNG')), '-s', style],
         (217, 333, 3))
    gray = smooth(40, 56)[..., 0]
    good('grayscale', ['-c', write('gray.png', pil_bytes(
        Image.fromarray(np.round(gray * 255).astype(np.uint8)), 'PNG')),
        '-s', style], (40, 56, 3))
    ga = np.stack([gray, np.linspace(0, 1, 56)[None, :] * np.ones((40, 1))],
                  -1)
    ga_path = write('ga.png', pil_bytes(Image.fromarray(
        np.round(ga * 255).astype(np.uint8), 'LA'), 'PNG'))
    a, _ = good('grayscale + alpha', ['-c', ga_path, '-s', style],
                (40, 56, 4))
    if a is not None and a.shape[2] == 4:
        T.check(np.abs(a[..., 3] - T.load(ga_path)[..., 3]).max() < 1.5 / 255,
                'grayscale + alpha: alpha kept')
    a, _ = good('RGBA', ['-c', rgba, '-s', style], (48, 64, 4))
    if a is not None and a.shape[2] == 4:
        T.check(np.abs(a[..., 3] - T.load(rgba)[..., 3]).max() < 1.5 / 255,
                'RGBA: alpha kept')
    good('RGBA style', ['-c', content, '-s', rgba], (48, 64, 3))
    good('16-bit PNG', ['-c', write('16bit.png', png16(smooth(36, 52))), '-s',
                        style], (36, 52, 3))
    cmyk = write('cmyk.jpg', pil_bytes(u8(smooth(40, 48)).convert('CMYK'),
                                       'JPEG'))
    # gdk-pixbuf gives a CMYK JPEG an (opaque) alpha channel, kept.
    a, _ = good('CMYK JPEG', ['-c', cmyk, '-s', style, '--strength', '0'],
                (40, 48, 4))
    if a is not None:
        # The same as the RGB picture PIL makes of it (not inverted).
        ref = write('cmyk-ref.png', pil_bytes(Image.open(cmyk).convert('RGB'),
                                              'PNG'))
        b, _ = good('CMYK JPEG as RGB', ['-c', ref, '-s', style,
                                         '--strength', '0'], (40, 48, 3))
        if b is not None:
            T.check(np.abs(a[..., :3] - b).mean() < 0.05,
                    'CMYK JPEG: stylized as its RGB version (mean |d| %.3f)'
                    % np.abs(a[..., :3] - b).mean())
    frames = [u8(smooth(40, 50, s)).convert('P') for s in range(3)]
    gif = io.BytesIO()
    frames[0].save(gif, format='GIF', save_all=True, append_images=frames[1:],
                   duration=100, loop=0)
    a, se = good('animated GIF', ['-c', write('anim.gif', gif.getvalue()),
                                  '-s', style], (40, 50, 4))
    if model:
        rc, so, se = T.run(exe, ['-c', os.path.join(img, 'anim.gif'), '-s',
                                 style, '-o', os.path.join(work, 'g.png'),
                                 '--model', model], env)
        T.check(rc == 0 and 'first frame' in se,
                'animated GIF: says the first frame is used (%r)' % se)
        if os.path.exists(os.path.join(work, 'g.png')):
            os.unlink(os.path.join(work, 'g.png'))

    # ---- Options out of range or malformed: exit 2, before reading
    # anything (the content does not even exist).
    missing = os.path.join(img, 'no-such-file.png')
    for opt, val in (('--max-size', '1'), ('--max-size', '15'),
                     ('--style-size', '15'), ('--size', '15'),
                     ('--size', '1'), ('--max-size', '70000'),
                     ('--max-size', '0x10'), ('--max-size', ''),
                     ('--max-size', '99999999999999999999999'),
                     ('--max-size', '1e3'), ('--threads', '1025'),
                     ('--threads', '-1'), ('--seed', '-1'),
                     ('--seed', '1e3'), ('--seed', '99999999999999999999'),
                     ('--strength', 'nan'), ('--strength', 'inf'),
                     ('--strength', ''), ('--strength', '0,5'),
                     ('--scales', '0'), ('--iterations', '-1'),
                     ('--style-weight', '-1'), ('--content-weight', 'nan'),
                     ('--tv-weight', '1e13')):
        bad('%s %r' % (opt, val), ['-c', missing, '-s', style, opt, val], 2,
            [opt])
    bad('--style-weights nan', ['-c', missing, '-s', style,
                                '--style-weights', 'nan'], 2,
        ['--style-weights'])
    bad('--style-weights inf', ['-c', missing, '-s', style,
                                '--style-weights', 'inf'], 2,
        ['--style-weights'])
    se = bad('--max-size 1 (a real content)', ['-c', content, '-s', style,
                                               '--max-size', '1'], 2,
             ['--max-size', '16'])

    # ---- Model folders: exit 4 naming the folder or file.
    a_file = write('model.pth', b'not a folder')
    se = bad('--model is a file', ['-c', content, '-s', style, '--model',
                                   a_file], 4, [a_file, 'not a folder'])
    T.check('does not exist' not in se, '--model file: not "does not exist"')
    if model is None:
        print('skip damaged model folders (no model)')
        return T.finish('test_badinput')

    def damaged(name, fn):
        d = CT.copy_model(model, os.path.join(tmp, 'm-' + name))
        fn(d)
        return d

    def cut(p, keep):
        with open(p, 'rb') as f:
            data = f.read()
        with open(p, 'wb') as f:
            f.write(data[:keep(len(data))])

    rs = np.random.RandomState(7)
    folders = [
        ('missing dec5.pth', damaged('missing', lambda d: os.unlink(
            os.path.join(d, 'dec5.pth'))), []),
        ('truncated dec3.pth', damaged('trunc', lambda d: cut(
            os.path.join(d, 'dec3.pth'), lambda n: n // 2)), ['dec3.pth']),
        ('random enc2.pth', damaged('random', lambda d: open(
            os.path.join(d, 'enc2.pth'), 'wb').write(
                rs.bytes(50000))), ['enc2.pth']),
        ('zero-length enc1.pth', damaged('zero', lambda d: open(
            os.path.join(d, 'enc1.pth'), 'wb').close()), ['enc1.pth']),
    ]
    marker = os.path.join(tmp, 'pwned')
    cmd = 'touch ' + marker

    def hostile_plain(d):
        with open(os.path.join(d, 'dec1.pth'), 'wb') as f:
            pickle.dump(Hostile(cmd), f, protocol=2)

    def hostile_legacy(d):
        # The legacy .pth layout (magic, protocol, system info) then a
        # state dict whose value runs a command.
        with open(os.path.join(d, 'enc1.pth'), 'wb') as f:
            for obj in (0x1950a86a20f9469cfc6c, 1001,
                        {'protocol_version': 1001, 'little_endian': True,
                         'type_sizes': {'short': 2, 'int': 4, 'long': 4}},
                        {'model': {'conv0.weight': Hostile(cmd)}}):
                pickle.dump(obj, f, protocol=2)

    folders += [
        ('hostile pickle (os.system)', damaged('hostile1', hostile_plain),
         ['dec1.pth']),
        ('hostile pickle in a legacy .pth', damaged('hostile2',
                                                    hostile_legacy),
         ['enc1.pth']),
    ]
    for what, d, words in folders:
        bad('model: ' + what, ['-c', content, '-s', style, '--model', d], 4,
            [d] + words)
    T.check(not os.path.exists(marker), 'no hostile pickle ran its command')

    # NaN weights: a clear error naming file and tensor (the loader's
    # finiteness check), never an all-black image with exit 0.
    nan = damaged('nan', lambda d: CT.set_tensor(os.path.join(d, 'dec1.pth'),
                                                 'conv11.bias',
                                                 float('nan')))
    bad('model: NaN in dec1.pth conv11.bias', ['-c', content, '-s', style,
                                               '--model', nan], 4,
        ['dec1.pth', 'conv11.bias'])
    return T.finish('test_badinput')


if __name__ == '__main__':
    sys.exit(main())
