"""Data keys, passphrase key derivation (Argon2id), key wrapping (AES-256-GCM), recovery keys.

The database is encrypted with one random 256-bit *data key*. Nobody types that key: each
account *wraps* it with a key derived from the account's passphrase, and a recovery key shown
once at set-up opens it too. Changing a passphrase re-wraps the data key; the data is not
re-encrypted. The recovery key is the data key in printable form (see below).
See ``docs/design/0001-encryption.md``.

No function here logs or puts a key, a passphrase or a user name in an exception message.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

__all__ = [
    "DATA_KEY_BYTES",
    "KdfParams",
    "RecoveryKeyError",
    "UnwrapError",
    "WrappedKey",
    "data_key_from_recovery",
    "derive_passphrase_key",
    "new_data_key",
    "new_salt",
    "recovery_key_for",
    "tune_kdf",
    "unwrap_key",
    "wrap_key",
]

DATA_KEY_BYTES = 32
_NONCE_BYTES = 12
_SALT_BYTES = 16

#: Crockford's base32 alphabet: no I, L, O or U, so a printed key is not misread.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RECOVERY_CHARS = 56  # (32 key bytes + 3 check bytes) * 8 / 5
_RECOVERY_GROUP = 7


class UnwrapError(Exception):
    """A wrapped key did not open: wrong passphrase or recovery key, or altered key data."""


class RecoveryKeyError(ValueError):
    """A recovery key that is not well formed (wrong length, letters or check character)."""


def new_data_key() -> bytes:
    """A fresh random 256-bit data key from the operating system's CSPRNG."""
    return secrets.token_bytes(DATA_KEY_BYTES)


# -- Argon2id ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters stored with each account (memory in KiB)."""

    memory_cost: int
    iterations: int
    lanes: int
    salt: bytes
    algorithm: str = "argon2id"

    def with_new_salt(self) -> KdfParams:
        """The same cost with a fresh random salt (every wrapping gets its own salt)."""
        return KdfParams(self.memory_cost, self.iterations, self.lanes,
                         secrets.token_bytes(_SALT_BYTES), self.algorithm)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for the key file."""
        return {"algorithm": self.algorithm, "memory_cost": self.memory_cost,
                "iterations": self.iterations, "lanes": self.lanes, "salt": self.salt.hex()}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> KdfParams:
        """Read parameters written by :meth:`to_dict`; ``ValueError`` if malformed."""
        if data.get("algorithm") != "argon2id":
            raise ValueError("unsupported key derivation algorithm")
        memory, iterations, lanes = data["memory_cost"], data["iterations"], data["lanes"]
        salt = data["salt"]
        if not (isinstance(memory, int) and isinstance(iterations, int)
                and isinstance(lanes, int) and isinstance(salt, str)):
            raise ValueError("malformed key derivation parameters")
        if memory < 8 * lanes or iterations < 1 or lanes < 1:
            raise ValueError("key derivation parameters out of range")
        return cls(memory, iterations, lanes, bytes.fromhex(salt))


def derive_passphrase_key(passphrase: str, params: KdfParams) -> bytes:
    """The 256-bit key-encryption key for a passphrase (Argon2id, RFC 9106)."""
    kdf = Argon2id(salt=params.salt, length=32, iterations=params.iterations,
                   lanes=params.lanes, memory_cost=params.memory_cost)
    return kdf.derive(passphrase.encode("utf-8"))


def tune_kdf(target: tuple[float, float] = (0.3, 0.5), memory_cost: int = 64 * 1024,
             lanes: int = 4, clock: Callable[[], float] = time.perf_counter) -> KdfParams:
    """Argon2id parameters that take between ``target`` seconds on this machine.

    Memory stays at ``memory_cost`` KiB (64 MiB by default, above RFC 9106's second
    recommendation) and the number of passes is scaled; on a machine so slow that one pass
    is over the upper bound, memory is halved down to 19 MiB (OWASP's floor).
    """
    low, high = target
    probe = b"riskscreen-kdf-tuning"
    while True:
        salt = secrets.token_bytes(_SALT_BYTES)

        def timed(iterations: int, memory: int = memory_cost, salt: bytes = salt) -> float:
            start = clock()
            Argon2id(salt=salt, length=32, iterations=iterations, lanes=lanes,
                     memory_cost=memory).derive(probe)
            return clock() - start

        one = timed(1)
        if one > high and memory_cost // 2 >= 19 * 1024:
            memory_cost //= 2
            continue
        per_pass = max(one, 1e-4)
        iterations = max(2, round(((low + high) / 2) / per_pass))
        for _ in range(4):  # correct for the fixed cost of a call; a few probes at most
            took = timed(iterations)
            if took < low:
                iterations = max(iterations + 1, round(iterations * ((low + high) / 2) / took))
            elif took > high and iterations > 2:
                iterations = max(2, round(iterations * ((low + high) / 2) / took))
            else:
                break
        return KdfParams(memory_cost, iterations, lanes, secrets.token_bytes(_SALT_BYTES))


# -- wrapping ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrappedKey:
    """A data key encrypted with AES-256-GCM under a key-encryption key."""

    nonce: bytes
    ciphertext: bytes

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form for the key file."""
        return {"nonce": self.nonce.hex(), "ciphertext": self.ciphertext.hex()}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> WrappedKey:
        """Read a wrapped key written by :meth:`to_dict`; ``ValueError`` if malformed."""
        nonce, ciphertext = data.get("nonce"), data.get("ciphertext")
        if not isinstance(nonce, str) or not isinstance(ciphertext, str):
            raise ValueError("malformed wrapped key")
        return cls(bytes.fromhex(nonce), bytes.fromhex(ciphertext))


def wrap_key(kek: bytes, data_key: bytes, aad: bytes) -> WrappedKey:
    """Encrypt ``data_key`` under ``kek``; ``aad`` binds it to its slot (user, file version)."""
    nonce = os.urandom(_NONCE_BYTES)
    return WrappedKey(nonce, AESGCM(kek).encrypt(nonce, data_key, aad))


def unwrap_key(kek: bytes, wrapped: WrappedKey, aad: bytes) -> bytes:
    """Decrypt a wrapped data key; :class:`UnwrapError` if the key or any byte is wrong."""
    try:
        key = AESGCM(kek).decrypt(wrapped.nonce, wrapped.ciphertext, aad)
    except (InvalidTag, ValueError):
        raise UnwrapError("the key could not be opened") from None
    if len(key) != DATA_KEY_BYTES:
        raise UnwrapError("the key could not be opened")
    return key


# -- recovery keys -----------------------------------------------------------------------------
#
# The recovery key is the data key itself, written for people: 32 key bytes and a 3-byte
# checksum in Crockford base32, 56 characters in 8 groups of 7. Being the data key, it opens
# the database even when every copy of the key file is lost (a wrapped recovery slot would be
# lost with the file). It is shown once at set-up and never stored.


def _check_bytes(key: bytes) -> bytes:
    return hashlib.sha256(b"riskscreen-recovery-v1:" + key).digest()[:3]


def recovery_key_for(data_key: bytes) -> str:
    """The printable recovery key of a data key: ``XXXXXXX-XXXXXXX-...`` (8 groups of 7)."""
    if len(data_key) != DATA_KEY_BYTES:
        raise ValueError("a data key is 32 bytes")
    raw = int.from_bytes(data_key + _check_bytes(data_key), "big")
    chars = "".join(_CROCKFORD[(raw >> (5 * i)) & 31] for i in reversed(range(_RECOVERY_CHARS)))
    return "-".join(chars[i:i + _RECOVERY_GROUP] for i in range(0, len(chars), _RECOVERY_GROUP))


def data_key_from_recovery(text: str) -> bytes:
    """The data key a typed recovery key stands for; :class:`RecoveryKeyError` if mistyped.

    Case, spaces and hyphens do not matter, and I/L are read as 1 and O as 0.
    """
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t\n")
    cleaned = cleaned.translate(str.maketrans("ILO", "110"))
    if len(cleaned) != _RECOVERY_CHARS:
        raise RecoveryKeyError(
            f"a recovery key has {_RECOVERY_CHARS} characters (8 groups of 7); "
            f"{len(cleaned)} were given")
    if any(ch not in _CROCKFORD for ch in cleaned):
        raise RecoveryKeyError("a recovery key uses only digits and the letters A to Z "
                               "without U; check for a mistyped character")
    raw = 0
    for ch in cleaned:
        raw = (raw << 5) | _CROCKFORD.index(ch)
    data = raw.to_bytes(DATA_KEY_BYTES + 3, "big")
    key, check = data[:DATA_KEY_BYTES], data[DATA_KEY_BYTES:]
    if not hmac.compare_digest(_check_bytes(key), check):
        raise RecoveryKeyError("the recovery key does not check out; a character is "
                               "probably mistyped")
    return key


def new_salt() -> bytes:
    """A fresh random salt."""
    return secrets.token_bytes(_SALT_BYTES)
