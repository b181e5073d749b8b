"""The hash-chained audit log.

Each entry's hash is SHA-256 over the canonical JSON of ``[prev_hash, seq, at, user, action,
object, detail]``, where ``prev_hash`` is the hex hash of the entry before it, so editing or
deleting any entry other than the newest breaks the chain. The previous hash is not stored
again in each row (it is the row before's), and hashes are stored as their 32 bytes; both are
turned back into the same hex text when hashing, so entries written before keep verifying.
Deleting the newest entries is caught by the *recorded head*: the last seq and hash, written
outside the database to ``<db>.audit-head.json`` when a session locks or closes, after each
backup and after ``verify`` (never per answer save). The record only moves forward: a
database whose chain is behind it, or differs at the recorded entry, keeps it, so ``verify``
reports the loss.
``detail`` never holds personal data: ids, question ids, levels and counts only.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from riskscreen.crypto.sidefile import read_checked, side_file_path, write_checked
from riskscreen.dates import moment, show_date
from riskscreen.store.backend import serialise_writers
from riskscreen.store.models import AuditEntry, stamp_micros, stamp_text, utc_now

__all__ = [
    "GENESIS",
    "AuditHead",
    "AuditProblem",
    "append",
    "check_head",
    "entry_hash",
    "head_path",
    "hex_digest",
    "read_head",
    "record_head",
    "stored_digest",
    "verify_chain",
]

_HEAD_FORMAT = "riskscreen-audit-head"
_log = logging.getLogger(__name__)

GENESIS = "0" * 64


def entry_hash(prev_hash: str, seq: int, at: str, user: str, action: str, obj: str,
               detail: str) -> str:
    """The hash of one entry over its fields and the previous entry's hash."""
    payload = json.dumps([prev_hash, seq, at, user, action, obj, detail],
                         separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def stored_digest(hex_hash: str) -> bytes:
    """The 32 bytes an entry's hex hash is stored as."""
    return bytes.fromhex(hex_hash)


def hex_digest(stored: bytes | str) -> str:
    """The hex text of a stored hash (bytes; text if someone wrote text into the column)."""
    return stored.hex() if isinstance(stored, bytes | bytearray | memoryview) \
        else str(stored)


def append(session: Session, user: str, action: str, obj: str,
           detail: Mapping[str, Any] | None = None) -> AuditEntry:
    """Add an entry to the chain inside the caller's transaction (which holds the write lock;
    on a server, the appends' advisory lock is taken here)."""
    serialise_writers(session.connection())
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    fields = _next_entry(last, user, action, obj, detail)
    entry = AuditEntry(seq=fields["seq"], at=fields["at"], user=user, action=action, object=obj,
                       detail=fields["detail"], hash=stored_digest(fields["hash"]))
    session.add(entry)
    return entry


def append_raw(cursor: Any, user: str, action: str, obj: str,
               detail: Mapping[str, Any] | None = None) -> None:
    """:func:`append` through a DB-API cursor inside the caller's write transaction."""
    last = cursor.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    e = _next_entry(last, user, action, obj, detail)
    cursor.execute(
        "INSERT INTO audit_log (seq, at, \"user\", action, object, detail, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (e["seq"], stamp_micros(e["at"]), e["user"], e["action"], e["object"], e["detail"],
         stored_digest(e["hash"])))


def _next_entry(last: Any, user: str, action: str, obj: str,
                detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """The fields of the entry that follows ``last`` (its (seq, stored hash), or None), with
    its hash and the previous one as hex."""
    seq, prev = (int(last[0]) + 1, hex_digest(last[1])) if last else (1, GENESIS)
    at = utc_now()
    detail_text = json.dumps(dict(detail or {}), sort_keys=True, separators=(",", ":"),
                             ensure_ascii=False)
    return {"seq": seq, "at": at, "user": user, "action": action, "object": obj,
            "detail": detail_text, "prev_hash": prev,
            "hash": entry_hash(prev, seq, at, user, action, obj, detail_text)}


@dataclass(frozen=True)
class AuditProblem:
    """One break in the chain."""

    seq: int
    message: str


def _rows(connection: Connection) -> Iterable[Any]:
    return connection.execute(text(
        "SELECT seq, at, \"user\", action, object, detail, hash FROM audit_log ORDER BY seq"))


def verify_chain(connection: Connection) -> tuple[int, str, list[AuditProblem]]:
    """Check every entry against its own fields and the entry before it; returns (entries,
    head hash as hex, problems).

    An entry whose hash does not match was changed, or the entry before it was changed or
    removed (the hash covers the previous entry's hash).
    """
    problems: list[AuditProblem] = []
    expected_seq, prev = 1, GENESIS
    count = 0
    for seq, stored_at, user, action, obj, detail, stored in _rows(connection):
        count += 1
        at = stamp_text(stored_at)  # hashed as the text it was written as
        digest = hex_digest(stored)
        if seq != expected_seq:
            problems.append(AuditProblem(
                seq, f"entries {expected_seq} to {seq - 1} are missing (deleted?)"
                if seq > expected_seq else "sequence number repeated or out of order"))
        if entry_hash(prev, seq, at, user, action, obj, detail) != digest:
            problems.append(AuditProblem(
                seq, "was changed after it was written, or the entry before it was"))
        expected_seq, prev = seq + 1, digest
    return count, prev, problems


# -- the recorded head, outside the database ---------------------------------------------------


@dataclass(frozen=True)
class AuditHead:
    """The newest audit entry of a database as recorded beside it."""

    database_id: str
    seq: int
    hash: str
    recorded_at: str
    restores: tuple[dict[str, Any], ...] = ()


def head_path(db_path: Path) -> Path:
    """``<db>.audit-head.json`` beside the database."""
    return side_file_path(db_path, ".audit-head.json")


def read_head(db_path: Path) -> AuditHead | None:
    """The recorded head; None if there is none. ``ValueError`` if the file is damaged."""
    try:
        body = read_checked(head_path(db_path), _HEAD_FORMAT)
    except OSError as error:
        raise ValueError(f"cannot be read ({error.strerror})") from None
    if body is None:
        return None
    try:
        restores = body.get("restores", [])
        if not isinstance(restores, list) or not all(isinstance(r, dict) for r in restores):
            raise ValueError("malformed")
        return AuditHead(str(body["database_id"]), int(body["seq"]), str(body["hash"]),
                         str(body["recorded_at"]), tuple(restores))
    except (KeyError, TypeError, ValueError):
        raise ValueError("malformed") from None


def _database_head(raw: Any) -> tuple[str, int, str]:
    """(database id, last seq, last hash) through a DB-API connection (0, GENESIS if empty)."""
    found = raw.execute("SELECT value FROM meta WHERE key='database_id'").fetchone()
    last = raw.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return (str(found[0]) if found else "",
            *((int(last[0]), hex_digest(last[1])) if last else (0, GENESIS)))


def _hash_at(raw: Any, seq: int) -> str | None:
    row = raw.execute("SELECT hash FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    return None if row is None else hex_digest(row[0])


_KEEP_RESTORES = 50


def record_head(raw: Any, db_path: Path, *, force: bool = False,
                restore: Mapping[str, Any] | None = None) -> None:
    """Write the database's current head beside it, through a DB-API connection ``raw``.

    Only forward: if the database's chain is behind the recorded head or differs at it, the
    record is kept (``verify`` reports it) unless ``force`` (after a restore, whose record
    ``restore`` is added to the list of restores the file keeps). A damaged record is
    replaced. ``OSError`` if the file cannot be written.
    """
    database_id, seq, digest = _database_head(raw)
    try:
        recorded = read_head(db_path)
    except ValueError:
        recorded = None
    if not force and recorded is not None and recorded.database_id == database_id and (
            seq < recorded.seq or _hash_at(raw, recorded.seq) != recorded.hash):
        return
    restores = list(recorded.restores) if recorded is not None else []
    if restore is not None:
        restores.append({**restore, "at": utc_now(), "restored_seq": seq})
    write_checked(head_path(db_path), _HEAD_FORMAT, {
        "database_id": database_id, "seq": seq, "hash": digest, "recorded_at": utc_now(),
        "restores": restores[-_KEEP_RESTORES:]})


def check_head(raw: Any, db_path: Path) -> list[str]:
    """Problems of the audit log against the head recorded outside the database."""
    try:
        recorded = read_head(db_path)
    except ValueError as error:
        return [f"the recorded audit head ({head_path(db_path).name}) is damaged ({error})"]
    if recorded is None:
        return []
    database_id, seq, _ = _database_head(raw)
    if recorded.database_id != database_id:
        return [f"the recorded audit head ({head_path(db_path).name}) belongs to another "
                "database"]
    on = show_date(moment(recorded.recorded_at))
    if seq < recorded.seq:
        return [f"the audit log ends at entry {seq}, but entry {recorded.seq} was recorded on "
                f"{on}: the newest entries were deleted, or an older copy of the database was "
                "put in place outside 'riskscreen restore'"]
    if _hash_at(raw, recorded.seq) != recorded.hash:
        return [f"audit entry {recorded.seq} differs from the one recorded on {on}: the log "
                "was rewritten (or its newest entries were deleted and later ones written in "
                "their place)"]
    return []
