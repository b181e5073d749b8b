"""Cross-node checks of a form that pydantic's per-node models cannot make.

Each check returns :class:`~riskscreen.definitions.Problem` objects with the path of the node
at fault, so the caller can report ``FILE:LINE: message`` with a hint.
"""

from __future__ import annotations

from riskscreen.conditions import CheckScope
from riskscreen.definitions import Path_, Problem
from riskscreen.forms.model import FormDefinition, QuestionType

__all__ = ["check_form"]

def check_form(form: FormDefinition) -> list[Problem]:
    """Return every cross-node problem in a structurally valid form."""
    problems: list[Problem] = []
    problems += _kinds(form)
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


def _kinds(form: FormDefinition) -> list[Problem]:
    """Kinds declared once each, and every question of a declared kind (or context)."""
    problems = []
    seen: set[str] = set()
    for ki, kind in enumerate(form.kinds):
        if kind.id == "context":
            problems.append(Problem("'context' is every form's own kind and is not declared",
                                    ("kinds", ki, "id"), "remove this entry"))
        elif kind.id in seen:
            problems.append(Problem(f"kind '{kind.id}' is declared twice", ("kinds", ki, "id"),
                                    "declare each kind once"))
        seen.add(kind.id)
    known = ", ".join(["context", *(k.id for k in form.kinds)])
    for si, section in enumerate(form.sections):
        for qi, q in enumerate(section.questions):
            if q.kind != "context" and q.kind not in seen:
                problems.append(Problem(
                    f"question '{q.id}' is of kind '{q.kind}', which the form does not declare",
                    ("sections", si, "questions", qi, "kind"),
                    f"use one of: {known}; or declare it under 'kinds:'"))
    return problems


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
    order: dict[str, int] = {}
    for i, q in enumerate(form.questions()):
        order.setdefault(q.id, i)
    derived = {d.id: d for d in form.derived}
    index = form.question_index()
    problems: list[Problem] = []
    graph: dict[str, set[str]] = {}
    for q in form.questions():
        if q.show_if is None:
            continue
        base = (*_qpath(form, q.id), "show_if")
        scope = CheckScope(owner=q.id)
        deps: set[str] = set()
        for node, path in q.show_if.walk(base):
            found = node.check(form, path, scope)
            problems += found
            for kind, sid in node.subjects():
                if kind == "derived":
                    if sid not in derived:
                        continue
                    target = derived[sid].question
                elif sid not in index:
                    continue
                else:
                    target = sid
                deps.add(target)
                op_path = (*path, node.operator)
                if target == q.id:
                    problems.append(Problem(f"condition of '{q.id}' depends on its own answer",
                                            op_path,
                                            "a question cannot be shown by its own answer"))
                elif target in order and order[target] > order[q.id]:
                    problems.append(Problem(
                        f"condition of '{q.id}' depends on '{target}', which comes after it",
                        op_path,
                        "practitioners answer in order: move the condition's question earlier"))
        graph[q.id] = deps
    problems += _cycles(form, graph)
    return problems


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
