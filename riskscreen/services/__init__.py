"""Use cases with role checks: what the GUI and the command line call.

Start with :func:`create_database` (first start) or :class:`Unlocker` (every later start);
both give a :class:`Session`, whose managers (``session.children``, ...) hold the use cases.
Catch :data:`USER_ERRORS` and show their message.
"""

from riskscreen.services.context import DatabaseReplaced
from riskscreen.services.errors import (
    USER_ERRORS,
    AccountError,
    DatabaseDamaged,
    IncompleteScreening,
    KeyFileError,
    NotEditable,
    NotFound,
    OverrideRefused,
    PermissionDenied,
    ServiceError,
    StaleDraft,
    StorageError,
    StorageFull,
    WrongKey,
    WrongPassphrase,
    WrongRecoveryKey,
)
from riskscreen.services.session import Session
from riskscreen.services.types import (
    AnswerValue,
    ChildInfo,
    ChildRecord,
    Countersignature,
    ModelInfo,
    OverrideRequest,
    Page,
    Role,
    ScreeningDetail,
    ScreeningQuery,
    ScreeningRow,
    Status,
    UserInfo,
    VerifyReport,
)
from riskscreen.services.vault import (
    Unlocker,
    create_database,
    default_db_path,
    newest_backup,
    open_with_recovery,
    restore_backup,
)
from riskscreen.store.lock import DatabaseInUse

__all__ = [
    "USER_ERRORS",
    "AccountError",
    "AnswerValue",
    "ChildInfo",
    "ChildRecord",
    "Countersignature",
    "DatabaseDamaged",
    "DatabaseInUse",
    "DatabaseReplaced",
    "IncompleteScreening",
    "KeyFileError",
    "ModelInfo",
    "NotEditable",
    "NotFound",
    "OverrideRefused",
    "OverrideRequest",
    "Page",
    "PermissionDenied",
    "Role",
    "ScreeningDetail",
    "ScreeningQuery",
    "ScreeningRow",
    "ServiceError",
    "Session",
    "StaleDraft",
    "Status",
    "StorageError",
    "StorageFull",
    "Unlocker",
    "UserInfo",
    "VerifyReport",
    "WrongKey",
    "WrongPassphrase",
    "WrongRecoveryKey",
    "create_database",
    "default_db_path",
    "newest_backup",
    "open_with_recovery",
    "restore_backup",
]
