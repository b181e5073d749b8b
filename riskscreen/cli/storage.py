"""``riskscreen init | demo | verify | backup | restore | recover``: the encrypted database.

Passphrases never go on the command line: they are asked for without echo on a terminal, or
read from the first line of ``--passphrase-file`` in scripts.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def _common(p: argparse.ArgumentParser, *, user: bool = True) -> None:
    p.add_argument("--db", metavar="PATH|URL",
                   help="the database file, or a team server's postgresql://HOST/DATABASE "
                        "(default: $RISKSCREEN_DB, else riskscreen.db in the user's data "
                        "folder)")
    p.add_argument("--db-ca", type=Path, metavar="FILE",
                   help="a team server's certificate authority (default: $RISKSCREEN_DB_CA, "
                        "else the URL's sslrootcert, else ~/.postgresql/root.crt)")
    p.add_argument("--passphrase-file", type=Path, metavar="FILE",
                   help="read the passphrase from the first line of FILE (for scripts)")
    if user:
        p.add_argument("--user", metavar="NAME",
                       help="account name (default: $RISKSCREEN_USER, else asked for)")


def register(subparsers: Any) -> None:
    """Add the storage commands to the command line."""
    p = subparsers.add_parser(
        "init", help="create the encrypted database and its administrator account",
        description="Create a new encrypted database with an administrator account. The "
                    "recovery key is printed once: print or write it down and keep it safe.")
    _common(p, user=False)
    p.add_argument("--user", default="admin", metavar="NAME",
                   help="the administrator's account name (default: admin)")
    p.set_defaults(func=_init)

    d = subparsers.add_parser(
        "demo", help="create a demonstration database of synthetic screenings",
        description="Create a new database of N synthetic screenings (nobody in it is "
                    "real). Accounts: admin / 'demo admin passphrase', manager / 'demo "
                    "manager passphrase', pat / 'demo practitioner pat', sam / 'demo "
                    "practitioner sam', ana (analyst) / 'demo analyst passphrase', and "
                    "for the agreement exercise alex / 'demo practitioner alex' and jo / "
                    "'demo practitioner jo'. Never put real data in a demo database.")
    d.add_argument("--db", metavar="PATH|URL", required=True,
                   help="where to create the demo database: a new file, or an empty "
                        "database on a team server (postgresql://HOST/DATABASE)")
    d.add_argument("--db-ca", type=Path, metavar="FILE",
                   help="a team server's certificate authority (as for the other commands)")
    d.add_argument("--count", type=int, default=1000, metavar="N",
                   help="number of screenings (default 1000)")
    d.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    d.set_defaults(func=_demo)

    v = subparsers.add_parser(
        "verify", help="check pages, the audit chain and every finalised screening",
        description="Check every database page, the audit hash chain, and re-score every "
                    "finalised screening with its recorded model, comparing with its snapshot. "
                    "Exits 1 on any problem. Needs a manager or administrator account.")
    _common(v)
    v.add_argument("--no-rescore", action="store_true", help="skip re-scoring")
    v.set_defaults(func=_verify)

    b = subparsers.add_parser(
        "backup", help="write an encrypted backup (with its key file) to DEST",
        description="Copy the database, still encrypted, to DEST with its key file beside "
                    "it (DEST.keys.json). Needs an administrator account.")
    _common(b)
    b.add_argument("dest", type=Path, metavar="DEST")
    b.set_defaults(func=_backup)

    r = subparsers.add_parser(
        "restore", help="replace the database with a checked backup",
        description="Check the backup SRC, then put it in place of the database. The current "
                    "database is kept beside it (.before-restore-..., with its key file). "
                    "Needs an administrator account active in the current database; refused "
                    "while RiskScreen has the database open anywhere else.")
    _common(r)
    r.add_argument("source", type=Path, metavar="SRC")
    r.set_defaults(func=_restore)

    c = subparsers.add_parser(
        "recover", help="set a new passphrase for an account with the recovery key",
        description="Unlock with the recovery key printed when the database was created and "
                    "give the account a new passphrase. Every other account keeps its "
                    "passphrase. The recovery key and the new passphrase are asked for "
                    "without echo, or read from the first line of --recovery-key-file and "
                    "--passphrase-file (the new passphrase).")
    _common(c)
    c.add_argument("--recovery-key-file", type=Path, metavar="FILE",
                   help="read the recovery key from the first line of FILE (for scripts)")
    c.set_defaults(func=_recover)


# -- helpers ----------------------------------------------------------------------------------


class _UsageError(Exception):
    pass


def _db(args: argparse.Namespace) -> Path:
    from riskscreen.services import default_db_path

    return Path(args.db) if args.db else default_db_path()


def _location(args: argparse.Namespace) -> Any:
    """``--db`` (or ``$RISKSCREEN_DB``) as a file path or a team server's location."""
    from riskscreen.store.backend import is_server_url, parse_location

    value = args.db or os.environ.get("RISKSCREEN_DB")
    if value and is_server_url(str(value)):
        return parse_location(str(value))
    return _db(args)


def _unlocker(args: argparse.Namespace) -> Any:
    """The unlocker of the database ``--db`` names: a file's, or a team server's (with the
    server's password from the keyring, else asked for on a terminal)."""
    from riskscreen.services import Unlocker
    from riskscreen.services.server import ServerUnlocker
    from riskscreen.store.backend import password_for

    location = _location(args)
    if isinstance(location, Path):
        return Unlocker(location, auto_backups=False)
    password = password_for(location, getpass.getpass if _interactive() else None)
    return ServerUnlocker(location, password=password, ca_file=getattr(args, "db_ca", None))


def _interactive() -> bool:
    return sys.stdin.isatty()


def _passphrase(args: argparse.Namespace, prompt: str = "Passphrase: ",
                confirm: bool = False) -> str:
    if args.passphrase_file:
        try:
            text = Path(args.passphrase_file).read_text(encoding="utf-8")
        except OSError as error:
            raise _UsageError(f"cannot read the passphrase file ({error.strerror})") from None
        lines = text.splitlines()
        if not lines or not lines[0]:
            raise _UsageError("the passphrase file is empty")
        return lines[0]
    if not _interactive():
        raise _UsageError("no terminal to ask for the passphrase: give --passphrase-file")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again, to confirm: ") != first:
        raise _UsageError("the two passphrases differ")
    return first


def _first_line(path: Path, what: str) -> str:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise _UsageError(f"cannot read the {what} file ({error.strerror})") from None
    except UnicodeDecodeError:
        raise _UsageError(f"the {what} file is not text") from None
    if not lines or not lines[0].strip():
        raise _UsageError(f"the {what} file is empty")
    return lines[0]


def _user(args: argparse.Namespace) -> str:
    name = args.user or os.environ.get("RISKSCREEN_USER")
    if name:
        return str(name)
    if not _interactive():
        raise _UsageError("give the account name with --user")
    return input("Account: ").strip()


def _run(func: Any, args: argparse.Namespace) -> int:
    from riskscreen.services import USER_ERRORS

    try:
        code: int = func(args)
    except _UsageError as error:
        print(f"riskscreen {args.command_name}: {error}", file=sys.stderr)
        return 2
    except USER_ERRORS as error:
        print(f"riskscreen {args.command_name}: {error}", file=sys.stderr)
        return 1
    return code


def _named(name: str, body: Any) -> Any:
    """A sub-command's function: ``body`` run by :func:`_run`, its errors said as
    ``riskscreen NAME: ...``."""
    def run(args: argparse.Namespace) -> int:
        args.command_name = name
        return _run(body, args)

    return run


def _progress(label: str) -> Any:
    def show(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{label}: {done}/{total}", end="" if done < total else "\n",
                  file=sys.stderr, flush=True)

    return show


# -- commands ---------------------------------------------------------------------------------


def _init(args: argparse.Namespace) -> int:
    args.command_name = "init"
    return _run(_do_init, args)


def _do_init(args: argparse.Namespace) -> int:
    from riskscreen.services import create_database

    db = _db(args)
    passphrase = _passphrase(args, f"Passphrase for the administrator '{args.user}': ",
                             confirm=True)
    print("Tuning the key derivation for this computer ...", file=sys.stderr)
    session, recovery = create_database(db, args.user, passphrase)
    session.close()
    print(f"Created the encrypted database {db}")
    print(f"Administrator account: {args.user}")
    print()
    print("RECOVERY KEY (shown only now; print it or write it down and keep it locked away;")
    print("it opens the database if every passphrase is forgotten or the key file is lost):")
    print()
    print(f"    {recovery}")
    print()
    return 0


def _demo(args: argparse.Namespace) -> int:
    args.command_name = "demo"
    return _run(_do_demo, args)


def _do_demo(args: argparse.Namespace) -> int:
    from riskscreen.services.demo import create_demo_database

    if args.count < 0:
        raise _UsageError("--count must be 0 or more")
    location = _location(args)
    if isinstance(location, Path):
        session = create_demo_database(location, args.count, seed=args.seed,
                                       progress=_progress("screenings"))
    else:
        from riskscreen.store.backend import password_for

        password = password_for(location, getpass.getpass if _interactive() else None)
        session = create_demo_database(location, args.count, seed=args.seed,
                                       progress=_progress("screenings"), password=password,
                                       ca_file=args.db_ca)
    session.close()
    print(f"Created the demo database {args.db} with {args.count} synthetic screenings.")
    print("Accounts: admin, manager, pat, sam, ana, alex, jo (passphrases: riskscreen demo "
          "--help).")
    return 0


def _verify(args: argparse.Namespace) -> int:
    args.command_name = "verify"
    return _run(_do_verify, args)


def _do_verify(args: argparse.Namespace) -> int:
    unlocker = _unlocker(args)
    user, passphrase = _user(args), _passphrase(args)
    # A server's pages are its administrators' to check (pg_amcheck, checksums).
    problems = [] if getattr(unlocker, "on_server", False) else unlocker.check_file(
        user, passphrase)
    if problems:
        print("DAMAGED: the database failed its page or structure check:")
        for problem in problems[:20]:
            print(f"  {problem}")
        print("Restore the newest backup: riskscreen restore "
              f"{unlocker.db_path.parent / 'backups'}/auto-<newest date>.db")
        return 1
    if not getattr(unlocker, "on_server", False):
        print("pages and structure: ok", flush=True)
    with unlocker.unlock(user, passphrase) as session:
        report = session.maintenance.verify(rescore=not args.no_rescore,
                                            progress=_progress("re-scored"))
    if report.audit_problems:
        print(f"audit chain: {len(report.audit_problems)} problem(s)")
        for problem in report.audit_problems[:20]:
            print(f"  {problem}")
    else:
        print(f"audit chain: ok ({report.audit_entries} entries, head {report.audit_head})")
    if report.record_problems:
        print(f"records: {len(report.record_problems)} problem(s): finalised records were "
              "changed outside RiskScreen")
        for problem in report.record_problems[:20]:
            print(f"  {problem}")
    else:
        print("records: ok (levels, finalised answers and snapshots agree with the audit "
              "log; the immutability triggers are in place)")
    if not args.no_rescore:
        if report.rescore_differences:
            print(f"re-scoring: {len(report.rescore_differences)} of {report.rescored} "
                  "finalised screenings differ from their snapshot")
            for difference in report.rescore_differences[:20]:
                print(f"  {difference}")
        else:
            print(f"re-scoring: ok ({report.rescored} finalised screenings reproduce their "
                  "snapshots exactly)")
    return 0 if report.ok else 1


def _backup(args: argparse.Namespace) -> int:
    args.command_name = "backup"
    return _run(_do_backup, args)


def _do_backup(args: argparse.Namespace) -> int:
    unlocker = _unlocker(args)
    with unlocker.unlock(_user(args), _passphrase(args)) as session:
        path = session.maintenance.backup(Path(args.dest))
    print(f"Backup written to {path} (key file: {path}.keys.json)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    args.command_name = "restore"
    return _run(_do_restore, args)


def _do_restore(args: argparse.Namespace) -> int:
    from riskscreen.services import restore_backup

    aside = restore_backup(_db(args), Path(args.source), _user(args), _passphrase(args))
    print(f"Restored {args.source}.")
    if aside is not None:
        print(f"The previous database was kept as {aside}")
    return 0


def _recover(args: argparse.Namespace) -> int:
    args.command_name = "recover"
    return _run(_do_recover, args)


def _do_recover(args: argparse.Namespace) -> int:
    from riskscreen.services import Unlocker

    unlocker = Unlocker(_db(args), auto_backups=False)
    user = _user(args)
    if args.recovery_key_file:
        recovery_key = _first_line(args.recovery_key_file, "recovery key")
    elif _interactive():
        recovery_key = getpass.getpass("Recovery key: ")
    else:
        raise _UsageError("no terminal to ask for the recovery key: give --recovery-key-file")
    new = _passphrase(args, f"New passphrase for '{user}': ", confirm=True)
    unlocker.unlock_with_recovery(recovery_key, user, new).close()
    print(f"The passphrase of '{user}' has been changed with the recovery key. Every other "
          "account keeps its passphrase.")
    return 0
