"""The vocabulary of referral outcomes, kept as data (``resources/outcomes.yaml``).

A referral closes with one or more outcomes (strategy discussion held, preventative work
started with a named partner, no further action with the reason...). Each referral also
records a dated answer to "exploitation confirmed?" with its source, from the same file's
``confirmation_sources``. Ids are stored with the referrals, so an id is retired, never
removed; a retired entry still reads but is no longer offered.

>>> vocabulary = load_outcomes()
>>> vocabulary.outcome("preventative_work").label
'Preventative work started'
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from riskscreen import checks
from riskscreen.definitions import (
    DefinitionError,
    Located,
    Problem,
    data_file,
    hinted,
    load_yaml,
    read_text,
)
from riskscreen.forms.loader import parse_definition

__all__ = ["ConfirmationSource", "Outcome", "OutcomeVocabulary", "load_outcomes",
           "parse_outcomes"]

SHIPPED = "outcomes.yaml"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(hinted(f"id {value!r} is not valid",
                                "use lower-case letters, digits and underscores"))
    return value


class Outcome(_Strict):
    """One thing that can come of a referral."""

    id: str
    label: str = Field(min_length=1, max_length=120)
    #: What the one piece of extra text asks for (the partner, the reason); none: no text.
    detail: str | None = Field(default=None, min_length=1, max_length=120)
    detail_required: bool = False
    #: No longer offered, but still shown on the referrals that have it.
    retired: bool = False

    _v_id = field_validator("id")(_check_id)

    @model_validator(mode="after")
    def _required_needs_detail(self) -> Outcome:
        if self.detail_required and self.detail is None:
            raise ValueError(hinted("detail_required is true but the outcome asks for no "
                                    "detail", "add 'detail:' saying what to write"))
        return self


class ConfirmationSource(_Strict):
    """Where an answer to "exploitation confirmed?" came from."""

    id: str
    label: str = Field(min_length=1, max_length=120)
    retired: bool = False

    _v_id = field_validator("id")(_check_id)


class OutcomeVocabulary(_Strict):
    """Every outcome and confirmation source, in the order they are offered."""

    kind: Literal["outcomes"] = "outcomes"
    id: str
    version: str
    outcomes: list[Outcome] = Field(min_length=1)
    confirmation_sources: list[ConfirmationSource] = Field(min_length=1)

    def outcome(self, outcome_id: str) -> Outcome:
        """The outcome with this id; ``KeyError`` if there is none."""
        for o in self.outcomes:
            if o.id == outcome_id:
                return o
        raise KeyError(outcome_id)

    def source(self, source_id: str) -> ConfirmationSource:
        """The confirmation source with this id; ``KeyError`` if there is none."""
        for s in self.confirmation_sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)

    def outcome_label(self, outcome_id: str) -> str:
        """How an outcome id reads (the id in words if the vocabulary no longer has it)."""
        try:
            return self.outcome(outcome_id).label
        except KeyError:
            return outcome_id.replace("_", " ").capitalize()

    def source_label(self, source_id: str) -> str:
        """How a source id reads (the id in words if the vocabulary no longer has it)."""
        try:
            return self.source(source_id).label
        except KeyError:
            return source_id.replace("_", " ").capitalize()


def _duplicates(vocabulary: OutcomeVocabulary) -> list[Problem]:
    problems: list[Problem] = []
    lists = (("outcomes", [o.id for o in vocabulary.outcomes]),
             ("confirmation_sources", [c.id for c in vocabulary.confirmation_sources]))
    for key, ids in lists:
        seen: dict[str, int] = {}
        for i, item_id in enumerate(ids):
            if item_id in seen:
                problems.append(Problem(
                    f"'{item_id}' is defined twice (first at {key}[{seen[item_id]}])",
                    (key, i, "id"), "give each entry its own id"))
            seen.setdefault(item_id, i)
    return problems


def _parse(located: Located) -> OutcomeVocabulary:
    kind = located.data.get("kind") if isinstance(located.data, dict) else None
    if kind != "outcomes":
        raise DefinitionError(located.file, located.locate([Problem(
            f"expected 'kind: outcomes', found {kind!r}", ("kind",),
            "an outcomes file starts with 'kind: outcomes'")]))
    vocabulary = parse_definition(located, OutcomeVocabulary)
    problems = _duplicates(vocabulary)
    if problems:
        raise DefinitionError(located.file, located.locate(problems))
    return vocabulary


def parse_outcomes(text: str, file: str) -> OutcomeVocabulary:
    """Parse and check an outcomes file's YAML text; ``file`` names it in messages."""
    return _parse(load_yaml(text, file))


def load_outcomes(source: str | Path | None = None) -> OutcomeVocabulary:
    """Load an outcomes vocabulary from a file, or the shipped ``resources/outcomes.yaml``."""
    if source is None:
        return _load_shipped()
    path = Path(source)
    return parse_outcomes(read_text(path), str(path))


@lru_cache(maxsize=1)
def _load_shipped() -> OutcomeVocabulary:
    return parse_outcomes(read_text(data_file("resources", SHIPPED)), f"resources/{SHIPPED}")


def _checker(located: Located, text: str, context: checks.CheckContext) -> list[Problem]:
    """``riskscreen validate`` for ``kind: outcomes`` files."""
    try:
        _parse(located)
    except DefinitionError as error:
        return error.problems
    return []


checks.register("outcomes", _checker)
