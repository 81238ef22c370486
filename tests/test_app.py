"""The application shell: health check, security headers, configuration, SQLite settings."""
import pytest

from forum import create_app
from tests.conftest import PASSWORD, is_postgres


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_database_unreachable(tmp_path):
    broken = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["database"].startswith("error")


def test_every_page_forbids_inline_script(client):
    for url in ("/", "/auth/login", "/does-not-exist"):
        csp = client.get(url).headers["Content-Security-Policy"]
        script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
        assert "'self'" in script_src
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    user = make_user()
    response = client.post("/auth/login", data={"email": user.email, "password": "correct horse battery"})
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_the_environment_is_read_when_the_app_is_built(app, monkeypatch):
    """A variable set after config.py was imported still counts (a test, a CLI wrapper, a
    process manager that sets it late): settings are read by create_app, not at import."""
    from forum.extensions import db

    monkeypatch.setenv("GUNICORN_WORKERS", "1")
    monkeypatch.setenv("SECRET_KEY", "set-after-import")
    monkeypatch.setenv("SITE_NAME", "Red de prueba")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/6")
    production = create_app("production", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        assert production.config["SECRET_KEY"] == "set-after-import"
        assert production.config["SITE_NAME"] == "Red de prueba"
        assert production.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/6"
    finally:
        with production.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("base_url, expected", [("https://foros.example.org", "max-age=31536000"),
                                                ("http://127.0.0.1:8000", None)])
def test_production_over_https_sends_hsts(app, monkeypatch, base_url, expected):
    """Browsers that saw the site once over https refuse plain http to it (no downgrade)."""
    from forum.extensions import db

    monkeypatch.setenv("GUNICORN_WORKERS", "1")
    production = create_app("production", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                            SECRET_KEY="x", BASE_URL=base_url, RATELIMIT_STORAGE_URI="memory://")
    try:
        for url in ("/", "/healthz"):
            assert production.test_client().get(url).headers.get("Strict-Transport-Security") == expected
    finally:
        with production.app_context():
            db.session.remove()
            db.engine.dispose()
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers  # not in testing


def test_sqlite_runs_in_wal_mode_with_busy_timeout(db):
    if is_postgres():
        pytest.skip("SQLite-only setting")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_forms_are_protected_by_csrf(client, make_user):
    """A state change without the form's token is refused with a translated page; with it, it goes through."""
    user = make_user()
    response = client.post("/auth/login", data={"email": user.email, "password": "x"}, csrf=False)
    assert response.status_code == 400
    assert "Algo en la solicitud no era correcto" in response.get_data(as_text=True)
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_pages_answer_503_with_a_translated_page_when_the_database_is_unreachable(tmp_path):
    broken = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    client = broken.test_client()
    response = client.get("/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "no podemos conectarnos con la base de datos" in response.get_data(as_text=True).lower()
    response = client.get("/", headers={"Accept-Language": "en"})
    assert "cannot reach the database" in response.get_data(as_text=True)
