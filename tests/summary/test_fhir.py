"""The referral as FHIR R4 data, the form as a Questionnaire, and the package archive."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

import pytest

from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.loader import load_form
from riskscreen.routing import load_routing, route
from riskscreen.scoring.engine import score
from riskscreen.scoring.loader import load_model
from riskscreen.summary.fhir import (
    NHS_NUMBER_SYSTEM,
    ORDINAL_EXT,
    ReplyFacts,
    Sender,
    questionnaire,
    read_reply,
    referral_bundle,
    reply_bundle,
    resources_of,
)
from riskscreen.summary.package import (
    PackageContents,
    PackageFormatError,
    PackageKind,
    build_zip,
    read_zip,
)

CASES = Path(__file__).parent.parent / "cases"


def _bundle(case: str = "07-disclosure.json", **extra: object) -> dict:
    form = load_form("cse-screening")
    model = load_model("cse-screening", form)
    raw = json.loads((CASES / case).read_text(encoding="utf-8"))
    raw["answers"].update(extra)
    answers = AnswerSet.model_validate(raw)
    assessment = score(form, model, answers)
    table = load_routing()
    return referral_bundle(form, answers, assessment, route(assessment, table),
                           table.summary_fields, reference="RS-20260301-000042",
                           sender=Sender("Northvale Academy", "Pat Example"),
                           package_id="6f1c", authored="2026-03-01T10:00:00Z")


def test_referral_bundle_holds_the_three_resources_validated() -> None:
    bundle = _bundle(child_name="Test Child", nhs_number="943 476 5919",
                     date_of_birth="2011-05-04")
    assert bundle["resourceType"] == "Bundle"
    (risk,) = resources_of(bundle, "RiskAssessment")
    (request,) = resources_of(bundle, "ServiceRequest")
    (response,) = resources_of(bundle, "QuestionnaireResponse")
    (patient,) = resources_of(bundle, "Patient")
    assert risk["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "high"
    assert risk["method"]["coding"][0]["code"] == "cse-screening"
    assert len(risk["extension"][0]["valueString"]) == 64
    assert risk["reasonCode"], "the fired rules are the reasons"
    assert risk["basis"][0]["reference"] == next(
        e["fullUrl"] for e in bundle["entry"] if e["resource"] is response
        or e["resource"] == response)
    assert request["performer"][0]["display"]
    assert request["extension"][0]["valueString"]
    assert {"system": NHS_NUMBER_SYSTEM, "value": "9434765919"} in patient["identifier"]
    assert patient["birthDate"] == "2011-05-04"
    assert any(i["linkId"] == "child_name" for i in response["item"])


def test_questionnaire_carries_the_model_weights() -> None:
    form = load_form("cse-screening")
    model = load_model("cse-screening", form)
    q = questionnaire(form, model)
    assert q["resourceType"] == "Questionnaire"
    assert q["version"] == form.version
    weighted = [(item["linkId"], option) for group in q["item"] for item in group["item"]
                for option in item.get("answerOption", []) if "extension" in option]
    qid, option = weighted[0]
    code = option["valueCoding"]["code"]
    assert option["extension"][0]["url"] == ORDINAL_EXT
    assert option["extension"][0]["valueDecimal"] == model.weights[qid][code]
    assert len(weighted) >= sum(len(w) for w in model.weights.values()) // 2


def test_reply_round_trips() -> None:
    facts = ReplyFacts(reference="RS-20260301-000042", status="accepted",
                       decided_at="2026-03-02T09:00:00Z",
                       outcomes=(("strategy_discussion", "Strategy discussion held"),),
                       exploitation_confirmed="not_known", confirmed_source="strategy",
                       team="Northvale Child Exploitation Hub")
    assert read_reply(reply_bundle(facts, package_id="x", authored="2026-03-02T09:00:00Z")) \
        == facts


def test_package_archive_round_trips_and_refuses_changes() -> None:
    form_json = files("riskscreen._defs.forms").joinpath("cse-screening", "form.yaml").read_bytes()
    import hashlib

    sha = hashlib.sha256(form_json).hexdigest()
    contents = PackageContents(kind="referral", package_id="p1", bundle=_bundle(),
                               summary_pdf=b"%PDF-1.4 test", forms={sha: form_json})
    data = build_zip(contents)
    assert build_zip(contents) == data
    assert read_zip(data) == contents
    # A member changed inside the archive no longer matches the manifest.
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(buffer, "w") as new:
        for info in old.infolist():
            body = old.read(info)
            new.writestr(info, b"%PDF-1.4 other" if info.filename == "summary.pdf" else body)
    with pytest.raises(PackageFormatError, match="does not match its hash"):
        read_zip(buffer.getvalue())
    with pytest.raises(PackageFormatError, match="not a package archive"):
        read_zip(data[: len(data) // 2])


def test_package_kind_is_an_enum_stored_as_the_same_text() -> None:
    """The manifest keeps the kind's plain text, so packages written before the kind was an
    enum (a bare string in the manifest) read the same, as a :class:`PackageKind`."""
    import io
    import zipfile

    for kind in PackageKind:
        data = build_zip(PackageContents(kind=kind, package_id="p2", bundle=_bundle()))
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = json.loads(archive.read("manifest.json"))
        assert manifest["kind"] == kind.value
        assert type(manifest["kind"]) is str
        # The same archive written with a bare string, as an older version wrote it.
        old = build_zip(PackageContents(kind=kind.value, package_id="p2",  # type: ignore[arg-type]
                                        bundle=_bundle()))
        assert old == data
        read = read_zip(old)
        assert type(read.kind) is PackageKind
        assert read.kind is kind


def test_the_assessment_note_and_lawful_basis_read_as_sentences() -> None:
    bundle = _bundle(consent_to_share="yes", consent_given_by="The young person")
    (risk,) = resources_of(bundle, "RiskAssessment")
    (request,) = resources_of(bundle, "ServiceRequest")
    note = risk["note"][0]["text"]
    # The level's name as the summary prints it ("level by points medium" read as a code).
    assert re.fullmatch(r"\d+ points, which alone give (No apparent risk|Low|Medium|High)\.",
                        note), note
    basis = json.dumps(request)
    assert "(given by The" not in basis
    assert "Given by: The young person" in basis
