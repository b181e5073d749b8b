"""``riskscreen validate`` and ``riskscreen schema``: working with definition files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from riskscreen.checks import check_files
from riskscreen.definitions import DefinitionError
from riskscreen.forms.answers import answers_json_schema
from riskscreen.forms.loader import load_form
from riskscreen.forms.model import FormDefinition

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``validate`` and ``schema`` to the command line."""
    p = subparsers.add_parser(
        "validate", help="check form, scoring model and routing files",
        description="Check definition files. Prints FILE:LINE: message for each problem; "
                    "exits 0 when every file is valid, 1 otherwise.")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                   help="YAML files or folders to check")
    p.set_defaults(func=_validate)

    s = subparsers.add_parser("schema", help="print a JSON Schema of a definition format")
    s.add_argument("what", choices=["form", "answers", "model", "routing"],
                   help="form: the questionnaire format; answers: an answers file of --form")
    s.add_argument("--form", help="form file or shipped form id (for 'answers')")
    s.set_defaults(func=_schema)


def _validate(args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not p.exists()]
    for p in missing:
        print(f"{p}:1: file not found (hint: check the path)")
    problems = check_files([p for p in args.paths if p.exists()])
    for problem in problems:
        print(problem.format())
    if problems or missing:
        count = len(problems) + len(missing)
        print(f"{count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
        return 1
    print(f"ok: {len(args.paths)} path{'s' if len(args.paths) != 1 else ''} valid",
          file=sys.stderr)
    return 0


def _schema(args: argparse.Namespace) -> int:
    schema: dict[str, Any]
    if args.what == "form":
        schema = FormDefinition.model_json_schema(by_alias=True)
    elif args.what == "answers":
        if not args.form:
            print("riskscreen schema answers needs --form FORM (a file or a shipped form id)",
                  file=sys.stderr)
            return 2
        try:
            schema = answers_json_schema(load_form(args.form))
        except DefinitionError as error:
            for problem in error.problems:
                print(problem.format(), file=sys.stderr)
            return 1
    elif args.what == "model":
        from riskscreen.scoring.model import ScoringModel

        schema = ScoringModel.model_json_schema(by_alias=True)
    else:
        from riskscreen.routing.model import RoutingTable

        schema = RoutingTable.model_json_schema(by_alias=True)
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return 0
