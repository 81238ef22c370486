"""gunicorn settings for the forum (see README, "Running it in production").

Workers: 2 x CPU cores + 1 is gunicorn's advice for sync workers; on the
2-core server of a 3,200-member network that is 5. Each worker holds a
SQLAlchemy pool of its own (DATABASE_POOL_SIZE), so PostgreSQL must allow
workers x pool size connections per web server, plus the scheduler's.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 60               # an export of a large forum pair takes seconds, not minutes
graceful_timeout = 30
keepalive = 5
# Workers are recycled now and then, against slow leaks. The application is loaded once, in the
# master, and each worker forked from it ready (preload_app): a worker that loaded it itself
# spent a second on imports and its first requests on compiling templates, and when both
# workers of a busy server reached max_requests together, every request waited up to 2 s
# (scripts/bench-http's p99).
preload_app = True
max_requests = 20000
max_requests_jitter = 2000
accesslog = None           # the app writes one structured line per request (forum.logs)
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    """In the master, the application loaded: its templates compiled, then everything in memory
    frozen out of the garbage collector's rounds, so no worker traverses (or copies) it again."""
    import gc

    from forum import prepare_for_workers

    prepare_for_workers(server.app.wsgi())
    gc.freeze()


def post_fork(server, worker):
    """A new worker shares nothing open of the master's: the database pool starts empty."""
    from forum.extensions import db

    with server.app.wsgi().app_context():
        db.engine.dispose(close=False)
