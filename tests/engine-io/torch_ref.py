#!/usr/bin/python3
"""Reference for the .pth loader, computed with PyTorch at test time.

usage: torch_ref.py CHECKER synthetic
       torch_ref.py CHECKER shared SHARED_DIR

"synthetic" writes small state dicts with torch.save (legacy and zip
formats, several dtypes, views, nested dicts, protocol 4, the key layout of
pytorch-AdaIN's vgg_normalised.pth / decoder.pth) into a temp folder;
"shared" loads the real files in SHARED_DIR/models with torch.  Both write a
manifest of expected tensors (values as raw float32) and run CHECKER on it.
Manifest lines (tab-separated):
  T FILE NAME NDIM D0.. REF   tensor NAME with this shape and these values
  N FILE COUNT                FILE holds exactly COUNT tensors
  E FILE TEXT                 loading FILE fails, the message contains TEXT
Exit 77 (skip) when torch or the shared files are missing."""
import collections
import os
import subprocess
import sys
import tempfile
import zipfile

try:
    import torch
    import torch.nn as nn
except ImportError:
    print("SKIP: PyTorch is not installed for %s" % sys.executable)
    sys.exit(77)


class Manifest:
    def __init__(self, folder):
        self.folder = folder
        self.lines = []
        self.n = 0

    def tensors(self, path, sd, prefix=""):
        count = 0
        for k, v in sd.items():
            name = prefix + str(k)
            if isinstance(v, torch.Tensor):
                self.n += 1
                ref = os.path.join(self.folder, "ref%05d.f32" % self.n)
                with open(ref, "wb") as f:
                    f.write(v.detach().to(torch.float32).contiguous().numpy().tobytes())
                self.lines.append("\t".join(["T", path, name, str(v.dim())]
                                            + [str(d) for d in v.shape] + [ref]))
                count += 1
            elif isinstance(v, dict):
                count += self.tensors(path, v, name + ".")
        return count

    def file(self, path, sd):
        self.lines.append("N\t%s\t%d" % (path, self.tensors(path, sd)))

    def error(self, path, text):
        self.lines.append("E\t%s\t%s" % (path, text))

    def run(self, checker):
        mpath = os.path.join(self.folder, "manifest.txt")
        with open(mpath, "w") as f:
            f.write("\n".join(self.lines) + "\n")
        return subprocess.call([checker, mpath])


def save_both(m, folder, stem, sd, **kw):
    """Saves SD in the legacy and the zip format, adds both to M."""
    for legacy in (True, False):
        path = os.path.join(folder, "%s-%s.pth" % (stem, "legacy" if legacy else "zip"))
        torch.save(sd, path, _use_new_zipfile_serialization=not legacy, **kw)
        back = torch.load(path)  # what torch reads is the reference
        m.file(path, back)


def adain_vgg(div):
    """pytorch-AdaIN's vgg (net.py) with channels / DIV: same keys."""
    c = lambda n: max(1, n // div)
    layers = [nn.Conv2d(3, 3, 1)]
    cin = 3
    for block, (n, width) in enumerate([(2, 64), (2, 128), (4, 256), (4, 512), (4, 512)]):
        if block:
            layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
        for _ in range(n):
            layers += [nn.ReflectionPad2d(1), nn.Conv2d(cin, c(width), 3), nn.ReLU()]
            cin = c(width)
    return nn.Sequential(*layers)


def adain_decoder(div):
    c = lambda n: max(1, n // div)
    L = []
    def conv(i, o, relu=True):
        L.extend([nn.ReflectionPad2d(1), nn.Conv2d(c(i) if i != 3 else 3, c(o) if o != 3 else 3, 3)]
                 + ([nn.ReLU()] if relu else []))
    conv(512, 256); L.append(nn.Upsample(scale_factor=2))
    conv(256, 256); conv(256, 256); conv(256, 256); conv(256, 128); L.append(nn.Upsample(scale_factor=2))
    conv(128, 128); conv(128, 64); L.append(nn.Upsample(scale_factor=2))
    conv(64, 64); conv(64, 3, relu=False)
    return nn.Sequential(*L)


def synthetic(folder, m):
    torch.manual_seed(1234)
    # The key layout of vgg_normalised.pth / decoder.pth ("0.weight", "2.weight"...).
    vgg = adain_vgg(8).state_dict()
    assert list(vgg)[:4] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert "51.weight" in vgg
    save_both(m, folder, "vgg_normalised", vgg)
    save_both(m, folder, "decoder", adain_decoder(8).state_dict())
    # dtypes converted to float32; integer buffers kept (as floats).
    save_both(m, folder, "dtypes", {
        "f64": torch.randn(3, 4, dtype=torch.float64),
        "f16": torch.randn(5, 2).half(),
        "bf16": torch.randn(7).bfloat16(),
        "i64": torch.arange(-3, 6, dtype=torch.int64),
        "i32": torch.tensor([1, -2, 3], dtype=torch.int32),
        "u8": torch.tensor([0, 7, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False]),
        "scalar": torch.tensor(3.25),
        "empty": torch.zeros(0, 3),
        "big": torch.randn(4, 3, 2, 2, 1, 2),
    })
    # An nn.Module state dict: OrderedDict with _metadata, BatchNorm's
    # num_batches_tracked (int64).
    mod = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.Conv2d(3, 1, 1, bias=False))
    mod(torch.randn(1, 2, 5, 5))
    sd = mod.state_dict()
    assert hasattr(sd, "_metadata")
    save_both(m, folder, "module", sd)
    # Views into one storage, at offsets > 0.
    base = torch.randn(60)
    save_both(m, folder, "views", collections.OrderedDict([
        ("a", base[7:19].view(3, 4)), ("b", base[20:22]), ("whole", base),
        ("row", torch.randn(5, 6)[2])]))
    # Nested dicts, as the cd16x checkpoints {"model": sd, "epoch": n}.
    save_both(m, folder, "nested", {
        "model": {"conv11.weight": torch.randn(4, 3, 3, 3), "conv11.bias": torch.randn(4)},
        "epoch": 17, "name": "x", "hist": [1.5, 2.5],
        "opt": {"lr": 0.1, "state": {"w": torch.randn(2, 2)}}})
    # Parameters (torch._utils._rebuild_parameter) and protocol 4 pickles
    # (FRAME, MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE).
    save_both(m, folder, "params", {"p": nn.Parameter(torch.randn(3, 2)), "q": torch.randn(2)})
    save_both(m, folder, "proto4", adain_vgg(16).state_dict(), pickle_protocol=4)
    # Another top folder name inside the zip, rewritten with zipfile.
    src = os.path.join(folder, "params-zip.pth")
    dst = os.path.join(folder, "renamed.pth")
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zo:
        for info in zi.infolist():
            rest = info.filename.split("/", 1)[1]
            zo.writestr("my_checkpoint_v2/" + rest, zi.read(info))
    m.file(dst, torch.load(dst))
    # Errors: compressed entries, non-contiguous tensors.
    bad = os.path.join(folder, "deflated.pth")
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            zo.writestr(info.filename, zi.read(info))
    m.error(bad, "compressed")
    for legacy in (True, False):
        p = os.path.join(folder, "transposed-%d.pth" % legacy)
        torch.save({"t": torch.randn(3, 4).t()}, p, _use_new_zipfile_serialization=not legacy)
        m.error(p, "not contiguous")


SHARED_FILES = ["cd16x/%s%d.pth" % (k, i) for k in ("enc", "dec") for i in range(1, 6)] + \
               ["lst-r31/vgg_r31.pth", "lst-r31/dec_r31.pth"]


def shared(models, m):
    missing = [f for f in SHARED_FILES if not os.path.exists(os.path.join(models, f))]
    if missing:
        print("SKIP: shared models missing: %s" % ", ".join(missing))
        sys.exit(77)
    for f in SHARED_FILES:
        path = os.path.join(models, f)
        try:
            sd = torch.load(path, map_location="cpu", weights_only=True)
        except TypeError:
            sd = torch.load(path, map_location="cpu")
        m.file(path, sd)


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    checker, mode = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="ns-pth-") as folder:
        m = Manifest(folder)
        if mode == "synthetic":
            synthetic(folder, m)
        else:
            shared(os.path.join(sys.argv[3], "models"), m)
        print("%d manifest lines from torch %s" % (len(m.lines), torch.__version__))
        sys.stdout.flush()
        return m.run(checker)


if __name__ == "__main__":
    sys.exit(main())
