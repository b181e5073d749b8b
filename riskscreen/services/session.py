"""The signed-in session: the facade over one manager per use-case area.

Roles: a *practitioner* creates, edits, finalises and prints their own screenings;
a *manager* also sees every screening (drafts too) and publishes scoring models; an
*administrator* manages accounts and backups (and sees no screening). The managers check
the roles, not the GUI, and raise :class:`PermissionDenied`.

Every manager works through one shared :class:`~riskscreen.services.context.Context`: each
change is one short transaction that also appends its audit entry, so the audit chain and
the data never disagree (see docs/design/0008-service-rooms.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from riskscreen.services.accounts import AccountManager
from riskscreen.services.agreement import AgreementManager
from riskscreen.services.audit_log import AuditLog
from riskscreen.services.children import ChildManager
from riskscreen.services.chronology import ChronologyManager, referral_source
from riskscreen.services.context import Context
from riskscreen.services.episodes import EpisodeManager
from riskscreen.services.evidence import EvidenceManager
from riskscreen.services.exchange import ExchangeManager
from riskscreen.services.finalised import FinalisedManager
from riskscreen.services.instruments import InstrumentManager
from riskscreen.services.maintenance import Maintenance
from riskscreen.services.models import ModelManager
from riskscreen.services.passphrases import PassphraseStore
from riskscreen.services.pathways import PathwayReports
from riskscreen.services.referral import ReferralSummaries
from riskscreen.services.referrals import ReferralManager
from riskscreen.services.reports import ReportManager
from riskscreen.services.reviews import ReviewManager
from riskscreen.services.screenings import ScreeningManager
from riskscreen.services.settings import SettingsManager
from riskscreen.services.types import UserInfo
from riskscreen.store.lock import OpenLock

__all__ = ["Session"]


class Session:
    """An unlocked database and the account using it: the facade over one manager per
    use-case area, all sharing one :class:`Context`. Create through :mod:`vault`.

    The managers are reached as attributes (``session.screenings.finalise(...)``); the
    session itself only opens, closes and names who is signed in.
    """

    def __init__(self, engine: Engine, key: bytes, db_path: Path, key_path: Path,
                 user: UserInfo, *, open_lock: OpenLock | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 passphrases: PassphraseStore | None = None) -> None:
        ctx = self._ctx = Context(engine, key, db_path, key_path, user, open_lock=open_lock,
                                  sleep=sleep, passphrases=passphrases)
        #: Accounts, roles, passphrases and countersignatures.
        self.accounts = AccountManager(ctx)
        #: Child records: create, search, view.
        self.children = ChildManager(ctx)
        #: Finalised screenings in bulk: answers as columns, answer sets when needed.
        self.finalised = FinalisedManager(ctx)
        #: Scoring models: the one in force, drafts, impact, publishing, history.
        self.models = ModelManager(ctx, self.finalised)
        #: Installed instruments (forms, models and routing kept by hash).
        self.instruments = InstrumentManager(ctx, self.models)
        #: Referral records: what happened after each finalised screening.
        self.referrals = ReferralManager(ctx)
        #: Missing episodes and Return Home Interviews.
        self.episodes = EpisodeManager(ctx)
        #: What is due, re-screens, step-down reasons.
        self.reviews = ReviewManager(ctx, self.episodes)
        #: Screenings: start, answer, preview, finalise, amend, list.
        self.screenings = ScreeningManager(ctx, self.models, self.accounts, self.referrals,
                                           self.reviews)
        #: The full check (verify), backups and the integrity check.
        self.maintenance = Maintenance(ctx, self.models)
        #: The audit log as administrators read it.
        self.audit = AuditLog(ctx, self.accounts)
        #: Settings, routing contacts and the idle lock time.
        self.settings = SettingsManager(ctx)
        #: Managers' anonymised reports.
        self.reports = ReportManager(ctx, self.instruments, self.models, self.finalised,
                                     self.settings)
        #: Managers' pathway reports (what happened after the screenings, anonymised).
        self.pathways = PathwayReports(ctx)
        #: Referral summaries, routed and marked as the settings say.
        self.summaries = ReferralSummaries(ctx, screenings=self.screenings,
                                           settings=self.settings,
                                           instruments=self.instruments,
                                           accounts=self.accounts, models=self.models)
        #: Exchange keys, trusted senders and packages between agencies.
        self.exchange = ExchangeManager(ctx, screenings=self.screenings,
                                        summaries=self.summaries, settings=self.settings,
                                        models=self.models, referrals=self.referrals)
        #: One timeline per child.
        self.chronology = ChronologyManager(ctx, self.episodes)
        self.chronology.add_source(referral_source(self.referrals))
        #: Agreement exercises: vignettes screened in practice mode, and the report.
        self.agreement = AgreementManager(ctx, self.instruments.model)
        from riskscreen.services.intel import IntelManager

        #: Intelligence items linked to children, links across them, submissions.
        self.intel = IntelManager(ctx, self.exchange)
        #: Calibration against recorded outcomes, and evidence statements.
        self.evidence = EvidenceManager(ctx, models=self.models, instruments=self.instruments,
                                        referrals=self.referrals, finalised=self.finalised,
                                        agreement=self.agreement, settings=self.settings)

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def context(self) -> Context:
        """The unit of work the managers share (for building a manager on it)."""
        return self._ctx

    @property
    def user(self) -> UserInfo:
        """The signed-in account, with its role as last read from the database."""
        return self._ctx.user

    @property
    def db_path(self) -> Path:
        """The database file."""
        return self._ctx.db_path

    @property
    def key_path(self) -> Path:
        """The key file beside the database."""
        return self._ctx.key_path

    @property
    def on_server(self) -> bool:
        """Whether the database is a team server's (no data key, no file, no backups here)."""
        return self._ctx.on_server

    @property
    def file_identity(self) -> tuple[int, int] | None:
        """(device, inode) of the database file opened: another after a restore."""
        return self._ctx.file_identity

    @property
    def engine(self) -> Engine:
        """The engine (for the store's own tools and tests; the GUI never needs it)."""
        return self._ctx.engine

    @property
    def closed(self) -> bool:
        """Whether the session has ended (locked, signed out, or its database replaced)."""
        return self._ctx.closed

    def close(self) -> None:
        """Record the audit head beside the database, forget the key, close every connection.

        Locking the application closes its session, so the head is recorded then too.
        """
        self._ctx.close()

    def close_for_restore(self) -> OpenLock | None:
        """Take the exclusive open lock, then close, handing the lock to the caller (a restore).

        :class:`DatabaseInUse` (the session stays open) while another session has the
        database open.
        """
        return self._ctx.close_for_restore()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
