"""Report counts against a hand-built database, small-count suppression, anonymised exports
and the manager-only check."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from riskscreen.forms.loader import load_form
from riskscreen.services import OverrideRequest, PermissionDenied, Session
from riskscreen.services.reports import suppressed
from riskscreen.synthetic import generate_answer_sets

from ..conftest import PASSPHRASES, Vault


@pytest.fixture
def vault(backend_vault: Vault) -> Vault:
    """This module's tests run on both backends (see tests/conftest.py)."""
    return backend_vault


def _screen(pat: Session, name: str, dob: str, agency: str, reason: str,
            base: dict[str, Any], extra: dict[str, Any]) -> int:
    child = pat.children.create(name, dob)
    sid = pat.screenings.start(child.id)
    values = {**base, "practitioner_agency": agency, "screening_reason": reason, **extra}
    for qid, value in values.items():
        if qid not in ("child_name", "date_of_birth"):
            pat.screenings.save_answer(sid, qid, value)
    return sid


@pytest.fixture
def hand_built(vault: Vault) -> Vault:
    """7 screenings: 6 by police, 1 by health; 5 at one level; one override raised."""
    form = load_form("cse-screening")
    quiet = next(a for a in generate_answer_sets(form, 300, 11)
                 if a.answers.get("screening_reason") != "missing_episode"
                 and not a.answers.get("missing_episodes_3_months"))
    base = {k: v for k, v in quiet.answers.items()
            if k not in ("practitioner_agency_other",)}
    pat = vault.login("pat")
    ids = [_screen(pat, f"Child {i}", "2011-05-01", "police", "concern_raised", base, {})
           for i in range(6)]
    ids.append(_screen(pat, "Child H", "2008-01-01", "health", "concern_raised", base, {}))
    for sid in ids[:-1]:
        pat.screenings.finalise(sid)
    pat.screenings.finalise(ids[-1], OverrideRequest(level="high", reason="Professional judgement: "
                                                     "the school has serious worries not captured"))
    pat.close()
    return vault


def test_report_counts_and_suppression(hand_built: Vault, tmp_path: Path) -> None:
    mary = hand_built.login("mary")
    service = mary.reports
    report = service.build()
    assert report.total == 7
    agencies = dict(report.table("By agency").rows)
    assert agencies == {"Police": 6, "Health": 1}
    assert dict(report.table("By agency").shown()) == {"Police": "6", "Health": "<5"}
    overrides = dict(report.table("Overrides").rows)
    assert overrides["raised by professional judgement"] == 1
    assert overrides["no override"] == 6
    levels = dict(report.table("By level").rows)
    assert levels["High"] >= 1
    assert sum(levels.values()) == 7
    ages = dict(report.table("Age bands").rows)
    assert ages["18 or over"] == 1
    assert sum(ages.values()) == 7
    csv_text = service.export_csv(report, tmp_path / "r.csv").read_text(encoding="utf-8")
    assert "By agency,Health,<5" in csv_text
    assert "By agency,Police,6" in csv_text
    assert "Child" not in csv_text
    assert "2011-05-01" not in csv_text
    pdf = service.export_pdf(report, tmp_path / "r.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    for name in ("r.csv", "r.pdf"):  # readable by their owner only
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_suppressed_values() -> None:
    assert [suppressed(n) for n in (0, 1, 4, 5, 12)] == ["0", "<5", "<5", "5", "12"]


@pytest.mark.parametrize("name", ["pat", "admin"])
def test_reports_need_a_manager(vault: Vault, name: str) -> None:
    session = vault.unlocker().unlock(name, PASSPHRASES[name])
    with pytest.raises(PermissionDenied):
        session.reports.build()
