"""Agreement exercises: do two practitioners score the same case the same way?

Reached as ``session.agreement``. A manager makes an exercise (one instrument, with the
scoring model in force fixed at that moment), writes short synthetic case descriptions
(vignettes) and assigns practitioners. Each practitioner screens the vignettes in practice
mode; the manager's report gives Krippendorff's alpha on the level (ordinal, with a bootstrap
interval) and on each indicator (nominal), and names the indicators read most differently.

Practice screenings live in a table of their own (``practice_screenings``), never in
``screenings``: they have no child, no referral and no answer columns, so no list, report,
calibration, referral, check or impact analysis of real screenings can include one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from riskscreen.dates import iso, moment
from riskscreen.forms.answers import AnswerSet, check_answers
from riskscreen.forms.kinds import KindRole
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.assessment import Assessment
from riskscreen.scoring.calibration import (
    TENTATIVE_ALPHA,
    Agreement,
    few_ratings_warning,
    indicator_agreement,
    level_agreement,
    read_most_differently,
)
from riskscreen.scoring.engine import score
from riskscreen.scoring.model import ScoringModel
from riskscreen.services.context import Context
from riskscreen.services.errors import (
    IncompleteScreening,
    NotEditable,
    NotFound,
    PermissionDenied,
    ServiceError,
)
from riskscreen.services.rows import canonical_json
from riskscreen.services.types import PracticeStatus, Role
from riskscreen.store.models import (
    AgreementExercise,
    ExerciseAssignment,
    PracticeScreening,
    ScoringModelRow,
    User,
    Vignette,
    utc_now,
)

__all__ = [
    "PRACTICE_WORDS",
    "AgreementManager",
    "AgreementReport",
    "ExerciseInfo",
    "IndicatorRow",
    "PracticeDetail",
    "PracticeItem",
    "VignetteInfo",
]

#: What practice mode means, said wherever a practice screening is shown.
PRACTICE_WORDS = ("Practice screening: this vignette describes a made-up child. Nothing here "
                  "is a real screening, and nothing is referred, printed or counted in reports.")
#: Longest title of an exercise or vignette, and text of a vignette.
TITLE_LIMIT = 200
TEXT_LIMIT = 5000
#: The seed of the report's bootstrap, so the same practice screenings give the same interval.
REPORT_SEED = 17


@dataclass(frozen=True)
class ExerciseInfo:
    """An exercise as the lists show it."""

    id: int
    title: str
    form_id: str
    form_version: str
    model_id: str
    model_version: str
    model_sha256: str
    screening_date: date
    created_by: str
    created_at: datetime
    vignettes: int
    practitioners: tuple[str, ...]
    submitted: int


@dataclass(frozen=True)
class VignetteInfo:
    """One vignette (a made-up case) of an exercise."""

    id: int
    exercise_id: int
    position: int
    title: str
    date_of_birth: date | None
    text: str
    submitted: int


@dataclass(frozen=True)
class PracticeItem:
    """A vignette a practitioner is asked to screen, with how far they got."""

    exercise_id: int
    exercise_title: str
    vignette: VignetteInfo
    practice_id: int | None
    status: PracticeStatus | None
    level: str | None

    @property
    def state_words(self) -> str:
        """Not started, in progress, or submitted (with the level)."""
        if self.status is None:
            return "Not started"
        if self.status == PracticeStatus.DRAFT:
            return "In progress"
        return f"Submitted: {self.level or '?'}"


@dataclass(frozen=True)
class PracticeDetail:
    """One practice screening opened for answering (or reading, once submitted)."""

    id: int
    exercise_id: int
    exercise_title: str
    vignette: VignetteInfo
    form_id: str
    form_version: str
    model_sha256: str
    screening_date: date
    answers: dict[str, Any]
    evidence: dict[str, Any]
    submitted: bool
    assessment: Assessment | None


@dataclass(frozen=True)
class IndicatorRow:
    """Agreement on one indicator: nominal alpha and how many vignettes it rests on."""

    question_id: str
    text: str
    alpha: float | None
    units: int


@dataclass(frozen=True)
class AgreementReport:
    """An exercise's agreement figures, with their limits said in words."""

    exercise: ExerciseInfo
    level_names: tuple[str, ...]
    practitioners: int
    vignettes: int
    shared_vignettes: int
    screenings: int
    level: Agreement
    #: Per vignette: its title and how many practitioners gave each level (in level order).
    levels_by_vignette: tuple[tuple[str, tuple[int, ...]], ...]
    indicators: tuple[IndicatorRow, ...]
    read_differently: tuple[IndicatorRow, ...]
    warnings: tuple[str, ...] = field(default=())

    def level_words(self) -> str:
        """Agreement on the level in a sentence."""
        a = self.level
        if a.alpha is None:
            return ("Agreement on the level cannot be worked out yet: it needs at least two "
                    "practitioners screening the same vignettes, with more than one level "
                    "given among them.")
        interval = ("" if a.interval is None else
                    f" (95% interval {a.interval.low:.2f} to {a.interval.high:.2f})")
        if a.alpha >= 0.8:
            reading = "practitioners mostly reach the same level"
        elif a.alpha >= TENTATIVE_ALPHA:
            reading = "agreement is moderate: enough for tentative conclusions only"
        else:
            reading = "practitioners often reach different levels for the same case"
        return (f"Agreement on the level: Krippendorff's alpha {a.alpha:.2f}{interval}, "
                f"over {a.units} vignette{'s' if a.units != 1 else ''}; {reading}. "
                "1 means full agreement, 0 no more than chance.")

    def indicator_words(self) -> str:
        """The indicators read most differently, named as where guidance should change."""
        if not self.read_differently:
            if any(r.alpha is not None for r in self.indicators):
                return (f"No indicator has an alpha under {TENTATIVE_ALPHA:.2f}: practitioners "
                        "read each indicator much the same way in these vignettes.")
            return "Agreement on the indicators cannot be worked out yet."
        named = "; ".join(f"“{r.text}” (alpha {r.alpha:.2f})" for r in self.read_differently)
        return ("Practitioners read these indicators most differently: " + named + ". These "
                "are the places where the guidance (“What to look for”) or training should "
                "change first.")

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` and the evidence statement."""
        def alpha(a: Agreement) -> dict[str, Any]:
            return {"alpha": a.alpha, "units": a.units,
                    "interval": None if a.interval is None else {
                        "low": a.interval.low, "high": a.interval.high,
                        "confidence": a.interval.confidence,
                        "resamples": a.interval.resamples}}

        e = self.exercise
        return {
            "exercise": {"id": e.id, "title": e.title, "form": e.form_id,
                         "form_version": e.form_version, "model": e.model_id,
                         "model_version": e.model_version, "model_sha256": e.model_sha256,
                         "created_by": e.created_by, "created_at": iso(e.created_at)},
            "practitioners": self.practitioners, "vignettes": self.vignettes,
            "shared_vignettes": self.shared_vignettes, "practice_screenings": self.screenings,
            "levels": list(self.level_names),
            "level_agreement": alpha(self.level),
            "levels_by_vignette": [{"vignette": t, "counts": list(c)}
                                   for t, c in self.levels_by_vignette],
            "indicators": [{"question": r.question_id, "text": r.text, "alpha": r.alpha,
                            "units": r.units} for r in self.indicators],
            "read_most_differently": [r.question_id for r in self.read_differently],
            "warnings": list(self.warnings),
            "summary": [self.level_words(), self.indicator_words()],
        }


def _text(value: str, limit: int, what: str) -> str:
    text = value.strip()
    if not text:
        raise ServiceError(f"Not saved: {what} is empty. Write it and try again.")
    if len(text) > limit:
        raise ServiceError(f"Not saved: {what} is longer than {limit} characters. Shorten it "
                           "and try again.")
    return text


def _dob(value: date | str | None) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise ServiceError("Write the date of birth as YYYY-MM-DD, for example "
                               "2011-04-05.") from None
    return value.isoformat()


def _vignette_info(row: Vignette, submitted: int = 0) -> VignetteInfo:
    return VignetteInfo(row.id, row.exercise_id, row.position, row.title,
                        date.fromisoformat(row.date_of_birth) if row.date_of_birth else None,
                        row.text, submitted)


def indicator_questions(form: FormDefinition, model: ScoringModel) -> list[str]:
    """The questions whose answers an agreement report compares: those the model scores
    that are not context (risk, harm, vulnerability and protective questions), form order."""
    scored = set(model.weights) | {b.question for b in model.bands if b.question}
    return [q.id for q in form.questions() if q.id in scored and q.role != KindRole.CONTEXT]


class AgreementManager:
    """Agreement exercises of one signed-in session (managers set them, practitioners
    screen their vignettes in practice mode)."""

    def __init__(self, ctx: Context, in_force: Callable[[str], ScoringModel]) -> None:
        """``in_force(instrument)`` gives the model new screenings of an instrument use."""
        self._ctx = ctx
        self._in_force = in_force
        self._model_cache: dict[str, ScoringModel] = {}

    # -- managers: exercises, vignettes, assignments -------------------------------------------

    def create_exercise(self, title: str, instrument: str = "cse-screening") -> ExerciseInfo:
        """A new exercise of an instrument in use, screened with its scoring model in force."""
        self._ctx.require(Role.MANAGER)
        title = _text(title, TITLE_LIMIT, "the exercise's title")
        model = self._in_force(instrument)
        with self._ctx.transaction() as s:
            form_version = self._form_version(s, instrument, model)
            from riskscreen.services.models import content_hash

            sha = content_hash(model)
            self._model_cache[sha] = model
            row = AgreementExercise(title=title, form_id=instrument, form_version=form_version,
                                    model_sha256=sha, screening_date=date.today().isoformat(),
                                    created_by=self._ctx.user.id)
            s.add(row)
            s.flush()
            self._ctx.audit(s, "exercise_create", f"exercise:{row.id}",
                            {"model": sha[:12]})
            return self._exercise_info(s, row)

    def _form_version(self, s: OrmSession, instrument: str, model: ScoringModel) -> str:
        from riskscreen.services.context import instrument_form_version

        version = instrument_form_version(s, instrument)
        if version not in model.form.versions:
            raise ServiceError(f"The scoring model in force does not score version {version} "
                               f"of '{instrument}'; a manager must publish one that does.")
        return version

    def add_vignette(self, exercise_id: int, title: str, text: str,
                     date_of_birth: date | str | None = None) -> VignetteInfo:
        """Add a made-up case to an exercise; the date of birth sets which age questions show."""
        self._ctx.require(Role.MANAGER)
        title = _text(title, TITLE_LIMIT, "the vignette's title")
        text = _text(text, TEXT_LIMIT, "the vignette's description")
        dob = _dob(date_of_birth)
        with self._ctx.transaction() as s:
            self._exercise(s, exercise_id)
            position = (s.scalar(select(func.max(Vignette.position))
                                 .where(Vignette.exercise_id == exercise_id)) or 0) + 1
            row = Vignette(exercise_id=exercise_id, position=position, title=title,
                           date_of_birth=dob, text=text, created_by=self._ctx.user.id)
            s.add(row)
            s.flush()
            self._ctx.audit(s, "vignette_add", f"vignette:{row.id}",
                            {"exercise": exercise_id})
            return _vignette_info(row)

    def edit_vignette(self, vignette_id: int, title: str, text: str,
                      date_of_birth: date | str | None = None) -> VignetteInfo:
        """Change a vignette that nobody has started to screen yet."""
        self._ctx.require(Role.MANAGER)
        title = _text(title, TITLE_LIMIT, "the vignette's title")
        text = _text(text, TEXT_LIMIT, "the vignette's description")
        dob = _dob(date_of_birth)
        with self._ctx.transaction() as s:
            row = s.get(Vignette, vignette_id)
            if row is None:
                raise NotFound("There is no such vignette; check the number.")
            started = s.scalar(select(func.count()).select_from(PracticeScreening)
                               .where(PracticeScreening.vignette_id == vignette_id)) or 0
            if started:
                raise NotEditable("Practitioners have started screening this vignette, so it "
                                  "can no longer change; add a new vignette instead.")
            row.title, row.text, row.date_of_birth = title, text, dob
            self._ctx.audit(s, "vignette_edit", f"vignette:{row.id}",
                            {"exercise": row.exercise_id})
            return _vignette_info(row)

    def assign(self, exercise_id: int, names: Iterable[str]) -> ExerciseInfo:
        """Ask practitioners (by account name) to screen the exercise's vignettes."""
        self._ctx.require(Role.MANAGER)
        wanted = sorted({n.strip() for n in names if n.strip()})
        if not wanted:
            raise ServiceError("Name at least one practitioner to assign.")
        with self._ctx.transaction() as s:
            exercise = self._exercise(s, exercise_id)
            users = {u.name: u for u in s.scalars(select(User).where(User.name.in_(wanted)))}
            missing = [n for n in wanted if n not in users]
            if missing:
                raise NotFound(f"There is no account called {', '.join(missing)}; check the "
                               "name.")
            others = [n for n in wanted if users[n].role != Role.PRACTITIONER
                      or users[n].disabled]
            if others:
                raise ServiceError(f"Only active practitioners' accounts can be assigned; "
                                   f"{', '.join(others)} is not one.")
            have = set(s.scalars(select(ExerciseAssignment.practitioner_id).where(
                ExerciseAssignment.exercise_id == exercise_id)))
            added = [users[n] for n in wanted if users[n].id not in have]
            for user in added:
                s.add(ExerciseAssignment(exercise_id=exercise_id, practitioner_id=user.id,
                                         assigned_by=self._ctx.user.id))
            s.flush()
            if added:
                self._ctx.audit(s, "exercise_assign", f"exercise:{exercise_id}",
                                {"accounts": len(added)})
            return self._exercise_info(s, exercise)

    def practitioners(self) -> list[str]:
        """Names of the active practitioners' accounts, for assigning (managers)."""
        self._ctx.require(Role.MANAGER)
        with self._ctx.transaction() as s:
            return list(s.scalars(select(User.name).where(
                User.role == Role.PRACTITIONER, User.disabled.is_(False)).order_by(User.name)))

    def exercises(self) -> list[ExerciseInfo]:
        """Every exercise (managers), or those a practitioner is assigned, newest first."""
        self._ctx.require(Role.MANAGER, Role.PRACTITIONER)
        with self._ctx.transaction() as s:
            q = select(AgreementExercise).order_by(AgreementExercise.id.desc())
            if self._ctx.user.role == Role.PRACTITIONER:
                q = q.join(ExerciseAssignment,
                           ExerciseAssignment.exercise_id == AgreementExercise.id).where(
                    ExerciseAssignment.practitioner_id == self._ctx.user.id)
            return [self._exercise_info(s, row) for row in s.scalars(q)]

    def exercise(self, exercise_id: int) -> tuple[ExerciseInfo, list[VignetteInfo]]:
        """An exercise and its vignettes (managers, or a practitioner assigned to it)."""
        self._ctx.require(Role.MANAGER, Role.PRACTITIONER)
        with self._ctx.transaction() as s:
            row = self._exercise(s, exercise_id)
            self._check_assigned(s, exercise_id)
            return self._exercise_info(s, row), self._vignettes(s, exercise_id)

    # -- practitioners: practice screenings ----------------------------------------------------

    def assigned(self) -> list[PracticeItem]:
        """The vignettes this practitioner is asked to screen, with their progress."""
        self._ctx.require(Role.PRACTITIONER)
        with self._ctx.transaction() as s:
            rows = s.execute(
                select(AgreementExercise, Vignette)
                .join(ExerciseAssignment,
                      ExerciseAssignment.exercise_id == AgreementExercise.id)
                .join(Vignette, Vignette.exercise_id == AgreementExercise.id)
                .where(ExerciseAssignment.practitioner_id == self._ctx.user.id)
                .order_by(AgreementExercise.id.desc(), Vignette.position)).all()
            mine = {p.vignette_id: p for p in s.scalars(select(PracticeScreening).where(
                PracticeScreening.practitioner_id == self._ctx.user.id))}
            out = []
            for exercise, vignette in rows:
                p = mine.get(vignette.id)
                out.append(PracticeItem(exercise.id, exercise.title, _vignette_info(vignette),
                                        None if p is None else p.id,
                                        None if p is None else PracticeStatus(p.status),
                                        None if p is None else self._level_name(
                                            s, exercise.model_sha256, p.level)))
            return out

    def open_practice(self, vignette_id: int) -> PracticeDetail:
        """This practitioner's practice screening of a vignette, started if need be."""
        self._ctx.require(Role.PRACTITIONER)
        with self._ctx.transaction() as s:
            vignette = s.get(Vignette, vignette_id)
            if vignette is None:
                raise NotFound("There is no such vignette; check the number.")
            exercise = self._exercise(s, vignette.exercise_id)
            self._check_assigned(s, exercise.id)
            row = s.scalar(select(PracticeScreening).where(
                PracticeScreening.vignette_id == vignette_id,
                PracticeScreening.practitioner_id == self._ctx.user.id))
            if row is None:
                prefill: dict[str, Any] = {"child_name": vignette.title}
                if vignette.date_of_birth:
                    prefill["date_of_birth"] = vignette.date_of_birth
                questions = self._form(s, exercise).question_index()
                prefill = {k: v for k, v in prefill.items() if k in questions}
                row = PracticeScreening(vignette_id=vignette_id,
                                        practitioner_id=self._ctx.user.id,
                                        answers=canonical_json({"answers": prefill,
                                                                "evidence": {}}),
                                        status=PracticeStatus.DRAFT)
                s.add(row)
                s.flush()
                self._ctx.audit(s, "practice_start", f"practice:{row.id}",
                                {"vignette": vignette_id})
            return self._detail(s, row, vignette, exercise)

    def save_practice(self, practice_id: int, answers: Mapping[str, Any],
                      evidence: Mapping[str, Any] | None = None) -> None:
        """Replace a practice draft's answers with those on screen (autosave)."""
        self._ctx.require(Role.PRACTITIONER)
        with self._ctx.transaction() as s:
            row, _vignette, exercise = self._own_draft(s, practice_id)
            form = self._form(s, exercise)
            answer_set = self._answer_set(exercise, answers, evidence or {})
            problems = check_answers(form, answer_set, complete=False)
            if problems:
                raise ServiceError(f"Not saved: the answer to '{problems[0].question}' is not "
                                   "valid for this question; check its type and length.")
            row.answers = canonical_json({"answers": dict(answer_set.answers), "evidence": {
                k: v.model_dump(mode="json") for k, v in answer_set.evidence.items()}})
            row.updated_at = utc_now()
            self._ctx.audit(s, "practice_edit", f"practice:{practice_id}")

    def preview_practice(self, practice_id: int, answers: Mapping[str, Any],
                         evidence: Mapping[str, Any] | None = None) -> Assessment:
        """Score answers on screen with the exercise's model, storing nothing (live score)."""
        self._ctx.require(Role.PRACTITIONER)
        with self._ctx.transaction() as s:
            exercise = self._own(s, practice_id)[2]
            form = self._form(s, exercise)
            return score(form, self._model(s, exercise.model_sha256),
                         self._answer_set(exercise, answers, evidence or {}))

    def submit_practice(self, practice_id: int) -> Assessment:
        """Score the saved answers and submit them; a submitted practice screening is kept
        as it is, so the report does not move under the manager's feet."""
        self._ctx.require(Role.PRACTITIONER)
        with self._ctx.transaction() as s:
            row, _vignette, exercise = self._own_draft(s, practice_id)
            form = self._form(s, exercise)
            stored = json.loads(row.answers)
            answer_set = self._answer_set(exercise, stored.get("answers", {}),
                                          stored.get("evidence", {}))
            # The same answers are needed as to finalise a real screening: practice is the
            # tool as it is used.
            problems = check_answers(form, answer_set, complete=True)
            if problems:
                raise IncompleteScreening([(p.question, p.message) for p in problems])
            assessment = score(form, self._model(s, exercise.model_sha256), answer_set)
            row.status = PracticeStatus.SUBMITTED
            row.level, row.points = assessment.level, assessment.score
            row.submitted_at = row.updated_at = utc_now()
            self._ctx.audit(s, "practice_submit", f"practice:{practice_id}",
                            {"level": assessment.level, "score": assessment.score})
            return assessment

    # -- the report ----------------------------------------------------------------------------

    def report(self, exercise_id: int, *, resamples: int = 1000) -> AgreementReport:
        """Agreement on the level and on each indicator over submitted practice screenings."""
        self._ctx.require(Role.MANAGER)
        with self._ctx.transaction() as s:
            exercise = self._exercise(s, exercise_id)
            result = self._report(s, exercise, resamples)
            self._ctx.audit(s, "agreement_report", f"exercise:{exercise_id}",
                            {"screenings": result.screenings})
            return result

    def for_model(self, model_sha256: str, *, resamples: int = 1000) -> list[AgreementReport]:
        """The agreement reports of every exercise screened with one published model version
        (given by its SHA-256), oldest first: the figures an evidence statement quotes."""
        self._ctx.require(Role.MANAGER)
        with self._ctx.transaction() as s:
            rows = list(s.scalars(select(AgreementExercise).where(
                AgreementExercise.model_sha256 == model_sha256).order_by(AgreementExercise.id)))
            reports = [self._report(s, row, resamples) for row in rows]
            if reports:
                self._ctx.audit(s, "agreement_report", f"model:{model_sha256[:12]}",
                                {"exercises": len(reports)})
            return reports

    def _report(self, s: OrmSession, exercise: AgreementExercise,
                resamples: int) -> AgreementReport:
        form = self._form(s, exercise)
        model = self._model(s, exercise.model_sha256)
        level_ids = [lv.id for lv in model.levels]
        vignettes = self._vignettes(s, exercise.id)
        done = list(s.execute(
            select(PracticeScreening, User.name)
            .join(Vignette, Vignette.id == PracticeScreening.vignette_id)
            .join(User, User.id == PracticeScreening.practitioner_id)
            .where(Vignette.exercise_id == exercise.id,
                   PracticeScreening.status == PracticeStatus.SUBMITTED)))
        raters = sorted({name for _, name in done})
        column = {v.id: i for i, v in enumerate(vignettes)}
        row_of = {name: i for i, name in enumerate(raters)}
        levels: list[list[int | None]] = [[None] * len(vignettes) for _ in raters]
        questions = indicator_questions(form, model)
        answers: dict[str, list[list[Any]]] = {
            q: [[None] * len(vignettes) for _ in raters] for q in questions}
        for practice, name in done:
            r, u = row_of[name], column[practice.vignette_id]
            if practice.level in level_ids:
                levels[r][u] = level_ids.index(practice.level)
            given = json.loads(practice.answers).get("answers", {})
            for q in questions:
                value = given.get(q)
                answers[q][r][u] = None if value is None else canonical_json(value)
        counts = [sum(1 for r in levels if r[u] is not None) for u in range(len(vignettes))]
        shared = [u for u, c in enumerate(counts) if c >= 2]
        level = level_agreement([[row[u] for u in shared] for row in levels], len(level_ids),
                                seed=REPORT_SEED, resamples=resamples)
        texts = {q.id: q.text for q in form.questions()}
        per_indicator = indicator_agreement(
            {q: [[row[u] for u in shared] for row in rows] for q, rows in answers.items()})
        rows = tuple(IndicatorRow(r.indicator, texts.get(r.indicator, r.indicator), r.alpha,
                                  r.units) for r in per_indicator)
        weak = set(read_most_differently(per_indicator))
        warning = few_ratings_warning(len(shared), len(raters))
        by_vignette = tuple(
            (v.title, tuple(sum(1 for row in levels if row[u] == i)
                            for i in range(len(level_ids))))
            for u, v in enumerate(vignettes))
        return AgreementReport(
            exercise=self._exercise_info(s, exercise),
            level_names=tuple(lv.name for lv in model.levels), practitioners=len(raters),
            vignettes=len(vignettes), shared_vignettes=len(shared), screenings=len(done),
            level=level, levels_by_vignette=by_vignette, indicators=rows,
            read_differently=tuple(r for r in rows if r.question_id in weak),
            warnings=() if warning is None else (warning,))

    # -- internals -----------------------------------------------------------------------------

    def _exercise(self, s: OrmSession, exercise_id: int) -> AgreementExercise:
        row = s.get(AgreementExercise, exercise_id)
        if row is None:
            raise NotFound(f"There is no agreement exercise {exercise_id}; check the number "
                           "('riskscreen agreement --list' lists them).")
        return row

    def _check_assigned(self, s: OrmSession, exercise_id: int) -> None:
        if self._ctx.user.role != Role.PRACTITIONER:
            return
        if s.get(ExerciseAssignment, (exercise_id, self._ctx.user.id)) is None:
            raise PermissionDenied("This exercise is not assigned to you; ask the manager who "
                                   "set it.")

    def _own(self, s: OrmSession, practice_id: int
             ) -> tuple[PracticeScreening, Vignette, AgreementExercise]:
        row = s.get(PracticeScreening, practice_id)
        if row is None or row.practitioner_id != self._ctx.user.id:
            raise NotFound("There is no such practice screening, or it is not yours.")
        vignette = s.get(Vignette, row.vignette_id)
        assert vignette is not None  # a foreign key
        return row, vignette, self._exercise(s, vignette.exercise_id)

    def _own_draft(self, s: OrmSession, practice_id: int
                   ) -> tuple[PracticeScreening, Vignette, AgreementExercise]:
        found = self._own(s, practice_id)
        if found[0].status != PracticeStatus.DRAFT:
            raise NotEditable("This practice screening has been submitted and cannot be "
                              "changed.")
        return found

    def _form(self, s: OrmSession, exercise: AgreementExercise) -> FormDefinition:
        from riskscreen.services.context import stored_form

        form = self._ctx.cached_form(exercise.form_id, exercise.form_version)
        return form if form is not None else stored_form(s, exercise.form_id,
                                                         exercise.form_version)

    def _model(self, s: OrmSession, sha256: str) -> ScoringModel:
        model = self._model_cache.get(sha256)
        if model is None:
            from riskscreen.services.models import parse_stored_model

            row = s.get(ScoringModelRow, sha256)
            if row is None:
                raise NotFound("The scoring model of this exercise is not in the database.")
            model = self._model_cache[sha256] = parse_stored_model(row.canonical_json, sha256)
        return model

    def _level_name(self, s: OrmSession, sha256: str, level: str | None) -> str | None:
        if level is None:
            return None
        names = {lv.id: lv.name for lv in self._model(s, sha256).levels}
        return names.get(level, level)

    @staticmethod
    def _answer_set(exercise: AgreementExercise, answers: Mapping[str, Any],
                    evidence: Mapping[str, Any]) -> AnswerSet:
        try:
            return AnswerSet.model_validate({
                "form": exercise.form_id, "form_version": exercise.form_version,
                "screening_date": exercise.screening_date,
                "answers": {k: v for k, v in answers.items() if v is not None},
                "evidence": {k: v for k, v in evidence.items() if v is not None}})
        except ValidationError:
            raise ServiceError("Not saved: the answers are not in the form RiskScreen "
                               "expects; reopen the practice screening.") from None

    def _vignettes(self, s: OrmSession, exercise_id: int) -> list[VignetteInfo]:
        submitted: dict[int, int] = {int(v): int(n) for v, n in s.execute(
            select(PracticeScreening.vignette_id, func.count())
            .join(Vignette, Vignette.id == PracticeScreening.vignette_id)
            .where(Vignette.exercise_id == exercise_id,
                   PracticeScreening.status == PracticeStatus.SUBMITTED)
            .group_by(PracticeScreening.vignette_id))}
        return [_vignette_info(v, submitted.get(v.id, 0)) for v in s.scalars(
            select(Vignette).where(Vignette.exercise_id == exercise_id)
            .order_by(Vignette.position))]

    def _exercise_info(self, s: OrmSession, row: AgreementExercise) -> ExerciseInfo:
        model = self._model(s, row.model_sha256)
        by = s.get(User, row.created_by)
        names = tuple(s.scalars(select(User.name).join(
            ExerciseAssignment, ExerciseAssignment.practitioner_id == User.id).where(
            ExerciseAssignment.exercise_id == row.id).order_by(User.name)))
        vignettes = s.scalar(select(func.count()).select_from(Vignette)
                             .where(Vignette.exercise_id == row.id)) or 0
        submitted = s.scalar(select(func.count()).select_from(PracticeScreening).join(
            Vignette, Vignette.id == PracticeScreening.vignette_id).where(
            Vignette.exercise_id == row.id,
            PracticeScreening.status == PracticeStatus.SUBMITTED)) or 0
        return ExerciseInfo(row.id, row.title, row.form_id, row.form_version, model.id,
                            model.version, row.model_sha256,
                            date.fromisoformat(row.screening_date),
                            by.name if by else "?", moment(row.created_at), vignettes, names,
                            submitted)

    def _detail(self, s: OrmSession, row: PracticeScreening, vignette: Vignette,
                exercise: AgreementExercise) -> PracticeDetail:
        stored = json.loads(row.answers)
        assessment = None
        if row.status == PracticeStatus.SUBMITTED:
            form = self._form(s, exercise)
            assessment = score(form, self._model(s, exercise.model_sha256), self._answer_set(
                exercise, stored.get("answers", {}), stored.get("evidence", {})))
        return PracticeDetail(row.id, exercise.id, exercise.title, _vignette_info(vignette),
                              exercise.form_id, exercise.form_version, exercise.model_sha256,
                              date.fromisoformat(exercise.screening_date),
                              dict(stored.get("answers", {})),
                              dict(stored.get("evidence", {})),
                              row.status == PracticeStatus.SUBMITTED, assessment)

