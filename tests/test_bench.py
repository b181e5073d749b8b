"""The benchmark suite's own logic: its draft model is valid, and report.json has every figure."""

from __future__ import annotations

from bench.__main__ import FIGURES, _figures
from bench.bench_scoring import changed_model
from riskscreen.forms.loader import load_form
from riskscreen.scoring.engine import compile_model
from riskscreen.scoring.loader import load_model, shipped_model_versions
from riskscreen.scoring.model import ScoringModel


def test_the_benchmark_draft_is_a_valid_next_version_of_every_shipped_model() -> None:
    form = load_form("cse-screening")
    for version in shipped_model_versions("cse-screening"):
        model = load_model(f"cse-screening@{version}")
        draft = changed_model(model)
        assert draft.derived_from == model.version
        assert draft.version > model.version
        compile_model(form, draft)  # validation passes: the suite can run
        assert isinstance(draft, ScoringModel)


def test_every_named_figure_is_reported_and_100k_figures_are_scaled() -> None:
    rows = [{"figure": "impact_100k_memory_s", "scaled": True, "value": 0.004},
            {"figure": "score_batch_per_s", "value": 2_000_000.0},
            {"figure": "bytes_per_screening", "value": 5000.0}]
    figures = _figures(rows, 2_000)
    assert set(figures) == set(FIGURES)
    assert figures["impact_100k_memory_s"] == {"median": 0.2, "unit": "s", "target": 0.3,
                                               "met": True}
    assert figures["score_batch_per_s"]["met"] is True
    assert figures["bytes_per_screening"]["met"] is False
    assert figures["gui_live_impact_update_s"] == {"median": None, "unit": "s",
                                                   "target": 0.5, "met": False}
