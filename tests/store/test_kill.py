"""Killing the process at any moment loses at most the answer being saved.

A child process (forked, so it starts in milliseconds) signs in and saves answers as fast as
it can, writing an acknowledgement line after each save has returned; the parent SIGKILLs it
at a random moment. After every run the database opens, ``PRAGMA integrity_check`` is ok, and
every acknowledged answer (or a later one) is there; at the end the audit chain is intact.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import sys
import time

import pytest
from sqlalchemy import text

from riskscreen.store.backup import check_database

from .conftest import Store

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)"),
]

RUNS = 60
QUESTIONS = ["child_views", "child_wishes", "practitioner_analysis", "actions_taken",
             "parent_carer_views"]


def _child(store: Store, screening_id: int, run: int, out: int) -> None:  # pragma: no cover
    """Runs in the forked process: save answers for ever, acknowledging each one."""
    try:
        session = store.login("pat")
        os.write(out, b"ready\n")
        n = 0
        while True:
            qid = QUESTIONS[n % len(QUESTIONS)]
            session.save_answer(screening_id, qid, f"run{run}:{n}:" + "w" * (n % 7 * 300))
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


def test_sigkill_at_random_points_loses_nothing_acknowledged(store: Store) -> None:
    rng = random.Random(1234)
    with store.login("pat") as pat:
        screening_ids = [pat.start_screening(pat.create_child(f"Kill {r}").id)
                         for r in range(RUNS)]
        key = pat._key
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
        report = mary.verify(rescore=False)
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
