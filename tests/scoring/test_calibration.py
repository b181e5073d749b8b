"""Calibration and agreement figures checked against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from riskscreen.scoring.calibration import (
    Suppressed,
    auc_interval,
    few_outcomes_warning,
    indicator_agreement,
    level_agreement,
    level_distribution,
    read_most_differently,
    roc_auc,
    threshold_table,
)

# Levels 0 = Low, 1 = Medium, 2 = High.
# Confirmed:     High, High, Medium, Low
# Not confirmed: Low, Low, Medium, High, Low, Medium
LEVELS = [2, 2, 1, 0, 0, 0, 1, 2, 0, 1]
CONFIRMED = [True] * 4 + [False] * 6


def test_sensitivity_and_specificity_on_a_hand_built_table() -> None:
    # Medium or above: confirmed 3 of 4 (sens 3/4); not confirmed below Medium 3 of 6 (spec 1/2).
    # High: confirmed 2 of 4 (sens 1/2); not confirmed below High 5 of 6 (spec 5/6).
    medium, high = threshold_table(LEVELS, CONFIRMED, 3)
    assert (medium.threshold, medium.true_positive, medium.false_negative) == (1, 3, 1)
    assert (medium.true_negative, medium.false_positive) == (3, 3)
    assert medium.sensitivity == pytest.approx(3 / 4)
    assert medium.specificity == pytest.approx(1 / 2)
    assert (high.true_positive, high.false_negative) == (2, 2)
    assert (high.true_negative, high.false_positive) == (5, 1)
    assert high.sensitivity == pytest.approx(1 / 2)
    assert high.specificity == pytest.approx(5 / 6)


def test_rates_are_none_for_an_empty_group() -> None:
    (row,) = threshold_table([1, 0], [True, True], 2)
    assert row.sensitivity == pytest.approx(1 / 2)
    assert row.specificity is None


def test_a_level_outside_the_model_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"outside 0\.\.2"):
        threshold_table([3], [True], 3)


def test_level_distribution_withholds_counts_from_one_to_four() -> None:
    dist = level_distribution([2] * 6 + [0] * 3 + [0] * 7, [True] * 9 + [False] * 7, 3)
    assert dist.confirmed == (Suppressed.UNDER_FIVE, 0, 6)
    assert dist.not_confirmed == (7, 0, 0)
    assert dist.confirmed_total == 9
    assert dist.not_confirmed_total == 7
    small = level_distribution([1, 1], [True, False], 2)
    assert small.confirmed_total is Suppressed.UNDER_FIVE
    assert str(Suppressed.UNDER_FIVE) == "fewer than 5"


def test_auc_of_separated_reversed_and_tied_points() -> None:
    assert roc_auc([5, 6, 1, 2], [True, True, False, False]) == 1.0
    assert roc_auc([1, 2, 5, 6], [True, True, False, False]) == 0.0
    # Confirmed 3, 2; not confirmed 2, 1. Pairs: 3>2, 3>1, 2=2 (half), 2>1 -> 3.5 of 4.
    assert roc_auc([3, 2, 2, 1], [True, True, False, False]) == pytest.approx(0.875)
    # Every point the same: every pair is a tie.
    assert roc_auc([4, 4, 4], [True, False, False]) == pytest.approx(0.5)


def test_auc_needs_both_outcomes() -> None:
    with pytest.raises(ValueError, match="at least one confirmed and one not-confirmed"):
        roc_auc([1, 2], [True, True])


def test_auc_interval_is_repeatable_and_brackets_the_estimate() -> None:
    points = [1, 3, 2, 5, 4, 6, 2, 7, 3, 8, 5, 9]
    outcome = [False, False, True, False, True, True, False, True, False, True, False, True]
    first = auc_interval(points, outcome, seed=17, resamples=400)
    again = auc_interval(points, outcome, seed=17, resamples=400)
    assert first == again
    assert first.low <= roc_auc(points, outcome) <= first.high
    assert 0.0 <= first.low < first.high <= 1.0
    assert first.confidence == 0.95
    assert 0 < first.resamples <= 400
    separated = auc_interval([5, 6, 7, 1, 2, 3], [True] * 3 + [False] * 3, seed=1, resamples=200)
    assert (separated.low, separated.high) == (1.0, 1.0)


def test_warning_below_thirty_outcomes() -> None:
    warning = few_outcomes_warning(12)
    assert warning is not None
    assert "Only 12 outcomes recorded" in warning
    assert "Only 1 outcome recorded" in str(few_outcomes_warning(1))
    assert few_outcomes_warning(30) is None


def test_ordinal_alpha_on_a_case_worked_by_hand() -> None:
    """Two raters, three vignettes, levels 0-2: (0, 0), (0, 1), (2, 2).

    Coincidences: o00 = 2, o01 = o10 = 1, o22 = 2; n0 = 3, n1 = 1, n2 = 2, n = 6.
    Ordinal d^2(c, k) = (n_c + ... + n_k - (n_c + n_k) / 2)^2:
    d01 = (4 - 2)^2 = 4, d02 = (6 - 2.5)^2 = 12.25, d12 = (3 - 1.5)^2 = 2.25.
    Do = (o01 d01 + o10 d01) / n = 8 / 6.
    De = 2 (n0 n1 d01 + n0 n2 d02 + n1 n2 d12) / (n (n - 1)) = 2 (12 + 73.5 + 4.5) / 30 = 6.
    alpha = 1 - Do / De = 1 - 8 / 36 = 7 / 9.
    """
    result = level_agreement([[0, 0, 2], [0, 1, 2]], 3, seed=3, resamples=200)
    assert result.alpha == pytest.approx(7 / 9)
    assert result.units == 3
    assert result.interval is not None
    assert result.interval.low <= result.interval.high <= 1.0
    assert result == level_agreement([[0, 0, 2], [0, 1, 2]], 3, seed=3, resamples=200)


def test_alpha_is_none_when_everyone_gave_one_level() -> None:
    result = level_agreement([[1, 1], [1, None]], 3, seed=0, resamples=10)
    assert result.alpha is None
    assert result.interval is None


def test_uneven_rater_rows_are_a_clear_error() -> None:
    with pytest.raises(ValueError, match="one entry per vignette"):
        level_agreement([[0, 1], [0]], 3, seed=0)


def test_indicator_agreement_names_the_indicators_read_most_differently() -> None:
    """'missing' is nominal, two raters on four vignettes: (y, y), (y, n), (n, n), (n, n).

    Coincidences: oyy = 2, oyn = ony = 1, onn = 4; ny = 3, nn = 5, n = 8.
    alpha = 1 - (n - 1)(oyn + ony) / (2 ny nn) = 1 - 7 * 2 / 30 = 8 / 15.
    """
    answers = {
        "missing": [["yes", "yes", "no", "no"], ["yes", "no", "no", "no"]],
        "older_friends": [["yes", "no", "yes", "no"], ["no", "yes", "no", "yes"]],
        "gifts": [["yes", "no", "yes", "no"], ["yes", "no", "yes", None]],
        "unanimous": [["no", "no"], ["no", "no"]],
    }
    results = indicator_agreement(answers)
    by_name = {r.indicator: r.alpha for r in results}
    assert by_name["missing"] == pytest.approx(8 / 15)
    assert by_name["gifts"] == pytest.approx(1.0)
    assert by_name["unanimous"] is None
    assert [r.indicator for r in results] == ["older_friends", "missing", "gifts", "unanimous"]
    older = by_name["older_friends"]
    assert older is not None
    assert older < 0
    assert not math.isnan(older)
    assert read_most_differently(results) == ["older_friends", "missing"]
    assert read_most_differently(results, limit=1) == ["older_friends"]


def test_warning_with_few_practitioners_or_shared_vignettes() -> None:
    from riskscreen.scoring.calibration import few_ratings_warning

    assert few_ratings_warning(8, 4) is None
    assert "at least two practitioners" in (few_ratings_warning(0, 1) or "")
    assert "read them with care" in (few_ratings_warning(3, 4) or "")
    assert "read them with care" in (few_ratings_warning(6, 2) or "")
