#!/usr/bin/python3
"""ns_stylize on models with random weights written at test time, so that a
checkout without ../shared still exercises the main path.

Writes cd16x (enc1..5.pth / dec1..5.pth, {"model": state_dict}, with the
aux heads the Gatys feature network reads) and lst-r31 (vgg_r31.pth,
dec_r31.pth) in the real files' key layout and shapes (see
../shared/models/MODELS.md) and PyTorch's legacy serialisation, then:

  1. runs test-stylize-random on them (every method, masks, two styles,
     colour preservation, max-size, strength, cancellation, memory);
  2. compares style-driver's output with the PyTorch reference of
     torch_ref.py on the same weights (cascade AdaIN, WCT, single-level
     AdaIN), with torch_ref.py's tolerance.

usage: random_models.py TEST_STYLIZE_RANDOM STYLE_DRIVER
Exit 77 (skip) when torch or numpy is missing."""

import os
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
except ImportError as e:  # pragma: no cover
    print("SKIP: needs torch and numpy (%s)" % e)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_ref  # noqa: E402  (the PyTorch pipelines)

torch.set_grad_enabled(False)
torch.set_num_threads(2)

TOL = 1e-3  # as torch_ref.py
# Five random levels in a row at full strength amplify float rounding
# (AdaIN / WCT divide by the spread of nearly dead random channels): the
# largest single-pixel difference is then a few 1e-3, the mean stays
# below 1e-4 as everywhere else.
TOL_DEEP, MEAN_TOL = 1e-2, 1e-4

# cd16x widths per level (MODELS.md): enc1 is 3->24, the others 16/32/64/128.
CD_WIDTH = {"conv11": 16, "conv12": 16, "conv21": 32, "conv22": 32,
            "conv31": 64, "conv32": 64, "conv33": 64, "conv34": 64,
            "conv41": 128, "conv42": 128, "conv43": 128, "conv44": 128,
            "conv51": 128}
AUX_WIDTH = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}
BGR_MEAN = [-103.939, -116.779, -123.68]


def he(gen, cout, cin, k):
    return torch.randn(cout, cin, k, k, generator=gen) * (2.0 / (cin * k * k)) ** 0.5


def input_layer(sd, key):
    # As the real one: RGB [0,1] -> BGR * 255 - mean.
    w = torch.zeros(3, 3, 1, 1)
    for o, i in enumerate([2, 1, 0]):
        w[o, i, 0, 0] = 255.0
    sd[key + ".weight"] = w
    sd[key + ".bias"] = torch.tensor(BGR_MEAN)


def conv(sd, gen, key, cout, cin, k=3):
    sd[key + ".weight"] = he(gen, cout, cin, k)
    sd[key + ".bias"] = torch.randn(cout, generator=gen) * 0.01


def calibrate(enc, dec_sd, dec_spec, content):
    """Scales the decoder's last conv so that a decoded content is about
    0.5 +- 0.2 (random decoders would otherwise saturate at 0 or 1)."""
    last = dec_spec[-1][1]
    head = torch_ref.Seq(dec_spec[:-1], dec_sd)
    h = head(enc(content)) if len(dec_spec) > 1 else enc(content)
    w, b = dec_sd[last + ".weight"], dec_sd[last + ".bias"]
    if w.shape[-1] == 3:
        h = torch.nn.functional.pad(h, (1, 1, 1, 1), mode="reflect")
    z = torch.nn.functional.conv2d(h, w, b)
    s = 0.2 / max(float(z.std()), 1e-6)
    dec_sd[last + ".weight"] = w * s
    dec_sd[last + ".bias"] = b * s + (0.5 - float(z.mean()) * s)


def write_cd16x(d, gen, content):
    os.makedirs(d, exist_ok=True)
    for n in range(1, 6):
        es, ds = torch_ref.cd16x_spec(n)
        width = dict(CD_WIDTH)
        if n == 1:
            width["conv11"] = 24
        enc_sd = {}
        input_layer(enc_sd, "conv0")
        cin = 3
        for s in es[1:]:
            if s[0] == "conv":
                conv(enc_sd, gen, s[1], width[s[1]], cin)
                cin = width[s[1]]
        for lv in range(1, n + 1):
            key = "conv%d1" % lv
            conv(enc_sd, gen, key + "_aux", AUX_WIDTH[lv], width[key], 1)
        dec_sd = {}
        convs = [s[1] for s in ds if s[0] == "conv"]
        for i, key in enumerate(convs):
            cout = width[convs[i + 1]] if i + 1 < len(convs) else 3
            conv(dec_sd, gen, key, cout, width[key])
        enc = torch_ref.Seq(es, enc_sd)
        calibrate(enc, dec_sd, ds, content)
        torch.save({"model": enc_sd, "epoch": 0},
                   os.path.join(d, "enc%d.pth" % n),
                   _use_new_zipfile_serialization=False)
        torch.save({"model": dec_sd, "epoch": 0},
                   os.path.join(d, "dec%d.pth" % n),
                   _use_new_zipfile_serialization=False)


def write_lst(d, gen, content):
    os.makedirs(d, exist_ok=True)
    enc_sd, dec_sd = {}, {}
    input_layer(enc_sd, "conv1")
    for key, cout, cin in (("conv2", 64, 3), ("conv3", 64, 64),
                           ("conv4", 128, 64), ("conv5", 128, 128),
                           ("conv6", 256, 128)):
        conv(enc_sd, gen, key, cout, cin)
    for key, cout, cin in (("conv7", 128, 256), ("conv8", 128, 128),
                           ("conv9", 64, 128), ("conv10", 64, 64),
                           ("conv11", 3, 64)):
        conv(dec_sd, gen, key, cout, cin)
    torch.save(enc_sd, os.path.join(d, "vgg_r31.pth"),
               _use_new_zipfile_serialization=False)
    torch.save(dec_sd, os.path.join(d, "dec_r31.pth"),
               _use_new_zipfile_serialization=False)
    # Calibrated through torch_ref's own spec of the model.
    (_, enc, _, _), = torch_ref.load_lst(d)
    dsp = torch_ref.load_lst(d)[0][2].spec
    calibrate(enc, dec_sd, dsp, content)
    torch.save(dec_sd, os.path.join(d, "dec_r31.pth"),
               _use_new_zipfile_serialization=False)


def smooth(gen, h, w):
    """A smooth random image in [0,1] (sums of sinusoids)."""
    y = torch.arange(h, dtype=torch.float32).view(h, 1)
    x = torch.arange(w, dtype=torch.float32).view(1, w)
    img = torch.zeros(3, h, w)
    for c in range(3):
        p = torch.rand(6, generator=gen)
        img[c] = (0.5 + 0.25 * torch.sin(x * (0.05 + 0.3 * p[0]) + 6 * p[1])
                  * torch.cos(y * (0.05 + 0.3 * p[2]) + 6 * p[3])
                  + 0.1 * torch.sin((x + y) * (0.1 + 0.4 * p[4]) + 6 * p[5]))
    return img.clamp(0, 1).numpy().astype(np.float32)


def compare(driver, tmp, name, mdir, levels, emethod, tmethod, alpha, c, s,
            tol=TOL):
    cp, sp, op = (os.path.join(tmp, f) for f in ("c.npy", "s.npy", "o.npy"))
    np.save(cp, c)
    np.save(sp, s)
    r = subprocess.run([driver, mdir, emethod, repr(alpha), cp, sp, op],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    if r.returncode != 0:
        print("%-36s driver failed: %s" % (name, r.stdout.strip()))
        return False
    ours = np.load(op)
    ref = torch_ref.stylize(levels, tmethod, alpha, torch.from_numpy(c)[None],
                            torch.from_numpy(s)[None])[0].numpy()
    d = np.abs(ours - ref)
    # Saturated references would make the comparison vacuous.
    inside = float(((ref > 0.02) & (ref < 0.98)).mean())
    print("%-36s max abs diff %.2e  mean %.2e  (ref mean %.3f std %.3f, "
          "%.0f%% unsaturated)" % (name, d.max(), d.mean(), ref.mean(),
                                   ref.std(), 100 * inside))
    return d.max() <= tol and d.mean() <= MEAN_TOL and inside > 0.5


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    test_bin, driver = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="ns-random-models-")
    try:
        gen = torch.Generator().manual_seed(20261130)
        calib = torch.from_numpy(smooth(gen, 64, 64))[None]
        cd = os.path.join(tmp, "cd16x")
        lst = os.path.join(tmp, "lst-r31")
        write_cd16x(cd, gen, calib)
        write_lst(lst, gen, calib)
        print("random models written to %s" % tmp)
        sys.stdout.flush()

        ok = subprocess.run([test_bin, cd, lst]).returncode == 0
        if not ok:
            print("FAILED: test-stylize-random")

        cd_levels = torch_ref.load_cd16x(cd)
        lst_levels = torch_ref.load_lst(lst)
        c = smooth(gen, 72, 56)
        s = smooth(gen, 48, 64)
        codd = smooth(gen, 37, 61)
        cases = [
            ("cd16x cascade-adain a=1", cd, cd_levels, "cascade-adain",
             "adain", 1.0, c, s, TOL_DEEP),
            ("cd16x cascade-adain a=0.6", cd, cd_levels, "cascade-adain",
             "adain", 0.6, c, s),
            ("cd16x cascade-adain a=0", cd, cd_levels, "cascade-adain",
             "adain", 0.0, c, s),
            ("cd16x wct a=1", cd, cd_levels, "wct", "wct", 1.0, c, s,
             TOL_DEEP),
            ("cd16x wct a=0.6", cd, cd_levels, "wct", "wct", 0.6, c, s),
            ("cd16x wct a=1 odd size", cd, cd_levels, "wct", "wct", 1.0,
             codd, s, TOL_DEEP),
            ("cd16x adain (relu4_1) a=1", cd, [cd_levels[3]], "adain",
             "adain", 1.0, c, s),
            ("lst-r31 adain a=1", lst, lst_levels, "adain", "adain", 1.0,
             c, s),
            ("lst-r31 wct a=0.6", lst, lst_levels, "wct", "wct", 0.6, codd,
             s),
        ]
        failed = [case[0] for case in cases if not compare(driver, tmp,
                                                           *case)]
        if failed:
            print("FAILED against PyTorch: " + ", ".join(failed))
        return 0 if ok and not failed else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
