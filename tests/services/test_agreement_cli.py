"""`riskscreen agreement EXERCISE_ID [--json]`, the name scripts depend on, and the demo's
agreement exercise that gives it something to show."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from riskscreen.services import Unlocker
from riskscreen.services.demo import DEMO_ACCOUNTS, create_demo_database

from ..conftest import FAST


def test_demo_exercise_through_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    create_demo_database(db, 30, kdf=FAST).close()
    passes = {}
    for name in ("manager", "pat"):
        passes[name] = tmp_path / f"{name}.pass"
        passes[name].write_text(DEMO_ACCOUNTS[name][1] + "\n", encoding="utf-8")

    def run(*args: str, user: str = "manager") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "riskscreen", "agreement", *args, "--db", str(db),
             "--user", user, "--passphrase-file", str(passes[user])],
            capture_output=True, text=True, timeout=120, check=False)

    listed = run("--list", "--json")
    assert listed.returncode == 0, listed.stderr
    (exercise,) = json.loads(listed.stdout)
    assert exercise["vignettes"] == 6
    assert exercise["practitioners"] == ["alex", "jo", "pat", "sam"]
    assert exercise["practice_screenings"] == 24

    shown = run(str(exercise["id"]), "--json")
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    assert report["practitioners"] == 4
    assert report["shared_vignettes"] == 6
    assert report["level_agreement"]["alpha"] is not None
    assert report["level_agreement"]["interval"]["low"] <= report["level_agreement"]["alpha"]
    assert report["read_most_differently"]  # the demo's ambiguous indicators
    assert report["warnings"] == []

    plain = run(str(exercise["id"]))
    assert plain.returncode == 0
    assert "Krippendorff's alpha" in plain.stdout
    assert "where the guidance" in plain.stdout

    # A practitioner may not read the report; an unknown exercise is one line, exit 1.
    refused = run(str(exercise["id"]), user="pat")
    assert refused.returncode == 1
    assert refused.stderr.startswith("riskscreen agreement: This needs the manager role")
    assert refused.stderr.count("\n") == 1
    missing = run("99")
    assert missing.returncode == 1
    assert missing.stderr == ("riskscreen agreement: There is no agreement exercise 99; check "
                              "the number ('riskscreen agreement --list' lists them).\n")
    usage = run()
    assert usage.returncode == 2
    assert "give the exercise's number" in usage.stderr

    # Practice screenings stay out of the real lists (re-screens of the demo are real).
    with Unlocker(db, auto_backups=False).unlock("manager", DEMO_ACCOUNTS["manager"][1]) as m:
        with m.engine.connect() as conn:
            real = conn.execute(text("SELECT count(*) FROM screenings")).scalar()
            practice = conn.execute(text("SELECT count(*) FROM practice_screenings")).scalar()
        assert practice == 24
        assert m.screenings.find().total == real
        assert not m.children.search("Vignette")
