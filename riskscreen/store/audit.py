"""The hash-chained audit log.

Each entry's hash is SHA-256 over the canonical JSON of ``[prev_hash, seq, at, user, action,
object, detail]``, and each entry names the previous entry's hash, so editing or deleting any
entry (other than the newest, see ``docs/design/0001-encryption.md``) breaks the chain.
``detail`` never holds personal data: ids, question ids, levels and counts only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from riskscreen.store.models import AuditEntry, utc_now

__all__ = ["GENESIS", "AuditProblem", "append", "entry_hash", "verify_chain"]

GENESIS = "0" * 64


def entry_hash(prev_hash: str, seq: int, at: str, user: str, action: str, obj: str,
               detail: str) -> str:
    """The hash of one entry over its fields and the previous entry's hash."""
    payload = json.dumps([prev_hash, seq, at, user, action, obj, detail],
                         separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(session: Session, user: str, action: str, obj: str,
           detail: Mapping[str, Any] | None = None) -> AuditEntry:
    """Add an entry to the chain inside the caller's transaction (which holds the write lock)."""
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = utc_now()
    detail_text = json.dumps(dict(detail or {}), sort_keys=True, separators=(",", ":"),
                             ensure_ascii=False)
    entry = AuditEntry(seq=seq, at=at, user=user, action=action, object=obj,
                       detail=detail_text, prev_hash=prev,
                       hash=entry_hash(prev, seq, at, user, action, obj, detail_text))
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditProblem:
    """One break in the chain."""

    seq: int
    message: str


def _rows(connection: Connection) -> Iterable[Any]:
    return connection.execute(text(
        "SELECT seq, at, user, action, object, detail, prev_hash, hash "
        "FROM audit_log ORDER BY seq"))


def verify_chain(connection: Connection) -> tuple[int, str, list[AuditProblem]]:
    """Check every entry; returns (entries, head hash, problems)."""
    problems: list[AuditProblem] = []
    expected_seq, prev = 1, GENESIS
    count = 0
    for seq, at, user, action, obj, detail, prev_hash, stored in _rows(connection):
        count += 1
        if seq != expected_seq:
            problems.append(AuditProblem(
                seq, f"entries {expected_seq} to {seq - 1} are missing (deleted?)"
                if seq > expected_seq else "sequence number repeated or out of order"))
        if prev_hash != prev:
            problems.append(AuditProblem(seq, "does not link to the entry before it"))
        if entry_hash(prev_hash, seq, at, user, action, obj, detail) != stored:
            problems.append(AuditProblem(seq, "was changed after it was written"))
        expected_seq, prev = seq + 1, stored
    return count, prev, problems
