"""Compact copies of finalised answer sets for bulk re-scoring (revisions 0003 and 0004).

A pack is ``zlib`` of the compact JSON ``[form, form_version, screening_date, keyset,
[answer values...], evidence]``. The question ids of the answers are not repeated in every
pack: ``keyset`` names a row of ``answer_keysets`` holding them (a few dozen distinct sets of
answered questions exist), so a pack is about a third of the answer set's size, decodes in
about half the time, and all decoded answer dicts share the same key strings. Packs and
key sets are immutable (triggers), and ``verify`` checks each pack against its snapshot's
answer set. A pack that decompresses to a JSON object is the answer set itself (revision
0003's form, left by 0004 only where the answer set is not well formed; read too).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Keysets", "decode_pack", "encode_pack", "keys_json", "keyset_id", "parse_keysets"]

#: keyset id -> question ids (as one shared tuple of strings).
Keysets = Mapping[int, tuple[str, ...]]


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def keys_json(raw: Mapping[str, Any]) -> str:
    """The key-set text of a parsed answer set (its question ids, in stored order)."""
    return _compact(list(raw["answers"]))


def encode_pack(raw: Mapping[str, Any], keyset: int) -> bytes:
    """The pack of a parsed answer set whose :func:`keys_json` is key set ``keyset``."""
    return zlib.compress(_compact([
        raw["form"], raw["form_version"], raw["screening_date"], keyset,
        list(raw["answers"].values()), raw.get("evidence") or {}]).encode("utf-8"), 6)


def decode_pack(packed: bytes, keysets: Keysets,
                reload: Callable[[], Keysets] | None = None) -> dict[str, Any]:
    """The parsed answer set (as ``json.loads`` of its JSON would give) from a pack.

    ``reload`` is called once if the pack names a key set not in ``keysets`` (one added
    since they were read); ``KeyError`` if it is still unknown.
    """
    data = json.loads(zlib.decompress(packed))
    if isinstance(data, dict):
        return data
    form, version, day, keyset, values, evidence = data
    keys = keysets.get(keyset)
    if keys is None and reload is not None:
        keys = reload()[keyset]
    if keys is None or len(keys) != len(values):
        raise KeyError("answer key set")
    return {"form": form, "form_version": version, "screening_date": day,
            "answers": dict(zip(keys, values, strict=True)), "evidence": evidence}


def keyset_id(connection: Any, keys: str) -> int:
    """The id of key set ``keys`` (added if new), through a SQLAlchemy connection inside the
    caller's write transaction."""
    connection.exec_driver_sql(
        "INSERT INTO answer_keysets (keys) VALUES (?) ON CONFLICT (keys) DO NOTHING", (keys,))
    return int(connection.exec_driver_sql(
        "SELECT id FROM answer_keysets WHERE keys = ?", (keys,)).scalar_one())


def parse_keysets(rows: Any) -> dict[int, tuple[str, ...]]:
    """Key sets from ``(id, keys)`` rows, each key string shared by every decoded pack."""
    shared: dict[str, str] = {}
    return {int(i): tuple(shared.setdefault(k, k) for k in json.loads(keys))
            for i, keys in rows}
