#!/usr/bin/python3
"""nstyle interrupted while the model is being loaded (issue 12): SIGINT,
SIGTERM or SIGHUP arriving in the loader stops the run when the loader
returns, before any stylization: exit 130, the message "interrupted while
loading the model", no other message (no blame on the model's files), no
output and no temporary file.

To be sure that the signal arrives during the load, the test stops nstyle
(SIGSTOP) as soon as /proc/PID/maps shows one of the model's .pth files
mapped (ns_weights_load_pth maps each file while it parses it, and unmaps
it before it returns), checks that the file is still mapped once nstyle is
stopped (else it tries again with a new process), then sends the signal and
lets nstyle go on (SIGCONT).  Needs the cd16x model of ../shared (linked,
not copied) or torch for a random one; skips without both."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clitest as T  # noqa: E402

import numpy as np  # noqa: E402

FILES = ['enc%d.pth' % i for i in range(1, 6)] + \
        ['dec%d.pth' % i for i in range(1, 6)]


def default_signals():
    # As test_signals.py: a test started under nohup or as a background
    # job must not pass ignored stop signals on to nstyle (which keeps
    # them ignored).
    for sig in set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP}:
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):
            pass


def model_folder(tmp):
    shared = os.environ.get('NS_SHARED_DIR') or os.path.join(
        os.environ.get('NS_SOURCE_ROOT', '.'), '..', 'shared')
    src = os.path.join(shared, 'models', 'cd16x')
    dst = os.path.join(tmp, 'cd16x')
    if all(os.path.isfile(os.path.join(src, f)) for f in FILES):
        os.mkdir(dst)
        for f in FILES:
            os.symlink(os.path.realpath(os.path.join(src, f)),
                       os.path.join(dst, f))
        return dst
    try:
        import clitorch as CT
    except ImportError as e:
        print('SKIP: no cd16x model in %s and no torch for a random one (%s)'
              % (src, e))
        sys.exit(T.SKIP)
    return CT.write_cd16x(dst)


def mapped(pid, paths):
    """The model files PID has mapped now (None once it has ended)."""
    try:
        with open('/proc/%d/maps' % pid) as f:
            maps = f.read()
    except OSError:
        return None
    return [p for p in paths if p in maps]


def state(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0]
    except OSError:
        return None


def stop_while_loading(p, paths, deadline):
    """Stops P while it has a model file mapped: True, or False when it got
    past the load first."""
    while time.monotonic() < deadline:
        m = mapped(p.pid, paths)
        if m is None or p.poll() is not None:
            return False
        if not m:
            continue
        p.send_signal(signal.SIGSTOP)
        while state(p.pid) not in ('T', 't', None):
            time.sleep(0.001)
        if mapped(p.pid, paths):
            return True
        # Past that file already: let it load the next one.
        p.send_signal(signal.SIGCONT)
    return False


def main():
    exe = T.nstyle_path()
    tmp = T.tmpdir()
    env = T.clean_env(tmp)
    model = model_folder(tmp)
    paths = [os.path.realpath(os.path.join(model, f)) for f in FILES]
    content = os.path.join(tmp, 'content.png')
    style = os.path.join(tmp, 'style.png')
    yy, xx = np.mgrid[0:48, 0:64] / 64.0
    T.save(content, np.stack([xx, yy, 0.5 + 0.3 * np.sin(20 * xx * yy)], -1))
    T.save(style, np.stack([yy, 1 - xx, xx * yy], -1)[:64, :64])
    out = os.path.join(tmp, 'out.png')

    # The same run, not interrupted, succeeds (the model and images are
    # good: what follows is the interruption's doing).
    rc, _, err = T.run(exe, ['-c', content, '-s', style, '-o', out,
                             '--model', model, '--method', 'adain'], env=env)
    T.check(rc == 0 and os.path.exists(out),
            'uninterrupted run succeeds (%d, %r)' % (rc, err.strip()[-300:]))
    if os.path.exists(out):
        os.unlink(out)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        name = signal.Signals(sig).name
        for attempt in range(1, 31):
            p = subprocess.Popen([exe, '-c', content, '-s', style, '-o', out,
                                  '--model', model, '--method', 'adain'],
                                 env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True,
                                 preexec_fn=default_signals)
            caught = stop_while_loading(p, paths, time.monotonic() + 30)
            if caught:
                break
            # SIGKILL (a stopped process takes no other) leaves the
            # temporary file: remove it before the next attempt.
            p.kill()
            p.communicate()
            for f in T.leftovers(tmp, 'out.png') + ['out.png']:
                if os.path.exists(os.path.join(tmp, f)):
                    os.unlink(os.path.join(tmp, f))
        if not T.check(caught, '%s: nstyle stopped with a model file mapped '
                       '(attempt %d)' % (name, attempt)):
            continue
        in_file = os.path.basename(mapped(p.pid, paths)[0])
        T.check(bool(T.leftovers(tmp, 'out.png')),
                '%s: the temporary output file exists during the load'
                % name)
        p.send_signal(sig)
        p.send_signal(signal.SIGCONT)
        try:
            stdout, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            stdout, err = p.communicate()
        T.check(p.returncode == 130,
                '%s in the load of %s: exit 130 (%s)'
                % (name, in_file, p.returncode))
        T.check('interrupted while loading the model' in err,
                '%s: says it was interrupted while loading the model (%r)'
                % (name, err.strip()))
        T.check(err.strip().count('\n') == 0 and not stdout,
                '%s: and nothing else (no stylization started, the model '
                'not blamed)' % name)
        T.check(not os.path.exists(out) and not T.leftovers(tmp, 'out.png'),
                '%s: no output, no temporary file' % name)
    return T.finish('test_interrupt_load')


if __name__ == '__main__':
    sys.exit(main())
