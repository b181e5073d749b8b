"""Data keys, passphrase key derivation (Argon2id), key wrapping (AES-256-GCM), recovery keys.

The database is encrypted with one random 256-bit *data key*. Nobody types that key: each
account has an X25519 key pair whose private half is wrapped with a key derived from the
account's passphrase, and the data key is *sealed* (HPKE, RFC 9180) to each account's public
key and to the recovery key's. Sealing needs no passphrase, so when an account is disabled a
new data key can be sealed for everyone else. See ``docs/design/0001-encryption.md`` and
``docs/design/0005-who-the-encryption-protects-against.md``.

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
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

__all__ = [
    "DATA_KEY_BYTES",
    "KDF_MINIMUM",
    "KdfParams",
    "RecoveryKeyError",
    "UnwrapError",
    "WeakKdfError",
    "WrappedKey",
    "data_key_from_recovery",
    "derive_passphrase_key",
    "new_data_key",
    "new_keypair",
    "new_salt",
    "open_sealed",
    "public_key_of",
    "recovery_key_for",
    "seal",
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


class WeakKdfError(ValueError):
    """Argon2id settings below RiskScreen's minimum (too little memory or too few passes)."""


#: The weakest Argon2id settings accepted in a key file, as (memory KiB, passes, lanes): the
#: OWASP floor for Argon2id (19 MiB, 2 passes), which is also where ``tune_kdf`` stops
#: lowering memory. Anything weaker makes an offline guess of a passphrase cheap.
KDF_MINIMUM = (19 * 1024, 2, 1)
#: Test suites (and only they) set this to "1" to accept cheap settings, so that thousands of
#: key derivations do not take minutes; it is never set by the application.
TEST_KDF_ENV = "RISKSCREEN_TEST_CHEAP_KDF"
_TEST_MINIMUM = (1024, 1, 1)


def kdf_minimum() -> tuple[int, int, int]:
    """The minimum in force: :data:`KDF_MINIMUM`, or a cheap one under a test suite."""
    return _TEST_MINIMUM if os.environ.get(TEST_KDF_ENV) == "1" else KDF_MINIMUM


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

    def is_strong_enough(self) -> bool:
        """Whether these settings are at least the minimum (memory, passes and lanes)."""
        memory, passes, lanes = kdf_minimum()
        return (self.memory_cost >= memory and self.iterations >= passes
                and self.lanes >= lanes)

    def check_strength(self) -> None:
        """:class:`WeakKdfError` if these settings are below the minimum."""
        if not self.is_strong_enough():
            raise WeakKdfError("the key derivation settings are weaker than RiskScreen accepts")

    def at_least_minimum(self) -> KdfParams:
        """These settings raised to the minimum where they fall short (for a new slot)."""
        memory, passes, lanes = kdf_minimum()
        return KdfParams(max(self.memory_cost, memory), max(self.iterations, passes),
                         max(self.lanes, lanes), self.salt, self.algorithm)

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


# -- sealing to a public key (HPKE) ---------------------------------------------------------------
#
# RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, from
# ``cryptography``. ``info`` binds a sealed key to its slot and data-key generation.

_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def new_keypair() -> tuple[bytes, bytes]:
    """A fresh X25519 key pair as (private, public) raw 32-byte strings."""
    private = X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption())
    return private, public_key_of(private)


def public_key_of(private: bytes) -> bytes:
    """The raw X25519 public key of a raw private key."""
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def seal(public: bytes, data_key: bytes, info: bytes) -> bytes:
    """``data_key`` encrypted to the holder of the private half of ``public``."""
    return _SUITE.encrypt(data_key, X25519PublicKey.from_public_bytes(public), info=info)


def open_sealed(private: bytes, sealed: bytes, info: bytes) -> bytes:
    """The key sealed by :func:`seal`; :class:`UnwrapError` if anything does not match."""
    try:
        key = _SUITE.decrypt(sealed, X25519PrivateKey.from_private_bytes(private), info=info)
    except (InvalidTag, ValueError):
        raise UnwrapError("the key could not be opened") from None
    if len(key) != DATA_KEY_BYTES:
        raise UnwrapError("the key could not be opened")
    return key


# -- recovery keys -----------------------------------------------------------------------------
#
# A recovery key is 32 secret bytes written for people: the bytes and a 3-byte checksum in
# Crockford base32, 56 characters in 8 groups of 7. Since key-file version 2 the bytes are an
# X25519 private key to which the data key is sealed in the key file's recovery slot, so the
# data key can change without a new recovery key. In databases made before that, the bytes are
# the data key itself (until its first change). It is shown once and never stored.


def _check_bytes(key: bytes) -> bytes:
    return hashlib.sha256(b"riskscreen-recovery-v1:" + key).digest()[:3]


def recovery_key_for(data_key: bytes) -> str:
    """32 secret bytes as a printable recovery key: ``XXXXXXX-XXXXXXX-...`` (8 groups of 7)."""
    if len(data_key) != DATA_KEY_BYTES:
        raise ValueError("a data key is 32 bytes")
    raw = int.from_bytes(data_key + _check_bytes(data_key), "big")
    chars = "".join(_CROCKFORD[(raw >> (5 * i)) & 31] for i in reversed(range(_RECOVERY_CHARS)))
    return "-".join(chars[i:i + _RECOVERY_GROUP] for i in range(0, len(chars), _RECOVERY_GROUP))


def data_key_from_recovery(text: str) -> bytes:
    """The 32 bytes a typed recovery key stands for; :class:`RecoveryKeyError` if mistyped.

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
