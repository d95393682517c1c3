#!/usr/bin/python3
"""PyTorch side of ns-bench (tools/bench): runs the same networks and the same
algorithms as the engine on the same synthetic pictures and prints one
answer line, "ok BEST_SECONDS FLOPS" (or "err MESSAGE").

  bench_torch.py --net adain|cascade|wct --size N --threads N
                 --repeat N --model-dir DIR

  adain    canonical AdaIN: VGG-19 (normalised, ceil-mode pools) to relu4_1,
           AdaIN, decoder; DIR holds vgg_normalised.pth + decoder.pth
           (naoto0804/pytorch-AdaIN layout);
  cascade  cd16x: AdaIN at relu5_1, decode, re-encode at relu4_1, ... 1;
  wct      the same cascade with WCT (Li et al. 2017: whitening and
           colouring through symmetric eigendecompositions in float64).
           DIR holds enc1..5.pth + dec1..5.pth.

As in the engine: the style is encoded at every level, content and style
are fed at N x N, ReLU is fused after every conv except the canonical
decoder's last; weight loading is not timed.  FLOPs are counted from the
conv shapes as the passes run (2 * cout * cin * k * k per output pixel).
"""
import argparse
import math
import sys
import time

import torch
import torch.nn.functional as F

FLOPS = 0.0
VGG_BLOCK_CONVS = [2, 2, 4, 4, 4]


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
    fcv, fsv = fc.view(c, -1), fs.view(c, -1)
    cm, sm = fcv.mean(1, keepdim=True), fsv.mean(1, keepdim=True)
    c0, s0 = fcv - cm, fsv - sm
    eye = torch.eye(c, dtype=torch.float64)
    ccov = (c0 @ c0.t()).double() / (fcv.shape[1] - 1) + eye
    scov = (s0 @ s0.t()).double() / (fsv.shape[1] - 1)
    m = (sym_pow(scov, 0.5) @ sym_pow(ccov, -0.5)).float()
    t = m @ c0 + sm
    return (alpha * t + (1 - alpha) * fcv).view_as(fc)


def synthetic(size, kind):
    # Same formulas as synthetic_image (tools/bench/ns-bench.c).
    u = (torch.arange(size, dtype=torch.float32) / size).view(1, size)
    v = (torch.arange(size, dtype=torch.float32) / size).view(size, 1)
    if kind == 0:
        r = 0.5 + 0.5 * torch.sin(6 * u + 2 * v)
        g = 0.5 + 0.5 * torch.cos(5 * v - 3 * u * v)
        b = 0.5 + 0.4 * torch.sin(9 * (u - 0.5) * (v - 0.5))
    else:
        r = 0.5 + 0.5 * torch.sin(40 * u + 10 * torch.sin(7 * v))
        g = 0.5 + 0.5 * torch.sin(31 * v + 5 * u)
        b = 0.5 + 0.5 * torch.cos(23 * (u + v))
    return torch.stack([r.expand(size, size), g.expand(size, size),
                        b.expand(size, size)]).unsqueeze(0).contiguous()


def stylize(levels, content, style, transform, alpha=1.0):
    img = content
    for enc, dec in levels:
        fc = run(enc, img)
        fs = run(enc, style)
        img = run(dec, transform(fc, fs, alpha))
    return img.clamp_(0, 1)


def main():
    global FLOPS
    ap = argparse.ArgumentParser()
    ap.add_argument('--net', choices=['adain', 'cascade', 'wct'],
                    required=True)
    ap.add_argument('--size', type=int, required=True)
    ap.add_argument('--threads', type=int, default=0)
    ap.add_argument('--repeat', type=int, default=2)
    ap.add_argument('--model-dir', required=True)
    a = ap.parse_args()
    try:
        if a.threads > 0:
            torch.set_num_threads(a.threads)
        if a.net == 'adain':
            levels = vgg19_nets(a.model_dir)
        else:
            levels = cd16x_nets(a.model_dir)
        transform = wct if a.net == 'wct' else adain
        content, style = synthetic(a.size, 0), synthetic(a.size, 1)
        best, flops = math.inf, 0.0
        with torch.no_grad():
            for _ in range(max(1, a.repeat)):
                FLOPS = 0.0
                t = time.perf_counter()
                out = stylize(levels, content, style, transform)
                t = time.perf_counter() - t
                flops = FLOPS
                best = min(best, t)
                if not torch.isfinite(out).all():
                    print('err non-finite output')
                    return 1
        print('ok %.6f %.6e' % (best, flops))
        return 0
    except Exception as e:  # one answer line whatever happened
        print('err %s: %s' % (type(e).__name__, str(e).replace('\n', ' ')))
        return 1


if __name__ == '__main__':
    sys.exit(main())
