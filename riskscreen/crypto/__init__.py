"""Key derivation, key wrapping and the key file (pure: ``cryptography`` only).

See ``docs/design/0001-encryption.md`` for the scheme.
"""

from riskscreen.crypto.keyfile import KeyFile, KeyFileError, key_file_path
from riskscreen.crypto.keys import (
    KdfParams,
    RecoveryKeyError,
    UnwrapError,
    data_key_from_recovery,
    new_data_key,
    recovery_key_for,
    tune_kdf,
)

__all__ = [
    "KdfParams",
    "KeyFile",
    "KeyFileError",
    "RecoveryKeyError",
    "UnwrapError",
    "data_key_from_recovery",
    "key_file_path",
    "new_data_key",
    "recovery_key_for",
    "tune_kdf",
]
