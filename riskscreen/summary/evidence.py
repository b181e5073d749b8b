"""A scoring model version's evidence statement as a PDF, for the safeguarding partnership.

The statement arrives already in words (sections of paragraphs and tables, built by
:mod:`riskscreen.services.evidence`); this module only lays it out, with the referral
summary's machinery (:mod:`riskscreen.summary.render`): the protective marking at top and
bottom of every page, and "Page X of Y".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

__all__ = ["EvidenceDocument", "EvidenceSection", "EvidenceTable", "evidence_pdf_bytes"]


@dataclass(frozen=True)
class EvidenceTable:
    """A table in words: a header row, the rows, and each column's share of the width."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    caption: str = ""


@dataclass(frozen=True)
class EvidenceSection:
    """A heading with its paragraphs, tables and (muted) notes, in that order."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[EvidenceTable, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvidenceDocument:
    """Everything the evidence statement shows."""

    title: str
    subtitle: str
    marking: str
    generated_at: datetime
    generated_by: str
    sections: tuple[EvidenceSection, ...] = field(default=())
    #: Short enough for the page header beside the marking: "cse-screening 1.1.0".
    reference: str = ""


def _table(t: EvidenceTable) -> list[Flowable]:
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Spacer

    from riskscreen.summary.render import CONTENT_W, styles, table
    from riskscreen.summary.text import paragraph

    st = styles()
    total = sum(t.widths) or 1.0
    widths = [CONTENT_W * w / total for w in t.widths]
    rows: list[list[object]] = [[paragraph(h, st["cellhead"]) for h in t.header]]
    rows += [[paragraph(cell, st["small"]) for cell in row] for row in t.rows]
    out: list[Flowable] = []
    if t.caption:
        out.append(paragraph(t.caption, st["label"]))
    out.append(table(rows, widths, header=True))
    out.append(Spacer(1, 2 * mm))
    # A short table stays with its caption; a long one may split (its header repeats).
    return [KeepTogether(out)] if len(t.rows) <= 12 else out


def _story(doc: EvidenceDocument) -> list[Flowable]:
    from riskscreen.summary.build import format_date
    from riskscreen.summary.render import styles
    from riskscreen.summary.text import paragraph, paragraphs

    st = styles()
    story: list[Flowable] = [paragraph(doc.title, st["title"]),
                             paragraph(doc.subtitle, st["body"])]
    by = f" by {doc.generated_by}" if doc.generated_by else ""
    story.append(paragraph(f"Made {format_date(doc.generated_at.date())} at "
                           f"{doc.generated_at:%H:%M}{by}.", st["muted"]))
    for section in doc.sections:
        block: list[Flowable] = [paragraph(section.heading, st["h2"])]
        for text in section.paragraphs:
            block += paragraphs(text, st["body"])
        story += block
        for t in section.tables:
            story += _table(t)
        for note in section.notes:
            story += paragraphs(note, st["note"])
    return story


def evidence_pdf_bytes(doc: EvidenceDocument) -> bytes:
    """The evidence statement as PDF bytes."""
    from riskscreen.summary.build import format_date
    from riskscreen.summary.render import build_pdf, page_canvas

    generated = f"Made {format_date(doc.generated_at.date())} at {doc.generated_at:%H:%M}"
    story = _story(doc)
    return build_pdf(story, page_canvas(doc.marking, "Evidence statement", doc.reference,
                                        generated),
                     title=doc.title, subject=doc.marking)
