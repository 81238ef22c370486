"""The organizer's loose ends in email: digests with replies, inert test newsletters, reminders, plain text."""
from datetime import timedelta

import pytest

from forum.mail import deliver_due
from forum.models import Newsletter, Post, utcnow
from forum.services import digests, newsletters, posting, watching, webinar_messages
from tests import test_email, test_webinars
from tests.conftest import forum_of, html_part, outbox, text_part

make_webinar = test_webinars.make_webinar  # the fixtures, shared
forum_world = test_email.forum_world


@pytest.fixture
def replies_world(db, forum_world):
    """tests/test_email.py's pair and members, every one taking the weekly digest."""
    for person in ("ana", "ben", "quiet", "writer"):
        forum_world[person].digest_frequency = "weekly"
    db.session.commit()
    return {**forum_world, "en": forum_of(forum_world["pair"], "en")}


def old_thread(db, forum, author, title, first_reply_by=None):
    """A thread opened a month ago (not new in this digest); `first_reply_by` took part back then."""
    thread = posting.create_thread(forum, author, title=title, body="Hace tiempo")
    if first_reply_by is not None:
        posting.add_post(thread, first_reply_by, "Mi experiencia de entonces")
    db.session.flush()
    for post in db.session.execute(db.select(Post).filter_by(thread_id=thread.id)).scalars():
        post.created_at = utcnow() - timedelta(days=30)
    db.session.commit()
    return thread


def test_a_digest_lists_new_replies_in_threads_the_member_watches_or_took_part_in(db, smtp, replies_world):
    w = replies_world
    thread = old_thread(db, w["es"], w["writer"], "Cuencas compartidas", first_reply_by=w["ana"])
    watching.set_watch(w["ben"], thread, True)
    posting.add_post(thread, w["writer"], "Una respuesta nueva")
    posting.add_post(thread, w["writer"], "Y otra más")
    db.session.commit()
    counts = digests.send_digests("weekly")
    deliver_due()
    [es_mail] = smtp.to("ana@example.org")
    body = text_part(es_mail)
    assert "Nuevas respuestas en hilos que sigues" in body and "Cuencas compartidas (2 respuestas nuevas)" in body
    assert "Nuevas respuestas en hilos que sigues" in html_part(es_mail) and "2 respuestas nuevas" in html_part(es_mail)
    [en_mail] = smtp.to("ben@example.org")
    assert "Cuencas compartidas (2 new replies)" in text_part(en_mail)
    assert smtp.to("quiet@example.org") == []  # neither watched nor took part: nothing new for them
    assert counts["empty"] >= 1


def test_a_digest_puts_the_members_own_language_forum_first(db, smtp, replies_world):
    w = replies_world
    es_thread = old_thread(db, w["es"], w["writer"], "Hilo en castellano", first_reply_by=w["ben"])
    en_thread = old_thread(db, w["en"], w["writer"], "English thread", first_reply_by=w["ben"])
    posting.add_post(es_thread, w["writer"], "Respuesta")
    posting.add_post(en_thread, w["writer"], "Reply")
    db.session.commit()
    digests.send_digests("weekly")
    deliver_due()
    body = text_part(smtp.to("ben@example.org")[0])
    assert body.index(w["en"].title) < body.index(w["es"].title)


def test_a_newsletter_test_cannot_unsubscribe_the_organizer_and_says_so(client, db, smtp, login, make_user,
                                                                        make_community):
    organizer = make_user("Olga", email="olga@example.org", newsletter_opt_in_at=utcnow())
    reader = make_user("Reader", email="reader@example.org", locale="en", newsletter_opt_in_at=utcnow())
    make_community("red", members={organizer: "organizer", reader: "member"})
    login(organizer)
    client.post("/c/red/newsletters/new", data={"subject_es": "Boletín", "subject_en": "Newsletter",
                                                "body_es": "Hola", "body_en": "Hello"})
    edition = db.session.execute(db.select(Newsletter)).scalar_one()
    client.post(f"/c/red/newsletters/{edition.id}/send", data={"action": "test"})
    deliver_due()
    copies = {m["Subject"]: m for m in smtp.to("olga@example.org")}
    for subject, note in [("[Prueba] Boletín", "Esto es una prueba"), ("[Test] Newsletter", "This is a test")]:
        mail = copies[subject]
        assert mail["List-Unsubscribe"] is None and mail["List-Unsubscribe-Post"] is None
        for part in (text_part(mail), html_part(mail)):
            assert "/email/unsubscribe/" not in part and note in part
    client.post(f"/c/red/newsletters/{edition.id}/send", data={"action": "now"})
    newsletters.send_due()
    deliver_due()
    [real] = smtp.to("reader@example.org")
    header = real["List-Unsubscribe"]
    assert header.startswith("<mailto:no-reply@") and "subject=unsubscribe" in header
    assert "/email/unsubscribe/" in header and real["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_registering_less_than_an_hour_before_sends_the_confirmation_without_a_reminder_a_minute_later(
        client, db, login, make_user, make_community, make_webinar):
    from forum.models import Registration

    early = make_user("Temprano", email="early@example.org")
    late = make_user("Tarde", email="late@example.org")
    community = make_community("red", members={early: "member", late: "member"})
    webinar = make_webinar(community, starts_in=timedelta(minutes=50))
    for person in (early, late):
        login(person)
        assert client.post(f"/c/red/webinars/{webinar.id}/register").status_code == 302
    first = db.session.execute(db.select(Registration).filter_by(email="early@example.org")).scalar_one()
    first.confirmed_at = utcnow() - timedelta(days=2)  # registered long before: still reminded
    db.session.commit()
    assert webinar_messages.send_reminders() == 1
    assert [m.to_address for m in outbox("webinar_reminder")] == ["early@example.org"]
    assert "late@example.org" in [m.to_address for m in outbox("webinar_registered")]


LONG_TITLE_ES = "Para la andina agua cambio “Agua” en la región — cierre"  # Python's folder dropped a space here


def test_plain_text_parts_have_one_blank_line_between_items_and_long_subjects_survive_folding(
        client, db, smtp, login, replies_world, make_webinar):
    from email import message_from_bytes, policy
    from email.header import decode_header, make_header

    w = replies_world
    thread = old_thread(db, w["es"], w["writer"], "Cuencas compartidas", first_reply_by=w["ana"])
    posting.add_post(thread, w["writer"], "Una respuesta nueva")
    fresh = posting.create_thread(w["es"], w["writer"], title="Experiencias", body="Cuento la mía")
    highlight = posting.add_post(fresh, w["writer"], "Una idea clave")
    highlight.is_highlight = True
    db.session.commit()
    digests.send_digests("weekly")
    webinar = make_webinar(w["pair"].community, title_es=LONG_TITLE_ES, title_en="Closing webinar")
    login(w["ana"])
    client.post(f"/c/red/webinars/{webinar.id}/register")
    deliver_due()
    mails = smtp.to("ana@example.org")
    assert len(mails) == 2
    for mail in mails:
        assert "\n\n\n" not in text_part(mail).replace("\r\n", "\n")
    [registered] = [m for m in mails if LONG_TITLE_ES in str(m["Subject"])]
    raw = registered.as_bytes(policy=policy.SMTP)
    head = raw.split(b"\r\n\r\n")[0].decode("ascii")
    subject_line = next(line for line in head.split("\r\n") if line.startswith("Subject:"))
    assert subject_line.strip() != "Subject:" and all(len(line) <= 78 for line in head.split("\r\n"))
    assert str(registered["Subject"]) == f"Inscripción confirmada: {LONG_TITLE_ES}"
    old_style = message_from_bytes(raw, policy=policy.compat32)["Subject"]
    assert str(make_header(decode_header(old_style))) == f"Inscripción confirmada: {LONG_TITLE_ES}"
    [digest] = [m for m in mails if m is not registered]
    assert "=?" not in digest["List-Unsubscribe"] and digest["List-Unsubscribe"].startswith("<mailto:")


@pytest.mark.parametrize("language,label", [("es", "Próximos seminarios web"), ("en", "Upcoming webinars")])
def test_suggested_newsletter_sections_show_webinar_times_without_seconds(
        client, db, login, make_user, make_community, make_webinar, language, label):
    import re

    organizer = make_user("Olga")
    community = make_community("red", members={organizer: "organizer"})
    make_webinar(community, organizer=organizer)
    login(organizer)
    page = client.post("/c/red/newsletters/new", data={"subject_es": "", "subject_en": "", "body_es": "",
                                                       "body_en": "", "action": "suggest"},
                       headers={"Accept-Language": language}).get_data(as_text=True)
    assert label in page
    lines = [line for line in page.splitlines() if "Closing webinar" in line or "Seminario de cierre" in line]
    assert lines and all(re.search(r"\d{1,2}:\d{2}", line) for line in lines)
    assert not any(re.search(r"\d{1,2}:\d{2}:\d{2}", line) for line in lines), lines


def test_a_newsletters_plain_text_keeps_one_blank_line_between_list_items_and_quotes(
        client, db, smtp, login, make_user, make_community):
    organizer = make_user("Olga", email="olga@example.org")
    make_community("red", members={organizer: "organizer"})
    login(organizer)
    body = "## Novedades\n\n- Primera\n\n- Segunda\n\n- Tercera\n\n> Una cita\n> — Ana\n\n> Otra cita\n> — Ben\n"
    client.post("/c/red/newsletters/new", data={"subject_es": "Boletín", "subject_en": "Newsletter",
                                                "body_es": body, "body_en": body})
    edition = db.session.execute(db.select(Newsletter)).scalar_one()
    client.post(f"/c/red/newsletters/{edition.id}/send", data={"action": "test"})
    deliver_due()
    mails = smtp.to("olga@example.org")
    assert len(mails) == 2
    for mail in mails:
        text = text_part(mail).replace("\r\n", "\n")
        assert "- Primera\n\n- Segunda" in text or "- Primera\n- Segunda" in text
        assert "\n\n\n" not in text, text


def test_digest_queries_with_replies_do_not_grow_with_members(db, count_queries, make_user, make_community,
                                                              make_pair):
    from forum.models import OutboxMessage

    def world(n):
        people = [make_user(locale="es" if i % 2 else "en", digest_frequency="daily") for i in range(n)]
        community = make_community(members={p: "member" for p in people})
        pair = make_pair(community)
        pair.allow_member_threads = True
        thread = old_thread(db, forum_of(pair, "es"), people[0], "Viejo", first_reply_by=people[1])
        for person in people[2:]:
            posting.add_post(thread, person, "Yo también")  # each took part: each gets the others' replies
        for person in people[:2]:
            posting.add_post(thread, person, "Respuesta nueva")
        db.session.commit()
        return people

    world(3)
    with count_queries() as few:
        counts = digests.send_digests("daily", now=utcnow() + timedelta(minutes=1))
    assert counts["queued"] >= 3
    db.session.execute(db.delete(OutboxMessage))
    db.session.commit()
    world(25)
    with count_queries() as many:
        counts = digests.send_digests("daily", now=utcnow() + timedelta(minutes=2))
    assert counts["queued"] >= 25
    selects = lambda qs: [q for q in qs if q.lstrip().upper().startswith("SELECT")]
    assert len(selects(many)) == len(selects(few)), "\n".join(q[:100] for q in selects(many))
