"""A child's chronology as a PDF: one dated line per event, oldest first.

Drawn with the referral summary's machinery (:mod:`riskscreen.summary.render`), so every page
carries the protective marking at top and bottom and "Page X of Y".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from riskscreen.crypto.atomic import atomic_write
from riskscreen.summary.build import format_date
from riskscreen.summary.model import Field

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

__all__ = ["ChronologyDocument", "ChronologyLine", "chronology_pdf_bytes", "render_chronology"]


@dataclass(frozen=True)
class ChronologyLine:
    """One event, already in words: when, what kind, what happened, and more detail."""

    when: datetime
    what: str
    title: str
    detail: str = ""


@dataclass(frozen=True)
class ChronologyDocument:
    """Everything the chronology PDF shows."""

    child_name: str
    marking: str
    generated_at: datetime
    #: Which kinds of event are shown ("Everything", or the filter's choices in words).
    shown: str
    lines: list[ChronologyLine]
    details: list[Field] = field(default_factory=list)
    generated_by: str = ""


def _story(doc: ChronologyDocument) -> list[Flowable]:
    # reportlab is imported when a chronology is drawn, not with the services that build it.
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    from riskscreen.summary.render import CONTENT_W, styles, table
    from riskscreen.summary.text import paragraph, paragraphs

    st = styles()
    story: list[Flowable] = [paragraph(f"Chronology: {doc.child_name}", st["title"])]
    for f in doc.details:
        story.append(paragraph(f"{f.label}: {f.value}", st["body"]))
    by = f" Printed by {doc.generated_by}." if doc.generated_by else ""
    story.append(paragraph(f"Shown: {doc.shown}. {len(doc.lines)} "
                           f"entr{'y' if len(doc.lines) == 1 else 'ies'}, oldest first.{by}",
                           st["muted"]))
    story.append(Spacer(1, 3 * mm))
    if not doc.lines:
        story.append(paragraph("Nothing recorded for this child yet.", st["body"]))
        return story
    rows: list[list[object]] = [[paragraph("Date and time", st["cellhead"]),
                                 paragraph("What", st["cellhead"]),
                                 paragraph("Details", st["cellhead"])]]
    for line in doc.lines:
        when = format_date(line.when.date())
        if (line.when.hour, line.when.minute) != (0, 0):
            when += f" {line.when:%H:%M}"
        details: list[Flowable] = [paragraph(line.title, st["label"])]
        if line.detail:
            details += paragraphs(line.detail, st["small"])
        rows.append([paragraph(when, st["body"]), paragraph(line.what, st["body"]), details])
    story.append(table(rows, [32 * mm, 36 * mm, CONTENT_W - 68 * mm], header=True))
    return story


def chronology_pdf_bytes(doc: ChronologyDocument) -> bytes:
    """The chronology as PDF bytes."""
    from riskscreen.summary.render import build_pdf, page_canvas

    # The footer's left part stays short: the marking is centred beside it.
    generated = f"Generated {format_date(doc.generated_at.date())} at {doc.generated_at:%H:%M}"
    story = _story(doc)
    return build_pdf(story, page_canvas(doc.marking, "Chronology", doc.child_name, generated),
                     title=f"Chronology: {doc.child_name}", subject=doc.marking)


def render_chronology(doc: ChronologyDocument, target: Path) -> None:
    """Write the chronology PDF atomically, readable by its owner only (0600)."""
    atomic_write(target, chronology_pdf_bytes(doc))
