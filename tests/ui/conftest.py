"""Fixtures for the GUI tests: the shipped form, its model, and a fast encrypted database."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import date

import pytest

from riskscreen.forms.loader import load_form
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.loader import load_model
from riskscreen.scoring.model import ScoringModel

SCREENING_DATE = date(2026, 3, 2)


@pytest.fixture(scope="session")
def form() -> FormDefinition:
    """The shipped questionnaire."""
    return load_form("cse-screening")


@pytest.fixture(scope="session")
def model(form: FormDefinition) -> ScoringModel:
    """The shipped scoring model."""
    return load_model("cse-screening", form)


#: Harmless messages of Qt's offscreen platform, which has no window manager.
OFFSCREEN_NOISE = ("This plugin does not support",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every GUI test ignores the offscreen platform's notices (and nothing else)."""
    here = __file__.rsplit("/", 1)[0]
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE))


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread() -> Iterator[None]:
    """Free each test's leftover cycles here, on the GUI thread, before the next test starts
    workers (the application collects from a GUI-thread timer; tests may not run it long)."""
    yield
    gc.collect()
