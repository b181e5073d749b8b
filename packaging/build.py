#!/usr/bin/env python3
"""Build the self-contained RiskScreen application folder with PyInstaller, then smoke-test it.

    python3 packaging/build.py                 # build into packaging/dist/riskscreen/, test it
    python3 packaging/build.py --no-smoke-test # build only
    python3 packaging/build.py --smoke-test-only

Steps: (1) a build environment, ``packaging/build/venv`` (created on first use), gets
riskscreen installed from this checkout as a normal (not editable) install, with its runtime
dependencies only, and PyInstaller from PyPI; (2) PyInstaller runs ``packaging/riskscreen.spec``;
(3) the folder's size is reported; (4) the built executable runs ``--self-test`` offscreen and
must exit 0, and the application itself, started offscreen with no database, must still be
running 10 s later with no error in its log. A summary is written to
``packaging/dist/build-info.json``.

``--python PATH`` builds with another interpreter instead (its environment must have
riskscreen installed non-editable; PyInstaller is installed into it if missing).

Only the standard library is used here, so any Python 3.11+ can run it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
from dev import VENV_RECIPE, build_sqlcipher_with_fdatasync  # noqa: E402 - needs ROOT on the path

SPEC = HERE / "riskscreen.spec"
BUILD = HERE / "build"
DIST = HERE / "dist"
APP_NAME = "riskscreen"
PYINSTALLER = "pyinstaller>=6.10,<7"
SMOKE_TIMEOUT = 300  # seconds; the self-test takes a few seconds
START_SECONDS = 10.0  # how long the started application must stay up


def say(message: str) -> None:
    """A progress line that stands out from pip's and PyInstaller's output."""
    print(f"[build] {message}", flush=True)


def venv_python(env: Path) -> Path:
    """The interpreter of a virtual environment on this platform."""
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _pip(python: Path, *args: str) -> None:
    subprocess.run(  # noqa: S603 - runs pip on our own arguments by design
        [str(python), "-m", "pip", "--disable-pip-version-check", "-q", *args],
        check=True)


def _has(python: Path, module: str) -> bool:
    probe = f"import importlib.util as u; raise SystemExit(u.find_spec({module!r}) is None)"
    probe_run = subprocess.run([str(python), "-c", probe], check=False)  # noqa: S603 - our probe
    return probe_run.returncode == 0


def prepare_environment(python: Path | None, env: Path) -> Path:
    """The interpreter to build with, with riskscreen (from this checkout) and PyInstaller."""
    if python is None:
        python = venv_python(env)
        if not python.exists():
            say(f"creating the build environment {env}")
            venv.EnvBuilder(with_pip=True, clear=True).create(env)
        # Dependencies are (re)installed when pyproject.toml changes; riskscreen itself every
        # time, so the build always has this checkout's code and data files.
        stamp = env / ".riskscreen-deps"
        recipe = (ROOT / "pyproject.toml").read_bytes() + VENV_RECIPE.encode()
        digest = hashlib.sha256(recipe).hexdigest()
        if not stamp.exists() or stamp.read_text() != digest:
            say("installing riskscreen's dependencies and PyInstaller into the build environment")
            _pip(python, "install", "--upgrade", "pip")
            _pip(python, "install", str(ROOT), PYINSTALLER, "setuptools>=69", "wheel")
            build_sqlcipher_with_fdatasync(python, stamp)
            stamp.write_text(digest)
        say("installing riskscreen from this checkout (not editable)")
        _pip(python, "install", "--no-deps", "--force-reinstall", "--no-build-isolation",
             str(ROOT))
    elif not _has(python, "PyInstaller"):
        say(f"installing PyInstaller from PyPI into {python}")
        _pip(python, "install", PYINSTALLER)
    return python


def run_pyinstaller(python: Path, dist: Path, work: Path) -> float:
    """Run PyInstaller on the spec; return the seconds it took."""
    say(f"PyInstaller: {SPEC.relative_to(ROOT)} -> {dist / APP_NAME}")
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - runs PyInstaller on our own spec by design
        [str(python), "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(work), str(SPEC)],
        check=True, cwd=HERE,
    )
    return time.perf_counter() - started


def folder_size(folder: Path) -> int:
    """Bytes in a folder's files (symbolic links not followed, so nothing counts twice)."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def largest_parts(folder: Path, depth_of: Path, count: int = 8) -> list[tuple[str, int]]:
    """The biggest top-level items under ``depth_of``, to see where the size goes."""
    parts = []
    for item in depth_of.iterdir():
        size = folder_size(item) if item.is_dir() else item.lstat().st_size
        parts.append((item.relative_to(folder).as_posix(), size))
    return sorted(parts, key=lambda p: -p[1])[:count]


def executable(app_dir: Path, console: bool = True) -> Path:
    """The built program; on Windows, the console twin prints the self-test's lines."""
    if os.name == "nt":
        return app_dir / (f"{APP_NAME}-console.exe" if console else f"{APP_NAME}.exe")
    return app_dir / APP_NAME


def _smoke_env(home: str) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=home,
               XDG_DATA_HOME=str(Path(home) / "data"),
               XDG_CONFIG_HOME=str(Path(home) / "config"),
               XDG_STATE_HOME=str(Path(home) / "state"),
               XDG_CACHE_HOME=str(Path(home) / "cache"))
    for name in ("RISKSCREEN_DB", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(name, None)
    return env


def smoke_test(app_dir: Path) -> tuple[int, str]:
    """Run the built executable's ``--self-test`` offscreen with an empty home folder."""
    program = executable(app_dir)
    with tempfile.TemporaryDirectory(prefix="riskscreen-smoke-") as home:
        say(f"smoke test: QT_QPA_PLATFORM=offscreen {program} --self-test")
        result = subprocess.run(  # noqa: S603 - runs the program just built, by design
            [str(program), "--self-test"], env=_smoke_env(home), cwd=home,
            capture_output=True, text=True, timeout=SMOKE_TIMEOUT, check=False)
    output = result.stdout + (f"\n[stderr]\n{result.stderr}" if result.stderr.strip() else "")
    return result.returncode, output


def start_test(app_dir: Path, seconds: float = START_SECONDS) -> tuple[bool, str]:
    """Start the built application itself (no arguments: the set-up assistant, offscreen)
    and check it is still running after ``seconds`` with no error in its log."""
    program = executable(app_dir, console=False)
    with tempfile.TemporaryDirectory(prefix="riskscreen-start-") as home:
        say(f"start test: QT_QPA_PLATFORM=offscreen {program} (running {seconds:.0f} s)")
        with (Path(home) / "output.txt").open("w+") as out:
            process = subprocess.Popen(  # noqa: S603 - runs the program just built, by design
                [str(program)], env=_smoke_env(home), cwd=home, stdout=out,
                stderr=subprocess.STDOUT)
            deadline = time.monotonic() + seconds
            while process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            running = process.poll() is None
            if running:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            out.seek(0)
            output = out.read()
        logs = [p.read_text(errors="replace") for p in Path(home).rglob("riskscreen.log")]
    errors = [line for text in logs for line in text.splitlines() if " ERROR " in line]
    if not running:
        return False, f"it exited with code {process.returncode}:\n{output}{''.join(logs)}"
    if errors:
        return False, "its log has errors:\n" + "".join(logs)
    return True, f"still running after {seconds:.0f} s, no error logged"


def main(argv: list[str] | None = None) -> int:
    """Build, measure and smoke-test; return 0 only if every step succeeded."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", type=Path, help="build with this interpreter's environment")
    parser.add_argument("--venv", type=Path, default=BUILD / "venv",
                        help="the build environment (default: packaging/build/venv)")
    parser.add_argument("--dist", type=Path, default=DIST, help="where the folder is written")
    parser.add_argument("--no-smoke-test", action="store_true", help="build only")
    parser.add_argument("--smoke-test-only", action="store_true",
                        help="test an existing build only")
    args = parser.parse_args(argv)
    dist: Path = args.dist.resolve()
    app_dir = dist / APP_NAME
    info: dict[str, object] = {"platform": f"{platform.system()} {platform.machine()}"}

    if not args.smoke_test_only:
        started = time.perf_counter()
        python = prepare_environment(args.python, args.venv.resolve())
        if app_dir.exists():
            shutil.rmtree(app_dir)
        seconds = run_pyinstaller(python, dist, BUILD / "work")
        total = time.perf_counter() - started
        say(f"PyInstaller took {seconds:.0f} s ({total:.0f} s with the build environment)")
        info.update(pyinstaller_seconds=round(seconds, 1), total_seconds=round(total, 1))
    if not executable(app_dir).exists():
        say(f"no built application at {app_dir}")
        return 1

    size = folder_size(app_dir)
    say(f"size of {app_dir}: {size / 2**20:.0f} MiB in "
        f"{sum(1 for p in app_dir.rglob('*') if p.is_file())} files")
    internal = app_dir / "_internal"
    for name, part in largest_parts(app_dir, internal if internal.is_dir() else app_dir):
        say(f"  {part / 2**20:7.1f} MiB  {name}")
    info.update(folder=str(app_dir), size_bytes=size, size_mib=round(size / 2**20, 1))

    code = 0
    if not args.no_smoke_test:
        code, output = smoke_test(app_dir)
        print(output.rstrip(), flush=True)
        say(f"smoke test {'passed' if code == 0 else f'FAILED (exit {code})'}")
        info.update(smoke_test_exit=code, smoke_test_output=output)
        started_ok, detail = start_test(app_dir)
        say(f"start test {'passed' if started_ok else 'FAILED'}: {detail}")
        info.update(start_test_ok=started_ok, start_test_detail=detail)
        code = code or (0 if started_ok else 1)
    (dist / "build-info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main())
