"""Discussions: threads and replies, reading state, useful marks, editing, deleting."""
import re
from datetime import timedelta

import pytest

from forum.models import Post, Revision, Thread, ThreadRead
from forum.services import posting
from tests.conftest import forum_of, thread_url


def forum_url(forum):
    return f"/c/{forum.community.slug}/f/{forum.slug}"


def question(db, forum, position=1) -> Thread:
    return db.session.execute(db.select(Thread).filter_by(forum_id=forum.id, position=position)).scalar_one()


def row_of(page: str, thread) -> str:
    """The forum page's list item for one thread."""
    start = page.index(f'/threads/{thread.id}"')
    return page[start:page.index("</li>", start)]


def last_post(db) -> Post:
    return db.session.execute(db.select(Post).order_by(Post.id.desc())).scalars().first()


@pytest.fixture
def world(db, make_user, make_community, make_pair):
    ana = make_user("Ana Morales", handle="ana", country="CL", institution="Municipalidad de Valparaíso")
    ben = make_user("Ben Joseph", handle="ben", locale="en", country="DM")
    mod = make_user("Mónica Moderadora", handle="monica")
    community = make_community(members={ana: "member", ben: "member", mod: "moderator"})
    pair = make_pair(community, questions=3)
    forum = forum_of(pair, "es")
    return {"ana": ana, "ben": ben, "mod": mod, "community": community, "pair": pair, "forum": forum,
            "q1": question(db, forum)}


def test_forum_lists_guiding_questions_first_with_counters_then_other_threads(client, db, login, world):
    forum, q1, ana, ben = world["forum"], world["q1"], world["ana"], world["ben"]
    posting.add_post(q1, ana, "uno")
    posting.add_post(q1, ben, "dos")
    posting.add_post(q1, ana, "tres")
    posting.create_thread(forum, world["mod"], title="Un hilo de moderación", body="hola")
    db.session.commit()
    page = client.get(forum_url(forum)).get_data(as_text=True)
    assert page.index("Preguntas orientadoras") < page.index("Otros hilos") < page.index("Un hilo de moderación")
    row = row_of(page, q1)
    assert "3 respuestas" in row and "3 participantes" in row and "última actividad" in row


def test_new_posts_are_counted_per_member_until_read(client, db, login, world):
    forum, q1, ana, ben = world["forum"], world["q1"], world["ana"], world["ben"]
    login(ana)
    client.get(thread_url(q1))  # read the opening post
    for i in range(3):
        posting.add_post(q1, ben, f"nueva {i}")
    db.session.commit()
    page = client.get(forum_url(forum)).get_data(as_text=True)
    assert "3 nuevas" in row_of(page, q1)
    response = client.get(thread_url(q1) + "?unread=1")
    first_new = db.session.execute(db.select(Post).filter_by(thread_id=q1.id, number=2)).scalar_one()
    assert response.headers["Location"].endswith(f"#post-{first_new.id}")
    client.get(thread_url(q1))
    assert "nueva" not in row_of(client.get(forum_url(forum)).get_data(as_text=True), q1)


def test_unread_counts_ignore_deleted_posts(client, db, login, world):
    forum, q1, ana, ben = world["forum"], world["q1"], world["ana"], world["ben"]
    login(ana)
    client.get(thread_url(q1))
    post = posting.add_post(q1, ben, "me arrepiento")
    db.session.commit()
    assert "1 nueva" in row_of(client.get(forum_url(forum)).get_data(as_text=True), q1)
    posting.delete_post(ben, post)
    assert "nueva" not in row_of(client.get(forum_url(forum)).get_data(as_text=True), q1)


def test_permalink_finds_the_page_of_the_post(client, db, world):
    q1, ana = world["q1"], world["ana"]
    posts = [posting.add_post(q1, ana, f"aporte {i}") for i in range(35)]
    db.session.commit()
    response = client.get(f"/posts/{posts[-1].id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"?page=2#post-{posts[-1].id}")
    response = client.get(f"/posts/{posts[0].id}")
    assert f"page=1#post-{posts[0].id}" in response.headers["Location"]
    assert client.get("/posts/999999").status_code == 404


def test_reply_to_a_post_shows_a_linked_quote_of_it(client, db, login, world):
    q1, ana, ben = world["q1"], world["ana"], world["ben"]
    original = posting.add_post(q1, ben, "La coordinación entre niveles es lo más difícil.")
    db.session.commit()
    login(ana)
    form_page = client.get(thread_url(q1) + f"?reply_to={original.id}").get_data(as_text=True)
    assert f'name="reply_to" type="hidden" value="{original.id}"' in form_page
    assert "Respondiendo a Ben Joseph" in form_page
    response = client.post(thread_url(q1), data={"body": "Coincido.", "reply_to": str(original.id)})
    assert response.status_code == 302
    reply = last_post(db)
    assert reply.reply_to_id == original.id
    page = client.get(thread_url(q1)).get_data(as_text=True)
    article = page[page.index(f'id="post-{reply.id}"'):]
    assert f'href="/posts/{original.id}">En respuesta a Ben Joseph</a>' in article
    assert "La coordinación entre niveles" in article[:article.index("</article>")]


def test_reply_to_a_post_of_another_thread_is_refused(client, db, login, world):
    q1, ana, ben = world["q1"], world["ana"], world["ben"]
    elsewhere = posting.add_post(question(db, world["forum"], 2), ben, "otro hilo")
    db.session.commit()
    login(ana)
    response = client.post(thread_url(q1), data={"body": "hola", "reply_to": str(elsewhere.id)})
    assert response.status_code == 400
    assert "La publicación a la que respondes ya no está." in response.get_data(as_text=True)


def test_quote_prefills_the_reply_with_the_quoted_post(client, db, login, world):
    q1, ana, ben = world["q1"], world["ana"], world["ben"]
    original = posting.add_post(q1, ben, "Primera línea\n\nSegunda línea")
    db.session.commit()
    login(ana)
    page = client.get(thread_url(q1) + f"?reply_to={original.id}&quote=1").get_data(as_text=True)
    assert "&gt; Primera línea\n&gt;\n&gt; Segunda línea\n&gt;\n&gt; — Ben Joseph" in page


def test_preview_renders_without_saving(client, db, login, world):
    q1, ana = world["q1"], world["ana"]
    login(ana)
    before = db.session.execute(db.select(db.func.count(Post.id))).scalar()
    response = client.post(thread_url(q1), data={"body": "Texto en **negrita**", "preview": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Vista previa" in page and "<strong>negrita</strong>" in page
    assert "Texto en **negrita**</textarea>" in page  # the text stays in the form
    assert db.session.execute(db.select(db.func.count(Post.id))).scalar() == before


def test_edit_keeps_a_revision_visible_to_author_and_moderators_only(client, db, login, world, make_user):
    q1, ana, ben, mod = world["q1"], world["ana"], world["ben"], world["mod"]
    login(ana)
    client.post(thread_url(q1), data={"body": "Versión uno"})
    post = last_post(db)
    response = client.post(f"/posts/{post.id}/edit", data={"body": "Versión dos"})
    assert response.status_code == 302
    db.session.refresh(post)
    assert post.body_md == "Versión dos" and post.edited_at is not None
    [revision] = db.session.execute(db.select(Revision).filter_by(post_id=post.id)).scalars()
    assert revision.body_md == "Versión uno" and revision.editor_id == ana.id
    page = client.get(thread_url(q1)).get_data(as_text=True)
    assert "editado el" in page and f"/posts/{post.id}/revisions" in page
    assert "Versión uno" in client.get(f"/posts/{post.id}/revisions").get_data(as_text=True)
    client.post("/auth/logout")
    login(ben)
    assert client.get(f"/posts/{post.id}/revisions").status_code == 403
    assert f"/posts/{post.id}/revisions" not in client.get(thread_url(q1)).get_data(as_text=True)
    client.post("/auth/logout")
    login(mod)
    assert client.get(f"/posts/{post.id}/revisions").status_code == 200


def test_members_cannot_edit_or_delete_someone_elses_post(client, db, login, world):
    q1, ana, ben = world["q1"], world["ana"], world["ben"]
    post = posting.add_post(q1, ben, "mío")
    db.session.commit()
    login(ana)
    refused = "Puedes editar tus publicaciones mientras el foro está abierto."
    assert refused in client.get(f"/posts/{post.id}/edit", follow_redirects=True).get_data(as_text=True)
    page = client.post(f"/posts/{post.id}/edit", data={"body": "hackeado"}, follow_redirects=True)
    assert refused in page.get_data(as_text=True)
    assert client.get(f"/posts/{post.id}/delete").status_code == 403
    page = client.post(f"/posts/{post.id}/delete", follow_redirects=True)
    assert "Puedes eliminar tus publicaciones mientras el foro está abierto." in page.get_data(as_text=True)
    db.session.refresh(post)
    assert post.body_md == "mío" and post.deleted_at is None
    # Ben, the author, can: the refusals above were about Ana, not a broken form.
    login(ben)
    assert client.post(f"/posts/{post.id}/edit", data={"body": "mío, corregido"}).status_code == 302
    db.session.refresh(post)
    assert post.body_md == "mío, corregido"


def test_edit_refuses_empty_text_and_keeps_what_was_typed(client, db, login, world):
    q1, ana = world["q1"], world["ana"]
    login(ana)
    client.post(thread_url(q1), data={"body": "algo"})
    post = last_post(db)
    response = client.post(f"/posts/{post.id}/edit", data={"body": "   "})
    assert response.status_code == 400
    assert "Escribe algo antes de publicar." in response.get_data(as_text=True)
    big = "x" * 20_001
    response = client.post(f"/posts/{post.id}/edit", data={"body": big})
    assert big in response.get_data(as_text=True)


def test_delete_is_soft_and_moves_the_counters(client, db, login, world):
    q1, ana = world["q1"], world["ana"]
    login(ana)
    client.post(thread_url(q1), data={"body": "Lo voy a borrar"})
    post = last_post(db)
    db.session.refresh(q1)
    assert (q1.reply_count, q1.participant_count) == (1, 2)
    client.post(f"/posts/{post.id}/delete")
    db.session.refresh(post)
    db.session.refresh(q1)
    assert post.deleted_at is not None and post.body_md == "Lo voy a borrar"  # nothing lost
    assert (q1.reply_count, q1.participant_count) == (0, 1)
    page = client.get(thread_url(q1)).get_data(as_text=True)
    assert "Esta publicación fue eliminada." in page and "Lo voy a borrar" not in page


def test_opening_post_cannot_be_deleted_by_its_author(client, db, login, world):
    forum, ana = world["forum"], world["ana"]
    world["pair"].allow_member_threads = True
    db.session.commit()
    login(ana)
    client.post(forum_url(forum) + "/threads/new", data={"title": "Mi hilo", "body": "Abro"})
    first = last_post(db)
    assert first.number == 1
    response = client.post(f"/posts/{first.id}/delete", follow_redirects=True)
    assert "no se puede eliminar" in response.get_data(as_text=True)


def test_edit_and_delete_end_when_the_forum_closes(client, db, login, world):
    q1, ana, pair = world["q1"], world["ana"], world["pair"]
    login(ana)
    client.post(thread_url(q1), data={"body": "a tiempo"})
    post = last_post(db)
    pair.closes_at = pair.opens_at + timedelta(hours=1)
    db.session.commit()
    page = client.post(f"/posts/{post.id}/edit", data={"body": "tarde"}, follow_redirects=True)
    assert "Puedes editar tus publicaciones mientras el foro está abierto." in page.get_data(as_text=True)
    db.session.refresh(post)
    assert post.body_md == "a tiempo"


def test_useful_once_per_member_can_be_undone_and_not_on_own_posts(client, db, login, world):
    q1, ana, ben = world["q1"], world["ana"], world["ben"]
    post = posting.add_post(q1, ben, "Útil")
    db.session.commit()
    login(ana)
    client.post(f"/posts/{post.id}/useful")
    db.session.refresh(post)
    assert post.useful_count == 1
    page = client.get(thread_url(q1)).get_data(as_text=True)
    assert 'aria-pressed="true">Útil · 1' in page
    client.post(f"/posts/{post.id}/useful", data={"mark": "0"})
    db.session.refresh(post)
    assert post.useful_count == 0
    client.post("/auth/logout")
    login(ben)
    page = client.post(f"/posts/{post.id}/useful", follow_redirects=True).get_data(as_text=True)
    assert "You cannot mark this post as useful." in page  # Ben reads English
    db.session.refresh(post)
    assert post.useful_count == 0


def test_members_open_threads_only_where_the_forum_allows_it(client, db, login, world):
    forum, ana = world["forum"], world["ana"]
    login(ana)
    assert "Abrir un hilo nuevo" not in client.get(forum_url(forum)).get_data(as_text=True)
    assert client.post(forum_url(forum) + "/threads/new", data={"title": "x", "body": "y"}).status_code == 403
    world["pair"].allow_member_threads = True
    db.session.commit()
    assert "Abrir un hilo nuevo" in client.get(forum_url(forum)).get_data(as_text=True)
    response = client.post(forum_url(forum) + "/threads/new", data={"title": "  ", "body": "cuerpo"})
    assert response.status_code == 400 and "Ponle un título al hilo." in response.get_data(as_text=True)
    assert "cuerpo</textarea>" in response.get_data(as_text=True)
    response = client.post(forum_url(forum) + "/threads/new", data={"title": "Experiencias locales", "body": "Cuento la mía"})
    assert response.status_code == 302
    assert "Experiencias locales" in client.get(forum_url(forum)).get_data(as_text=True)


def test_participants_page_lists_country_institution_and_post_counts(client, db, world):
    q1, ana, ben = world["q1"], world["ana"], world["ben"]
    for body in ("a", "b"):
        posting.add_post(q1, ana, body)
    posting.add_post(q1, ben, "c")
    db.session.commit()
    page = client.get(forum_url(world["forum"]) + "/participants").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td><a[^>]*>([^<]+)</a></td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td class=\"num\">(\d+)</td>", page)
    assert ("Ana Morales", "Chile", "Municipalidad de Valparaíso", "2") in rows
    assert ("Ben Joseph", "Dominica", "", "1") in rows


def test_atom_feed_for_public_forums_only(client, db, world, make_community, make_pair):
    import xml.etree.ElementTree as ET

    posting.add_post(world["q1"], world["ana"], "Para el feed")
    db.session.commit()
    response = client.get(forum_url(world["forum"]) + "/feed.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert any("Para el feed" in (e.find("a:content", ns).text or "") for e in entries)
    private = forum_of(make_pair(make_community(visibility="members")), "es")
    assert client.get(forum_url(private) + "/feed.atom").status_code == 404


def test_forum_page_queries_stay_fixed_as_threads_grow(client, db, count_queries, login, world):
    forum, ana = world["forum"], world["ana"]
    url = forum_url(forum)
    login(ana)
    with count_queries() as few:
        client.get(url)
    for i in range(12):
        thread = posting.create_thread(forum, world["mod"], title=f"Tema {i}", body="cuerpo")
        posting.add_post(thread, world["ben"], "respuesta")
    db.session.commit()
    with count_queries() as many:
        client.get(url)
    assert len(many) == len(few), "\n".join(q[:150].replace("\n", " ") for q in many)


def test_thread_page_queries_stay_fixed_for_a_signed_in_member(client, db, count_queries, login, world, make_user):
    q1, ana = world["q1"], world["ana"]
    url = thread_url(q1)
    login(ana)
    first = posting.add_post(q1, world["ben"], "primera")
    db.session.commit()
    client.get(url)
    with count_queries() as few:
        client.get(url)
    people = [make_user() for _ in range(6)]
    for i in range(28):
        posting.add_post(q1, people[i % 6], f"@ana aporte {i}", reply_to=first)
    db.session.commit()
    client.get(url)
    with count_queries() as many:
        client.get(url)
    assert len(many) == len(few), "\n".join(q[:150].replace("\n", " ") for q in many)


def test_reading_state_only_moves_forward(client, db, login, world):
    q1, ana = world["q1"], world["ana"]
    for i in range(40):
        posting.add_post(q1, world["ben"], f"p{i}")
    db.session.commit()
    login(ana)
    client.get(thread_url(q1) + "?page=2")
    client.get(thread_url(q1) + "?page=1")
    marker = db.session.execute(db.select(ThreadRead.last_read_number).filter_by(user_id=ana.id)).scalar_one()
    assert marker == 41


def test_bad_page_numbers_fall_back_gracefully(client, world):
    q1 = world["q1"]
    for value in ("abc", "-3", "0", "999999"):
        assert client.get(thread_url(q1) + f"?page={value}").status_code == 200
    assert client.get(forum_url(world["forum"]) + "?page=abc").status_code == 200


@pytest.mark.parametrize("body", ["<img src=x>", "<!-- hidden -->", "<div></div>", "&nbsp;", "\u200b\u200b",
                                  "[](http://x)", "<b> </b>"])
def test_replies_that_would_show_nothing_are_refused(client, db, login, world, body):
    login(world["ana"])
    response = client.post(thread_url(world["q1"]), data={"body": body})
    assert response.status_code == 400
    assert "Escribe algo antes de publicar." in response.get_data(as_text=True)


@pytest.mark.parametrize("suffix", ["threads/99999999999999999999999", "threads/9223372036854775808",
                                    "threads/2147483648", "threads/0", "threads/-1", "threads/abc"])
def test_impossible_ids_are_not_found(client, world, suffix):
    assert client.get(forum_url(world["forum"]) + "/" + suffix).status_code == 404


def test_impossible_ids_in_query_and_form_values_are_ignored(client, login, world):
    q1 = world["q1"]
    assert client.get("/posts/99999999999999999999").status_code == 404
    assert client.get(thread_url(q1) + "?reply_to=99999999999999999999&quote=1").status_code == 200
    assert client.get(thread_url(q1) + "?reply_to=²").status_code == 200
    assert client.get("/search/?q=agua&forum=99999999999999999999").status_code == 200
    assert client.get(forum_url(world["forum"]) + "?page=" + "9" * 30).status_code == 200
    login(world["ana"])
    response = client.post(thread_url(q1), data={"body": "hola", "reply_to": "9" * 25})
    assert response.status_code == 302


def test_a_failed_reply_stays_on_the_same_page(client, db, login, world):
    q1 = world["q1"]
    for i in range(35):
        posting.add_post(q1, world["ben"], f"p{i}")
    db.session.commit()
    login(world["ana"])
    page = client.get(thread_url(q1) + "?page=2").get_data(as_text=True)
    assert f'action="{thread_url(q1)}?page=2#reply"' in page


def test_outsiders_can_join_from_the_thread_and_come_back_to_it(client, db, login, world, make_user):
    outsider = make_user()
    q1 = world["q1"]
    login(outsider)
    page = client.get(thread_url(q1)).get_data(as_text=True)
    assert f"Unirse a {world['community'].name_es}" in page
    response = client.post(f"/c/{world['community'].slug}/join", data={"next": thread_url(q1)})
    assert response.headers["Location"] == thread_url(q1)
    assert client.post(thread_url(q1), data={"body": "¡Ya estoy!"}).status_code == 302


def test_two_deletes_of_one_post_move_the_counters_once(app, client, db, world):
    import threading

    from forum.models import User

    q1, ana = world["q1"], world["ana"]
    post = posting.add_post(q1, ana, "borrar dos veces")
    db.session.commit()
    post_id, ana_id = post.id, ana.id
    stale = db.session.get(Post, post_id)
    assert stale.deleted_at is None  # this request loaded it before the other one deleted it

    def other_request():
        with app.app_context():
            posting.delete_post(db.session.get(User, ana_id), db.session.get(Post, post_id))
            db.session.remove()

    worker = threading.Thread(target=other_request)
    worker.start()
    worker.join()
    posting.delete_post(ana, stale)
    db.session.expire_all()
    q1 = db.session.get(Thread, q1.id)
    assert (q1.post_count, q1.participant_count) == (1, 1)


def test_last_activity_falls_back_after_a_deletion(client, db, world):
    q1, ana = world["q1"], world["ana"]
    first = posting.add_post(q1, ana, "primero")
    db.session.commit()
    late = posting.add_post(q1, world["ben"], "tarde")
    late.created_at = first.created_at + __import__("datetime").timedelta(hours=2)
    db.session.commit()
    posting.delete_post(world["ben"], late)
    db.session.refresh(q1)
    assert q1.last_post_at == first.created_at


def test_an_identical_second_post_is_refused(client, db, login, world):
    login(world["ana"])
    client.post(thread_url(world["q1"]), data={"body": "Mismo texto"})
    response = client.post(thread_url(world["q1"]), data={"body": "Mismo texto"})
    assert response.status_code == 400 and "Ya publicaste este texto en este hilo." in response.get_data(as_text=True)


def test_replying_to_a_post_deleted_meanwhile_keeps_the_text_and_drops_the_target(client, db, login, world):
    q1, ana, ben = world["q1"], world["ana"], world["ben"]
    target = posting.add_post(q1, ben, "lo borraré")
    db.session.commit()
    posting.delete_post(ben, target)
    login(ana)
    response = client.post(thread_url(q1), data={"body": "Mi respuesta", "reply_to": str(target.id)})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "La publicación a la que respondes ya no está." in page
    assert "Mi respuesta</textarea>" in page
    assert 'name="reply_to" type="hidden" value=""' in page
    assert 'class="replying-to"' not in page


def test_preview_explains_what_would_be_refused(client, login, world):
    login(world["ana"])
    page = client.post(thread_url(world["q1"]), data={"body": "x" * 20_001, "preview": "1"}).get_data(as_text=True)
    assert "como máximo 20.000 caracteres" in page and 'id="preview-heading"' not in page
    page = client.post(thread_url(world["q1"]), data={"body": "  ", "preview": "1"}).get_data(as_text=True)
    assert "Escribe algo antes de publicar." in page


def test_deleting_asks_first(client, db, login, world):
    login(world["ana"])
    client.post(thread_url(world["q1"]), data={"body": "quizá lo borre"})
    post = last_post(db)
    page = client.get(f"/posts/{post.id}/delete").get_data(as_text=True)
    assert "¿Eliminar esta publicación?" in page and "quizá lo borre" in page
    db.session.refresh(post)
    assert post.deleted_at is None


def test_a_permalink_to_a_private_post_asks_visitors_to_sign_in(client, db, make_user, make_community, make_pair):
    insider = make_user()
    community = make_community(visibility="private", members={insider: "member"})
    thread = question(db, forum_of(make_pair(community), "es"))
    post = posting.add_post(thread, insider, "privado")
    db.session.commit()
    response = client.get(f"/posts/{post.id}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
