"""Reading a forum pair and replying to a guiding question."""
import re
from datetime import timedelta

import pytest

from forum.models import Forum, Post, Thread
from forum.services import posting
from tests.conftest import forum_of, thread_url


def forum_url(forum: Forum) -> str:
    return f"/c/{forum.community.slug}/f/{forum.slug}"


def first_question(forum: Forum) -> Thread:
    from forum.extensions import db

    return db.session.execute(db.select(Thread).filter_by(forum_id=forum.id, position=1)).scalar_one()


@pytest.fixture
def setting(make_community, make_pair, make_user):
    member = make_user("Ana Morales", country="CL", institution="Municipalidad de Valparaíso",
                       timezone="America/Santiago")
    community = make_community(members={member: "member"})
    pair = make_pair(community, questions=3)
    return member, community, pair


def test_forum_page_shows_state_concept_note_questions_in_order_and_sibling(client, setting):
    _, _, pair = setting
    es, en = forum_of(pair, "es"), forum_of(pair, "en")
    page = client.get(forum_url(es)).get_data(as_text=True)
    assert "Nota conceptual" in page
    assert "Abierto, cierra en 59 días" in page
    positions = [page.index(f"question {n}") for n in (1, 2, 3)]
    assert positions == sorted(positions)
    assert f'href="{forum_url(en)}"' in page
    assert "La misma discusión en inglés" in page
    page = client.get(forum_url(en), headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "The same discussion in Spanish" in page and f'href="{forum_url(es)}"' in page


def test_member_replies_in_markdown_and_sees_author_country_institution_and_local_time(
        client, db, login, setting):
    member, _, pair = setting
    thread = first_question(forum_of(pair, "es"))
    login(member)
    response = client.post(thread_url(thread), data={"body": "Hace falta **coordinación** real."})
    assert response.status_code == 302
    post = db.session.execute(db.select(Post).order_by(Post.id.desc())).scalars().first()
    assert response.headers["Location"].endswith(f"?page=1#post-{post.id}")
    page = client.get(thread_url(thread)).get_data(as_text=True)
    article = page[page.index(f'id="post-{post.id}"'):]
    assert "<strong>coordinación</strong>" in article
    assert "Ana Morales" in article and "Chile" in article and "Municipalidad de Valparaíso" in article
    local = post.created_at.astimezone(__import__("zoneinfo").ZoneInfo("America/Santiago"))
    assert f"{local.hour}:{local:%M}" in article  # Spanish times read H:mm
    db.session.refresh(thread)
    assert thread.reply_count == 1 and thread.post_count == 2


def test_a_reply_is_rendered_once_and_its_mention_link_notification_and_search_follow(
        client, db, login, make_user, monkeypatch, setting):
    """One Markdown parse per reply: the stored HTML, the mentioned member's notification and
    the search document all come from that single render."""
    from forum import markup
    from forum.models import Notification, SearchDocument
    from forum.services import bodies
    from forum.services.membership import add_member

    member, community, pair = setting
    bea = make_user("Bea Soto", handle="bea_soto")
    add_member(bea, community)
    db.session.commit()
    thread = first_question(forum_of(pair, "es"))
    parsed = []
    monkeypatch.setattr(bodies, "parse", lambda source: parsed.append(source) or markup.parse(source))
    login(member)
    client.post(thread_url(thread), data={"body": "Gracias @bea_soto por la **propuesta**."})
    post = db.session.execute(db.select(Post).order_by(Post.id.desc())).scalars().first()
    assert len(parsed) == 1
    assert 'class="mention"' in post.body_html and "/u/bea_soto" in post.body_html
    assert db.session.execute(db.select(Notification.kind).filter_by(user_id=bea.id, post_id=post.id)).scalar() == "mention"
    assert "propuesta" in db.session.get(SearchDocument, post.id).body


def test_times_follow_the_viewers_time_zone(client, db, login, make_user, setting):
    member, community, pair = setting
    thread = first_question(forum_of(pair, "es"))
    tokyo = make_user(timezone="Asia/Tokyo")
    login(tokyo)
    page = client.get(thread_url(thread)).get_data(as_text=True)
    local = thread.created_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert f"{local.hour}:{local:%M}" in page
    assert "Zona horaria: hora de Japón" in page


def test_visitors_and_non_members_cannot_reply(client, db, login, make_user, setting):
    _, _, pair = setting
    thread = first_question(forum_of(pair, "es"))
    page = client.get(thread_url(thread)).get_data(as_text=True)
    assert "Inicia sesión para responder." in page
    response = client.post(thread_url(thread), data={"body": "hola"})
    assert response.status_code == 400
    outsider = make_user()
    login(outsider)
    response = client.post(thread_url(thread), data={"body": "hola"})
    assert "Únete a la comunidad para participar en este foro." in response.get_data(as_text=True)
    assert db.session.execute(db.select(Post).filter_by(author_id=outsider.id)).first() is None


def test_unconfirmed_members_are_asked_to_confirm(client, login, make_user, make_community, make_pair):
    user = make_user(confirmed=False)
    community = make_community(members={user: "member"})
    thread = first_question(forum_of(make_pair(community), "es"))
    login(user)
    page = client.post(thread_url(thread), data={"body": "hola"}).get_data(as_text=True)
    assert "Confirma tu dirección de correo para participar." in page


def test_empty_and_oversized_replies_are_refused_and_the_text_is_kept(client, db, login, setting):
    member, _, pair = setting
    thread = first_question(forum_of(pair, "es"))
    login(member)
    response = client.post(thread_url(thread), data={"body": "   \n  "})
    assert response.status_code == 400
    assert "Escribe algo antes de publicar." in response.get_data(as_text=True)
    huge = "palabra " * 2600
    response = client.post(thread_url(thread), data={"body": huge})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Una publicación puede tener como máximo 20.000 caracteres" in page
    assert huge.strip() in page  # the text is still in the form
    assert db.session.execute(db.select(Post).filter_by(author_id=member.id)).first() is None


def test_reply_html_is_sanitised_and_links_get_rel(client, db, login, setting):
    member, _, pair = setting
    thread = first_question(forum_of(pair, "es"))
    login(member)
    client.post(thread_url(thread), data={
        "body": '<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> '
                "[ILPES](https://www.cepal.org/es/ilpes)"})
    page = client.get(thread_url(thread)).get_data(as_text=True)
    body = page[page.rindex('<div class="post-body'):]
    assert "<script>" not in body and "onerror" not in body and "javascript:" not in body
    assert '<a href="https://www.cepal.org/es/ilpes" rel="nofollow ugc noopener">ILPES</a>' in body


def test_closed_forums_are_read_only_except_for_moderators(client, db, login, make_user, make_community, make_pair):
    member, moderator = make_user(), make_user()
    community = make_community(members={member: "member", moderator: "moderator"})
    pair = make_pair(community, opens_in=timedelta(days=-70), lasts=timedelta(days=60))
    thread = first_question(forum_of(pair, "es"))
    assert "Cerrado, solo lectura" in client.get(forum_url(thread.forum)).get_data(as_text=True)
    login(member)
    page = client.post(thread_url(thread), data={"body": "tarde"}).get_data(as_text=True)
    assert "Este foro está cerrado" in page
    client.post("/auth/logout")
    login(moderator)
    assert client.post(thread_url(thread), data={"body": "Cierre del moderador"}).status_code == 302


def test_scheduled_forum_says_when_it_opens(client, make_community, make_pair, make_user, login):
    member = make_user()
    community = make_community(members={member: "member"})
    pair = make_pair(community, opens_in=timedelta(days=5))
    page = client.get(forum_url(forum_of(pair, "es"))).get_data(as_text=True)
    assert "Abre el" in page
    login(member)
    thread = first_question(forum_of(pair, "es"))
    assert "Este foro aún no se ha abierto." in client.post(thread_url(thread), data={"body": "x"}).get_data(as_text=True)


def test_thread_pages_hold_30_posts_and_permalinks_land_on_the_right_page(client, db, login, setting):
    member, _, pair = setting
    thread = first_question(forum_of(pair, "es"))
    for i in range(40):
        posting.add_post(thread, member, f"Aporte número {i}")
    db.session.commit()
    page1 = client.get(thread_url(thread)).get_data(as_text=True)
    assert page1.count('<article class="post') == 30
    page2 = client.get(thread_url(thread) + "?page=2").get_data(as_text=True)
    assert page2.count('<article class="post') == 11
    assert "Aporte número 39" in page2
    login(member)
    response = client.post(thread_url(thread), data={"body": "El último"})
    assert "page=2#post-" in response.headers["Location"]


def test_thread_page_query_count_does_not_grow_with_posts(client, db, count_queries, make_user, setting):
    member, _, pair = setting
    thread = first_question(forum_of(pair, "es"))
    url = thread_url(thread)
    others = [make_user() for _ in range(5)]
    for u in others[:2]:
        posting.add_post(thread, u, "corto")
    db.session.commit()
    with count_queries() as few:
        assert client.get(url).status_code == 200
    for i in range(28):
        posting.add_post(thread, others[i % 5], f"más {i}")
    db.session.commit()
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few) <= 6, many


def test_forum_and_home_query_counts_are_fixed(client, db, count_queries, make_community, make_pair):
    community = make_community()
    pair = make_pair(community, questions=1)
    forum = forum_of(pair, "es")
    url = forum_url(forum)
    with count_queries() as small:
        client.get(url)
        client.get("/")
    for i in range(6):
        posting.create_thread(forum, None, title=f"Tema {i}", body="cuerpo")
        make_pair(community, questions=1)
    db.session.commit()
    with count_queries() as big:
        client.get(url)
        client.get("/")
    assert len(big) == len(small)


def test_private_community_forums_are_not_found_by_outsiders(client, login, make_user, make_community, make_pair):
    member = make_user()
    community = make_community(visibility="private", members={member: "member"})
    forum = forum_of(make_pair(community), "es")
    assert client.get(forum_url(forum)).status_code == 404
    assert forum.title not in client.get("/").get_data(as_text=True)
    login(member)
    assert client.get(forum_url(forum)).status_code == 200
    assert forum.title in client.get("/").get_data(as_text=True)


def test_thread_of_another_forum_is_not_found(client, setting):
    _, _, pair = setting
    es, en = forum_of(pair, "es"), forum_of(pair, "en")
    thread = first_question(en)
    assert client.get(f"{forum_url(es)}/threads/{thread.id}").status_code == 404
    assert client.get(f"{forum_url(es)}/threads/999999").status_code == 404


def test_join_an_open_community_then_reply(client, db, login, make_user, make_community, make_pair):
    user = make_user()
    community = make_community()
    thread = first_question(forum_of(make_pair(community), "es"))
    login(user)
    page = client.get(f"/c/{community.slug}").get_data(as_text=True)
    assert "Unirse a esta comunidad" in page
    client.post(f"/c/{community.slug}/join")
    db.session.refresh(community)
    assert community.member_count == 2  # the organizer and the new member
    assert client.post(thread_url(thread), data={"body": "¡Hola!"}).status_code == 302
    client.post(f"/c/{community.slug}/leave")
    db.session.refresh(community)
    assert community.member_count == 1


def test_seed_demo_is_idempotent_and_prints_the_accounts(runner, db, client):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    for email in ("miembro@demo.example.org", "moderador@demo.example.org", "organizer@demo.example.org"):
        assert email in first.output
    counts = {m: db.session.execute(db.select(db.func.count()).select_from(m)).scalar() for m in (Forum, Thread, Post)}
    second = runner.invoke(args=["seed-demo"])
    assert "nothing (already there)" in second.output
    assert counts == {m: db.session.execute(db.select(db.func.count()).select_from(m)).scalar() for m in (Forum, Thread, Post)}

    es_page = client.get("/c/red-planificacion/f/resiliencia-territorial").get_data(as_text=True)
    assert "Resiliencia territorial" in es_page and "Territorial resilience" in es_page
    assert "El concepto de resiliencia" in es_page
    titles = re.findall(r'class="thread-title"[^>]*>([^<]+)<', es_page)
    assert len(titles) == 4 and titles[0].startswith("¿Cuáles son los principales desafíos")
    en_page = client.get("/c/red-planificacion/f/territorial-resilience").get_data(as_text=True)
    assert "The concept of resilience" in en_page
    pair = db.session.execute(db.select(Forum).filter_by(slug="territorial-resilience")).scalar_one().pair
    assert 59 <= (pair.closes_at - pair.opens_at).days <= 62


def test_members_only_community_is_listed_but_its_forums_are_for_members(client, login, make_user,
                                                                         make_community, make_pair):
    outsider = make_user()
    community = make_community(visibility="members")
    forum = forum_of(make_pair(community), "es")
    assert community.name_es in client.get("/c/").get_data(as_text=True)
    login(outsider)
    page = client.get(f"/c/{community.slug}").get_data(as_text=True)
    assert "Solo los miembros pueden leer los foros de esta comunidad." in page
    assert forum.title not in page
    assert client.get(forum_url(forum)).status_code == 404
    client.post(f"/c/{community.slug}/join")
    assert client.get(forum_url(forum)).status_code == 200
