"""Instruments: a questionnaire with its scoring models and routing table, one folder each.

An instrument folder (docs/design/0009-instrument-folders.md) holds

* ``instrument.yaml``, the manifest: ``kind: instrument``, id, title, owner and approver;
* ``form.yaml``, the questionnaire (its id is the instrument's id);
* ``scoring/<version>.yaml``, every published scoring model of the form, one file a version;
* ``routing.yaml``, where a screening at each level of the models is sent;
* ``README.md``, a short page for people: what the instrument is for, who owns and approved it.

:func:`load_instrument` reads and checks the parts *together*: the routing against the
levels of every model and the form's concern tags, every model against the form version it
names. :func:`check_paths` is what ``riskscreen validate`` runs: instrument folders, loose
definition files, or folders of either, with a line for each thing it checked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from riskscreen import checks
from riskscreen.definitions import (
    DEFAULT_INSTRUMENT,
    FORM_FILE,
    INSTRUMENT_FILE,
    MODELS_FOLDER,
    ROUTING_FILE,
    DefinitionError,
    Problem,
    data_file,
    hinted,
    load_yaml,
    read_text,
    shipped_instrument_ids,
    version_key,
)
from riskscreen.forms.loader import parse_definition, parse_form
from riskscreen.forms.model import FORM_ID_PATTERN, FormDefinition
from riskscreen.routing.loader import check_routing
from riskscreen.routing.model import RoutingTable
from riskscreen.scoring.loader import check_model, unweighted_indicators
from riskscreen.scoring.model import ScoringModel

__all__ = [
    "DEFAULT_INSTRUMENT",
    "README_FILE",
    "Instrument",
    "InstrumentManifest",
    "Report",
    "check_instrument",
    "check_paths",
    "is_instrument_folder",
    "load_instrument",
    "shipped_instrument_ids",
]

README_FILE = "README.md"

Folder = Path | Traversable


class InstrumentManifest(BaseModel):
    """``instrument.yaml``: what the instrument is and who answers for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["instrument"] = "instrument"
    id: str = Field(description="The instrument's id; its form has the same id.")
    title: str = Field(min_length=1)
    description: str | None = None
    owner: str = Field(min_length=1, description="Who keeps the instrument up to date.")
    approved_by: str = Field(min_length=1, description="Who approved it for use.")
    approved_on: dt.date | None = Field(default=None, description="When it was approved.")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not FORM_ID_PATTERN.match(value):
            raise ValueError(hinted(f"instrument id {value!r} is not valid",
                                    "use lower-case letters, digits and hyphens, starting "
                                    "with a letter"))
        return value


@dataclass(frozen=True)
class Instrument:
    """A checked instrument: its manifest, form, models (oldest first) and routing table.

    ``texts`` holds each file's text by its path inside the folder (``form.yaml``,
    ``scoring/1.0.0.yaml``, ...), exactly as read, for storing; ``warnings`` what validation
    found worth a look without making the instrument invalid.
    """

    manifest: InstrumentManifest
    form: FormDefinition
    models: tuple[ScoringModel, ...]
    routing: RoutingTable
    readme: str
    source: str
    texts: Mapping[str, str]
    warnings: tuple[Problem, ...] = ()
    checked: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """The instrument's id (also its form's id)."""
        return self.manifest.id

    @property
    def title(self) -> str:
        """The instrument's title."""
        return self.manifest.title

    def model(self, version: str | None = None) -> ScoringModel:
        """A model by version, or the newest model that scores this form version."""
        if version is not None:
            for m in self.models:
                if m.version == version:
                    return m
            raise KeyError(version)
        for m in reversed(self.models):
            if self.form.version in m.form.versions:
                return m
        raise KeyError(self.form.version)


@dataclass
class Report:
    """What ``riskscreen validate`` found: problems (errors and warnings) and what it checked."""

    problems: list[Problem] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """The problems that make a definition invalid."""
        return [p for p in self.problems if not p.is_warning]

    @property
    def warnings(self) -> list[Problem]:
        """The problems worth a look that do not make a definition invalid."""
        return [p for p in self.problems if p.is_warning]


def is_instrument_folder(path: Path) -> bool:
    """Whether ``path`` is a folder holding an instrument manifest."""
    return path.is_dir() and (path / INSTRUMENT_FILE).is_file()


def _resolve(source: str | Path | Traversable) -> tuple[Folder, str]:
    """The folder of an instrument given by path, or of a shipped instrument given by id."""
    if isinstance(source, Path):
        return source, str(source)
    if isinstance(source, str):
        path = Path(source)
        if "/" in source or "\\" in source or path.exists() or not FORM_ID_PATTERN.match(
                source):
            return path, source
        return data_file("forms", source), f"forms/{source}"
    return source, str(source)


def load_instrument(source: str | Path | Traversable) -> Instrument:
    """Load and check an instrument folder, or a shipped instrument by id.

    Raises :class:`DefinitionError` listing every error found in any of its files, each as
    ``FILE:LINE: message (hint: ...)``; warnings are kept on the instrument.
    """
    instrument, report = check_instrument(source)
    if instrument is None or report.errors:
        name = _resolve(source)[1]
        raise DefinitionError(name, report.errors or [Problem(
            "the instrument could not be read", (), "check the folder", 1, name)])
    return instrument


def check_instrument(source: str | Path | Traversable) -> tuple[Instrument | None, Report]:
    """Check an instrument folder's parts together; the instrument when it has no errors."""
    folder, name = _resolve(source)
    report = Report()
    problems = report.problems

    def where(part: str) -> str:
        return f"{name.rstrip('/')}/{part}"

    if not folder.is_dir():
        missing = not (isinstance(folder, Path) and folder.exists())
        problems.append(Problem(
            "no such folder" if missing else "this is a file, not an instrument folder", (),
            "give the folder holding instrument.yaml" if not missing else
            "check the path, or give the id of a shipped instrument: "
            + ", ".join(shipped_instrument_ids()), 1, name))
        return None, report
    texts: dict[str, str] = {}

    def read(part: str, what: str, hint: str) -> str | None:
        node = folder.joinpath(*part.split("/"))
        if not node.is_file():
            problems.append(Problem(f"the instrument has no {what} ({part})", (), hint, 1,
                                    where(part)))
            return None
        try:
            text = read_text(node)
        except DefinitionError as error:
            problems.extend(_renamed(error.problems, where(part)))
            return None
        texts[part] = text
        return text

    manifest = _manifest(read(INSTRUMENT_FILE, "manifest", "add instrument.yaml with kind: "
                              "instrument, id, title, owner and approved_by"),
                         where(INSTRUMENT_FILE), problems)
    readme = read(README_FILE, "README", "add README.md saying what the instrument is for, "
                  "who owns it and who approved it")
    form: FormDefinition | None = None
    form_text = read(FORM_FILE, "questionnaire", "add form.yaml (kind: form)")
    if form_text is not None:
        try:
            form = parse_form(form_text, where(FORM_FILE))
        except DefinitionError as error:
            problems.extend(error.problems)
    if form is not None:
        report.checked.append(f"form {form.id} {form.version} ({where(FORM_FILE)}): "
                              f"{sum(1 for _ in form.questions())} questions")
        if manifest is not None and manifest.id != form.id:
            problems.append(Problem(
                f"the form's id '{form.id}' is not the instrument's id '{manifest.id}'",
                ("id",), "give the form and the instrument the same id",
                _line(form_text or "", "id"), where(FORM_FILE)))

    models = _models(folder, where, form, manifest, texts, report)
    table = _routing(read(ROUTING_FILE, "routing table", "add routing.yaml (kind: routing) "
                          "saying where each level is sent"), where(ROUTING_FILE), form,
                     models, report)
    if form is not None and models:
        for warning in unweighted_indicators(form, [m for m in models
                                                    if form.version in m.form.versions]):
            problems.append(_at(warning, where(FORM_FILE), form_text or ""))
    if manifest is None or form is None or not models or table is None or readme is None or (
            report.errors):
        return None, report
    instrument = Instrument(
        manifest=manifest, form=form, models=tuple(models), routing=table, readme=readme,
        source=name, texts=texts, warnings=tuple(report.warnings),
        checked=tuple(report.checked))
    try:
        instrument.model()
    except KeyError:
        problems.append(Problem(
            f"no scoring model declares version {form.version} of form '{form.id}'", (),
            f"list \"{form.version}\" under form: versions: in a new model version", 1,
            where(MODELS_FOLDER)))
        return None, report
    return instrument, report


def _renamed(problems: Iterable[Problem], file: str) -> list[Problem]:
    return [Problem(p.message, p.path, p.hint, p.line, file, p.severity) for p in problems]


def _line(text: str, key: str) -> int:
    """The line of a top-level key in YAML text (1 if it is not there)."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def _at(problem: Problem, file: str, text: str) -> Problem:
    """A problem with a node path, located in ``file``."""
    if problem.line is not None and problem.file:
        return problem
    located = load_yaml(text, file)
    return located.locate([problem])[0]


def _manifest(text: str | None, file: str, problems: list[Problem]) -> InstrumentManifest | None:
    if text is None:
        return None
    try:
        located = load_yaml(text, file)
        if located.data.get("kind") != "instrument":
            problems.extend(located.locate([Problem(
                f"expected 'kind: instrument', found {located.data.get('kind')!r}", ("kind",),
                "an instrument manifest starts with 'kind: instrument'")]))
            return None
        return parse_definition(located, InstrumentManifest)
    except DefinitionError as error:
        problems.extend(error.problems)
        return None


def _models(folder: Folder, where: Callable[[str], str], form: FormDefinition | None,
            manifest: InstrumentManifest | None, texts: dict[str, str],
            report: Report) -> list[ScoringModel]:
    """Every model of the folder, oldest first, each checked against the form it declares."""
    problems = report.problems
    node = folder.joinpath(MODELS_FOLDER)
    files = sorted((p for p in node.iterdir() if p.name.endswith((".yaml", ".yml")))
                   if node.is_dir() else [], key=lambda p: p.name)
    if not files:
        problems.append(Problem(
            "the instrument has no scoring model", (), f"add {MODELS_FOLDER}/1.0.0.yaml "
            "(kind: scoring_model)", 1, where(MODELS_FOLDER)))
        return []
    models: list[ScoringModel] = []
    seen: dict[str, str] = {}
    for entry in files:
        part = f"{MODELS_FOLDER}/{entry.name}"
        file = where(part)
        try:
            text = read_text(entry)
            located = load_yaml(text, file)
            if located.data.get("kind") != "scoring_model":
                raise DefinitionError(file, located.locate([Problem(
                    f"expected 'kind: scoring_model', found {located.data.get('kind')!r}",
                    ("kind",), "a scoring model file starts with 'kind: scoring_model'")]))
            model = parse_definition(located, ScoringModel)
        except DefinitionError as error:
            problems.extend(error.problems)
            continue
        texts[part] = text
        found = check_model(model, None)
        stem = entry.name.rsplit(".", 1)[0]
        if stem != model.version:
            found.append(Problem(
                f"the file is named {entry.name} but holds version {model.version}",
                ("version",), f"name the file {model.version}.yaml"))
        if model.version in seen:
            found.append(Problem(f"version {model.version} is also in {seen[model.version]}",
                                 ("version",), "give each model file its own version"))
        seen.setdefault(model.version, part)
        if manifest is not None and model.id != manifest.id:
            found.append(Problem(
                f"the model's id '{model.id}' is not the instrument's id '{manifest.id}'",
                ("id",), f"write 'id: {manifest.id}'"))
        if form is not None:
            if model.form.id != form.id:
                found.append(Problem(
                    f"this model scores form '{model.form.id}', not this instrument's form "
                    f"'{form.id}'", ("form", "id"), f"write 'id: {form.id}' under form:"))
            elif form.version in model.form.versions:
                found += [p for p in check_model(model, form, form_only=True)
                          if p not in found]
                report.checked.append(
                    f"scoring model {model.id} {model.version} ({file}) against form "
                    f"{form.id} {form.version}: {len(model.weights)} weighted questions, "
                    f"{len(model.rules)} rules, levels {', '.join(lv.id for lv in model.levels)}")
            else:
                report.checked.append(
                    f"scoring model {model.id} {model.version} ({file}): not against the form, "
                    f"which is version {form.version}; the model names "
                    f"{', '.join(model.form.versions)}")
        problems.extend(located.locate(found))
        if not any(p.file == file and not p.is_warning for p in problems):
            models.append(model)
    models.sort(key=lambda m: version_key(m.version))
    return models


def _routing(text: str | None, file: str, form: FormDefinition | None,
             models: Sequence[ScoringModel], report: Report) -> RoutingTable | None:
    if text is None:
        return None
    problems = report.problems
    try:
        located = load_yaml(text, file)
        if located.data.get("kind") != "routing":
            problems.extend(located.locate([Problem(
                f"expected 'kind: routing', found {located.data.get('kind')!r}", ("kind",),
                "a routing file starts with 'kind: routing'")]))
            return None
        table = parse_definition(located, RoutingTable)
    except DefinitionError as error:
        problems.extend(error.problems)
        return None
    found: list[Problem] = []
    levels: list[str] = []
    for m in models:
        levels += [lv.id for lv in m.levels if lv.id not in levels]
    if form is not None and table.form != form.id:
        found.append(Problem(f"the routing is for form '{table.form}', not this instrument's "
                             f"form '{form.id}'", ("form",), f"write 'form: {form.id}'"))
    model_ids = sorted({m.id for m in models})
    if models and table.model not in model_ids:
        found.append(Problem(f"the routing is for scoring model '{table.model}', not this "
                             f"instrument's model '{model_ids[0]}'", ("model",),
                             f"write 'model: {model_ids[0]}'"))
    if form is not None and models:
        found += check_routing(table, level_ids=levels, form=form)
        tags = sorted({q.concern for q in form.questions() if q.concern})
        report.checked.append(
            f"routing {table.id} {table.version} ({file}): levels {', '.join(levels)} of "
            f"{'every model' if len(models) > 1 else 'the model'}, concern tags "
            f"{', '.join(tags) or '(none)'} of the form, {len(table.destinations)} "
            "destinations")
    problems.extend(located.locate(found))
    if any(not p.is_warning for p in found):
        return None
    return table


# -- riskscreen validate --------------------------------------------------------------------


def check_paths(paths: Iterable[Path]) -> Report:
    """Check instrument folders, definition files, and folders holding either.

    An instrument folder is checked as a whole (its files are not checked again one by one);
    every other ``.yaml`` file is checked on its own, against the forms given with it.
    """
    report = Report()
    loose: list[Path] = []
    for path in paths:
        if is_instrument_folder(path):
            _add(report, path)
        elif path.is_dir():
            inside = sorted(p.parent for p in path.rglob(INSTRUMENT_FILE))
            for folder in inside:
                _add(report, folder)
            loose += [p for p in sorted(path.rglob("*"))
                      if p.suffix in {".yaml", ".yml"} and p.is_file()
                      and not any(folder in p.parents for folder in inside)]
        else:
            loose.append(path)
    if loose:
        context = checks.CheckContext()
        report.problems += checks.check_files(loose, context)
        report.checked += context.checked
    return report


def _add(report: Report, folder: Path) -> None:
    instrument, found = check_instrument(folder)
    report.problems += found.problems
    what = f"instrument {instrument.id}" if instrument is not None else "instrument"
    report.checked.append(f"{what} ({folder}): the form, every scoring model and the routing, "
                          "together")
    report.checked += [f"  {line}" for line in found.checked]
