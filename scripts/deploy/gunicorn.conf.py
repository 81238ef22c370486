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
# Workers are recycled now and then, against slow leaks; at 2,000 requests a busy worker (400
# requests/s between two) restarted every 5 s, and each restart's second of imports showed in the
# slowest requests (scripts/bench-http).
max_requests = 20000
max_requests_jitter = 2000
accesslog = None           # the app writes one structured line per request (forum.logs)
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
