"""An intelligence submission to the police analyst as a PDF laid out like the national
intelligence report form: the submitter and reference first, then for each item its
grading boxes (source evaluation, intelligence assessment, handling code), the
intelligence itself, the details recorded, the children it concerns, and any handling
conditions.

Every page says, at the top and the bottom, that this is intelligence, not evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from riskscreen.intel.grading import Grade
from riskscreen.summary.build import DEFAULT_MARKING, format_date
from riskscreen.summary.render import CONTENT_W, build_pdf, page_canvas, styles, table
from riskscreen.summary.text import paragraph, paragraphs

__all__ = ["FormItem", "SubmissionForm", "render_submission"]

#: The words on every page beside the protective marking.
EVERY_PAGE = "INTELLIGENCE, NOT EVIDENCE"
_KIND_WORDS = {"person": "Person of concern", "place": "Place", "vehicle": "Vehicle",
               "online": "Online account"}


@dataclass(frozen=True)
class FormItem:
    """One item as the form shows it."""

    id: int
    kind: str
    label: str
    text: str
    facts: tuple[tuple[str, str], ...]
    grade: Grade
    handling_conditions: str
    recorded_by: str
    recorded_on: date
    #: (child's name, local id, source, date seen) for each child it concerns.
    children: tuple[tuple[str, int, str, date], ...]


@dataclass(frozen=True)
class SubmissionForm:
    """Everything the submission PDF shows."""

    reference: str
    submitted_by: str
    made_at: datetime
    items: tuple[FormItem, ...]
    notice: str
    organisation: str = ""
    marking: str = DEFAULT_MARKING


def _grading(item: FormItem) -> Flowable:
    st = styles()
    g = item.grade
    source, intelligence, handling = g.words()
    scheme = "3x5x2" if not g.legacy else "5x5x5 (legacy grading of an older record)"
    head = [paragraph(t, st["cellhead"]) for t in
            ("Source evaluation", "Intelligence assessment", "Handling code")]
    codes = [[paragraph(code, st["level"]), paragraph(words, st["small"])]
             for code, words in ((g.source, source), (g.intelligence, intelligence),
                                 (g.handling, handling))]
    third = CONTENT_W / 3
    return KeepTogether([paragraph(f"Grading: {scheme}, {g.text}", st["h3"]),
                         table([head, codes], [third] * 3, header=True)])


def _item(item: FormItem, number: int, total: int) -> list[Flowable]:
    st = styles()
    kind = _KIND_WORDS.get(item.kind, item.kind)
    story: list[Flowable] = [
        paragraph(f"Item {number} of {total}: {kind} (local item {item.id})", st["h2"]),
        _grading(item),
        paragraph("Intelligence", st["h3"]),
    ]
    story += paragraphs(item.text or item.label, st["body"])
    if item.facts:
        story.append(paragraph("Details recorded", st["h3"]))
        rows: list[list[object]] = [[paragraph(k, st["label"]), paragraphs(v, st["body"])]
                                    for k, v in item.facts]
        story.append(table(rows, [45 * mm, CONTENT_W - 45 * mm], header=False,
                           shade_first_col=True))
    story.append(paragraph("Children this concerns", st["h3"]))
    if item.children:
        rows = [[paragraph(t, st["cellhead"]) for t in
                 ("Child", "Local id", "Where the information came from", "Date seen")]]
        rows += [[paragraph(name, st["body"]), paragraph(str(cid), st["body"]),
                  paragraphs(source or "Not recorded", st["body"]),
                  paragraph(format_date(seen), st["body"])]
                 for name, cid, source, seen in item.children]
        story.append(table(rows, [42 * mm, 17 * mm, CONTENT_W - 99 * mm, 40 * mm],
                           header=True))
    else:
        story.append(paragraph("None you may see.", st["body"]))
    story.append(paragraph("Handling conditions", st["h3"]))
    story += paragraphs(item.handling_conditions or "None beyond the handling code.",
                        st["body"])
    story.append(paragraph(f"Recorded by {item.recorded_by} on "
                           f"{format_date(item.recorded_on)}.",
                           st["muted"]))
    return story


def _story(form: SubmissionForm) -> list[Flowable]:
    st = styles()
    story: list[Flowable] = [
        paragraph("Intelligence submission", st["title"]),
        paragraph(form.notice, st["label"]),
        Spacer(1, 2 * mm),
    ]
    made = f"{format_date(form.made_at.date())} {form.made_at:%H:%M} UTC"
    rows: list[list[object]] = [
        [paragraph("Reference", st["label"]), paragraph(form.reference, st["body"])],
        [paragraph("Submitted by", st["label"]), paragraph(form.submitted_by, st["body"])],
        [paragraph("Date and time", st["label"]), paragraph(made, st["body"])],
        [paragraph("Items", st["label"]), paragraph(str(len(form.items)), st["body"])],
    ]
    if form.organisation:
        rows.insert(2, [paragraph("Agency", st["label"]),
                        paragraph(form.organisation, st["body"])])
    story.append(table(rows, [45 * mm, CONTENT_W - 45 * mm], header=False,
                       shade_first_col=True))
    story.append(paragraph(
        "Each item is graded on the national 3x5x2 model (older records on the 5x5x5 "
        "model): the reliability of the source, how the source knows the information, and "
        "whether it may be shared. The analyst re-evaluates the grading on receipt.",
        st["muted"]))
    for number, item in enumerate(form.items, start=1):
        story += _item(item, number, len(form.items))
    return story


def render_submission(form: SubmissionForm) -> bytes:
    """The submission as PDF bytes."""
    story = _story(form)
    marking = f"{form.marking}: {EVERY_PAGE}"
    canvas = page_canvas(marking, "Intelligence submission", form.reference,
                         "Graded intelligence")
    return build_pdf(story, canvas, title=f"Intelligence submission {form.reference}",
                     subject=marking)
