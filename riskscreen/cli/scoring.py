"""``riskscreen score`` and ``riskscreen impact``: scoring screenings from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskscreen.cli.instruments import unlock_for_instrument, wants_database

if TYPE_CHECKING:
    # Each command imports what it uses: the scoring engine and the form and model readers
    # are not needed to start the ``riskscreen`` command or to print its help.
    from riskscreen.definitions import DefinitionError
    from riskscreen.forms.answers import AnswerError, AnswerSet
    from riskscreen.forms.model import FormDefinition
    from riskscreen.scoring.assessment import Assessment
    from riskscreen.scoring.impact import ImpactReport
    from riskscreen.scoring.model import ScoringModel

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``score`` and ``impact`` to the command line."""
    p = subparsers.add_parser(
        "score", help="score one screening and explain the result",
        description="Score an answers file with a scoring model and explain the level: "
                    "contributions, rules fired, not-known answers. Exits 1 when the answers "
                    "do not fit the form.")
    p.add_argument("answers", type=Path, metavar="ANSWERS.json", help="an answers file")
    p.add_argument("--instrument", metavar="DIR_OR_ID",
                   help="instrument folder or shipped instrument id: its form and newest model "
                        "(--model chooses another); with --db, --user or --passphrase-file, "
                        "an instrument installed in the database")
    p.add_argument("--db", type=Path, metavar="PATH",
                   help="database holding the installed instrument (default: $RISKSCREEN_DB "
                        "or the user's data folder)")
    p.add_argument("--user", metavar="NAME", help="account (default: $RISKSCREEN_USER)")
    p.add_argument("--passphrase-file", type=Path, metavar="FILE",
                   help="read the passphrase from the first line of FILE")
    p.add_argument("--form", help="form file or shipped form id (default: the answers' form)")
    p.add_argument("--model", help="scoring model file or shipped id, e.g. cse-screening@1.0.0 "
                                   "(default: the newest shipped model for the form)")
    p.add_argument("--previous", type=Path, metavar="ASSESSMENT.json",
                   help="the child's previous assessment (as printed by --json), for the trend")
    p.add_argument("--json", action="store_true", help="print the assessment as JSON")
    p.set_defaults(func=_score)

    i = subparsers.add_parser(
        "impact", help="show what a new scoring model would change",
        description="Score answers files with two models; print the level-by-level transition "
                    "matrix and every screening whose level changes, with the contributions "
                    "and rules that differ.")
    i.add_argument("--from", dest="old", required=True, metavar="OLD_MODEL",
                   help="the current model (file or shipped id)")
    i.add_argument("--to", dest="new", required=True, metavar="NEW_MODEL",
                   help="the proposed model (file or shipped id)")
    i.add_argument("answers", nargs="+", type=Path, metavar="ANSWERS",
                   help="answers files, or folders searched for *.json")
    i.add_argument("--form", help="form file or shipped form id (default: the models' form)")
    i.add_argument("--json", action="store_true", help="print the report as JSON")
    i.set_defaults(func=_impact)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def _definition_failure(error: DefinitionError) -> int:
    for problem in error.problems:
        print(problem.format(), file=sys.stderr)
    return 1


# -- score ----------------------------------------------------------------------------------


def _score(args: argparse.Namespace) -> int:
    from riskscreen.definitions import DefinitionError
    from riskscreen.forms.answers import AnswerError, check_answers, load_answer_set
    from riskscreen.forms.loader import load_form
    from riskscreen.forms.visibility import visible_answers
    from riskscreen.scoring.assessment import Assessment
    from riskscreen.scoring.engine import ModelFormError, compile_model
    from riskscreen.scoring.gaps import unscored_not_known
    from riskscreen.scoring.loader import load_model

    try:
        answer_set = load_answer_set(args.answers)
    except AnswerError as error:
        return _answer_failure(error, args.answers)
    try:
        if wants_database(args):
            found = _installed(args)
            if isinstance(found, int):
                return found
            form, model = found
            if args.model:
                model = load_model(args.model, form)
        elif args.instrument:
            from riskscreen.instruments import load_instrument

            instrument = load_instrument(args.instrument)
            form = load_form(args.form) if args.form else instrument.form
            model = load_model(args.model, form) if args.model else instrument.model()
        else:
            form = load_form(args.form or answer_set.form)
            model = load_model(args.model or form.id, form)
    except DefinitionError as error:
        return _definition_failure(error)
    problems = check_answers(form, answer_set)
    if problems:
        return _answer_failure(AnswerError(problems), args.answers)
    previous = None
    if args.previous is not None:
        try:
            previous = Assessment.from_dict(json.loads(args.previous.read_text("utf-8")))
        except OSError as error:
            return _fail(f"{args.previous}: cannot read the previous assessment "
                         f"({error.strerror or error}; check the path)")
        except (ValueError, KeyError, TypeError, RecursionError):
            return _fail(f"{args.previous}: not a previous assessment (give a file written by "
                         "riskscreen score --json)")
    try:
        assessment = compile_model(form, model).explain(answer_set, previous)
    except ModelFormError as error:
        return _fail(str(error))
    except AnswerError as error:
        return _answer_failure(error, args.answers)
    if args.json:
        print(json.dumps(assessment.to_dict(), indent=2, ensure_ascii=False))
    else:
        visible = visible_answers(form, answer_set.answers, answer_set.screening_date)
        print(explain(assessment, form, unscored_not_known(form, visible, assessment)))
    return 0


def _installed(args: argparse.Namespace) -> tuple[FormDefinition, ScoringModel] | int:
    """The form and model in force of an instrument installed in the database (or the exit
    code of a refusal, already said)."""
    from riskscreen.cli.storage import _UsageError
    from riskscreen.services import USER_ERRORS

    try:
        with unlock_for_instrument(args) as session:
            return (session.instruments.form(args.instrument),
                    session.instruments.model(args.instrument))
    except _UsageError as error:
        print(f"riskscreen score: {error}", file=sys.stderr)
        return 2
    except USER_ERRORS as error:
        return _fail(f"riskscreen score: {error}")


def _answer_failure(error: AnswerError, source: Path) -> int:
    if len(error.problems) == 1:
        problem = error.problems[0]
        where = f"question '{problem.question}': " if problem.question else ""
        print(f"{source}: {where}{problem.message}", file=sys.stderr)
        return 1
    print(f"{source}: the answers do not fit the form:", file=sys.stderr)
    for problem in error.problems:
        where = f"question '{problem.question}': " if problem.question else ""
        print(f"  {where}{problem.message}", file=sys.stderr)
    return 1


def explain(assessment: Assessment, form: FormDefinition | None = None,
            unscored: Sequence[str] = ()) -> str:
    """A readable explanation of an assessment, as ``riskscreen score`` prints it.

    ``unscored`` names indicators answered "not known" that the model does not weigh; they
    are listed with the other gaps.
    """
    a = assessment
    info = a.level_info()
    lines = [f"Level: {info.name}"]
    if a.points_level != a.level:
        lines[0] += (f" (the points alone give {a.level_info(a.points_level).name}; "
                     "a rule sets the minimum)")
    gross = a.extra.get("points_before_protection", a.score + a.protective_applied)
    score_line = f"Score: {a.score} points"
    if a.protective_applied:
        score_line += (f" ({gross} from indicators, {a.protective_applied} taken off for "
                       "protective factors)")
    lines.append(score_line)
    capped = a.extra.get("not_known_capped")
    if capped:
        unknown = a.extra.get("not_known_points", 0)
        lines.append(
            f"Not known: the answers not known or not yet answered add {unknown} points, but "
            f"this model counts at most {unknown - capped} of them, so {capped} "
            f"point{'s' if capped != 1 else ''} {'are' if capped != 1 else 'is'} not "
            "counted. Not knowing is a gap to follow up, not evidence of exploitation.")
    lines.append(f"Model: {a.model.id} {a.model.version} (sha256 {a.model.short_hash})")
    age = a.extra.get("age")
    lines.append(f"Screening date: {a.screening_date.isoformat()}"
                 + (f"; age {age} on that date" if age is not None else ""))
    lines.append(f"Review by: {a.review_date.isoformat()} ({a.extra.get('review_reason', '')})")
    if a.trend is not None and a.trend.value != "first":
        lines.append(f"Trend: {a.trend.value} since the previous screening")
    lines.append("")
    lines.append("Rules fired:" if a.rules_fired else "Rules fired: none")
    for rule in a.rules_fired:
        lines.append(f"  - at least {a.level_info(rule.minimum_level).name} "
                     f"[{rule.id}]: {rule.reason}")
    scored = sorted((c for c in a.contributions if c.points),
                    key=lambda c: (-c.points, c.question))
    lines.append("")
    lines.append("Contributions (largest first):" if scored else "Contributions: none")
    for c in scored:
        lines.append(f"  {c.points:+4d}  {c.label} — {c.answer_label}")
    zero = len(a.contributions) - len(scored)
    if zero:
        lines.append(f"        ({zero} other answer{'s' if zero != 1 else ''} scored 0 points)")
    present = [c for c in a.protective if c.points]
    if present:
        lines.append("")
        words = "Protective factors"
        if form is not None:
            # Imported here: the summary package loads the PDF library, which scoring
            # commands otherwise never need.
            from riskscreen.summary.build import protective_words

            words = protective_words(form)
            words = words[:1].upper() + words[1:]
        lines.append(f"{words} (up to {a.protective_applied} points taken off):")
        for c in present:
            lines.append(f"  {c.points:+4d}  {c.label} — {c.answer_label}")
    lines.append("")
    lines.append("Not known:" if a.not_known or unscored else "Not known: none")
    labels = {c.question: c for c in (*a.contributions, *a.protective)}
    for qid in a.not_known:
        known = labels.get(qid)
        text = known.label if known is not None else qid
        note = " (not answered)" if known is not None and known.answer == "unanswered" else ""
        lines.append(f"  - {text}{note}")
    index = form.question_index() if form is not None else {}
    for qid in unscored:
        q = index.get(qid)
        lines.append(f"  - {' '.join(q.text.split()) if q else qid} (not scored by this "
                     "model)")
    return "\n".join(lines)


# -- impact ---------------------------------------------------------------------------------


def _answer_files(paths: list[Path], bad: list[tuple[str, str]]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*.json")):
                if not found.name.endswith(".expected.json"):
                    yield found
        elif path.exists():
            yield path
        else:
            bad.append((str(path), "file not found"))


def _answer_sets(paths: list[Path], form: FormDefinition,
                 bad: list[tuple[str, str]]) -> Iterator[tuple[str, AnswerSet]]:
    from riskscreen.forms.answers import AnswerError, check_answers, load_answer_set

    for path in _answer_files(paths, bad):
        try:
            answer_set = load_answer_set(path)
        except AnswerError as error:
            bad.append((str(path), "; ".join(p.format() for p in error.problems)))
            continue
        problems = check_answers(form, answer_set)
        if problems:
            bad.append((str(path), "; ".join(p.format() for p in problems)))
            continue
        yield str(path), answer_set


def _impact(args: argparse.Namespace) -> int:
    missing = [p for p in args.answers if not p.exists()]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        return _fail(f"riskscreen impact: {missing[0]}: no such file or folder{more} (check "
                     "the path; give answers files or folders holding them)")
    from riskscreen.definitions import DefinitionError
    from riskscreen.forms.loader import load_form
    from riskscreen.scoring.engine import ModelFormError
    from riskscreen.scoring.impact import impact
    from riskscreen.scoring.loader import load_model

    try:
        old: ScoringModel = load_model(args.old)
        new: ScoringModel = load_model(args.new)
        form = load_form(args.form or new.form.id)
        old = load_model(args.old, form)
        new = load_model(args.new, form)
    except DefinitionError as error:
        return _definition_failure(error)
    bad: list[tuple[str, str]] = []
    try:
        report = impact(form, old, new, _answer_sets(args.answers, form, bad))
    except ModelFormError as error:
        return _fail(str(error))
    skipped = [*bad, *report.skipped]
    if args.json:
        data = report.to_dict()
        data["skipped"] = [list(s) for s in skipped]
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(format_report(report, skipped))
    return 0


def format_report(report: ImpactReport, skipped: list[tuple[str, str]] | None = None) -> str:
    """The impact report as ``riskscreen impact`` prints it."""
    r = report
    names = r.level_names
    lines = [
        f"Impact of {r.old.id} {r.old.version} ({r.old.short_hash}) -> {r.new.id} "
        f"{r.new.version} ({r.new.short_hash}) over {r.total} screening"
        f"{'s' if r.total != 1 else ''}",
        "",
        "Transition matrix (rows: current level, columns: level with the new model):",
        r.format_matrix(),
        "",
        f"{r.level_changed} screening{'s' if r.level_changed != 1 else ''} change level; "
        f"{r.score_changed} change points.",
    ]
    if r.cancelled:
        lines.append("Cancelled before the end: the figures cover the screenings done.")
    for ch in r.changes:
        lines.append("")
        lines.append(f"{ch.key}: {names.get(ch.old_level, ch.old_level)} -> "
                     f"{names.get(ch.new_level, ch.new_level)} "
                     f"({ch.old_score} -> {ch.new_score} points)")
        for c in ch.contributions:
            old = "not scored" if c.old_points is None else str(c.old_points)
            new = "not scored" if c.new_points is None else str(c.new_points)
            lines.append(f"    {c.delta:+d}  {c.label} — {c.answer_label}: {old} -> {new}")
        for rule in ch.rules_added:
            lines.append(f"    rule now fires: {rule}")
        for rule in ch.rules_removed:
            lines.append(f"    rule no longer fires: {rule}")
    if skipped:
        lines.append("")
        lines.append(f"Skipped {len(skipped)} file{'s' if len(skipped) != 1 else ''}:")
        for key, why in skipped:
            lines.append(f"  {key}: {why}")
    return "\n".join(lines)
