"""Intelligence through the services, on a real encrypted database: who sees which item,
the audit of every view of a person of concern, grading, links across children, the
problem profile and its suppression, retention, and submissions."""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from riskscreen.intel.retention import add_months
from riskscreen.services import Countersignature, PermissionDenied, ServiceError, Session
from riskscreen.services.errors import NotFound
from riskscreen.services.types import ItemKind

from ..conftest import PASSPHRASES, Vault

ANALYST_PASS = "analyst passphrase"


def _with_analyst(v: Vault) -> None:
    admin = v.login("admin")
    try:
        admin.accounts.create("ana", "analyst", ANALYST_PASS,
                              countersign=Countersignature("mary", PASSPHRASES["mary"]))
    finally:
        admin.close()


@pytest.fixture
def vault(backend_vault: Vault) -> Vault:
    """This module's tests run on both backends (see tests/conftest.py)."""
    return backend_vault


@pytest.fixture
def iv(vault: Vault) -> Vault:
    """The usual test database plus an analyst, ``ana``."""
    _with_analyst(vault)
    return vault


def _ana(v: Vault) -> Session:
    return v.unlocker().unlock("ana", ANALYST_PASS)


def _audit(session: Session, action: str) -> list[tuple[str, str, dict[str, Any]]]:
    with session.engine.connect() as conn:
        rows = conn.execute(text('SELECT "user", object, detail FROM audit_log '
                                 "WHERE action = :a ORDER BY seq"), {"a": action}).all()
    return [(u, o, json.loads(d)) for u, o, d in rows]


PERSON = {"names": ["Darren"], "nicknames": ["D"], "phones": ["07700 900123"],
          "handles": ["@dee_100"], "vehicles": ["AB12 CDE"], "estimated_age": 25}


def test_practitioners_see_own_and_linked_analysts_and_managers_all_admins_none(
        iv: Vault) -> None:
    pat, paula, mary, ana = iv.login("pat"), iv.login("paula"), iv.login("mary"), _ana(iv)
    amy = pat.children.create("Amy Test", "2011-01-01")
    ben = paula.children.create("Ben Test", "2010-05-05")
    open_item = pat.intel.add("person", amy.id, "2/B/P", text="Older male who gives lifts.",
                              details=PERSON, source="Amy's friend", seen_on="2026-01-10")
    restricted = pat.intel.add("place", amy.id, "1/A/C", text="Flat used for parties.",
                               details={"address": "12 High St", "area": "Northvale"},
                               handling_conditions="Not to be shared with the family.")
    # paula links pat's open item to her own child; she then sees it (through Ben)...
    with pytest.raises(NotFound):
        paula.intel.link(open_item.id, ben.id)  # she cannot see it yet: not hers, no link
    mary.intel.link(open_item.id, ben.id, source="Ben's disclosure", seen_on="2026-01-12")
    mary.intel.link(restricted.id, ben.id, seen_on="2026-01-12")
    seen_by_paula = {i.id for i in paula.intel.items()}
    assert open_item.id in seen_by_paula
    # ...but not the restricted one, though it is linked to her child too.
    assert restricted.id not in seen_by_paula
    with pytest.raises(NotFound):
        paula.intel.get(restricted.id)
    # paula sees her own child's link, and only a count of the other child.
    seen = paula.intel.get(open_item.id)
    assert [lk.child_id for lk in seen.links] == [ben.id]
    assert seen.other_children == 1
    # The recorder, analysts and managers see both, with every link.
    for session in (pat, mary, ana):
        assert {open_item.id, restricted.id} <= {i.id for i in session.intel.items()}
    assert len(ana.intel.get(open_item.id).links) == 2
    # Administrators see none of it.
    admin = iv.login("admin")
    with pytest.raises(PermissionDenied):
        admin.intel.items()
    with pytest.raises(PermissionDenied):
        admin.intel.network()
    # Only analysts and managers see the links across children and the profile.
    with pytest.raises(PermissionDenied):
        pat.intel.network()
    with pytest.raises(PermissionDenied):
        pat.intel.profile("2026-01-01", "2026-12-31")
    for s in (pat, paula, mary, ana, admin):
        s.close()


def test_a_practitioners_items_are_found_with_one_list_not_a_look_per_item(iv: Vault) -> None:
    """The items a practitioner sees come from one list of the links to their children, read
    once; the correlated form re-read their children for every item."""
    from sqlalchemy import event

    with iv.login("pat") as pat:
        amy = pat.children.create("Amy Plan", "2011-01-01")
        pat.intel.add("place", amy.id, "2/B/P", text="Parties.", details={"area": "North"})
        statements: list[tuple[str, Any]] = []

        def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            if "FROM intel_items" in statement and statement.lstrip().startswith("SELECT"):
                statements.append((statement, parameters))

        event.listen(pat.engine, "before_cursor_execute", seen)
        try:
            assert [i.text for i in pat.intel.items()] == ["Parties."]
        finally:
            event.remove(pat.engine, "before_cursor_execute", seen)
        statement, parameters = statements[0]
        with pat.engine.connect() as conn:
            if iv.backend == "sqlite":
                plan = " / ".join(str(r[3]) for r in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, parameters))
            else:
                plan = " / ".join(str(r[0]) for r in conn.exec_driver_sql(
                    "EXPLAIN " + statement, parameters))
    if iv.backend == "sqlite":
        assert "LIST SUBQUERY" in plan, plan
        assert "CORRELATED" not in plan, plan
    else:  # PostgreSQL reads the list once into a hash (it plans either form well; the
        # SQLite plan above is the one the correlated form spoiled)
        assert "hashed SubPlan" in plan, plan


def test_every_view_of_a_person_of_concern_is_audited(iv: Vault) -> None:
    pat = iv.login("pat")
    child = pat.children.create("Cara Test", "2012-02-02")
    person = pat.intel.add("person", child.id, "2/C/P", details=PERSON)
    place = pat.intel.add("place", child.id, "2/C/P", details={"address": "The park"})
    assert person.kind is ItemKind.PERSON
    assert pat.intel.get(person.id).person_of_concern
    assert pat.intel.get(place.id).kind is ItemKind.PLACE  # not about a named adult: no entry
    pat.intel.items()
    views = _audit(pat, "intel_view")
    assert views == [("pat", f"intel:{person.id}", {"kind": "person"})]
    lists = _audit(pat, "intel_list")
    assert lists[-1][2] == {"persons": [person.id]}
    ana = _ana(iv)
    ana.intel.network()
    assert _audit(ana, "intel_network")[-1][2]["persons"] == [person.id]
    # No name, phone or handle reaches the audit log.
    with ana.engine.connect() as conn:
        log = " ".join(conn.execute(text("SELECT detail || object FROM audit_log")).scalars())
    for secret in ("Darren", "07700", "dee_100", "AB12"):
        assert secret not in log
    pat.close()
    ana.close()


@pytest.mark.parametrize(("grade", "words"), [
    ("4/A/P", "not a 3x5x2 source evaluation"),
    ("1/F/P", "not a 3x5x2 intelligence assessment"),
    ("1/A/X", "not a 3x5x2 handling code"),
    ("1A P", "not written S/I/H"),
    ("B/2/4", "legacy 5x5x5 grade"),
])
def test_bad_grades_are_refused_in_one_line(iv: Vault, grade: str, words: str) -> None:
    pat = iv.login("pat")
    child = pat.children.create("Dan Test", "2012-02-02")
    with pytest.raises(ServiceError, match=words) as error:
        pat.intel.add("vehicle", child.id, grade, text="Blue car")
    assert "\n" not in str(error.value)
    assert pat.intel.items() == []
    pat.close()


def test_handling_code_c_needs_its_conditions_and_legacy_grades_only_for_older_records(
        iv: Vault) -> None:
    pat = iv.login("pat")
    child = pat.children.create("Eve Test", "2012-02-02")
    with pytest.raises(ServiceError, match="conditions"):
        pat.intel.add("vehicle", child.id, "1/b/c", text="Blue car")
    old = pat.intel.add("vehicle", child.id, "b/2/4", text="Red van", allow_legacy=True)
    assert old.grade.legacy
    assert old.grade.restricted
    assert old.grade.describe().startswith("5x5x5 B/2/4")
    assert pat.intel.add("vehicle", child.id, " 1 / a / p ", text="Grey car").grade.text == "1/A/P"
    pat.close()


def test_network_links_children_by_normalised_phone_registration_and_handle(iv: Vault) -> None:
    mary = iv.login("mary")
    kids = [mary.children.create(f"Child {n}", "2011-01-01").id for n in range(4)]
    a = mary.intel.add("person", kids[0], "2/B/P", details={"names": ["J"],
                                                            "phones": ["+44 7700 900123"]})
    mary.intel.add("person", kids[1], "2/B/P", details={"nicknames": ["Jay"],
                                                        "phones": ["07700900123"]})
    mary.intel.add("vehicle", kids[2], "2/C/P", text="Silver car, ab12cde")
    mary.intel.add("person", kids[2], "2/C/P", details={"vehicles": ["AB12 CDE"],
                                                        "handles": ["@Jay_99"]})
    mary.intel.add("online", kids[3], "3/C/P", details={"platform": "Snapchat",
                                                        "handle": "jay_99"})
    mary.intel.add("person", kids[3], "3/D/P", details={"names": ["J"]})  # a name only
    net = mary.intel.network()
    shared = net.matching.shared_entities
    # One entity joins kids 0 and 1 (the phone); one joins 2 and 3 (registration, handle).
    assert sorted(e.children for e in shared) == [(kids[0], kids[1]), (kids[2], kids[3])]
    assert any(("phone", "07700900123") in e.matched_on for e in shared)
    assert net.counts["children_linked"] == 4
    assert net.counts["child_pairs"] == 2
    # The same name alone is a possible link, not a merge.
    assert net.counts["possible_links"] == 1
    assert any(edge.strength == "possible" for edge in net.edges)
    assert a.id in next(e.item_ids for e in shared if kids[0] in e.children)
    mary.close()


def _screened_child(session: Session, name: str) -> int:
    return session.children.create(name, "2011-01-01").id


def test_profile_counts_places_and_areas_and_export_suppresses_under_five(
        iv: Vault, tmp_path: Path) -> None:
    mary = iv.login("mary")
    kids = [_screened_child(mary, f"Profile {n}") for n in range(7)]
    hotel = mary.intel.add("place", kids[0], "2/B/P",
                           details={"address": "Station Hotel, 1 Mill Rd", "place_type": "hotel",
                                    "area": "Northvale"}, seen_on="2026-02-01")
    for k in kids[1:6]:
        mary.intel.link(hotel.id, k, seen_on="2026-02-03")
    mary.intel.add("place", kids[6], "2/B/P",
                   details={"address": "station hotel 1 mill rd.", "area": "north vale"},
                   seen_on="2026-02-04")  # the same hotel, written differently
    mary.intel.add("place", kids[0], "2/B/P", details={"description": "Bus shelter",
                                                       "area": "Eastfield"},
                   seen_on="2025-06-01")  # outside the period
    rows = mary.intel.profile("2026-01-01", "2026-03-31")
    places = [r for r in rows if r.kind == "place"]
    assert places[0].children == 7
    assert dict(places[0].by_level) == {"not screened": 7}
    assert [(r.label, r.children) for r in rows if r.kind == "area"] == [("Northvale", 7)]
    exported = mary.intel.profile_export("2026-02-03", "2026-02-03")
    assert exported[0]["children"] == 5
    small = mary.intel.profile_export("2026-02-04", "2026-02-04")
    assert {r["children"] for r in small} == {"<5"}
    out = tmp_path / "profile.csv"
    assert mary.intel.write_profile_csv("2026-01-01", "2026-03-31", out) == 2
    written = out.read_text()
    assert "Profile" not in written
    assert "kind,place_or_area,children" in written
    with pytest.raises(ServiceError, match="ends"):
        mary.intel.profile("2026-03-01", "2026-01-01")
    with pytest.raises(ServiceError, match="YYYY-MM-DD"):
        mary.intel.profile("01/03/2026", "2026-04-01")
    mary.close()


def test_retention_review_and_deletion_are_audited(iv: Vault) -> None:
    pat = iv.login("pat")
    child = pat.children.create("Fay Test", "2012-02-02")
    item = pat.intel.add("person", child.id, "2/B/P", details=PERSON)
    assert item.review_due == add_months(date.today(), 12)  # resources/intel_retention.yaml
    pat.close()
    mary = iv.login("mary")
    later = mary.intel.__class__(mary.context, today=lambda: date.today() + timedelta(days=400))
    assert [i.id for i in later.due_for_review()] == [item.id]
    kept = later.review(item.id, "Still relevant to a current strategy meeting.")
    assert not kept.due(date.today() + timedelta(days=400))
    with pytest.raises(ServiceError, match="reason"):
        later.delete(item.id, " ")
    later.delete(item.id, "No longer needed.")
    with pytest.raises(NotFound):
        mary.intel.get(item.id)
    assert _audit(mary, "intel_review")[0][2]["reason"].startswith("Still relevant")
    assert _audit(mary, "intel_delete")[0][2] == {"kind": "person", "reason": "No longer needed.",
                                                 "was_due": False}
    mary.close()
    with pytest.raises(PermissionDenied):
        iv.login("pat").intel.due_for_review()


def test_analyst_role_needs_a_managers_countersignature(vault: Vault) -> None:
    admin = vault.login("admin")
    with pytest.raises(PermissionDenied, match="countersignature"):
        admin.accounts.create("ann", "analyst", ANALYST_PASS)
    admin.close()


def test_unknown_child_and_future_date_are_refused(iv: Vault) -> None:
    pat = iv.login("pat")
    with pytest.raises(NotFound, match="no child record 999"):
        pat.intel.add("place", 999, "2/B/P", text="A park")
    child = pat.children.create("Gus Test", "2012-02-02")
    with pytest.raises(ServiceError, match="future"):
        pat.intel.add("place", child.id, "2/B/P", text="A park",
                      seen_on=date.today() + timedelta(days=2))
    with pytest.raises(ServiceError, match="Unknown kind"):
        pat.intel.add("boat", child.id, "2/B/P", text="A boat")
    pat.close()


def test_submission_pdf_says_intelligence_not_evidence_on_every_page(
        iv: Vault, tmp_path: Path) -> None:
    pat = iv.login("pat")
    child = pat.children.create("Hana Test", "2012-02-02")
    ids = [pat.intel.add("person", child.id, "2/B/P", text="Older male waiting outside "
                         "school. " * 40, details=PERSON).id for _ in range(3)]
    out = tmp_path / "submission.pdf"
    sub = pat.intel.submit_pdf(ids, out)
    pages = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                           text=True, check=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 2
    for page in pages:
        assert "INTELLIGENCE, NOT EVIDENCE" in page
    whole = "\n".join(pages)
    for words in ("Source evaluation", "Intelligence assessment", "Handling code",
                  "Hana Test", sub.reference, "untested",
                  "corroborated"):
        assert words in whole
    assert [s.reference for s in pat.intel.submissions()] == [sub.reference]
    assert _audit(pat, "intel_submit")[0][2]["persons"] == ids
    pat.close()
