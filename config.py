"""Settings, read from the environment by `settings(name)` when create_app builds an app.

Nothing is read at import: a variable set (or changed by a test) before an app is created counts,
and importing this module never needs a SECRET_KEY. Every variable is documented in README.md
(Configuration).
"""
import os
from collections.abc import Mapping
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    value = env.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    return int(env.get(name, str(default)))


def normalise_db_url(url: str) -> str:
    """Accept the common `postgres://` and `postgresql://` forms and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _database(env: Mapping[str, str], url: str) -> dict:
    uri = normalise_db_url(url)
    # pre_ping: a connection that died with a database restart is replaced, not used.
    # hide_parameters: SQL logs and error messages never show values (members' text, addresses,
    # what a ballot said).
    engine_options = {"pool_pre_ping": True, "hide_parameters": True}
    if uri.startswith("postgresql"):
        engine_options.update(pool_size=_int(env, "DATABASE_POOL_SIZE", 5),
                              max_overflow=_int(env, "DATABASE_MAX_OVERFLOW", 5), pool_timeout=10)
    return {
        "SQLALCHEMY_DATABASE_URI": uri,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        # A database that accepts connections but never answers must not hold a worker until
        # gunicorn kills it (60 s, an untranslated 500): connecting gives up after this many
        # seconds (SQLite: waiting for another writer's lock), a PostgreSQL statement after this
        # many milliseconds; either way the page is the translated 503.
        "DATABASE_CONNECT_TIMEOUT": _int(env, "DATABASE_CONNECT_TIMEOUT", 5),
        "DATABASE_STATEMENT_TIMEOUT_MS": _int(env, "DATABASE_STATEMENT_TIMEOUT_MS", 30000),
    }


def _web(env: Mapping[str, str]) -> dict:
    return {
        "SECRET_KEY": env.get("SECRET_KEY"),
        # Keys the hash by which a member finds their own anonymous ballot; SECRET_KEY when unset.
        "BALLOT_KEY": env.get("BALLOT_KEY"),
        "BASE_URL": env.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "DEFAULT_TIMEZONE": env.get("DEFAULT_TIMEZONE", "America/Santiago"),
        "SITE_NAME": env.get("SITE_NAME", "Red de Planificación / Planning Network"),
        # Interface languages, "es,en,pt": each needs a catalog in translations/; Spanish is the default.
        "LANGUAGES": env.get("LANGUAGES", "es,en"),
        "BABEL_DEFAULT_LOCALE": "es",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "BABEL_TRANSLATION_DIRECTORIES": str(BASE_DIR / "translations"),
        # How many reverse proxies (nginx...) stand in front of the app, and their addresses: their
        # X-Forwarded-* headers are trusted for the client's address (rate limits), and only when
        # the request comes from one of them. 0 (the default): gunicorn faces the visitors.
        "PROXY_COUNT": _int(env, "PROXY_COUNT", 0),
        "TRUSTED_PROXIES": env.get("TRUSTED_PROXIES", "127.0.0.1,::1"),
        "HSTS_SECONDS": 0,  # Strict-Transport-Security: production only
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env, "SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # Rate limits (Flask-Limiter). In memory, each process counts on its own: production
        # refuses that unless it runs one worker (forum.check_rate_limit_store). Redis when
        # RATELIMIT_STORAGE_URI or REDIS_URL is set, so every worker and server shares the counters.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or env.get("REDIS_URL", "memory://"),
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        # Failed sign-ins per address (successful ones are not counted) and per account.
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "LOGIN_ACCOUNT_RATE_LIMIT": env.get("LOGIN_ACCOUNT_RATE_LIMIT", "6 per hour"),
        "CONFIRM_TOKEN_MAX_AGE": 2 * 24 * 3600,
        "INVITATION_MAX_AGE": 14 * 24 * 3600,  # community invitations and "choose your password" links
        "RESET_TOKEN_MAX_AGE": 2 * 3600,
        "UPLOAD_DIR": env.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads")),
        "MAX_UPLOAD_MB": _int(env, "MAX_UPLOAD_MB", 20),
    }


def _mail(env: Mapping[str, str]) -> dict:
    return {
        # "smtp" delivers over SMTP; "file" writes .eml files (development).
        "MAIL_BACKEND": env.get("MAIL_BACKEND", "smtp"),
        "MAIL_SERVER": env.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": _int(env, "MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool(env, "MAIL_USE_TLS"),  # STARTTLS
        "MAIL_USE_SSL": _bool(env, "MAIL_USE_SSL"),  # implicit TLS
        "MAIL_USERNAME": env.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "Red de Planificación <no-reply@localhost>"),
        "MAIL_FILE_DIR": env.get("MAIL_FILE_DIR", str(INSTANCE_DIR / "mail")),
        "MAIL_MAX_ATTEMPTS": _int(env, "MAIL_MAX_ATTEMPTS", 8),
        "MAIL_BATCH_SIZE": _int(env, "MAIL_BATCH_SIZE", 100),
        # One message's delivery is bounded by the SMTP timeouts (30 s per step); a message still
        # "sending" after this long, claimed by a delivery run by hand, is of unknown outcome.
        "MAIL_SENDING_TIMEOUT_SECONDS": _int(env, "MAIL_SENDING_TIMEOUT_SECONDS", 300),
        "NEWSLETTER_REPLY_TO": env.get("NEWSLETTER_REPLY_TO"),
        # The mailto: alternative of List-Unsubscribe (for mail clients without one-click): a mailbox
        # someone reads; by default the sender's address.
        "MAIL_UNSUBSCRIBE_ADDRESS": env.get("MAIL_UNSUBSCRIBE_ADDRESS"),
        "DIGEST_HOUR": _int(env, "DIGEST_HOUR", 7),  # in DEFAULT_TIMEZONE
        "DIGEST_WEEKDAY": env.get("DIGEST_WEEKDAY", "mon"),
        # How late a digest may still run: after a restart or a busy minute at DIGEST_HOUR.
        "DIGEST_GRACE_SECONDS": _int(env, "DIGEST_GRACE_SECONDS", 3600),
    }


def _jobs_and_content(env: Mapping[str, str]) -> dict:
    return {
        # The scheduler runs in the dev server (development) or as its own
        # process (`flask --app forum scheduler`), never in web workers.
        "SCHEDULER_IN_PROCESS": _bool(env, "SCHEDULER_IN_PROCESS", False),
        "OUTBOX_INTERVAL_SECONDS": _int(env, "OUTBOX_INTERVAL_SECONDS", 60),
        # The lease that lets one scheduler run jobs; another takes over this long after it stops.
        "SCHEDULER_LEASE_SECONDS": _int(env, "SCHEDULER_LEASE_SECONDS", 90),
        # Logs: "text" (key=value) or "json", one line per request and per job run.
        "LOG_FORMAT": env.get("LOG_FORMAT", "text"),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        "FLAGS_TO_HIDE": _int(env, "FLAGS_TO_HIDE", 3),  # different members' flags hide a post
        "POSTING_RATE_LIMIT": env.get("POSTING_RATE_LIMIT", "8 per minute;120 per day"),
        "NEW_MEMBER_MAX_LINKS": _int(env, "NEW_MEMBER_MAX_LINKS", 2),
        "POSTS_PER_PAGE": 30,
        # A search still running after this long is cancelled and answered with a message, so a
        # few searches cannot hold every web worker (gunicorn kills a worker after 30 s).
        "SEARCH_TIMEOUT_MS": _int(env, "SEARCH_TIMEOUT_MS", 3000),
        # Pages cached whole (forum.page_cache): kept at most this long (a forum opening or closing
        # shows up within it; a write shows up at once), this many visitors' pages and this many
        # members' (each member's their own) per process, and in Redis (PAGE_CACHE_URL, else
        # REDIS_URL) for every server. PAGE_CACHE_SECONDS=0 turns it off.
        "PAGE_CACHE_SECONDS": _int(env, "PAGE_CACHE_SECONDS", 60),
        "PAGE_CACHE_SIZE": _int(env, "PAGE_CACHE_SIZE", 500),
        "PAGE_CACHE_MEMBER_SIZE": _int(env, "PAGE_CACHE_MEMBER_SIZE", 500),
        "PAGE_CACHE_URL": env.get("PAGE_CACHE_URL") or env.get("REDIS_URL"),
        # Theme suggestions and sibling replies: "auto" (the sentence encoder if its package is
        # installed, else lexical), "use-m3" or "lexical".
        "ASSIST_METHOD": env.get("ASSIST_METHOD", "auto"),
        "POST_MAX_LENGTH": 20_000,
    }


def _common(env: Mapping[str, str], database_url: str) -> dict:
    return {**_database(env, database_url), **_web(env), **_mail(env), **_jobs_and_content(env)}


def development(env: Mapping[str, str]) -> dict:
    values = _common(env, env.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    values.update(
        DEBUG=True,
        SECRET_KEY=env.get("SECRET_KEY", "dev-only-not-secret"),
        MAIL_BACKEND=env.get("MAIL_BACKEND", "file"),
        SCHEDULER_IN_PROCESS=_bool(env, "SCHEDULER_IN_PROCESS", True),
        OUTBOX_INTERVAL_SECONDS=_int(env, "OUTBOX_INTERVAL_SECONDS", 5),
    )
    return values


def testing(env: Mapping[str, str]) -> dict:
    values = _common(env, env.get("TEST_DATABASE_URL", "sqlite://"))
    values.update(
        TESTING=True,
        SECRET_KEY="test-secret",
        RATELIMIT_ENABLED=True,  # memory storage, reset between tests
        RATELIMIT_STORAGE_URI="memory://",
        PAGE_CACHE_URL=None,  # each test's pages in the process only, emptied between tests
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        BASE_URL="http://localhost",
        SERVER_NAME=None,
    )
    return values


def production(env: Mapping[str, str]) -> dict:
    values = _common(env, env.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    values.update(
        # Sent when BASE_URL is https: a year, as browsers' preload lists expect; 0 turns it off.
        HSTS_SECONDS=_int(env, "HSTS_SECONDS", 365 * 24 * 3600),
        SESSION_COOKIE_SECURE=_bool(env, "SESSION_COOKIE_SECURE", True),
    )
    values["REMEMBER_COOKIE_SECURE"] = values["SESSION_COOKIE_SECURE"]
    return values


DEFAULT_DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'forum.sqlite3'}"
CONFIGS = {"development": development, "testing": testing, "production": production}


def settings(name: str, env: Mapping[str, str] | None = None) -> dict:
    """The settings called `name`, read from `env` (the process environment) at this call."""
    return CONFIGS[name](os.environ if env is None else env)
