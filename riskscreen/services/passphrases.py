"""Where an account's passphrase is checked: the key file's slots, or the server's verifiers.

On a laptop each account's passphrase unwraps its slot of the data key in the key file beside
the database (:mod:`riskscreen.crypto.keyfile`). A team server has no data key and no key
file: there each account has an Argon2id verifier of its passphrase in ``server_passphrases``
(salt and settings beside it), compared in constant time. Accounts, roles and
countersignatures work the same on both; only this part differs.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session as OrmSession

from riskscreen.crypto.keyfile import KeyFile
from riskscreen.crypto.keys import (
    KdfParams,
    UnwrapError,
    derive_passphrase_key,
    kdf_minimum,
    new_salt,
)
from riskscreen.store.models import ServerPassphrase, User, utc_now

__all__ = ["KeyFileSlots", "PassphraseStore", "ServerVerifiers", "verifier_for"]


class PassphraseStore(Protocol):
    """Sets, checks and forgets accounts' passphrases."""

    def set(self, s: OrmSession, name: str, passphrase: str) -> None:
        """Give ``name`` this passphrase, inside transaction ``s`` (written with it)."""

    def opens(self, name: str, passphrase: str) -> bool:
        """Whether ``passphrase`` is ``name``'s."""

    def drop(self, s: OrmSession, name: str) -> None:
        """Forget ``name``'s passphrase (a disabled account)."""


class KeyFileSlots:
    """The key file's slots (a laptop's database)."""

    def __init__(self, key_path: Path, data_key: Callable[[], bytes],
                 params: Callable[[KeyFile], KdfParams]) -> None:
        self._path = key_path
        self._data_key = data_key
        self._params = params

    def set(self, s: OrmSession, name: str, passphrase: str) -> None:
        """Seal the data key for ``name`` under the passphrase; the key file is written inside
        the transaction: if writing fails the change is not committed (if the commit then
        fails, an unused slot remains)."""
        keyfile = KeyFile.load(self._path)
        keyfile.set_passphrase(name, passphrase, self._data_key(), self._params(keyfile))
        keyfile.save(self._path)

    def opens(self, name: str, passphrase: str) -> bool:
        """Whether the passphrase opens ``name``'s slot."""
        try:
            KeyFile.load(self._path).open_slot(name, passphrase)
        except UnwrapError:
            return False
        return True

    def drop(self, s: OrmSession, name: str) -> None:
        """Nothing: disabling an account changes the data key, which removes its slot."""


def verifier_for(passphrase: str, params: KdfParams) -> bytes:
    """The verifier kept for a passphrase: Argon2id with ``params`` (salt included)."""
    return derive_passphrase_key(passphrase, params)


class ServerVerifiers:
    """The server's Argon2id verifiers (a team server's database)."""

    def __init__(self, engine: Engine, params: KdfParams | None = None) -> None:
        self._engine = engine
        self._params = params

    def _new_params(self, s: OrmSession) -> KdfParams:
        """The settings of an existing verifier with a new salt (the minimum if none)."""
        if self._params is not None:
            return self._params.with_new_salt()
        found = s.scalar(select(ServerPassphrase.kdf).limit(1))
        if found is not None:
            return KdfParams.from_dict(json.loads(found)).at_least_minimum().with_new_salt()
        memory, passes, lanes = kdf_minimum()
        return KdfParams(memory, passes, lanes, new_salt())

    def set(self, s: OrmSession, name: str, passphrase: str) -> None:
        """Store ``name``'s new verifier."""
        user_id = s.scalar(select(User.id).where(User.name == name))
        assert user_id is not None  # the callers have just found or made the account
        params = self._new_params(s)
        s.merge(ServerPassphrase(user_id=user_id, kdf=json.dumps(params.to_dict()),
                                 verifier=verifier_for(passphrase, params),
                                 changed_at=utc_now()))

    def opens(self, name: str, passphrase: str) -> bool:
        """Whether ``passphrase`` matches ``name``'s verifier (False for no such account)."""
        with OrmSession(self._engine) as s:
            row = s.execute(select(ServerPassphrase.kdf, ServerPassphrase.verifier).join(
                User, User.id == ServerPassphrase.user_id).where(User.name == name)).first()
        if row is None:
            # The same work as a real check, so a wrong name takes as long as a wrong phrase.
            memory, passes, lanes = kdf_minimum()
            verifier_for(passphrase, KdfParams(memory, passes, lanes, new_salt()))
            return False
        params = KdfParams.from_dict(json.loads(row[0]))
        return hmac.compare_digest(verifier_for(passphrase, params), bytes(row[1]))

    def drop(self, s: OrmSession, name: str) -> None:
        """Remove ``name``'s verifier: a disabled account's old passphrase never works again."""
        user_id = s.scalar(select(User.id).where(User.name == name))
        found = s.get(ServerPassphrase, user_id) if user_id is not None else None
        if found is not None:
            s.delete(found)
