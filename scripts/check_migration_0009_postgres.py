"""Run revision 0009 on PostgreSQL over real rows copied from a RiskScreen database.

The earlier revisions use SQLite triggers, so the 0008 schema is made from the models (less
the 0009 tables and column) and stamped 0008; then 0009 runs through Alembic exactly as in
the application, and its review dates are compared with the SQLite database's.

    python scripts/check_migration_0009_postgres.py DEMO.db ACCOUNT PASSPHRASE \\
        postgresql+psycopg://postgres@/riskscreen?host=/tmp/pg&port=5432

Needs a PostgreSQL 15 server, an empty database and the psycopg driver (not a dependency
of RiskScreen).
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

from riskscreen.services import Unlocker
from riskscreen.store.models import Base
from riskscreen.store.schema import upgrade

_COPIED = ("users", "children", "scoring_models", "forms", "instruments", "record_dictionaries",
           "screenings", "assessments")
_NEW = ("screening_reviews", "carried_answers", "missing_episodes")


def main(db: str, account: str, passphrase: str, url: str) -> int:
    pg = create_engine(url)
    tables = [t for name, t in Base.metadata.tables.items() if name not in _NEW]
    Base.metadata.create_all(pg, tables=tables)
    with pg.begin() as conn:
        conn.execute(text("ALTER TABLE screenings DROP COLUMN rescreen_of"))
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL "
                          "PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0008')"))
    with Unlocker(Path(db), auto_backups=False).unlock(account, passphrase) as session, \
            session.engine.connect() as source, pg.begin() as target:
        for name in _COPIED:
            table = Base.metadata.tables[name]
            columns = [c for c in table.columns if c.name != "rescreen_of"]
            rows = [dict(r._mapping) for r in source.execute(select(*columns))]
            if rows:  # the rows name their columns, so rescreen_of is left out
                target.execute(insert(table), rows)
        expected: dict[int, str] = dict(source.execute(text(
            "SELECT screening_id, review_date FROM screening_reviews")).all())
    upgrade(pg)
    with pg.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        got: dict[int, str] = dict(conn.execute(text(
            "SELECT screening_id, review_date FROM screening_reviews")).all())
        names = [str(r[0]) for r in conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'missing_episodes' ORDER BY ordinal_position"))]
    print(f"PostgreSQL at revision {version}; missing_episodes columns: {', '.join(names)}")
    print(f"review dates filled in: {len(got)}; equal to SQLite's: {got == expected}")
    return 0 if got == expected and got else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
