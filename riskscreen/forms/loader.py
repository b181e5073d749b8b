"""Finding, reading and validating form files, shipped or local."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from riskscreen.definitions import (
    FORM_FILE,
    DefinitionError,
    Located,
    Problem,
    data_file,
    load_yaml,
    problems_from_validation,
    read_text,
    shipped_instrument_ids,
)
from riskscreen.forms.model import FormDefinition
from riskscreen.forms.validate import check_form

__all__ = ["form_from", "load_form", "parse_definition", "parse_form", "shipped_form_ids"]

M = TypeVar("M", bound=BaseModel)


def parse_definition(located: Located, model: type[M]) -> M:
    """Validate parsed YAML against a pydantic model, raising located problems."""
    try:
        return model.model_validate(located.data)
    except ValidationError as error:
        raise DefinitionError(
            located.file, located.locate(problems_from_validation(error))
        ) from None


def parse_form(text: str, file: str) -> FormDefinition:
    """Parse and fully validate a form's YAML text; ``file`` names it in messages."""
    return form_from(load_yaml(text, file))


def form_from(located: Located) -> FormDefinition:
    """Fully validate a form from YAML already parsed with :func:`load_yaml` (as
    ``riskscreen validate`` has it, so a form is not read twice)."""
    file = located.file
    kind = located.data.get("kind")
    if kind != "form":
        raise DefinitionError(file, located.locate([Problem(
            f"expected 'kind: form', found {kind!r}", ("kind",),
            "a questionnaire file starts with 'kind: form'")]))
    form = parse_definition(located, FormDefinition)
    problems = check_form(form)
    if problems:
        raise DefinitionError(file, located.locate(problems))
    return form


def shipped_form_ids() -> list[str]:
    """Ids of the forms shipped with RiskScreen (one per shipped instrument, same id)."""
    return shipped_instrument_ids()


def load_form(source: str | Path) -> FormDefinition:
    """Load a form from a file path, or a shipped form by id (e.g. ``cse-screening``)."""
    text = str(source)
    path = Path(source)
    # An id never has a suffix or a folder in it, so a bare word is always a shipped id even if
    # a folder of that name happens to exist where the command runs.
    if isinstance(source, Path) or path.suffix in {".yaml", ".yml"} or "/" in text or (
        "\\" in text
    ):
        return parse_form(read_text(path), text)
    return _load_shipped(text)


@lru_cache(maxsize=16)
def _load_shipped(form_id: str) -> FormDefinition:
    node = data_file("forms", form_id, FORM_FILE)
    if not form_id or not node.is_file():
        known = ", ".join(shipped_form_ids()) or "none"
        raise DefinitionError(form_id, [Problem(
            f"no form file and no shipped form called '{form_id}'", (),
            f"give a path to a .yaml file or one of: {known}", 1, form_id)])
    return parse_form(read_text(node), f"forms/{form_id}/{FORM_FILE}")
