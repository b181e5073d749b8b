"""Killing the process at any moment loses at most the answer being saved.

A child process (forked, so it starts in milliseconds) signs in and saves answers as fast as
it can, writing an acknowledgement line after each save has returned; the parent SIGKILLs it
at a random moment. After every run the database opens, ``PRAGMA integrity_check`` is ok, and
every acknowledged answer (or a later one) is there; at the end the audit chain is intact.

The same holds for the real application while someone types: a GUI process (offscreen Qt)
types into a long-text answer key by key and is SIGKILLed mid-word; at most the last second
of typing is missing from the database, and the status never said "saved" over unsaved text.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from riskscreen.store.backup import check_database

from ..conftest import PASSPHRASES, Vault

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)"),
]

RUNS = 60
QUESTIONS = ["child_views", "child_wishes", "practitioner_analysis", "actions_taken",
             "parent_carer_views"]


def _child(store: Vault, screening_id: int, run: int, out: int) -> None:  # pragma: no cover
    """Runs in the forked process: save answers for ever, acknowledging each one."""
    try:
        session = store.login("pat")
        os.write(out, b"ready\n")
        n = 0
        while True:
            qid = QUESTIONS[n % len(QUESTIONS)]
            session.screenings.save_answer(screening_id, qid,
                                           f"run{run}:{n}:" + "w" * (n % 7 * 300))
            os.write(out, f"ack {qid} {n}\n".encode())
            n += 1
    except BaseException as error:
        os.write(out, f"error {type(error).__name__}\n".encode())
    finally:
        os._exit(0)


def _read_lines(fd: int, deadline: float) -> list[str]:
    data = b""
    while True:
        timeout = max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return data.decode().splitlines()


def _read_until(fd: int, wanted: str, deadline: float) -> list[str]:
    data = b""
    while wanted.encode() + b"\n" not in data and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return data.decode().splitlines()


def test_sigkill_at_random_points_loses_nothing_acknowledged(store: Vault) -> None:
    rng = random.Random(1234)
    with store.login("pat") as pat:
        screening_ids = [pat.screenings.start(pat.children.create(f"Kill {r}").id)
                         for r in range(RUNS)]
        key = pat.context.data_key
    acked: dict[int, dict[str, int]] = {}
    started = time.monotonic()
    total_acks = 0
    for run, sid in enumerate(screening_ids):
        read_fd, write_fd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(read_fd)
            _child(store, sid, run, write_fd)
        os.close(write_fd)
        # One run in five is killed at a random moment of signing in; the others at a random
        # moment after the child is ready, so the kills land mid-save on a busy machine too.
        if run % 5 == 0:
            lines = _read_lines(read_fd, time.monotonic() + rng.uniform(0.0, 0.1))
        else:
            lines = _read_until(read_fd, "ready", time.monotonic() + 10)
            lines += _read_lines(read_fd, time.monotonic() + rng.uniform(0.02, 0.2))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        lines += _read_lines(read_fd, time.monotonic() + 0.05)
        os.close(read_fd)
        assert not [ln for ln in lines if ln.startswith("error")], lines
        last: dict[str, int] = {}
        for line in lines:
            if line.startswith("ack "):
                _, qid, n = line.split()
                last[qid] = int(n)
        acked[sid] = last
        total_acks += len(last)
        assert check_database(store.db, key) == [], f"run {run}"
    elapsed = time.monotonic() - started
    assert total_acks > RUNS // 2  # the kills really landed mid-stream
    with store.login("mary") as mary:
        report = mary.maintenance.verify(rescore=False)
        assert report.ok, report
        with mary.engine.connect() as conn:
            rows = conn.execute(text("SELECT screening_id, question_id, value FROM answers "
                                     "WHERE question_id IN ('child_views', 'child_wishes', "
                                     "'practitioner_analysis', 'actions_taken', "
                                     "'parent_carer_views')")).all()
    stored = {(sid, qid): json.loads(value) for sid, qid, value in rows}
    for run, sid in enumerate(screening_ids):
        for qid, n in acked[sid].items():
            value = stored.get((sid, qid))
            assert value is not None, f"run {run}: acknowledged answer {qid} {n} lost"
            prefix, saved_n, _ = value.split(":", 2)
            assert prefix == f"run{run}"
            assert int(saved_n) >= n, f"run {run}: {qid} went back from {n} to {saved_n}"
    assert elapsed < 60


TYPING_RUNS = 4
TYPED_QUESTION = "child_wishes"  # 7.4, a long-text answer
SHOWN_BY = "child_spoken_to=alone"  # the answer that shows it
#: What may be lost when the process is killed: the typing of the last second.
MAY_LOSE_SECONDS = 1.0


class _Lines:
    """Lines a child process prints, read as they come (a line is never split in two)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.lines: list[str] = []
        self._partial = b""

    def read_until(self, deadline: float, wanted: str | None = None) -> None:
        while time.monotonic() < deadline and (wanted is None or wanted not in self.lines):
            ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            chunk = os.read(self.fd, 65536)
            if not chunk:
                break
            *complete, self._partial = (self._partial + chunk).split(b"\n")
            self.lines += [line.decode() for line in complete]


def test_sigkill_while_typing_loses_at_most_the_last_second(store: Vault,
                                                              tmp_path: Path) -> None:
    rng = random.Random(4321)
    with store.login("pat") as pat:
        screening_ids = [pat.screenings.start(pat.children.create(f"Typing {r}").id)
                         for r in range(TYPING_RUNS)]
        key = pat.context.data_key
    passphrase = tmp_path / "passphrase.txt"
    passphrase.write_text(PASSPHRASES["pat"], encoding="utf-8")
    script = Path(__file__).with_name("typing_child.py")
    text = " ".join(f"word{i}" for i in range(80))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    required_total = 0
    for run, sid in enumerate(screening_ids):
        errors = tmp_path / f"child{run}.err"
        with errors.open("wb") as err:
            child = subprocess.Popen(
                [sys.executable, str(script), str(store.db), str(tmp_path / "settings.ini"),
                 "pat", str(passphrase), str(sid), SHOWN_BY, TYPED_QUESTION, text],
                stdout=subprocess.PIPE, stderr=err, env=env)
        assert child.stdout is not None
        out = _Lines(child.stdout.fileno())
        try:
            out.read_until(time.monotonic() + 120, "ready")
            assert "ready" in out.lines, errors.read_text(errors="replace")[-2000:]
            out.read_until(time.monotonic() + rng.uniform(1.5, 4.0))
            killed_at = time.monotonic()
            child.send_signal(signal.SIGKILL)
            child.wait(30)
            out.read_until(time.monotonic() + 5)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdout.close()
        typed = []
        for line in out.lines:
            if line.startswith("typed "):
                _, n, at, status = line.split(" ", 3)
                typed.append((int(n), float(at), status))
        assert typed, f"run {run}: nothing was typed before the kill"
        assert "done" not in out.lines, f"run {run}: the kill came after the typing ended"
        # Right after a key there is always typing not yet saved: the status must say so.
        lying = [(n, status) for n, _, status in typed if "All answers saved" in status
                 or status.startswith("Saved")]
        assert not lying, f"run {run}: the status said saved over unsaved typing: {lying[:3]}"
        required = max((n for n, at, _ in typed if at <= killed_at - MAY_LOSE_SECONDS),
                       default=0)
        required_total += required
        with store.login("pat") as pat:
            answer = pat.screenings.open(sid).answers.get(TYPED_QUESTION)
        stored = str(answer.value) if answer is not None else ""
        assert text.startswith(stored), f"run {run}: the stored text is not what was typed"
        assert len(stored) >= required, (
            f"run {run}: {required - len(stored)} characters typed more than "
            f"{MAY_LOSE_SECONDS} s before the kill were lost ({len(stored)} of "
            f"{typed[-1][0]} typed were saved)")
        assert check_database(store.db, key) == [], f"run {run}"
    assert required_total > 0  # the kills came after more than a second of typing
