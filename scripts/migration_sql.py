"""Print one Alembic revision's SQL for another database (offline: no driver, no server).

For checking that a revision runs on PostgreSQL, as the team server needs:

    .venv/bin/python scripts/migration_sql.py 0006 > up.sql
    psql -v ON_ERROR_STOP=1 -d scratch -f prerequisites.sql -f up.sql

(``prerequisites.sql`` makes the tables the revision refers to.) ``--downgrade`` prints the
way back, ``--dialect`` names another SQLAlchemy dialect.
"""

from __future__ import annotations

import argparse
import importlib
import io
import pkgutil
import sys

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

import riskscreen.store.migrations.versions as versions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="revision id, for example 0006")
    parser.add_argument("--dialect", default="postgresql")
    parser.add_argument("--downgrade", action="store_true")
    args = parser.parse_args(argv)
    names = [m.name for m in pkgutil.iter_modules(versions.__path__)
             if m.name.startswith(f"{args.revision}_")]
    if len(names) != 1:
        print(f"migration_sql: no single revision '{args.revision}'", file=sys.stderr)
        return 2
    module = importlib.import_module(f"{versions.__name__}.{names[0]}")
    out = io.StringIO()
    context = MigrationContext.configure(dialect_name=args.dialect,
                                         opts={"as_sql": True, "output_buffer": out})
    with Operations.context(context):
        (module.downgrade if args.downgrade else module.upgrade)()
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
