#!/usr/bin/python3
"""ns-bench (tools/bench, not installed) at tiny sizes: every row of issues
10 and 11 is printed (canonical AdaIN, cd16x cascade and WCT, nstyle's
render of a layer wider than the design size, Gatys per evaluation, the
dialog's preview full and strength change, the five fast styles, MicroAST),
with a precision column; our time, GFLOP/s (where counted) and peak memory
parse as numbers; PyTorch's fp32 (and, for issue 10's rows, bf16 autocast)
columns are numbers where the row has a PyTorch counterpart and '-' where
it has none; the ratios are ours / PyTorch as printed; bf16 rows of ours
say n/a on CPUs without native bf16 instead of showing fp32 figures; both
sides count the same FLOPs.  Checks structure, never speed.  Needs
../shared (cd16x, fast-ncnn, microast); the PyTorch part needs torch.

Usage: test_bench.py [PATH/TO/ns-bench]; without it (or when given another
program, such as nstyle) $NS_BUILD_ROOT/tools/bench/ns-bench."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clitest as T  # noqa: E402

NUM = re.compile(r'^[0-9]+(\.[0-9]+)?$')
FAST = ['candy', 'mosaic', 'pointilism', 'rain_princess', 'udnie']
# label -> (size, has a PyTorch counterpart, PyTorch bf16 too,
#           GFLOP/s counted)
MAIN = '80x48'
ROWS = {'AdaIN, VGG-19 relu4_1 (random)': (MAIN, True, True, True),
        'cd16x cascade AdaIN 5..1': (MAIN, True, True, True),
        'cd16x WCT 5..1': (MAIN, True, True, True),
        'Gatys 1 eval, cd16x enc5+aux': ('48', True, True, False),
        'Gatys 1 eval, VGG-19 (random)': ('48', True, True, False),
        'preview cascade, full': ('64x48', True, True, True),
        'preview cascade, strength change': ('64x48', False, False, False),
        'MicroAST': (MAIN, True, False, False),
        'preview fast style candy, full': ('64x48', True, False, True)}
for s in FAST:
    ROWS['fast style ' + s] = (MAIN, True, False, True)


def bench_path():
    if len(sys.argv) > 1 and os.path.basename(sys.argv[1]) == 'ns-bench':
        return sys.argv[1]
    root = os.environ.get('NS_BUILD_ROOT')
    if not root:
        sys.exit('usage: %s PATH/TO/ns-bench (or set NS_BUILD_ROOT)'
                 % sys.argv[0])
    return os.path.join(root, 'tools', 'bench', 'ns-bench')


def table(out):
    """{(label, size, prec): [ours cells, fp32 cells, bf16 cells, ratios]}"""
    rows = {}
    for ln in out.splitlines():
        cells = [c.split() for c in ln.split('|')]
        if len(cells) != 5 or len(cells[0]) < 3 or cells[0][0] == 'row':
            continue
        label = ' '.join(cells[0][:-2])
        rows[(label, cells[0][-2], cells[0][-1])] = cells[1:]
    return rows


def half_unit(cell):
    """Half a unit of the last decimal printed: the rounding of a cell."""
    decimals = len(cell.split('.')[1]) if '.' in cell else 0
    return 0.5 * 10.0 ** -decimals


def check_ratio(what, ours, theirs, ratio):
    if not T.check(NUM.match(ratio) is not None,
                   '%s: ratio %s printed' % (what, ratio)):
        return
    # The ratio is computed from unrounded times: it must lie within what
    # the printed (rounded) times allow, plus the ratio's own rounding.
    o, t = float(ours), float(theirs)
    ho, ht = half_unit(ours), half_unit(theirs)
    lo = max(o - ho, 0.0) / (t + ht)
    hi = (o + ho) / (t - ht) if t > ht else float('inf')
    r, hr = float(ratio), half_unit(ratio)
    T.check(lo - hr <= r <= hi + hr,
            '%s: ratio %s within [%.3f, %.3f] from %s / %s'
            % (what, ratio, lo, hi, ours, theirs))


def main():
    exe = bench_path()
    cd16x, fast, microast = T.shared_or_skip('models/cd16x',
                                             'models/fast-ncnn',
                                             'models/microast')
    torch = subprocess.run(['/usr/bin/python3', '-c', 'import torch'],
                           capture_output=True).returncode == 0
    args = ['--quick', '--sizes', MAIN, '--threads', '2',
            '--model-dir-cd16x', cd16x, '--model-dir-fast', fast,
            '--model-dir-microast', microast]
    if not torch:
        print('note: no PyTorch; checking our column only (the VGG-19 rows '
              'need it for their weights)')
        args.append('--no-torch')
    rc, so, se = T.run(exe, args, timeout=600)
    print(so)
    T.check(rc == 0, 'bench exits 0 (stderr: %s)' % se.strip()[-300:])
    m = re.search(r'^CPU: (.+?); oneDNN .*native bf16: (yes|no)', so, re.M)
    T.check(m is not None and m.group(1) != 'unknown',
            'the CPU model is printed (%s)' % (m and m.group(1)))
    native_bf16 = m is not None and m.group(2) == 'yes'
    T.check(re.search(r'^load average at the start: ', so, re.M) is not None
            and re.search(r'^load average at the end: ', so, re.M) is not None,
            'the load average is printed')
    rows = table(so)
    precs = sorted({k[2] for k in rows})
    T.check('bf16' in precs and ('fp32' in precs or 'own' in precs),
            'precision column: fp32 (or own) and bf16 rows (%s)' % precs)
    for label, (size, has_torch, has_bf16, flops) in ROWS.items():
        if not torch and 'VGG-19' in label:
            continue
        for prec in precs:
            what = '%s %s %s' % (label, size, prec)
            cells = rows.get((label, size, prec))
            if not T.check(cells is not None, 'row %s present' % what):
                continue
            ours, t32, t16, ratio = cells
            if not T.check(len(ours) == 3 and len(t32) == 2 and len(t16) == 2
                           and len(ratio) == 2, '%s: cell counts' % what):
                continue
            if prec == 'bf16' and (not native_bf16 or 'Gatys' in label):
                T.check(ours[0] == 'n/a' and t32 == ['-', '-']
                        and ratio == ['-', '-'],
                        '%s: unavailable, not faked (%s)' % (what, ours))
                continue
            T.check(NUM.match(ours[0]) is not None
                    and NUM.match(ours[2]) is not None
                    and float(ours[0]) > 0 and float(ours[2]) > 0,
                    '%s: our time and peak memory (%s)' % (what, ours))
            T.check((NUM.match(ours[1]) is not None) == flops,
                    '%s: GFLOP/s %s (%s)' % (what, 'counted' if flops
                                             else "'-'", ours[1]))
            if not torch:
                continue
            if has_torch:
                T.check(all(NUM.match(x) for x in t32),
                        '%s: PyTorch fp32 time and memory (%s)' % (what, t32))
                if NUM.match(t32[0]) and NUM.match(ours[0]):
                    check_ratio(what + ' vs fp32', ours[0], t32[0], ratio[0])
            else:
                T.check(t32 == ['-', '-'] and ratio[0] == '-',
                        '%s: no PyTorch counterpart, no figure (%s)'
                        % (what, t32))
            if has_bf16:
                T.check(all(NUM.match(x) for x in t16),
                        '%s: PyTorch bf16 time and memory (%s)' % (what, t16))
                if NUM.match(t16[0]) and NUM.match(ours[0]):
                    check_ratio(what + ' vs bf16', ours[0], t16[0], ratio[1])
            else:
                T.check(t16 == ['-', '-'] and ratio[1] == '-',
                        '%s: no PyTorch bf16 (%s)' % (what, t16))
    T.check('FLOP counts differ' not in so, 'both sides count the same FLOPs')
    T.check('failed' not in so and 'failed' not in se, 'no row failed')

    # nstyle's render of a layer wider than the design size (composition
    # at 1024, shallow levels in tiles): only above 1024 px, no PyTorch.
    rc, so, se = T.run(exe, ['--quick', '--sizes', '1040x24,64',
                             '--rows', 'cascade-render', '--no-torch',
                             '--threads', '2', '--model-dir-cd16x', cd16x],
                       timeout=300)
    print(so)
    rows = table(so)
    T.check(rc == 0, 'render bench exits 0 (stderr: %s)' % se.strip()[-300:])
    label = 'cd16x cascade, nstyle render'
    T.check(sorted({k[1] for k in rows if k[0] == label}) == ['1040x24'],
            'render row at 1040x24 only (at most the design size it is the '
            'one pass)')
    for (lab, size, prec), cells in rows.items():
        if prec == 'bf16':
            continue
        T.check(NUM.match(cells[0][0]) is not None
                and NUM.match(cells[0][2]) is not None,
                'render row %s: time and memory (%s)' % (prec, cells[0]))
    T.check('failed' not in so, 'the render row did not fail')

    # Option errors are usage errors.
    for bad in (['--sizes', '10'], ['--sizes', '64x'], ['--rows', 'nope'],
                ['--precisions', 'fp16'], ['--torch-bf16-max-mpix', 'x']):
        rc, so, se = T.run(exe, bad, timeout=60)
        T.check(rc == 2 and 'ns-bench:' in se,
                '%s: exit 2 with a message (%d, %s)' % (bad, rc,
                                                        se.strip()[:80]))
    return T.finish('test_bench')


if __name__ == '__main__':
    sys.exit(main())
