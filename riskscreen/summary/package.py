"""What a referral or reply package holds: a ZIP archive, before it is signed and encrypted.

Layout (fixed, so that other systems can read it):

- ``bundle.json``: the FHIR Bundle (:mod:`riskscreen.summary.fhir`); in an
  ``intelligence`` package, the structured intelligence items instead (format
  ``riskscreen-intelligence``, see ``docs/design/0013-intelligence.md``);
- ``summary.pdf``: the referral summary (referrals), or the intelligence submission form
  (intelligence packages);
- ``forms/<sha256>.json`` and ``models/<sha256>.json``: the form and the scoring model the
  screening used, as canonical JSON named by the SHA-256 of their content, so a receiver can
  read the answers and re-score them with exactly that model;
- ``manifest.json``: what kind of package this is, its id, and the SHA-256 of every other
  member.

Reading refuses anything else: unknown or missing members, a hash that does not match, more
than :data:`MAX_MEMBER_BYTES` in a member (a ZIP bomb) or an archive that is not a ZIP.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["FORMAT", "PackageContents", "PackageFormatError", "PackageKind", "build_zip",
           "read_zip"]

FORMAT = "riskscreen-exchange-package"
FORMAT_VERSION = 1
MAX_MEMBER_BYTES = 64 * 1024 * 1024
_MAX_MEMBERS = 16
#: A fixed timestamp for every member, so the same content always makes the same archive.
_EPOCH = (2020, 1, 1, 0, 0, 0)


class PackageKind(StrEnum):
    """What a package carries; the value is the text its manifest and the database hold."""

    REFERRAL = "referral"
    REPLY = "reply"
    INTELLIGENCE = "intelligence"


_KINDS = frozenset(k.value for k in PackageKind)


class PackageFormatError(ValueError):
    """The signed content is not a RiskScreen package (the signature itself was fine)."""


@dataclass(frozen=True)
class PackageContents:
    """The members of a package, checked against its manifest."""

    kind: PackageKind
    package_id: str
    bundle: dict[str, Any]
    summary_pdf: bytes | None = None
    forms: dict[str, bytes] = field(default_factory=dict)  # sha256 -> canonical JSON
    models: dict[str, bytes] = field(default_factory=dict)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_zip(contents: PackageContents) -> bytes:
    """The ZIP archive of a package (deterministic for the same contents)."""
    members: dict[str, bytes] = {
        "bundle.json": json.dumps(contents.bundle, indent=1, ensure_ascii=False,
                                  sort_keys=True).encode("utf-8")}
    if contents.summary_pdf is not None:
        members["summary.pdf"] = contents.summary_pdf
    for folder, files in (("forms", contents.forms), ("models", contents.models)):
        for sha, data in sorted(files.items()):
            if _sha(data) != sha:
                raise PackageFormatError(f"{folder} file is not named by its hash")
            members[f"{folder}/{sha}.json"] = data
    manifest = {"format": FORMAT, "version": FORMAT_VERSION, "kind": contents.kind,
                "package_id": contents.package_id,
                "files": {name: _sha(data) for name, data in members.items()}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [("manifest.json", json.dumps(manifest, indent=1, sort_keys=True)
                            .encode("utf-8")), *members.items()]:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_MEMBER_BYTES:
        raise PackageFormatError(f"{info.filename} is too large")
    with archive.open(info) as handle:
        data = handle.read(MAX_MEMBER_BYTES + 1)
    if len(data) > MAX_MEMBER_BYTES:
        raise PackageFormatError(f"{info.filename} is too large")
    return data


def _json(data: bytes, name: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PackageFormatError(f"{name} is not JSON") from None
    if not isinstance(value, dict):
        raise PackageFormatError(f"{name} is not a JSON object")
    return value


def read_zip(data: bytes) -> PackageContents:
    """The checked contents of a package's ZIP archive."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        if len(infos) > _MAX_MEMBERS:
            raise PackageFormatError("the archive has too many files")
        members = {i.filename: _read(archive, i) for i in infos}
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, OSError) as error:
        if isinstance(error, PackageFormatError):
            raise
        raise PackageFormatError("the signed content is not a package archive") from None
    manifest = _json(members.pop("manifest.json", b"null"), "manifest.json")
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise PackageFormatError("the archive is not a RiskScreen package of a known version")
    kind = manifest.get("kind")
    files = manifest.get("files")
    if kind not in _KINDS or not isinstance(files, dict):
        raise PackageFormatError("the package manifest is incomplete")
    if set(files) != set(members):
        raise PackageFormatError("the package's files do not match its manifest")
    forms: dict[str, bytes] = {}
    models: dict[str, bytes] = {}
    for name, content in members.items():
        if files[name] != _sha(content):
            raise PackageFormatError(f"{name} does not match its hash in the manifest")
        folder, _, leaf = name.partition("/")
        if folder in ("forms", "models") and leaf == f"{_sha(content)}.json":
            (forms if folder == "forms" else models)[_sha(content)] = content
        elif name not in ("bundle.json", "summary.pdf"):
            raise PackageFormatError(f"the package holds an unexpected file {name}")
    if "bundle.json" not in members:
        raise PackageFormatError("the package holds no bundle.json")
    return PackageContents(
        kind=PackageKind(kind), package_id=str(manifest.get("package_id", "")),
        bundle=_json(members["bundle.json"], "bundle.json"),
        summary_pdf=members.get("summary.pdf"), forms=forms, models=models)
