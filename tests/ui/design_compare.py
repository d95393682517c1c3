#!/usr/bin/env python3
"""Pixel comparisons for test-design-preview.sh (GdkPixbuf only).
  design_compare.py prep CONTENT_SRC STYLE_SRC OUTDIR LONG
      OUTDIR/content.png (long side LONG), OUTDIR/style.png (512)
  design_compare.py psnr A.png B.(png|rgb) [W H]
      PSNR in dB of A against B; B is shrunk to A's size (GdkPixbuf HYPER);
      a .rgb B is raw RGB u8 of W x H
"""
import math
import sys

import gi
gi.require_version('GdkPixbuf', '2.0')
from gi.repository import GdkPixbuf, GLib


def load(path, w=0, h=0):
    if path.endswith('.rgb'):
        with open(path, 'rb') as f:
            data = f.read()
        assert len(data) == w * h * 3, 'raw size mismatch'
        return GdkPixbuf.Pixbuf.new_from_bytes(GLib.Bytes.new(data),
                                               GdkPixbuf.Colorspace.RGB,
                                               False, 8, w, h, w * 3)
    return GdkPixbuf.Pixbuf.new_from_file(path)


def rgb(pb):
    w, h, n, rs = (pb.get_width(), pb.get_height(), pb.get_n_channels(),
                   pb.get_rowstride())
    px = pb.get_pixels()
    out = bytearray()
    for y in range(h):
        row = px[y * rs: y * rs + w * n]
        if n == 3:
            out += row
        else:
            for x in range(w):
                out += row[x * n: x * n + 3]
    return out


def main():
    cmd = sys.argv[1]
    if cmd == 'prep':
        src, style, out, long_side = sys.argv[2], sys.argv[3], sys.argv[4], \
            int(sys.argv[5])
        for path, size, name in ((src, long_side, 'content.png'),
                                 (style, 512, 'style.png')):
            pb = load(path)
            w, h = pb.get_width(), pb.get_height()
            s = size / max(w, h)
            pb.scale_simple(max(1, round(w * s)), max(1, round(h * s)),
                            GdkPixbuf.InterpType.HYPER).savev(
                                out + '/' + name, 'png', [], [])
    elif cmd == 'psnr':
        a = load(sys.argv[2])
        b = load(sys.argv[3], *(int(v) for v in sys.argv[4:6]))
        if (b.get_width(), b.get_height()) != (a.get_width(), a.get_height()):
            b = b.scale_simple(a.get_width(), a.get_height(),
                               GdkPixbuf.InterpType.HYPER)
        va, vb = rgb(a), rgb(b)
        mse = sum((p - q) ** 2 for p, q in zip(va, vb)) / len(va) / 255.0**2
        print('%.2f' % (99.0 if mse == 0 else -10 * math.log10(mse)))


main()
