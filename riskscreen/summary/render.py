"""Drawing a :class:`~riskscreen.summary.model.ReferralSummary` as a PDF with reportlab.

Layout, for a receiving team with two minutes: every page carries the protective marking at
top and bottom, the reference, the time it was generated and "Page X of Y". Page 1 opens with
the risk level (a coloured band that also says the level in words, so it survives
black-and-white printing), where the referral goes, how to reach that team, and what happens
next by when. Details, indicators, gaps, views, analysis and the record follow. Tables repeat
their header row on each page and long cells split across pages.

An optional password encrypts the file with AES-256 (PDF 2.0, revision 6) through pypdf:
reportlab's own AES option depends on the unmaintained ``pyaes`` and the deprecated
revision 5.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Spacer,
    Table,
    TableStyle,
)

from riskscreen.crypto.atomic import atomic_write
from riskscreen.summary.build import format_date
from riskscreen.summary.fonts import BOLD, REGULAR, register_fonts
from riskscreen.summary.model import Field, Indicator, ReferralSummary, TextBlock
from riskscreen.summary.text import TextStack, paragraph, paragraphs

__all__ = ["build_pdf", "page_canvas", "render_pdf", "render_pdf_bytes", "styles", "table"]

PAGE_W, PAGE_H = A4
MARGIN = 16 * mm
HEADER_H = 13 * mm
FOOTER_H = 13 * mm
CONTENT_W = PAGE_W - 2 * MARGIN

INK = colors.HexColor("#1a1a1a")
HEAD = colors.HexColor("#1f3a5f")
RULE = colors.HexColor("#8a8a8a")
SHADE = colors.HexColor("#e9edf2")
MUTED = colors.HexColor("#4a4a4a")

#: Text longer than this is written out below its table rather than inside a cell: tables
#: re-measure a split cell on every page, so long cells would take time growing with the
#: square of their length (and would be hard to read in a narrow column).
LONG_CELL = 2000
IN_FULL_BELOW = "Written out in full below this table."


def styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles of RiskScreen PDFs, by name (registers the fonts first)."""
    register_fonts()
    return _styles()


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=12.5, textColor=INK,
                          spaceAfter=2)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11),
        "muted": ParagraphStyle("muted", parent=base, fontSize=8.5, leading=11,
                                textColor=MUTED),
        "note": ParagraphStyle("note", parent=base, fontSize=8.5, leading=11,
                               textColor=MUTED),
        "label": ParagraphStyle("label", parent=base, fontName=BOLD),
        "cellhead": ParagraphStyle("cellhead", parent=base, fontName=BOLD, fontSize=8.5,
                                   leading=11),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=15, leading=19,
                                textColor=HEAD, spaceAfter=1),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=12, leading=15,
                             textColor=HEAD, spaceBefore=10, spaceAfter=4),
        "h3": ParagraphStyle("h3", parent=base, fontName=BOLD, fontSize=10, leading=13,
                             spaceBefore=6, spaceAfter=2),
        "level": ParagraphStyle("level", parent=base, fontName=BOLD, fontSize=16, leading=20),
        "levelsub": ParagraphStyle("levelsub", parent=base, fontSize=9.5, leading=12.5),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=10, bulletIndent=0),
    }


def _p(text: str, style: ParagraphStyle) -> Flowable:
    return paragraph(text, style)


def _cell(text: str, style: ParagraphStyle) -> list[Flowable]:
    """Free text for a table cell: a list of bounded paragraphs, which tables split well."""
    return paragraphs(text, style)


def _bold_label(text: str, style: ParagraphStyle) -> Flowable:
    return paragraph(f"<b>{escape(text)}</b>", style, markup=True)


def table(rows: list[list[Any]], widths: Sequence[float], *, header: bool,
          shade_first_col: bool = False) -> Table:
    """A ruled table in the summary's style (a shaded header row repeated on each page)."""
    return _table(rows, widths, header=header, shade_first_col=shade_first_col)


def _table(rows: list[list[Any]], widths: Sequence[float], *, header: bool,
           shade_first_col: bool = False) -> Table:
    table = Table(rows, colWidths=list(widths), repeatRows=1 if header else 0, splitInRow=1,
                  hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.5, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
    if shade_first_col:
        style.append(("BACKGROUND", (0, 0), (0, -1), SHADE))
    table.setStyle(TableStyle(style))
    return table


def _fields(fields: Sequence[Field], st: dict[str, ParagraphStyle]) -> Flowable:
    if not fields:
        return _p("Nothing recorded.", st["muted"])
    rows: list[list[Any]] = []
    below: list[Flowable] = []
    for f in fields:
        if len(f.value) > LONG_CELL:
            rows.append([_bold_label(f.label, st["body"]), _p(IN_FULL_BELOW, st["muted"])])
            below += [_p(f.label, st["h3"]), *paragraphs(f.value, st["body"])]
        else:
            rows.append([_bold_label(f.label, st["body"]), _cell(f.value, st["body"])])
    table = _table(rows, [52 * mm, CONTENT_W - 52 * mm], header=False, shade_first_col=True)
    return TextStack([table, *below]) if below else table


def _blocks(blocks: Sequence[TextBlock], st: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = []
    for b in blocks:
        out.append(_p(b.heading, st["h3"]))
        out.append(_p(b.text, st["body"]))
    return out


def _level_band(s: ReferralSummary, st: dict[str, ParagraphStyle]) -> Flowable:
    fg = colors.HexColor(s.level.text_colour)
    big = ParagraphStyle("lv", parent=st["level"], textColor=fg)
    sub = ParagraphStyle("lvs", parent=st["levelsub"], textColor=fg)
    lines: list[Flowable] = [_p(f"Risk level: {s.level.words}", big)]
    if s.override is not None and s.override.from_level:
        lines.append(_p(f"Set by professional judgement (lowered from {s.override.from_level}"
                        ", the level of the screening this amends). The screening alone gave "
                        f"{s.override.computed_level}.", sub))
    elif s.override is not None:
        lines.append(_p(f"Set by professional judgement ({s.override.direction} from "
                        f"{s.override.computed_level}). The screening alone gave "
                        f"{s.override.computed_level}.", sub))
    lines.append(_p(f"Pathway: {s.route.pathway}", sub))
    band = Table([[lines]], colWidths=[CONTENT_W], hAlign="LEFT")
    band.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(s.level.colour)),
        ("BOX", (0, 0), (-1, -1), 1.5, colors.black),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
    ]))
    return band


def _replaces_box(text: str, st: dict[str, ParagraphStyle]) -> Flowable:
    """An amended referral says first of all which referral it replaces."""
    box = Table([[_p(text, st["label"])]], colWidths=[CONTENT_W], hAlign="LEFT")
    box.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 1.5, INK),
        ("BACKGROUND", (0, 0), (-1, -1), SHADE),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    return box


def _route_block(s: ReferralSummary, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    r = s.route
    d = r.destination
    contact = [
        Field("Send to", f"{d.name}\n{d.service}"),
        Field("Secure email", d.secure_email),
        Field("Phone", d.phone),
        Field("Referral hours", d.referral_hours + (f"\n{d.out_of_hours}" if d.out_of_hours
                                                   else "")),
        Field("Address", "\n".join(d.address)),
        Field("Next step", r.next_step),
        Field("By when", r.deadline),
    ]
    if r.advice:
        contact.append(Field("Advice to give", r.advice))
    out: list[Flowable] = [_p("Where this referral goes and what happens next", st["h2"]),
                           _fields(contact, st),
                           _p("Why this level and this route", st["h2"])]
    for line in s.level_explanation:
        out.append(_p(f"• {line}", st["bullet"]))
    return out


def _indicator_table(items: Sequence[Indicator], st: dict[str, ParagraphStyle],
                     *, weight_label: str = "Points") -> Flowable:
    widths = [CONTENT_W - 72 * mm, 30 * mm, 26 * mm, 16 * mm]
    rows: list[list[Any]] = [[_p("Indicator", st["cellhead"]), _p("Answer", st["cellhead"]),
                              _p("Kind", st["cellhead"]), _p(weight_label, st["cellhead"])]]
    below: list[Flowable] = []
    for i in items:
        cell: list[Flowable] = [_p(i.text, st["body"])]
        if i.concern:
            cell.append(_p(f"Concern: {i.concern}", st["muted"]))
        if len(i.evidence) > LONG_CELL:
            cell.append(_p(f"Evidence: {IN_FULL_BELOW.lower()}", st["small"]))
            below += [_p(f"Evidence: {i.text}", st["h3"]), *paragraphs(i.evidence, st["body"])]
        elif i.evidence:
            cell += _cell(f"Evidence: {i.evidence}", st["small"])
        rows.append([cell, _p(i.answer, st["body"]), _p(i.kind, st["small"]),
                     _p(f"{i.points:+d}" if i.points else "0",
                        ParagraphStyle("w", parent=st["label"], alignment=TA_CENTER))])
    table = _table(rows, widths, header=True)
    return TextStack([table, *below]) if below else table


def _story(s: ReferralSummary) -> list[Flowable]:
    st = _styles()
    story: list[Flowable] = [
        _p(s.title, st["title"]),
        _p(" · ".join(x for x in (s.form_title, s.organisation, f"Reference {s.reference}",
                                  f"Screening date {format_date(s.screening_date)}") if x),
           st["muted"]),
        Spacer(1, 4),
    ]
    if s.replaces:
        story += [_replaces_box(s.replaces, st), Spacer(1, 4)]
    story += [_level_band(s, st)]
    story += _route_block(s, st)

    story += [_p("The child", st["h2"]), _fields(s.child, st)]
    story += [_p("Parents or carers", st["h2"]), _fields(s.family, st)]
    if s.family_note:
        story.append(_p(s.family_note, st["label"]))
    story += [_p("Who is making this referral", st["h2"]), _fields(s.referrer, st)]
    story += [_p("Reason for the screening", st["h2"]), _fields(s.reason, st)]
    story += _blocks(s.reason_detail, st)
    story += [_p("Consent to share information", st["h2"]), _fields(s.consent, st)]
    story += _blocks(s.consent_detail, st)
    story.append(_p("Information needed to protect a child can be shared without consent; "
                    "the decision and its reasons are recorded above.", st["muted"])
                 if s.consent_detail else Spacer(1, 0))

    story.append(_p("What was found: indicators present", st["h2"]))
    if s.indicators:
        story.append(_p("Each answer that counted, grouped by section, with its weight "
                        "(points). None proves exploitation on its own; the pattern "
                        "matters.", st["note"]))
        for g in s.indicators:
            unit = "point" if abs(g.points) == 1 else "points"
            story.append(_p(f"{g.section} ({g.points:+d} {unit})", st["h3"]))
            story.append(_indicator_table(g.items, st))
    else:
        story.append(_p("No indicators were recorded as present.", st["body"]))
    story.append(_p("Rules that set a minimum level", st["h3"]))
    if s.rules_fired:
        for rule in s.rules_fired:
            story.append(_p(f"• {rule.reason} (at least {rule.minimum_level})", st["bullet"]))
    else:
        story.append(_p("No rule set a minimum level; the level comes from the points.",
                        st["body"]))

    story.append(_p("Not known: gaps to follow up", st["h2"]))
    if s.gaps:
        story.append(_p("These were answered \u201cnot known\u201d or not answered. Not known "
                        "is never read as \u201cno\u201d: please help find out. Each shows the "
                        "points the scoring model gives for not knowing it; the last row shows "
                        "what the score counts for all of them together.", st["note"]))
        rows: list[list[Any]] = [[_p("Question", st["cellhead"]),
                                  _p("Section", st["cellhead"]),
                                  _p("Recorded as", st["cellhead"]),
                                  _p("Points", st["cellhead"])]]
        centred = ParagraphStyle("c", parent=st["label"], alignment=TA_CENTER)
        rows += [[_p(gap.question, st["body"]), _p(gap.section, st["small"]),
                  _p(gap.answer, st["small"]),
                  _p(f"{gap.points:+d}" if gap.points else "0", centred)]
                 for gap in s.gaps]
        rows.append([_bold_label("Counted towards the score", st["body"]), "", "",
                     _p(f"{s.gaps_counted:+d}" if s.gaps_counted else "0", centred)])
        table = _table(rows, [CONTENT_W - 90 * mm, 48 * mm, 26 * mm, 16 * mm], header=True)
        table.setStyle(TableStyle([("SPAN", (0, -1), (2, -1)),
                                   ("BACKGROUND", (0, -1), (-1, -1), SHADE)]))
        story.append(table)
        if s.gaps_note:
            story.append(_p(f"{s.gaps_note}.", st["note"]))
    else:
        story.append(_p("No answers were recorded as not known.", st["body"]))

    story.append(_p(s.protective_title, st["h2"]))
    story.append(_p(s.protective_note, st["note"]))
    if s.protective:
        story.append(_indicator_table(s.protective, st))
    else:
        story.append(_p(f"No {s.protective_title.lower()} were recorded.", st["body"]))

    story.append(_p("The young person's views", st["h2"]))
    if s.views:
        story.append(_fields(s.views, st))
    story += _blocks(s.views_text, st)
    if not s.views and not s.views_text:
        story.append(_p("The young person's views were not recorded.", st["body"]))

    story.append(_p("Practitioner's analysis", st["h2"]))
    story += _blocks(s.analysis, st) or [_p("No analysis was recorded.", st["body"])]

    if s.override is not None:
        o = s.override
        rows_o = [Field("Screening level", o.computed_level)]
        if o.from_level:
            rows_o.append(Field("Level of the screening this amends", o.from_level))
        rows_o += [Field("Level after professional judgement",
                         f"{o.final_level} ({o.direction})"),
                   Field("Reason", o.reason), Field("Decided by", o.by)]
        if o.countersigned_by:
            rows_o.append(Field("Countersigned by", o.countersigned_by))
        story.append(KeepTogether([_p("Professional judgement override", st["h2"]),
                                   _fields(rows_o, st)]))

    story.append(KeepTogether([
        _p("About this screening record", st["h2"]), _fields(s.provenance, st),
        Spacer(1, 4),
        _p("RiskScreen supports professional judgement and local safeguarding procedures; it "
           "never replaces them. If a child is in immediate danger, call 999.", st["muted"])]))
    return story


def _heading_breaks(story: list[Flowable]) -> list[Flowable]:
    """Start a new page before a heading that would otherwise sit alone at a page's foot.

    Used instead of ``keepWithNext``, which moves a whole long block to the next page and
    leaves most of a page empty.
    """
    out: list[Flowable] = []
    for f in story:
        name = getattr(getattr(f, "style", None), "name", "")
        if name == "h2":
            out.append(CondPageBreak(32 * mm))
        elif name == "h3":
            out.append(CondPageBreak(22 * mm))
        out.append(f)
    return out


def _canvas_class(s: ReferralSummary) -> type[Canvas]:
    generated = f"Generated {format_date(s.generated_at.date())} at {s.generated_at:%H:%M}"
    return page_canvas(s.marking, f"Reference {s.reference}",
                       "Amended referral summary" if s.replaces else "Referral summary",
                       generated)


def page_canvas(marking: str, top_left: str, top_right: str, bottom_left: str
                ) -> type[Canvas]:
    """A canvas class that marks every page: the protective marking centred at top and
    bottom, ``top_left``/``top_right`` beside the top one, ``bottom_left`` and "Page X of Y"
    beside the bottom one (used by every RiskScreen PDF)."""

    class _Canvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
        """Holds pages back until the end so each can say "Page X of Y"."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            page = self._pageNumber
            self.saveState()
            self.setFillColor(INK)
            top = PAGE_H - MARGIN + 2 * mm
            self.setFont(BOLD, 10)
            self.drawCentredString(PAGE_W / 2, top, marking)
            self.setFont(REGULAR, 8)
            self.drawString(MARGIN, top, top_left)
            self.drawRightString(PAGE_W - MARGIN, top, top_right)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN, top - 2.5 * mm, PAGE_W - MARGIN, top - 2.5 * mm)
            bottom = MARGIN - 6 * mm
            self.line(MARGIN, bottom + 4.5 * mm, PAGE_W - MARGIN, bottom + 4.5 * mm)
            self.setFont(REGULAR, 8)
            self.drawString(MARGIN, bottom, bottom_left)
            self.drawRightString(PAGE_W - MARGIN, bottom, f"Page {page} of {total}")
            self.setFont(BOLD, 10)
            self.drawCentredString(PAGE_W / 2, bottom, marking)
            self.restoreState()

    return _Canvas


def render_pdf_bytes(summary: ReferralSummary, password: str | None = None) -> bytes:
    """The summary as PDF bytes (encrypted with AES-256 when ``password`` is given)."""
    register_fonts()
    data = build_pdf(_story(summary), _canvas_class(summary),
                     title=f"Referral summary {summary.reference}", subject=summary.marking,
                     author=summary.organisation or "RiskScreen")
    if password is not None:
        data = _encrypt(data, password)
    return data


def build_pdf(story: list[Flowable], canvas: type[Canvas], *, title: str, subject: str,
              author: str = "RiskScreen") -> bytes:
    """An A4 PDF of ``story`` on pages marked by ``canvas`` (see :func:`page_canvas`); the
    fonts must be registered (:func:`~riskscreen.summary.fonts.register_fonts`) before the
    story's paragraphs are made."""
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_H - 6 * mm, bottomMargin=MARGIN + FOOTER_H - 6 * mm,
        title=title, subject=subject, author=author, creator="RiskScreen", invariant=0,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(_heading_breaks(story), canvasmaker=canvas)
    return buffer.getvalue()


def _encrypt(data: bytes, password: str) -> bytes:
    if not password:
        raise ValueError("the PDF password is empty")
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    # The owner password is random and discarded: nobody can lift the restrictions.
    writer.encrypt(user_password=password, owner_password=secrets.token_urlsafe(24),
                   algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render_pdf(summary: ReferralSummary, target: str | Path | BinaryIO,
               password: str | None = None) -> None:
    """Write the summary as a PDF to a path or a binary stream.

    A path is written through a temporary file in the same folder and moved into place, so a
    failure never leaves half a summary behind, and it is readable by its owner only (0600)
    from the start: a referral holds a child's personal data.
    """
    data = render_pdf_bytes(summary, password)
    if isinstance(target, (str, Path)):
        atomic_write(Path(target), data)
    else:
        target.write(data)
