"""Time the member import (see scripts/bench-import)."""
import csv
import io
import os
import random
import sys
import tempfile
import time

from config import normalise_db_url
from forum import create_app
from forum.extensions import db
from forum.models import Community, OutboxMessage
from forum.services.imports import import_members

COUNTRIES = ["Chile", "México", "Brasil", "Colombia", "Perú", "Argentina", "Trinidad and Tobago",
             "Jamaica", "Guatemala", "Uruguay", "Barbados", "Ecuador", "Costa Rica", "Panamá"]
SECTORS = ["national government", "subnational government", "academia", "civil society",
           "private sector", "international organization", "other"]


def generate(n: int) -> bytes:
    rng = random.Random(42)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["email", "name", "country", "institution", "sector", "language"])
    for i in range(n):
        writer.writerow([f"member{i}@example.org", f"Persona {i} Apellido", rng.choice(COUNTRIES),
                         f"Institución {i % 300}", rng.choice(SECTORS), rng.choice(["es", "es", "en"])])
    return out.getvalue().encode("cp1252", errors="replace")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3200
    folder = tempfile.mkdtemp(prefix="bench-import-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_db_url(url), BASE_URL="https://forum.example.org")
    data = generate(n)
    with app.app_context():
        db.drop_all()
        db.create_all()
        community = Community(slug="red", name_es="Red", name_en="Network", visibility="public", join_policy="open")
        db.session.add(community)
        db.session.commit()
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        for attempt in ("first run", "second run"):
            started, cpu = time.perf_counter(), time.process_time()
            report = import_members(community, data)
            took, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(f"{attempt}: {n} rows in {took:.1f} s (CPU {cpu:.1f} s; {n / took:.0f} rows/s): created {report.created}, "
                  f"added {report.added}, unchanged {report.unchanged}, refused {len(report.refused)}")
        queued = db.session.execute(db.select(db.func.count(OutboxMessage.id))).scalar()
        print(f"welcome emails queued: {queued}")
        db.drop_all()


if __name__ == "__main__":
    main()
