"""New-post counts stop at a cap, so a member who never opened a thread of 100,000 posts does not
have them all counted on every page: past the cap the badge says "99+ new" (here, a small cap)."""
import re

import pytest

from forum.models import Thread
from forum.services import posting, reading
from tests.conftest import forum_of


@pytest.fixture
def small_caps(monkeypatch):
    monkeypatch.setattr(reading, "THREAD_UNREAD_CAP", 5)
    monkeypatch.setattr(reading, "FORUM_UNREAD_CAP", 8)


@pytest.fixture
def forums(db, make_user, make_community, make_pair):
    """A Spanish forum whose first question has 4 posts and second 6 (10 in all); an English one with 2."""
    reader, writer = make_user("Ruth Reader", handle="ruth", locale="en"), make_user("Walt Writer", handle="walt")
    community = make_community(members={reader: "member", writer: "member"})
    pair = make_pair(community, questions=2)
    spanish = forum_of(pair, "es")
    first, second = (db.session.execute(db.select(Thread).filter_by(forum_id=spanish.id, position=n)).scalar_one()
                     for n in (1, 2))
    for i in range(3):
        posting.add_post(first, writer, f"aporte {i}")
    for i in range(5):
        posting.add_post(second, writer, f"otro aporte {i}")
    db.session.commit()
    return {"reader": reader, "spanish": spanish, "english": forum_of(pair, "en"), "first": first, "second": second}


def badges(html: str) -> list[str]:
    return re.findall(r'class="badge badge-new"[^>]*>([^<]+)<', html)


def test_a_thread_shows_its_exact_new_count_below_the_cap_and_more_than_the_cap_above(
        client, login, forums, small_caps):
    login(forums["reader"])
    spanish = forums["spanish"]
    page = client.get(f"/c/{spanish.community.slug}/f/{spanish.slug}").get_data(as_text=True)
    row = {t: page[page.index(f'/threads/{forums[t].id}"'):] for t in ("first", "second")}
    assert badges(row["first"])[0] == "4 new"
    assert badges(row["second"])[0] == "4+ new"  # 6 new posts, counted up to 5


def test_the_member_home_shows_a_forum_count_below_the_cap_and_more_than_the_cap_above(
        client, login, forums, small_caps):
    login(forums["reader"])
    page = client.get("/").get_data(as_text=True)
    assert sorted(badges(page)) == ["2 new", "7+ new"]  # English forum: 2; Spanish: 10, counted up to 8


def test_counts_below_the_default_caps_are_exact(client, login, forums):
    login(forums["reader"])
    assert sorted(badges(client.get("/").get_data(as_text=True))) == ["10 new", "2 new"]


def test_the_counting_itself_stops_at_the_cap(db, forums, small_caps):
    """The statements read no further than the cap (the badges alone would not tell)."""
    reader, first, second = forums["reader"], forums["first"], forums["second"]
    assert reading.unread_counts(reader, [first.id, second.id]) == {first.id: 4, second.id: 5}
    in_forum = reading.unread_in_forum_clause(reader, forums["spanish"].id)
    assert db.session.execute(db.select(in_forum)).scalar_one() == 8
