"""The core never imports Qt: checked in a fresh interpreter and by import-linter's contract."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "riskscreen.forms.loader", "riskscreen.forms.answers", "riskscreen.checks",
    "riskscreen.scoring.assessment", "riskscreen.cli.main",
]


def test_core_import_does_not_load_qt() -> None:
    code = (
        "import importlib, sys\n"
        f"for m in {CORE!r}:\n"
        "    try:\n"
        "        importlib.import_module(m)\n"
        "    except ModuleNotFoundError:\n"
        "        raise\n"
        "from riskscreen.cli.main import build_parser\n"
        "build_parser()\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('PySide6', 'riskscreen.ui')))\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
