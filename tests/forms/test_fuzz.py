"""Property tests: whatever a definition file holds, validation reports problems, never crashes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from riskscreen.checks import CheckContext, check_file
from riskscreen.definitions import Problem

from .test_validate import GOOD

_yaml = YAML(typ="safe")
# tmp_path is shared across examples on purpose: each example overwrites the one file.
FIXTURE_OK = [HealthCheck.function_scoped_fixture]
BASE: dict[str, Any] = _yaml.load(GOOD)
SHIPPED = Path(__file__).resolve().parents[2] / "forms" / "cse-screening" / "form.yaml"
#: The shipped form as plain data, read once (each example mutates its own deep copy).
SHIPPED_DOC: dict[str, Any] = _yaml.load(SHIPPED.read_text(encoding="utf-8"))

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 500), st.text(max_size=12),
    st.sampled_from(["yes", "no", "reason", "gifts", "age", "missing", "equals", "all", "1.0.0"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(
            ["id", "kind", "type", "show_if", "equals", "any", "not", "question", "value",
             "values", "options", "label", "text", "derived", "questions", "in"]), inner,
            max_size=3),
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(doc: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        path = data.draw(st.sampled_from(paths))
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        action = data.draw(st.sampled_from(["replace", "delete", "duplicate"]))
        key = path[-1]
        if action == "replace":
            parent[key] = data.draw(values)
        elif action == "delete":
            del parent[key]
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    return doc


def _check(tmp_path: Path, text: str) -> list[Problem]:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    problems = check_file(path, CheckContext())
    for p in problems:
        assert isinstance(p, Problem)
        assert p.message
        assert p.format().startswith(f"{path}:")
    return problems


@settings(max_examples=300, deadline=None, suppress_health_check=FIXTURE_OK)
@given(data=st.data())
def test_mutated_forms_never_crash(tmp_path: Path, data: st.DataObject) -> None:
    _check(tmp_path, json.dumps(_mutate(BASE, data)))


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURE_OK)
@given(text=st.text(max_size=300))
def test_random_text_never_crashes(tmp_path: Path, text: str) -> None:
    _check(tmp_path, text)


# Each example re-checks the whole 77-question form, so fewer examples keep CI reasonable.
@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURE_OK)
@given(data=st.data())
def test_mutated_shipped_form_never_crashes(tmp_path: Path, data: st.DataObject) -> None:
    _check(tmp_path, json.dumps(_mutate(SHIPPED_DOC, data), default=str))


def test_mutation_is_detected(tmp_path: Path) -> None:
    """The fuzzer's base document is valid, so mutations are what produce the problems."""
    assert _check(tmp_path, json.dumps(BASE)) == []
    broken = copy.deepcopy(BASE)
    broken["sections"][1]["questions"][0]["show_if"] = {"equals": {"question": "nope",
                                                                  "value": 1}}
    assert _check(tmp_path, json.dumps(broken))


@pytest.mark.parametrize("value", ["+_", "-_", "0x_", "0o_", "0b_", "._"])
def test_number_like_values_the_yaml_library_cannot_convert_are_located(
    tmp_path: Path, value: str
) -> None:
    """Random text found these: the YAML library raised IndexError/ValueError on them."""
    problems = _check(tmp_path, f"kind: form\nid: {value}\n")
    assert problems
    assert "quotes" in problems[0].format()
