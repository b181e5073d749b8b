"""Which children a practitioner works with: those they recorded or screened, found with one
list of their screenings rather than a look through all of them for every child."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from riskscreen.services.followup_base import own_children
from riskscreen.store.models import Child

from ..conftest import Vault


@pytest.fixture
def vault(backend_vault: Vault) -> Vault:
    """This module's tests run on both backends (see tests/conftest.py)."""
    return backend_vault


def test_a_practitioner_works_with_the_children_they_recorded_or_screened(vault: Vault) -> None:
    with vault.login("mary") as mary:  # a manager records a child a practitioner screens
        screened_by_pat = mary.children.create("Screened Child").id
        nobodys = mary.children.create("Another Team's Child").id
    with vault.login("pat") as pat:
        recorded = pat.children.create("Recorded Child").id
        pat.screenings.start(screened_by_pat)
        query = select(Child.id).where(own_children(pat.user)).order_by(Child.id)
        with pat.engine.connect() as conn:
            found = list(conn.execute(query).scalars())
            compiled = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
            if vault.backend == "sqlite":
                plan = " / ".join(str(r[3]) for r in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + compiled))
            else:
                plan = " / ".join(str(r[0]) for r in conn.exec_driver_sql(
                    "EXPLAIN " + compiled))
    assert found == sorted([recorded, screened_by_pat])
    assert nobodys not in found
    # The screenings are read once (a list, or a hashed subplan on PostgreSQL), never once
    # per child (a correlated subquery, which took minutes over 20,000 children).
    if vault.backend == "sqlite":
        assert "LIST SUBQUERY" in plan, plan
        assert "CORRELATED" not in plan, plan
    else:
        assert "hashed SubPlan" in plan, plan
