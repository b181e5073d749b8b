"""`riskscreen validate` on forms: each kind of mistake gives FILE:LINE, a message and a hint."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from riskscreen.checks import check_files
from riskscreen.cli.main import main
from riskscreen.definitions import DefinitionError
from riskscreen.forms.loader import parse_form

GOOD = textwrap.dedent(
    """\
    kind: form
    id: mini
    version: "1.2.3"
    title: Mini form
    derived:
      - {id: age, kind: age_years, question: dob}
    sections:
      - id: child
        title: The child
        guidance: Who the screening is about.
        questions:
          - id: dob
            text: Date of birth
            kind: context
            type: date
            required: true
          - id: reason
            text: Reason
            kind: context
            type: single_choice
            options:
              - {id: concern, label: A concern}
              - {id: missing, label: After a missing episode}
      - id: risks
        title: Risks
        questions:
          - id: missing_count
            text: How many missing episodes?
            kind: context
            type: number
            minimum: 0
            show_if: {equals: {question: reason, value: missing}}
          - id: gifts
            text: Gifts from unknown sources
            kind: risk_indicator
            type: time_window
          - id: under13
            text: Sexual activity under 13
            kind: harm_indicator
            show_if: {less_than: {derived: age, value: 13}}
    """
)


def write(tmp_path: Path, text: str, name: str = "form.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_for(tmp_path: Path, text: str) -> list[str]:
    return [p.format() for p in check_files([write(tmp_path, text)])]


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``needle``."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return hits[occurrence - 1]


def test_good_form_is_valid(tmp_path: Path) -> None:
    assert problems_for(tmp_path, GOOD) == []
    form = parse_form(GOOD, "mini.yaml")
    assert [q.id for q in form.questions()] == [
        "dob", "reason", "missing_count", "gifts", "under13"]


def test_duplicate_question_id_names_the_line(tmp_path: Path) -> None:
    text = GOOD.replace("- id: gifts", "- id: reason")
    out = problems_for(tmp_path, text)
    assert len(out) == 1
    expected_line = line_of(text, "- id: reason", 2)
    assert out[0].startswith(f"{tmp_path / 'form.yaml'}:{expected_line}: ")
    assert "duplicate question id 'reason'" in out[0]
    assert "hint:" in out[0]


def test_show_if_naming_missing_question(tmp_path: Path) -> None:
    text = GOOD.replace("{equals: {question: reason, value: missing}}",
                        "{equals: {question: reasons, value: missing}}")
    (out,) = problems_for(tmp_path, text)
    assert f":{line_of(text, 'question: reasons')}: " in out
    assert "unknown question 'reasons'" in out


def test_show_if_naming_missing_option(tmp_path: Path) -> None:
    text = GOOD.replace("value: missing}}", "value: mising}}")
    (out,) = problems_for(tmp_path, text)
    assert "'mising' is not an answer 'reason' offers" in out
    assert "concern, missing" in out


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("{greater_than: {question: reason, value: 2}}", "'greater_than' compares order"),
        ("{equals: {question: missing_count, value: lots}}", "compares a number with 'lots'"),
        ("{contains: {question: reason, value: concern}}", "'contains' needs a multiple-choice"),
        ("{less_than: {derived: age, value: twelve}}", "(a number) with 'twelve'"),
        ("{equals: {question: gifts, value: yes}}", "'yes' is not an answer 'gifts' offers"),
    ],
)
def test_incompatible_comparisons(tmp_path: Path, condition: str, message: str) -> None:
    text = GOOD.replace("{less_than: {derived: age, value: 13}}", condition)
    out = problems_for(tmp_path, text)
    assert any(message in line for line in out), out


def test_forward_reference_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("{equals: {question: reason, value: missing}}",
                        "{answered: {question: gifts}}")
    (out,) = problems_for(tmp_path, text)
    assert "depends on 'gifts', which comes after it" in out


def test_condition_cycle_is_reported(tmp_path: Path) -> None:
    text = GOOD.replace(
        "        kind: risk_indicator\n        type: time_window\n",
        "        kind: risk_indicator\n        type: time_window\n"
        "        show_if: {answered: {question: under13}}\n",
    ).replace("{less_than: {derived: age, value: 13}}", "{answered: {question: gifts}}")
    out = problems_for(tmp_path, text)
    assert any("conditions form a cycle: " in line and "gifts" in line and "under13" in line
               for line in out), out


def test_self_reference(tmp_path: Path) -> None:
    text = GOOD.replace("{less_than: {derived: age, value: 13}}",
                        "{answered: {question: under13}}")
    out = problems_for(tmp_path, text)
    assert any("depends on its own answer" in line for line in out)


def test_empty_section(tmp_path: Path) -> None:
    text = GOOD + "  - id: empty\n    title: Nothing here\n    questions: []\n"
    (out,) = problems_for(tmp_path, text)
    assert "section 'empty' has no questions" in out
    assert f":{line_of(text, 'questions: []')}: " in out


def test_repeated_option_id(tmp_path: Path) -> None:
    text = GOOD.replace("{id: missing, label: After a missing episode}",
                        "{id: concern, label: After a missing episode}")
    out = problems_for(tmp_path, text)
    assert any("option id 'concern' repeated in question 'reason'" in line for line in out)


@pytest.mark.parametrize("version", ['"1.0"', "1.0", '"v1.0.0"', '"01.0.0"'])
def test_invalid_version(tmp_path: Path, version: str) -> None:
    text = GOOD.replace('version: "1.2.3"', f"version: {version}")
    (out,) = problems_for(tmp_path, text)
    assert ":3: " in out
    assert "not a semantic version" in out


def test_unknown_key_is_a_typo(tmp_path: Path) -> None:
    text = GOOD.replace("        required: true\n", "        requird: true\n")
    (out,) = problems_for(tmp_path, text)
    assert f":{line_of(text, 'requird')}: unknown key 'requird'" in out


def test_missing_key(tmp_path: Path) -> None:
    text = GOOD.replace("title: Mini form\n", "")
    (out,) = problems_for(tmp_path, text)
    assert "missing required key 'title'" in out


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    text = GOOD.replace("title: Risks", "title: Risks: and harms")
    (out,) = problems_for(tmp_path, text)
    assert f":{line_of(text, 'Risks: and harms')}: YAML syntax error" in out


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    text = GOOD.replace("title: Mini form\n", "title: Mini form\ntitle: Again\n")
    (out,) = problems_for(tmp_path, text)
    assert "YAML syntax error" in out
    assert "duplicate key" in out


def test_choice_without_options_and_bounds_on_text(tmp_path: Path) -> None:
    text = GOOD.replace("        minimum: 0\n", "        minimum: 5\n        maximum: 1\n")
    (out,) = problems_for(tmp_path, text)
    assert "minimum 5 is above maximum 1" in out


def test_condition_with_two_operators(tmp_path: Path) -> None:
    text = GOOD.replace("{less_than: {derived: age, value: 13}}",
                        "{less_than: {derived: age, value: 13}, answered: {question: dob}}")
    (out,) = problems_for(tmp_path, text)
    assert "exactly one operator" in out


def test_code_in_condition_is_never_run(tmp_path: Path) -> None:
    text = GOOD.replace("{less_than: {derived: age, value: 13}}",
                        "{eval: \"__import__('os').system('touch pwned')\"}")
    (out,) = problems_for(tmp_path, text)
    assert "unknown condition operator 'eval'" in out
    assert not (tmp_path / "pwned").exists()


def test_parse_form_raises_definition_error_with_all_problems() -> None:
    text = GOOD.replace("- id: gifts", "- id: reason").replace("value: missing}}",
                                                              "value: x}}")
    with pytest.raises(DefinitionError) as caught:
        parse_form(text, "mini.yaml")
    assert len(caught.value.problems) == 2
    assert str(caught.value).startswith("mini.yaml:")


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, GOOD, "good.yaml")
    bad = write(tmp_path, GOOD.replace("- id: gifts", "- id: reason"), "bad.yaml")
    assert main(["validate", str(good)]) == 0
    assert main(["validate", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:" in out
    assert f"{good}:" not in out
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 1
    assert "file not found" in capsys.readouterr().out


def test_unknown_kind(tmp_path: Path) -> None:
    (out,) = problems_for(tmp_path, "kind: questionnaire\nid: x\n")
    assert "unknown or missing 'kind'" in out
    assert ":1: " in out


@pytest.mark.parametrize("operator", ["equals", "all", "not", "answered"])
def test_condition_operator_without_value(tmp_path: Path, operator: str) -> None:
    text = GOOD.replace("{less_than: {derived: age, value: 13}}", f"{{{operator}: null}}")
    (out,) = problems_for(tmp_path, text)
    assert f"condition operator '{operator}' has no value" in out


def test_bare_id_is_never_read_as_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    from riskscreen.forms.loader import load_form

    (tmp_path / "cse-screening").mkdir()
    monkeypatch.chdir(tmp_path)
    assert load_form("cse-screening").id == "cse-screening"


def test_free_text_limits_are_checked_with_the_answers() -> None:
    from riskscreen.forms.answers import (
        EVIDENCE_DETAILS_LIMIT,
        EVIDENCE_SOURCE_LIMIT,
        AnswerSet,
        check_answers,
    )
    from riskscreen.forms.loader import load_form

    form = load_form("cse-screening")
    answers = AnswerSet.model_validate({
        "form": form.id, "form_version": form.version, "screening_date": "2026-03-01",
        "answers": {"older_associates": "recent", "practitioner_analysis": "x" * 50_001},
        "evidence": {"older_associates": {
            "basis": "observed", "details": "y" * (EVIDENCE_DETAILS_LIMIT + 1),
            "source": "z" * (EVIDENCE_SOURCE_LIMIT + 1)}}})
    found = {(p.question, p.message, p.limit) for p in check_answers(form, answers,
                                                                      complete=False)}
    assert found == {
        ("practitioner_analysis", "text is 50,001 characters, longer than the limit of 50,000",
         50_000),
        ("older_associates", "the evidence details are 20,001 characters, longer than the "
                             "limit of 20,000", 20_000),
        ("older_associates", "the evidence source is 201 characters, longer than the limit "
                             "of 200", 200),
    }


def test_a_form_cannot_allow_longer_text_than_the_documented_maximum(form_file: Path) -> None:
    text = form_file.read_text(encoding="utf-8")
    line = text.splitlines().index("        max_length: 200") + 1
    with pytest.raises(DefinitionError) as error:
        parse_form(text.replace("max_length: 200", "max_length: 60000", 1), "form.yaml")
    assert error.value.problems[0].format().startswith(f"form.yaml:{line}: ")
    assert "50000" in error.value.problems[0].message
