"""Settings, read from the environment once, at app creation.

Every variable is documented in README.md (Configuration).
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_db_url(url: str) -> str:
    """Accept the common `postgres://` and `postgresql://` forms and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # Keys the hash by which a member finds their own anonymous ballot; SECRET_KEY when unset.
    BALLOT_KEY = os.environ.get("BALLOT_KEY")
    SQLALCHEMY_DATABASE_URI = normalise_db_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'forum.sqlite3'}")
    )
    # pre_ping: a connection that died with a database restart is replaced, not used.
    # hide_parameters: SQL logs and error messages never show values (members' text, addresses,
    # what a ballot said).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    if SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
        SQLALCHEMY_ENGINE_OPTIONS.update(pool_size=int(os.environ.get("DATABASE_POOL_SIZE", "5")),
                                         max_overflow=int(os.environ.get("DATABASE_MAX_OVERFLOW", "5")),
                                         pool_timeout=10)
    # A database that accepts connections but never answers must not hold a worker until
    # gunicorn kills it (60 s, an untranslated 500): connecting gives up after this many
    # seconds (SQLite: waiting for another writer's lock), a PostgreSQL statement after this
    # many milliseconds; either way the page is the translated 503.
    DATABASE_CONNECT_TIMEOUT = int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
    DATABASE_STATEMENT_TIMEOUT_MS = int(os.environ.get("DATABASE_STATEMENT_TIMEOUT_MS", "30000"))
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    DEFAULT_TIMEZONE = os.environ.get("DEFAULT_TIMEZONE", "America/Santiago")
    SITE_NAME = os.environ.get("SITE_NAME", "Red de Planificación / Planning Network")

    LANGUAGES = ("es", "en")
    BABEL_DEFAULT_LOCALE = "es"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # How many reverse proxies (nginx...) stand in front of the app, and their addresses: their
    # X-Forwarded-* headers are trusted for the client's address (rate limits), and only when
    # the request comes from one of them. 0 (the default): gunicorn faces the visitors.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    TRUSTED_PROXIES = os.environ.get("TRUSTED_PROXIES", "127.0.0.1,::1")

    HSTS_SECONDS = 0  # Strict-Transport-Security: production only (see ProductionConfig)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Mail: "smtp" delivers over SMTP; "file" writes .eml files (development).
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")  # STARTTLS
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")  # implicit TLS
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Red de Planificación <no-reply@localhost>"
    )
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR", str(INSTANCE_DIR / "mail"))
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "8"))
    MAIL_BATCH_SIZE = int(os.environ.get("MAIL_BATCH_SIZE", "100"))
    # One message's delivery is bounded by the SMTP timeouts (30 s per step); a message still
    # "sending" after this long, claimed by a delivery run by hand, is of unknown outcome.
    MAIL_SENDING_TIMEOUT_SECONDS = int(os.environ.get("MAIL_SENDING_TIMEOUT_SECONDS", "300"))

    # Rate limits (Flask-Limiter). In memory, each process counts on its own: production
    # refuses that unless it runs one worker (forum.check_rate_limit_store). Redis when
    # RATELIMIT_STORAGE_URI or REDIS_URL is set, so every worker and server shares the counters.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL", "memory://")
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    # Failed sign-ins per address (successful ones are not counted) and per account.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "6 per hour")

    # The scheduler runs in the dev server (development) or as its own
    # process (`flask --app forum scheduler`), never in web workers.
    SCHEDULER_IN_PROCESS = _bool("SCHEDULER_IN_PROCESS", False)
    OUTBOX_INTERVAL_SECONDS = int(os.environ.get("OUTBOX_INTERVAL_SECONDS", "60"))
    # The lease that lets one scheduler run jobs; another takes over this long after it stops.
    SCHEDULER_LEASE_SECONDS = int(os.environ.get("SCHEDULER_LEASE_SECONDS", "90"))
    # Logs: "text" (key=value) or "json", one line per request and per job run.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

    CONFIRM_TOKEN_MAX_AGE = 2 * 24 * 3600
    INVITATION_MAX_AGE = 14 * 24 * 3600  # community invitations and "choose your password" links
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_UPLOAD_MB = int(os.environ.get("MAX_UPLOAD_MB", "20"))
    RESET_TOKEN_MAX_AGE = 2 * 3600
    DIGEST_HOUR = int(os.environ.get("DIGEST_HOUR", "7"))  # in DEFAULT_TIMEZONE
    DIGEST_WEEKDAY = os.environ.get("DIGEST_WEEKDAY", "mon")
    NEWSLETTER_REPLY_TO = os.environ.get("NEWSLETTER_REPLY_TO")
    # The mailto: alternative of List-Unsubscribe (for mail clients without one-click): a mailbox
    # someone reads; by default the sender's address.
    MAIL_UNSUBSCRIBE_ADDRESS = os.environ.get("MAIL_UNSUBSCRIBE_ADDRESS")
    FLAGS_TO_HIDE = int(os.environ.get("FLAGS_TO_HIDE", "3"))  # different members' flags hide a post
    POSTING_RATE_LIMIT = os.environ.get("POSTING_RATE_LIMIT", "8 per minute;120 per day")
    NEW_MEMBER_MAX_LINKS = int(os.environ.get("NEW_MEMBER_MAX_LINKS", "2"))
    POSTS_PER_PAGE = 30
    # Visitors' pages cached whole (forum.page_cache): kept at most this long (a forum opening or
    # closing shows up within it; a write shows up at once), this many per process, and in Redis
    # (PAGE_CACHE_URL, else REDIS_URL) for every server. PAGE_CACHE_SECONDS=0 turns it off.
    PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "60"))
    PAGE_CACHE_SIZE = int(os.environ.get("PAGE_CACHE_SIZE", "500"))
    PAGE_CACHE_URL = os.environ.get("PAGE_CACHE_URL") or os.environ.get("REDIS_URL")
    # A search still running after this long is cancelled and answered with a message, so a
    # few searches cannot hold every web worker (gunicorn kills a worker after 30 s).
    SEARCH_TIMEOUT_MS = int(os.environ.get("SEARCH_TIMEOUT_MS", "3000"))
    # Theme suggestions and sibling replies: "auto" (the sentence encoder if its package is
    # installed, else lexical), "use-m3" or "lexical".
    ASSIST_METHOD = os.environ.get("ASSIST_METHOD", "auto")
    POST_MAX_LENGTH = 20_000


class DevelopmentConfig(Config):
    DEBUG = True
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")
    SCHEDULER_IN_PROCESS = _bool("SCHEDULER_IN_PROCESS", True)
    OUTBOX_INTERVAL_SECONDS = int(os.environ.get("OUTBOX_INTERVAL_SECONDS", "5"))


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = normalise_db_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite://")
    )
    RATELIMIT_ENABLED = True  # memory storage, reset between tests
    RATELIMIT_STORAGE_URI = "memory://"
    PAGE_CACHE_URL = None  # each test's pages in the process only, emptied between tests
    MAIL_BACKEND = "smtp"
    MAIL_SERVER = "127.0.0.1"
    BASE_URL = "http://localhost"
    SERVER_NAME = None


class ProductionConfig(Config):
    # Sent when BASE_URL is https: a year, as browsers' preload lists expect; 0 turns it off.
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}
