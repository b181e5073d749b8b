"""A demonstration database: synthetic screenings for trying the app and for benchmarks.

Nobody in it is real. The answers come from :mod:`riskscreen.synthetic`; the names are drawn
from short lists of common first names and surnames. Rows are written in bulk (thousands per
transaction) with the audit entries a real history would have left (create, finalise), so
``riskscreen verify`` checks a demo database like any other.

Demo accounts (passphrases are public: never put real data in a demo database):

==============  ===============  ==========================
account         role             passphrase
==============  ===============  ==========================
``admin``       administrator    ``demo admin passphrase``
``manager``     manager          ``demo manager passphrase``
``pat``         practitioner     ``demo practitioner pat``
``sam``         practitioner     ``demo practitioner sam``
==============  ===============  ==========================
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session as OrmSession

from riskscreen.crypto.keys import KdfParams
from riskscreen.forms.answers import AnswerSet
from riskscreen.services.session import Session, default_scorer
from riskscreen.services.types import Status
from riskscreen.services.vault import create_database
from riskscreen.store import audit
from riskscreen.store.db import translate_errors
from riskscreen.store.integrity import snapshot_digest
from riskscreen.store.models import (
    Answer,
    AnswerPack,
    AssessmentRow,
    AuditEntry,
    Child,
    Screening,
    User,
    utc_now,
)
from riskscreen.store.packs import choose_keyset, encode_pack, keyset_id, parse_keysets
from riskscreen.store.records import compress_record, dictionary_for, record_text

__all__ = ["DEMO_ACCOUNTS", "create_demo_database", "populate"]

DEMO_ACCOUNTS = {
    "admin": ("administrator", "demo admin passphrase"),
    "manager": ("manager", "demo manager passphrase"),
    "pat": ("practitioner", "demo practitioner pat"),
    "sam": ("practitioner", "demo practitioner sam"),
}

_FIRST = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia",
    "Grace", "Freya", "Evie", "Ella", "Noah", "Oliver", "George", "Leo", "Arthur", "Muhammad",
    "Harry", "Oscar", "Archie", "Henry", "Jack", "Theo", "Charlie", "Aisha", "Zara", "Amira",
    "Priya", "Kofi", "Tomasz", "Maja", "Ewan", "Callum", "Niamh", "Rhys", "Seren"
)
_LAST = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Khan", "Ahmed", "Hussain", "Begum", "Murphy", "Kelly",
    "Nowak", "Okafor", "Mensah", "Campbell", "Hughes", "Lewis", "Morgan"
)
_CHUNK = 2000


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def create_demo_database(db_path: Path, count: int, *, seed: int = 0,
                         kdf: KdfParams | None = None,
                         progress: Callable[[int, int], None] | None = None) -> Session:
    """A new database with the demo accounts and ``count`` synthetic screenings."""
    admin_pass = DEMO_ACCOUNTS["admin"][1]
    session, _ = create_database(db_path, "admin", admin_pass, kdf=kdf,
                                 display_name="Demo administrator")
    for name, (role, passphrase) in DEMO_ACCOUNTS.items():
        if name != "admin":
            session.create_user(name, role, passphrase, display_name=f"Demo {role}")
    populate(session, count, seed=seed, progress=progress)
    return session


def populate(session: Session, count: int, *, seed: int = 0, final_share: float = 0.8,
             progress: Callable[[int, int], None] | None = None) -> None:
    """Add ``count`` synthetic children, each with one screening, in bulk.

    About ``final_share`` of them are finalised with the model in force (scored by the
    scoring engine, so snapshots re-score exactly); the rest are drafts.
    """
    from riskscreen.forms.loader import load_form
    from riskscreen.synthetic import generate_answer_sets

    form = load_form("cse-screening")
    rng = random.Random(seed)  # noqa: S311 - invented demo data, not security
    with translate_errors(), OrmSession(session.engine) as s, s.begin():
        practitioners = [u.id for u in s.scalars(
            select(User).where(User.role.in_(("practitioner", "manager")),
                               User.disabled.is_(False)))]
        in_force = session._in_force(s, form)
        sha, model_id, model_version = in_force.sha256, in_force.model_id, in_force.version
        model = session._model(s, sha)
        dictionary_id, dictionary = dictionary_for(s.connection(), sha, model.canonical_json())
        first_child = (s.scalar(select(Child.id).order_by(Child.id.desc()).limit(1)) or 0) + 1
        first_screening = (s.scalar(select(Screening.id).order_by(Screening.id.desc())
                                    .limit(1)) or 0) + 1
        names = {uid: name for uid, name in s.execute(select(User.id, User.name))}
    if not practitioners:
        raise ValueError("the demo needs at least one practitioner or manager account")
    done = 0
    while done < count:
        n = min(_CHUNK, count - done)
        answer_sets = generate_answer_sets(form, n, seed * 1_000_003 + done)
        children: list[dict[str, Any]] = []
        screenings: list[dict[str, Any]] = []
        answers: list[dict[str, Any]] = []
        snapshots: list[dict[str, Any]] = []
        packs: list[tuple[int, dict[str, Any]]] = []
        events: list[tuple[str, str, str, str, dict[str, Any]]] = []
        now = utc_now()  # the audit says when rows were written, not the invented history
        for i, original in enumerate(answer_sets):
            child_id = first_child + done + i
            sid = first_screening + done + i
            user = rng.choice(practitioners)
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            values = dict(original.answers)
            values["child_name"] = name
            answer_set = AnswerSet(form=original.form, form_version=original.form_version,
                                   screening_date=original.screening_date, answers=values,
                                   evidence=original.evidence)
            dob = values.get("date_of_birth")
            created = datetime.combine(answer_set.screening_date, datetime.min.time(),
                                       tzinfo=UTC) + timedelta(seconds=rng.randrange(36_000))
            updated = created + timedelta(seconds=rng.randrange(1, 7_200))
            ids = {k: str(values[k]) for k in ("case_number", "nhs_number") if values.get(k)}
            children.append({"id": child_id, "name": name, "date_of_birth": dob,
                             "identifiers": json.dumps(ids, sort_keys=True),
                             "created_by": user, "created_at": _ts(created)})
            final = rng.random() < final_share
            level = None
            if final:
                assessment = default_scorer(form, model, answer_set, None)
                level = assessment.final_level
                answers_json = answer_set.model_dump_json()
                packs.append((sid, json.loads(answers_json)))
                snapshot_text = json.dumps(assessment.to_dict(), sort_keys=True,
                                           separators=(",", ":"), ensure_ascii=False)
                digest = snapshot_digest(snapshot_text, answers_json)
                snapshots.append({
                    "screening_id": sid, "previous_id": None,
                    "dictionary_id": dictionary_id,
                    "record": compress_record(record_text(snapshot_text, answers_json),
                                              dictionary),
                    "final_level": level, "finalised_by": user, "finalised_at": _ts(updated)})
            screenings.append({
                "id": sid, "child_id": child_id, "practitioner_id": user, "form_id": form.id,
                "form_version": form.version, "model_id": model_id,
                "model_version": model_version, "model_sha256": sha,
                "screening_date": answer_set.screening_date.isoformat(),
                "status": Status.DRAFT, "amendment_of": None, "amendment_reason": None,
                "created_at": _ts(created), "updated_at": _ts(updated), "final_level": None})
            for qid, value in values.items() if not final else ():
                # A finalised screening's answers live in its record and pack only.
                evidence = answer_set.evidence.get(qid)
                answers.append({"screening_id": sid, "question_id": qid,
                                "value": json.dumps(value, ensure_ascii=False),
                                "evidence": evidence.model_dump_json() if evidence else None,
                                "saved_at": _ts(created)})
            who = names[user]
            events.append((now, who, "create", f"child:{child_id}", {"demo": True}))
            events.append((now, who, "create", f"screening:{sid}",
                           {"child": child_id, "model": sha[:12], "demo": True}))
            if final:
                events.append((now, who, "finalise", f"screening:{sid}",
                               {"level": level, "model": sha[:12],
                                "snapshot": digest, "demo": True}))
        finals = {row["screening_id"]: row["final_level"] for row in snapshots}
        with translate_errors(), OrmSession(session.engine) as s, s.begin():
            s.execute(insert(Child), children)
            s.execute(insert(Screening), screenings)
            if answers:  # drafts only: finalised answers are in their records
                s.execute(insert(Answer), answers)
            if snapshots:
                s.execute(insert(AssessmentRow), snapshots)
                conn = s.connection()
                keysets = parse_keysets(conn.exec_driver_sql(
                    "SELECT id, keys FROM answer_keysets"))
                rows = []
                for pack_sid, raw in packs:
                    kid, keys = choose_keyset(keysets, raw["answers"])
                    if kid is None:
                        kid = keyset_id(conn, keys)
                        keysets[kid] = keys
                    rows.append({"screening_id": pack_sid,
                                 "packed": encode_pack(raw, kid, keys)})
                s.execute(insert(AnswerPack), rows)
            if finals:
                # Drafts become final only after their answers are in (the triggers forbid
                # answers on a final screening).
                conn = s.connection()
                conn.exec_driver_sql(
                    "UPDATE screenings SET status='final', final_level=? WHERE id=?",
                    [(lvl, sid) for sid, lvl in finals.items()])
            _append_events(s, events)
        done += n
        if progress is not None:
            progress(done, count)


def _append_events(s: OrmSession, events: list[tuple[str, str, str, str, dict[str, Any]]]
                   ) -> None:
    last = s.execute(select(AuditEntry.seq, AuditEntry.hash)
                     .order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq, prev = (last[0], last[1]) if last else (0, audit.GENESIS)
    rows = []
    for at, user, action, obj, detail in events:
        seq += 1
        text = json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = audit.entry_hash(prev, seq, at, user, action, obj, text)
        rows.append({"seq": seq, "at": at, "user": user, "action": action, "object": obj,
                     "detail": text, "prev_hash": prev, "hash": digest})
        prev = digest
    if rows:
        s.execute(insert(AuditEntry), rows)
