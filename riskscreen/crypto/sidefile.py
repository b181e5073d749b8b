"""Small checksummed JSON files kept beside the database (failed sign-ins, the audit head).

They hold no personal data about children and nothing secret; the checksum only tells a
damaged or half-edited copy from a good one. Writes are atomic (temporary file, fsync,
rename, fsync of the folder), like the key file's.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from riskscreen.crypto.atomic import atomic_write

__all__ = ["read_checked", "side_file_path", "write_checked"]

_VERSION = 1


def side_file_path(db_path: Path, suffix: str) -> Path:
    """``<db><suffix>`` beside the database (and its key file)."""
    return db_path.with_name(db_path.name + suffix)


def _checksum(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def write_checked(path: Path, fmt: str, body: dict[str, Any]) -> None:
    """Replace ``path`` atomically with ``body`` tagged ``fmt`` and checksummed."""
    data = {**body, "format": fmt, "version": _VERSION}
    data["checksum"] = _checksum(data)
    atomic_write(path, (json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1)
                        + "\n").encode("utf-8"))


def read_checked(path: Path, fmt: str) -> dict[str, Any] | None:
    """The body of a side file; None if it does not exist.

    ``ValueError`` (whose message names no content) if it is damaged, edited or of another
    kind; ``OSError`` if it cannot be read.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # also nested too deeply, or a huge number
        raise ValueError("not valid JSON") from None
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise ValueError("not the expected kind of file")
    if data.get("version") != _VERSION:
        raise ValueError("version not supported")
    checksum = data.pop("checksum", None)
    if checksum != _checksum(data):
        raise ValueError("checksum does not match")
    del data["format"], data["version"]
    return data
