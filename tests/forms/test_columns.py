"""Answers as columns: the codes the batch executor and the column form of conditions read."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from riskscreen.conditions import MISSING
from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.columns import ages, encode
from riskscreen.forms.loader import load_form
from riskscreen.forms.visibility import age_on

FORM = load_form("cse-screening")


@given(st.lists(st.tuples(st.dates(date(1990, 1, 1), date(2030, 12, 31)),
                          st.dates(date(1990, 1, 1), date(2030, 12, 31))), min_size=1))
def test_ages_in_columns_are_ages_on_the_screening_date(pairs: list[tuple[date, date]]) -> None:
    births = np.asarray([b.toordinal() for b, _ in pairs], dtype=np.int64)
    days = np.asarray([d.toordinal() for _, d in pairs], dtype=np.int64)
    expected = [age_on(b, d) if b <= d else MISSING for b, d in pairs]
    assert ages(births, days).tolist() == expected


def test_leap_day_birthdays_and_missing_births() -> None:
    births = np.asarray([date(2012, 2, 29).toordinal(), MISSING], dtype=np.int64)
    days = np.asarray([date(2025, 2, 28).toordinal(), date(2025, 3, 1).toordinal()],
                      dtype=np.int64)
    assert ages(births, days).tolist() == [12, MISSING]


def _set(**answers: object) -> AnswerSet:
    return AnswerSet(form=FORM.id, form_version=FORM.version, screening_date="2026-03-01",
                     answers=answers)


def test_codes_of_each_question_type() -> None:
    multi = next(q for q in FORM.questions() if q.type.value == "multiple_choice")
    single = next(q for q in FORM.questions() if q.type.value == "single_choice")
    number = next(q for q in FORM.questions() if q.type.value == "number")
    options = multi.option_ids()
    cols = encode(FORM, [
        _set(online_grooming="recent", **{multi.id: [options[1], options[0]],
                                          single.id: single.option_ids()[-1], number.id: 3}),
        _set(online_grooming="", **{multi.id: []}),
        _set(),
    ], [multi.id, single.id, number.id, "online_grooming"])
    assert not cols.unscorable
    time_window = ("none", "recent", "older", "both", "not_known")
    assert cols.column("online_grooming").tolist() == [time_window.index("recent") + 1, 0, 0]
    assert cols.column(multi.id).tolist() == [0b11, 0, 0]
    assert cols.column(single.id).tolist() == [len(single.option_ids()), 0, 0]
    assert cols.column(number.id).tolist() == [3, MISSING, MISSING]


def test_answers_that_do_not_fit_are_listed_not_scored() -> None:
    cols = encode(FORM, [_set(online_grooming="sometimes"), _set(online_grooming="recent"),
                         AnswerSet(form=FORM.id, form_version="0.0.1",
                                   screening_date="2026-03-01", answers={})],
                  ["online_grooming"])
    assert cols.unscorable[0][0] == "online_grooming"
    assert "'sometimes'" in cols.unscorable[0][1]
    assert "version 0.0.1" in cols.unscorable[2][1]
    assert 1 not in cols.unscorable
    assert cols.column("online_grooming").tolist()[0] == 0
