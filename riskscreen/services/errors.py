"""Domain errors the GUI and the command line show to users.

Every message is written for the person at the keyboard and names no child, answer, note,
passphrase or key: the messages may end up in a log or a bug report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from riskscreen.crypto.keyfile import KeyFileError
from riskscreen.store.db import DatabaseDamaged, StorageError, StorageFull, WrongKey

__all__ = [
    "USER_ERRORS",
    "AccountDisabled",
    "AccountError",
    "DatabaseDamaged",
    "IncompleteScreening",
    "KeyChanged",
    "KeyFileError",
    "NotEditable",
    "NotFound",
    "OverrideRefused",
    "PermissionDenied",
    "ServiceError",
    "SessionClosed",
    "StaleDraft",
    "StepDownReasonNeeded",
    "StorageError",
    "StorageFull",
    "UnconfirmedAnswers",
    "WrongKey",
    "WrongPassphrase",
    "WrongRecoveryKey",
]


class ServiceError(Exception):
    """A use case could not be carried out; ``str(error)`` tells the user why."""


class SessionClosed(ServiceError):  # noqa: N818 - the domain's name for it
    """The session has ended (locked, signed out, or its database replaced by a restore):
    nothing more can be asked of it until someone signs in again."""


class PermissionDenied(ServiceError):  # noqa: N818 - the domain's name for it
    """The signed-in account's role does not allow this."""


class AccountDisabled(PermissionDenied):
    """The signed-in account was disabled (or removed) while its session was open."""

    def __init__(self) -> None:
        super().__init__("This account has been disabled by an administrator, so nothing more "
                         "can be done with it. Lock the application; if this is a mistake, "
                         "ask an administrator.")


class KeyChanged(ServiceError):  # noqa: N818 - the domain's name for it
    """The database's key was changed (an account was disabled) while this session was open."""

    def __init__(self) -> None:
        super().__init__("An administrator changed the database's key (an account was "
                         "disabled) while you were signed in. Everything saved before is "
                         "kept: lock the application and sign in again.")


class WrongPassphrase(ServiceError):  # noqa: N818 - the domain's name for it
    """The account name or passphrase (or recovery key) is wrong."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        super().__init__("The account name or passphrase is wrong. Check Caps Lock and try "
                         "again; after several attempts each try waits a little longer.")


class WrongRecoveryKey(ServiceError):  # noqa: N818 - the domain's name for it
    """The recovery key is mistyped or belongs to another database."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"That recovery key cannot be used: {detail}. Type it again exactly "
                         "as printed (spaces and dashes do not matter).")


class NotFound(ServiceError):  # noqa: N818 - the domain's name for it
    """No such record (or none the user may see)."""


class NotEditable(ServiceError):  # noqa: N818 - the domain's name for it
    """A finalised screening cannot change; an amendment can."""


class StaleDraft(ServiceError):  # noqa: N818 - the domain's name for it
    """Someone else saved the draft since this copy of it was opened: the change is refused,
    not written over theirs; :attr:`reloaded` is the screening as it is now."""

    def __init__(self, reloaded: Any = None) -> None:
        super().__init__(
            "Someone else saved changes to this screening since you opened it, so your change "
            "was NOT saved and nothing of theirs was overwritten. It has been reloaded with "
            "their changes: check it, then give your answer again.")
        #: The screening as it is now (a ScreeningDetail), when the session could read it.
        self.reloaded = reloaded


class AccountError(ServiceError):
    """An account change that is not possible (duplicate name, last administrator...)."""


class OverrideRefused(ServiceError):  # noqa: N818 - the domain's name for it
    """A professional-judgement override the rules do not allow."""


class IncompleteScreening(ServiceError):  # noqa: N818 - the domain's name for it
    """Answers are missing or invalid; ``problems`` lists (question id, message) pairs.

    The problem messages may quote answers, so they are kept out of ``str(error)``.
    """

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        ids = ", ".join(q for q, _ in self.problems[:10] if q)
        more = f" and {len(self.problems) - 10} more" if len(self.problems) > 10 else ""
        super().__init__(f"The screening cannot be finalised: {len(self.problems)} answer(s) "
                         f"missing or not valid ({ids}{more}).")


class UnconfirmedAnswers(ServiceError):  # noqa: N818 - the domain's name for it
    """A re-screen has answers carried over from the last screening that nobody confirmed."""

    def __init__(self, questions: Sequence[str]) -> None:
        self.questions = list(questions)
        n = len(self.questions)
        super().__init__(
            f"The screening cannot be finalised yet: {n} answer{'s' if n != 1 else ''} "
            "carried over from the last screening "
            f"{'are' if n != 1 else 'is'} not confirmed. Confirm each one, or change it, "
            "then finalise.")


class StepDownReasonNeeded(ServiceError):  # noqa: N818 - the domain's name for it
    """The level is lower than the child's last screening and no reason was given."""


#: Everything a caller should catch and show instead of a traceback.
USER_ERRORS: tuple[type[Exception], ...] = (ServiceError, StorageError, KeyFileError)
