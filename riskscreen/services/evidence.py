"""How a scoring model's levels line up with recorded outcomes (``session.evidence``).

The calibration report takes each child's *first* finalised screening of an instrument and
the answer their referrals give to "exploitation confirmed?", scores that screening with the
model asked about (a published version, or a draft not yet published), and reports the
figures of :mod:`riskscreen.scoring.calibration`: levels for confirmed and not-confirmed
children, sensitivity and specificity at each threshold, the AUC of the points with a
bootstrap interval, and how common each indicator is in each group. Counts under 5 are
withheld, and the words beside the figures say what "confirmed" means and where the figures
stop (:data:`MEANING`).

The outcomes are read once into an :class:`OutcomeCohort`; scoring it with a model is pure,
so the model editor can re-score it for every draft off the GUI thread.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select

from riskscreen.dates import show_date, show_moment
from riskscreen.definitions import version_key
from riskscreen.forms.columns import Columns
from riskscreen.forms.kinds import INDICATOR_TYPES, NOT_KNOWN, KindRole
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring import calibration as cal
from riskscreen.scoring.calibration import Count, Interval, LevelDistribution, ThresholdRow
from riskscreen.scoring.engine import compile_model
from riskscreen.scoring.model import ScoringModel
from riskscreen.services.context import Context
from riskscreen.services.errors import NotFound, ServiceError
from riskscreen.services.types import Confirmation, ModelInfo, Role, Status
from riskscreen.store.models import Screening
from riskscreen.summary.evidence import EvidenceDocument, EvidenceSection, EvidenceTable

if TYPE_CHECKING:
    from riskscreen.services.agreement import AgreementManager
    from riskscreen.services.finalised import FinalisedManager
    from riskscreen.services.instruments import InstrumentManager
    from riskscreen.services.models import LiveImpact, ModelManager
    from riskscreen.services.referrals import ReferralManager
    from riskscreen.services.settings import SettingsManager

__all__ = [
    "AUC_RESAMPLES",
    "AUC_SEED",
    "MEANING",
    "CalibrationChange",
    "CalibrationReport",
    "EvidenceManager",
    "IndicatorShare",
    "Outcome",
    "OutcomeCohort",
    "real_screenings_only",
]

#: The bootstrap is seeded, so the same outcomes always give the same interval.
AUC_SEED = 17
AUC_RESAMPLES = 2000

#: What "confirmed" means here and where the figures stop, said beside every report.
MEANING = (
    "\u201cConfirmed\u201d means that the current answer to \u201cexploitation confirmed?\u201d "
    "on one of the child\u2019s referrals is \u201cexploitation confirmed\u201d, recorded "
    "with its source (a strategy discussion, the CSE team\u2019s assessment, the police or "
    "a National Referral Mechanism decision). \u201cNot confirmed\u201d means the answers "
    "recorded say it was not confirmed. Children whose answer is still \u201cnot known "
    "yet\u201d, or who have no answer, are not counted.",
    "Only children who were referred, and whose referral was followed up, have an outcome. "
    "Children screened at a lower level are referred and followed up less often, so they are "
    "missing from these figures more often: the figures carry verification bias, and "
    "sensitivity in particular may look better than it is.",
    "\u201cNot confirmed\u201d is not the same as \u201cnot exploited\u201d: exploitation is "
    "often recognised late, and some is never disclosed.",
    "Each child counts once, with the level this model gives their first finalised "
    "screening, before any professional judgement changed it. The figures describe how this "
    "model\u2019s levels line up with the outcomes recorded so far; they do not validate the "
    "model, and they say nothing about any practitioner\u2019s work.",
)

#: Answers that say an indicator was not seen (or is not known): everything else is present.
_ABSENT = frozenset({"no", "none", NOT_KNOWN})


def _held_columns(held: LiveImpact | None, form: FormDefinition, wanted: Sequence[int]
                  ) -> tuple[NDArray[np.int64], Columns | None]:
    """The ids and columns ``held`` keeps for ``form``'s version, if it keeps every screening
    ``wanted``; else no columns (they are read from the database)."""
    empty = np.zeros(0, dtype=np.int64)
    if held is None or (held.form.id, held.form.version) != (form.id, form.version) \
            or len(held.ids) != held.columns.size:
        return empty, None
    if not np.isin(np.asarray(wanted, dtype=np.int64), held.ids).all():
        return empty, None  # some were finalised since the editor read its screenings
    return held.ids, held.columns


def real_screenings_only(query: Any) -> Any:
    """``query`` on :class:`Screening` limited to real screenings.

    The one place that keeps practice screenings (agreement exercises) out of calibration.
    They are kept in a table of their own (``practice_screenings``), never in
    ``screenings``, so there is nothing to filter here today; a practice flag on screenings
    would be tested here.
    """
    return query


class Outcome(enum.Enum):
    """A child's outcome as the calibration counts it."""

    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not_confirmed"


def child_outcome(answers: Sequence[Confirmation]) -> Outcome | None:
    """One child's outcome from the current answers of their referrals: confirmed if any
    says so, not confirmed if one says that and none says confirmed, else None (not known)."""
    if Confirmation.CONFIRMED in answers:
        return Outcome.CONFIRMED
    if Confirmation.NOT_CONFIRMED in answers:
        return Outcome.NOT_CONFIRMED
    return None


@dataclass(frozen=True)
class _Part:
    """The first screenings of one form version that have an outcome, as columns."""

    form: FormDefinition
    columns: Columns
    confirmed: NDArray[np.bool_]


@dataclass(frozen=True)
class OutcomeCohort:
    """Each child's first finalised screening of one instrument with the child's outcome.

    ``parts`` hold the screenings by form version; ``not_known`` counts children whose first
    screening has no known outcome yet. Pure once read: :meth:`report` is safe off the GUI
    thread.
    """

    form_id: str
    parts: tuple[_Part, ...]
    not_known: int
    #: Children with an outcome whose first screening's form version is not installed.
    unreadable: int = 0

    @property
    def size(self) -> int:
        """How many children have an outcome."""
        return sum(p.columns.size for p in self.parts) + self.unreadable

    def report(self, model: ScoringModel, *, draft: bool = False, seed: int = AUC_SEED,
               resamples: int = AUC_RESAMPLES) -> CalibrationReport:
        """Score every child's first screening with ``model`` and report the figures."""
        if model.form.id != self.form_id:
            raise ServiceError(f"The model '{model.id}' is for the form '{model.form.id}', not "
                               f"'{self.form_id}'; choose a model of this instrument.")
        levels: list[NDArray[np.int64]] = []
        points: list[NDArray[np.int64]] = []
        confirmed: list[NDArray[np.bool_]] = []
        present: dict[str, list[NDArray[np.bool_]]] = defaultdict(list)
        labels: dict[str, tuple[str, bool]] = {}
        left_out: dict[str, int] = defaultdict(int)
        if self.unreadable:
            left_out["their first screening's form version is not installed"] += self.unreadable
        questions = self._indicators()
        for part in self.parts:
            if part.form.version not in model.form.versions:
                left_out[f"their first screening is on form version {part.form.version}, "
                         "which this model does not score"] += part.columns.size
                continue
            batch = compile_model(part.form, model).batch(part.columns)
            keep = np.ones(part.columns.size, dtype=np.bool_)
            if batch.unscorable:
                keep[list(batch.unscorable)] = False
                left_out["their first screening's answers do not fit its form"] += int(
                    (~keep).sum())
            levels.append(batch.ranks[keep])
            points.append(batch.points[keep])
            confirmed.append(part.confirmed[keep])
            index = part.form.question_index()
            for qid in questions:
                q = index.get(qid)
                if q is None:
                    present[qid].append(np.zeros(int(keep.sum()), dtype=np.bool_))
                    continue
                labels[qid] = (" ".join(q.text.split()), q.role is KindRole.PROTECTIVE)
                allowed = q.allowed_values() or ()
                codes = [i + 1 for i, v in enumerate(allowed) if v not in _ABSENT]
                present[qid].append(np.isin(part.columns.column(qid), codes)[keep])
        lv = np.concatenate(levels) if levels else np.zeros(0, dtype=np.int64)
        pt = np.concatenate(points) if points else np.zeros(0, dtype=np.int64)
        ok = np.concatenate(confirmed) if confirmed else np.zeros(0, dtype=np.bool_)
        marks = {q: np.concatenate(v) for q, v in present.items() if q in labels}
        return build_report(model, draft, lv, pt, ok, marks, labels, dict(left_out),
                            self.not_known, seed=seed, resamples=resamples)

    def _indicators(self) -> list[str]:
        """Indicator questions of every form version held, in the newest version's order."""
        seen: dict[str, None] = {}
        for part in sorted(self.parts, key=lambda p: version_key(p.form.version), reverse=True):
            for q in part.form.questions():
                if q.type in INDICATOR_TYPES and q.role is not KindRole.CONTEXT:
                    seen.setdefault(q.id)
        return list(seen)


@dataclass(frozen=True)
class IndicatorShare:
    """How often one indicator was present among confirmed and not-confirmed children.

    Counts under 5 are withheld, and so is a share that would reveal one.
    """

    question: str
    label: str
    protective: bool
    confirmed: Count
    not_confirmed: Count
    confirmed_share: float | None
    not_confirmed_share: float | None


@dataclass(frozen=True)
class CalibrationReport:
    """The figures of one model over the children with outcomes (see the module's words).

    ``level_counts`` holds the exact counts by level (confirmed, not confirmed) for
    comparing two models; every other count is already withheld under 5. A rate is None where
    it would reveal a count under 5; the AUC is None when either group has fewer than 5.
    """

    model_id: str
    model_version: str
    model_sha256: str
    draft: bool
    form_id: str
    levels: tuple[str, ...]
    level_names: dict[str, str]
    outcomes: int
    distribution: LevelDistribution
    thresholds: tuple[ThresholdRow, ...]
    auc: float | None
    auc_interval: Interval | None
    indicators: tuple[IndicatorShare, ...]
    left_out: dict[str, int]
    not_known: int
    warning: str | None
    level_counts: tuple[tuple[int, ...], tuple[int, ...]] = field(repr=False)
    meaning: tuple[str, ...] = MEANING
    seed: int = AUC_SEED
    resamples: int = AUC_RESAMPLES

    @property
    def confirmed(self) -> int:
        """Children with exploitation confirmed (exact)."""
        return sum(self.level_counts[0])

    @property
    def not_confirmed(self) -> int:
        """Children with exploitation not confirmed (exact)."""
        return sum(self.level_counts[1])

    def rates_shown(self, row: ThresholdRow) -> tuple[float | None, float | None]:
        """(sensitivity, specificity) of a threshold row, each None where it would reveal a
        count under 5 (a group under 5, or a count in it under 5)."""
        def shown(a: int, b: int, rate: float | None) -> float | None:
            small = any(isinstance(cal.suppress(n), cal.Suppressed) for n in (a, b, a + b))
            return None if small or a + b == 0 else rate

        return (shown(row.true_positive, row.false_negative, row.sensitivity),
                shown(row.true_negative, row.false_positive, row.specificity))

    def threshold_name(self, row: ThresholdRow) -> str:
        """The threshold in words: "Medium or above"."""
        return f"{self.level_names[self.levels[row.threshold]]} or above"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures, counts under 5 as "fewer than 5" (``riskscreen calibration
        --json``)."""
        def count(c: Count) -> int | str:
            return c if isinstance(c, int) else str(c)

        d = self.distribution
        return {
            "model": {"id": self.model_id, "version": self.model_version,
                      "sha256": self.model_sha256, "draft": self.draft},
            "form": self.form_id,
            "outcomes": self.outcomes,
            "confirmed": count(d.confirmed_total),
            "not_confirmed": count(d.not_confirmed_total),
            "not_known": self.not_known,
            "left_out": self.left_out,
            "warning": self.warning,
            "first_levels": [
                {"level": lv, "name": self.level_names[lv], "confirmed": count(yes),
                 "not_confirmed": count(no)}
                for lv, yes, no in zip(self.levels, d.confirmed, d.not_confirmed,
                                       strict=True)],
            "thresholds": [
                {"threshold": self.levels[r.threshold], "words": self.threshold_name(r),
                 "true_positive": count(cal.suppress(r.true_positive)),
                 "false_negative": count(cal.suppress(r.false_negative)),
                 "true_negative": count(cal.suppress(r.true_negative)),
                 "false_positive": count(cal.suppress(r.false_positive)),
                 "sensitivity": self.rates_shown(r)[0],
                 "specificity": self.rates_shown(r)[1]}
                for r in self.thresholds],
            "auc": None if self.auc is None else {
                "value": self.auc,
                "interval": None if self.auc_interval is None else {
                    "low": self.auc_interval.low, "high": self.auc_interval.high,
                    "confidence": self.auc_interval.confidence,
                    "resamples": self.auc_interval.resamples, "seed": self.seed}},
            "indicators": [
                {"question": i.question, "label": i.label, "protective": i.protective,
                 "confirmed": count(i.confirmed), "not_confirmed": count(i.not_confirmed),
                 "confirmed_share": i.confirmed_share,
                 "not_confirmed_share": i.not_confirmed_share}
                for i in self.indicators],
            "meaning": list(self.meaning),
        }


def build_report(model: ScoringModel, draft: bool, levels: NDArray[np.int64],
                 points: NDArray[np.int64], confirmed: NDArray[np.bool_],
                 present: Mapping[str, NDArray[np.bool_]],
                 labels: Mapping[str, tuple[str, bool]], left_out: dict[str, int],
                 not_known: int, *, seed: int = AUC_SEED,
                 resamples: int = AUC_RESAMPLES) -> CalibrationReport:
    """The report's figures from one level, points and outcome per child (pure)."""
    level_ids = tuple(lv.id for lv in model.levels)
    n_levels = len(level_ids)
    lv, pt, ok = levels.tolist(), points.tolist(), confirmed.tolist()
    yes, no = int(confirmed.sum()), int((~confirmed).sum())
    enough = yes >= cal.SUPPRESSION_LIMIT and no >= cal.SUPPRESSION_LIMIT
    auc = interval = None
    if enough:
        auc = cal.roc_auc(pt, ok)
        interval = cal.auc_interval(pt, ok, seed=seed, resamples=resamples)
    shares = []
    for qid, marks in present.items():
        in_yes = int((marks & confirmed).sum())
        in_no = int((marks & ~confirmed).sum())
        shares.append(IndicatorShare(
            qid, labels[qid][0], labels[qid][1], cal.suppress(in_yes), cal.suppress(in_no),
            _share(in_yes, yes), _share(in_no, no)))
    by_level = (tuple(np.bincount(levels[confirmed], minlength=n_levels).tolist()),
                tuple(np.bincount(levels[~confirmed], minlength=n_levels).tolist()))
    return CalibrationReport(
        model_id=model.id, model_version=model.version, model_sha256=model.sha256,
        draft=draft, form_id=model.form.id, levels=level_ids,
        level_names={x.id: x.name for x in model.levels}, outcomes=len(lv),
        distribution=cal.level_distribution(lv, ok, n_levels),
        thresholds=tuple(cal.threshold_table(lv, ok, n_levels)), auc=auc,
        auc_interval=interval, indicators=tuple(shares), left_out=left_out,
        not_known=not_known, warning=cal.few_outcomes_warning(len(lv)),
        level_counts=by_level, seed=seed, resamples=resamples)


def _share(count: int, group: int) -> float | None:
    """``count / group``, or None where the share would reveal a count under 5 (the count,
    those without, or the group)."""
    if group == 0 or any(isinstance(cal.suppress(n), cal.Suppressed)
                         for n in (count, group - count, group)):
        return None
    return count / group


def _chunks(items: list[int], size: int = 500) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class EvidenceManager:
    """Calibration against outcomes, for managers (``session.evidence``).

    Built on the shared :class:`Context`; published models, stored forms, answer columns,
    confirmations, agreement figures and settings come from the managers of those areas.
    """

    def __init__(self, ctx: Context, *, models: ModelManager, instruments: InstrumentManager,
                 referrals: ReferralManager, finalised: FinalisedManager,
                 agreement: AgreementManager, settings: SettingsManager) -> None:
        self._ctx = ctx
        self._models = models
        self._instruments = instruments
        self._referrals = referrals
        self._finalised = finalised
        self._agreement = agreement
        self._settings = settings

    # -- models ----------------------------------------------------------------------------

    def published(self, ref: str) -> tuple[ModelInfo, ScoringModel]:
        """A published model by ``ID@VERSION``, by the start of its hash (6 or more hex
        digits), or by ``ID`` alone (the version published last); :class:`NotFound` else."""
        self._ctx.require(Role.MANAGER)
        ref = ref.strip()
        models = self._models.all()  # newest first
        model_id, _, version = ref.partition("@")
        if version:
            found = [m for m in models if m.model_id == model_id and m.version == version]
        else:
            found = [m for m in models if m.model_id == ref][:1]
            if not found and len(ref) >= 6 and all(c in "0123456789abcdef" for c in ref):
                found = [m for m in models if m.sha256.startswith(ref)]
        if len(found) > 1:
            raise NotFound(f"'{ref}' is the start of more than one model's hash; give more "
                           "of it, or ID@VERSION.")
        if not found:
            known = ", ".join(f"{m.model_id}@{m.version}" for m in models[:6]) or "none"
            raise NotFound(f"There is no published scoring model '{ref}'; give ID@VERSION "
                           f"(published: {known}), a hash, or a model file.")
        return found[0], self._models.get(found[0].sha256)

    def draft(self, text: str, name: str) -> ScoringModel:
        """A draft model from YAML text, checked against its installed form exactly as
        ``riskscreen validate`` checks it; :class:`ServiceError` naming the first problem."""
        from riskscreen.definitions import DefinitionError
        from riskscreen.scoring.loader import parse_model

        self._ctx.require(Role.MANAGER)
        try:
            unchecked = parse_model(text, name, None)
            form = self._instruments.form(unchecked.form.id)
            return parse_model(text, name, form)
        except DefinitionError as error:
            first = error.problems[0].format() if error.problems else f"{name}: not valid"
            more = len(error.problems) - 1
            raise ServiceError(f"{first}" + (f" (and {more} more problem"
                                             f"{'s' if more != 1 else ''}; run 'riskscreen "
                                             f"validate {name}')" if more > 0 else "")) from None

    # -- outcomes --------------------------------------------------------------------------

    def cohort(self, form_id: str, *, held: LiveImpact | None = None) -> OutcomeCohort:
        """Each child's first finalised screening of ``form_id`` with the child's outcome,
        read once (managers).

        The screenings and the outcomes are read in one snapshot (:meth:`Context.snapshot`):
        over 100,000 screenings that takes a while, and it holds neither the session's lock
        nor anyone's write. ``held`` is the model editor's live impact: the answer columns of
        its form version are taken from it instead of read a second time, when it holds
        every screening needed (a finalised screening's answers never change)."""
        self._ctx.require(Role.MANAGER)
        answers: dict[int, list[Confirmation]] = defaultdict(list)
        firsts: dict[int, tuple[int, str]] = {}
        screening_child: dict[int, int] = {}
        with self._ctx.snapshot() as s:
            # The few replaced screenings, read on their own through the partial index of
            # amendments: asked for inside the query below, SQLite looks at every finalised
            # screening to find them.
            replaced = {int(sid) for sid, status in s.execute(
                select(Screening.amendment_of, Screening.status)
                .where(Screening.amendment_of.is_not(None)))
                if sid is not None and status == Status.FINAL}
            # Read from ix_screenings_first alone, already in this order but for the id.
            query = real_screenings_only(
                select(Screening.id, Screening.child_id, Screening.form_version)
                .where(Screening.form_id == form_id, Screening.status == Status.FINAL)
                .order_by(Screening.child_id, Screening.screening_date, Screening.id))
            for sid, child, version in s.execute(query):
                if int(sid) not in replaced:
                    firsts.setdefault(int(child), (int(sid), str(version)))
            confirmations = self._referrals.confirmed_answers(s)
            for chunk in _chunks(sorted(confirmations)):
                for sid, child in s.execute(select(Screening.id, Screening.child_id)
                                            .where(Screening.id.in_(chunk))):
                    screening_child[int(sid)] = int(child)
        for sid, answer in confirmations.items():
            child = screening_child.get(sid)
            if child is not None:
                answers[child].append(answer)
        by_version: dict[str, list[tuple[int, bool]]] = defaultdict(list)
        not_known = 0
        for child, (sid, version) in firsts.items():
            outcome = child_outcome(answers.get(child, []))
            if outcome is None:
                if child in answers:
                    not_known += 1
                continue
            by_version[version].append((sid, outcome is Outcome.CONFIRMED))
        parts, unreadable = [], 0
        for version, rows in sorted(by_version.items(), key=lambda kv: version_key(kv[0])):
            try:
                form = self._ctx.form(form_id, version)
            except NotFound:
                unreadable += len(rows)
                continue
            ids, columns = _held_columns(held, form, [sid for sid, _ in rows])
            if columns is None:
                stored = self._finalised.columns(form)
                ids, columns = stored.ids, stored.columns
            where = {int(i): r for r, i in enumerate(ids.tolist())}
            kept = [(where[sid], ok) for sid, ok in rows if sid in where]
            unreadable += len(rows) - len(kept)
            take = np.asarray([r for r, _ in kept], dtype=np.int64)
            parts.append(_Part(form, columns.take(take),
                               np.asarray([ok for _, ok in kept], dtype=np.bool_)))
        return OutcomeCohort(form_id, tuple(parts), not_known, unreadable)

    def calibration(self, model: ScoringModel, *, draft: bool = False,
                    cohort: OutcomeCohort | None = None) -> CalibrationReport:
        """The calibration report of ``model`` (published, or a draft) on the children with
        outcomes; :class:`ServiceError` when no outcome is recorded yet. Audited."""
        self._ctx.require(Role.MANAGER)
        found = cohort if cohort is not None else self.cohort(model.form.id)
        report = found.report(model, draft=draft)
        if report.outcomes == 0:
            raise ServiceError(
                "No outcome is recorded yet for children screened with this instrument, so "
                "there is nothing to calibrate against; answer \"exploitation confirmed?\" on "
                "referrals first.")
        with self._ctx.transaction() as s:
            self._ctx.audit(s, "calibration_report", f"model:{report.model_sha256[:12]}",
                            {"draft": draft, "outcomes": report.outcomes})
        return report

    def statement(self, ref: str, *, now: datetime | None = None) -> EvidenceDocument:
        """The evidence statement of a published version (see :meth:`published` for
        ``ref``): its change note and what changed from the version before, its impact,
        its calibration and agreement figures with their limits, and who approved it and
        when. Audited; :func:`riskscreen.summary.evidence.evidence_pdf_bytes` draws it."""
        from riskscreen.services.model_words import model_changes
        from riskscreen.services.models import describe_rule, model_data

        info, model = self.published(ref)
        models = self._models.all()
        previous = _previous_of(model, models)
        before = self._models.get(previous.sha256) if previous else None
        try:
            form: FormDefinition | None = self._instruments.form(model.form.id)
        except ServiceError:
            form = None
        # What changed, in words.
        what = [f"Change note: {model.change_note}"]
        if previous is None or before is None:
            what.append("This is the first published version of this model.")
            tables: tuple[EvidenceTable, ...] = ()
        else:
            rows = model_changes(model_data(before), model_data(model), form,
                                 lambda rule, names: describe_rule(rule, names, form))
            what.append(f"Compared with version {previous.version} (published "
                        f"{show_date(previous.published_at)} by {previous.published_by}): "
                        + (f"{len(rows)} change{'s' if len(rows) != 1 else ''}." if rows else
                           "no weight, threshold, level or rule differs."))
            tables = (EvidenceTable(("What", f"In {previous.version}", f"In {model.version}"),
                                    tuple(rows), (3, 2, 2)),) if rows else ()
        changes = EvidenceSection("What changed, and why", tuple(what), tables)
        # Impact on the screenings already made.
        columns = None
        if form is not None and before is not None:
            columns = self._finalised.columns(form).columns
        impact = _impact_section(previous, before, model, form, columns)
        # Calibration.
        report, missing = None, ""
        try:
            report = self.calibration(model)
        except ServiceError as error:
            missing = str(error)
        calibration = _calibration_section(report, missing)
        agreement = _agreement_section(self._agreement.for_model(info.sha256))
        approval = EvidenceSection("Approval", (
            f"Written by {model.author} (dated {model.date}). Published, and so approved for "
            f"use in new screenings, by {info.published_by} on "
            f"{show_moment(info.published_at)}. A published version is never edited: any change "
            "is a new version with its own statement.",
            f"Model {model.id} {model.version}, content hash (SHA-256) {info.sha256}."))
        settings = self._settings.read()
        user = self._ctx.user
        with self._ctx.transaction() as s:
            self._ctx.audit(s, "evidence_statement", f"model:{info.sha256[:12]}")
        return EvidenceDocument(
            title=f"Evidence statement: {model.title} {model.version}",
            subtitle=(f"Scoring model {model.id} version {model.version}, for form "
                      f"{model.form.id} (versions {', '.join(model.form.versions)})."
                      + (f" {settings['organisation_name']}." if settings.get(
                          "organisation_name") else "")),
            marking=settings.get("protective_marking") or "OFFICIAL-SENSITIVE",
            generated_at=now or datetime.now(UTC).astimezone(),
            generated_by=user.display_name or user.name,
            sections=(changes, impact, calibration, agreement, approval),
            reference=f"{model.id} {model.version}")


def _children(n: int, who: str) -> str:
    return f"{n} {who} child{'ren' if n != 1 else ''}"


def _more(n: int, who: str) -> str:
    if n > 0:
        return f"{_children(n, 'more ' + who)}"
    if n < 0:
        return f"{_children(-n, 'fewer ' + who)}"
    return f"the same number of {who} children"


def _rate(value: float | None) -> str:
    return "not shown" if value is None else f"{value * 100:.1f}%"


def _auc_words(report: CalibrationReport) -> str:
    if report.auc is None:
        return "not shown"
    i = report.auc_interval
    return f"{report.auc:.2f}" + ("" if i is None else f" ({i.low:.2f}\u2013{i.high:.2f})")


@dataclass(frozen=True)
class CalibrationChange:
    """How a draft changes the calibration figures of the model in force, on the same
    children with outcomes (the model editor's calibration panel). It describes; it never
    suggests a weight."""

    before: CalibrationReport
    after: CalibrationReport

    @property
    def top(self) -> str:
        """The highest level's name (in the draft)."""
        return self.after.level_names[self.after.levels[-1]]

    @property
    def deltas(self) -> tuple[int, int]:
        """How many more (or, negative, fewer) confirmed and not-confirmed children the draft
        puts at the highest level at their first screening."""
        b, a = self.before.level_counts, self.after.level_counts
        return a[0][-1] - b[0][-1], a[1][-1] - b[1][-1]

    def words(self) -> str:
        """The change in one or two sentences, with the numbers."""
        yes, no = self.deltas
        moved = self.before.level_counts != self.after.level_counts
        if not moved and self.before.auc == self.after.auc:
            return (f"With this draft, no child with a recorded outcome would be at another "
                    f"level at their first screening ({self.after.outcomes} children).")
        return (f"With this draft, {_more(yes, 'confirmed')} would have been {self.top} at "
                f"their first screening, and {_more(no, 'not-confirmed')} would be "
                f"{self.top} (of {self.after.confirmed} confirmed and "
                f"{self.after.not_confirmed} not confirmed).")

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """(threshold, sensitivity in force, with the draft, specificity in force, with the
        draft), in words; a rate that would reveal a count under 5 is "not shown"."""
        out = []
        before = {r.threshold: r for r in self.before.thresholds}
        for row in self.after.thresholds:
            old = before.get(row.threshold)
            was = self.before.rates_shown(old) if old is not None else (None, None)
            now = self.after.rates_shown(row)
            out.append((self.after.threshold_name(row), _rate(was[0]), _rate(now[0]),
                        _rate(was[1]), _rate(now[1])))
        return out

    def auc(self) -> tuple[str, str]:
        """The AUC of the points with its 95% interval: (in force, with the draft)."""
        return _auc_words(self.before), _auc_words(self.after)


# -- the evidence statement --------------------------------------------------------------------


def _count(c: Count) -> str:
    return str(c)


def _calibration_section(report: CalibrationReport | None, missing: str) -> EvidenceSection:
    """The calibration figures with their limits (or why there are none)."""
    if report is None:
        return EvidenceSection("Calibration against recorded outcomes", (missing,),
                               notes=MEANING)
    d = report.distribution
    said = [f"{report.outcomes} children have a recorded outcome ({d.confirmed_total} "
            f"exploitation confirmed, {d.not_confirmed_total} not confirmed); "
            f"{report.not_known} more have no known outcome yet. Counts under 5 are shown as "
            "\u201cfewer than 5\u201d, and a rate that would give one away is not shown."]
    for why, n in report.left_out.items():
        said.append(f"Left out: {n} children whose {why.removeprefix('their ')}.")
    if report.warning:
        said.append(f"Warning: {report.warning}")
    if report.auc is None:
        said.append("The AUC of the points is not shown: it needs at least 5 confirmed and 5 "
                    "not-confirmed children.")
    else:
        i = report.auc_interval
        interval = "" if i is None else (f" (95% bootstrap interval {i.low:.2f} to "
                                         f"{i.high:.2f}, {i.resamples} resamples, seed "
                                         f"{report.seed})")
        said.append(f"The AUC of the points is {report.auc:.2f}{interval}: the chance that a "
                    "confirmed child scored more points than a not-confirmed one (0.5 is no "
                    "better than chance, 1 a perfect ordering).")
    levels = EvidenceTable(
        ("Level at the first screening", "Confirmed", "Not confirmed"),
        tuple((report.level_names[lv], _count(y), _count(n))
              for lv, y, n in zip(report.levels, d.confirmed, d.not_confirmed, strict=True)),
        (3, 1.2, 1.2), "First levels by outcome")
    rows = []
    for row in report.thresholds:
        sens, spec = report.rates_shown(row)
        rows.append((report.threshold_name(row), _rate(sens), _rate(spec),
                     _count(cal.suppress(row.true_positive)),
                     _count(cal.suppress(row.false_positive))))
    thresholds = EvidenceTable(
        ("Positive at", "Sensitivity", "Specificity", "Confirmed at or above",
         "Not confirmed at or above"), tuple(rows), (2.2, 1.2, 1.2, 1.4, 1.6),
        "Sensitivity and specificity at each threshold")
    indicators = EvidenceTable(
        ("Indicator (present at the first screening)", "Confirmed", "Not confirmed"),
        tuple((i.label, _with_share(i.confirmed, i.confirmed_share),
               _with_share(i.not_confirmed, i.not_confirmed_share))
              for i in report.indicators), (5, 1.3, 1.3),
        "How common each indicator is in each group")
    # What "confirmed" means and where the figures stop, before the figures themselves.
    return EvidenceSection("Calibration against recorded outcomes", (*said, *MEANING),
                           (levels, thresholds, indicators))


def _with_share(count: Count, share: float | None) -> str:
    return f"{count}" + ("" if share is None else f" ({share:.0%})")


def _agreement_section(reports: Sequence[Any]) -> EvidenceSection:
    """Agreement between practitioners from the exercises screened with this version."""
    heading = "Agreement between practitioners"
    if not reports:
        return EvidenceSection(heading, (
            "No agreement exercise has been run for this version, so there are no figures "
            "on whether two practitioners screening the same child reach the same level.",))
    said: list[str] = []
    tables = []
    for r in reports:
        e = r.exercise
        said.append(f"Exercise \u201c{e.title}\u201d: {r.practitioners} practitioners, "
                    f"{r.vignettes} vignettes ({r.shared_vignettes} screened by more than one "
                    f"practitioner), {r.screenings} practice screenings.")
        said += [r.level_words(), r.indicator_words(), *r.warnings]
        worked = sorted((i for i in r.indicators if i.alpha is not None),
                        key=lambda i: (i.alpha, i.text))
        rows = tuple((i.text, f"{i.alpha:.2f}", str(i.units)) for i in worked)
        if rows:
            tables.append(EvidenceTable(
                ("Indicator", "Alpha (nominal)", "Vignettes"), rows, (5, 1.3, 1),
                f"Agreement on each indicator, lowest first: {e.title}"))
        undefined = len(r.indicators) - len(worked)
        if undefined:
            said.append(f"For {undefined} more indicator{'s' if undefined != 1 else ''}, "
                        "every practitioner gave the same answer on every vignette, so "
                        "alpha cannot be worked out (the vignettes do not test them).")
    notes = ("Vignettes are short synthetic cases screened in practice mode; agreement on them "
             "is a guide to agreement on real children, not a measure of it. Krippendorff's "
             "alpha of 0.8 or more is usually read as reliable, 0.667 to 0.8 as enough for "
             "tentative conclusions only.",)
    return EvidenceSection(heading, tuple(said), tuple(tables), notes)


def _impact_section(previous: ModelInfo | None, before: ScoringModel | None,
                    model: ScoringModel, form: FormDefinition | None,
                    columns: Columns | None) -> EvidenceSection:
    """The level-to-level matrix of the previous version against this one over the stored
    finalised screenings of the current form version, counts under 5 withheld."""
    heading = "Impact on the screenings already made"
    if previous is None or before is None:
        return EvidenceSection(heading, ("This is the first published version of this model, "
                                         "so there is no earlier version to compare with.",))
    if form is None or columns is None or columns.size == 0:
        return EvidenceSection(heading, ("No finalised screening of the current form version "
                                         "is stored, so the impact cannot be shown.",))
    if form.version not in model.form.versions or form.version not in before.form.versions:
        return EvidenceSection(heading, (f"Version {previous.version} and this version do not "
                                         f"both score form version {form.version}, so their "
                                         "impact cannot be compared here.",))
    old = compile_model(form, before).batch(columns)
    new = compile_model(form, model).batch(columns)
    ok = np.ones(columns.size, dtype=np.bool_)
    ok[list(columns.unscorable)] = False
    levels = [lv.id for lv in model.levels]
    names = {lv.id: lv.name for lv in before.levels} | {lv.id: lv.name for lv in model.levels}
    rows_of = [lv.id for lv in before.levels]
    counts = np.zeros((len(rows_of), len(levels)), dtype=np.int64)
    np.add.at(counts, (old.ranks[ok], new.ranks[ok]), 1)
    changed = int(sum(counts[i, j] for i in range(len(rows_of)) for j in range(len(levels))
                      if rows_of[i] != levels[j]))
    total = int(ok.sum())
    matrix = EvidenceTable(
        (f"{previous.version} \u2192 this version", *(names[lv] for lv in levels)),
        tuple((names[old_id], *(_count(cal.suppress(int(n))) for n in counts[i]))
              for i, old_id in enumerate(rows_of)),
        (2.2, *([1.0] * len(levels))), "Level with each version (rows: the earlier version)")
    return EvidenceSection(heading, (
        f"Over the {total:,} finalised screenings of form version {form.version} stored, "
        f"{_count(cal.suppress(changed))} would have had another level with this version than "
        f"with version {previous.version}.",), (matrix,),
        ("Each screening is scored again with both versions, before any professional "
         "judgement; the levels recorded at the time are not changed.",))


def _previous_of(model: ScoringModel, published: Sequence[ModelInfo]) -> ModelInfo | None:
    """The version this one was derived from, else the highest earlier version."""
    same = [m for m in published if m.model_id == model.id and m.version != model.version]
    if model.derived_from:
        found = [m for m in same if m.version == model.derived_from]
        if found:
            return found[0]
    earlier = [m for m in same if version_key(m.version) < version_key(model.version)]
    return max(earlier, key=lambda m: version_key(m.version), default=None)
