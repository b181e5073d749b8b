"""Benchmark: screenings scored per second, and impact analysis wall time (issue 3).

Targets: at least 50,000 screenings/s scored on one core with the public ``score()`` (a full,
explainable Assessment each), and an impact analysis of 100,000 screenings in under 3 s.
Synthetic answer sets for the shipped form are generated once into ``workdir`` and reused.

    python -m bench --only scoring            # 100,000 screenings
    python -m bench --only scoring --quick    # 2,000
"""

from __future__ import annotations

import gc
import json
import statistics
import time
from pathlib import Path
from typing import Any

from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.loader import load_form
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.engine import compile_model, score
from riskscreen.scoring.impact import impact
from riskscreen.scoring.loader import load_model
from riskscreen.scoring.model import ScoringModel
from riskscreen.synthetic import generate_answer_sets

SCORE_RUNS = 5
IMPACT_RUNS = 3
TARGET_RATE = 50_000
TARGET_IMPACT_S_PER_100K = 3.0
SEED = 0


def answer_sets(form: FormDefinition, size: int, workdir: Path) -> list[AnswerSet]:
    """The benchmark's answer sets, generated once into ``workdir`` (JSON lines)."""
    path = workdir / f"scoring-answers-{form.id}-{form.version}-{size}-seed{SEED}.jsonl"
    if not path.exists():
        sets = generate_answer_sets(form, size, SEED)
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(s.model_dump_json() + "\n" for s in sets), encoding="utf-8")
        tmp.replace(path)
        return sets
    with path.open(encoding="utf-8") as lines:
        return [AnswerSet.model_validate_json(line) for line in lines if line.strip()]


def changed_model(model: ScoringModel) -> ScoringModel:
    """A copy of the model with one changed weight, as a manager's draft would be."""
    data = json.loads(model.canonical_json())
    data["weights"]["online_grooming"]["recent"] += 1
    data["version"], data["derived_from"] = "1.0.1", model.version
    return ScoringModel.model_validate(data)


def _timed(fn: Any) -> float:
    gc.collect()
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run(size: int, workdir: Path) -> list[dict[str, Any]]:
    """Measure scoring rate and impact time over ``size`` synthetic screenings."""
    workdir.mkdir(parents=True, exist_ok=True)
    form = load_form("cse-screening")
    model = load_model("cse-screening", form)
    sets = answer_sets(form, size, workdir)
    compile_model(form, model)  # compiled once, as the app does; not part of the rate

    def score_all() -> None:
        for s in sets:
            score(form, model, s)

    def rank_all() -> None:
        rank = compile_model(form, model).rank
        for s in sets:
            rank(s)

    score_times = [_timed(score_all) for _ in range(SCORE_RUNS)]
    rank_times = [_timed(rank_all) for _ in range(SCORE_RUNS)]
    rate = size / statistics.median(score_times)
    best = size / min(score_times)
    lean = size / statistics.median(rank_times)

    new = changed_model(model)
    compile_model(form, new)
    report = impact(form, model, new, sets)
    impact_times = [_timed(lambda: impact(form, model, new, sets)) for _ in range(IMPACT_RUNS)]
    impact_s = statistics.median(impact_times)
    target_s = TARGET_IMPACT_S_PER_100K * size / 100_000
    per_100k = impact_s * 100_000 / size

    levels: dict[str, int] = {}
    for s in sets[:5000]:
        level = score(form, model, s).level
        levels[level] = levels.get(level, 0) + 1
    spread = ", ".join(f"{k} {100 * v / sum(levels.values()):.0f}%" for k, v in levels.items())
    return [
        {
            "name": "screenings scored per second (score(), one core)",
            "value": rate, "unit": "screenings/s", "target": f">= {TARGET_RATE:,}/s",
            "ok": rate >= TARGET_RATE,
            "note": f"median of {SCORE_RUNS} runs over {size:,} synthetic screenings "
                    f"(best run {best:,.0f}/s); full Assessment each; levels: {spread}",
        },
        {
            "name": "level-only scoring per second (CompiledModel.rank, one core)",
            "value": lean, "unit": "screenings/s", "target": "(informative)", "ok": True,
            "note": "the lean path impact analysis uses (once per screening when only "
                    "weights differ, twice otherwise)",
        },
        {
            "name": f"impact analysis wall time, {size:,} screenings",
            "value": impact_s, "unit": "s",
            "target": f"< {target_s:.3g} s ({TARGET_IMPACT_S_PER_100K:g} s per 100,000)",
            "ok": impact_s < target_s,
            "note": f"median of {IMPACT_RUNS} runs; {per_100k:.2f} s per 100,000; one weight "
                    f"changed moves {report.level_changed:,} screenings",
        },
    ]
