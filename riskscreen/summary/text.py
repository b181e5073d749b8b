"""Free text in the PDF: escaping, and right-to-left scripts (Arabic, Hebrew).

reportlab lays out text left to right and does not join Arabic letters. For a paragraph
holding right-to-left characters we therefore (1) shape Arabic into its joined presentation
forms with ``arabic-reshaper``, (2) wrap the shaped, still logical-order text into lines that
fit the width, measuring with the real font, and only then (3) reorder each line for display
with ``python-bidi`` (the Unicode bidirectional algorithm). Wrapping before reordering keeps
the lines of a long paragraph in the right order. Limits: the presentation-form approach
covers Arabic, Persian and Urdu letters DejaVu Sans has; it does not position diacritics the
way a full shaping engine (HarfBuzz) would, and text copied out of the PDF comes out in
visual order.

Long text is laid out as a :class:`TextStack` of paragraphs of at most :data:`CHUNK_CHARS`
characters. reportlab re-wraps the whole rest of a paragraph at every page break it splits,
which made one long answer take time growing with the square of its length; pieces of
bounded size keep the time linear in the text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth
from reportlab.platypus import Flowable, Paragraph

__all__ = ["CHUNK_CHARS", "BidiParagraph", "TextStack", "base_direction", "chunks", "has_rtl",
           "paragraph", "paragraphs", "visual_lines"]

#: The most characters one laid-out paragraph of free text holds (about a third of a page).
CHUNK_CHARS = 2000

_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def has_rtl(text: str) -> bool:
    """Whether the text holds right-to-left characters (Hebrew, Arabic and related)."""
    return _RTL.search(text) is not None


def base_direction(text: str) -> str:
    """``"R"`` if the first strongly directional character is right-to-left, else ``"L"``."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "R"
        if kind == "L":
            return "L"
    return "L"


def _break_word(word: str, width: float, font: str, size: float) -> list[str]:
    """Cut a word wider than ``width`` into pieces that fit, measuring each letter once."""
    parts: list[str] = []
    start, used = 0, 0.0
    for i, ch in enumerate(word):
        w = stringWidth(ch, font, size)
        if i > start and used + w > width:
            parts.append(word[start:i])
            start, used = i, 0.0
        used += w
    return [*parts, word[start:]] if start < len(word) else parts


@lru_cache(maxsize=8)
def _reshaper(font: str) -> Any:
    """An Arabic reshaper that only forms the ligatures ``font`` has glyphs for (DejaVu Sans
    lacks, for example, the single-glyph word ligatures), so no letter prints as a box."""
    from arabic_reshaper import ArabicReshaper
    from arabic_reshaper.ligatures import LIGATURES

    cmap: dict[int, int] = getattr(getattr(getFont(font), "face", None), "charToGlyph", {})
    config: dict[str, bool] = {}
    for name, (_, forms) in LIGATURES:
        chars = "".join(forms)
        config[name] = bool(cmap) and all(ord(ch) in cmap for ch in chars)
    return ArabicReshaper(configuration=config)


def visual_lines(text: str, width: float, font: str, size: float) -> tuple[list[str], str]:
    """Shape, wrap to ``width`` points, then reorder each line; return lines and direction."""
    from bidi import get_display

    reshape = _reshaper(font).reshape

    direction = base_direction(text)
    lines: list[str] = []
    space = stringWidth(" ", font, size)
    for raw in text.split("\n"):
        shaped: str = reshape(raw)
        cur, cur_w = "", 0.0
        for word in shaped.split(" "):
            w = stringWidth(word, font, size)
            pieces = _break_word(word, width, font, size) if w > width else [word]
            for piece in pieces:
                pw = stringWidth(piece, font, size)
                if cur and cur_w + space + pw > width:
                    lines.append(cur)
                    cur, cur_w = piece, pw
                elif cur:
                    cur, cur_w = f"{cur} {piece}", cur_w + space + pw
                else:
                    cur, cur_w = piece, pw
        lines.append(cur)
    return [str(get_display(line, base_dir=direction)) for line in lines], direction


class BidiParagraph(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """A paragraph of plain text that may hold right-to-left script; splits over pages."""

    def __init__(self, text: str, style: ParagraphStyle) -> None:
        super().__init__()
        self.text = text
        self.style = style
        self._para: Paragraph | None = None
        self._width: float | None = None

    def _inner(self, width: float) -> Paragraph:
        if self._para is None or self._width != width:
            lines, direction = visual_lines(self.text, width, self.style.fontName,
                                            self.style.fontSize)
            style = ParagraphStyle(f"{self.style.name}-bidi", parent=self.style,
                                   alignment=TA_RIGHT if direction == "R" else TA_LEFT)
            markup = "<br/>".join(escape(line) if line else "&nbsp;" for line in lines)
            self._para = Paragraph(markup, style)
            self._width = width
        return self._para

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        para = self._inner(avail_width)
        w, h = para.wrap(avail_width, avail_height)
        self.width, self.height = w, h
        return w, h

    def split(self, avail_width: float, avail_height: float) -> list[Any]:
        para = self._inner(avail_width)
        para.wrap(avail_width, avail_height)
        parts: list[Any] = para.split(avail_width, avail_height)
        return parts

    def draw(self) -> None:
        assert self._para is not None  # platypus always wraps before drawing
        self._para.drawOn(self.canv, 0, 0)

    def getSpaceBefore(self) -> float:  # noqa: N802 - reportlab's name
        return float(self.style.spaceBefore)

    def getSpaceAfter(self) -> float:  # noqa: N802 - reportlab's name
        return float(self.style.spaceAfter)


def chunks(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """``text`` in consecutive pieces of at most ``size`` characters, for separate paragraphs.

    Pieces end at line breaks where possible; a single longer line is cut at a space (or,
    with none, anywhere), which starts a new line there in the PDF.
    """
    out: list[str] = []
    lines: list[str] = []
    length = 0
    for line in text.split("\n"):
        while len(line) > size:
            cut = line.rfind(" ", 1, size + 1)
            cut = cut if cut > 0 else size
            if lines:
                out.append("\n".join(lines))
                lines, length = [], 0
            out.append(line[:cut])
            line = line[cut + 1:] if line[cut:cut + 1] == " " else line[cut:]
        if lines and length + 1 + len(line) > size:
            out.append("\n".join(lines))
            lines, length = [], 0
        length += (1 if lines else 0) + len(line)
        lines.append(line)
    out.append("\n".join(lines))
    return out


class TextStack(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """Paragraphs of one long text, one after the other; a page break falls between them or
    inside one of them, never re-wrapping the whole text."""

    def __init__(self, parts: list[Flowable]) -> None:
        super().__init__()
        self.parts = parts
        self._heights: list[float] = []

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self._heights = []
        for i, part in enumerate(self.parts):
            _, h = part.wrap(avail_width, avail_height)
            self._heights.append(h + (part.getSpaceBefore() if i else 0.0))
        self.width, self.height = avail_width, sum(self._heights)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Any]:
        # The pieces go back to the frame one by one; the first must fit where it is put.
        first = self.parts[0]
        _, h = first.wrap(avail_width, avail_height)
        if h <= avail_height:
            return list(self.parts)
        head: list[Any] = first.split(avail_width, avail_height)
        return [*head, *self.parts[1:]] if head else []

    def draw(self) -> None:
        y = self.height
        for part, height in zip(self.parts, self._heights, strict=True):
            y -= height
            part.drawOn(self.canv, 0, y)

    def getSpaceBefore(self) -> float:  # noqa: N802 - reportlab's name
        return float(self.parts[0].getSpaceBefore())

    def getSpaceAfter(self) -> float:  # noqa: N802 - reportlab's name
        return float(self.parts[-1].getSpaceAfter())


def _one(text: str, style: ParagraphStyle, markup: bool) -> Flowable:
    if not markup and has_rtl(text):
        return BidiParagraph(text, style)
    body = text if markup else escape(text)
    return Paragraph(body.replace("\n", "<br/>"), style)


def paragraph(text: str, style: ParagraphStyle, *, markup: bool = False) -> Flowable:
    """A flowable for ``text``: escaped (unless ``markup``), newlines kept, RTL handled, and
    long plain text split into a :class:`TextStack` of bounded paragraphs."""
    if markup or len(text) <= CHUNK_CHARS:
        return _one(text, style, markup)
    return TextStack(paragraphs(text, style))


def paragraphs(text: str, style: ParagraphStyle) -> list[Flowable]:
    """Plain ``text`` as paragraphs of at most :data:`CHUNK_CHARS` characters that read as
    one (no space between them); a table cell takes the list as it is."""
    pieces = chunks(text)
    if len(pieces) == 1:
        return [_one(text, style, False)]
    inner = ParagraphStyle(f"{style.name}-piece", parent=style, spaceBefore=0, spaceAfter=0)
    first = ParagraphStyle(f"{style.name}-first", parent=style, spaceAfter=0)
    last = ParagraphStyle(f"{style.name}-last", parent=style, spaceBefore=0)
    styles = [first, *[inner] * (len(pieces) - 2), last]
    return [_one(piece, st, False) for piece, st in zip(pieces, styles, strict=True)]
