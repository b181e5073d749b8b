"""Intelligence and problem profiling (``session.intel``): persons of concern, places,
vehicles and online accounts linked to the children they concern, graded on the national
3x5x2 model, linked across children, profiled by place and area, and submitted to the
police analyst.

Who sees what:

- a **practitioner** sees the items they recorded, and the items linked to the children they
  work with, except an item whose handling code restricts it (3x5x2 ``C``; 5x5x5 ``4`` or
  ``5``), which only the person who recorded it, analysts and managers see;
- an **analyst** and a **manager** see every item, the links across children and the
  problem profile;
- an **administrator** sees none of it.

Every view of a person of concern (one item, a list, the network, a submission) is written to
the audit log, with item ids only; so is every change, review, deletion and export. Nothing
about a named adult is ever said to be evidence: every screen and print says it is
intelligence (:data:`NOT_EVIDENCE`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session as OrmSession

from riskscreen.crypto.atomic import atomic_write
from riskscreen.dates import iso, moment, show_date
from riskscreen.intel.details import DetailsError, check_details, keys_of, label_of
from riskscreen.intel.grading import Grade, GradeError, parse_grade
from riskscreen.intel.matching import MatchRecord, Network, area_key, build_network
from riskscreen.intel.profile import PlaceLinks, ProfileRow, build_profile
from riskscreen.intel.retention import ITEM_KINDS, Retention, load_retention
from riskscreen.services.errors import NotFound, PermissionDenied, ServiceError
from riskscreen.services.followup_base import own_children
from riskscreen.services.types import ItemKind, PackageKind, Role, UserInfo
from riskscreen.store.models import (
    Child,
    IntelItem,
    IntelKey,
    IntelLink,
    IntelSubmission,
    IntelSubmissionItem,
    Screening,
    User,
    utc_now,
)

if TYPE_CHECKING:
    from riskscreen.services.context import Context
    from riskscreen.services.exchange import ExchangeManager

__all__ = [
    "ANALYSIS_ROLES",
    "INTEL_ROLES",
    "NOT_EVIDENCE",
    "NOT_EVIDENCE_SHORT",
    "IntelManager",
    "IntelNetwork",
    "ItemInfo",
    "LinkInfo",
    "NetworkEdge",
    "NetworkNode",
    "ReceivedIntelligence",
    "SubmissionInfo",
]

#: Said on every screen and every page that shows an item about a named adult.
NOT_EVIDENCE = ("INTELLIGENCE, NOT EVIDENCE: this is information graded for its reliability, "
                "not proven fact. Do not use it as evidence or share it beyond its handling "
                "code.")
#: Its first words, where a panel about a child lists items inside another page.
NOT_EVIDENCE_SHORT = "INTELLIGENCE, NOT EVIDENCE: graded for its reliability, not proven fact."
#: Roles that record and see intelligence (an administrator sees none of it).
INTEL_ROLES = (Role.PRACTITIONER, Role.MANAGER, Role.ANALYST)
#: Roles that see every item, the network and the problem profile, and review retention.
ANALYSIS_ROLES = (Role.ANALYST, Role.MANAGER)
#: Level ids listed first in a profile, highest concern first (others follow, sorted).
LEVEL_ORDER = ("high", "medium", "low", "none")
#: The ``format`` of the structured items an intelligence package carries.
INTEL_FORMAT = "riskscreen-intelligence"
TEXT_LIMIT = 4000
SOURCE_LIMIT = 300
CONDITIONS_LIMIT = 1000


@dataclass(frozen=True)
class LinkInfo:
    """An item linked to a child: the source and the date it was seen."""

    id: int
    item_id: int
    child_id: int
    child_name: str
    source: str
    seen_on: date
    linked_by: str


@dataclass(frozen=True)
class ItemInfo:
    """An intelligence item as this account may see it.

    ``links`` are the links to children this account may see; ``other_children`` counts the
    children it is also linked to that this account does not work with.
    """

    id: int
    kind: ItemKind
    label: str
    text: str
    details: Mapping[str, Any]
    grade: Grade
    handling_conditions: str
    entered_by: str
    created_at: datetime
    updated_at: datetime
    review_due: date
    links: tuple[LinkInfo, ...]
    other_children: int
    #: Whether this account may change it (the person who recorded it, analysts, managers).
    may_change: bool = False

    @property
    def restricted(self) -> bool:
        """Whether its handling code restricts who may see it."""
        return self.grade.restricted

    @property
    def person_of_concern(self) -> bool:
        """Whether it is about a person of concern (a named or described adult)."""
        return self.kind == ItemKind.PERSON

    def due(self, today: date) -> bool:
        """Whether its retention period has ended (due for review or deletion)."""
        return self.review_due <= today


@dataclass(frozen=True)
class NetworkNode:
    """A child or an entity (records taken to be one person, place, vehicle or account)."""

    id: str  # "child:12" or "entity:3"
    kind: str  # child, person, place, vehicle, online
    label: str
    #: For a child: how many entities link them to others; for an entity: how many children.
    count: int
    item_ids: tuple[int, ...] = ()
    child_id: int | None = None


@dataclass(frozen=True)
class NetworkEdge:
    """A child linked to an entity (``strength`` ``shared``), or two person entities that
    share only a name or nickname (``possible``)."""

    source: str
    target: str
    strength: str
    first_seen: date | None = None
    last_seen: date | None = None


@dataclass(frozen=True)
class IntelNetwork:
    """Who is connected to whom: nodes, edges, counts and the matching behind them."""

    nodes: tuple[NetworkNode, ...]
    edges: tuple[NetworkEdge, ...]
    matching: Network
    #: ``children_linked``, ``shared_entities``, ``child_pairs``, ``possible_links``, ``items``.
    counts: Mapping[str, int]

    def pairs(self) -> dict[tuple[int, int], tuple[int, ...]]:
        """Each pair of linked children and the entities linking them."""
        return self.matching.pairs()


@dataclass(frozen=True)
class ReceivedIntelligence:
    """An intelligence package received here: who sent it and the items it carried, as the
    sender graded them (read-only)."""

    id: int
    reference: str
    sender: str
    sender_fingerprint: str
    received_at: datetime
    notice: str
    items: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class SubmissionInfo:
    """A submission to the police analyst, recorded as sent."""

    id: int
    reference: str
    form: str  # pdf, package
    recipient: str
    path: Path | None
    package_id: str | None
    item_ids: tuple[int, ...]
    sent_at: datetime
    made_by: str


def _clean(value: str, limit: int, what: str) -> str:
    text = value.strip()
    if len(text) > limit:
        raise ServiceError(f"Not saved: {what} is longer than {limit} characters. Shorten it "
                           "and try again.")
    return text


def _day(value: date | str | None, what: str, default: date) -> date:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ServiceError(f"Write {what} as YYYY-MM-DD, for example 2026-03-01.") from None


def _grade(value: Grade | str, allow_legacy: bool) -> Grade:
    if isinstance(value, Grade):
        if value.legacy and not allow_legacy:
            raise ServiceError("New items are graded 3x5x2; a 5x5x5 grade is kept only for "
                               "older records.")
        return value
    try:
        return parse_grade(value, allow_legacy=allow_legacy)
    except GradeError as error:
        raise ServiceError(str(error)) from None


def _grade_of(row: IntelItem) -> Grade:
    return Grade(row.grading_scheme,  # type: ignore[arg-type]  # stored by this module
                 row.source_evaluation, row.intelligence_assessment, row.handling_code)


class IntelManager:
    """Intelligence items of one signed-in session: record, link, see, analyse, submit."""

    def __init__(self, ctx: Context, exchange: ExchangeManager | None = None, *,
                 today: Callable[[], date] = date.today,
                 retention: Retention | None = None) -> None:
        self._ctx = ctx
        self._exchange = exchange
        self._today = today
        self._retention = retention or load_retention()

    # -- who may do what -----------------------------------------------------------------------

    @property
    def _user(self) -> UserInfo:
        return self._ctx.user

    def _sees_all(self) -> bool:
        return self._user.role in ANALYSIS_ROLES

    def _visible(self) -> Any:
        """A condition on :class:`IntelItem`: the items this account may see."""
        user = self._user
        if self._sees_all():
            return IntelItem.id.is_not(None)
        # One list of the items linked to this account's children (links joined to
        # children once), not a look through the links for every item: SQLite answered the
        # correlated form by re-reading the practitioner's children for each row.
        linked = (select(IntelLink.item_id)
                  .join(Child, Child.id == IntelLink.child_id)
                  .where(own_children(user)))
        return or_(IntelItem.entered_by == user.id,
                   IntelItem.restricted.is_(False) & IntelItem.id.in_(linked))

    def _may_change(self, row: IntelItem) -> bool:
        """The person who recorded an item, analysts and managers may change it."""
        return row.entered_by == self._user.id or self._sees_all()

    def _child_ids_seen(self, s: OrmSession) -> set[int] | None:
        """The children whose links this account sees (None: every child)."""
        if self._sees_all():
            return None
        return set(s.scalars(select(Child.id).where(own_children(self._user))))

    def _child(self, s: OrmSession, child_id: int) -> Child:
        child = s.get(Child, child_id)
        if child is None:
            raise NotFound(f"There is no child record {child_id}; check the number.")
        if not self._sees_all() and s.scalar(
                select(Child.id).where(Child.id == child_id, own_children(self._user))) is None:
            raise PermissionDenied("This child is not one of yours: only the practitioner who "
                                   "recorded or screened the child, an analyst or a manager "
                                   "can link intelligence to them.")
        return child

    def _item(self, s: OrmSession, item_id: int) -> IntelItem:
        row = s.scalar(select(IntelItem).where(IntelItem.id == item_id, self._visible()))
        if row is None:
            # Whether it exists is not said: an item this account may not see stays unseen.
            raise NotFound(f"There is no intelligence item {item_id} that you may see; check "
                           "the number.")
        return row

    # -- recording -----------------------------------------------------------------------------

    def add(self, kind: str, child_id: int, grade: Grade | str, *, text: str = "",
            details: Mapping[str, Any] | None = None, source: str = "",
            seen_on: date | str | None = None, handling_conditions: str = "",
            allow_legacy: bool = False) -> ItemInfo:
        """Record an item about ``child_id`` (the first link) and return it.

        ``grade`` is ``S/I/H`` on the 3x5x2 scale (``allow_legacy`` accepts a 5x5x5 grade,
        for an older record being entered); a restrictive handling code (``C``) needs its
        ``handling_conditions``. ``seen_on`` defaults to today and may not be in the future.
        """
        self._ctx.require(*INTEL_ROLES)
        graded = _grade(grade, allow_legacy)
        checked = self._details(kind, details)
        body = _clean(text, TEXT_LIMIT, "the text")
        conditions = self._conditions(graded, handling_conditions)
        if not body and not any(v for v in checked.model_dump().values()):
            raise ServiceError("Say what the item is: give its text or at least one detail.")
        seen = self._seen(seen_on)
        origin = _clean(source, SOURCE_LIMIT, "the source")
        today = self._today()
        with self._ctx.transaction() as s:
            self._child(s, child_id)
            row = IntelItem(kind=kind, text=body, details=_json(checked.model_dump()),
                            grading_scheme=graded.scheme, source_evaluation=graded.source,
                            intelligence_assessment=graded.intelligence,
                            handling_code=graded.handling, handling_conditions=conditions,
                            restricted=graded.restricted, entered_by=self._user.id,
                            review_due=self._retention.due(kind, today).isoformat())
            s.add(row)
            s.flush()
            self._set_keys(s, row)
            s.add(IntelLink(item_id=row.id, child_id=child_id, source=origin,
                            seen_on=seen.isoformat(), linked_by=self._user.id))
            s.flush()
            self._ctx.audit(s, "intel_add", f"intel:{row.id}",
                            {"kind": kind, "child": child_id, "grade": graded.text,
                             "scheme": graded.scheme})
            return self._info(s, row)

    def edit(self, item_id: int, *, text: str | None = None,
             details: Mapping[str, Any] | None = None, grade: Grade | str | None = None,
             handling_conditions: str | None = None) -> ItemInfo:
        """Change an item's text, details, grade or handling conditions (the person who
        recorded it, an analyst or a manager). A legacy grade stays legacy only if unchanged."""
        self._ctx.require(*INTEL_ROLES)
        with self._ctx.transaction() as s:
            row = self._item(s, item_id)
            if not self._may_change(row):
                raise PermissionDenied("Only the person who recorded this item, an analyst or "
                                       "a manager can change it.")
            changed: list[str] = []
            graded = _grade_of(row) if grade is None else _grade(grade, False)
            if grade is not None and graded != _grade_of(row):
                row.grading_scheme, row.source_evaluation = graded.scheme, graded.source
                row.intelligence_assessment = graded.intelligence
                row.handling_code, row.restricted = graded.handling, graded.restricted
                changed.append("grade")
            if text is not None:
                row.text = _clean(text, TEXT_LIMIT, "the text")
                changed.append("text")
            if details is not None:
                row.details = _json(self._details(row.kind, details).model_dump())
                changed.append("details")
            conditions = row.handling_conditions if handling_conditions is None else (
                handling_conditions)
            new_conditions = self._conditions(graded, conditions)
            if new_conditions != row.handling_conditions:
                row.handling_conditions = new_conditions
                changed.append("handling_conditions")
            if not changed:
                return self._info(s, row)
            row.updated_at = utc_now()
            self._set_keys(s, row)
            self._ctx.audit(s, "intel_edit", f"intel:{row.id}",
                            {"changed": changed, "grade": graded.text})
            return self._info(s, row)

    def link(self, item_id: int, child_id: int, *, source: str = "",
             seen_on: date | str | None = None) -> LinkInfo:
        """Link an item to another child it concerns (or the same child seen again)."""
        self._ctx.require(*INTEL_ROLES)
        seen = self._seen(seen_on)
        origin = _clean(source, SOURCE_LIMIT, "the source")
        with self._ctx.transaction() as s:
            row = self._item(s, item_id)
            child = self._child(s, child_id)
            if s.scalar(select(IntelLink.id).where(
                    IntelLink.item_id == item_id, IntelLink.child_id == child_id,
                    IntelLink.seen_on == seen.isoformat())) is not None:
                raise ServiceError(f"Item {item_id} is already linked to child {child_id} as "
                                   f"seen on {show_date(seen)}.")
            link = IntelLink(item_id=row.id, child_id=child_id, source=origin,
                             seen_on=seen.isoformat(), linked_by=self._user.id)
            s.add(link)
            s.flush()
            self._ctx.audit(s, "intel_link", f"intel:{row.id}",
                            {"child": child_id, "seen_on": seen.isoformat()})
            return LinkInfo(link.id, row.id, child_id, child.name, origin, seen,
                            self._user.name)

    # -- seeing --------------------------------------------------------------------------------

    def get(self, item_id: int) -> ItemInfo:
        """One item this account may see (a view of a person of concern is audited)."""
        self._ctx.require(*INTEL_ROLES)
        with self._ctx.transaction() as s:
            row = self._item(s, item_id)
            info = self._info(s, row)
            if row.kind == ItemKind.PERSON:
                self._ctx.audit(s, "intel_view", f"intel:{row.id}", {"kind": ItemKind.PERSON})
            return info

    def items(self, *, kind: str | None = None, child_id: int | None = None,
             due_only: bool = False) -> list[ItemInfo]:
        """The items this account may see, newest first; of one kind, linked to one child,
        or only those due for review. The persons of concern listed are audited as viewed."""
        self._ctx.require(*INTEL_ROLES)
        if kind is not None and kind not in ITEM_KINDS:
            raise ServiceError(f"Unknown kind {kind!r}; use person, place, vehicle or online.")
        with self._ctx.transaction() as s:
            query = select(IntelItem).where(self._visible())
            if kind is not None:
                query = query.where(IntelItem.kind == kind)
            if child_id is not None:
                query = query.where(IntelItem.id.in_(
                    select(IntelLink.item_id).where(IntelLink.child_id == child_id)))
            if due_only:
                query = query.where(IntelItem.review_due <= self._today().isoformat())
            rows = list(s.scalars(query.order_by(IntelItem.id.desc())))
            infos = [self._info(s, r) for r in rows]
            self._audit_persons(s, "intel_list", infos)
            return infos

    def for_child(self, child_id: int) -> list[ItemInfo]:
        """The items linked to one child that this account may see."""
        return self.items(child_id=child_id)

    def _audit_persons(self, s: OrmSession, action: str, infos: Iterable[ItemInfo],
                       **detail: Any) -> None:
        persons = [i.id for i in infos if i.person_of_concern]
        if persons or detail:
            self._ctx.audit(s, action, "intel", {"persons": persons, **detail})

    # -- links across children and the problem profile -----------------------------------------

    def network(self) -> IntelNetwork:
        """Which children are linked by a shared person, place, vehicle or account (analysts
        and managers; audited as a view of every person of concern in it)."""
        self._ctx.require(*ANALYSIS_ROLES)
        with self._ctx.transaction() as s:
            rows = list(s.scalars(select(IntelItem).order_by(IntelItem.id)))
            keys = self._keys(s)
            links = self._links(s)
            names = {i: n for i, n in s.execute(select(Child.id, Child.name))}
            records = []
            for r in rows:
                item_keys = keys.get(r.id, set())
                records.append(MatchRecord(
                    r.id, r.kind, self._label(r),
                    frozenset(k for k in item_keys if k[0] != "name"),
                    frozenset(v for k, v in item_keys if k == "name"),
                    frozenset(c for c, _ in links.get(r.id, []))))
            net = build_network(records)
            self._ctx.audit(s, "intel_network", "intel",
                            {"persons": [r.id for r in rows if r.kind == ItemKind.PERSON],
                             "entities": len(net.shared_entities)})
        return _network(net, links, names)

    def profile(self, start: date | str, end: date | str) -> list[ProfileRow]:
        """Places and areas by the number of children linked to them (by the date seen, from
        ``start`` to ``end`` inclusive) and by level of concern (analysts and managers).
        Counts are exact: this is the in-app view; :meth:`profile_export` suppresses."""
        self._ctx.require(*ANALYSIS_ROLES)
        first, last = self._period(start, end)
        with self._ctx.transaction() as s:
            rows = self._profile(s, first, last)
            self._ctx.audit(s, "intel_profile", "intel",
                            {"from": first.isoformat(), "to": last.isoformat()})
            return rows

    def profile_export(self, start: date | str, end: date | str) -> list[dict[str, int | str]]:
        """The problem profile anonymised for sharing: places and areas with counts, each
        count from 1 to 4 shown as ``<5``; no child, id or person in it (audited)."""
        self._ctx.require(*ANALYSIS_ROLES)
        first, last = self._period(start, end)
        with self._ctx.transaction() as s:
            rows = self._profile(s, first, last)
            levels = _levels_in(rows)
            out = [r.exported(levels) for r in rows]
            self._ctx.audit(s, "intel_export", "intel",
                            {"what": "profile", "from": first.isoformat(),
                             "to": last.isoformat(), "rows": len(out)})
            return out

    def write_profile_csv(self, start: date | str, end: date | str, path: Path) -> int:
        """Write :meth:`profile_export` as CSV to ``path``; the number of rows written."""
        rows = self.profile_export(start, end)
        columns = list(dict.fromkeys(k for r in rows for k in r)) or [
            "kind", "place_or_area", "children"]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, restval=0, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write(Path(path), buffer.getvalue().encode("utf-8"))
        return len(rows)

    def _period(self, start: date | str, end: date | str) -> tuple[date, date]:
        first = _day(start, "the start date (--from)", self._today())
        last = _day(end, "the end date (--to)", self._today())
        if last < first:
            raise ServiceError(f"The period ends ({show_date(last)}) before it starts "
                               f"({show_date(first)}); check the dates.")
        return first, last

    def _profile(self, s: OrmSession, first: date, last: date) -> list[ProfileRow]:
        places = list(s.scalars(select(IntelItem).where(IntelItem.kind == ItemKind.PLACE)))
        keys = self._keys(s)
        in_period: dict[int, set[int]] = defaultdict(set)
        for item_id, child_id in s.execute(select(IntelLink.item_id, IntelLink.child_id).where(
                IntelLink.seen_on >= first.isoformat(), IntelLink.seen_on <= last.isoformat(),
                IntelLink.item_id.in_([p.id for p in places]))):
            in_period[item_id].add(child_id)
        records = [MatchRecord(p.id, "place", self._label(p),
                               frozenset(k for k in keys.get(p.id, set()) if k[0] != "name"),
                               children=frozenset(in_period.get(p.id, set())))
                   for p in places]
        entries = [PlaceLinks("place", e.label, frozenset(e.children), e.item_ids)
                   for e in build_network(records).entities]
        areas: dict[str, tuple[str, set[int], list[int]]] = {}
        for p in places:
            area = str(json.loads(p.details or "{}").get("area", "")).strip()
            key = area_key(area)
            if key is None:
                continue
            _, children, ids = areas.setdefault(key, (area, set(), []))
            children |= in_period.get(p.id, set())
            ids.append(p.id)
        entries += [PlaceLinks("area", label, frozenset(children), tuple(ids))
                    for label, children, ids in areas.values()]
        return build_profile(entries, self._levels(s, last), LEVEL_ORDER)

    def _levels(self, s: OrmSession, last: date) -> dict[int, str]:
        """Each child's level of concern: their latest finalised screening up to ``last``."""
        found: dict[int, str] = {}
        for child_id, level in s.execute(
                select(Screening.child_id, Screening.final_level)
                .where(Screening.final_level.is_not(None),
                       Screening.screening_date <= last.isoformat())
                .order_by(Screening.screening_date, Screening.id)):
            found[child_id] = str(level)
        return found

    # -- retention -----------------------------------------------------------------------------

    def due_for_review(self) -> list[ItemInfo]:
        """Items whose retention period has ended (analysts and managers)."""
        self._ctx.require(*ANALYSIS_ROLES)
        return self.items(due_only=True)

    def review(self, item_id: int, reason: str) -> ItemInfo:
        """Keep an item for another retention period, with the reason (analysts and
        managers; audited)."""
        self._ctx.require(*ANALYSIS_ROLES)
        why = _clean(reason, SOURCE_LIMIT, "the reason")
        if not why:
            raise ServiceError("Give the reason for keeping this item.")
        with self._ctx.transaction() as s:
            row = self._item(s, item_id)
            today = self._today()
            row.review_due = self._retention.due(row.kind, today).isoformat()
            row.reviewed_at = utc_now()
            self._ctx.audit(s, "intel_review", f"intel:{row.id}",
                            {"kept_until": row.review_due, "reason": why})
            return self._info(s, row)

    def delete(self, item_id: int, reason: str) -> None:
        """Delete an item with its links and keys (analysts and managers; audited with the
        reason). Submissions already sent keep their record that it was sent."""
        self._ctx.require(*ANALYSIS_ROLES)
        why = _clean(reason, SOURCE_LIMIT, "the reason")
        if not why:
            raise ServiceError("Give the reason for deleting this item.")
        with self._ctx.transaction() as s:
            row = self._item(s, item_id)
            due = row.review_due <= self._today().isoformat()
            s.execute(delete(IntelLink).where(IntelLink.item_id == row.id))
            s.execute(delete(IntelKey).where(IntelKey.item_id == row.id))
            s.delete(row)
            self._ctx.audit(s, "intel_delete", f"intel:{item_id}",
                            {"kind": row.kind, "reason": why, "was_due": due})

    # -- submissions to the police analyst -----------------------------------------------------

    def _submission_items(self, item_ids: Sequence[int]) -> list[ItemInfo]:
        """The items of a submission, checked: each exists and this account may see it."""
        self._ctx.require(*INTEL_ROLES)
        if not item_ids:
            raise ServiceError("Name at least one item to submit.")
        with self._ctx.transaction() as s:
            return [self._info(s, self._item(s, i)) for i in dict.fromkeys(item_ids)]

    def submit_pdf(self, item_ids: Sequence[int], path: Path) -> SubmissionInfo:
        """Write the items as an intelligence submission form (PDF) to ``path`` and record
        the submission as sent."""
        from riskscreen.summary.intel_pdf import SubmissionForm, render_submission

        items = self._submission_items(item_ids)
        reference = self._reference()
        form = SubmissionForm(reference, self._user.display_name or self._user.name,
                              datetime.now(UTC), tuple(_form_item(i) for i in items),
                              NOT_EVIDENCE)
        data = render_submission(form)
        atomic_write(Path(path), data)
        return self._record(reference, "pdf", "", None, items, data, Path(path))

    def submit_package(self, item_ids: Sequence[int], path: Path,
                       recipient: bytes) -> SubmissionInfo:
        """Write the items as an exchange package (:mod:`riskscreen.summary.package`, kind
        ``intelligence``: the structured items and the submission form), signed with this
        database's key and encrypted to the analyst's certificate ``recipient`` (PEM), to
        ``path``; recorded as sent."""
        from riskscreen.summary.intel_pdf import SubmissionForm, render_submission
        from riskscreen.summary.package import PackageContents, build_zip

        if self._exchange is None:
            raise ServiceError("Exchange packages are not available in this session.")
        items = self._submission_items(item_ids)
        reference = self._reference()
        made = datetime.now(UTC)
        form = SubmissionForm(reference, self._user.display_name or self._user.name, made,
                              tuple(_form_item(i) for i in items), NOT_EVIDENCE)
        document = {"format": INTEL_FORMAT, "version": 1, "reference": reference,
                    "made_at": made.strftime("%Y-%m-%dT%H:%M:%SZ"), "notice": NOT_EVIDENCE,
                    "items": [_item_json(i) for i in items]}
        package_id = str(uuid.uuid4())
        content = build_zip(PackageContents(kind=PackageKind.INTELLIGENCE, package_id=package_id,
                                            bundle=document,
                                            summary_pdf=render_submission(form)))
        data, name, fp = self._exchange.seal_for(content, recipient)
        atomic_write(Path(path), data)
        return self._record(reference, "package", f"{name} ({fp})"[:200], package_id, items,
                            data, Path(path))

    def received(self) -> list[ReceivedIntelligence]:
        """Intelligence packages received here, newest first (a practitioner: those they
        imported). Audited as a view of the persons of concern they carry."""
        from riskscreen.store.models import ReceivedPackage
        from riskscreen.summary.package import PackageFormatError, read_zip

        self._ctx.require(*INTEL_ROLES)
        with self._ctx.transaction() as s:
            query = select(ReceivedPackage).where(ReceivedPackage.kind == PackageKind.INTELLIGENCE)
            if not self._sees_all():
                query = query.where(ReceivedPackage.received_by == self._user.id)
            out: list[ReceivedIntelligence] = []
            for row in s.scalars(query.order_by(ReceivedPackage.id.desc())):
                try:
                    doc = read_zip(bytes(row.content)).bundle
                except PackageFormatError:
                    doc = {}
                raw = doc.get("items")
                items = tuple(i for i in raw if isinstance(i, dict)) if isinstance(
                    raw, list) else ()
                out.append(ReceivedIntelligence(
                    row.id, row.reference, row.sender_name, row.sender_fingerprint,
                    moment(row.received_at), str(doc.get("notice", NOT_EVIDENCE)), items))
            if out:
                self._ctx.audit(s, "intel_received_view", "intel",
                                {"packages": [r.id for r in out]})
            return out

    def submissions(self) -> list[SubmissionInfo]:
        """Submissions made (a practitioner: their own), newest first."""
        self._ctx.require(*INTEL_ROLES)
        with self._ctx.transaction() as s:
            query = select(IntelSubmission, User.name).join(User,
                                                            User.id == IntelSubmission.made_by)
            if not self._sees_all():
                query = query.where(IntelSubmission.made_by == self._user.id)
            out = []
            for sub, who in s.execute(query.order_by(IntelSubmission.id.desc())):
                ids = tuple(s.scalars(select(IntelSubmissionItem.item_id).where(
                    IntelSubmissionItem.submission_id == sub.id)
                    .order_by(IntelSubmissionItem.item_id)))
                out.append(SubmissionInfo(sub.id, sub.reference, sub.form, sub.recipient, None,
                                          sub.package_id, ids, moment(sub.sent_at), who))
            return out

    def _reference(self) -> str:
        return f"INT-{self._today():%Y%m%d}-{uuid.uuid4().hex[:6].upper()}"

    def _record(self, reference: str, form: str, recipient: str, package_id: str | None,
                items: Sequence[ItemInfo], data: bytes, path: Path) -> SubmissionInfo:
        with self._ctx.transaction() as s:
            row = IntelSubmission(reference=reference, form=form, recipient=recipient,
                                  package_id=package_id,
                                  sha256=hashlib.sha256(data).hexdigest(),
                                  made_by=self._user.id)
            s.add(row)
            s.flush()
            for i in items:
                s.add(IntelSubmissionItem(submission_id=row.id, item_id=i.id,
                                          grade=i.grade.text))
            self._ctx.audit(s, "intel_submit", f"intel_submission:{row.id}",
                            {"form": form, "items": [i.id for i in items],
                             "persons": [i.id for i in items if i.person_of_concern],
                             "package_id": package_id})
            return SubmissionInfo(row.id, reference, form, recipient, path, package_id,
                                  tuple(i.id for i in items), moment(row.sent_at),
                                  self._user.name)

    # -- internals -----------------------------------------------------------------------------

    def _details(self, kind: str, details: Mapping[str, Any] | None) -> Any:
        if kind not in ITEM_KINDS:
            raise ServiceError(f"Unknown kind {kind!r}; use person, place, vehicle or online.")
        try:
            return check_details(kind, dict(details or {}))
        except DetailsError as error:
            raise ServiceError(str(error)) from None

    def _conditions(self, grade: Grade, text: str) -> str:
        conditions = _clean(text, CONDITIONS_LIMIT, "the handling conditions")
        if grade.scheme == "3x5x2" and grade.handling == "C" and not conditions:
            raise ServiceError("Handling code C means sharing with conditions: say what the "
                               "conditions are (handling conditions).")
        return conditions

    def _seen(self, seen_on: date | str | None) -> date:
        today = self._today()
        seen = _day(seen_on, "the date seen", today)
        if seen > today:
            raise ServiceError(f"The date seen ({show_date(seen)}) is in the future; check it.")
        return seen

    def _set_keys(self, s: OrmSession, row: IntelItem) -> None:
        s.execute(delete(IntelKey).where(IntelKey.item_id == row.id))
        details = check_details(row.kind, json.loads(row.details or "{}"))
        for key_kind, value in sorted(keys_of(row.kind, details, row.text)):
            s.add(IntelKey(item_id=row.id, key_kind=key_kind, value=value))

    def _keys(self, s: OrmSession) -> dict[int, set[tuple[str, str]]]:
        found: dict[int, set[tuple[str, str]]] = defaultdict(set)
        for item_id, kind, value in s.execute(
                select(IntelKey.item_id, IntelKey.key_kind, IntelKey.value)):
            found[item_id].add((kind, value))
        return found

    def _links(self, s: OrmSession) -> dict[int, list[tuple[int, str]]]:
        found: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for item_id, child_id, seen in s.execute(
                select(IntelLink.item_id, IntelLink.child_id, IntelLink.seen_on)):
            found[item_id].append((child_id, seen))
        return found

    def _label(self, row: IntelItem) -> str:
        return label_of(row.kind, check_details(row.kind, json.loads(row.details or "{}")),
                        row.text)

    def _info(self, s: OrmSession, row: IntelItem) -> ItemInfo:
        seen_children = self._child_ids_seen(s)
        links: list[LinkInfo] = []
        hidden: set[int] = set()
        for link, child_name, who in s.execute(
                select(IntelLink, Child.name, User.name)
                .join(Child, Child.id == IntelLink.child_id)
                .join(User, User.id == IntelLink.linked_by)
                .where(IntelLink.item_id == row.id)
                .order_by(IntelLink.seen_on, IntelLink.id)):
            if seen_children is not None and link.child_id not in seen_children:
                hidden.add(link.child_id)
                continue
            links.append(LinkInfo(link.id, row.id, link.child_id, child_name, link.source,
                                  date.fromisoformat(link.seen_on), who))
        entered = s.scalar(select(User.name).where(User.id == row.entered_by)) or "?"
        details = json.loads(row.details or "{}")
        return ItemInfo(row.id, ItemKind(row.kind), self._label(row), row.text, details,
                        _grade_of(row), row.handling_conditions, entered, moment(row.created_at),
                        moment(row.updated_at),
                        date.fromisoformat(row.review_due), tuple(links),
                        len(hidden - {lk.child_id for lk in links}), self._may_change(row))


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps({k: v for k, v in value.items() if v not in ("", [], None)},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _levels_in(rows: Iterable[ProfileRow]) -> list[str]:
    seen = list(dict.fromkeys(lv for r in rows for lv, _ in r.by_level))
    ordered = [lv for lv in (*LEVEL_ORDER,) if lv in seen]
    return ordered + [lv for lv in seen if lv not in ordered]


def _network(net: Network, links: Mapping[int, list[tuple[int, str]]],
             names: Mapping[int, str]) -> IntelNetwork:
    """Nodes and edges of the entities that link two or more children."""
    shared = net.shared_entities
    nodes: list[NetworkNode] = []
    edges: list[NetworkEdge] = []
    per_child: dict[int, int] = defaultdict(int)
    for e in shared:
        nodes.append(NetworkNode(f"entity:{e.id}", e.kind, e.label, len(e.children),
                                 e.item_ids))
        for child in e.children:
            per_child[child] += 1
            seen = sorted(date.fromisoformat(d) for i in e.item_ids
                          for c, d in links.get(i, []) if c == child)
            edges.append(NetworkEdge(f"child:{child}", f"entity:{e.id}", "shared",
                                     seen[0] if seen else None, seen[-1] if seen else None))
    shared_ids = {e.id for e in shared}
    possible = [p for p in net.possible if set(p.entities) & shared_ids]
    for p in possible:
        for entity_id in p.entities:
            if entity_id not in shared_ids:
                e = net.entities[entity_id - 1]
                shared_ids.add(entity_id)
                nodes.append(NetworkNode(f"entity:{e.id}", e.kind, e.label, len(e.children),
                                         e.item_ids))
                for child in e.children:
                    per_child.setdefault(child, 0)
                    edges.append(NetworkEdge(f"child:{child}", f"entity:{e.id}", "shared"))
        edges.append(NetworkEdge(f"entity:{p.entities[0]}", f"entity:{p.entities[1]}",
                                 "possible"))
    children = [NetworkNode(f"child:{c}", "child", names.get(c, f"Child {c}"), n, child_id=c)
                for c, n in sorted(per_child.items())]
    counts = {"children_linked": len(net.linked_children),
              "shared_entities": len(shared), "child_pairs": len(net.pairs()),
              "possible_links": len(possible),
              "items": sum(len(e.item_ids) for e in net.entities)}
    return IntelNetwork(tuple(children + nodes), tuple(edges), net, counts)


def _item_json(i: ItemInfo) -> dict[str, Any]:
    """An item as an intelligence package carries it."""
    return {"id": i.id, "kind": i.kind, "label": i.label, "text": i.text,
            "details": dict(i.details), "grading": {
                "scheme": i.grade.scheme, "source_evaluation": i.grade.source,
                "intelligence_assessment": i.grade.intelligence,
                "handling_code": i.grade.handling, "text": i.grade.text},
            "handling_conditions": i.handling_conditions, "recorded_by": i.entered_by,
            "recorded_at": iso(i.created_at),
            "children": [{"local_id": lk.child_id, "name": lk.child_name,
                          "source": lk.source, "seen_on": lk.seen_on.isoformat()}
                         for lk in i.links]}


def _form_item(i: ItemInfo) -> Any:
    from riskscreen.summary.intel_pdf import FormItem

    facts = [(k.replace("_", " ").capitalize(),
              ", ".join(map(str, v)) if isinstance(v, list) else str(v))
             for k, v in i.details.items() if v not in ("", [], None)]
    return FormItem(i.id, i.kind, i.label, i.text, tuple(facts), i.grade,
                    i.handling_conditions, i.entered_by, i.created_at.date(),
                    tuple((lk.child_name, lk.child_id, lk.source, lk.seen_on)
                          for lk in i.links))


