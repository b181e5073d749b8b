"""Scoring: versioned models as data, the pure engine, and impact analysis.

Public API (import from the submodules; this package imports nothing on its own):

- :func:`riskscreen.scoring.loader.load_model` — a model by path or shipped id;
- :func:`riskscreen.scoring.engine.score` and :func:`~riskscreen.scoring.engine.apply_override`;
- :func:`riskscreen.scoring.impact.impact` — what a new model would change;
- :mod:`riskscreen.scoring.assessment` — the result types.

See docs/design/0002-scoring-semantics.md.
"""
