"""How long each kind of intelligence item is kept (``resources/intel_retention.yaml``).

After its period an item is *due*: someone reviews it (keeping it for another period) or
deletes it. Every kind must have a period, so no item is kept without one.

>>> load_retention().months("person")
12
"""

from __future__ import annotations

import calendar
from datetime import date
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from riskscreen import checks
from riskscreen.definitions import DefinitionError, Located, Problem, data_file, read_text
from riskscreen.forms.loader import parse_definition
from riskscreen.intel.kinds import ITEM_KINDS, ItemKind

__all__ = ["ITEM_KINDS", "ItemKind", "Retention", "RetentionPeriod", "add_months", "load_retention",
           "parse_retention"]

SHIPPED = "intel_retention.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RetentionPeriod(_Strict):
    """How long items of one kind are kept before review or deletion."""

    item_kind: ItemKind
    months: int = Field(ge=1, le=120)
    reason: str = Field(default="", max_length=300)


class Retention(_Strict):
    """Every kind's retention period."""

    kind: Literal["intel_retention"] = "intel_retention"
    id: str
    version: str
    periods: list[RetentionPeriod]

    @model_validator(mode="after")
    def _every_kind_once(self) -> Retention:
        kinds = [p.item_kind for p in self.periods]
        missing = [k for k in ITEM_KINDS if k not in kinds]
        twice = sorted({k for k in kinds if kinds.count(k) > 1})
        if missing or twice:
            raise ValueError("give each item kind exactly one period"
                             + (f"; missing: {', '.join(missing)}" if missing else "")
                             + (f"; twice: {', '.join(twice)}" if twice else ""))
        return self

    def months(self, item_kind: str) -> int:
        """The period of ``item_kind`` in months; ``KeyError`` for an unknown kind."""
        for p in self.periods:
            if p.item_kind == item_kind:
                return p.months
        raise KeyError(item_kind)

    def due(self, item_kind: str, start: date) -> date:
        """When an item of ``item_kind`` recorded or last reviewed on ``start`` falls due."""
        return add_months(start, self.months(item_kind))


def add_months(start: date, months: int) -> date:
    """``start`` moved on by whole months (the last day of a shorter month if need be)."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def parse_retention(text: str, file: str) -> Retention:
    """Parse and check a retention file's YAML text; ``file`` names it in messages."""
    from riskscreen.definitions import load_yaml

    return parse_definition(load_yaml(text, file), Retention)


@lru_cache(maxsize=1)
def load_retention() -> Retention:
    """The shipped retention periods."""
    return parse_retention(read_text(data_file("resources", SHIPPED)), f"resources/{SHIPPED}")


def _checker(located: Located, text: str, context: checks.CheckContext) -> list[Problem]:
    """``riskscreen validate`` for ``kind: intel_retention`` files."""
    try:
        parse_definition(located, Retention)
    except DefinitionError as error:
        return error.problems
    return []


checks.register("intel_retention", _checker)
