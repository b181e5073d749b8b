"""Installed instruments: a new form version installs beside the old one, and screenings made
under the old version still open, verify, re-score and print. Real SQLCipher, real PDF."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from riskscreen.forms.identity import form_canonical_json, form_sha256
from riskscreen.forms.loader import load_form
from riskscreen.forms.model import FormDefinition
from riskscreen.scoring.loader import load_model
from riskscreen.scoring.model import ScoringModel
from riskscreen.services import PermissionDenied, ServiceError, Session
from riskscreen.services.instruments import InstrumentRefused
from riskscreen.services.referral import referral_summary
from riskscreen.summary import render_pdf_bytes

from .conftest import Vault

#: The revision before the one that stores forms.
PREVIOUS_HEAD = "0006"
CASE = Path(__file__).resolve().parents[1] / "cases" / "07-disclosure.json"


@dataclass(frozen=True)
class _Manifest:
    owner: str = "Northvale exploitation team"
    approved_by: str = "Northvale safeguarding partnership"


@dataclass(frozen=True)
class _Instrument:
    """An instrument as the folder loader gives it (only what installing reads)."""

    form: FormDefinition
    models: tuple[ScoringModel, ...]
    readme: str = "Who owns it and who approved it."
    texts: Mapping[str, str] = field(default_factory=dict)
    manifest: _Manifest = _Manifest()

    @property
    def id(self) -> str:
        return self.form.id

    @property
    def title(self) -> str:
        return self.form.title


def _next_version(rename: bool = True, declare: bool = True) -> _Instrument:
    """Version 1.1.0 of the shipped form (one question renamed) with a model scoring it."""
    data = json.loads(form_canonical_json(load_form("cse-screening")))
    data["version"] = "1.1.0"
    if rename:
        for section in data["sections"]:
            for q in section["questions"]:
                if q["id"] == "gender_description":
                    q["id"] = "gender_in_own_words"
    if declare:
        data["changes_from"] = {"version": "1.0.0",
                                "renamed": {"gender_description": "gender_in_own_words"}}
    form = FormDefinition.model_validate(data)
    shipped = load_model("cse-screening")
    model = shipped.model_copy(update={
        "version": "2.0.0", "form": shipped.form.model_copy(update={"versions": ["1.1.0"]}),
        "change_note": "Scores version 1.1.0 of the form."})
    return _Instrument(form, (model,))


def _answers() -> tuple[date, dict[str, Any]]:
    case = json.loads(CASE.read_text("utf-8"))
    return date.fromisoformat(case["screening_date"]), case["answers"]


def _screen(session: Session, final: bool) -> int:
    when, answers = _answers()
    child = session.create_child(answers["child_name"],
                                 date.fromisoformat(answers["date_of_birth"]))
    sid = session.start_screening(child.id, screening_date=when)
    for qid, value in answers.items():
        if qid not in ("child_name", "date_of_birth"):
            session.save_answer(sid, qid, value)
    session.save_answer(sid, "gender", "self_described")
    session.save_answer(sid, "gender_description", "in their own words")
    if final:
        session.finalise(sid)
    return sid


def _pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() or ""
                                        for p in PdfReader(io.BytesIO(data)).pages))


def test_screenings_of_the_old_form_version_open_verify_and_print(vault: Vault) -> None:
    with vault.login("pat") as pat:
        final = _screen(pat, final=True)
        draft = _screen(pat, final=False)
    with vault.login("mary") as mary:
        result = mary.instruments.install(_next_version())
        assert result.form_stored
        assert result.models_published == ("cse-screening 2.0.0",)
        info = mary.instruments.get("cse-screening")
        assert info.form_version == "1.1.0"
        assert [v.version for v in info.versions] == ["1.0.0", "1.1.0"]
        assert info.versions[0].installed_by == "shipped with RiskScreen"
        assert info.versions[1].installed_by == "mary"
        report = mary.verify()
        assert report.ok, (report.rescore_differences, report.record_problems)
        assert report.rescored == 1
    with vault.login("pat") as pat:
        old = pat.open_screening(final)
        assert (old.form_id, old.form_version) == ("cse-screening", "1.0.0")
        form = pat.form(old.form_id, old.form_version)
        assert "gender_description" in form.question_index()
        pdf = _pdf_text(render_pdf_bytes(referral_summary(pat, old, form)))
        assert "in their own words" in pdf
        # The draft made under 1.0.0 is still answered and finalised under 1.0.0.
        pat.save_answer(draft, "gender_description", "still the old question")
        assert pat.finalise(draft).final_level == old.assessment.final_level  # type: ignore[union-attr]
        # A new screening uses the version now in force, and its model.
        child = pat.create_child("Synthetic New", date(2012, 3, 4))
        new = pat.open_screening(pat.start_screening(child.id))
        assert new.form_version == "1.1.0"
        assert new.model_version == "2.0.0"
        pat.save_answer(new.row.id, "gender_in_own_words", "new words")
        with pytest.raises(ServiceError):
            pat.save_answer(new.row.id, "gender_description", "the old id")
        with pat.engine.connect() as conn:
            pins = dict(conn.execute(text("SELECT id, form_sha256 FROM screenings")).all())
        assert pins[final] == pins[draft] == form_sha256(load_form("cse-screening"))
        assert pins[new.row.id] == form_sha256(_next_version().form)


def test_answers_carry_from_the_old_version_to_the_new(vault: Vault) -> None:
    with vault.login("mary") as mary:
        mary.instruments.install(_next_version())
        carried = mary.instruments.carry_answers(
            {"gender": "self_described", "gender_description": "own words",
             "no_such_question": "x", "ethnicity": "not an option"},
            "cse-screening", "1.0.0")
    assert carried["gender_in_own_words"] == "own words"
    assert carried["gender"] == "self_described"
    assert "gender_description" not in carried and "no_such_question" not in carried


def test_a_new_version_must_say_what_became_of_questions_it_drops(vault: Vault) -> None:
    with vault.login("mary") as mary:
        with pytest.raises(InstrumentRefused, match="no longer asks 'gender_description'"):
            mary.instruments.install(_next_version(declare=False))
        assert mary.instruments.get("cse-screening").form_version == "1.0.0"


def test_a_stored_version_is_never_replaced_by_other_content(vault: Vault) -> None:
    changed = _next_version()
    same_version = FormDefinition.model_validate(
        {**json.loads(form_canonical_json(changed.form)), "version": "1.0.0",
         "changes_from": None})
    with vault.login("mary") as mary:
        with pytest.raises(ServiceError, match="already installed with different questions"):
            mary.instruments.install(_Instrument(same_version, changed.models))


def test_only_administrators_and_managers_install_and_each_install_is_audited(
        vault: Vault) -> None:
    with vault.login("pat") as pat:
        with pytest.raises(PermissionDenied):
            pat.instruments.install(_next_version())
        assert [i.id for i in pat.instruments.in_force()] == ["cse-screening"]
    with vault.login("admin") as admin:
        admin.instruments.install(_next_version())
        with admin.engine.connect() as conn:
            entries = conn.execute(text("SELECT user, object, detail FROM audit_log WHERE "
                                        "action = 'instrument_install'")).all()
    assert [(u, o) for u, o, _ in entries] == [("admin", "instrument:cse-screening")]
    assert json.loads(entries[0][2])["form_version"] == "1.1.0"
