"""``riskscreen validate`` and ``riskscreen schema``: working with definition files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``validate`` and ``schema`` to the command line."""
    p = subparsers.add_parser(
        "validate", help="check instruments, or form, scoring model and routing files",
        description="Check instrument folders (the form, its scoring models and its routing "
                    "together) or definition files. Prints FILE:LINE: message for each "
                    "problem (warnings as FILE:LINE: warning: message) and what was checked; "
                    "exits 0 when everything is valid (warnings allowed), 1 otherwise.")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                   help="instrument folders, YAML files, or folders holding either")
    p.set_defaults(func=_validate)

    s = subparsers.add_parser("schema", help="print a JSON Schema of a definition format")
    s.add_argument("what", choices=["form", "answers", "model", "routing"],
                   help="form: the questionnaire format; answers: an answers file of --form")
    s.add_argument("--form", help="form file or shipped form id (for 'answers')")
    s.set_defaults(func=_schema)


def _validate(args: argparse.Namespace) -> int:
    from riskscreen.instruments import check_paths

    missing = [p for p in args.paths if not p.exists()]
    for p in missing:
        print(f"{p}:1: file not found (hint: check the path)")
    report = check_paths([p for p in args.paths if p.exists()])
    for problem in report.problems:
        print(problem.format())
    if report.checked:
        print("checked:", file=sys.stderr)
        for line in report.checked:
            print(f"  {line}", file=sys.stderr)
    warned = len(report.warnings)
    also = f" and {warned} warning{'s' if warned != 1 else ''}" if warned else ""
    if report.errors or missing:
        count = len(report.errors) + len(missing)
        print(f"{count} problem{'s' if count != 1 else ''}{also} found", file=sys.stderr)
        return 1
    print(f"ok: {len(args.paths)} path{'s' if len(args.paths) != 1 else ''} valid{also}",
          file=sys.stderr)
    return 0


def _schema(args: argparse.Namespace) -> int:
    from riskscreen.definitions import DefinitionError
    from riskscreen.forms.answers import answers_json_schema
    from riskscreen.forms.loader import load_form
    from riskscreen.forms.model import FormDefinition

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
