#!/usr/bin/env python3
"""Compares the C encoders/decoders (via nn-driver) with PyTorch.

usage: test_models.py NN_DRIVER

- cd16x enc1..5 / dec1..5 and lst-r31 from $NS_SHARED_DIR/models (skipped
  when absent), on a random 67x45 image;
- the canonical AdaIN VGG-19 encoder + decoder with RANDOM weights written
  here by torch in the upstream nn.Sequential layout (legacy format);
- the feature net taps relu1_1..relu5_1 + relu4_2 of that VGG-19;
- model errors: missing files, wrong shapes.
Exit 77 (skip) when torch is absent.
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print("skip: PyTorch/numpy not available (%s)" % e)
    sys.exit(77)

DRIVER = sys.argv[1]
torch.set_num_threads(1)
torch.manual_seed(0)
FAILURES = []
# Features: max |c - torch| / max |torch|; images in [0,1]: max abs.
FEAT_TOL = 2e-5
IMAGE_TOL = 1e-4


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def run(*args):
    return subprocess.run([DRIVER] + [str(a) for a in args],
                          capture_output=True, text=True)


def rel_diff(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def compare(tmp, kind, mdir, mode, level, x, ref, label, image=False):
    inp = os.path.join(tmp, "in.npy")
    outp = os.path.join(tmp, "out.npy")
    np.save(inp, np.ascontiguousarray(x, dtype=np.float32))
    r = run(mode, mdir, kind, level, inp, outp)
    if r.returncode != 0:
        check(False, "%s: driver failed: %s" % (label, r.stderr.strip()))
        return None
    out = np.load(outp)
    if out.shape != ref.shape:
        check(False, "%s: shape %s, torch %s" % (label, out.shape, ref.shape))
        return None
    if image:
        d = float(np.abs(out - ref).max())
        check(d <= IMAGE_TOL, "%s: max abs diff %.2e (tol %g)"
              % (label, d, IMAGE_TOL))
    else:
        d = rel_diff(out, ref)
        check(d <= FEAT_TOL, "%s: max diff / scale %.2e (tol %g, scale %.3g)"
              % (label, d, FEAT_TOL, float(np.abs(ref).max())))
    return out


def conv(x, sd, key, relu=True):
    w, b = sd[key + ".weight"], sd[key + ".bias"]
    if w.shape[-1] == 3:
        # Reflection; an axis of size 1 cannot be reflected, the engine
        # replicates it (PyTorch would refuse).
        x = F.pad(x, (1, 1, 0, 0),
                  mode="reflect" if x.shape[-1] > 1 else "replicate")
        x = F.pad(x, (0, 0, 1, 1),
                  mode="reflect" if x.shape[-2] > 1 else "replicate")
    x = F.conv2d(x, w, b)
    return F.relu(x) if relu else x


BLOCKS = [2, 2, 4, 4, 4]


def cd16x_encoder(sd, level, x):
    x = conv(x, sd, "conv0", relu=False)
    for b in range(1, level + 1):
        if b > 1:
            x = F.max_pool2d(x, 2, 2)  # floor mode
        for i in range(1, (1 if b == level else BLOCKS[b - 1]) + 1):
            x = conv(x, sd, "conv%d%d" % (b, i))
    return x


def cd16x_decoder(sd, level, x):
    for b in range(level, 0, -1):
        for i in range(1 if b == level else BLOCKS[b - 1], 0, -1):
            x = conv(x, sd, "conv%d%d" % (b, i))  # ReLU even on the last
        if b > 1:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
    return x


def lst_encoder(sd, x):
    x = conv(x, sd, "conv1", relu=False)
    x = conv(x, sd, "conv2")
    x = conv(x, sd, "conv3")
    x = F.max_pool2d(x, 2, 2)
    x = conv(x, sd, "conv4")
    x = conv(x, sd, "conv5")
    x = F.max_pool2d(x, 2, 2)
    return conv(x, sd, "conv6")


def lst_decoder(sd, x):
    x = conv(x, sd, "conv7")
    x = F.interpolate(x, scale_factor=2, mode="nearest")
    x = conv(x, sd, "conv8")
    x = conv(x, sd, "conv9")
    x = F.interpolate(x, scale_factor=2, mode="nearest")
    x = conv(x, sd, "conv10")
    return conv(x, sd, "conv11", relu=False)


def load_sd(path):
    d = torch.load(path, map_location="cpu")
    return d["model"] if "model" in d else d


def adain_vgg():
    """The normalised VGG-19 of pytorch-AdaIN's net.py: nn.Sequential of
    (1x1 conv), then per conv ReflectionPad2d(1), Conv2d 3x3, ReLU, with
    MaxPool2d(2, 2, ceil_mode=True) between blocks."""
    layers = [nn.Conv2d(3, 3, (1, 1))]
    cin = 3
    for b, (n, width) in enumerate(zip(BLOCKS, [64, 128, 256, 512, 512])):
        if b > 0:
            layers.append(nn.MaxPool2d((2, 2), (2, 2), (0, 0),
                                       ceil_mode=True))
        for _ in range(n):
            layers += [nn.ReflectionPad2d((1, 1, 1, 1)),
                       nn.Conv2d(cin, width, (3, 3)), nn.ReLU()]
            cin = width
    return nn.Sequential(*layers)


def adain_decoder():
    """pytorch-AdaIN's decoder: relu4_1 (512) -> RGB, last conv without
    ReLU, nearest x2 upsampling after the 1st, 5th and 7th convs."""
    spec = [(512, 256), "up", (256, 256), (256, 256), (256, 256), (256, 128),
            "up", (128, 128), (128, 64), "up", (64, 64), (64, 3)]
    layers = []
    for i, s in enumerate(spec):
        if s == "up":
            layers.append(nn.UpsamplingNearest2d(scale_factor=2))
            continue
        layers += [nn.ReflectionPad2d((1, 1, 1, 1)), nn.Conv2d(s[0], s[1],
                                                               (3, 3))]
        if i != len(spec) - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def save_legacy(sd, path):
    torch.save(sd, path, _use_new_zipfile_serialization=False)


def test_shared(tmp, shared):
    rng = np.random.default_rng(1)
    img = rng.random((1, 3, 45, 67), dtype=np.float32)
    x = torch.from_numpy(img)
    cd = os.path.join(shared, "models", "cd16x")
    if os.path.isdir(cd):
        r = run("load", cd, "auto")
        check(r.returncode == 0 and r.stdout.split() == ["cd16x", "5", "5"],
              "cd16x auto-detected with 5 levels: %r %r"
              % (r.stdout.strip(), r.stderr.strip()))
        for level in range(1, 6):
            enc = load_sd(os.path.join(cd, "enc%d.pth" % level))
            dec = load_sd(os.path.join(cd, "dec%d.pth" % level))
            with torch.no_grad():
                f = cd16x_encoder(enc, level, x)
                y = cd16x_decoder(dec, level, f)
            compare(tmp, "cd16x", cd, "enc", level, img[0], f[0].numpy(),
                    "cd16x enc%d" % level)
            compare(tmp, "cd16x", cd, "dec", level, f[0].numpy(),
                    y[0].numpy(), "cd16x dec%d" % level, image=True)
        # Whole image path through 4 pools: odd 17x13 reflect-padded to
        # 32x16; 5x5 needs more padding than it has pixels: replicated.
        enc = load_sd(os.path.join(cd, "enc5.pth"))
        dec = load_sd(os.path.join(cd, "dec5.pth"))
        for (h, w, mode) in ((13, 17, "reflect"), (5, 5, "replicate"),
                             (16, 16, "reflect")):
            small = rng.random((1, 3, h, w), dtype=np.float32)
            xs = torch.from_numpy(small)
            with torch.no_grad():
                ph, pw = (-h) % 16, (-w) % 16
                xp = F.pad(xs, (0, pw, 0, ph), mode=mode) if ph or pw else xs
                y = cd16x_decoder(dec, 5, cd16x_encoder(enc, 5, xp))
                y = y[:, :, :h, :w].clamp(0, 1)
            compare(tmp, "cd16x", cd, "image", 5, small[0], y[0].numpy(),
                    "cd16x level 5 image %dx%d (%s padding)" % (w, h, mode),
                    image=True)
    else:
        print("skip: %s absent" % cd)
    lst = os.path.join(shared, "models", "lst-r31")
    if os.path.isdir(lst):
        r = run("load", lst, "auto")
        check(r.returncode == 0 and r.stdout.split() == ["lst-r31", "1", "3"],
              "lst-r31 auto-detected: %r" % r.stdout.strip())
        enc = load_sd(os.path.join(lst, "vgg_r31.pth"))
        dec = load_sd(os.path.join(lst, "dec_r31.pth"))
        with torch.no_grad():
            f = lst_encoder(enc, x)
            y = lst_decoder(dec, f)
        compare(tmp, "lst-r31", lst, "enc", 3, img[0], f[0].numpy(),
                "lst-r31 encoder")
        compare(tmp, "lst-r31", lst, "dec", 3, f[0].numpy(), y[0].numpy(),
                "lst-r31 decoder", image=True)
        # Whole image path with padding: 45x67 -> 48x68, then cropped.
        with torch.no_grad():
            xp = F.pad(x, (0, 1, 0, 3), mode="reflect")
            y = lst_decoder(dec, lst_encoder(enc, xp))[:, :, :45, :67]
            y = y.clamp(0, 1)
        compare(tmp, "lst-r31", lst, "image", 3, img[0], y[0].numpy(),
                "lst-r31 image -> padded tensor -> image", image=True)
        # Detection order: a folder holding both vgg19 and lst-r31 files
        # loads vgg19 (symlinks to the shared files, nothing copied).
        both = os.path.join(tmp, "both")
        os.mkdir(both)
        for name in ("vgg_r31.pth", "dec_r31.pth"):
            os.symlink(os.path.join(lst, name), os.path.join(both, name))
        for name in ("vgg_normalised.pth", "decoder.pth"):
            os.symlink(os.path.join(tmp, "vgg19", name),
                       os.path.join(both, name))
        r = run("load", both, "auto")
        check(r.returncode == 0 and r.stdout.split()[0] == "vgg19",
              "auto prefers vgg19 over lst-r31: %r" % r.stdout.strip())
        r = run("load", both, "lst-r31")
        check(r.returncode == 0 and r.stdout.split()[0] == "lst-r31",
              "an explicit kind wins: %r" % r.stdout.strip())
    else:
        print("skip: %s absent" % lst)


def test_vgg19(tmp):
    mdir = os.path.join(tmp, "vgg19")
    os.mkdir(mdir)
    vgg, dec = adain_vgg(), adain_decoder()
    save_legacy(vgg.state_dict(), os.path.join(mdir, "vgg_normalised.pth"))
    save_legacy(dec.state_dict(), os.path.join(mdir, "decoder.pth"))
    r = run("load", mdir, "auto")
    check(r.returncode == 0 and r.stdout.split() == ["vgg19", "1", "4"],
          "vgg19 auto-detected: %r %r" % (r.stdout.strip(), r.stderr.strip()))
    rng = np.random.default_rng(2)
    img = rng.random((1, 3, 45, 67), dtype=np.float32)
    x = torch.from_numpy(img)
    with torch.no_grad():
        f = vgg[:31](x)  # to relu4_1, ceil-mode pools: 45x67 -> 6x9
        y = dec(f)
        taps = {}
        h = x
        names = []
        for b, n in enumerate(BLOCKS):
            names += ["relu%d_%d" % (b + 1, i + 1) for i in range(n)]
        ci = 0
        for layer in vgg:
            h = layer(h)
            if isinstance(layer, nn.ReLU):
                taps[names[ci]] = h
                ci += 1
    compare(tmp, "vgg19", mdir, "enc", 4, img[0], f[0].numpy(),
            "vgg19 encoder (random weights)")
    # Random weights: the decoder's output is not in [0,1]; compare to scale.
    compare(tmp, "vgg19", mdir, "dec", 4, f[0].numpy(), y[0].numpy(),
            "vgg19 decoder (random weights)")
    # The same decoder renumbered 0..8 (another Sequential layout) loads by
    # key order and computes the same.
    ren = os.path.join(tmp, "renumbered")
    os.mkdir(ren)
    convs = [m for m in dec if isinstance(m, nn.Conv2d)]
    sd = {}
    for i, m in enumerate(convs):
        sd["%d.weight" % i] = m.weight.detach().clone()
        sd["%d.bias" % i] = m.bias.detach().clone()
    save_legacy(vgg.state_dict(), os.path.join(ren, "vgg_normalised.pth"))
    save_legacy(sd, os.path.join(ren, "decoder.pth"))
    compare(tmp, "vgg19", ren, "dec", 4, f[0].numpy(), y[0].numpy(),
            "vgg19 decoder with keys 0..8")
    want = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"]
    inp = os.path.join(tmp, "in.npy")
    np.save(inp, img[0])
    r = run("taps", mdir, "vgg19", inp, os.path.join(tmp, "tap_"), *want)
    check(r.returncode == 0, "vgg19 feature taps ran: %s" % r.stderr.strip())
    if r.returncode == 0:
        for name in want:
            out = np.load(os.path.join(tmp, "tap_%s.npy" % name))
            ref = taps[name][0].numpy()
            d = rel_diff(out, ref) if out.shape == ref.shape else 1.0
            check(d <= FEAT_TOL, "vgg19 tap %s %s: diff / scale %.2e"
                  % (name, out.shape, d))
    return vgg, dec


def test_errors(tmp, vgg, dec):
    # Missing file: the message names the full path and what is needed.
    d = os.path.join(tmp, "missing")
    os.mkdir(d)
    save_legacy(vgg.state_dict(), os.path.join(d, "vgg_normalised.pth"))
    r = run("load", d, "vgg19")
    want = os.path.join(d, "decoder.pth")
    check(r.returncode == 2 and want in r.stderr
          and "input/output" in r.stderr and "vgg_normalised.pth" in r.stderr,
          "missing decoder.pth reported with its path: %s" % r.stderr.strip())
    r = run("load", d, "auto")
    check(r.returncode == 2 and "no complete model" in r.stderr
          and "enc1" in r.stderr and "dec_r31.pth" in r.stderr,
          "auto on an incomplete folder lists the files: %s"
          % r.stderr.strip())
    r = run("load", os.path.join(tmp, "nowhere"), "auto")
    check(r.returncode == 2 and "nowhere" in r.stderr,
          "absent folder: %s" % r.stderr.strip())

    def bad(label, enc_sd, dec_sd, words):
        bd = os.path.join(tmp, label.replace(" ", "_"))
        os.mkdir(bd)
        save_legacy(enc_sd, os.path.join(bd, "vgg_normalised.pth"))
        save_legacy(dec_sd, os.path.join(bd, "decoder.pth"))
        res = run("load", bd, "vgg19")
        check(res.returncode == 2 and "unexpected tensor shape" in res.stderr
              and all(w in res.stderr for w in words),
              "%s: %s" % (label, res.stderr.strip()))

    sd = dict(dec.state_dict())
    sd["5.weight"] = torch.zeros(256, 128, 3, 3)
    bad("decoder cin", vgg.state_dict(), sd,
        ["decoder.pth", "5.weight", "128", "expected 256"])
    sd = dict(vgg.state_dict())
    sd["0.weight"] = torch.zeros(3, 3, 3, 3)
    bad("1x1 input layer", sd, dec.state_dict(),
        ["vgg_normalised.pth", "0.weight", "3x3", "expected 1x1"])
    sd = dict(vgg.state_dict())
    sd["9.bias"] = torch.zeros(64)
    bad("bias length", sd, dec.state_dict(),
        ["vgg_normalised.pth", "9.bias", "expected 128"])
    sd = dict(vgg.state_dict())
    sd["12.weight"] = torch.zeros(128 * 128 * 9)
    bad("flat weight", sd, dec.state_dict(),
        ["vgg_normalised.pth", "12.weight", "1 dimensions"])
    sd = dict(dec.state_dict())
    sd["28.weight"] = torch.zeros(4, 64, 3, 3)
    sd["28.bias"] = torch.zeros(4)
    bad("decoder not RGB", vgg.state_dict(), sd,
        ["decoder.pth", "4 output channels", "expected 3"])
    sd = dict(dec.state_dict())
    del sd["28.weight"], sd["28.bias"]
    bd = os.path.join(tmp, "eight_convs")
    os.mkdir(bd)
    save_legacy(vgg.state_dict(), os.path.join(bd, "vgg_normalised.pth"))
    save_legacy(sd, os.path.join(bd, "decoder.pth"))
    r = run("load", bd, "vgg19")
    check(r.returncode == 2 and "decoder.pth" in r.stderr
          and "8 convolutions" in r.stderr and "expected 9" in r.stderr,
          "decoder with a conv missing: %s" % r.stderr.strip())
    # A missing key is a format error naming the file and the key.
    sd = dict(dec.state_dict())
    del sd["21.bias"]
    bd = os.path.join(tmp, "missing_key")
    os.mkdir(bd)
    save_legacy(vgg.state_dict(), os.path.join(bd, "vgg_normalised.pth"))
    save_legacy(sd, os.path.join(bd, "decoder.pth"))
    r = run("load", bd, "vgg19")
    check(r.returncode == 2 and "decoder.pth" in r.stderr
          and "21.bias" in r.stderr, "missing key: %s" % r.stderr.strip())


def main():
    shared = os.environ.get("NS_SHARED_DIR", "")
    with tempfile.TemporaryDirectory(prefix="ns-nn-") as tmp:
        vgg, dec = test_vgg19(tmp)
        test_errors(tmp, vgg, dec)
        if shared and os.path.isdir(os.path.join(shared, "models")):
            test_shared(tmp, shared)
        else:
            print("skip: shared models not found at %r (NS_SHARED_DIR); "
                  "only the random-weight tests ran" % shared)
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
