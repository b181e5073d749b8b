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

import pytest
from pypdf import PdfReader

from riskscreen.forms.answers import AnswerSet, check_answers
from riskscreen.forms.loader import load_form
from riskscreen.routing import load_routing, route
from riskscreen.scoring.engine import score
from riskscreen.scoring.loader import load_model
from riskscreen.summary import build_summary, render_pdf_bytes
from riskscreen.summary.build import _shown

CASES = Path(__file__).resolve().parents[1] / "cases"


def _cases() -> list[Path]:
    return sorted(p for p in CASES.glob("*.json") if not p.name.endswith(".expected.json"))


def test_there_are_golden_cases() -> None:
    assert len(_cases()) >= 12


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.stem)
def test_golden_case_summary(case: Path) -> None:
    answer_set = AnswerSet.model_validate_json(case.read_text(encoding="utf-8"))
    expected = json.loads(case.with_name(case.stem + ".expected.json").read_text("utf-8"))
    form = load_form(answer_set.form)
    assert check_answers(form, answer_set) == []
    model = load_model(answer_set.form, form)
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
