"""Render the referral summary for every golden case in tests/cases/ (written with the engine).

Each case holding an answer set (at the top level, or under ``answers_file``/``input``/
``answer_set``) is scored, routed and rendered; the PDF must name the level, the destination
and its contacts, and every indicator present. Skipped until the cases and engine exist.
"""

from __future__ import annotations

import importlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from riskscreen.forms.answers import AnswerSet, check_answers
from riskscreen.forms.loader import load_form
from riskscreen.routing import load_routing, route
from riskscreen.summary import build_summary, render_pdf_bytes
from riskscreen.summary.build import _shown

CASES = Path(__file__).resolve().parents[1] / "cases"


def _answer_data(data: Any, where: Path) -> dict[str, Any] | None:
    if not isinstance(data, dict):
        return None
    if {"form", "form_version", "screening_date", "answers"} <= data.keys():
        return data
    for key in ("answer_set", "input", "answers_set"):
        found = _answer_data(data.get(key), where)
        if found is not None:
            return found
    ref = data.get("answers_file")
    if isinstance(ref, str):
        return _answer_data(json.loads((where.parent / ref).read_text(encoding="utf-8")), where)
    return None


def _cases() -> list[Path]:
    return sorted(CASES.rglob("*.json")) if CASES.is_dir() else []


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("case", _cases() or [pytest.param(None, marks=pytest.mark.skip(
    reason="no golden cases in tests/cases yet"))], ids=lambda p: p.stem if p else "none")
def test_golden_case_summary(case: Path) -> None:
    engine: Any = pytest.importorskip("riskscreen.scoring.engine")
    scoring_loader: Any = importlib.import_module("riskscreen.scoring.loader")
    data = _answer_data(json.loads(case.read_text(encoding="utf-8")), case)
    if data is None:
        pytest.skip("not an answers case")
    answer_set = AnswerSet.model_validate(data)
    form = load_form(answer_set.form)
    if check_answers(form, answer_set):
        pytest.skip("case of invalid answers")
    model = scoring_loader.load_model(answer_set.form, form)
    assessment = engine.score(form, model, answer_set)
    table = load_routing()
    r = route(assessment, table)
    assert r.destination.id == table.levels[assessment.final_level].by_concern.get(
        r.concern or "", table.levels[assessment.final_level].destination)
    from datetime import datetime

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
