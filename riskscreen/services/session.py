"""The signed-in session: every use case the GUI and the command line call, with role checks.

Roles: a *practitioner* creates, edits, finalises and prints their own screenings;
a *manager* also sees every screening (drafts too) and publishes scoring models; an
*administrator* manages accounts and backups (and sees no screening). The checks live here,
not in the GUI, and raise :class:`PermissionDenied`.

Every change is one short transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``) that also appends
its audit entry, so the audit chain and the data never disagree.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from packaging.version import InvalidVersion, Version
from pydantic import ValidationError
from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.orm import Session as OrmSession

from riskscreen.forms.answers import AnswerSet, EvidenceRecord, check_answers
from riskscreen.forms.columns import encode
from riskscreen.forms.identity import form_sha256
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.assessment import Assessment
from riskscreen.scoring.engine import OverrideRefused as EngineRefused
from riskscreen.scoring.engine import apply_override, carry_forward, compile_model, score
from riskscreen.scoring.model import ScoringModel
from riskscreen.services.accounts import AccountManager
from riskscreen.services.agreement import AgreementManager
from riskscreen.services.audit_log import AuditLog
from riskscreen.services.children import SCREENING_ROLES, ChildManager
from riskscreen.services.chronology import ChronologyManager, referral_source
from riskscreen.services.context import Context, instrument_form_version, stored_form
from riskscreen.services.episodes import EpisodeManager
from riskscreen.services.errors import (
    IncompleteScreening,
    NotEditable,
    NotFound,
    OverrideRefused,
    PermissionDenied,
    ServiceError,
    StaleDraft,
)
from riskscreen.services.evidence import EvidenceManager
from riskscreen.services.exchange import ExchangeManager
from riskscreen.services.finalised import FinalisedManager
from riskscreen.services.maintenance import Maintenance
from riskscreen.services.passphrases import PassphraseStore
from riskscreen.services.pathways import PathwayReports
from riskscreen.services.referrals import ReferralManager
from riskscreen.services.reviews import ReviewManager
from riskscreen.services.rows import canonical_json, screening_row, screening_rows
from riskscreen.services.settings import SettingsManager
from riskscreen.services.types import (
    AnswerValue,
    ModelInfo,
    OverrideRequest,
    Page,
    Role,
    ScreeningDetail,
    ScreeningQuery,
    ScreeningRow,
    Status,
    UserInfo,
    VerifyReport,
)
from riskscreen.store import audit
from riskscreen.store.columns import StoredColumns, add_screenings, differing_rows, read_columns
from riskscreen.store.db import (
    StorageError,
    translate_errors,
)
from riskscreen.store.forms import check_forms
from riskscreen.store.integrity import (
    check_pages,
    check_records,
    check_triggers,
    snapshot_digest,
    stored_record,
)
from riskscreen.store.lock import OpenLock
from riskscreen.store.models import (
    Answer,
    AssessmentRow,
    Child,
    RecordDictionary,
    ScoringModelRow,
    Screening,
    User,
    utc_now,
)
from riskscreen.store.records import (
    compress_record,
    dictionary_for,
    record_text,
)

__all__ = ["Session"]

_ROLES = frozenset(Role)
_log = logging.getLogger(__name__)
_PREFILL = {"child_name": "name", "date_of_birth": "date_of_birth"}
#: Question -> the child record's identifiers that fill it in a new screening, first found
#: first ("reference" is what records created before "case_number" was used hold).
_PREFILL_IDENTIFIERS = {"case_number": ("case_number", "reference"),
                        "nhs_number": ("nhs_number",)}


def _overridden(assessment: Assessment, level: str, reason: str, by: str,
                countersigned_by: str | None) -> Assessment:
    """The engine's override rules (reason, countersignature, rule floors)."""
    try:
        return apply_override(assessment, level, reason, by, countersigned_by)
    except EngineRefused as error:
        raise OverrideRefused(_sentence(str(error))) from None


def _sentence(message: str) -> str:
    """An engine message as a sentence for the screen: a capital first letter, a full stop."""
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "?", "!", ")")) else message + "."








def _normalised(data: Any) -> Any:
    return json.loads(canonical_json(data))


def _version_key(version: str) -> Version:
    """A version for ordering ("1.10.0" after "1.9.0"); an unreadable one sorts first."""
    try:
        return Version(version)
    except InvalidVersion:
        return Version("0")


def content_hash(model: ScoringModel) -> str:
    """SHA-256 of the model's canonical JSON, computed now (never a cached value)."""
    return hashlib.sha256(model.canonical_json().encode("utf-8")).hexdigest()


def parse_stored_model(canonical: str, sha256: str) -> ScoringModel:
    """A published model from its stored canonical JSON, checked against its hash."""
    model = ScoringModel.model_validate_json(canonical)
    if content_hash(model) != sha256:
        raise ServiceError(f"the stored scoring model {model.id} {model.version} does not "
                           "match its recorded hash; the database may have been altered")
    return model


class Session:
    """An unlocked database and the account using it: the facade over one manager per
    use-case area, all sharing one :class:`Context`. Create through :mod:`vault`.

    The managers are reached as attributes (``session.children``, ...); the session itself
    only opens, closes and names who is signed in.
    """

    def __init__(self, engine: Engine, key: bytes, db_path: Path, key_path: Path,
                 user: UserInfo, *, open_lock: OpenLock | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 passphrases: PassphraseStore | None = None) -> None:
        self._ctx = Context(engine, key, db_path, key_path, user, open_lock=open_lock,
                            sleep=sleep, passphrases=passphrases)
        self._models: dict[str, ScoringModel] = {}
        self._dictionaries: dict[int, bytes] = {}
        #: Accounts, roles, passphrases and countersignatures.
        self.accounts = AccountManager(self._ctx)
        #: Child records: create, search, view.
        self.children = ChildManager(self._ctx)
        #: Backups (manual and automatic) and the integrity check.
        self.maintenance = Maintenance(self._ctx)
        #: The audit log as administrators read it.
        self.audit = AuditLog(self._ctx, self.accounts)
        #: Settings, routing contacts and the idle lock time.
        self.settings = SettingsManager(self._ctx)
        #: Finalised screenings in bulk: answers as columns, answer sets when needed.
        self.finalised = FinalisedManager(self._ctx)
        #: Referral records: what happened after each finalised screening.
        self.referrals = ReferralManager(self._ctx)
        #: Managers' pathway reports (what happened after the screenings, anonymised).
        self.pathways = PathwayReports(self._ctx)
        from riskscreen.services.instruments import InstrumentManager

        #: Installed instruments (forms, models and routing kept by hash).
        self.instruments = InstrumentManager(self)
        #: Exchange keys, trusted senders and packages between agencies.
        self.exchange = ExchangeManager(self._ctx, self)
        #: Missing episodes and Return Home Interviews.
        self.episodes = EpisodeManager(self._ctx)
        #: What is due, re-screens, step-down reasons.
        self.reviews = ReviewManager(self._ctx, self.episodes)
        #: One timeline per child.
        self.chronology = ChronologyManager(self._ctx, self.episodes)
        self.chronology.add_source(referral_source(self.referrals))
        #: Agreement exercises: vignettes screened in practice mode, and the report.
        self.agreement = AgreementManager(self._ctx, self.instruments.model)
        from riskscreen.services.intel import IntelManager

        #: Intelligence items linked to children, links across them, submissions.
        self.intel = IntelManager(self._ctx, self.exchange)
        #: Calibration against recorded outcomes, and evidence statements.
        self.evidence = EvidenceManager(self._ctx, self)

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def context(self) -> Context:
        """The unit of work the managers share (for building a manager on it)."""
        return self._ctx

    @property
    def user(self) -> UserInfo:
        """The signed-in account, with its role as last read from the database."""
        return self._ctx.user

    @property
    def db_path(self) -> Path:
        """The database file."""
        return self._ctx.db_path

    @property
    def key_path(self) -> Path:
        """The key file beside the database."""
        return self._ctx.key_path

    @property
    def file_identity(self) -> tuple[int, int] | None:
        """(device, inode) of the database file opened: another after a restore."""
        return self._ctx.file_identity

    @property
    def engine(self) -> Engine:
        """The engine (for the store's own tools and tests; the GUI never needs it)."""
        return self._ctx.engine

    @property
    def closed(self) -> bool:
        """Whether the session has ended (locked, signed out, or its database replaced)."""
        return self._ctx.closed

    def close(self) -> None:
        """Record the audit head beside the database, forget the key, close every connection.

        Locking the application closes its session, so the head is recorded then too.
        """
        self._ctx.close()

    def close_for_restore(self) -> OpenLock | None:
        """Take the exclusive open lock, then close, handing the lock to the caller (a restore).

        :class:`DatabaseInUse` (the session stays open) while another session has the
        database open.
        """
        return self._ctx.close_for_restore()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def form(self, form_id: str, version: str) -> FormDefinition:
        """A stored form version (cached), as every screening made under it uses it."""
        return self._ctx.form(form_id, version)

    def _model(self, s: OrmSession, sha256: str) -> ScoringModel:
        model = self._models.get(sha256)
        if model is None:
            row = s.get(ScoringModelRow, sha256)
            if row is None:
                raise NotFound("the scoring model of this screening is not in the database")
            model = self._models[sha256] = parse_stored_model(row.canonical_json, sha256)
        return model

    # -- screenings ----------------------------------------------------------------------------

    def _in_force(self, s: OrmSession, form: FormDefinition) -> ScoringModelRow:
        """The model new screenings of this form use: the one published last.

        Models published at the same instant (the shipped versions, imported together when a
        database is created) are taken newest version first.
        """
        rows = sorted(s.scalars(select(ScoringModelRow)),
                      key=lambda r: (r.published_at, _version_key(r.version)), reverse=True)
        for row in rows:
            model = self._model(s, row.sha256)
            if model.form.id == form.id and form.version in model.form.versions:
                return row
        raise ServiceError(f"No scoring model for form '{form.id}' version {form.version} "
                           "has been published; a manager must publish one first.")

    def start_screening(self, child_id: int, form_id: str = "cse-screening",
                        screening_date: date | None = None,
                        form_version: str | None = None, *, rescreen: bool = False,
                        after_episode: bool = False) -> int:
        """A new draft screening of a child; returns its id.

        The form version and the scoring model version in force are fixed now. The child's
        name, date of birth, case reference and NHS number are filled in from the child
        record, the missing-episode answers from the episode log. A ``rescreen`` carries the
        answers of the child's last finalised screening over, each to be confirmed;
        ``after_episode`` gives a missing episode as the reason (see ``session.reviews``).
        """
        self._ctx.require(*SCREENING_ROLES)
        when = (screening_date or datetime.now(UTC).date()).isoformat()
        with self._ctx.transaction() as s:
            if form_version is None:
                form_version = instrument_form_version(s, form_id)
            form = stored_form(s, form_id, form_version)
            child = s.get(Child, child_id)
            if child is None:
                raise NotFound("There is no such child record.")
            model = self._in_force(s, form)
            screening = Screening(
                child_id=child_id, practitioner_id=self._ctx.user.id, form_id=form.id,
                form_version=form.version, form_sha256=form_sha256(form),
                model_id=model.model_id,
                model_version=model.version, model_sha256=model.sha256,
                screening_date=when, status=Status.DRAFT)
            s.add(screening)
            s.flush()
            questions = form.question_index()
            prefill: dict[str, Any] = {qid: getattr(child, attr) for qid, attr in _PREFILL.items()}
            identifiers = json.loads(child.identifiers or "{}")
            for qid, keys in _PREFILL_IDENTIFIERS.items():
                prefill[qid] = next((str(identifiers[k]).strip() for k in keys
                                     if str(identifiers.get(k) or "").strip()), None)
            prefill = {qid: v for qid, v in prefill.items() if qid in questions and v}
            for qid, value in prefill.items():
                s.add(Answer(screening_id=screening.id, question_id=qid,
                             value=canonical_json(value), evidence=None))
            self.reviews.prefill(s, screening, form, prefill, rescreen=rescreen,
                                 after_episode=after_episode)
            self._ctx.audit(s, "create", f"screening:{screening.id}",
                        {"child": child_id, "model": model.sha256[:12]})
            return screening.id

    def _screening_for_edit(self, s: OrmSession, screening_id: int) -> Screening:
        screening = s.get(Screening, screening_id)
        self._check_editable(None if screening is None
                             else (screening.practitioner_id, screening.status))
        assert screening is not None
        return screening

    def _check_editable(self, found: tuple[int, str] | None) -> None:
        """A screening's (practitioner id, status) allow this account to edit it."""
        if found is None:
            raise NotFound("There is no such screening.")
        if found[0] != self._ctx.user.id:
            raise PermissionDenied("Only the practitioner who started a screening can edit it.")
        if found[1] != Status.DRAFT:
            raise NotEditable("This screening is finalised and cannot be changed; create an "
                              "amendment instead.")

    def _screening_for_view(self, s: OrmSession, screening_id: int) -> Screening:
        self._ctx.require(*SCREENING_ROLES)
        screening = s.get(Screening, screening_id)
        if screening is None or (self._ctx.user.role == Role.PRACTITIONER
                                 and screening.practitioner_id != self._ctx.user.id):
            raise NotFound("There is no such screening, or it is not yours to see.")
        return screening

    def save_answer(self, screening_id: int, question_id: str, value: Any,
                    evidence: Mapping[str, Any] | EvidenceRecord | None = None, *,
                    expected_version: int | None = None) -> int:
        """Save one answer now (autosave): one short transaction, durable when it returns;
        returns the draft's new version.

        ``value=None`` clears the answer. An invalid answer raises :class:`ServiceError`.
        With ``expected_version`` (the version the caller's copy was opened or last saved
        at), a draft someone else saved meanwhile is not written over: :class:`StaleDraft`,
        with the screening reloaded.
        """
        try:
            try:
                return self._save_answer(screening_id, question_id, value, evidence,
                                         expected_version)
            except _FormNotLoaded:
                with self._ctx.transaction() as s:  # the first save under a form not read yet
                    self._ctx.screening_form(s, self._screening_for_edit(s, screening_id))
                return self._save_answer(screening_id, question_id, value, evidence,
                                         expected_version)
        except StaleDraft as error:
            error.reloaded = self.open_screening(screening_id)
            raise

    def _save_answer(self, screening_id: int, question_id: str, value: Any,
                     evidence: Mapping[str, Any] | EvidenceRecord | None,
                     expected_version: int | None) -> int:
        with self._ctx.raw_transaction() as cursor:
            self._ctx.require(*SCREENING_ROLES)
            found = cursor.execute(
                "SELECT practitioner_id, status, form_id, form_version, screening_date "
                "FROM screenings WHERE id = ?", (screening_id,)).fetchone()
            self._check_editable(None if found is None else (found[0], found[1]))
            form = self._ctx.cached_form(found[2], found[3])
            if form is None:
                raise _FormNotLoaded()  # rolled back; reading it needs the ORM's session
            evidence_json = self._checked(form, found[4], question_id, value, evidence)
            now = utc_now()
            if value is None:
                cursor.execute("DELETE FROM answers WHERE screening_id = ? AND question_id = ?",
                               (screening_id, question_id))
            else:
                cursor.execute(
                    "INSERT INTO answers (screening_id, question_id, value, evidence, saved_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (screening_id, question_id) DO UPDATE "
                    "SET value = excluded.value, evidence = excluded.evidence, "
                    "saved_at = excluded.saved_at",
                    (screening_id, question_id, canonical_json(value), evidence_json, now))
            version = cursor.execute(
                "UPDATE screenings SET updated_at = ?, version = version + 1 WHERE id = ? "
                "AND version = ? RETURNING version", (now, screening_id, expected_version)
            ).fetchone() if expected_version is not None else cursor.execute(
                "UPDATE screenings SET updated_at = ?, version = version + 1 WHERE id = ? "
                "RETURNING version", (now, screening_id)).fetchone()
            if version is None:
                raise StaleDraft()  # rolled back: nothing of this save is kept
            self.reviews.answer_saved_raw(cursor, screening_id, question_id)
            audit.append_raw(cursor, self._ctx.user.name, "edit", f"screening:{screening_id}",
                             {"question": question_id})
            return int(version[0])

    def _checked(self, form: FormDefinition, screening_date: str, question_id: str,
                 value: Any, evidence: Mapping[str, Any] | EvidenceRecord | None) -> str | None:
        if question_id not in form.question_index():
            raise ServiceError(f"The form has no question '{question_id}'.")
        record: EvidenceRecord | None
        try:
            record = (evidence if isinstance(evidence, EvidenceRecord) or evidence is None
                      else EvidenceRecord.model_validate(dict(evidence)))
        except ValidationError:
            raise ServiceError(f"The evidence for '{question_id}' is not valid.") from None
        if value is None:
            return None
        answer_set = AnswerSet(
            form=form.id, form_version=form.version,
            screening_date=date.fromisoformat(screening_date),
            answers={question_id: value},
            evidence={question_id: record} if record is not None else {})
        problems = check_answers(form, answer_set, complete=False)
        too_long = next((p for p in problems if p.limit is not None), None)
        if too_long is not None:  # a length message quotes no answer
            raise ServiceError(f"Not saved: the {too_long.message.removeprefix('the ')} "
                               f"(question '{question_id}'). Shorten it and try again.")
        if problems:
            # The engine's message may quote the answer; keep it out of the exception text.
            raise ServiceError(f"The answer to '{question_id}' is not valid for this "
                               "question; check its type and length.")
        return None if record is None else record.model_dump_json()

    def open_screening(self, screening_id: int) -> ScreeningDetail:
        """A screening with its answers and assessment (a recorded view)."""
        with self._ctx.transaction() as s:
            screening = self._screening_for_view(s, screening_id)
            row = s.execute(screening_rows().where(Screening.id == screening_id)).one()
            answers = {
                a.question_id: AnswerValue(json.loads(a.value),
                                           json.loads(a.evidence) if a.evidence else None,
                                           a.saved_at)
                for a in s.scalars(select(Answer).where(Answer.screening_id == screening_id))}
            snap = s.get(AssessmentRow, screening_id)
            assessment = None
            if snap is not None:
                snapshot_text, answers_text = self._record(s, snap)
                assessment = Assessment.from_dict(json.loads(snapshot_text))
                if not answers:  # a finalised screening's answers live in its record
                    answers = _record_answers(answers_text, snap.finalised_at)
            self._ctx.audit(s, "view", f"screening:{screening_id}")
            return ScreeningDetail(
                row=screening_row(row), form_id=screening.form_id,
                form_version=screening.form_version,
                model_id=screening.model_id, model_version=screening.model_version,
                model_sha256=screening.model_sha256, answers=answers,
                assessment=assessment,
                amendment_reason=screening.amendment_reason,
                editable=(screening.status == Status.DRAFT
                          and screening.practitioner_id == self._ctx.user.id),
                amended=self._amended(s, screening),
                finalised_at=snap.finalised_at if snap else None, version=screening.version)

    def _record(self, s: OrmSession, row: AssessmentRow) -> tuple[str, str]:
        """(snapshot, answer set) texts of a finalised record."""
        dictionaries = self._dictionaries
        if row.dictionary_id not in dictionaries:
            found = s.get(RecordDictionary, row.dictionary_id)
            if found is not None:
                dictionaries[row.dictionary_id] = bytes(found.data)
        try:
            return stored_record(dictionaries, row.dictionary_id, row.record)
        except ValueError:
            raise StorageError("A finalised record cannot be read; run 'riskscreen verify' "
                               "and restore a backup if it reports damage.") from None

    def _snapshot(self, s: OrmSession, row: AssessmentRow) -> Assessment:
        return Assessment.from_dict(json.loads(self._record(s, row)[0]))

    def _answer_set(self, s: OrmSession, screening: Screening) -> AnswerSet:
        answers: dict[str, Any] = {}
        evidence: dict[str, Any] = {}
        for a in s.scalars(select(Answer).where(Answer.screening_id == screening.id)):
            answers[a.question_id] = json.loads(a.value)
            if a.evidence:
                evidence[a.question_id] = json.loads(a.evidence)
        return AnswerSet.model_validate({
            "form": screening.form_id, "form_version": screening.form_version,
            "screening_date": screening.screening_date, "answers": answers,
            "evidence": evidence})

    def _previous(self, s: OrmSession, screening: Screening) -> tuple[int | None,
                                                                     Assessment | None]:
        row = s.scalars(
            select(AssessmentRow)
            .join(Screening, Screening.id == AssessmentRow.screening_id)
            .where(Screening.child_id == screening.child_id, Screening.id != screening.id,
                   Screening.screening_date <= screening.screening_date)
            .order_by(Screening.screening_date.desc(), Screening.id.desc()).limit(1)).first()
        if row is None:
            return None, None
        return row.screening_id, self._snapshot(s, row)

    def _amended(self, s: OrmSession, screening: Screening) -> Assessment | None:
        """The finalised assessment of the screening this one amends (None if it amends none)."""
        if screening.amendment_of is None:
            return None
        snap = s.get(AssessmentRow, screening.amendment_of)
        return self._snapshot(s, snap) if snap is not None else None

    def preview(self, screening_id: int,
                answers: Mapping[str, Any] | None = None) -> Assessment:
        """Score a screening without storing anything (incomplete answers allowed): its saved
        answers, or ``answers`` (those on screen, perhaps not saved yet, for the live score).

        The child's previous screening gives the trend exactly as finalising takes it, so the
        live score and the finalised one never disagree about it.
        """
        with self._ctx.transaction() as s:
            screening = self._screening_for_view(s, screening_id)
            form = self._ctx.screening_form(s, screening)
            _, previous = self._previous(s, screening)
            answer_set = (self._answer_set(s, screening) if answers is None else
                          AnswerSet.model_validate({
                              "form": screening.form_id, "form_version": screening.form_version,
                              "screening_date": screening.screening_date,
                              "answers": dict(answers)}))
            return score(form, self._model(s, screening.model_sha256), answer_set, previous)

    def finalise(self, screening_id: int, override: OverrideRequest | None = None, *,
                 step_down_reason: str | None = None) -> Assessment:
        """Score with the recorded model and store the immutable snapshot; returns it.

        A level lower than the child's last screening needs ``step_down_reason``, and a
        re-screen needs every carried-over answer confirmed (``session.reviews``).

        Lowering the level needs a manager's countersignature (their passphrase in
        ``override``) and can never go below a fired rule's minimum level. An amendment starts
        from the final level of the screening it amends (with its override); without
        ``override`` it is finalised at that level or its computed level, whichever is higher.
        """
        self._ctx.require(*SCREENING_ROLES)
        signer: UserInfo | None = None
        if override is not None and override.countersigned_by:
            signer = self.accounts.check_countersignature(override.countersigned_by,
                                                 override.countersign_passphrase or "")
        with self._ctx.transaction() as s:
            screening = self._screening_for_edit(s, screening_id)
            form = self._ctx.screening_form(s, screening)
            answer_set = self._answer_set(s, screening)
            problems = check_answers(form, answer_set, complete=True)
            if problems:
                raise IncompleteScreening([(p.question, p.message) for p in problems])
            previous_id, previous = self._previous(s, screening)
            model = self._model(s, screening.model_sha256)
            assessment = score(form, model, answer_set, previous)
            amended = self._amended(s, screening)
            if amended is not None:
                # The amendment starts from the earlier final level; only a countersigned
                # override goes below it.
                assessment = carry_forward(assessment, amended, self._ctx.user.name)
            if override is not None:
                assessment = _overridden(assessment, override.level, override.reason,
                                             self._ctx.user.name,
                                             signer.name if signer is not None else None)
            self.reviews.on_finalise(s, screening, assessment, model, step_down_reason)
            snapshot = assessment.to_dict()
            answers_json = answer_set.model_dump_json()
            snapshot_text = canonical_json(snapshot)
            dictionary_id, dictionary = dictionary_for(s.connection(), screening.model_sha256,
                                                       model.canonical_json(), form)
            # The answers now live in the record (exactly) and the columns (for bulk reads).
            s.execute(delete(Answer).where(Answer.screening_id == screening_id))
            s.add(AssessmentRow(
                screening_id=screening_id, previous_id=previous_id, dictionary_id=dictionary_id,
                record=compress_record(record_text(snapshot_text, answers_json), dictionary),
                final_level=assessment.final_level,
                finalised_by=self._ctx.user.id))
            s.flush()
            add_screenings(s.connection(), form, [(
                screening_id, answer_set,
                assessment.override.direction.value if assessment.override else None)])
            s.execute(update(Screening).where(Screening.id == screening_id).values(
                status=Status.FINAL, final_level=assessment.final_level, updated_at=utc_now()))
            self._ctx.audit(s, "finalise", f"screening:{screening_id}",
                        {"level": assessment.level, "score": assessment.score,
                         "model": screening.model_sha256[:12],
                         "snapshot": snapshot_digest(snapshot_text, answers_json)})
            if assessment.override is not None:
                detail = {"direction": assessment.override.direction.value,
                          "from": assessment.level, "to": assessment.override.level,
                          "countersigned_by": assessment.override.countersigned_by}
                if amended is not None:
                    detail["amended_level"] = amended.final_level
                self._ctx.audit(s, "override", f"screening:{screening_id}", detail)
            final = Assessment.from_dict(_normalised(snapshot))
            self.referrals.record_on_finalise(s, screening_id, final)
            return final

    def amend(self, screening_id: int, reason: str) -> int:
        """A new draft linked to a finalised screening, with its answers, for a correction."""
        self._ctx.require(*SCREENING_ROLES)
        if len(reason.split()) < 3:
            raise ServiceError("Say in a sentence why the screening is being amended.")
        with self._ctx.transaction() as s:
            original = self._screening_for_view(s, screening_id)
            if original.status != Status.FINAL:
                raise ServiceError("Only a finalised screening is amended; edit the draft.")
            amendment = Screening(
                child_id=original.child_id, practitioner_id=self._ctx.user.id,
                form_id=original.form_id, form_version=original.form_version,
                form_sha256=original.form_sha256, model_id=original.model_id,
                model_version=original.model_version,
                model_sha256=original.model_sha256, screening_date=original.screening_date,
                status=Status.DRAFT, amendment_of=original.id, amendment_reason=reason.strip())
            s.add(amendment)
            s.flush()
            snap = s.get(AssessmentRow, screening_id)
            if snap is None:
                raise NotFound("The finalised record of this screening is missing; run "
                               "'riskscreen verify'.")
            for qid, answer in _record_answers(self._record(s, snap)[1], "").items():
                s.add(Answer(screening_id=amendment.id, question_id=qid,
                             value=canonical_json(answer.value),
                             evidence=None if answer.evidence is None
                             else canonical_json(answer.evidence)))
            self._ctx.audit(s, "amend", f"screening:{amendment.id}",
                        {"amendment_of": original.id})
            return amendment.id

    def record_export(self, screening_id: int, kind: str = "print") -> None:
        """Record that a screening's summary was printed or exported."""
        with self._ctx.transaction() as s:
            self._screening_for_view(s, screening_id)
            self._ctx.audit(s, "export", f"screening:{screening_id}", {"kind": kind})

    def list_screenings(self, query: ScreeningQuery = ScreeningQuery()) -> Page:  # noqa: B008 - frozen, shared safely
        """One page of screenings, newest first (drafts first if asked)."""
        self._ctx.require(*SCREENING_ROLES)
        limit = max(1, min(query.limit, 1000))
        with self._ctx.transaction() as s:
            base = screening_rows()
            # Without a name search the count needs no join: every screening has its child and
            # practitioner (foreign keys), and a join-free count is answered from an index.
            counted = select(func.count()).select_from(Screening)
            if self._ctx.user.role == Role.PRACTITIONER or query.mine_only:
                base = base.where(Screening.practitioner_id == self._ctx.user.id)
                counted = counted.where(Screening.practitioner_id == self._ctx.user.id)
            if query.level:
                base = base.where(Screening.final_level == query.level)
                counted = counted.where(Screening.final_level == query.level)
            text = (query.search or "").strip()
            searching = bool(text)
            if searching:
                base = base.where(or_(Child.name.icontains(text, autoescape=True),
                                      Child.identifiers.icontains(text, autoescape=True)))
            order = (Screening.updated_at.desc(), Screening.id.desc())
            statuses = ([query.status] if query.status else
                        [Status.DRAFT, Status.FINAL] if query.drafts_first else [None])
            items: list[ScreeningRow] = []
            total = 0
            offset = max(0, query.offset)
            for status in statuses:
                q = base if status is None else base.where(Screening.status == status)
                if searching:
                    count = s.scalar(select(func.count()).select_from(q.subquery())) or 0
                else:
                    c = counted if status is None else counted.where(Screening.status == status)
                    count = s.scalar(c) or 0
                total += count
                if len(items) < limit and offset < count:
                    rows = s.execute(q.order_by(*order).offset(offset)
                                     .limit(limit - len(items)))
                    items.extend(screening_row(r) for r in rows)
                offset = max(0, offset - count)
            return Page(items, query.offset, total)

    # -- scoring models ------------------------------------------------------------------------

    def publish_model(self, model: ScoringModel) -> ModelInfo:
        """Store a scoring model version for use in new screenings (managers only)."""
        self._ctx.require(Role.MANAGER)
        with self._ctx.transaction() as s:
            return self._publish(s, model, self._ctx.user.id)

    def _publish(self, s: OrmSession, model: ScoringModel, by: int,
                 source: str = "manager") -> ModelInfo:
        sha = content_hash(model)
        existing = s.scalar(select(ScoringModelRow).where(
            ScoringModelRow.model_id == model.id, ScoringModelRow.version == model.version))
        if existing is not None:
            if existing.sha256 == sha:
                raise ServiceError(f"{model.id} {model.version} is already published.")
            raise ServiceError(f"{model.id} {model.version} is already published with other "
                               "content; a published model is never edited: give the change "
                               "a new version number.")
        row = ScoringModelRow(sha256=sha, model_id=model.id, version=model.version,
                              canonical_json=model.canonical_json(), published_by=by,
                              change_note=model.change_note)
        s.add(row)
        s.flush()
        self._models[sha] = model
        audit.append(s, self._ctx.user.name, "publish", f"model:{sha[:12]}",
                     {"model": model.id, "version": model.version, "source": source})
        return self._model_info(s, row)

    def _model_info(self, s: OrmSession, row: ScoringModelRow) -> ModelInfo:
        by = s.get(User, row.published_by)
        return ModelInfo(row.model_id, row.version, row.sha256, by.name if by else "?",
                         row.published_at, row.change_note)

    def list_models(self) -> list[ModelInfo]:
        """Published scoring models, newest first."""
        with self._ctx.transaction() as s:
            rows = s.scalars(select(ScoringModelRow)
                             .order_by(ScoringModelRow.published_at.desc()))
            return [self._model_info(s, r) for r in rows]

    def stored_model(self, sha256: str) -> ScoringModel:
        """A published model by hash (for the impact analysis and re-scoring)."""
        self._ctx.require(Role.MANAGER, Role.ADMINISTRATOR, Role.PRACTITIONER)
        with self._ctx.transaction() as s:
            return self._model(s, sha256)

    def finalised_answer_sets(self, since: date | None = None, until: date | None = None
                              ) -> Iterator[tuple[int, str, AnswerSet]]:
        """(screening id, model hash, answer set) of every finalised screening (managers),
        in screening id order; ``since``/``until`` limit the screening dates (inclusive).

        Opens every finalised record, one at a time, on a connection of its own: for work
        that needs each answer set whole. Bulk scoring reads ``session.finalised.columns``.
        """
        return self.finalised.answer_sets(since, until)

    # -- checks and backups --------------------------------------------------------------------

    def verify(self, *, rescore: bool = True,
               progress: Callable[[int, int], None] | None = None) -> VerifyReport:
        """Integrity of every page, the audit chain, and re-scoring of every finalised
        screening against its snapshot (managers and administrators)."""
        self._ctx.require(Role.MANAGER, Role.ADMINISTRATOR)
        self._ctx.check_same_file()
        report = VerifyReport()
        with self._ctx.lock, translate_errors(), self._ctx.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            report.integrity_problems += check_pages(raw)
            count, head, problems = audit.verify_chain(conn)
            report.audit_entries, report.audit_head = count, head
            report.audit_problems = [f"audit entry {p.seq}: {p.message}" for p in problems]
            report.audit_problems += audit.check_head(raw, self._ctx.db_path)
            if not report.integrity_problems:
                report.record_problems = (check_triggers(raw) + list(check_records(raw))
                                          + check_forms(raw))
        if rescore and not report.integrity_problems:
            self._rescore_all(report, progress)
        with self._ctx.transaction() as s:
            self._ctx.audit(s, "verify", "database", {"ok": report.ok})
        self._ctx.record_audit_head()
        return report

    def _rescore_all(self, report: VerifyReport,
                     progress: Callable[[int, int], None] | None) -> None:
        with self._ctx.transaction() as s:
            total = s.scalar(select(func.count()).select_from(AssessmentRow)) or 0
        models: dict[str, ScoringModel] = {}
        # Each snapshot is also re-scored in columns by the batch executor, a chunk at a time.
        batches: dict[tuple[str, str, str], tuple[FormDefinition, ScoringModel,
                                                  list[tuple[int, AnswerSet, Assessment]]]] = {}
        dictionaries = {int(i): bytes(d) for i, d in self._ctx.stream(
            "SELECT id, data FROM record_dictionaries")}
        stored = self._stored_columns(report)
        rows = self._ctx.stream(
            "SELECT a.screening_id, s.model_sha256, a.dictionary_id, a.record, "
            "p.dictionary_id, p.record FROM assessments a "
            "JOIN screenings s ON s.id = a.screening_id "
            "LEFT JOIN assessments p ON p.screening_id = a.previous_id "
            "ORDER BY a.screening_id")
        records: set[int] = set()
        for i, (sid, sha, did, record, prev_did, prev_record) in enumerate(rows):
            records.add(int(sid))
            try:
                snapshot, answers_json = stored_record(dictionaries, did, record)
                previous = (stored_record(dictionaries, prev_did, prev_record)[0]
                            if prev_record is not None else None)
                model = models.get(sha)
                if model is None:
                    with self._ctx.transaction() as s:
                        model = models[sha] = self._model(s, sha)
                answer_set = AnswerSet.model_validate_json(answers_json)
                form = self._ctx.form(answer_set.form, answer_set.form_version)
                prev = Assessment.from_dict(json.loads(previous)) if previous else None
                again = score(form, model, answer_set, prev)
                # to_dict/from_dict round-trip exactly, so comparing the rebuilt snapshot
                # with the new assessment is the exact comparison (and far cheaper than
                # serialising every new assessment).
                kept = Assessment.from_dict(json.loads(snapshot))
                if kept.override is not None:
                    again = replace(again, override=kept.override)
                if again != kept:
                    report.rescore_differences.append(
                        f"screening {sid}: re-scoring with {model.id} "
                        f"{model.version} gives a different result from its snapshot")
                else:
                    group = batches.setdefault((form.id, form.version, sha),
                                               (form, model, []))
                    group[2].append((sid, answer_set, kept))
                    if len(group[2]) >= 2000:
                        report.rescore_differences += _batch_differences(*group, stored)
                        group[2].clear()
            except (ValueError, KeyError, TypeError, ServiceError, zlib.error) as error:
                report.rescore_differences.append(
                    f"screening {sid}: could not be re-scored ({type(error).__name__})")
            report.rescored += 1
            if progress is not None and (i % 500 == 0 or i == total - 1):
                progress(i + 1, max(total, i + 1))
        for group in batches.values():
            report.rescore_differences += _batch_differences(*group, stored)
        for (form_id, version), (columns, _) in sorted(stored.items()):
            for sid in sorted(set(columns.ids.tolist()) - records):
                report.rescore_differences.append(
                    f"screening {sid}: answer columns of form '{form_id}' {version} are "
                    "stored for it, but it has no finalised record")

    def _stored_columns(self, report: VerifyReport) -> _Stored:
        """Every form version's stored columns, with each screening's row."""
        out: _Stored = {}
        versions = list(self._ctx.stream(
            "SELECT DISTINCT form_id, form_version FROM answer_columns"))
        for form_id, version in versions:
            try:
                form = self._ctx.form(form_id, version)
                columns = read_columns(form, [d for (d,) in self._ctx.stream(
                    "SELECT data FROM answer_columns WHERE form_id = ? AND form_version = ?",
                    (form_id, version))])
            except (ServiceError, ValueError):
                report.rescore_differences.append(
                    f"the answer columns of form '{form_id}' {version} cannot be read")
                continue
            rows = {sid: row for row, sid in enumerate(columns.ids.tolist())}
            if len(rows) != columns.size:
                report.rescore_differences.append(
                    f"the answer columns of form '{form_id}' {version} hold a screening twice")
            out[(form_id, version)] = (columns, rows)
        return out


# -- helpers ----------------------------------------------------------------------------------






#: Stored columns by form version: the columns and each screening's row.
_Stored = dict[tuple[str, str], tuple[StoredColumns, dict[int, int]]]


def _batch_differences(form: FormDefinition, model: ScoringModel,
                       rows: list[tuple[int, AnswerSet, Assessment]],
                       stored: _Stored) -> list[str]:
    """Screenings whose snapshot's level, points or rules differ from the batch executor's,
    or whose stored answer columns differ from their record's answer set."""
    if not rows:
        return []
    plan = compile_model(form, model)
    sets = [answer_set for _, answer_set, _ in rows]
    result = plan.batch(plan.encode(sets))
    out = []
    for row, (sid, _, kept) in enumerate(rows):
        if (result.level(row) != kept.level or int(result.points[row]) != kept.score
                or result.rules(row) != [r.id for r in kept.rules_fired]):
            out.append(f"screening {sid}: re-scoring in columns with {model.id} "
                       f"{model.version} gives a different result from its snapshot")
    found = stored.get((form.id, form.version))
    at = [None if found is None else found[1].get(sid) for sid, _, _ in rows]
    present = [i for i, r in enumerate(at) if r is not None]
    if found is not None and present:
        columns = found[0]
        where = np.asarray([at[i] for i in present], dtype=np.intp)
        differ = differing_rows(encode(form, [sets[i] for i in present]),
                                columns.columns.take(where))
        out += [f"screening {rows[present[i]][0]}: its stored answer columns differ from "
                "the answer set of its record" for i in np.flatnonzero(differ).tolist()]
    out += [f"screening {rows[i][0]}: its answers are missing from the stored answer columns"
            for i, r in enumerate(at) if r is None]
    return out


def _record_answers(answers_text: str, saved_at: str) -> dict[str, AnswerValue]:
    """The answers of a finalised record as the screen shows them (saved when finalised)."""
    raw = json.loads(answers_text)
    evidence = raw.get("evidence") or {}
    return {qid: AnswerValue(value, evidence.get(qid), saved_at)
            for qid, value in (raw.get("answers") or {}).items()}


class _FormNotLoaded(Exception):  # noqa: N818 - a signal inside the session, never shown
    """The autosave met a form version not cached yet (read in an ORM transaction)."""












