"""Thin adapters between the services and the GUI.

The referral helpers live in :mod:`riskscreen.services.referral` (shared with the CLI) and are
re-exported here for the views; :func:`level_styles` reshapes the published models' level
names and colours for the list.
"""

from __future__ import annotations

from riskscreen.services import Session
from riskscreen.services.referral import answer_set_of, referral_reference, referral_summary
from riskscreen.ui.home import LevelStyle

__all__ = ["answer_set_of", "level_styles", "referral_reference", "referral_summary"]


def level_styles(session: Session) -> tuple[dict[str, LevelStyle], list[str]]:
    """Names and colours of every level of the published models, and their order."""
    styles: dict[str, LevelStyle] = {}
    order: list[tuple[int, str]] = []
    for info in session.models.all():
        model = session.models.get(info.sha256)
        for level in model.level_infos():
            if level.id not in styles:
                styles[level.id] = LevelStyle(level.name, level.colour)
                order.append((level.rank, level.id))
    return styles, [lv for _, lv in sorted(order)]
