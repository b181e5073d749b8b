"""Calibration and agreement figures: how a model's levels and points line up with outcomes,
and how alike practitioners score the same case.

Pure numbers, no database and no Qt, so the services, the CLI and the evidence statement all
report the same figures. Levels are order indices (0 is the lowest level). The AUC is the
Mann-Whitney statistic computed from average ranks with numpy; Krippendorff's alpha comes from
the ``krippendorff`` package. Bootstrap intervals are percentile intervals drawn with a numpy
Generator seeded by the caller, so a report can be repeated exactly.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import krippendorff
import numpy as np
import numpy.typing as npt

__all__ = [
    "MIN_OUTCOMES",
    "MIN_RATERS",
    "MIN_VIGNETTES",
    "SUPPRESSION_LIMIT",
    "TENTATIVE_ALPHA",
    "Agreement",
    "IndicatorAgreement",
    "Interval",
    "LevelDistribution",
    "Suppressed",
    "ThresholdRow",
    "auc_interval",
    "few_outcomes_warning",
    "few_ratings_warning",
    "indicator_agreement",
    "level_agreement",
    "level_distribution",
    "read_most_differently",
    "roc_auc",
    "suppress",
    "threshold_table",
]

#: Counts from 1 up to this limit (exclusive) are not shown, so small groups cannot be identified.
SUPPRESSION_LIMIT = 5
#: Krippendorff's lowest alpha for tentative conclusions; below it, agreement is weak.
TENTATIVE_ALPHA = 0.667
#: Below this many recorded outcomes the figures carry a plain warning.
MIN_OUTCOMES = 30
#: Below this many practitioners, or vignettes screened by two or more of them, agreement
#: figures carry a plain warning: alpha and its interval move a lot with each screening.
MIN_RATERS = 3
MIN_VIGNETTES = 5


class Suppressed(enum.Enum):
    """Marks a count withheld because it is under :data:`SUPPRESSION_LIMIT`."""

    UNDER_FIVE = "fewer than 5"

    def __str__(self) -> str:
        return self.value


Count = int | Suppressed


def suppress(count: int) -> Count:
    """Return *count*, or :attr:`Suppressed.UNDER_FIVE` when it is 1 to 4 (zero reveals no one)."""
    return Suppressed.UNDER_FIVE if 0 < count < SUPPRESSION_LIMIT else count


def few_outcomes_warning(outcomes: int) -> str | None:
    """A plain warning when too few outcomes are recorded for the figures to mean much."""
    if outcomes >= MIN_OUTCOMES:
        return None
    return (
        f"Only {outcomes} outcome{'s' if outcomes != 1 else ''} recorded. With fewer than "
        f"{MIN_OUTCOMES}, these figures can change a lot with each new outcome; "
        "read them with care."
    )


def few_ratings_warning(vignettes: int, raters: int) -> str | None:
    """A plain warning when too few practitioners or shared vignettes back an alpha.

    ``vignettes`` counts vignettes screened by at least two practitioners (alpha uses only
    those); ``raters`` counts practitioners who screened any.
    """
    if raters < 2 or vignettes < 1:
        return ("Agreement needs at least two practitioners to screen the same vignette; "
                f"so far {raters} practitioner{'s' if raters != 1 else ''} "
                f"{'have' if raters != 1 else 'has'} submitted practice screenings and "
                f"{vignettes} vignette{'s' if vignettes != 1 else ''} "
                f"{'have' if vignettes != 1 else 'has'} been screened by two or more.")
    if raters < MIN_RATERS or vignettes < MIN_VIGNETTES:
        return (f"Only {raters} practitioners and {vignettes} shared "
                f"vignette{'s' if vignettes != 1 else ''}. With fewer than {MIN_RATERS} "
                f"practitioners or {MIN_VIGNETTES} vignettes, these figures can change a lot "
                "with each practice screening; read them with care.")
    return None


@dataclass(frozen=True, slots=True)
class Interval:
    """A percentile bootstrap interval; ``resamples`` counts the resamples that gave a value."""

    low: float
    high: float
    confidence: float
    resamples: int


@dataclass(frozen=True, slots=True)
class ThresholdRow:
    """Screening counts and rates when a level at or above ``threshold`` counts as positive.

    A rate is None when its group is empty (no confirmed, or no not-confirmed, screenings).
    """

    threshold: int
    true_positive: int
    false_negative: int
    true_negative: int
    false_positive: int

    @property
    def sensitivity(self) -> float | None:
        """Share of confirmed screenings at or above the threshold."""
        confirmed = self.true_positive + self.false_negative
        return self.true_positive / confirmed if confirmed else None

    @property
    def specificity(self) -> float | None:
        """Share of not-confirmed screenings below the threshold."""
        not_confirmed = self.true_negative + self.false_positive
        return self.true_negative / not_confirmed if not_confirmed else None


@dataclass(frozen=True, slots=True)
class LevelDistribution:
    """Screenings at each level for confirmed and not-confirmed children, small counts withheld."""

    confirmed: tuple[Count, ...]
    not_confirmed: tuple[Count, ...]
    confirmed_total: Count
    not_confirmed_total: Count


@dataclass(frozen=True, slots=True)
class Agreement:
    """Krippendorff's alpha with its bootstrap interval; None where alpha is undefined."""

    alpha: float | None
    interval: Interval | None
    units: int


@dataclass(frozen=True, slots=True)
class IndicatorAgreement:
    """Nominal alpha for one indicator; None when every answer given was the same."""

    indicator: str
    alpha: float | None
    units: int


def _levels_and_outcomes(
    levels: Sequence[int], confirmed: Sequence[bool], level_count: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    lv = np.asarray(levels, dtype=np.int64)
    ok = np.asarray(confirmed, dtype=np.bool_)
    if lv.shape != ok.shape or lv.ndim != 1:
        raise ValueError("levels and outcomes must be two lists of the same length")
    if lv.size and (lv.min() < 0 or lv.max() >= level_count):
        raise ValueError(f"a level index is outside 0..{level_count - 1}; check the model's levels")
    return lv, ok


def threshold_table(
    levels: Sequence[int], confirmed: Sequence[bool], level_count: int
) -> list[ThresholdRow]:
    """Sensitivity and specificity at each threshold from the second level up.

    ``levels[i]`` is the order index of screening *i*'s level, ``confirmed[i]`` its outcome.
    """
    lv, ok = _levels_and_outcomes(levels, confirmed, level_count)
    rows = []
    for threshold in range(1, level_count):
        positive = lv >= threshold
        rows.append(
            ThresholdRow(
                threshold=threshold,
                true_positive=int(np.sum(positive & ok)),
                false_negative=int(np.sum(~positive & ok)),
                true_negative=int(np.sum(~positive & ~ok)),
                false_positive=int(np.sum(positive & ~ok)),
            )
        )
    return rows


def level_distribution(
    levels: Sequence[int], confirmed: Sequence[bool], level_count: int
) -> LevelDistribution:
    """Count screenings per level for each outcome, withholding counts of 1 to 4."""
    lv, ok = _levels_and_outcomes(levels, confirmed, level_count)
    yes = np.bincount(lv[ok], minlength=level_count)
    no = np.bincount(lv[~ok], minlength=level_count)
    return LevelDistribution(
        confirmed=tuple(suppress(int(c)) for c in yes),
        not_confirmed=tuple(suppress(int(c)) for c in no),
        confirmed_total=suppress(int(ok.sum())),
        not_confirmed_total=suppress(int((~ok).sum())),
    )


def _auc(points: npt.NDArray[np.float64], positive: npt.NDArray[np.bool_]) -> float:
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    # Average ranks (1-based) give tied points half credit, as in the Mann-Whitney U statistic.
    _, inverse, counts = np.unique(points, return_inverse=True, return_counts=True)
    first_rank = np.cumsum(counts) - counts
    average_rank = first_rank + (counts + 1) / 2.0
    rank_sum = float(average_rank[inverse][positive].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def _points_and_outcomes(
    points: Sequence[float], confirmed: Sequence[bool]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    pt = np.asarray(points, dtype=np.float64)
    ok = np.asarray(confirmed, dtype=np.bool_)
    if pt.shape != ok.shape or pt.ndim != 1:
        raise ValueError("points and outcomes must be two lists of the same length")
    if not ok.any() or ok.all():
        raise ValueError("the AUC needs at least one confirmed and one not-confirmed screening")
    return pt, ok


def roc_auc(points: Sequence[float], confirmed: Sequence[bool]) -> float:
    """Chance that a confirmed screening has more points than a not-confirmed one (ties: half)."""
    return _auc(*_points_and_outcomes(points, confirmed))


def _percentile_interval(values: list[float], confidence: float) -> Interval | None:
    if not values:
        return None
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(np.asarray(values), [tail, 100.0 - tail])
    return Interval(float(low), float(high), confidence, len(values))


def _check_bootstrap(resamples: int, confidence: float) -> None:
    if resamples < 1:
        raise ValueError("the bootstrap needs at least one resample")
    if not 0.0 < confidence < 1.0:
        raise ValueError("the confidence level must be between 0 and 1, for example 0.95")


def auc_interval(
    points: Sequence[float],
    confirmed: Sequence[bool],
    *,
    seed: int,
    resamples: int = 2000,
    confidence: float = 0.95,
) -> Interval:
    """Percentile bootstrap interval for :func:`roc_auc`, resampling screenings.

    Resamples that hold only one outcome have no AUC and are left out of the interval.
    """
    _check_bootstrap(resamples, confidence)
    pt, ok = _points_and_outcomes(points, confirmed)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        pick = rng.integers(0, pt.size, size=pt.size)
        value = _auc(pt[pick], ok[pick])
        if not np.isnan(value):
            values.append(value)
    interval = _percentile_interval(values, confidence)
    if interval is None:  # pragma: no cover - needs every resample to hold one outcome only
        raise ValueError("too few screenings to bootstrap the AUC; record more outcomes")
    return interval


def _alpha(
    data: npt.NDArray[np.float64], domain: Sequence[float], level: Literal["nominal", "ordinal"]
) -> float | None:
    # Alpha is undefined (0/0) when only one value was ever given; report that as None.
    if np.unique(data[~np.isnan(data)]).size < 2:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        value = float(
            krippendorff.alpha(
                reliability_data=data, value_domain=list(domain), level_of_measurement=level
            )
        )
    return None if np.isnan(value) else value


def _reliability_data(ratings: Sequence[Sequence[float | None]]) -> npt.NDArray[np.float64]:
    """Rows are raters, columns are units (vignettes); None is a rating not given."""
    widths = {len(row) for row in ratings}
    if len(widths) > 1:
        raise ValueError("every rater's row must have one entry per vignette (None if not rated)")
    return np.array(
        [[np.nan if r is None else float(r) for r in row] for row in ratings], dtype=np.float64
    ).reshape(len(ratings), widths.pop() if widths else 0)


def level_agreement(
    ratings: Sequence[Sequence[int | None]],
    level_count: int,
    *,
    seed: int,
    resamples: int = 1000,
    confidence: float = 0.95,
) -> Agreement:
    """Ordinal Krippendorff's alpha on levels, with a percentile bootstrap over vignettes.

    ``ratings[r][u]`` is the level order index rater *r* gave vignette *u*, or None.
    """
    _check_bootstrap(resamples, confidence)
    data = _reliability_data(ratings)
    if data.size and (np.nanmin(data) < 0 or np.nanmax(data) >= level_count):
        raise ValueError(f"a level index is outside 0..{level_count - 1}; check the model's levels")
    domain = list(range(level_count))
    units = data.shape[1]
    alpha = _alpha(data, domain, "ordinal")
    interval = None
    if alpha is not None:
        rng = np.random.default_rng(seed)
        values = []
        for _ in range(resamples):
            value = _alpha(data[:, rng.integers(0, units, size=units)], domain, "ordinal")
            if value is not None:
                values.append(value)
        interval = _percentile_interval(values, confidence)
    return Agreement(alpha=alpha, interval=interval, units=units)


def indicator_agreement(
    answers: Mapping[str, Sequence[Sequence[Hashable | None]]],
) -> list[IndicatorAgreement]:
    """Nominal alpha per indicator, the indicators read most differently first.

    ``answers[indicator][r][u]`` is rater *r*'s answer to that indicator on vignette *u*
    (any hashable answer value), or None. Indicators whose alpha is undefined come last.
    """
    results = []
    for indicator, rows in answers.items():
        codes: dict[Hashable, int] = {}
        coded = [
            [None if a is None else codes.setdefault(a, len(codes)) for a in row] for row in rows
        ]
        data = _reliability_data(coded)
        alpha = _alpha(data, list(range(max(len(codes), 1))), "nominal")
        results.append(IndicatorAgreement(indicator, alpha, data.shape[1]))
    return sorted(results, key=lambda r: (r.alpha is None, r.alpha or 0.0, r.indicator))


def read_most_differently(results: Sequence[IndicatorAgreement], *, limit: int = 3) -> list[str]:
    """Name up to *limit* indicators with alpha under :data:`TENTATIVE_ALPHA`, lowest first.

    These are where guidance or training most needs to change.
    """
    weak = sorted(
        (r.alpha, r.indicator) for r in results if r.alpha is not None and r.alpha < TENTATIVE_ALPHA
    )
    return [name for _, name in weak[:limit]]
