"""Screenings: start one for a child, answer it, score it, finalise it, amend it, list them.

Reached as ``session.screenings``. A practitioner works on their own screenings; a manager
also sees everyone's. A draft is edited one answer at a time (each saved at once);
finalising stores the immutable snapshot scored with the model recorded when the screening
started, and makes its referral record; an amendment is a new draft linked to it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session as OrmSession

from riskscreen.dates import moment
from riskscreen.forms.answers import AnswerSet, EvidenceRecord, check_answer, check_answers
from riskscreen.forms.identity import form_sha256
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.assessment import Assessment
from riskscreen.scoring.engine import OverrideRefused as EngineRefused
from riskscreen.scoring.engine import apply_override, carry_forward, score
from riskscreen.services.accounts import AccountManager
from riskscreen.services.children import SCREENING_ROLES
from riskscreen.services.context import Context, instrument_form_version, stored_form
from riskscreen.services.errors import (
    IncompleteScreening,
    NotEditable,
    NotFound,
    OverrideRefused,
    PermissionDenied,
    ServiceError,
    StaleDraft,
)
from riskscreen.services.models import ModelManager
from riskscreen.services.referrals import ReferralManager
from riskscreen.services.reviews import ReviewManager
from riskscreen.services.rows import canonical_json, screening_row, screening_rows
from riskscreen.services.types import (
    AnswerValue,
    OverrideRequest,
    Page,
    Role,
    ScreeningDetail,
    ScreeningQuery,
    ScreeningRow,
    Status,
    UserInfo,
)
from riskscreen.store.columns import add_screenings
from riskscreen.store.db import StorageError
from riskscreen.store.integrity import snapshot_digest, stored_record
from riskscreen.store.models import (
    Answer,
    AssessmentRow,
    Child,
    RecordDictionary,
    Screening,
    now_micros,
    utc_now,
)
from riskscreen.store.records import compress_record, dictionary_for, record_text

__all__ = ["ScreeningManager"]

_PREFILL = {"child_name": "name", "date_of_birth": "date_of_birth"}
#: Question -> the child record's identifiers that fill it in a new screening, first found
#: first ("reference" is what records created before "case_number" was used hold).
_PREFILL_IDENTIFIERS = {"case_number": ("case_number", "reference"),
                        "nhs_number": ("nhs_number",)}


class ScreeningManager:
    """Screenings of one signed-in session (practitioners their own, managers everyone's)."""

    def __init__(self, ctx: Context, models: ModelManager, accounts: AccountManager,
                 referrals: ReferralManager, reviews: ReviewManager) -> None:
        self._ctx = ctx
        self._models = models
        self._accounts = accounts
        self._referrals = referrals
        self._reviews = reviews
        self._dictionaries: dict[int, bytes] = {}

    def form(self, form_id: str, version: str) -> FormDefinition:
        """A stored form version (cached), as every screening made under it uses it."""
        return self._ctx.form(form_id, version)

    def start(self, child_id: int, form_id: str = "cse-screening",
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
            # Read once per session: parsing a stored form takes longer than the rest of this.
            form = self._ctx.cached_form(form_id, form_version) or stored_form(
                s, form_id, form_version)
            child = s.get(Child, child_id)
            if child is None:
                raise NotFound("There is no such child record.")
            model = self._models.in_force_row(s, form)
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
            self._reviews.prefill(s, screening, form, prefill, rescreen=rescreen,
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
            error.reloaded = self.open(screening_id)
            raise

    def _save_answer(self, screening_id: int, question_id: str, value: Any,
                     evidence: Mapping[str, Any] | EvidenceRecord | None,
                     expected_version: int | None) -> int:
        with self._ctx.raw_transaction() as cursor:
            self._ctx.require(*SCREENING_ROLES)
            found = cursor.execute(_DRAFT_FOR_SAVE, (screening_id,)).fetchone()
            self._check_editable(None if found is None else (found[0], found[1]))
            form = self._ctx.cached_form(found[2], found[3])
            if form is None:
                raise _FormNotLoaded()  # rolled back; reading it needs the ORM's session
            evidence_json = self._checked(form, found[4], question_id, value, evidence)
            now = now_micros()
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
            # The draft's updated_at is in four indexes; leaving it alone keeps the commit to
            # three pages. Only while it stays in the same minute (what a person is shown,
            # in any time zone) and the draft is already the most recently changed
            # screening, so no list's order changes.
            same_minute = found[5] // 60_000_000 == now // 60_000_000
            newest = same_minute and _only_newest(
                cursor.execute(_NEWEST_TWO).fetchall(), screening_id, found[5])
            params: tuple[Any, ...]
            sql, params = ((_BUMP_VERSION, (screening_id,)) if newest
                           else (_BUMP_VERSION_AND_TIME, (now, screening_id)))
            if expected_version is not None:
                sql += " AND version = ?"
                params += (expected_version,)
            version = cursor.execute(sql + " RETURNING version", params).fetchone()
            if version is None:
                raise StaleDraft()  # rolled back: nothing of this save is kept
            self._reviews.answer_saved_raw(cursor, screening_id, question_id)
            self._ctx.audit_raw(cursor, "edit", f"screening:{screening_id}",
                                {"question": question_id})
            return int(version[0])

    def _checked(self, form: FormDefinition, screening_date: str, question_id: str,
                 value: Any, evidence: Mapping[str, Any] | EvidenceRecord | None) -> str | None:
        if form.find_question(question_id) is None:
            raise ServiceError(f"The form has no question '{question_id}'.")
        record: EvidenceRecord | None
        try:
            record = (evidence if isinstance(evidence, EvidenceRecord) or evidence is None
                      else EvidenceRecord.model_validate(dict(evidence)))
        except ValidationError:
            raise ServiceError(f"The evidence for '{question_id}' is not valid.") from None
        if value is None:
            return None
        problems = check_answer(form, question_id, value, date.fromisoformat(screening_date),
                                record)
        too_long = next((p for p in problems if p.limit is not None), None)
        if too_long is not None:  # a length message quotes no answer
            raise ServiceError(f"Not saved: the {too_long.message.removeprefix('the ')} "
                               f"(question '{question_id}'). Shorten it and try again.")
        if problems:
            # The engine's message may quote the answer; keep it out of the exception text.
            raise ServiceError(f"The answer to '{question_id}' is not valid for this "
                               "question; check its type and length.")
        return None if record is None else record.model_dump_json()

    def open(self, screening_id: int) -> ScreeningDetail:
        """A screening with its answers and assessment (a recorded view)."""
        with self._ctx.transaction() as s:
            screening = self._screening_for_view(s, screening_id)
            row = s.execute(screening_rows().where(Screening.id == screening_id)).one()
            answers = {
                a.question_id: AnswerValue(json.loads(a.value),
                                           json.loads(a.evidence) if a.evidence else None,
                                           moment(a.saved_at))
                for a in s.scalars(select(Answer).where(Answer.screening_id == screening_id))}
            snap = s.get(AssessmentRow, screening_id)
            assessment = None
            if snap is not None:
                snapshot_text, answers_text = self._record(s, snap)
                assessment = Assessment.from_dict(json.loads(snapshot_text))
                if not answers:  # a finalised screening's answers live in its record
                    answers = _record_answers(answers_text, moment(snap.finalised_at))
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
                finalised_at=moment(snap.finalised_at) if snap else None,
                version=screening.version)

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
            model = self._models.stored_in(s, screening.model_sha256)
            return score(form, model, answer_set, previous)

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
            signer = self._accounts.check_countersignature(override.countersigned_by,
                                                 override.countersign_passphrase or "")
        with self._ctx.transaction() as s:
            screening = self._screening_for_edit(s, screening_id)
            form = self._ctx.screening_form(s, screening)
            answer_set = self._answer_set(s, screening)
            problems = check_answers(form, answer_set, complete=True)
            if problems:
                raise IncompleteScreening([(p.question, p.message) for p in problems])
            previous_id, previous = self._previous(s, screening)
            model = self._models.stored_in(s, screening.model_sha256)
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
            self._reviews.on_finalise(s, screening, assessment, model, step_down_reason)
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
            self._referrals.record_on_finalise(s, screening_id, final)
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
            for qid, answer in _record_answers(self._record(s, snap)[1],
                                              moment(snap.finalised_at)).items():
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

    def find(self, query: ScreeningQuery = ScreeningQuery()) -> Page:  # noqa: B008 - frozen, shared safely
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


# -- helpers ----------------------------------------------------------------------------------


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


def _record_answers(answers_text: str, saved_at: datetime) -> dict[str, AnswerValue]:
    """The answers of a finalised record as the screen shows them (saved when finalised)."""
    raw = json.loads(answers_text)
    evidence = raw.get("evidence") or {}
    return {qid: AnswerValue(value, evidence.get(qid), saved_at)
            for qid, value in (raw.get("answers") or {}).items()}


#: What a save checks and needs of its draft (see :meth:`ScreeningManager._save_answer`).
_DRAFT_FOR_SAVE = (
    "SELECT practitioner_id, status, form_id, form_version, screening_date, updated_at "
    "FROM screenings WHERE id = ?")
#: The two most recently changed screenings, read backwards along ``ix_screenings_updated``
#: on both backends (a correlated EXISTS made PostgreSQL scan the table on every save).
_NEWEST_TWO = "SELECT id, updated_at FROM screenings ORDER BY updated_at DESC, id DESC LIMIT 2"
_BUMP_VERSION_AND_TIME = "UPDATE screenings SET updated_at = ?, version = version + 1 WHERE id = ?"
_BUMP_VERSION = "UPDATE screenings SET version = version + 1 WHERE id = ?"


def _only_newest(rows: list[Any], screening_id: int, updated_at: int) -> bool:
    """Whether no other screening was changed at or after this one's ``updated_at``."""
    return bool(rows) and rows[0][0] == screening_id and (
        len(rows) < 2 or rows[1][1] < updated_at)


class _FormNotLoaded(Exception):  # noqa: N818 - a signal inside the session, never shown
    """The autosave met a form version not cached yet (read in an ORM transaction)."""
