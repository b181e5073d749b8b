"""Managers' reports: anonymised aggregates of finalised screenings, with CSV and PDF export.

Performance management and problem profiling: counts by level, month, agency and reason
(including screenings after missing episodes), the share and direction of overrides,
indicator prevalence, age bands and re-screening trajectories. Every figure is a count; no
name, date of birth or free text ever leaves this module, and counts from 1 to 4 are
suppressed (shown as ``<5``) so that a small group cannot be recognised.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text

from riskscreen.conditions import MISSING
from riskscreen.crypto.atomic import atomic_write
from riskscreen.forms.columns import Columns, ages
from riskscreen.forms.model import FormDefinition, KindRole
from riskscreen.instruments import DEFAULT_INSTRUMENT
from riskscreen.services.context import Context
from riskscreen.services.finalised import FinalisedManager
from riskscreen.services.instruments import InstrumentManager
from riskscreen.services.models import ModelManager
from riskscreen.services.settings import SettingsManager
from riskscreen.services.types import Role, Status
from riskscreen.store.columns import OVERRIDES
from riskscreen.store.models import digest_text

__all__ = ["SUPPRESS_BELOW", "Report", "ReportManager", "ReportTable", "suppressed"]

#: Counts from 1 up to this number minus one are shown as "<5".
SUPPRESS_BELOW = 5


def suppressed(count: int) -> str:
    """A count as exported: ``<5`` for 1 to 4, else the number."""
    return f"<{SUPPRESS_BELOW}" if 0 < count < SUPPRESS_BELOW else str(count)


@dataclass(frozen=True)
class ReportTable:
    """One aggregate: a title and (category, count) rows in display order."""

    title: str
    rows: list[tuple[str, int]]
    note: str = ""

    def shown(self) -> list[tuple[str, str]]:
        """Rows with small counts suppressed."""
        return [(label, suppressed(n)) for label, n in self.rows]


@dataclass
class Report:
    """Every table of the managers' report, for one period."""

    total: int
    since: date | None
    until: date | None
    tables: list[ReportTable] = field(default_factory=list)
    #: What the report is called (the PDF's heading) and what ``total`` counts.
    title: str = "CSE screening report"
    total_label: str = "Finalised screenings"

    def table(self, title: str) -> ReportTable:
        """A table by its title."""
        return next(t for t in self.tables if t.title == title)

    def to_csv(self) -> str:
        """Anonymised CSV: table, category, count (small counts suppressed)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["table", "category", "count"])
        writer.writerow([self.total_label, "all", suppressed(self.total)])
        for t in self.tables:
            for label, shown in t.shown():
                writer.writerow([t.title, label, shown])
        return out.getvalue()


_AGE_BANDS = ((0, 9, "under 10"), (10, 12, "10 to 12"), (13, 15, "13 to 15"),
              (16, 17, "16 to 17"), (18, 200, "18 or over"))


class ReportManager:
    """The managers' reports on one signed-in session (managers only). Reached as
    ``session.reports`` (the default instrument's screenings; :meth:`for_instrument` for
    another's)."""

    def __init__(self, ctx: Context, instruments: InstrumentManager, models: ModelManager,
                 finalised: FinalisedManager, settings: SettingsManager,
                 form_id: str = DEFAULT_INSTRUMENT) -> None:
        self._ctx = ctx
        self._instruments = instruments
        self._models = models
        self._finalised = finalised
        self._settings = settings
        self.form_id = form_id

    def for_instrument(self, instrument_id: str) -> ReportManager:
        """The same reports over another instrument's screenings."""
        return ReportManager(self._ctx, self._instruments, self._models, self._finalised,
                             self._settings, instrument_id)

    def build(self, since: date | None = None, until: date | None = None) -> Report:
        """Aggregate every finalised screening dated in the period (all when no dates).

        The screenings' facts come from their rows, the answers from the stored answer
        columns, counted with numpy: no screening's answers are opened one by one.
        """
        self._ctx.require(Role.MANAGER)
        form = self._instruments.form(self.form_id)
        index = form.question_index()
        indicators = [q for q in form.questions() if q.role in (KindRole.RISK, KindRole.HARM)]
        seen_answers = {"yes", *form.time_windows.present_ids()}
        clauses = ["s.form_id = :form", f"s.status = '{Status.FINAL}'"]
        params: dict[str, Any] = {"form": self.form_id}
        if since is not None:
            clauses.append("s.screening_date >= :since")
            params["since"] = since.isoformat()
        if until is not None:
            clauses.append("s.screening_date <= :until")
            params["until"] = until.isoformat()
        sql = ("SELECT s.id, s.child_id, s.screening_date, s.final_level, s.model_sha256 "
               "FROM screenings s WHERE " + " AND ".join(clauses)
               + " ORDER BY s.screening_date, s.id")
        with self._ctx.transaction() as s:
            stored = s.execute(text(sql), params).all()
            self._ctx.audit(s, "report", "screenings", {"screenings": len(stored)})
        wanted = [q.id for q in indicators] + [
            q for q in ("practitioner_agency", "screening_reason", "missing_episodes_3_months",
                        "date_of_birth") if q in index]
        found = self._finalised.columns(form, since, until, wanted)
        cols = found.columns
        row_of = {sid: row for row, sid in enumerate(found.ids.tolist())}
        level_names: dict[str, str] = {}
        level_rank: dict[str, int] = {}
        for sha in sorted({digest_text(r[4]) for r in stored}):
            for info in self._models.get(sha).level_infos():
                level_names.setdefault(info.id, info.name)
                level_rank.setdefault(info.id, info.rank)
        # Each screening's row in the columns, -1 for one that has none (another form
        # version): it counts with its level and date, its answers as not recorded.
        at = np.asarray([row_of.get(int(r[0]), -1) for r in stored], dtype=np.intp)
        held = at >= 0
        total = len(stored)
        by_level = Counter(str(r[3]) for r in stored)
        by_month = Counter(str(r[2])[:7] for r in stored)
        by_agency = _labelled(form, cols, "practitioner_agency", at, held)
        by_reason = _labelled(form, cols, "screening_reason", at, held)
        episodes = cols.column("missing_episodes_3_months")[at[held]]
        missing = int(np.count_nonzero((episodes != MISSING) & (episodes > 0)))
        override_codes = found.overrides[at[held]]
        overrides = Counter({name: int(np.count_nonzero(override_codes == code))
                             for code, name in enumerate(OVERRIDES)})
        overrides["none"] += int(np.count_nonzero(~held))
        prevalence: Counter[str] = Counter()
        for q in indicators:
            allowed = q.allowed_values() or ()
            codes = [i + 1 for i, v in enumerate(allowed) if v in seen_answers]
            prevalence[q.id] = int(np.count_nonzero(np.isin(cols.column(q.id)[at[held]],
                                                            codes)))
        born = cols.column("date_of_birth")[at[held]]
        years = ages(born, cols.days[at[held]]) if born.size else born
        ages_seen: Counter[str] = Counter()
        for lo, hi, name in _AGE_BANDS:
            ages_seen[name] = int(np.count_nonzero((years != MISSING) & (years >= lo)
                                                   & (years <= hi)))
        ages_seen["not known"] = total - sum(ages_seen.values())
        per_child: dict[int, list[str]] = defaultdict(list)
        for r in stored:
            per_child[int(r[1])].append(str(r[3]))
        trajectories: Counter[str] = Counter()
        for levels in per_child.values():
            if len(levels) > 1:
                a, b = level_rank.get(levels[0], 0), level_rank.get(levels[-1], 0)
                trajectories["went up" if b > a else "went down" if b < a
                             else "stayed the same"] += 1
        order = sorted(level_names, key=lambda lv: level_rank[lv])
        report = Report(total, since, until)
        if self.form_id != DEFAULT_INSTRUMENT:
            report.title = f"{form.title}: report"
        report.tables.append(ReportTable(
            "By level", [(level_names[lv], by_level[lv]) for lv in order],
            "Final level (after any professional-judgement override)."))
        report.tables.append(ReportTable("By month", sorted(by_month.items())))
        by_agency["not recorded"] += int(np.count_nonzero(~held))
        by_reason["not recorded"] += int(np.count_nonzero(~held))
        report.tables.append(ReportTable("By agency", sorted(_nonzero(by_agency))))
        report.tables.append(ReportTable(
            "By reason", [*sorted(_nonzero(by_reason)),
                          ("missing in the last 3 months (any reason)", missing)]))
        report.tables.append(ReportTable(
            "Overrides", [("no override", overrides["none"]),
                          ("raised by professional judgement", overrides["raised"]),
                          ("lowered by professional judgement", overrides["lowered"])],
            f"Overridden: {_share(overrides['raised'] + overrides['lowered'], total)}"))
        report.tables.append(ReportTable(
            "Indicator prevalence",
            sorted(((q.text, prevalence[q.id]) for q in indicators), key=lambda r: -r[1]),
            "Screenings in which each indicator was seen (recently, earlier or both)."))
        report.tables.append(ReportTable(
            "Age bands", [(name, ages_seen[name]) for _, _, name in _AGE_BANDS]
            + [("not known", ages_seen["not known"])]))
        report.tables.append(ReportTable(
            "Re-screening trajectories",
            [(k, trajectories[k]) for k in ("went up", "went down", "stayed the same")],
            "Children screened more than once: first level against latest level."))
        return report

    def settings(self) -> dict[str, str]:
        """Organisation name, protective marking and logo for the PDF (from the database)."""
        return self._settings.read()

    def export_csv(self, report: Report, path: Path) -> Path:
        """Write the anonymised CSV."""
        self._ctx.require(Role.MANAGER)
        atomic_write(path, report.to_csv().encode("utf-8"))
        with self._ctx.transaction() as s:
            self._ctx.audit(s, "report_export", "screenings", {"kind": "csv"})
        return path

    def export_pdf(self, report: Report, path: Path) -> Path:
        """Write the anonymised PDF report (tables; small counts suppressed)."""
        self._ctx.require(Role.MANAGER)
        atomic_write(path, render_report_pdf(report, self.settings()))
        with self._ctx.transaction() as s:
            self._ctx.audit(s, "report_export", "screenings", {"kind": "pdf"})
        return path


def _labelled(form: FormDefinition, cols: Columns, qid: str, at: NDArray[np.intp],
              held: NDArray[np.bool_]) -> Counter[str]:
    """Screenings by the label of their answer to a single-choice question."""
    q = form.question_index().get(qid)
    out: Counter[str] = Counter()
    if q is None:
        out["not recorded"] = int(np.count_nonzero(held))
        return out
    codes = cols.column(qid)[at[held]]
    allowed = q.allowed_values() or ()
    counts = np.bincount(np.where(codes > 0, codes, 0), minlength=len(allowed) + 1)
    out["not recorded"] = int(counts[0])
    for i, value in enumerate(allowed):
        if counts[i + 1]:
            out[q.label_of(value)] += int(counts[i + 1])
    return out


def _nonzero(counts: Counter[str]) -> list[tuple[str, int]]:
    return [(k, n) for k, n in counts.items() if n]


def _share(part: int, whole: int) -> str:
    if whole == 0:
        return "no screenings"
    if 0 < part < SUPPRESS_BELOW:
        return f"<{SUPPRESS_BELOW} of {suppressed(whole)}"
    return f"{part} of {whole} ({100 * part / whole:.1f}%)"


def render_report_pdf(report: Report, settings: dict[str, str]) -> bytes:
    """The report as PDF bytes, with the organisation's name, logo and protective marking."""
    import base64

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from riskscreen.summary.fonts import BOLD, REGULAR, register_fonts

    register_fonts()
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=9, leading=12)
    head = ParagraphStyle("head", fontName=BOLD, fontSize=15, leading=19)
    sub = ParagraphStyle("sub", fontName=BOLD, fontSize=11, leading=14, spaceBefore=8)
    marking = settings.get("protective_marking", "OFFICIAL-SENSITIVE") or ""
    org = settings.get("organisation_name", "") or ""

    def esc(value: str) -> str:
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(BOLD, 9)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 10 * mm, marking)
        canvas.drawCentredString(A4[0] / 2, 8 * mm, marking)
        canvas.setFont(REGULAR, 8)
        of = f" of {total[0]}" if total[0] else ""
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"Page {doc.page}{of}")
        canvas.restoreState()

    def story() -> list[Any]:
        flowables: list[Any] = []
        logo = settings.get("logo_png_base64")
        if logo:
            with contextlib.suppress(ValueError, OSError):
                flowables.append(Image(io.BytesIO(base64.b64decode(logo)), width=30 * mm,
                                       height=15 * mm, kind="proportional"))
        period = ("all dates" if report.since is None and report.until is None else
                  f"{report.since or 'start'} to {report.until or 'today'}")
        flowables.append(Paragraph(esc(f"{org} – {report.title}" if org else report.title),
                                   head))
        flowables.append(Paragraph(esc(
            f"{report.total_label}: {suppressed(report.total)}; period: {period}; produced "
            f"{datetime.now(UTC).date().isoformat()}. Anonymised aggregates: no names or "
            f"dates of birth; counts under {SUPPRESS_BELOW} are shown as <{SUPPRESS_BELOW}."),
            body))
        for t in report.tables:
            flowables.append(Paragraph(esc(t.title), sub))
            if t.note:
                flowables.append(Paragraph(esc(t.note), body))
            data = [[Paragraph("<b>Category</b>", body), Paragraph("<b>Count</b>", body)]]
            data += [[Paragraph(esc(label), body), Paragraph(esc(n), body)]
                     for label, n in t.shown()]
            table = Table(data, colWidths=[135 * mm, 25 * mm], repeatRows=1)
            table.setStyle(TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eaf6")),
                ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            flowables.append(table)
            flowables.append(Spacer(1, 4))
        return flowables

    # Laid out twice: the first pass counts the pages, so each can say "Page X of Y".
    total = [0]
    for _ in range(2):
        out = io.BytesIO()
        doc = SimpleDocTemplate(out, pagesize=A4, topMargin=18 * mm, bottomMargin=16 * mm,
                                title=report.title, author=org or "RiskScreen")
        doc.build(story(), onFirstPage=on_page, onLaterPages=on_page)
        total[0] = doc.page
    return out.getvalue()
