"""What a receiving team needs on a stored screening's referral: references, contacts, who
decided, and for an amendment the referral it replaces. Real SQLCipher, real PDF text."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from riskscreen.forms.loader import load_form
from riskscreen.services import OverrideRequest, Session
from riskscreen.services.referral import referral_reference, referral_summary
from riskscreen.summary import render_pdf_bytes
from riskscreen.summary.build import format_date

from ..conftest import Vault, save_answers


@pytest.fixture
def vault(backend_vault: Vault) -> Vault:
    """This module's tests run on both backends (see tests/conftest.py)."""
    return backend_vault

CASE = Path(__file__).resolve().parents[1] / "cases" / "01-no-concerns.json"
JO = ("jo", "practitioner jo passphrase")
CONTACTS = {
    "child_address": "12 Example Road, Northvale NV1 2AB",
    "child_school": "Northvale Academy",
    "child_gp": "Riverside Surgery, Northvale",
    "parent_carer_name": "Anna Example (mother)",
    "parent_carer_contact": "07700 900123",
    "practitioner_phone": "0114 496 0555",
    "practitioner_email": "jo.example@school.example",
}
RAISED = OverrideRequest(
    level="low", reason="The school saw an unknown adult collect the child in a car "
                        "twice this week, after the screening was written.")


def _flat(data: bytes) -> str:
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text)


def _jo(vault: Vault) -> Session:
    with vault.login("admin") as admin:
        admin.accounts.create(JO[0], "practitioner", JO[1], display_name="Jo Example")
    return vault.unlocker().unlock(*JO)


def _screening(session: Session, identifiers: dict[str, str]) -> int:
    case: dict[str, Any] = json.loads(CASE.read_text("utf-8"))
    answers = case["answers"]
    child = session.children.create(answers["child_name"], date.fromisoformat(
        answers["date_of_birth"]), identifiers)
    sid = session.screenings.start(child.id, screening_date=date.fromisoformat(
        case["screening_date"]))
    save_answers(session, sid, {**answers, **CONTACTS})
    return sid


def test_the_case_reference_of_the_child_record_fills_the_screening(vault: Vault) -> None:
    with vault.login("pat") as pat:
        child = pat.children.create("Synthetic Child", date(2011, 5, 4),
                                 {"case_number": "NV-CSC-1234", "nhs_number": "9434765919"})
        answers = pat.screenings.open(pat.screenings.start(child.id)).answers
        assert answers["case_number"].value == "NV-CSC-1234"
        assert answers["nhs_number"].value == "9434765919"
        # Records made before the key was "case_number" held it as "reference".
        older = pat.children.create("Synthetic Other", date(2012, 1, 1), {"reference": "OLD-77"})
        assert pat.screenings.open(pat.screenings.start(older.id)).answers[
            "case_number"].value == "OLD-77"


def test_the_referral_carries_contacts_and_the_deciders_name(vault: Vault) -> None:
    form = load_form("cse-screening")
    with _jo(vault) as jo:
        sid = _screening(jo, {"case_number": "NV-CSC-1234"})
        jo.screenings.finalise(sid, RAISED)
        detail = jo.screenings.open(sid)
        summary = referral_summary(jo, detail, form)
        whole = _flat(render_pdf_bytes(summary))
    assert "NV-CSC-1234" in whole
    for value in CONTACTS.values():
        assert value in whole, value
    assert "Parents or carers Name and relationship Anna Example (mother)" in whole
    assert "Decided by Jo Example" in whole
    assert "Decided by jo " not in whole
    assert not summary.replaces
    assert "Amended referral" not in whole


def test_an_amended_referral_says_which_referral_it_replaces(vault: Vault) -> None:
    form = load_form("cse-screening")
    with _jo(vault) as jo:
        sid = _screening(jo, {})
        jo.screenings.finalise(sid, RAISED)
        earlier = jo.screenings.open(sid)
        assert earlier.finalised_at is not None
        new_id = jo.screenings.amend(sid, "The child's school was recorded wrongly at first.")
        jo.screenings.save_answer(new_id, "child_school", "Northvale College")
        jo.screenings.finalise(new_id, RAISED)
        summary = referral_summary(jo, jo.screenings.open(new_id), form)
        texts = [p.extract_text() or "" for p in PdfReader(io.BytesIO(
            render_pdf_bytes(summary))).pages]
    when = format_date(earlier.finalised_at.date())
    first = re.sub(r"\s+", " ", texts[0])
    assert (f"This referral replaces referral {referral_reference(earlier)}, finalised on "
            f"{when}, which should no longer be used.") in first
    assert "The child's school was recorded wrongly at first." in first
    assert all("Amended referral summary" in t for t in texts)
    assert f"Replaces {referral_reference(earlier)}" in re.sub(r"\s+", " ", " ".join(texts))
