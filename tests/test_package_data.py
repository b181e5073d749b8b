"""Definition files ship inside the wheel and load through importlib.resources."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True,
    )
    (built,) = out.glob("riskscreen-*.whl")
    return built


def test_wheel_contains_definitions(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.relative_to(ROOT).as_posix() for folder in ("forms", "scoring", "resources")
               for p in (ROOT / folder).rglob("*") if p.is_file()
               and p.suffix in {".yaml", ".ttf", ".svg", ".png", ".md"}}
    assert shipped, "no definition files found in the source tree"
    for rel in shipped:
        assert f"riskscreen/_defs/{rel}" in names, rel


def test_installed_wheel_finds_definitions(wheel: Path, tmp_path: Path) -> None:
    """Install the wheel alone (dependencies from this venv) and list the shipped forms."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(env_dir)
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    python = env_dir / "bin" / "python"
    site_packages = [p for p in sys.path if p.endswith("site-packages")]
    code = (
        "import sys\n"
        f"sys.path[:0] = [{str(target)!r}] + {site_packages!r}\n"
        "import riskscreen.definitions as d, riskscreen.forms.loader as l\n"
        "assert d.__file__.startswith(" + repr(str(target)) + "), d.__file__\n"
        "import riskscreen.instruments as i\n"
        "print(sorted(l.shipped_form_ids()), i.load_instrument('cse-screening').title)\n"
    )
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "cse-screening" in out.stdout


def test_every_package_is_listed_in_pyproject() -> None:
    """pyproject lists packages by hand (the data folders are mapped); none may be forgotten."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"][
        "setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "riskscreen").rglob("__init__.py")}
    assert found - listed == set()
