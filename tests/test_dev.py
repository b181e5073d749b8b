"""dev.py's SQLCipher rebuild: built with fdatasync and a kept WAL when it can be, otherwise
one line and the wheel kept."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("riskscreen_dev_script", ROOT / "dev.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_the_build_packages_one_line_says_what_to_install(
        dev: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    monkeypatch.setattr(dev, "sqlcipher_is_ours", lambda _python: False)
    monkeypatch.setattr(dev, "missing_sqlcipher_build_packages", lambda: ["libssl-dev"])

    def no_run(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("nothing is run without the build packages")

    monkeypatch.setattr(dev.subprocess, "run", no_run)
    dev.build_sqlcipher_with_fdatasync(Path("python"), tmp_path / "stamp")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert "libssl-dev" in lines[0]
    assert str(tmp_path / "stamp") in lines[0]


def test_the_build_adds_fdatasync_to_pythons_flags_and_a_failure_keeps_the_wheel(
        dev: ModuleType, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(dev, "sqlcipher_is_ours", lambda _python: False)
    monkeypatch.setattr(dev, "missing_sqlcipher_build_packages", lambda: [])
    monkeypatch.delenv("CPPFLAGS", raising=False)
    monkeypatch.delenv("CFLAGS", raising=False)
    calls: list[tuple[list[str], dict[str, str] | None]] = []

    def fake_run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append((command, kwargs.get("env")))
        return subprocess.CompletedProcess(command, 0 if len(calls) == 1 else 1, "0.6.4\n", "")

    monkeypatch.setattr(dev.subprocess, "run", fake_run)
    dev.build_sqlcipher_with_fdatasync(Path("python"))
    (_, _), (pip, env) = calls
    assert "sqlcipher3==0.6.4" in pip
    # No isolation (setup.py would fetch OpenSSL with Conan) and no cached wheel of other flags.
    assert {"--no-build-isolation", "--no-cache-dir", "--force-reinstall"} <= set(pip)
    assert env is not None
    flags = env["CPPFLAGS"].split()
    assert "-DHAVE_FDATASYNC=1" in flags
    # Our header goes into the amalgamation through SQLite's own hooks.
    header = next(f for f in flags if f.startswith("-DSQLITE_CUSTOM_INCLUDE=")).split("=")[1]
    folder = Path(next(f for f in flags if f.startswith("-I"))[2:])
    assert "riskscreen_keep_wal_init" in (folder / header).read_text()
    assert "CFLAGS" not in env  # it would replace Python's own flags, -O3 among them
    assert "could not build sqlcipher3" in capsys.readouterr().out


def test_the_callers_cppflags_come_first(dev: ModuleType,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPPFLAGS", "-DMINE=1")
    assert dev.sqlcipher_build_flags().startswith("-DMINE=1 -DHAVE_FDATASYNC=1 ")


@pytest.mark.parametrize(("fdatasync", "keeps", "ours"), [
    (True, True, True),
    (True, False, False),  # an older build of ours, with fdatasync only: rebuilt
    (False, True, False),
    (None, False, None),  # not Linux, or no module: left alone
])
def test_a_venv_is_rebuilt_unless_its_sqlcipher_is_this_build(
        dev: ModuleType, monkeypatch: pytest.MonkeyPatch, fdatasync: bool | None,
        keeps: bool, ours: bool | None) -> None:
    monkeypatch.setattr(dev, "uses_fdatasync", lambda _python: fdatasync)
    monkeypatch.setattr(dev, "keeps_wal", lambda _python: keeps)
    assert dev.sqlcipher_is_ours(Path("python")) is ours


@pytest.mark.parametrize(("qt", "others", "warns_qt"), [
    ([], ["postgresql", "poppler-utils"], False),
    (["libegl1"], [], True),
    (["libegl1"], ["openssl"], True),
])
def test_without_root_the_missing_packages_are_named_for_what_needs_them(
        dev: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        qt: list[str], others: list[str], warns_qt: bool) -> None:
    monkeypatch.setattr(dev, "missing_qt_packages", lambda: qt)
    monkeypatch.setattr(dev, "missing_test_packages", lambda: others)
    monkeypatch.setattr(dev, "missing_sqlcipher_build_packages", lambda: [])
    monkeypatch.setattr(dev.os, "geteuid", lambda: 1000)

    def no_run(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("nothing is installed without root")

    monkeypatch.setattr(dev.subprocess, "run", no_run)
    dev.ensure_system_libraries()
    out = capsys.readouterr().out
    assert ("Qt may not start" in out) == warns_qt
    assert ("the tests or the SQLCipher build need" in out) == bool(others)
    install = out.splitlines()[-1]
    assert install.startswith("[riskscreen] install them with: sudo apt-get install ")
    for pkg in qt + others:
        assert pkg in install


def test_a_build_that_does_not_pass_its_check_gives_way_to_the_wheel(
        dev: ModuleType, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(dev, "sqlcipher_is_ours", lambda _python: False)
    monkeypatch.setattr(dev, "missing_sqlcipher_build_packages", lambda: [])
    calls: list[list[str]] = []

    def fake_run(command: list[str], **_kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        return subprocess.CompletedProcess(command, 0, "0.6.4\n", "")

    monkeypatch.setattr(dev.subprocess, "run", fake_run)
    dev.build_sqlcipher_with_fdatasync(Path("python"))
    _, build, wheel = calls
    assert "--no-binary" in build
    assert {"--only-binary", "--force-reinstall", "sqlcipher3==0.6.4"} <= set(wheel)
    assert "reinstalled the wheel" in capsys.readouterr().out


def test_a_probe_that_hangs_counts_as_no_module(dev: ModuleType,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dev.sys, "platform", "linux")

    def hangs(command: list[str], **kwargs: Any) -> None:
        raise subprocess.TimeoutExpired(command, kwargs["timeout"])

    monkeypatch.setattr(dev.subprocess, "run", hangs)
    assert dev.uses_fdatasync(Path("python")) is None
    assert dev.keeps_wal(Path("python")) is False
