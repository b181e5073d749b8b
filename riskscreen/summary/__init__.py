"""The referral summary: its data (:func:`build_summary`) and its PDF (:func:`render_pdf`).

Pure core: reportlab only, no Qt, no storage. See ``riskscreen summary --help``.
"""

from typing import TYPE_CHECKING, Any

from riskscreen.summary.build import DEFAULT_MARKING, build_summary
from riskscreen.summary.model import Amendment, ReferralSummary, Referrer

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    """The PDF functions, imported when first used: reportlab takes a moment and several
    megabytes, and a session that prints nothing never needs it."""
    if name in ("render_pdf", "render_pdf_bytes"):
        from riskscreen.summary import render

        return getattr(render, name)
    raise AttributeError(f"module 'riskscreen.summary' has no attribute {name!r}")
