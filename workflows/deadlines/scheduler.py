"""Scheduler jobs: escalate what is due and send the outbox, every ``INTERVAL``; sign the
audit chain's head (a checkpoint), every ``checkpoint_interval()``.

``register_jobs`` is the one place jobs are defined; ``sanchika serve`` runs them in a
background thread of its one process, ``sanchika scheduler`` in a process of its own (for
deployments with several web workers), and ``sanchika escalate`` runs one pass by hand.  Every
job starts at once when the scheduler starts, so a scheduler that was down catches up.
"""

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..audit import checkpoints, keys
from ..clock import utcnow
from ..errors import InvalidInput, SanchikaError
from .escalation import BATCH, escalate_due, fire_due_timers
from ..models import Escalation, File, Post
from ..mail.outbox import Outcome, Transport, send_pending

if TYPE_CHECKING:  # APScheduler 3 ships no type information
    from apscheduler.schedulers.base import BaseScheduler  # type: ignore[import-untyped]

INTERVAL = 30  # seconds: an escalation fires within a minute of its due time
CHECKPOINT_EVERY = 300  # seconds, unless SANCHIKA_CHECKPOINT_INTERVAL says otherwise
log = logging.getLogger("sanchika.scheduler")


def checkpoint_interval() -> int:
    """Seconds between two checkpoints: SANCHIKA_CHECKPOINT_INTERVAL, or 300."""
    value = os.environ.get("SANCHIKA_CHECKPOINT_INTERVAL", "").strip()
    if not value:
        return CHECKPOINT_EVERY
    if not value.isdigit() or int(value) < 1:
        raise InvalidInput("SANCHIKA_CHECKPOINT_INTERVAL must be a whole number of seconds, "
                           "not '%(value)s'", value=value)
    return int(value)


@dataclass
class PassReport:
    # (number, level, to post, cause)
    escalations: list[tuple[str, int, str, str]] = field(default_factory=list)
    # (number, timer name, interrupting)
    timers: list[tuple[str, str, bool]] = field(default_factory=list)
    mails: list[Outcome] = field(default_factory=list)


def escalate_pass(session_factory: sessionmaker[Session],
                  now: datetime | None = None) -> PassReport:
    """Fire every escalation and timer due at ``now``, one transaction per batch, until none is
    left; return a PassReport (without mail)."""
    now = now or utcnow()
    report = PassReport()
    while True:
        with session_factory.begin() as session:
            more = _round(session, now, report)
        if not more:
            return report


def preview_pass(session_factory: sessionmaker[Session], now: datetime) -> PassReport:
    """What a pass at ``now`` would fire, found by running it in one transaction that is then
    rolled back: nothing is written and no mail is queued or sent."""
    report = PassReport()
    with session_factory() as session:
        try:
            while _round(session, now, report):
                pass
        finally:
            session.rollback()
    return report


def _round(session: Session, now: datetime, report: PassReport) -> bool:
    """One batch of timers and escalations into ``report``; whether another may be due."""
    timers = fire_due_timers(session, now, BATCH)
    report.timers.extend((session.get_one(File, t.file_id).number, t.name or t.timer_id,
                          t.interrupting) for t, _esc, _new in timers.fired)
    escalations = [e for _t, e, _new in timers.fired if e is not None]
    tasks = escalate_due(session, now, BATCH)
    report.escalations.extend(_describe(session, escalations + tasks.fired))
    # done when nothing fired and the batches came back short: everything due was taken (or
    # is locked by another scheduler); a task due for several levels gets one a round
    return bool(timers.fired or tasks.fired) or max(timers.selected, tasks.selected) >= BATCH


def _describe(session: Session,
              escalations: Iterable[Escalation]) -> list[tuple[str, int, str, str]]:
    escalations = list(escalations)
    if not escalations:
        return []
    numbers = {row.id: row.number for row in session.execute(select(File.id, File.number).where(
        File.id.in_({e.file_id for e in escalations})))}
    titles = {row.id: row.title for row in session.execute(select(Post.id, Post.title).where(
        Post.id.in_({e.to_post_id for e in escalations})))}
    return [(numbers[e.file_id], e.level, titles[e.to_post_id], e.cause) for e in escalations]


def run_pass(session_factory: sessionmaker[Session], transport: Transport,
             now: datetime | None = None) -> PassReport:
    """One pass of escalation and then of sending; what ``sanchika escalate`` prints."""
    now = now or utcnow()
    report = escalate_pass(session_factory, now)
    report.mails = send_pending(session_factory, now, transport)
    return report


def register_jobs(scheduler: "BaseScheduler", session_factory: sessionmaker[Session],
                  transport_factory: Callable[[], Transport],
                  checkpoint_every: int | None = None,
                  signing_key: Path | None = None) -> "BaseScheduler":
    """Add Sanchika's jobs to an APScheduler 3 scheduler (not yet started).  Checkpoints are
    signed every ``checkpoint_every`` seconds (``checkpoint_interval()`` by default) with the
    key at ``signing_key`` (``keys.key_path()`` by default, read again at every run)."""
    first = utcnow()
    scheduler.add_job(_checkpoint_job, "interval",
                      seconds=checkpoint_every or checkpoint_interval(),
                      args=(session_factory, signing_key), id="sanchika.checkpoint",
                      name="sign the audit chain's head", next_run_time=first,
                      max_instances=1, coalesce=True, replace_existing=True)
    scheduler.add_job(_escalate_job, "interval", seconds=INTERVAL,
                      args=(session_factory, transport_factory),
                      id="sanchika.escalate", name="escalate files past their limit",
                      next_run_time=first, max_instances=1, coalesce=True,
                      replace_existing=True)
    scheduler.add_job(_send_job, "interval", seconds=INTERVAL,
                      args=(session_factory, transport_factory), id="sanchika.send",
                      name="send the outbox", next_run_time=first, max_instances=1,
                      coalesce=True, replace_existing=True)
    return scheduler


def _escalate_job(session_factory: sessionmaker[Session],
                  transport_factory: Callable[[], Transport]) -> None:
    try:
        # the mail of a new escalation goes out at once, not at the sender's next run
        report = run_pass(session_factory, transport_factory())
        if report.escalations or report.timers:
            log.info("escalated %d, timers fired %d, mail %d", len(report.escalations),
                     len(report.timers), len(report.mails))
    except Exception:  # a job must not die; the next run tries again
        log.exception("escalation pass failed")


def _send_job(session_factory: sessionmaker[Session],
              transport_factory: Callable[[], Transport]) -> None:
    try:
        outcomes = send_pending(session_factory, utcnow(), transport_factory())
        if outcomes:
            log.info("mail: %s", ", ".join(f"{o.mail_id} {o.status}" for o in outcomes))
    except Exception:
        log.exception("sending the outbox failed")


def _checkpoint_job(session_factory: sessionmaker[Session],
                    signing_key: Path | None = None) -> None:
    try:
        made = checkpoints.checkpoint_pass(session_factory, signing_key or keys.key_path())
        if made is not None:
            log.info("checkpoint %d: event %d signed with key %s", made.id, made.seq,
                     made.key_id)
    except SanchikaError as exc:  # no key, a key others can read, a broken chain: told
        log.warning("no checkpoint signed: %s", exc)
    except Exception:
        log.exception("signing a checkpoint failed")


def start_background(session_factory: sessionmaker[Session],
                     transport_factory: Callable[[], Transport]) -> "BaseScheduler":
    """Start the jobs in a background thread of this process (``sanchika serve``)."""
    from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
    scheduler = BackgroundScheduler(timezone="UTC")
    register_jobs(scheduler, session_factory, transport_factory)
    scheduler.start()
    return scheduler


def run_blocking(session_factory: sessionmaker[Session],
                 transport_factory: Callable[[], Transport]) -> None:
    """Run the jobs in this process until it is stopped (``sanchika scheduler``)."""
    from apscheduler.schedulers.blocking import BlockingScheduler  # type: ignore[import-untyped]
    scheduler = BlockingScheduler(timezone="UTC")
    register_jobs(scheduler, session_factory, transport_factory)
    scheduler.start()
