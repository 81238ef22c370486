"""Cached pages are never stale: after an edit, a hidden post, a new reply or a deleted account,
every page that shows the post shows the change, to visitors (cached whole) and members."""
import re

import pytest

from forum.models import Thread
from forum.services import accounts, moderation, posting
from tests.conftest import PASSWORD, forum_of, thread_url


@pytest.fixture
def world(db, app, make_user, make_community, make_pair):
    rita, ana, mod = make_user("Rita Reyes", handle="rita"), make_user("Ana Morales", handle="ana"), make_user("Mónica")
    community = make_community(members={rita: "member", ana: "member", mod: "moderator"})
    forum = forum_of(make_pair(community, questions=1), "es")
    thread = db.session.execute(db.select(Thread).filter_by(forum_id=forum.id)).scalar_one()
    post = posting.add_post(thread, rita, "Propongo huertos con magnolias")
    db.session.commit()
    return {"rita": rita, "ana": ana, "mod": mod, "community": community, "forum": forum, "thread": thread,
            "post": post}


def pages(world) -> dict[str, str]:
    forum = world["forum"]
    return {"thread": thread_url(world["thread"]), "forum": f"/c/{forum.community.slug}/f/{forum.slug}",
            "profile": "/u/rita", "search": "/search/?q=magnolias", "search 2": "/search/?q=tulipanes",
            "home": "/", "community": f"/c/{world['community'].slug}"}


@pytest.fixture
def readers(app, login, world):
    """A visitor and a signed-in member, each having seen every page once (so it is cached)."""
    visitor, member = app.test_client(), app.test_client()
    login(world["ana"], the_client=member)
    for client in (visitor, member):
        for url in pages(world).values():
            assert client.get(url).status_code == 200
    return {"visitor": visitor, "member": member}


def text(client, url) -> str:
    response = client.get(url)
    return response.get_data(as_text=True) if response.status_code == 200 else f"status {response.status_code}"


def test_a_visitor_gets_the_same_page_twice_without_rendering_it_again(app, world, readers, count_queries):
    with count_queries() as statements:
        page = readers["visitor"].get(thread_url(world["thread"]))
    assert "magnolias" in page.get_data(as_text=True)
    assert len(statements) == 1, statements  # the generation: the page itself came from the cache


@pytest.mark.parametrize("who", ["visitor", "member"])
def test_an_edit_shows_everywhere_the_post_does(db, world, readers, who):
    posting.edit_post(world["rita"], world["post"], "Propongo huertos con tulipanes")
    client, urls = readers[who], pages(world)
    for name in ("thread", "profile", "search 2"):
        assert "tulipanes" in text(client, urls[name]), name
    assert "magnolias" not in text(client, urls["thread"])
    assert "magnolias" not in text(client, urls["profile"])


@pytest.mark.parametrize("who", ["visitor", "member"])
def test_a_hidden_post_leaves_every_page_at_once(db, world, readers, who):
    moderation.hide(world["mod"], world["post"], "fuera de tema")
    client, urls = readers[who], pages(world)
    for name in ("thread", "profile", "search"):
        assert "huertos con magnolias" not in text(client, urls[name]), name


@pytest.mark.parametrize("who", ["visitor", "member"])
def test_a_new_reply_shows_on_the_thread_and_in_the_forum_counts(db, login, world, readers, who):
    before = text(readers[who], pages(world)["forum"])
    assert "1 respuesta" in before
    rita = login(world["rita"])
    rita.post(thread_url(world["thread"]), data={"body": "Y también con girasoles"})
    assert "girasoles" in text(readers[who], pages(world)["thread"])
    assert "2 respuestas" in text(readers[who], pages(world)["forum"])


@pytest.mark.parametrize("who", ["visitor", "member"])
def test_a_deleted_account_leaves_its_name_and_profile(db, world, readers, who):
    accounts.delete_account(world["rita"], PASSWORD)
    client, urls = readers[who], pages(world)
    page = text(client, urls["thread"])
    assert "Rita Reyes" not in page and "Propongo huertos" in page
    assert text(client, urls["profile"]) == "status 404"


def test_a_cached_page_carries_the_readers_own_form_token(app, world, readers):
    """The language form of a page cached for one visitor works for the next, with their token."""
    other = app.test_client()
    page = text(other, thread_url(world["thread"]))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = other.post("/language", data={"lang": "en", "next": "/", "csrf_token": token}, csrf=False)
    assert response.status_code == 302
