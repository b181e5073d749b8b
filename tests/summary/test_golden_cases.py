"""Render the referral summary for every golden case in tests/cases/ (written with the engine).

Each case is scored, routed and rendered; the PDF must name the level, the destination and its
contacts, every indicator present, and carry the marking and page numbers on every page.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from riskscreen.forms.answers import AnswerSet, check_answers
from riskscreen.forms.loader import load_form
from riskscreen.routing import load_routing, route
from riskscreen.scoring.engine import score
from riskscreen.scoring.loader import load_model, shipped_model_versions
from riskscreen.summary import build_summary, render_pdf_bytes
from riskscreen.summary.build import _shown

CASES = Path(__file__).resolve().parents[1] / "cases"
#: The cases are rendered with the newest shipped model, which new screenings use.
NEWEST = shipped_model_versions("cse-screening")[-1]


def _cases() -> list[Path]:
    """The golden cases for the newest model: tests/cases, plus its own folder if any.

    tests/cases/<version>/ holds the expectations that differ from 1.0.0's for that version
    and its own cases (see tests/scoring/test_golden_cases.py).
    """
    own = CASES / NEWEST
    found = [p for folder in (CASES, own) for p in folder.glob("*.json")
             if not p.name.endswith(".expected.json")]
    return sorted(found, key=lambda p: p.name)


def _expected(case: Path) -> dict[str, Any]:
    name = case.stem + ".expected.json"
    own = CASES / NEWEST / name
    expected: dict[str, Any] = json.loads(
        (own if own.is_file() else CASES / name).read_text(encoding="utf-8"))
    return expected


def test_there_are_golden_cases() -> None:
    assert len(_cases()) >= 12


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.stem)
def test_golden_case_summary(case: Path) -> None:
    answer_set = AnswerSet.model_validate_json(case.read_text(encoding="utf-8"))
    expected = _expected(case)
    form = load_form(answer_set.form)
    assert check_answers(form, answer_set) == []
    model = load_model(answer_set.form, form)
    assert model.version == NEWEST
    assessment = score(form, model, answer_set)
    assert assessment.level == expected["level"]
    table = load_routing()
    r = route(assessment, table)
    assert r.destination.id == table.levels[assessment.final_level].by_concern.get(
        r.concern or "", table.levels[assessment.final_level].destination)
    summary = build_summary(form, answer_set, assessment, r, reference="RS-GOLDEN",
                            generated_at=datetime(2026, 1, 1, 9, 0),
                            fields=table.summary_fields, concern_labels=table.concerns)
    reader = PdfReader(io.BytesIO(render_pdf_bytes(summary)))
    texts = [p.extract_text() or "" for p in reader.pages]
    whole = _flat(" ".join(texts))
    assert summary.level.words in whole
    assert r.destination.name in whole
    assert r.destination.secure_email in whole
    assert r.destination.phone in whole
    for c in assessment.contributions:
        if _shown(c):
            assert _flat(c.label)[:60] in whole, c.question
    for i, text in enumerate(texts, start=1):
        assert f"Page {i} of {len(texts)}" in text
        assert text.count("OFFICIAL-SENSITIVE") == 2
