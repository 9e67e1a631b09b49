"""Runs one CLI test case: run_case.py UVMAPI_BINARY CASE. With --list it
prints every case's name; with --registry "NAMES" it checks that NAMES (the
list tests/cli/CMakeLists.txt registers) is exactly the set of cases."""

import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import clitest  # noqa: E402
from cases_commands import CASES as COMMAND_CASES  # noqa: E402
from cases_run import CASES as RUN_CASES  # noqa: E402
from cases_smtp import CASES as SMTP_CASES  # noqa: E402
from clitest import Case, Failure, check  # noqa: E402
from smtp_sink import Skipped  # noqa: E402


def install(t):
    """`cmake --install` puts the tool in bin/ and it runs from there."""
    build = os.environ.get("UVMAPI_BUILD_DIR")
    cmake = os.environ.get("CMAKE_COMMAND")
    check(build and cmake, "UVMAPI_BUILD_DIR and CMAKE_COMMAND must be set")
    prefix = tempfile.mkdtemp(prefix="uvmapi-install-", dir=t.dir)
    done = subprocess.run([cmake, "--install", build, "--prefix", prefix], capture_output=True)
    check(done.returncode == 0, f"cmake --install failed: {done.stderr.decode(errors='replace')}")
    tool = os.path.join(prefix, "bin", "uvmapi")
    check(os.access(tool, os.X_OK), f"{tool} is not installed")
    out = subprocess.run([tool, "--help"], capture_output=True)
    check(out.returncode == 0 and b"uvmapi <command>" in out.stdout, "installed uvmapi --help")


CASES = {**COMMAND_CASES, **RUN_CASES, **SMTP_CASES, "install": install}


def main():
    if len(sys.argv) == 4 and sys.argv[2] == "--registry":
        registered = set(sys.argv[3].split())
        if registered != set(CASES):
            print(f"only in the scripts: {sorted(set(CASES) - registered)}; "
                  f"only in CMake: {sorted(registered - set(CASES))}", file=sys.stderr)
            return 1
        print(f"{len(CASES)} cases, all registered")
        return 0
    if len(sys.argv) != 3:
        print("usage: run_case.py UVMAPI_BINARY CASE|--list|--registry NAMES", file=sys.stderr)
        return 2
    clitest.UVMAPI = os.path.abspath(sys.argv[1])
    name = sys.argv[2]
    if name == "--list":
        print("\n".join(sorted(CASES)))
        return 0
    if name not in CASES:
        print(f"unknown case {name!r}", file=sys.stderr)
        return 2
    t = Case()
    try:
        CASES[name](t)
    except Skipped as why:  # Only outside CI and CTest (see smtp_sink.py).
        print(f"skipped cli/{name}: {why}")
        return 0
    except Failure as failure:
        print(f"FAILED cli/{name}: {failure}", file=sys.stderr)
        for run in t.runs:  # What each spooler said, for the diagnosis.
            print(f"--- {' '.join(run.args)}:\n{run.output()}", file=sys.stderr)
        return 1
    finally:
        t.close()
    print(f"passed cli/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
