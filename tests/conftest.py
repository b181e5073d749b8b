"""Shared test fixtures."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests use cheap Argon2 settings (1 MiB, 1 pass) so that thousands of key derivations stay
# fast; the tests of the minimum itself remove this (and subprocesses inherit it).
os.environ.setdefault("RISKSCREEN_TEST_CHEAP_KDF", "1")

ROOT = Path(__file__).resolve().parent.parent

if TYPE_CHECKING:
    from riskscreen.crypto.keys import KdfParams
    from riskscreen.services import Session


def _fast_kdf() -> KdfParams:
    from riskscreen.crypto.keys import KdfParams

    return KdfParams(memory_cost=1024, iterations=1, lanes=1, salt=b"0" * 16)


#: Cheap key derivation (1 MiB, 1 pass) for databases made in tests; the application refuses
#: it unless ``RISKSCREEN_TEST_CHEAP_KDF`` is set, as it is above.
FAST = _fast_kdf()
#: The accounts of a test database and their passphrases.
PASSPHRASES = {"admin": "admin passphrase", "mary": "manager passphrase",
               "pat": "practitioner pass", "paula": "second practitioner"}
ROLES = {"mary": "manager", "pat": "practitioner", "paula": "practitioner"}


@dataclass
class Vault:
    """A test database (cheap key derivation) and a way to sign in to it."""

    db: Path
    recovery_key: str
    #: What the unlocker would have slept after wrong guesses (it never really sleeps).
    sleeps: list[float] = field(default_factory=list)
    #: The database on the test PostgreSQL server, when the vault is there (``db`` then
    #: names this client's files for it: the record of failed sign-ins, the audit head).
    server: ServerLocation | None = None

    @property
    def backend(self) -> str:
        """"sqlite" or "postgresql"."""
        return "sqlite" if self.server is None else "postgresql"

    def unlocker(self, *, auto_backups: bool = False) -> Any:
        """An unlocker of this database that records its sleeps instead of sleeping."""
        if self.server is not None:
            from riskscreen.services.server import ServerUnlocker

            return ServerUnlocker(self.server, sleep=self.sleeps.append,
                                  state_dir=self.db.parent)
        from riskscreen.services import Unlocker

        return Unlocker(self.db, sleep=self.sleeps.append, auto_backups=auto_backups)

    def login(self, name: str, *, auto_backups: bool = False) -> Session:
        """Sign in as one of :data:`PASSPHRASES`' accounts."""
        return self.unlocker(auto_backups=auto_backups).unlock(name, PASSPHRASES[name])


def make_vault(db: Path, users: Iterable[str] = ("mary", "pat", "paula"), *,
               models: list[Any] | None = None, server: ServerLocation | None = None) -> Vault:
    """A new database at ``db`` (or in the empty ``server`` database, with this client's
    files named after ``db``) with the administrator ``admin`` and the named accounts
    (``models=[]`` publishes no shipped model)."""
    from riskscreen.services import create_database
    from riskscreen.services.server import create_server_database

    extra = {} if models is None else {"models": models}
    if server is not None:
        db.parent.mkdir(parents=True, exist_ok=True)
        admin = create_server_database(server, "admin", PASSPHRASES["admin"], kdf=FAST,
                                       state_dir=db.parent, **extra)
        recovery = ""
    else:
        admin, recovery = create_database(db, "admin", PASSPHRASES["admin"], kdf=FAST,
                                          **extra)
    try:
        for name in users:
            admin.accounts.create(name, ROLES[name], PASSPHRASES[name])
    finally:
        admin.close()
    return Vault(db, recovery, server=server)


class VaultTemplates:
    """Test databases made once per run and copied for each test that asks for one.

    Making a database (migrations, the record-compression dictionary, the shipped models,
    one key slot per account) takes seconds; copying its files takes a millisecond. Every
    copy is a database of its own (its own files, lock and audit head); copies differ from
    each other only in never being opened together.
    """

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._made: dict[tuple[str, ...], Vault] = {}

    def copy(self, db: Path, users: Iterable[str], *, then: Callable[[Vault], None] | None = None,
             name: str = "") -> Vault:
        """A copy at ``db`` of the database with the administrator and ``users`` (and what
        ``then`` did to it, a template of its own called ``name``)."""
        key = (*users, name)
        template = self._made.get(key)
        if template is None:
            template = make_vault(self._factory.mktemp("vault") / "riskscreen.db", key[:-1])
            if then is not None:
                then(template)
            self._made[key] = template
        db.parent.mkdir(parents=True, exist_ok=True)
        for part in template.db.parent.iterdir():
            if part.is_file() and part.name.startswith(template.db.name) \
                    and not part.name.endswith(".lock"):
                shutil.copy2(part, db.parent / part.name.replace(template.db.name, db.name, 1))
        return Vault(db, template.recovery_key)


@pytest.fixture(scope="session")
def vault_templates(tmp_path_factory: pytest.TempPathFactory) -> VaultTemplates:
    """The run's template databases (see :class:`VaultTemplates`)."""
    return VaultTemplates(tmp_path_factory)


@pytest.fixture
def vault(tmp_path: Path, vault_templates: VaultTemplates) -> Vault:
    """A database with an administrator, a manager (mary) and two practitioners (pat,
    paula)."""
    return vault_templates.copy(tmp_path / "data" / "riskscreen.db", ("mary", "pat", "paula"))


@pytest.fixture
def repo_root() -> Path:
    """The source checkout's top folder."""
    return ROOT


@pytest.fixture
def form_file() -> Path:
    """The shipped questionnaire in the source tree."""
    return ROOT / "forms" / "cse-screening" / "form.yaml"


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the user's data and config folders at a temporary directory."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("RISKSCREEN_DB", raising=False)
    return tmp_path


EditRecord = Callable[[Any, int, Callable[[dict[str, Any]], None]], None]


@pytest.fixture
def edit_record() -> EditRecord:
    """Rewrite one finalised record's snapshot as someone holding the data key could:
    ``edit(conn, screening_id, change)`` applies ``change`` to the parsed snapshot and stores
    it compressed again (the caller drops the trigger that forbids it)."""
    import json

    from sqlalchemy import text

    from riskscreen.store.records import (
        compress_record,
        decompress_record,
        record_text,
        split_record,
    )

    def edit(conn: Any, screening_id: int, change: Callable[[dict[str, Any]], None]) -> None:
        did, record = conn.execute(text(
            "SELECT dictionary_id, record FROM assessments WHERE screening_id = :s"),
            {"s": screening_id}).one()
        data = bytes(conn.execute(text("SELECT data FROM record_dictionaries WHERE id = :d"),
                                  {"d": did}).scalar_one())
        snapshot, answers = split_record(decompress_record(bytes(record), data))
        parsed = json.loads(snapshot)
        change(parsed)
        new = compress_record(record_text(json.dumps(parsed, sort_keys=True,
                                                     separators=(",", ":")), answers), data)
        conn.execute(text("UPDATE assessments SET record = :r WHERE screening_id = :s"),
                     {"r": new, "s": screening_id})

    return edit


@pytest.fixture
def read_records() -> Callable[[Any], list[tuple[int, str, str]]]:
    """``read(conn)``: (screening id, snapshot text, answer set text) of every finalised
    record, in screening order."""
    from sqlalchemy import text

    from riskscreen.store.integrity import stored_record
    from riskscreen.store.records import read_dictionaries

    def read(conn: Any) -> list[tuple[int, str, str]]:
        dictionaries = read_dictionaries(conn)
        return [(int(sid), *stored_record(dictionaries, did, record)) for sid, did, record in
                conn.execute(text("SELECT screening_id, dictionary_id, record FROM "
                                  "assessments ORDER BY screening_id"))]

    return read


#: A team's own instrument, written from docs/forms.md alone (6-month windows, its own level
#: ids and kind labels), and answers to it.
TEAM_INSTRUMENT = ROOT / "tests" / "instruments" / "eastbrook-seraf"
TEAM_CASES = ROOT / "tests" / "instruments" / "eastbrook-cases"


@pytest.fixture
def team_instrument(tmp_path: Path) -> Callable[[str], Path]:
    """Copy the team's own instrument folder under ``tmp_path`` (to install, or to break)."""
    import shutil

    def make(name: str = "eastbrook") -> Path:
        dest = tmp_path / name
        shutil.copytree(TEAM_INSTRUMENT, dest)
        return dest

    return make


@pytest.fixture
def store(tmp_path: Path, vault_templates: VaultTemplates) -> Vault:
    """The storage tests' database: an administrator, a manager (mary) and a practitioner
    (pat)."""
    return vault_templates.copy(tmp_path / "data" / "riskscreen.db", ("mary", "pat"))


#: Answers the child record holds (asked when the record is made), not saved as answers.
CHILD_RECORD_ANSWERS = ("child_name", "date_of_birth")


def save_answers(session: Any, screening_id: int, answers: Mapping[str, Any]) -> None:
    """Save each answer of a case or synthetic set to a screening, except those the child
    record already holds."""
    for qid, value in answers.items():
        if qid not in CHILD_RECORD_ANSWERS:
            session.screenings.save_answer(screening_id, qid, value)


#: The golden cases: answer files and, beside each, the outcome it must give.
CASES = ROOT / "tests" / "cases"


def golden_answers(case: str) -> dict[str, Any]:
    """The answers file of a golden case (``"07-disclosure"``)."""
    import json

    loaded: dict[str, Any] = json.loads((CASES / f"{case}.json").read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class Finalised:
    """A screening finalised from a golden case: its child, its id and its assessment."""

    child: int
    screening: int
    assessment: Any


def finalise_case(session: Any, case: str, *, name: str | None = None, child: int | None = None,
                  answers: Mapping[str, Any] | None = None, screening_date: Any = None,
                  override: Any = None) -> Finalised:
    """Start, answer and finalise a screening with golden ``case``'s answers (and
    ``answers`` over them): for ``child``, or a new child called ``name`` (the case's child
    by default) born on the case's date of birth; on the case's screening date unless
    ``screening_date`` is given; with ``override``, if any."""
    from datetime import date

    data = golden_answers(case)
    given = {**data["answers"], **(answers or {})}
    if child is None:
        child = int(session.children.create(name or given["child_name"],
                                            given.get("date_of_birth")).id)
    sid = int(session.screenings.start(child, screening_date=screening_date
                                       or date.fromisoformat(data["screening_date"])))
    save_answers(session, sid, given)
    return Finalised(child, sid, session.screenings.finalise(sid, override))


def start_screening_where(session: Any, wanted: Callable[[Any], bool], what: str, *,
                          count: int, seed: int) -> int:
    """Start a screening for a new child with the first of ``count`` synthetic answer sets
    (from ``seed``) whose assessment is ``wanted``, stored with that set's date of birth and
    screening date so it scores as it did here."""
    from riskscreen.forms.loader import load_form
    from riskscreen.scoring.engine import score
    from riskscreen.scoring.loader import load_model
    from riskscreen.synthetic import generate_answer_sets

    form = load_form("cse-screening")
    model = load_model("cse-screening")
    for n, answer_set in enumerate(generate_answer_sets(form, count, seed)):
        if wanted(score(form, model, answer_set)):
            child = session.children.create(f"{what} Child {n}",
                                            answer_set.answers.get("date_of_birth"))
            sid: int = session.screenings.start(child.id,
                                                screening_date=answer_set.screening_date)
            save_answers(session, sid, answer_set.answers)
            return sid
    raise AssertionError(f"no synthetic answer set is {what}")


# -- the PostgreSQL backend --------------------------------------------------------------------

if TYPE_CHECKING:
    from riskscreen.store.backend import ServerLocation
    from riskscreen.store.local_server import LocalServer

#: Both backends, for tests parametrised over them.
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[LocalServer]:
    """A throwaway PostgreSQL server for the run (fsync off), stopped at the end.

    Made in its own folder under the system's temporary folder: as root the server runs as
    the ``postgres`` account, which cannot reach pytest's private temporary folders. Fails,
    never skips, when PostgreSQL is not installed (``.ci/run`` installs it).
    """
    import tempfile

    from riskscreen.store.local_server import LocalServer, ServerNotInstalled

    folder = Path(tempfile.mkdtemp(prefix="riskscreen-pg-"))
    try:
        server = LocalServer(folder, durable=False)
    except ServerNotInstalled as error:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(str(error))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


class PgDatabases:
    """Fresh databases on the test server, each a copy of one migrated to the head (``CREATE
    DATABASE ... TEMPLATE``: a few milliseconds instead of running every migration)."""

    TEMPLATE = "riskscreen_template"

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self._count = 0
        self._template_made = False
        self._vaults: dict[tuple[str, ...], str] = {}

    def _make_template(self) -> None:
        from riskscreen.store.backend import parse_location, server_engine
        from riskscreen.store.schema import upgrade

        self.server.psql(f"CREATE DATABASE {self.TEMPLATE}")
        location = parse_location(self.server.socket_url(self.TEMPLATE))
        assert not isinstance(location, Path)
        engine = server_engine(location)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        self._template_made = True

    def fresh(self, *, empty: bool = False, template: str | None = None) -> ServerLocation:
        """A new database (at the head of the migrations, a copy of ``template``, or with no
        tables if ``empty``)."""
        from riskscreen.store.backend import parse_location

        if not empty and template is None and not self._template_made:
            self._make_template()
        self._count += 1
        name = f"test_{os.getpid()}_{self._count}"
        source = "" if empty else f" TEMPLATE {template or self.TEMPLATE}"
        self.server.psql(f"CREATE DATABASE {name}{source}")
        location = parse_location(self.server.socket_url(name))
        assert not isinstance(location, Path)
        return location

    def vault(self, db: Path, users: Iterable[str]) -> Vault:
        """A copy of a server database with the administrator and ``users`` (made once per
        run, as :class:`VaultTemplates` does for files); ``db`` names this client's files."""
        key = tuple(users)
        name = self._vaults.get(key)
        if name is None:
            location = self.fresh(empty=True)
            make_vault(db.parent / "template" / db.name, key, server=location)
            name = self._vaults[key] = location.database
        db.parent.mkdir(parents=True, exist_ok=True)
        return Vault(db, "", server=self.fresh(template=name))


@pytest.fixture(scope="session")
def pg_databases(pg_server: LocalServer) -> PgDatabases:
    """Fresh databases on the run's PostgreSQL server."""
    return PgDatabases(pg_server)


@pytest.fixture
def pg_database(pg_databases: PgDatabases) -> ServerLocation:
    """A database of its own on the test server, migrated to the head."""
    return pg_databases.fresh()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend a parametrised test runs on: "sqlite" or "postgresql"."""
    return str(request.param)


@pytest.fixture
def backend_vault(backend: str, tmp_path: Path, vault_templates: VaultTemplates,
                  request: pytest.FixtureRequest) -> Vault:
    """The ``vault`` of a test parametrised over both backends: an administrator, mary
    (manager), pat and paula (practitioners), on ``backend``."""
    users = ("mary", "pat", "paula")
    db = tmp_path / "data" / "riskscreen.db"
    if backend == "postgresql":
        return request.getfixturevalue("pg_databases").vault(db, users)  # type: ignore[no-any-return]
    return vault_templates.copy(db, users)


@pytest.fixture
def store_engine(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """An empty database at the head of the migrations on ``backend``, as an engine."""
    from riskscreen.crypto.keys import new_data_key
    from riskscreen.store.db import create_db_engine
    from riskscreen.store.schema import upgrade

    if backend == "postgresql":
        from riskscreen.store.backend import server_engine

        engine = server_engine(request.getfixturevalue("pg_database"))
    else:
        db = tmp_path / "store.db"
        db.touch(mode=0o600)
        engine = create_db_engine(db, new_data_key())
        upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def memory_keyring() -> Iterator[dict[tuple[str, str], str]]:
    """The operating system's keyring replaced by a dictionary for one test (what is kept:
    (service, entry) -> password); never the real keyring of the machine running the tests."""
    import keyring
    from keyring.backend import KeyringBackend

    kept: dict[tuple[str, str], str] = {}

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            return kept.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            kept[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            kept.pop((service, username), None)

    before = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        yield kept
    finally:
        keyring.set_keyring(before)
