"""A model's hash follows its content, including for copies edited in code."""

from __future__ import annotations

from riskscreen.forms.loader import load_form
from riskscreen.scoring.loader import load_model


def test_edited_copy_gets_a_new_hash() -> None:
    form = load_form("cse-screening")
    model = load_model("cse-screening", form)
    original = model.sha256
    copy = model.model_copy(update={"change_note": "A different note."})
    assert copy.sha256 != original
    assert copy.sha256 == load_model("cse-screening", form).model_copy(
        update={"change_note": "A different note."}).sha256
    assert model.sha256 == original
    assert model.model_copy().sha256 == original


def test_rule_condition_with_a_null_operator_is_a_clear_error() -> None:
    import pytest
    from pydantic import ValidationError

    from riskscreen.conditions import parse_condition

    with pytest.raises(ValidationError, match="condition operator 'present' has no value"):
        parse_condition({"present": None})
    node = parse_condition(
        {"all": [{"present": {"question": "a"}}, {"not": {"answered": {"question": "b"}}}]})
    assert [(n.operator, p) for n, p in node.walk()] == [
        ("all", ()), ("present", ("all", 0)), ("not", ("all", 1)),
        ("answered", ("all", 1, "not"))]
