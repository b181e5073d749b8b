"""The referral as standard data: FHIR R4 resources built from a screening, checked by
``fhir.resources``.

A referral is a ``Bundle`` (type ``collection``) of the child (``Patient``), the answers
(``QuestionnaireResponse``), the assessment (``RiskAssessment``: level, basis, the rules fired as
reasons, the scoring model's id, version and SHA-256), the referral itself (``ServiceRequest``:
destination, reason, consent or lawful basis) and the two organisations. A form is offered to
health systems as a ``Questionnaire`` whose answer options carry the model's weights
(``ordinalValue``). A reply from the receiving team is a ``Task`` on the referral.

The models are ``fhir.resources``' R4B ones: R4B (4.3) only changed resources this module does
not use, so what they accept is R4 (4.0.1) for every resource here.
"""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.kinds import ANSWER_LABELS, INDICATOR_VALUES
from riskscreen.forms.model import FormDefinition, Question, QuestionType
from riskscreen.routing.model import Destination, SummaryFields
from riskscreen.routing.route import Route
from riskscreen.scoring.assessment import Assessment
from riskscreen.scoring.model import ScoringModel

__all__ = [
    "NHS_NUMBER_SYSTEM",
    "FhirError",
    "ReferralFacts",
    "ReplyFacts",
    "Sender",
    "bundle_json",
    "questionnaire",
    "read_referral",
    "read_reply",
    "referral_bundle",
    "reply_bundle",
]

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
_BASE = "urn:riskscreen"
FORM_URL = f"{_BASE}:form"
MODEL_SYSTEM = f"{_BASE}:scoring-model"
MODEL_HASH_EXT = f"{_BASE}:fhir:scoring-model-sha256"
LAWFUL_BASIS_EXT = f"{_BASE}:fhir:lawful-basis"
REFERENCE_SYSTEM = f"{_BASE}:referral"
CASE_SYSTEM = f"{_BASE}:case-number"
LEVEL_SYSTEM = f"{_BASE}:level"
OUTCOME_SYSTEM = f"{_BASE}:outcome"
ORDINAL_EXT = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
_NAMESPACE = uuid.UUID("4f1d6a8e-2c3b-5e7f-9a0b-1c2d3e4f5a6b")

_ITEM_TYPES = {
    QuestionType.INDICATOR: "choice", QuestionType.TIME_WINDOW: "choice",
    QuestionType.SINGLE_CHOICE: "choice", QuestionType.MULTIPLE_CHOICE: "choice",
    QuestionType.NUMBER: "integer", QuestionType.DATE: "date", QuestionType.TEXT: "string",
    QuestionType.LONG_TEXT: "text",
}


class FhirError(ValueError):
    """Data that does not make valid FHIR (a bug here) or a received Bundle that is not one."""


@dataclass(frozen=True)
class Sender:
    """The agency a referral comes from, and the person who made it."""

    organisation: str
    person: str


@dataclass(frozen=True)
class ReplyFacts:
    """What the receiving team tells the sender: its decision and what happened next."""

    reference: str
    status: str  # FHIR Task status: received, accepted, rejected, completed
    decided_at: str
    reason: str | None = None
    outcomes: tuple[tuple[str, str], ...] = ()  # (outcome id, label)
    exploitation_confirmed: str | None = None  # confirmed, not_confirmed, not_known
    confirmed_source: str | None = None
    team: str = ""


@dataclass(frozen=True)
class ReferralFacts:
    """What a referral Bundle says, in words for a person to read (the sender's assessment)."""

    reference: str
    child_name: str | None
    date_of_birth: date | None
    nhs_number: str | None
    level: str | None
    level_id: str | None
    #: Why the route was chosen, as the sender's routing said it.
    rationale: str | None
    #: The rules fired: (rule id, its reason).
    reasons: tuple[tuple[str, str], ...]
    #: The score and any professional judgement, as sentences.
    notes: tuple[str, ...]
    model_id: str | None
    model_version: str | None
    model_sha256: str | None
    #: The form the answers follow, ``id|version``.
    form: str | None
    #: Every answer: (question, answer in words).
    answers: tuple[tuple[str, str], ...]
    pathway: str | None
    destination: str | None
    reason: str | None
    lawful_basis: str | None
    next_step: str | None
    referred_by: str | None
    organisation: str | None
    authored: str | None


def _urn(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '/'.join(parts))}"


def _options(question: Question) -> list[tuple[str, str]]:
    if question.type is QuestionType.INDICATOR:
        return [(v, ANSWER_LABELS[v]) for v in INDICATOR_VALUES]
    if question.type is QuestionType.TIME_WINDOW:
        return list(question.windows.labels().items())
    return [(o.id, o.label) for o in question.options or []]


def _system(form: FormDefinition, question: Question) -> str:
    return f"{FORM_URL}:{form.id}:{question.id}"


def questionnaire(form: FormDefinition, model: ScoringModel | None = None) -> dict[str, Any]:
    """The form as a FHIR Questionnaire; with a model, each answer option carries its points."""
    weights: Mapping[str, Mapping[str, Any]] = model.weights if model is not None else {}
    groups = []
    for section in form.sections:
        items = []
        for q in section.questions:
            item: dict[str, Any] = {"linkId": q.id, "text": q.text, "type": _ITEM_TYPES[q.type],
                                    "required": q.required}
            if q.type is QuestionType.MULTIPLE_CHOICE:
                item["repeats"] = True
            if q.max_length and q.type in (QuestionType.TEXT, QuestionType.LONG_TEXT):
                item["maxLength"] = q.max_length
            options = []
            for code, label in _options(q):
                option: dict[str, Any] = {"valueCoding": {
                    "system": _system(form, q), "code": code, "display": label}}
                points = weights.get(q.id, {}).get(code)
                if isinstance(points, int):
                    option["extension"] = [{"url": ORDINAL_EXT, "valueDecimal": points}]
                options.append(option)
            if options:
                item["answerOption"] = options
            items.append(item)
        groups.append({"linkId": section.id, "text": section.title, "type": "group",
                       "item": items})
    data: dict[str, Any] = {
        "resourceType": "Questionnaire", "url": f"{FORM_URL}:{form.id}",
        "version": form.version, "name": _fhir_name(form.id), "title": form.title,
        "status": "active", "subjectType": ["Patient"], "item": groups}
    if form.description:
        data["description"] = form.description
    if model is not None:
        data["useContext"] = [{
            "code": {"system": "http://terminology.hl7.org/CodeSystem/usage-context-type",
                     "code": "program"},
            "valueCodeableConcept": {"coding": [{"system": MODEL_SYSTEM, "code": model.id,
                                                 "version": model.version}],
                                     "text": f"Weights of scoring model {model.id} "
                                             f"{model.version} (SHA-256 {model.sha256})"}}]
    return _checked("Questionnaire", data)


def _fhir_name(form_id: str) -> str:
    return "".join(part.capitalize() for part in form_id.replace("-", "_").split("_"))


def _checked(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` checked against FHIR R4B's ``kind`` resource, as plain JSON data.

    The resource models are imported here, when first needed: they take about 30 MB and a
    moment to import, and most sessions never make or read a package.
    """
    model = getattr(importlib.import_module(f"fhir.resources.R4B.{kind.lower()}"), kind)
    try:
        resource = model.model_validate(data)
    except ValidationError as error:
        raise FhirError(f"not a valid FHIR {kind}: {error.errors()[0]['msg']}") from None
    result: dict[str, Any] = json.loads(resource.model_dump_json(exclude_none=True))
    return result


def _answer(form: FormDefinition, question: Question, value: Any) -> list[dict[str, Any]]:
    labels = dict(_options(question))
    values = value if isinstance(value, list) else [value]
    out: list[dict[str, Any]] = []
    for v in values:
        if v is None or v == "":
            continue
        if labels:
            out.append({"valueCoding": {"system": _system(form, question), "code": str(v),
                                        "display": labels.get(str(v), str(v))}})
        elif question.type is QuestionType.NUMBER and isinstance(v, int):
            out.append({"valueInteger": v})
        elif question.type is QuestionType.DATE:
            out.append({"valueDate": str(v)})
        else:
            out.append({"valueString": str(v)})
    return out


def _text(answers: AnswerSet, question_id: str | None) -> str | None:
    if not question_id:
        return None
    value = answers.answers.get(question_id)
    return str(value).strip() or None if value not in (None, "") else None


def _organisation(url: str, name: str, destination: Destination | None = None) -> dict[str, Any]:
    org: dict[str, Any] = {"resourceType": "Organization", "name": name or "Referring agency"}
    if destination is not None:
        org["identifier"] = [{"system": f"{_BASE}:destination", "value": destination.id}]
        org["telecom"] = [{"system": "email", "value": destination.secure_email},
                          {"system": "phone", "value": destination.phone}]
        org["address"] = [{"line": list(destination.address)}]
    return {"fullUrl": url, "resource": org}


def _lawful_basis(answers: AnswerSet, fields: SummaryFields, form: FormDefinition) -> str:
    consent = _text(answers, fields.consent_to_share)
    given_by = _text(answers, fields.consent_given_by)
    without = _text(answers, fields.sharing_without_consent_reason)
    question = (form.question_index().get(fields.consent_to_share)
                if fields.consent_to_share else None)
    label = dict(_options(question)).get(consent or "", consent) if question else consent
    parts = []
    if label:
        parts.append(f"Consent to share: {label}" + (f". Given by: {given_by}" if given_by
                                                     else ""))
    if without:
        parts.append(f"Shared without consent because: {without}")
    return ". ".join(parts) or "Not recorded in the screening"


def referral_bundle(form: FormDefinition, answers: AnswerSet, assessment: Assessment,
                    route: Route, fields: SummaryFields, *, reference: str, sender: Sender,
                    package_id: str, authored: str) -> dict[str, Any]:
    """The referral as a FHIR Bundle (a dict of valid FHIR JSON)."""
    urls = {k: _urn(package_id, k) for k in
            ("patient", "response", "assessment", "request", "sender", "team")}
    patient: dict[str, Any] = {"resourceType": "Patient"}
    identifiers = []
    if nhs := _text(answers, fields.nhs_number):
        identifiers.append({"system": NHS_NUMBER_SYSTEM, "value": nhs.replace(" ", "")})
    if case := _text(answers, fields.case_number):
        identifiers.append({"system": CASE_SYSTEM, "value": case})
    if identifiers:
        patient["identifier"] = identifiers
    if name := _text(answers, fields.child_name):
        patient["name"] = [{"text": name}]
    if dob := _text(answers, fields.date_of_birth):
        patient["birthDate"] = dob
    items = []
    for section in form.sections:
        for q in section.questions:
            if q.id in answers.answers and (given := _answer(form, q, answers.answers[q.id])):
                items.append({"linkId": q.id, "text": q.text, "answer": given})
    response = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{FORM_URL}:{form.id}|{form.version}",
        "status": "completed", "subject": {"reference": urls["patient"]},
        "authored": answers.screening_date.isoformat(), "item": items}
    names = {lv.id: lv.name for lv in assessment.levels}
    level_name = names.get(assessment.level, assessment.level)
    by_points = names.get(assessment.points_level, assessment.points_level)
    notes = [{"text": f"{assessment.score} points, which alone give {by_points}."}]
    if assessment.override is not None:
        o = assessment.override
        earlier = o.from_level or assessment.points_level
        notes.append({"text": f"Professional judgement set the level to "
                              f"{names.get(o.level, o.level)} (from "
                              f"{names.get(earlier, earlier)}): {o.reason}"})
    risk = {
        "resourceType": "RiskAssessment", "status": "final",
        "identifier": [{"system": REFERENCE_SYSTEM, "value": reference}],
        "subject": {"reference": urls["patient"]},
        "occurrenceDateTime": assessment.screening_date.isoformat(),
        "method": {"coding": [{"system": MODEL_SYSTEM, "code": assessment.model.id,
                               "version": assessment.model.version}],
                   "text": f"{assessment.model.id} {assessment.model.version}"},
        "extension": [{"url": MODEL_HASH_EXT, "valueString": assessment.model.sha256}],
        "basis": [{"reference": urls["response"]}],
        "prediction": [{"qualitativeRisk": {
            "coding": [{"system": LEVEL_SYSTEM, "code": assessment.level,
                        "display": level_name}], "text": level_name},
            "rationale": route.why}],
        "note": notes}
    if assessment.rules_fired:
        risk["reasonCode"] = [{"coding": [{"system": f"{MODEL_SYSTEM}:{assessment.model.id}"
                                                     ":rule", "code": r.id}],
                               "text": r.reason} for r in assessment.rules_fired]
    request = {
        "resourceType": "ServiceRequest", "status": "active", "intent": "order",
        "identifier": [{"system": REFERENCE_SYSTEM, "value": reference}],
        "code": {"text": route.pathway}, "subject": {"reference": urls["patient"]},
        "authoredOn": authored, "requester": {"reference": urls["sender"],
                                              "display": sender.person},
        "performer": [{"reference": urls["team"], "display": route.destination.name}],
        "reasonCode": [{"text": f"{level_name}: {route.why}"}],
        "reasonReference": [{"reference": urls["assessment"]}],
        "supportingInfo": [{"reference": urls["response"]}],
        "extension": [{"url": LAWFUL_BASIS_EXT,
                       "valueString": _lawful_basis(answers, fields, form)}],
        "note": [{"text": f"Next step: {route.next_step} Deadline: {route.deadline}."}]}
    bundle = {
        "resourceType": "Bundle", "type": "collection",
        "identifier": {"system": f"{_BASE}:package", "value": package_id},
        "timestamp": authored,
        "entry": [
            {"fullUrl": urls["patient"], "resource": patient},
            {"fullUrl": urls["response"], "resource": response},
            {"fullUrl": urls["assessment"], "resource": risk},
            {"fullUrl": urls["request"], "resource": request},
            _organisation(urls["sender"], sender.organisation),
            _organisation(urls["team"], route.destination.name, route.destination),
        ]}
    return _checked("Bundle", bundle)


def reply_bundle(facts: ReplyFacts, *, package_id: str, authored: str) -> dict[str, Any]:
    """The receiving team's reply: a Task on the sender's ServiceRequest, in a Bundle."""
    outputs: list[dict[str, Any]] = [
        {"type": {"coding": [{"system": OUTCOME_SYSTEM, "code": code}], "text": label},
         "valueString": label} for code, label in facts.outcomes]
    if facts.exploitation_confirmed:
        outputs.append({"type": {"text": "Exploitation confirmed"},
                        "valueCodeableConcept": {
                            "coding": [{"system": f"{_BASE}:exploitation-confirmed",
                                        "code": facts.exploitation_confirmed}],
                            "text": facts.confirmed_source or facts.exploitation_confirmed}})
    task: dict[str, Any] = {
        "resourceType": "Task", "status": facts.status, "intent": "order",
        "focus": {"identifier": {"system": REFERENCE_SYSTEM, "value": facts.reference}},
        "authoredOn": authored, "lastModified": facts.decided_at,
        "owner": {"display": facts.team or "Receiving team"}}
    if facts.reason:
        task["statusReason"] = {"text": facts.reason}
    if outputs:
        task["output"] = outputs
    _checked("Task", task)
    bundle = {"resourceType": "Bundle", "type": "collection",
              "identifier": {"system": f"{_BASE}:package", "value": package_id},
              "timestamp": authored,
              "entry": [{"fullUrl": _urn(package_id, "task"), "resource": task}]}
    return _checked("Bundle", bundle)


def read_reply(bundle: Mapping[str, Any]) -> ReplyFacts:
    """The facts of a reply Bundle (checked as FHIR first)."""
    data = _checked("Bundle", dict(bundle))
    tasks = [e["resource"] for e in data.get("entry", [])
             if e.get("resource", {}).get("resourceType") == "Task"]
    if len(tasks) != 1:
        raise FhirError("the reply holds no Task")
    task = tasks[0]
    outcomes = []
    confirmed = source = None
    for out in task.get("output", []):
        codes = out["type"].get("coding", [])
        if codes and codes[0].get("system") == OUTCOME_SYSTEM:
            outcomes.append((codes[0]["code"], out["type"].get("text", codes[0]["code"])))
        elif "valueCodeableConcept" in out:
            concept = out["valueCodeableConcept"]
            confirmed = concept["coding"][0]["code"]
            source = concept.get("text")
    return ReplyFacts(
        reference=task["focus"]["identifier"]["value"], status=task["status"],
        decided_at=task.get("lastModified", ""),
        reason=task.get("statusReason", {}).get("text"), outcomes=tuple(outcomes),
        exploitation_confirmed=confirmed, confirmed_source=source,
        team=task.get("owner", {}).get("display", ""))


def _answer_words(answers: Sequence[Mapping[str, Any]]) -> str:
    words = []
    for a in answers:
        if "valueCoding" in a:
            coding = a["valueCoding"]
            words.append(str(coding.get("display") or coding.get("code", "")))
        else:
            words.extend(str(v) for k, v in a.items() if k.startswith("value"))
    return ", ".join(w for w in words if w)


def _ext(resource: Mapping[str, Any], url: str) -> str | None:
    return next((str(e.get("valueString")) for e in resource.get("extension", [])
                 if e.get("url") == url and e.get("valueString") is not None), None)


def read_referral(bundle: Mapping[str, Any]) -> ReferralFacts:
    """The facts of a referral Bundle that :func:`referral_bundle` made (read, not
    re-validated: the package's signature already vouches for it). Parts a sender left out
    come back as None or empty."""
    def one(kind: str) -> Mapping[str, Any]:
        found = resources_of(bundle, kind)
        return found[0] if found else {}

    patient, response = one("Patient"), one("QuestionnaireResponse")
    risk, request = one("RiskAssessment"), one("ServiceRequest")
    requester = request.get("requester", {}).get("reference")
    sender: Mapping[str, Any] = next((e.get("resource", {}) for e in bundle.get("entry", [])
                                      if e.get("fullUrl") == requester), {})
    prediction = (risk.get("prediction") or [{}])[0]
    level = prediction.get("qualitativeRisk", {})
    method = (risk.get("method", {}).get("coding") or [{}])[0]
    next_step = next((str(n["text"]) for n in request.get("note", []) if "text" in n), None)
    return ReferralFacts(
        reference=str((request.get("identifier") or risk.get("identifier") or [{}])[0]
                      .get("value", "")),
        child_name=(patient.get("name") or [{}])[0].get("text"),
        date_of_birth=birth_date(patient),
        nhs_number=next((str(i["value"]) for i in patient.get("identifier", [])
                         if i.get("system") == NHS_NUMBER_SYSTEM), None),
        level=level.get("text"),
        level_id=(level.get("coding") or [{}])[0].get("code"),
        rationale=prediction.get("rationale"),
        reasons=tuple((str((r.get("coding") or [{}])[0].get("code", "")), str(r.get("text", "")))
                      for r in risk.get("reasonCode", [])),
        notes=tuple(str(n["text"]) for n in risk.get("note", []) if "text" in n),
        model_id=method.get("code"), model_version=method.get("version"),
        model_sha256=_ext(risk, MODEL_HASH_EXT),
        form=(str(response["questionnaire"]).removeprefix(f"{FORM_URL}:")
              if "questionnaire" in response else None),
        answers=tuple((str(i.get("text") or i.get("linkId", "")),
                       _answer_words(i.get("answer", []))) for i in response.get("item", [])),
        pathway=request.get("code", {}).get("text"),
        destination=(request.get("performer") or [{}])[0].get("display"),
        reason=(request.get("reasonCode") or [{}])[0].get("text"),
        lawful_basis=_ext(request, LAWFUL_BASIS_EXT),
        next_step=next_step,
        referred_by=request.get("requester", {}).get("display"),
        organisation=sender.get("name"),
        authored=request.get("authoredOn"))


def bundle_json(data: Mapping[str, Any]) -> bytes:
    """The Bundle as the UTF-8 JSON text stored in a package."""
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True).encode("utf-8")


def resources_of(bundle: Mapping[str, Any], kind: str) -> Sequence[dict[str, Any]]:
    """The resources of one type in a Bundle."""
    return [e["resource"] for e in bundle.get("entry", [])
            if e.get("resource", {}).get("resourceType") == kind]


def birth_date(patient: Mapping[str, Any]) -> date | None:
    """A Patient's birth date, when it has a full one."""
    try:
        return date.fromisoformat(str(patient.get("birthDate", "")))
    except ValueError:
        return None
