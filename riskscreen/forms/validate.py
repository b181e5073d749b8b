"""Cross-node checks of a form that pydantic's per-node models cannot make.

Each check returns :class:`~riskscreen.definitions.Problem` objects with the path of the node
at fault, so the caller can report ``FILE:LINE: message`` with a hint.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from riskscreen.definitions import Path_, Problem
from riskscreen.forms.model import (
    Comparison,
    FormDefinition,
    Question,
    QuestionType,
    Subject,
)

__all__ = ["check_form"]

_NUMERIC = (QuestionType.NUMBER, QuestionType.DATE)


def check_form(form: FormDefinition) -> list[Problem]:
    """Return every cross-node problem in a structurally valid form."""
    problems: list[Problem] = []
    problems += _duplicates(form)
    problems += _empty_sections(form)
    problems += _derived(form)
    problems += _conditions(form)
    return problems


def _qpath(form: FormDefinition, question_id: str) -> Path_:
    for si, section in enumerate(form.sections):
        for qi, q in enumerate(section.questions):
            if q.id == question_id:
                return ("sections", si, "questions", qi)
    return ()


def _duplicates(form: FormDefinition) -> list[Problem]:
    problems = []
    sections: dict[str, int] = {}
    for si, section in enumerate(form.sections):
        if section.id in sections:
            problems.append(Problem(
                f"duplicate section id '{section.id}' "
                f"(first used by section {sections[section.id] + 1})",
                ("sections", si, "id"), "give each section its own id"))
        sections.setdefault(section.id, si)
    questions: dict[str, tuple[int, int]] = {}
    for si, section in enumerate(form.sections):
        for qi, q in enumerate(section.questions):
            if q.id in questions:
                first = questions[q.id]
                problems.append(Problem(
                    f"duplicate question id '{q.id}' (first used in section "
                    f"'{form.sections[first[0]].id}')",
                    ("sections", si, "questions", qi, "id"),
                    "question ids must be unique across the whole form; rename one"))
            questions.setdefault(q.id, (si, qi))
            seen: set[str] = set()
            for oi, option in enumerate(q.options or []):
                if option.id in seen:
                    problems.append(Problem(
                        f"option id '{option.id}' repeated in question '{q.id}'",
                        ("sections", si, "questions", qi, "options", oi, "id"),
                        "each option of a question needs its own id"))
                seen.add(option.id)
    derived_ids = {d.id for d in form.derived}
    for di, d in enumerate(form.derived):
        if d.id in questions:
            problems.append(Problem(
                f"derived value id '{d.id}' is also a question id", ("derived", di, "id"),
                "rename the derived value"))
    if len(derived_ids) != len(form.derived):
        problems.append(Problem("derived value ids repeat", ("derived",), "rename one"))
    return problems


def _empty_sections(form: FormDefinition) -> list[Problem]:
    return [
        Problem(f"section '{s.id}' has no questions", ("sections", si, "questions"),
                "add a question or remove the section")
        for si, s in enumerate(form.sections) if not s.questions
    ]


def _derived(form: FormDefinition) -> list[Problem]:
    index = form.question_index()
    problems = []
    for di, d in enumerate(form.derived):
        q = index.get(d.question)
        if q is None:
            problems.append(Problem(f"derived value '{d.id}' uses unknown question '{d.question}'",
                                    ("derived", di, "question"), "name a date question"))
        elif q.type is not QuestionType.DATE:
            problems.append(Problem(
                f"derived value '{d.id}' needs a date question, but '{d.question}' is "
                f"{q.type.value}", ("derived", di, "question"), "name a date-of-birth question"))
    return problems


def _conditions(form: FormDefinition) -> list[Problem]:
    index = form.question_index()
    order: dict[str, int] = {}
    for i, q in enumerate(form.questions()):
        order.setdefault(q.id, i)
    derived = {d.id: d for d in form.derived}
    problems: list[Problem] = []
    graph: dict[str, set[str]] = {}
    for q in form.questions():
        if q.show_if is None:
            continue
        base = (*_qpath(form, q.id), "show_if")
        deps: set[str] = set()
        for node, path in q.show_if.walk(base):
            comp: Comparison | Subject | None = None
            op = node.operator
            if op in ("all", "any", "not"):
                continue
            comp = {"equals": node.equals, "in": node.in_, "contains": node.contains,
                    "greater_than": node.greater_than, "less_than": node.less_than,
                    "answered": node.answered}[op]
            assert comp is not None
            op_path = (*path, op)
            if comp.derived is not None:
                d = derived.get(comp.derived)
                if d is None:
                    problems.append(Problem(
                        f"condition of '{q.id}' names unknown derived value '{comp.derived}'",
                        (*op_path, "derived"),
                        "declare it under 'derived:' or use one of: " + (", ".join(derived) or
                                                                          "(none declared)")))
                    continue
                deps.add(d.question)
                target = d.question
                if isinstance(comp, Comparison):
                    problems += _check_number_comparison(q, op, comp, op_path, f"derived value "
                                                         f"'{comp.derived}'")
            else:
                assert comp.question is not None
                target = comp.question
                deps.add(target)
                other = index.get(target)
                if other is None:
                    problems.append(Problem(
                        f"condition of '{q.id}' names unknown question '{target}'",
                        (*op_path, "question"), "check the spelling of the question id"))
                    continue
                if isinstance(comp, Comparison):
                    problems += _check_types(q, other, op, comp, op_path)
            if target == q.id:
                problems.append(Problem(f"condition of '{q.id}' depends on its own answer",
                                        op_path, "a question cannot be shown by its own answer"))
            elif target in order and order[target] > order[q.id]:
                problems.append(Problem(
                    f"condition of '{q.id}' depends on '{target}', which comes after it",
                    op_path,
                    "practitioners answer in order: move the condition's question earlier"))
        graph[q.id] = deps
    problems += _cycles(form, graph)
    return problems


def _check_number_comparison(q: Question, op: str, comp: Comparison, path: Path_,
                             subject: str) -> list[Problem]:
    values = comp.values if op == "in" else [comp.value]
    if op == "contains":
        return [Problem(f"condition of '{q.id}': 'contains' needs a multiple-choice question, "
                        f"not {subject}", path, "use equals, greater_than or less_than")]
    bad = [v for v in values or [] if isinstance(v, bool) or not isinstance(v, (int, float))]
    if bad:
        return [Problem(f"condition of '{q.id}' compares {subject} (a number) with {bad[0]!r}",
                        path, "compare numbers with numbers")]
    return []


def _check_types(q: Question, other: Question, op: str, comp: Comparison,
                 path: Path_) -> list[Problem]:
    """Check the comparison fits the type of the question it tests."""
    problems = []
    where = f"condition of '{q.id}' on '{other.id}'"
    allowed = other.allowed_values()
    if op in ("greater_than", "less_than"):
        if other.type not in _NUMERIC:
            problems.append(Problem(
                f"{where}: '{op}' compares order, but '{other.id}' is a {other.type.value} "
                "question", path, "use equals or in for choices and indicators"))
        elif other.type is QuestionType.NUMBER and (
                isinstance(comp.value, bool) or not isinstance(comp.value, (int, float))):
            problems.append(Problem(f"{where}: compares a number with {comp.value!r}", path,
                                    "write a number as the value"))
        elif other.type is QuestionType.DATE and not _is_iso_date(comp.value):
            problems.append(Problem(f"{where}: compares a date with {comp.value!r}", path,
                                    "write the value as an ISO date, e.g. 2024-01-31"))
        return problems
    if op == "contains":
        if other.type is not QuestionType.MULTIPLE_CHOICE:
            problems.append(Problem(
                f"{where}: 'contains' needs a multiple-choice question, but '{other.id}' is "
                f"{other.type.value}", path, "use equals for a single answer"))
        elif comp.value not in other.option_ids():
            problems.append(_not_offered(where, other, comp.value, path))
        return problems
    values = comp.values if op == "in" else [comp.value]
    if other.type is QuestionType.MULTIPLE_CHOICE:
        problems.append(Problem(
            f"{where}: '{other.id}' allows several answers; '{op}' cannot test it",
            path, "use 'contains' to test one option of a multiple-choice question"))
        return problems
    for v in values or []:
        if allowed is not None:
            if v not in allowed:
                problems.append(_not_offered(where, other, v, path))
        elif other.type is QuestionType.NUMBER and (
                isinstance(v, bool) or not isinstance(v, (int, float))):
            problems.append(Problem(f"{where}: compares a number with {v!r}", path,
                                    "write a number"))
        elif other.type in (QuestionType.TEXT, QuestionType.LONG_TEXT) and not isinstance(v, str):
            problems.append(Problem(f"{where}: compares text with {v!r}", path,
                                    "quote the value"))
        elif other.type is QuestionType.DATE and not _is_iso_date(v):
            problems.append(Problem(f"{where}: compares a date with {v!r}", path,
                                    "write an ISO date"))
    return problems


def _not_offered(where: str, other: Question, value: Any, path: Path_) -> Problem:
    allowed = other.allowed_values() or ()
    return Problem(f"{where}: {value!r} is not an answer '{other.id}' offers", path,
                   "use one of: " + ", ".join(allowed))


def _is_iso_date(value: Any) -> bool:
    if isinstance(value, date):
        return True
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _cycles(form: FormDefinition, graph: dict[str, set[str]]) -> list[Problem]:
    """Report each dependency cycle among conditions once."""
    problems = []
    state: dict[str, int] = {}
    stack: list[str] = []
    reported: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycle = stack[stack.index(dep):]
                key = frozenset(cycle)
                if key not in reported and len(cycle) > 1:
                    reported.add(key)
                    problems.append(Problem(
                        "conditions form a cycle: " + " -> ".join([*cycle, dep]),
                        (*_qpath(form, cycle[0]), "show_if"),
                        "break the cycle: a question cannot depend on itself, even indirectly"))
            elif state.get(dep) is None and dep in graph:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in graph:
        if state.get(node) is None:
            visit(node)
    return problems
