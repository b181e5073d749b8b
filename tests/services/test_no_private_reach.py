"""No service module uses another module's private members.

Each manager works through the shared context's public surface (see
docs/design/0008-service-rooms.md). A private name (one leading underscore) is used only on
``self`` or ``cls``: never on another object (``session._tx``), never on another module
(``session_module._helper``), and never imported from one.
"""

from __future__ import annotations

import ast
from importlib.resources import files
from pathlib import Path

import riskscreen.services


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def reaches(source: str, filename: str) -> list[str]:
    """Uses of private members on anything but ``self``/``cls``, as ``file:line: name``."""
    tree = ast.parse(source, filename)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            on_self = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if not on_self:
                found.append(f"{filename}:{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom):
            found += [f"{filename}:{node.lineno}: import {a.name}" for a in node.names
                      if _private(a.name)]
    return found


def _service_modules() -> list[Path]:
    root = Path(str(files(riskscreen.services)))
    return sorted(root.glob("*.py"))


def test_no_service_module_reaches_into_another() -> None:
    found = {r.split(":")[0] + ":" + r.split(":", 2)[2]
             for path in _service_modules()
             for r in reaches(path.read_text(encoding="utf-8"), path.name)}
    assert found == set()


def test_the_check_finds_a_reach() -> None:
    """The check itself sees a private member used on another object, and an import."""
    source = ("from riskscreen.x import _hidden\n"
              "class A:\n"
              "    def __init__(self):\n"
              "        self._mine = 1\n"
              "    def f(self, session):\n"
              "        return self._mine, session._tx(), session.context.transaction()\n")
    assert reaches(source, "m.py") == ["m.py:1: import _hidden", "m.py:6: ._tx"]
