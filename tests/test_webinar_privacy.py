"""Webinar places end with the membership that allowed them, and with the account.

A member removed from (or leaving) a members-only or private community loses their places
at its coming webinars, with a calendar cancellation of the same UID, and hears no more of
the join link. A deleted account's registrations keep the figures and lose the person;
nothing is ever queued to a deleted account.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import vobject

from forum.mail import queue_email
from forum.models import OutboxMessage, Registration, utcnow
from forum.services import webinar_messages, webinars
from tests import test_webinars
from tests.conftest import PASSWORD, outbox

JOIN = test_webinars.JOIN
make_webinar = test_webinars.make_webinar  # the fixture, shared

NEW_LINK = "https://meet.example.org/nuevo-enlace-789"


def _edit_link(client, login, organizer, community, webinar, link):
    """The organizer moves the join link through the edit form, as registrants would be told."""
    login(organizer)
    data = webinars.input_from_webinar(webinar)
    form = {"title_es": data.title_es, "title_en": data.title_en,
            "starts_at": data.starts_at.strftime("%Y-%m-%dT%H:%M"), "timezone": data.timezone,
            "duration_minutes": str(data.duration_minutes), "languages": "es,en", "join_url": link,
            "speakers-0-name": "Rosa Quispe", "speakers-0-role": "speaker"}
    response = client.post(f"/c/{community.slug}/webinars/{webinar.id}/edit", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def _mail_to(address):
    return [m for m in outbox() if m.to_address == address]


@pytest.mark.parametrize("visibility", ["private", "members"])
@pytest.mark.parametrize("how", ["removed", "left"])
def test_a_member_who_goes_loses_the_place_with_a_calendar_cancel_and_never_sees_the_new_link(
        client, login, db, make_user, make_community, make_webinar, visibility, how):
    organizer = make_user("Org")
    ana = make_user("Ana", email="ana@example.org")
    bea = make_user("Bea", email="bea@example.org")
    community = make_community("red", visibility=visibility, join_policy="invite",
                               members={organizer: "organizer", ana: "member", bea: "member"})
    webinar = make_webinar(community, organizer=organizer)
    for person in (ana, bea):
        login(person)
        assert client.post(f"/c/red/webinars/{webinar.id}/register").status_code == 302
    [place] = [r for r in db.session.execute(db.select(Registration)).scalars() if r.user_id == ana.id]
    token = webinar_messages.registration_token(place)
    assert client.get(f"/c/red/webinars/{webinar.id}/calendar.ics?token={token}").status_code == 200

    if how == "removed":
        login(organizer)
        client.post(f"/c/red/members/{ana.id}/remove")
    else:
        login(ana)
        client.post("/c/red/leave")
    db.session.expire_all()
    assert db.session.get(Registration, place.id).status == "cancelled"
    [cancel] = [m for m in _mail_to("ana@example.org") if m.kind == "webinar_withdrawn"]
    calendar = vobject.readOne(cancel.attachment_body)
    assert calendar.method.value == "CANCEL" and calendar.vevent.uid.value == webinar.uid
    assert "method=CANCEL" in cancel.attachment_type and JOIN not in cancel.attachment_body
    assert "ya no eres miembro" in cancel.body_text
    assert db.session.get(type(webinar), webinar.id).registered_count == 1

    _edit_link(client, login, organizer, community, db.session.get(type(webinar), webinar.id), NEW_LINK)
    assert any(NEW_LINK in (m.attachment_body or "") for m in _mail_to("bea@example.org"))  # members are told
    assert not any(NEW_LINK in f"{m.body_text}{m.body_html}{m.attachment_body}" for m in _mail_to("ana@example.org"))
    client.post("/auth/logout")
    assert client.get(f"/c/red/webinars/{webinar.id}/calendar.ics?token={token}").status_code == 404


def test_leaving_a_public_community_keeps_the_place(client, login, db, make_user, make_community, make_webinar):
    organizer, ana = make_user("Org"), make_user("Ana", email="ana@example.org")
    community = make_community("red", members={organizer: "organizer", ana: "member"})
    webinar = make_webinar(community, organizer=organizer)
    login(ana)
    client.post(f"/c/red/webinars/{webinar.id}/register")
    client.post("/c/red/leave")
    assert db.session.execute(db.select(Registration.status)).scalar_one() == "registered"


def test_a_deleted_account_keeps_the_figures_loses_its_data_and_is_never_written_to(
        client, login, db, make_user, make_community, make_webinar):
    organizer = make_user("Org")
    ana = make_user("Ana Torres", email="ana@example.org", country="PE", institution="Municipalidad de Cusco",
                    sector="government", gender="woman")
    community = make_community("red", members={organizer: "organizer", ana: "member"})
    past = make_webinar(community, organizer=organizer, title_es="Pasado")
    coming = make_webinar(community, organizer=organizer, title_es="Próximo")
    login(ana)
    for webinar in (past, coming):
        assert client.post(f"/c/red/webinars/{webinar.id}/register").status_code == 302
    held = db.session.execute(db.select(Registration).filter_by(webinar_id=past.id)).scalar_one()
    held.attended = True
    past.starts_at, past.ends_at = utcnow() - timedelta(days=3), utcnow() - timedelta(days=3, hours=-1)
    past.attended_count = 1
    db.session.commit()

    response = client.post("/auth/account/delete", data={"password": PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    rows = list(db.session.execute(db.select(Registration)).scalars())
    assert len(rows) == 2
    for row in rows:
        assert row.user_id is None and row.name == "" and "ana" not in row.email
        assert (row.country, row.institution, row.sector, row.gender) == (None, None, None, None)
    assert db.session.get(type(past), past.id).attended_count == 1  # the figures stay
    assert webinars.participation(db.session.get(type(past), past.id)).total.total("attended") == 1
    assert db.session.get(type(coming), coming.id).registered_count == 0  # the seat is free again

    queued_before = db.session.execute(db.select(db.func.count(OutboxMessage.id))).scalar_one()
    _edit_link(client, login, organizer, community, db.session.get(type(coming), coming.id), NEW_LINK)
    webinar_messages.send_reminders(now=coming.starts_at - timedelta(minutes=30))
    assert db.session.execute(db.select(db.func.count(OutboxMessage.id))).scalar_one() == queued_before
    assert not [m for m in outbox() if "ana" in m.to_address or "Ana Torres" in (m.body_text or "")]
    deleted = db.session.get(type(ana), ana.id)
    assert queue_email(to=deleted, template="reset_password", token="x", dedupe_key="after-deletion") is None
    assert queue_email(to=rows[0].email, template="reset_password", token="x", dedupe_key="retired") is None
