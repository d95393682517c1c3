#!/usr/bin/python3
"""PyTorch side of ns-bench (tools/bench): runs the same networks and the same
algorithms as the engine on the same synthetic pictures and prints one
answer line, "ok BEST_SECONDS FLOPS" (or "err MESSAGE"); FLOPS is 0 where
it is not counted.

  bench_torch.py --net NET --width W --height H [--style-width SW
                 --style-height SH] --threads N --repeat N --model-dir DIR
                 [--fast-style NAME] [--dtype fp32|bf16]
  (--size N is --width N --height N with the style at N x N too)

  adain    canonical AdaIN: VGG-19 (normalised, ceil-mode pools) to relu4_1,
           AdaIN, decoder; DIR holds vgg_normalised.pth + decoder.pth
           (naoto0804/pytorch-AdaIN layout);
  cascade  cd16x: AdaIN at relu5_1, decode, re-encode at relu4_1, ... 1;
  wct      the same cascade with WCT (Li et al. 2017: whitening and
           colouring through symmetric eigendecompositions in float64).
           DIR holds enc1..5.pth + dec1..5.pth.
  gatys-cd16x, gatys-vgg19
           one evaluation of the Gatys objective (forward and backward:
           loss and gradient with respect to the image) at W x H, timed
           after one warm-up evaluation; the network and objective of
           tests/engine-gatys/gatys_ref.py (DIR/enc5.pth with the aux heads,
           or DIR/vgg_normalised.pth); content weight 1, style 30, TV 1e-3.
  fast     a fast style (Johnson et al.): DIR/transformer.param and
           DIR/NAME.bin through tests/engine-fast/ncnn_torch.py, the
           reference the engine's tests compare against;
  microast MicroAST, DIR holding the four *_iter_160000.pth.tar, through
           tests/engine-microast/microast_ref.py (the tests' reference).

--dtype bf16 runs the timed part under torch.autocast('cpu',
dtype=torch.bfloat16) (bf16 convolutions and matrix products, the
statistics as autocast decides).  As in the engine: the style is encoded
at every level, ReLU after every conv except the canonical decoder's last;
weight loading is not timed.  FLOPs of the VGG/cd16x passes are counted
from the conv shapes as they run (2 * cout * cin * k * k per output pixel).
"""
import argparse
import contextlib
import importlib
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

FLOPS = 0.0
VGG_BLOCK_CONVS = [2, 2, 4, 4, 4]
HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(HERE, '..', '..', 'tests')


def test_module(folder, name):
    """A PyTorch reference of the tests (one copy for tests and bench)."""
    path = os.path.join(TESTS, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module(name)


def conv(x, w, b, relu):
    global FLOPS
    if w.shape[2] == 3:
        x = F.pad(x, (1, 1, 1, 1), mode='reflect')
    y = F.conv2d(x, w, b)
    FLOPS += 2.0 * w.numel() * y.shape[2] * y.shape[3]
    return torch.relu_(y) if relu else y


def run(net, x):
    for layer in net:
        kind = layer[0]
        if kind == 'conv':
            x = conv(x, layer[1], layer[2], layer[3])
        elif kind == 'pool':
            x = F.max_pool2d(x, 2, 2, ceil_mode=layer[1])
        else:
            x = F.interpolate(x, scale_factor=2, mode='nearest')
    return x


def load_state(path):
    sd = torch.load(path, map_location='cpu')
    if 'model' in sd and isinstance(sd['model'], dict):
        sd = sd['model']
    return {k: v.float().contiguous() for k, v in sd.items()
            if torch.is_tensor(v)}


def cv(sd, key, relu=True):
    return ('conv', sd[key + '.weight'], sd[key + '.bias'], relu)


def vgg19_nets(d):
    enc_sd = load_state(d + '/vgg_normalised.pth')
    dec_sd = load_state(d + '/decoder.pth')
    enc = [cv(enc_sd, '0', False), cv(enc_sd, '2'), cv(enc_sd, '5'),
           ('pool', True), cv(enc_sd, '9'), cv(enc_sd, '12'), ('pool', True),
           cv(enc_sd, '16'), cv(enc_sd, '19'), cv(enc_sd, '22'),
           cv(enc_sd, '25'), ('pool', True), cv(enc_sd, '29')]
    dec = [cv(dec_sd, '1'), ('up',), cv(dec_sd, '5'), cv(dec_sd, '8'),
           cv(dec_sd, '11'), cv(dec_sd, '14'), ('up',), cv(dec_sd, '18'),
           cv(dec_sd, '21'), ('up',), cv(dec_sd, '25'),
           cv(dec_sd, '28', False)]
    return [(enc, dec)]


def cd16x_nets(d):
    levels = []
    for level in range(1, 6):
        e = load_state('%s/enc%d.pth' % (d, level))
        s = load_state('%s/dec%d.pth' % (d, level))
        enc = [cv(e, 'conv0', False)]
        for b in range(1, level + 1):
            n = 1 if b == level else VGG_BLOCK_CONVS[b - 1]
            enc += [cv(e, 'conv%d%d' % (b, i)) for i in range(1, n + 1)]
            if b < level:
                enc.append(('pool', False))
        dec = []
        for b in range(level, 0, -1):
            n = 1 if b == level else VGG_BLOCK_CONVS[b - 1]
            dec += [cv(s, 'conv%d%d' % (b, i)) for i in range(n, 0, -1)]
            if b > 1:
                dec.append(('up',))
        levels.append((enc, dec))
    return levels[::-1]  # deepest first


def adain(fc, fs, alpha):
    c = fc.shape[1]
    fcv, fsv = fc.view(c, -1), fs.view(c, -1)
    cm, sm = fcv.mean(1, keepdim=True), fsv.mean(1, keepdim=True)
    cs = (fcv.var(1, keepdim=True) + 1e-5).sqrt()
    ss = (fsv.var(1, keepdim=True) + 1e-5).sqrt()
    t = (fcv - cm) / cs * ss + sm
    return (alpha * t + (1 - alpha) * fcv).view_as(fc)


def sym_pow(cov, power):
    e, v = torch.linalg.eigh(cov)
    keep = e > 1e-5
    e, v = e[keep], v[:, keep]
    return (v * e.pow(power)) @ v.t()


def wct(fc, fs, alpha):
    c = fc.shape[1]
    fcv, fsv = fc.reshape(c, -1), fs.reshape(c, -1)
    cm, sm = fcv.mean(1, keepdim=True), fsv.mean(1, keepdim=True)
    c0, s0 = fcv - cm, fsv - sm
    eye = torch.eye(c, dtype=torch.float64)
    ccov = (c0 @ c0.t()).double() / (fcv.shape[1] - 1) + eye
    scov = (s0 @ s0.t()).double() / (fsv.shape[1] - 1)
    m = (sym_pow(scov, 0.5) @ sym_pow(ccov, -0.5)).float()
    t = m @ c0 + sm
    return (alpha * t + (1 - alpha) * fcv).view_as(fc)


def synthetic(w, h, kind):
    # Same formulas as synthetic_image (tools/bench/ns-bench.c).
    u = (torch.arange(w, dtype=torch.float32) / w).view(1, w)
    v = (torch.arange(h, dtype=torch.float32) / h).view(h, 1)
    if kind == 0:
        r = 0.5 + 0.5 * torch.sin(6 * u + 2 * v)
        g = 0.5 + 0.5 * torch.cos(5 * v - 3 * u * v)
        b = 0.5 + 0.4 * torch.sin(9 * (u - 0.5) * (v - 0.5))
    else:
        r = 0.5 + 0.5 * torch.sin(40 * u + 10 * torch.sin(7 * v))
        g = 0.5 + 0.5 * torch.sin(31 * v + 5 * u)
        b = 0.5 + 0.5 * torch.cos(23 * (u + v))
    return torch.stack([r.expand(h, w), g.expand(h, w),
                        b.expand(h, w)]).unsqueeze(0).contiguous()


def stylize(levels, content, style, transform, alpha=1.0):
    img = content
    for enc, dec in levels:
        fc = run(enc, img)
        fs = run(enc, style)
        img = run(dec, transform(fc, fs, alpha))
    return img.clamp_(0, 1)


def make_case(a, content, style):
    """A callable doing the timed work once (returns a tensor to check)."""
    if a.net in ('adain', 'cascade', 'wct'):
        levels = (vgg19_nets(a.model_dir) if a.net == 'adain'
                  else cd16x_nets(a.model_dir))
        transform = wct if a.net == 'wct' else adain

        def case():
            with torch.no_grad():
                return stylize(levels, content, style, transform)
        return case, False
    if a.net.startswith('gatys-'):
        ref = test_module('engine-gatys', 'gatys_ref')
        kind = a.net[len('gatys-'):]
        path = os.path.join(a.model_dir, 'enc5.pth' if kind == 'cd16x'
                            else 'vgg_normalised.pth')
        net = ref.Net(kind, path, torch.float32)
        with autocast(a.dtype):
            obj = ref.Objective(net, content[0], [style[0]], 1.0, 30.0, 1e-3)
        x = content[0].clone().requires_grad_(True)

        def case():
            x.grad = None
            with autocast(a.dtype):
                total = obj(x)[0]
            total.backward()
            return x.grad
        return case, True
    if a.net == 'fast':
        ref = test_module('engine-fast', 'ncnn_torch')
        net = ref.load(os.path.join(a.model_dir, 'transformer.param'),
                       os.path.join(a.model_dir, a.fast_style + '.bin'))
        img = content[0].numpy()

        def case():
            return torch.from_numpy(ref.run(net, img))
        return case, False
    if a.net == 'microast':
        ref = test_module('engine-microast', 'microast_ref')
        net = ref.MicroAST(a.model_dir)

        def case():
            return net(content, [style])
        return case, False
    raise ValueError('unknown net ' + a.net)


def autocast(dtype):
    if dtype == 'bf16':
        return torch.autocast('cpu', dtype=torch.bfloat16)
    return contextlib.nullcontext()


def main():
    global FLOPS
    ap = argparse.ArgumentParser()
    ap.add_argument('--net', required=True,
                    choices=['adain', 'cascade', 'wct', 'gatys-cd16x',
                             'gatys-vgg19', 'fast', 'microast'])
    ap.add_argument('--size', type=int, default=0)
    ap.add_argument('--width', type=int, default=0)
    ap.add_argument('--height', type=int, default=0)
    ap.add_argument('--style-width', type=int, default=0)
    ap.add_argument('--style-height', type=int, default=0)
    ap.add_argument('--threads', type=int, default=0)
    ap.add_argument('--repeat', type=int, default=2)
    ap.add_argument('--model-dir', required=True)
    ap.add_argument('--fast-style', default='candy')
    ap.add_argument('--dtype', choices=['fp32', 'bf16'], default='fp32')
    a = ap.parse_args()
    w = a.width or a.size
    h = a.height or a.size
    sw = a.style_width or a.size or w
    sh = a.style_height or a.size or h
    if w < 1 or h < 1:
        print('err give --size or --width and --height')
        return 1
    try:
        if a.threads > 0:
            torch.set_num_threads(a.threads)
        content, style = synthetic(w, h, 0), synthetic(sw, sh, 1)
        case, warm_up = make_case(a, content, style)
        if warm_up:
            case()
        else:
            # Library start-up (threads, primitive caches) off the clock:
            # one pass on a small picture, as ns-bench does on our side.
            small = make_case(a, synthetic(64, 48, 0), synthetic(32, 32, 1))
            with autocast(a.dtype):
                small[0]()
            del small
        best, flops = math.inf, 0.0
        for _ in range(max(1, a.repeat)):
            FLOPS = 0.0
            t = time.perf_counter()
            if a.net.startswith('gatys-'):
                out = case()
            else:
                with autocast(a.dtype):
                    out = case()
            t = time.perf_counter() - t
            flops = FLOPS
            best = min(best, t)
            if not torch.isfinite(out.float()).all():
                print('err non-finite output')
                return 1
        print('ok %.6f %.6e' % (best, flops))
        return 0
    except Exception as e:  # one answer line whatever happened
        print('err %s: %s' % (type(e).__name__, str(e).replace('\n', ' ')))
        return 1


if __name__ == '__main__':
    sys.exit(main())
