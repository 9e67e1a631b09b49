"""The package builds and installs offline: the in-tree PEP 517 backend, its
wheel, and `pip install --no-index` into a fresh venv."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile
from pathlib import Path
from types import ModuleType

import uvmapi
from uvmapi import _native

from .helpers import BINDING_DIR, unavailable


def load_backend(root: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"uvmapi_build_{id(root)}",
                                                  root / "backend" / "uvmapi_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Backend(unittest.TestCase):
    def test_the_wheel(self) -> None:
        backend = load_backend(BINDING_DIR)
        self.assertEqual(backend.get_requires_for_build_wheel(), [])
        with tempfile.TemporaryDirectory() as folder:
            name = backend.build_wheel(folder)
            self.assertEqual(name, f"uvmapi-{uvmapi.__version__}-py3-none-any.whl")
            with zipfile.ZipFile(os.path.join(folder, name)) as wheel:
                names = set(wheel.namelist())
                for module in ("__init__", "_native", "errors", "flags", "model", "runtime", "store",
                               "transport"):
                    self.assertIn(f"uvmapi/{module}.py", names)
                self.assertIn("uvmapi/py.typed", names)
                self.assertFalse([n for n in names if "__pycache__" in n or n.endswith(".pyc")])
                info = f"uvmapi-{uvmapi.__version__}.dist-info"
                metadata = wheel.read(f"{info}/METADATA").decode()
                self.assertIn(f"Version: {uvmapi.__version__}\n", metadata)
                # Every RECORD line matches the file it names.
                for line in wheel.read(f"{info}/RECORD").decode().splitlines():
                    path, digest, size = line.rsplit(",", 2)
                    if not digest:
                        continue
                    data = wheel.read(path)
                    expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
                    self.assertEqual(digest, "sha256=" + expected.decode(), path)
                    self.assertEqual(int(size), len(data), path)

    def test_the_sdist_builds_the_same_wheel(self) -> None:
        backend = load_backend(BINDING_DIR)
        with tempfile.TemporaryDirectory() as folder:
            name = backend.build_sdist(folder)
            with tarfile.open(os.path.join(folder, name)) as sdist:
                if hasattr(tarfile, "data_filter"):  # 3.12 warns without a filter.
                    sdist.extractall(folder, filter="data")  # type: ignore[call-arg]
                else:
                    sdist.extractall(folder)
            unpacked = Path(folder) / name[: -len(".tar.gz")]
            self.assertTrue((unpacked / "PKG-INFO").exists())
            out = Path(folder) / "out"
            out.mkdir()
            rebuilt = load_backend(unpacked).build_wheel(str(out))
            direct = backend.build_wheel(folder)
            self.assertEqual(rebuilt, direct)
            # Fixed timestamps: the same sources give the same bytes.
            self.assertEqual((out / rebuilt).read_bytes(), (Path(folder) / direct).read_bytes())

    def test_a_wheel_carrying_the_library_is_platform_specific(self) -> None:
        library = os.environ.get("UVMAPI_LIBRARY")
        if not library:
            unavailable(self, "UVMAPI_LIBRARY is not set")
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / "src"
            shutil.copytree(BINDING_DIR, root, ignore=shutil.ignore_patterns("__pycache__", "tests"))
            shutil.copy(library, root / "uvmapi" / _native.file_names()[0])
            name = load_backend(root).build_wheel(folder)
            self.assertNotIn("-any.whl", name)
            with zipfile.ZipFile(os.path.join(folder, name)) as wheel:
                self.assertIn(f"uvmapi/{_native.file_names()[0]}", wheel.namelist())

    def test_the_fallback_reader_agrees_with_tomllib(self) -> None:
        try:
            import tomllib
        except ImportError:
            unavailable(self, "tomllib arrived in Python 3.11")
        text = (BINDING_DIR / "pyproject.toml").read_text()
        backend = load_backend(BINDING_DIR)
        self.assertEqual(backend.parse_project_fallback(text), dict(tomllib.loads(text)["project"]))


class OfflineInstall(unittest.TestCase):
    def test_pip_install_into_a_fresh_venv_without_the_network(self) -> None:
        library = os.environ.get("UVMAPI_LIBRARY")
        if not library:
            unavailable(self, "UVMAPI_LIBRARY is not set")
        with tempfile.TemporaryDirectory() as folder:
            venv = Path(folder) / "venv"
            made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True,
                                  text=True, timeout=300)
            if made.returncode != 0:
                unavailable(self, f"this Python cannot make a venv with pip: {made.stderr.strip()}")
            python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
            env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_FIND_LINKS")}
            env["PIP_NO_INDEX"] = "1"  # Offline: a download attempt fails the test.
            installed = subprocess.run(
                [str(python), "-m", "pip", "install", "--no-index", str(BINDING_DIR)],
                capture_output=True, text=True, timeout=300, env=env, cwd=folder,
            )
            self.assertEqual(installed.returncode, 0, installed.stdout + installed.stderr)
            code = (
                "import uvmapi\n"
                "assert 'site-packages' in uvmapi.__file__, uvmapi.__file__\n"
                "with uvmapi.Runtime() as runtime:\n"
                "    outcome = runtime.open_store('s').logoff(uvmapi.Logoff.ORDERLY, timeout=10)\n"
                "print(uvmapi.version(), outcome.released)\n"
            )
            ran = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=60,
                                 env=dict(env, UVMAPI_LIBRARY=library), cwd=folder)
            self.assertEqual(ran.returncode, 0, ran.stderr)
            self.assertEqual(ran.stdout.split(), [uvmapi.version(), "True"])


if __name__ == "__main__":
    unittest.main()
