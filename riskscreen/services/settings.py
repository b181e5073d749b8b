"""Settings an administrator keeps in the database, and the idle lock time.

Settings live in the encrypted database's ``meta`` table (keys ``setting.*``), so they
travel with backups and need no table of their own; the routing contacts are stored there as
routing YAML, checked by :func:`riskscreen.routing.loader.parse_routing`. Each account may
choose a shorter idle lock time than the administrator's limit (see
:mod:`riskscreen.services.idle_lock`).
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from sqlalchemy import select

from riskscreen.definitions import DefinitionError, dump_yaml, load_yaml
from riskscreen.services.context import Context
from riskscreen.services.errors import ServiceError
from riskscreen.services.idle_lock import DEFAULT_IDLE_MINUTES, check_idle_limit
from riskscreen.services.types import Role
from riskscreen.store.models import Meta

__all__ = ["SETTING_KEYS", "SettingsManager"]

SETTING_KEYS = ("idle_lock_minutes", "protective_marking", "organisation_name",
                "logo_png_base64", "routing_yaml")
_DEFAULTS = {"idle_lock_minutes": "5", "protective_marking": "OFFICIAL-SENSITIVE",
             "organisation_name": "", "logo_png_base64": "", "routing_yaml": ""}


class SettingsManager:
    """The database's settings and the signed-in account's idle lock time."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def read(self) -> dict[str, str]:
        """Every setting (defaults for those never set); any signed-in role may read them."""
        with self._ctx.transaction() as s:
            rows = {str(k): str(v) for k, v in s.execute(select(Meta.key, Meta.value).where(
                Meta.key.like("setting.%")))}
        return {k: rows.get(f"setting.{k}", _DEFAULTS[k]) for k in SETTING_KEYS}

    def editable(self) -> dict[str, str]:
        """Every setting, for the administrator to change (administrators only)."""
        self._ctx.require(Role.ADMINISTRATOR)
        return self.read()

    def save(self, changes: dict[str, str]) -> None:
        """Store settings after checking them; the audit records which keys changed."""
        self._ctx.require(Role.ADMINISTRATOR)
        unknown = [k for k in changes if k not in SETTING_KEYS]
        if unknown:
            raise ServiceError(f"Unknown setting '{unknown[0]}'.")
        if "idle_lock_minutes" in changes:
            check_idle_limit(changes["idle_lock_minutes"])
        if changes.get("logo_png_base64"):
            try:
                raw = base64.b64decode(changes["logo_png_base64"], validate=True)
            except ValueError:
                raise ServiceError("The logo is not a valid image.") from None
            if not raw.startswith(b"\x89PNG") or len(raw) > 1_000_000:
                raise ServiceError("The logo must be a PNG file of at most 1 MB.")
        if changes.get("routing_yaml"):
            self.check_routing(changes["routing_yaml"])
        with self._ctx.transaction() as s:
            for key, value in changes.items():
                s.merge(Meta(key=f"setting.{key}", value=value))
            self._ctx.audit(s, "settings", "database", {"changed": sorted(changes)})

    # -- routing contacts ------------------------------------------------------------------------

    def routing_data(self) -> dict[str, Any]:
        """The routing table in force (edited copy if any, else the shipped one) as data."""
        self._ctx.require(Role.ADMINISTRATOR)
        stored = self.read()["routing_yaml"]
        if stored:
            data: dict[str, Any] = load_yaml(stored, "routing (settings)").data
            return data
        from riskscreen.routing.loader import load_routing

        table = load_routing()
        shipped: dict[str, Any] = json.loads(
            table.model_dump_json(by_alias=True, exclude_none=True))
        return shipped

    def check_routing(self, text_: str) -> None:
        """Refuse routing YAML that the routing loader does not accept."""
        from riskscreen.routing.loader import parse_routing

        try:
            parse_routing(text_, "routing.yaml")
        except DefinitionError as error:
            raise ServiceError("The routing contacts are not valid: "
                               + "; ".join(p.format() for p in error.problems[:3])) from None

    def save_destinations(self, destinations: list[dict[str, Any]]) -> None:
        """Replace the routing contacts (destinations) and store the checked routing table."""
        data = copy.deepcopy(self.routing_data())
        # The exchange certificates are not edited as contacts: keep each destination's.
        certificates = {d.get("id"): d["exchange_certificate"]
                        for d in data.get("destinations", []) if d.get("exchange_certificate")}
        kept = []
        for d in destinations:
            d = dict(d)
            if "exchange_certificate" not in d and d.get("id") in certificates:
                d["exchange_certificate"] = certificates[d.get("id")]
            kept.append(d)
        data["destinations"] = kept
        data.setdefault("kind", "routing")
        self.save({"routing_yaml": dump_yaml(data)})

    def set_destination_certificate(self, destination_id: str, pem: str | None) -> None:
        """Name (or, with None, remove) the exchange certificate of one routing destination;
        an expired or malformed certificate is refused by the routing checks."""
        data = copy.deepcopy(self.routing_data())
        destinations = data.get("destinations", [])
        found = [d for d in destinations if d.get("id") == destination_id]
        if not found:
            ids = ", ".join(str(d.get("id")) for d in destinations)
            raise ServiceError(f"There is no destination {destination_id!r} in the routing; "
                               f"choose one of {ids}.")
        if pem is None:
            found[0].pop("exchange_certificate", None)
        else:
            found[0]["exchange_certificate"] = pem
        data.setdefault("kind", "routing")
        self.save({"routing_yaml": dump_yaml(data)})

    # -- the idle lock -------------------------------------------------------------------------

    def _own_key(self) -> str:
        return f"account.{self._ctx.user.id}.idle_lock_minutes"

    def idle_lock_limit(self) -> int:
        """The longest idle time the administrator allows, in minutes (any signed-in role)."""
        with self._ctx.transaction() as s:
            stored = s.scalar(select(Meta.value).where(Meta.key == "setting.idle_lock_minutes"))
        try:
            return check_idle_limit(str(stored))
        except ServiceError:
            # Never set, or "0" from before there was a limit: the default, never "never".
            return DEFAULT_IDLE_MINUTES

    def idle_lock_minutes(self) -> int:
        """The idle time in force for the signed-in account: its own choice within the limit."""
        limit = self.idle_lock_limit()
        with self._ctx.transaction() as s:
            own = s.scalar(select(Meta.value).where(Meta.key == self._own_key()))
        if own is not None and str(own).isdigit() and int(own) >= 1:
            return min(int(own), limit)
        return limit

    def set_idle_lock_minutes(self, minutes: int) -> int:
        """Choose a shorter idle time for the signed-in account; refused outside 1 to the
        limit."""
        limit = self.idle_lock_limit()
        if not 1 <= minutes <= limit:
            raise ServiceError(f"Choose from 1 to {limit} minutes: your administrator has set "
                               f"{limit} minutes as the longest time before RiskScreen locks.")
        with self._ctx.transaction() as s:
            s.merge(Meta(key=self._own_key(), value=str(minutes)))
            self._ctx.audit(s, "idle_lock_set", f"user:{self._ctx.user.id}",
                            {"minutes": minutes})
        return minutes
