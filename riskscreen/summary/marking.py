"""The protective marking a referral summary carries when none is set.

A module of its own so that the command line's help can name it without loading the summary
builder (and the forms, scoring and routing it reads).
"""

from __future__ import annotations

__all__ = ["DEFAULT_MARKING"]

#: The Government Security Classification marking printed on every page by default.
DEFAULT_MARKING = "OFFICIAL-SENSITIVE"
