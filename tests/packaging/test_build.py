"""Build the packaged application with packaging/build.py and smoke-test it (``--self-test``).

Runs only with ``RISKSCREEN_PACKAGE_TEST=1`` (see conftest.py here): a build takes a few
minutes, most of it PyInstaller's analysis.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from riskscreen.selftest import CHECKS

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "packaging" / "dist"
APP = DIST / "riskscreen"
SIZE_BUDGET_MIB = 300  # measured 234 MiB on Linux; a jump means something unwanted came in

pytestmark = pytest.mark.package


@pytest.fixture(scope="module")
def build() -> dict[str, object]:
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py")], cwd=ROOT,
                            capture_output=True, text=True, timeout=1800, check=False)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    info: dict[str, object] = json.loads((DIST / "build-info.json").read_text())
    return info


def test_packaged_self_test_passes(build: dict[str, object]) -> None:
    assert build["smoke_test_exit"] == 0
    output = str(build["smoke_test_output"])
    assert "(packaged," in output
    for name, _ in CHECKS:
        assert f"ok     {name}: " in output, output
    assert f"self-test passed: {len(CHECKS)} check(s)" in output


def test_packaged_application_starts(build: dict[str, object]) -> None:
    assert build["start_test_ok"] is True, build["start_test_detail"]


def test_folder_holds_the_data_and_not_the_unused_qt(build: dict[str, object]) -> None:
    files = {p.relative_to(APP).as_posix() for p in APP.rglob("*") if p.is_file()}
    defs = "_internal/riskscreen/_defs"
    for wanted in (f"{defs}/forms/cse-screening/form.yaml",
                   f"{defs}/forms/cse-screening/routing.yaml",
                   f"{defs}/forms/cse-screening/instrument.yaml",
                   f"{defs}/forms/cse-screening/README.md",
                   f"{defs}/resources/fonts/DejaVuSans.ttf", f"{defs}/resources/icons/app.png",
                   "_internal/riskscreen/store/migrations/env.py"):
        assert wanted in files, wanted
    assert any(f.startswith(f"{defs}/forms/cse-screening/scoring/") and f.endswith(".yaml")
               for f in files)
    assert any("pdfium" in f for f in files)
    unwanted = ("QtNetwork", "QtQml", "QtQuick", "QtWebEngine", "Qt3D", "QtMultimedia", "QtSql",
                "/translations/", "libqgtk3", "tkinter", "pytest", "hypothesis")
    found = sorted(f for f in files if any(u in f for u in unwanted))
    assert not found, found


def test_folder_size_is_within_budget(build: dict[str, object]) -> None:
    size = build["size_mib"]
    assert isinstance(size, float)
    assert size < SIZE_BUDGET_MIB, f"{size} MiB"
