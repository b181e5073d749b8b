"""The shipped questionnaire, forms/cse-screening/form.yaml: loading, contents, show_if and wording.

The show_if tests do not trust the YAML: ``EXPECTED_SHOW_IF`` states, in Python and
independently of the file, when each conditional question should be shown. Every
combination of answers to the questions a condition depends on (and to the questions
*those* depend on) is then run through :func:`visible_questions` and compared with it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from riskscreen.conditions import Equals, GreaterThan, In, LessThan, Node
from riskscreen.definitions import data_file
from riskscreen.forms.loader import load_form, parse_form, shipped_form_ids
from riskscreen.forms.model import (
    DerivedValue,
    FormDefinition,
    Question,
    QuestionKind,
    QuestionType,
)
from riskscreen.forms.visibility import visible_questions

FORM_FILE = Path(__file__).resolve().parents[2] / "forms" / "cse-screening" / "form.yaml"
#: A fixed screening date: ages are worked out on it, never on today's date.
SCREENING_DATE = date(2025, 3, 10)

INDICATOR_KINDS = {
    QuestionKind.RISK_INDICATOR, QuestionKind.HARM_INDICATOR, QuestionKind.VULNERABILITY,
}
CONCERN_TAGS = {
    "missing", "online", "substances", "relationships", "sexual_health", "criminal",
    "trafficking",
}
SEEN = {"recent", "older", "both"}

EXPECTED_SECTIONS = {
    "child_and_screening": [
        "child_name", "date_of_birth", "gender", "gender_description", "ethnicity",
        "case_number", "nhs_number", "child_address", "child_school", "child_gp",
        "parent_carer_name", "parent_carer_contact", "practitioner_agency",
        "practitioner_agency_other", "practitioner_role", "practitioner_phone",
        "practitioner_email", "screening_reason", "previous_screening_date",
        "screening_reason_detail", "child_aware_of_referral", "family_aware_of_referral",
        "family_not_told_reason", "consent_to_share", "consent_given_by",
        "sharing_without_consent_reason",
    ],
    "missing_episodes": [
        "missing_episodes_3_months", "return_home_interview", "no_return_interview_reason",
        "where_found", "missing_overnight", "returned_with_unexplained_items",
        "unexplained_absence_from_education",
    ],
    "exploitation_indicators": [
        "older_associates", "gifts_money_unknown_sources", "picked_up_by_unknown_adults",
        "hotels_parties_unknown_addresses", "online_grooming", "asked_for_sexual_images",
        "sexual_images_shared", "sexually_transmitted_infections", "pregnancy_or_termination",
        "repeat_sexual_health_visits", "unexplained_injuries", "moved_between_towns",
        "peers_known_to_be_exploited", "substances_supplied_by_adults",
        "criminal_activity_linked_to_adults", "online_platforms",
    ],
    "harm_indicators": [
        "disclosure_sexual_exploitation", "sexual_activity_under_13",
        "sexual_activity_13_to_15", "coercive_relationship_16_17",
        "found_in_exploitative_situation", "sexual_activity_in_exchange",
        "images_used_to_threaten",
    ],
    "vulnerabilities": [
        "looked_after_child", "placement_out_of_area", "previous_abuse",
        "domestic_abuse_at_home", "disrupted_education", "learning_disability",
        "mental_health_concerns", "self_harm", "isolation_from_family",
        "insecure_accommodation", "gang_association", "identity_and_sexuality",
    ],
    "protective_factors": [
        "trusted_adult", "trusted_adult_plan", "engaged_in_education", "positive_activities",
        "family_support",
    ],
    "young_persons_views": [
        "child_spoken_to", "who_was_present", "child_views", "child_wishes",
        "communication_support", "not_spoken_to_reason",
    ],
    "analysis": [
        "information_sources", "information_sources_other", "parent_carer_views",
        "practitioner_analysis", "actions_taken",
    ],
}

#: The kinds a section may hold (free-text follow-ups are always context).
SECTION_KINDS = {
    "child_and_screening": {QuestionKind.CONTEXT},
    "missing_episodes": {QuestionKind.CONTEXT, QuestionKind.RISK_INDICATOR},
    "exploitation_indicators": {QuestionKind.RISK_INDICATOR, QuestionKind.CONTEXT},
    "harm_indicators": {QuestionKind.HARM_INDICATOR},
    "vulnerabilities": {QuestionKind.VULNERABILITY},
    "protective_factors": {QuestionKind.PROTECTIVE_FACTOR, QuestionKind.CONTEXT},
    "young_persons_views": {QuestionKind.CONTEXT},
    "analysis": {QuestionKind.CONTEXT},
}

REQUIRED = {
    "child_name", "date_of_birth", "practitioner_agency", "practitioner_agency_other",
    "screening_reason", "screening_reason_detail", "consent_to_share", "consent_given_by",
    "sharing_without_consent_reason", "missing_episodes_3_months", "child_spoken_to",
    "child_views", "not_spoken_to_reason", "information_sources", "practitioner_analysis",
}

OPTION_IDS = {
    "gender": ["female", "male", "non_binary", "self_described", "prefer_not_to_say",
               "not_known"],
    "practitioner_agency": ["childrens_social_care", "police", "health", "education",
                            "youth_service", "voluntary_sector", "other"],
    "screening_reason": ["concern_raised", "missing_episode", "disclosure", "self_referral",
                         "review", "other"],
    "consent_to_share": ["given", "refused", "not_sought"],
    "return_home_interview": ["done", "offered_declined", "not_done", "not_known"],
    "child_spoken_to": ["alone", "with_someone", "not_spoken_to"],
    "information_sources": ["child", "parent_carer", "school", "police", "health",
                            "social_care_records", "other_agency"],
}


# --------------------------------------------------------------------------------------------
# Loading


@pytest.fixture(scope="module")
def form() -> FormDefinition:
    return load_form("cse-screening")


def test_shipped_form_is_listed_and_loads_by_id(form: FormDefinition) -> None:
    assert "cse-screening" in shipped_form_ids()
    assert form.kind == "form"
    assert form.id == "cse-screening"
    assert form.version == "1.0.0"
    assert form.title
    assert form.description


def test_shipped_copy_is_the_repository_file(form: FormDefinition, form_file: Path) -> None:
    assert form_file == FORM_FILE
    shipped_text = data_file("forms", "cse-screening", "form.yaml").read_text(encoding="utf-8")
    assert shipped_text == FORM_FILE.read_text(encoding="utf-8")
    assert load_form(FORM_FILE) == form
    assert load_form(str(FORM_FILE)) == form


def test_age_is_derived_from_the_date_of_birth(form: FormDefinition) -> None:
    assert form.derived == [
        DerivedValue(id="age", kind="age_years", question="date_of_birth",
                     label="Age at the screening date"),
    ]
    assert form.question("date_of_birth").type is QuestionType.DATE
    assert not form.question("date_of_birth").allow_future


# --------------------------------------------------------------------------------------------
# Contents


def test_sections_and_question_ids(form: FormDefinition) -> None:
    assert {s.id: [q.id for q in s.questions] for s in form.sections} == EXPECTED_SECTIONS
    assert [s.id for s in form.sections] == list(EXPECTED_SECTIONS)


def test_ids_are_unique_and_lower_snake_case(form: FormDefinition) -> None:
    question_ids = [q.id for q in form.questions()]
    assert len(question_ids) == len(set(question_ids))
    section_ids = [s.id for s in form.sections]
    assert len(section_ids) == len(set(section_ids))
    for ident in question_ids + section_ids:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", ident), ident
    for q in form.questions():
        assert len(q.option_ids()) == len(set(q.option_ids())), q.id
        for option_id in q.option_ids():
            assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", option_id), (q.id, option_id)


def test_every_section_has_guidance(form: FormDefinition) -> None:
    for section in form.sections:
        assert section.guidance is not None, section.id
        assert len(section.guidance.split()) >= 25, section.id


def test_every_indicator_has_help(form: FormDefinition) -> None:
    indicators = [q for q in form.questions() if q.kind in INDICATOR_KINDS]
    assert len(indicators) >= 30
    for q in indicators:
        assert q.help is not None, q.id
        # What it means and what to look for: more than a restatement of the question.
        assert len(q.help.split()) >= 30, q.id
        assert q.help.strip().lower() != q.text.strip().lower(), q.id


def test_protective_factors(form: FormDefinition) -> None:
    protective = [q for q in form.questions() if q.kind == QuestionKind.PROTECTIVE_FACTOR]
    assert [q.id for q in protective] == [
        "trusted_adult", "engaged_in_education", "positive_activities", "family_support",
    ]
    for q in protective:
        assert q.type is QuestionType.INDICATOR
        assert q.help


def test_kinds_match_their_sections(form: FormDefinition) -> None:
    for section in form.sections:
        for q in section.questions:
            assert q.kind in SECTION_KINDS[section.id], (section.id, q.id, q.kind)
            if q.kind == QuestionKind.CONTEXT and section.id not in {
                "child_and_screening", "missing_episodes", "young_persons_views", "analysis",
            }:
                # A context question among indicators is a free-text follow-up only.
                assert q.type in (QuestionType.LONG_TEXT, QuestionType.TEXT), q.id
                assert q.show_if is not None, q.id


def test_required_questions(form: FormDefinition) -> None:
    assert {q.id for q in form.questions() if q.required} == REQUIRED


def test_choice_option_ids(form: FormDefinition) -> None:
    choices = {q.id: q.option_ids() for q in form.questions()
               if q.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE)}
    assert choices == OPTION_IDS
    assert form.question("information_sources").type is QuestionType.MULTIPLE_CHOICE


def test_answer_types_of_key_questions(form: FormDefinition) -> None:
    missing = form.question("missing_episodes_3_months")
    assert missing.type is QuestionType.NUMBER
    assert (missing.minimum, missing.maximum) == (0, 365)
    assert form.question("child_name").type is QuestionType.TEXT
    assert form.question("sharing_without_consent_reason").type is QuestionType.LONG_TEXT
    assert form.question("practitioner_analysis").type is QuestionType.LONG_TEXT
    assert form.question("missing_overnight").type is QuestionType.INDICATOR
    assert form.question("learning_disability").kind == QuestionKind.VULNERABILITY
    assert form.question("disclosure_sexual_exploitation").kind == QuestionKind.HARM_INDICATOR


def test_risk_indicators_record_when_and_what(form: FormDefinition) -> None:
    risk = [q for q in form.questions() if q.kind == QuestionKind.RISK_INDICATOR]
    section = [q for q in form.section_of("older_associates").questions
               if q.kind == QuestionKind.RISK_INDICATOR]
    assert len(section) >= 14
    # Most indicators of exploitation say when they were seen; all of them in that section.
    assert all(q.type is QuestionType.TIME_WINDOW for q in section)
    # Evidence is asked for behind every risk and harm indicator.
    for q in risk + [q for q in form.questions() if q.kind == QuestionKind.HARM_INDICATOR]:
        assert q.evidence is not None, q.id
        assert q.evidence.prompt.strip(), q.id
    tagged = [q for q in risk if q.concern is not None]
    assert len(tagged) >= len(risk) - 1
    used = {q.concern for q in form.questions() if q.concern is not None}
    assert used == CONCERN_TAGS  # every routing tag is used, and no other


def test_sexual_activity_help_states_the_law(form: FormDefinition) -> None:
    under_13 = form.question("sexual_activity_under_13")
    assert under_13.kind == QuestionKind.HARM_INDICATOR
    help_13 = " ".join((under_13.help or "").split())
    assert "cannot legally consent to any sexual activity" in help_13
    assert "Sexual Offences Act 2003" in help_13
    assert "always a child protection matter" in help_13

    teen = " ".join((form.question("sexual_activity_13_to_15").help or "").split())
    assert "under 16 cannot legally consent" in teen
    assert "power" in teen
    assert "much older" in teen
    assert "child protection concern" in teen

    older = " ".join((form.question("coercive_relationship_16_17").help or "").split())
    assert "position of trust" in older
    assert "still children" in older


def test_identity_help_does_not_locate_risk_in_the_child(form: FormDefinition) -> None:
    text = " ".join((form.question("identity_and_sexuality").help or "").split())
    assert "is not a risk in itself" in text
    assert "adults who exploit may target" in text
    assert "isolated" in text


# --------------------------------------------------------------------------------------------
# show_if: every path


def _missing_episodes(a: Mapping[str, Any]) -> bool:
    n = a.get("missing_episodes_3_months")
    return isinstance(n, int) and n > 0


def _spoken_to(a: Mapping[str, Any]) -> bool:
    return a.get("child_spoken_to") in {"alone", "with_someone"}


Rule = Callable[[Mapping[str, Any], int | None], bool]

#: When each conditional question must be shown, written independently of the YAML.
#: ``a`` holds the raw answers (hidden ones included) and ``age`` the child's age.
EXPECTED_SHOW_IF: dict[str, Rule] = {
    "gender_description": lambda a, age: a.get("gender") == "self_described",
    "practitioner_agency_other": lambda a, age: a.get("practitioner_agency") == "other",
    "previous_screening_date": lambda a, age: a.get("screening_reason") == "review",
    # Not asked when the child referred themselves; asked while the reason is unanswered.
    "child_aware_of_referral": lambda a, age: a.get("screening_reason") != "self_referral",
    "family_not_told_reason": lambda a, age: a.get("family_aware_of_referral") == "no",
    "consent_given_by": lambda a, age: a.get("consent_to_share") == "given",
    "sharing_without_consent_reason":
        lambda a, age: a.get("consent_to_share") in {"refused", "not_sought"},
    "return_home_interview": lambda a, age: _missing_episodes(a),
    # A lingering interview answer does not count once the missing count drops to 0.
    "no_return_interview_reason": lambda a, age: _missing_episodes(a)
        and a.get("return_home_interview") in {"offered_declined", "not_done"},
    "where_found": lambda a, age: _missing_episodes(a),
    "missing_overnight": lambda a, age: _missing_episodes(a),
    "returned_with_unexplained_items": lambda a, age: _missing_episodes(a),
    "online_platforms": lambda a, age: any(
        a.get(q) in SEEN
        for q in ("online_grooming", "asked_for_sexual_images", "sexual_images_shared")),
    "sexual_activity_under_13": lambda a, age: age is not None and age < 13,
    "sexual_activity_13_to_15": lambda a, age: age is not None and 13 <= age <= 15,
    "coercive_relationship_16_17": lambda a, age: age is not None and age >= 16,
    "placement_out_of_area": lambda a, age: a.get("looked_after_child") == "yes",
    "trusted_adult_plan": lambda a, age: a.get("trusted_adult") in {"no", "not_known"},
    "who_was_present": lambda a, age: a.get("child_spoken_to") == "with_someone",
    "child_views": lambda a, age: _spoken_to(a),
    "child_wishes": lambda a, age: _spoken_to(a),
    "communication_support":
        lambda a, age: _spoken_to(a) and a.get("learning_disability") == "yes",
    "not_spoken_to_reason": lambda a, age: a.get("child_spoken_to") == "not_spoken_to",
    "information_sources_other":
        lambda a, age: "other_agency" in (a.get("information_sources") or []),
    "parent_carer_views":
        lambda a, age: "parent_carer" in (a.get("information_sources") or []),
}

ABSENT = object()
AGES = range(0, 20)


def dob_for_age(age: int, on: date = SCREENING_DATE) -> str:
    """A date of birth (ISO text, as answers store it) giving ``age`` on ``on``."""
    return (on.replace(year=on.year - age) - timedelta(days=40)).isoformat()


AGE_OF_DOB = {dob_for_age(n): n for n in AGES}


def _nodes(condition: Node) -> Iterator[Node]:
    for node, _ in condition.walk():
        yield node


def _subject_questions(form: FormDefinition, condition: Node) -> set[str]:
    out = set()
    for kind, ident in condition.subjects():
        out.add(ident if kind == "question" else form.derived_value(ident).question)
    return out


def dependency_closure(form: FormDefinition, question_id: str) -> list[str]:
    """Questions whose answers can decide whether ``question_id`` is shown, in form order."""
    found: set[str] = set()
    todo = [question_id]
    while todo:
        q = form.question(todo.pop())
        if q.show_if is None:
            continue
        for subject in _subject_questions(form, q.show_if) - found:
            found.add(subject)
            todo.append(subject)
    order = [q.id for q in form.questions()]
    return sorted(found, key=order.index)


def _compared_numbers(form: FormDefinition, question_id: str) -> set[int]:
    values: set[int] = set()
    for q in form.questions():
        for node in _nodes(q.show_if) if q.show_if else ():
            if isinstance(node, Equals | In | GreaterThan | LessThan):
                comp = node.arg()
                if comp.question == question_id:
                    values |= {v for v in [comp.value, *(comp.values or [])]
                               if isinstance(v, int)}
    return values


def candidates(form: FormDefinition, q: Question) -> list[Any]:
    """Answers worth trying for ``q`` when it is the subject of a condition."""
    t = q.type
    if t is QuestionType.MULTIPLE_CHOICE:
        return [ABSENT, [], *([o] for o in q.option_ids()), q.option_ids()]
    if q.allowed_values() is not None:
        return [ABSENT, *q.allowed_values()]
    if t is QuestionType.NUMBER:
        low = q.minimum if q.minimum is not None else -1000
        high = q.maximum if q.maximum is not None else 1000
        near = {v + d for v in _compared_numbers(form, q.id) for d in (-1, 0, 1)}
        return [ABSENT, *sorted(v for v in near | {low, high} if low <= v <= high)]
    if t is QuestionType.DATE:
        assert q.id == "date_of_birth", "only the date of birth drives conditions"
        return [ABSENT, *AGE_OF_DOB]
    return [ABSENT, "", "Some text"]


def background(form: FormDefinition) -> dict[str, Any]:
    """An answer to every question, so unrelated answers are shown not to matter."""
    out: dict[str, Any] = {}
    for q in form.questions():
        if q.type is QuestionType.MULTIPLE_CHOICE:
            out[q.id] = q.option_ids()
        elif q.type is QuestionType.INDICATOR:
            out[q.id] = "yes"
        elif q.type is QuestionType.TIME_WINDOW:
            out[q.id] = "both"
        elif q.type is QuestionType.SINGLE_CHOICE:
            out[q.id] = q.option_ids()[-1]
        elif q.type is QuestionType.NUMBER:
            out[q.id] = q.maximum if q.maximum is not None else 1
        elif q.type is QuestionType.DATE:
            out[q.id] = dob_for_age(14)
        else:
            out[q.id] = "Background answer"
    return out


def combinations(form: FormDefinition, question_id: str) -> Iterator[dict[str, Any]]:
    subjects = dependency_closure(form, question_id)
    pools = [candidates(form, form.question(s)) for s in subjects]
    for values in itertools.product(*pools):
        yield {s: v for s, v in zip(subjects, values, strict=True) if v is not ABSENT}


def test_every_conditional_question_has_an_expected_rule(form: FormDefinition) -> None:
    conditional = {q.id for q in form.questions() if q.show_if is not None}
    assert conditional == set(EXPECTED_SHOW_IF)


def test_conditions_use_every_operator(form: FormDefinition) -> None:
    operators = {node.operator for q in form.questions() if q.show_if
                 for node in _nodes(q.show_if)}
    assert {"all", "any", "not", "equals", "in", "contains", "greater_than",
            "less_than", "answered"} <= operators
    on_age = {node.operator for q in form.questions() if q.show_if
              for node in _nodes(q.show_if)
              if isinstance(node, GreaterThan | LessThan) and node.arg().derived}
    assert on_age == {"greater_than", "less_than"}


@pytest.mark.parametrize("question_id", sorted(EXPECTED_SHOW_IF))
def test_show_if_paths(form: FormDefinition, question_id: str) -> None:
    """Every combination of the answers a question depends on shows or hides it as expected."""
    rule = EXPECTED_SHOW_IF[question_id]
    noise = background(form)
    closure = set(dependency_closure(form, question_id))
    shown = hidden = 0
    for answers in combinations(form, question_id):
        age = AGE_OF_DOB.get(answers.get("date_of_birth", ""))
        expected = rule(answers, age)
        visible = question_id in visible_questions(form, answers, SCREENING_DATE)
        assert visible == expected, (question_id, answers)
        # The same with every other question answered: only the dependencies matter.
        noisy = {k: v for k, v in noise.items() if k not in closure} | answers
        noisy_visible = question_id in visible_questions(form, noisy, SCREENING_DATE)
        assert noisy_visible == expected, (question_id, answers, "with other answers")
        shown += expected
        hidden += not expected
    assert shown, f"{question_id} is never shown"
    assert hidden, f"{question_id} is never hidden"


def test_every_question_is_reachable(form: FormDefinition) -> None:
    reachable = set(visible_questions(form, {}, SCREENING_DATE))
    for question_id in EXPECTED_SHOW_IF:
        for answers in combinations(form, question_id):
            if question_id in visible_questions(form, answers, SCREENING_DATE):
                reachable.add(question_id)
                break
    assert reachable == {q.id for q in form.questions()}


def test_hidden_answers_do_not_show_follow_ups(form: FormDefinition) -> None:
    answers = {"missing_episodes_3_months": 0, "return_home_interview": "not_done"}
    visible = visible_questions(form, answers, SCREENING_DATE)
    assert "return_home_interview" not in visible
    assert "no_return_interview_reason" not in visible
    answers["missing_episodes_3_months"] = 2
    visible = visible_questions(form, answers, SCREENING_DATE)
    assert {"return_home_interview", "no_return_interview_reason", "where_found",
            "missing_overnight", "returned_with_unexplained_items"} <= set(visible)


def test_consent_paths(form: FormDefinition) -> None:
    def shown(consent: str) -> set[str]:
        visible = visible_questions(form, {"consent_to_share": consent}, SCREENING_DATE)
        return {"consent_given_by", "sharing_without_consent_reason"} & set(visible)

    assert shown("given") == {"consent_given_by"}
    assert shown("refused") == {"sharing_without_consent_reason"}
    assert shown("not_sought") == {"sharing_without_consent_reason"}


def test_self_referral_is_not_asked_whether_the_child_knows(form: FormDefinition) -> None:
    def visible(reason: str) -> bool:
        answers = {"screening_reason": reason}
        return "child_aware_of_referral" in visible_questions(form, answers, SCREENING_DATE)

    assert not visible("self_referral")
    assert visible("missing_episode")
    assert visible("concern_raised")


# --------------------------------------------------------------------------------------------
# Age boundaries (age is whole years on the screening date; a birthday counts on the day)

AGE_QUESTIONS = ("sexual_activity_under_13", "sexual_activity_13_to_15",
                 "coercive_relationship_16_17")


def age_questions_shown(form: FormDefinition, birth: str, on: date = SCREENING_DATE) -> list[str]:
    visible = visible_questions(form, {"date_of_birth": birth}, on)
    return [q for q in AGE_QUESTIONS if q in visible]


def test_thirteenth_birthday_on_the_screening_date(form: FormDefinition) -> None:
    assert age_questions_shown(form, "2012-03-10") == ["sexual_activity_13_to_15"]


def test_day_before_thirteenth_birthday(form: FormDefinition) -> None:
    assert age_questions_shown(form, "2012-03-11") == ["sexual_activity_under_13"]


def test_sixteenth_birthday_boundary(form: FormDefinition) -> None:
    assert age_questions_shown(form, "2009-03-10") == ["coercive_relationship_16_17"]
    assert age_questions_shown(form, "2009-03-11") == ["sexual_activity_13_to_15"]


def test_leap_day_birthday(form: FormDefinition) -> None:
    assert age_questions_shown(form, "2012-02-29", date(2025, 2, 28)) == [
        "sexual_activity_under_13"]
    assert age_questions_shown(form, "2012-02-29", date(2025, 3, 1)) == [
        "sexual_activity_13_to_15"]


def test_age_is_taken_at_the_screening_date_not_today(form: FormDefinition) -> None:
    birth = "2010-06-01"
    assert age_questions_shown(form, birth, date(2023, 5, 31)) == ["sexual_activity_under_13"]
    assert age_questions_shown(form, birth, date(2026, 6, 1)) == ["coercive_relationship_16_17"]


@pytest.mark.parametrize("age", range(0, 18))
def test_exactly_one_age_question_for_every_child(form: FormDefinition, age: int) -> None:
    assert len(age_questions_shown(form, dob_for_age(age))) == 1


def test_no_age_question_without_a_usable_date_of_birth(form: FormDefinition) -> None:
    assert age_questions_shown(form, "") == []
    assert visible_questions(form, {}, SCREENING_DATE) == [
        q for q in visible_questions(form, {}, SCREENING_DATE) if q not in AGE_QUESTIONS]
    assert age_questions_shown(form, "2025-03-11") == []  # after the screening date
    assert age_questions_shown(form, "not a date") == []


# --------------------------------------------------------------------------------------------
# Language: no victim-blaming wording anywhere the practitioner reads

BLAMING_PATTERNS = {
    "promiscuous": r"promiscu",
    "risky behaviour": r"risky\s+behaviou?rs?",
    "risk-taking": r"risk[\s-]+taking",
    "putting themselves at risk":
        r"(?:put|putting|puts|plac(?:e|es|ed|ing))\s+(?:themselves|herself|himself)\s+"
        r"(?:at|in)\s+(?:risk|danger)",
    "chose to": r"\bcho(?:se|sen|oses|osing)\s+to\b",
    "lifestyle": r"lifestyle",
    "prostitution": r"prostitut",
    "sex work": r"sex[\s-]*work",
    "consensual": r"consensual",
    "consented": r"\bconsented\b",
    "willing": r"\bwilling(?:ly)?\b",
    "sexually active": r"sexually\s+active",
    "asking for it": r"asking\s+for\s+it",
    "sleeping around": r"sleeping\s+around",
    "attention seeking": r"attention[\s-]+seeking",
    "streetwise": r"street[\s-]*wise",
    "rent boy": r"rent\s+boy",
}
_PARTNER = re.compile(r"(boy|girl)friends?", re.IGNORECASE)
_QUOTES = "\"'“”‘’"


def blaming_phrases(text: str) -> list[str]:
    """The victim-blaming phrases in ``text`` (empty if none)."""
    found = [name for name, pattern in BLAMING_PATTERNS.items()
             if re.search(pattern, text, re.IGNORECASE)]
    for match in _PARTNER.finditer(text):
        before = text[match.start() - 1] if match.start() > 0 else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if before not in _QUOTES or after not in _QUOTES:
            found.append(f"unquoted {match.group(0)!r}")
    return found


def user_facing_texts(form: FormDefinition) -> Iterator[tuple[str, str]]:
    yield "title", form.title
    yield "description", form.description or ""
    for d in form.derived:
        yield f"derived {d.id}", d.label or ""
    for section in form.sections:
        yield f"section {section.id}", section.title
        yield f"section {section.id} guidance", section.guidance or ""
        for q in section.questions:
            yield f"{q.id} text", q.text
            yield f"{q.id} help", q.help or ""
            if q.evidence is not None:
                yield f"{q.id} evidence", q.evidence.prompt
            for option in q.options or []:
                yield f"{q.id} option {option.id}", option.label + " " + (option.help or "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She has been promiscuous", ["promiscuous"]),
        ("Engages in risky behaviour", ["risky behaviour"]),
        ("He keeps putting himself at risk", ["putting themselves at risk"]),
        ("She places herself in danger", ["putting themselves at risk"]),
        ("The young person chose to go", ["chose to"]),
        ("Child prostitution", ["prostitution"]),
        ("The activity appeared consensual", ["consensual"]),
        ("She went willingly", ["willing"]),
        ("He is sexually active", ["sexually active"]),
        ("Seen with her boyfriend", ["unquoted 'boyfriend'"]),
        ('Seen with a "boyfriend and friends"', ["unquoted 'boyfriend'"]),
        ('Seen with an older "boyfriend"', []),
        ("Seen with an older ‘girlfriend’", []),
        ("A child cannot legally consent; adults who exploit are responsible", []),
        ("Being given gifts; being taken to parties", []),
    ],
)
def test_language_check_recognises_blaming(text: str, expected: list[str]) -> None:
    assert blaming_phrases(text) == expected


def test_language_check_fails_on_a_blaming_form(form_file: Path) -> None:
    """The check reads the loaded form, so a blaming edit to the file would be caught."""
    original = form_file.read_text(encoding="utf-8")
    needle = "Has the child been missing overnight?"
    assert needle in original
    edited = parse_form(original.replace(needle, "Has the child put herself at risk overnight?"),
                        "edited.yaml")
    found = [(where, blaming_phrases(text)) for where, text in user_facing_texts(edited)
             if blaming_phrases(text)]
    assert found == [("missing_overnight text", ["putting themselves at risk"])]


def test_no_victim_blaming_language(form: FormDefinition) -> None:
    texts = list(user_facing_texts(form))
    assert len(texts) > 150
    problems = {where: blaming_phrases(text) for where, text in texts if blaming_phrases(text)}
    assert problems == {}


def test_partner_words_appear_only_in_quotes(form: FormDefinition) -> None:
    # The form does mention "boyfriend", always as the child may describe the person.
    joined = " ".join(text for _, text in user_facing_texts(form))
    assert '"boyfriend"' in joined
    assert not [m for m in _PARTNER.finditer(joined)
                if joined[m.start() - 1] not in _QUOTES or joined[m.end()] not in _QUOTES]


def test_responsibility_is_placed_with_adults(form: FormDefinition) -> None:
    assert form.description is not None
    description = " ".join(form.description.split())
    assert "never with the child" in description
    for question_id in ("older_associates", "gifts_money_unknown_sources",
                        "substances_supplied_by_adults", "isolation_from_family"):
        help_text = " ".join((form.question(question_id).help or "").split()).lower()
        assert "adults who exploit" in help_text, question_id
