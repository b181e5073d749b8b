"""Finalised answers stored as columns: what is stored reads back as the encoded answers."""

from __future__ import annotations

import numpy as np
from sqlalchemy import create_engine, select

from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.columns import Columns, encode
from riskscreen.forms.loader import load_form
from riskscreen.store import columns as stored
from riskscreen.store.models import AnswerColumnsRow, Base
from riskscreen.synthetic import generate_answer_sets

FORM = load_form("cse-screening")


def _same(a: Columns, b: Columns) -> None:
    """The same screenings: every question's codes, as the answers they stand for."""
    assert a.days.tolist() == b.days.tolist()
    for q in FORM.question_index():
        x, y = a.column(q), b.column(q)
        if q in a.texts or q in b.texts:
            assert [a.texts[q][c - 1] if c > 0 else None for c in x.tolist()] == \
                   [b.texts[q][c - 1] if c > 0 else None for c in y.tolist()], q
        else:
            assert x.tolist() == y.tolist(), q
    assert a.unscorable == b.unscorable
    for d in FORM.derived:
        assert a.derived_value(d.id).tolist() == b.derived_value(d.id).tolist()


def test_a_chunk_reads_back_as_the_encoded_answers() -> None:
    sets = generate_answer_sets(FORM, 300, seed=5)
    ids = np.arange(10, 310, dtype=np.int64)
    overrides = (ids % 3).astype(np.int8)
    data = stored.encode_chunk(ids, encode(FORM, sets), overrides)
    back = stored.decode_chunk(data, FORM)
    assert back.ids.tolist() == ids.tolist()
    assert back.overrides.tolist() == overrides.tolist()
    _same(back.columns.with_derived(), encode(FORM, sets))


def test_damaged_chunks_are_refused_with_a_value_error() -> None:
    data = stored.encode_chunk(np.arange(3, dtype=np.int64),
                               encode(FORM, generate_answer_sets(FORM, 3, seed=1)),
                               np.zeros(3, dtype=np.int8))
    for bad in (b"", b"nope", data[:-5], data[:4] + b"\0" + data[5:]):
        try:
            stored.decode_chunk(bad, FORM)
        except ValueError:
            continue
        raise AssertionError("a damaged chunk was read")


def test_one_at_a_time_screenings_merge_and_read_back_in_id_order() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    sets = generate_answer_sets(FORM, stored.MERGE_AT * 2 + 7, seed=9)
    unscorable = AnswerSet.model_construct(
        form=FORM.id, form_version=FORM.version, screening_date=sets[0].screening_date,
        answers={"gender": "not an option"}, evidence={})
    rng = np.random.default_rng(3)
    ids = rng.permutation(len(sets) + 1) + 1  # finalised in any order
    items = [*sets, unscorable]
    with engine.begin() as conn:
        for sid, answer_set in zip(ids.tolist(), items, strict=True):
            stored.add_screenings(conn, FORM, [(sid, answer_set,
                                                "raised" if sid % 5 == 0 else None)])
        chunks = conn.execute(select(AnswerColumnsRow.rows, AnswerColumnsRow.data)).all()
    assert len(chunks) < stored.MERGE_AT  # merged as they came
    assert sum(r for r, _ in chunks) == len(items)
    back = stored.read_columns(FORM, [d for _, d in chunks])
    order = np.argsort(ids)
    assert back.ids.tolist() == sorted(ids.tolist())
    assert back.overrides.tolist() == [1 if i % 5 == 0 else 0 for i in back.ids.tolist()]
    _same(back.columns, encode(FORM, [items[i] for i in order.tolist()]))


def test_a_full_chunk_splits_and_its_texts_stay_with_their_rows() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    sets = generate_answer_sets(FORM, stored.FULL_ROWS + 10, seed=2)
    with engine.begin() as conn:
        stored.add_screenings(conn, FORM, [(i + 1, s, None) for i, s in enumerate(sets)])
        chunks = conn.execute(select(AnswerColumnsRow.rows, AnswerColumnsRow.data)).all()
    assert sorted(r for r, _ in chunks) == [10, stored.FULL_ROWS]
    small = stored.decode_chunk(next(d for r, d in chunks if r == 10), FORM)
    assert all(len(t) <= 10 for t in small.columns.texts.values())
    _same(stored.read_columns(FORM, [d for _, d in chunks]).columns, encode(FORM, sets))
