"""The scheduler's jobs: each a thin, idempotent call into a service.

In development the scheduler runs inside the dev server's process; in
production it runs as its own process (`flask --app forum scheduler`), so
web workers never run jobs.
"""
from __future__ import annotations

import logging
import os
import sys
import time

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from forum import mail

log = logging.getLogger(__name__)


def deliver_outbox(app: Flask) -> dict[str, int]:
    with app.app_context():
        started = time.monotonic()
        counts = mail.deliver_due()
        if any(counts.values()):
            log.info("job=deliver_outbox %s duration=%.2fs", counts, time.monotonic() - started)
        return counts


def announce_openings(app: Flask) -> int:
    """Forums open by their dates (computed at read time); this tells the watchers, once."""
    from forum.services.organizing import announce_openings as run

    with app.app_context():
        count = run()
        if count:
            log.info("job=announce_openings pairs=%d", count)
        return count


def send_newsletters(app: Flask) -> int:
    from forum.services import newsletters

    with app.app_context():
        count = newsletters.resume_interrupted() + newsletters.send_due()
        if count:
            log.info("job=send_newsletters editions=%d", count)
        return count


def send_digests(app: Flask, frequency: str) -> dict[str, int]:
    from forum.services.digests import send_digests as run

    with app.app_context():
        started = time.monotonic()
        counts = run(frequency)
        log.info("job=send_digests frequency=%s %s duration=%.1fs", frequency, counts, time.monotonic() - started)
        return counts


def send_webinar_reminders(app: Flask) -> int:
    from forum.services.webinars import send_reminders

    with app.app_context():
        count = send_reminders()
        if count:
            log.info("job=send_webinar_reminders queued=%d", count)
        return count


def sweep_outbox(app: Flask) -> int:
    with app.app_context():
        return mail.sweep_interrupted()


def configure(scheduler, app: Flask):
    scheduler.add_job(
        deliver_outbox, "interval", args=[app], id="deliver_outbox",
        seconds=app.config["OUTBOX_INTERVAL_SECONDS"], max_instances=1, coalesce=True,
        replace_existing=True,
    )
    scheduler.add_job(
        announce_openings, "interval", args=[app], id="announce_openings", minutes=1,
        max_instances=1, coalesce=True, replace_existing=True,
    )
    scheduler.add_job(send_newsletters, "interval", args=[app], id="send_newsletters", minutes=1,
                      max_instances=1, coalesce=True, replace_existing=True)
    scheduler.add_job(send_webinar_reminders, "interval", args=[app], id="send_webinar_reminders", minutes=1,
                      max_instances=1, coalesce=True, replace_existing=True)
    scheduler.add_job(sweep_outbox, "interval", args=[app], id="sweep_outbox", minutes=15,
                      max_instances=1, coalesce=True, replace_existing=True)
    zone = app.config["DEFAULT_TIMEZONE"]
    hour = app.config["DIGEST_HOUR"]
    scheduler.add_job(send_digests, "cron", args=[app, "daily"], id="daily_digests", hour=hour, minute=0,
                      timezone=zone, max_instances=1, coalesce=True, replace_existing=True)
    scheduler.add_job(send_digests, "cron", args=[app, "weekly"], id="weekly_digests", day_of_week=app.config["DIGEST_WEEKDAY"],
                      hour=hour, minute=0, timezone=zone, max_instances=1, coalesce=True, replace_existing=True)
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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    scheduler = configure(BlockingScheduler(timezone="UTC"), app)
    log.info("scheduler started with jobs: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    scheduler.start()
