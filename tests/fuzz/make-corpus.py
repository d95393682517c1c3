#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets, with PyTorch, from nothing
in ../shared (random weights, tiny shapes):

  OUTDIR/pth/           fuzz_pth, fuzz_pth_file: tiny state dicts in both
                        formats (dtypes, views, nesting, protocols), and
                        the files of the tiny models below
  OUTDIR/model/         fuzz_model: one byte for the kind, then the
                        model's files joined by fuzz_model.c's separator:
                        cd16x (the real key layout of
                        tests/engine-style/random_models.py, 2 channels
                        wide) and lst-r31, legacy and zip

The seeds are committed in tests/fuzz/seeds (every file valid: the
engine-io test pth-corpus loads them all); the committed corpora
tests/fuzz/corpus*/ are the seeds merged with what fuzzing found,
minimised (tests/fuzz/run-fuzz.sh --minimise).
usage: make-corpus.py tests/fuzz/seeds"""
import collections
import os
import sys
import tempfile

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "engine-style"))
import random_models as rm  # noqa: E402  (cd16x key layout, calibration)

SEP = b"\n--ns-fuzz-file--\n"  # as fuzz_model.c
KIND = {"cd16x": 1, "vgg19": 2, "lst-r31": 3}  # ns_model_kind

out = sys.argv[1]
pth_dir = os.path.join(out, "pth")
model_dir = os.path.join(out, "model")
os.makedirs(pth_dir, exist_ok=True)
os.makedirs(model_dir, exist_ok=True)
torch.manual_seed(7)


def save(name, obj, **kw):
    for legacy in (True, False):
        path = os.path.join(pth_dir, "%s-%s.pth" % (name, "legacy" if legacy else "zip"))
        torch.save(obj, path, _use_new_zipfile_serialization=not legacy, **kw)


save("sd", collections.OrderedDict([("0.weight", torch.randn(2, 1, 1, 1)), ("0.bias", torch.randn(2))]))
save("nested", {"model": {"conv11.weight": torch.randn(1, 2, 1, 1), "conv11.bias": torch.randn(1)}, "epoch": 3})
save("module", nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2)).state_dict())
save("dtypes", {"d": torch.randn(2, dtype=torch.float64), "h": torch.randn(2).half(),
                "b": torch.randn(2).bfloat16(), "l": torch.tensor([5]), "u": torch.tensor([1], dtype=torch.uint8)})
base = torch.randn(6)
save("views", {"a": base[1:3], "b": base[3:6].view(3, 1), "p": nn.Parameter(torch.randn(2))})
save("proto4", {"x": torch.randn(2, 2), "s": torch.tensor(1.0)}, pickle_protocol=4)


def tiny_lst(d, legacy):
    """lst-r31's keys (engine/nn/model.c, vgg.c) with 2-channel layers."""
    os.makedirs(d, exist_ok=True)
    enc, dec = {}, {}
    rm.input_layer(enc, "conv1")
    gen = torch.Generator().manual_seed(3)
    c = 2
    for key, cin in (("conv2", 3), ("conv3", c), ("conv4", c), ("conv5", c), ("conv6", c)):
        rm.conv(enc, gen, key, c, cin)
    for key, cout in (("conv7", c), ("conv8", c), ("conv9", c), ("conv10", c), ("conv11", 3)):
        rm.conv(dec, gen, key, cout, c)
    for name, sd in (("vgg_r31.pth", enc), ("dec_r31.pth", dec)):
        torch.save(sd, os.path.join(d, name), _use_new_zipfile_serialization=not legacy)
    return ["vgg_r31.pth", "dec_r31.pth"]


def tiny_cd16x(d):
    """cd16x as random_models.py writes it, every width 2 (enc1's conv11
    keeps its 24: the real files' layout)."""
    rm.CD_WIDTH = {k: 2 for k in rm.CD_WIDTH}
    rm.AUX_WIDTH = {k: 2 for k in rm.AUX_WIDTH}
    gen = torch.Generator().manual_seed(5)
    calib = torch.from_numpy(rm.smooth(gen, 32, 32))[None]
    rm.write_cd16x(d, gen, calib)
    return ["enc%d.pth" % n for n in range(1, 6)] + ["dec%d.pth" % n for n in range(1, 6)]


def model_input(name, kind, d, files):
    parts = []
    for f in files:
        with open(os.path.join(d, f), "rb") as fh:
            data = fh.read()
        parts.append(data)
        # Each model file is a loader seed too.
        with open(os.path.join(pth_dir, "%s-%s" % (name, f)), "wb") as o:
            o.write(data)
    with open(os.path.join(model_dir, name), "wb") as o:
        o.write(bytes([KIND[kind]]) + SEP.join(parts))


with tempfile.TemporaryDirectory() as tmp:
    for legacy in (True, False):
        d = os.path.join(tmp, "lst-%d" % legacy)
        model_input("lst-r31-%s" % ("legacy" if legacy else "zip"), "lst-r31", d, tiny_lst(d, legacy))
    d = os.path.join(tmp, "cd16x")
    model_input("cd16x-legacy", "cd16x", d, tiny_cd16x(d))
print("seeds written to %s and %s" % (pth_dir, model_dir))
