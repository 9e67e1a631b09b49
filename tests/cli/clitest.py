"""The harness of the `uvmapi` CLI tests: a fresh temporary directory per
case, the tool run as a subprocess, condition waits with deadlines, and every
child process killed at the end whatever happens."""

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

UVMAPI = None  # Path of the built tool, set by run_case.py.

_children = []


def _kill_children():
    for child in _children:
        if child.poll() is None:
            try:
                child.kill()
                child.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass


atexit.register(_kill_children)


def _on_term(signum, frame):  # CTest's timeout, or a Ctrl-C: children go too.
    _kill_children()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_term)
signal.signal(signal.SIGINT, _on_term)


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Case:
    """One case's world: a temporary directory and the processes it started."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="uvmapi-cli-")
        self.runs = []
        self.closers = []  # What else the case started (a server), closed after the runs.

    def close(self):
        for run in self.runs:
            run.kill()
        for closer in self.closers:
            closer()
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    # --- One-shot commands ---------------------------------------------------

    def tool(self, *args, stdin=None, env=None, timeout=30):
        """Runs uvmapi with args; returns (exit code, stdout, stderr)."""
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        done = subprocess.run([UVMAPI, *args], input=stdin, capture_output=True,
                              env=full_env, timeout=timeout)
        return done.returncode, done.stdout.decode(errors="replace"), \
            done.stderr.decode(errors="replace")

    def ok(self, *args, **kwargs):
        code, out, err = self.tool(*args, **kwargs)
        check(code == 0, f"uvmapi {' '.join(args)}: exit {code}, stderr: {err!r}")
        return out

    def fails(self, expected_code, *args, stderr_has=None, **kwargs):
        """Runs a command that must fail with one clear line on stderr."""
        code, out, err = self.tool(*args, **kwargs)
        check(code == expected_code,
              f"uvmapi {' '.join(args)}: exit {code}, expected {expected_code}; stderr {err!r}")
        lines = err.strip().splitlines()
        check(len(lines) == 1, f"uvmapi {' '.join(args)}: expected one line on stderr, got {err!r}")
        if stderr_has is not None:
            check(stderr_has.lower() in err.lower(),
                  f"uvmapi {' '.join(args)}: stderr {err!r} does not say {stderr_has!r}")
        return err

    def init(self, name, address=None, root=None):
        args = ["init", self.path(name)]
        if address:
            args += ["--shared-root", root or self.path("shared"), "--address", address]
        self.ok(*args)
        return self.path(name)

    def submit(self, store, sender, recipients, content):
        args = ["submit", store, "--from", sender]
        for to in recipients:
            args += ["--to", to]
        return self.ok(*args, stdin=content)

    def status(self, store):
        out = self.ok("status", store, "--json")
        try:
            return json.loads(out)
        except json.JSONDecodeError as error:
            raise Failure(f"status --json printed no JSON ({error}): {out!r}")

    def counts(self, store):
        folders = self.status(store)["folders"]
        return folders["Inbox"], folders["Outbox"], folders["Sent Items"]

    # --- The long-running spooler ---------------------------------------------

    def start_run(self, store, address, *extra, env=None, root=None):
        run = Run(self, store, address, root or self.path("shared"), extra, env)
        self.runs.append(run)
        return run

    def start_smtp_run(self, store, url, *extra, env=None):
        """A run with the SMTP transport alone, in plain text."""
        run = Run(self, store, None, None, ("--smtp", url, "--smtp-tls", "none", *extra), env)
        self.runs.append(run)
        return run


class Run:
    """A `uvmapi run` child whose stdout and stderr go to a log file. Without
    an address it has no shared directory (extra then names --smtp)."""

    def __init__(self, case, store, address, root, extra, env):
        self.log_path = os.path.join(case.dir, f"run-{len(case.runs)}.log")
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        self.log = open(self.log_path, "wb")
        shared = ["--address", address, "--shared-root", root] if address else []
        self.args = [UVMAPI, "run", store, *shared, "--scan-interval", "100", *extra]
        self.process = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT,
                                        env=full_env)
        _children.append(self.process)

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_output(self, text, timeout=20):
        wait_for(lambda: text in self.output() or self.process.poll() is not None,
                 timeout, f"'{text}' in the output of {' '.join(self.args)}")
        check(text in self.output(),
              f"run exited ({self.process.returncode}) before printing {text!r}:\n{self.output()}")

    def wait_running(self):
        self.wait_output("running: store")

    def signal(self, signum):
        check(self.process.poll() is None, f"run exited early:\n{self.output()}")
        self.process.send_signal(signum)

    def wait_exit(self, timeout=30):
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f"run did not exit within {timeout} s:\n{self.output()}")
        self.log.close()
        return code

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if not self.log.closed:
            self.log.close()


def wait_for(condition, timeout, what):
    """Polls condition until it holds; fails naming what after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def files_in(directory):
    try:
        return sorted(name for name in os.listdir(directory) if not name.startswith("."))
    except FileNotFoundError:
        return []


def message(subject, sender="alice", to="bob", body="Hello.\n"):
    return f"From: {sender}\nTo: {to}\nSubject: {subject}\n\n{body}".encode()


def tree(directory):
    """Every path under directory with its size and bytes, to prove nothing changed."""
    snapshot = {}
    for base, dirs, files in os.walk(directory):
        for name in dirs:
            snapshot[os.path.join(base, name)] = None
        for name in files:
            path = os.path.join(base, name)
            with open(path, "rb") as f:
                snapshot[path] = f.read()
    return snapshot
