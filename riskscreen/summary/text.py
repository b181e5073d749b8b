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

__all__ = ["BidiParagraph", "base_direction", "has_rtl", "paragraph", "visual_lines"]

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
    parts: list[str] = []
    cur = ""
    for ch in word:
        if cur and stringWidth(cur + ch, font, size) > width:
            parts.append(cur)
            cur = ch
        else:
            cur += ch
    return [*parts, cur] if cur else parts


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


def paragraph(text: str, style: ParagraphStyle, *, markup: bool = False) -> Flowable:
    """A flowable for ``text``: escaped (unless ``markup``), newlines kept, RTL handled."""
    if not markup and has_rtl(text):
        return BidiParagraph(text, style)
    body = text if markup else escape(text)
    return Paragraph(body.replace("\n", "<br/>"), style)
