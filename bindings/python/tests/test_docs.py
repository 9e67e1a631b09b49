"""docs/python.md's example is examples/quickstart.py, verbatim, and it runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unittest

from .helpers import BINDING_DIR, REPO_DIR

DOC = REPO_DIR / "docs" / "python.md"
EXAMPLE = BINDING_DIR / "examples" / "quickstart.py"
MARKER = "<!-- example: bindings/python/examples/quickstart.py -->"


class Quickstart(unittest.TestCase):
    def test_the_doc_shows_the_example_verbatim(self) -> None:
        text = DOC.read_text(encoding="utf-8")
        self.assertIn(MARKER, text)
        block = re.search(re.escape(MARKER) + r"\s*```python\n(.*?)```", text, re.S)
        assert block is not None, "no ```python block after the marker"
        self.assertEqual(block.group(1), EXAMPLE.read_text(encoding="utf-8"))

    def test_the_example_runs(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(BINDING_DIR))
        done = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True,
                              text=True, timeout=60, cwd=str(BINDING_DIR))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(
            done.stdout.splitlines(),
            [
                "sending to bob@example.org: 31 bytes",
                "sent items: 1",
                "logoff: COMPLETE released: True",
                "after logoff: MAPI_E_INVALID_OBJECT",
                "async logoff: COMPLETE",
            ],
        )
        self.assertEqual(done.stderr, "")


if __name__ == "__main__":
    unittest.main()
