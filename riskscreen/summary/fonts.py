"""The bundled DejaVu Sans fonts, registered with reportlab once per process.

DejaVu Sans covers Latin with accents, Greek, Cyrillic, Hebrew and Arabic (including the
presentation forms that :mod:`riskscreen.summary.text` shapes Arabic into), so names print
correctly. The font files ship in ``resources/fonts/`` with their licence
(``DejaVu-LICENSE.txt``) and are read through :mod:`importlib.resources`.
"""

from __future__ import annotations

import threading
from importlib import resources

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from riskscreen.definitions import data_file

__all__ = ["BOLD", "REGULAR", "register_fonts"]

REGULAR = "RiskScreenSans"
BOLD = "RiskScreenSans-Bold"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
_lock = threading.Lock()
_done = False


def register_fonts() -> None:
    """Register the regular and bold faces (and map ``<b>`` to bold); cheap after the first
    call."""
    global _done  # a process-wide, idempotent registration
    if _done:
        return
    with _lock:
        if _done:
            return
        for name, file in _FILES.items():
            with resources.as_file(data_file("resources", "fonts", file)) as path:
                pdfmetrics.registerFont(TTFont(name, str(path)))
        for bold, italic, face in ((0, 0, REGULAR), (1, 0, BOLD), (0, 1, REGULAR),
                                   (1, 1, BOLD)):
            addMapping(REGULAR, bold, italic, face)
        _done = True
