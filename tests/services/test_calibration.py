"""The calibration report: every figure checked against values worked out by hand.

Eighteen children are screened with the golden cases (their levels and points under model
1.1.0 are known from ``tests/cases/*.expected.json`` and ``tests/cases/1.1.0/``), finalised
on a real encrypted database, and their referrals answer "exploitation confirmed?" as in
the table below. The report is then read through
``session.evidence`` and ``riskscreen calibration`` as a real subprocess.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import event

from riskscreen.forms.answers import load_answer_set
from riskscreen.scoring import calibration as cal
from riskscreen.services import PermissionDenied, ServiceError, Session
from riskscreen.services.evidence import MEANING
from riskscreen.services.models import model_data
from riskscreen.services.types import Confirmation
from riskscreen.store.models import ReferralStepRow

from ..conftest import BACKENDS, PASSPHRASES, Vault, save_answers

CASES = Path(__file__).resolve().parents[1] / "cases"

#: Case -> the outcome its child's referral records (C confirmed, N not confirmed).
OUTCOMES = {
    "07": "C", "10": "C", "17": "C", "18": "C",  # High: 17, 12, 29, 26 points
    "06": "C", "13": "C",  # Medium: 7, 8 points
    "16": "C", "03": "C",  # Low: 8 and 4 points (03 answered on a later screening's referral)
    "01": "N", "12": "N",  # No apparent risk: 0, 0
    "02": "N", "04": "N", "05": "N", "09": "N",  # Low: 2, 9, 5, 2
    "08": "N", "11": "N", "14": "N", "15": "N",  # Medium: 2, 6, 8, 4
}


def _case(stem: str) -> Path:
    return next(p for p in CASES.glob(f"{stem}-*.json")
                if not p.name.endswith(".expected.json"))


def _screen(pat: Session, stem: str, screening_date: date | None = None,
            child: int | None = None) -> tuple[int, int]:
    """(child id, screening id) of a finalised screening of a golden case."""
    answers = load_answer_set(_case(stem))
    if child is None:
        child = pat.children.create(f"Case {stem}", answers.answers.get("date_of_birth")).id
    sid = pat.screenings.start(child, screening_date=screening_date or answers.screening_date,
                               form_version=answers.form_version)
    save_answers(pat, sid, answers.answers)
    pat.screenings.finalise(sid)
    return child, sid


def _answer(pat: Session, sid: int, answer: Confirmation) -> None:
    referral = pat.referrals.for_screening(sid)
    assert referral is not None
    pat.referrals.confirm(referral.id, answer, "strategy_discussion")


def _populate(vault: Vault) -> None:
    with vault.login("pat") as pat:
        for stem, outcome in OUTCOMES.items():
            child, sid = _screen(pat, stem)
            if stem == "03":
                # A later screening (High) of the same child carries the answer: the child
                # counts once, at the level of the first screening.
                _, later = _screen(pat, "07", date(2026, 6, 1), child)
                _answer(pat, later, Confirmation.CONFIRMED)
                continue
            _answer(pat, sid, Confirmation.CONFIRMED if outcome == "C"
                    else Confirmation.NOT_CONFIRMED)
        # One more child whose outcome is not known yet, and one with no answer at all.
        _, sid = _screen(pat, "17")
        _answer(pat, sid, Confirmation.NOT_KNOWN)
        _screen(pat, "18")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ..conftest import make_vault

    vault = make_vault(tmp_path_factory.mktemp("calibration") / "riskscreen.db",
                       ("mary", "pat"))
    _populate(vault)
    return vault.db


@pytest.fixture(scope="module", params=BACKENDS)
def outcome_vault(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Vault:
    """The database of :func:`outcomes` on each backend, for the service tests."""
    if request.param == "sqlite":
        return Vault(request.getfixturevalue("outcomes"), "")
    from ..conftest import make_vault

    location = request.getfixturevalue("pg_databases").fresh(empty=True)
    vault = make_vault(tmp_path_factory.mktemp("calibration-pg") / "riskscreen.db",
                       ("mary", "pat"), server=location)
    _populate(vault)
    return vault


@pytest.fixture
def vault(backend_vault: Vault) -> Vault:
    """This module's service tests run on both backends (see tests/conftest.py)."""
    return backend_vault


@pytest.fixture
def mary(outcome_vault: Vault) -> Session:
    return outcome_vault.login("mary")


def test_the_golden_cases_have_the_levels_the_table_assumes() -> None:
    expected = {stem: json.loads(next(
        (CASES / "1.1.0").glob(f"{stem}-*.expected.json"),
        next(CASES.glob(f"{stem}-*.expected.json"))).read_text()) for stem in OUTCOMES}
    assert {s: (e["level"], e["score"]) for s, e in expected.items()} == {
        "07": ("high", 17), "10": ("high", 12), "17": ("high", 29), "18": ("high", 26),
        "06": ("medium", 7), "13": ("medium", 8), "16": ("low", 8), "03": ("low", 4),
        "01": ("none", 0), "12": ("none", 0), "02": ("low", 2), "04": ("low", 9),
        "05": ("low", 5), "09": ("low", 2), "08": ("medium", 2), "11": ("medium", 6),
        "14": ("medium", 8), "15": ("medium", 4)}


def test_every_figure_matches_the_hand_built_table(mary: Session) -> None:
    with mary:
        _, model = mary.evidence.published("cse-screening@1.1.0")
        report = mary.evidence.calibration(model)
    assert report.levels == ("none", "low", "medium", "high")
    assert (report.outcomes, report.confirmed, report.not_confirmed) == (18, 8, 10)
    assert report.not_known == 1  # the second case 17; case 18's second child has no answer
    # Exact counts by level (none, low, medium, high) ...
    assert report.level_counts == ((0, 2, 2, 4), (2, 4, 4, 0))
    # ... and as shown: every count from 1 to 4 withheld.
    under = cal.Suppressed.UNDER_FIVE
    assert report.distribution.confirmed == (0, under, under, under)
    assert report.distribution.not_confirmed == (under, under, under, 0)
    assert (report.distribution.confirmed_total, report.distribution.not_confirmed_total) \
        == (8, 10)
    # Threshold by threshold: (TP, FN, TN, FP).
    rows = {report.levels[r.threshold]: r for r in report.thresholds}
    assert [(r.true_positive, r.false_negative, r.true_negative, r.false_positive)
            for r in rows.values()] == [(8, 0, 2, 8), (6, 2, 6, 4), (4, 4, 10, 0)]
    assert [(r.sensitivity, r.specificity) for r in rows.values()] == [
        (1.0, 0.2), (0.75, 0.6), (0.5, 1.0)]
    # A rate that would reveal a count under 5 is not shown.
    assert [report.rates_shown(r) for r in rows.values()] == [
        (1.0, None), (None, None), (None, 1.0)]
    assert report.threshold_name(rows["medium"]) == "Medium or above"
    # AUC by hand: of the 80 (confirmed, not-confirmed) pairs, 70.5 are ordered right
    # (ties counting half): 10 each for 17, 12, 29 and 26 points, 8 for 7, 8.5 for each
    # 8 (one tie at 8) and 5.5 for 4 (one tie at 4).
    assert report.auc == pytest.approx(70.5 / 80)
    points = [17, 12, 29, 26, 7, 8, 8, 4, 0, 0, 2, 9, 5, 2, 2, 6, 8, 4]
    truth = [True] * 8 + [False] * 10
    assert report.auc_interval == cal.auc_interval(points, truth, seed=17, resamples=2000)
    assert report.auc_interval is not None
    assert report.auc_interval.low < 70.5 / 80 < report.auc_interval.high
    assert report.warning == cal.few_outcomes_warning(18)
    assert report.warning is not None
    assert "Only 18 outcomes" in report.warning
    assert report.meaning == MEANING
    assert report.left_out == {}


def _present(stem: str, question: str) -> bool:
    value = load_answer_set(_case(stem)).answers.get(question)
    return value not in (None, "", "no", "none", "not_known")


def _shown(count: int, group: int) -> float | None:
    return None if 0 < count < 5 or 0 < group - count < 5 else count / group


def test_indicator_shares_are_counted_from_the_answers(mary: Session) -> None:
    with mary:
        report = mary.evidence.calibration(mary.evidence.published("cse-screening")[1])
    confirmed = [s for s, o in OUTCOMES.items() if o == "C"]
    not_confirmed = [s for s, o in OUTCOMES.items() if o == "N"]
    assert report.indicators, "the form's indicators are reported"
    for share in report.indicators:
        yes = sum(_present(s, share.question) for s in confirmed)
        no = sum(_present(s, share.question) for s in not_confirmed)
        assert share.confirmed == cal.suppress(yes), share.question
        assert share.not_confirmed == cal.suppress(no), share.question
        # A share is withheld where it would give away a count from 1 to 4 (of those with
        # the indicator, or of those without it).
        assert share.confirmed_share == _shown(yes, 8), share.question
        assert share.not_confirmed_share == _shown(no, 10), share.question
    # Context questions (does the child know of the screening?) are not indicators.
    assert "child_aware_of_referral" not in {s.question for s in report.indicators}
    # At least one indicator is common enough among the not-confirmed to show its share.
    assert any(s.not_confirmed_share is not None for s in report.indicators)


def test_json_says_withheld_counts_in_words(mary: Session) -> None:
    with mary:
        data = mary.evidence.calibration(mary.evidence.published("cse-screening")[1]).to_dict()
    assert data["first_levels"][1] == {"level": "low", "name": "Low",
                                       "confirmed": "fewer than 5",
                                       "not_confirmed": "fewer than 5"}
    assert data["thresholds"][2]["false_positive"] == 0
    assert data["thresholds"][2]["true_positive"] == "fewer than 5"
    assert data["auc"]["value"] == pytest.approx(0.88125)
    assert data["auc"]["interval"]["seed"] == 17


def test_the_cohort_reads_the_answers_without_loading_step_records(mary: Session) -> None:
    """Over 100,000 screenings, loading every "exploitation confirmed?" step as a record
    (40,000 of them) made the cycle collector hold the interpreter, and so the model
    editor's window, for about 100 ms at a time while the outcomes were read."""
    loaded: list[int] = []

    def on_load(target: ReferralStepRow, _context: object) -> None:
        loaded.append(target.id)

    event.listen(ReferralStepRow, "load", on_load)
    try:
        cohort = mary.evidence.cohort("cse-screening")
    finally:
        event.remove(ReferralStepRow, "load", on_load)
    assert cohort.size == len(OUTCOMES)
    assert cohort.not_known == 1
    assert loaded == []


def test_a_draft_check_completes_while_the_cohort_is_read(mary: Session) -> None:
    """Over 100,000 screenings the first screenings take a second or two to read; the model
    editor's draft check (which the live impact waits for) must not wait for them. Here the
    check runs from inside the cohort's own query, and must complete before it goes on."""
    service = mary.models.for_instrument("cse-screening")
    _, model = mary.evidence.published("cse-screening@1.1.0")
    data = model_data(model)
    done: list[bool] = []

    def check() -> None:
        found = service.check(data)
        done.append(found.model is not None)

    def during(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "ORDER BY screenings.child_id" in statement and not done:
            worker = threading.Thread(target=check)
            worker.start()
            worker.join(10)
            done.append(not worker.is_alive())

    event.listen(mary.engine, "before_cursor_execute", during)
    try:
        cohort = mary.evidence.cohort("cse-screening")
    finally:
        event.remove(mary.engine, "before_cursor_execute", during)
    assert done == [True, True]
    assert cohort.size == len(OUTCOMES)


def test_the_cohort_from_the_editors_held_screenings_has_the_same_figures(
        mary: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The editor's calibration takes the answers from the screenings it holds for the live
    impact instead of reading them again: the same figures; and when some are not held
    (finalised since), they are read as before, again with the same figures."""
    live = mary.models.for_instrument("cse-screening").live_impact()
    assert live is not None
    _, model = mary.evidence.published("cse-screening@1.1.0")
    read = mary.evidence.cohort("cse-screening")
    reads: list[str] = []
    columns = mary.finalised.columns

    def counted(form: Any, *args: Any, **kwargs: Any) -> Any:
        reads.append(form.version)
        return columns(form, *args, **kwargs)

    monkeypatch.setattr(mary.finalised, "columns", counted)
    held = mary.evidence.cohort("cse-screening", held=live)
    assert live.form.version not in reads
    assert held.report(model) == read.report(model)
    assert (held.size, held.not_known, held.unreadable) \
        == (read.size, read.not_known, read.unreadable)
    keep = np.arange(1, live.columns.size)
    short = replace(live, ids=live.ids[keep], columns=live.columns.take(keep))
    reads.clear()
    partly = mary.evidence.cohort("cse-screening", held=short)
    assert live.form.version in reads
    assert partly.report(model) == read.report(model)


def test_only_managers_see_calibration(outcome_vault: Vault) -> None:
    with outcome_vault.login("pat") as pat, pytest.raises(PermissionDenied):
        pat.evidence.cohort("cse-screening")


def test_no_outcomes_is_said_in_one_line(vault: Vault) -> None:
    with vault.login("mary") as mary:
        model = mary.evidence.published("cse-screening")[1]
        with pytest.raises(ServiceError, match="No outcome is recorded yet") as caught:
            mary.evidence.calibration(model)
    assert "\n" not in str(caught.value)


def test_unknown_model_and_malformed_draft(mary: Session) -> None:
    with mary:
        with pytest.raises(ServiceError, match="no published scoring model 'nope'"):
            mary.evidence.published("nope")
        with pytest.raises(ServiceError, match=r"draft.yaml:1: .*scoring_model"):
            mary.evidence.draft("kind: form\n", "draft.yaml")


def _cli(db: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASES["mary"] + "\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "riskscreen", "calibration", "--db", str(db), "--user", "mary",
         "--passphrase-file", str(secret), *args],
        capture_output=True, text=True, timeout=120, check=False)


def test_command_prints_the_report_and_scores_a_draft_file(outcomes: Path,
                                                            tmp_path: Path) -> None:
    shown = _cli(outcomes, tmp_path, "--model", "cse-screening@1.1.0")
    assert shown.returncode == 0, shown.stderr
    assert "WARNING: Only 18 outcomes recorded" in shown.stdout
    assert "Medium or above: sensitivity not shown, specificity not shown" in shown.stdout
    assert "High or above: sensitivity not shown, specificity 100.0%" in shown.stdout
    assert "AUC of the points: 0.88 (95% bootstrap interval" in shown.stdout
    assert "verification bias" in shown.stdout
    # A draft: the published model as a new version with Medium from 6 points and High from
    # 8, so the children on 8 points or more are High: 6 confirmed (17, 12, 29, 26, 8, 8)
    # and 2 not confirmed (9, 8).
    text_ = (Path(__file__).resolve().parents[2] / "forms" / "cse-screening" / "scoring"
             / "1.1.0.yaml").read_text(encoding="utf-8")
    assert "{level: medium, from: 12}" in text_
    assert "{level: high, from: 25}" in text_
    draft = tmp_path / "draft.yaml"
    draft.write_text(text_.replace("{level: high, from: 25}", "{level: high, from: 8}")
                     .replace("{level: medium, from: 12}", "{level: medium, from: 6}")
                     .replace('version: "1.1.0"', 'version: "1.2.0"'), encoding="utf-8")
    found = _cli(outcomes, tmp_path, "--model", str(draft), "--json")
    assert found.returncode == 0, found.stderr
    data = json.loads(found.stdout)
    assert data["model"]["draft"] is True
    assert data["model"]["version"] == "1.2.0"
    high = next(t for t in data["thresholds"] if t["threshold"] == "high")
    assert (high["true_positive"], high["false_negative"], high["true_negative"],
            high["false_positive"]) == (6, "fewer than 5", 8, "fewer than 5")
    assert data["outcomes"] == 18


@pytest.mark.parametrize(("model", "words"), [
    ("nope@9.9.9", "riskscreen calibration: There is no published scoring model "
                   "'nope@9.9.9'"),
    ("missing.yaml", "riskscreen calibration: missing.yaml: no such model file"),
])
def test_command_refuses_bad_models_in_one_line(outcomes: Path, tmp_path: Path, model: str,
                                                words: str) -> None:
    found = _cli(outcomes, tmp_path, "--model", model)
    assert found.returncode in (1, 2)
    assert found.stdout == ""
    assert found.stderr.startswith(words)
    assert found.stderr.count("\n") == 1


def test_command_refuses_a_malformed_file_in_one_line(outcomes: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: scoring_model\nid: [unclosed\n", encoding="utf-8")
    found = _cli(outcomes, tmp_path, "--model", str(bad))
    assert found.returncode == 1
    assert found.stderr.startswith(f"riskscreen calibration: {bad}:")
    assert found.stderr.count("\n") == 1


# -- the evidence statement --------------------------------------------------------------------


def _evidence(db: Path, tmp_path: Path, *args: str,
              user: str = "mary") -> subprocess.CompletedProcess[str]:
    secret = tmp_path / f"{user}.txt"
    secret.write_text(PASSPHRASES[user] + "\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "riskscreen", "evidence", "--db", str(db), "--user", user,
         "--passphrase-file", str(secret), *args],
        capture_output=True, text=True, timeout=120, check=False)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join((p.extract_text() or "").split())
                    for p in PdfReader(str(path)).pages)


def test_evidence_statement_says_each_part_with_its_figures(outcomes: Path,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "evidence.pdf"
    done = _evidence(outcomes, tmp_path, "--model", "cse-screening@1.1.0", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Wrote the evidence statement to {out}"
    assert out.stat().st_mode & 0o077 == 0  # readable by its owner only
    words = _pdf_text(out)
    from pypdf import PdfReader

    pages = len(PdfReader(str(out)).pages)
    assert words.count("OFFICIAL-SENSITIVE") == 2 * pages
    assert f"Page {pages} of {pages}" in words
    # What changed, and why: the change note and the difference from 1.0.0 in words.
    assert "Evidence statement: " in words
    assert "1.1.0" in words
    assert "Caps the points that" in words  # 1.1.0's change note
    assert re.search(r"Compared with version 1\.0\.0 \(published \d\d/\d\d/\d{4} by ", words)
    assert "1 change." in words
    assert "Most points counted for" in words
    assert "8 points" in words
    # Impact: the 21 finalised screenings scored with both versions; only case 16 moves
    # (Medium with 1.0.0, Low with 1.1.0), a count under 5.
    assert ("Over the 21 finalised screenings of form version 1.0.0 stored, fewer than 5 "
            "would have had another level") in words
    # Calibration, with the hand-worked figures and the limits beside them.
    assert ("18 children have a recorded outcome (8 exploitation confirmed, 10 not "
            "confirmed); 1 more have no known outcome yet") in words
    assert "The AUC of the points is 0.88 (95% bootstrap interval" in words
    assert "Only 18 outcomes recorded" in words
    assert "verification bias" in words
    assert "do not validate the model" in words
    assert "High or above 50.0%" not in words  # withheld: it would give away 4 of 8
    assert "High or above not shown 100.0%" in words
    # Agreement: none run for this version yet.
    assert "No agreement exercise has been run for this version" in words
    # Who approved it, and when.
    assert re.search(r"Published, and so approved for use in new screenings, by admin on "
                     r"\d\d/\d\d/\d{4} \d\d:\d\d\. ", words)


@pytest.mark.parametrize(("args", "words"), [
    (("--model", "nope", "-o", "{tmp}/e.pdf"), "riskscreen evidence: There is no published "
                                              "scoring model 'nope'"),
    (("--model", "cse-screening", "-o", "{tmp}/missing/e.pdf"),
     "riskscreen evidence: the folder "),
    (("--model", "cse-screening", "-o", "{tmp}"), "riskscreen evidence: "),
])
def test_evidence_refuses_bad_input_in_one_line(outcomes: Path, tmp_path: Path,
                                                args: tuple[str, ...], words: str) -> None:
    done = _evidence(outcomes, tmp_path, *(a.format(tmp=tmp_path) for a in args))
    assert done.returncode in (1, 2)
    assert done.stderr.startswith(words), done.stderr
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "e.pdf").exists()


def test_only_managers_make_evidence_statements(outcomes: Path, tmp_path: Path) -> None:
    done = _evidence(outcomes, tmp_path, "--model", "cse-screening", "-o",
                     str(tmp_path / "e.pdf"), user="pat")
    assert done.returncode == 1
    assert done.stderr.startswith("riskscreen evidence: ")
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "e.pdf").exists()


def test_the_demo_has_outcomes_and_agreement_to_show(tmp_path: Path) -> None:
    """``riskscreen demo`` records enough outcomes for figures without the under-30 warning,
    and its agreement exercise reaches the evidence statement."""
    from riskscreen.services import Unlocker
    from riskscreen.services.demo import DEMO_ACCOUNTS, create_demo_database

    from ..conftest import FAST

    db = tmp_path / "demo.db"
    create_demo_database(db, 200, seed=2, kdf=FAST).close()
    with Unlocker(db, auto_backups=False).unlock("manager",
                                                 DEMO_ACCOUNTS["manager"][1]) as manager:
        _, model = manager.evidence.published("cse-screening")
        report = manager.evidence.calibration(model)
        statement = manager.evidence.statement("cse-screening")
    assert report.outcomes >= cal.MIN_OUTCOMES
    assert report.warning is None
    assert report.confirmed >= 5
    assert report.not_confirmed >= 5
    assert report.auc is not None
    agreement = next(s for s in statement.sections
                     if s.heading == "Agreement between practitioners")
    assert any("Krippendorff's alpha" in p for p in agreement.paragraphs)
