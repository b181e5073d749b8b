"""`riskscreen summary` end to end with the scoring engine, and its error messages."""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from riskscreen.cli.main import main
from riskscreen.forms.answers import AnswerSet


@pytest.fixture
def answers_file(tmp_path: Path, answer_set: AnswerSet) -> Path:
    path = tmp_path / "answers.json"
    path.write_text(answer_set.model_dump_json(), encoding="utf-8")
    return path


def run(*args: str) -> int:
    return main(["summary", *args])


def text_of(path: Path, password: str | None = None) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    if password:
        reader.decrypt(password)
    return " ".join(p.extract_text() or "" for p in reader.pages)


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    """The usual umask, under which summaries were written world-readable (0644)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_writes_a_summary(answers_file: Path, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.pdf"
    out.write_bytes(b"an older, world-readable file")
    out.chmod(0o644)
    assert run(str(answers_file), "--form", "cse-screening", "--model", "cse-screening",
               "-o", str(out), "--marking", "OFFICIAL", "--reference", "REF-1",
               "--referrer-name", "Sam Taylor") == 0
    text = text_of(out)
    assert "Risk level:" in text
    assert "Reference REF-1" in text
    assert "Sam Taylor" in text
    assert "SENSITIVE" not in text
    assert "Zofia" not in capsys.readouterr().err  # no personal data in messages
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # readable by its owner only


def test_password_file_and_override(answers_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    pw = tmp_path / "pw.txt"
    pw.write_text("s3cret phrase\n", encoding="utf-8")
    assert run(str(answers_file), "--form", "cse-screening", "--model", "cse-screening",
               "-o", str(out), "--password-file", str(pw), "--override-level", "medium",
               "--override-reason", "Seen by the team this week; the risk is lower now.",
               "--override-by", "J. Okafor", "--countersigned-by", "M. Patel") == 0
    assert PdfReader(io.BytesIO(out.read_bytes())).is_encrypted
    # No account is checked here, so the PDF must not present the name as a countersignature.
    text = " ".join(text_of(out, "s3cret phrase").split())
    assert "M. Patel (not verified: named on the command line)" in text
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = text_of(out, "s3cret phrase")
    assert "Professional judgement override" in text
    assert "Seen by the team this week" in text


@pytest.mark.parametrize(("args", "expected"), [
    (["missing.json"], "file not found"),
    (["ANSWERS", "--model", "no-such-model"], "no shipped scoring model"),
    (["ANSWERS", "--form", "no-such-form"], "no shipped form"),
    (["ANSWERS", "--password-file", "missing-pw"], "cannot read the password file"),
    (["ANSWERS", "--override-level", "extreme", "--override-by", "x",
      "--override-reason", "Because of what was seen this week at school."], "unknown level"),
])
def test_bad_input_exits_1_with_a_message(
        args: list[str], expected: str, answers_file: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    argv = [str(answers_file) if a == "ANSWERS" else a for a in args]
    if "--form" not in argv:
        argv += ["--form", "cse-screening"]
    if "--model" not in argv:
        argv += ["--model", "cse-screening"]
    assert run(*argv, "-o", str(tmp_path / "x.pdf")) == 1
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists()


def test_answers_that_do_not_fit_the_form(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"form": "cse-screening", "form_version": "1.0.0",
                               "screening_date": "2026-03-01",
                               "answers": {"no_such_question": "yes"}}), encoding="utf-8")
    assert run(str(bad), "--form", "cse-screening", "--model", "cse-screening",
               "-o", str(tmp_path / "x.pdf")) == 1
    assert "no_such_question: no such question" in capsys.readouterr().err
