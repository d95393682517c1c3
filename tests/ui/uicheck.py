#!/usr/bin/env python3
"""Pixel checks for the dialog test (GdkPixbuf only, no PIL).
  uicheck.py prep CONTENT_SRC STYLE_SRC OUTDIR
      writes OUTDIR/content.png (long side 480) and OUTDIR/style.png (512)
  uicheck.py crop SHOT X Y W H OUT.png
  uicheck.py stats A.png [B.png]       mean |A-B| (0..1) or stddev of A
"""
import sys
import gi
gi.require_version('GdkPixbuf', '2.0')
from gi.repository import GdkPixbuf


def load(path):
    return GdkPixbuf.Pixbuf.new_from_file(path)


def scaled(src, long_side):
    pb = load(src)
    w, h = pb.get_width(), pb.get_height()
    s = long_side / max(w, h)
    return pb.scale_simple(max(1, round(w * s)), max(1, round(h * s)),
                           GdkPixbuf.InterpType.HYPER)


def samples(pb):
    """Flat list of RGB samples in [0,1]."""
    w, h, n, rs = (pb.get_width(), pb.get_height(), pb.get_n_channels(),
                   pb.get_rowstride())
    px = pb.get_pixels()
    out = []
    for y in range(h):
        row = px[y * rs: y * rs + w * n]
        for x in range(w):
            out.extend(row[x * n: x * n + 3])
    return [v / 255.0 for v in out]


def stddev(v):
    m = sum(v) / len(v)
    return (sum((a - m) ** 2 for a in v) / len(v)) ** 0.5


def main():
    cmd = sys.argv[1]
    if cmd == 'prep':
        out = sys.argv[4]
        scaled(sys.argv[2], 480).savev(out + '/content.png', 'png', [], [])
        scaled(sys.argv[3], 512).savev(out + '/style.png', 'png', [], [])
    elif cmd == 'crop':
        shot = load(sys.argv[2])
        x, y, w, h = (int(a) for a in sys.argv[3:7])
        assert x >= 0 and y >= 0 and x + w <= shot.get_width() \
            and y + h <= shot.get_height(), 'preview area outside the shot'
        shot.new_subpixbuf(x, y, w, h).copy().savev(sys.argv[7], 'png', [], [])
    elif cmd == 'stats':
        a = load(sys.argv[2])
        if len(sys.argv) > 3:
            b = load(sys.argv[3])
            if (b.get_width(), b.get_height()) != (a.get_width(), a.get_height()):
                b = b.scale_simple(a.get_width(), a.get_height(),
                                   GdkPixbuf.InterpType.BILINEAR)
            va, vb = samples(a), samples(b)
            print('%.4f' % (sum(abs(p - q) for p, q in zip(va, vb)) / len(va)))
        else:
            print('%.4f' % stddev(samples(a)))


main()
