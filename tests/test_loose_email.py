"""The organizer's loose ends in email: digests with replies, inert test newsletters, reminders, plain text."""
from datetime import timedelta

import pytest

from forum.mail import deliver_due
from forum.models import Newsletter, Post, utcnow
from forum.services import digests, newsletters, posting, watching, webinars
from tests.conftest import forum_of, html_part, outbox, text_part
from tests.test_webinars import make_webinar  # noqa: F401 (a fixture)


@pytest.fixture
def replies_world(db, make_user, make_community, make_pair):
    ana = make_user("Ana", email="ana@example.org", locale="es", handle="ana")
    ben = make_user("Ben", email="ben@example.org", locale="en", handle="ben")
    quiet = make_user("Quiet", email="quiet@example.org", locale="es")
    writer = make_user("Writer", handle="writer")
    community = make_community("red", members={ana: "member", ben: "member", quiet: "member", writer: "member"})
    pair = make_pair(community)
    pair.allow_member_threads = True
    for person in (ana, ben, quiet, writer):
        person.digest_frequency = "weekly"
    db.session.commit()
    return dict(ana=ana, ben=ben, quiet=quiet, writer=writer, pair=pair,
                es=forum_of(pair, "es"), en=forum_of(pair, "en"))


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
    assert webinars.send_reminders() == 1
    assert [m.to_address for m in outbox("webinar_reminder")] == ["early@example.org"]
    assert "late@example.org" in [m.to_address for m in outbox("webinar_registered")]
