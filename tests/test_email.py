"""Email that never double-sends: outbox delivery, digests, newsletters, unsubscribe, preferences."""
import threading
from datetime import timedelta

import pytest

from forum import timezones
from forum.mail import deliver_due, queue_email
from forum.models import Newsletter, OutboxMessage, Thread, ThreadRead, utcnow
from forum.services import digests, newsletters, posting
from forum.services.outbox import sweep_interrupted
from tests.conftest import forum_of, html_part, link_in, outbox, text_part


def due_now(db):
    db.session.execute(db.update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_a_batch_where_the_server_fails_midway_ends_with_exactly_one_copy_each(db, smtp, make_user):
    people = [make_user(email=f"p{i}@example.org") for i in range(10)]
    for person in people:
        queue_email(to=person, template="confirm_email", token="t", dedupe_key=f"batch:{person.id}")
    db.session.commit()
    smtp.fail_after, smtp.fail_next = 4, 3
    first = deliver_due()
    assert first["sent"] == 7 and first["retrying"] == 3
    due_now(db)
    assert deliver_due()["sent"] == 3
    due_now(db)
    assert deliver_due() == {"sent": 0, "retrying": 0, "failed": 0}
    received = sorted(m["To"] for m in smtp.messages)
    assert received == sorted(p.email for p in people)


def test_two_deliverers_with_many_messages_send_each_once(app, db, smtp, make_user):
    people = [make_user() for _ in range(30)]
    for person in people:
        queue_email(to=person, template="confirm_email", token="t", dedupe_key=f"race2:{person.id}")
    db.session.commit()

    def run():
        with app.app_context():
            deliver_due()
            db.session.remove()

    workers = [threading.Thread(target=run) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(m["To"] for m in smtp.messages) == sorted(p.email for p in people)


def test_a_message_left_sending_by_a_dead_deliverer_is_not_sent_again_but_reported(db, smtp, make_user):
    queue_email(to=make_user(), template="confirm_email", token="t", dedupe_key="dead:1")
    db.session.commit()
    message = outbox()[0]
    message.status, message.claimed_at = "sending", utcnow() - timedelta(hours=1)
    db.session.commit()
    assert deliver_due()["sent"] == 0
    assert sweep_interrupted() == 1
    db.session.refresh(message)
    assert message.status == "unknown"  # it may have left: never sent again by itself
    assert deliver_due()["sent"] == 0 and smtp.messages == []


@pytest.fixture
def forum_world(db, make_user, make_community, make_pair):
    ana = make_user("Ana", email="ana@example.org", locale="es", handle="ana")
    ben = make_user("Ben", email="ben@example.org", locale="en", handle="ben")
    quiet = make_user("Quiet", email="quiet@example.org", locale="es")
    writer = make_user("Writer", handle="writer")
    community = make_community("red", members={ana: "member", ben: "member", quiet: "member", writer: "member"})
    pair = make_pair(community)
    pair.allow_member_threads = True
    db.session.commit()
    es = forum_of(pair, "es")
    return dict(ana=ana, ben=ben, quiet=quiet, writer=writer, community=community, pair=pair, es=es)


def test_weekly_digest_in_each_language_leaves_out_what_was_read_and_is_sent_once(client, db, smtp, login, forum_world):
    w = forum_world
    thread = posting.create_thread(w["es"], w["writer"], title="Experiencias de agua", body="Cuento la mía")
    q = db.session.execute(db.select(Thread).filter_by(forum_id=w["es"].id, position=1)).scalar_one()
    highlight = posting.add_post(q, w["writer"], "Una idea clave sobre cuencas")
    highlight.is_highlight = True
    w["quiet"].digest_frequency = "off"
    db.session.commit()
    # Ben already read the new thread on the site.
    db.session.add(ThreadRead(user_id=w["ben"].id, thread_id=thread.id, last_read_number=1))
    db.session.commit()
    counts = digests.send_digests("weekly")
    assert counts["queued"] == 3  # ana, ben, and the writer of the pair's questions (its organizer)
    again = digests.send_digests("weekly")
    assert again["queued"] == 0 and again["already"] == 3
    deliver_due()
    [es_mail] = smtp.to("ana@example.org")
    assert es_mail["Subject"] == "Tu resumen semanal: novedades en tus foros"
    body = text_part(es_mail)
    assert "Experiencias de agua" in body and "Una idea clave sobre cuencas" in body
    assert es_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<mark>" not in html_part(es_mail)
    [en_mail] = smtp.to("ben@example.org")
    assert en_mail["Subject"] == "Your weekly digest: new in your forums"
    assert "Experiencias de agua" not in text_part(en_mail)  # already read
    assert "Una idea clave" in text_part(en_mail)
    assert smtp.to("quiet@example.org") == []


def test_an_empty_digest_is_not_sent(db, smtp, forum_world):
    counts = digests.send_digests("weekly")
    assert counts["queued"] == 0 and counts["empty"] >= 3
    assert outbox("digest") == []


def test_digest_queries_do_not_grow_with_members(db, count_queries, make_user, make_community, make_pair):
    def world(n):
        people = [make_user(locale="es" if i % 2 else "en") for i in range(n)]
        community = make_community(members={p: "member" for p in people})
        pair = make_pair(community)
        pair.allow_member_threads = True
        posting.create_thread(forum_of(pair, "es"), people[0], title="Nuevo", body="cuerpo")
        db.session.commit()

    world(3)
    with count_queries() as few:
        digests.send_digests("daily", now=utcnow() + timedelta(minutes=1))
    db.session.execute(db.delete(OutboxMessage))
    db.session.commit()
    world(25)
    with count_queries() as many:
        digests.send_digests("daily", now=utcnow() + timedelta(minutes=2))
    selects = lambda qs: [q for q in qs if q.lstrip().upper().startswith("SELECT")]
    assert len(selects(many)) == len(selects(few)), "\n".join(q[:100] for q in selects(many))


def test_one_click_unsubscribe_and_the_link_both_take_effect_at_once(client, db, smtp, forum_world):
    w = forum_world
    posting.create_thread(w["es"], w["writer"], title="Hilo", body="cuerpo")
    db.session.commit()
    digests.send_digests("weekly")
    deliver_due()
    [mail] = smtp.to("ana@example.org")
    url = link_in(mail["List-Unsubscribe"], "/email/unsubscribe/").replace("http://localhost", "")
    response = client.post(url, data={"List-Unsubscribe": "One-Click"}, csrf=False)  # what mail clients send (RFC 8058)
    assert response.status_code == 204
    db.session.refresh(w["ana"])
    assert w["ana"].digest_frequency == "off"
    [ben_mail] = smtp.to("ben@example.org")
    link = link_in(text_part(ben_mail), "/email/unsubscribe/").replace("http://localhost", "")
    page = client.get(link).get_data(as_text=True)
    assert "Stop receiving the digest" in page or "¿Dejar de recibir el resumen" in page
    client.post(link)
    db.session.refresh(w["ben"])
    assert w["ben"].digest_frequency == "off"
    assert client.post("/email/unsubscribe/forged").status_code == 400


def test_preferences_page_works_without_signing_in(client, db, smtp, forum_world):
    from forum import tokens

    ana = forum_world["ana"]
    url = f"/email/preferences/{tokens.make('email-preferences', {'u': ana.id})}"
    page = client.get(url).get_data(as_text=True)
    assert ana.email in page
    client.post(url, data={"digest_frequency": "daily", "newsletter": "y", "email_notifications": "off"})
    db.session.refresh(ana)
    assert (ana.digest_frequency, ana.email_notifications) == ("daily", "off")
    assert ana.newsletter_opt_in_at is not None  # the opt-in is recorded with its date


def test_newsletter_compose_preview_test_send_archive_and_stats(client, db, smtp, login, make_user, make_community):
    organizer = make_user("Olga", email="olga@example.org")
    es_reader = make_user("Lector", email="lector@example.org", locale="es", newsletter_opt_in_at=utcnow())
    en_reader = make_user("Reader", email="reader@example.org", locale="en", newsletter_opt_in_at=utcnow())
    no_optin = make_user("Sin", email="sin@example.org")
    community = make_community("red", members={organizer: "organizer", es_reader: "member", en_reader: "member",
                                               no_optin: "member"})
    login(organizer)
    response = client.post("/c/red/newsletters/new", data={"subject_es": "", "subject_en": "", "body_es": "", "body_en": ""})
    assert response.status_code == 400 and "Escribe el asunto en este idioma." in response.get_data(as_text=True)
    from forum.services import webinars

    webinars.save_webinar(organizer, community, webinars.WebinarInput(
        title_es="Seminario de cierre", title_en="Closing webinar", timezone="America/Lima",
        starts_at=timezones.to_local(utcnow() + timedelta(days=20), "America/Lima")))
    page = client.post("/c/red/newsletters/new", data={"subject_es": "", "subject_en": "", "body_es": "", "body_en": "",
                                                       "action": "suggest"}).get_data(as_text=True)
    assert "## Próximos seminarios web" in page and "[Seminario de cierre](http" in page
    assert "[Closing webinar](http" in page
    response = client.post("/c/red/newsletters/new", data={
        "subject_es": "Boletín de noviembre", "subject_en": "November newsletter",
        "body_es": "## Hola\n\nNovedades de la **red**.", "body_en": "## Hello\n\nNews of the **network**."})
    assert response.status_code == 302
    edition = db.session.execute(db.select(Newsletter)).scalar_one()
    preview = client.get(f"/c/red/newsletters/{edition.id}/preview?lang=en").get_data(as_text=True)
    assert "<strong>network</strong>" in preview and "November newsletter" in preview
    client.post(f"/c/red/newsletters/{edition.id}/send", data={"action": "test"})
    deliver_due()
    assert {m["Subject"] for m in smtp.to("olga@example.org")} == {"[Prueba] Boletín de noviembre",
                                                                   "[Test] November newsletter"}
    client.post(f"/c/red/newsletters/{edition.id}/send", data={"action": "now"})
    assert newsletters.send_due() == 1
    assert newsletters.send_due() == 0
    deliver_due()
    [es_mail] = smtp.to("lector@example.org")
    [en_mail] = smtp.to("reader@example.org")
    assert es_mail["Subject"] == "Boletín de noviembre" and en_mail["Subject"] == "November newsletter"
    assert es_mail["List-Unsubscribe"] and smtp.to("sin@example.org") == []
    page = client.get(f"/c/red/newsletters/{edition.id}").get_data(as_text=True)
    assert "Encoladas: 2 · enviadas: 2" in page or "Queued: 2 · sent: 2" in page
    client.post("/auth/logout")
    archive = client.get("/c/red/newsletters/").get_data(as_text=True)
    assert "Boletín de noviembre" in archive


def test_only_organizers_compose_and_drafts_stay_private(client, db, login, make_user, make_community):
    organizer, member = make_user(), make_user()
    make_community("red", members={organizer: "organizer", member: "member"})
    login(organizer)
    client.post("/c/red/newsletters/new", data={"subject_es": "Borrador", "subject_en": "Draft", "body_es": "x", "body_en": "y"})
    edition = db.session.execute(db.select(Newsletter)).scalar_one()
    client.post("/auth/logout")
    login(member)
    assert client.get("/c/red/newsletters/new").status_code == 403
    assert client.get(f"/c/red/newsletters/{edition.id}").status_code == 404
    assert client.post(f"/c/red/newsletters/{edition.id}/send", data={"action": "now"}).status_code == 403
    assert "Borrador" not in client.get("/c/red/newsletters/").get_data(as_text=True)


def test_network_wide_editions_are_for_admins(client, db, login, make_user):
    admin = make_user(is_admin=True)
    login(admin)
    response = client.post("/network/newsletters/new", data={"subject_es": "Red", "subject_en": "Network",
                                                             "body_es": "a", "body_en": "b"})
    assert response.status_code == 302 and client.get(response.headers["Location"]).status_code == 200
    edition = db.session.execute(db.select(Newsletter)).scalar_one()
    assert client.get(f"/network/newsletters/{edition.id}/preview?lang=en").status_code == 200
    client.post(f"/network/newsletters/{edition.id}/send", data={"action": "test"})
    client.post(f"/network/newsletters/{edition.id}/send", data={"action": "now"})
    assert newsletters.send_due() == 1
    db.session.refresh(edition)
    assert edition.status == "sent"
    assert "http://localhost/network/newsletters/" in outbox("newsletter")[0].body_text
    client.post("/auth/logout")
    login(make_user())
    assert client.get("/network/newsletters/new").status_code == 403



def test_newsletter_links_are_absolute_and_the_text_part_comes_from_the_clean_html(client, db, smtp, login, make_user,
                                                                                  make_community):
    organizer = make_user(email="olga@example.org")
    reader = make_user(email="reader@example.org", locale="es", newsletter_opt_in_at=utcnow())
    make_community("red", members={organizer: "organizer", reader: "member"})
    login(organizer)
    client.post("/c/red/newsletters/new", data={
        "subject_es": "S", "subject_en": "S",
        "body_es": "Visita [el foro](/c/red/f/x) y [otro](foro)\n\n<!-- nota interna secreta --><script>x()</script>",
        "body_en": "b"})
    edition = db.session.execute(db.select(Newsletter)).scalar_one()
    client.post(f"/c/red/newsletters/{edition.id}/send", data={"action": "now"})
    newsletters.send_due()
    deliver_due()
    [mail] = smtp.to("reader@example.org")
    html, text = html_part(mail), text_part(mail)
    assert 'href="http://localhost/c/red/f/x"' in html and 'href="http://localhost/foro"' in html
    assert "el foro (http://localhost/c/red/f/x)" in text
    assert "secreta" not in text and "script" not in text


def test_one_broken_edition_does_not_hold_back_the_others(app, client, db, smtp, login, make_user, make_community,
                                                         monkeypatch):
    organizer = make_user()
    reader = make_user(email="reader@example.org", newsletter_opt_in_at=utcnow())
    make_community("red", members={organizer: "organizer", reader: "member"})
    stuck = Newsletter(community_id=None, subject_es="a", subject_en="a", body_es_md="a", body_en_md="a",
                       status="sending")
    db.session.add(stuck)
    db.session.commit()
    login(organizer)
    client.post("/c/red/newsletters/new", data={"subject_es": "S", "subject_en": "S", "body_es": "a", "body_en": "b"})
    edition = db.session.execute(db.select(Newsletter).filter_by(community_id=1)).scalars().first() or \
        db.session.execute(db.select(Newsletter).where(Newsletter.community_id.is_not(None))).scalar_one()
    client.post(f"/c/red/newsletters/{edition.id}/send", data={"action": "now"})
    original = newsletters._queue_all

    def broken(newsletter):
        if newsletter.community_id is None:
            raise RuntimeError("broken edition")
        return original(newsletter)

    monkeypatch.setattr(newsletters, "_queue_all", broken)
    from forum.jobs import send_newsletters

    send_newsletters(app)
    db.session.refresh(edition)
    assert edition.status == "sent"
