"""Shared test fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests use cheap Argon2 settings (1 MiB, 1 pass) so that thousands of key derivations stay
# fast; the tests of the minimum itself remove this (and subprocesses inherit it).
os.environ.setdefault("RISKSCREEN_TEST_CHEAP_KDF", "1")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo_root() -> Path:
    """The source checkout's top folder."""
    return ROOT


@pytest.fixture
def form_file() -> Path:
    """The shipped questionnaire in the source tree."""
    return ROOT / "forms" / "cse-screening.yaml"


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the user's data and config folders at a temporary directory."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("RISKSCREEN_DB", raising=False)
    return tmp_path
