"""Members' pages are cached per person and are never stale for that person: their unread marks,
watches, notifications, roles, language and time zone show at the next page, and no one ever gets
another member's page or form token. Each test first checks the page is served from the cache
(one statement: the sign-in with both generations), so a stale key would show."""
import re
from datetime import timedelta

import pytest

from forum.models import Thread, utcnow
from forum.services import accounts, membership, moderation, posting, reading
from tests.conftest import forum_of, thread_url

SIGN_OUT = 'action="/auth/logout"'


@pytest.fixture
def world(db, make_user, make_community, make_pair):
    ana, rita = make_user("Ana Morales", handle="ana"), make_user("Rita Reyes", handle="rita")
    mod, org = make_user("Mónica Moderadora"), make_user("Olga Organizadora")
    admin = make_user("Adela Admin", is_admin=True)
    community = make_community(members={ana: "member", rita: "member", mod: "moderator", org: "organizer"})
    forum = forum_of(make_pair(community, questions=1), "es")
    thread = db.session.execute(db.select(Thread).filter_by(forum_id=forum.id)).scalar_one()
    posting.add_post(thread, rita, "Propongo huertos con magnolias")
    db.session.commit()
    return {"ana": ana, "rita": rita, "mod": mod, "org": org, "admin": admin, "community": community,
            "forum": forum, "thread": thread, "thread_url": thread_url(thread),
            "forum_url": f"/c/{community.slug}/f/{forum.slug}", "community_url": f"/c/{community.slug}"}


@pytest.fixture
def member(app, login):
    """A signed-in browser of its own for each person, the welcome message read."""
    def signed_in(user):
        client = login(user, the_client=app.test_client())
        assert "flash" in client.get("/c/").get_data(as_text=True)
        return client
    return signed_in


@pytest.fixture
def cached(count_queries):
    """The page, after checking that it now comes from the cache: seen until it is kept (a thread's
    first view moves the reading marker, so it is not kept), then served in one statement."""
    def page(client, url: str) -> str:
        for _ in range(3):
            with count_queries() as statements:
                response = client.get(url)
            assert response.status_code == 200, url
            if len(statements) == 1:
                return response.get_data(as_text=True)
        raise AssertionError(f"{url} is not served from the cache: {statements}")
    return page


def html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def token_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_two_members_never_get_each_others_page_or_token(world, member, cached):
    ana, rita = member(world["ana"]), member(world["rita"])
    ana_page = cached(ana, world["thread_url"])
    rita_page = html(rita, world["thread_url"])
    assert f'reply-{world["thread"].id}-u{world["ana"].id}' in ana_page  # the reply draft is per person
    assert f'-u{world["rita"].id}' in rita_page and f'-u{world["ana"].id}' not in rita_page
    assert token_of(ana_page) != token_of(rita_page)
    assert token_of(rita_page) not in ana_page and token_of(ana_page) not in rita_page


def test_a_cached_page_carries_the_members_own_token_and_a_post_with_it_works(world, member, cached):
    ana = member(world["ana"])
    page = cached(ana, world["thread_url"])
    response = ana.post(world["thread_url"], data={"body": "Con su token de la página guardada",
                                                   "csrf_token": token_of(page)}, csrf=False)
    assert response.status_code == 302
    assert "Con su token de la página guardada" in html(ana, world["thread_url"])


def test_unread_marks_follow_another_members_reply_and_the_members_reading(world, member, cached):
    ana, rita = member(world["ana"]), member(world["rita"])
    assert "badge-new" in cached(ana, world["forum_url"])  # the thread is new to Ana
    html(ana, world["thread_url"])  # reading it moves her marker
    assert "badge-new" not in cached(ana, world["forum_url"])
    assert "?unread=1" not in cached(ana, world["thread_url"])
    rita.post(world["thread_url"], data={"body": "Y también girasoles"})
    assert ">1 nueva<" in html(ana, world["forum_url"])
    page = html(ana, world["thread_url"])
    assert "girasoles" in page and "?unread=1" in page  # rendered before the marker moved
    assert "?unread=1" not in cached(ana, world["thread_url"])


def test_reading_marks_are_written_even_when_the_page_came_from_the_cache(db, world, member, cached):
    """A cached page is only served while neither generation moved: the marker it was rendered
    with is still the marker, so there is nothing to write; a new post moves the content
    generation, and the next view renders (and writes) again."""
    ana, rita = member(world["ana"]), member(world["rita"])
    cached(ana, world["thread_url"])
    thread = world["thread"]
    assert reading.last_read(world["ana"], thread) == thread.last_number
    rita.post(world["thread_url"], data={"body": "Una respuesta más"})
    cached(ana, world["thread_url"])
    db.session.expire_all()
    assert reading.last_read(world["ana"], thread) == thread.last_number == 3


def test_the_notification_count_follows_a_mention_and_reading_it(world, member, cached):
    ana, rita = member(world["ana"]), member(world["rita"])
    assert 'class="count"' not in cached(ana, "/")
    rita.post(world["thread_url"], data={"body": "¿Qué opinas, @ana?"})
    assert 'class="count">1<' in cached(ana, "/")
    html(ana, world["thread_url"])  # seeing the post reads its notification
    assert 'class="count"' not in cached(ana, "/")


WATCHING = 'name="watch" value="0"'  # the button that stops watching


def test_watching_a_thread_shows_at_once(world, member, cached):
    ana = member(world["ana"])
    assert WATCHING not in cached(ana, world["thread_url"])
    ana.post(world["thread_url"] + "/watch", data={"watch": "1"})
    html(ana, world["thread_url"])  # the page with the message
    assert WATCHING in cached(ana, world["thread_url"])
    ana.post(world["thread_url"] + "/watch", data={"watch": "0"})
    html(ana, world["thread_url"])
    assert WATCHING not in cached(ana, world["thread_url"])


def test_a_message_after_a_post_is_shown_once_and_never_cached(world, member):
    ana = member(world["ana"])
    html(ana, world["thread_url"]), html(ana, world["thread_url"])
    ana.post(world["thread_url"] + "/watch", data={"watch": "1"})
    assert "flash-success" in html(ana, world["thread_url"])
    assert "flash-success" not in html(ana, world["thread_url"])
    assert "flash-success" not in html(ana, world["thread_url"])


def test_joining_a_community_and_a_role_change_show_at_once(world, member, cached, make_user):
    newcomer = make_user("Nora Nueva")
    nora = member(newcomer)
    join = f'action="{world["community_url"]}/join"'
    assert join in cached(nora, world["community_url"])
    nora.post(world["community_url"] + "/join")
    html(nora, world["community_url"])  # the page with the message
    assert join not in cached(nora, world["community_url"])
    assert "mod-tools" not in cached(nora, world["thread_url"])
    membership.set_role(world["org"], world["community"], newcomer.id, "moderator")
    assert "mod-tools" in cached(nora, world["thread_url"])
    membership.set_role(world["org"], world["community"], newcomer.id, "member")
    assert "mod-tools" not in cached(nora, world["thread_url"])


def test_suspensions_show_at_once(world, member, cached):
    ana = member(world["ana"])
    page = cached(ana, world["thread_url"])
    assert SIGN_OUT in page and "suspendido de esta comunidad" not in page
    moderation.suspend(world["mod"], world["community"], world["ana"], utcnow() + timedelta(days=3), "fuera de tono")
    assert "suspendido de esta comunidad" in cached(ana, world["thread_url"])
    accounts.suspend(world["admin"], world["ana"], utcnow() + timedelta(days=3), "spam")
    page = html(ana, world["thread_url"])  # signed out: a visitor's page
    assert SIGN_OUT not in page and f'-u{world["ana"].id}' not in page


def test_a_language_switch_and_a_time_zone_change_show_at_once(db, world, member, cached):
    ana = member(world["ana"])
    assert '<html lang="es">' in cached(ana, world["thread_url"])
    ana.post("/language", data={"lang": "en", "next": "/"})
    page = cached(ana, world["thread_url"])
    assert '<html lang="en">' in page and "Japan Time" not in page
    world["ana"].timezone = "Asia/Tokyo"  # as the profile form saves it
    db.session.commit()
    assert "Japan Time" in cached(ana, world["thread_url"])


def test_signing_out_gives_the_visitors_page_at_the_same_address(world, member, cached):
    ana = member(world["ana"])
    for url in ("/", world["thread_url"], world["forum_url"], world["community_url"], "/u/rita",
                "/search/?q=magnolias"):
        assert SIGN_OUT in cached(ana, url), url
    ana.post("/auth/logout")
    for url in ("/", world["thread_url"], world["forum_url"], world["community_url"], "/u/rita",
                "/search/?q=magnolias"):
        page = html(ana, url)
        assert SIGN_OUT not in page and 'href="/auth/login' in page, url


def test_a_members_reading_does_not_end_visitors_pages(world, member, app, count_queries, cached):
    visitor, ana = app.test_client(), member(world["ana"])
    cached(visitor, world["thread_url"])
    html(ana, world["thread_url"])  # her marker moves: the private generation only
    with count_queries() as statements:
        visitor.get(world["thread_url"])
    assert len(statements) == 1


def test_unread_notifications_elsewhere_do_not_stop_a_thread_page_being_cached(db, world, member, cached,
                                                                                make_pair):
    """Each view asks to read the page's notifications; when there are none, nothing was written,
    so no generation moves and the page is kept."""
    other = db.session.execute(db.select(Thread).filter_by(
        forum_id=forum_of(make_pair(world["community"], questions=1), "es").id)).scalar_one()
    rita = member(world["rita"])
    rita.post(thread_url(other), data={"body": "¿Lo ves, @ana?"})
    ana = member(world["ana"])
    assert 'class="count">1<' in cached(ana, world["thread_url"])
