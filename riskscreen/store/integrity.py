"""Cross-checks of the stored records, for ``verify``, beyond pages and the audit chain.

Someone who holds the data key can edit rows directly and can drop the triggers that keep
finalised records immutable. These checks find such edits: every denormalised column against
the snapshot it copies, a finalised screening's answers against its snapshot's answer set,
each snapshot against the digest its finalise audit entry recorded (the audit chain and the
head kept outside the database protect that entry), and the triggers themselves.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator
from typing import Any

from riskscreen.store.db import server_module_types
from riskscreen.store.models import digest_text
from riskscreen.store.records import decompress_record, read_dictionaries, split_record

__all__ = [
    "EXPECTED_SERVER_TRIGGERS",
    "EXPECTED_TRIGGERS",
    "check_pages",
    "check_records",
    "check_triggers",
    "on_server",
    "snapshot_digest",
    "stored_record",
]

_IMMUTABLE = "BEGIN SELECT RAISE(ABORT, '{message}'); END"
_SNAPSHOTS = "assessment snapshots are immutable"
_FINAL = "a finalised screening cannot be edited"
_RECEIVED = "a received package is kept as it arrived"


def _simple(name: str, event: str, table: str, message: str) -> str:
    return f"CREATE TRIGGER {name} BEFORE {event} ON {table} " + _IMMUTABLE.format(
        message=message)


def _answers(name: str, event: str, row: str) -> str:
    return (f"CREATE TRIGGER {name} BEFORE {event} ON answers WHEN (SELECT status FROM "  # noqa: S608 - compared with sqlite_master, never run
            f"screenings WHERE id = {row}.screening_id) = 'final' "
            + _IMMUTABLE.format(message=_FINAL))


#: Every trigger that keeps finalised records immutable, as its SQL with single spaces.
EXPECTED_TRIGGERS: dict[str, str] = {
    **{f"{table}_immutable_{e[0].lower()}": _simple(f"{table}_immutable_{e[0].lower()}", e,
                                                    table, message)
       for table, message in (("scoring_models", "published scoring models are immutable"),
                              ("assessments", _SNAPSHOTS),
                              ("audit_log", "the audit log is append-only"),
                              ("record_dictionaries", _SNAPSHOTS),
                              ("forms", "stored forms are immutable"))
       for e in ("UPDATE", "DELETE")},
    "answers_final_i": _answers("answers_final_i", "INSERT", "NEW"),
    "answers_final_u": _answers("answers_final_u", "UPDATE", "OLD"),
    "answers_final_d": _answers("answers_final_d", "DELETE", "OLD"),
    "screenings_final_u": ("CREATE TRIGGER screenings_final_u BEFORE UPDATE ON screenings "
                           "WHEN OLD.status = 'final' " + _IMMUTABLE.format(message=_FINAL)),
    # A received package is kept as it arrived, so its sender's signature still checks.
    "received_packages_content_u": (
        "CREATE TRIGGER received_packages_content_u BEFORE UPDATE OF content, sha256, "
        "package_id, sender_fingerprint, kind, reference ON received_packages "
        + _IMMUTABLE.format(message=_RECEIVED)),
    "received_packages_d": ("CREATE TRIGGER received_packages_d BEFORE DELETE ON "
                            "received_packages " + _IMMUTABLE.format(message=_RECEIVED)),
}


def snapshot_digest(snapshot: str, answer_set: str) -> str:
    """SHA-256 over a snapshot's stored text and its answer set's, as the finalise audit
    entry records it."""
    return hashlib.sha256(f"{snapshot}\n{answer_set}".encode()).hexdigest()


#: A team server's immutability triggers, as its migrations make them: trigger -> (table,
#: the function it runs, the message that function must raise).
EXPECTED_SERVER_TRIGGERS: dict[str, tuple[str, str, str]] = {
    "forms_immutable": ("forms", "forms_immutable", "stored forms are immutable"),
    **{f"{table}_{kind}": (table, function, message)
       for table, function, message in (
           ("scoring_models", "riskscreen_models_immutable",
            "published scoring models are immutable"),
           ("assessments", "riskscreen_snapshots_immutable", _SNAPSHOTS),
           ("record_dictionaries", "riskscreen_snapshots_immutable", _SNAPSHOTS),
           ("audit_log", "riskscreen_audit_append_only", "the audit log is append-only"))
       for kind in ("immutable", "truncate")},
    "screenings_final": ("screenings", "riskscreen_final_screening", _FINAL),
    "answers_final": ("answers", "riskscreen_final_answers", _FINAL),
    "received_packages_content": ("received_packages", "riskscreen_received_immutable",
                                  _RECEIVED),
    "received_packages_d": ("received_packages", "riskscreen_received_immutable", _RECEIVED),
    "received_packages_truncate": ("received_packages", "riskscreen_received_immutable",
                                   _RECEIVED),
}


def on_server(raw: Any) -> bool:
    """Whether a DB-API connection is to a PostgreSQL server (else SQLite)."""
    return isinstance(raw, server_module_types("Connection"))


def check_pages(raw: Any) -> list[str]:
    """Pages that fail SQLCipher's authentication and SQLite's structure check (at most 20
    of the latter); nothing on a server, whose storage its administrators check."""
    if on_server(raw):
        return []
    problems = [f"page check: {r[0]}" for r in raw.execute("PRAGMA cipher_integrity_check")]
    rows = [r[0] for r in raw.execute("PRAGMA integrity_check")]
    if rows != ["ok"]:
        problems += rows[:20]
    return problems


def _check_server_triggers(raw: Any) -> list[str]:
    found = {str(name): (str(table), str(function), str(enabled), str(source))
             for name, table, function, enabled, source in raw.execute(
                 "SELECT t.tgname, c.relname, p.proname, t.tgenabled, p.prosrc "
                 "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                 "JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT t.tgisinternal")}
    problems = []
    for name, (table, function, message) in EXPECTED_SERVER_TRIGGERS.items():
        got = found.get(name)
        if got is None:
            problems.append(f"the trigger {name}, which keeps finalised records from being "
                            "changed, is missing (it was dropped)")
        elif got[2] == "D":
            problems.append(f"the trigger {name}, which keeps finalised records from being "
                            "changed, is disabled")
        elif got[:2] != (table, function) or f"RAISE EXCEPTION '{message}'" not in got[3]:
            problems.append(f"the trigger {name}, which keeps finalised records from being "
                            "changed, was altered")
    return problems


def check_triggers(raw: Any) -> list[str]:
    """Missing or altered immutability triggers, through a DB-API connection."""
    if on_server(raw):
        return _check_server_triggers(raw)
    found = {str(name): " ".join(str(sql).split()) for name, sql in raw.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}
    problems = []
    for name, sql in EXPECTED_TRIGGERS.items():
        if name not in found:
            problems.append(f"the trigger {name}, which keeps finalised records from being "
                            "changed, is missing (it was dropped)")
        elif found[name] != sql:
            problems.append(f"the trigger {name}, which keeps finalised records from being "
                            "changed, was altered")
    return problems


def _finalise_entries(raw: Any) -> dict[int, dict[str, Any]]:
    entries: dict[int, dict[str, Any]] = {}
    for obj, detail in raw.execute(
            "SELECT object, detail FROM audit_log WHERE action = 'finalise' ORDER BY seq"):
        try:
            entries[int(str(obj).removeprefix("screening:"))] = json.loads(detail)
        except (ValueError, TypeError):
            continue
    return entries


def stored_record(dictionaries: dict[int, bytes], dictionary_id: Any, record: Any
                  ) -> tuple[str, str]:
    """(snapshot, answer set) texts of a stored record; ``ValueError`` if it cannot be read."""
    try:
        return split_record(decompress_record(bytes(record), dictionaries[int(dictionary_id)]))
    except (KeyError, TypeError, zlib.error, UnicodeDecodeError) as error:
        raise ValueError("the record cannot be read") from error


def check_records(raw: Any) -> Iterator[str]:
    """Disagreements between finalised records and their snapshots, one message each."""
    finalised = _finalise_entries(raw)
    dictionaries = read_dictionaries(raw)
    with_rows = {int(r[0]) for r in raw.execute(
        "SELECT DISTINCT a.screening_id FROM answers a JOIN screenings s ON s.id = "
        "a.screening_id WHERE s.status = 'final'")}
    rows = raw.execute(
        "SELECT s.id, s.status, s.final_level, s.model_sha256, a.screening_id, "
        "a.final_level, a.dictionary_id, a.record FROM screenings s "
        "LEFT JOIN assessments a ON a.screening_id = s.id "
        "WHERE s.status = 'final' OR s.final_level IS NOT NULL OR a.screening_id IS NOT NULL "
        "ORDER BY s.id")
    for sid, status, level, sha, snap_id, snap_level, did, record in rows:
        where = f"screening {sid}"
        if snap_id is None:
            yield (f"{where} is marked finalised (or shows level {level}) but has no "
                   "snapshot")
            continue
        if status != "final":
            yield f"{where} has a finalised snapshot but is marked as a draft"
        try:
            snapshot, answer_set = stored_record(dictionaries, did, record)
            snap = json.loads(snapshot)
            json.loads(answer_set)
            snap_final = snap["final_level"]
        except (ValueError, TypeError, KeyError):
            yield f"{where}: its snapshot cannot be read"
            continue
        if level != snap_final:
            yield (f"{where}: the level shown in lists ({level or 'none'}) differs from its "
                   f"snapshot ({snap_final})")
        if snap_level != snap_final:
            yield (f"{where}: the snapshot's level column ({snap_level}) differs from the "
                   f"snapshot ({snap_final})")
        if digest_text(sha) != (snap.get("model") or {}).get("sha256", digest_text(sha)):
            yield f"{where}: its scoring model differs from the one in its snapshot"
        if int(sid) in with_rows:
            # A finalised screening's answers live only in its record (and its pack).
            yield (f"{where}: its answers differ from the answers recorded when it was "
                   "finalised")
        entry = finalised.get(sid)
        if entry is None:
            yield f"{where}: the audit log has no entry for its finalisation"
        elif "snapshot" in entry:
            if entry["snapshot"] != snapshot_digest(snapshot, answer_set):
                yield (f"{where}: its snapshot differs from the one recorded in the audit log "
                       "when it was finalised")
        elif entry.get("level") != snap.get("level") or (
                "score" in entry and entry["score"] != snap.get("score")):
            yield (f"{where}: its snapshot's level or score differs from the audit log entry "
                   "of its finalisation")
