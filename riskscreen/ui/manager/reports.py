"""Managers' reports tab (filled in by the reports work)."""

from __future__ import annotations

from typing import Any

__all__ = ["attach_reports"]


def attach_reports(controller: Any) -> None:
    """Add the reports tab to a manager's window."""
