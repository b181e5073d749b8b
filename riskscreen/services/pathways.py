"""Pathway reports for managers: what happened after the screenings, as anonymised counts.

Referrals by route and by decision; time to the receiving team's decision against the route's
deadline; reviews done on time; missing episodes with a Return Home Interview within 72 hours;
levels at re-screening after each kind of intervention; outcomes (and answers to
"exploitation confirmed?") by the child's first level. Every figure is a count of referrals,
screenings, episodes or children, never a name, date of birth or free text; counts from 1 to
4 are suppressed (``<5``) when shown or exported. The tables reuse the managers' report
(:class:`~riskscreen.services.reports.Report`), so CSV and PDF export work the same way.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import inspect, text

from riskscreen.crypto.atomic import atomic_write
from riskscreen.dates import moment
from riskscreen.routing.outcomes import load_outcomes
from riskscreen.services.context import Context
from riskscreen.services.reports import SUPPRESS_BELOW, Report, ReportTable, render_report_pdf
from riskscreen.services.types import ReferralDecision, RhiStatus, Role, Status, StepKind
from riskscreen.store.models import UtcStamp

__all__ = ["PATHWAY_TITLE", "PathwayReports"]

PATHWAY_TITLE = "CSE pathway report"
_RHI_HOURS = 72
#: The steps that say what became of a referral, as SQL text ('outcome', ...).
_DECIDING_STEPS = ", ".join(f"'{k}'" for k in (StepKind.OUTCOME, StepKind.CONFIRMATION,
                                                StepKind.ACCEPTED, StepKind.DECLINED))


@dataclass(frozen=True)
class _Level:
    name: str
    rank: int


def _levels() -> dict[str, _Level]:
    """Level id -> name and rank, from the scoring model in force (shipped)."""
    from riskscreen.scoring.loader import load_model

    model = load_model("cse-screening")
    return {lv.id: _Level(lv.name, i) for i, lv in enumerate(model.levels)}


def _working_days(start: str, end: str) -> int:
    """Working days (Monday to Friday) from one stored time to another (UTC days)."""
    return int(np.busday_count(moment(start).date(), moment(end).date()))


class PathwayReports:
    """The pathway report of one signed-in session (managers only): ``session.pathways``."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def build(self, since: date | None = None, until: date | None = None,
              today: date | None = None) -> Report:
        """Every table, for screenings dated in the period (all when no dates), as on
        ``today`` (default: today) for what is overdue."""
        self._ctx.require(Role.MANAGER)
        today = today or date.today()
        clauses, params = [], {}
        if since is not None:
            clauses.append("s.screening_date >= :since")
            params["since"] = since.isoformat()
        if until is not None:
            clauses.append("s.screening_date <= :until")
            params["until"] = until.isoformat()
        where = (" AND " + " AND ".join(clauses)) if clauses else ""
        with self._ctx.transaction() as s:
            referrals = s.execute(text(
                "SELECT r.id, r.screening_id, r.child_id, r.decision, r.status, r.level, "  # noqa: S608 - fixed text; bound values
                "r.pathway, r.destination_name, r.send_within_days, r.decision_within_days, "
                "r.decision_due, "
                "r.sent_at, r.decided_at, s.screening_date FROM referrals r "
                "JOIN screenings s ON s.id = r.screening_id WHERE 1 = 1" + where
                + " ORDER BY s.screening_date, r.id").columns(sent_at=UtcStamp,
                                                               decided_at=UtcStamp),
                params).all()
            steps = s.execute(text(
                "SELECT referral_id, kind, outcome_id, answer, at FROM referral_steps "  # noqa: S608 - fixed text
                f"WHERE kind IN ({_DECIDING_STEPS}) "
                "ORDER BY at, id").columns(at=UtcStamp)).all()
            screenings = s.execute(text(
                "SELECT s.id, s.child_id, s.screening_date, s.final_level FROM screenings s "  # noqa: S608 - fixed text; bound values
                f"WHERE s.status = '{Status.FINAL}'" + where + " ORDER BY s.child_id, "
                "s.screening_date, s.id"), params).all()
            tables = set(inspect(s.connection()).get_table_names())
            reviews = (s.execute(text(
                "SELECT v.screening_id, v.review_date, s.child_id, s.screening_date "
                "FROM screening_reviews v JOIN screenings s ON s.id = v.screening_id "
                "WHERE 1 = 1" + where), params).all()
                if "screening_reviews" in tables else None)
            episodes = (s.execute(text(
                "SELECT missing_from, returned_at, rhi_status, rhi_at FROM missing_episodes"))
                .all() if "missing_episodes" in tables else None)
            self._ctx.audit(s, "report", "referrals", {"referrals": len(referrals)})
        levels = _levels()
        report = Report(len(referrals), since, until, title=PATHWAY_TITLE,
                        total_label="Referral records")
        by_referral: dict[int, list[Any]] = defaultdict(list)
        for step in steps:
            by_referral[int(step[0])].append(step)
        report.tables += self._routes(referrals, by_referral)
        report.tables.append(self._decision_times(referrals, today))
        report.tables.append(self._reviews(reviews, screenings, today))
        report.tables.append(self._episodes(episodes, today))
        report.tables += self._rescreens(referrals, by_referral, screenings, levels)
        report.tables += self._by_first_level(referrals, by_referral, screenings, levels)
        return report

    # -- the tables ----------------------------------------------------------------------------

    @staticmethod
    def _routes(referrals: Sequence[Any], steps: Mapping[int, Sequence[Any]]) -> list[ReportTable]:
        by_route: Counter[str] = Counter()
        by_decision: Counter[str] = Counter()
        for r in referrals:
            by_route[f"{r.pathway}: {r.destination_name}"] += 1
            kinds = {st.kind for st in steps.get(int(r.id), [])}
            if r.decision == ReferralDecision.NOT_REFER:
                # A route that makes no referral sets no deadline to send by.
                label = ("not referred: the practitioner's decision"
                         if r.send_within_days is not None
                         else "not referred: the route makes no referral")
            elif StepKind.ACCEPTED in kinds:
                label = "referred: accepted"
            elif StepKind.DECLINED in kinds:
                label = "referred: declined"
            elif r.sent_at is not None:
                label = "referred: sent, no decision yet"
            else:
                label = "referred: not sent yet"
            by_decision[label] += 1
        order = ("referred: not sent yet", "referred: sent, no decision yet",
                 "referred: accepted", "referred: declined",
                 "not referred: the practitioner's decision",
                 "not referred: the route makes no referral")
        return [
            ReportTable("Referrals by route", sorted(by_route.items()),
                        "Pathway and destination the route chose at finalising."),
            ReportTable("Referrals by decision", [(k, by_decision[k]) for k in order],
                        "Whether a referral was made, and the receiving team's decision."),
        ]

    @staticmethod
    def _decision_times(referrals: Sequence[Any], today: date) -> ReportTable:
        counts: Counter[str] = Counter()
        days: list[int] = []
        for r in referrals:
            if r.sent_at is None or r.decision_within_days is None:
                continue
            due = date.fromisoformat(r.decision_due) if r.decision_due else None
            if r.decided_at is not None:
                taken = _working_days(r.sent_at, r.decided_at)
                days.append(taken)
                counts["decided within the deadline" if taken <= r.decision_within_days
                       else "decided after the deadline"] += 1
            elif due is not None and today > due:
                counts["no decision yet, past the deadline"] += 1
            else:
                counts["no decision yet, within the deadline"] += 1
        note = "Working days from sending to the receiving team's decision."
        if len(days) >= SUPPRESS_BELOW:
            note += (f" Median {statistics.median(days):g} working days over "
                     f"{len(days)} decisions.")
        keys = ("decided within the deadline", "decided after the deadline",
                "no decision yet, past the deadline", "no decision yet, within the deadline")
        return ReportTable("Time to decision against the deadline",
                           [(k, counts[k]) for k in keys], note)

    @staticmethod
    def _reviews(reviews: Sequence[Any] | None, screenings: Sequence[Any],
                 today: date) -> ReportTable:
        title = "Reviews done on time"
        if reviews is None:
            return ReportTable(title, [], "Review dates are not recorded in this database yet.")
        later: dict[int, list[date]] = defaultdict(list)
        for _sid, child, when, _level in screenings:
            later[int(child)].append(date.fromisoformat(str(when)))
        counts: Counter[str] = Counter()
        for _sid, review_date, child, when in reviews:
            due = date.fromisoformat(str(review_date))
            screened = date.fromisoformat(str(when))
            next_one = min((d for d in later[int(child)] if d > screened), default=None)
            if next_one is not None:
                counts["re-screened by the review date" if next_one <= due
                       else "re-screened after the review date"] += 1
            elif due < today:
                counts["not re-screened, review overdue"] += 1
            else:
                counts["review not due yet"] += 1
        keys = ("re-screened by the review date", "re-screened after the review date",
                "not re-screened, review overdue", "review not due yet")
        return ReportTable(title, [(k, counts[k]) for k in keys],
                           "A review counts as done when the child is screened again.")

    @staticmethod
    def _episodes(episodes: Sequence[Any] | None, today: date) -> ReportTable:
        title = "Missing episodes: Return Home Interview within 72 hours"
        if episodes is None:
            return ReportTable(title, [], "Missing episodes are not recorded in this "
                                          "database yet.")
        counts: Counter[str] = Counter()
        now = datetime.combine(today, datetime.max.time())
        for _missing, returned, status, at in episodes:
            if not returned:
                counts["not returned yet"] += 1
                continue
            back = datetime.fromisoformat(str(returned))
            deadline = back + timedelta(hours=_RHI_HOURS)
            if status == RhiStatus.DONE and at and datetime.fromisoformat(str(at)) <= deadline:
                counts["interview done within 72 hours"] += 1
            elif status == RhiStatus.DONE:
                counts["interview done after 72 hours"] += 1
            elif status == RhiStatus.DECLINED:
                counts["interview offered, declined by the child"] += 1
            elif status == RhiStatus.NOT_DONE:
                counts["interview not done (reason recorded)"] += 1
            elif now > deadline:
                counts["nothing recorded, 72 hours passed"] += 1
            else:
                counts["within the 72 hours"] += 1
        keys = ("interview done within 72 hours", "interview done after 72 hours",
                "interview offered, declined by the child",
                "interview not done (reason recorded)", "nothing recorded, 72 hours passed",
                "within the 72 hours", "not returned yet")
        return ReportTable(title, [(k, counts[k]) for k in keys],
                           "Episodes by what happened to the Return Home Interview.")

    @staticmethod
    def _rescreens(referrals: Sequence[Any], steps: Mapping[int, Sequence[Any]],
                   screenings: Sequence[Any], levels: Mapping[str, _Level]) -> list[ReportTable]:
        vocabulary = load_outcomes()
        referral_of = {int(r.screening_id): int(r.id) for r in referrals}
        by_child: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for sid, child, _when, level in screenings:
            by_child[int(child)].append((int(sid), str(level)))
        at_level: Counter[tuple[str, str]] = Counter()
        moved: Counter[tuple[str, str]] = Counter()
        kinds: set[str] = set()
        for history in by_child.values():
            for (sid, before), (_next, after) in itertools.pairwise(history):
                rid = referral_of.get(sid)
                outcomes = sorted({str(st.outcome_id) for st in steps.get(rid or -1, [])
                                   if st.kind == StepKind.OUTCOME})
                labels = [vocabulary.outcome_label(o) for o in outcomes] or [
                    "no outcome recorded" if rid is not None else "no referral record"]
                a = levels.get(before, _Level(before, 0)).rank
                b = levels.get(after, _Level(after, 0)).rank
                direction = "lower" if b < a else "higher" if b > a else "the same"
                for label in labels:
                    kinds.add(label)
                    at_level[(label, after)] += 1
                    moved[(label, direction)] += 1
        order = sorted(levels, key=lambda lv: levels[lv].rank)
        rows = [(f"{kind}: {levels[lv].name}", at_level[(kind, lv)])
                for kind in sorted(kinds) for lv in order]
        rows_moved = [(f"{kind}: {d}", moved[(kind, d)]) for kind in sorted(kinds)
                      for d in ("lower", "the same", "higher")]
        note = ("Each re-screening counted under every outcome recorded on the referral of "
                "the screening before it.")
        return [ReportTable("Levels at re-screening after each kind of intervention", rows,
                            note),
                ReportTable("Level at re-screening against the level before", rows_moved,
                            note)]

    @staticmethod
    def _by_first_level(referrals: Sequence[Any], steps: Mapping[int, Sequence[Any]],
                        screenings: Sequence[Any], levels: Mapping[str, _Level]
                        ) -> list[ReportTable]:
        vocabulary = load_outcomes()
        first: dict[int, str] = {}
        for _sid, child, _when, level in screenings:
            first.setdefault(int(child), str(level))
        outcomes: dict[int, set[str]] = defaultdict(set)
        answers: dict[int, tuple[str, str]] = {}
        for r in referrals:
            for st in steps.get(int(r.id), []):
                if st.kind == StepKind.OUTCOME:
                    outcomes[int(r.child_id)].add(str(st.outcome_id))
                elif st.kind == StepKind.CONFIRMATION:
                    previous = answers.get(int(r.child_id))
                    if previous is None or str(st.at) >= previous[1]:
                        answers[int(r.child_id)] = (str(st.answer), str(st.at))
        order = sorted(levels, key=lambda lv: levels[lv].rank)
        by_outcome: Counter[tuple[str, str]] = Counter()
        by_answer: Counter[tuple[str, str]] = Counter()
        for child, level in first.items():
            for o in outcomes.get(child, {"none"}):
                by_outcome[(level, o)] += 1
            by_answer[(level, answers.get(child, ("not answered yet", ""))[0])] += 1
        ids = [o.id for o in vocabulary.outcomes]
        ids += [*sorted({o for _, o in by_outcome} - {*ids, "none"}), "none"]
        # Outcomes no child at a level had are left out (most outcomes belong to one route).
        rows = [(f"{levels[lv].name}: "
                 + (vocabulary.outcome_label(o) if o != "none" else "no outcome recorded"),
                 by_outcome[(lv, o)]) for lv in order for o in ids if by_outcome[(lv, o)]]
        words = {"confirmed": "exploitation confirmed", "not_confirmed": "not confirmed",
                 "not_known": "not known yet", "not answered yet": "not answered yet"}
        answer_rows = [(f"{levels[lv].name}: {w}", by_answer[(lv, a)]) for lv in order
                       for a, w in words.items()]
        return [
            ReportTable("Outcomes by first level", rows,
                        "Children, by the level of their first screening in the period and "
                        "each outcome recorded on any of their referrals."),
            ReportTable("Exploitation confirmed? by first level", answer_rows,
                        "Children, by the level of their first screening and the latest "
                        "answer on their referrals."),
        ]

    # -- export --------------------------------------------------------------------------------

    def export_csv(self, report: Report, path: Path) -> Path:
        """Write the anonymised CSV (small counts suppressed)."""
        self._ctx.require(Role.MANAGER)
        atomic_write(path, report.to_csv().encode("utf-8"))
        with self._ctx.transaction() as s:
            self._ctx.audit(s, "report_export", "referrals", {"kind": "csv"})
        return path

    def export_pdf(self, report: Report, path: Path, settings: Mapping[str, str]) -> Path:
        """Write the anonymised PDF, with the organisation's marking and name from
        ``settings`` (``session.settings.read()``)."""
        self._ctx.require(Role.MANAGER)
        atomic_write(path, render_report_pdf(report, dict(settings)))
        with self._ctx.transaction() as s:
            self._ctx.audit(s, "report_export", "referrals", {"kind": "pdf"})
        return path

