"""A PyTorch reference for the fast styles, written for the tests: reads the
same ncnn .param/.bin files with its own small parser (independent of the C
reader) and runs the graph layer by layer with torch.nn.functional.
run(param, bin, img) takes and returns float32 [3,h,w] images in [0,1]; an
image whose sides are not multiples of 4 is reflection-padded at the bottom
and right first and the output cropped back (the engine's rule)."""
import struct

import numpy as np
import torch
import torch.nn.functional as F


def parse_param(path):
    lines = [ln for ln in open(path).read().split("\n") if ln.strip()]
    assert lines[0].strip() == "7767517"
    layers = []
    for ln in lines[2:]:
        t = ln.split()
        typ, name, nb, nt = t[0], t[1], int(t[2]), int(t[3])
        bottoms, tops = t[4:4 + nb], t[4 + nb:4 + nb + nt]
        kv = {}
        for p in t[4 + nb + nt:]:
            k, v = p.split("=")
            kv[int(k)] = float(v) if any(ch in v for ch in ".eE") else int(v)
        layers.append((typ, name, bottoms, tops, kv))
    return layers


def load(param, binf):
    """Layers with their weights as torch tensors (fp16 widened to fp32)."""
    data = open(binf, "rb").read()
    pos = 0
    out = []
    for typ, name, bottoms, tops, kv in parse_param(param):
        w = {}
        if typ == "Convolution":
            n, size, k = kv[0], kv[6], kv[1]
            tag = struct.unpack_from("<I", data, pos)[0]
            pos += 4
            if tag == 0x01306B47:
                arr = np.frombuffer(data, "<f2", size, pos).astype(np.float32)
                pos += (size * 2 + 3) // 4 * 4
            else:
                assert tag == 0
                arr = np.frombuffer(data, "<f4", size, pos).copy()
                pos += size * 4
            w["weight"] = torch.from_numpy(arr.reshape(n, size // (n * k * k), k, k))
            if kv.get(5, 0):
                w["bias"] = torch.from_numpy(np.frombuffer(data, "<f4", n, pos).copy())
                pos += 4 * n
        elif typ == "InstanceNorm" and kv.get(2, 1):
            c = kv[0]
            w["gamma"] = torch.from_numpy(np.frombuffer(data, "<f4", c, pos).copy())
            w["beta"] = torch.from_numpy(np.frombuffer(data, "<f4", c, pos + 4 * c).copy())
            pos += 8 * c
        out.append((typ, name, bottoms, tops, kv, w))
    assert pos == len(data), "bin size mismatch"
    return out


def forward(net, x):
    """X: [1,3,H,W] on the 0..255 scale."""
    blobs = {}
    for typ, name, bottoms, tops, kv, w in net:
        ins = [blobs[b] for b in bottoms]
        if typ == "Input":
            y = x
        elif typ == "Padding":
            assert kv.get(4, 0) == 2
            y = F.pad(ins[0], (kv[2], kv[3], kv[0], kv[1]), mode="reflect")
        elif typ == "Convolution":
            y = F.conv2d(ins[0], w["weight"], w.get("bias"), stride=kv.get(3, 1),
                         padding=kv.get(4, 0))
        elif typ == "InstanceNorm":
            y = F.instance_norm(ins[0], weight=w.get("gamma"), bias=w.get("beta"), eps=kv[1])
        elif typ == "ReLU":
            y = F.relu(ins[0])
        elif typ == "Split":
            for t in tops:
                blobs[t] = ins[0]
            continue
        elif typ == "BinaryOp":
            assert kv.get(0, 0) == 0
            y = ins[0] + ins[1]
        elif typ == "Interp":
            assert kv[0] == 1
            y = F.interpolate(ins[0], scale_factor=2, mode="nearest")
        else:
            raise ValueError(typ)
        blobs[tops[0]] = y
    return y


def run(net, img, align=4):
    """IMG: float32 numpy [3,h,w] in [0,1] -> same in [0,1]."""
    _, h, w = img.shape
    x = torch.from_numpy(img)[None] * 255.0
    ph, pw = (-h) % align, (-w) % align
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="reflect")
    with torch.no_grad():
        y = forward(net, x)
    return (y[0, :, :h, :w] / 255.0).clamp(0, 1).numpy()
