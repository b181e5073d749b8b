"""Installed instruments: a new form version installs beside the old one, and screenings made
under the old version still open, verify, re-score and print. Real SQLCipher, real PDF."""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from riskscreen.definitions import data_file
from riskscreen.forms.identity import form_sha256
from riskscreen.forms.loader import load_form
from riskscreen.instruments import Instrument, load_instrument
from riskscreen.services import PermissionDenied, ServiceError, Session
from riskscreen.services.instruments import InstrumentRefused
from riskscreen.services.referral import referral_summary
from riskscreen.store.models import digest_text
from riskscreen.store.schema import current_revision
from riskscreen.summary import render_pdf_bytes

from ..conftest import Vault, VaultTemplates, save_answers


@pytest.fixture
def vault(backend_vault: Vault) -> Vault:
    """This module's tests run on both backends (see tests/conftest.py)."""
    return backend_vault


@pytest.fixture
def file_vault(tmp_path: Path, vault_templates: VaultTemplates) -> Vault:
    """The test database as a file, for tests that rewrite it with SQLite's own statements
    (an older schema, a dropped trigger)."""
    return vault_templates.copy(tmp_path / "data" / "riskscreen.db", ("mary", "pat", "paula"))


#: The instruments a new database offers: the default (CSE) one.
SHIPPED = ["cse-screening"]
#: The revision before the one that stores forms.
PREVIOUS_HEAD = "0006"
CASE = Path(__file__).resolve().parents[1] / "cases" / "07-disclosure.json"


def _copy_shipped(dest: Path) -> Path:
    """A copy of the shipped CSE instrument folder, to change as a team would."""
    shutil.copytree(Path(str(data_file("forms", "cse-screening"))), dest,
                    ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    return dest


def _next_version(tmp: Path, *, declare: bool = True, version: str = "1.1.0") -> Instrument:
    """Version 1.1.0 of the shipped form, one question renamed, with model 2.0.0 scoring
    it: a real instrument folder, loaded and checked as ``riskscreen instrument add`` does."""
    folder = _copy_shipped(tmp / f"cse-{version}-{declare}")
    form = folder / "form.yaml"
    text_ = form.read_text("utf-8").replace('version: "1.0.0"', f'version: "{version}"', 1)
    text_ = text_.replace("- id: gender_description", "- id: gender_in_own_words")
    if declare:
        text_ += ('changes_from:\n  version: "1.0.0"\n  renamed:\n'
                  "    gender_description: gender_in_own_words\n")
    form.write_text(text_, "utf-8")
    model = (folder / "scoring" / "1.1.0.yaml").read_text("utf-8")
    model = model.replace('version: "1.1.0"', 'version: "2.0.0"', 1).replace(
        'derived_from: "1.0.0"', 'derived_from: "1.1.0"').replace(
        'versions: ["1.0.0"]', f'versions: ["{version}"]')
    (folder / "scoring" / "2.0.0.yaml").write_text(model, "utf-8")
    return load_instrument(folder)


def _answers() -> tuple[date, dict[str, Any]]:
    case = json.loads(CASE.read_text("utf-8"))
    return date.fromisoformat(case["screening_date"]), case["answers"]


def _screen(session: Session, final: bool) -> int:
    when, answers = _answers()
    child = session.children.create(answers["child_name"],
                                 date.fromisoformat(answers["date_of_birth"]))
    sid = session.screenings.start(child.id, screening_date=when)
    save_answers(session, sid, answers)
    session.screenings.save_answer(sid, "gender", "self_described")
    session.screenings.save_answer(sid, "gender_description", "in their own words")
    if final:
        session.screenings.finalise(sid)
    return sid


def _pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() or ""
                                        for p in PdfReader(io.BytesIO(data)).pages))


def test_screenings_of_the_old_form_version_open_verify_and_print(vault: Vault,
                                                                   tmp_path: Path) -> None:
    with vault.login("pat") as pat:
        final = _screen(pat, final=True)
        draft = _screen(pat, final=False)
    with vault.login("mary") as mary:
        newer = _next_version(tmp_path)
        result = mary.instruments.install(newer)
        assert result.form_stored
        assert result.models_published == ("cse-screening 2.0.0",)
        info = mary.instruments.get("cse-screening")
        assert info.form_version == "1.1.0"
        assert [v.version for v in info.versions] == ["1.0.0", "1.1.0"]
        assert info.versions[0].installed_by == "shipped with RiskScreen"
        assert info.versions[1].installed_by == "mary"
        report = mary.maintenance.verify()
        assert report.ok, (report.rescore_differences, report.record_problems)
        assert report.rescored == 1
    with vault.login("pat") as pat:
        old = pat.screenings.open(final)
        assert (old.form_id, old.form_version) == ("cse-screening", "1.0.0")
        form = pat.screenings.form(old.form_id, old.form_version)
        assert "gender_description" in form.question_index()
        pdf = _pdf_text(render_pdf_bytes(referral_summary(pat, old, form)))
        assert "in their own words" in pdf
        # The draft made under 1.0.0 is still answered and finalised under 1.0.0.
        pat.screenings.save_answer(draft, "gender_description", "still the old question")
        assert pat.screenings.finalise(draft).final_level == old.assessment.final_level  # type: ignore[union-attr]
        # A new screening uses the version now in force, and its model.
        child = pat.children.create("Synthetic New", date(2012, 3, 4))
        new = pat.screenings.open(pat.screenings.start(child.id))
        assert new.form_version == "1.1.0"
        assert new.model_version == "2.0.0"
        pat.screenings.save_answer(new.row.id, "gender_in_own_words", "new words")
        with pytest.raises(ServiceError):
            pat.screenings.save_answer(new.row.id, "gender_description", "the old id")
        with pat.engine.connect() as conn:
            pins = {sid: digest_text(sha) if sha is not None else None for sid, sha in
                    conn.execute(text("SELECT id, form_sha256 FROM screenings"))}
        assert pins[final] == pins[draft] == form_sha256(load_form("cse-screening"))
        assert pins[new.row.id] == form_sha256(newer.form)


def test_answers_carry_from_the_old_version_to_the_new(vault: Vault, tmp_path: Path) -> None:
    with vault.login("mary") as mary:
        mary.instruments.install(_next_version(tmp_path))
        carried = mary.instruments.carry_answers(
            {"gender": "self_described", "gender_description": "own words",
             "no_such_question": "x", "ethnicity": "not an option"},
            "cse-screening", "1.0.0")
    assert carried["gender_in_own_words"] == "own words"
    assert carried["gender"] == "self_described"
    assert "gender_description" not in carried
    assert "no_such_question" not in carried


def test_a_new_version_must_say_what_became_of_questions_it_drops(vault: Vault,
                                                                   tmp_path: Path) -> None:
    with vault.login("mary") as mary:
        with pytest.raises(InstrumentRefused, match="no longer asks 'gender_description'"):
            mary.instruments.install(_next_version(tmp_path, declare=False))
        assert mary.instruments.get("cse-screening").form_version == "1.0.0"


def test_a_stored_version_is_never_replaced_by_other_content(vault: Vault,
                                                             tmp_path: Path) -> None:
    changed = _next_version(tmp_path, declare=False, version="1.0.0")
    with vault.login("mary") as mary, pytest.raises(
            ServiceError, match="already installed with different questions"):
        mary.instruments.install(changed)


def test_only_administrators_and_managers_install_and_each_install_is_audited(
        vault: Vault, tmp_path: Path) -> None:
    newer = _next_version(tmp_path)
    with vault.login("pat") as pat:
        with pytest.raises(PermissionDenied):
            pat.instruments.install(newer)
        assert [i.id for i in pat.instruments.in_force()] == SHIPPED
    with vault.login("admin") as admin:
        admin.instruments.install(newer)
        with admin.engine.connect() as conn:
            entries = conn.execute(text('SELECT "user", object, detail FROM audit_log WHERE '
                                        "action = 'instrument_install'")).all()
    assert [(u, o) for u, o, _ in entries] == [("admin", "instrument:cse-screening")]
    assert json.loads(entries[0][2])["form_version"] == "1.1.0"


def _back_to_previous_head(session: Session) -> None:
    """Take a database the real app wrote back to the revision before forms were stored
    (its own downgrade), keeping every row."""
    from alembic import command

    from riskscreen.store.schema import _config

    with session.engine.begin() as conn:
        config = _config()
        config.attributes["connection"] = conn
        command.downgrade(config, PREVIOUS_HEAD)
        assert current_revision(conn) == PREVIOUS_HEAD
        tables = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = "
                                       "'table'")).scalars())
    assert "forms" not in tables


def test_a_database_at_the_previous_head_upgrades_and_pins_the_shipped_form(
        file_vault: Vault, tmp_path: Path) -> None:
    vault = file_vault
    with vault.login("pat") as pat:
        final = _screen(pat, final=True)
        draft = _screen(pat, final=False)
        before = pat.screenings.open(final).assessment
    with vault.login("admin") as admin:
        _back_to_previous_head(admin)
    with vault.login("mary") as mary:  # signing in migrates the database
        with mary.engine.connect() as conn:
            pins = {sid: digest_text(sha) if sha is not None else None for sid, sha in
                    conn.execute(text("SELECT id, form_sha256 FROM screenings"))}
            installed = conn.execute(text("SELECT id, in_force FROM instruments")).all()
        report = mary.maintenance.verify()
        assert report.ok, (report.rescore_differences, report.record_problems)
        assert report.rescored == 1
        assert mary.instruments.get("cse-screening").form_version == "1.0.0"
    shipped = form_sha256(load_form("cse-screening"))
    assert pins == {final: shipped, draft: shipped}
    assert sorted(tuple(r) for r in installed) == sorted((i, 1) for i in SHIPPED)
    with vault.login("pat") as pat:
        detail = pat.screenings.open(final)
        assert detail.assessment == before
        form = pat.screenings.form(detail.form_id, detail.form_version)
        assert "in their own words" in _pdf_text(render_pdf_bytes(
            referral_summary(pat, detail, form)))
        pat.screenings.save_answer(draft, "child_views", "the draft carries on after the upgrade")
        pat.screenings.finalise(draft)


def test_a_team_instrument_screens_finalises_routes_and_prints_in_its_own_words(
        vault: Vault, team_instrument: Callable[[str], Path]) -> None:
    cases = Path(__file__).resolve().parents[1] / "instruments" / "eastbrook-cases"
    case = json.loads((cases / "online-and-adults.json").read_text("utf-8"))
    with vault.login("mary") as mary:
        mary.instruments.install(load_instrument(team_instrument("eastbrook")))
    with vault.login("pat") as pat:
        assert [i.id for i in pat.instruments.in_force()] == [*SHIPPED, "eastbrook-seraf"]
        child = pat.children.create("Sam Example", date(2011, 2, 3))
        sid = pat.screenings.start(child.id, form_id="eastbrook-seraf",
                                  screening_date=date.fromisoformat(case["screening_date"]))
        for qid, value in case["answers"].items():
            pat.screenings.save_answer(sid, qid, value)
        assessment = pat.screenings.finalise(sid)
        detail = pat.screenings.open(sid)
        form = pat.screenings.form(detail.form_id, detail.form_version)
        summary = referral_summary(pat, detail, form)
        whole = _pdf_text(render_pdf_bytes(summary))
    assert (detail.form_id, detail.model_id) == ("eastbrook-seraf", "eastbrook-seraf")
    installed = load_instrument(team_instrument("again"))
    assert summary.route.destination.name in {d.name for d in installed.routing.destinations}
    assert assessment.final_level in {lv.id for lv in installed.models[0].levels}
    assert "Within the last 6 months" in whole
    with vault.login("mary") as mary:
        assert mary.maintenance.verify().ok


def test_reports_and_impact_count_each_instrument_apart(
        vault: Vault, team_instrument: Callable[[str], Path]) -> None:

    cases = Path(__file__).resolve().parents[1] / "instruments" / "eastbrook-cases"
    case = json.loads((cases / "online-and-adults.json").read_text("utf-8"))
    with vault.login("mary") as mary:
        mary.instruments.install(load_instrument(team_instrument("eastbrook")))
    with vault.login("pat") as pat:
        for _ in range(2):
            child = pat.children.create("Sam Example", date(2011, 2, 3))
            sid = pat.screenings.start(child.id, form_id="eastbrook-seraf",
                                      screening_date=date.fromisoformat(
                                          case["screening_date"]))
            for qid, value in case["answers"].items():
                pat.screenings.save_answer(sid, qid, value)
            pat.screenings.finalise(sid)
        _screen(pat, final=True)
    with vault.login("mary") as mary:
        team = mary.reports.for_instrument("eastbrook-seraf").build()
        cse = mary.reports.build()
        assert (team.total, cse.total) == (2, 1)
        assert team.title == "Eastbrook sexual exploitation risk screening: report"
        asked = {q.text for q in load_instrument(team_instrument("again")).form.questions()}
        prevalence = {label for label, _ in team.table("Indicator prevalence").rows}
        assert prevalence
        assert prevalence <= asked
        service = mary.models.for_instrument("eastbrook-seraf")
        assert service.form().id == "eastbrook-seraf"
        assert service.count_finalised() == 2
        _, published = service.in_force()
        assert published.id == "eastbrook-seraf"
        assert service.impact(published).total == 2
        assert mary.models.impact(mary.models.in_force()[1]).total == 1


def test_verify_names_an_altered_stored_form_and_an_unpinned_screening(
        file_vault: Vault) -> None:
    vault = file_vault
    with vault.login("pat") as pat:
        sid = _screen(pat, final=False)
    with vault.login("mary") as mary:
        with mary.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute("DROP TRIGGER forms_immutable_u")
            raw.execute("UPDATE forms SET canonical_json = replace(canonical_json, "
                        "'Not known', 'Unknown')")
            raw.execute(f"UPDATE screenings SET form_sha256 = NULL WHERE id = {sid}")
            raw.commit()
        report = mary.maintenance.verify()
    assert not report.ok
    assert any("stored form cse-screening 1.0.0 does not match" in p
               for p in report.record_problems)
    assert any("forms_immutable_u" in p for p in report.record_problems)
    assert any(p.startswith(f"screening {sid}: its form cse-screening 1.0.0 is not stored")
               for p in report.record_problems)


def test_an_instrument_taken_out_of_use_is_no_longer_offered(vault: Vault) -> None:
    with vault.login("mary") as mary:
        mary.instruments.install(load_instrument("child-exploitation"))
        assert [i.id for i in mary.instruments.in_force()] == ["cse-screening",
                                                              "child-exploitation"]
    with vault.login("pat") as pat, pytest.raises(PermissionDenied):
        pat.instruments.set_in_force("child-exploitation", False)
    with vault.login("mary") as mary:
        mary.instruments.set_in_force("child-exploitation", False)
        assert [i.id for i in mary.instruments.in_force()] == ["cse-screening"]
        assert not mary.instruments.get("child-exploitation").in_force
        with pytest.raises(ServiceError, match="only instrument in use"):
            mary.instruments.set_in_force("cse-screening", False)


def test_a_rescreen_under_a_new_version_starts_from_the_renamed_answers(
        vault: Vault, tmp_path: Path) -> None:
    with vault.login("pat") as pat:
        first = _screen(pat, final=True)
        child = pat.screenings.open(first).row.child_id
    with vault.login("mary") as mary:
        mary.instruments.install(_next_version(tmp_path))
    with vault.login("pat") as pat:
        again = pat.screenings.open(pat.screenings.start(child, rescreen=True))
        assert again.form_version == "1.1.0"
        assert again.answers["gender_in_own_words"].value == "in their own words"
        assert "gender_description" not in again.answers
        assert "gender_in_own_words" in pat.reviews.rescreen_info(again.row.id).unconfirmed
