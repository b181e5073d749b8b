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
