"""Key derivation, wrapping, recovery keys and the key file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from riskscreen.crypto.keyfile import KeyFile, KeyFileError, backup_path
from riskscreen.crypto.keys import (
    RecoveryKeyError,
    UnwrapError,
    data_key_from_recovery,
    new_data_key,
    recovery_key_for,
    tune_kdf,
    unwrap_key,
    wrap_key,
)

from ..conftest import FAST


def test_wrap_roundtrip_and_aad_binding() -> None:
    kek, data = new_data_key(), new_data_key()
    wrapped = wrap_key(kek, data, b"account:alice")
    assert unwrap_key(kek, wrapped, b"account:alice") == data
    with pytest.raises(UnwrapError):
        unwrap_key(kek, wrapped, b"account:bob")  # a slot cannot be moved to another user
    with pytest.raises(UnwrapError):
        unwrap_key(new_data_key(), wrapped, b"account:alice")


def test_recovery_key_roundtrip_and_typos() -> None:
    key = new_data_key()
    text = recovery_key_for(key)
    groups = text.split("-")
    assert len(groups) == 8
    assert all(len(g) == 7 for g in groups)
    assert data_key_from_recovery(text.lower().replace("-", " ")) == key
    assert data_key_from_recovery(text.replace("1", "I").replace("0", "O")) == key
    typo = text[:3] + ("A" if text[3] != "A" else "B") + text[4:]
    with pytest.raises(RecoveryKeyError):
        data_key_from_recovery(typo)
    with pytest.raises(RecoveryKeyError):
        data_key_from_recovery(text[:-2])


def test_tune_kdf_lands_in_target_with_a_fake_clock() -> None:
    # A fake clock: each Argon2 pass "costs" 0.07 s, whatever the real machine does.
    now = [0.0]
    calls: list[int] = []

    def clock() -> float:
        return now[0]

    import riskscreen.crypto.keys as keys

    real = keys.Argon2id

    class Timed:
        def __init__(self, **kw: int | bytes) -> None:
            self.iterations = int(kw["iterations"])  # type: ignore[arg-type]
            self._real = real(**kw)  # type: ignore[arg-type]

        def derive(self, data: bytes) -> bytes:
            calls.append(self.iterations)
            now[0] += 0.07 * self.iterations
            return b""

    keys.Argon2id = Timed  # type: ignore[misc,assignment]
    try:
        params = tune_kdf(memory_cost=1024, lanes=1, clock=clock)
    finally:
        keys.Argon2id = real  # type: ignore[misc]
    assert 0.3 <= 0.07 * params.iterations <= 0.5
    assert params.memory_cost == 1024
    assert len(params.salt) == 16


def test_key_file_unlock_and_change(tmp_path: Path) -> None:
    data = new_data_key()
    kf = KeyFile(database_id="db1")
    kf.set_passphrase("alice", "correct horse", data, FAST)
    path = tmp_path / "k.json"
    kf.save(path)
    loaded = KeyFile.load(path)
    assert loaded.unlock("alice", "correct horse") == data
    with pytest.raises(UnwrapError):
        loaded.unlock("alice", "wrong horse")
    with pytest.raises(UnwrapError):
        loaded.unlock("nobody", "correct horse")
    assert b"correct horse" not in path.read_bytes()
    assert data.hex() not in path.read_text()


def test_one_damaged_copy_is_survived_and_repaired(tmp_path: Path) -> None:
    data = new_data_key()
    kf = KeyFile(database_id="db1")
    kf.set_passphrase("alice", "correct horse", data, FAST)
    path = tmp_path / "k.json"
    kf.save(path)
    path.write_bytes(path.read_bytes()[:50])  # half-written main copy
    assert KeyFile.load(path).unlock("alice", "correct horse") == data
    assert KeyFile.repair(path)
    assert json.loads(path.read_text())["database_id"] == "db1"
    backup_path(path).unlink()  # lost second copy
    assert KeyFile.load(path).unlock("alice", "correct horse") == data


def test_both_copies_damaged_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    kf = KeyFile(database_id="db1")
    kf.set_passphrase("alice", "correct horse", new_data_key(), FAST)
    kf.save(path)
    raw = json.loads(path.read_text())
    raw["database_id"] = "db2"  # edited: checksum no longer matches
    path.write_text(json.dumps(raw))
    backup_path(path).unlink()
    with pytest.raises(KeyFileError, match="recovery key"):
        KeyFile.load(path)
