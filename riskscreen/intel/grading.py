"""Intelligence grading: the national 3x5x2 model, and the legacy 5x5x5 of older records.

A grade is written ``S/I/H``: source evaluation, intelligence assessment, handling code.

- **3x5x2** (current): source ``1`` reliable, ``2`` untested, ``3`` not reliable;
  intelligence ``A`` known directly to the source, ``B`` known indirectly but corroborated,
  ``C`` known indirectly, ``D`` not known, ``E`` suspected to be false; handling ``P`` lawful
  sharing permitted, ``C`` lawful sharing permitted with conditions (the conditions are
  recorded with the item).
- **5x5x5** (legacy, shown for records graded before the change): source ``A``–``E``,
  intelligence ``1``–``5``, handling ``1``–``5`` (``4`` and ``5`` keep it within the
  originating agency, or refer back to the originator before any further sharing).

The two are told apart by their first character (a digit for 3x5x2, a letter for 5x5x5), so
a grade text is never ambiguous.

>>> parse_grade("2/b/p")
Grade(scheme='3x5x2', source='2', intelligence='B', handling='P')
>>> parse_grade("2/B/P").restricted
False
>>> parse_grade("B/2/4", allow_legacy=True).restricted
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["CURRENT", "LEGACY", "Grade", "GradeError", "parse_grade"]

CURRENT: Final = "3x5x2"
LEGACY: Final = "5x5x5"
Scheme = Literal["3x5x2", "5x5x5"]

#: What each code means, by scheme and part (the words the form and the screens show).
SOURCE_WORDS: dict[str, dict[str, str]] = {
    CURRENT: {"1": "reliable", "2": "untested", "3": "not reliable"},
    LEGACY: {"A": "always reliable", "B": "mostly reliable", "C": "sometimes reliable",
             "D": "unreliable", "E": "untested"},
}
INTELLIGENCE_WORDS: dict[str, dict[str, str]] = {
    CURRENT: {"A": "known directly to the source",
              "B": "known indirectly to the source but corroborated",
              "C": "known indirectly to the source", "D": "not known",
              "E": "suspected to be false"},
    LEGACY: {"1": "known to be true without reservation", "2": "known personally to the source",
             "3": "not known personally to the source but corroborated",
             "4": "cannot be judged", "5": "suspected to be false"},
}
HANDLING_WORDS: dict[str, dict[str, str]] = {
    CURRENT: {"P": "lawful sharing permitted",
              "C": "lawful sharing permitted with conditions"},
    LEGACY: {"1": "may be shared with other law enforcement agencies",
             "2": "may be shared with UK non-prosecuting parties",
             "3": "may be shared with non-UK law enforcement agencies",
             "4": "only within the originating agency",
             "5": "no further sharing: refer to the originator"},
}
#: Handling codes that restrict who may see an item (see :attr:`Grade.restricted`).
_RESTRICTED = {CURRENT: {"C"}, LEGACY: {"4", "5"}}

_PATTERN = re.compile(r"^\s*([0-9A-Za-z])\s*/\s*([0-9A-Za-z])\s*/\s*([0-9A-Za-z])\s*$")


class GradeError(ValueError):
    """A grade that is not a valid 3x5x2 (or, where allowed, 5x5x5) grade; the message says
    what to write instead."""


@dataclass(frozen=True)
class Grade:
    """One item's grading: which scheme, and its three codes."""

    scheme: Scheme
    source: str
    intelligence: str
    handling: str

    @property
    def text(self) -> str:
        """The grade as written, ``S/I/H`` (``2/B/P``)."""
        return f"{self.source}/{self.intelligence}/{self.handling}"

    @property
    def legacy(self) -> bool:
        """Whether this is a legacy 5x5x5 grade."""
        return self.scheme == LEGACY

    @property
    def restricted(self) -> bool:
        """Whether the handling code puts conditions on sharing (3x5x2 ``C``; 5x5x5 ``4`` or
        ``5``): only the person who recorded the item, analysts and managers see it."""
        return self.handling in _RESTRICTED[self.scheme]

    def words(self) -> tuple[str, str, str]:
        """What the three codes mean, in words."""
        return (SOURCE_WORDS[self.scheme][self.source],
                INTELLIGENCE_WORDS[self.scheme][self.intelligence],
                HANDLING_WORDS[self.scheme][self.handling])

    def describe(self) -> str:
        """One line: the scheme, the codes and what they mean."""
        source, intelligence, handling = self.words()
        return (f"{self.scheme} {self.text}: source {source}; intelligence {intelligence}; "
                f"handling: {handling}")


_HOW = "source 1-3, intelligence A-E and handling P or C, for example 2/B/P"


def parse_grade(text: str, *, allow_legacy: bool = False) -> Grade:
    """The grade written ``text`` (case and spaces do not matter); :class:`GradeError` if it is
    not one. A legacy 5x5x5 grade is accepted only with ``allow_legacy`` (records graded
    before the change); new items are graded 3x5x2."""
    found = _PATTERN.match(text or "")
    if found is None:
        raise GradeError(f"The grade {text!r} is not written S/I/H: give {_HOW}.")
    source, intelligence, handling = (part.upper() for part in found.groups())
    scheme: Scheme = LEGACY if source.isalpha() else CURRENT
    if scheme == LEGACY and not allow_legacy:
        raise GradeError(f"{text.strip()} is a legacy 5x5x5 grade; new items are graded "
                         f"3x5x2: give {_HOW}.")
    parts = (("source evaluation", source, SOURCE_WORDS),
             ("intelligence assessment", intelligence, INTELLIGENCE_WORDS),
             ("handling code", handling, HANDLING_WORDS))
    for what, code, words in parts:
        allowed = words[scheme]
        if code not in allowed:
            choices = ", ".join(allowed)
            raise GradeError(f"{code!r} is not a {scheme} {what}: use one of {choices}"
                             + (" (for example 2/B/P)." if scheme == CURRENT else "."))
    return Grade(scheme, source, intelligence, handling)
