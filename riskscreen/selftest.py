"""``riskscreen --self-test``: check that this installation has everything it needs, then exit.

Meant for IT after installing the packaged application, and for the packaging smoke test:
each check exercises one thing a build can lose (a data file, a native library, a Qt plugin)
through the same code the application uses, and prints one line, ``ok`` or ``FAILED`` with
the reason. The exit code is 0 only when every check passed.

No personal data is involved: the temporary database is made up, lives in a temporary folder
and is deleted afterwards. Qt is imported only by the last check, inside its function, so the
core stays free of Qt.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["CHECKS", "CheckResult", "main", "run_checks"]

#: A marker written into the temporary database, then looked for in its files' bytes.
_MARKER = "SelfTestMarkerZq7"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: ``detail`` says what was found, or why it failed."""

    name: str
    ok: bool
    detail: str
    seconds: float

    def line(self) -> str:
        """One line of the self-test's output."""
        status = "ok" if self.ok else "FAILED"
        return f"{status:6} {self.name}: {self.detail} ({self.seconds:.2f} s)"


class CheckError(Exception):
    """A check found something wrong; the message says what."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise CheckError(message)


# -- the checks ---------------------------------------------------------------------------------


def check_fonts() -> str:
    """The bundled DejaVu fonts are present, parse as TrueType and register with reportlab."""
    from reportlab.pdfbase import pdfmetrics

    from riskscreen.definitions import data_file
    from riskscreen.summary.fonts import BOLD, REGULAR, register_fonts

    folder = data_file("resources", "fonts")
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVu-LICENSE.txt"):
        _require(folder.joinpath(name).is_file(), f"resources/fonts/{name} is missing")
    register_fonts()
    widths = []
    for face in (REGULAR, BOLD):
        font = pdfmetrics.getFont(face)
        # Latin, Greek, Cyrillic, Hebrew, Arabic presentation form: what names need.
        for char in "é\u03a9\u0416\u05d0\ufe8e":
            _require(font.face.charToGlyph.get(ord(char), 0) != 0,
                     f"{face} has no glyph for U+{ord(char):04X}")
        widths.append(pdfmetrics.stringWidth("RiskScreen", face, 10))
    return f"DejaVu Sans regular and bold loaded (sample widths {widths[0]:.1f}, {widths[1]:.1f})"


@contextmanager
def _as_folder(node: Traversable) -> Iterator[Path]:
    """A real folder for a packaged resource folder (copied out if it is not on disk)."""
    if isinstance(node, Path):
        yield node
        return
    with tempfile.TemporaryDirectory(prefix="riskscreen-defs-") as tmp:
        def copy(src: Traversable, dest: Path) -> None:
            for child in src.iterdir():
                if child.is_dir():
                    (dest / child.name).mkdir()
                    copy(child, dest / child.name)
                else:
                    (dest / child.name).write_bytes(child.read_bytes())

        copy(node, Path(tmp))
        yield Path(tmp)


def check_definitions() -> str:
    """Every shipped form, scoring model and routing file validates; the defaults load."""
    from riskscreen.definitions import data_file
    from riskscreen.forms.loader import load_form, shipped_form_ids
    from riskscreen.instruments import check_paths, shipped_instrument_ids
    from riskscreen.routing.loader import load_routing
    from riskscreen.scoring.loader import load_model, shipped_model_ids, shipped_model_versions

    counts: dict[str, int] = {}
    problems = []
    for kind in ("forms", "scoring", "resources"):
        with _as_folder(data_file(kind)) as folder:
            files = [p for p in folder.rglob("*") if p.suffix in {".yaml", ".yml"}]
            counts[kind] = len(files)
            problems += check_paths([folder]).errors
    _require(not problems, f"{len(problems)} problem(s), first: {problems[0].format()}"
             if problems else "")
    _require(counts["forms"] > 0 and bool(shipped_instrument_ids()),
             f"definition files missing from the package: {counts}")
    forms = shipped_form_ids()
    for form_id in forms:
        load_form(form_id)
    models = [f"{m}@{v}" for m in shipped_model_ids() for v in shipped_model_versions(m)]
    for model in models:
        load_model(model)
    table = load_routing()
    return (f"{counts['forms'] + counts['scoring'] + counts['resources']} definition file(s) "
            f"valid; instruments {', '.join(shipped_instrument_ids())}; forms "
            f"{', '.join(forms)}; models {', '.join(models)}; "
            f"routing with {len(table.concerns)} concern label(s)")


def check_crypto() -> str:
    """Argon2id derives a key and AES-256-GCM wraps and unwraps a data key (and rejects a
    wrong one), through the same functions the key file uses."""
    import cryptography
    from cryptography.hazmat.backends.openssl.backend import backend

    from riskscreen.crypto.keys import (
        KDF_MINIMUM,
        KdfParams,
        UnwrapError,
        derive_passphrase_key,
        new_data_key,
        new_salt,
        unwrap_key,
        wrap_key,
    )

    memory, passes, lanes = KDF_MINIMUM
    params = KdfParams(memory_cost=memory, iterations=passes, lanes=lanes, salt=new_salt())
    kek = derive_passphrase_key("correct horse battery staple", params)
    _require(kek == derive_passphrase_key("correct horse battery staple", params),
             "Argon2id is not deterministic")
    other = derive_passphrase_key("correct horse battery stapler", params)
    _require(kek != other, "Argon2id gave one key for two passphrases")
    data_key = new_data_key()
    wrapped = wrap_key(kek, data_key, b"self-test")
    _require(unwrap_key(kek, wrapped, b"self-test") == data_key, "AES-GCM round trip differs")
    try:
        unwrap_key(other, wrapped, b"self-test")
    except UnwrapError:
        pass
    else:
        raise CheckError("AES-GCM accepted a wrong key")
    return (f"Argon2id and AES-256-GCM round trip (cryptography {cryptography.__version__}, "
            f"{backend.openssl_version_text()})")


def check_sqlcipher() -> str:
    """The bundled SQLCipher library is there and is version 4 or later."""
    import sqlcipher3

    from riskscreen.store.db import MIN_CIPHER_VERSION, cipher_version

    conn = sqlcipher3.connect(":memory:")
    try:
        conn.execute(f"PRAGMA key = \"x'{secrets.token_hex(32)}'\"")
        version = cipher_version(conn)
        row = conn.execute("PRAGMA cipher_provider").fetchone()
        provider = row[0] if row else "unknown provider"
    finally:
        conn.close()
    found = ".".join(map(str, version)) or "none"
    _require(version >= MIN_CIPHER_VERSION,
             f"SQLCipher {found} found; version 4 or later is needed")
    return f"SQLCipher {found} ({provider})"


def check_database() -> str:
    """A temporary encrypted database is created (with the migrations), written, reopened
    with its passphrase, refused with another key, and holds no plaintext on disk."""
    from riskscreen.crypto.keys import KDF_MINIMUM, KdfParams, new_data_key, new_salt
    from riskscreen.services import Unlocker, create_database
    from riskscreen.services.types import Role
    from riskscreen.store.db import WrongKey, connect_raw

    # The cheapest Argon2id a key file may use: the check is that it works, not that it is slow.
    memory, passes, lanes = KDF_MINIMUM
    kdf = KdfParams(memory_cost=memory, iterations=passes, lanes=lanes, salt=new_salt())
    admin_pass, user_pass = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="riskscreen-selftest-") as tmp:
        db = Path(tmp) / "selftest.db"
        session, recovery = create_database(db, "selftest-admin", admin_pass, kdf=kdf)
        with session:
            session.accounts.create("selftest-user", Role.PRACTITIONER, user_pass)
        _require(bool(recovery), "no recovery key was produced")
        with Unlocker(db, auto_backups=False).unlock("selftest-user", user_pass) as session:
            child = session.children.create(_MARKER, date(2012, 1, 1))
        with Unlocker(db, auto_backups=False).unlock("selftest-user", user_pass) as session:
            found = session.children.search(_MARKER)
            _require([c.id for c in found] == [child.id],
                     "the record written was not read back after reopening")
        try:
            connect_raw(db, new_data_key()).close()
        except WrongKey:
            pass
        else:
            raise CheckError("the database opened with a wrong key")
        plain = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError:
            pass
        else:
            raise CheckError("the database is readable without its key")
        finally:
            plain.close()
        files = [p for p in Path(tmp).rglob("*") if p.is_file()]
        leaked = [p.name for p in files if _MARKER.encode() in p.read_bytes()]
        _require(not leaked, f"plaintext found in {', '.join(leaked)}")
        return (f"created, written, reopened; wrong key and plain SQLite refused; "
                f"{len(files)} file(s) scanned, no plaintext")


def check_summary() -> str:
    """A referral summary PDF renders with the shipped form, model and routing, and pdfium
    (used to show PDFs) opens it."""
    import pypdfium2

    from riskscreen.forms.loader import load_form
    from riskscreen.routing import load_routing, route
    from riskscreen.scoring.engine import score
    from riskscreen.scoring.loader import load_model
    from riskscreen.summary import Referrer, build_summary, render_pdf_bytes
    from riskscreen.synthetic import generate_answer_sets

    form = load_form("cse-screening")
    model = load_model("cse-screening", form)
    table = load_routing()
    answer_set = generate_answer_sets(form, 1, seed=7)[0]
    assessment = score(form, model, answer_set)
    summary = build_summary(
        form, answer_set, assessment, route(assessment, table, form.kind_roles()),
        reference="RS-SELFTEST", generated_at=datetime(2026, 1, 1, 12, 0),
        referrer=Referrer(name="Self-test"), fields=table.summary_fields,
        concern_labels=table.concerns, model=model)
    data = render_pdf_bytes(summary)
    _require(data.startswith(b"%PDF-"), "the output is not a PDF")
    pdf = pypdfium2.PdfDocument(data)
    try:
        pages = len(pdf)
        text = pdf[0].get_textpage().get_text_range()
    finally:
        pdf.close()
    _require(pages > 0, "the PDF has no pages")
    _require("RS-SELFTEST" in text, "the reference is not in the PDF's text")
    return f"{pages} page(s), {len(data) // 1024} KiB, opened with pdfium {pypdfium2.PDFIUM_INFO}"


def check_qt() -> str:
    """Qt starts (offscreen when there is no display) and builds the set-up assistant."""
    if (sys.platform.startswith("linux") and "QT_QPA_PLATFORM" not in os.environ
            and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import PySide6
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication, QWidget

    from riskscreen.definitions import data_file

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "riskscreen"])
    # Every GUI module imports: a Qt module or library missing from a build shows here, not
    # when a practitioner first opens the screen that needs it.
    gui_modules = _import_gui_modules()
    window: QWidget
    try:
        from riskscreen.ui.setup import SetupView
    except ImportError:
        window, what = QWidget(), "a plain window (no set-up assistant in this build)"
    else:
        window = SetupView(Path(tempfile.gettempdir()) / "riskscreen-selftest.db")
        what = "the set-up assistant"
    try:
        window.resize(800, 600)
        picture = window.grab()  # lays out and paints without showing a window
        _require(not picture.isNull(), "the window could not be painted")
    finally:
        window.deleteLater()
    icon_node = data_file("resources", "icons", "app.png")
    icon = ""
    if icon_node.is_file():
        _require(not QIcon(str(icon_node)).isNull(), "the application icon does not load")
        icon = ", icon loads"
    del app
    return (f"Qt {PySide6.__version__} on '{QGuiApplication.platformName()}': "
            f"{gui_modules} GUI module(s) import, built {what}{icon}")


def _import_gui_modules() -> int:
    """Import every module of ``riskscreen.ui`` and its subpackages (none, if this build has
    no GUI yet)."""
    import importlib
    import pkgutil

    try:
        package = importlib.import_module("riskscreen.ui")
    except ImportError:
        return 0
    names = sorted(m.name for m in pkgutil.walk_packages(package.__path__, "riskscreen.ui."))
    for name in names:
        importlib.import_module(name)
    return len(names)


#: The checks, in the order they run.
CHECKS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("fonts", check_fonts),
    ("definitions", check_definitions),
    ("cryptography", check_crypto),
    ("SQLCipher", check_sqlcipher),
    ("encrypted database", check_database),
    ("summary PDF", check_summary),
    ("Qt", check_qt),
)


def run_checks(names: Sequence[str] | None = None) -> list[CheckResult]:
    """Run the checks (all, or those named) and return their results; never raises."""
    results = []
    for name, check in CHECKS:
        if names and name not in names:
            continue
        started = time.perf_counter()
        try:
            detail, ok = check(), True
        except CheckError as error:
            detail, ok = str(error), False
        except Exception as error:  # any failure is the report, not a crash
            where = traceback.extract_tb(error.__traceback__)[-1]
            detail = (f"{type(error).__name__}: {error} "
                      f"(at {Path(where.filename).name}:{where.lineno})")
            ok = False
        results.append(CheckResult(name, ok, detail, time.perf_counter() - started))
    return results


def _environment() -> str:
    from riskscreen import __version__

    frozen = "packaged" if getattr(sys, "frozen", False) else "from source"
    return (f"RiskScreen {__version__} self-test ({frozen}, Python "
            f"{sys.version.split()[0]}, {sys.platform})")


def main(argv: Sequence[str] = ()) -> int:
    """Print one line per check and a verdict; return 0 only if every check passed."""
    names = [a for a in argv if not a.startswith("-")]
    unknown = [n for n in names if n not in dict(CHECKS)]
    if unknown:
        print(f"unknown check(s): {', '.join(unknown)}; choose from: "
              f"{', '.join(n for n, _ in CHECKS)}", file=sys.stderr)
        return 2
    print(_environment(), flush=True)
    results: list[CheckResult] = []
    for result in _run_printing(names):
        results.append(result)
    failed = [r.name for r in results if not r.ok]
    if failed:
        print(f"self-test FAILED: {len(failed)} of {len(results)} check(s) failed "
              f"({', '.join(failed)})", flush=True)
        return 1
    print(f"self-test passed: {len(results)} check(s)", flush=True)
    return 0


def _run_printing(names: Sequence[str]) -> Iterator[CheckResult]:
    for name, _ in CHECKS:
        if names and name not in names:
            continue
        result = run_checks([name])[0]
        print(result.line(), flush=True)
        yield result
