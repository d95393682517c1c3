#!/usr/bin/python3
"""nstyle: Ctrl-C during a run exits 130 within a second and leaves no
output (nor temporary) file."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clitest as T  # noqa: E402


def main():
    exe = T.nstyle_path()
    model, content, style = T.shared_or_skip(
        'models/cd16x', 'images/content/tubingen.jpg',
        'images/style/starry_night.jpg')
    tmp = T.tmpdir()
    env = T.clean_env(tmp)
    out = os.path.join(tmp, 'big.png')
    # 2048 px takes several seconds, so the signal lands mid-run.
    p = subprocess.Popen([exe, '-c', content, '-s', style, '-o', out,
                          '--model', model, '--size', '2048'], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    # The tool names the method just before it starts stylizing.
    line = p.stderr.readline()
    T.check(line.startswith('nstyle: '), 'run started (%r)' % line.strip())
    time.sleep(0.5)
    T.check(p.poll() is None, 'still running when interrupted')
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    try:
        rest = p.communicate(timeout=10)[1]
    except subprocess.TimeoutExpired:
        p.kill()
        rest = p.communicate()[1]
    dt = time.monotonic() - t0
    T.check(p.returncode == 130, 'exit 130 (got %s)' % p.returncode)
    T.check(dt < 1.0, 'stopped within 1 s (%.2f s)' % dt)
    T.check('interrupted' in rest, 'says it was interrupted')
    T.check(not os.path.exists(out), 'no output file')
    T.check(not T.leftovers(tmp, 'big.png'), 'no temporary file left')
    return T.finish('test_cancel')


if __name__ == '__main__':
    sys.exit(main())
