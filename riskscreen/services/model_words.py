"""Problems with a scoring-model draft in plain words, naming the field a manager edits.

``riskscreen validate`` reports ``draft.yaml:7: String should have at least 1 character
[at levels[1].name]``: right for a YAML file, meaningless in the editor, where there is no
file and no line 7. Here the same problem reads "The name of level 2 is empty." The words
come from the problem's path (which field) and its message (what is wrong); ids of levels,
questions and answers are replaced by the names the editor shows.
"""

from __future__ import annotations

import re
from typing import Any

from riskscreen.definitions import Problem
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.model import Band

__all__ = ["model_changes", "plain_problem"]

#: pydantic's messages, as the predicate of a sentence about the field.
_PYDANTIC = (
    (re.compile(r"String should have at least 1 character"), "is empty: fill it in"),
    (re.compile(r"String should have at least (\d+) characters"),
     r"is too short: use at least \1 characters"),
    (re.compile(r"String should have at most (\d+) characters"),
     r"is too long: use at most \1 characters"),
    (re.compile(r"Input should be a valid integer.*"), "must be a whole number"),
    (re.compile(r"Input should be a valid number.*"), "must be a number"),
    (re.compile(r"Input should be a valid string.*"), "must be text"),
    (re.compile(r"Input should be greater than or equal to (\S+)"), r"must be \1 or more"),
    (re.compile(r"Input should be less than or equal to (\S+)"), r"must be \1 or less"),
    (re.compile(r"Input should be greater than (\S+)"), r"must be more than \1"),
    (re.compile(r"Input should be less than (\S+)"), r"must be less than \1"),
    (re.compile(r"List should have at least 1 item.*"), "needs at least one entry"),
    (re.compile(r"Field required|missing required key '.*'"), "is missing"),
)
_QUOTED = re.compile(r"'([^']*)'")
#: Checks whose words are written for YAML authors, said again for the editor (with the
#: advice that replaces their hint).
_REWRITES = (
    (re.compile(r"version '(.*)' is not a semantic version"),
     r"“\1” is not a version number",
     "write three whole numbers with dots between them, for example 1.3.0"),
    (re.compile(r"thresholds out of order: '(\w+)' starts at (-?\d+), not above the "
                r"previous level's (-?\d+)"),
     r"'\1' starts at \2 points, which is not more than the level before it (\3)",
     "each level must start at more points than the one below it"),
    (re.compile(r"the first threshold is (-?\d+): a screening with no points would not be "
                r"at the lowest level"),
     r"it is \1, so a screening with no points at all would not be at the lowest level",
     "start it at 1 or more"),
)


def _ordinal_level(data: dict[str, Any], level_id: str) -> str:
    for lv in data.get("levels") or []:
        if isinstance(lv, dict) and lv.get("id") == level_id:
            return str(lv.get("name") or level_id)
    return level_id


def _question_text(form: FormDefinition | None, qid: str) -> str:
    if form is not None:
        try:
            return form.question(qid).text
        except KeyError:
            pass
    return qid


def _answer_label(form: FormDefinition | None, qid: str, answer: str) -> str:
    if form is not None:
        try:
            return form.question(qid).label_of(answer)
        except (KeyError, ValueError):
            pass
    return "Not known" if answer == "not_known" else answer


def _field(path: tuple[Any, ...], data: dict[str, Any], form: FormDefinition | None) -> str:
    """The field a path points at, as the editor names it."""
    head = path[0] if path else None
    rest = path[1:]
    if head == "version":
        return "The new version"
    if head == "change_note":
        return "The change note"
    if head == "derived_from":
        return "The version it is based on"
    if head == "levels" and rest and isinstance(rest[0], int):
        n = rest[0] + 1
        if rest[1:] == ("name",):
            return f"The name of level {n}"
        if rest[1:] == ("colour",):
            return f"The colour of level {n}"
        return f"Level {n}"
    if head == "levels":
        return "The levels"
    if head == "thresholds" and rest and isinstance(rest[0], int):
        thresholds = data.get("thresholds") or []
        level = (thresholds[rest[0]].get("level") if rest[0] < len(thresholds)
                 and isinstance(thresholds[rest[0]], dict) else None)
        name = _ordinal_level(data, str(level)) if level else f"level {rest[0] + 2}"
        return f"The points at which {name} starts"
    if head == "thresholds":
        return "The points at which the levels start"
    if head == "weights" and rest:
        qid = str(rest[0])
        question = _question_text(form, qid)
        if len(rest) > 1:
            answer = _answer_label(form, qid, str(rest[1]))
            return f"The points for “{answer}” to “{question}”"
        return f"The points for “{question}”"
    if head == "bands":
        return "The points of a band"
    if head == "protective":
        return "The largest reduction by protective factors"
    if head == "rules" and rest and isinstance(rest[0], int):
        rules = data.get("rules") or []
        rule = rules[rest[0]] if rest[0] < len(rules) else None
        reason = str(rule.get("reason") or "").strip() if isinstance(rule, dict) else ""
        label = f"Rule {rest[0] + 1}" + (f" (“{reason}”)" if reason else "")
        if rest[1:2] == ("reason",):
            return f"The reason of rule {rest[0] + 1}"
        if rest[1:2] == ("source",):
            return f"Where rule {rest[0] + 1} comes from"
        if rest[1:2] == ("id",):
            return f"The id of rule {rest[0] + 1}"
        return label
    if head == "rules":
        return "The rules"
    return "The scoring model"


def _names(text: str, path: tuple[Any, ...], data: dict[str, Any],
           form: FormDefinition | None) -> str:
    """Quoted ids in a message replaced by the names the editor shows."""
    qid = str(path[1]) if len(path) > 1 and path[0] == "weights" else None
    level_ids = {str(lv.get("id")) for lv in data.get("levels") or [] if isinstance(lv, dict)}

    def name(match: re.Match[str]) -> str:
        word = match[1]
        if word in level_ids:
            return f"“{_ordinal_level(data, word)}”"
        if qid is not None:
            return f"“{_answer_label(form, qid, word)}”"
        if form is not None and word in form.question_index():
            return f"“{_question_text(form, word)}”"
        return f"“{word}”"

    return _QUOTED.sub(name, text)


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "." if text else ""


def plain_problem(problem: Problem, data: dict[str, Any], form: FormDefinition | None,
                  *, where: str = "") -> str:
    """One problem as a sentence for the editor: which field, what is wrong, what to do.

    ``where`` (for example "county.yaml, line 7") is said first, for a file being imported.
    """
    path = tuple(problem.path)
    message = problem.message
    missing = re.fullmatch(r"missing required key '(.+)'", message)
    if missing:
        path = (*path, missing[1])
    field = _field(path, data, form)
    prefix = f"{where}: " if where else ""
    for pattern, predicate in _PYDANTIC:
        if pattern.fullmatch(message):
            return prefix + _sentence(f"{field} {pattern.sub(predicate, message)}")
    hint = problem.hint
    for pattern, words, advice in _REWRITES:
        if pattern.fullmatch(message):
            message, hint = pattern.sub(words, message), advice
            break
    if path and path[0] == "weights":
        # "In “question”: “Recent” (3) counts less than ..." names the question once.
        message = re.sub(r"^weights for '[^']*': ", "", message)
        field = f"In “{_question_text(form, str(path[1]))}”" if len(path) > 1 else field
    if message.startswith("unknown key"):
        text = f"{field} has an entry RiskScreen does not know ({message[12:]})"
        return prefix + _sentence(_names(text, path, data, form))
    text = _sentence(f"{field}: {_names(message, path, data, form)}")
    if hint and "`" not in hint and ":'" not in hint:
        text += " " + _sentence(_names(hint, path, data, form))
    return prefix + text


# -- what changed between two versions ----------------------------------------------------------

#: Keys that name a version rather than score a screening: shown as columns, not changes.
_ABOUT = frozenset({"kind", "id", "version", "title", "author", "date", "change_note",
                    "derived_from"})


def _points(value: Any) -> str:
    return "" if value is None else f"{value} points"


def model_changes(a: dict[str, Any], b: dict[str, Any], form: FormDefinition | None,
                  describe_rule: Any) -> list[tuple[str, str, str]]:
    """(what, before, after) for each weight, threshold, level, limit and rule that differs
    between two models given as data; ``describe_rule(rule, level_names)`` words a rule."""
    rows: list[tuple[str, str, str]] = []
    names_a = {lv["id"]: lv["name"] for lv in a.get("levels", [])}
    names_b = {lv["id"]: lv["name"] for lv in b.get("levels", [])}
    for level_id in [*names_a, *(x for x in names_b if x not in names_a)]:
        before, after = names_a.get(level_id, ""), names_b.get(level_id, "")
        if before != after:
            rows.append(("Name of a level", before, after))
    starts_a = {t["level"]: t["from"] for t in a.get("thresholds", [])}
    starts_b = {t["level"]: t["from"] for t in b.get("thresholds", [])}
    for level_id in [*starts_a, *(x for x in starts_b if x not in starts_a)]:
        before, after = starts_a.get(level_id), starts_b.get(level_id)
        if before != after:
            name = names_b.get(level_id) or names_a.get(level_id) or level_id
            rows.append((f"{name} starts at", _points(before), _points(after)))
    weights_a, weights_b = a.get("weights", {}), b.get("weights", {})
    for qid in [*weights_a, *(q for q in weights_b if q not in weights_a)]:
        table_a, table_b = weights_a.get(qid, {}), weights_b.get(qid, {})
        for answer in [*table_a, *(x for x in table_b if x not in table_a)]:
            before, after = table_a.get(answer), table_b.get(answer)
            if before != after:
                rows.append((f"“{_question_text(form, qid)}” answered "
                             f"“{_answer_label(form, qid, answer)}”",
                             _points(before), _points(after)))
    if a.get("bands") != b.get("bands"):
        bands_a, bands_b = a.get("bands") or [], b.get("bands") or []
        for i in range(max(len(bands_a), len(bands_b))):
            entry_a = bands_a[i] if i < len(bands_a) else {}
            entry_b = bands_b[i] if i < len(bands_b) else {}
            if entry_a == entry_b:
                continue
            subject = entry_b.get("label") or entry_a.get("label") or _question_text(
                form, str(entry_b.get("question") or entry_a.get("question")
                          or entry_b.get("derived") or entry_a.get("derived")))
            rows.append((f"Points in bands for “{subject}”", _bands(entry_a), _bands(entry_b)))
    limit_a = (a.get("protective") or {}).get("max_reduction")
    limit_b = (b.get("protective") or {}).get("max_reduction")
    if limit_a != limit_b:
        rows.append(("Largest reduction by protective factors", _points(limit_a),
                     _points(limit_b)))
    if a.get("not_known_cap") != b.get("not_known_cap"):
        rows.append(("Most points counted for “Not known” answers",
                     _points(a.get("not_known_cap")) or "no limit",
                     _points(b.get("not_known_cap")) or "no limit"))
    rules_a = {r["id"]: r for r in a.get("rules", [])}
    rules_b = {r["id"]: r for r in b.get("rules", [])}
    for rule_id in [*rules_a, *(x for x in rules_b if x not in rules_a)]:
        before, after = rules_a.get(rule_id), rules_b.get(rule_id)
        if before == after:
            continue
        what = ("Rule added" if before is None else "Rule removed" if after is None
                else "Rule changed")
        rows.append((what, describe_rule(before, names_a) if before else "",
                     describe_rule(after, names_b) if after else ""))
    handled = _ABOUT | {"levels", "thresholds", "weights", "bands", "protective",
                        "not_known_cap", "rules"}
    for key in [*a, *(k for k in b if k not in a)]:
        if key not in handled and a.get(key) != b.get(key):
            rows.append((key.replace("_", " ").capitalize(), _words(a.get(key)),
                         _words(b.get(key))))
    return rows


def _bands(entry: dict[str, Any]) -> str:
    # Published versions only: their bands are valid, and read as the editor shows them.
    return "; ".join(f"{Band.model_validate(band).describe()}: {band['points']}"
                     for band in entry.get("bands") or [])


def _words(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {_words(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_words(v) for v in value)
    return "" if value is None else str(value)
