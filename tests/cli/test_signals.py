#!/usr/bin/python3
"""nstyle and signals (issue 12): whatever signal that can be caught stops
a run, the output is not written and the temporary file beside it is
removed.  SIGINT, SIGTERM and SIGHUP stop the run (exit 130, "interrupted");
the others remove the temporary file and then end the process as they
would have (killed by that signal).  A stop request while an image is being
read is honoured there (exit 130, said so).  Needs torch for a random
cd16x model (skips without)."""
import os
import resource
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clitest as T  # noqa: E402

import numpy as np  # noqa: E402

try:
    import clitorch as CT
except ImportError as e:
    print('SKIP: needs torch for a model (%s)' % e)
    sys.exit(T.SKIP)


def no_core():
    # SIGQUIT, SIGABRT, SIGSEGV... would dump core in the test folder.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # nstyle leaves an ignored signal ignored (as nohup asks); a test run
    # started under nohup, or as a background job of a script (SIGINT and
    # SIGQUIT ignored), must not pass that on to the tool it tests.
    for sig in set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP}:
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    for sig in range(signal.SIGRTMIN, signal.SIGRTMAX + 1):
        signal.signal(sig, signal.SIG_DFL)


def main():
    exe = T.nstyle_path()
    tmp = T.tmpdir()
    env = T.clean_env(tmp)
    model = CT.write_cd16x(os.path.join(tmp, 'cd16x'))
    content = os.path.join(tmp, 'content.png')
    style = os.path.join(tmp, 'style.png')
    yy, xx = np.mgrid[0:768, 0:1024] / 1024.0
    T.save(content, np.stack([xx, yy, 0.5 + 0.3 * np.sin(20 * xx * yy)], -1))
    T.save(style, np.stack([yy, 1 - xx, xx * yy], -1)[:200, :200])
    out = os.path.join(tmp, 'out.png')

    def leftovers():
        return os.path.exists(out) or T.leftovers(tmp, 'out.png')

    stop = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    others = (signal.SIGQUIT, signal.SIGPIPE, signal.SIGUSR1, signal.SIGUSR2,
              signal.SIGALRM, signal.SIGXCPU, signal.SIGABRT, signal.SIGSEGV,
              signal.SIGBUS, signal.SIGRTMIN + 2)
    for sig in stop + others:
        name = signal.Signals(sig).name if sig in signal.Signals.__members__ \
            .values() else 'SIG%d' % sig
        p = subprocess.Popen([exe, '-c', content, '-s', style, '-o', out,
                              '--model', model], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, preexec_fn=no_core)
        # The tool names the method just before it starts stylizing.
        line = p.stderr.readline()
        time.sleep(0.3)
        running = p.poll() is None
        T.check(running and leftovers(),
                '%s: sent while running, temporary file present (%r)'
                % (name, line.strip()))
        p.send_signal(sig)
        try:
            rest = p.communicate(timeout=20)[1]
        except subprocess.TimeoutExpired:
            p.kill()
            rest = p.communicate()[1]
        if sig in stop:
            T.check(p.returncode == 130 and 'interrupted' in rest,
                    '%s: exit 130, says interrupted (%s, %r)'
                    % (name, p.returncode, rest.strip()))
        else:
            T.check(p.returncode == -sig, '%s: ended by the signal (%s)'
                    % (name, p.returncode))
        T.check(not leftovers(), '%s: no output, no temporary file' % name)

    # A stop request while the content is being read (from a pipe, so the
    # reading waits for us).
    fifo = os.path.join(tmp, 'content.fifo')
    os.mkfifo(fifo)
    with open(content, 'rb') as f:
        data = f.read()
    p = subprocess.Popen([exe, '-c', fifo, '-s', style, '-o', out,
                          '--model', model, '-q'], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, preexec_fn=no_core)

    def feed():
        with open(fifo, 'wb') as w:
            w.write(data[:100])
            w.flush()
            time.sleep(0.5)
            p.send_signal(signal.SIGINT)
            time.sleep(0.3)
            try:
                w.write(data[100:])
            except BrokenPipeError:
                pass
    t = threading.Thread(target=feed)
    t.start()
    try:
        rest = p.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        p.kill()
        rest = p.communicate()[1]
    t.join()
    T.check(p.returncode == 130 and 'interrupted while reading' in rest,
            'SIGINT while reading the content: exit 130, says so (%s, %r)'
            % (p.returncode, rest.strip()))
    T.check(not leftovers(), 'interrupted reading: no output, no temp file')
    return T.finish('test_signals')


if __name__ == '__main__':
    sys.exit(main())
