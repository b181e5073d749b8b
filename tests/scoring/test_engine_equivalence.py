"""The engine's output is frozen: optimisations must not change a single Assessment.

Scores 3,000 synthetic screenings (each also with the previous one as ``previous``, for the
trend), variants of them holding answers lingering on questions that may be hidden, every
golden case in ``tests/cases``, and a few unscorable answers (the error text), and compares
each result with its golden entry in ``golden/engine-1.0.0/``, written when the engine was
tuned for speed and checked then against the single digest the engine gave before it:

- ``outcomes.json`` holds, per input, a fingerprint of its answers and of its whole result,
  with the level, points, points level and trend in the clear, so a failure names the inputs
  whose results changed and shows how;
- ``cases/<case>.json`` holds the whole result of every golden case, so a change there shows
  as a diff of the assessment itself.

If the form, the model, the synthetic generator or the golden cases change, the input
fingerprints say so instead of blaming the engine. After such a change, check the engine
against its previous version on the new inputs, then write the golden files again with::

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

GOLDEN = Path(__file__).resolve().parent / "golden" / "engine-1.0.0"
OUTCOMES = GOLDEN / "outcomes.json"
#: SHA-256 over every result, the single digest this test compared before it kept golden
#: entries per input; the golden files were written only once they reproduced it.
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


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def outcomes(form: FormDefinition, model: ScoringModel
             ) -> tuple[dict[str, list[Any]], dict[str, dict[str, Any]], str]:
    """(golden entry per input, whole result per golden case, SHA-256 over every result as
    the former single digest took it)."""
    entries: dict[str, list[Any]] = {}
    cases: dict[str, dict[str, Any]] = {}
    digest = hashlib.sha256()
    # What every result rests on besides its answers: a change here changes no engine.
    entries["form and model"] = [_fingerprint(model.sha256 + _canonical(
        form.model_dump(mode="json", by_alias=True, exclude_none=True)))]
    results: list[Assessment] = []
    for label, answers, previous in _inputs(form):
        before = answers.model_dump(mode="json")
        a = score(form, model, answers, results[previous] if previous is not None else None)
        assert answers.model_dump(mode="json") == before, f"{label}: answers were changed"
        _check_types(a)
        results.append(a)
        result = a.to_dict()
        text = _canonical(result)
        digest.update(f"{label}\n{text}\n".encode())
        entries[label] = [_fingerprint(_canonical(before)), _fingerprint(text), a.level,
                          a.score, a.points_level, a.trend.value]
        if label.startswith("case "):
            cases[label.removeprefix("case ")] = json.loads(text)
    for n, bad in enumerate(_unscorable(form, model)):
        try:
            score(form, model, bad)
        except AnswerError as error:
            said = f"error {error}"
        else:
            said = "no error"
        digest.update(f"{said}\n".encode())
        entries[f"unscorable {n}"] = [_fingerprint(_canonical(bad.model_dump(mode="json"))),
                                      said]
    return entries, cases, digest.hexdigest()


def _golden() -> tuple[dict[str, list[Any]], dict[str, dict[str, Any]]]:
    entries = json.loads(OUTCOMES.read_text(encoding="utf-8"))
    cases = {p.stem: json.loads(p.read_text(encoding="utf-8"))
             for p in sorted((GOLDEN / "cases").glob("*.json"))}
    return entries, cases


def _write(form: FormDefinition, model: ScoringModel) -> None:
    entries, cases, digest = outcomes(form, model)
    if digest != OUTPUT_SHA256:
        raise SystemExit("the results differ from the frozen digest: not written")
    (GOLDEN / "cases").mkdir(parents=True, exist_ok=True)
    lines = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}"
                        for k, v in entries.items())
    OUTCOMES.write_text("{\n" + lines + "\n}\n", encoding="utf-8")
    for old in (GOLDEN / "cases").glob("*.json"):
        old.unlink()
    for name, result in cases.items():
        (GOLDEN / "cases" / f"{name}.json").write_text(
            json.dumps(result, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
            encoding="utf-8")


def test_every_assessment_is_unchanged() -> None:
    form = load_form("cse-screening")
    model = load_model(MODEL)
    got, got_cases, _ = outcomes(form, model)
    want, want_cases = _golden()
    assert list(got) == list(want), "inputs were added or removed: see this module's docstring"
    moved = [k for k in got if got[k][0] != want[k][0]]
    assert not moved, (f"the inputs changed ({len(moved)}, e.g. {moved[:3]}): the golden "
                       "results no longer apply; see this module's docstring")
    changed = [k for k in got if got[k] != want[k]]
    # The first few that differ, side by side: fingerprint, level, points, points level, trend.
    assert {k: got[k] for k in changed[:10]} == {k: want[k] for k in changed[:10]}, (
        f"the engine's output changed for {len(changed)} of {len(got)} inputs")
    for name, result in got_cases.items():
        assert result == want_cases[name], f"golden case {name}"


if __name__ == "__main__":
    _write(load_form("cse-screening"), load_model(MODEL))
    print(f"written: {OUTCOMES.parent}")
