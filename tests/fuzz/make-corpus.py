#!/usr/bin/python3
"""Writes the seed corpus for fuzz_pth: tiny state dicts with random
values, saved by torch in both formats (run once; the output is committed).
usage: make-corpus.py OUTDIR"""
import collections
import os
import sys

import torch
import torch.nn as nn

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(7)


def save(name, obj, **kw):
    for legacy in (True, False):
        path = os.path.join(out, "%s-%s.pth" % (name, "legacy" if legacy else "zip"))
        torch.save(obj, path, _use_new_zipfile_serialization=not legacy, **kw)


save("sd", collections.OrderedDict([("0.weight", torch.randn(2, 1, 1, 1)), ("0.bias", torch.randn(2))]))
save("nested", {"model": {"conv11.weight": torch.randn(1, 2, 1, 1), "conv11.bias": torch.randn(1)}, "epoch": 3})
save("module", nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2)).state_dict())
save("dtypes", {"d": torch.randn(2, dtype=torch.float64), "h": torch.randn(2).half(),
                "b": torch.randn(2).bfloat16(), "l": torch.tensor([5]), "u": torch.tensor([1], dtype=torch.uint8)})
base = torch.randn(6)
save("views", {"a": base[1:3], "b": base[3:6].view(3, 1), "p": nn.Parameter(torch.randn(2))})
save("proto4", {"x": torch.randn(2, 2), "s": torch.tensor(1.0)}, pickle_protocol=4)
