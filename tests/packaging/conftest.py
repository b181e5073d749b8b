"""The packaging test builds the whole application (minutes), so it runs only when asked.

Without ``RISKSCREEN_PACKAGE_TEST=1`` the tests in this folder are *deselected* (pytest's
summary line says "N deselected"), not skipped: nothing here pretends to have run. With it:

    RISKSCREEN_PACKAGE_TEST=1 .venv/bin/python -m pytest tests/packaging

See packaging/README.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ENABLED = os.environ.get("RISKSCREEN_PACKAGE_TEST") == "1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "package: builds the packaged application (only with RISKSCREEN_PACKAGE_TEST=1)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ENABLED:
        return
    ours = [item for item in items if HERE in Path(str(item.path)).resolve().parents]
    if ours:
        config.hook.pytest_deselected(items=ours)
        items[:] = [item for item in items if item not in ours]
