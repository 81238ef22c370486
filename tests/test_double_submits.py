"""Double submits: two requests at once for the same "create if absent" action (two tabs, a double
click on a slow connection) both succeed and leave one row, on SQLite and PostgreSQL.

The race is forced, not hoped for: each request waits at a barrier just before its INSERT, so both
have already seen "absent" when they insert.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from forum import timezones
from forum.extensions import db as _db
from forum.models import (
    Community,
    Membership,
    PostUseful,
    Registration,
    ThreadRead,
    Watch,
)
from forum.services import posting, webinars
from forum.services.membership import add_member
from tests import test_committees
from tests.conftest import forum_of, thread_url

committee = test_committees.committee  # a fixture: a committee with a process and five members


@pytest.fixture
def race(app):
    """fire(requests, table): run each request in its own thread and client at once; the
    requests meet at a barrier before inserting into `table`. Returns their status codes."""
    racing = threading.local()

    def fire(requests, table: str):
        # Shorter than SQLite's busy timeout (5 s): a request holding the write lock stops waiting first.
        barrier = threading.Barrier(len(requests), timeout=2)

        def before(conn, cursor, statement, params, context, executemany):
            if getattr(racing, "on", False) and statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "):
                racing.on = False
                try:
                    barrier.wait()
                except threading.BrokenBarrierError:  # the other request took a lock first (SQLite)
                    pass

        statuses = []

        def run(request):
            racing.on = True
            statuses.append(request().status_code)

        event.listen(_db.engine, "before_cursor_execute", before)
        try:
            threads = [threading.Thread(target=run, args=(r,)) for r in requests]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
        finally:
            event.remove(_db.engine, "before_cursor_execute", before)
        _db.session.expire_all()
        return statuses
    return fire


@pytest.fixture
def world(db, make_user, make_community, make_pair):
    from forum.models import Thread

    ana = make_user("Ana Morales", handle="ana")
    ben = make_user("Ben Joseph", handle="ben")
    community = make_community(slug="agua", members={ben: "member"})
    pair = make_pair(community, questions=1, slug="cuencas")
    forum = forum_of(pair, "es")
    thread = db.session.execute(db.select(Thread).filter_by(forum_id=forum.id)).scalar_one()
    return {"ana": ana, "ben": ben, "community": community, "forum": forum, "thread": thread}


def _clients(app, login, user, n=2):
    clients = [app.test_client() for _ in range(n)]
    for c in clients:
        login(user, the_client=c)
    return clients


def _count(db, model, **where) -> int:
    return db.session.execute(select(func.count()).select_from(model).filter_by(**where)).scalar_one()


def test_two_watch_clicks_at_once_leave_one_watch(app, db, login, race, world):
    ben, thread = world["ben"], world["thread"]
    a, b = _clients(app, login, ben)
    url = thread_url(thread) + "/watch"
    statuses = race([lambda: a.post(url, data={"watch": "1"}), lambda: b.post(url, data={"watch": "1"})], "watches")
    assert statuses == [302, 302]
    assert _count(db, Watch, user_id=ben.id, thread_id=thread.id, level="watching") == 1


def test_two_joins_at_once_leave_one_membership_counted_once(app, db, login, race, world):
    ana, community = world["ana"], world["community"]
    a, b = _clients(app, login, ana)
    statuses = race([lambda: a.post("/c/agua/join"), lambda: b.post("/c/agua/join")], "memberships")
    assert statuses == [302, 302]
    assert _count(db, Membership, user_id=ana.id, community_id=community.id) == 1
    active = _count(db, Membership, community_id=community.id, state="active")
    assert db.session.get(Community, community.id).member_count == active


def test_two_join_requests_at_once_leave_one_request(app, db, login, race, make_community, make_user):
    community = make_community(slug="cerrada", join_policy="approval")
    ana = make_user("Ana")
    a, b = _clients(app, login, ana)
    statuses = race([lambda: a.post("/c/cerrada/request", data={"message": "hola"}),
                     lambda: b.post("/c/cerrada/request", data={"message": "hola"})], "memberships")
    assert statuses == [302, 302]
    assert _count(db, Membership, user_id=ana.id, community_id=community.id, state="pending") == 1


def test_two_webinar_registrations_at_once_leave_one_seat_taken(app, db, login, race, world, make_user):
    from forum.models import utcnow

    community, ben = world["community"], world["ben"]
    organizer = make_user("Organizadora")
    add_member(organizer, community, role="organizer")
    start = timezones.to_local(utcnow() + timedelta(days=10), "America/Santiago").replace(second=0, microsecond=0)
    webinar = webinars.save_webinar(organizer, community, webinars.WebinarInput(
        title_es="Seminario", title_en="Webinar", description_es="x", description_en="x", starts_at=start,
        timezone="America/Santiago", duration_minutes=60, capacity=10, join_url="https://meet.example.org/x",
        speakers=[webinars.SpeakerInput(name="Rosa Quispe")]))
    a, b = _clients(app, login, ben)
    url = f"/c/agua/webinars/{webinar.id}/register"
    statuses = race([lambda: a.post(url), lambda: b.post(url)], "webinar_registrations")
    assert statuses == [302, 302]
    assert _count(db, Registration, webinar_id=webinar.id, email=ben.email) == 1
    db.session.refresh(webinar)
    assert webinar.registered_count == 1


def test_opening_a_thread_in_two_tabs_at_once_leaves_one_read_mark(app, db, login, race, world):
    ben, thread = world["ben"], world["thread"]
    a, b = _clients(app, login, ben)
    url = thread_url(thread)
    statuses = race([lambda: a.get(url), lambda: b.get(url)], "thread_reads")
    assert statuses == [200, 200]
    assert _count(db, ThreadRead, user_id=ben.id, thread_id=thread.id) == 1


def test_two_useful_clicks_at_once_never_fail_and_the_counter_matches(app, db, login, race, world):
    ana, ben, thread = world["ana"], world["ben"], world["thread"]
    add_member(ana, world["community"])
    post = posting.add_post(thread, ana, "Un aporte útil")
    db.session.commit()
    a, b = _clients(app, login, ben)
    url = f"/posts/{post.id}/useful"
    statuses = race([lambda: a.post(url), lambda: b.post(url)], "post_useful")
    assert statuses == [302, 302]
    rows = _count(db, PostUseful, post_id=post.id, user_id=ben.id)
    assert rows <= 1
    db.session.refresh(post)
    assert post.useful_count == rows


def test_two_answers_to_a_round_at_once_leave_one_ballot(app, db, login, race, committee):
    from forum.models import Ballot, Round
    from tests.test_committees import _form, _questionnaire

    round_ = _questionnaire(committee)
    member = committee["members"][0]
    data = _form(round_, {1: 1, 2: [1], 3: 3, 4: [1, 2, 3]})
    a, b = _clients(app, login, member)
    url = f"/c/comite/rounds/{round_.id}/answer"
    statuses = race([lambda: a.post(url, data=data), lambda: b.post(url, data=data)], "ballots")
    assert statuses == [302, 302]
    assert _count(db, Ballot, round_id=round_.id) == 1
    assert db.session.get(Round, round_.id).response_count == 1
