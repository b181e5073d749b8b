"""The core never imports Qt, and each layer imports only those below it.

Checked twice: in a fresh interpreter that imports every module of the core, and by
import-linter's contracts in ``pyproject.toml`` (the ``layers`` contract and the forbidden Qt
one), run here as well as by ``dev.py test``.
"""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import riskscreen

ROOT = Path(__file__).resolve().parents[1]

#: Everything but the GUI, the installation self-test (which opens a window), the entry point
#: (which starts the application when imported) and the migration scripts (Alembic runs them).
NOT_CORE = ("riskscreen.ui", "riskscreen.selftest", "riskscreen.__main__",
            "riskscreen.store.migrations.")


def _core_modules() -> list[str]:
    names = ["riskscreen"]
    for info in pkgutil.walk_packages(riskscreen.__path__, "riskscreen."):
        if not info.name.startswith(NOT_CORE):
            names.append(info.name)
    return sorted(names)


def test_every_core_package_is_walked() -> None:
    packages = {m.split(".")[1] for m in _core_modules() if "." in m}
    assert {"checks", "cli", "conditions", "crypto", "definitions", "errorlog", "forms",
            "instruments", "intel", "routing", "scoring", "services", "store", "summary",
            "synthetic"} <= packages


def test_every_package_is_in_the_import_contracts() -> None:
    """A new package is checked only once the contracts name it: each must be a layer, and
    each but the GUI, the command line and the self-test (which start the GUI) must be in
    the forbidden-Qt contract."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))[
        "tool"]["importlinter"]["contracts"]
    forbidden = next(c for c in contracts if c["type"] == "forbidden")
    layers = next(c for c in contracts if c["type"] == "layers")
    layered = {name.strip() for layer in layers["layers"] for name in re.split(r"[|:]", layer)}
    top = {f"riskscreen.{m.name}" for m in pkgutil.iter_modules(riskscreen.__path__)
           if m.name != "_defs"}  # _defs holds the shipped definitions as data, no code
    assert top - layered == set()
    assert top - set(forbidden["source_modules"]) == {
        "riskscreen.__main__", "riskscreen.cli", "riskscreen.selftest", "riskscreen.ui"}


def test_core_import_does_not_load_qt() -> None:
    code = (
        "import importlib, sys\n"
        f"for m in {_core_modules()!r}:\n"
        "    importlib.import_module(m)\n"
        "from riskscreen.cli.main import build_parser\n"
        "build_parser()\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('PySide6', 'riskscreen.ui')))\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_import_contracts_are_kept() -> None:
    code = ("import sys\nfrom importlinter.cli import lint_imports\n"
            "sys.exit(lint_imports(no_cache=True))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=False)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-1000:]
    assert "Layers: the GUI over the services over the domain core KEPT" in out.stdout
    assert "The core never imports Qt KEPT" in out.stdout
