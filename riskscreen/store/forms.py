"""Stored form versions: each kept once, by the hash of its canonical JSON, for ever.

Works on a SQLAlchemy connection inside the caller's transaction (a session's, or a
migration's), with plain SQL that runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.sql.elements import TextClause

from riskscreen.forms.identity import form_canonical_json, form_sha256, parse_stored_form
from riskscreen.forms.model import FormDefinition
from riskscreen.store.models import Sha256, digest_text, utc_now

__all__ = ["FormVersionTaken", "check_forms", "read_form", "shipped_forms", "store_form",
           "stored_form_sha", "stored_versions"]


class FormVersionTaken(ValueError):  # noqa: N818 - the domain's name for it
    """A form version is already stored with other content (a stored form is never edited)."""


def shipped_forms() -> list[FormDefinition]:
    """Every form version shipped with this release of RiskScreen."""
    from riskscreen.forms.loader import load_form, shipped_form_ids

    return [load_form(form_id) for form_id in shipped_form_ids()]


def _by_hash(sql: str, *, hex_keys: bool = False) -> TextClause:
    """``sql`` with its ``:sha`` bound as the forms' hash column holds it: 32 bytes, or the
    hex text itself before revision 0017 (``hex_keys``, for the migration that made it)."""
    statement = text(sql)
    return statement if hex_keys or ":sha" not in sql else statement.bindparams(
        bindparam("sha", type_=Sha256()))


def stored_form_sha(conn: Connection, form_id: str, version: str) -> str | None:
    """The hash of the stored version ``version`` of form ``form_id`` (None if not stored)."""
    found = conn.execute(text("SELECT sha256 FROM forms WHERE form_id = :id AND "
                              "version = :version"), {"id": form_id, "version": version}).first()
    return None if found is None else digest_text(found[0])


def store_form(conn: Connection, form: FormDefinition, installed_by: int | None, *,
               hex_keys: bool = False) -> str:
    """Store a form version unless it is stored already; its hash.

    :class:`FormVersionTaken` if that id and version are stored with other content.
    ``hex_keys`` writes the hash as hex text, as the schema before revision 0017 kept it.
    """
    sha = form_sha256(form)
    existing = stored_form_sha(conn, form.id, form.version)
    if existing == sha:
        return sha
    if existing is not None:
        raise FormVersionTaken(f"form {form.id} version {form.version} is already installed "
                               "with other content")
    conn.execute(_by_hash("INSERT INTO forms (sha256, form_id, version, canonical_json, "
                          "installed_by, installed_at) VALUES (:sha, :id, :version, :json, "
                          ":by, :at)", hex_keys=hex_keys),
                 {"sha": sha, "id": form.id, "version": form.version,
                  "json": form_canonical_json(form), "by": installed_by, "at": utc_now()})
    return sha


def stored_versions(conn: Connection, form_id: str) -> list[FormDefinition]:
    """Every stored version of a form, each checked against its hash."""
    return [parse_stored_form(str(canonical), digest_text(sha)) for sha, canonical in conn.execute(
        text("SELECT sha256, canonical_json FROM forms WHERE form_id = :id"), {"id": form_id})]


def read_form(conn: Connection, sha256: str) -> FormDefinition | None:
    """The stored form with this hash, checked against it (None if none is stored).

    ``StoredFormMismatch`` if its text was altered.
    """
    found = conn.execute(_by_hash("SELECT canonical_json FROM forms WHERE sha256 = :sha"),
                         {"sha": sha256}).first()
    return None if found is None else parse_stored_form(str(found[0]), sha256)


def check_forms(raw: Any) -> list[str]:
    """Stored forms whose text no longer gives their hash, and screenings that name no
    stored form, through a DB-API connection (for ``verify``)."""
    problems = []
    for sha, form_id, version, canonical in raw.execute(
            "SELECT sha256, form_id, version, canonical_json FROM forms ORDER BY form_id, "
            "version"):
        try:
            parse_stored_form(str(canonical), digest_text(sha))
        except ValueError:  # StoredFormMismatch, or pydantic's ValidationError
            problems.append(f"the stored form {form_id} {version} does not match its recorded "
                            "hash (it was changed outside RiskScreen)")
    for sid, form_id, version in raw.execute(
            "SELECT id, form_id, form_version FROM screenings WHERE form_sha256 IS NULL "
            "ORDER BY id"):
        problems.append(f"screening {sid}: its form {form_id} {version} is not stored in "
                        "this database, so it cannot be opened or re-scored; install that "
                        "form version")
    return problems
