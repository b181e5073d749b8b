"""A demonstration database: synthetic screenings for trying the app and for benchmarks.

Nobody in it is real. The answers come from :mod:`riskscreen.synthetic`; the names are drawn
from short lists of common first names and surnames. Rows are written in bulk (thousands per
transaction) with the audit entries a real history would have left (create, finalise), so
``riskscreen verify`` checks a demo database like any other; one ``demo_data`` entry before
each batch says that what follows is synthetic.

Demo accounts (passphrases are public: never put real data in a demo database):

==============  ===============  ==========================
account         role             passphrase
==============  ===============  ==========================
``admin``       administrator    ``demo admin passphrase``
``manager``     manager          ``demo manager passphrase``
``pat``         practitioner     ``demo practitioner pat``
``sam``         practitioner     ``demo practitioner sam``
``ana``         analyst          ``demo analyst passphrase``
``alex``        practitioner     ``demo practitioner alex``
``jo``          practitioner     ``demo practitioner jo``
==============  ===============  ==========================

``alex`` and ``jo`` are made last, for the agreement exercise only
(:mod:`riskscreen.services.demo_agreement`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert, select
from sqlalchemy.orm import Session as OrmSession

from riskscreen.crypto.keys import KdfParams, kdf_minimum, new_salt
from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.kinds import QuestionKind
from riskscreen.forms.model import QuestionType
from riskscreen.forms.visibility import age_on
from riskscreen.scoring.assessment import Assessment
from riskscreen.scoring.engine import score
from riskscreen.scoring.model import ScoringModel
from riskscreen.scoring.review import review_due
from riskscreen.services.errors import IncompleteScreening, StepDownReasonNeeded
from riskscreen.services.session import Session
from riskscreen.services.types import Countersignature, RhiStatus, Role, Status
from riskscreen.services.vault import create_database
from riskscreen.store import audit
from riskscreen.store.backend import ServerLocation, follow_written_ids
from riskscreen.store.backup import COMPACT_PENDING
from riskscreen.store.columns import add_screenings
from riskscreen.store.db import translate_errors
from riskscreen.store.integrity import snapshot_digest
from riskscreen.store.models import (
    Answer,
    AssessmentRow,
    AuditEntry,
    Child,
    Meta,
    MissingEpisode,
    Screening,
    ScreeningReview,
    User,
    utc_now,
)
from riskscreen.store.records import compress_record, dictionary_for, record_text

__all__ = ["DEMO_ACCOUNTS", "DEMO_AGENCY", "SignIn", "add_followup_demo", "add_referral_demo",
           "create_demo_database", "file_sign_in", "populate"]

DEMO_ACCOUNTS = {
    "admin": (Role.ADMINISTRATOR, "demo admin passphrase"),
    "manager": (Role.MANAGER, "demo manager passphrase"),
    "pat": (Role.PRACTITIONER, "demo practitioner pat"),
    "sam": (Role.PRACTITIONER, "demo practitioner sam"),
    "ana": (Role.ANALYST, "demo analyst passphrase"),
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


#: The fictional agency a demo database belongs to (its exchange certificate's name).
DEMO_AGENCY = "Northvale Demo Agency"


#: Signs in to the demo database being made as another account: (name, passphrase) -> session.
SignIn = Callable[[str, str], Session]


def file_sign_in(db_path: Path) -> SignIn:
    """Sign-ins to the database file at ``db_path`` (no automatic backups)."""
    from riskscreen.services.vault import Unlocker

    return lambda name, passphrase: Unlocker(db_path, auto_backups=False).unlock(
        name, passphrase)


def create_demo_database(db_path: Path | ServerLocation, count: int, *, seed: int = 0,
                         kdf: KdfParams | None = None,
                         progress: Callable[[int, int], None] | None = None,
                         state_dir: Path | None = None, password: str | None = None,
                         ca_file: Path | None = None) -> Session:
    """A new database with the demo accounts and ``count`` synthetic screenings: a file, or
    an empty database on a team server (reached with ``password`` and ``ca_file``; this
    client's files for it in ``state_dir``).

    ``kdf`` defaults to the weakest Argon2 settings RiskScreen accepts, not settings tuned to
    this machine: the demo passphrases are published, so a slower derivation would protect
    nothing and only make making the demo, and every sign-in to it, wait.
    """
    admin_pass = DEMO_ACCOUNTS["admin"][1]
    if kdf is None:
        memory, passes, lanes = kdf_minimum()
        kdf = KdfParams(memory, passes, lanes, new_salt())
    sign_in: SignIn
    if isinstance(db_path, ServerLocation):
        from riskscreen.services.server import ServerUnlocker, create_server_database

        location = db_path
        session = create_server_database(location, "admin", admin_pass, kdf=kdf,
                                         display_name="Demo administrator",
                                         state_dir=state_dir, password=password,
                                         ca_file=ca_file)

        def sign_in(name: str, passphrase: str) -> Session:
            return ServerUnlocker(location, state_dir=state_dir, password=password,
                                  ca_file=ca_file).unlock(name, passphrase)
    else:
        session, _ = create_database(db_path, "admin", admin_pass, kdf=kdf,
                                     display_name="Demo administrator")
        sign_in = file_sign_in(db_path)
    for name, (role, passphrase) in DEMO_ACCOUNTS.items():
        if name != "admin":
            # The analyst role needs a manager's countersignature (the demo manager's).
            sign = Countersignature("manager", DEMO_ACCOUNTS["manager"][1]) if (
                role == Role.ANALYST) else None
            session.accounts.create(name, role, passphrase, display_name=f"Demo {role}",
                                    countersign=sign)
    # The fictional agency's signing key, so a demo database can make packages at once.
    session.exchange.create_identity(DEMO_AGENCY, organisation="Northvale (fictional)")
    populate(session, count, seed=seed, progress=progress)
    add_referral_demo(session, seed=seed)
    add_followup_demo(session, seed=seed, sign_in=sign_in)
    from riskscreen.services.demo_intel import add_intel_demo

    add_intel_demo(session, {n: p for n, (_, p) in DEMO_ACCOUNTS.items()}, seed=seed,
                   sign_in=sign_in)
    from riskscreen.services.demo_agreement import add_agreement_demo

    add_agreement_demo(session, DEMO_ACCOUNTS, seed=seed, sign_in=sign_in)
    if session.engine.dialect.name == "sqlite":
        # Written in bulk, its tables' pages are part-filled: the next sign-in with nobody
        # else connected packs the file, as after an upgrade
        # (riskscreen.store.backup.compact_database).
        with translate_errors(), OrmSession(session.engine) as s, s.begin():
            s.merge(Meta(key=COMPACT_PENDING, value="1"))
    return session


def populate(session: Session, count: int, *, seed: int = 0, final_share: float = 0.8,
             progress: Callable[[int, int], None] | None = None) -> None:
    """Add ``count`` synthetic children, each with one screening, in bulk.

    About ``final_share`` of them are finalised with the model in force (scored by the
    scoring engine, so snapshots re-score exactly); the rest are drafts.
    """
    from riskscreen.forms.identity import form_sha256
    from riskscreen.services.context import instrument_form_version, stored_form
    from riskscreen.synthetic import generate_answer_sets

    rng = random.Random(seed)  # noqa: S311 - invented demo data, not security
    # Every screening is dated before today (the latest yesterday).
    latest = date.today() - timedelta(days=1)
    with translate_errors(), OrmSession(session.engine) as s, s.begin():
        form = stored_form(s, "cse-screening", instrument_form_version(s, "cse-screening"))
        form_sha = form_sha256(form)
        practitioners = [u.id for u in s.scalars(
            select(User).where(User.role.in_((Role.PRACTITIONER, Role.MANAGER)),
                               User.disabled.is_(False)))]
        in_force = session.models.in_force_row(s, form)
        sha, model_id, model_version = in_force.sha256, in_force.model_id, in_force.version
        model = session.models.stored_in(s, sha)
        dictionary_id, dictionary = dictionary_for(s.connection(), sha, model.canonical_json())
        first_child = (s.scalar(select(Child.id).order_by(Child.id.desc()).limit(1)) or 0) + 1
        first_screening = (s.scalar(select(Screening.id).order_by(Screening.id.desc())
                                    .limit(1)) or 0) + 1
        names = {uid: name for uid, name in s.execute(select(User.id, User.name))}
    if not practitioners:
        raise ValueError("the demo needs at least one practitioner or manager account")
    with translate_errors(), OrmSession(session.engine) as s, s.begin():
        # One entry says the records that follow are synthetic, rather than a mark on each.
        _append_events(s, [(utc_now(), session.user.name, "demo_data", "database",
                            {"screenings": count})])
    done = 0
    while done < count:
        n = min(_CHUNK, count - done)
        answer_sets = generate_answer_sets(form, n, seed * 1_000_003 + done,
                                           latest=latest)
        children: list[dict[str, Any]] = []
        screenings: list[dict[str, Any]] = []
        answers: list[dict[str, Any]] = []
        snapshots: list[dict[str, Any]] = []
        reviews: list[dict[str, Any]] = []
        finalised: list[tuple[int, AnswerSet, str | None]] = []
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
                assessment = score(form, model, answer_set, None)
                level = assessment.final_level
                answers_json = answer_set.model_dump_json()
                finalised.append((sid, answer_set, None))
                snapshot_text = json.dumps(assessment.to_dict(), sort_keys=True,
                                           separators=(",", ":"), ensure_ascii=False)
                digest = snapshot_digest(snapshot_text, answers_json)
                snapshots.append({
                    "screening_id": sid, "previous_id": None,
                    "dictionary_id": dictionary_id,
                    "record": compress_record(record_text(snapshot_text, answers_json),
                                              dictionary),
                    "final_level": level, "finalised_by": user, "finalised_at": _ts(updated)})
                reviews.append(_review_row(sid, assessment, model))
            screenings.append({
                "id": sid, "child_id": child_id, "practitioner_id": user, "form_id": form.id,
                "form_version": form.version, "form_sha256": form_sha, "model_id": model_id,
                "model_version": model_version, "model_sha256": sha,
                "screening_date": answer_set.screening_date.isoformat(),
                "status": Status.DRAFT, "amendment_of": None, "amendment_reason": None,
                "created_at": _ts(created), "updated_at": _ts(updated), "final_level": None})
            for qid, value in values.items() if not final else ():
                # A finalised screening's answers live in its record and columns only.
                evidence = answer_set.evidence.get(qid)
                answers.append({"screening_id": sid, "question_id": qid,
                                "value": json.dumps(value, ensure_ascii=False),
                                "evidence": evidence.model_dump_json() if evidence else None,
                                "saved_at": _ts(created)})
            who = names[user]
            events.append((now, who, "create", f"child:{child_id}", {}))
            events.append((now, who, "create", f"screening:{sid}",
                           {"child": child_id, "model": sha[:12]}))
            if final:
                events.append((now, who, "finalise", f"screening:{sid}",
                               {"level": level, "model": sha[:12], "snapshot": digest}))
        finals = {row["screening_id"]: row["final_level"] for row in snapshots}
        with translate_errors(), OrmSession(session.engine) as s, s.begin():
            s.execute(insert(Child), children)
            s.execute(insert(Screening), screenings)
            if answers:  # drafts only: finalised answers are in their records
                s.execute(insert(Answer), answers)
            if snapshots:
                s.execute(insert(AssessmentRow), snapshots)
                add_screenings(s.connection(), form, finalised)
            if finals:
                # Drafts become final only after their answers are in (the triggers forbid
                # answers on a final screening).
                conn = s.connection()
                conn.exec_driver_sql(
                    f"UPDATE screenings SET status='{Status.FINAL}', "  # noqa: S608 - fixed text
                    "final_level=? WHERE id=?",
                    [(lvl, sid) for sid, lvl in finals.items()])
            if reviews:
                s.execute(insert(ScreeningReview), reviews)
            _append_events(s, events)
            follow_written_ids(s.connection(), "children", "screenings")
        done += n
        if progress is not None:
            progress(done, count)


def _append_events(s: OrmSession, events: list[tuple[str, str, str, str, dict[str, Any]]]
                   ) -> None:
    last = s.execute(select(AuditEntry.seq, AuditEntry.hash)
                     .order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq, prev = (last[0], audit.hex_digest(last[1])) if last else (0, audit.GENESIS)
    rows = []
    for at, user, action, obj, detail in events:
        seq += 1
        text = json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = audit.entry_hash(prev, seq, at, user, action, obj, text)
        rows.append({"seq": seq, "at": at, "user": user, "action": action, "object": obj,
                     "detail": text, "hash": audit.stored_digest(digest)})
        prev = digest
    if rows:
        s.execute(insert(AuditEntry), rows)


# -- referrals and their outcomes ---------------------------------------------------------------

_DECLINE_REASONS = (
    "Already open to the CSE team, who are working with the child.",
    "The family have moved out of the area; passed to the team where they now live.",
    "The child is already receiving support from another service for the same concerns.")
_NOT_REFERRED = ("Already open to the CSE team; the screening was shared with the allocated "
                 "worker instead.")
_NO_FURTHER_ACTION = ("The concerns were looked into with the child and family and are "
                      "explained; universal services continue.")
_CONFIRMED_SHARE = {"high": 0.55, "medium": 0.25, "low": 0.08}


def add_referral_demo(session: Session, *, seed: int = 0, today: date | None = None) -> int:
    """Referral records for the finalised demo screenings that have none, moved on as far as
    their age allows: sent, received, accepted or declined, outcomes, an answer to
    "exploitation confirmed?" and closed. The newest stay to send or waiting for a decision,
    some past their deadline. Every step is dated in the past. Returns how many were made.
    """
    from riskscreen.routing import load_routing, route
    from riskscreen.routing.outcomes import load_outcomes
    from riskscreen.scoring.assessment import Assessment
    from riskscreen.services.referrals import NO_REFERRAL_REASON, working_day
    from riskscreen.services.types import (
        ReferralDecision,
        ReferralStatus,
        SendMethod,
        StepKind,
    )
    from riskscreen.store.integrity import stored_record
    from riskscreen.store.models import ReferralRow, ReferralStepRow
    from riskscreen.store.records import read_dictionaries

    rng = random.Random(seed * 31 + 7)  # noqa: S311 - invented demo data, not security
    now = datetime.now(UTC)
    today = today or now.date()
    table = load_routing()
    sources = [s.id for s in load_outcomes().confirmation_sources]
    with translate_errors(), OrmSession(session.engine) as s:
        names = {uid: name for uid, name in s.execute(select(User.id, User.name))}
        managers = [uid for uid, role in s.execute(select(User.id, User.role))
                    if role == Role.MANAGER]
        dictionaries = read_dictionaries(s.connection())
        rows = s.execute(
            select(Screening.id, Screening.child_id, Screening.practitioner_id,
                   AssessmentRow.finalised_at, AssessmentRow.dictionary_id,
                   AssessmentRow.record)
            .join(AssessmentRow, AssessmentRow.screening_id == Screening.id)
            .where(Screening.id.notin_(select(ReferralRow.screening_id)))
            .order_by(Screening.id)).all()
    referrals: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    events: list[tuple[str, str, str, str, dict[str, Any]]] = []
    first_id = 1
    with translate_errors(), OrmSession(session.engine) as s:
        first_id = (s.scalar(select(ReferralRow.id).order_by(ReferralRow.id.desc())
                             .limit(1)) or 0) + 1
    stamp = utc_now()
    for n, (sid, child, owner, finalised_at, did, record) in enumerate(rows):
        rid = first_id + n
        snapshot, _ = stored_record(dictionaries, did, record)
        way = route(Assessment.from_dict(json.loads(snapshot)), table)
        made = datetime.fromisoformat(finalised_at.replace("Z", "+00:00"))
        who = names[owner]
        history = _Steps(now)
        history.items.append((StepKind.CREATED, made, {}))
        happened = history.add
        row: dict[str, Any] = {
            "id": rid, "screening_id": sid, "child_id": child, "practitioner_id": owner,
            "decision": ReferralDecision.REFER, "status": ReferralStatus.TO_SEND,
            "level": way.level, "pathway": way.pathway, "destination_id": way.destination.id,
            "destination_name": way.destination.name, "deadline": way.deadline,
            "send_within_days": way.send_within_days,
            "decision_within_days": way.decision_within_days,
            "send_due": working_day(made.date(), way.send_within_days).isoformat(),
            "decision_due": None, "created_at": _ts(made), "updated_at": stamp,
            "sent_at": None, "decided_at": None, "closed_at": None}

        if not way.refer:
            row.update(decision=ReferralDecision.NOT_REFER,
                       status=ReferralStatus.NOT_REFERRED, send_within_days=None,
                       decision_within_days=None, send_due=None, closed_at=_ts(made))
            history.items.append((StepKind.NOT_REFERRED, made,
                                  {"reason": NO_REFERRAL_REASON}))
        elif rng.random() < 0.03:
            at = made + timedelta(hours=2)
            if happened(StepKind.NOT_REFERRED, at, reason=_NOT_REFERRED):
                row.update(decision=ReferralDecision.NOT_REFER,
                           status=ReferralStatus.NOT_REFERRED, closed_at=_ts(at))
        elif rng.random() < 0.03:
            pass  # never sent: past its deadline
        else:
            sent = _later(rng, made, way.send_within_days + (1 if rng.random() < 0.1 else 0))
            method = rng.choices(list(SendMethod), (2, 6, 2))[0]
            if happened(StepKind.SENT, sent, method=method):
                row.update(status=ReferralStatus.SENT, sent_at=_ts(sent))
                days = way.decision_within_days or 5
                row["decision_due"] = working_day(sent.date(), days).isoformat()
                received = sent + timedelta(hours=rng.randint(1, 20))
                # A few wait for a decision long past the deadline.
                if rng.random() > 0.06 and happened(StepKind.RECEIVED, received):
                    row["status"] = ReferralStatus.RECEIVED
                    late = rng.random() < 0.12
                    decided = _later(rng, received, rng.randint(0, days) + (2 if late else 0))
                    accept = rng.random() < 0.85
                    kind = StepKind.ACCEPTED if accept else StepKind.DECLINED
                    extra = {} if accept else {"reason": rng.choice(_DECLINE_REASONS)}
                    if happened(kind, decided, **extra):
                        row.update(status=ReferralStatus(kind.value), decided_at=_ts(decided))
                        _demo_outcomes(rng, way.level, way.destination.name, accept,
                                       decided, happened, sources, _CONFIRMED_SHARE)
                        if (any(k == StepKind.OUTCOME for k, _, _ in history.items)
                                and rng.random() < 0.85):
                            closed = decided + timedelta(days=rng.randint(30, 90))
                            if happened(StepKind.CLOSED, closed):
                                row.update(status=ReferralStatus.CLOSED, closed_at=_ts(closed))
        referrals.append(row)
        for kind, at, fields in history.items:
            by = owner
            if kind in (StepKind.OUTCOME, StepKind.CONFIRMATION) and managers and \
                    rng.random() < 0.3:
                by = rng.choice(managers)
            steps.append({"referral_id": rid, "kind": kind, "at": _ts(at),
                          "recorded_at": _ts(min(now, at + timedelta(minutes=20))),
                          "recorded_by": by, "method": fields.get("method"),
                          "reason": fields.get("reason"),
                          "outcome_id": fields.get("outcome_id"),
                          "detail": fields.get("detail"), "answer": fields.get("answer"),
                          "source_id": fields.get("source_id")})
            action = "referral_create" if kind == StepKind.CREATED else f"referral_{kind}"
            detail: dict[str, Any] = {}
            if kind == StepKind.CREATED:
                detail.update(screening=sid, decision=row["decision"],
                              destination=way.destination.id)
            for key in ("method", "outcome_id", "answer", "source_id"):
                if fields.get(key) is not None:
                    detail[key.removesuffix("_id")] = str(fields[key])
            events.append((stamp, names.get(by, who), action,
                           f"referral:{rid}", detail))
    if referrals:
        events.insert(0, (stamp, session.user.name, "demo_data", "database",
                          {"referrals": len(referrals)}))
        with translate_errors(), OrmSession(session.engine) as s, s.begin():
            s.execute(insert(ReferralRow), referrals)
            s.execute(insert(ReferralStepRow), steps)
            _append_events(s, events)
            follow_written_ids(s.connection(), "referrals")
    return len(referrals)


class _Steps:
    """The steps of one demo referral; a step is kept only if it is in the past."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.items: list[tuple[Any, datetime, dict[str, Any]]] = []

    def add(self, kind: Any, at: datetime, **fields: Any) -> bool:
        """Add the step if it happened over an hour ago; False (nothing added) if not."""
        if at >= self.now - timedelta(hours=1):
            return False
        self.items.append((kind, at, fields))
        return True


def _later(rng: random.Random, start: datetime, days: int) -> datetime:
    """A time in office hours ``days`` working days after ``start``, and always after it:
    on the same day an office-hours time could fall before ``start``, so a step would be
    recorded before the one it follows."""
    from riskscreen.services.referrals import working_day

    day = working_day(start.date(), days)
    at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=rng.randint(9, 16), minutes=rng.randrange(60))
    return at if at > start else start + timedelta(minutes=rng.randint(20, 180))


def _demo_outcomes(rng: random.Random, level: str, partner: str, accepted: bool,
                   decided: datetime, happened: Callable[..., bool], sources: list[str],
                   confirmed_share: dict[str, float]) -> None:
    """The outcomes a referral at ``level`` commonly has, and later an answer to
    "exploitation confirmed?", each some days after the decision."""
    from riskscreen.services.types import Confirmation, StepKind

    at = decided + timedelta(days=rng.randint(1, 10))
    if not accepted:
        happened(StepKind.OUTCOME, at, outcome_id="no_further_action",
                 detail=_NO_FURTHER_ACTION)
        return
    if rng.random() < 0.08:
        happened(StepKind.OUTCOME, at, outcome_id="support_declined",
                 detail="Support was offered by phone and by letter.")
        return
    if level == "high":
        if not happened(StepKind.OUTCOME, at, outcome_id="strategy_discussion"):
            return
        follow = rng.choices(("cse_team_allocated", "police_investigation", "nrm_referral",
                              "social_care_assessment"), (5, 3, 1, 2))[0]
        happened(StepKind.OUTCOME, at + timedelta(days=rng.randint(1, 7)), outcome_id=follow)
    else:
        if rng.random() < 0.85:
            happened(StepKind.OUTCOME, at, outcome_id="preventative_work", detail=partner)
        else:
            happened(StepKind.OUTCOME, at, outcome_id="no_further_action",
                     detail=_NO_FURTHER_ACTION)
    when = at + timedelta(days=rng.randint(7, 60))
    roll = rng.random()
    share = confirmed_share.get(level, 0.05)
    answer = (Confirmation.CONFIRMED if roll < share else
              Confirmation.NOT_KNOWN if roll < share + 0.15 else Confirmation.NOT_CONFIRMED)
    source = "strategy_discussion" if level == "high" else rng.choice(
        [x for x in sources if x != "nrm_decision"] or sources)
    if level == "high" and rng.random() < 0.2:
        source = "nrm_decision"
    happened(StepKind.CONFIRMATION, when, answer=answer, source_id=source)


# -- after the screening: review dates, missing episodes, re-screens ---------------------------


def _review_row(sid: int, assessment: Assessment, model: ScoringModel) -> dict[str, Any]:
    """The review-date row a finalised demo screening has (as finalising writes it)."""
    due = review_due(assessment.level, assessment.final_level, assessment.screening_date,
                     assessment.review_date, model.review.intervals)
    return {"screening_id": sid, "review_date": due.isoformat(), "previous_id": None,
            "previous_level": None, "step_down_reason": None}


_PLACES = ("A friend's house nearby", "The town centre bus station", "A flat above the "
           "takeaway on the high street", "With an older friend in another town",
           "The park near the school", "A hotel in the city centre")
_REPORTERS = ("Mother", "Foster carer", "Residential home staff", "Father", "Grandparent")
_NO_RHI = ("The interviewer was not available within three days; the social worker will "
           "visit instead.")
_STEP_DOWN = ("The child has been settled at home and at school for two months, and the "
              "safety plan is working.")


def add_followup_demo(session: Session, *, seed: int = 0, share: float = 0.15,
                      today: date | None = None, sign_in: SignIn | None = None) -> None:
    """Missing episodes and re-screens for about ``share`` of the finalised demo screenings,
    all dated in the past.

    The episodes (and their Return Home Interviews) are written in bulk, with the rows and
    audit entries recording them through the services would leave; the re-screens are made
    through the services as each practitioner would (signed in with ``sign_in``, by default
    to the session's database file: they carry answers over, score, route and refer),
    without waiting for the disk after each commit.
    """
    rng = random.Random(seed * 7 + 16)  # noqa: S311 - invented demo data, not security
    today = today or date.today()
    with translate_errors(), OrmSession(session.engine) as s:
        rows = s.execute(
            select(Screening.id, Screening.child_id, Screening.screening_date, User.name,
                   User.id)
            .join(User, User.id == Screening.practitioner_id)
            .where(Screening.status == Status.FINAL).order_by(Screening.id)).all()
        births = {child: date.fromisoformat(born) for child, born in s.execute(
            select(Child.id, Child.date_of_birth).where(Child.date_of_birth.is_not(None)))
            if born is not None}
    # Screenings at least three weeks old, so the episodes and re-screens fit before today.
    candidates = [r for r in rows if date.fromisoformat(r[2]) < today - timedelta(days=21)]
    if not candidates:
        return
    chosen = rng.sample(candidates, min(len(candidates), max(3, int(len(candidates) * share))))
    by_user: dict[tuple[str, int], list[tuple[int, int, date]]] = {}
    for sid, child, when, name, uid in chosen:
        if DEMO_ACCOUNTS.get(name, ("", ""))[1]:
            by_user.setdefault((name, uid), []).append((sid, child, date.fromisoformat(when)))
    episodes = _Episodes(session, today)
    rescreens: dict[str, list[tuple[int, date, bool]]] = {}
    for (name, uid), items in sorted(by_user.items()):
        for i, (_sid, child, day) in enumerate(items):
            had = episodes.add(rng, name, uid, child, day)
            if i % 2 == 0:
                rescreens.setdefault(name, []).append((child, day, had))
    episodes.write()
    sign_in = sign_in or file_sign_in(session.db_path)
    for name, todo in sorted(rescreens.items()):
        with sign_in(name, DEMO_ACCOUNTS[name][1]) as user:
            _without_waiting_for_the_disk(user.engine)
            for child, day, had in todo:
                _demo_rescreen(user, rng, child, day, today, after_episode=had,
                               born=births.get(child))


def _without_waiting_for_the_disk(engine: Engine) -> None:
    """Commits on ``engine`` stop waiting for the disk (``synchronous = OFF``): the re-screens
    are thousands of small service transactions, each of which would otherwise wait for an
    fsync. Only for building a demo, whose half-written file after a crash is thrown away;
    the engine is the demo account's own and is closed with it."""

    if engine.dialect.name != "sqlite":
        return  # a server's commits are its own administrators' business

    @event.listens_for(engine, "checkout")
    def _unsynced(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous = OFF")


class _Episodes:
    """Demo missing episodes collected in memory, then written in one transaction: the rows
    and the ``episode_add`` and ``episode_rhi`` audit entries the episode service writes."""

    def __init__(self, session: Session, today: date) -> None:
        self.session = session
        self.now = datetime.combine(today, datetime.min.time())
        self.rows: list[dict[str, Any]] = []
        self.events: list[tuple[str, str, str, str, dict[str, Any]]] = []
        with translate_errors(), OrmSession(session.engine) as s:
            self.next_id = (s.scalar(select(MissingEpisode.id).order_by(
                MissingEpisode.id.desc()).limit(1)) or 0) + 1

    def add(self, rng: random.Random, name: str, uid: int, child: int, day: date) -> bool:
        """One to three past episodes after the screening; whether any was recorded."""
        from riskscreen.services.due import format_when

        now, stamp = self.now, utc_now()
        span = (now.date() - day).days - 2
        made = False
        for _ in range(rng.randint(1, 3)):
            start = datetime.combine(day + timedelta(days=rng.randint(1, max(1, span))),
                                     datetime.min.time()) + timedelta(minutes=rng.randrange(
                                         17 * 60, 23 * 60 + 59))
            if start >= now - timedelta(days=1):
                continue
            back = start + timedelta(hours=rng.randint(3, 60))
            returned = back if back < now else None
            where = rng.choice(_PLACES) if returned else ""
            row: dict[str, Any] = {
                "id": self.next_id, "child_id": child, "missing_from": format_when(start),
                "returned_at": format_when(returned) if returned else None,
                "where_found": where, "reported_by": rng.choice(_REPORTERS),
                "rhi_status": None, "rhi_at": None, "rhi_note": "", "recorded_by": uid,
                "created_at": stamp, "updated_at": stamp}
            self.next_id += 1
            self.rows.append(row)
            self.events.append((stamp, name, "episode_add", f"episode:{row['id']}",
                                {"child": child, "returned": returned is not None}))
            made = True
            if returned is None:
                continue
            roll = rng.random()
            at = returned + timedelta(hours=rng.randint(6, 70))
            rhi: tuple[RhiStatus, datetime | None, str] | None = None
            if roll < 0.55 and at < now:
                rhi = (RhiStatus.DONE, at, "")
            elif roll < 0.7 and at < now:
                rhi = (RhiStatus.DECLINED, at, "")
            elif roll < 0.85:
                rhi = (RhiStatus.NOT_DONE, None, _NO_RHI)
            if rhi is not None:
                row.update(rhi_status=rhi[0].value, rhi_note=rhi[2],
                           rhi_at=format_when(rhi[1]) if rhi[1] is not None else None)
                self.events.append((stamp, name, "episode_rhi", f"episode:{row['id']}",
                                    {"child": child, "status": rhi[0].value}))
        return made

    def write(self) -> None:
        """Every episode collected and its audit entries, in one transaction."""
        if not self.rows:
            return
        with translate_errors(), OrmSession(self.session.engine) as s, s.begin():
            s.execute(insert(MissingEpisode), self.rows)
            follow_written_ids(s.connection(), "missing_episodes")
            _append_events(s, self.events)


def _demo_rescreen(user: Session, rng: random.Random, child: int, day: date, today: date, *,
                   after_episode: bool, born: date | None = None) -> None:
    """A re-screen some weeks later, its carried answers confirmed, finalised where it is
    complete (with a reason when the level steps down); otherwise left as a draft.

    A child ``born`` on that day is re-screened while still under 18 (by the form's own
    reckoning of age), however near their birthday the first screening was."""
    when = min(today - timedelta(days=1), day + timedelta(days=rng.randint(21, 120)))
    while born is not None and when > day and age_on(born, when) >= 18:
        when -= timedelta(days=1)
    sid = user.screenings.start(child, screening_date=when, rescreen=True,
                                after_episode=after_episode)
    user.reviews.confirm(sid, user.reviews.rescreen_info(sid).unconfirmed)
    if rng.random() < 0.4:  # things have got better: concerns seen before are not seen now
        detail = user.screenings.open(sid)
        form = user.screenings.form(detail.form_id, detail.form_version)
        better = {QuestionType.INDICATOR: {"yes": "no"},
                  QuestionType.TIME_WINDOW: {"recent": "older", "both": "older"}}
        for qid, question in form.question_index().items():
            answer = detail.answers.get(qid)
            value = answer.value if answer is not None else None
            new = better.get(question.type, {}).get(value) if isinstance(value, str) else None
            if question.kind == QuestionKind.RISK_INDICATOR and new is not None:
                user.screenings.save_answer(sid, qid, new)
    try:
        user.screenings.finalise(sid)
    except StepDownReasonNeeded:
        user.screenings.finalise(sid, step_down_reason=_STEP_DOWN)
    except IncompleteScreening:
        pass  # a draft re-screen waiting for the practitioner
