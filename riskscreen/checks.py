"""``riskscreen validate``'s engine: check any definition file by its ``kind``.

Forms, scoring models and routing files each register a checker. Checkers receive the parsed
YAML and a context that knows the forms given on the same command line, so a scoring model can
be checked against the form it names even before that form is shipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from riskscreen.definitions import DefinitionError, Located, Problem, load_yaml, read_text
from riskscreen.forms.loader import form_from, load_form
from riskscreen.forms.model import FormDefinition

__all__ = ["CHECKERS", "CheckContext", "check_files"]


@dataclass
class CheckContext:
    """What a checker may need besides its own file: forms seen so far, by id and version;
    and where checkers say, one line each, what they checked."""

    forms: dict[tuple[str, str], FormDefinition] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)

    def form(self, form_id: str, version: str | None = None) -> FormDefinition | None:
        """A form given on the command line, else the shipped one, else None."""
        for (fid, fver), form in self.forms.items():
            if fid == form_id and (version is None or fver == version):
                return form
        try:
            shipped = load_form(form_id)
        except DefinitionError:
            return None
        if version is None or shipped.version == version:
            return shipped
        return None


Checker = Callable[[Located, str, CheckContext], list[Problem]]


def _check_form(located: Located, text: str, context: CheckContext) -> list[Problem]:
    form = form_from(located)
    context.forms[(form.id, form.version)] = form
    context.checked.append(f"form {form.id} {form.version} ({located.file}): "
                           f"{sum(1 for _ in form.questions())} questions")
    return []


#: ``kind`` value -> checker. Other modules add theirs (see :func:`register`).
CHECKERS: dict[str, Checker] = {"form": _check_form}


def register(kind: str, checker: Checker) -> None:
    """Add a checker for a definition ``kind``."""
    CHECKERS[kind] = checker


def _load_registered() -> None:
    """Import the modules that register checkers for the other kinds, if present."""
    import importlib

    for module in ("riskscreen.scoring.loader", "riskscreen.routing.loader",
                   "riskscreen.routing.outcomes", "riskscreen.intel.retention"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name != module:
                raise


def check_file(path: Path, context: CheckContext) -> list[Problem]:
    """Check one definition file; return its problems (empty when valid)."""
    file = str(path)
    try:
        text = read_text(path)
        located = load_yaml(text, file)
        kind = located.data.get("kind")
        checker = CHECKERS.get(kind) if isinstance(kind, str) else None
        if checker is None:
            known = ", ".join(sorted(CHECKERS))
            return located.locate([Problem(
                f"unknown or missing 'kind': {kind!r}", ("kind",),
                f"start the file with 'kind:' and one of: {known}")])
        return checker(located, text, context)
    except DefinitionError as error:
        return error.problems


def _ordered(paths: Iterable[Path]) -> list[Path]:
    """Expand folders and put forms first, so models can be checked against them."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(x for x in p.rglob("*") if x.suffix in {".yaml", ".yml"})
        else:
            files.append(p)

    def rank(p: Path) -> int:
        try:
            with p.open(encoding="utf-8", errors="replace") as stream:
                head = stream.read(2000)
        except OSError:
            return 0
        return 0 if "kind: form" in head else 1

    return sorted(files, key=rank)


def check_files(paths: Iterable[Path], context: CheckContext | None = None) -> list[Problem]:
    """Check many files (folders are searched for ``*.yaml``); forms are checked first.

    ``context`` collects what was checked (a fresh one is used if none is given)."""
    _load_registered()
    context = context if context is not None else CheckContext()
    problems: list[Problem] = []
    for path in _ordered(paths):
        found = check_file(path, context)
        problems += sorted(found, key=lambda p: p.line or 0)
    return problems
