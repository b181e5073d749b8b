"""The key file: the data key wrapped once per account.

It lives beside the database (``<db>.keys.json``) because it is needed to open it, and it is
kept twice (``.bak``): both copies are replaced atomically, one after the other, so a lost or
half-written file never loses the data. A SHA-256 checksum over the file's canonical JSON tells
a damaged copy from a good one; each wrapped key is also authenticated by AES-GCM with its
slot (database id, account name, file version) as associated data, so a slot cannot be moved
to another account or database.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from riskscreen.crypto.atomic import atomic_write
from riskscreen.crypto.keys import (
    KdfParams,
    UnwrapError,
    WrappedKey,
    derive_passphrase_key,
    unwrap_key,
    wrap_key,
)

__all__ = [
    "KEY_FILE_VERSION",
    "AccountSlot",
    "KeyFile",
    "KeyFileError",
    "backup_path",
    "key_file_path",
]

KEY_FILE_FORMAT = "riskscreen-keys"
KEY_FILE_VERSION = 1


class KeyFileError(Exception):
    """The key file is missing or damaged (both copies); the message says what to do."""


def key_file_path(db_path: Path) -> Path:
    """Where the key file of a database lives: ``<db>.keys.json`` beside it."""
    return db_path.with_name(db_path.name + ".keys.json")


def backup_path(path: Path) -> Path:
    """The second copy of a key file."""
    return path.with_name(path.name + ".bak")


@dataclass
class AccountSlot:
    """One account's wrapping of the data key."""

    kdf: KdfParams
    wrapped: WrappedKey
    changed: str


@dataclass
class KeyFile:
    """The parsed key file. Mutating methods change memory only; :meth:`save` writes."""

    database_id: str
    accounts: dict[str, AccountSlot] = field(default_factory=dict)

    # -- slots ---------------------------------------------------------------------------------

    def _aad(self, slot: str) -> bytes:
        return f"{KEY_FILE_FORMAT} v{KEY_FILE_VERSION}|{self.database_id}|{slot}".encode()

    def set_passphrase(self, user: str, passphrase: str, data_key: bytes,
                       params: KdfParams) -> None:
        """Wrap the data key for ``user`` with a key derived from ``passphrase``."""
        params = params.with_new_salt()
        kek = derive_passphrase_key(passphrase, params)
        self.accounts[user] = AccountSlot(
            params, wrap_key(kek, data_key, self._aad("account:" + user)),
            datetime.now(UTC).isoformat(timespec="seconds"))

    def remove_account(self, user: str) -> None:
        """Forget an account's wrapping (it can no longer open the database)."""
        self.accounts.pop(user, None)

    def has_account(self, user: str) -> bool:
        """Whether ``user`` has a wrapping of the data key."""
        return user in self.accounts

    def unlock(self, user: str, passphrase: str) -> bytes:
        """The data key, or :class:`UnwrapError` for an unknown user or a wrong passphrase.

        An unknown user costs the same key derivation as a known one, so timing does not
        tell which account names exist.
        """
        slot = self.accounts.get(user)
        if slot is None:
            any_slot = next(iter(self.accounts.values()), None)
            if any_slot is not None:
                derive_passphrase_key(passphrase, any_slot.kdf.with_new_salt())
            raise UnwrapError("the key could not be opened")
        kek = derive_passphrase_key(passphrase, slot.kdf)
        return unwrap_key(kek, slot.wrapped, self._aad("account:" + user))

    # -- serialisation -------------------------------------------------------------------------

    def _body(self) -> dict[str, Any]:
        return {
            "format": KEY_FILE_FORMAT,
            "version": KEY_FILE_VERSION,
            "database_id": self.database_id,
            "accounts": {name: {"kdf": s.kdf.to_dict(), "wrapped": s.wrapped.to_dict(),
                                "changed": s.changed}
                         for name, s in sorted(self.accounts.items())},
        }

    @staticmethod
    def _checksum(body: dict[str, Any]) -> str:
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def to_bytes(self) -> bytes:
        """The file's content: the body and its checksum, as indented JSON."""
        body = self._body()
        body["checksum"] = self._checksum(self._body())
        return (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> KeyFile:
        """Parse and check a key file; ``ValueError`` (without content) if it is damaged."""
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValueError("not valid JSON") from None
        if not isinstance(raw, dict) or raw.get("format") != KEY_FILE_FORMAT:
            raise ValueError("not a RiskScreen key file")
        if raw.get("version") != KEY_FILE_VERSION:
            raise ValueError(f"key file version {raw.get('version')!r} is not supported")
        checksum = raw.pop("checksum", None)
        if checksum != cls._checksum(raw):
            raise ValueError("checksum does not match (the file is damaged or was edited)")
        try:
            accounts = {
                str(name): AccountSlot(KdfParams.from_dict(s["kdf"]),
                                       WrappedKey.from_dict(s["wrapped"]), str(s["changed"]))
                for name, s in raw["accounts"].items()}
            return cls(database_id=str(raw["database_id"]), accounts=accounts)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ValueError("malformed key file") from None

    def save(self, path: Path) -> None:
        """Write both copies atomically, the main file first; at every instant one is whole."""
        data = self.to_bytes()
        atomic_write(path, data)
        atomic_write(backup_path(path), data)

    @classmethod
    def load(cls, path: Path) -> KeyFile:
        """Read the main copy, or the second copy if the main one is missing or damaged."""
        reasons: list[str] = []
        for candidate in (path, backup_path(path)):
            try:
                return cls.from_bytes(candidate.read_bytes())
            except FileNotFoundError:
                reasons.append(f"{candidate.name}: missing")
            except OSError as error:
                reasons.append(f"{candidate.name}: cannot be read ({error.strerror})")
            except ValueError as error:
                reasons.append(f"{candidate.name}: {error}")
        raise KeyFileError(
            f"the key file {path} could not be used ({'; '.join(reasons)}). Restore it from a "
            "backup (each backup has its key file beside it), or unlock with the recovery key.")

    @classmethod
    def repair(cls, path: Path) -> bool:
        """Rewrite a missing or damaged copy from the good one; True if anything was written."""
        copies: list[KeyFile | None] = []
        raw: list[bytes | None] = []
        for candidate in (path, backup_path(path)):
            try:
                data = candidate.read_bytes()
                copies.append(cls.from_bytes(data))
                raw.append(data)
            except (OSError, ValueError):
                copies.append(None)
                raw.append(None)
        good = copies[0] or copies[1]
        if good is None:
            return False
        if copies[0] is not None and copies[1] is not None and raw[0] == raw[1]:
            return False
        # The main copy wins when both are readable: it is always written first.
        with contextlib.suppress(OSError):
            good.save(path)
            return True
        return False
