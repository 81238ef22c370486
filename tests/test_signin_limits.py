"""Sign-in limits: failures only, per address and per account (with an emailed way back in);
forwarded addresses believed only from configured proxies; production needs a shared store."""
import os

import pytest
from flask import Flask, request

from forum import check_rate_limit_store, create_app
from forum.extensions import db as _db
from forum.mail import deliver_due
from forum.proxies import TrustedProxyFix
from tests.conftest import PASSWORD, IsolatedClient, link_in, outbox, text_part
from tests.servers import Client, gunicorn

LOCKED_ES = "Demasiados intentos fallidos de iniciar sesión en esta cuenta"


def attempt(client, email, password, address="198.51.100.1"):
    return client.post("/auth/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_successful_sign_ins_from_one_address_are_not_counted(client, make_user):
    """An office behind one address: everyone signs in, however many they are."""
    people = [make_user() for _ in range(14)]
    for person in people:
        assert attempt(client, person.email, PASSWORD).status_code == 302
        client.post("/auth/logout")
    # Failures still are: the address's allowance (10 per minute) is all there for them.
    statuses = [attempt(client, f"x{n}@example.org", "nope").status_code for n in range(11)]
    assert statuses == [400] * 10 + [429]


def test_failed_sign_ins_are_limited_per_account_from_any_address_with_an_email_to_get_back_in(
        client, smtp, make_user):
    user = make_user(email="rosa@example.org", locale="en")
    statuses = [attempt(client, "rosa@example.org", "nope", f"203.0.113.{n}").status_code for n in range(6)]
    assert statuses == [400] * 5 + [429]
    refused = attempt(client, "rosa@example.org", PASSWORD, "192.0.2.50")  # even the right password, elsewhere
    assert refused.status_code == 429
    assert LOCKED_ES in refused.get_data(as_text=True)
    attempt(client, "rosa@example.org", "nope", "192.0.2.51")
    deliver_due()
    [message] = smtp.to("rosa@example.org")  # told once, however many attempts follow
    assert message["Subject"] == "Signing in to your account is paused"
    path = link_in(text_part(message), "/auth/reset/").replace("http://localhost", "")
    response = client.post(path, data={"password": "otra clave segura", "confirm": "otra clave segura"})
    assert response.status_code == 302
    client.post("/auth/logout")
    assert attempt(client, user.email, "otra clave segura", "192.0.2.52").status_code == 302


def test_a_locked_unknown_address_looks_like_a_locked_account_and_emails_no_one(client):
    statuses = [attempt(client, "nadie@example.org", "nope", f"203.0.113.{n}").status_code for n in range(7)]
    assert statuses[-1] == 429
    assert outbox() == []


def test_forwarded_addresses_are_believed_only_from_configured_proxies():
    seen = Flask("peer")
    seen.get("/")(lambda: request.remote_addr)
    seen.wsgi_app = TrustedProxyFix(seen.wsgi_app, 1, "127.0.0.1, 10.0.0.0/8")
    client = seen.test_client()
    spoofed = {"X-Forwarded-For": "1.2.3.4"}
    assert client.get("/", headers=spoofed, environ_base={"REMOTE_ADDR": "203.0.113.9"}).text == "203.0.113.9"
    assert client.get("/", headers=spoofed, environ_base={"REMOTE_ADDR": "10.1.2.3"}).text == "1.2.3.4"
    assert client.get("/", headers=spoofed, environ_base={"REMOTE_ADDR": "127.0.0.1"}).text == "1.2.3.4"


def test_production_counts_sign_ins_by_the_peer_unless_told_about_proxies(app, make_user, monkeypatch):
    """gunicorn reached directly: a new X-Forwarded-For on every attempt does not reset the count."""
    monkeypatch.setenv("GUNICORN_WORKERS", "1")  # one process: in-memory limits are right
    production = create_app("production", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                            SECRET_KEY="test-secret", SESSION_COOKIE_SECURE=False, RATELIMIT_STORAGE_URI="memory://")
    production.test_client_class = IsolatedClient
    try:
        client = production.test_client()
        statuses = [client.post("/auth/login", data={"email": f"x{n}@example.org", "password": "nope"},
                                headers={"X-Forwarded-For": f"192.0.2.{n}"},
                                environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code for n in range(11)]
        assert statuses == [400] * 10 + [429]
    finally:
        with production.app_context():
            _db.session.remove()
            _db.engine.dispose()


def test_production_refuses_to_start_with_limits_counted_per_worker(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("GUNICORN_WORKERS", "5")
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        create_app("production")
    check_rate_limit_store("redis://127.0.0.1:6379/0", "5")  # a shared store: fine
    check_rate_limit_store("memory://", "1")  # one worker: fine


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")  # the one production_env uses


def _redis_up() -> bool:
    try:
        import redis
    except ImportError:
        return False
    try:
        return redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.exceptions.RedisError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_gunicorn_workers_count_failed_sign_ins_together(app, db):
    """Production as deployed, 3 workers: 10 wrong passwords get an answer, not 10 per worker."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    try:
        with gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], workers=3, LOGIN_RATE_LIMIT="10 per hour") as (base, _):
            visitor = Client(base)
            statuses = [visitor.login(f"x{n}@example.org", "nope") for n in range(40)]
    finally:
        redis.Redis.from_url(REDIS_URL).flushdb()
    assert statuses.count(400) == 10 and statuses.count(429) == 30
