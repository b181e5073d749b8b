"""The team's shared database on a real PostgreSQL server (the run's throwaway one): accounts,
no lost update, several processes saving at once, TLS, the keyring, and the commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from riskscreen.cli.main import main
from riskscreen.services import StaleDraft, WrongPassphrase
from riskscreen.store.backend import (
    ServerLocation,
    ServerRefused,
    parse_location,
    password_for,
    remember_password,
    server_engine,
)
from riskscreen.store.db import StorageError

from ..conftest import PASSPHRASES, ROOT, Vault, save_answers


def _location(url: str) -> ServerLocation:
    found = parse_location(url)
    assert isinstance(found, ServerLocation)
    return found


def _answer_set(seed: int) -> Any:
    from riskscreen.forms.loader import load_form
    from riskscreen.synthetic import generate_answer_sets

    return generate_answer_sets(load_form("cse-screening"), 1, seed)[0]


def test_accounts_sign_in_change_passphrase_and_are_disabled_on_both_backends(backend_vault: Vault,
                                                     backend: str) -> None:
    vault = backend_vault
    with pytest.raises(WrongPassphrase):
        vault.unlocker().unlock("pat", "not the passphrase")
    assert vault.unlocker().delay("pat") == 1.0  # the next wrong one waits
    with vault.login("pat") as pat:
        pat.accounts.change_passphrase(PASSPHRASES["pat"], "a new passphrase for pat")
    with pytest.raises(WrongPassphrase):
        vault.unlocker().unlock("pat", PASSPHRASES["pat"])
    vault.unlocker().unlock("pat", "a new passphrase for pat").close()
    with vault.login("admin") as admin:
        admin.accounts.disable("paula")
        entries = [e.action for e in admin.audit.entries(action="login_failed")]
    assert len(entries) == 2  # both failures reached the audit log at the next sign-in
    with pytest.raises(WrongPassphrase):
        vault.login("paula")
    if backend == "postgresql":
        with server_engine(vault.server).connect() as conn:  # type: ignore[arg-type]
            kept = conn.execute(text("SELECT count(*) FROM server_passphrases sp JOIN users "
                                     "u ON u.id = sp.user_id WHERE u.name = 'paula'"))
            assert kept.scalar_one() == 0  # a disabled account's verifier is gone


def test_an_edit_from_an_out_of_date_copy_is_refused_and_reloaded(backend_vault: Vault
                                                                  ) -> None:
    """The same practitioner on two computers: the second save from the older copy would
    overwrite the first; it is refused, nothing is written, and the screening is reloaded."""
    vault = backend_vault
    with vault.login("pat") as laptop, vault.login("pat") as desktop:
        sid = laptop.screenings.start(laptop.children.create("Shared Child", "2011-04-05").id)
        seen_on_laptop = laptop.screenings.open(sid).version
        seen_on_desktop = desktop.screenings.open(sid).version
        assert seen_on_laptop == seen_on_desktop
        saved = desktop.screenings.save_answer(sid, "ethnicity", "first",
                                               expected_version=seen_on_desktop)
        assert saved == seen_on_desktop + 1
        with pytest.raises(StaleDraft, match="NOT saved") as refused:
            laptop.screenings.save_answer(sid, "ethnicity", "second",
                                          expected_version=seen_on_laptop)
        reloaded = refused.value.reloaded
        assert reloaded.version == saved
        assert reloaded.answers["ethnicity"].value == "first"
        assert laptop.screenings.open(sid).answers["ethnicity"].value == "first"
        # From the reloaded copy the edit goes through.
        assert laptop.screenings.save_answer(sid, "ethnicity", "second",
                                             expected_version=reloaded.version) == saved + 1


_WORKER = """
import sys
from riskscreen.services.server import ServerUnlocker
from riskscreen.store.backend import parse_location
url, state, name, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
from pathlib import Path
with ServerUnlocker(parse_location(url), state_dir=Path(state)).unlock(
        name, sys.argv[5]) as session:
    child = session.children.create(f"Child of {name}", "2011-04-05")
    sid = session.screenings.start(child.id)
    version = session.screenings.open(sid).version
    for i in range(n):
        version = session.screenings.save_answer(sid, "ethnicity", f"text {i}",
                                                 expected_version=version)
print(sid)
"""


def test_several_processes_saving_at_once_lose_nothing_and_the_chain_verifies(
        pg_databases: Any, tmp_path: Path) -> None:
    vault = pg_databases.vault(tmp_path / "data" / "riskscreen.db", ("mary",))
    workers, saves = 4, 25
    with vault.login("admin") as admin:
        for n in range(workers):
            admin.accounts.create(f"worker{n}", "practitioner", f"worker passphrase {n}")
    assert vault.server is not None
    url = vault.server.url.render_as_string(hide_password=False).replace(
        "postgresql+psycopg", "postgresql")
    procs = [subprocess.Popen(
        [sys.executable, "-c", _WORKER, url, str(tmp_path / f"state{n}"), f"worker{n}",
         str(saves), f"worker passphrase {n}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True) for n in range(workers)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * workers, [r[1][-800:] for r in results]
    with vault.login("mary") as mary:
        report = mary.maintenance.verify()
        details = [mary.screenings.open(int(r[0])) for r in results]
    assert report.ok, report
    assert report.audit_problems == []
    assert all(d.version == 1 + saves for d in details)
    with server_engine(vault.server).connect() as conn:
        edits = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'edit'"))
        assert edits.scalar_one() == workers * saves


def test_init_migrate_and_verify_commands(pg_databases: Any, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    url = pg_databases.server.socket_url(pg_databases.fresh(empty=True).database)
    phrase = tmp_path / "admin.txt"
    phrase.write_text(PASSPHRASES["admin"] + "\n")
    assert main(["server", "init", "--db", url, "--user", "admin", "--passphrase-file",
                 str(phrase)]) == 0
    assert "Created the RiskScreen schema" in capsys.readouterr().out
    assert main(["server", "init", "--db", url, "--user", "admin", "--passphrase-file",
                 str(phrase)]) == 1
    assert "already holds a RiskScreen database" in capsys.readouterr().err
    assert main(["server", "migrate", "--db", url]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert main(["verify", "--db", url, "--user", "admin", "--passphrase-file",
                 str(phrase)]) == 0
    out = capsys.readouterr().out
    assert "audit chain: ok" in out
    assert "records: ok" in out
    # A database administrator drops a trigger: verify says so.
    name = _location(url).database
    pg_databases.server.psql("DROP TRIGGER audit_log_immutable ON audit_log", name)
    assert main(["verify", "--db", url, "--user", "admin", "--passphrase-file",
                 str(phrase)]) == 1
    assert "audit_log_immutable" in capsys.readouterr().out


def test_migrate_upgrades_a_server_database_at_an_older_revision(pg_databases: Any) -> None:
    from riskscreen.services.server import migrate_server
    from riskscreen.store.schema import head_revision, upgrade

    location = pg_databases.fresh(empty=True)
    engine = server_engine(location)
    try:
        upgrade(engine, "0012")
    finally:
        engine.dispose()
    assert migrate_server(location) == ("0012", head_revision())


def test_tls_is_required_and_checked_over_tcp(pg_server: Any) -> None:
    pg_server.psql("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'team') "
                   "THEN CREATE ROLE team LOGIN PASSWORD 'team password'; END IF; END $$")
    url = pg_server.tls_url("postgres", "team")
    engine = server_engine(_location(url), "team password", ca_file=pg_server.ca_file)
    try:
        with engine.connect() as conn:
            assert conn.execute(text(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).scalar_one()
    finally:
        engine.dispose()
    from riskscreen.store.db import translate_errors

    engine = server_engine(_location(url), "not the password", ca_file=pg_server.ca_file)
    try:
        with pytest.raises(ServerRefused, match="refused the database account's password"), \
                translate_errors(), engine.connect():
            pass
    finally:
        engine.dispose()
    with pytest.raises(StorageError, match="sslmode=require is refused"):
        server_engine(_location(url + "?sslmode=require"), "team password")
    with pytest.raises(StorageError, match="Leave the password out"):
        parse_location("postgresql://team:secret@localhost/postgres")
    # Another CA: the server's certificate does not verify, and nothing is sent.
    other = Path(tempfile.mkdtemp()) / "other"
    from riskscreen.store.local_server import _write_certificates

    other.mkdir()
    _write_certificates(other)
    engine = server_engine(_location(url), "team password", ca_file=other / "ca.crt")
    try:
        with pytest.raises(StorageError, match="certificate could not be checked"), \
                translate_errors(), engine.connect():
            pass
    finally:
        engine.dispose()
        shutil.rmtree(other.parent)


def test_the_password_comes_from_the_keyring(pg_server: Any) -> None:
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.kept: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.kept.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.kept[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.kept.pop((service, username), None)

    before = keyring.get_keyring()
    memory = Memory()
    keyring.set_keyring(memory)
    try:
        location = _location(pg_server.tls_url("postgres", "team"))
        assert password_for(location) is None
        remember_password(location, "team password")
        assert password_for(location) == "team password"
        assert list(memory.kept) == [("riskscreen-team-server",
                                      f"team@localhost:{pg_server.port}/postgres")]
        socket = _location(pg_server.socket_url("postgres"))
        assert password_for(socket, ask=lambda prompt: "never asked") is None
    finally:
        keyring.set_keyring(before)


def test_server_try_starts_a_server_with_a_team_database() -> None:
    folder = Path(tempfile.mkdtemp(prefix="riskscreen-try-"))
    folder.chmod(0o711)  # as root the server runs as the postgres account
    phrase = folder / "admin.txt"
    phrase.write_text(PASSPHRASES["admin"] + "\n")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "riskscreen", "server", "try", "--folder",
             str(folder / "server"), "--passphrase-file", str(phrase)], cwd=ROOT,
            capture_output=True, text=True, timeout=240,
            env={**os.environ, "RISKSCREEN_SERVER_TRY_ONCE": "1",
                 "XDG_STATE_HOME": str(folder / "state")}, check=False)
        assert done.returncode == 0, done.stderr[-800:]
        assert "Team server running" in done.stdout
        assert "riskscreen verify --db 'postgresql://" in done.stdout
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_answers_saved_on_the_server_score_as_on_a_laptop(backend_vault: Vault) -> None:
    answer_set = _answer_set(5)
    with backend_vault.login("pat") as pat:
        sid = pat.screenings.start(pat.children.create("Scored Child", "2011-04-05").id,
                                   screening_date=answer_set.screening_date)
        save_answers(pat, sid, answer_set.answers)
        level = pat.screenings.finalise(sid).final_level
    with backend_vault.login("mary") as mary:
        assert mary.screenings.open(sid).assessment.final_level == level  # type: ignore[union-attr]
        assert mary.maintenance.verify().ok


def test_a_field_laptops_referral_is_imported_into_the_team_server(
        pg_databases: Any, tmp_path: Path) -> None:
    """Field laptops keep their encrypted file; their referrals reach the team's server as
    exchange packages imported there."""
    from riskscreen.services.demo import create_demo_database

    from ..conftest import FAST
    from ..exchange_helpers import TEAM, finalised, login

    laptop = tmp_path / "laptop.db"
    create_demo_database(laptop, 2, seed=1, kdf=FAST).close()
    team = pg_databases.vault(tmp_path / "team" / "riskscreen.db", ("mary",))
    with login(laptop, "admin") as field, team.login("admin") as admin:
        field_cert = field.exchange.identity()
        assert field_cert is not None
        team_cert = admin.exchange.create_identity(TEAM)
        admin.exchange.install_sender(field_cert.certificate_pem.encode())
        field.exchange.install_sender(team_cert.certificate_pem.encode())
    package = tmp_path / "referral.p7m"
    with login(laptop, "manager") as field:
        rid = field.exchange.referral_of_screening(finalised(laptop))
        field.exchange.save_referral_package(rid, package, team_cert.certificate_pem.encode())
    with team.login("mary") as mary:
        imported = mary.exchange.import_package(package.read_bytes(), "new")
        assert imported.changed
        assert imported.new_child
        received = mary.exchange.received(imported.received_id)
        assert received.status == "received"
        assert mary.maintenance.verify().ok


def test_the_demo_command_fills_an_empty_team_database(pg_databases: Any, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from riskscreen.services.demo import DEMO_ACCOUNTS

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    url = pg_databases.server.socket_url(pg_databases.fresh(empty=True).database)
    assert main(["demo", "--db", url, "--count", "40"]) == 0
    assert "with 40 synthetic screenings" in capsys.readouterr().out
    phrase = tmp_path / "manager.txt"
    phrase.write_text(DEMO_ACCOUNTS["manager"][1] + "\n")
    assert main(["verify", "--db", url, "--user", "manager", "--passphrase-file",
                 str(phrase)]) == 0
    assert "records: ok" in capsys.readouterr().out
    # A second demo over the same database is refused in one line, and changes nothing.
    assert main(["demo", "--db", url, "--count", "5"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err
    assert "already holds a RiskScreen database" in err
