#!/usr/bin/python3
"""ns-bench (tools/bench, not installed) at a tiny size: the table has our
numbers and PyTorch's for every row, and both sides count the same FLOPs
(they count them independently: ours from the engine's networks, PyTorch's
as its passes run).  Needs ../shared (cd16x); the PyTorch part needs torch.

Usage: test_bench.py [PATH/TO/ns-bench]; without it (or when given another
program, such as nstyle) $NS_BUILD_ROOT/tools/bench/ns-bench."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clitest as T  # noqa: E402


def bench_path():
    if len(sys.argv) > 1 and os.path.basename(sys.argv[1]) == 'ns-bench':
        return sys.argv[1]
    root = os.environ.get('NS_BUILD_ROOT')
    if not root:
        sys.exit('usage: %s PATH/TO/ns-bench (or set NS_BUILD_ROOT)'
                 % sys.argv[0])
    return os.path.join(root, 'tools', 'bench', 'ns-bench')


def main():
    exe = bench_path()
    (model,) = T.shared_or_skip('models/cd16x')
    torch = subprocess.run(['/usr/bin/python3', '-c', 'import torch'],
                           capture_output=True).returncode == 0
    args = ['--sizes', '32', '--repeat', '1', '--threads', '2',
            '--model-dir-cd16x', model]
    if not torch:
        print('note: no PyTorch; checking our column only')
        args.append('--no-torch')
    rc, so, se = T.run(exe, args, timeout=300)
    print(so)
    T.check(rc == 0, 'bench exits 0 (stderr: %s)' % se.strip()[-300:])
    want = ['VGG-19', 'cascade', 'WCT'] if torch else ['cascade', 'WCT']
    for label in want:
        line = [ln for ln in so.splitlines() if label in ln and '|' in ln]
        if not T.check(len(line) == 1, 'row %s present' % label):
            continue
        cells = [c.split() for c in line[0].split('|')]
        ours = cells[1]
        T.check(len(ours) == 3 and all(re.match(r'^[0-9.]+$', x)
                                        for x in ours),
                '%s: our time, GFLOP/s and memory (%s)' % (label, ours))
        if torch:
            theirs = cells[2]
            T.check(all(re.match(r'^[0-9.]+$', x) for x in theirs),
                    '%s: PyTorch time, GFLOP/s and memory (%s)'
                    % (label, theirs))
            T.check(re.match(r'^[0-9.]+$', cells[3][0]) is not None,
                    '%s: ratio' % label)
    T.check('FLOP counts differ' not in so, 'both sides count the same FLOPs')
    T.check('failed' not in se, 'no row failed')
    return T.finish('test_bench')


if __name__ == '__main__':
    sys.exit(main())
