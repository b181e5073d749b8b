"""The engine's output is frozen: optimisations must not change a single Assessment.

Scores 3,000 synthetic screenings (each also with the previous one as ``previous``, for the
trend), variants of them holding answers lingering on questions that may be hidden, every
golden case in ``tests/cases``, and a few unscorable answers (the error text), then compares
a SHA-256 over the canonical JSON of every ``Assessment.to_dict()`` with the digest the engine
gave when this test was written, before the engine was tuned for speed.

The digest only means something for the same inputs, so the inputs are fingerprinted too: if
the form, the model, the synthetic generator or the golden cases change, the test says so
instead of blaming the engine. After such a change, check the engine against its previous
version on the new inputs, then print the new values with::

    .venv/bin/python -m tests.scoring.test_engine_equivalence
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any

from riskscreen.forms.answers import AnswerError, AnswerSet
from riskscreen.forms.loader import load_form
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.assessment import Assessment, Contribution, RuleFired, Trend
from riskscreen.scoring.engine import score
from riskscreen.scoring.loader import load_model
from riskscreen.scoring.model import ScoringModel
from riskscreen.synthetic import generate_answer_sets

CASES = Path(__file__).resolve().parents[1] / "cases"
MODEL = "cse-screening@1.0.0"
SYNTHETIC = 3_000
SEED = 20_240_601

#: SHA-256 of the inputs below (form, model, synthetic answers, golden cases); last changed
#: when the form came to declare its time windows and kinds (the same as before, written out).
INPUTS_SHA256 = "5a3dfcac2fdddb51b585594ea10843f67c367f7d82a7f673542af17a2ce29482"
#: SHA-256 of the canonical JSON of every result, as the engine gave before it was tuned for
#: speed, on the inputs of that time; recomputed, with the engine unchanged, when the form gained
#: optional contact questions (which change the form and the synthetic answers, not any score).
OUTPUT_SHA256 = "bd461be6c0897aaab4dc834d19ff88f8546e8f036a76460a4242f5d422c207f3"


def _inputs(form: FormDefinition) -> list[tuple[str, AnswerSet, int | None]]:
    """(label, answers, index of the previous screening's result or None), in a fixed order."""
    out: list[tuple[str, AnswerSet, int | None]] = []
    for path in sorted(CASES.glob("*.json")):
        if not path.name.endswith(".expected.json"):
            answers = AnswerSet.model_validate(json.loads(path.read_text("utf-8")))
            out.append((f"case {path.stem}", answers, None))
    sets = generate_answer_sets(form, SYNTHETIC, SEED)
    for i, s in enumerate(sets):
        # Every other screening is a re-screening of the one before: all four trends occur.
        previous = len(out) - 1 if i % 2 and out[-1][0].startswith("synthetic") else None
        out.append((f"synthetic {i}", s, previous))
    for i in range(0, SYNTHETIC, 7):
        # Answers lingering on questions hidden for these answers (another child's answers
        # underneath): the engine must ignore them without changing the caller's dict.
        s, other = sets[i], sets[(i * 31 + 5) % SYNTHETIC]
        merged = s.model_copy(update={"answers": {**other.answers, **s.answers}})
        out.append((f"lingering {i}", merged, None))
    return out


def _unscorable(form: FormDefinition, model: ScoringModel) -> Iterator[AnswerSet]:
    base = generate_answer_sets(form, 1, SEED)[0]
    for qid in sorted(model.weights)[:5]:
        yield base.model_copy(update={"answers": {**base.answers, qid: "no such answer"}})
    yield base.model_copy(update={"form_version": "0.0.1"})


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _check_types(a: Assessment) -> None:
    """What JSON cannot tell apart: tuples, not lists; real dataclasses, dates and enums."""
    assert type(a) is Assessment
    assert {f.name for f in fields(Assessment)} == set(vars(a))
    for name in ("contributions", "protective", "rules_fired", "not_known", "levels"):
        assert type(getattr(a, name)) is tuple, name
    assert all(type(c) is Contribution for c in a.contributions + a.protective)
    assert all(type(r) is RuleFired for r in a.rules_fired)
    assert all(type(q) is str for q in a.not_known)
    assert type(a.screening_date) is date
    assert type(a.review_date) is date
    assert type(a.trend) is Trend
    assert type(a.extra) is dict


def digests(form: FormDefinition, model: ScoringModel) -> tuple[str, str]:
    """(inputs SHA-256, outputs SHA-256)."""
    inputs = hashlib.sha256()
    inputs.update(model.sha256.encode())
    inputs.update(_canonical(form.model_dump(mode="json", by_alias=True,
                                                exclude_none=True)).encode())
    outputs = hashlib.sha256()
    results: list[Assessment] = []
    for label, answers, previous in _inputs(form):
        before = answers.model_dump(mode="json")
        inputs.update(f"{label}\n{_canonical(before)}\n".encode())
        a = score(form, model, answers, results[previous] if previous is not None else None)
        assert answers.model_dump(mode="json") == before, f"{label}: answers were changed"
        _check_types(a)
        results.append(a)
        outputs.update(f"{label}\n{_canonical(a.to_dict())}\n".encode())
    for bad in _unscorable(form, model):
        inputs.update(_canonical(bad.model_dump(mode="json")).encode())
        try:
            score(form, model, bad)
        except AnswerError as error:
            outputs.update(f"error {error}\n".encode())
        else:
            outputs.update(b"no error\n")
    return inputs.hexdigest(), outputs.hexdigest()


def test_every_assessment_is_unchanged() -> None:
    form = load_form("cse-screening")
    model = load_model(MODEL)
    got_inputs, got_outputs = digests(form, model)
    assert got_inputs == INPUTS_SHA256, (
        "the inputs changed (form, model, synthetic answers or golden cases), so the frozen "
        "digest no longer applies: see this module's docstring")
    assert got_outputs == OUTPUT_SHA256, "the engine's output changed for the same inputs"


if __name__ == "__main__":
    inputs_sha, outputs_sha = digests(load_form("cse-screening"), load_model(MODEL))
    print(f'INPUTS_SHA256 = "{inputs_sha}"\nOUTPUT_SHA256 = "{outputs_sha}"')
