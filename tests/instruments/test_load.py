"""Instrument folders: loading the parts together, and `riskscreen validate DIR`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from riskscreen.definitions import DefinitionError
from riskscreen.instruments import DEFAULT_INSTRUMENT, load_instrument, shipped_instrument_ids

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "forms" / "cse-screening"


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "my-instrument"
    shutil.copytree(SHIPPED, folder)
    return folder


def _validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "riskscreen", "validate", *map(str, paths)],
                          capture_output=True, text=True, cwd=ROOT, check=False)


def test_shipped_instrument_loads_by_id_and_by_path() -> None:
    assert DEFAULT_INSTRUMENT in shipped_instrument_ids()
    by_id = load_instrument("cse-screening")
    by_path = load_instrument(SHIPPED)
    assert by_id.form == by_path.form
    assert [m.version for m in by_id.models] == ["1.0.0", "1.1.0"]
    assert by_id.model().version == "1.1.0"
    assert by_id.model("1.0.0").version == "1.0.0"
    assert by_id.routing.id == "northvale-cse-routing"
    assert by_id.manifest.owner
    assert by_id.manifest.approved_by
    assert "Owner" in by_id.readme
    assert set(by_id.texts) == {"instrument.yaml", "README.md", "form.yaml", "routing.yaml",
                                "scoring/1.0.0.yaml", "scoring/1.1.0.yaml"}


def test_routing_missing_a_level_is_refused_with_file_and_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    routing = folder / "routing.yaml"
    text = routing.read_text("utf-8")
    start = text.index("\n  none:\n")
    end = text.index("\ndestinations:")
    routing.write_text(text[:start] + "\n" + text[end:], encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_instrument(folder)
    messages = [p.format() for p in caught.value.problems]
    assert any(m.startswith(f"{folder}/routing.yaml:") and "level 'none' has no route" in m
               for m in messages), messages


def test_model_for_another_form_version_is_named(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    form = folder / "form.yaml"
    form.write_text(form.read_text("utf-8").replace('version: "1.0.0"', 'version: "1.2.0"'),
                    encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_instrument(folder)
    assert "no scoring model declares version 1.2.0" in str(caught.value)


def test_missing_parts_are_named(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "README.md").unlink()
    (folder / "routing.yaml").unlink()
    with pytest.raises(DefinitionError) as caught:
        load_instrument(folder)
    text = "\n".join(p.format() for p in caught.value.problems)
    assert "the instrument has no README (README.md)" in text
    assert "the instrument has no routing table (routing.yaml)" in text


def test_not_a_folder_is_one_clear_problem(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="no such folder"):
        load_instrument(tmp_path / "nowhere")


def test_validate_dir_says_what_it_checked() -> None:
    done = _validate(SHIPPED)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "routing northvale-cse-routing 1.0.0" in done.stderr
    assert "scoring model cse-screening 1.1.0" in done.stderr
    assert "levels none, low, medium, high" in done.stderr
    assert "ok: 1 path valid" in done.stderr


def test_validate_routing_alone_names_the_parts_it_needs(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    routing = folder / "routing.yaml"
    routing.write_text(routing.read_text("utf-8").replace("form: cse-screening", "form: my-tool")
                       .replace("model: cse-screening", "model: my-tool"), encoding="utf-8")
    done = _validate(routing)
    assert done.returncode == 1
    assert "needs form 'my-tool'" in done.stdout
    assert "needs scoring model 'my-tool'" in done.stdout
    assert f"validate the instrument folder {folder}" in done.stdout
    assert "ok" not in done.stderr


def test_validate_a_file_still_works() -> None:
    done = _validate(SHIPPED / "form.yaml")
    assert done.returncode == 0, done.stdout
    assert "form cse-screening 1.0.0" in done.stderr
