"""Reading and checking routing tables; registers the ``routing`` checker for ``validate``.

Beyond the shape checked by :mod:`riskscreen.routing.model`, a table must route every level of
its scoring model (checked against the model when it can be loaded, else against
:data:`~riskscreen.routing.model.DEFAULT_LEVEL_IDS`), name only destinations it defines and
concern tags its form uses, define each destination once, and read only questions its form has.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from riskscreen import checks
from riskscreen.definitions import (
    DefinitionError,
    Located,
    Problem,
    data_file,
    load_yaml,
    read_text,
)
from riskscreen.forms.loader import load_form, parse_definition
from riskscreen.forms.model import FormDefinition
from riskscreen.routing.model import DEFAULT_CONCERN_TAGS, DEFAULT_LEVEL_IDS, RoutingTable

__all__ = ["check_routing", "load_routing", "model_level_ids", "parse_routing"]

SHIPPED = "routing.yaml"


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
    levels = tuple(level_ids) if level_ids else DEFAULT_LEVEL_IDS
    level_source = "the scoring model" if level_ids else "the default levels"
    if form is not None:
        tags = {q.concern for q in form.questions() if q.concern}
        tag_source = f"form '{form.id}'"
    else:
        tags = set(DEFAULT_CONCERN_TAGS)
        tag_source = "the default concern tags"
    known_tags = ", ".join(sorted(tags))

    seen: dict[str, int] = {}
    for i, d in enumerate(table.destinations):
        if d.id in seen:
            problems.append(Problem(
                f"destination '{d.id}' is defined twice (first at destinations[{seen[d.id]}])",
                ("destinations", i, "id"), "give each destination its own id"))
        else:
            seen[d.id] = i
    defined = ", ".join(seen)

    for level in levels:
        if level not in table.levels:
            problems.append(Problem(
                f"level '{level}' has no route", ("levels",),
                f"add 'levels: {level}:' with pathway, destination, next_step and deadline"))
    for level, rule in table.levels.items():
        if level not in levels:
            problems.append(Problem(
                f"route for unknown level '{level}' (levels of {level_source}: "
                f"{', '.join(levels)})", ("levels", level), "check the spelling of the level"))
        if rule.destination not in seen:
            problems.append(Problem(
                f"level '{level}' routes to unknown destination '{rule.destination}'",
                ("levels", level, "destination"), f"use one of: {defined}"))
        for tag, dest in rule.by_concern.items():
            if tag not in tags:
                problems.append(Problem(
                    f"unknown concern tag '{tag}' (not used by {tag_source})",
                    ("levels", level, "by_concern", tag), f"use one of: {known_tags}"))
            if dest not in seen:
                problems.append(Problem(
                    f"concern '{tag}' at level '{level}' routes to unknown destination "
                    f"'{dest}'", ("levels", level, "by_concern", tag), f"use one of: {defined}"))
    for tag in table.concerns:
        if tag not in tags:
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


def _parse(located: Located, form: FormDefinition | None, use_form: bool) -> RoutingTable:
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
    problems = check_routing(table, level_ids=model_level_ids(table.model), form=form)
    if problems:
        raise DefinitionError(located.file, located.locate(problems))
    return table


def parse_routing(text: str, file: str, *, form: FormDefinition | None = None) -> RoutingTable:
    """Parse and fully check a routing table's YAML text; ``file`` names it in messages.

    The table is checked against ``form`` if given, else against the form it names when that
    can be loaded, else against the default concern tags.
    """
    return _parse(load_yaml(text, file), form, use_form=True)


def load_routing(source: str | Path | None = None) -> RoutingTable:
    """Load a routing table from a file, or the shipped ``resources/routing.yaml``."""
    if source is None:
        return _load_shipped()
    path = Path(source)
    return parse_routing(read_text(path), str(path))


@lru_cache(maxsize=1)
def _load_shipped() -> RoutingTable:
    return parse_routing(read_text(data_file("resources", SHIPPED)), f"resources/{SHIPPED}")


def _checker(located: Located, text: str, context: checks.CheckContext) -> list[Problem]:
    """``riskscreen validate`` for ``kind: routing`` files."""
    form_id = located.data.get("form", "cse-screening")
    form = context.form(form_id) if isinstance(form_id, str) else None
    try:
        _parse(located, form, use_form=False)
    except DefinitionError as error:
        return error.problems
    return []


checks.register("routing", _checker)
