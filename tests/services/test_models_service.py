"""Managers' scoring-model use cases: drafts, validation messages, impact, publish, import,
export, history and role checks."""

from __future__ import annotations

import pytest

from riskscreen.forms.loader import load_form
from riskscreen.scoring.impact import impact
from riskscreen.services import PermissionDenied
from riskscreen.services.demo import populate
from riskscreen.services.models import (
    ModelRefused,
    model_data,
    model_to_yaml,
    next_version,
)

from ..conftest import Vault


@pytest.fixture
def vault(backend_vault: Vault) -> Vault:
    """This module's tests run on both backends (see tests/conftest.py)."""
    return backend_vault


@pytest.fixture
def filled(vault: Vault) -> Vault:
    mary = vault.login("mary")
    populate(mary, 60, seed=3)
    mary.close()
    return vault


def test_draft_proposes_next_version_and_needs_a_change_note(filled: Vault) -> None:
    service = filled.login("mary").models
    _, in_force = service.in_force()
    data = service.new_draft()
    assert data["version"] == next_version(in_force.version)
    assert data["derived_from"] == in_force.version
    problems = service.check(data).problems
    assert problems
    assert "change_note" in problems[0]
    data["change_note"] = "Raise older associates"
    assert service.check(data).problems == []


def test_validation_uses_the_validate_messages(filled: Vault) -> None:
    from riskscreen.definitions import DefinitionError
    from riskscreen.scoring.loader import parse_model

    service = filled.login("mary").models
    data = service.new_draft()
    data["change_note"] = "bad thresholds"
    data["thresholds"][0]["from"] = 0
    found = service.check(data).problems
    with pytest.raises(DefinitionError) as error:
        parse_model(model_to_yaml(data), "draft.yaml", load_form("cse-screening"))
    assert found == [p.format() for p in error.value.problems]
    assert "first threshold is 0" in found[0]


def test_impact_matches_the_core_and_publish_keeps_old_screenings(filled: Vault) -> None:
    mary = filled.login("mary")
    service = mary.models
    data = service.new_draft()
    data["change_note"] = "Raise hotels and parties"
    data["weights"]["hotels_parties_unknown_addresses"].update(recent=12, both=13)
    draft = service.build(data)
    report = service.impact(draft)
    _, published = service.in_force()
    core = impact(service.form(), published, draft,
                  [(str(sid), a) for sid, _, a in mary.finalised.answer_sets()])
    assert report.matrix == core.matrix
    assert [c.key for c in report.changes] == [c.key for c in core.changes]
    old = mary.screenings.find().items[0].id
    info = service.publish(draft)
    assert info.version == data["version"]
    child = mary.children.create("New Child", "2012-01-01")
    new = mary.screenings.start(child.id)
    assert mary.screenings.open(new).model_sha256 == info.sha256
    assert mary.screenings.open(old).model_sha256 == published.sha256
    assert [m.version for m in service.history()][:2] == [info.version, published.version]
    diff = service.diff(published.sha256, info.sha256)
    assert "+change_note: Raise hotels and parties" in diff


def test_import_refuses_invalid_and_other_form_models(filled: Vault) -> None:
    service = filled.login("mary").models
    _, model = service.in_force()
    text = model_to_yaml(model)
    bad = model_data(model)
    bad["thresholds"][0]["from"] = 0
    with pytest.raises(ModelRefused, match=r"bad.yaml, line \d+: The points at which Low starts"):
        service.import_yaml(model_to_yaml(bad), "bad.yaml")
    with pytest.raises(ModelRefused, match="not “cse-screening”"):
        service.import_yaml(text.replace("  id: cse-screening", "  id: other-form"),
                            "other.yaml")
    assert service.import_yaml(service.export_yaml(model))["version"] == model.version


@pytest.mark.parametrize("name", ["pat", "admin"])
def test_only_managers_use_the_model_service(filled: Vault, name: str) -> None:
    service = filled.login(name).models
    with pytest.raises(PermissionDenied):
        service.new_draft()
    with pytest.raises(PermissionDenied):
        service.history()


def test_a_draft_sharing_parts_is_written_out_in_full() -> None:
    """The editor may put one object in two places; the YAML must still load (no aliases)."""
    from riskscreen.definitions import load_yaml
    from riskscreen.scoring.loader import load_model

    data = model_data(load_model("cse-screening"))
    data["rules"].append(data["rules"][0])
    text = model_to_yaml(data)
    assert "&id" not in text
    assert load_yaml(text, "draft.yaml").data["rules"][-1] == data["rules"][0]


def test_next_version_counts_past_nine() -> None:
    assert next_version("1.9.4") == "1.10.0"
    assert next_version("2.10.0") == "2.11.0"


def _through_yaml(data: dict[str, object], form: object) -> object:
    """What ``riskscreen validate`` makes of the data written as a file."""
    from riskscreen.definitions import DefinitionError
    from riskscreen.scoring.loader import parse_model

    try:
        return parse_model(model_to_yaml(data), "draft.yaml", form)  # type: ignore[arg-type]
    except DefinitionError as error:
        return [p.format() for p in error.problems]


def test_a_valid_draft_checked_as_it_is_gives_the_model_its_file_would() -> None:
    """The editor checks valid draft data without writing and reading its YAML text; the
    model (and its hash) is the one the text gives, for every shipped model and edits."""
    from riskscreen.scoring.loader import load_model, shipped_model_versions
    from riskscreen.services.models import model_from_data

    form = load_form("cse-screening")
    for version in shipped_model_versions("cse-screening"):
        data = model_data(load_model(f"cse-screening@{version}", form))
        data["weights"]["older_associates"]["both"] = 11
        data["change_note"] = "Checked as it is"
        for variant in (data, {**data, "change_note": "Another note, “quoted”: 1.10"}):
            found = model_from_data(variant, form)
            assert found.problems == []
            assert found.model == _through_yaml(variant, form)
            assert found.model is not None
            assert found.model.sha256 == _through_yaml(variant, form).sha256  # type: ignore[attr-defined]


def test_a_draft_with_problems_is_checked_through_its_text() -> None:
    """Problems keep their line numbers, and data the YAML gate refuses (nested too deep, an
    over-long number) is refused exactly as its file would be."""
    from riskscreen.scoring.loader import load_model
    from riskscreen.services.models import model_from_data

    form = load_form("cse-screening")
    data = model_data(load_model("cse-screening", form))
    data["change_note"] = "Problems"
    unordered = {**data, "weights": {**data["weights"], "older_associates": {
        **data["weights"]["older_associates"], "recent": 30}}}
    deep: dict[str, object] = {"present": {"question": "older_associates"}}
    for _ in range(60):
        deep = {"not": deep}
    nested = {**data, "rules": [*data["rules"], {**data["rules"][0], "id": "deep",
                                                "when": deep}]}
    huge = {**data, "max_reduction": 10 ** 120}
    for bad in (unordered, nested, huge):
        found = model_from_data(bad, form)
        assert found.model is None
        assert found.problems == _through_yaml(bad, form)
        assert all("draft.yaml:" in p for p in found.problems)


def test_impact_over_the_editors_held_screenings_is_the_stored_ones(filled: Vault) -> None:
    """The editor's impact analysis re-scores the screenings it loaded for the live impact;
    the report is the one read from storage, with and without a date range, and a held
    set of another model in force is not used."""
    from datetime import date

    mary = filled.login("mary")
    service = mary.models
    data = service.new_draft()
    data["change_note"] = "Raise hotels and parties"
    data["weights"]["hotels_parties_unknown_addresses"].update(recent=12, both=13)
    draft = service.build(data)
    held = service.live_impact()
    assert held is not None
    days = sorted({a.screening_date for _, _, a in mary.finalised.answer_sets()})
    for since, until in ((None, None), (days[len(days) // 3], days[2 * len(days) // 3]),
                         (date(1990, 1, 1), date(1990, 1, 2))):
        stored = service.impact(draft, since, until)
        reused = service.impact(draft, since, until, held=held)
        assert reused.matrix == stored.matrix
        assert reused.total == stored.total
        assert reused.changes == stored.changes
    assert stored.total == 0
    service.publish(draft)  # the held scores are now of a model no longer in force
    again = service.build({**data, "version": next_version(data["version"])})
    assert service.impact(again, held=held).matrix == service.impact(again).matrix
