"""``verify`` finds edits made with the data key: each test edits the database through raw SQL
(dropping a trigger and putting it back exactly, where one is in the way) and checks that
``riskscreen verify`` now fails with a message that names the screening and the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from riskscreen.cli.main import main
from riskscreen.store.integrity import EXPECTED_TRIGGERS

from ..conftest import PASSPHRASES, Vault, make_vault


@pytest.fixture
def finalised(store: Vault) -> list[int]:
    """Three finalised screenings of pat's, with every answer given."""
    from riskscreen.forms.loader import load_form
    from riskscreen.synthetic import generate_answer_sets

    form = load_form("cse-screening")
    ids = []
    with store.login("pat") as pat:
        for n, answer_set in enumerate(generate_answer_sets(form, 3, 11)):
            sid = pat.screenings.start(pat.children.create(f"Child {n}").id)
            for qid, value in answer_set.answers.items():
                if qid != "child_name":
                    pat.screenings.save_answer(sid, qid, value, answer_set.evidence.get(qid))
            pat.screenings.finalise(sid)
            ids.append(sid)
    return ids


def _tamper(store: Vault, *statements: str, around: tuple[str, ...] = ()) -> None:
    """Run ``statements`` with the triggers named in ``around`` dropped, then recreate them."""
    with store.login("admin") as admin, admin.engine.begin() as conn:
        for name in around:
            conn.execute(text(f"DROP TRIGGER {name}"))
        for statement in statements:
            conn.execute(text(statement))
        for name in around:
            conn.execute(text(EXPECTED_TRIGGERS[name]))


def _verify(store: Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int,
                                                                                       str]:
    phrase = tmp_path / "mary.txt"
    phrase.write_text(PASSPHRASES["mary"] + "\n")
    capsys.readouterr()
    code = main(["verify", "--db", str(store.db), "--user", "mary", "--passphrase-file",
                 str(phrase)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out


def test_a_healthy_database_passes(store: Vault, finalised: list[int], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _verify(store, tmp_path, capsys)
    assert code == 0, out
    assert "records: ok" in out


def test_an_edited_level_column_is_found(store: Vault, finalised: list[int], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    sid = finalised[1]
    _tamper(store, f"UPDATE screenings SET final_level = 'none' WHERE id = {sid}",
            around=("screenings_final_u",))
    code, out = _verify(store, tmp_path, capsys)
    assert code == 1
    assert f"screening {sid}: the level shown in lists (none) differs from its snapshot" in out


def test_edited_answers_of_a_finalised_screening_are_found(
        store: Vault, finalised: list[int], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    sid = finalised[0]
    # screening_reason_detail is required and always shown, so every screening has it.
    # A finalised screening's answers live in its record: a row put back beside it is found.
    _tamper(store, "INSERT INTO answers VALUES "
                   f"({sid}, 'screening_reason_detail', '\"an edited account\"', NULL, "
                   "'2026-01-01T00:00:00.000000Z')",
            around=("answers_final_i",))
    code, out = _verify(store, tmp_path, capsys)
    assert code == 1
    assert (f"screening {sid}: its answers differ from the answers recorded when it was "
            "finalised") in out


def test_snapshot_text_rewritten_outside_the_scored_fields_is_found(
        store: Vault, finalised: list[int], tmp_path: Path, edit_record: Any,
        capsys: pytest.CaptureFixture[str]) -> None:
    sid = finalised[2]
    with store.login("admin") as admin, admin.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER assessments_immutable_u"))
        edit_record(conn, sid, lambda snap: snap.update(note="added later"))
        conn.execute(text(EXPECTED_TRIGGERS["assessments_immutable_u"]))
    code, out = _verify(store, tmp_path, capsys)
    assert code == 1
    assert "re-scoring: ok" in out  # the scored fields still reproduce ...
    assert (f"screening {sid}: its snapshot differs from the one recorded in the audit log "
            "when it was finalised") in out  # ... but the text is not what was finalised


def test_a_dropped_or_altered_trigger_is_found(store: Vault, finalised: list[int],
                                               tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    _tamper(store, "DROP TRIGGER answers_final_u", "DROP TRIGGER audit_log_immutable_d",
            "CREATE TRIGGER audit_log_immutable_d BEFORE DELETE ON audit_log "
            "BEGIN SELECT 1; END")
    code, out = _verify(store, tmp_path, capsys)
    assert code == 1
    assert "the trigger answers_final_u, which keeps finalised records from being changed, " \
           "is missing" in out
    assert "the trigger audit_log_immutable_d" in out
    assert "was altered" in out


def test_the_finalise_entry_records_the_snapshot(store: Vault,
                                                 finalised: list[int]) -> None:
    with store.login("mary") as mary:
        with mary.engine.connect() as conn:
            details = conn.execute(text(
                "SELECT detail FROM audit_log WHERE action = 'finalise'")).scalars().all()
        report = mary.maintenance.verify(rescore=False)
    assert len(details) == 3
    assert all('"snapshot":"' in d for d in details)
    assert report.record_problems == []


def test_verify_rescores_every_snapshot_in_columns_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """verify re-scores with the batch executor as well: snapshots that the one-screening
    scorer reproduces but the columns do not are reported."""
    from dataclasses import replace

    import riskscreen.services.demo as demo
    import riskscreen.services.maintenance as maintenance
    from riskscreen.scoring.engine import score

    def skewed(form: Any, model: Any, answer_set: Any, previous: Any) -> Any:
        """A scorer the batch executor does not share: one point more than the model."""
        found = score(form, model, answer_set, previous)
        return replace(found, score=found.score + 1)

    # Only the one-screening scorer is replaced; the batch executor is the real one.
    monkeypatch.setattr(maintenance, "score", skewed)
    monkeypatch.setattr(demo, "score", skewed)
    with make_vault(tmp_path / "skewed.db", ("mary",)).login("mary") as mary:
        demo.populate(mary, 12, seed=3, final_share=1.0)
        report = mary.maintenance.verify()
    assert report.rescored == 12
    assert len(report.rescore_differences) == 12
    assert all("re-scoring in columns" in d for d in report.rescore_differences)
