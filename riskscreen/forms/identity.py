"""A form version's identity (canonical JSON and its SHA-256), and answers carried from one
form version to a later one.

A form is stored in the database by the hash of its canonical JSON, as scoring models are, and
every screening names the hash of the form it was made under, so it opens, re-scores and
prints with exactly that form however the questionnaire changes later.

A later version says what happened to the questions of the version before it
(``changes_from``: questions renamed or removed); :func:`carry_answers` follows those steps so
that a re-screening can start from the last answers, and trends can compare across versions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from riskscreen.forms.model import FormDefinition

__all__ = [
    "StoredFormMismatch",
    "carry_answers",
    "form_canonical_json",
    "form_sha256",
    "parse_stored_form",
    "version_path",
]


def form_canonical_json(form: FormDefinition) -> str:
    """Key-sorted compact JSON of the validated form: what its hash is taken over.

    Values equal to their defaults are left out (the rule scoring models follow), so a later
    release adding an optional key with a default does not change the hash of forms stored
    before it. ``FormDefinition.model_validate_json`` of this text gives the same form back.
    """
    data = form.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def form_sha256(form: FormDefinition) -> str:
    """SHA-256 (hex) of :func:`form_canonical_json`, computed now."""
    return hashlib.sha256(form_canonical_json(form).encode("utf-8")).hexdigest()


class StoredFormMismatch(ValueError):  # noqa: N818 - the domain's name for it
    """A stored form's text no longer gives the hash it is stored under."""


def parse_stored_form(canonical: str, sha256: str) -> FormDefinition:
    """A stored form from its canonical JSON, checked against its hash.

    :class:`StoredFormMismatch` if the text was altered (or no longer reads back to the same
    canonical form); pydantic's ``ValidationError`` if it is not a form at all.
    """
    form = FormDefinition.model_validate_json(canonical)
    if form_sha256(form) != sha256:
        raise StoredFormMismatch(f"the stored form {form.id} {form.version} does not match "
                                 "its recorded hash; the database may have been altered")
    return form


def version_path(forms: Iterable[FormDefinition], old_version: str,
                 new: FormDefinition) -> list[FormDefinition] | None:
    """The versions from just after ``old_version`` up to ``new``, oldest first, following
    each version's ``changes_from``; None if ``new`` does not lead back to ``old_version``."""
    by_version = {f.version: f for f in forms if f.id == new.id}
    by_version[new.version] = new
    path: list[FormDefinition] = []
    current: FormDefinition | None = new
    seen: set[str] = set()
    while current is not None and current.version != old_version:
        if current.version in seen:
            return None
        seen.add(current.version)
        path.append(current)
        step = current.changes_from
        current = by_version.get(step.version) if step is not None else None
    if current is None:
        return None
    return list(reversed(path))


def carry_answers(answers: Mapping[str, Any], old_version: str, new: FormDefinition,
                  forms: Iterable[FormDefinition] = ()) -> dict[str, Any]:
    """The answers given under ``old_version`` of ``new``'s form, as answers to ``new``.

    Each version between them renames and removes questions as its ``changes_from`` says;
    ``forms`` holds the versions in between (the stored ones). Where no such chain leads
    back to ``old_version``, questions are matched by id. Whatever ``new`` does not ask, or
    an answer that ``new`` no longer allows (an option that went), is left out: pre-filled
    answers are a starting point to check, never a guess.
    """
    carried = dict(answers)
    if old_version != new.version:
        path = version_path(forms, old_version, new)
        for step in path or ():
            change = step.changes_from
            assert change is not None  # version_path follows changes_from only
            removed = set(change.removed)
            carried = {change.renamed.get(qid, qid): value for qid, value in carried.items()
                       if qid not in removed}
    questions = new.question_index()
    out: dict[str, Any] = {}
    for qid, value in carried.items():
        question = questions.get(qid)
        if question is None:
            continue
        allowed = question.allowed_values()
        if allowed is not None:
            if isinstance(value, list):
                value = [v for v in value if v in allowed]
                if not value:
                    continue
            elif value not in allowed:
                continue
        out[qid] = value
    return out
