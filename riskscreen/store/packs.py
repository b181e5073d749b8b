"""Compact copies of finalised answer sets for bulk re-scoring.

A pack is ``zlib`` of the compact JSON ``[form, form_version, screening_date, keyset,
[positions...], [values...], evidence]``. The question ids are not repeated in every pack:
``keyset`` names a row of ``answer_keysets`` holding an ordered list of question ids (a
superset of the questions any pack using it answers; a new, larger one is added only when an
answer set has a question none has), and ``positions`` say which of them this answer set
answers, in the order of ``values``. A pack is about a third of the answer set's size,
decodes in about half the time, and all decoded answer dicts share the same key strings.
Packs and key sets are immutable (triggers), and ``verify`` checks each pack against its
snapshot's answer set. A pack that decompresses to a JSON object is the answer set itself
(the first pack format, still written where the answer set is not well formed; read too).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["Keysets", "choose_keyset", "decode_pack", "encode_pack", "keyset_id",
           "parse_keysets"]

#: keyset id -> question ids (as one shared tuple of strings).
Keysets = Mapping[int, tuple[str, ...]]


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def choose_keyset(keysets: Keysets, questions: Iterable[str]
                  ) -> tuple[int | None, tuple[str, ...]]:
    """(id, keys) of the newest key set holding every question; (None, keys to add) if none
    does: the newest key set's questions and the new ones, sorted."""
    wanted = set(questions)
    for kid in sorted(keysets, reverse=True):
        if wanted.issubset(keysets[kid]):
            return kid, keysets[kid]
    newest = keysets[max(keysets)] if keysets else ()
    return None, tuple(sorted(wanted.union(newest)))


def encode_pack(raw: Mapping[str, Any], keyset: int, keys: tuple[str, ...]) -> bytes:
    """The pack of a parsed answer set, using key set ``keyset`` (whose question ids are
    ``keys`` and include every answered question)."""
    index = {k: i for i, k in enumerate(keys)}
    answers = raw["answers"]
    positions = sorted(index[q] for q in answers)
    return zlib.compress(_compact([
        raw["form"], raw["form_version"], raw["screening_date"], keyset, positions,
        [answers[keys[i]] for i in positions], raw.get("evidence") or {}]).encode("utf-8"), 6)


def decode_pack(packed: bytes, keysets: Keysets,
                reload: Callable[[], Keysets] | None = None) -> dict[str, Any]:
    """The parsed answer set (equal to ``json.loads`` of its JSON) from a pack.

    ``reload`` is called once if the pack names a key set not in ``keysets`` (one added
    since they were read); ``KeyError`` if it is still unknown.
    """
    data = json.loads(zlib.decompress(packed))
    if isinstance(data, dict):
        return data
    if len(data) == 6:  # an earlier keyset format: the key set is exactly the answers
        form, version, day, keyset, values, evidence = data
        positions = None
    else:
        form, version, day, keyset, positions, values, evidence = data
    keys = keysets.get(keyset)
    if keys is None and reload is not None:
        keys = reload()[keyset]
    if keys is None:
        raise KeyError("answer key set")
    named = keys if positions is None else map(keys.__getitem__, positions)
    return {"form": form, "form_version": version, "screening_date": day,
            "answers": dict(zip(named, values, strict=True)), "evidence": evidence}


def keyset_id(connection: Any, keys: tuple[str, ...]) -> int:
    """Add key set ``keys`` (if new) and return its id, through a SQLAlchemy connection
    inside the caller's write transaction."""
    text = _compact(list(keys))
    connection.exec_driver_sql(
        "INSERT INTO answer_keysets (keys) VALUES (?) ON CONFLICT (keys) DO NOTHING", (text,))
    return int(connection.exec_driver_sql(
        "SELECT id FROM answer_keysets WHERE keys = ?", (text,)).scalar_one())


def parse_keysets(rows: Any) -> dict[int, tuple[str, ...]]:
    """Key sets from ``(id, keys)`` rows, each key string shared by every decoded pack."""
    shared: dict[str, str] = {}
    return {int(i): tuple(shared.setdefault(k, k) for k in json.loads(keys))
            for i, keys in rows}
