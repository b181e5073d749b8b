"""The referral summary: its data (:func:`build_summary`) and its PDF (:func:`render_pdf`).

Pure core: reportlab only, no Qt, no storage. See ``riskscreen summary --help``.
"""

from riskscreen.summary.build import DEFAULT_MARKING, build_summary
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
