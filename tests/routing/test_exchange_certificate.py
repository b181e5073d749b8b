"""A destination's exchange certificate: shown by fingerprint and expiry, refused by
``riskscreen validate`` when expired or malformed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from riskscreen.cli.main import main
from riskscreen.crypto.exchange import (
    certificate_pem,
    fingerprint,
    new_private_key,
    self_signed_certificate,
)
from riskscreen.routing.loader import parse_routing

_KEY = new_private_key()


def _routing_with(tmp_path: Path, pem: str) -> Path:
    yaml = YAML()
    text = files("riskscreen._defs.forms").joinpath("cse-screening", "routing.yaml").read_text(
        encoding="utf-8")
    data = yaml.load(text)
    data["destinations"][0]["exchange_certificate"] = pem
    path = tmp_path / "routing.yaml"
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    return path


def test_a_current_certificate_is_accepted_and_described(tmp_path: Path) -> None:
    cert = self_signed_certificate(_KEY, "Northvale Child Exploitation Hub")
    path = _routing_with(tmp_path, certificate_pem(cert))
    table = parse_routing(path.read_text(encoding="utf-8"), str(path))
    words = table.destinations[0].certificate_words()
    assert words == (f"SHA-256 {fingerprint(cert)}, valid until "
                     f"{cert.not_valid_after_utc:%Y-%m-%d}")
    assert main(["validate", str(path)]) == 0


@pytest.mark.parametrize(("pem", "says"), [
    ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "malformed"),
    ("not a certificate at all", "malformed"),
    (None, "expired on"),
])
def test_validate_refuses_an_expired_or_malformed_certificate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], pem: str | None, says: str) -> None:
    if pem is None:
        pem = certificate_pem(self_signed_certificate(
            _KEY, "Old hub", days=10, now=datetime.now(UTC) - timedelta(days=40)))
    path = _routing_with(tmp_path, pem)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert says in out
    assert "routing.yaml:" in out
