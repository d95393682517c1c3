#!/usr/bin/env python3
"""The general convolution and instance normalisation against PyTorch:
odd shapes, stride 2 on odd sizes, 9x9 reflection pad 4 (the TransformerNet's
first and last layers), zero padding, depthwise (MicroAST's stride-2 3x3).
Usage: test_layers_torch.py LAYER_DRIVER.  Exit 77 when torch is absent."""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError:
    print("SKIP: torch/numpy not importable by %s" % sys.executable)
    sys.exit(77)

driver = sys.argv[1]
torch.manual_seed(0)
failures = 0


def run(args):
    r = subprocess.run([driver] + [str(a) for a in args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("driver failed: %s" % r.stderr)


def conv_case(tmp, cin, cout, k, pad, stride, groups, zero, h, w):
    global failures
    x = torch.randn(cin, h, w)
    wt = torch.randn(cout, cin // groups, k, k) / (cin // groups * k * k) ** 0.5
    b = torch.randn(cout)
    xp = F.pad(x[None], (pad,) * 4, mode="constant" if zero else "reflect") if pad else x[None]
    ref = F.conv2d(xp, wt, b, stride=stride, groups=groups)[0]
    names = [os.path.join(tmp, n) for n in ("x.npy", "w.npy", "b.npy", "o.npy")]
    for n, t in zip(names, (x, wt, b)):
        np.save(n, t.numpy().astype("<f4"))
    run(["conv"] + names + [pad, stride, groups if groups > 1 else 0, int(zero)])
    out = torch.from_numpy(np.load(names[3]))
    label = "conv %d->%d k%d pad %d stride %d groups %d %s %dx%d" % (
        cin, cout, k, pad, stride, groups, "zero" if zero else "reflect", w, h)
    if out.shape != ref.shape:
        print("FAIL %s: shape %s, torch %s" % (label, tuple(out.shape), tuple(ref.shape)))
        failures += 1
        return
    d = (out - ref).abs().max().item() / max(1.0, ref.abs().max().item())
    ok = d <= 1e-5
    failures += not ok
    print("%s %s: max rel diff %.2e" % ("ok  " if ok else "FAIL", label, d))


def instnorm_case(tmp, c, h, w, relu):
    global failures
    x = torch.randn(c, h, w) * 20 + 50
    g = torch.rand(c) + 0.5
    b = torch.randn(c)
    ref = F.instance_norm(x[None], weight=g, bias=b, eps=1e-5)[0]
    if relu:
        ref = ref.clamp(min=0)
    names = [os.path.join(tmp, n) for n in ("x.npy", "g.npy", "b.npy", "o.npy")]
    for n, t in zip(names, (x, g, b)):
        np.save(n, t.numpy().astype("<f4"))
    run(["instnorm"] + names + [1e-5, int(relu)])
    out = torch.from_numpy(np.load(names[3]))
    d = (out - ref).abs().max().item()
    ok = d <= 1e-4
    failures += not ok
    print("%s instnorm %d x %dx%d relu %d: max abs diff %.2e" % ("ok  " if ok else "FAIL", c, w, h, relu, d))


with tempfile.TemporaryDirectory() as tmp:
    conv_case(tmp, 3, 32, 9, 4, 1, 1, False, 37, 29)
    conv_case(tmp, 32, 3, 9, 4, 1, 1, False, 21, 34)
    conv_case(tmp, 32, 64, 3, 1, 2, 1, False, 37, 29)
    conv_case(tmp, 64, 32, 3, 1, 2, 1, False, 18, 15)
    conv_case(tmp, 16, 16, 3, 1, 2, 16, False, 33, 27)
    conv_case(tmp, 16, 16, 3, 1, 1, 16, True, 33, 27)
    conv_case(tmp, 8, 12, 5, 2, 2, 1, True, 17, 23)
    conv_case(tmp, 8, 12, 1, 0, 2, 1, False, 17, 23)
    conv_case(tmp, 8, 12, 7, 3, 1, 1, True, 17, 23)
    instnorm_case(tmp, 32, 37, 29, True)
    instnorm_case(tmp, 7, 5, 101, False)

if failures:
    print("%d case(s) failed" % failures)
    sys.exit(1)
print("all cases match torch")
