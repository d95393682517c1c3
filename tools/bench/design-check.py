#!/usr/bin/python3
"""Preview-vs-result agreement and sharpness of the design-size renders
(issue: resolution independence).  Prints, never asserts.

  tools/bench/design-check.py NSTYLE MODEL_DIR CONTENT STYLE [SIZE ...]

For each SIZE (long side, default 2048 3072) the content is resized to SIZE
and rendered (default settings: design size 1024).  Printed:
  - PSNR of the result shrunk to the design size against the preview (the
    same layer rendered with --max-size = design size: what the dialog
    shows);
  - PSNR between the renders at two sizes, both shrunk to the design size;
  - the Laplacian variance of the result over that of a --max-size 1024
    render of the same layer (upsampled to full size).
"""
import os, subprocess, sys, tempfile
import numpy as np
from PIL import Image


def load(p):
    return np.asarray(Image.open(p).convert("RGB"), dtype=np.float64) / 255.0


def shrink(a, w, h):
    im = Image.fromarray((np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8))
    return np.asarray(im.resize((w, h), Image.BOX), dtype=np.float64) / 255.0


def psnr(a, b):
    mse = np.mean((a - b) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(1.0 / mse)


def lapvar(a):
    g = a @ np.array([0.299, 0.587, 0.114])
    lap = (-4 * g[1:-1, 1:-1] + g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2]
           + g[1:-1, 2:])
    return float(lap.var())


def main():
    nstyle, model, content, style = sys.argv[1:5]
    sizes = [int(s) for s in sys.argv[5:]] or [2048, 3072]
    design = 1024
    tmp = tempfile.mkdtemp()
    src = Image.open(content).convert("RGB")
    shrunk = {}
    for size in sizes:
        w = size if src.width >= src.height else round(src.width * size / src.height)
        h = round(src.height * size / src.width) if src.width >= src.height else size
        c = os.path.join(tmp, "c%d.png" % size)
        src.resize((w, h), Image.BICUBIC).save(c)
        outs = {}
        for name, extra in (("result", []), ("preview", ["--max-size", str(design)])):
            o = os.path.join(tmp, "%s%d.png" % (name, size))
            subprocess.run([nstyle, "-c", c, "-s", style, "-o", o, "--model", model,
                            "--quiet"] + extra, check=True)
            outs[name] = load(o)
        dw = design if w >= h else round(w * design / h)
        dh = round(h * design / w) if w >= h else design
        r = shrink(outs["result"], dw, dh)
        p = shrink(outs["preview"], dw, dh)
        pw, ph = (384, round(h * 384 / w)) if w >= h else (round(w * 384 / h), 384)
        r384 = shrink(outs["result"], pw, ph)
        p384 = shrink(outs["preview"], pw, ph)
        shrunk[size] = r384
        print("size %5d (%dx%d): preview vs result %.1f dB at 384 px (%.1f dB at "
              "%d px), Laplacian variance "
              "%.2fx the --max-size %d render" % (size, w, h, psnr(r384, p384),
                                                 psnr(r, p), max(dw, dh),
                                                 lapvar(outs["result"]) /
                                                 lapvar(outs["preview"]), design))
    ks = sorted(shrunk)
    for a, b in zip(ks, ks[1:]):
        if shrunk[a].shape == shrunk[b].shape:
            print("renders at %d and %d, shrunk alike to 384 px: %.1f dB" % (a, b, psnr(shrunk[a], shrunk[b])))


if __name__ == "__main__":
    main()
