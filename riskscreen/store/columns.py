"""Finalised screenings' answers stored as columns, for bulk reads without one dict each.

Rows of ``answer_columns`` are *chunks*: the answer codes of many finalised screenings of
one form version (:class:`riskscreen.forms.columns.Columns`: one array per question, text
answers as a table of distinct texts), with each screening's id and whether professional
judgement raised or lowered its level. Impact analysis, the live impact, reports and
``verify`` read a few dozen chunks for 100,000 screenings instead of decoding 100,000
answer sets.

Finalising adds a chunk of one row inside its own transaction; once :data:`MERGE_AT`
chunks smaller than :data:`FULL_ROWS` exist for a form version, they are merged into one
there and then, so a reader meets at most that many small chunks. The chunks are a derived
copy of the answer sets the finalised records hold exactly (merging rewrites them, so they
have no immutability triggers); ``verify`` checks every row against its record.

A chunk is ``MAGIC`` and raw deflate of: a 4-byte big-endian header length, the header
(compact JSON: rows, question ids with their numpy dtypes, texts, unscorable rows), then
the arrays (ids, days, overrides, one per question) in that order. Each question's array
takes the narrowest integer type that holds its codes, with that type's minimum standing
for :data:`riskscreen.conditions.MISSING`.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, delete, func, insert, select

from riskscreen.conditions import MISSING
from riskscreen.conditions.codes import NUMERIC
from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.columns import Columns, concat, encode
from riskscreen.forms.kinds import QuestionType
from riskscreen.forms.model import FormDefinition
from riskscreen.store.models import AnswerColumnsRow

__all__ = [
    "FULL_ROWS",
    "MERGE_AT",
    "OVERRIDES",
    "StoredColumns",
    "add_screenings",
    "decode_chunk",
    "differing_rows",
    "encode_chunk",
    "merge_chunks",
    "read_columns",
]

#: Rows of a full chunk: a few hundred kilobytes of codes, decoded in a few milliseconds.
FULL_ROWS = 4096
#: How many chunks smaller than :data:`FULL_ROWS` a form version may have before they merge.
MERGE_AT = 64
#: Override codes: 0 none, 1 raised, 2 lowered (``OverrideDirection`` values).
OVERRIDES = ("none", "raised", "lowered")
MAGIC = b"RSC1"
_WBITS = -15  # raw deflate: the page HMAC authenticates the bytes
_NARROW = (np.int8, np.int16, np.int32)
#: Question types whose column, unanswered everywhere, reads back the same when left out
#: (a text column keeps its own unanswered code, so it is always stored).
_DROPPABLE = frozenset(QuestionType) - {QuestionType.TEXT, QuestionType.LONG_TEXT}


@dataclass(frozen=True)
class StoredColumns:
    """Finalised screenings of one form version as columns, in screening id order."""

    ids: NDArray[np.int64]
    columns: Columns
    overrides: NDArray[np.int8]

    @property
    def size(self) -> int:
        """How many screenings."""
        return int(self.ids.shape[0])


def _narrow(codes: NDArray[np.int64]) -> NDArray[Any]:
    """``codes`` in the narrowest integer type holding them, its minimum for MISSING."""
    given = codes[codes != MISSING]
    low = int(given.min()) if given.size else 0
    high = int(given.max()) if given.size else 0
    for kind in _NARROW:
        info = np.iinfo(kind)
        if low > info.min and high <= info.max:
            return np.where(codes == MISSING, info.min, codes).astype(kind)
    return codes


def _widen(data: NDArray[Any]) -> NDArray[np.int64]:
    wide = data.astype(np.int64)
    if data.dtype != np.int64:
        wide[data == np.iinfo(data.dtype).min] = MISSING
    return wide


def encode_chunk(ids: NDArray[np.int64], columns: Columns, overrides: NDArray[np.int8]) -> bytes:
    """The stored bytes of screenings ``ids`` (in the order of ``columns``' rows)."""
    arrays: list[NDArray[Any]] = [ids.astype("<i8"), columns.days.astype("<i4"),
                                  overrides.astype("<i1")]
    described = []
    for qid, codes in columns.codes.items():
        narrow = _narrow(codes)
        arrays.append(narrow.astype(narrow.dtype.newbyteorder("<")))
        described.append([qid, narrow.dtype.name])
    texts = [(qid, json.dumps(list(t), separators=(",", ":"), ensure_ascii=False)
              .encode("utf-8")) for qid, t in columns.texts.items()]
    header = json.dumps({
        "rows": columns.size, "columns": described,
        "texts": [[qid, len(t)] for qid, t in texts],
        "unscorable": [[row, q, why] for row, (q, why) in sorted(columns.unscorable.items())],
    }, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    packer = zlib.compressobj(6, zlib.DEFLATED, _WBITS)
    body = packer.compress(struct.pack(">I", len(header)) + header)
    for array in arrays:
        body += packer.compress(array.tobytes())
    for _, t in texts:
        body += packer.compress(t)
    return MAGIC + body + packer.flush()


def decode_chunk(data: bytes, form: FormDefinition,
                 questions: Iterable[str] | None = None) -> StoredColumns:
    """The screenings a chunk holds (``ValueError`` if it is damaged or not a chunk).

    With ``questions``, only those questions' columns are read (their texts are the costly
    part of a chunk to read).
    """
    if not data.startswith(MAGIC):
        raise ValueError("not a column chunk")
    wanted = None if questions is None else set(questions)
    try:
        raw = zlib.decompress(data[len(MAGIC):], _WBITS)
        (length,) = struct.unpack_from(">I", raw)
        header = json.loads(raw[4:4 + length])
        rows = int(header["rows"])
        at = 4 + length

        def take(kind: str) -> NDArray[Any]:
            nonlocal at
            dtype = np.dtype(kind).newbyteorder("<")
            array = np.frombuffer(raw, dtype=dtype, count=rows, offset=at)
            at += rows * dtype.itemsize
            return array

        ids = take("int64").astype(np.int64)
        days = take("int32").astype(np.int64)
        overrides = take("int8").astype(np.int8)
        codes = {}
        for qid, kind in header["columns"]:
            array = take(str(kind))
            if wanted is None or qid in wanted:
                codes[str(qid)] = _widen(array)
        texts: dict[str, tuple[str, ...]] = {}
        for qid, size in header["texts"]:
            if (wanted is None or qid in wanted) and qid in codes:
                texts[str(qid)] = tuple(json.loads(raw[at:at + size]))
            at += int(size)
        if at != len(raw):
            raise ValueError("a column chunk is cut short or has bytes left over")
        unscorable = {int(r): (str(q), str(why)) for r, q, why in header["unscorable"]}
    except (zlib.error, struct.error, KeyError, TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"a column chunk is damaged ({type(error).__name__})") from None
    columns = Columns(form, days, codes, texts, unscorable=unscorable)
    return StoredColumns(ids, columns, overrides)


def _joined(form: FormDefinition, parts: Sequence[StoredColumns]) -> StoredColumns:
    """Chunks as one, sorted by screening id."""
    ids = np.concatenate([p.ids for p in parts]) if parts else np.zeros(0, np.int64)
    overrides = (np.concatenate([p.overrides for p in parts]) if parts
                 else np.zeros(0, np.int8))
    columns = concat(form, [p.columns for p in parts])
    order = np.argsort(ids, kind="stable")
    if not np.array_equal(order, np.arange(ids.shape[0])):
        ids, overrides, columns = ids[order], overrides[order], columns.take(order)
    return StoredColumns(ids, columns, overrides)


def read_columns(form: FormDefinition, chunks: Iterable[bytes],
                 questions: Iterable[str] | None = None) -> StoredColumns:
    """Every screening of ``chunks`` (the ``data`` of this form version's rows) as one
    :class:`StoredColumns`, in screening id order, derived values computed; with
    ``questions``, only their columns (and what the derived values need)."""
    if questions is not None:
        questions = {*questions, *(d.question for d in form.derived)}
    return _joined(form, [decode_chunk(bytes(c), form, questions) for c in chunks])


def differing_rows(expected: Columns, stored: Columns) -> NDArray[np.bool_]:
    """Which rows of ``stored`` hold other answers than ``expected`` (same screenings, same
    order): codes compared question by question, text answers by their text."""
    if expected.size != stored.size:
        raise ValueError("the columns hold different numbers of screenings")
    differ: NDArray[np.bool_] = np.asarray(expected.days != stored.days)
    for qid in expected.form.question_index():
        a, b = expected.column(qid), stored.column(qid)
        if qid in expected.texts or qid in stored.texts:
            a = _texts_of(a, expected.texts.get(qid, ()))
            b = _texts_of(b, stored.texts.get(qid, ()))
        differ |= a != b
    unscorable = np.zeros(stored.size, dtype=np.bool_)
    unscorable[list(expected.unscorable)] = True
    unscorable[list(stored.unscorable)] ^= True
    return np.asarray(differ | unscorable, dtype=np.bool_)


def _texts_of(codes: NDArray[np.int64], texts: Sequence[str]) -> NDArray[Any]:
    table = np.asarray([None, *texts], dtype=object)
    return table[np.where(codes > 0, codes, 0)]


def _override_code(override: str | None) -> int:
    return OVERRIDES.index(override) if override in OVERRIDES else 0


def add_screenings(connection: Connection, form: FormDefinition,
                   screenings: Sequence[tuple[int, AnswerSet, str | None]]) -> None:
    """Store ``(id, answer set, override direction or None)`` of newly finalised screenings
    of one form version, inside the caller's write transaction, as one chunk; then merge the
    form version's small chunks if there are :data:`MERGE_AT` of them."""
    if not screenings:
        return
    ids = np.asarray([sid for sid, _, _ in screenings], dtype=np.int64)
    columns = encode(form, [s for _, s, _ in screenings])
    overrides = np.asarray([_override_code(o) for _, _, o in screenings], dtype=np.int8)
    order = np.argsort(ids, kind="stable")
    ids, overrides, columns = ids[order], overrides[order], columns.take(order)
    for start in range(0, ids.shape[0], FULL_ROWS):
        stop = start + FULL_ROWS
        part = columns.rows(start, stop)
        part = Columns(form, part.days, part.codes, part.texts,
                       unscorable={r - start: why for r, why in columns.unscorable.items()
                                   if start <= r < stop})
        _insert(connection, form, ids[start:stop], part, overrides[start:stop])
    small = connection.execute(
        select(func.count()).select_from(AnswerColumnsRow).where(
            AnswerColumnsRow.form_id == form.id, AnswerColumnsRow.form_version == form.version,
            AnswerColumnsRow.rows < FULL_ROWS)).scalar_one()
    if small >= MERGE_AT:
        merge_chunks(connection, form)


def _insert(connection: Connection, form: FormDefinition, ids: NDArray[np.int64],
            columns: Columns, overrides: NDArray[np.int8]) -> None:
    index = form.question_index()
    codes: dict[str, NDArray[np.int64]] = {}
    texts: dict[str, tuple[str, ...]] = {}
    for qid, column in columns.codes.items():
        q = index.get(qid)
        if (q is not None and q.type in _DROPPABLE
                and not bool(np.any(column != (MISSING if q.type in NUMERIC else 0)))):
            continue  # unanswered everywhere: reads back the same without a column
        if qid in columns.texts:  # only the texts these rows give, each once, renumbered
            given = column > 0
            table: dict[str, int] = {}
            remap = np.zeros(len(columns.texts[qid]) + 1, dtype=np.int64)
            for code in np.unique(column[given]).tolist():
                remap[code] = table.setdefault(columns.texts[qid][code - 1], len(table) + 1)
            texts[qid] = tuple(table)
            column = np.where(given, remap[np.where(given, column, 0)], column)
        codes[qid] = column
    trimmed = Columns(form, columns.days, codes, texts, unscorable=columns.unscorable)
    connection.execute(insert(AnswerColumnsRow).values(
        form_id=form.id, form_version=form.version, first_id=int(ids[0]),
        rows=int(ids.shape[0]), data=encode_chunk(ids, trimmed, overrides)))


def merge_chunks(connection: Connection, form: FormDefinition) -> None:
    """Merge every chunk of this form version smaller than :data:`FULL_ROWS` into as few
    as possible, inside the caller's write transaction."""
    table = AnswerColumnsRow
    found = connection.execute(
        select(table.id, table.data).where(
            table.form_id == form.id, table.form_version == form.version,
            table.rows < FULL_ROWS).order_by(table.id)).all()
    if len(found) < 2:
        return
    merged = _joined(form, [decode_chunk(bytes(data), form) for _, data in found])
    connection.execute(delete(table).where(table.id.in_([i for i, _ in found])))
    cols = merged.columns
    for start in range(0, merged.size, FULL_ROWS):
        stop = start + FULL_ROWS
        part = cols.rows(start, stop)
        part = Columns(form, part.days, part.codes, part.texts,
                       unscorable={r - start: why for r, why in cols.unscorable.items()
                                   if start <= r < stop})
        _insert(connection, form, merged.ids[start:stop], part, merged.overrides[start:stop])
