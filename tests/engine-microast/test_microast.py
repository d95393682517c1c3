#!/usr/bin/python3
"""MicroAST through ns_stylize against the PyTorch reference
(microast_ref.py) on the published weights in ../shared/models/microast:

  - two content/style pairs at 512x384 and at an odd size (333x217),
    strength 1, 0.5 and 0 (strength blends with the content after the
    network: 0 gives the content exactly; upstream's alpha saturates the
    decoder, see engine/microast/microast.h);
  - two styles mixed by weight (codes mixed, as the reference does);
  - a mask with one style (blend with the content) and with two styles
    (one decode per style, the mask picks);
  - the loader: auto-detection, a missing file, a tensor of the wrong
    shape, an extra tensor, a wrapped state dict ({"state_dict": ...}),
    and method/model mismatches (NS_ERR_UNSUPPORTED).

usage: test_microast.py MICROAST_DRIVER
Exit 77 when torch or ../shared (models/microast, images) is absent."""

import os
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    from PIL import Image
except ImportError as e:
    print("SKIP: needs torch, numpy and PIL (%s)" % e)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import microast_ref  # noqa: E402

torch.set_num_threads(2)
SHARED = os.environ.get("NS_SHARED_DIR") or os.path.join(
    os.environ.get("NS_SOURCE_ROOT", "."), "..", "shared")
MODEL = os.path.join(SHARED, "models", "microast")
IMAGES = os.path.join(SHARED, "images")
PAIRS = [("golden_gate.jpg", "the_scream.jpg"),
         ("avril.jpg", "picasso_self_portrait.jpg")]
# fp32 on both sides; the aim is 1/255 on the 0..255 scale.
TOL = 1.0 / 255

failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures.append(what)


def image(path, w, h):
    im = Image.open(path).convert("RGB").resize((w, h), Image.BILINEAR)
    return np.ascontiguousarray(
        np.asarray(im, dtype=np.float32).transpose(2, 0, 1) / 255.0)


def style_image(name, long_side=512):
    im = Image.open(os.path.join(IMAGES, "style", name)).convert("RGB")
    f = long_side / max(im.size)
    w, h = max(16, round(im.size[0] * f)), max(16, round(im.size[1] * f))
    return image(os.path.join(IMAGES, "style", name), w, h)


def driver_run(tmp, model, method, strength, content, styles, mask=None,
               expect_ok=True):
    cpath = os.path.join(tmp, "c.npy")
    opath = os.path.join(tmp, "o.npy")
    np.save(cpath, content)
    args = [DRIVER, "run", model, method, str(strength), cpath, opath]
    if mask is not None:
        np.save(os.path.join(tmp, "m.npy"), mask.astype(np.float32))
        args += ["-m", os.path.join(tmp, "m.npy")]
    for i, (s, wt) in enumerate(styles):
        p = os.path.join(tmp, "s%d.npy" % i)
        np.save(p, s)
        args.append("%s:%g" % (p, wt))
    r = subprocess.run(args, capture_output=True, text=True)
    if not expect_ok:
        return r
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        raise SystemExit("driver failed")
    return np.load(opath)


def reference(net, content, styles, strength):
    t = lambda a: torch.from_numpy(a)[None]  # noqa: E731
    out = net(t(content), [t(s) for s, _ in styles], 1.0,
              [w for _, w in styles], strength)
    return out[0].numpy()


def load(model, kind=None):
    args = [DRIVER, "load", model] + ([kind] if kind else [])
    r = subprocess.run(args, capture_output=True, text=True)
    return r.returncode, r.stdout.strip()


def main():
    global DRIVER
    DRIVER = sys.argv[1]
    for f in microast_ref.FILES:
        if not os.path.exists(os.path.join(MODEL, f)):
            print("SKIP: %s missing (../shared/models/microast)" %
                  os.path.join(MODEL, f))
            sys.exit(77)
    if not os.path.isdir(IMAGES):
        print("SKIP: %s missing" % IMAGES)
        sys.exit(77)
    net = microast_ref.MicroAST(MODEL)
    tmp = tempfile.mkdtemp(prefix="ns-microast-")
    try:
        run_stylize(net, tmp)
        run_loader(tmp)
    finally:
        shutil.rmtree(tmp)
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all checks passed")


def run_stylize(net, tmp):
    sty = [style_image(s) for _, s in PAIRS]
    results = {}
    for (w, h) in [(512, 384), (333, 217)]:
        for p, (cname, _) in enumerate(PAIRS):
            content = image(os.path.join(IMAGES, "content", cname), w, h)
            for alpha in ([1.0, 0.5, 0.0] if p == 0 else [1.0]):
                ours = driver_run(tmp, MODEL, "microast", alpha, content,
                                  [(sty[p], 1.0)])
                ref = reference(net, content, [(sty[p], 1.0)], alpha)
                d = np.abs(ours - ref)
                check(ours.shape == content.shape and
                      d.max() <= TOL,
                      "%s + %s %dx%d strength %.1f: max |ours - torch| "
                      "%.2e (%.3f/255), mean %.1e" %
                      (cname, PAIRS[p][1], w, h, alpha, d.max(),
                       d.max() * 255, d.mean()))
                results[(w, p, alpha)] = (ours, content)
    # Strength 0 is the content itself (0.5 is checked against the
    # reference's blend above).
    for w in (512, 333):
        o0, c = results[(w, 0, 0.0)]
        o1, _ = results[(w, 0, 1.0)]
        check(np.array_equal(o0, c) and np.abs(o1 - c).mean() > 0.05,
              "width %d: strength 0 gives the content exactly (strength 1: "
              "mean |out - content| %.3f)" % (w, np.abs(o1 - c).mean()))

    # Two styles mixed 3:1 (codes mixed, as the reference).
    content = image(os.path.join(IMAGES, "content", PAIRS[0][0]), 512, 384)
    styles = [(sty[0], 3.0), (sty[1], 1.0)]
    ours = driver_run(tmp, MODEL, "microast", 1.0, content, styles)
    ref = reference(net, content, styles, 1.0)
    d = np.abs(ours - ref).max()
    check(d <= TOL, "two styles 3:1: max |ours - torch| %.2e" % d)
    single = results[(512, 0, 1.0)][0]
    check(np.abs(ours - single).mean() > 1e-3,
          "two styles differ from the first alone")

    # One style and a mask: the left half keeps the content exactly, the
    # right half is the unmasked result.
    mask = np.zeros((384, 512), np.float32)
    mask[:, 256:] = 1.0
    ours = driver_run(tmp, MODEL, "microast", 1.0, content, [(sty[0], 1.0)],
                      mask)
    check(np.abs(ours[:, :, :256] - content[:, :, :256]).max() < 1e-6 and
          np.abs(ours[:, :, 256:] - single[:, :, 256:]).max() < 1e-6,
          "mask with one style: content where 0, stylized where 1")

    # Two styles and a mask: style 1 where 1, style 2 where 0.
    other = driver_run(tmp, MODEL, "microast", 1.0, content,
                       [(sty[1], 1.0)])
    ours = driver_run(tmp, MODEL, "microast", 1.0, content,
                      [(sty[0], 1.0), (sty[1], 1.0)], mask)
    check(np.abs(ours[:, :, 256:] - single[:, :, 256:]).max() < 1e-6 and
          np.abs(ours[:, :, :256] - other[:, :, :256]).max() < 1e-6,
          "mask with two styles: each style in its region")


def copy_model(tmp, name):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    for f in microast_ref.FILES:
        shutil.copy(os.path.join(MODEL, f), d)
        os.chmod(os.path.join(d, f), 0o644)
    return d


def run_loader(tmp):
    rc, out = load(MODEL)
    check(rc == 0 and out == "kind microast", "auto-detects microast: " + out)

    d = copy_model(tmp, "missing")
    os.remove(os.path.join(d, microast_ref.FILES[2]))
    rc, out = load(d, "microast")
    check(rc == 1 and "input/output error" in out and
          microast_ref.FILES[2] in out and "not found" in out,
          "missing file: " + out)
    rc, out = load(d)
    check(rc == 1, "missing file, auto: " + out)

    d = copy_model(tmp, "shape")
    sd = torch.load(os.path.join(d, microast_ref.FILES[3]))
    sd["dec3.3.conv_layer.weight"] = torch.zeros(32, 16, 1, 1)
    torch.save(sd, os.path.join(d, microast_ref.FILES[3]),
               _use_new_zipfile_serialization=False)
    rc, out = load(d, "microast")
    check(rc == 1 and "unexpected tensor shape" in out and
          "dec3.3.conv_layer.weight" in out and
          "32x16x1x1" in out and "32x32x1x1" in out,
          "wrong shape: " + out)

    d = copy_model(tmp, "extra")
    sd = torch.load(os.path.join(d, microast_ref.FILES[2]))
    sd["weight3.0.conv_layer.weight"] = torch.zeros(64, 1, 3, 3)
    torch.save(sd, os.path.join(d, microast_ref.FILES[2]))
    rc, out = load(d, "microast")
    check(rc == 1 and microast_ref.FILES[2] in out and "9 tensors" in out,
          "extra tensor: " + out)

    d = copy_model(tmp, "swapped")
    shutil.copy(os.path.join(MODEL, microast_ref.FILES[0]),
                os.path.join(d, microast_ref.FILES[3]))
    rc, out = load(d, "microast")
    check(rc == 1 and "dec1.conv1.conv_layer.weight" in out and
          "missing" in out, "encoder in place of the decoder: " + out)

    d = copy_model(tmp, "wrapped")
    sd = torch.load(os.path.join(d, microast_ref.FILES[1]))
    torch.save({"state_dict": sd}, os.path.join(d, microast_ref.FILES[1]),
               _use_new_zipfile_serialization=False)
    rc, out = load(d, "microast")
    check(rc == 0, "wrapped state dict loads: " + out)
    content = image(os.path.join(IMAGES, "content", PAIRS[0][0]), 96, 64)
    style = style_image(PAIRS[0][1], 128)
    a = driver_run(tmp, MODEL, "microast", 1.0, content, [(style, 1.0)])
    b = driver_run(tmp, d, "microast", 1.0, content, [(style, 1.0)])
    check(np.array_equal(a, b), "wrapped state dict: same result")

    # Method/model mismatches.
    r = driver_run(tmp, MODEL, "adain", 1.0, content, [(style, 1.0)],
                   expect_ok=False)
    check(r.returncode == 1 and "unsupported" in r.stdout.lower() and
          "microast" in r.stdout, "adain on a MicroAST model: " +
          r.stdout.strip())
    r = driver_run(tmp, MODEL, "gatys", 1.0, content, [(style, 1.0)],
                   expect_ok=False)
    check(r.returncode == 1 and "unsupported" in r.stdout.lower(),
          "gatys on a MicroAST model: " + r.stdout.strip())
    lst = os.path.join(SHARED, "models", "lst-r31")
    if os.path.isdir(lst):
        r = driver_run(tmp, lst, "microast", 1.0, content, [(style, 1.0)],
                       expect_ok=False)
        check(r.returncode == 1 and "unsupported" in r.stdout.lower() and
              "lst-r31" in r.stdout, "microast on an lst-r31 model: " +
              r.stdout.strip())


if __name__ == "__main__":
    main()
