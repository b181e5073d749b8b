"""Killing the process while an account is disabled (and the data key changed) never leaves a
database that nobody can open.

A forked child signs in as the administrator and disables an account (key file with both keys,
``PRAGMA rekey`` in WAL mode, key file with the new key); the parent SIGKILLs it at a random
moment. After every run the manager signs in (which completes a half-written key file), the
database passes its integrity check, and the disabled account's old key opens it only if the
re-key never committed.
"""

from __future__ import annotations

import os
import random
import select
import signal
import sys
import time

import pytest
from sqlalchemy import text

from riskscreen.crypto.keyfile import KeyFile, key_file_path
from riskscreen.services import create_database
from riskscreen.store.backup import check_database
from riskscreen.store.db import WrongKey, connect_raw

from ..conftest import FAST, PASSPHRASES, Vault

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)"),
]

RUNS = 12


def _child(store: Vault, name: str, out: int) -> None:  # pragma: no cover - the child
    try:
        session = store.login("admin")
        os.write(out, b"ready\n")
        session.accounts.disable(name)
        os.write(out, b"done\n")
    except BaseException as error:
        os.write(out, f"error {type(error).__name__}\n".encode())
    finally:
        os._exit(0)


def _wait_for(fd: int, wanted: bytes, deadline: float) -> bytes:
    data = b""
    while wanted not in data and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data


def test_sigkill_during_a_key_change_leaves_an_openable_database(tmp_path) -> None:
    db = tmp_path / "data" / "riskscreen.db"
    admin, recovery = create_database(db, "admin", PASSPHRASES["admin"], kdf=FAST, models=[])
    admin.accounts.create("mary", "manager", PASSPHRASES["mary"])
    names = [f"leaver{i}" for i in range(RUNS)]
    for name in names:
        admin.accounts.create(name, "practitioner", f"{name} passphrase")
    with admin.engine.begin() as conn:  # some megabytes, so that the re-key takes a while
        conn.execute(text("CREATE TABLE padding (x BLOB)"))
        conn.execute(text("INSERT INTO padding SELECT randomblob(3000) FROM "
                          "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                          "WHERE i < 8000) SELECT i FROM n)"))
    admin.close()
    store = Vault(db, recovery)
    outcomes = {"before": 0, "after": 0}

    def disable_and_kill(name: str, delay: float) -> float:
        """Fork a child that disables ``name``; kill it ``delay`` s after it is ready (or when
        it is done); check the database; return how long the child worked."""
        old_key = KeyFile.load(key_file_path(db)).unlock(name, f"{name} passphrase")
        read_fd, write_fd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(read_fd)
            _child(store, name, write_fd)
        os.close(write_fd)
        lines = _wait_for(read_fd, b"ready\n", time.monotonic() + 20)
        began = time.monotonic()
        lines += _wait_for(read_fd, b"done\n", began + delay)
        worked = time.monotonic() - began
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read_fd)
        assert b"error" not in lines, lines
        with store.login("mary") as mary:
            key = mary.context.data_key
        assert check_database(db, key) == []
        try:
            connect_raw(db, old_key).close()
            outcomes["before"] += 1
        except WrongKey:
            outcomes["after"] += 1
        assert not KeyFile.load(key_file_path(db)).rotating or outcomes["before"]
        return worked

    # One key change left to finish shows how long one takes on this machine now; the kills
    # are then spread over that time and a little past it, so that they land on both sides of
    # the re-key's commit whether the machine is quiet or busy.
    duration = disable_and_kill(names[0], 60.0)
    rest = names[1:]
    rng = random.Random(99)
    for index, name in enumerate(rest):
        disable_and_kill(name, duration * 1.4 * (index + rng.random()) / len(rest))
    # Both outcomes are fine; the kills must have landed on both sides at least once.
    assert outcomes["before"], outcomes
    assert outcomes["after"], outcomes
