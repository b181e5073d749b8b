"""Demonstration intelligence: a few fictional persons of concern, places, vehicles and
online accounts linked to the demo children, so the links and the problem profile have
something to show.

Everything here is invented. Phone numbers are in the range Ofcom keeps for drama
(07700 900000 to 900999); registrations and handles are made up. Each practitioner records
items about their own children, as they would; the same phone number, car or address
recorded by two practitioners is what links their children.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from riskscreen.services.session import Session
from riskscreen.services.types import Role
from riskscreen.store.db import translate_errors
from riskscreen.store.models import Screening, User

if TYPE_CHECKING:
    from riskscreen.services.demo import SignIn

__all__ = ["add_intel_demo"]

_HOTEL = {"address": "Station Hotel, 1 Mill Road", "place_type": "hotel",
          "area": "Northvale town centre"}
_TAKEAWAY = {"address": "Late Bite takeaway, 40 Market Street", "place_type": "takeaway",
             "area": "Northvale town centre"}
_PARK = {"description": "Skate park behind the leisure centre", "place_type": "park",
         "area": "Eastfield"}
_PERSON = {"names": ["Kyle"], "nicknames": ["K"], "estimated_age": 24,
           "phones": ["07700 900417"], "vehicles": ["DM00 DMO"],
           "description": "Man in his twenties who gives children lifts and buys them food"}


def _children_by_practitioner(session: Session) -> dict[str, list[int]]:
    with translate_errors(), OrmSession(session.engine) as s:
        rows = s.execute(select(User.name, Screening.child_id)
                         .join(User, User.id == Screening.practitioner_id)
                         .where(User.role == Role.PRACTITIONER)
                         .order_by(Screening.child_id)).all()
    found: dict[str, list[int]] = {}
    for name, child in rows:
        if child not in found.setdefault(name, []):
            found[name].append(child)
    return found


def add_intel_demo(session: Session, passphrases: dict[str, str], *, seed: int = 0,
                   today: date | None = None, sign_in: SignIn | None = None) -> int:
    """Add the demo items through the practitioners' own sessions (signed in with
    ``sign_in``, by default to the session's database file); how many were made.
    Nothing is added unless two practitioners each have at least two children."""
    from riskscreen.services.demo import file_sign_in

    sign_in = sign_in or file_sign_in(session.db_path)

    today = today or date.today()
    rng = random.Random(seed * 11 + 20)  # noqa: S311 - invented demo data, not security
    children = {n: c for n, c in _children_by_practitioner(session).items()
                if len(c) >= 2 and n in passphrases}
    if len(children) < 2:
        return 0
    (first, mine), (second, theirs) = sorted(children.items())[:2]
    picked_a = rng.sample(mine, min(3, len(mine)))
    picked_b = rng.sample(theirs, min(3, len(theirs)))

    def day() -> date:
        return today - timedelta(days=rng.randint(3, 80))

    made = 0

    def add(user: Session, kind: str, child: int, grade: str, **kw: Any) -> int:
        nonlocal made
        made += 1
        return user.intel.add(kind, child, grade, seen_on=day(), **kw).id

    with sign_in(first, passphrases[first]) as a:
        person = add(a, "person", picked_a[0], "2/B/P", details=_PERSON,
                     text="Picks the child up after school in a silver car; the child calls "
                          "him K.", source="The child's friend, told a teacher")
        a.intel.link(person, picked_a[1], source="The child, in a return home interview",
                     seen_on=day())
        hotel = add(a, "place", picked_a[0], "2/C/P", details=_HOTEL,
                    text="The child said she was taken to a room here.",
                    source="The child, in a return home interview")
        a.intel.link(hotel, picked_a[-1], source="Police missing-person report", seen_on=day())
        add(a, "place", picked_a[1], "1/A/C", details=_TAKEAWAY,
            text="Children are given free food here and asked to run errands.",
            source="Youth worker, seen directly",
            handling_conditions="Police only: an operation is under way at this address.")
        add(a, "vehicle", picked_a[1], "C/3/2", allow_legacy=True,
            details={"registration": "DM00 DMO", "make": "Ford", "colour": "silver"},
            text="Older record, graded on the 5x5x5 model before the change.",
            source="School staff")
    with sign_in(second, passphrases[second]) as b:
        add(b, "person", picked_b[0], "3/C/P",
            details={"nicknames": ["K"], "phones": ["+44 7700 900417"],
                     "handles": ["@k_demo_99"]},
            text="Messages the child late at night and offers lifts.",
            source="The child's parent")
        add(b, "online", picked_b[0], "2/B/P",
            details={"platform": "a photo-sharing app", "handle": "k_demo_99"},
            text="Account that sent the child gifts and asked to meet.",
            source="The child showed a worker the messages")
        add(b, "place", picked_b[1], "2/C/P",
            details={"address": "station hotel 1 mill rd", "area": "Northvale Town Centre"},
            text="The child was found here after being missing overnight.",
            source="Police missing-person report")
        park = add(b, "place", picked_b[-1], "3/D/P", details=_PARK,
                   text="Groups of older young people meet children here in the evenings.",
                   source="Anonymous call to the school")
        b.intel.link(park, picked_b[0], source="The child's friend", seen_on=day())
    return made
