#!/usr/bin/env python3
"""Set up RiskScreen in a private virtual environment, then start it or run its tests.

    python3 dev.py start   # set up and start the application
    python3 dev.py test    # set up and run every check: ruff, mypy, import contracts, pytest
    python3 dev.py team-server   # set up and start a local team server to try (PostgreSQL)

Only the Python standard library is used here, so this runs on a fresh machine. The virtual
environment lives in ``.venv`` beside this file; it is reused and only refreshed when
``pyproject.toml`` changes.
"""

from __future__ import annotations

import ctypes.util
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("RISKSCREEN_VENV", ROOT / ".venv"))
STAMP = VENV / ".riskscreen-installed"
# Part of the stamp beside pyproject.toml's hash: changing it refreshes every existing venv once.
VENV_RECIPE = "sqlcipher3 built with fdatasync and a kept WAL"
# Our addition to SQLCipher's amalgamation (see its header comment), and the name SQLite's
# compile options show when it is built in.
SQLCIPHER_ADDITION = ROOT / "packaging" / "sqlcipher" / "riskscreen_keep_wal.h"
KEEP_WAL_INIT = "riskscreen_keep_wal_init"

# Debian packages Qt needs on a bare machine: GL/EGL, fontconfig, keyboard, D-Bus, the xcb
# platform plugin's libraries (for a real window under X or Xvfb) and one font family.
DEBIAN_QT_PACKAGES = [
    "libegl1", "libgl1", "libfontconfig1", "libxkbcommon0", "libxkbcommon-x11-0", "libdbus-1-3",
    "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-image0", "libxcb-render-util0",
    "libxcb-randr0", "libxcb-shape0", "libxcb-xinerama0", "libxcb-xkb1", "libxcb-xfixes0",
    "libxcb-shm0", "libxcb-sync1", "libxcb-render0", "libxcb1", "libx11-xcb1", "libglib2.0-0",
    "fonts-dejavu-core",
]
# One shared library per package above that proves it is present (checked before using apt).
QT_LIBRARY_PROBES = {
    "EGL": "libegl1", "GL": "libgl1", "fontconfig": "libfontconfig1", "xkbcommon": "libxkbcommon0",
    "xkbcommon-x11": "libxkbcommon-x11-0", "dbus-1": "libdbus-1-3", "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4", "xcb-keysyms": "libxcb-keysyms1", "xcb-image": "libxcb-image0",
    "xcb-render-util": "libxcb-render-util0", "glib-2.0": "libglib2.0-0",
}


def say(message: str) -> None:
    """Print a progress line that stands out from pip's output."""
    print(f"[riskscreen] {message}", flush=True)


def missing_debian_packages() -> list[str]:
    """Return the Debian packages whose libraries, fonts or programs are not on this machine:
    what Qt needs, what the tests use, and what building SQLCipher needs."""
    return missing_qt_packages() + missing_test_packages() + missing_sqlcipher_build_packages()


def missing_qt_packages() -> list[str]:
    """The packages of the libraries and fonts the application's windows need."""
    if not sys.platform.startswith("linux"):
        return []
    missing = [
        pkg for lib, pkg in QT_LIBRARY_PROBES.items() if ctypes.util.find_library(lib) is None
    ]
    if not Path("/usr/share/fonts/truetype/dejavu").is_dir():
        missing.append("fonts-dejavu-core")
    return missing


def missing_test_packages() -> list[str]:
    """The packages of the programs the tests run beside the application."""
    if not sys.platform.startswith("linux"):
        return []
    missing = []
    if shutil.which("openssl") is None:  # the independent reader of exchange packages in tests
        missing.append("openssl")
    if shutil.which("pdftotext") is None:  # tests read the text of generated PDFs with it
        missing.append("poppler-utils")
    if not postgresql_installed():  # the team-server tests run a throwaway PostgreSQL server
        missing.append("postgresql")
    return missing


def missing_sqlcipher_build_packages() -> list[str]:
    """Debian packages needed to compile sqlcipher3 (see build_sqlcipher_with_fdatasync)."""
    if not sys.platform.startswith("linux"):
        return []
    missing = []
    if shutil.which("gcc") is None:
        missing.append("gcc")
    if not Path("/usr/include/stdio.h").exists():
        missing.append("libc6-dev")  # only recommended by gcc, and apt here skips recommends
    if not Path("/usr/include/openssl/evp.h").exists():
        missing.append("libssl-dev")
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        missing.append("python3-dev")  # Debian's own Python 3 keeps its headers apart
    return missing


def uses_fdatasync(python: Path) -> bool | None:
    """Whether the venv's SQLCipher extension calls fdatasync (None: not Linux, or no module)."""
    if not sys.platform.startswith("linux"):
        return None
    probe = "import sqlcipher3._sqlite3 as m; print(m.__file__)"
    found = _probe(python, probe)
    if found is None or found.returncode != 0:
        return None
    # The symbol's name is in the dynamic string table only if the code imports it from libc.
    return b"fdatasync\0" in Path(found.stdout.strip()).read_bytes()


def keeps_wal(python: Path) -> bool:
    """Whether the venv's SQLCipher has our addition built in (its compile options say so)."""
    probe = ("import sqlcipher3; c = sqlcipher3.connect(':memory:'); "
             "print('\\n'.join(r[0] for r in c.execute('PRAGMA compile_options')))")
    found = _probe(python, probe)
    return found is not None and f"EXTRA_INIT={KEEP_WAL_INIT}" in found.stdout.split()


def _probe(python: Path, code: str) -> subprocess.CompletedProcess[str] | None:
    """Run ``code`` in the venv's interpreter; None if it hangs (a broken build can)."""
    try:
        return subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                              timeout=120)
    except subprocess.TimeoutExpired:
        return None


def sqlcipher_is_ours(python: Path) -> bool | None:
    """Whether the venv's SQLCipher is our build (None: not Linux, or no module)."""
    fdatasync = uses_fdatasync(python)
    if fdatasync is None:
        return None
    return fdatasync and keeps_wal(python)


def sqlcipher_build_flags() -> str:
    """The preprocessor flags of our SQLCipher build, after any the caller set in CPPFLAGS.

    fdatasync instead of fsync; our header included into the amalgamation only (SQLite's
    SQLITE_CUSTOM_INCLUDE hook), which chains its init function to SQLCipher's.
    """
    return " ".join(filter(None, [
        os.environ.get("CPPFLAGS", "").strip(), "-DHAVE_FDATASYNC=1", "-g0",
        f"-I{SQLCIPHER_ADDITION.parent}",
        f"-DSQLITE_CUSTOM_INCLUDE={SQLCIPHER_ADDITION.name}",
    ]))


def build_sqlcipher_with_fdatasync(python: Path, stamp: Path = STAMP) -> None:
    """Rebuild the installed sqlcipher3 from its source: fdatasync, and the WAL file kept.

    The PyPI wheels' SQLite is built without HAVE_FDATASYNC, so with synchronous=FULL every
    WAL commit calls fsync, which also writes the file's times: slower, no more durable (Linux's
    fdatasync still syncs the size a grown file needs). Our build also keeps the WAL file
    between sessions (packaging/sqlcipher/riskscreen_keep_wal.h), so commits overwrite it
    instead of growing a new one, whose size every sync must then also write. The source build
    links the system OpenSSL (libssl-dev); pip's build isolation is off so its setup.py does
    not try Conan, which downloads OpenSSL. A venv with an older build of ours is rebuilt. On
    failure the wheel (or the older build) stays installed and works, only slower. Linux
    only: on Windows and macOS the wheel stays (no fdatasync there; the WAL is deleted at
    close as before, and riskscreen.store.db sees that and sets no size limit).
    """
    if sqlcipher_is_ours(python) is not False:
        return
    missing = missing_sqlcipher_build_packages()
    if missing:
        say("SQLCipher keeps fsync on each save (slower); to build it with fdatasync install "
            f"{' '.join(missing)}, then delete {stamp}")
        return
    version = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('sqlcipher3'))"],
        capture_output=True, text=True, check=True).stdout.strip()
    say(f"building sqlcipher3 {version} with fdatasync and a kept WAL (a few minutes)")
    # CPPFLAGS adds to Python's own compiler flags (CFLAGS would replace them, -O3 with them);
    # -g0: no debug information (2 MB instead of 10). No cache: pip's wheel cache does not
    # tell builds with different flags apart.
    env = dict(os.environ, CPPFLAGS=sqlcipher_build_flags())
    built = subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", "-q", "install", "--no-deps",
         "--force-reinstall", "--no-build-isolation", "--no-cache-dir",
         "--no-binary", "sqlcipher3", f"sqlcipher3=={version}"], env=env)
    if built.returncode != 0:
        say("could not build sqlcipher3 with fdatasync and a kept WAL: kept the installed "
            "one (each save syncs more slowly)")
    elif not sqlcipher_is_ours(python):
        # Built and installed, but it does not load or lacks what was asked for: the wheel.
        subprocess.run(
            [str(python), "-m", "pip", "--disable-pip-version-check", "-q", "install",
             "--no-deps", "--force-reinstall", "--only-binary", "sqlcipher3",
             f"sqlcipher3=={version}"])
        say("the sqlcipher3 built with fdatasync and a kept WAL did not pass its check: "
            "reinstalled the wheel (each save syncs more slowly)")


def postgresql_installed() -> bool:
    """Whether PostgreSQL 15 or later's server binaries (initdb, pg_ctl) are installed."""
    for folder in Path("/usr/lib/postgresql").glob("*/bin"):
        if folder.parent.name.isdigit() and int(folder.parent.name) >= 15 \
                and (folder / "initdb").exists():
            return True
    found = shutil.which("initdb")
    return found is not None and shutil.which("pg_ctl") is not None


def ensure_system_libraries() -> None:
    """Install the libraries Qt needs with apt when running as root; otherwise say what to run."""
    missing = missing_debian_packages()
    if not missing:
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing the Debian packages RiskScreen needs: " + " ".join(missing))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
             *sorted({*DEBIAN_QT_PACKAGES, *missing})],
            check=True, env=env,
        )
    else:
        qt = missing_qt_packages()
        if qt:
            say("Qt may not start: these system packages seem to be missing: " + " ".join(qt))
        others = [pkg for pkg in missing if pkg not in qt]
        if others:
            say("the tests or the SQLCipher build need these system packages: "
                + " ".join(others))
        say("install them with: sudo apt-get install "
            + " ".join(sorted({*DEBIAN_QT_PACKAGES, *missing})))


def venv_python() -> Path:
    """Path of the virtual environment's interpreter on this platform."""
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv() -> Path:
    """Create the virtual environment if needed and install the project with its test tools."""
    python = venv_python()
    if not python.exists():
        say(f"creating a virtual environment in {VENV}")
        try:
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        except (subprocess.CalledProcessError, OSError) as error:
            sys.exit(
                f"Could not create a virtual environment ({error}).\n"
                "On Debian or Ubuntu install the venv module first: "
                "sudo apt-get install python3-venv"
            )
    recipe = (ROOT / "pyproject.toml").read_bytes() + VENV_RECIPE.encode()
    digest = hashlib.sha256(recipe).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != digest:
        say("installing RiskScreen and its dependencies (first run takes a minute)")
        pip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "install", "-e", f"{ROOT}[test]"], check=True)
        build_sqlcipher_with_fdatasync(python)
        STAMP.write_text(digest)
    return python


def run_tests(python: Path, extra: list[str]) -> int:
    """Run the linters, the type checker, the import contracts and the test suite."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    bindir = python.parent
    steps: list[tuple[str, list[str]]] = [
        ("ruff", [str(bindir / "ruff"), "check", "."]),
        ("mypy", [str(python), "-m", "mypy"]),
        ("import contracts", [str(bindir / "lint-imports")]),
        # The slowest tests in every log, so a test that grows slow is seen when it does.
        ("pytest", [str(python), "-m", "pytest", "--durations=25", *extra]),
    ]
    for name, command in steps:
        say(f"{name}: {' '.join(command[1:]) or command[0]}")
        result = subprocess.run(command, cwd=ROOT, env=env)
        if result.returncode != 0:
            say(f"{name} failed (exit {result.returncode})")
            return result.returncode
    say("all checks passed")
    return 0


def main(argv: list[str]) -> int:
    """Dispatch ``start``, ``test`` or ``team-server``; anything after it is passed on."""
    if not argv or argv[0] not in {"start", "test", "team-server"}:
        print(__doc__)
        return 2
    command, extra = argv[0], argv[1:]
    ensure_system_libraries()
    python = ensure_venv()
    if command == "test":
        return run_tests(python, extra)
    if command == "team-server":
        return subprocess.run([str(python), "-m", "riskscreen", "server", "try", *extra],
                              cwd=ROOT).returncode
    return subprocess.run([str(python), "-m", "riskscreen", *extra], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
