"""The forum platform: create_app() builds the Flask application."""
import os

from flask import Flask

import config


def create_app(config_name: str | None = None, **overrides) -> Flask:
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(config.INSTANCE_DIR),
    )
    config_name = config_name or os.environ.get("FORUM_CONFIG") or (
        "development" if os.environ.get("FLASK_DEBUG") == "1" else "production"
    )
    app.config.from_mapping(config.settings(config_name))  # the environment, read now
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "SECRET_KEY must be set outside development (see README, Configuration)."
        )
    os.makedirs(app.instance_path, exist_ok=True)
    # Room for one upload plus the form around it; larger requests get a 413.
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is None: no limit at all
        app.config["MAX_CONTENT_LENGTH"] = (app.config["MAX_UPLOAD_MB"] + 1) * 1024 * 1024
    if config_name == "production":
        check_rate_limit_store(app.config["RATELIMIT_STORAGE_URI"], os.environ.get("GUNICORN_WORKERS"))
    if app.config["PROXY_COUNT"]:
        from forum.proxies import TrustedProxyFix

        app.wsgi_app = TrustedProxyFix(app.wsgi_app, app.config["PROXY_COUNT"], app.config["TRUSTED_PROXIES"])

    from forum import cli, edge, i18n, logs, page_cache, security
    from forum.database import init_database
    from forum.extensions import csrf, db, limiter, login_manager, migrate
    from forum.views import register_blueprints

    logs.init_app(app)
    init_database(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    edge.init_app(app)
    page_cache.init_app(app)
    register_blueprints(app)
    cli.init_app(app)

    if app.config.get("SCHEDULER_IN_PROCESS"):
        from forum.jobs import start_in_process_scheduler

        start_in_process_scheduler(app)
    return app


def prepare_for_workers(app: Flask) -> None:
    """Work each gunicorn worker would repeat on its first requests, done once before they are
    forked (scripts/deploy/gunicorn.conf.py): the models' mappers set up, the stemmers and stopword
    lists loaded, every template compiled. Nothing here touches the database."""
    from sqlalchemy.orm import configure_mappers

    from forum.services.search_text import LANGUAGES, stem, stopwords

    configure_mappers()
    for language in LANGUAGES:
        stem("palabra", language)
        stopwords(language)
    for name in app.jinja_env.list_templates(filter_func=lambda name: name.endswith((".html", ".txt"))):
        app.jinja_env.get_template(name)


def check_rate_limit_store(storage_uri: str, workers: str | None) -> None:
    """Refuse limits counted per process when several processes serve: with 5 gunicorn
    workers in memory, 34 of 40 wrong passwords got through instead of 10."""
    if storage_uri.startswith("memory://") and (workers or "").strip() != "1":
        raise RuntimeError(
            "Rate limits need a store shared by every web worker: set REDIS_URL (or "
            "RATELIMIT_STORAGE_URI) to a Redis database, or run one worker (GUNICORN_WORKERS=1). "
            "See README, Configuration."
        )
