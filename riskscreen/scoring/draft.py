"""A scoring model being edited: typed parts for what the model editor changes.

The editor changes a few things of a model (its version and change note, answer weights,
band points, level names, thresholds, the largest protective reduction and the rules) and
keeps the rest as it came. :class:`ModelDraft` holds those parts as typed values and gives
the model back as the data its YAML file holds (:meth:`ModelDraft.to_data`), with every key
where it was, so a check of the draft names the same lines ``riskscreen validate`` would.

A draft may be invalid while it is edited (an empty level name, a threshold typed as words):
nothing here checks it; the scoring-model services do, with the same code as the command line.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from riskscreen.scoring.model import Band

__all__ = ["BandCell", "BandedDraft", "LevelDraft", "ModelDraft", "PointsCell", "WeightCell"]


@dataclass(frozen=True)
class WeightCell:
    """The points one answer to one question adds: ``weights[question][answer]``."""

    question: str
    answer: str


@dataclass(frozen=True)
class BandCell:
    """The points of one band: band number ``band`` of the banded subject number ``entry``."""

    entry: int
    band: int


#: Where a number of points sits in a draft.
PointsCell = WeightCell | BandCell


@dataclass
class LevelDraft:
    """One level: its name and the points at which it starts.

    ``starts_at`` is None for a level without a threshold (the lowest), and may hold text a
    manager typed that is not a number yet (the check says so).
    """

    id: str
    name: str
    colour: str
    starts_at: int | str | None = None


@dataclass
class BandedDraft:
    """A number question or derived value counted in bands, with each band's points."""

    subject: str
    label: str | None
    bands: list[Band]


@dataclass
class ModelDraft:
    """A scoring model being edited (see the module's docstring).

    ``rules`` stay as data: a rule being composed may not be a valid condition yet, and the
    rule editor and :func:`riskscreen.services.models.describe_rule` read it as such.
    """

    version: str
    change_note: str
    weights: dict[str, dict[str, int]]
    banded: list[BandedDraft]
    levels: list[LevelDraft]
    max_reduction: int
    rules: list[dict[str, Any]]
    #: The model's data as it came, for everything the editor leaves alone.
    base: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ModelDraft:
        """A draft of model data shaped like its YAML file (as the services give it)."""
        starts = {t["level"]: t["from"] for t in data.get("thresholds", [])}
        return cls(
            version=str(data.get("version", "")),
            change_note=str(data.get("change_note", "")),
            weights={qid: dict(answers) for qid, answers in data.get("weights", {}).items()},
            banded=[BandedDraft(str(entry.get("question") or entry.get("derived")),
                                entry.get("label"),
                                [Band.model_validate(band) for band in entry["bands"]])
                    for entry in data.get("bands") or []],
            levels=[LevelDraft(lv["id"], lv["name"], lv.get("colour", ""), starts.get(lv["id"]))
                    for lv in data.get("levels", [])],
            max_reduction=int(data.get("protective", {}).get("max_reduction", 0)),
            rules=copy.deepcopy(list(data.get("rules", []))),
            base=copy.deepcopy(data))

    def to_data(self) -> dict[str, Any]:
        """The draft as model data shaped like its YAML file (a new copy each time)."""
        data = copy.deepcopy(self.base)
        data["version"] = self.version
        data["change_note"] = self.change_note
        data["weights"] = {qid: dict(answers) for qid, answers in self.weights.items()}
        for entry, banded in zip(data.get("bands") or [], self.banded, strict=True):
            entry["bands"] = [band.model_dump(by_alias=True, exclude_none=True)
                              for band in banded.bands]
        by_id = {lv.id: lv for lv in self.levels}
        for lv in data.get("levels", []):
            lv["name"] = by_id[lv["id"]].name
        for threshold in data.get("thresholds", []):
            level = by_id.get(threshold["level"])
            if level is not None and level.starts_at is not None:
                threshold["from"] = level.starts_at
        data.setdefault("protective", {})["max_reduction"] = self.max_reduction
        if self.rules or "rules" in data:
            data["rules"] = copy.deepcopy(self.rules)
        return data

    def points(self, cell: PointsCell) -> int:
        """The points at one place of the draft."""
        if isinstance(cell, WeightCell):
            return self.weights[cell.question][cell.answer]
        return self.banded[cell.entry].bands[cell.band].points

    def set_points(self, cell: PointsCell, points: int) -> None:
        """Change the points at one place of the draft."""
        if isinstance(cell, WeightCell):
            self.weights[cell.question][cell.answer] = points
        else:
            bands = self.banded[cell.entry].bands
            bands[cell.band] = bands[cell.band].model_copy(update={"points": points})

    def band_cells(self) -> Iterator[tuple[BandCell, Band]]:
        """Every band with where its points sit, subject by subject."""
        for e, banded in enumerate(self.banded):
            for b, band in enumerate(banded.bands):
                yield BandCell(e, b), band

    def level_names(self) -> dict[str, str]:
        """Level names by id, as the draft has them now."""
        return {lv.id: lv.name for lv in self.levels}
