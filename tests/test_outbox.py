"""Messages of unknown outcome and resends: the sweep tells a dead deliverer's message from a
live one's, organizers and admins see failed and unknown messages with counts, and one click
resends each of them once, recorded, however often the form is submitted."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.extensions import db as _db
from forum.mail import deliver_due, queue_email
from forum.models import Newsletter, OutboxMessage, SchedulerLease, utcnow
from forum.services import newsletters, outbox
from forum.services.outbox import sweep_interrupted
from tests.conftest import is_postgres


def _message(key: str, to: str = "persona@example.org", **state) -> OutboxMessage:
    message = queue_email(to=to, template="confirm_email", dedupe_key=key, locale="es", token="t",
                          user=type("U", (), {"display_name": "Persona"})())
    for field, value in state.items():
        setattr(message, field, value)
    _db.session.commit()
    return message


def test_the_sweep_marks_a_dead_schedulers_message_unknown_at_once_and_leaves_a_live_ones(db, smtp):
    now = utcnow()
    db.session.add(SchedulerLease(name="scheduler", holder="alive", expires_at=now + timedelta(seconds=60)))
    _message("m:dead", status="sending", claimed_by="dead", claimed_at=now)
    live = _message("m:live", status="sending", claimed_by="alive", claimed_at=now)
    _message("m:stuck", status="sending", claimed_by="alive", claimed_at=now - timedelta(minutes=6))
    _message("m:hand", status="sending", claimed_by=None, claimed_at=now - timedelta(minutes=1))
    _message("m:old", status="sending", claimed_by=None, claimed_at=now - timedelta(minutes=6))
    assert sweep_interrupted() == 3
    states = {m.dedupe_key: m.status for m in db.session.execute(select(OutboxMessage)).scalars()}
    assert states == {"m:dead": "unknown", "m:live": "sending", "m:stuck": "unknown", "m:hand": "sending",
                      "m:old": "unknown"}
    # Once the lease lapses nobody holds it: whatever a scheduler left "sending" is unknown.
    db.session.execute(SchedulerLease.__table__.update().values(expires_at=now - timedelta(seconds=1)))
    db.session.commit()
    assert sweep_interrupted() == 1 and db.session.get(OutboxMessage, live.id).status == "unknown"
    assert deliver_due()["sent"] == 0 and smtp.messages == []  # never sent again by itself


def test_a_delivery_records_its_scheduler_and_stops_when_told(db, smtp):
    for n in range(3):
        _message(f"stop:{n}", to=f"p{n}@example.org")
    asked = []

    def stop_after_first() -> bool:
        asked.append(True)
        return len(asked) > 1

    assert deliver_due(holder="host:1:abc", should_stop=stop_after_first)["sent"] == 1
    sent = db.session.execute(select(OutboxMessage).filter_by(status="sent")).scalar_one()
    assert sent.claimed_by == "host:1:abc" and len(smtp.messages) == 1
    assert deliver_due()["sent"] == 2  # the rest wait for the next run


@pytest.fixture
def edition(db, make_user, make_community):
    """A sent edition to three readers: one delivered, one failed, one of unknown outcome."""
    organizer = make_user("Olga", email="olga@example.org")
    readers = [make_user(f"Lector {n}", email=f"lector{n}@example.org", newsletter_opt_in_at=utcnow())
               for n in range(3)]
    community = make_community("red", members={organizer: "organizer", **{r: "member" for r in readers}})
    newsletter = newsletters.save(organizer, community, subject_es="Boletín", subject_en="Newsletter",
                                  body_es="Hola", body_en="Hello")
    newsletters.schedule(organizer, newsletter, None)
    newsletters.send_due()
    messages = {m.to_address: m for m in db.session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "newsletter")).scalars()}
    messages["lector0@example.org"].status = "sent"
    failed = messages["lector1@example.org"]
    failed.status, failed.last_error = "failed", "SMTPRecipientsRefused: 550 mailbox full"
    messages["lector2@example.org"].status = "unknown"
    db.session.commit()
    return {"newsletter": newsletter, "organizer": organizer, "readers": readers, "community": community,
            "url": f"/c/red/newsletters/{newsletter.id}"}


def test_the_edition_page_shows_failed_and_unknown_messages_with_counts_in_both_languages(client, login, edition):
    login(edition["organizer"])
    page = client.get(edition["url"]).get_data(as_text=True)
    assert "Encoladas: 3 · enviadas: 1 · en espera: 0 · fallidas: 1" in page
    assert "Resultado desconocido: 1 · reenviados: 0" in page
    assert "lector1@example.org: <strong>Fallido</strong> <span class=\"meta\">(SMTPRecipientsRefused" in page
    assert "lector2@example.org: <strong>Resultado desconocido</strong>" in page
    assert "lector0@example.org:" not in page and "Reenviar a estos 2 destinatarios" in page
    client.post("/language", data={"lang": "en"})
    page = client.get(edition["url"]).get_data(as_text=True)
    assert "Outcome unknown: 1 · resent: 0" in page and "lector2@example.org: <strong>Outcome unknown</strong>" in page
    assert "Resend to these 2 recipients" in page


def test_one_click_resends_each_failed_or_unknown_message_once_and_records_who(client, login, db, smtp, edition):
    login(edition["organizer"])
    url = edition["url"] + "/resend"
    assert client.post(url, csrf=False).status_code == 400  # a forged request resends nothing
    response = client.post(url, follow_redirects=True)
    assert "2 mensajes van de nuevo en camino." in response.get_data(as_text=True)
    again = client.post(url, follow_redirects=True)  # the double submit
    assert "Nada que reenviar: estos mensajes ya se reenviaron." in again.get_data(as_text=True)
    copies = db.session.execute(select(OutboxMessage).where(OutboxMessage.resend_of_id.is_not(None))).scalars().all()
    assert sorted(c.to_address for c in copies) == ["lector1@example.org", "lector2@example.org"]
    for copy in copies:
        original = db.session.get(OutboxMessage, copy.resend_of_id)
        assert original.status == "resent" and original.resent_by_id == edition["organizer"].id
        assert original.resent_at is not None and copy.dedupe_key == f"{original.dedupe_key}:resend:{original.id}"
        assert (copy.subject, copy.body_text, copy.unsubscribe_url) == (original.subject, original.body_text,
                                                                        original.unsubscribe_url)
    smtp.fail_after, smtp.fail_next = 1, 1  # the first copy arrives, the second is refused for now
    deliver_due()
    assert len(smtp.messages) == 1
    page = client.get(edition["url"]).get_data(as_text=True)
    assert "Encoladas: 3 · enviadas: 2 · en espera: 1 · fallidas: 0" in page
    assert "Resultado desconocido: 0 · reenviados: 2" in page
    assert "<strong>Entregado</strong>" in page and "<strong>En espera</strong>" in page
    assert "reenviado por Olga el" in page and "Reenviar a" not in page


def test_a_copy_goes_only_to_people_who_still_want_the_newsletter(client, login, db, edition):
    edition["readers"][1].newsletter_opt_in_at = None  # unsubscribed after the failure
    db.session.commit()
    login(edition["organizer"])
    page = client.post(edition["url"] + "/resend", follow_redirects=True).get_data(as_text=True)
    assert "1 mensaje va de nuevo en camino." in page
    assert "1 mensaje no se reenvió: su destinatario ya no quiere recibir este correo." in page
    [copy] = db.session.execute(select(OutboxMessage).where(OutboxMessage.resend_of_id.is_not(None))).scalars()
    assert copy.to_address == "lector2@example.org"


def test_only_the_communitys_organizers_resend_an_edition(client, login, db, make_user, make_community, edition):
    other_organizer = make_user("Otra")
    make_community("otra", members={other_organizer: "organizer"})
    for person in (edition["readers"][0], other_organizer):
        login(person)
        assert client.post(edition["url"] + "/resend").status_code == 403
    assert db.session.execute(select(OutboxMessage).filter_by(status="resent")).first() is None


def test_two_resends_at_once_queue_one_copy(app, db, edition):
    """Two requests racing (a double click on two connections): one takes each message."""
    organizer_id = edition["organizer"].id
    newsletter_id = edition["newsletter"].id
    barrier, results = threading.Barrier(2), []

    def click():
        with app.app_context():
            from forum.models import User

            user, newsletter = db.session.get(User, organizer_id), db.session.get(Newsletter, newsletter_id)
            barrier.wait()
            results.append(newsletters.resend_problems(user, newsletter).resent)
            db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 2], results
    copies = db.session.execute(select(OutboxMessage).where(OutboxMessage.resend_of_id.is_not(None))).scalars().all()
    assert len(copies) == 2
    if is_postgres():
        assert len({c.resend_of_id for c in copies}) == 2


def test_admins_see_every_failed_or_unknown_message_and_resend_one(client, login, db, make_user, edition):
    digest = _message("digest:x", to="otra@example.org", status="unknown")
    admin = make_user("Admin", is_admin=True)
    login(edition["organizer"])
    assert client.get("/admin/outbox").status_code == 403
    assert client.post("/admin/outbox/resend", data={"scope": "all"}).status_code == 403
    login(admin)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "En espera: 0 · enviándose: 0 · entregados: 1 · fallidos: 1 · resultado desconocido: 2" in page
    assert "otra@example.org · " in page and "lector1@example.org · Boletín: <strong>Fallido</strong>" in page
    assert 'href="/admin/outbox"' in client.get("/admin/users").get_data(as_text=True)
    assert client.post("/admin/outbox/resend", data={"message": "abc"}).status_code == 400  # never "all" by mistake
    response = client.post("/admin/outbox/resend", data={"message": str(digest.id)}, follow_redirects=True)
    assert "1 mensaje va de nuevo en camino." in response.get_data(as_text=True)
    db.session.expire_all()
    states = {m.dedupe_key: m.status for m in db.session.execute(select(OutboxMessage)).scalars()}
    assert states["digest:x"] == "resent" and states[f"digest:x:resend:{digest.id}"] == "queued"
    assert sum(1 for state in states.values() if state in ("failed", "unknown")) == 2  # the edition's are untouched
    page = client.post("/admin/outbox/resend", data={"scope": "all"}, follow_redirects=True).get_data(as_text=True)
    assert "2 mensajes van de nuevo en camino." in page and "resultado desconocido: 0 · reenviados: 3" in page
    assert "Ningún mensaje falló ni se interrumpió durante el envío." in page


def test_the_outbox_page_in_english(client, login, db, make_user):
    _message("m:1", status="unknown")
    login(make_user("Admin", is_admin=True, locale="en"))
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "<h1>Outbox</h1>" in page and "outcome unknown: 1" in page and "Resend to this recipient" in page


def test_resend_keys_stay_short_and_unique_through_a_chain_of_resends(db):
    first = _message("k" * 200, status="failed")
    assert outbox.resend_key(first) == "k" * 170 + f":resend:{first.id}"
    copy = _message(outbox.resend_key(first), status="unknown")
    assert outbox.resend_key(copy) == "k" * 170 + f":resend:{copy.id}"
