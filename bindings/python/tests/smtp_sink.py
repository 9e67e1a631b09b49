"""A real SMTP server for the tests: Postfix's smtp-sink on a free loopback
port, every message dumped to a file of its own, and a port where nothing
listens."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List, Optional

# How long a wait for the server may take before it counts as a failure.
PATIENCE = 10.0
# How often a wait looks at its condition again.
POLL = 0.01


def strict() -> bool:
    """Under CI (CI=true) or CTest (UVMAPI_TESTS_STRICT=1) a missing
    smtp-sink fails the test: a skip would pass a test that never ran."""
    return os.environ.get("CI") == "true" or os.environ.get("UVMAPI_TESTS_STRICT") == "1"


def find_smtp_sink() -> Optional[str]:
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


def require_smtp_sink(test) -> str:
    """The path of smtp-sink, or the test is skipped (failed when strict)."""
    program = find_smtp_sink()
    if program is None:
        why = "smtp-sink (Postfix) is not installed"
        if strict():
            test.fail(f"{why}, and CI=true or UVMAPI_TESTS_STRICT=1 forbids skipping")
        test.skipTest(why)
    return program


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def refusing_port() -> socket.socket:
    """A loopback socket bound but not listening: connections to its port
    are refused, and nobody else takes the port while it is open."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    return holder


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class SmtpSink:
    """smtp-sink as a context manager: ``url`` to send to, ``dumps()`` the
    messages it took."""

    def __init__(self, program: str) -> None:
        self.program = program
        self.dir = Path(tempfile.mkdtemp(prefix="uvmapi-py-sink-"))
        # smtp-sink drops to "nobody" when started as root, which must write here.
        os.chmod(self.dir, 0o777)
        self.process: Optional[subprocess.Popen] = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> "SmtpSink":
        for _ in range(5):  # Another program may take a free port first.
            if self._start_on(free_port()):
                return self
        self.__exit__()
        raise RuntimeError(f"could not start {self.program} on a free loopback port")

    def _start_on(self, port: int) -> bool:
        command = [self.program]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command += ["-u", "nobody"]  # It refuses to keep root privileges.
        command += ["-d", f"{self.dir}/%M.", f"127.0.0.1:{port}", "10"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                return False
            if accepts_connections(port):
                self.port = port
                return True
            time.sleep(POLL)
        raise RuntimeError(f"{self.program} did not accept connections within {PATIENCE} s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=PATIENCE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            if self.process.stderr:
                self.process.stderr.close()
            self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def dumps(self) -> List[str]:
        return sorted(p.read_text(errors="replace") for p in self.dir.iterdir() if not p.name.startswith("."))

    def wait_for(self, count: int, timeout: float = PATIENCE) -> List[str]:
        """The dumped messages once there are count of them (or the timeout)."""
        deadline = time.monotonic() + timeout
        found = self.dumps()
        while len(found) != count and time.monotonic() < deadline:
            time.sleep(POLL)
            found = self.dumps()
        return found
