"""Loading definition files (forms, scoring models, routing) with their YAML line numbers.

Every definition is YAML parsed by ruamel.yaml, which keeps the line of each node, then
validated by frozen pydantic models. Problems carry the path of the offending node so that
both pydantic's errors and the semantic checks can be reported as ``FILE:LINE: message``.

:func:`load_yaml` is the one gate every definition passes, whether it comes from a file, a
manager's import or the stored routing settings. Before anything is built from the text it
refuses, with the line, what could make loading slow or exhaust memory: a file over
:data:`MAX_DEFINITION_CHARS`, YAML anchors and aliases (which let a few hundred bytes expand
to gigabytes), nesting deeper than :data:`MAX_DEPTH`, and integers too long to convert.
:func:`dump_yaml` writes data back without anchors, so what it writes always loads again.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

from packaging.version import InvalidVersion, Version
from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    Event,
    NodeEvent,
    ScalarEvent,
)
from ruamel.yaml.parser import RoundTripParser
from ruamel.yaml.representer import SafeRepresenter
from ruamel.yaml.scalarbool import ScalarBoolean

__all__ = [
    "DEFAULT_INSTRUMENT",
    "FORM_FILE",
    "INSTRUMENT_FILE",
    "MAX_DEFINITION_CHARS",
    "MAX_DEPTH",
    "MODELS_FOLDER",
    "ROUTING_FILE",
    "DefinitionError",
    "Located",
    "Problem",
    "data_file",
    "dump_yaml",
    "load_yaml",
    "problems_from_validation",
    "read_text",
    "shipped_instrument_ids",
    "version_key",
]

#: The shipped instrument RiskScreen uses when none is chosen, and the only one a new
#: database puts in force (the others are installed with ``riskscreen instrument add``).
DEFAULT_INSTRUMENT = "cse-screening"
#: The files of an instrument folder (docs/design/0009-instrument-folders.md): the manifest,
#: the questionnaire, the folder of scoring models (one file per version) and the routing.
INSTRUMENT_FILE = "instrument.yaml"
FORM_FILE = "form.yaml"
MODELS_FOLDER = "scoring"
ROUTING_FILE = "routing.yaml"

#: The largest definition file accepted, in characters (the shipped form is under 50,000).
MAX_DEFINITION_CHARS = 1_000_000
#: The deepest nesting of mappings and lists accepted (the shipped files use under 10).
MAX_DEPTH = 50
#: The longest integer accepted, in digits (Python refuses to convert beyond 4,300).
MAX_INT_DIGITS = 100
_INT_LIKE = re.compile(r"[-+]?[0-9][0-9_]*")

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition file, with where it is and how to fix it."""

    message: str
    path: Path_ = ()
    hint: str = ""
    line: int | None = None  # 1-based; filled in by :meth:`Located.locate`
    file: str = ""
    #: A warning is worth a look but does not make the file invalid.
    severity: Literal["error", "warning"] = "error"

    @property
    def is_warning(self) -> bool:
        """Whether this is a warning rather than an error."""
        return self.severity == "warning"

    def format(self) -> str:
        """Render as ``FILE:LINE: message (hint: ...)``, the form editors jump to (warnings
        as ``FILE:LINE: warning: message``)."""
        where = f"{self.file}:{self.line if self.line is not None else 1}"
        text = f"{where}: {'warning: ' if self.is_warning else ''}{self.message}"
        if self.path:
            text += f" [at {format_path(self.path)}]"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


def format_path(path: Path_) -> str:
    """Render a node path like ``sections[2].questions[0].show_if``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class DefinitionError(Exception):
    """A definition file could not be loaded; ``problems`` lists every reason found."""

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems = list(problems)
        first = self.problems[0].format() if self.problems else f"{file}: invalid"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)


@dataclass
class Located:
    """Parsed YAML data of one file, able to turn a node path into a line number."""

    file: str
    data: Any
    _root: Any = field(repr=False, default=None)

    def line_of(self, path: Path_) -> int:
        """Return the 1-based line of the deepest node of ``path`` that exists."""
        node = self._root
        line = 1
        for part in path:
            if isinstance(node, CommentedMap) and part in node:
                with contextlib.suppress(KeyError, TypeError, AttributeError):
                    line = node.lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                with contextlib.suppress(KeyError, TypeError, AttributeError):
                    line = node.lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        return line

    def locate(self, problems: Iterable[Problem]) -> list[Problem]:
        """Fill in the file name and line of each problem."""
        out = []
        for p in problems:
            line = p.line if p.line is not None else self.line_of(p.path)
            out.append(Problem(p.message, p.path, p.hint, line, self.file, p.severity))
        return out


def _plain(node: Any) -> Any:
    """Convert ruamel's round-trip containers into plain dicts and lists, and its number
    types (``0`` and ``0x1f`` load as ``ScalarInt``) into plain numbers, which
    :func:`dump_yaml` can write back."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, ScalarBoolean):
        return bool(node)
    if isinstance(node, int) and type(node) not in (int, bool):
        return int(node)
    if isinstance(node, float) and type(node) is not float:
        return float(node)
    return node


class _UniqueKeyYAML(YAML):
    """Round-trip YAML that refuses duplicate mapping keys (ruamel's default too, made explicit)."""


def _refuse(file: str, line: int, message: str, hint: str) -> DefinitionError:
    return DefinitionError(file, [Problem(message, (), hint, line, file)])


class _Screen:
    """Refuses anchors, aliases, deep nesting and over-long integers, one parser event at a
    time, before any node or object is built from the event."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.depth = 0

    def see(self, event: Event) -> None:
        """Raise :class:`DefinitionError` if this event makes the file one to refuse."""
        file = self.file
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, AliasEvent) or (
                isinstance(event, NodeEvent) and event.anchor is not None):
            raise _refuse(file, line, "YAML anchors and aliases (&name, *name, <<) are not "
                          "allowed in definition files",
                          "write the value out in full at each place it is used")
        if isinstance(event, CollectionStartEvent):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _refuse(file, line, f"the file is nested more than {MAX_DEPTH} levels "
                              "deep", "a definition file needs only a few levels; check the "
                              "indentation and brackets")
        elif isinstance(event, CollectionEndEvent):
            self.depth -= 1
        elif (isinstance(event, ScalarEvent) and event.style is None
              and len(event.value) > MAX_INT_DIGITS and _INT_LIKE.fullmatch(event.value)):
            raise _refuse(file, line, f"a number of {len(event.value)} digits is too long "
                          f"(at most {MAX_INT_DIGITS})", "check the number at this line")


def _screen(events: Iterable[Event], file: str) -> None:
    """Screen every event of a parse (see :class:`_Screen`).

    The events come from the parser alone, before any node or object is built, so a file
    written to expand exponentially is refused after reading it once.
    """
    screen = _Screen(file)
    for event in events:
        screen.see(event)


class _ScreeningParser(RoundTripParser):
    """The round-trip parser with each event screened as the composer takes it, so one pass
    both screens and loads: the composer takes every event, in order, before any object is
    constructed."""

    screen: _Screen | None = None

    def get_event(self) -> Any:
        event = super().get_event()
        if self.screen is not None and event is not None:
            self.screen.see(event)
        return event


def _screened_load(text: str, file: str) -> Any:
    """The round-trip root of ``text``, screened while it is composed (one parse, not two)."""
    yaml = _UniqueKeyYAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.Parser = _ScreeningParser
    yaml.parser.screen = _Screen(file)
    return yaml.load(io.StringIO(text))


def load_yaml(text: str, file: str) -> Located:
    """Parse YAML text, keeping line numbers; raise :class:`DefinitionError` on a syntax error,
    an anchor or alias, nesting deeper than :data:`MAX_DEPTH`, or a file that is too large."""
    if len(text) > MAX_DEFINITION_CHARS:
        raise _refuse(file, 1, f"the file is {len(text):,} characters, more than the limit of "
                      f"{MAX_DEFINITION_CHARS:,} for a definition file",
                      "check that this is the right file")
    with _PARSED_LOCK:
        root = _PARSED.get(text)
    if root is not None:
        return _located(root, file)
    try:
        root = _screened_load(text, file)
    except DefinitionError:
        raise  # the screen refused the file: the first event refused, as in the slow path
    except Exception:
        # Any other failure is reported as screening every event, then loading, reports it
        # (the screen sees a second document's events too, which the composer refuses first).
        root = _slow_load(text, file)
    located = _located(root, file)
    if len(text) <= _PARSED_CHARS:
        with _PARSED_LOCK:
            if len(_PARSED) >= _PARSED_KEPT:
                _PARSED.pop(next(iter(_PARSED)))
            _PARSED[text] = root
    return located


#: The round-trip trees of the last few texts that loaded, by text: the same definition is
#: often read twice in one process (``riskscreen validate`` and the self-test read the
#: shipped files as files and again by id), and parsing is what takes the time. Each load
#: still builds its own plain data from the tree, which nothing changes.
_PARSED: dict[str, Any] = {}
_PARSED_KEPT = 16
_PARSED_CHARS = 200_000
_PARSED_LOCK = threading.Lock()


def _slow_load(text: str, file: str) -> Any:
    """Screen every event, then load: the order in which problems are reported."""
    yaml = _UniqueKeyYAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        _screen(yaml.parse(io.StringIO(text)), file)
        root = yaml.load(io.StringIO(text))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = (error.problem or error.context or "invalid YAML").strip()
        raise DefinitionError(
            file,
            [Problem(f"YAML syntax error: {reason}", (), _yaml_hint(reason), line, file)],
        ) from None
    except YAMLError as error:
        raise DefinitionError(
            file, [Problem(f"YAML error: {error}", (), "check the file is valid YAML", 1, file)]
        ) from None
    except (ValueError, IndexError):
        # The YAML library fails this way on number-like values it cannot convert ("+_", "._").
        raise DefinitionError(
            file,
            [Problem("a value looks like a number but is not one", (),
                     "put quotes around values such as '+_' or '._'", 1, file)],
        ) from None
    return root


def _located(root: Any, file: str) -> Located:
    if root is None:
        raise DefinitionError(file, [Problem("the file is empty", (), "", 1, file)])
    if not isinstance(root, CommentedMap):
        raise DefinitionError(
            file,
            [Problem("the top level must be a mapping of keys to values", (),
                     "start the file with 'kind:' and the other top-level keys", 1, file)],
        )
    return Located(file=file, data=_plain(root), _root=root)


class _NoAliasRepresenter(SafeRepresenter):
    """Writes a value shared by two places in full at both, never as an anchor and alias."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(data: Any) -> str:
    """YAML text of plain data (block style, keys in their order) that :func:`load_yaml` reads."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Representer = _NoAliasRepresenter
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]  # keep order
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _yaml_hint(reason: str) -> str:
    if "duplicate key" in reason:
        return "each key may appear once in a mapping; remove or rename the repeated one"
    if "mapping values are not allowed" in reason:
        return "a value containing ': ' must be quoted, or a key is indented wrongly"
    if "found character '\\t'" in reason or "tab" in reason:
        return "indent with spaces, not tabs"
    return "check indentation and quoting around this line"


def problems_from_validation(error: ValidationError) -> list[Problem]:
    """Turn pydantic's errors into problems pointing at the YAML nodes they concern."""
    problems = []
    for item in error.errors(include_url=False):
        loc: Path_ = tuple(p for p in item["loc"] if isinstance(p, (str, int)))
        # pydantic adds the union member or validator name as a path step; keep real keys only.
        # Tagged unions (the condition language) add their tag, written in angle brackets.
        loc = tuple(p for p in loc if not (isinstance(p, str) and (
            p.startswith("function-") or (p.startswith("<") and p.endswith(">")))))
        kind = item["type"]
        msg = item["msg"]
        hint = ""
        if kind == "extra_forbidden":
            key = loc[-1] if loc else "?"
            msg = f"unknown key '{key}'"
            hint = "check the spelling; see `riskscreen schema` for the keys allowed here"
        elif kind == "missing":
            key = loc[-1] if loc else "?"
            msg = f"missing required key '{key}'"
            hint = f"add '{key}:' here"
            loc = loc[:-1]
        elif msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ")
            if " | hint: " in msg:
                msg, hint = msg.split(" | hint: ", 1)
        problems.append(Problem(msg, loc, hint))
    return problems


def hinted(message: str, hint: str) -> str:
    """Pack a hint into a pydantic ``ValueError`` message (split out again by the loader)."""
    return f"{message} | hint: {hint}"


def data_file(kind: str, *parts: str) -> Traversable:
    """Return a shipped definition file: ``kind`` is ``forms``, ``scoring`` or ``resources``."""
    if kind not in {"forms", "scoring", "resources"}:
        raise ValueError(f"unknown definition folder {kind!r}")
    node = resources.files(f"riskscreen._defs.{kind}")
    for part in parts:
        node = node.joinpath(part)
    return node


def shipped_instrument_ids() -> list[str]:
    """Ids of the instruments shipped with RiskScreen: the folders of ``forms/`` holding a
    manifest (the folder's name is the instrument's id and its form's id)."""
    return sorted(p.name for p in data_file("forms").iterdir()
                  if p.is_dir() and p.joinpath(INSTRUMENT_FILE).is_file())


def read_text(source: Path | Traversable) -> str:
    """Read a definition file as UTF-8, with a clear error if it cannot be read."""
    if source.is_dir():
        raise DefinitionError(str(source), [Problem(
            "this is a folder, not a file", (), "give the path of a .yaml file", 1, str(source))])
    size = source.stat().st_size if isinstance(source, Path) and source.is_file() else 0
    if size > 4 * MAX_DEFINITION_CHARS:  # UTF-8 takes at most 4 bytes a character
        raise _refuse(str(source), 1, f"the file is {size:,} bytes, more than a definition "
                      "file can be", "check that this is the right file")
    try:
        return source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError(
            str(source), [Problem("file not found", (), "check the path", 1, str(source))]
        ) from None
    except UnicodeDecodeError:
        raise DefinitionError(
            str(source),
            [Problem("the file is not UTF-8 text", (), "save it as UTF-8", 1, str(source))],
        ) from None
    except OSError as error:
        raise DefinitionError(
            str(source),
            [Problem(f"cannot read the file: {error.strerror}", (), "", 1, str(source))],
        ) from None


def version_key(version: str) -> Version:
    """A form's or model's version for ordering ("1.10.0" after "1.9.0"); one that cannot be
    read sorts first."""
    try:
        return Version(version)
    except InvalidVersion:
        return Version("0")
