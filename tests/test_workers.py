"""gunicorn's workers start ready: what each would do on its first requests is done once, in the
master, before it forks them (scripts/deploy/gunicorn.conf.py, preload_app)."""
import os
import re
import signal
from pathlib import Path

from sqlalchemy.orm import configure_mappers

from forum import create_app, prepare_for_workers
from forum.extensions import db
from forum.models import Thread
from forum.services import posting
from tests.conftest import forum_of, thread_url
from tests.servers import Client, gunicorn, wait_for


def test_a_worker_is_forked_with_every_template_compiled_and_the_models_set_up(tmp_path):
    """A worker that compiled templates and set up mappers itself spent 200 ms on its first
    page, and a recycled worker of a busy server showed in the slowest requests."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/workers.sqlite3")
    names = app.jinja_env.list_templates(filter_func=lambda name: name.endswith((".html", ".txt")))
    assert len(names) > 100 and {"base.html", "_macros.html"} <= set(names)
    prepare_for_workers(app)
    compiled = {key[1] for key in app.jinja_env.cache}
    assert set(names) <= compiled, sorted(set(names) - compiled)[:5]
    assert all(mapper.configured for mapper in db.Model.registry.mappers)
    configure_mappers()  # nothing left to do


def test_a_recycled_worker_serves_pages_from_the_database_at_once(app, db, make_user, make_community, make_pair):
    """A worker replaced mid-traffic (as max_requests does) is forked from the loaded application
    with an empty pool of its own (post_fork): its pages read the database, nothing fails."""
    ana = make_user("Ana Morales")
    pair = make_pair(make_community("taller", members={ana: "member"}))
    thread = db.session.execute(db.select(Thread).filter_by(forum_id=forum_of(pair, "es").id, position=1)).scalar_one()
    posting.add_post(thread, ana, "La gestión del agua en los Andes exige coordinación entre municipios.")
    db.session.commit()
    with gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], workers=2) as (base, log):
        wait_for(lambda: len(_booted(log)) == 2, 60)
        os.kill(_booted(log)[0], signal.SIGTERM)
        wait_for(lambda: len(_booted(log)) == 3, 60)
        pages = [Client(base).get(path) for path in ("/", "/c/", thread_url(thread)) * 4]
    assert [status for status, _, _ in pages] == [200] * 12
    assert all("La gestión del agua en los Andes" in body for _, body, _ in pages[2::3])
    text = Path(log).read_text(encoding="utf-8")
    assert "Traceback" not in text and "Booting worker" in text


def _booted(log: str) -> list[int]:
    return [int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", Path(log).read_text(encoding="utf-8"))]
