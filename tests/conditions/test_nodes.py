"""The condition language: one node type per operator, read from today's YAML unchanged.

Each node's two compiled forms (a closure over one screening's answers, a function of columns
of many) must agree everywhere; each node says itself in words and checks itself.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from riskscreen.checks import check_files
from riskscreen.conditions import (
    AllOf,
    CountPresent,
    Equals,
    Node,
    Not,
    Present,
    parse_condition,
)
from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.columns import encode
from riskscreen.forms.loader import load_form
from riskscreen.forms.model import FormDefinition
from riskscreen.forms.visibility import derived_values, visible_answers
from riskscreen.scoring.loader import load_model, shipped_model_versions
from riskscreen.synthetic import generate_answer_sets

FORM = load_form("cse-screening")
MODELS = [load_model(f"cse-screening@{v}") for v in shipped_model_versions("cse-screening")]


def _every_condition(form: FormDefinition) -> list[tuple[str, Node]]:
    found: list[tuple[str, Node]] = []
    for q in form.questions():
        if q.show_if is not None:
            found += [(f"{q.id} show_if {path}", node) for node, path in q.show_if.walk()]
    for model in MODELS:
        for path, cond in model.conditions():
            found += [(f"{model.version} {path} {sub}", node) for node, sub in cond.walk()]
    return found


def test_rows_and_columns_agree_on_every_shipped_condition() -> None:
    sets = generate_answer_sets(FORM, 1500, seed=3)
    # Answers lingering on hidden questions are removed first, as both executors do.
    visible = [s.model_copy(update={"answers": visible_answers(FORM, s.answers,
                                                              s.screening_date)})
               for s in sets]
    cols = encode(FORM, visible)
    assert not cols.unscorable
    derived = [derived_values(FORM, s.answers, s.screening_date) for s in visible]
    for where, node in _every_condition(FORM):
        row = node.compile(FORM)
        column = node.columns(FORM)(cols)
        expected = [row(s.answers, d) for s, d in zip(visible, derived, strict=True)]
        assert column.tolist() == expected, where


def test_today_yaml_reads_unchanged_and_dumps_back() -> None:
    data = {"all": [{"present": {"question": "a", "windows": ["recent"]}},
                    {"not": {"answered": {"question": "b"}}},
                    {"in": {"question": "c", "values": ["x", "y"]}},
                    {"count_present": {"sections": ["s"], "at_least": 2}},
                    {"less_than": {"derived": "age", "value": 13}}]}
    node = parse_condition(data)
    assert isinstance(node, AllOf)
    assert isinstance(node.all_[0], Present)
    assert isinstance(node.all_[1], Not)
    assert isinstance(node.all_[3], CountPresent)
    assert node.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True) == data
    assert [(n.operator, p) for n, p in node.walk()][:3] == [
        ("all", ()), ("present", ("all", 0)), ("not", ("all", 1))]


@pytest.mark.parametrize(("data", "message"), [
    ({"eval": "x"}, "unknown condition operator 'eval'"),
    ({"all": [{"equals": {"question": "a", "value": 1}}, {"exec": 1}]},
     "unknown condition operator 'exec'"),
    ({"equals": {"question": "a"}}, "'equals' needs a 'value'"),
    ({"in": {"question": "a", "values": []}}, "'in' needs a non-empty 'values' list"),
    ({"any": []}, "'any' needs at least one condition"),
    ({"equals": {"value": 1}}, "exactly one of 'question' or 'derived'"),
    ({"equals": {"question": "a", "value": 1}, "answered": {"question": "a"}},
     "exactly one operator"),
    ("a == 1", "a mapping with one operator"),
])
def test_malformed_conditions_are_clear_errors(data: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_condition(data)


MINI = textwrap.dedent("""\
    kind: form
    id: mini
    version: "1.0.0"
    title: Mini form
    sections:
      - id: child
        title: The child
        questions:
          - id: reason
            text: Reason
            kind: context
            type: single_choice
            options:
              - {id: concern, label: A concern}
              - {id: missing, label: After a missing episode}
          - id: gifts
            text: Gifts from unknown sources
            kind: risk_indicator
            show_if:
              all:
                - answered: {question: reason}
                - present: {question: reason}
    """)


def test_nested_mistakes_are_located_at_their_own_line(tmp_path: Path) -> None:
    path = tmp_path / "form.yaml"
    path.write_text(MINI, "utf-8")
    problems = [p.format() for p in check_files([path])]
    line = next(i + 1 for i, s in enumerate(MINI.splitlines()) if "- present:" in s)
    assert any(p.startswith(f"{path}:{line}: unknown condition operator 'present'")
               and "is for scoring rules" in p for p in problems), problems
    bad = MINI.replace("- present: {question: reason}", "- exec: {question: reason}")
    path.write_text(bad, "utf-8")
    problems = [p.format() for p in check_files([path])]
    assert any(p.startswith(f"{path}:{line}: unknown condition operator 'exec'")
               for p in problems), problems


def test_every_shipped_condition_says_itself_in_words() -> None:
    for where, node in _every_condition(FORM):
        words = node.describe(FORM)
        assert words, where
        assert "{" not in words, where
    rule = MODELS[-1].rules[0].when
    assert "the child's age is less than 13" in rule.describe(FORM)


def test_a_comparison_is_decided_by_the_question_type() -> None:
    # Dates compare as dates, whether written as text or as a YAML date.
    form = FORM
    dob = next(d.question for d in form.derived)
    node = parse_condition({"equals": {"question": dob, "value": "2012-05-04"}})
    assert isinstance(node, Equals)
    s = AnswerSet(form=form.id, form_version=form.version, screening_date="2026-01-01",
                  answers={dob: "2012-05-04"})
    assert node.evaluate(s.answers, {}, form)
    assert node.columns(form)(encode(form, [s])).tolist() == [True]
