"""A model draft: typed parts for what the editor changes, the rest kept as it came."""

from __future__ import annotations

from typing import Any

from riskscreen.scoring.draft import BandCell, ModelDraft, WeightCell
from riskscreen.scoring.model import ScoringModel


def _data(model: ScoringModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def test_an_untouched_draft_gives_back_the_same_data_in_the_same_order(
        model: ScoringModel) -> None:
    data = _data(model)
    again = ModelDraft.from_data(data).to_data()
    assert again == data
    assert list(again) == list(data)  # a check names the lines the YAML file has
    assert ScoringModel.model_validate(again).sha256 == model.sha256


def test_each_edit_lands_where_the_model_keeps_it(model: ScoringModel) -> None:
    data = _data(model)
    draft = ModelDraft.from_data(data)
    draft.set_points(WeightCell("older_associates", "recent"), 9)
    first_band = BandCell(0, 0)
    draft.set_points(first_band, 3)
    draft.levels[1].name = "Some risk"
    draft.levels[2].starts_at = 14
    draft.max_reduction = 2
    draft.rules.pop()
    draft.change_note = "Older associates weigh more."
    out = draft.to_data()
    assert out["weights"]["older_associates"]["recent"] == 9
    assert out["bands"][0]["bands"][0]["points"] == 3
    assert draft.points(first_band) == 3
    assert out["levels"][1]["name"] == "Some risk"
    assert {t["level"]: t["from"] for t in out["thresholds"]}[draft.levels[2].id] == 14
    assert out["protective"]["max_reduction"] == 2
    assert out["protective"]["floor_kinds"] == data["protective"]["floor_kinds"]
    assert len(out["rules"]) == len(data["rules"]) - 1
    assert out["change_note"] == "Older associates weigh more."
    assert data["weights"]["older_associates"]["recent"] != 9  # the data it came from is kept
    edited = ScoringModel.model_validate(out)
    assert edited.bands[0].bands[0].points == 3
    assert draft.level_names()[draft.levels[1].id] == "Some risk"


def test_bands_read_as_the_model_describes_them(model: ScoringModel) -> None:
    draft = ModelDraft.from_data(_data(model))
    words = [band.describe() for _, band in draft.band_cells()]
    assert words == [b.describe() for entry in model.bands for b in entry.bands]
    assert [cell for cell, _ in draft.band_cells()][:2] == [BandCell(0, 0), BandCell(0, 1)]
