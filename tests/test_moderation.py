"""Moderation and curation: queue, flags, actions with a log and notifications, curation, dashboard."""
from datetime import timedelta

import pytest

from forum.mail import deliver_due
from forum.models import (
    Flag,
    Membership,
    ModerationLog,
    Post,
    PostTheme,
    Revision,
    SynthesisNote,
    Theme,
    Thread,
    utcnow,
)
from forum.services import DomainError, announcements, moderation, posting
from tests.conftest import forum_of, text_part, thread_url


@pytest.fixture
def world(db, make_user, make_community, make_pair):
    mod = make_user("Mónica Moderadora", handle="monica", email="monica@example.org")
    ana = make_user("Ana", handle="ana", email="ana@example.org", locale="es", country="CL", sector="academia", gender="woman")
    ben = make_user("Ben", handle="ben", email="ben@example.org", locale="en", country="DM", gender="man")
    cai = make_user("Caí", handle="cai", email="cai@example.org")
    dee = make_user("Dee", handle="dee", email="dee@example.org")
    community = make_community("red", members={mod: "moderator", ana: "member", ben: "member", cai: "member", dee: "member"})
    pair = make_pair(community, questions=2)
    pair.themes.append(Theme(code="escasez", label_es="Escasez", label_en="Scarcity", position=0))
    pair.themes.append(Theme(code="gobernanza", label_es="Gobernanza", label_en="Governance", position=1))
    db.session.commit()
    es, en = forum_of(pair, "es"), forum_of(pair, "en")
    q_es = db.session.execute(db.select(Thread).filter_by(forum_id=es.id, position=1)).scalar_one()
    q_en = db.session.execute(db.select(Thread).filter_by(forum_id=en.id, position=1)).scalar_one()
    return dict(mod=mod, ana=ana, ben=ben, cai=cai, dee=dee, community=community, pair=pair, es=es, en=en,
                q_es=q_es, q_en=q_en)


def mod_url(world, path):
    return f"/c/{world['community'].slug}/moderation{path}"


def log_actions(db):
    return [e.action for e in db.session.execute(db.select(ModerationLog).order_by(ModerationLog.id)).scalars()]


def test_pre_moderation_holds_new_members_first_posts(client, db, login, world, smtp):
    world["pair"].pre_moderation, world["pair"].pre_moderation_count = "new_members", 1
    db.session.commit()
    ana, q = world["ana"], world["q_es"]
    login(ana)
    client.post(thread_url(q), data={"body": "Mi primer aporte"})
    post = db.session.execute(db.select(Post).filter_by(author_id=ana.id)).scalar_one()
    assert post.status == "pending"
    db.session.refresh(q)
    assert q.reply_count == 0
    page = client.get(thread_url(q)).get_data(as_text=True)
    assert "Mi primer aporte" in page and "Esperando la aprobación de un moderador" in page
    client.post("/auth/logout")
    login(world["ben"])
    assert "Mi primer aporte" not in client.get(thread_url(q)).get_data(as_text=True)
    assert "0 results" in client.get("/search/?q=aporte").get_data(as_text=True)  # Ben reads English
    client.post("/auth/logout")
    login(world["mod"])
    queue = client.get(mod_url(world, "/")).get_data(as_text=True)
    assert "Mi primer aporte" in queue
    client.post(mod_url(world, f"/posts/{post.id}/approve"))
    db.session.refresh(post)
    db.session.refresh(q)
    assert post.status == "published" and q.reply_count == 1
    assert log_actions(db) == ["approve_post"]
    client.post("/auth/logout")
    login(ana)
    client.post(thread_url(q), data={"body": "Ya no espero"})
    assert db.session.execute(db.select(Post).filter_by(body_md="Ya no espero")).scalar_one().status == "published"


def test_rejection_tells_the_author_why_and_keeps_the_text(client, db, login, world, smtp):
    world["pair"].pre_moderation = "all"
    db.session.commit()
    login(world["ben"])
    client.post(thread_url(world["q_en"]), data={"body": "Buy cheap watches"})
    post = db.session.execute(db.select(Post).filter_by(author_id=world["ben"].id)).scalar_one()
    client.post("/auth/logout")
    login(world["mod"])
    response = client.post(mod_url(world, f"/posts/{post.id}/reject"), data={"reason": ""}, follow_redirects=True)
    assert "Explica el motivo" in response.get_data(as_text=True)
    client.post(mod_url(world, f"/posts/{post.id}/reject"), data={"reason": "Advertising is not allowed"})
    db.session.refresh(post)
    assert post.status == "rejected" and post.body_md == "Buy cheap watches"
    deliver_due()
    [message] = smtp.to("ben@example.org")
    assert message["Subject"] == f"Your post in “{world['q_en'].title}” was not published"
    assert "Advertising is not allowed" in text_part(message)
    client.post("/auth/logout")
    login(world["ben"])
    page = client.get(thread_url(world["q_en"]), headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Buy cheap watches" in page and "Advertising is not allowed" in page


def test_flags_once_per_member_hide_at_the_threshold_and_resolution_tells_flaggers(app, client, db, login, world, smtp):
    q, ana = world["q_es"], world["ana"]
    post = posting.add_post(q, ana, "Texto discutido")
    db.session.commit()
    for name in ("ben", "cai"):
        login(world[name])
        assert client.post(f"/posts/{post.id}/flag", data={"reason": "off_topic"}).status_code == 302
        client.post("/auth/logout")
    login(world["ben"])
    again = client.post(f"/posts/{post.id}/flag", data={"reason": "spam"})
    assert again.status_code == 400 and "You already flagged this post" in again.get_data(as_text=True)
    client.post("/auth/logout")
    db.session.refresh(post)
    assert post.open_flag_count == 2 and post.hidden_at is None
    login(world["dee"])
    client.post(f"/posts/{post.id}/flag", data={"reason": "other", "text": "Insulta a otros"})
    client.post("/auth/logout")
    db.session.refresh(post)
    db.session.refresh(q)
    assert post.hidden_at is not None and post.hidden_by_id is None and q.reply_count == 0
    assert "auto_hide_post" in log_actions(db)
    login(world["mod"])
    queue = client.get(mod_url(world, "/")).get_data(as_text=True)
    assert "Insulta a otros" in queue and "Fuera de tema" in queue
    client.post(mod_url(world, f"/posts/{post.id}/resolve"), data={"resolution": "keep"})
    db.session.refresh(post)
    db.session.refresh(q)
    assert post.hidden_at is None and post.open_flag_count == 0 and q.reply_count == 1
    assert db.session.execute(db.select(db.func.count(Flag.id)).where(Flag.resolved_at.is_(None))).scalar() == 0
    deliver_due()
    assert {m["To"] for m in smtp.messages} == {"ben@example.org", "cai@example.org", "dee@example.org"}


def test_members_cannot_flag_their_own_or_invisible_posts(client, db, login, world):
    post = posting.add_post(world["q_es"], world["ana"], "Mío")
    db.session.commit()
    login(world["ana"])
    assert client.get(f"/posts/{post.id}/flag").status_code == 403


def test_hide_and_restore_show_the_reason_in_place_and_keep_counters_and_search_right(client, db, login, world):
    q = world["q_es"]
    post = posting.add_post(q, world["ana"], "Frase con mariposa")
    db.session.commit()
    login(world["mod"])
    response = client.post(mod_url(world, f"/posts/{post.id}/hide"), data={"reason": ""}, follow_redirects=True)
    assert "Explica el motivo" in response.get_data(as_text=True)
    client.post(mod_url(world, f"/posts/{post.id}/hide"), data={"reason": "Datos personales de terceros"})
    client.post("/auth/logout")
    login(world["ben"])
    page = client.get(thread_url(q)).get_data(as_text=True)
    assert "Hidden by the moderators: Datos personales de terceros" in page and "mariposa" not in page
    assert "0 results" in client.get("/search/?q=mariposa").get_data(as_text=True)
    db.session.refresh(q)
    assert q.reply_count == 0
    client.post("/auth/logout")
    login(world["mod"])
    client.post(mod_url(world, f"/posts/{post.id}/restore"))
    db.session.refresh(q)
    assert q.reply_count == 1
    assert "1 resultado" in client.get("/search/?q=mariposa").get_data(as_text=True)
    assert log_actions(db) == ["hide_post", "restore_post"]
    entry = db.session.execute(db.select(ModerationLog).filter_by(action="hide_post")).scalar_one()
    assert entry.reason == "Datos personales de terceros" and entry.actor_id == world["mod"].id


def test_moderator_edit_keeps_a_revision_logs_before_after_and_tells_the_author(client, db, login, world, smtp):
    post = posting.add_post(world["q_es"], world["ana"], "Llamen al 555-1234")
    db.session.commit()
    login(world["mod"])
    client.post(mod_url(world, f"/posts/{post.id}/edit"), data={"body": "Llamen al [teléfono quitado]",
                                                                "reason": "Sin teléfonos personales"})
    db.session.refresh(post)
    assert post.body_md == "Llamen al [teléfono quitado]"
    assert db.session.execute(db.select(Revision.body_md).filter_by(post_id=post.id)).scalar() == "Llamen al 555-1234"
    entry = db.session.execute(db.select(ModerationLog)).scalar_one()
    assert (entry.before, entry.after, entry.reason) == ("Llamen al 555-1234", "Llamen al [teléfono quitado]",
                                                         "Sin teléfonos personales")
    deliver_due()
    [message] = smtp.to("ana@example.org")
    assert "Sin teléfonos personales" in text_part(message)


def test_the_log_cannot_be_changed(db, world):
    entry = moderation.log(world["community"], world["mod"], "warn_user", "user", world["ana"].id, reason="x")
    db.session.commit()
    entry.reason = "changed"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(ModerationLog, entry.id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_lock_pin_and_move_threads(client, db, login, world):
    thread = posting.create_thread(world["es"], world["ana"], title="Un hilo suelto", body="cuerpo")
    db.session.commit()
    login(world["mod"])
    client.post(mod_url(world, f"/threads/{thread.id}/lock"))
    client.post(mod_url(world, f"/threads/{thread.id}/pin"))
    db.session.refresh(thread)
    assert thread.is_locked and thread.is_pinned
    client.post("/auth/logout")
    login(world["ben"])
    assert "This thread is locked." in client.post(thread_url(thread), data={"body": "hola"}).get_data(as_text=True)
    client.post("/auth/logout")
    login(world["mod"])
    client.post(mod_url(world, f"/threads/{thread.id}/move"), data={"target": str(world["en"].id)})
    db.session.refresh(thread)
    db.session.refresh(world["es"])
    db.session.refresh(world["en"])
    assert thread.forum_id == world["en"].id
    assert world["en"].thread_count == 3 and world["es"].thread_count == 2
    assert log_actions(db) == ["lock_thread", "pin_thread", "move_thread"]


def test_open_close_early_and_extend_a_forum(client, db, login, world):
    pair = world["pair"]
    login(world["mod"])
    client.post(mod_url(world, f"/pairs/{pair.id}/schedule"), data={"action": "close"})
    db.session.refresh(pair)
    assert pair.closes_at <= utcnow()
    until = (utcnow() + timedelta(days=20)).date().isoformat()
    client.post(mod_url(world, f"/pairs/{pair.id}/schedule"), data={"action": "extend", "until": until})
    db.session.refresh(pair)
    assert pair.closes_at.date().isoformat() in (until, (utcnow() + timedelta(days=21)).date().isoformat())
    assert log_actions(db) == ["close_forum", "extend_forum"]


def test_warn_and_suspend_from_a_community_then_lift(client, db, login, world, smtp):
    ana, q = world["ana"], world["q_es"]
    login(world["mod"])
    client.post(mod_url(world, f"/people/{ana.id}"), data={"action": "warn", "message": "Por favor, respeta el tema."})
    until = (utcnow() + timedelta(days=5)).date().isoformat()
    client.post(mod_url(world, f"/people/{ana.id}"), data={"action": "suspend", "until": until, "reason": "Insistió"})
    client.post("/auth/logout")
    deliver_due()
    assert len(smtp.to("ana@example.org")) == 2
    login(ana)
    page = client.post(thread_url(q), data={"body": "quiero responder"}).get_data(as_text=True)
    assert "Estás suspendido de esta comunidad hasta el" in page
    client.post("/auth/logout")
    login(world["mod"])
    client.post(mod_url(world, f"/people/{ana.id}"), data={"action": "lift"})
    client.post("/auth/logout")
    login(ana)
    assert client.post(thread_url(q), data={"body": "quiero responder"}).status_code == 302
    assert log_actions(db) == ["warn_user", "suspend_user", "lift_suspension"]


def test_curation_highlights_themes_and_notes_side_by_side(client, db, login, world):
    es_post = posting.add_post(world["q_es"], world["ana"], "Falta agua en el norte")
    posting.add_post(world["q_en"], world["ben"], "Governance is the gap")
    db.session.commit()
    login(world["mod"])
    page = client.get(mod_url(world, f"/pairs/{world['pair'].id}/curate?question=1")).get_data(as_text=True)
    assert "Falta agua en el norte" in page and "Governance is the gap" in page
    assert page.index('lang="es"') < page.index("Falta agua") and page.index('lang="en"') < page.index("Governance is")
    client.post(mod_url(world, f"/posts/{es_post.id}/highlight"), data={"value": "1"})
    scarcity = db.session.execute(db.select(Theme).filter_by(code="escasez")).scalar_one()
    client.post(mod_url(world, f"/posts/{es_post.id}/themes"), data={"theme": [str(scarcity.id)]})
    client.post(mod_url(world, f"/pairs/{world['pair'].id}/curate?question=1"),
                data={"question": "1", "body_es": "Escasez en el norte.", "body_en": "Scarcity in the north."})
    db.session.refresh(es_post)
    assert es_post.is_highlight
    assert db.session.execute(db.select(PostTheme.theme_id).filter_by(post_id=es_post.id)).scalar() == scarcity.id
    note = db.session.execute(db.select(SynthesisNote)).scalar_one()
    assert (note.position, note.body_es, note.body_en) == (1, "Escasez en el norte.", "Scarcity in the north.")
    assert log_actions(db) == ["highlight_post", "tag_post", "write_synthesis_note"]
    page = client.get(mod_url(world, f"/pairs/{world['pair'].id}/curate?question=1")).get_data(as_text=True)
    assert "Escasez en el norte." in page


def test_dashboard_counts_and_draws_its_charts(client, db, login, world):
    posting.add_post(world["q_es"], world["ana"], "uno")
    posting.add_post(world["q_en"], world["ben"], "two")
    db.session.commit()
    login(world["mod"])
    page = client.get(mod_url(world, f"/pairs/{world['pair'].id}/dashboard")).get_data(as_text=True)
    assert "<svg" in page and "Participantes por país" in page and "Chile" in page and "Dominica" in page
    assert '<strong>2</strong> respuestas' in page or "<strong>2</strong>" in page


@pytest.mark.parametrize("path", ["/", "/log", "/posts/{post}/hide", "/posts/{post}/edit", "/people/{user}",
                                  "/pairs/{pair}/curate", "/pairs/{pair}/dashboard"])
def test_members_and_other_communities_moderators_cannot_moderate(client, db, login, world, make_user,
                                                                  make_community, path):
    post = posting.add_post(world["q_es"], world["ana"], "x")
    db.session.commit()
    other_mod = make_user()
    make_community(members={other_mod: "moderator"})
    url = mod_url(world, path.format(post=post.id, user=world["ana"].id, pair=world["pair"].id))
    for intruder in (world["ben"], other_mod):
        login(intruder)
        assert client.get(url).status_code == 403
        assert client.post(mod_url(world, f"/posts/{post.id}/hide"), data={"reason": "x"}).status_code == 403
        client.post("/auth/logout")
    db.session.refresh(post)
    assert post.hidden_at is None and log_actions(db) == []


def test_new_members_may_post_only_a_few_links(client, db, login, world):
    login(world["ana"])
    body = " ".join(f"https://example.org/{i}" for i in range(4))
    response = client.post(thread_url(world["q_es"]), data={"body": body})
    assert response.status_code == 400 and "como máximo 2 enlaces" in response.get_data(as_text=True)


def test_posting_is_rate_limited_per_member(app, client, db, login, world):
    login(world["ana"])
    statuses = [client.post(thread_url(world["q_es"]), data={"body": f"mensaje {i}"}).status_code for i in range(10)]
    assert statuses[:8] == [302] * 8 and 429 in statuses[8:]


def test_double_hides_and_restores_move_the_counters_once(db, world):
    q = world["q_es"]
    post = posting.add_post(q, world["ana"], "doble")
    db.session.commit()
    moderation.hide(world["mod"], post, "motivo")
    with pytest.raises(DomainError) as refused:
        moderation.hide(world["mod"], post, "otra vez")
    assert str(refused.value.message) == "Esta publicación ya está oculta."
    db.session.refresh(q)
    assert q.reply_count == 0
    moderation.restore(world["mod"], post)
    with pytest.raises(DomainError) as refused:
        moderation.restore(world["mod"], post)
    assert str(refused.value.message) == "Esta publicación no está oculta."
    db.session.refresh(q)
    assert q.reply_count == 1


def test_held_posts_cannot_be_quoted_or_published_by_editing(client, db, login, world):
    world["pair"].pre_moderation = "all"
    db.session.commit()
    login(world["ana"])
    client.post(thread_url(world["q_es"]), data={"body": "Texto en espera de @ben"})
    held = db.session.execute(db.select(Post).filter_by(author_id=world["ana"].id)).scalar_one()
    client.post(f"/posts/{held.id}/edit", data={"body": "Texto en espera editado, palabra mariposa @ben"})
    client.post("/auth/logout")
    login(world["ben"])
    assert "mariposa" not in client.get(thread_url(world["q_es"]) + f"?reply_to={held.id}&quote=1").get_data(as_text=True)
    assert "0 results" in client.get("/search/?q=mariposa").get_data(as_text=True)
    db.session.refresh(world["ben"])
    assert world["ben"].unread_notification_count == 0


def test_new_threads_respect_pre_moderation(client, db, login, world):
    world["pair"].pre_moderation, world["pair"].allow_member_threads = "all", True
    db.session.commit()
    login(world["ana"])
    response = client.post(f"/c/red/f/{world['es'].slug}/threads/new", data={"title": "Nuevo", "body": "texto"})
    assert response.status_code == 400
    assert db.session.execute(db.select(Thread).filter_by(title="Nuevo")).first() is None


def test_members_cannot_flag_the_guiding_question_itself(client, db, login, world):
    opening = db.session.execute(db.select(Post).filter_by(thread_id=world["q_es"].id, number=1)).scalar_one()
    login(world["ana"])
    assert client.get(f"/posts/{opening.id}/flag").status_code == 403


def test_a_suspended_moderator_cannot_moderate(db, world):
    first = posting.add_post(world["q_es"], world["ana"], "antes")
    db.session.commit()
    moderation.hide(world["mod"], first, "puede")  # allowed the moment before
    m = db.session.execute(db.select(Membership).filter_by(user_id=world["mod"].id)).scalar_one()
    m.suspended_until = utcnow() + timedelta(days=1)
    db.session.commit()
    post = posting.add_post(world["q_es"], world["ana"], "x")
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        moderation.hide(world["mod"], post, "no")
    assert str(refused.value.message) == "Solo los moderadores de la comunidad pueden hacer esto."
    db.session.refresh(post)
    assert post.hidden_at is None


def test_forum_opened_notifications_list_without_error(client, db, login, world):

    login(world["ana"])
    client.post("/c/red/watch", data={"watch": "1"})
    world["pair"].opening_announced_at = None
    db.session.commit()
    announcements.announce_openings()
    page = client.get("/notifications/")
    assert page.status_code == 200 and "está abierto" in page.get_data(as_text=True)
