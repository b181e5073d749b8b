"""The current time in microseconds is the time the stamp text says."""

from __future__ import annotations

from riskscreen.store.models import now_micros, stamp_micros, stamp_text, utc_now


def test_now_in_microseconds_is_now_as_the_stamp_column_stores_it() -> None:
    before = stamp_micros(utc_now())
    now = now_micros()
    after = stamp_micros(utc_now())
    assert before <= now <= after
    assert len(stamp_text(now)) == len(utc_now())
