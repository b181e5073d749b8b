"""``riskscreen --self-test``: every check passes here, and a broken installation is reported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from riskscreen import selftest

CHECK_NAMES = [name for name, _ in selftest.CHECKS]


def _run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(home),
               XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"))
    env.pop("RISKSCREEN_DB", None)
    code = "import sys; from riskscreen.cli.main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, timeout=180, check=False)


def test_self_test_passes_in_a_fresh_process(tmp_path: Path) -> None:
    result = _run("--self-test", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("RiskScreen ")
    for name in CHECK_NAMES:
        assert any(line.startswith(f"ok     {name}: ") for line in lines), (name, lines)
    assert lines[-1] == f"self-test passed: {len(CHECK_NAMES)} check(s)"
    # Nothing is left behind in the user's folders.
    assert not (tmp_path / "data").exists()


def test_one_check_can_be_run_by_name(tmp_path: Path) -> None:
    result = _run("--self-test", "SQLCipher", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok     SQLCipher: SQLCipher 4." in result.stdout
    assert "fonts" not in result.stdout


def test_an_unknown_check_name_is_a_usage_error(tmp_path: Path) -> None:
    result = _run("--self-test", "nonsense", home=tmp_path)
    assert result.returncode == 2
    assert "unknown check(s): nonsense" in result.stderr


def test_a_failing_check_gives_failed_line_and_exit_1(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def broken() -> str:
        raise selftest.CheckError("resources/fonts/DejaVuSans.ttf is missing")

    def crashing() -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(selftest, "CHECKS", (("fonts", broken), ("crash", crashing)))
    assert selftest.main([]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("FAILED fonts: resources/fonts/DejaVuSans.ttf is missing")
    assert out[2].startswith("FAILED crash: RuntimeError: boom (at test_selftest.py:")
    assert out[-1] == "self-test FAILED: 2 of 2 check(s) failed (fonts, crash)"


def test_definitions_outside_the_file_system_are_copied_out(tmp_path: Path) -> None:
    """A zipped or otherwise virtual resource folder is checked from a temporary copy."""
    import zipfile

    archive = tmp_path / "defs.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("defs/a.yaml", "kind: form\n")
        z.writestr("defs/sub/b.yaml", "kind: x\n")
    node = zipfile.Path(archive, "defs/")
    with selftest._as_folder(node) as folder:
        assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.yaml")) == [
            "a.yaml", "sub/b.yaml"]
