"""Nothing of a private or members-only community reaches someone who may not read it.

Marker words are planted in a private and in a members-only community (forum titles and
summaries, threads, highlighted posts, webinars, resources); a public community gets its
own marker, so each surface is shown to work before it is shown not to leak. Then every
way content leaves the site is opened as a non-member or a signed-out visitor: newsletters
(suggestions, emails, public archive), digests, notifications, feeds, search, exports,
calendar files and the pages a visitor can open.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from forum import timezones
from forum.models import Newsletter, OutboxMessage, Post, Resource, utcnow
from forum.services import digests, newsletters, posting, webinars
from forum.services.membership import add_member
from tests.conftest import forum_of

PRIVATE, MEMBERS, PUBLIC = "quetzalsecreto", "jaguarreservado", "condorpublico"
DRAFT, HIDDEN = "tapirborrador", "pumaoculto"  # a public community's draft forum and hidden thread
SECRETS = (PRIVATE, MEMBERS, DRAFT, HIDDEN)


@pytest.fixture
def world(db, make_user, make_community, make_pair):
    admin = make_user("Admin", is_admin=True)
    outsider = make_user("Olivia", handle="olivia", email="olivia@example.org", newsletter_opt_in_at=utcnow(),
                         digest_frequency="weekly", email_notifications="immediately")
    insider = make_user("Ines", handle="ines", email="ines@example.org")
    places = {}
    for slug, visibility, marker in (("abierta", "public", PUBLIC), ("reservada", "members", MEMBERS),
                                     ("secreta", "private", PRIVATE)):
        members = {insider: "moderator"}
        if visibility == "public":
            members[outsider] = "member"
        community = make_community(slug, visibility=visibility, join_policy="invite", members=members)
        places[slug] = _plant(db, make_user, make_pair, community, insider, marker)
    _unseen_in_public(db, make_pair, places["abierta"], insider)
    return {"admin": admin, "outsider": outsider, "insider": insider, **places}


def _plant(db, make_user, make_pair, community, author, marker):
    """Forums, a highlighted thread, a webinar and a resource, each carrying the marker."""
    pair = make_pair(community, questions=0)
    for forum in pair.forums:
        forum.title, forum.summary = f"{marker} {forum.language}", f"Resumen {marker}"
    forum = forum_of(pair, "es")
    thread = posting.create_thread(forum, author, title=f"Hilo {marker}", body=f"Texto del debate sobre la cosecha {marker}")
    post = db.session.execute(db.select(Post).filter_by(thread_id=thread.id)).scalar_one()
    post.is_highlight = True
    db.session.add(Resource(community_id=community.id, title=f"Guía {marker}", summary=f"Resumen {marker}",
                            language="es", tags="", url="https://example.org/guia", added_by_id=author.id))
    organizer = make_user(f"Org {community.slug}")
    add_member(organizer, community, role="organizer")
    db.session.commit()
    start = timezones.to_local(utcnow() + timedelta(days=10), "America/Lima").replace(second=0, microsecond=0)
    webinar = webinars.save_webinar(organizer, community, webinars.WebinarInput(
        title_es=f"Seminario {marker}", title_en=f"Webinar {marker}", description_es=f"Sobre {marker}",
        description_en=f"About {marker}", starts_at=start, timezone="America/Lima",
        join_url="https://meet.example.org/x"))
    return {"community": community, "pair": pair, "forum": forum, "thread": thread, "post": post,
            "webinar": webinar, "organizer": organizer}


def _unseen_in_public(db, make_pair, place, author):
    """What even a public community shows nobody: a draft forum pair, a thread moderators hid."""
    draft = make_pair(place["community"], questions=0)
    draft.status = "draft"
    for forum in draft.forums:
        forum.title, forum.summary = f"{DRAFT} {forum.language}", f"Resumen {DRAFT}"
    for forum, marker in ((forum_of(draft, "es"), DRAFT), (place["forum"], HIDDEN)):
        thread = posting.create_thread(forum, author, title=f"Hilo {marker}",
                                       body=f"Texto del debate sobre la cosecha {marker}")
        db.session.execute(db.select(Post).filter_by(thread_id=thread.id)).scalar_one().is_highlight = True
        if marker == HIDDEN:
            thread.hidden_at = utcnow()
    db.session.commit()
    place["draft"] = draft


def _mail_to(user) -> list[str]:
    rows = _db_rows(OutboxMessage.to_address == user.email)
    return [" ".join(filter(None, (m.subject, m.body_text, m.body_html, m.attachment_body))) for m in rows]


def _db_rows(*conditions):
    from forum.extensions import db

    return list(db.session.execute(db.select(OutboxMessage).where(*conditions)).scalars())


def _pages(client, *urls) -> list[str]:
    return [client.get(url).get_data(as_text=True) for url in urls]


def _network_edition(client, login, w) -> Newsletter:
    """An admin starts a network edition from the suggested sections, saves and sends it."""
    from forum.extensions import db

    login(w["admin"])
    blank = {"subject_es": "Boletín", "subject_en": "Newsletter", "body_es": "", "body_en": ""}
    page = client.post("/network/newsletters/new", data={**blank, "action": "suggest"}).get_data(as_text=True)
    assert PUBLIC in page
    suggested = newsletters.suggested_sections(None)
    response = client.post("/network/newsletters/new", data={
        **blank, "body_es": "Hola\n\n" + suggested["es"], "body_en": "Hello\n\n" + suggested["en"]})
    assert response.status_code == 302
    edition = db.session.execute(db.select(Newsletter)).scalar_one()
    client.post(f"/network/newsletters/{edition.id}/send", data={"action": "now"})
    newsletters.send_due()
    client.post("/auth/logout")
    return edition


# --- the surfaces: each returns what its reader gets ------------------------------------

def newsletter_suggestions(client, login, w):
    login(w["admin"])
    page = client.post("/network/newsletters/new", data={
        "subject_es": "", "subject_en": "", "body_es": "", "body_en": "", "action": "suggest"})
    return [page.get_data(as_text=True)]


def newsletter_emails(client, login, w):
    _network_edition(client, login, w)
    return _mail_to(w["outsider"])


def newsletter_archive(client, login, w):
    edition = _network_edition(client, login, w)
    return _pages(client, "/network/newsletters/", f"/network/newsletters/{edition.id}")


def digest(client, login, w):
    digests.send_digests("weekly")
    return _mail_to(w["outsider"])


def notifications(client, login, w):
    for slug in ("abierta", "reservada", "secreta"):
        posting.reply(w["insider"], w[slug]["thread"], f"@olivia mira esto {w[slug]['forum'].title}")
    login(w["outsider"])
    return _mail_to(w["outsider"]) + _pages(client, "/notifications/")


def feeds(client, login, w):
    pairs = [(slug, w[slug]["pair"]) for slug in ("abierta", "reservada", "secreta")] + [("abierta", w["abierta"]["draft"])]
    return _pages(client, *(f"/c/{slug}/f/{f.slug}/feed.atom" for slug, pair in pairs for f in pair.forums))


def search(client, login, w):
    urls = ["/search/?q=cosecha", "/search/?q=debate+cosecha"]  # a word of all three (a marker would be echoed)
    signed_out = _pages(client, *urls)
    login(w["outsider"])
    return signed_out + _pages(client, *urls)


def exports(client, login, w):
    login(w["outsider"])
    pages = _pages(client, "/auth/account/data", *(
        f"/c/{slug}/pairs/{w[slug]['pair'].id}/export?format=json&language=es" for slug in ("reservada", "secreta")))
    login(w["insider"])  # a moderator of all three: the public pair's export holds only the public pair
    return pages + _pages(client, f"/c/abierta/pairs/{w['abierta']['pair'].id}/export?format=json&language=es")


def calendar_files(client, login, w):
    login(w["outsider"])
    client.post(f"/c/abierta/webinars/{w['abierta']['webinar'].id}/register")
    pages = _pages(client, *(f"/c/{slug}/webinars/{w[slug]['webinar'].id}/calendar.ics"
                             for slug in ("abierta", "reservada", "secreta")))
    client.post("/auth/logout")
    return pages + _mail_to(w["outsider"]) + _pages(client, *(
        f"/c/{slug}/webinars/{w[slug]['webinar'].id}/calendar.ics" for slug in ("reservada", "secreta")))


def visitor_pages(client, login, w):
    urls = ["/", "/c/", "/webinars/", "/network/newsletters/"]
    for slug in ("abierta", "reservada", "secreta"):
        place = w[slug]
        urls += [f"/c/{slug}", f"/c/{slug}/resources/", f"/c/{slug}/webinars/",
                 f"/c/{slug}/webinars/{place['webinar'].id}", f"/c/{slug}/f/{place['forum'].slug}",
                 f"/posts/{place['post'].id}", f"/c/{slug}/newsletters/"]
    signed_out = _pages(client, *urls)
    login(w["outsider"])
    return signed_out + _pages(client, *urls)


SURFACES = [newsletter_suggestions, newsletter_emails, newsletter_archive, digest, notifications, feeds, search,
            exports, calendar_files, visitor_pages]


@pytest.mark.parametrize("surface", SURFACES, ids=[s.__name__ for s in SURFACES])
def test_nothing_private_or_members_only_reaches_a_non_member(client, login, world, surface):
    texts = surface(client, login, world)
    everything = "\n".join(texts)
    assert PUBLIC in everything, f"{surface.__name__} showed nothing at all: the check would prove nothing"
    for marker in SECRETS:
        leaks = [text[max(0, text.find(marker) - 200):text.find(marker) + 100] for text in texts if marker in text]
        assert not leaks, f"{surface.__name__} leaks {marker}: {leaks[:2]}"
