"""The autosave's guarantees, on both backends: one audit entry per save in one unbroken chain,
a save over someone else's newer one refused and nothing of it kept, the list's order as the
saves left it, and a session whose data key changed told to sign in again."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import text

from riskscreen.services import ScreeningQuery, Session, StaleDraft
from riskscreen.services.errors import KeyChanged
from riskscreen.store import audit

from ..conftest import Vault

_MINUTE = 60_000_000  # microseconds, as updated_at and saved_at are stored


@pytest.fixture
def vault(backend_vault: Vault) -> Vault:
    """This module's tests run on both backends (see tests/conftest.py)."""
    return backend_vault


def _draft(session: Session, name: str = "Autosave Child") -> int:
    return session.screenings.start(session.children.create(name, "2011-04-05").id)


def _edits(session: Session, sid: int) -> list[tuple[str, str, dict[str, Any]]]:
    with session.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT \"user\", object, detail FROM audit_log WHERE action = 'edit' AND "
            "object = :o ORDER BY seq"), {"o": f"screening:{sid}"}).all()
    return [(user, obj, json.loads(detail)) for user, obj, detail in rows]


def _chain(session: Session) -> tuple[int, str, list[audit.AuditProblem]]:
    with session.engine.connect() as conn:
        return audit.verify_chain(conn)


def test_each_save_appends_one_edit_entry_naming_its_question(vault: Vault) -> None:
    with vault.login("pat") as pat:
        sid = _draft(pat)
        questions = ["child_views", "gender", "child_views", "ethnicity", "gender"]
        for n, qid in enumerate(questions):
            pat.screenings.save_answer(sid, qid, "female" if qid == "gender" else f"text {n}")
        pat.screenings.save_answer(sid, "ethnicity", None)  # clearing is an edit too
        assert _edits(pat, sid) == [("pat", f"screening:{sid}", {"question": q})
                                    for q in [*questions, "ethnicity"]]
        count, head, problems = _chain(pat)
        assert problems == []
        with pat.engine.connect() as conn:
            last = conn.execute(text(
                "SELECT count(*), max(seq) FROM audit_log")).one()
            stored = conn.execute(text("SELECT hash FROM audit_log WHERE seq = :s"),
                                  {"s": last[1]}).scalar_one()
        assert count == last[0] == last[1]
        assert head == audit.hex_digest(stored)


def test_saves_from_two_sessions_interleaved_keep_one_chain_and_refuse_the_stale_one(
        vault: Vault) -> None:
    with vault.login("pat") as here, vault.login("pat") as there:
        sid = _draft(here)
        version = here.screenings.open(sid).version
        version = here.screenings.save_answer(sid, "child_views", "here 1",
                                              expected_version=version)
        opened_there = there.screenings.open(sid).version
        assert opened_there == version
        for n in range(3):  # each session keeps its connection between saves
            version = here.screenings.save_answer(sid, "child_views", f"here {n + 2}",
                                                  expected_version=version)
            opened_there = there.screenings.save_answer(
                sid, "ethnicity", f"there {n}", expected_version=version)
            version = opened_there
        entries_before = _chain(here)[0]
        # "here" still holds the version it saved before "there" did: refused, nothing kept.
        with pytest.raises(StaleDraft) as refused:
            here.screenings.save_answer(sid, "child_views", "lost update",
                                        expected_version=version - 1)
        assert refused.value.reloaded is not None
        assert refused.value.reloaded.answers["ethnicity"].value == "there 2"
        assert here.screenings.open(sid).answers["child_views"].value == "here 4"
        count, _, problems = _chain(there)
        assert problems == []
        # The refused save wrote no edit entry (the entries after it are the two views).
        assert [e[2] for e in _edits(there, sid)] == [
            {"question": "child_views"}, *[{"question": q} for _ in range(3)
                                           for q in ("child_views", "ethnicity")]]
        assert count == entries_before + 2


def _updated(session: Session, sid: int) -> int:
    with session.engine.connect() as conn:
        return int(conn.execute(text("SELECT updated_at FROM screenings WHERE id = :s"),
                                {"s": sid}).scalar_one())


def _last_saved(session: Session, sid: int) -> int:
    with session.engine.connect() as conn:
        return int(conn.execute(text("SELECT max(saved_at) FROM answers WHERE "
                                     "screening_id = :s"), {"s": sid}).scalar_one())


def test_a_save_brings_its_draft_to_the_top_of_every_list(vault: Vault) -> None:
    with vault.login("pat") as pat:
        older, newer = _draft(pat, "Older Child"), _draft(pat, "Newer Child")
        for sid, other in ((older, newer), (newer, older), (older, newer), (older, newer)):
            pat.screenings.save_answer(sid, "child_views", f"saved to {sid}")
            for query in (ScreeningQuery(), ScreeningQuery(drafts_first=True),
                          ScreeningQuery(mine_only=True)):
                assert [r.id for r in pat.screenings.find(query).items][:2] == [sid, other]


def test_updated_at_keeps_the_minute_of_the_last_save(vault: Vault) -> None:
    with vault.login("pat") as pat:
        sid = _draft(pat)
        for n in range(5):
            pat.screenings.save_answer(sid, "child_views", f"text {n}")
            assert _updated(pat, sid) // _MINUTE == _last_saved(pat, sid) // _MINUTE
        # A draft last changed minutes ago moves on at its next save.
        with pat.engine.begin() as conn:
            conn.execute(text("UPDATE screenings SET updated_at = updated_at - :d "
                              "WHERE id = :s"), {"d": 3 * _MINUTE, "s": sid})
        before = time.time_ns() // 1000
        pat.screenings.save_answer(sid, "child_views", "after a pause")
        assert _updated(pat, sid) >= before
        assert _updated(pat, sid) == _last_saved(pat, sid)


def test_a_session_whose_data_key_changed_saves_nothing_and_is_told(store: Vault) -> None:
    pat = store.login("pat")  # a laptop's file: a team server has no data key to change
    sid = _draft(pat)
    pat.screenings.save_answer(sid, "child_views", "before the key change")
    with store.login("admin") as admin:
        admin.accounts.disable("mary")
        assert admin.maintenance.check_integrity() == []
    with pytest.raises(KeyChanged, match="sign in again"):
        pat.screenings.save_answer(sid, "child_views", "after the key change")
    pat.close()
    with store.login("pat") as again:
        assert again.screenings.open(sid).answers["child_views"].value == \
            "before the key change"
        again.screenings.save_answer(sid, "child_views", "signed in again")
    with store.login("admin") as admin:
        assert admin.maintenance.check_integrity() == []
