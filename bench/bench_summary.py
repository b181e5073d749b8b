"""Benchmark: time to build one referral summary PDF for a typical screening.

Target: median under 150 ms. One run = route + build_summary + render_pdf_bytes
(reportlab layout, font subsetting, page X of Y), on a typical screening of the shipped form:
every indicator answered, a few present, short free text, about five pages. The first run,
which also loads the fonts, is reported separately.

    python -m bench --only summary
"""

from __future__ import annotations

import importlib
import statistics
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from riskscreen.forms.answers import AnswerSet, check_answers
from riskscreen.forms.loader import load_form
from riskscreen.forms.model import FormDefinition, QuestionType
from riskscreen.routing import load_routing, route
from riskscreen.summary import Referrer, build_summary, render_pdf_bytes

RUNS = 20
TARGET_MS = 150.0

PRESENT = {"missing_overnight": "yes", "online_grooming": "recent",
           "asked_for_sexual_images": "recent", "older_associates": "both",
           "trusted_adult": "yes", "family_support": "no", "mental_health_concerns": "yes"}
TEXT = {
    "child_name": "Alex Example", "date_of_birth": "2011-09-14", "practitioner_role": "DSL",
    "screening_reason_detail": "Seen being collected from school by an unknown adult. " * 4,
    "consent_given_by": "Parent", "child_views": "I just want things to be normal. " * 6,
    "practitioner_analysis": "Online contact and missing episodes point to grooming. " * 8,
}


def typical_answers(form: FormDefinition) -> AnswerSet:
    """A complete, plausible screening: indicators mostly 'no', a handful present."""
    answers: dict[str, Any] = {}
    for q in form.questions():
        allowed = q.allowed_values()
        if q.id in PRESENT:
            answers[q.id] = PRESENT[q.id]
        elif q.id in TEXT:
            answers[q.id] = TEXT[q.id]
        elif q.type is QuestionType.INDICATOR:
            answers[q.id] = "no"
        elif q.type is QuestionType.TIME_WINDOW:
            answers[q.id] = "none"
        elif q.type is QuestionType.SINGLE_CHOICE and allowed:
            answers[q.id] = allowed[0]
        elif q.type is QuestionType.MULTIPLE_CHOICE and allowed:
            answers[q.id] = [allowed[0]]
        elif q.type is QuestionType.NUMBER:
            answers[q.id] = max(q.minimum or 0, 1)
        elif q.type is QuestionType.DATE:
            answers[q.id] = "2026-01-10"
        elif q.required:
            answers[q.id] = "Recorded for the benchmark."
    answer_set = AnswerSet(form=form.id, form_version=form.version,
                           screening_date=date(2026, 3, 1), answers=answers)
    # Drop answers the form rejects (e.g. hidden or out-of-range ones) rather than fail.
    bad = {p.question for p in check_answers(form, answer_set, complete=False)}
    return answer_set.model_copy(
        update={"answers": {k: v for k, v in answers.items() if k not in bad}})


def run(size: int, workdir: Path) -> list[dict[str, Any]]:
    """Median time to build one summary PDF (``size`` and ``workdir`` are not needed here)."""
    del size
    engine: Any = importlib.import_module("riskscreen.scoring.engine")
    scoring_loader: Any = importlib.import_module("riskscreen.scoring.loader")
    form = load_form("cse-screening")
    model = scoring_loader.load_model("cse-screening", form)
    table = load_routing()
    answer_set = typical_answers(form)
    assessment = engine.score(form, model, answer_set)

    def once() -> bytes:
        summary = build_summary(
            form, answer_set, assessment, route(assessment, table), reference="RS-BENCH",
            generated_at=datetime(2026, 3, 1, 12, 0), referrer=Referrer(name="Bench"),
            fields=table.summary_fields, concern_labels=table.concerns)
        return render_pdf_bytes(summary)

    started = time.perf_counter()
    data = once()
    first_ms = (time.perf_counter() - started) * 1000
    (workdir / "summary-sample.pdf").write_bytes(data)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        once()
        times.append((time.perf_counter() - started) * 1000)
    median = statistics.median(times)
    pages = data.count(b"/Type /Page\n") or data.count(b"/Type /Page")
    return [
        {"name": "summary PDF, typical screening", "value": median, "unit": "ms",
         "figure": "summary_pdf_ms",
         "target": f"< {TARGET_MS:.0f} ms", "ok": median < TARGET_MS,
         "note": f"median of {RUNS}; {len(data) // 1024} KiB, level {assessment.final_level}"},
        {"name": "summary PDF, first in process", "value": first_ms, "unit": "ms",
         "target": "info", "ok": True, "note": f"includes loading fonts; ~{pages} pages"},
    ]
