"""Accounts: who may sign in, with which role, and their passphrases.

An administrator creates, promotes, disables and re-enables accounts and resets passphrases;
giving an account the manager, administrator or analyst role needs a second person's
countersignature (an analyst sees every intelligence item, so a manager countersigns).
Disabling an account changes the data key, so nothing its old key opens is current any more.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from riskscreen.crypto.keyfile import KeyFile, KeyFileError
from riskscreen.crypto.keys import data_key_from_recovery
from riskscreen.crypto.signins import RECOVERY_KEY
from riskscreen.services.children import SCREENING_ROLES
from riskscreen.services.context import Context
from riskscreen.services.errors import (
    AccountError,
    NotFound,
    OverrideRefused,
    PermissionDenied,
    WrongPassphrase,
)
from riskscreen.services.rows import user_info
from riskscreen.services.types import Countersignature, Role, UserInfo
from riskscreen.store.models import Meta, User

__all__ = ["AccountManager", "check_new_passphrase"]

_ROLES = frozenset(Role)
#: Roles an account is given only with a second person's countersignature.
_PRIVILEGED = (Role.MANAGER, Role.ADMINISTRATOR, Role.ANALYST)


def check_new_passphrase(passphrase: str) -> None:
    """Refuse a new passphrase shorter than the minimum."""
    if len(passphrase) < 10:
        raise AccountError("A passphrase needs at least 10 characters; a few unrelated words "
                           "are easy to remember and hard to guess.")


class AccountManager:
    """The accounts of one database, as the signed-in account may manage them."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def all(self) -> list[UserInfo]:
        """Every account (administrators only)."""
        self._ctx.require(Role.ADMINISTRATOR)
        with self._ctx.transaction() as s:
            return [user_info(u) for u in s.scalars(select(User).order_by(User.name))]

    def create(self, name: str, role: str, passphrase: str, display_name: str = "",
                    countersign: Countersignature | None = None) -> UserInfo:
        """A new account with its own key pair (administrators only).

        A manager, analyst or administrator account needs ``countersign`` from a second
        person: an active manager for a manager or analyst account, an active manager or
        another administrator
        for an administrator account (the very first manager of a database excepted, and
        shown as such in the audit log).
        """
        self._ctx.require(Role.ADMINISTRATOR)
        name = name.strip()
        if not name or len(name) > 100 or any(ch.isspace() for ch in name):
            raise AccountError("An account name is 1 to 100 characters without spaces.")
        if role not in _ROLES:
            raise AccountError(f"Unknown role; use one of: {', '.join(Role)}.")
        check_new_passphrase(passphrase)
        signer = self._countersigner(role, name, countersign)
        with self._ctx.transaction() as s:
            if s.scalar(select(User.id).where(User.name == name)) is not None:
                raise AccountError("An account with that name already exists.")
            detail = self._privileged_detail(s, role, signer)
            user = User(name=name, display_name=display_name, role=role, disabled=False)
            s.add(user)
            s.flush()
            self._ctx.audit(s, "account_create", f"user:{user.id}", {"role": role, **detail})
            # Written inside the transaction: if that fails, the account is not created.
            self._ctx.passphrases.set(s, name, passphrase)
            return user_info(user)

    def _countersigner(self, role: str, target: str,
                       countersign: Countersignature | None) -> str | None:
        """Check the countersignature an account change giving ``role`` to ``target`` needs;
        the countersigner's name, or None where none is needed (or the first manager)."""
        if role not in _PRIVILEGED:
            return None
        allowed = ((Role.MANAGER,) if role in (Role.MANAGER, Role.ANALYST)
                   else (Role.MANAGER, Role.ADMINISTRATOR))
        if countersign is None or not countersign.name.strip():
            if role == Role.MANAGER and not self._had_a_manager():
                return None
            who = "an active manager" if role in (Role.MANAGER, Role.ANALYST) else (
                "an active manager or another administrator")
            raise PermissionDenied(f"Giving an account the {role} role, or resetting a "
                                   f"manager's passphrase, needs a countersignature: {who} "
                                   "must enter their account name and passphrase.")
        signer = countersign.name.strip()
        if signer in (self._ctx.user.name, target):
            raise PermissionDenied("The countersignature must be from a second person, not "
                                   "from you or the account being changed.")
        if not self._ctx.passphrase_opens(signer, countersign.passphrase, "countersignature"):
            raise PermissionDenied("The countersigning account name or passphrase is wrong.")
        with self._ctx.transaction() as s:
            found = s.scalar(select(User).where(User.name == signer))
            if found is None or found.disabled or found.role not in allowed:
                raise PermissionDenied("That account cannot countersign this change; it needs "
                                       + " or ".join(f"an active {r}" for r in allowed) + ".")
        return signer

    def _had_a_manager(self) -> bool:
        """Whether this database has ever had a manager account (so the next one needs a
        countersignature)."""
        with self._ctx.transaction() as s:
            return (s.get(Meta, "manager_created") is not None
                    or s.scalar(select(func.count()).select_from(User)
                                .where(User.role == Role.MANAGER)) != 0)

    def _privileged_detail(self, s: OrmSession, role: str, signer: str | None) -> dict[str, Any]:
        """Audit detail of a change giving ``role``: who countersigned (None: the first
        manager, which needed nobody); empty for other roles."""
        if role not in _PRIVILEGED:
            return {}
        if role == Role.MANAGER:
            s.merge(Meta(key="manager_created", value="1"))
        return {"countersigned_by": signer}

    def set_role(self, name: str, role: str, countersign: Countersignature | None = None) -> None:
        """Change an account's role (administrators only; never the last administrator).

        Promoting to manager or administrator needs ``countersign`` (see :meth:`create`).
        """
        self._ctx.require(Role.ADMINISTRATOR)
        if role not in _ROLES:
            raise AccountError(f"Unknown role; use one of: {', '.join(Role)}.")
        with self._ctx.transaction() as s:
            current = self._user_by_name(s, name).role
        signer = self._countersigner(role, name, countersign) if current != role else None
        with self._ctx.transaction() as s:
            user = self._user_by_name(s, name)
            if user.role == Role.ADMINISTRATOR and role != Role.ADMINISTRATOR:
                self._keep_an_administrator(s, user)
            detail = self._privileged_detail(s, role, signer) if user.role != role else {}
            old, user.role = user.role, role
            self._ctx.audit(s, "account_role", f"user:{user.id}",
                        {"from": old, "to": role, **detail})

    def disable(self, name: str) -> str | None:
        """Disable an account and change the data key, so that nothing its old key opens is
        still current (administrators only).

        The new data key is sealed for every other account and for the recovery key; the
        database is re-encrypted (``PRAGMA rekey``). Returns a new recovery key, to be shown
        once, when the old one stopped working (a database made before recovery slots, whose
        recovery key was the data key itself); otherwise None.
        """
        self._ctx.require(Role.ADMINISTRATOR)
        with self._ctx.transaction() as s:
            user = self._user_by_name(s, name)
            if user.role == Role.ADMINISTRATOR:
                self._keep_an_administrator(s, user)
            user_id = user.id
        recovery, stale = self._ctx.rotate_key(drop=name)
        with self._ctx.transaction() as s:
            user = self._user_by_name(s, name)
            user.disabled = True
            self._ctx.passphrases.drop(s, name)
            self._ctx.audit(s, "account_disable", f"user:{user_id}")
            self._ctx.audit(s, "key_change", "database",
                        {"reason": "account_disable", "new_recovery_key": recovery is not None,
                         "slots_to_reset": len(stale)})
        return recovery

    def enable(self, name: str, passphrase: str,
                    countersign: Countersignature | None = None) -> None:
        """Enable a disabled account with a new passphrase (administrators only); a manager's
        or administrator's account needs ``countersign`` (see :meth:`create`)."""
        self._ctx.require(Role.ADMINISTRATOR)
        check_new_passphrase(passphrase)
        with self._ctx.transaction() as s:
            role = self._user_by_name(s, name).role
        signer = self._countersigner(role, name, countersign)
        with self._ctx.transaction() as s:
            user = self._user_by_name(s, name)
            user.disabled = False
            self._ctx.audit(s, "account_enable", f"user:{user.id}",
                        self._privileged_detail(s, role, signer))
            self._ctx.passphrases.set(s, name, passphrase)

    def reset_passphrase(self, name: str, passphrase: str,
                         countersign: Countersignature | None = None) -> None:
        """Set another account's passphrase (administrators only); re-wraps, never re-encrypts.

        A manager's passphrase needs ``countersign`` from another active manager: whoever
        sets it can sign in as that manager.
        """
        self._ctx.require(Role.ADMINISTRATOR)
        check_new_passphrase(passphrase)
        with self._ctx.transaction() as s:
            role = self._user_by_name(s, name).role
        detail: dict[str, Any] = {}
        if role == Role.MANAGER:
            if countersign is None or not countersign.name.strip():
                raise PermissionDenied("Resetting a manager's passphrase needs a "
                                       "countersignature: another active manager must enter "
                                       "their account name and passphrase.")
            detail = {"countersigned_by": self._countersigner(role, name, countersign)}
        self._set_passphrase(name, passphrase, "account_passphrase_reset", detail)

    def change_passphrase(self, old: str, new: str) -> None:
        """Change the signed-in account's own passphrase after checking the old one."""
        check_new_passphrase(new)
        if not self._ctx.passphrase_opens(self._ctx.user.name, old, "passphrase change"):
            raise WrongPassphrase()
        self._set_passphrase(self._ctx.user.name, new, "account_passphrase_change")

    def reset_with_recovery_key(self, recovery_key: str, name: str, passphrase: str) -> None:
        """Set an account's passphrase after checking the database's recovery key
        (administrators only)."""
        self._ctx.require(Role.ADMINISTRATOR)

        def right() -> bool:
            try:
                secret = data_key_from_recovery(recovery_key)
            except ValueError:
                return False
            opens: list[bytes] = []
            with contextlib.suppress(KeyFileError):
                opens = KeyFile.load(self._ctx.key_path).recovery_keys(secret)
            opens.append(secret)  # a database made before recovery slots
            return self._ctx.data_key in opens

        if not self._ctx.check_secret(RECOVERY_KEY, "recovery key", right):
            raise AccountError("That recovery key does not belong to this database.")
        self._set_passphrase(name, passphrase, "account_passphrase_reset_recovery")

    def _set_passphrase(self, name: str, passphrase: str, action: str,
                        detail: Mapping[str, Any] | None = None) -> None:
        check_new_passphrase(passphrase)
        with self._ctx.transaction() as s:
            user = self._user_by_name(s, name)
            if user.disabled:
                raise AccountError("That account is disabled; enable it first.")
            self._ctx.audit(s, action, f"user:{user.id}", detail or None)
            self._ctx.passphrases.set(s, name, passphrase)

    def _user_by_name(self, s: OrmSession, name: str) -> User:
        user = s.scalar(select(User).where(User.name == name))
        if user is None:
            raise NotFound("There is no account with that name.")
        return user

    def _keep_an_administrator(self, s: OrmSession, user: User) -> None:
        others = s.scalar(select(func.count()).select_from(User).where(
            User.role == Role.ADMINISTRATOR, User.disabled.is_(False), User.id != user.id))
        if not others:
            raise AccountError("This is the last administrator account; make another "
                               "administrator first.")

    def check_countersignature(self, name: str, passphrase: str) -> UserInfo:
        """The manager account ``name`` if ``passphrase`` is theirs; else an error."""
        if not self._ctx.passphrase_opens(name, passphrase, "countersignature"):
            raise OverrideRefused("The countersigning manager's name or passphrase is "
                                  "wrong.")
        with self._ctx.transaction() as s:
            user = s.scalar(select(User).where(User.name == name))
            if user is None or user.disabled or user.role != Role.MANAGER:
                raise OverrideRefused("Only an active manager account can countersign.")
            if user.id == self._ctx.user.id:
                raise OverrideRefused("The countersignature must be from someone other than "
                                      "the practitioner making the override.")
            return user_info(user)

    def display_names(self, names: Iterable[str]) -> dict[str, str]:
        """Account name -> the person's name shown to others (the account name if it has none).

        Assessments record who decided or countersigned by account name; a referral names
        the person.
        """
        self._ctx.require(*SCREENING_ROLES)
        wanted = {n for n in names if n}
        if not wanted:
            return {}
        with self._ctx.transaction() as s:
            users = s.scalars(select(User).where(User.name.in_(wanted)))
            return {u.name: u.display_name or u.name for u in users}
