"""Reading and checking routing tables; registers the ``routing`` checker for ``validate``.

Beyond the shape checked by :mod:`riskscreen.routing.model`, a table must route every level of
its scoring model and no other, name only destinations it defines and concern tags its form
uses, define each destination once, and read only questions its form has. What cannot be
checked without the model or the form is checked when they are given (``riskscreen validate``
on the instrument folder checks the parts together, and says what it needs otherwise).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from riskscreen import checks
from riskscreen.definitions import (
    DEFAULT_INSTRUMENT,
    ROUTING_FILE,
    DefinitionError,
    Located,
    Problem,
    data_file,
    load_yaml,
    read_text,
)
from riskscreen.forms.loader import load_form, parse_definition
from riskscreen.forms.model import FormDefinition
from riskscreen.routing.model import RoutingTable

__all__ = ["check_routing", "load_routing", "model_level_ids", "parse_routing"]



def model_level_ids(model_id: str) -> tuple[str, ...] | None:
    """Level ids of a scoring model, or None when no such model can be loaded (yet)."""
    try:
        scoring_loader: Any = importlib.import_module("riskscreen.scoring.loader")
    except ImportError:
        return None
    try:
        model = scoring_loader.load_model(model_id)
        ids = tuple(str(level.id) for level in model.levels)
    except Exception:  # any failure (no model, other API) means "cannot check against it"
        return None
    return ids or None


def check_routing(
    table: RoutingTable,
    *,
    level_ids: Sequence[str] | None = None,
    form: FormDefinition | None = None,
) -> list[Problem]:
    """Every cross-reference problem of a routing table, with node paths (no lines yet)."""
    problems: list[Problem] = []
    levels = tuple(level_ids) if level_ids is not None else None
    tags = {q.concern for q in form.questions() if q.concern} if form is not None else None
    tag_source = f"form '{form.id}'" if form is not None else ""
    known_tags = ", ".join(sorted(tags or ()))

    seen: dict[str, int] = {}
    for i, d in enumerate(table.destinations):
        if d.id in seen:
            problems.append(Problem(
                f"destination '{d.id}' is defined twice (first at destinations[{seen[d.id]}])",
                ("destinations", i, "id"), "give each destination its own id"))
        else:
            seen[d.id] = i
    defined = ", ".join(seen)

    for level in levels or ():
        if level not in table.levels:
            problems.append(Problem(
                f"level '{level}' has no route", ("levels",),
                f"add 'levels: {level}:' with pathway, destination, next_step and deadline"))
    for level, rule in table.levels.items():
        if levels is not None and level not in levels:
            problems.append(Problem(
                f"route for unknown level '{level}' (levels of the scoring model "
                f"'{table.model}': {', '.join(levels)})", ("levels", level),
                "check the spelling of the level"))
        if rule.destination not in seen:
            problems.append(Problem(
                f"level '{level}' routes to unknown destination '{rule.destination}'",
                ("levels", level, "destination"), f"use one of: {defined}"))
        for tag, dest in rule.by_concern.items():
            if tags is not None and tag not in tags:
                problems.append(Problem(
                    f"unknown concern tag '{tag}' (not used by {tag_source})",
                    ("levels", level, "by_concern", tag), f"use one of: {known_tags}"))
            if dest not in seen:
                problems.append(Problem(
                    f"concern '{tag}' at level '{level}' routes to unknown destination "
                    f"'{dest}'", ("levels", level, "by_concern", tag), f"use one of: {defined}"))
    for tag in table.concerns:
        if tags is not None and tag not in tags:
            problems.append(Problem(
                f"unknown concern tag '{tag}' (not used by {tag_source})", ("concerns", tag),
                f"use one of: {known_tags}"))
    used = {table.levels[lv].destination for lv in table.levels} | {
        d for rule in table.levels.values() for d in rule.by_concern.values()}
    for i, d in enumerate(table.destinations):
        if d.id not in used and seen.get(d.id) == i:
            problems.append(Problem(
                f"destination '{d.id}' is never routed to", ("destinations", i, "id"),
                "route a level or concern to it, or remove it"))

    if form is not None:
        index = form.question_index()
        for role, qid in table.summary_fields.question_ids().items():
            if qid not in index:
                problems.append(Problem(
                    f"summary field '{role}' names question '{qid}', which form "
                    f"'{form.id}' does not have", ("summary_fields", role),
                    "use a question id of the form, or null to leave the field out"))
        age = table.summary_fields.age
        if age is not None and age not in {d.id for d in form.derived}:
            problems.append(Problem(
                f"summary field 'age' names derived value '{age}', which form '{form.id}' "
                "does not have", ("summary_fields", "age"), "use a derived value id, or null"))
    return problems


def _parse(located: Located, form: FormDefinition | None, use_form: bool,
           levels: Sequence[str] | None = None) -> RoutingTable:
    kind = located.data.get("kind")
    if kind != "routing":
        raise DefinitionError(located.file, located.locate([Problem(
            f"expected 'kind: routing', found {kind!r}", ("kind",),
            "a routing file starts with 'kind: routing'")]))
    table = parse_definition(located, RoutingTable)
    if form is None and use_form:
        try:
            form = load_form(table.form)
        except DefinitionError:
            form = None
    if levels is None:
        levels = model_level_ids(table.model)
    problems = check_routing(table, level_ids=levels, form=form)
    if problems:
        raise DefinitionError(located.file, located.locate(problems))
    return table


def parse_routing(text: str, file: str, *, form: FormDefinition | None = None,
                  levels: Sequence[str] | None = None) -> RoutingTable:
    """Parse and fully check a routing table's YAML text; ``file`` names it in messages.

    The table is checked against ``form`` if given, else against the shipped form it names;
    and against the level ids ``levels`` if given, else the shipped model it names. What
    neither gives is not checked here (see :func:`_checker`).
    """
    return _parse(load_yaml(text, file), form, use_form=True, levels=levels)


def load_routing(source: str | Path | None = None, *, form: FormDefinition | None = None,
                 levels: Sequence[str] | None = None) -> RoutingTable:
    """Load a routing table from a file, or the default instrument's shipped one; checked
    against ``form`` and ``levels`` when given (see :func:`parse_routing`)."""
    if source is None:
        return _load_shipped()
    path = Path(source)
    return parse_routing(read_text(path), str(path), form=form, levels=levels)


@lru_cache(maxsize=1)
def _load_shipped() -> RoutingTable:
    return parse_routing(read_text(data_file("forms", DEFAULT_INSTRUMENT, ROUTING_FILE)),
                         f"forms/{DEFAULT_INSTRUMENT}/{ROUTING_FILE}")


def _checker(located: Located, text: str, context: checks.CheckContext) -> list[Problem]:
    """``riskscreen validate`` for ``kind: routing`` files.

    A routing table is checked against its form (concern tags, summary questions) and its
    scoring model (levels). When either cannot be found, the table is not called valid: the
    problem names the part it needs.
    """
    try:
        table = parse_definition(located, RoutingTable) if located.data.get(
            "kind") == "routing" else None
    except DefinitionError as error:
        return error.problems
    if table is None:
        try:
            _parse(located, None, use_form=False)
        except DefinitionError as error:
            return error.problems
        return []
    form = context.form(table.form)
    levels = model_level_ids(table.model)
    found = check_routing(table, level_ids=levels, form=form) if (
        form is not None and levels is not None) else []
    folder = Path(located.file).parent
    inside = (folder / "instrument.yaml").is_file()
    also = (f"validate the instrument folder {folder} instead" if inside else
            "give it on the same command line, or validate the instrument folder")
    if form is None:
        found.append(Problem(
            f"needs form '{table.form}' to be checked (its concern tags and the questions the "
            "summary reads), and it was not found", ("form",), also))
    if levels is None:
        found.append(Problem(
            f"needs scoring model '{table.model}' to be checked (the levels it routes), and it "
            "was not found", ("model",), also))
    if form is not None and levels is not None:
        context.checked.append(
            f"routing {table.id} {table.version} ({located.file}) against form {form.id} "
            f"{form.version} and the levels of model {table.model} ({', '.join(levels)})")
    return located.locate(found)


checks.register("routing", _checker)
