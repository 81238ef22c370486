"""Time outbox delivery to an SMTP server on loopback (see scripts/bench-outbox)."""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

from aiosmtpd.controller import Controller
from bench_process import wait_for_port
from sqlalchemy import insert

from config import normalise_db_url
from forum import create_app
from forum.extensions import db
from forum.mail import deliver_due
from forum.models import OutboxMessage, utcnow


class Counter:
    """An SMTP server that accepts everything and counts what it received."""

    def __init__(self):
        self.received = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port: int) -> None:
    """The SMTP server, in its own process as a real one would be (not sharing the sender's GIL):
    runs until its standard input closes, then prints how many messages it received."""
    counter = Counter()
    server = Controller(counter, hostname="127.0.0.1", port=port)
    server.start()
    sys.stdin.read()
    server.stop()
    print(counter.received)


def start_server(port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    return wait_for_port(process, port, "the SMTP server")


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        return serve(int(sys.argv[2]))
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp(prefix='bench-outbox-')}/bench.sqlite3"
    port = free_port()
    server = start_server(port)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_db_url(url), BASE_URL="https://forum.example.org",
                     MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_BATCH_SIZE=n)
    try:
        with app.app_context():
            db.drop_all()
            db.create_all()
            text = "Novedades en tus foros: un hilo nuevo, dos respuestas destacadas.\n" * 40
            html = f"<html><body><p>{text}</p></body></html>"
            db.session.execute(insert(OutboxMessage), [dict(
                dedupe_key=f"bench:{i}", to_address=f"persona{i}@example.org", subject="Tu resumen semanal",
                body_text=text, body_html=html, kind="digest", locale="es", next_attempt_at=utcnow(),
                unsubscribe_url=f"https://forum.example.org/email/unsubscribe/token{i}") for i in range(n)])
            db.session.commit()
            print(f"database: {db.engine.url.render_as_string(hide_password=True)}; {n} messages, "
                  f"{len(html) // 1024} KB of HTML each")
            started, cpu = time.perf_counter(), time.process_time()
            counts = deliver_due(limit=n)
            took, cpu = time.perf_counter() - started, time.process_time() - cpu
            db.drop_all()
    finally:
        received = server.communicate(input="", timeout=30)[0].strip()
    print(f"outbox delivery: {counts['sent']} sent in {took:.1f} s ({counts['sent'] / took:.0f} messages/s), "
          f"{received} received by the SMTP server on loopback; sender's CPU {cpu:.1f} s "
          f"({counts['sent'] / cpu:.0f} messages per CPU second); {counts}")


if __name__ == "__main__":
    main()
