"""Model folders for the nstyle tests, written at test time with PyTorch
(nothing copied from ../shared): random-weight cd16x models by
tests/engine-style/random_models.py, and damaged copies of them.  Import
only where torch is wanted: the caller skips the cases when it is not."""
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'engine-style'))

import torch  # noqa: E402
import random_models as RM  # noqa: E402  (writes the real key layout)

torch.set_grad_enabled(False)
torch.set_num_threads(1)


def write_cd16x(folder, seed=20261130):
    """A complete cd16x folder with random, calibrated weights."""
    gen = torch.Generator().manual_seed(seed)
    calib = torch.from_numpy(RM.smooth(gen, 64, 64))[None]
    RM.write_cd16x(folder, gen, calib)
    return folder


def copy_model(src, dst):
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    return dst


def set_tensor(path, key, value):
    """Rewrites one tensor of a .pth (legacy serialisation, as the real
    files) with VALUE (e.g. float('nan')) in its first element."""
    obj = torch.load(path)
    sd = obj['model'] if 'model' in obj else obj
    sd[key] = sd[key].clone()
    sd[key].view(-1)[0] = value
    torch.save(obj, path, _use_new_zipfile_serialization=False)
