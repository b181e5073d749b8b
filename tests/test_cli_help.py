"""Every command's help reads as written: no format escapes ("95%%") shown to the reader."""

from __future__ import annotations

import argparse

import pytest

from riskscreen.cli.main import build_parser


def _parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    found: list[tuple[str, argparse.ArgumentParser]] = []
    todo = [("riskscreen", build_parser())]
    while todo:
        name, parser = todo.pop()
        found.append((name, parser))
        for action in parser._actions:  # argparse keeps its subcommands only here
            if isinstance(action, argparse._SubParsersAction):
                todo.extend((f"{name} {sub}", child) for sub, child in action.choices.items())
    return found


@pytest.mark.parametrize(("name", "parser"),
                         [pytest.param(n, p, id=n) for n, p in _parsers()])
def test_help_shows_no_format_escapes(name: str, parser: argparse.ArgumentParser) -> None:
    text = parser.format_help()
    assert "%%" not in text, name
    assert "%(" not in text, name


def test_the_top_level_help_says_how_to_open_the_app_on_another_database() -> None:
    text = " ".join(build_parser().format_help().split())
    assert "riskscreen --db PATH|URL [--db-ca FILE]" in text
    assert "RISKSCREEN_DB" in text


def test_chronology_only_offers_every_chronology_kind_and_refuses_others(
        capsys: pytest.CaptureFixture[str]) -> None:
    from riskscreen.services.types import ChronologyKind

    parser = dict(_parsers())["riskscreen chronology"]
    kinds = [k.value for k in ChronologyKind]
    assert f"show only these kinds of entry ({', '.join(kinds)})" in " ".join(
        parser.format_help().split())
    args = parser.parse_args(["--child", "1", "-o", "out.pdf", "--only", *kinds])
    assert args.only == kinds
    with pytest.raises(SystemExit):
        parser.parse_args(["--child", "1", "-o", "out.pdf", "--only", "holiday"])
    assert "invalid choice: 'holiday'" in capsys.readouterr().err
