"""The scheduler's jobs: each a thin, idempotent call into a service.

In development the scheduler runs inside the dev server's process; in
production it runs as its own process (`flask --app forum scheduler`), so
web workers never run jobs. Whatever runs them, a lease in the database
(forum.services.leases) lets exactly one process run jobs at a time, and
every run writes one structured log line.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from forum import mail
from forum.logs import job_line
from forum.services import leases, outbox

log = logging.getLogger(__name__)
HOLDER = leases.holder_id()
# Set when the scheduler is told to stop: no job starts, and a delivery stops after the
# message in hand.
STOPPING = threading.Event()
# How long a stopping scheduler waits for the jobs in flight before it hands the lease over
# (systemd's TimeoutStopSec for forum-scheduler is 20 s).
STOP_WAIT_SECONDS = 15
_running = {"jobs": 0}
_running_changed = threading.Condition()


def _run(app: Flask, name: str, work, *, quiet_when_idle: bool = False):
    """Run one job if this process holds the scheduler lease; one log line per run."""
    if STOPPING.is_set():
        return None
    with _running_changed:
        _running["jobs"] += 1
    try:
        return _run_holding_lease(app, name, work, quiet_when_idle)
    finally:
        with _running_changed:
            _running["jobs"] -= 1
            _running_changed.notify_all()


def _run_holding_lease(app: Flask, name: str, work, quiet_when_idle: bool):
    with app.app_context():
        ttl = timedelta(seconds=app.config["SCHEDULER_LEASE_SECONDS"])
        try:
            leader = leases.acquire(HOLDER, ttl)
        except Exception:  # the database is unreachable: try again at the next tick
            log.exception("job=%s could not reach the database for the scheduler lease", name)
            return None
        if not leader:
            return None
        started = time.monotonic()
        try:
            result = work()
        except Exception:
            job_line(name, "error", time.monotonic() - started, holder=HOLDER)
            log.exception("job=%s failed", name)
            return None
        idle = not result or (isinstance(result, dict) and not any(result.values()))
        if not (quiet_when_idle and idle):
            job_line(name, "ok", time.monotonic() - started, result=result, holder=HOLDER)
        return result


def deliver_outbox(app: Flask) -> dict[str, int] | None:
    return _run(app, "deliver_outbox", lambda: mail.deliver_due(holder=HOLDER, should_stop=STOPPING.is_set),
                quiet_when_idle=True)


def announce_openings(app: Flask) -> int | None:
    """Forums open by their dates (computed at read time); this tells the watchers, once."""
    from forum.services.announcements import announce_openings as run

    return _run(app, "announce_openings", run, quiet_when_idle=True)


def send_newsletters(app: Flask) -> int | None:
    from forum.services import newsletters

    return _run(app, "send_newsletters", lambda: newsletters.resume_interrupted() + newsletters.send_due(),
                quiet_when_idle=True)


# The digest time each frequency's digest last ran for, in this process.
_digests_done: dict[str, datetime] = {}


def send_digests(app: Flask, frequency: str, trigger: CronTrigger, now: datetime | None = None):
    """Checked every minute: runs the digest if its time (`trigger`) passed less than
    DIGEST_GRACE_SECONDS ago and this process has not run it since. A scheduler restarted at
    that minute, or one taking the lease over from one that died, runs it late rather than
    never; a run that failed is tried again the next minute. The run is idempotent (one
    digest per member and period), so a second scheduler running it too sends nothing twice."""
    from forum.services.digests import send_digests as run

    now = now or datetime.now(UTC)
    due = trigger.get_next_fire_time(None, now - timedelta(seconds=app.config["DIGEST_GRACE_SECONDS"]))
    if due is None or due > now or _digests_done.get(frequency) == due:
        return None
    result = _run(app, f"send_digests_{frequency}", lambda: run(frequency))
    if result is not None:  # None: not the lease holder, stopping, or failed
        _digests_done[frequency] = due
    return result


def send_webinar_reminders(app: Flask) -> int | None:
    from forum.services.webinar_messages import send_reminders

    return _run(app, "send_webinar_reminders", send_reminders, quiet_when_idle=True)


def seal_rounds(app: Flask) -> int | None:
    from forum.services.sealing import seal_closed_rounds

    return _run(app, "seal_rounds", seal_closed_rounds, quiet_when_idle=True)


def sweep_outbox(app: Flask) -> int | None:
    """Messages left "sending" by a scheduler that died are shown as of unknown outcome within a minute."""
    return _run(app, "sweep_outbox", outbox.sweep_interrupted, quiet_when_idle=True)


def refresh_assist(app: Flask) -> dict[str, int] | None:
    from forum.services import assist

    return _run(app, "refresh_assist", assist.refresh_all, quiet_when_idle=True)


def configure(scheduler, app: Flask):
    every_minute = dict(max_instances=1, coalesce=True, replace_existing=True)
    at_start = datetime.now(UTC)  # a restarted scheduler takes the lease and delivers at once
    scheduler.add_job(deliver_outbox, "interval", args=[app], id="deliver_outbox", next_run_time=at_start,
                      seconds=app.config["OUTBOX_INTERVAL_SECONDS"], **every_minute)
    scheduler.add_job(announce_openings, "interval", args=[app], id="announce_openings", minutes=1, **every_minute)
    scheduler.add_job(send_newsletters, "interval", args=[app], id="send_newsletters", minutes=1, **every_minute)
    scheduler.add_job(send_webinar_reminders, "interval", args=[app], id="send_webinar_reminders", minutes=1,
                      **every_minute)
    scheduler.add_job(seal_rounds, "interval", args=[app], id="seal_rounds", minutes=1, **every_minute)
    scheduler.add_job(sweep_outbox, "interval", args=[app], id="sweep_outbox", minutes=1, **every_minute)
    scheduler.add_job(refresh_assist, "interval", args=[app], id="refresh_assist", minutes=1, **every_minute)
    zone, hour = app.config["DEFAULT_TIMEZONE"], app.config["DIGEST_HOUR"]
    for frequency, days in (("daily", "*"), ("weekly", app.config["DIGEST_WEEKDAY"])):
        trigger = CronTrigger(day_of_week=days, hour=hour, minute=0, timezone=zone)
        scheduler.add_job(send_digests, "interval", args=[app, frequency, trigger], id=f"{frequency}_digests",
                          minutes=1, next_run_time=at_start, **every_minute)
    return scheduler


def _is_dev_server_process() -> bool:
    """The process that serves `flask run`: the reloader's child, or the only one without it."""
    if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        return True
    return "run" in sys.argv[1:4] and "--no-reload" in sys.argv


def start_in_process_scheduler(app: Flask) -> None:
    """Only in the dev server's serving process, never in CLI commands or web workers."""
    if app.testing or not _is_dev_server_process():
        return
    scheduler = configure(BackgroundScheduler(timezone="UTC"), app)
    scheduler.start()
    app.extensions["scheduler"] = scheduler


def run_blocking(app: Flask) -> None:
    """`flask scheduler`: runs until SIGTERM (systemd's stop and restart) or SIGINT (Ctrl-C),
    then lets the jobs in flight finish and releases the lease, so another scheduler takes
    over at its next tick instead of SCHEDULER_LEASE_SECONDS later."""
    from forum.logs import configure as configure_logs

    configure_logs(app.config.get("LOG_LEVEL", "INFO"), app.config.get("LOG_FORMAT", "text"))
    scheduler = configure(BlockingScheduler(timezone="UTC"), app)

    def stop(signum, _frame):
        log.info("scheduler %s stopping on %s", HOLDER, signal.Signals(signum).name)
        STOPPING.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    log.info("scheduler started as %s with jobs: %s", HOLDER, ", ".join(j.id for j in scheduler.get_jobs()))
    try:
        scheduler.start()
    finally:
        STOPPING.set()
        _wait_for_running_jobs(STOP_WAIT_SECONDS)
        with app.app_context():
            leases.release(HOLDER)  # a clean stop hands over at once
        log.info("scheduler %s stopped and released the lease", HOLDER)


def _wait_for_running_jobs(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    with _running_changed:
        while _running["jobs"] and time.monotonic() < deadline:
            _running_changed.wait(deadline - time.monotonic())
