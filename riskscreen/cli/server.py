"""``riskscreen server init | migrate | password | try``: a team's database on PostgreSQL.

``--db`` is a ``postgresql://HOST/DATABASE`` URL (TLS with ``sslmode=verify-full`` unless
it names a Unix socket: ``postgresql:///DATABASE?host=/socket/dir``). The server's password
is never on the command line: it comes from the keyring (``server password`` stores it) or is
asked for on a terminal.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from pathlib import Path
from typing import Any

from riskscreen.cli.storage import _interactive, _named, _passphrase, _UsageError

__all__ = ["register"]


def _server_db(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    p.add_argument("--db", required=required, metavar="URL",
                   help="the team database, postgresql://HOST/DATABASE")
    p.add_argument("--db-ca", type=Path, metavar="FILE",
                   help="the server's certificate authority (default: $RISKSCREEN_DB_CA, "
                        "else the URL's sslrootcert, else ~/.postgresql/root.crt)")


def register(subparsers: Any) -> None:
    """Add the team-server commands to the command line."""
    p = subparsers.add_parser(
        "server", help="a team's shared database on PostgreSQL",
        description="Create, upgrade and try out a team's shared database on PostgreSQL 15 "
                    "or later (see docs/it/team-server.md).")
    commands = p.add_subparsers(title="server commands", metavar="COMMAND", required=True)

    i = commands.add_parser(
        "init", help="create the schema and the first administrator",
        description="Create RiskScreen's tables in an empty PostgreSQL database and its first "
                    "administrator account.")
    _server_db(i)
    i.add_argument("--user", default="admin", metavar="ADMIN",
                   help="the administrator's account name (default: admin)")
    i.add_argument("--passphrase-file", type=Path, metavar="FILE",
                   help="read the administrator's passphrase from the first line of FILE")
    i.set_defaults(func=_named("server init", _init))

    m = commands.add_parser(
        "migrate", help="upgrade the schema to this release's",
        description="Upgrade the team database to this release's schema, in one transaction. "
                    "Take a pg_dump first, and ask everyone to sign out.")
    _server_db(m)
    m.set_defaults(func=_named("server migrate", _migrate))

    w = commands.add_parser(
        "password", help="keep the database password in this computer's keyring",
        description="Ask for the password of the database account in the URL and keep it "
                    "in the operating system's keyring, so RiskScreen does not ask each time.")
    _server_db(w)
    w.add_argument("--forget", action="store_true", help="remove it from the keyring instead")
    w.set_defaults(func=_named("server password", _password))

    t = commands.add_parser(
        "try", help="start a local team server to try RiskScreen on PostgreSQL",
        description="Start a PostgreSQL server of your own in FOLDER (made on first use, "
                    "with a database 'riskscreen' and an administrator), print how to "
                    "connect, and keep it running until Ctrl+C. For trying it out only: "
                    "never put real data in it.")
    t.add_argument("--folder", type=Path, metavar="FOLDER",
                   help="where the server keeps its files (default: team-server in the "
                        "user's data folder)")
    t.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    t.add_argument("--user", default="admin", metavar="ADMIN",
                   help="the administrator's account name (default: admin)")
    t.add_argument("--passphrase-file", type=Path, metavar="FILE",
                   help="the administrator's passphrase, the first time")
    t.set_defaults(func=_named("server try", _try))


def _location(args: argparse.Namespace) -> Any:
    from riskscreen.store.backend import ServerLocation, parse_location

    location = parse_location(args.db)
    if not isinstance(location, ServerLocation):
        raise _UsageError("give the team database as a postgresql://HOST/DATABASE URL "
                          "(a file is made with 'riskscreen init')")
    return location


def _server_password(location: Any) -> str | None:
    from riskscreen.store.backend import password_for

    return password_for(location, getpass.getpass if _interactive() else None)


def _init(args: argparse.Namespace) -> int:
    from riskscreen.services.server import create_server_database

    location = _location(args)
    password = _server_password(location)
    passphrase = _passphrase(args, f"Passphrase for the administrator '{args.user}': ",
                             confirm=True)
    print("Tuning the key derivation for this computer ...", file=sys.stderr)
    create_server_database(location, args.user, passphrase, password=password,
                           ca_file=args.db_ca).close()
    print(f"Created the RiskScreen schema in {location.display()}")
    print(f"Administrator account: {args.user}")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from riskscreen.services.server import migrate_server

    location = _location(args)
    before, after = migrate_server(location, password=_server_password(location),
                                   ca_file=args.db_ca)
    if before == after:
        print(f"{location.display()} is already at revision {after}; nothing to do.")
    else:
        print(f"Upgraded {location.display()} from revision {before} to {after}.")
    return 0


def _password(args: argparse.Namespace) -> int:
    from riskscreen.store.backend import forget_password, remember_password

    location = _location(args)
    if args.forget:
        forget_password(location)
        print(f"Removed the password for {location.keyring_name()} from the keyring.")
        return 0
    if location.uses_socket:
        raise _UsageError("a Unix-socket connection needs no password")
    if not _interactive():
        raise _UsageError("no terminal to ask for the password")
    remember_password(location, getpass.getpass(
        f"Password of the database account {location.keyring_name()}: "))
    print(f"Kept the password for {location.keyring_name()} in the keyring.")
    return 0


def _try_folder(data_dir: str) -> Path:
    """Where ``server try`` keeps its server: in the user's data folder, or as root (when
    the server runs as the postgres account) in that account's home."""
    if os.geteuid() == 0:
        import pwd

        return Path(pwd.getpwnam("postgres").pw_dir) / "riskscreen-team-server"
    return Path(data_dir) / "team-server"


def _try(args: argparse.Namespace) -> int:
    from platformdirs import user_data_dir

    from riskscreen.services.server import create_server_database
    from riskscreen.store.backend import parse_location
    from riskscreen.store.local_server import LocalServer, ServerNotInstalled

    folder = args.folder or _try_folder(user_data_dir("riskscreen", appauthor=False))
    try:
        server = LocalServer(folder, port=args.port)
        server.start()
    except (ServerNotInstalled, RuntimeError) as error:
        raise _UsageError(str(error)) from None
    try:
        url = server.socket_url("riskscreen")
        if server.psql("SELECT 1 FROM pg_database WHERE datname = 'riskscreen'") != "1":
            server.psql("CREATE DATABASE riskscreen")
            passphrase = _passphrase(
                args, f"Passphrase for the administrator '{args.user}': ", confirm=True)
            create_server_database(parse_location(url), args.user,  # type: ignore[arg-type]
                                   passphrase).close()
            print(f"Created the team database with the administrator '{args.user}'.")
        print(f"Team server running (PostgreSQL {server.psql('SHOW server_version')}), "
              f"files in {server.folder}.")
        print("Use it from this computer with any command, for example:")
        print(f"    riskscreen verify --db '{url}' --user {args.user}")
        print(f"or open it in the desktop application: riskscreen --db '{url}'")
        print(f"or set RISKSCREEN_DB='{url}'. Over TCP (TLS) it is "
              f"{server.tls_url('riskscreen', 'USER')} with --db-ca {server.ca_file}.")
        print("Press Ctrl+C to stop it.", flush=True)
        if os.environ.get("RISKSCREEN_SERVER_TRY_ONCE"):  # the tests: start, say, stop
            return 0
        while True:  # until Ctrl+C (or a terminate signal, which main turns into an error)
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        print("Team server stopped.", file=sys.stderr)
    return 0

