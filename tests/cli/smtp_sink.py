"""A real SMTP server for the CLI cases: Postfix's smtp-sink on a free
loopback port, every message dumped to a file of its own, and a port where
nothing listens. A case that needs smtp-sink where it is missing is skipped,
or fails under CI=true or UVMAPI_TESTS_STRICT=1 (CTest sets the latter)."""

import os
import shutil
import socket
import subprocess
import tempfile

from clitest import Failure, _children, files_in, wait_for


class Skipped(Exception):
    """The case cannot run here; run_case.py reports it as skipped."""


def strict():
    return os.environ.get("CI") == "true" or os.environ.get("UVMAPI_TESTS_STRICT") == "1"


def find_smtp_sink():
    chosen = os.environ.get("UVMAPI_SMTP_SINK")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    found = shutil.which("smtp-sink")
    if found:
        return found
    for place in ("/usr/sbin/smtp-sink", "/usr/local/sbin/smtp-sink", "/opt/homebrew/sbin/smtp-sink"):
        if os.access(place, os.X_OK):
            return place
    return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def refusing_port():
    """A loopback socket bound but not listening: connections to its port are
    refused, and nobody else takes the port while the socket is open."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    return holder


def _accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class SmtpSink:
    """smtp-sink for one case: started by start(), stopped by close()."""

    def __init__(self, case, verbose=False):
        program = find_smtp_sink()
        if program is None:
            why = "smtp-sink (Postfix) is not installed"
            if strict():
                raise Failure(f"{why}, and CI=true or UVMAPI_TESTS_STRICT=1 forbids skipping")
            raise Skipped(why)
        self.program = program
        # Not under the case's directory: smtp-sink drops to "nobody" when
        # started as root, and nobody may not enter a private temporary dir.
        self.dir = tempfile.mkdtemp(prefix="uvmapi-cli-sink-")
        os.chmod(self.dir, 0o777)
        self.process = None
        self.port = 0
        # With verbose, smtp-sink logs every command it gets (-v) here.
        self.verbose = verbose
        self.log_path = case.path("smtp-sink.log")
        case.closers.append(self.close)
        for _ in range(5):  # Another program may take a free port first.
            if self._start_on(free_port()):
                return
        raise Failure(f"could not start {program} on a free loopback port")

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def _start_on(self, port):
        command = [self.program]
        if os.geteuid() == 0:
            command += ["-u", "nobody"]  # It refuses to keep root privileges.
        if self.verbose:
            command.append("-v")
        command += ["-d", f"{self.dir}/%M.", f"127.0.0.1:{port}", "10"]
        with open(self.log_path, "ab") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _children.append(process)
        wait_for(lambda: process.poll() is not None or _accepts(port), 20,
                 f"smtp-sink to accept connections on port {port}")
        if process.poll() is not None:
            return False
        self.process = process
        self.port = port
        return True

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def dumps(self):
        found = []
        for name in files_in(self.dir):
            with open(os.path.join(self.dir, name), "rb") as f:
                found.append(f.read().decode(errors="replace"))
        return found

    def wait_for(self, count, timeout=20):
        wait_for(lambda: len(files_in(self.dir)) >= count, timeout,
                 f"{count} messages dumped by smtp-sink")
        return self.dumps()

    def close(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
