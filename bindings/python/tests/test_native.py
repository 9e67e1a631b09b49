"""The ctypes layer against the C headers: every exported function has a
prototype, every value matches its #define, and the library is found where
the binding says it looks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import uvmapi
from uvmapi import Flush, Logoff, Notify, TransportLogoff, _native
from uvmapi import flags as flag_values

from .helpers import BINDING_DIR, REPO_DIR, unavailable

HEADERS = REPO_DIR / "capi" / "include" / "uvmapi"


def header_text() -> str:
    return "\n".join(path.read_text() for path in sorted(HEADERS.glob("*.h")))


class Prototypes(unittest.TestCase):
    def test_every_exported_function_is_declared(self) -> None:
        text = header_text()
        declared = set(re.findall(r"UVMAPI_EXTERN\s+[\w\s\*]*?\b(uvmapi_\w+)\s*\(", text))
        self.assertGreater(len(declared), 30)
        self.assertEqual(declared, set(_native.FUNCTIONS))
        lib = _native.lib()
        for name in sorted(declared):
            with self.subTest(function=name):
                function = getattr(lib, name)
                self.assertIsNotNone(function.argtypes, name)
                self.assertEqual(function.argtypes, _native.FUNCTIONS[name][1])
                self.assertIs(function.restype, _native.FUNCTIONS[name][0])

    def test_every_exported_iid_is_known(self) -> None:
        declared = set(re.findall(r"UVMAPI_EXTERN\s+const\s+uvmapi_iid\s+(uvmapi_\w+)\s*;", header_text()))
        self.assertEqual(declared, set(_native.IIDS))
        iids = {name: _native.iid(name) for name in declared}
        self.assertEqual(len(set(iids.values())), len(iids))  # All distinct.

    def test_values_match_the_defines(self) -> None:
        define = r"#\s*define\s+(\w+)\s+(?:UVMAPI_HR\()?(0x[0-9A-Fa-f]+)u?\)?"
        defines = {name: int(value, 16) for name, value in re.findall(define, header_text())}
        checked = 0
        for enum, prefix in ((Logoff, "LOGOFF_"), (Flush, "FLUSH_"), (Notify, "NOTIFY_")):
            for member in enum:
                self.assertEqual(defines[prefix + str(member.name)], member.value, member)
                checked += 1
        for member in TransportLogoff:
            self.assertEqual(defines["LOGOFF_" + str(member.name)], member.value)
        for name in dir(flag_values):
            if name.startswith("MAPI_E_"):
                self.assertEqual(flag_values.hresult(defines[name]), getattr(flag_values, name), name)
                checked += 1
        self.assertGreater(checked, 30)
        # Every LOGOFF_/FLUSH_/NOTIFY_ define has its member.
        for name in defines:
            for enum, prefix in ((Flush, "FLUSH_"), (Notify, "NOTIFY_")):
                if name.startswith(prefix):
                    self.assertIn(name[len(prefix):], enum.__members__, name)

    def test_versions(self) -> None:
        self.assertEqual(uvmapi.version().split(".")[0], str(_native.ABI_MAJOR))
        self.assertEqual(_native.lib().uvmapi_version() >> 16, _native.ABI_MAJOR)


class Lookup(unittest.TestCase):
    """Run in a fresh interpreter each, since the library loads once."""

    def run_python(self, code: str, env: dict, cwd: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd,
                              capture_output=True, text=True, timeout=60)

    def test_uvmapi_library_must_be_right(self) -> None:
        env = dict(os.environ, UVMAPI_LIBRARY="/nonexistent/libuvmapi.so", PYTHONPATH=str(BINDING_DIR))
        done = self.run_python("import uvmapi; uvmapi.Runtime()", env, str(BINDING_DIR))
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("UVMAPI_LIBRARY", done.stderr)
        self.assertIn("/nonexistent/libuvmapi.so", done.stderr)

    def test_next_to_the_package(self) -> None:
        library = os.environ.get("UVMAPI_LIBRARY")
        if not library:
            unavailable(self, "UVMAPI_LIBRARY is not set: nothing to copy next to the package")
        with tempfile.TemporaryDirectory() as folder:
            package = Path(folder) / "uvmapi"
            shutil.copytree(BINDING_DIR / "uvmapi", package)
            # As an installer would: under the SONAME-style name the binding looks for.
            shutil.copy(library, package / _native.file_names()[0])
            env = {k: v for k, v in os.environ.items() if k != "UVMAPI_LIBRARY"}
            env["PYTHONPATH"] = folder
            done = self.run_python(
                "import uvmapi; print(uvmapi._native.lib()._name); print(uvmapi.version())", env, folder
            )
            self.assertEqual(done.returncode, 0, done.stderr)
            loaded, version = done.stdout.split()
            self.assertTrue(loaded.startswith(str(package)), loaded)
            self.assertEqual(version, uvmapi.version())


if __name__ == "__main__":
    unittest.main()
