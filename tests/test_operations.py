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
from forum.services import leases, outbox
from tests.conftest import PASSWORD, IsolatedClient, forum_of, free_port
from tests.servers import ROOT, VENV_BIN, Client, OwnPostgres, can_run_own_postgres, gunicorn, production_env, stop


def _queue(address: str, key: str) -> None:
    from types import SimpleNamespace

    mail.queue_email(to=address, template="confirm_email", dedupe_key=key, locale="es",
                     user=SimpleNamespace(display_name="Persona"), token="t")


def _database_url(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"]


@pytest.fixture
def flask_cli(app):
    """Start `flask --app forum ...` as its own process; every one started is stopped after the
    test (terminate, then kill after a timeout), whatever the test did, so no scheduler outlives
    its test holding the lease."""
    started: list[subprocess.Popen] = []

    def start(*args: str, **env) -> subprocess.Popen:
        process = subprocess.Popen([str(VENV_BIN / "flask"), "--app", "forum", *args], cwd=ROOT,
                                   env=production_env(_database_url(app), **env),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            stop(process)


def _wait(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        _db.session.remove()
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: not after {seconds} s")


def _lease_holder_pid() -> int | None:
    holder = leases.live_holder()
    return int(holder.split(":")[1]) if holder else None


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


def test_two_scheduler_processes_started_by_mistake_send_each_message_once(app, db, tmp_path, flask_cli):
    """The README's scheduler command, twice, against one database: one works, the other waits."""
    for n in range(20):
        _queue(f"p{n}@example.org", f"two-schedulers:{n}")
    db.session.commit()
    mail_dir = tmp_path / "mail"
    env = {"MAIL_FILE_DIR": str(mail_dir), "OUTBOX_INTERVAL_SECONDS": "1", "SCHEDULER_LEASE_SECONDS": "30"}
    schedulers = [flask_cli("scheduler", **env) for _ in range(2)]
    try:
        _wait(lambda: db.session.execute(select(func.count()).where(OutboxMessage.status == "sent")).scalar() == 20,
              120, "the 20 messages sent")
        time.sleep(2.5)  # both schedulers tick at least twice more
    finally:
        logs = [stop(process)[1] for process in schedulers]
        print("\n".join(log[-3000:] for log in logs))
    assert len(list(mail_dir.glob("*.eml"))) == 20
    workers = set()
    for log in logs:
        for line in log.splitlines():
            if line.startswith("{") and '"job": "deliver_outbox"' in line:
                workers.add(json.loads(line)["holder"])
    assert len(workers) == 1, logs


def test_a_stopped_scheduler_hands_the_lease_over_at_once(app, db, flask_cli):
    """systemd stops and restarts the scheduler with SIGTERM, Ctrl-C sends SIGINT: either way it
    releases its lease, so the next scheduler takes over at its first tick instead of waiting
    for the lease (here 600 s) to lapse."""
    env = {"OUTBOX_INTERVAL_SECONDS": "1", "SCHEDULER_LEASE_SECONDS": "600"}
    first = flask_cli("scheduler", **env)
    _wait(lambda: _lease_holder_pid() == first.pid, 180, "the first scheduler holding the lease")
    first.send_signal(signal.SIGTERM)
    _out, log = first.communicate(timeout=120)
    assert first.returncode == 0 and "released the lease" in log, log[-2000:]
    _db.session.remove()
    assert leases.live_holder() is None
    second = flask_cli("scheduler", **env)
    _wait(lambda: _lease_holder_pid() == second.pid, 300, "the second scheduler taking the lease over")
    second.send_signal(signal.SIGINT)
    _out, log = second.communicate(timeout=120)
    assert second.returncode == 0 and "released the lease" in log, log[-2000:]
    _db.session.remove()
    assert leases.live_holder() is None


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

# Its own Redis database: the test empties it (TEST_REDIS_URL when several checkouts share one Redis).
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_up() -> bool:
    try:
        import redis

        return redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except Exception:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_two_web_servers_share_rate_limits_through_redis(app, db, make_user):
    """With REDIS_URL the limits count across servers: sign-in attempts on one count on the other."""
    import redis

    from forum import create_app

    redis.Redis.from_url(REDIS_URL).flushdb()
    servers = [create_app("testing", SQLALCHEMY_DATABASE_URI=_database_url(app), LOGIN_RATE_LIMIT="3 per minute",
                          RATELIMIT_STORAGE_URI=REDIS_URL) for _ in range(2)]
    for server in servers:
        server.test_client_class = IsolatedClient
    user = make_user("Limitada")
    codes = []
    for attempt in range(4):
        c = servers[attempt % 2].test_client()
        codes.append(c.post("/auth/login", data={"email": user.email, "password": "wrong"}).status_code)
    assert codes == [400, 400, 400, 429]
    redis.Redis.from_url(REDIS_URL).flushdb()


# --- load -----------------------------------------------------------------------------------------------

def _load_forum(make_user, make_community, make_pair, people: int):
    users = [make_user(f"Carga {i}", email=f"carga{i}@example.org") for i in range(people)]
    community = make_community("carga", members={u: "member" for u in users})
    pair = make_pair(community, questions=1)
    forum = forum_of(pair, "es")
    thread = _db.session.execute(select(Thread).filter_by(forum_id=forum.id)).scalar_one()
    return [u.email for u in users], f"/c/carga/f/{forum.slug}/threads/{thread.id}"


def _hammer(base: str, emails: list[str], path: str, *, rounds: int | None = None, seconds: float | None = None,
            tolerate=(), pause=None, when_signed_in=None) -> dict:
    """Everyone signs in; then each reads and posts: `rounds` requests each (two posts for every
    read), or for `seconds` (a fault test, where the load must cover the fault, which
    `when_signed_in` starts); returns what the clients saw. How fast it goes is for
    scripts/bench-http, not for a test."""
    clock = {}
    acknowledged, statuses, lock = [], Counter(), threading.Lock()

    def everyone_in() -> None:
        if seconds is not None:
            clock["deadline"] = time.monotonic() + seconds
        if when_signed_in is not None:
            when_signed_in()

    signed_in = threading.Barrier(len(emails), action=everyone_in)

    def work(index: int, email: str) -> None:
        client = Client(base)
        try:
            status = client.login(email, PASSWORD)
        except OSError as error:
            status = repr(error)
        signed_in.wait(timeout=600)
        assert status == 302, status
        n = 0
        while (n < rounds) if rounds is not None else (time.monotonic() < clock["deadline"]):
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
        seen = _hammer(base, users, path, rounds=6)
    assert not seen["errors"], seen["statuses"]
    assert len(seen["acknowledged"]) == 8 * 4  # every post of every poster accepted
    assert _stored_tokens() == Counter(seen["acknowledged"])  # and stored, exactly once


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL pointing at PostgreSQL")
def test_fifty_concurrent_clients_on_postgresql(app, db, make_user, make_community, make_pair):
    users, path = _load_forum(make_user, make_community, make_pair, 50)
    with gunicorn(_database_url(app), workers=4, DATABASE_POOL_SIZE=8) as (base, _log):
        seen = _hammer(base, users, path, rounds=3)
    assert not seen["errors"], seen["statuses"]
    assert len(seen["acknowledged"]) == 50 * 2  # every post of every client accepted
    assert _stored_tokens() == Counter(seen["acknowledged"])  # and stored, exactly once


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
            # The database stops once everyone is signed in and posting, for a few seconds.
            outage = threading.Timer(3, lambda: (server.stop(), time.sleep(3), server.start()))
            seen = _hammer(base, emails, path, seconds=12, tolerate=(503,), pause=0.05, when_signed_in=outage.start)
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

def test_an_import_killed_halfway_leaves_no_half_member_and_the_next_run_completes(app, db, make_community, tmp_path,
                                                                                 flask_cli):
    community_id = make_community("importada").id
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["email", "name", "country"])
    for n in range(3000):
        writer.writerow([f"persona{n}@example.org", f"Persona {n}", "CL"])
    path = tmp_path / "members.csv"
    path.write_text(rows.getvalue())
    process = flask_cli("members", "import", str(path), "--community", "importada")
    deadline = time.monotonic() + 180
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
    done = flask_cli("members", "import", str(path), "--community", "importada")
    output, _err = done.communicate(timeout=600)
    assert done.returncode == 0 and f"unchanged {members}" in output
    _db.session.remove()
    assert _db.session.execute(select(func.count(Membership.id)).filter_by(community_id=community_id)).scalar() == 3000
    assert _db.session.get(Community, community_id).member_count == 3000


# Loaded by the export process (PYTHONPATH): the first write of a file in KILL_WHILE_WRITING
# writes half its bytes to disk, then the process is killed, as by the OOM killer or a power cut.
KILL_HALFWAY = """
import io, os, signal
_open, _folder = io.open, os.environ["KILL_WHILE_WRITING"]

class _HalfThenKilled:
    def __init__(self, file):
        self._file = file
    def write(self, data):
        self._file.write(data[:len(data) // 2])
        self._file.flush()
        os.fsync(self._file.fileno())
        os.kill(os.getpid(), signal.SIGKILL)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self._file.close()
    def __getattr__(self, name):
        return getattr(self._file, name)

def _open_then_die(file, mode="r", *args, **kwargs):
    handle = _open(file, mode, *args, **kwargs)
    if any(m in mode for m in "wax") and os.path.dirname(os.path.abspath(os.fsdecode(file))) == _folder:
        return _HalfThenKilled(handle)
    return handle

io.open = _open_then_die
import builtins
builtins.open = _open_then_die
"""


def test_an_export_killed_while_writing_leaves_the_previous_report_whole(app, db, make_community, make_pair,
                                                                         make_user, tmp_path, flask_cli):
    """The export process is killed halfway through writing the file: the report at the target
    path is still the previous one, whole (never half a file), and the next run replaces it."""
    community = make_community("exportada")
    pair = make_pair(community, slug="grande")
    author = make_user("Autora")
    thread = _db.session.execute(select(Thread).filter_by(forum_id=forum_of(pair, "es").id)).scalars().first()
    for n in range(40):
        from forum.services import posting

        posting.add_post(thread, author, f"Aporte {n}: la planificación territorial necesita datos locales.")
    _db.session.commit()
    reports, hook = tmp_path / "reports", tmp_path / "hook"
    reports.mkdir()
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(KILL_HALFWAY)
    target = reports / "informe.md"
    previous = "# Informe anterior\n\nEl de la semana pasada, completo.\n"
    target.write_text(previous)
    killed = flask_cli("export", "grande", "--format", "md", "-o", str(target),
                       PYTHONPATH=f"{hook}{os.pathsep}{ROOT}", KILL_WHILE_WRITING=str(reports))
    _out, errors = killed.communicate(timeout=600)
    assert killed.returncode == -signal.SIGKILL, errors[-2000:]  # it died writing, not before
    assert target.read_text() == previous
    done = flask_cli("export", "grande", "--format", "md", "-o", str(target))
    output, errors = done.communicate(timeout=600)
    assert done.returncode == 0, errors
    assert "Aporte 39: la planificación territorial" in target.read_text()
    assert {p.name for p in reports.iterdir()} == {"informe.md"}  # the next run left no partial file behind


def test_an_outbox_batch_killed_halfway_is_finished_by_the_next_run_without_sending_twice(app, db, tmp_path,
                                                                                         flask_cli):
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
        process = flask_cli("mail", "deliver", MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        deadline = time.monotonic() + 120
        while len(received) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.kill()
        process.wait()
        _db.session.remove()
        states = Counter(_db.session.execute(select(OutboxMessage.status)).scalars())
        assert 0 < states["sent"] < 30 and states["queued"] > 0
        # The next run: the one that may have left is of unknown outcome, never resent by itself;
        # the rest go once.
        outbox.sweep_interrupted(older_than=timedelta(0))
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
        assert final["queued"] == 0 and final["sent"] + final["unknown"] == 30 and final["unknown"] <= 1
        assert max(recipients.values()) == 1 and len(recipients) >= final["sent"]
    finally:
        controller.stop()


def test_a_scheduler_killed_in_the_middle_of_a_send_leaves_a_message_the_organizer_sees_and_resends(
        app, db, client, login, make_user, make_community, flask_cli):
    """`kill -9` of the scheduler while the mail server holds a newsletter message: once its lease
    lapses the sweep shows that message as of unknown outcome at once (not 15 minutes later,
    not as failed), and the organizer resends it to that recipient with one click."""
    from aiosmtpd.controller import Controller

    from forum.models import Newsletter
    from forum.services import newsletters

    received, release = [], threading.Event()

    class Hanging:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.rcpt_tos[0])
            while not release.is_set():  # the first message hangs until the sender is dead
                await asyncio.sleep(0.05)
            return "250 OK"

    organizer = make_user("Olga", email="olga@example.org")
    readers = [make_user(f"Lectora {n}", email=f"lectora{n}@example.org", newsletter_opt_in_at=utcnow())
               for n in range(2)]
    community = make_community("red", members={organizer: "organizer", **{r: "member" for r in readers}})
    edition_id = newsletters.save(organizer, community, subject_es="Boletín", subject_en="Newsletter",
                               body_es="Hola", body_en="Hello").id
    newsletters.schedule(organizer, _db.session.get(Newsletter, edition_id), None)
    assert newsletters.send_due() == 1
    emails = {organizer.email, *(r.email for r in readers)}
    port = free_port()
    relay = Controller(Hanging(), hostname="127.0.0.1", port=port)
    relay.start()
    try:
        scheduler = flask_cli("scheduler", MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                              OUTBOX_INTERVAL_SECONDS="1", SCHEDULER_LEASE_SECONDS="2")
        _wait(lambda: received, 180, "the scheduler sending the first message")
        scheduler.kill()  # kill -9 in the middle of the send
        scheduler.wait()
        release.set()
        _db.session.remove()
        in_flight = _db.session.execute(select(OutboxMessage).filter_by(status="sending")).scalar_one()
        assert in_flight.to_address == received[0] and f":{scheduler.pid}:" in in_flight.claimed_by
        _wait(lambda: leases.live_holder() is None, 30, "the dead scheduler's lease lapsing")
        assert outbox.sweep_interrupted() == 1  # claimed seconds ago, by a holder that is gone
        _db.session.remove()
        assert _db.session.get(OutboxMessage, in_flight.id).status == "unknown"

        login(_db.session.execute(select(User).filter_by(email="olga@example.org")).scalar_one())
        url = f"/c/red/newsletters/{edition_id}"
        page = client.get(url).get_data(as_text=True)
        assert f"{received[0]}: <strong>Resultado desconocido</strong>" in page
        assert "Resultado desconocido: 1 · reenviados: 0" in page and "Reenviar a este destinatario" in page
        client.post("/language", data={"lang": "en"})
        page = client.get(url).get_data(as_text=True)
        assert f"{received[0]}: <strong>Outcome unknown</strong>" in page and "Resend to this recipient" in page
        for _click in range(2):  # a double submit resends once
            assert client.post(url + "/resend").status_code == 302
        old = {k: app.config[k] for k in ("MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT")}
        app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        try:
            assert mail.deliver_due() == {"sent": 2, "retrying": 0, "failed": 0}  # the copy and the other reader's
        finally:
            app.config.update(old)
        other = (emails - {"olga@example.org", received[0]}).pop()
        assert Counter(received) == {received[0]: 2, other: 1}
        page = client.get(url).get_data(as_text=True)
        assert f"{received[0]}: <strong>Delivered</strong>" in page and "resent by Olga" in page
        assert "Queued: 2 · sent: 2 · waiting: 0 · failed: 0" in page and "Outcome unknown: 0 · resent: 1" in page
        assert "Resend to" not in page
    finally:
        relay.stop()


# --- the README's production section, followed literally --------------------------------------------------

def test_the_production_setup_as_the_readme_says(app, db, tmp_path, flask_cli):
    """gunicorn with scripts/deploy/gunicorn.conf.py, the scheduler as its own process, an SMTP
    server on loopback: a visitor signs up, the confirmation arrives by mail, the link works."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

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
    flask_cli("scheduler", **mail_env)
    try:
        with gunicorn(_database_url(app), workers=2, **mail_env) as (base, _log):
            visitor = Client(base)
            status, _page, headers = visitor.post("/auth/register", {
                "display_name": "Nueva Persona", "email": "nueva@example.org", "password": PASSWORD,
                "confirm": PASSWORD}, form_path="/auth/register")
            assert status == 302, _page[-500:]
            deadline = time.monotonic() + 120
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
        relay.stop()
