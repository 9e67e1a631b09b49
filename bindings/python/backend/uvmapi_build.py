"""The package's PEP 517 build backend, standard library only.

Why not setuptools: building a wheel with setuptools older than 70.1 needs
the separate ``wheel`` package, which a fresh venv lacks and an offline
machine cannot download; Python 3.12's venvs have no setuptools at all. This
backend needs nothing (``requires = []``), so ``pip install ./bindings/python``
works offline, with or without build isolation.

It builds a wheel of the ``uvmapi`` folder (plus a libuvmapi copied into it,
which makes the wheel platform-specific), an sdist, and an editable wheel
(PEP 660) that points at the source tree. The metadata comes from the
``[project]`` table of pyproject.toml.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import sysconfig
import tarfile
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

Settings = Optional[Dict[str, Any]]

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "uvmapi"
NATIVE = re.compile(r"^(lib)?uvmapi(\.\d+)*\.(so|dylib|dll)(\.\d+)*$")
EPOCH = (1980, 1, 1, 0, 0, 0)  # Fixed timestamps: the same sources give the same wheel.


def _project() -> Dict[str, object]:
    """The [project] table of pyproject.toml."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib  # Python 3.11 and newer.
    except ImportError:
        return parse_project_fallback(text)
    return dict(tomllib.loads(text)["project"])


def parse_project_fallback(text: str) -> Dict[str, object]:
    """Before tomllib: a reader for the `key = "value"`, `key = [...]` and
    `key = { k = "v" }` lines that this package's [project] table uses."""
    section = re.search(r"^\[project\]\s*$(.*?)(?=^\[)", text + "\n[", re.S | re.M)
    if section is None:
        raise ValueError("pyproject.toml has no [project] table")
    table: Dict[str, object] = {}
    body = re.sub(r"^\s*#.*$", "", section.group(1), flags=re.M)  # Comments may hold quotes.
    for key, value in re.findall(r'^([\w-]+)\s*=\s*(".*?"|\[.*?\]|\{.*?\})', body, re.M | re.S):
        if value.startswith('"'):
            table[key] = value[1:-1]
        elif value.startswith("["):
            table[key] = re.findall(r'"(.*?)"', value)
        else:
            table[key] = dict(re.findall(r'(\w+)\s*=\s*"(.*?)"', value))
    return table


def _metadata() -> str:
    project = _project()
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project.get('description', '')}",
    ]
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    license_ = project.get("license")
    if isinstance(license_, dict) and "text" in license_:
        lines.append(f"License: {license_['text']}")
    classifiers = project.get("classifiers", [])
    lines += [f"Classifier: {c}" for c in (classifiers if isinstance(classifiers, list) else [])]
    readme = ROOT / str(project.get("readme", "README.md"))
    if readme.exists():
        lines.append("Description-Content-Type: text/markdown")
        return "\n".join(lines) + "\n\n" + readme.read_text(encoding="utf-8")
    return "\n".join(lines) + "\n"


def _names() -> Tuple[str, str]:
    project = _project()
    return str(project["name"]).replace("-", "_"), str(project["version"])


def _package_files() -> List[Path]:
    files = []
    for path in sorted((ROOT / PACKAGE).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files.append(path)
    return files


def _tag(files: List[Path]) -> str:
    if any(NATIVE.match(path.name) for path in files):
        platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
        return f"py3-none-{platform}"
    return "py3-none-any"


class _Wheel:
    def __init__(self, directory: str, tag: str) -> None:
        name, version = _names()
        self.dist_info = f"{name}-{version}.dist-info"
        self.filename = f"{name}-{version}-{tag}.whl"
        self.tag = tag
        self._zip = zipfile.ZipFile(os.path.join(directory, self.filename), "w", zipfile.ZIP_DEFLATED)
        self._record: List[str] = []

    def add(self, arcname: str, data: bytes, executable: bool = False) -> None:
        info = zipfile.ZipInfo(arcname, EPOCH)
        info.external_attr = (0o755 if executable else 0o644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        self._zip.writestr(info, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        self._record.append(f"{arcname},sha256={digest},{len(data)}")

    def close(self) -> str:
        self.add(f"{self.dist_info}/METADATA", _metadata().encode("utf-8"))
        wheel = (
            "Wheel-Version: 1.0\nGenerator: uvmapi_build\n"
            f"Root-Is-Purelib: {'true' if self.tag.endswith('-any') else 'false'}\nTag: {self.tag}\n"
        )
        self.add(f"{self.dist_info}/WHEEL", wheel.encode())
        record = f"{self.dist_info}/RECORD"
        self._record.append(f"{record},,")
        info = zipfile.ZipInfo(record, EPOCH)
        info.external_attr = 0o644 << 16
        self._zip.writestr(info, "\n".join(self._record) + "\n")
        self._zip.close()
        return self.filename


# --- PEP 517 / PEP 660 hooks ----------------------------------------------------


def get_requires_for_build_wheel(config_settings: Settings = None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings: Settings = None) -> List[str]:
    return []


def get_requires_for_build_editable(config_settings: Settings = None) -> List[str]:
    return []


def build_wheel(wheel_directory: str, config_settings: Settings = None,
                metadata_directory: Optional[str] = None) -> str:
    files = _package_files()
    wheel = _Wheel(wheel_directory, _tag(files))
    for path in files:
        wheel.add(path.relative_to(ROOT).as_posix(), path.read_bytes(),
                  executable=bool(NATIVE.match(path.name)))
    return wheel.close()


def build_editable(wheel_directory: str, config_settings: Settings = None,
                   metadata_directory: Optional[str] = None) -> str:
    """A wheel holding only a .pth file that puts the source tree on sys.path."""
    name, _version = _names()
    wheel = _Wheel(wheel_directory, "py3-none-any")
    wheel.add(f"__editable__.{name}.pth", (str(ROOT) + "\n").encode("utf-8"))
    return wheel.close()


def build_sdist(sdist_directory: str, config_settings: Settings = None) -> str:
    name, version = _names()
    base = f"{name}-{version}"
    filename = f"{base}.tar.gz"
    members = [ROOT / "pyproject.toml", ROOT / "README.md", Path(__file__).resolve()]
    members += [p for p in _package_files() if not NATIVE.match(p.name)]  # Sources only.
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz", format=tarfile.PAX_FORMAT) as tar:
        def add(arcname: str, data: bytes) -> None:
            info = tarfile.TarInfo(f"{base}/{arcname}")
            info.size, info.mode, info.mtime = len(data), 0o644, 315532800
            tar.addfile(info, io.BytesIO(data))

        for path in members:
            add(path.relative_to(ROOT).as_posix(), path.read_bytes())
        add("PKG-INFO", _metadata().encode("utf-8"))
    return filename
