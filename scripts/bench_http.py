"""Requests per second and latency of the main pages under gunicorn (see scripts/bench-http)."""
import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from sqlalchemy import event, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from bench_process import wait_for_port  # noqa: E402
from bench_seed import PASSWORD, SIZES, seed  # noqa: E402

DURATION = os.environ.get("BENCH_DURATION", "8s")
WARM_UP = os.environ.get("BENCH_WARM_UP", "2s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "8")
DEEP_PAGE = 1000  # a thread page far from the first: its posts must cost what page 1's do
SEARCHES = ("resiliencia", "prospectiva")  # in most posts' concept-note sentences; in a few of them
LOG = None if os.environ.get("BENCH_SERVER_LOG") else subprocess.DEVNULL  # BENCH_SERVER_LOG=1: show server errors


def existing_data(url: str) -> dict:
    """The pages to measure in a data set bench-seed built earlier (any scale): its busiest thread."""
    from config import normalise_db_url
    from forum import create_app
    from forum.extensions import db
    from forum.models import Thread

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_db_url(url))
    with app.app_context():
        busiest = db.session.execute(select(Thread).where(Thread.kind == "guiding_question")
                                     .order_by(Thread.post_count.desc()).limit(1)).scalar_one_or_none()
        if busiest is None:
            raise SystemExit(f"no bench-seed data set in {url}: run scripts/bench-seed --database-url URL first")
        forum = busiest.forum
        per_page = app.config["POSTS_PER_PAGE"]
        data = {"thread_path": f"/c/{forum.community.slug}/f/{forum.slug}/threads/{busiest.id}",
                "forum_path": f"/c/{forum.community.slug}/f/{forum.slug}", "login": ("member1@example.org", PASSWORD),
                "deep_page": min(DEEP_PAGE, max((busiest.last_number + per_page - 1) // per_page, 1))}
        db.engine.dispose()
    return data


def pages_to_measure(data: dict) -> dict[str, str]:
    """Name -> address: the home, the forum, the busiest thread's first page and its page 1,000 (or
    its last), a search for a common word and one for a word of medium frequency."""
    deep = data["deep_page"]
    return {"home": "/", "forum page": data["forum_path"], "thread (30 posts)": data["thread_path"],
            f"thread page {deep:,}": f"{data['thread_path']}?page={deep}",
            **{f"search {word}": f"/search/?q={word}" for word in SEARCHES}}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="database to serve (default: a new SQLite file)")
    parser.add_argument("--no-seed", action="store_true",
                        help="measure the data set already in --database-url (built by scripts/bench-seed)")
    parser.add_argument("--size", choices=sorted(SIZES), default="default",
                        help="data set to build when seeding (tiny: a check that the script runs)")
    parser.add_argument("--duration", default=DURATION, help="wrk's time per page (8s)")
    parser.add_argument("--warm-up", default=WARM_UP,
                        help="an unrecorded wrk run before each measured one (2s; 0s for none): the steady "
                             "state, as p99 is meant; the first request's time is shown apart")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL"),
                        help="Redis for the rate-limit counters, which production settings need with 2 workers")
    parser.add_argument("--no-page-cache", action="store_true",
                        help="PAGE_CACHE_SECONDS=0: every request does the page's real work (wrk repeats one "
                             "address, so with the cache visitors' pages measure cache hits)")
    args = parser.parse_args()
    if not args.redis_url:
        parser.error("gunicorn's 2 workers in production settings need Redis: --redis-url redis://127.0.0.1:6379/N "
                     "(or BENCH_REDIS_URL)")
    if args.no_seed and not args.database_url:
        parser.error("--no-seed needs --database-url (or BENCH_DATABASE_URL)")
    return args


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(command: list[str], env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=LOG)
    return wait_for_port(process, port, "the server")


def request(port: int, method: str, path: str, body: str | None = None, cookie: str = ""):
    """(response, its text) of one request to the server on this port."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": cookie}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response, response.read().decode()


def sign_in(port: int, email: str, password: str) -> str:
    response, page = request(port, "GET", "/auth/login")
    cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response, _ = request(port, "POST", "/auth/login", urllib.parse.urlencode(
        {"email": email, "password": password, "csrf_token": token}), cookie)
    cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
    # Read the welcome message once: wrk sends this cookie every time, and a session holding a
    # message to show is never served from the page cache.
    response, _ = request(port, "GET", "/c/", cookie=cookie)
    return (response.getheader("Set-Cookie") or cookie).split(";", 1)[0]


def first_request_ms(url: str, cookie: str = "") -> float:
    """One request's time, before wrk: the page's first render in this server (a cold cache)."""
    parts = urllib.parse.urlsplit(url)
    started = time.perf_counter()
    request(parts.port, "GET", parts.path + (f"?{parts.query}" if parts.query else ""), cookie=cookie)
    return (time.perf_counter() - started) * 1000


def measure(url: str, duration: str, warm_up: str, cookie: str = "") -> tuple[float, float, float, float]:
    """(first request ms, requests/s, p50 ms, p99 ms) of one page."""
    first = first_request_ms(url, cookie)
    if warm_up.rstrip("s") not in ("", "0"):
        wrk(url, warm_up, cookie)
    return (first, *wrk(url, duration, cookie))


def wrk(url: str, duration: str, cookie: str = "") -> tuple[float, float, float]:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", output).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        print(f"warning: {errors.group(1)} error responses from {url}", file=sys.stderr)
    return rps, ms("50%"), ms("99%")


def signed_in_client(app, email: str, password: str):
    """A test client signed in as a browser does: the sign-in form's CSRF token sent back with it
    (without it the sign-in is refused, and the "member" counts would be a visitor's)."""
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit(f"the bench member could not sign in (status {response.status_code})")
    client.get("/c/")  # reads the welcome message, which would keep the first page from the cache
    return client


def queries_per_page(url: str, pages: dict[str, str], login, page_cache: bool) -> dict[tuple[str, str], int]:
    """SQL statements per page, counted in-process, as a visitor and signed in (a cached page's
    count: the second visit)."""
    from config import normalise_db_url
    from forum import create_app
    from forum.extensions import db

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_db_url(url),
                     **({} if page_cache else {"PAGE_CACHE_SECONDS": 0}))
    counts, statements = {}, []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    # Each request in its own app context, as under gunicorn (one held around them all would keep
    # the signed-in member in `g` and skip the statement that loads them).
    for who in ("visitor", "member"):
        client = app.test_client() if who == "visitor" else signed_in_client(app, *login)
        for name, path in pages.items():
            client.get(path)  # warm (a member's first visit of a thread moves their marker)
            client.get(path)
            statements.clear()
            client.get(path)
            counts[(name, who)] = len(statements)
    engine.dispose()
    return counts


def main() -> None:
    args = arguments()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk (Debian)")
    folder = tempfile.mkdtemp(prefix="bench-http-")
    url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
    if not args.no_seed:
        members, posts, threads = SIZES[args.size]
        print(f"seeding {members:,} members and {posts:,} posts...", file=sys.stderr)
        seed(url, members=members, posts=posts, threads=threads, say=lambda m: None)
    data = existing_data(url)
    pages = pages_to_measure(data)
    port, ceiling_port = free_port(), free_port()
    env = dict(os.environ, FORUM_CONFIG="production", SECRET_KEY="bench", DATABASE_URL=url, PROXY_COUNT="0",
               SESSION_COOKIE_SECURE="0", PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING", REDIS_URL=args.redis_url,
               GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2")
    if args.no_page_cache:
        env["PAGE_CACHE_SECONDS"] = "0"
    venv = Path(sys.executable).parent
    app = serve([str(venv / "gunicorn"), "--config", "scripts/deploy/gunicorn.conf.py", "forum:create_app()"], env, port)
    ceiling = serve([str(venv / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{ceiling_port}", "bench_ceiling:app",
                     "--chdir", str(ROOT / "scripts")], dict(env, PYTHONPATH=f"{ROOT}:{ROOT / 'scripts'}"), ceiling_port)
    try:
        cookie = sign_in(port, *data["login"])
        thread_id = data["thread_path"].rsplit("/", 1)[1]
        top = measure(f"http://127.0.0.1:{ceiling_port}/threads/{thread_id}", args.duration, args.warm_up)
        rows = []
        for who, jar in (("visitor", ""), ("member", cookie)):
            for name, path in pages.items():
                rows.append((name, who, *measure(f"http://127.0.0.1:{port}{path}", args.duration, args.warm_up, jar)))
    finally:
        app.terminate()
        ceiling.terminate()
    queries = queries_per_page(url, pages, data["login"], not args.no_page_cache)
    print(f"\ngunicorn, 2 workers, {CONNECTIONS} connections, {args.duration} per page after {args.warm_up} of "
          f"warm-up; {os.cpu_count()} CPUs; database {url.split(':')[0]}; "
          f"page cache {'off' if args.no_page_cache else 'on'}; first: one request before any other")
    print(f"{'page':20} {'who':8} {'first ms':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs ceiling':>10} {'SQL':>4}")
    print(f"{'ceiling (30 posts)':20} {'-':8} {top[0]:8.1f} {top[1]:8.0f} {top[2]:8.1f} {top[3]:8.1f} {'1.00':>10} {2:>4}")
    for name, who, first, rps, p50, p99 in rows:
        print(f"{name:20} {who:8} {first:8.1f} {rps:8.0f} {p50:8.1f} {p99:8.1f} {rps / top[1]:10.2f} "
              f"{queries[(name, who)]:>4}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
