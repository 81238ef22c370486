"""Running it for real: the scheduler lease, structured logs, backups, Redis rate limits, and
load and fault tests against gunicorn (bounded in time): concurrent posters on SQLite and
PostgreSQL, a database restart under load, and processes killed in the middle of their work."""
from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum import jobs, mail
from forum.extensions import db as _db
from forum.models import Community, Membership, OutboxMessage, Post, SchedulerLease, Thread, User, utcnow
from forum.services import leases
from tests.conftest import PASSWORD, IsolatedClient, forum_of, free_port
from tests.servers import ROOT, VENV_BIN, Client, OwnPostgres, can_run_own_postgres, gunicorn, production_env


def _queue(address: str, key: str) -> None:
    from types import SimpleNamespace

    mail.queue_email(to=address, template="confirm_email", dedupe_key=key, locale="es",
                     user=SimpleNamespace(display_name="Persona"), token="t")


def _database_url(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"]


def _flask(app, *args: str, **env) -> subprocess.Popen:
    return subprocess.Popen([str(VENV_BIN / "flask"), "--app", "forum", *args], cwd=ROOT,
                            env=production_env(_database_url(app), **env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# --- the scheduler lease ---------------------------------------------------------------------

def test_one_lease_holder_at_a_time_and_a_takeover_when_it_lapses(db):
    now = utcnow()
    ttl = timedelta(seconds=90)
    assert leases.acquire("a", ttl, now=now)
    assert not leases.acquire("b", ttl, now=now + timedelta(seconds=30))
    assert leases.acquire("a", ttl, now=now + timedelta(seconds=60))  # renewed
    assert not leases.acquire("b", ttl, now=now + timedelta(seconds=120))
    assert leases.acquire("b", ttl, now=now + timedelta(seconds=151))  # a stopped renewing
    assert not leases.acquire("a", ttl, now=now + timedelta(seconds=152))
    leases.release("b")
    assert leases.acquire("a", ttl)


def test_a_job_does_nothing_while_another_scheduler_holds_the_lease(app, db, smtp):
    _queue("x@example.org", "lease-test")
    db.session.add(SchedulerLease(name="scheduler", holder="elsewhere", expires_at=utcnow() + timedelta(minutes=1)))
    db.session.commit()
    assert jobs.deliver_outbox(app) is None
    assert db.session.execute(select(OutboxMessage.status)).scalar_one() == "queued" and not smtp.messages
    db.session.execute(SchedulerLease.__table__.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert jobs.deliver_outbox(app) == {"sent": 1, "retrying": 0, "failed": 0}
    assert len(smtp.messages) == 1


def test_two_scheduler_processes_started_by_mistake_send_each_message_once(app, db, tmp_path):
    """The README's scheduler command, twice, against one database: one works, the other waits."""
    for n in range(20):
        _queue(f"p{n}@example.org", f"two-schedulers:{n}")
    db.session.commit()
    mail_dir = tmp_path / "mail"
    env = {"MAIL_FILE_DIR": str(mail_dir), "OUTBOX_INTERVAL_SECONDS": "1", "SCHEDULER_LEASE_SECONDS": "30"}
    schedulers = [_flask(app, "scheduler", **env) for _ in range(2)]
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.execute(select(func.count()).where(OutboxMessage.status == "sent")).scalar() == 20:
                break
            time.sleep(0.5)
        time.sleep(2.5)  # both schedulers tick at least twice more
    finally:
        for process in schedulers:
            process.send_signal(signal.SIGINT)
        logs = [process.communicate(timeout=15)[1] for process in schedulers]
    assert len(list(mail_dir.glob("*.eml"))) == 20
    workers = set()
    for log in logs:
        for line in log.splitlines():
            if line.startswith("{") and '"job": "deliver_outbox"' in line:
                workers.add(json.loads(line)["holder"])
    assert len(workers) == 1, logs


# --- logs -----------------------------------------------------------------------------------

def test_one_structured_line_per_request_with_status_and_duration(client, caplog):
    from forum.logs import StructuredFormatter

    with caplog.at_level(logging.INFO, logger="forum.requests"):
        client.get("/healthz")
        client.get("/no-such-page")
    lines = [r for r in caplog.records if r.name == "forum.requests"]
    assert [(r.fields["path"], r.fields["status"]) for r in lines] == [("/healthz", 200), ("/no-such-page", 404)]
    assert all(r.fields["duration_ms"] >= 0 and r.fields["request_id"] for r in lines)
    parsed = json.loads(StructuredFormatter("json").format(lines[0]))
    assert parsed["status"] == 200 and parsed["message"] == "request"
    assert "status=404" in StructuredFormatter("text").format(lines[1])


# --- backups ------------------------------------------------------------------------------------

def test_backup_while_running_and_restore(app, db, runner, make_user, tmp_path):
    make_user("Guardada", email="guardada@example.org")
    target = tmp_path / "forum.backup"
    result = runner.invoke(args=["backup", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert f"wrote {target}" in result.output and target.stat().st_size > 0
    make_user("Después", email="despues@example.org")
    db.session.execute(User.__table__.delete().where(User.email == "guardada@example.org"))
    db.session.commit()
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    emails = set(db.session.execute(select(User.email)).scalars())
    assert "guardada@example.org" in emails and "despues@example.org" not in emails
    bad = tmp_path / "not-a-backup"
    bad.write_text("hello")
    assert runner.invoke(args=["restore", str(bad), "--yes"]).exit_code != 0


# --- rate limits shared by several web servers ---------------------------------------------------------

def _redis_up() -> bool:
    try:
        import redis

        return redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_timeout=1).ping()
    except Exception:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_two_web_servers_share_rate_limits_through_redis(app, db, make_user):
    """With REDIS_URL the limits count across servers: sign-in attempts on one count on the other."""
    import redis

    from forum import create_app

    redis.Redis.from_url("redis://127.0.0.1:6379/15").flushdb()
    servers = [create_app("testing", SQLALCHEMY_DATABASE_URI=_database_url(app), LOGIN_RATE_LIMIT="3 per minute",
                          RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15") for _ in range(2)]
    for server in servers:
        server.test_client_class = IsolatedClient
    user = make_user("Limitada")
    codes = []
    for attempt in range(4):
        c = servers[attempt % 2].test_client()
        codes.append(c.post("/auth/login", data={"email": user.email, "password": "wrong"}).status_code)
    assert codes == [400, 400, 400, 429]
    redis.Redis.from_url("redis://127.0.0.1:6379/15").flushdb()


# --- load -----------------------------------------------------------------------------------------------

def _load_forum(make_user, make_community, make_pair, people: int):
    users = [make_user(f"Carga {i}", email=f"carga{i}@example.org") for i in range(people)]
    community = make_community("carga", members={u: "member" for u in users})
    pair = make_pair(community, questions=1)
    forum = forum_of(pair, "es")
    thread = _db.session.execute(select(Thread).filter_by(forum_id=forum.id)).scalar_one()
    return [u.email for u in users], f"/c/carga/f/{forum.slug}/threads/{thread.id}"


def _hammer(base: str, emails: list[str], path: str, seconds: float, tolerate=(), pause=None) -> dict:
    """Each user signs in, then reads and posts until the time is up; returns what the clients saw."""
    deadline = time.monotonic() + seconds
    acknowledged, statuses, lock = [], Counter(), threading.Lock()

    def work(index: int, email: str) -> None:
        client = Client(base)
        assert client.login(email, PASSWORD) == 302
        n = 0
        while time.monotonic() < deadline:
            n += 1
            token = f"carga-{index}-{n}"
            try:
                if n % 3 == 0:
                    status = client.get(path)[0]
                else:
                    status = client.post(path, {"body": f"{token} — respuesta de prueba de carga número {n}."})[0]
            except OSError:
                status = "connection error"
            with lock:
                statuses[status] += 1
                if status == 302:
                    acknowledged.append(token)
            if pause:
                time.sleep(pause)

    with ThreadPoolExecutor(max_workers=len(emails)) as pool:
        for future in [pool.submit(work, i, e) for i, e in enumerate(emails)]:
            future.result()
    errors = {s: n for s, n in statuses.items() if s not in (200, 302) and s not in tolerate}
    return {"acknowledged": acknowledged, "statuses": statuses, "errors": errors}


def _stored_tokens() -> Counter:
    _db.session.remove()
    bodies = _db.session.execute(select(Post.body_md).where(Post.body_md.like("carga-%"))).scalars()
    return Counter(body.split(" ", 1)[0] for body in bodies)


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="the SQLite load test runs on the SQLite pass")
def test_eight_concurrent_posters_on_sqlite(app, db, make_user, make_community, make_pair):
    users, path = _load_forum(make_user, make_community, make_pair, 8)
    with gunicorn(_database_url(app), workers=2) as (base, _log):
        seen = _hammer(base, users, path, seconds=6)
    assert not seen["errors"], seen["statuses"]
    stored = _stored_tokens()
    assert len(seen["acknowledged"]) > 20
    assert stored == Counter(seen["acknowledged"])  # every acknowledged post stored, exactly once


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL pointing at PostgreSQL")
def test_fifty_concurrent_clients_on_postgresql(app, db, make_user, make_community, make_pair):
    users, path = _load_forum(make_user, make_community, make_pair, 50)
    with gunicorn(_database_url(app), workers=4, DATABASE_POOL_SIZE=8) as (base, _log):
        seen = _hammer(base, users, path, seconds=12)
    assert not seen["errors"], seen["statuses"]
    assert len(seen["acknowledged"]) > 25  # signing 50 people in (scrypt) takes part of the time
    assert _stored_tokens() == Counter(seen["acknowledged"])


@pytest.mark.skipif(not can_run_own_postgres(), reason="PostgreSQL's initdb and pg_ctl are not installed")
def test_the_database_restarting_under_load(tmp_path):
    """A PostgreSQL of the test's own stops for a few seconds while clients post: 503s, then recovery."""
    from forum import create_app
    from forum.services.membership import add_member

    server = OwnPostgres()
    server.init()
    try:
        upgrade = subprocess.run([str(VENV_BIN / "flask"), "--app", "forum", "db", "upgrade"], cwd=ROOT,
                                 env=production_env(server.url), capture_output=True, text=True)
        assert upgrade.returncode == 0, upgrade.stderr
        own = create_app("testing", SQLALCHEMY_DATABASE_URI=server.url.replace("postgresql://",
                                                                               "postgresql+psycopg://"))
        with own.app_context():
            users = []
            for i in range(10):
                user = User(email=f"carga{i}@example.org", display_name=f"Carga {i}", handle=f"carga{i}",
                            email_confirmed_at=utcnow(), locale="es")
                user.set_password(PASSWORD)
                _db.session.add(user)
                users.append(user)
            community = Community(slug="carga", name_es="Carga", name_en="Load")
            _db.session.add(community)
            _db.session.flush()
            for user in users:
                add_member(user, community)
            from forum.models import Forum, ForumPair
            from forum.services import posting

            pair = ForumPair(community_id=community.id, slug="p", opens_at=utcnow() - timedelta(days=1),
                             closes_at=utcnow() + timedelta(days=30))
            _db.session.add(pair)
            _db.session.flush()
            forum = Forum(pair_id=pair.id, community_id=community.id, language="es", slug="p-es", title="Foro")
            _db.session.add(forum)
            _db.session.flush()
            thread = posting.create_thread(forum, users[0], title="Pregunta", body="¿Qué opinan?",
                                           kind="guiding_question", position=1)
            _db.session.commit()
            path = f"/c/carga/f/p-es/threads/{thread.id}"
            emails = [u.email for u in users]
        with gunicorn(server.url, workers=2) as (base, _log):
            outage = threading.Timer(3, lambda: (server.stop(), time.sleep(3), server.start()))
            outage.start()
            seen = _hammer(base, emails, path, seconds=12, tolerate=(503,), pause=0.05)
            outage.join()
            after = Client(base).get("/healthz")[0]
        assert not seen["errors"], seen["statuses"]
        assert seen["statuses"][503] > 0 and after == 200, seen["statuses"]
        with own.app_context():
            assert _stored_tokens() == Counter(seen["acknowledged"])
            _db.session.remove()
            _db.engine.dispose()
    finally:
        server.destroy()


# --- killed in the middle of the work ---------------------------------------------------------------

def test_an_import_killed_halfway_leaves_no_half_member_and_the_next_run_completes(app, db, make_community, tmp_path):
    community_id = make_community("importada").id
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["email", "name", "country"])
    for n in range(3000):
        writer.writerow([f"persona{n}@example.org", f"Persona {n}", "CL"])
    path = tmp_path / "members.csv"
    path.write_text(rows.getvalue())
    process = _flask(app, "members", "import", str(path), "--community", "importada")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        _db.session.remove()
        if _db.session.execute(select(func.count(Membership.id))).scalar() > 0:
            break
        time.sleep(0.1)
    process.kill()
    process.wait()
    _db.session.remove()
    members = _db.session.execute(select(func.count(Membership.id)).filter_by(community_id=community_id)).scalar()
    people = _db.session.execute(select(func.count(User.id)).where(User.email.like("persona%"))).scalar()
    counter = _db.session.get(Community, community_id).member_count
    assert 0 < members < 3000 and people == members == counter  # whole batches only
    done = _flask(app, "members", "import", str(path), "--community", "importada")
    output, _err = done.communicate(timeout=120)
    assert done.returncode == 0 and f"unchanged {members}" in output
    _db.session.remove()
    assert _db.session.execute(select(func.count(Membership.id)).filter_by(community_id=community_id)).scalar() == 3000
    assert _db.session.get(Community, community_id).member_count == 3000


def test_an_export_killed_halfway_leaves_no_file_and_the_next_run_writes_it(app, db, make_community, make_pair,
                                                                            make_user, tmp_path):
    from sqlalchemy import insert

    community = make_community("exportada")
    pair = make_pair(community, slug="grande")
    author = make_user("Autora")
    thread = _db.session.execute(select(Thread).filter_by(forum_id=forum_of(pair, "es").id)).scalars().first()
    text = "La planificación territorial necesita datos locales comparables y gobernanza multinivel. " * 6
    _db.session.execute(insert(Post), [dict(thread_id=thread.id, author_id=author.id, number=n + 2, body_md=text,
                                            body_html=f"<p>{text}</p>", created_at=utcnow(), status="published")
                                       for n in range(1500)])
    _db.session.commit()
    target = tmp_path / "informe.docx"
    process = _flask(app, "export", "grande", "--format", "docx", "-o", str(target))
    time.sleep(1.5)
    process.kill()
    process.wait()
    assert not target.exists() and not list(tmp_path.glob("*.partial"))
    done = _flask(app, "export", "grande", "--format", "docx", "-o", str(target))
    output, errors = done.communicate(timeout=120)
    assert done.returncode == 0, errors
    import docx

    assert "1500 posts" in output and docx.Document(str(target)).paragraphs


def test_an_outbox_batch_killed_halfway_is_finished_by_the_next_run_without_sending_twice(app, db, tmp_path):
    from aiosmtpd.controller import Controller

    received = []

    class SlowServer:
        async def handle_DATA(self, server, session, envelope):
            await asyncio.sleep(0.15)
            received.append(envelope.content)
            return "250 OK"

    port = free_port()
    controller = Controller(SlowServer(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        for n in range(30):
            _queue(f"lote{n}@example.org", f"lote:{n}")
        db.session.commit()
        process = _flask(app, "mail", "deliver", MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        deadline = time.monotonic() + 30
        while len(received) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.kill()
        process.wait()
        _db.session.remove()
        states = Counter(_db.session.execute(select(OutboxMessage.status)).scalars())
        assert 0 < states["sent"] < 30 and states["queued"] > 0
        # The next run: the one that may have left is reported, never resent; the rest go once.
        mail.sweep_interrupted(older_than=timedelta(0))
        old = {k: app.config[k] for k in ("MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT")}
        app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        try:
            mail.deliver_due()
        finally:
            app.config.update(old)
        _db.session.remove()
        final = Counter(_db.session.execute(select(OutboxMessage.status)).scalars())
        recipients = Counter(line for content in received for line in content.decode().splitlines()
                             if line.startswith("To: "))
        assert final["queued"] == 0 and final["sent"] + final["failed"] == 30 and final["failed"] <= 1
        assert max(recipients.values()) == 1 and len(recipients) >= final["sent"]
    finally:
        controller.stop()


# --- the README's production section, followed literally --------------------------------------------------

def test_the_production_setup_as_the_readme_says(app, db, tmp_path):
    """gunicorn with scripts/deploy/gunicorn.conf.py, the scheduler as its own process, an SMTP
    server on loopback: a visitor signs up, the confirmation arrives by mail, the link works."""
    from aiosmtpd.controller import Controller
    from email import message_from_bytes, policy

    received = []

    class Relay:
        async def handle_DATA(self, server, session, envelope):
            received.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    smtp_port = free_port()
    relay = Controller(Relay(), hostname="127.0.0.1", port=smtp_port)
    relay.start()
    mail_env = {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port,
                "OUTBOX_INTERVAL_SECONDS": "1", "MAIL_DEFAULT_SENDER": "Red <foros@example.org>"}
    scheduler = _flask(app, "scheduler", **mail_env)
    try:
        with gunicorn(_database_url(app), workers=2, **mail_env) as (base, _log):
            visitor = Client(base)
            status, _page, headers = visitor.post("/auth/register", {
                "display_name": "Nueva Persona", "email": "nueva@example.org", "password": PASSWORD,
                "confirm": PASSWORD}, form_path="/auth/register")
            assert status == 302, _page[-500:]
            deadline = time.monotonic() + 20
            while not received and time.monotonic() < deadline:
                time.sleep(0.2)
            assert received, "the scheduler delivered nothing"
            message = received[0]
            assert message["To"] == "nueva@example.org"
            body = message.get_body(preferencelist=("plain",)).get_content()
            link = next(word for word in body.split() if "/auth/confirm/" in word)
            assert visitor.get("/auth/confirm/" + link.rsplit("/auth/confirm/", 1)[1])[0] in (200, 302)
            assert Client(base).get("/healthz")[0] == 200
        _db.session.remove()
        user = _db.session.execute(select(User).filter_by(email="nueva@example.org")).scalar_one()
        assert user.email_confirmed_at is not None
    finally:
        scheduler.send_signal(signal.SIGINT)
        scheduler.communicate(timeout=15)
        relay.stop()
