#!/usr/bin/python3
"""End-to-end comparison of ns_stylize with an independent PyTorch
implementation of the same pipelines, computed at test time:

  - cd16x cascade AdaIN and cd16x WCT cascade (levels 5 -> 1, as
    PytorchWCT / Collaborative-Distillation WCT.py), alpha 1 and 0.6;
  - lst-r31 single-level AdaIN at relu3_1;
  - canonical VGG-19 AdaIN (naoto0804/pytorch-AdaIN net.py layout) with
    random weights written here in the legacy .pth format.

AdaIN follows pytorch-AdaIN's function.py, WCT PytorchWCT's
whiten_and_color (double, +I on the content covariance, eigenvalues
< 1e-5 dropped).  Images are padded at the right/bottom by reflection to a
multiple of the encoder's downsampling and cropped back (the engine's
convention); the cascade hands unclamped images between levels; the result
is clamped to [0,1].

usage: torch_ref.py STYLE_DRIVER [--max-diff X]
Exit 77 when torch or the shared models/images are missing."""

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
    print("SKIP: needs torch and numpy (%s)" % e)
    sys.exit(77)

torch.set_grad_enabled(False)
torch.set_num_threads(2)

SHARED = os.environ.get("NS_SHARED_DIR") or os.path.join(
    os.environ.get("NS_SOURCE_ROOT", "."), "..", "shared")
MODELS = os.path.join(SHARED, "models")
IMAGES = os.path.join(SHARED, "images")

# --------------------------------------------------------------- networks


class Seq(nn.Module):
    """Layers from a spec: ('conv', key, relu) with a 1x1 conv getting no
    padding and a 3x3 conv reflection padding 1; ('pool', ceil); ('up',)."""

    def __init__(self, spec, sd):
        super().__init__()
        self.spec = spec
        self.w = {}
        for s in spec:
            if s[0] == "conv":
                self.w[s[1]] = (sd[s[1] + ".weight"].float(),
                                sd[s[1] + ".bias"].float())

    def forward(self, x):
        for s in self.spec:
            if s[0] == "conv":
                w, b = self.w[s[1]]
                if w.shape[-1] == 3:
                    x = F.pad(x, (1, 1, 1, 1), mode="reflect")
                x = F.conv2d(x, w, b)
                if s[2]:
                    x = F.relu(x)
            elif s[0] == "pool":
                x = F.max_pool2d(x, 2, 2, ceil_mode=s[1])
            else:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
        return x


CD_BLOCKS = [["conv11", "conv12"], ["conv21", "conv22"],
             ["conv31", "conv32", "conv33", "conv34"],
             ["conv41", "conv42", "conv43", "conv44"], ["conv51"]]


def cd16x_spec(level):
    enc = [("conv", "conv0", False)]
    for b in range(level):
        if b > 0:
            enc.append(("pool", False))
        names = CD_BLOCKS[b] if b < level - 1 else [CD_BLOCKS[b][0]]
        enc += [("conv", n, True) for n in names]
    dec = []
    for b in range(level - 1, -1, -1):
        names = CD_BLOCKS[b] if b < level - 1 else [CD_BLOCKS[b][0]]
        dec += [("conv", n, True) for n in reversed(names)]
        if b > 0:
            dec.append(("up",))
    return enc, dec


def load_sd(path):
    d = torch.load(path, map_location="cpu")
    return d["model"] if "model" in d else d


def load_cd16x(d):
    levels = []
    for n in range(1, 6):
        es, ds = cd16x_spec(n)
        levels.append((n, Seq(es, load_sd(os.path.join(d, "enc%d.pth" % n))),
                       Seq(ds, load_sd(os.path.join(d, "dec%d.pth" % n))),
                       2 ** (n - 1)))
    return levels


def load_lst(d):
    es = [("conv", "conv1", False), ("conv", "conv2", True),
          ("conv", "conv3", True), ("pool", False), ("conv", "conv4", True),
          ("conv", "conv5", True), ("pool", False), ("conv", "conv6", True)]
    dsp = [("conv", "conv7", True), ("up",), ("conv", "conv8", True),
           ("conv", "conv9", True), ("up",), ("conv", "conv10", True),
           ("conv", "conv11", False)]
    return [(3, Seq(es, load_sd(os.path.join(d, "vgg_r31.pth"))),
             Seq(dsp, load_sd(os.path.join(d, "dec_r31.pth"))), 4)]


def naoto_nets():
    """nn.Sequential vgg and decoder exactly as naoto0804/pytorch-AdaIN
    net.py (the canonical vgg_normalised.pth / decoder.pth layout)."""
    def pad():
        return nn.ReflectionPad2d((1, 1, 1, 1))

    dec = nn.Sequential(
        pad(), nn.Conv2d(512, 256, (3, 3)), nn.ReLU(),
        nn.UpsamplingNearest2d(scale_factor=2),
        pad(), nn.Conv2d(256, 256, (3, 3)), nn.ReLU(),
        pad(), nn.Conv2d(256, 256, (3, 3)), nn.ReLU(),
        pad(), nn.Conv2d(256, 256, (3, 3)), nn.ReLU(),
        pad(), nn.Conv2d(256, 128, (3, 3)), nn.ReLU(),
        nn.UpsamplingNearest2d(scale_factor=2),
        pad(), nn.Conv2d(128, 128, (3, 3)), nn.ReLU(),
        pad(), nn.Conv2d(128, 64, (3, 3)), nn.ReLU(),
        nn.UpsamplingNearest2d(scale_factor=2),
        pad(), nn.Conv2d(64, 64, (3, 3)), nn.ReLU(),
        pad(), nn.Conv2d(64, 3, (3, 3)))
    layers = [nn.Conv2d(3, 3, (1, 1))]
    cfg = [(3, 64), (64, 64), "M", (64, 128), (128, 128), "M",
           (128, 256), (256, 256), (256, 256), (256, 256), "M",
           (256, 512), (512, 512), (512, 512), (512, 512), "M",
           (512, 512), (512, 512), (512, 512), (512, 512)]
    for c in cfg:
        if c == "M":
            layers.append(nn.MaxPool2d((2, 2), (2, 2), (0, 0), ceil_mode=True))
        else:
            layers += [pad(), nn.Conv2d(c[0], c[1], (3, 3)), nn.ReLU()]
    vgg = nn.Sequential(*layers)
    assert isinstance(vgg[29], nn.Conv2d) and vgg[29].out_channels == 512
    return vgg, dec


def make_vgg19(tmp, content):
    """Random weights with sensible scales, saved as legacy .pth files."""
    g = torch.Generator().manual_seed(1234)
    vgg, dec = naoto_nets()
    for m in list(vgg) + list(dec):
        if isinstance(m, nn.Conv2d):
            fan = m.in_channels * m.kernel_size[0] * m.kernel_size[1]
            m.weight.copy_(torch.randn(m.weight.shape, generator=g)
                           * (2.0 / fan) ** 0.5)
            m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.01)
    # Input layer as the real one: RGB [0,1] -> BGR * 255 - mean.
    w = torch.zeros(3, 3, 1, 1)
    for o, i in enumerate([2, 1, 0]):
        w[o, i, 0, 0] = 255.0
    vgg[0].weight.copy_(w)
    vgg[0].bias.copy_(torch.tensor([-103.939, -116.779, -123.68]))
    # Scale the last decoder conv so a decoded content is about 0.5 +- 0.2.
    enc = vgg[:31]
    y = dec(enc(content))
    last = dec[-1]
    s = 0.2 / max(float(y.std()), 1e-6)
    last.weight.mul_(s)
    last.bias.mul_(s)
    last.bias.add_(0.5 - float(dec(enc(content)).mean()))
    d = os.path.join(tmp, "vgg19")
    os.makedirs(d, exist_ok=True)
    torch.save(vgg.state_dict(), os.path.join(d, "vgg_normalised.pth"),
               _use_new_zipfile_serialization=False)
    torch.save(dec.state_dict(), os.path.join(d, "decoder.pth"),
               _use_new_zipfile_serialization=False)
    return d, [(4, enc, dec, 8)]

# -------------------------------------------------------------- transforms


def calc_mean_std(feat, eps=1e-5):
    n, c = feat.shape[:2]
    var = feat.view(n, c, -1).var(dim=2) + eps
    return (feat.view(n, c, -1).mean(dim=2).view(n, c, 1, 1),
            var.sqrt().view(n, c, 1, 1))


def adain(cf, sf):
    sm, ss = calc_mean_std(sf)
    cm, cs = calc_mean_std(cf)
    return (cf - cm.expand(cf.shape)) / cs.expand(cf.shape) * ss + sm


def whiten_and_color(cF, sF):
    c_mean = torch.mean(cF, 1).unsqueeze(1).expand_as(cF)
    cF = cF - c_mean
    conv = torch.mm(cF, cF.t()).div(cF.shape[1] - 1) + torch.eye(
        cF.shape[0]).double()
    c_u, c_e, c_v = torch.svd(conv, some=False)
    k_c = cF.shape[0]
    for i in range(cF.shape[0]):
        if c_e[i] < 0.00001:
            k_c = i
            break
    s_mean = torch.mean(sF, 1)
    sF = sF - s_mean.unsqueeze(1).expand_as(sF)
    sconv = torch.mm(sF, sF.t()).div(sF.shape[1] - 1)
    s_u, s_e, s_v = torch.svd(sconv, some=False)
    k_s = sF.shape[0]
    for i in range(sF.shape[0]):
        if s_e[i] < 0.00001:
            k_s = i
            break
    c_d = (c_e[0:k_c]).pow(-0.5)
    step1 = torch.mm(c_v[:, 0:k_c], torch.diag(c_d))
    step2 = torch.mm(step1, (c_v[:, 0:k_c].t()))
    whiten = torch.mm(step2, cF)
    s_d = (s_e[0:k_s]).pow(0.5)
    t = torch.mm(torch.mm(torch.mm(s_v[:, 0:k_s], torch.diag(s_d)),
                          (s_v[:, 0:k_s].t())), whiten)
    return t + s_mean.unsqueeze(1).expand_as(t)


def pad_to(x, m):
    h, w = x.shape[2], x.shape[3]
    ph, pw = (-h) % m, (-w) % m
    if ph == 0 and pw == 0:
        return x
    # Reflection when the pad is shorter than the side, else replicate.
    if pw > 0:
        x = F.pad(x, (0, pw, 0, 0), mode="reflect" if pw < w else "replicate")
    if ph > 0:
        x = F.pad(x, (0, 0, 0, ph), mode="reflect" if ph < h else "replicate")
    return x


def stylize(levels, method, alpha, content, style):
    x = content
    h, w = x.shape[2], x.shape[3]
    for (_, enc, dec, ds) in sorted(levels, key=lambda l: -l[0]):
        cf = enc(pad_to(x, ds))
        sf = enc(style)
        if method == "wct":
            c = cf.shape[1]
            t = whiten_and_color(cf[0].double().view(c, -1),
                                 sf[0].double().view(c, -1))
            t = t.view_as(cf[0]).unsqueeze(0)
            t = (alpha * t + (1.0 - alpha) * cf.double()).float()
        else:
            t = alpha * adain(cf, sf) + (1 - alpha) * cf
        x = dec(t)[:, :, :h, :w]
    return x.clamp(0, 1)

# ------------------------------------------------------------------- main


def load_image(path, size):
    try:
        from PIL import Image
    except ImportError as e:  # pragma: no cover
        print("SKIP: needs PIL (%s)" % e)
        sys.exit(77)
    im = Image.open(path).convert("RGB").resize(size, Image.BICUBIC)
    a = np.asarray(im, dtype=np.float32) / 255.0
    return np.ascontiguousarray(a.transpose(2, 0, 1))


def main():
    driver = sys.argv[1]
    tol = 1e-3
    if "--max-diff" in sys.argv:
        tol = float(sys.argv[sys.argv.index("--max-diff") + 1])
    cpath = os.path.join(IMAGES, "content", "tubingen.jpg")
    spath = os.path.join(IMAGES, "style", "starry_night.jpg")
    for p in (os.path.join(MODELS, "cd16x", "enc5.pth"),
              os.path.join(MODELS, "lst-r31", "vgg_r31.pth"), cpath, spath):
        if not os.path.exists(p):
            print("SKIP: %s not found (shared test data)" % p)
            sys.exit(77)

    tmp = tempfile.mkdtemp(prefix="ns-style-torch-")
    c256 = load_image(cpath, (256, 256))
    s256 = load_image(spath, (256, 256))
    codd = load_image(cpath, (123, 77))
    sodd = load_image(spath, (97, 131))

    cd16x = load_cd16x(os.path.join(MODELS, "cd16x"))
    lst = load_lst(os.path.join(MODELS, "lst-r31"))
    vdir, vgg = make_vgg19(tmp, torch.from_numpy(c256)[None])

    cases = [
        # name, model dir, levels, method (engine), method (here), alpha, c, s
        ("cd16x cascade-adain a=1 256", os.path.join(MODELS, "cd16x"),
         cd16x, "cascade-adain", "adain", 1.0, c256, s256),
        ("cd16x cascade-adain a=0.6 256", os.path.join(MODELS, "cd16x"),
         cd16x, "cascade-adain", "adain", 0.6, c256, s256),
        ("cd16x wct a=1 256", os.path.join(MODELS, "cd16x"), cd16x, "wct",
         "wct", 1.0, c256, s256),
        ("cd16x wct a=0.6 256", os.path.join(MODELS, "cd16x"), cd16x, "wct",
         "wct", 0.6, c256, s256),
        ("cd16x cascade-adain a=1 123x77", os.path.join(MODELS, "cd16x"),
         cd16x, "cascade-adain", "adain", 1.0, codd, sodd),
        ("cd16x wct a=1 123x77", os.path.join(MODELS, "cd16x"), cd16x, "wct",
         "wct", 1.0, codd, sodd),
        ("lst-r31 adain a=1 256", os.path.join(MODELS, "lst-r31"), lst,
         "adain", "adain", 1.0, c256, s256),
        ("vgg19 adain (random weights) a=1 256", vdir, vgg, "adain", "adain",
         1.0, c256, s256),
    ]
    worst = 0.0
    failed = []
    for (name, mdir, levels, emethod, tmethod, alpha, c, s) in cases:
        cp = os.path.join(tmp, "c.npy")
        sp = os.path.join(tmp, "s.npy")
        op = os.path.join(tmp, "o.npy")
        np.save(cp, c)
        np.save(sp, s)
        r = subprocess.run([driver, mdir, emethod, repr(alpha), cp, sp, op],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        if r.returncode != 0:
            print("%-40s driver failed: %s" % (name, r.stdout.strip()))
            failed.append(name)
            continue
        ours = np.load(op)
        ref = stylize(levels, tmethod, alpha, torch.from_numpy(c)[None],
                      torch.from_numpy(s)[None])[0].numpy()
        d = np.abs(ours - ref)
        print("%-40s max abs diff %.2e  mean %.2e  (ref mean %.3f std %.3f)"
              % (name, d.max(), d.mean(), ref.mean(), ref.std()))
        worst = max(worst, float(d.max()))
        if not d.max() <= tol:
            failed.append(name)
    for f in os.listdir(os.path.join(tmp, "vgg19")):
        os.unlink(os.path.join(tmp, "vgg19", f))
    os.rmdir(os.path.join(tmp, "vgg19"))
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
    print("worst max abs diff %.2e (tolerance %.1e)" % (worst, tol))
    if failed:
        print("FAILED: " + ", ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
