"""Scoring-model use cases for managers: drafts, validation, impact, try-out, publishing,
YAML export and import, history and diffs.

A draft is plain data (the model as a JSON-ready dict) that the editor changes; every check
goes through the same code as ``riskscreen validate`` (the draft is written out as YAML and
parsed back), so the editor shows exactly the messages the command line prints. Publishing
stores a new immutable row named by its hash. Reached as ``session.models`` (the default
instrument's models; :meth:`ModelManager.for_instrument` for another's).
"""

from __future__ import annotations

import copy
import difflib
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from packaging.version import Version
from pydantic import ValidationError
from sqlalchemy import select, text
from sqlalchemy.orm import Session as OrmSession

from riskscreen.conditions import parse_condition
from riskscreen.dates import moment
from riskscreen.definitions import DefinitionError, Problem, dump_yaml, load_yaml, version_key
from riskscreen.forms.answers import AnswerError, AnswerProblem
from riskscreen.forms.columns import Columns, concat
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.assessment import Assessment
from riskscreen.scoring.engine import compile_model
from riskscreen.scoring.impact import ImpactReport, impact_of_columns
from riskscreen.scoring.model import ScoringModel
from riskscreen.services.context import Context
from riskscreen.services.errors import NotFound, ServiceError
from riskscreen.services.finalised import FinalisedManager, dated_rows
from riskscreen.services.instruments import installed_form
from riskscreen.services.model_words import model_changes, plain_problem
from riskscreen.services.types import ModelInfo, Role, Status
from riskscreen.store.models import ScoringModelRow, User

__all__ = [
    "DEFAULT_FORM",
    "DraftProblems",
    "FinalisedMark",
    "LiveImpact",
    "LiveResult",
    "ModelManager",
    "ModelRefused",
    "TryOut",
    "content_hash",
    "describe_condition",
    "describe_rule",
    "model_data",
    "model_from_data",
    "model_to_yaml",
    "next_version",
    "parse_stored_model",
]

DEFAULT_FORM = "cse-screening"


class ModelRefused(ServiceError):  # noqa: N818 - the domain's name for it
    """A draft or imported model fails validation; ``problems`` are ``validate``'s lines,
    ``plain`` the same problems in plain words (what the message says)."""

    def __init__(self, problems: list[str], plain: list[str] | None = None) -> None:
        self.problems = problems
        self.plain = plain or problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__("The scoring model is not valid and was refused. "
                         + (self.plain[0] if self.plain else "The reason is not known.")
                         + more)


@dataclass(frozen=True)
class DraftProblems:
    """The result of checking a draft: ``problems`` empty means it is valid. ``scorable``
    is the draft as a model whenever it can score screenings, even if it cannot be published
    yet (no change note), for the live impact.

    ``problems`` are the lines ``riskscreen validate`` prints; ``plain`` says each in words
    for the editor, naming the field (no file, no line, no ids).
    """

    problems: list[str]
    model: ScoringModel | None
    scorable: ScoringModel | None = None
    plain: list[str] = field(default_factory=list)
    #: The draft is valid but for its missing change note (for example a new, untouched one).
    only_change_note: bool = False


@dataclass(frozen=True)
class TryOut:
    """One screening scored by the published model and by the draft."""

    screening_id: int
    published: Assessment
    draft: Assessment


@dataclass(frozen=True)
class LiveResult:
    """What a draft changes over every finalised screening: the level-to-level matrix (rows
    the model in force, columns the draft) and how many screenings change level or points."""

    levels: tuple[str, ...]
    level_names: dict[str, str]
    matrix: dict[str, dict[str, int]]
    total: int
    level_changed: int
    score_changed: int
    skipped: int
    #: When the screenings scored were read (UTC); None when not known.
    as_of: datetime | None = None


@dataclass(frozen=True)
class FinalisedMark:
    """How the finalised screenings of a form stood at one moment: how many there were and
    the newest one's id. Cheap to read (an index), so an editor can ask often whether what
    it holds is still every finalised screening."""

    count: int
    newest: int
    #: When it was read (UTC).
    at: datetime


@dataclass(frozen=True)
class LiveImpact:
    """Every finalised screening held as columns and scored once with the model in force, so
    that the effect of each draft is one batch re-score (the model editor's live impact).

    Built by :meth:`ModelManager.live_impact`; :meth:`update` is pure and safe to call from a
    worker thread.
    """

    form: FormDefinition
    published: ScoringModel
    columns: Columns
    old_ranks: NDArray[np.int64]
    old_points: NDArray[np.int64]
    scorable: NDArray[np.bool_]
    skipped: int
    #: The screening id of each row (for an impact analysis over the same columns).
    ids: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: The finalised screenings as they stood just before they were read
    #: (:meth:`ModelManager.finalised_mark`): a later mark that differs means some were
    #: finalised (or removed) since, and these figures leave them out.
    mark: FinalisedMark | None = None

    @classmethod
    def of(cls, form: FormDefinition, published: ScoringModel, columns: Columns,
           skipped: int = 0, ids: NDArray[np.int64] | None = None,
           mark: FinalisedMark | None = None) -> LiveImpact:
        """Score ``columns`` with ``published`` once and keep the result."""
        old = compile_model(form, published).batch(columns)
        scorable = np.ones(columns.size, dtype=np.bool_)
        scorable[list(columns.unscorable)] = False
        return cls(form, published, columns, old.ranks, old.points, scorable,
                   skipped + len(columns.unscorable),
                   ids if ids is not None else np.zeros(0, dtype=np.int64), mark)

    @property
    def total(self) -> int:
        """How many finalised screenings are scored."""
        return int(np.count_nonzero(self.scorable))

    def update(self, draft: ScoringModel) -> LiveResult:
        """The draft against the model in force over every screening held."""
        old = compile_model(self.form, self.published)
        new = compile_model(self.form, draft)
        b = new.batch(self.columns)
        ok = self.scorable
        counts = np.zeros((len(old.level_ids), len(new.level_ids)), dtype=np.int64)
        np.add.at(counts, (self.old_ranks[ok], b.ranks[ok]), 1)
        levels = tuple(new.level_ids) + tuple(
            lv for lv in old.level_ids if lv not in new.level_ids)
        names = {i.id: i.name for i in old.levels} | {i.id: i.name for i in new.levels}
        matrix = {lv: dict.fromkeys(levels, 0) for lv in levels}
        changed = 0
        for i, row in enumerate(counts.tolist()):
            for j, n in enumerate(row):
                matrix[old.level_ids[i]][new.level_ids[j]] += n
                if old.level_ids[i] != new.level_ids[j]:
                    changed += n
        return LiveResult(levels, names, matrix, self.total, changed,
                          int(np.count_nonzero((self.old_points != b.points) & ok)),
                          self.skipped, self.mark.at if self.mark is not None else None)


def concat_columns(form: FormDefinition, parts: list[Columns]) -> Columns:
    """One :class:`Columns` from chunks of the same form version, in order."""
    return concat(form, parts)


def next_version(version: str) -> str:
    """The proposed version of a draft: the next minor version (``1.2.3`` → ``1.3.0``)."""
    parsed = Version(version)
    return f"{parsed.major}.{parsed.minor + 1}.0"


def model_data(model: ScoringModel) -> dict[str, Any]:
    """The model as JSON-ready data shaped like its YAML file."""
    data = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {"kind": "scoring_model", **{k: v for k, v in data.items() if k != "kind"}}


def model_to_yaml(model: ScoringModel | dict[str, Any]) -> str:
    """YAML text of a model (or draft data) that ``riskscreen validate`` reads."""
    return dump_yaml(model_data(model) if isinstance(model, ScoringModel) else model)


def model_from_data(data: dict[str, Any], form: FormDefinition | None,
                    file: str = "draft.yaml") -> DraftProblems:
    """Check draft data exactly as ``riskscreen validate`` checks a file.

    Data that passes is checked as it is: its YAML text would read back as the same data,
    and writing and reading that text is nine tenths of a check (a third of a second, on
    every edit in the editor). Data with problems is checked through its YAML text, so each
    problem names its line as ``validate`` does."""
    from riskscreen.scoring.loader import parse_model

    direct = _valid_as_is(data, form)
    if direct is not None:
        return DraftProblems([], direct)
    try:
        model = parse_model(model_to_yaml(data), file, form)
    except DefinitionError as error:
        return _refusal(error.problems, data, form)
    return DraftProblems([], model)


def _valid_as_is(data: dict[str, Any], form: FormDefinition | None) -> ScoringModel | None:
    """The model, if ``data`` passes every check that its YAML text would; None if anything
    might differ (the YAML route then decides and locates the problems)."""
    from riskscreen.definitions import MAX_DEPTH, MAX_INT_DIGITS
    from riskscreen.scoring.loader import check_model

    if form is None or data.get("kind") != "scoring_model" \
            or not _plain_data(data, MAX_DEPTH, MAX_INT_DIGITS):
        return None
    try:
        model = ScoringModel.model_validate(data)
    except ValidationError:
        return None
    return None if check_model(model, form) else model


def _plain_data(node: object, depth: int, digits: int) -> bool:
    """Whether ``node`` is JSON-like data (string keys) that YAML writes and reads back
    unchanged, nested at most ``depth`` deep, with no integer longer than ``digits``."""
    if isinstance(node, dict):
        return depth > 0 and all(isinstance(k, str) and _plain_data(v, depth - 1, digits)
                                 for k, v in node.items())
    if isinstance(node, list):
        return depth > 0 and all(_plain_data(v, depth - 1, digits) for v in node)
    if isinstance(node, bool) or node is None or isinstance(node, str):
        return True
    if isinstance(node, int):
        return len(str(abs(node))) <= digits
    return isinstance(node, float) and node == node and abs(node) != float("inf")


def _refusal(problems: list[Problem], data: dict[str, Any], form: FormDefinition | None,
             file: str | None = None) -> DraftProblems:
    """Problems as ``validate`` prints them and in plain words (with the line for a file)."""
    plain = [plain_problem(p, data, form,
                           where=f"{file}, line {p.line or 1}" if file else "")
             for p in problems]
    return DraftProblems([p.format() for p in problems], None, plain=plain)


class ModelManager:
    """Scoring models of one signed-in session: every signed-in account reads the published
    versions; managers draft, analyse and publish new ones (role checked on every call)."""

    def __init__(self, ctx: Context, finalised: FinalisedManager,
                 form_id: str = DEFAULT_FORM, *,
                 cache: dict[str, ScoringModel] | None = None) -> None:
        self._ctx = ctx
        self._finalised = finalised
        self.form_id = form_id
        #: Published models by hash (immutable, so shared by every instrument's manager).
        self._cache: dict[str, ScoringModel] = {} if cache is None else cache

    def for_instrument(self, instrument_id: str) -> ModelManager:
        """The same manager for another instrument's models (drafts, impact, history)."""
        return ModelManager(self._ctx, self._finalised, instrument_id, cache=self._cache)

    def _manager(self) -> None:
        self._ctx.require(Role.MANAGER)

    def form(self) -> FormDefinition:
        """The form version new screenings of this instrument use (as stored)."""
        return installed_form(self._ctx, self.form_id)

    # -- the model in force and drafts ---------------------------------------------------------

    def in_force(self) -> tuple[ModelInfo, ScoringModel]:
        """The model new screenings use now, with its publication record."""
        self._manager()
        form = self.form()
        with self._ctx.transaction() as s:
            row = self.in_force_row(s, form)
            return self._model_info(s, row), self.stored_in(s, row.sha256)

    def new_draft(self) -> dict[str, Any]:
        """The model in force as draft data: next version proposed, empty change note."""
        _, model = self.in_force()
        data = copy.deepcopy(model_data(model))
        data["version"] = self._free_version(next_version(model.version))
        data["derived_from"] = model.version
        data["change_note"] = ""
        data["author"] = self._ctx.user.display_name or self._ctx.user.name
        data["date"] = datetime.now(UTC).date().isoformat()
        return data

    def _free_version(self, version: str) -> str:
        taken = {m.version for m in self.all() if m.model_id == self.form_id}
        while version in taken:
            version = next_version(version)
        return version

    def check(self, data: dict[str, Any]) -> DraftProblems:
        """Problems of a draft (``validate``'s messages), or the model when there are none."""
        self._manager()
        form = self.form()
        if str(data.get("change_note", "")).strip():
            found = model_from_data(data, form)
            return DraftProblems(found.problems, found.model, found.model, found.plain)
        # Without its note a draft cannot be published, but it can still score; the rest is
        # checked as if the note were written, so the note is named once.
        found = model_from_data({**data, "change_note": "(none yet)"}, form)
        note = _refusal([Problem("a change note is required", ("change_note",),
                                 "say what changed and why", 1, "draft.yaml")], data, form)
        return DraftProblems(note.problems + found.problems, None, found.model,
                             note.plain + found.plain, only_change_note=found.model is not None)

    def build(self, data: dict[str, Any]) -> ScoringModel:
        """The draft as a model; :class:`ModelRefused` with every problem if it is invalid."""
        found = self.check(data)
        if found.model is None:
            raise ModelRefused(found.problems, found.plain)
        return found.model

    # -- impact and try-out --------------------------------------------------------------------

    def count_finalised(self, since: date | None = None, until: date | None = None) -> int:
        """How many finalised screenings an impact analysis would cover."""
        self._manager()
        where, params = _date_filter(since, until)
        where = (where + " AND " if where else " WHERE ") + (
            f"s.form_id = :form AND s.status = '{Status.FINAL}'")
        with self._ctx.transaction() as s:
            # The screenings' status index, not the wide records.
            sql = "SELECT count(*) FROM screenings s" + where  # noqa: S608 - fixed text; bound values
            return int(s.execute(text(sql), {**params, "form": self.form_id}).scalar() or 0)

    def finalised_mark(self) -> FinalisedMark:
        """How the finalised screenings of this instrument stand now (see
        :class:`FinalisedMark`): one indexed count, cheap enough to ask each time the editor
        comes back into use or before publishing."""
        self._manager()
        with self._ctx.transaction() as s:
            count, newest = s.execute(text(
                "SELECT count(*), max(id) FROM screenings "  # noqa: S608 - fixed text
                f"WHERE form_id = :form AND status = '{Status.FINAL}'"),
                {"form": self.form_id}).one()
        return FinalisedMark(int(count or 0), int(newest or 0), datetime.now(UTC))

    def impact(self, draft: ScoringModel, since: date | None = None,
               until: date | None = None, *,
               progress: Callable[[int, int], None] | None = None,
               cancelled: Callable[[], bool] | None = None,
               held: LiveImpact | None = None) -> ImpactReport:
        """The draft against the model in force over every finalised screening (or a date
        range of screening dates). Safe to run off the GUI thread.

        ``held`` is the editor's live impact: when it holds this form version's screenings
        for the model in force, they are re-scored as held instead of read again (only the
        screenings whose level changes are read, to explain them)."""
        self._manager()
        _, published = self.in_force()
        form = self.form()
        plans = (compile_model(form, published), compile_model(form, draft))
        if held is not None and held.published.sha256 == published.sha256 \
                and (held.form.id, held.form.version) == (form.id, form.version) \
                and len(held.ids) == held.columns.size:
            rows = dated_rows(held.columns, since, until)
            columns = held.columns if rows is None else held.columns.take(rows)
            ids = (held.ids if rows is None else held.ids[rows]).tolist()
        else:
            stored = self._finalised.columns(
                form, since, until, plans[0].questions | plans[1].questions)
            columns, ids = stored.columns, stored.ids.tolist()
        total = columns.size
        report = impact_of_columns(
            form, published, draft, columns, lambda row: str(ids[row]),
            answer_sets=lambda rows: self._finalised.answer_sets_of(
                [ids[r] for r in rows]),
            progress=(lambda n: progress(n, total)) if progress else None,
            cancelled=cancelled)
        others = self._finalised.elsewhere(form, since, until)
        if others:  # screenings of another form version: not scorable here, as ever
            report = replace(report, skipped=report.skipped + tuple(
                (str(sid), str(AnswerError([AnswerProblem(
                    "", f"answers are for form '{fid}' version {version}, but the form is "
                        f"'{form.id}' version {form.version}")])))
                for sid, fid, version in others))
        with self._ctx.transaction() as s:
            self._ctx.audit(s, "model_impact", f"model:{published.sha256[:12]}",
                            {"screenings": report.total, "changed": report.level_changed,
                             "cancelled": report.cancelled})
        return report

    def live_impact(self, *, cancelled: Callable[[], bool] | None = None,
                    every: int = 5000) -> LiveImpact | None:
        """Every finalised screening of the current form version as columns, scored with the
        model in force, for the editor's live impact (loaded once per editor session; safe
        off the GUI thread). Streamed ``every`` screenings at a time, so no more than that
        many answer sets exist at once; None if ``cancelled()`` says so meanwhile."""
        _, published = self.in_force()
        form = self.form()
        if cancelled is not None and cancelled():
            return None
        # Read before the columns: one finalised while they are read makes a later mark
        # differ, so it is taken in then rather than missed.
        mark = self.finalised_mark()
        stored = self._finalised.columns(form)
        if cancelled is not None and cancelled():
            return None
        skipped = max(0, self.count_finalised() - stored.size)
        return LiveImpact.of(form, published, stored.columns, skipped, stored.ids, mark)

    def try_out(self, screening_id: int, draft: ScoringModel) -> TryOut:
        """One finalised screening scored by the model in force and by the draft."""
        self._manager()
        [answers] = self._finalised.answer_sets_of([screening_id])
        with self._ctx.transaction() as s:
            self._ctx.audit(s, "model_try_out", f"screening:{screening_id}")
        _, published = self.in_force()
        form = self._ctx.form(answers.form, answers.form_version)
        from riskscreen.scoring.engine import score

        return TryOut(screening_id, score(form, published, answers),
                      score(form, draft, answers))

    # -- publishing, import, export, history ---------------------------------------------------

    def publish(self, draft: ScoringModel) -> ModelInfo:
        """Publish the draft as a new immutable version; new screenings use it from now."""
        self._manager()
        found = self.check(model_data(draft))
        if found.model is None:
            raise ModelRefused(found.problems, found.plain)
        with self._ctx.transaction() as s:
            return self.publish_in(s, draft)

    def history(self) -> list[ModelInfo]:
        """Published versions of this form's model, newest first."""
        self._manager()
        return [m for m in self.all() if m.model_id == self.form_id]

    def stored(self, sha256: str) -> ScoringModel:
        """A published version by hash."""
        self._manager()
        return self.get(sha256)

    def export_yaml(self, model: ScoringModel) -> str:
        """YAML text of a model, to share with another team."""
        self._manager()
        with self._ctx.transaction() as s:
            self._ctx.audit(s, "model_export", f"model:{model.sha256[:12]}")
        return model_to_yaml(model)

    def import_yaml(self, text_: str, file: str = "imported.yaml") -> dict[str, Any]:
        """Draft data from a shared YAML file; :class:`ModelRefused` if it is not valid or is
        for another form."""
        self._manager()
        from riskscreen.scoring.loader import parse_model

        form = self.form()
        try:
            model = parse_model(text_, file, form)
        except DefinitionError as error:
            # Read through the same gate as the check (no aliases, no deep nesting), only to
            # name the fields in the message; a file it refuses names none.
            try:
                loaded = load_yaml(text_, file).data
            except DefinitionError:
                loaded = {}
            shared = loaded if isinstance(loaded, dict) else {}
            found = _refusal(error.problems, shared, form, file)
            raise ModelRefused(found.problems, found.plain) from None
        if model.form.id != form.id:  # pragma: no cover - parse_model reports it first
            raise ModelRefused([f"{file}:1: this model is for form '{model.form.id}', "
                                f"not '{form.id}'"])
        return model_data(model)

    def diff(self, sha_a: str, sha_b: str) -> str:
        """A unified diff between two published versions' YAML."""
        a, b = self.stored(sha_a), self.stored(sha_b)
        return "".join(difflib.unified_diff(
            model_to_yaml(a).splitlines(keepends=True),
            model_to_yaml(b).splitlines(keepends=True),
            fromfile=f"{a.id} {a.version}", tofile=f"{b.id} {b.version}"))

    def changes(self, sha_a: str, sha_b: str) -> list[tuple[str, str, str]]:
        """What differs between two published versions, as (what, before, after) rows in
        plain words: weights, thresholds, level names, limits and rules."""
        a, b = self.stored(sha_a), self.stored(sha_b)
        form = self.form()
        return model_changes(model_data(a), model_data(b), form,
                             lambda rule, names: describe_rule(rule, names, form))

    def finalised_ids(self, limit: int = 500) -> list[tuple[int, str, str]]:
        """(screening id, screening date, level) of recent finalised screenings, for try-out.

        Ids, dates and levels only: no names."""
        self._manager()
        with self._ctx.transaction() as s:
            return [(int(r[0]), str(r[1]), str(r[2])) for r in s.execute(text(
                "SELECT s.id, s.screening_date, a.final_level FROM assessments a "
                "JOIN screenings s ON s.id = a.screening_id ORDER BY s.id DESC LIMIT :n"),
                {"n": limit})]

    # -- stored versions -------------------------------------------------------------------------

    def stored_in(self, s: OrmSession, sha256: str) -> ScoringModel:
        """A published model by hash within transaction ``s`` (cached; checked against its
        hash when first read)."""
        model = self._cache.get(sha256)
        if model is None:
            row = s.get(ScoringModelRow, sha256)
            if row is None:
                raise NotFound("the scoring model of this screening is not in the database")
            model = self._cache[sha256] = parse_stored_model(row.canonical_json, sha256)
        return model

    def in_force_row(self, s: OrmSession, form: FormDefinition) -> ScoringModelRow:
        """The stored model new screenings of this form use, within transaction ``s``: the
        one published last.

        Models published at the same instant (the shipped versions, imported together when a
        database is created) are taken newest version first.
        """
        rows = sorted(s.scalars(select(ScoringModelRow)),
                      key=lambda r: (r.published_at, version_key(r.version)), reverse=True)
        for row in rows:
            model = self.stored_in(s, row.sha256)
            if model.form.id == form.id and form.version in model.form.versions:
                return row
        raise ServiceError(f"No scoring model for form '{form.id}' version {form.version} "
                           "has been published; a manager must publish one first.")

    def publish_in(self, s: OrmSession, model: ScoringModel, *,
                   source: str = "manager") -> ModelInfo:
        """Store a model version within transaction ``s``, published by the signed-in
        account. No role check and no draft check: for the shipped and installed models and
        for :meth:`publish`, which checks both first."""
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
                              canonical_json=model.canonical_json(),
                              published_by=self._ctx.user.id, change_note=model.change_note)
        s.add(row)
        s.flush()
        self._cache[sha] = model
        self._ctx.audit(s, "publish", f"model:{sha[:12]}",
                        {"model": model.id, "version": model.version, "source": source})
        return self._model_info(s, row)

    def import_shipped(self, models: Iterable[ScoringModel]) -> None:
        """Publish the shipped model versions into a new database, in one transaction, as
        the account creating it."""
        with self._ctx.transaction() as s:
            for model in models:
                self.publish_in(s, model, source="shipped")

    def _model_info(self, s: OrmSession, row: ScoringModelRow) -> ModelInfo:
        by = s.get(User, row.published_by)
        return ModelInfo(row.model_id, row.version, row.sha256, by.name if by else "?",
                         moment(row.published_at), row.change_note)

    def all(self) -> list[ModelInfo]:
        """Published scoring models of every instrument, newest first."""
        with self._ctx.transaction() as s:
            rows = s.scalars(select(ScoringModelRow)
                             .order_by(ScoringModelRow.published_at.desc()))
            return [self._model_info(s, r) for r in rows]

    def get(self, sha256: str) -> ScoringModel:
        """A published model by hash (for the impact analysis and re-scoring)."""
        self._ctx.require(Role.MANAGER, Role.ADMINISTRATOR, Role.PRACTITIONER)
        with self._ctx.transaction() as s:
            return self.stored_in(s, sha256)


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



def _date_filter(since: date | None, until: date | None) -> tuple[str, dict[str, str]]:
    clauses, params = [], {}
    if since is not None:
        clauses.append("s.screening_date >= :since")
        params["since"] = since.isoformat()
    if until is not None:
        clauses.append("s.screening_date <= :until")
        params["until"] = until.isoformat()
    return ((" WHERE " + " AND ".join(clauses)) if clauses else ""), params



# -- rules as sentences -----------------------------------------------------------------------


def describe_condition(cond: dict[str, Any], form: FormDefinition | None = None) -> str:
    """A rule condition (as draft data) in plain words, for managers who do not read YAML.

    The words are the condition language's own (:meth:`riskscreen.conditions.Node.describe`);
    a condition that is not valid yet is shown as written.
    """
    try:
        node = parse_condition(cond)
    except ValidationError:
        return f"(a condition that is not complete yet: {cond})"
    return node.describe(form)


def describe_rule(rule: dict[str, Any], level_names: dict[str, str],
                  form: FormDefinition | None = None) -> str:
    """``At least High when …`` for one rule as data."""
    level = level_names.get(str(rule.get("minimum")), str(rule.get("minimum")))
    return f"At least {level} when {describe_condition(rule['when'], form)}."
