"""The bad-input set, through the real command line in subprocesses and the services.

Each input must end quickly with its exit code and one readable line that says what to do,
and never with a traceback. The time limit is a generous guard against runaway input (a YAML
alias bomb ran for more than 300 s), not a benchmark.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from riskscreen.crypto.keys import TEST_KDF_ENV
from riskscreen.services import ServiceError, Session, Unlocker, create_database
from riskscreen.services.models import ModelRefused

from ..conftest import FAST

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "tests" / "cases" / "07-disclosure.json"
LIMIT = 60.0  # seconds for any one input; a guard, not a benchmark
PASSPHRASE = "a passphrase for bad input tests"
PROBLEM_COUNT = ("problem found", "problems found")  # validate's closing summary line



def _bomb(levels: int, kind: str = "scoring_model") -> str:
    """A "billion laughs": each level is a list of nine aliases of the level before."""
    return f"kind: {kind}\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n"
        for i in range(levels - 1))


# 388 bytes that expand to 9^10 strings: validate ran for more than 300 s at 6.8 GB.
BOMB = _bomb(10)
# Small enough to finish (slowly) in-process if the refusal ever goes missing.
SMALL_BOMB = _bomb(5)


def _honour_permissions() -> None:
    """In the child, drop root's power to ignore file permissions, so that read-only places
    are read-only for it too (tests often run as root in containers)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        libc.prctl(24, capability, 0, 0, 0)  # PR_CAPBSET_DROP: gone after exec


def _ordinary_ctrl_c() -> None:
    """In a child: Ctrl+C as an interactive user's process gets it. A shell that starts the
    test run in the background leaves SIGINT ignored, and children inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _env(home: Path) -> dict[str, str]:
    # The cheap Argon2 settings of the test databases stay allowed; nothing else of ours.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RISKSCREEN_") or k == TEST_KDF_ENV}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               XDG_STATE_HOME=str(home / "state"), XDG_CONFIG_HOME=str(home / "config"))
    return env


@dataclass
class Result:
    code: int
    out: str
    err: str
    seconds: float

    def lines(self) -> list[str]:
        """What the command said, without validate's closing count."""
        return [line for line in (self.out + self.err).splitlines()
                if line.strip() and not line.endswith(PROBLEM_COUNT)]


def _no_traceback(result: Result) -> None:
    assert "Traceback" not in result.out + result.err, result.err[-2000:]
    assert result.seconds < LIMIT


def cli(home: Path, *args: str | Path, cwd: Path | None = None) -> Result:
    """Run ``python -m riskscreen ARGS`` as a user would, with file permissions in force."""
    preexec = _honour_permissions if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "riskscreen", *map(str, args)], capture_output=True, text=True,
        env=_env(home), cwd=cwd or home, timeout=LIMIT * 2, preexec_fn=preexec, check=False)
    result = Result(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)
    _no_traceback(result)
    return result


def assert_refused(result: Result, says: str, code: int = 1) -> None:
    """Exit ``code`` with exactly one line of explanation containing ``says``."""
    lines = result.lines()
    assert result.code == code, lines
    assert len(lines) == 1, lines
    assert says in lines[0], lines


# -- bad files ------------------------------------------------------------------------------


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


YAML_FILES: dict[str, tuple[str | bytes, str]] = {
    "alias bomb": (BOMB, "bad.yaml:2: YAML anchors and aliases"),
    "merge key": ("kind: form\nbase: &b {x: 1}\nother:\n  <<: *b\n", "bad.yaml:2: YAML anchors"),
    "deep flow nesting": ("kind: form\nx: " + "[" * 100_000 + "]" * 100_000 + "\n",
                          "bad.yaml:2: the file is nested more than"),
    "deep block nesting": ("kind: form\nx:\n" + "".join(
        f"{'  ' * (i + 1)}k{i}:\n" for i in range(200)) + "  " * 201 + "v: 1\n",
        "nested more than"),
    "5,000-digit number": ("kind: scoring_model\nid: m\nversion: " + "9" * 5000 + "\n",
                           "bad.yaml:3: a number of 5000 digits is too long"),
    "over the size limit": ("kind: form\n" + "# filler\n" * 130_000, "more than the limit"),
}


@pytest.mark.parametrize("name", list(YAML_FILES))
def test_validate_refuses_a_bad_definition_file_at_once(tmp_path: Path, name: str) -> None:
    text, says = YAML_FILES[name]
    _write(tmp_path / "bad.yaml", text)
    assert_refused(cli(tmp_path, "validate", "bad.yaml"), says)


@pytest.mark.parametrize("args", [
    ("score", CASE, "--model", "bad.yaml"),
    ("score", CASE, "--form", "bad.yaml"),
    ("schema", "answers", "--form", "bad.yaml"),
    ("impact", "--from", "bad.yaml", "--to", "cse-screening", CASE),
    ("summary", CASE, "--form", "cse-screening", "--model", "cse-screening",
     "--routing", "bad.yaml", "-o", "out.pdf"),
], ids=["score-model", "score-form", "schema-form", "impact-model", "summary-routing"])
def test_every_yaml_entry_point_refuses_an_alias_bomb(tmp_path: Path,
                                                     args: tuple[str | Path, ...]) -> None:
    _write(tmp_path / "bad.yaml", BOMB)
    assert_refused(cli(tmp_path, *args), "bad.yaml:2: YAML anchors and aliases")


ANSWERS_FILES: dict[str, tuple[str | bytes, str]] = {
    "deeply nested JSON": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "deeply nested answer": (
        '{"form": "cse-screening", "form_version": "1.0.0", "screening_date": "2026-01-01", '
        '"answers": {"child_name": ' + "[" * 5000 + "]" * 5000 + "}}", "nested too deeply"),
    "5,000-digit number": (
        '{"form": "cse-screening", "form_version": "1.0.0", "screening_date": "2026-01-01", '
        '"answers": {"missing_episodes_3_months": ' + "9" * 5000 + "}}", "number"),
    "not JSON": ("{form: cse-screening", "not valid JSON"),
    "over the size limit": (" " * 10_000_001 + "{}", "too large for an answers file"),
}


@pytest.mark.parametrize("name", list(ANSWERS_FILES))
def test_score_refuses_a_bad_answers_file(tmp_path: Path, name: str) -> None:
    text, says = ANSWERS_FILES[name]
    _write(tmp_path / "answers.json", text)
    result = cli(tmp_path, "score", "answers.json")
    assert_refused(result, says)
    assert result.lines()[0].startswith("answers.json: ")


@pytest.mark.parametrize("args", [
    ("score", "."),
    ("summary", ".", "--form", "cse-screening", "--model", "cse-screening", "-o", "o.pdf"),
], ids=["score", "summary"])
def test_an_answers_folder_is_refused(tmp_path: Path, args: tuple[str, ...]) -> None:
    assert_refused(cli(tmp_path, *args), "is a folder, not an answers file")


def test_a_folder_as_the_previous_assessment(tmp_path: Path) -> None:
    assert_refused(cli(tmp_path, "score", CASE, "--previous", "."),
                   "cannot read the previous assessment")


# -- closed pipes and interruptions ------------------------------------------------------------


OWN_INSTRUMENT = ROOT / "tests" / "instruments" / "eastbrook-seraf"


@pytest.mark.parametrize("args", [
    ("schema", "form"), ("score", CASE), ("score", "--json", CASE),
    ("score", "--instrument", "child-exploitation",
     ROOT / "tests" / "instruments" / "child-exploitation-cases" / "02-county-lines-now.json"),
    ("validate", OWN_INSTRUMENT),  # its one warning goes to the closed pipe
    ("impact", "--json", "--from", "cse-screening@1.0.0", "--to", "cse-screening",
     ROOT / "tests" / "cases")],
    ids=["schema", "score", "score-json", "score-instrument", "validate", "impact"])
def test_a_closed_pipe_ends_quietly(tmp_path: Path, args: tuple[str | Path, ...]) -> None:
    """``riskscreen schema form | head -1``: the reader is gone before the output is written."""
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "riskscreen", *map(str, args)], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=_env(tmp_path), cwd=tmp_path)
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()
    with proc.stderr:
        err = proc.stderr.read().decode()
    code = proc.wait(timeout=LIMIT)
    _no_traceback(Result(code, "", err, time.monotonic() - start))
    assert err == ""
    assert code == 141  # as a command stopped by SIGPIPE


@pytest.mark.parametrize(("args", "says"), [
    (("score", "--instrument", "no/such/folder", CASE), "no/such/folder:1: no such folder"),
    (("score", "--instrument", "no-such-instrument", CASE), "no-such-instrument"),
    (("summary", CASE, "--instrument", "no/such/folder", "-o", "out.pdf"), "no such folder"),
    (("validate", "no/such/folder"), "file not found"),
    (("impact", "--from", "cse-screening@1.0.0", "--to", "cse-screening", "no/such/folder"),
     "no/such/folder: no such file or folder"),
], ids=["score", "score-id", "summary", "validate", "impact"])
def test_a_bad_instrument_or_answers_path(tmp_path: Path, args: tuple[str | Path, ...],
                                          says: str) -> None:
    result = cli(tmp_path, *args)
    _no_traceback(result)
    lines = [line for line in result.lines() if not line.endswith(PROBLEM_COUNT)]
    assert result.code == 1, result.lines()
    assert len(lines) == 1, lines
    assert says in lines[0], lines


def test_an_interrupted_impact_analysis_says_so_in_one_line(tmp_path: Path) -> None:
    """Ctrl+C in the middle of scoring many screenings: one line, exit code 130."""
    folders = [str(ROOT / "tests" / "cases")] * 5000
    proc = subprocess.Popen(
        [sys.executable, "-m", "riskscreen", "impact", "--from", "cse-screening@1.0.0", "--to",
         "cse-screening", *folders], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=_env(tmp_path), cwd=tmp_path, preexec_fn=_ordinary_ctrl_c)
    time.sleep(3.0)
    assert proc.poll() is None, "impact finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=LIMIT)
    result = Result(proc.returncode, "", err, 0.0)
    _no_traceback(result)
    assert_refused(result, "riskscreen impact: interrupted (Ctrl+C) before it finished", 130)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small encrypted database (cheap key derivation) with an administrator, ``admin``."""
    db = tmp_path_factory.mktemp("db") / "data" / "riskscreen.db"
    session, _ = create_database(db, "admin", PASSPHRASE, kdf=FAST)
    session.close()
    return db


def _copy(database: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for part in database.parent.iterdir():
        if part.is_file():
            shutil.copy2(part, folder / part.name)
    return folder / database.name


@pytest.fixture
def passphrase_file(tmp_path: Path) -> Path:
    return _write(tmp_path / "pass.txt", PASSPHRASE + "\n")


def _signed_in(db: Path, passphrase_file: Path) -> tuple[str, ...]:
    return ("--db", str(db), "--user", "admin", "--passphrase-file", str(passphrase_file))


@pytest.mark.parametrize(("sig", "says", "code"), [
    (signal.SIGINT, "riskscreen demo: interrupted", 130),
    (signal.SIGTERM, "riskscreen demo: stopped before it finished", 143),
], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_command_says_so_in_one_line(tmp_path: Path, sig: int, says: str,
                                                    code: int) -> None:
    db = tmp_path / "demo.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "riskscreen", "demo", "--db", str(db), "--count", "200000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path),
        cwd=tmp_path, preexec_fn=_ordinary_ctrl_c)
    deadline = time.monotonic() + LIMIT
    while not db.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.5)  # well inside the long run of synthetic screenings
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=LIMIT)
    result = Result(proc.returncode, out, err, 0.0)
    _no_traceback(result)
    assert_refused(result, says, code)


_STOP_IN_A_FINALISER = """
import signal, sys, weakref
from riskscreen.cli import main as cli

class Thing:
    pass

def command(args):
    thing = Thing()
    def collected(ref):
        # The stop arrives while a weak reference's callback runs, as it can during garbage
        # collection; the callback cannot pass the exception on.
        signal.raise_signal(signal.{name})
    keep = weakref.ref(thing, collected)
    del thing
    for _ in range(3_000_000):
        pass
    print("finished")
    return 0

cli._main = command
sys.argv = ["riskscreen", "demo"]
sys.exit(cli.main())
"""


@pytest.mark.parametrize(("name", "says", "code"), [
    ("SIGINT", "riskscreen demo: interrupted", 130),
    ("SIGTERM", "riskscreen demo: stopped before it finished", 143),
], ids=["ctrl-c", "sigterm"])
def test_a_stop_during_garbage_collection_still_stops_the_command(
        tmp_path: Path, name: str, says: str, code: int) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _STOP_IN_A_FINALISER.format(name=name)], capture_output=True,
        text=True, env=_env(tmp_path), cwd=tmp_path, timeout=LIMIT,
        preexec_fn=_ordinary_ctrl_c)
    result = Result(proc.returncode, proc.stdout, proc.stderr, 0.0)
    _no_traceback(result)
    assert "finished" not in proc.stdout
    assert_refused(result, says, code)


# -- database paths ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["verify", "backup"])
def test_a_folder_at_the_database_path(tmp_path: Path, passphrase_file: Path,
                                       command: str) -> None:
    folder = tmp_path / "riskscreen.db"
    folder.mkdir()
    extra = [str(tmp_path / "copy.db")] if command == "backup" else []
    assert_refused(cli(tmp_path, command, *_signed_in(folder, passphrase_file), *extra),
                   "is a folder, not a RiskScreen database")


def _read_only(*paths: Path) -> None:
    for path in paths:
        mode = stat.S_IMODE(path.stat().st_mode)
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@pytest.fixture
def restore_permissions(tmp_path: Path) -> Iterator[None]:
    yield
    for path in [tmp_path, *tmp_path.rglob("*")]:
        if not path.is_symlink():
            path.chmod(stat.S_IMODE(path.stat().st_mode) | stat.S_IWUSR)


@pytest.mark.usefixtures("restore_permissions")
def test_init_in_a_read_only_folder(tmp_path: Path, passphrase_file: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    _read_only(folder)
    for db in (folder / "riskscreen.db", folder / "sub" / "riskscreen.db"):
        result = cli(tmp_path, "init", "--db", db, "--passphrase-file", passphrase_file)
        lines = [line for line in result.lines() if not line.startswith("Tuning")]
        assert result.code == 1
        assert lines == [f"riskscreen init: The database cannot be created in {db.parent} "
                         "(Permission denied). Choose a folder you can write to, with --db."]


@pytest.mark.usefixtures("restore_permissions")
@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_database(tmp_path: Path, database: Path, passphrase_file: Path,
                              what: str) -> None:
    db = _copy(database, tmp_path / "data")
    _read_only(*db.parent.iterdir())
    if what == "folder":
        _read_only(db.parent)
    result = cli(tmp_path, "backup", *_signed_in(db, passphrase_file), tmp_path / "copy.db")
    assert_refused(result, "is read-only, so RiskScreen cannot open it for work")


@pytest.mark.usefixtures("restore_permissions")
def test_a_read_only_backup_destination(tmp_path: Path, database: Path,
                                        passphrase_file: Path) -> None:
    db = _copy(database, tmp_path / "data")
    dest = tmp_path / "usb"
    dest.mkdir()
    _read_only(dest)
    result = cli(tmp_path, "backup", *_signed_in(db, passphrase_file), dest / "copy.db")
    assert_refused(result, "riskscreen backup: the backup could not be written")


@pytest.mark.usefixtures("restore_permissions")
def test_a_summary_into_a_read_only_folder(tmp_path: Path) -> None:
    out = tmp_path / "ro"
    out.mkdir()
    _read_only(out)
    result = cli(tmp_path, "summary", CASE, "--form", "cse-screening", "--model",
                 "cse-screening", "-o", out / "referral.pdf")
    assert_refused(result, "riskscreen summary: cannot write")


# -- the services' YAML entry points ----------------------------------------------------------


def _timed(call: Callable[[], object]) -> float:
    start = time.monotonic()
    call()
    return time.monotonic() - start


@pytest.fixture
def signed_in(database: Path, tmp_path: Path) -> Iterator[Callable[[str], Session]]:
    db = _copy(database, tmp_path / "data")
    admin = Unlocker(db, auto_backups=False).unlock("admin", PASSPHRASE)
    admin.accounts.create("mary", "manager", PASSPHRASE)
    sessions = [admin]

    def login(name: str) -> Session:
        session = Unlocker(db, auto_backups=False).unlock(name, PASSPHRASE)
        sessions.append(session)
        return session

    yield login
    for session in sessions:
        session.close()


def test_model_import_refuses_an_alias_bomb_at_once(signed_in: Callable[[str], Session]) -> None:
    service = signed_in("mary").models

    def attempt() -> None:
        with pytest.raises(ModelRefused, match=r"shared\.yaml, line 2: .*YAML anchors and aliases"):
            service.import_yaml(SMALL_BOMB, "shared.yaml")

    assert _timed(attempt) < LIMIT


def test_routing_settings_refuse_an_alias_bomb_at_once(
        signed_in: Callable[[str], Session]) -> None:
    service = signed_in("admin")
    bomb = _bomb(5, "routing")

    def attempt() -> None:
        with pytest.raises(ServiceError, match=r"routing\.yaml:2: YAML anchors and aliases"):
            service.settings.check_routing(bomb)
        with pytest.raises(ServiceError, match="YAML anchors and aliases"):
            service.settings.save({"routing_yaml": bomb})

    assert _timed(attempt) < LIMIT


# -- free text ----------------------------------------------------------------------------------


def _case_with(**changes: object) -> str:
    data = json.loads(CASE.read_text(encoding="utf-8"))
    for key, value in changes.items():
        data[key] = {**data.get(key, {}), **value}  # type: ignore[dict-item]
    return json.dumps(data)


@pytest.mark.parametrize(("qid", "changes", "says"), [
    ("online_grooming",
     {"evidence": {"online_grooming": {"basis": "observed", "details": "x" * 9_000_000}}},
     "the evidence details are 9,000,000 characters, longer than the limit of 20,000"),
    ("practitioner_analysis", {"answers": {"practitioner_analysis": "y" * 200_000}},
     "text is 200,000 characters, longer than the limit of 50,000"),
], ids=["9 MB evidence", "200,000-character analysis"])
def test_text_over_its_limit_is_refused_at_once(tmp_path: Path, qid: str,
                                                changes: dict[str, object], says: str) -> None:
    _write(tmp_path / "answers.json", _case_with(**changes))
    for args in (("score", "answers.json"),
                 ("summary", "answers.json", "--form", "cse-screening", "--model",
                  "cse-screening", "-o", "out.pdf")):
        result = cli(tmp_path, *args)
        assert_refused(result, says)
        assert qid in result.lines()[0]
    assert not (tmp_path / "out.pdf").exists()


def test_the_summary_lays_out_far_more_text_than_an_answer_holds() -> None:
    """Far more text than any answer may hold, as one block of short lines (the worst case for
    reportlab, which re-wrapped the rest of a paragraph at each page: minutes for this)."""
    from datetime import datetime

    from riskscreen.forms.answers import AnswerSet
    from riskscreen.forms.loader import load_form
    from riskscreen.routing import load_routing, route
    from riskscreen.scoring.engine import score
    from riskscreen.scoring.loader import load_model
    from riskscreen.summary import build_summary, render_pdf_bytes

    form = load_form("cse-screening")
    answers = AnswerSet.model_validate_json(CASE.read_text(encoding="utf-8"))
    assessment = score(form, load_model("cse-screening", form), answers)
    long = answers.model_copy(update={"answers": {
        **answers.answers, "practitioner_analysis": "A short line of notes.\n" * 9000}})
    summary = build_summary(form, long, assessment, route(assessment, load_routing()),
                            reference="RS-TEST", generated_at=datetime(2026, 3, 1, 9, 0))
    pdf = render_pdf_bytes(summary)
    assert pdf.startswith(b"%PDF")
    assert pdf.count(b"/Type /Page\n") > 100


def test_deeply_nested_key_files_are_called_unusable(tmp_path: Path, database: Path,
                                                     passphrase_file: Path) -> None:
    db = _copy(database, tmp_path / "data")
    for name in (f"{db.name}.keys.json", f"{db.name}.keys.json.bak"):
        _write(db.parent / name, "[" * 100_000 + "]" * 100_000)
    assert_refused(cli(tmp_path, "verify", *_signed_in(db, passphrase_file)),
                   "keys.json: not valid JSON; riskscreen.db.keys.json.bak: not valid JSON). "
                   "Restore it from a backup")
