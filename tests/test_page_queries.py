"""Every page answers in a few SQL statements, whoever reads it and however many posts it shows."""
import re

import pytest

from forum.models import Thread
from forum.services import posting
from tests.conftest import forum_of, thread_url

MAX_STATEMENTS = 8
VIEWERS = ("visitor", "member", "moderator")


@pytest.fixture
def busy(db, make_user, make_community, make_pair):
    """A forum with a 45-post thread (two pages), replies to replies, useful marks and a dozen threads."""
    member, moderator = make_user("Ana Morales", handle="ana"), make_user("Mónica Moderadora", handle="monica")
    people = [make_user(f"Voz {i}") for i in range(6)]
    community = make_community(members={member: "member", moderator: "moderator", **{p: "member" for p in people}})
    pair = make_pair(community, questions=2)
    forum = forum_of(pair, "es")
    thread = db.session.execute(db.select(Thread).filter_by(forum_id=forum.id, position=1)).scalar_one()
    first = posting.add_post(thread, people[0], "resiliencia urbana, primera idea")
    for i in range(43):
        post = posting.add_post(thread, people[i % 6], f"resiliencia aporte {i} @ana", reply_to=first if i % 3 else None)
        if i % 4 == 0:
            posting.set_useful(member, post, True)
    for i in range(12):
        posting.create_thread(forum, people[i % 6], title=f"Tema {i}", body="resiliencia en el barrio")
    db.session.commit()
    return {"member": member, "moderator": moderator, "community": community, "forum": forum, "thread": thread}


def pages(busy) -> dict[str, str]:
    forum, thread = busy["forum"], busy["thread"]
    return {
        "home": "/",
        "community": f"/c/{busy['community'].slug}",
        "forum": f"/c/{forum.community.slug}/f/{forum.slug}",
        "thread": thread_url(thread),
        "thread page 2": thread_url(thread) + "?page=2",
        "search": "/search/?q=resiliencia",
        "profile": "/u/ana",
    }


@pytest.mark.parametrize("viewer", VIEWERS)
def test_every_page_needs_at_most_eight_statements(client, count_queries, login, busy, viewer):
    if viewer != "visitor":
        login(busy[viewer])
    too_many = {}
    for name, url in pages(busy).items():
        for visit in ("first", "second"):  # the first with cold caches and reading marks to write
            with count_queries() as statements:
                response = client.get(url)
            assert response.status_code == 200, url
            if len(statements) > MAX_STATEMENTS:
                too_many[f"{name} ({visit} visit)"] = statements
    assert not too_many, "\n\n".join(
        f"{name}: {len(s)} statements\n" + "\n".join(q[:160].replace("\n", " ") for q in s)
        for name, s in too_many.items())


def test_the_member_home_counts_new_posts_per_forum(client, login, busy):
    """Counted in the forums' own query: each forum its own threads' posts, not the pair's."""
    login(busy["member"])
    page = client.get("/").get_data(as_text=True)
    counts = sorted(int(n) for n in re.findall(r'class="badge badge-new">(\d+)', page))
    assert counts == [2, 58]  # the English forum's two questions; the Spanish forum's 45 + 1 + 12 posts
