"""Audit entries in plain words for the administrator's viewer.

The log itself keeps compact facts (``account_role``, ``user:2``, ``{"from": ...}``) so that
its hash chain never depends on wording. The viewer says them as a person would: who did
what to which account or screening. Children's names are never shown: a screening or a
child's record is named by its number only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from riskscreen.dates import show_moment

__all__ = ["ACTION_WORDS", "AuditLine", "action_words", "describe_entry"]

#: Every action the services record, as the viewer names it.
ACTION_WORDS: dict[str, str] = {
    "database_create": "Created the database",
    "login": "Signed in",
    "login_recovery_key": "Signed in with the recovery key",
    "login_failed": "Sign-in refused (wrong name or passphrase)",
    "passphrase_failed": "Passphrase check refused",
    "account_create": "Created an account",
    "account_role": "Changed an account's role",
    "account_disable": "Disabled an account",
    "account_enable": "Enabled an account",
    "account_passphrase_reset": "Reset an account's passphrase",
    "account_passphrase_reset_recovery": "Reset a passphrase with the recovery key",
    "account_passphrase_change": "Changed their own passphrase",
    "countersign_failed": "Countersignature refused",
    "key_change": "Changed the database's keys",
    "idle_lock_set": "Chose when RiskScreen locks",
    "create": "Created",
    "view": "Opened",
    "edit": "Changed an answer",
    "finalise": "Finalised a screening",
    "override": "Chose a different level (professional judgement)",
    "amend": "Started an amendment",
    "export": "Printed or saved a referral summary",
    "referral_create": "Recorded the referral of a finalised screening",
    "referral_not_referred": "Recorded a decision not to refer",
    "referral_sent": "Marked a referral as sent",
    "referral_received": "Marked a referral as received",
    "referral_accepted": "Marked a referral as accepted",
    "referral_declined": "Marked a referral as declined",
    "referral_outcome": "Recorded a referral's outcome",
    "referral_confirmation": "Answered “exploitation confirmed?”",
    "referral_closed": "Closed a referral",
    "publish": "Published a scoring model",
    "model_impact": "Ran an impact analysis",
    "model_try_out": "Tried a draft model on a screening",
    "model_export": "Exported a scoring model",
    "calibration_report": "Made a calibration report of a scoring model",
    "evidence_statement": "Made the evidence statement of a scoring model",
    "instrument_install": "Installed an instrument",
    "instrument_in_force": "Changed whether an instrument is offered",
    "report": "Made a report",
    "report_export": "Exported a report",
    "settings": "Changed the settings",
    "audit_verify": "Checked the audit log",
    "verify": "Checked the database",
    "backup": "Made a backup",
    "restore": "Restored a backup",
    "episode_add": "Recorded a missing episode",
    "episode_return": "Recorded a missing child's return",
    "episode_rhi": "Recorded a Return Home Interview",
    "due_list": "Looked at the screenings due",
    "rescreen": "Started a re-screen from the last screening",
    "confirm_answers": "Confirmed answers carried over from the last screening",
    "step_down": "Finalised at a lower level than last time (reason recorded)",
    "chronology_view": "Opened a child's chronology",
    "exercise_create": "Created an agreement exercise",
    "vignette_add": "Wrote a vignette for an agreement exercise",
    "vignette_edit": "Changed a vignette of an agreement exercise",
    "exercise_assign": "Assigned practitioners to an agreement exercise",
    "practice_start": "Started a practice screening of a vignette",
    "practice_edit": "Changed an answer of a practice screening",
    "practice_submit": "Submitted a practice screening",
    "agreement_report": "Made an agreement report",
    "demo_data": "Added synthetic demonstration records (nobody in them is real)",
}

_KINDS = {"print": "printed", "pdf": "saved as a PDF", "pdf_password":
          "saved as a PDF with a password", "csv": "as a spreadsheet (CSV)",
          "chronology": "as a PDF"}
_RHI = {"done": "interview done", "declined": "interview offered, declined by the child",
        "not_done": "interview not done (reason recorded)"}
#: Detail keys that only the hash chain or a technician needs (kept in the tooltip).
_TECHNICAL = frozenset({"snapshot", "previous_hash", "previous_seq", "model", "hash", "head"})


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as the viewer shows it; ``raw`` is the entry as stored."""

    seq: int
    at: str
    who: str
    what: str
    about: str
    detail: str
    raw: str


def action_words(action: str) -> str:
    """An action as the viewer names it (an unknown one still reads as words)."""
    return ACTION_WORDS.get(action, action.replace("_", " ").capitalize())


def _account(name: str, accounts: Mapping[str, str]) -> str:
    if name in ("", "?"):
        return "Unknown account"
    shown = accounts.get(name, "")
    return f"{shown} ({name})" if shown and shown != name else name


def _about(obj: str, users: Mapping[int, str], accounts: Mapping[str, str]) -> str:
    kind, _, ident = obj.partition(":")
    if kind == "user":
        if not ident.isdigit():
            return "An account that does not exist"
        name = users.get(int(ident))
        return _account(name, accounts) if name else f"Account {ident} (since removed)"
    if kind == "screening":
        return f"Screening {ident}"
    if kind == "child":
        return f"Child's record {ident}"
    if kind == "referral":
        return f"Referral {ident}"
    if kind == "model":
        return f"Scoring model {ident[:12]}"
    if kind == "instrument":
        return f"The instrument {ident}"
    if kind == "episode":
        return f"Missing episode {ident}"
    if kind == "exercise":
        return f"Agreement exercise {ident}"
    if kind == "vignette":
        return f"Vignette {ident}"
    if kind == "practice":
        return f"Practice screening {ident}"
    return {"database": "The database", "audit_log": "The audit log",
            "screenings": "Screenings (counts only)",
            "referrals": "Referrals (counts only)",
            "children": "Children (counts only)"}.get(obj, obj.replace("_", " "))


def _level(value: Any) -> str:
    return str(value).replace("_", " ").capitalize()


def _level_name(value: Any) -> str:
    """A level id as the shipped models name it: ``none`` is "No apparent risk", never
    "None"."""
    return "No apparent risk" if value == "none" else _level(value)


def _detail(action: str, detail: dict[str, Any], accounts: Mapping[str, str],
            questions: Mapping[str, str]) -> str:
    parts: list[str] = []
    for key, value in detail.items():
        if key in _TECHNICAL or value is None:
            continue
        if key == "role":
            parts.append(f"as {_level(value).lower()}")
        elif key == "from" and "to" in detail:
            words = _level_name if action in ("override", "step_down") else (lambda v: str(v))
            parts.append(f"from {words(value)} to {words(detail['to'])}")
        elif key == "to":
            continue
        elif key in ("level", "amended_level"):
            label = "level" if key == "level" else "amended screening's level"
            parts.append(f"{label} {_level_name(value)}")
        elif key == "score":
            parts.append(f"{value} points")
        elif key == "direction":
            parts.append({"raise": "raised", "lower": "lowered"}.get(str(value), str(value)))
        elif key == "question":
            parts.append(f"question “{questions.get(str(value), value)}”")
        elif key == "kind":
            parts.append(_KINDS.get(str(value), str(value)))
        elif key in ("countersigned_by", "authorised_by"):
            word = "countersigned" if key == "countersigned_by" else "authorised"
            parts.append(f"{word} by {_account(str(value), accounts)}")
        elif key == "ok":
            parts.append("all in order" if value else "problems found")
        elif key == "changed" and isinstance(value, list):
            parts.append("changed: " + ", ".join(str(v).replace("_", " ") for v in value))
        elif key == "minutes":
            parts.append(f"after {value} minutes without use")
        elif key == "child":
            parts.append(f"for child's record {value}")
        elif key == "step":
            continue
        elif key == "amendment":
            parts.append(f"replaced by the amended screening {value}")
        elif key == "screening" and action.startswith("referral"):
            parts.append(f"of screening {value}")
        elif key == "decision":
            parts.append({"refer": "to refer", "not_refer": "not to refer"}.get(
                str(value), str(value)))
        elif key == "destination":
            parts.append(f"to {str(value).replace('_', ' ')}")
        elif key == "method":
            parts.append(f"by {str(value).replace('_', ' ')}")
        elif key == "outcome":
            parts.append(f"outcome: {str(value).replace('_', ' ')}")
        elif key == "answer":
            parts.append(str(value).replace("_", " "))
        elif key == "source":
            parts.append(f"source: {str(value).replace('_', ' ')}")
        elif key == "amendment_of":
            parts.append(f"corrects screening {value}")
        elif key == "rescreen_of":
            parts.append(f"re-screens screening {value}")
        elif key == "previous":
            parts.append(f"last screening {value}")
        elif key == "carried":
            parts.append(f"{value} answers carried over")
        elif key == "draft":
            parts.append("a draft model" if value else "the published model")
        elif key in ("answers", "entries", "children", "episodes", "screenings", "referrals",
                     "outcomes"):
            parts.append(f"{value} {key}")
        elif key == "returned":
            parts.append("with the return" if value else "not returned yet")
        elif key == "status" and action == "episode_rhi":
            parts.append(_RHI.get(str(value), str(value)))
        elif key == "changed":
            parts.append(f"{value} would change level")
        elif key == "cancelled":
            if value:
                parts.append("cancelled")
        elif key == "automatic":
            parts.append("automatic" if value else "by hand")
        elif key == "count":
            parts.append(f"{value} attempts")
        elif key == "at":
            parts.append(f"at {_time(str(value))}")
        elif key == "user":
            parts.append(f"by {_account(str(value), accounts)}")
        elif key == "form_version":
            parts.append(f"questionnaire version {value}")
        elif key == "models" and isinstance(value, list):
            parts.append("scoring models " + ", ".join(str(v) for v in value) if value
                         else "no new scoring model")
        elif key == "in_force":
            parts.append("offered for new screenings" if value else "no longer offered")
        elif key == "routing":
            parts.append("with its own routing" if value else "with the shipped routing")
        elif key == "backup":
            parts.append(f"from {value}")
        elif key == "set_aside":
            parts.append(f"previous database kept as {value}")
        else:
            parts.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(parts)


def _time(iso: str) -> str:
    try:
        return show_moment(datetime.fromisoformat(iso))
    except ValueError:
        return iso


def describe_entry(seq: int, at: str, user: str, action: str, obj: str, detail: str,
                   users: Mapping[int, str], accounts: Mapping[str, str],
                   questions: Mapping[str, str] | None = None) -> AuditLine:
    """One entry in words. ``users`` maps account ids to account names, ``accounts`` account
    names to the names shown, ``questions`` question ids to their text."""
    try:
        facts = json.loads(detail) if detail else {}
    except ValueError:
        facts = {}
    if not isinstance(facts, dict):
        facts = {}
    about = _about(obj, users, accounts)
    what = action_words(action)
    if action == "export" and facts.get("kind") == "chronology":
        what = "Printed or saved a child's chronology"
    kind = obj.partition(":")[0]
    if action in ("create", "view") and kind in ("screening", "child", "referral"):
        what = f"{what} a " + {"screening": "screening", "child": "child’s record",
                              "referral": "referral"}[kind]
    return AuditLine(seq, _time(at), _account(user, accounts), what, about,
                     _detail(action, facts, accounts, questions or {}), detail)
