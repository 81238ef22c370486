"""Real servers for the operations tests: gunicorn serving the app as in production, a
PostgreSQL cluster of the test's own (initdb in a temporary folder, its own port), and a
small HTTP client that keeps cookies and CSRF tokens like a browser."""
from __future__ import annotations

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
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(database_url: str, **overrides) -> dict[str, str]:
    """The environment of the README's production section, with limits raised for load tests."""
    env = dict(os.environ)
    env.update({
        "FORUM_CONFIG": "production", "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
        "BASE_URL": "http://127.0.0.1", "PROXY_COUNT": "0", "SESSION_COOKIE_SECURE": "0",
        "LOGIN_RATE_LIMIT": "10000 per minute", "POSTING_RATE_LIMIT": "10000 per minute",
        "MAIL_BACKEND": "file", "MAIL_FILE_DIR": tempfile.mkdtemp(prefix="forum-mail-"),
        "PYTHONPATH": str(ROOT), "LOG_FORMAT": "json",
        # Production refuses limits counted per worker: the tests' Redis (see test_operations).
        "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    })
    env.update({k: str(v) for k, v in overrides.items()})
    return env


@contextmanager
def gunicorn(database_url: str, workers: int = 2, **env_overrides):
    """`gunicorn forum:create_app()` with the repository's deploy settings, on a free port."""
    port = free_port()
    env = production_env(database_url, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS=workers,
                         **env_overrides)
    log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)  # noqa: SIM115 (read after the server stops)
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--config", str(ROOT / "scripts/deploy/gunicorn.conf.py"), "forum:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: Client(base).get("/healthz")[0] == 200, 120, process, log.name)  # a bound, not a speed test
        yield base, log.name
    finally:
        stop(process)


def stop(process: subprocess.Popen, timeout: float = 15) -> tuple[str | None, str | None]:
    """Terminate (SIGTERM, as systemd stops a service), then kill after `timeout`; its output.

    Every process a test starts is stopped this way in a fixture's or a `finally`, so none
    outlives its test holding a lease, a port or a database connection.
    """
    if process.poll() is None:
        process.terminate()
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()


def wait_for(check, seconds: float, process=None, log_path=None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited: {Path(log_path).read_text()[-3000:] if log_path else ''}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"not ready after {seconds}s: {Path(log_path).read_text()[-3000:] if log_path else ''}")


class Client:
    """One visitor: cookies kept (even `Secure` ones, over loopback), CSRF tokens read from forms."""

    def __init__(self, base: str):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}

    def _request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, dict]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)  # a bound for a loaded machine
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, text, dict(response.getheaders())
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, str, dict]:
        return self._request("GET", path)

    def post(self, path: str, data: dict, form_path: str | None = None) -> tuple[int, str, dict]:
        """POST with the CSRF token of the page at `form_path` (or `path`)."""
        status, page, _headers = self.get(form_path or path)
        if status >= 500:
            return status, page, {}
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        payload = dict(data, csrf_token=token.group(1) if token else "")
        return self._request("POST", path, urllib.parse.urlencode(payload, doseq=True))

    def login(self, email: str, password: str) -> int:
        return self.post("/auth/login", {"email": email, "password": password})[0]


# --- a PostgreSQL server of the test's own ------------------------------------------------------

def _pg_bin(name: str) -> str | None:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    return shutil.which(name)


def can_run_own_postgres() -> bool:
    return all(_pg_bin(n) for n in ("initdb", "pg_ctl", "postgres"))


class OwnPostgres:
    """initdb in a temporary folder, its own port: the shared server is never touched."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="forum-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/forum"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = list(args)
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check)

    def init(self) -> None:
        if self.as_postgres:
            shutil.chown(self.folder, "postgres")
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self._run(_pg_bin("psql") or "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                  "-c", "CREATE DATABASE forum")

    def start(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"), "-w", "-t", "30",
                  "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
