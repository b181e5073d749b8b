"""Finalised records kept compactly: a snapshot and its answer set as one compressed blob.

A finalised screening's record is the exact text its finalise audit entry digests,
``snapshot + "\\n" + answer set`` (both compact JSON, which never holds a raw newline),
compressed with raw deflate primed with a *dictionary*: text that looks like a record, so
that the labels, reasons and question ids every snapshot repeats cost a few bytes each.
A record of about 13 KB takes about 420 bytes. Dictionaries are rows of
``record_dictionaries``, immutable like the records, made once per scoring model from
synthetic screenings (never from anyone's answers), so decompressing needs only the
database. ``verify`` decompresses every record and checks its digest against the audit log.
"""

from __future__ import annotations

import json
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from riskscreen.forms.model import FormDefinition

__all__ = [
    "DICTIONARY_BYTES",
    "build_dictionary",
    "compress_record",
    "decompress_record",
    "dictionary_for",
    "read_dictionaries",
    "record_text",
    "split_record",
    "synthetic_dictionary",
]

#: Deflate looks back at most 32 KB, so a longer dictionary is never used.
DICTIONARY_BYTES = 32 * 1024
#: Synthetic records a dictionary is chosen from, and those it is tried on.
_CANDIDATES = 16
_TRIALS = 16
_WBITS = -15  # raw deflate: no header or checksum (the page HMAC authenticates the bytes)


def record_text(snapshot: str, answer_set: str) -> str:
    """The text a record holds (and the finalise audit entry's digest covers)."""
    return f"{snapshot}\n{answer_set}"


def split_record(text: str) -> tuple[str, str]:
    """(snapshot, answer set) texts of a record's text."""
    snapshot, _, answer_set = text.partition("\n")
    return snapshot, answer_set


def compress_record(text: str, dictionary: bytes) -> bytes:
    """A record's text compressed with ``dictionary``."""
    packer = zlib.compressobj(9, zlib.DEFLATED, _WBITS, 9, zlib.Z_DEFAULT_STRATEGY,
                              zdict=dictionary)
    return packer.compress(text.encode("utf-8")) + packer.flush()


def decompress_record(blob: bytes, dictionary: bytes) -> str:
    """The text of a record compressed with ``dictionary`` (``zlib.error`` if damaged)."""
    unpacker = zlib.decompressobj(_WBITS, zdict=dictionary)
    data = unpacker.decompress(blob) + unpacker.flush()
    if not unpacker.eof:
        raise zlib.error("the record is cut short")
    return data.decode("utf-8")


def build_dictionary(samples: list[str]) -> bytes:
    """A dictionary from sample record texts (the last 32 KB of them, joined)."""
    return "\n".join(samples).encode("utf-8")[-DICTIONARY_BYTES:]


def synthetic_dictionary(model_json: str, form: FormDefinition | None = None) -> bytes:
    """A dictionary for records scored with a stored model: a few synthetic screenings of
    ``form`` (by default the shipped form of the model's id) scored with it, or the model's
    own text if it cannot score that form."""
    from riskscreen.definitions import DefinitionError
    from riskscreen.forms.loader import load_form
    from riskscreen.scoring.engine import score
    from riskscreen.scoring.model import ScoringModel
    from riskscreen.synthetic import generate_answer_sets

    try:
        model = ScoringModel.model_validate_json(model_json)  # as stored, hash checked
        if form is None:
            try:
                form = load_form(model.form.id)
            except DefinitionError:  # an installed instrument: no shipped form of that id
                return model_json.encode("utf-8")[-DICTIONARY_BYTES:]
        samples = []
        for answer_set in generate_answer_sets(form, _CANDIDATES + _TRIALS, seed=20_131):
            snapshot = json.dumps(score(form, model, answer_set).to_dict(), sort_keys=True,
                                  separators=(",", ":"), ensure_ascii=False)
            samples.append(record_text(snapshot, answer_set.model_dump_json()))
    except (ValueError, LookupError, OSError):
        return model_json.encode("utf-8")[-DICTIONARY_BYTES:]
    return _trained(samples[:_CANDIDATES], samples[_CANDIDATES:])


def _trained(candidates: list[str], trials: list[str]) -> bytes:
    """The dictionary of the few ``candidates`` that compress the ``trials`` best.

    Which whole records a dictionary holds matters far more than how many (a record that
    answers many questions primes more of the others); chosen greedily, from the one that
    will sit nearest the data backwards, they take about a fifth less than three arbitrary
    ones. Every record is synthetic, so nobody's answers shape the dictionary.
    """
    def size(dictionary: bytes) -> int:
        return sum(len(compress_record(text, dictionary)) for text in trials)

    chosen: list[str] = []
    while len("\n".join(chosen).encode("utf-8")) < DICTIONARY_BYTES and len(chosen) < len(
            candidates):
        best = min((c for c in candidates if c not in chosen),
                   key=lambda c: size(build_dictionary([c, *chosen])))
        chosen.insert(0, best)
    return build_dictionary(chosen)


def read_dictionaries(raw: Any) -> dict[int, bytes]:
    """Every dictionary by id, through a DB-API connection (or SQLAlchemy's)."""
    run = raw.exec_driver_sql if hasattr(raw, "exec_driver_sql") else raw.execute
    return {int(i): bytes(d) for i, d in run("SELECT id, data FROM record_dictionaries")}


def dictionary_for(connection: Any, model_sha256: str, model_json: str,
                   form: FormDefinition | None = None) -> tuple[int, bytes]:
    """(id, bytes) of the dictionary for records of one model (scoring ``form``), made and
    stored if it has none yet, through a SQLAlchemy connection inside the caller's write
    transaction."""
    row = connection.exec_driver_sql(
        "SELECT id, data FROM record_dictionaries WHERE model_sha256 = ? ORDER BY id LIMIT 1",
        (model_sha256,)).first()
    if row is not None:
        return int(row[0]), bytes(row[1])
    data = synthetic_dictionary(model_json, form)
    connection.exec_driver_sql(
        "INSERT INTO record_dictionaries (model_sha256, data) VALUES (?, ?)",
        (model_sha256, data))
    new = connection.exec_driver_sql(
        "SELECT id FROM record_dictionaries WHERE model_sha256 = ? ORDER BY id LIMIT 1",
        (model_sha256,)).scalar_one()
    return int(new), data
