"""Installed instruments: a team's own questionnaire, scoring models and routing, kept in the
database for ever (administrators and managers install; anyone signed in may list them).

Installing stores the instrument's form version by hash (:mod:`riskscreen.store.forms`),
publishes each of its scoring models not yet published, and records the instrument with its
routing and README; one audit entry says what came in. Nothing installed is ever replaced: a
screening made under any stored form version keeps opening, re-scoring and printing with it.

A new form version must say what happened to the questions of the version in force before
it (``changes_from``: renamed or removed), so that re-screenings can start from the earlier
answers (:meth:`InstrumentManager.carry_answers`) and trends compare across versions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from riskscreen.dates import iso, moment
from riskscreen.definitions import version_key
from riskscreen.forms.identity import carry_answers, form_sha256, parse_stored_form
from riskscreen.forms.model import FormDefinition
from riskscreen.instruments import DEFAULT_INSTRUMENT
from riskscreen.routing.model import RoutingTable
from riskscreen.scoring.model import ScoringModel
from riskscreen.services.errors import NotFound, ServiceError
from riskscreen.services.types import Role
from riskscreen.store import forms as stored_forms
from riskscreen.store.models import FormRow, InstrumentRow, ScoringModelRow, User, utc_now

if TYPE_CHECKING:
    from riskscreen.services.context import Context

__all__ = [
    "FormVersionInfo",
    "InstallResult",
    "Installable",
    "InstrumentInfo",
    "InstrumentManager",
    "InstrumentRefused",
    "PublishedModels",
    "installed_form",
    "routing_for",
]

#: Who may install an instrument.
INSTALL_ROLES = (Role.ADMINISTRATOR, Role.MANAGER)


class InstrumentRefused(ServiceError):  # noqa: N818 - the domain's name for it
    """An instrument that fails validation; ``problems`` are ``FILE:LINE: message`` lines."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        first = self.problems[0] if self.problems else "the reason is not known"
        super().__init__(f"The instrument is not valid and was not installed: {first}{more}")


class _Manifest(Protocol):
    @property
    def owner(self) -> str: ...

    @property
    def approved_by(self) -> str: ...


class Installable(Protocol):
    """What installing needs of a checked instrument (``riskscreen.instruments.Instrument``)."""

    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def manifest(self) -> _Manifest: ...

    @property
    def form(self) -> FormDefinition: ...

    @property
    def models(self) -> tuple[ScoringModel, ...]: ...

    @property
    def readme(self) -> str: ...

    @property
    def texts(self) -> Mapping[str, str]: ...


class PublishedModels(Protocol):
    """What instruments need of the scoring models (``session.models``), inside a
    transaction: the model in force for a form, a published model by hash, and publishing."""

    def in_force_row(self, s: OrmSession, form: FormDefinition) -> ScoringModelRow: ...

    def stored_in(self, s: OrmSession, sha256: str) -> ScoringModel: ...

    def publish_in(self, s: OrmSession, model: ScoringModel, *,
                   source: str = "manager") -> object: ...


def _installed_row(s: OrmSession, instrument_id: str) -> InstrumentRow:
    row = s.get(InstrumentRow, instrument_id)
    if row is None:
        raise NotFound(f"No instrument '{instrument_id}' is installed; 'riskscreen "
                       "instrument list' shows those that are.")
    return row


def installed_form(ctx: Context, instrument_id: str,
                   version: str | None = None) -> FormDefinition:
    """An installed instrument's form version in force (or its stored ``version``), as
    stored (cached by the context); :class:`NotFound` if the instrument is not installed."""
    with ctx.transaction() as s:
        row = _installed_row(s, instrument_id)
        if version is None:
            version = s.scalar(select(FormRow.version).where(
                FormRow.sha256 == row.form_sha256)) or "?"
    return ctx.form(instrument_id, version)


@dataclass(frozen=True)
class FormVersionInfo:
    """One stored version of an instrument's form."""

    version: str
    sha256: str
    installed_by: str
    installed_at: datetime


@dataclass(frozen=True)
class InstrumentInfo:
    """An installed instrument as ``riskscreen instrument list`` and the app show it."""

    id: str
    title: str
    form_version: str
    form_sha256: str
    in_force: bool
    owner: str
    approved_by: str
    installed_by: str
    installed_at: datetime
    versions: tuple[FormVersionInfo, ...]
    models: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (``instrument list --json``)."""
        return {"id": self.id, "title": self.title, "form_version": self.form_version,
                "form_sha256": self.form_sha256, "in_force": self.in_force,
                "owner": self.owner, "approved_by": self.approved_by,
                "installed_by": self.installed_by, "installed_at": iso(self.installed_at),
                "form_versions": [{"version": v.version, "sha256": v.sha256,
                                   "installed_by": v.installed_by,
                                   "installed_at": iso(v.installed_at)} for v in self.versions],
                "models": list(self.models)}


@dataclass(frozen=True)
class InstallResult:
    """What an install stored: the form version (new or already there) and new models."""

    instrument: InstrumentInfo
    form_stored: bool
    models_published: tuple[str, ...]


class InstrumentManager:
    """Instruments of one signed-in session. Reached as ``session.instruments``."""

    def __init__(self, ctx: Context, models: PublishedModels) -> None:
        self._ctx = ctx
        self._models = models

    # -- reading -------------------------------------------------------------------------------

    def installed(self) -> list[InstrumentInfo]:
        """Every installed instrument: those in force first, the default (CSE) instrument
        first among them, then by title."""
        with self._ctx.transaction() as s:
            rows = list(s.scalars(select(InstrumentRow)))
            infos = [self._info(s, row) for row in rows]
        return sorted(infos, key=lambda i: (not i.in_force, i.id != DEFAULT_INSTRUMENT,
                                            i.title.lower(), i.id))

    def in_force(self) -> list[InstrumentInfo]:
        """The instruments offered when a screening starts."""
        return [i for i in self.installed() if i.in_force]

    def get(self, instrument_id: str) -> InstrumentInfo:
        """One installed instrument; :class:`NotFound` if there is none by that id."""
        with self._ctx.transaction() as s:
            return self._info(s, _installed_row(s, instrument_id))

    def set_in_force(self, instrument_id: str, in_force: bool) -> InstrumentInfo:
        """Offer an installed instrument for new screenings, or stop offering it
        (administrators and managers). Its screenings and stored versions stay as they are;
        the last instrument in force cannot be taken out of use."""
        self._ctx.require(*INSTALL_ROLES)
        with self._ctx.transaction() as s:
            row = s.get(InstrumentRow, instrument_id)
            if row is None:
                raise NotFound(f"No instrument '{instrument_id}' is installed.")
            others = s.scalars(select(InstrumentRow.id).where(
                InstrumentRow.in_force.is_(True), InstrumentRow.id != instrument_id)).first()
            if not in_force and others is None:
                raise ServiceError("This is the only instrument in use; put another in use "
                                   "first, so that screenings can still be started.")
            if row.in_force != in_force:
                row.in_force = in_force
                self._ctx.audit(s, "instrument_in_force", f"instrument:{instrument_id}",
                                {"in_force": in_force})
            return self._info(s, row)

    def form(self, instrument_id: str, version: str | None = None) -> FormDefinition:
        """The instrument's form version in force (or the stored ``version``)."""
        return installed_form(self._ctx, instrument_id, version)

    def routing(self, instrument_id: str) -> RoutingTable:
        """Where the instrument's screenings are sent (see :func:`routing_for`)."""
        with self._ctx.transaction() as s:
            return routing_for(s, instrument_id)

    def model(self, instrument_id: str) -> ScoringModel:
        """The scoring model new screenings of the instrument use now."""
        form = self.form(instrument_id)
        with self._ctx.transaction() as s:
            row = self._models.in_force_row(s, form)
            return self._models.stored_in(s, row.sha256)

    def carry_answers(self, answers: Mapping[str, Any], form_id: str, old_version: str,
                      new_version: str | None = None) -> dict[str, Any]:
        """Answers given under ``old_version`` of a form, as answers to ``new_version`` (the
        version in force by default), following each version's ``changes_from``.

        For a re-screening's starting answers and for trends across versions; an answer the
        new version no longer asks or allows is left out.
        """
        with self._ctx.transaction() as s:
            forms = stored_forms.stored_versions(s.connection(), form_id)
        if new_version is None:
            new_version = self.get(form_id).form_version
        new = next((f for f in forms if f.version == new_version), None)
        if new is None:
            raise NotFound(f"Form '{form_id}' version {new_version} is not installed.")
        return carry_answers(answers, old_version, new, forms)

    def _info(self, s: Any, row: InstrumentRow) -> InstrumentInfo:
        names = dict(s.execute(select(User.id, User.name)).all())
        forms = sorted(s.scalars(select(FormRow).where(FormRow.form_id == row.id)),
                       key=lambda f: version_key(f.version))
        current = next((f for f in forms if f.sha256 == row.form_sha256), None)
        models = sorted({(m.model_id, m.version) for m in s.scalars(select(ScoringModelRow))
                         if m.model_id == row.id}, key=lambda m: version_key(m[1]))
        return InstrumentInfo(
            id=row.id, title=row.title,
            form_version=current.version if current is not None else "?",
            form_sha256=row.form_sha256, in_force=row.in_force, owner=row.owner,
            approved_by=row.approved_by,
            installed_by=_who(names, row.installed_by), installed_at=moment(row.installed_at),
            versions=tuple(FormVersionInfo(f.version, f.sha256, _who(names, f.installed_by),
                                           moment(f.installed_at)) for f in forms),
            models=tuple(f"{mid} {version}" for mid, version in models))

    # -- installing ----------------------------------------------------------------------------

    def install(self, instrument: Installable) -> InstallResult:
        """Install a checked instrument (administrators and managers).

        Its form version is stored unless stored already; a version stored with other content
        is refused (a stored form is never edited: give the change a new version). A new
        version must account for every question of the version before it that it no longer
        asks (``changes_from``). Its models not yet published are published; the instrument
        is offered for new screenings from now on, with its newest form version.
        """
        self._ctx.require(*INSTALL_ROLES)
        form = instrument.form
        with self._ctx.transaction() as s:
            conn = s.connection()
            stored = {r.version: r for r in s.scalars(
                select(FormRow).where(FormRow.form_id == form.id))}
            sha = form_sha256(form)
            existing = stored.get(form.version)
            if existing is not None and existing.sha256 != sha:
                raise ServiceError(
                    f"Version {form.version} of the form '{form.id}' is already installed "
                    "with different questions. A stored form is never changed: give the "
                    "changed form a new version number (and say in 'changes_from' what "
                    "changed), then install it again.")
            if existing is None:
                self._check_successor(form, stored)
            new_form = existing is None
            if new_form:
                stored_forms.store_form(conn, form, self._ctx.user.id)
            published = self._publish_models(s, instrument.models)
            newest = max([*stored, form.version], key=version_key)
            in_force_sha = sha if newest == form.version else stored[newest].sha256
            row = s.get(InstrumentRow, instrument.id)
            routing = instrument.texts.get("routing.yaml", "")
            manifest = instrument.manifest
            if row is None:
                row = InstrumentRow(id=instrument.id, form_sha256=in_force_sha)
                s.add(row)
            row.title = instrument.title
            row.form_sha256 = in_force_sha
            row.owner = str(manifest.owner)[:200]
            row.approved_by = str(manifest.approved_by)[:200]
            row.routing_yaml = routing
            row.readme = instrument.readme
            row.in_force = True
            row.installed_by = self._ctx.user.id
            row.installed_at = utc_now()
            s.flush()
            self._ctx.audit(s, "instrument_install", f"instrument:{instrument.id}",
                            {"form_version": form.version, "form": sha[:12],
                             "new_form_version": new_form, "models": list(published),
                             "routing": bool(routing)})
            info = self._info(s, row)
        return InstallResult(info, new_form, published)

    def install_folder(self, folder: Path) -> InstallResult:
        """Check an instrument folder as ``riskscreen validate DIR`` does, then install it;
        :class:`InstrumentRefused` with every ``FILE:LINE`` problem if it is not valid."""
        from riskscreen.definitions import DefinitionError
        from riskscreen.instruments import load_instrument

        self._ctx.require(*INSTALL_ROLES)
        try:
            instrument = load_instrument(folder)
        except DefinitionError as error:
            raise InstrumentRefused([p.format() for p in error.problems]) from None
        return self.install(instrument)

    def _check_successor(self, form: FormDefinition,
                         stored: Mapping[str, FormRow]) -> None:
        """A new version must say what became of the earlier version's questions."""
        earlier = [v for v in stored if version_key(v) < version_key(form.version)]
        if not earlier:
            return
        previous_version = max(earlier, key=version_key)
        previous = parse_stored_form(stored[previous_version].canonical_json,
                                     stored[previous_version].sha256)
        change = form.changes_from
        if change is not None and change.version not in stored:
            raise InstrumentRefused([
                f"form.yaml: 'changes_from' names version {change.version}, which is not "
                f"installed (installed: {', '.join(sorted(stored, key=version_key))}) (hint: name "
                f"the version this one replaces, {previous_version})"])
        if change is not None and change.version != previous_version:
            return  # a step from an older version; the versions in between say the rest
        renamed = dict(change.renamed) if change is not None else {}
        removed = set(change.removed) if change is not None else set()
        asked = form.question_index()
        gone = [q.id for q in previous.questions()
                if q.id not in asked and q.id not in renamed and q.id not in removed]
        if gone:
            raise InstrumentRefused([
                f"form.yaml: version {form.version} no longer asks '{gone[0]}'"
                + (f" and {len(gone) - 1} more question(s)" if len(gone) > 1 else "")
                + f" of version {previous_version} (hint: add 'changes_from:' with "
                f"'version: \"{previous_version}\"' and list each under 'renamed:' (old id: "
                "new id) or 'removed:')"])

    def _publish_models(self, s: Any, models: Sequence[ScoringModel]) -> tuple[str, ...]:
        published: list[str] = []
        for model in models:
            row = s.scalar(select(ScoringModelRow).where(
                ScoringModelRow.model_id == model.id, ScoringModelRow.version == model.version))
            if row is not None:
                if row.sha256 != model.sha256:
                    raise ServiceError(
                        f"The scoring model {model.id} {model.version} is already published "
                        "with other content. A published model is never changed: give the "
                        "changed model a new version number.")
                continue
            self._models.publish_in(s, model, source="instrument")
            published.append(f"{model.id} {model.version}")
        return tuple(published)


def routing_for(s: OrmSession, form_id: str) -> RoutingTable:
    """The routing of a form's screenings, inside transaction ``s``: the contacts an
    administrator saved when they are for that form, else the routing installed with its
    instrument, else the routing shipped with it."""
    from riskscreen.routing import load_routing
    from riskscreen.store.models import Meta

    saved = s.get(Meta, "setting.routing_yaml")
    if saved is not None and saved.value:
        table = _parsed_routing(saved.value, "routing (settings)")
        if table.form == form_id:
            return table
    row = s.get(InstrumentRow, form_id)
    if row is not None and row.routing_yaml:
        return _parsed_routing(row.routing_yaml, f"routing of the instrument {form_id}")
    shipped = load_routing()
    if shipped.form == form_id:
        return shipped
    from riskscreen.definitions import DefinitionError
    from riskscreen.instruments import load_instrument

    try:
        return load_instrument(form_id).routing
    except DefinitionError:
        raise ServiceError(f"The instrument '{form_id}' has no routing table in this "
                           "database; install it again with its routing.yaml.") from None


@lru_cache(maxsize=16)
def _parsed_routing(text: str, name: str) -> RoutingTable:
    from riskscreen.routing.loader import parse_routing

    return parse_routing(text, name)


def _who(names: Mapping[int, str], user_id: int | None) -> str:
    if user_id is None:
        return "shipped with RiskScreen"
    return names.get(user_id, "?")
