"""The key file: the data key sealed once per account and once for the recovery key.

It lives beside the database (``<db>.keys.json``) because it is needed to open it, and it is
kept twice (``.bak``): both copies are replaced atomically, one after the other, so a lost or
half-written file never loses the data. A SHA-256 checksum over the file's canonical JSON tells
a damaged copy from a good one; every wrapped or sealed key is also authenticated (AES-GCM or
HPKE) with its slot (database id, account name, data-key generation) as associated data, so a
slot cannot be moved to another account, database or generation.

Version 2 (this one): each account slot holds the account's X25519 private key wrapped under
its passphrase (Argon2id, AES-256-GCM), its public key, and the data key sealed to that public
key; the recovery slot holds the recovery key's public key and the data key sealed to it.
Changing the data key (:meth:`KeyFile.begin_rotation`, then :meth:`KeyFile.finish_rotation`)
needs nobody's passphrase. While a change is under way every slot carries the next data key
too (``pending``), so a crash at any point leaves a file that opens the database under the
old key or the new one. Version-1 slots (the data key wrapped directly under the passphrase)
are still read; signing in upgrades them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from riskscreen.crypto.atomic import atomic_write
from riskscreen.crypto.keys import (
    KdfParams,
    UnwrapError,
    WrappedKey,
    derive_passphrase_key,
    new_keypair,
    open_sealed,
    public_key_of,
    recovery_key_for,
    seal,
    unwrap_key,
    wrap_key,
)

__all__ = [
    "KEY_FILE_VERSION",
    "AccountSlot",
    "KeyFile",
    "KeyFileError",
    "RecoverySlot",
    "SlotKeys",
    "WeakSlotError",
    "backup_path",
    "key_file_path",
]

KEY_FILE_FORMAT = "riskscreen-keys"
KEY_FILE_VERSION = 2
_READABLE_VERSIONS = (1, 2)


class KeyFileError(Exception):
    """The key file is missing or damaged (both copies); the message says what to do."""


class WeakSlotError(KeyFileError):
    """An account's slot uses Argon2id settings below the minimum; it is not used."""

    def __init__(self) -> None:
        super().__init__(
            "This account's entry in the key file uses key settings weaker than RiskScreen "
            "accepts (the file may have been edited). Ask an administrator to reset your "
            "passphrase, or restore the key file from a backup.")


def key_file_path(db_path: Path) -> Path:
    """Where the key file of a database lives: ``<db>.keys.json`` beside it."""
    return db_path.with_name(db_path.name + ".keys.json")


def backup_path(path: Path) -> Path:
    """The second copy of a key file."""
    return path.with_name(path.name + ".bak")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class AccountSlot:
    """One account's way to the data key.

    ``public is None`` marks a version-1 slot: ``wrapped`` is then the data key itself under
    the passphrase key. Otherwise ``wrapped`` is the account's private key, and ``sealed``
    (and during a key change ``pending``) the data key sealed to ``public``.
    """

    kdf: KdfParams
    wrapped: WrappedKey
    changed: str
    public: bytes | None = None
    sealed: bytes | None = None
    pending: bytes | None = None

    @property
    def legacy(self) -> bool:
        """A version-1 slot, which a key change cannot carry over (no public key)."""
        return self.public is None


@dataclass
class RecoverySlot:
    """The data key sealed to the recovery key's public key."""

    public: bytes
    sealed: bytes | None
    pending: bytes | None = None


@dataclass(frozen=True)
class SlotKeys:
    """What one opened slot gives: the data key, and the next one while a change is pending."""

    data_key: bytes | None
    pending_key: bytes | None
    legacy: bool = False

    def candidates(self) -> list[bytes]:
        """The keys to try on the database, the current one first."""
        return [k for k in (self.data_key, self.pending_key) if k is not None]


@dataclass
class KeyFile:
    """The parsed key file. Mutating methods change memory only; :meth:`save` writes."""

    database_id: str
    accounts: dict[str, AccountSlot] = field(default_factory=dict)
    recovery: RecoverySlot | None = None
    generation: int = 0

    # -- slots ---------------------------------------------------------------------------------

    def _aad(self, slot: str) -> bytes:
        """Associated data of a version-1 slot (kept byte for byte so that old slots open)."""
        return f"{KEY_FILE_FORMAT} v1|{self.database_id}|{slot}".encode()

    def _info(self, slot: str, generation: int) -> bytes:
        return f"{KEY_FILE_FORMAT} v2|{self.database_id}|{slot}|gen {generation}".encode()

    def _private_aad(self, user: str) -> bytes:
        return f"{KEY_FILE_FORMAT} v2|{self.database_id}|account:{user}|private key".encode()

    @property
    def rotating(self) -> bool:
        """Whether a change of the data key was begun and not finished."""
        return (any(s.pending is not None for s in self.accounts.values())
                or (self.recovery is not None and self.recovery.pending is not None))

    def set_passphrase(self, user: str, passphrase: str, data_key: bytes,
                       params: KdfParams, *, pending_key: bytes | None = None) -> None:
        """Give ``user`` a new key pair, wrapped under ``passphrase``, with the data key sealed
        to it. :class:`WeakKdfError` if ``params`` are below the minimum."""
        params.check_strength()
        params = params.with_new_salt()
        private, public = new_keypair()
        kek = derive_passphrase_key(passphrase, params)
        slot = "account:" + user
        self.accounts[user] = AccountSlot(
            params, wrap_key(kek, private, self._private_aad(user)), _now(), public,
            seal(public, data_key, self._info(slot, self.generation)),
            None if pending_key is None
            else seal(public, pending_key, self._info(slot, self.generation + 1)))

    def new_slot_params(self, preferred: str) -> KdfParams:
        """Argon2 settings for a new or reset slot: those of ``preferred``'s slot (or any),
        raised to the minimum, so a weakened slot is never copied."""
        slot = self.accounts.get(preferred) or next(iter(self.accounts.values()), None)
        if slot is None:
            from riskscreen.crypto.keys import kdf_minimum, new_salt

            memory, passes, lanes = kdf_minimum()
            return KdfParams(memory, passes, lanes, new_salt())
        return slot.kdf.at_least_minimum()

    def remove_account(self, user: str) -> None:
        """Forget an account's slot (with the next data key, it can no longer open anything)."""
        self.accounts.pop(user, None)

    def has_account(self, user: str) -> bool:
        """Whether ``user`` has a slot."""
        return user in self.accounts

    def open_slot(self, user: str, passphrase: str) -> SlotKeys:
        """The keys ``user``'s passphrase opens; :class:`UnwrapError` for an unknown user or a
        wrong passphrase, :class:`WeakSlotError` for a slot below the Argon2 minimum.

        An unknown user costs the same key derivation as a known one, so timing does not
        tell which account names exist.
        """
        slot = self.accounts.get(user)
        if slot is None:
            any_slot = next(iter(self.accounts.values()), None)
            if any_slot is not None:
                derive_passphrase_key(passphrase, any_slot.kdf.with_new_salt())
            raise UnwrapError("the key could not be opened")
        if not slot.kdf.is_strong_enough():
            raise WeakSlotError()
        kek = derive_passphrase_key(passphrase, slot.kdf)
        if slot.public is None:
            return SlotKeys(unwrap_key(kek, slot.wrapped, self._aad("account:" + user)), None,
                            legacy=True)
        private = unwrap_key(kek, slot.wrapped, self._private_aad(user))
        if public_key_of(private) != slot.public:
            raise UnwrapError("the key could not be opened")
        name = "account:" + user
        return SlotKeys(
            None if slot.sealed is None
            else open_sealed(private, slot.sealed, self._info(name, self.generation)),
            None if slot.pending is None
            else open_sealed(private, slot.pending, self._info(name, self.generation + 1)))

    def unlock(self, user: str, passphrase: str) -> bytes:
        """The current data key (see :meth:`open_slot` for the errors)."""
        keys = self.open_slot(user, passphrase)
        if keys.data_key is None:
            raise UnwrapError("the key could not be opened")
        return keys.data_key

    # -- recovery ------------------------------------------------------------------------------

    def new_recovery(self, data_key: bytes, *, pending_key: bytes | None = None) -> str:
        """A new recovery key with the data key sealed to it; returns it, to be shown once.

        With ``pending_key`` (during a key change whose old data key was the old recovery
        key) only the next data key is sealed to it.
        """
        private, public = new_keypair()
        self.recovery = RecoverySlot(
            public,
            None if pending_key is not None
            else seal(public, data_key, self._info("recovery", self.generation)),
            None if pending_key is None
            else seal(public, pending_key, self._info("recovery", self.generation + 1)))
        return recovery_key_for(private)

    def recovery_keys(self, secret: bytes) -> list[bytes]:
        """The data keys the recovery key ``secret`` opens here, current first; [] if none
        (``secret`` may then be an old-style recovery key, the data key itself)."""
        rec = self.recovery
        if rec is None or len(secret) != 32 or public_key_of(secret) != rec.public:
            return []
        found: list[bytes] = []
        for sealed, generation in ((rec.sealed, self.generation),
                                   (rec.pending, self.generation + 1)):
            if sealed is not None:
                with contextlib.suppress(UnwrapError):
                    found.append(open_sealed(secret, sealed,
                                             self._info("recovery", generation)))
        return found

    # -- changing the data key -----------------------------------------------------------------

    def begin_rotation(self, old_key: bytes, new_key: bytes) -> tuple[str | None, list[str]]:
        """Seal ``new_key`` beside the current key in every slot (nothing is removed).

        Returns (a new recovery key to show once, or None; the accounts whose version-1 slots
        cannot carry the new key and will need a passphrase reset). A file without a recovery
        slot dates from when the recovery key was the data key: that key stops working with
        the change, so a new recovery key is made.
        """
        stale = [name for name, slot in self.accounts.items() if slot.public is None]
        for name, slot in self.accounts.items():
            if slot.public is not None:
                slot.pending = seal(slot.public, new_key,
                                    self._info("account:" + name, self.generation + 1))
        if self.recovery is None:
            return self.new_recovery(old_key, pending_key=new_key), stale
        self.recovery.pending = seal(self.recovery.public, new_key,
                                     self._info("recovery", self.generation + 1))
        return None, stale

    def finish_rotation(self) -> None:
        """Make the pending key the current one (after the database was re-keyed)."""
        for name in [n for n, s in self.accounts.items() if s.pending is None]:
            del self.accounts[name]  # version-1 slots and slots of the old key only
        for slot in self.accounts.values():
            slot.sealed, slot.pending = slot.pending, None
        if self.recovery is not None:
            self.recovery.sealed, self.recovery.pending = self.recovery.pending, None
        self.generation += 1

    def abandon_rotation(self) -> None:
        """Forget a pending key (the database was not re-keyed)."""
        for slot in self.accounts.values():
            slot.pending = None
        if self.recovery is not None:
            self.recovery.pending = None
            if self.recovery.sealed is None:
                self.recovery = None

    def only(self, names: Collection[str]) -> KeyFile:
        """A copy with only the slots of ``names`` and the recovery slot (for backups)."""
        return KeyFile(self.database_id,
                       {n: replace(s) for n, s in self.accounts.items() if n in names},
                       replace(self.recovery) if self.recovery is not None else None,
                       self.generation)

    # -- serialisation -------------------------------------------------------------------------

    def _body(self) -> dict[str, Any]:
        def slot(s: AccountSlot) -> dict[str, Any]:
            out: dict[str, Any] = {"kdf": s.kdf.to_dict(), "wrapped": s.wrapped.to_dict(),
                                   "changed": s.changed}
            for name in ("public", "sealed", "pending"):
                value = getattr(s, name)
                if value is not None:
                    out[name] = value.hex()
            return out

        body: dict[str, Any] = {
            "format": KEY_FILE_FORMAT,
            "version": KEY_FILE_VERSION,
            "database_id": self.database_id,
            "generation": self.generation,
            "accounts": {name: slot(s) for name, s in sorted(self.accounts.items())},
        }
        if self.recovery is not None:
            body["recovery"] = {k: v.hex() for k, v in (
                ("public", self.recovery.public), ("sealed", self.recovery.sealed),
                ("pending", self.recovery.pending)) if v is not None}
        return body

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
        except (ValueError, RecursionError):  # also nested too deeply, or a huge number
            raise ValueError("not valid JSON") from None
        if not isinstance(raw, dict) or raw.get("format") != KEY_FILE_FORMAT:
            raise ValueError("not a RiskScreen key file")
        if raw.get("version") not in _READABLE_VERSIONS:
            raise ValueError(f"key file version {raw.get('version')!r} is not supported")
        checksum = raw.pop("checksum", None)
        if checksum != cls._checksum(raw):
            raise ValueError("checksum does not match (the file is damaged or was edited)")

        def hexed(data: dict[str, Any], name: str) -> bytes | None:
            value = data.get(name)
            return None if value is None else bytes.fromhex(str(value))

        try:
            accounts = {
                str(name): AccountSlot(KdfParams.from_dict(s["kdf"]),
                                       WrappedKey.from_dict(s["wrapped"]), str(s["changed"]),
                                       hexed(s, "public"), hexed(s, "sealed"),
                                       hexed(s, "pending"))
                for name, s in raw["accounts"].items()}
            recovery: RecoverySlot | None = None
            if raw.get("recovery") is not None:
                public = hexed(raw["recovery"], "public")
                if public is None:
                    raise ValueError("recovery slot without a public key")
                recovery = RecoverySlot(public, hexed(raw["recovery"], "sealed"),
                                        hexed(raw["recovery"], "pending"))
            generation = int(raw.get("generation", 0))
            return cls(database_id=str(raw["database_id"]), accounts=accounts,
                       recovery=recovery, generation=generation)
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
