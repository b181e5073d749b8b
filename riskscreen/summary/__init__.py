"""The referral summary: its data (:func:`build_summary`) and its PDF (:func:`render_pdf`).

Pure core: reportlab only, no Qt, no storage. See ``riskscreen summary --help``.
"""

import importlib
from typing import TYPE_CHECKING, Any

from riskscreen.summary.marking import DEFAULT_MARKING

if TYPE_CHECKING:
    from riskscreen.summary.build import build_summary
    from riskscreen.summary.model import Amendment, ReferralSummary, Referrer
    from riskscreen.summary.render import render_pdf, render_pdf_bytes

__all__ = [
    "DEFAULT_MARKING",
    "Amendment",
    "ReferralSummary",
    "Referrer",
    "build_summary",
    "render_pdf",
    "render_pdf_bytes",
]


#: Where each name is defined, imported when first used: the builder reads the forms, scoring
#: and routing, and the PDF functions reportlab (a moment and several megabytes); importing a
#: module of this package (a package's kinds, the default marking) needs neither.
_LAZY = {"build_summary": "build", "Amendment": "model", "ReferralSummary": "model",
         "Referrer": "model", "render_pdf": "render", "render_pdf_bytes": "render"}


def __getattr__(name: str) -> Any:
    """A name of :data:`_LAZY`, from its module."""
    if name in _LAZY:
        module = importlib.import_module(f"riskscreen.summary.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'riskscreen.summary' has no attribute {name!r}")
