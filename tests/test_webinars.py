"""Webinars: scheduling across time zones, registration and the waiting list, calendar
invitations read by a second library, reminders, attendance and the participation table."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, time, timedelta

import pytest
import vobject

from forum import jobs, mail, timezones
from forum.models import Registration, User, Webinar, utcnow
from forum.services import webinar_messages, webinar_registrations, webinar_times, webinars
from tests.conftest import PASSWORD, html_part, link_in, outbox, text_part
from tests.dates import clock_change, this_year, wall_clock, year_ahead

NEXT_YEAR = this_year() + 1

JOIN = "https://meet.example.org/resiliencia-123"


@pytest.fixture
def make_webinar(db, make_user):
    def make(community, *, organizer=None, starts_in=timedelta(days=10), zone="America/Santiago",
             capacity=None, **fields):
        from forum.services.membership import add_member

        if organizer is None:
            organizer = make_user("Organizadora")
            add_member(organizer, community, role="organizer")
        start = timezones.to_local(utcnow() + starts_in, zone).replace(second=0, microsecond=0)
        data = webinars.WebinarInput(
            title_es=fields.pop("title_es", "Seminario de cierre"), title_en=fields.pop("title_en", "Closing webinar"),
            description_es="Ideas **principales** del foro.", description_en="The forum's **main** ideas.",
            starts_at=start, timezone=zone, duration_minutes=fields.pop("duration_minutes", 90),
            capacity=capacity, join_url=fields.pop("join_url", JOIN), interpretation=True,
            speakers=[webinars.SpeakerInput(name="Rosa Quispe", affiliation="Gobierno Regional de Cusco",
                                            bio="Planificadora."),
                      webinars.SpeakerInput(name="Luis Fernández", role="moderator")], **fields)
        return webinars.save_webinar(organizer, community, data)
    return make


def _ics(message) -> vobject.base.Component:
    """The calendar attachment of a received message, parsed by a second library (vobject)."""
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in message.iter_attachments()]
    return vobject.readOne(parts[0].get_content()), parts[0]


def _deliver(smtp):
    counts = mail.deliver_due()
    assert counts["failed"] == 0 and counts["retrying"] == 0
    return smtp.messages


# --- scheduling and time zones ---------------------------------------------------

def test_organizer_schedules_in_a_chosen_zone_and_everyone_sees_it_right_across_dst(
        client, login, db, make_user, make_community):
    """Chile leaves daylight saving time (in April, under today's rules): 10:00 in Santiago is
    13:00 UTC the week before and 14:00 UTC the week after; Mexico City (no DST) sees 07:00 and
    then 08:00. The dates are those of the next such change, whenever the test runs."""
    change = clock_change("America/Santiago", from_offset=-3, to_offset=-4)
    day = wall_clock(change, -4).date()
    before_day, after_day = day - timedelta(days=3), day + timedelta(days=4)
    organizer = make_user("Marcia")
    make_community("red", members={organizer: "organizer"})
    login(organizer)
    form = {"title_es": "Antes del cambio", "title_en": "Before the change", "starts_at": f"{before_day}T10:00",
            "timezone": "America/Santiago", "duration_minutes": "90", "languages": "es,en",
            "join_url": JOIN, "speakers-0-name": "Rosa Quispe", "speakers-0-role": "speaker"}
    assert client.post("/c/red/webinars/new", data=form).status_code == 302
    assert client.post("/c/red/webinars/new", data=dict(form, starts_at=f"{after_day}T10:00", title_es="Después",
                                                         title_en="After")).status_code == 302
    before, after = db.session.execute(db.select(Webinar).order_by(Webinar.starts_at)).scalars().all()
    assert before.starts_at == datetime.combine(before_day, time(13, 0), UTC)
    assert after.starts_at == datetime.combine(after_day, time(14, 0), UTC)

    viewer = make_user("Lector", timezone="America/Mexico_City")
    login(viewer)
    page = client.get(f"/c/red/webinars/{before.id}").get_data(as_text=True)
    assert "7:00" in page and "Antes del cambio" in page
    capitals = dict(webinar_times.times_in_capitals(before, "es"))
    assert capitals["Santiago"].endswith("10:00") and capitals["São Paulo"].endswith("10:00")
    assert capitals["Ciudad de México"].endswith("07:00") and capitals["Puerto España"].endswith("09:00")
    page = client.get(f"/c/red/webinars/{after.id}").get_data(as_text=True)
    assert "8:00" in page
    capitals = dict(webinar_times.times_in_capitals(after, "en"))
    assert capitals["Santiago"].endswith("10:00") and capitals["São Paulo"].endswith("11:00")
    assert capitals["Mexico City"].endswith("08:00") and capitals["Bogotá"].endswith("09:00")
    assert "Empieza" in page  # the countdown

    # The organizer's form shows the time back in the zone it was entered in.
    login(organizer)
    edit = client.get(f"/c/red/webinars/{after.id}/edit").get_data(as_text=True)
    assert f'value="{after_day}T10:00"' in edit


def test_bad_input_is_refused_with_translated_messages_and_nothing_lost(client, login, db, make_user, make_community):
    organizer = make_user("Org")
    make_community("red", members={organizer: "organizer"})
    login(organizer)
    response = client.post("/c/red/webinars/new", data={
        "title_es": "", "title_en": "<script>alert(1)</script>" * 2, "starts_at": "", "timezone": "Mars/Olympus",
        "duration_minutes": "5", "languages": "es,en", "capacity": "0", "join_url": "javascript:alert(1)",
        "description_es": "Texto que no debe perderse", "speakers-0-name": "", "speakers-0-bio": "Sin nombre"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Ponle un título al seminario web en este idioma.", "Elige una zona horaria de la lista.",
                    "Indica la fecha y hora de inicio.", "Usa una duración de 15 a 600 minutos.",
                    "Escribe un enlace completo que empiece por https://", "La persona 1 necesita un nombre."):
        assert message in page, message
    assert "Texto que no debe perderse" in page and "<script>alert(1)" not in page
    assert db.session.execute(db.select(Webinar)).first() is None
    # A deadline after the start, and a number where a number is expected.
    response = client.post("/c/red/webinars/new", data={
        "title_es": "T", "title_en": "T", "starts_at": f"{NEXT_YEAR}-01-10T10:00", "timezone": "America/Lima",
        "registration_deadline": f"{NEXT_YEAR}-01-11T10:00", "duration_minutes": "abc", "languages": "es,en"})
    assert response.status_code == 400
    assert "Las inscripciones deben cerrar antes de que empiece el seminario web." in response.get_data(as_text=True)


def test_only_the_communitys_organizers_schedule_and_ids_of_other_communities_are_404(
        client, login, make_user, make_community, make_webinar):
    organizer = make_user("Org")
    member = make_user("Miembro")
    community = make_community("red", members={organizer: "organizer", member: "member"})
    other = make_community("otra")
    theirs = make_webinar(other)
    login(member)
    assert client.get("/c/red/webinars/new").status_code == 403
    login(organizer)
    assert client.get(f"/c/red/webinars/{theirs.id}").status_code == 404
    assert client.get(f"/c/red/webinars/{theirs.id}/edit").status_code == 404
    assert client.get(f"/c/otra/webinars/{theirs.id}/attendance").status_code == 403
    assert client.get("/c/red/webinars/99999999999").status_code == 404
    mine = make_webinar(community, organizer=organizer)
    assert client.get(f"/c/red/webinars/{mine.id}/participation").status_code == 200


# --- registration, emails and calendar files -------------------------------------------

def test_a_member_registers_in_one_click_and_gets_the_link_and_an_invitation_other_clients_read(
        client, login, db, smtp, make_user, make_community, make_webinar):
    member = make_user("Ana", email="ana@example.org", country="CL", sector="academia", gender="woman")
    reader = make_user("Ben", email="ben@example.org", locale="en")
    community = make_community("red", members={member: "member", reader: "member"})
    webinar = make_webinar(community)
    login(member)
    page = client.get(f"/c/red/webinars/{webinar.id}").get_data(as_text=True)
    assert JOIN not in page and "Inscribirme" in page
    assert client.get(f"/c/red/webinars/{webinar.id}/calendar.ics").status_code == 404
    response = client.post(f"/c/red/webinars/{webinar.id}/register", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Tu inscripción está confirmada." in page
    assert JOIN in page and "Añadir al calendario (.ics)" in page
    # Clicking twice changes nothing.
    client.post(f"/c/red/webinars/{webinar.id}/register")
    db.session.refresh(webinar)
    assert webinar.registered_count == 1

    login(reader)
    client.post(f"/c/red/webinars/{webinar.id}/register")
    [es, en] = sorted(_deliver(smtp), key=lambda m: m["To"])
    assert es["Subject"] == "Inscripción confirmada: Seminario de cierre"
    assert en["Subject"] == "You are registered: Closing webinar"
    assert JOIN in text_part(es) and JOIN in html_part(es) and "Santiago" in text_part(es)
    calendar, part = _ics(es)
    assert part.get_param("method") == "REQUEST" and part.get_filename() == "invite.ics"
    assert calendar.method.value == "REQUEST"
    event = calendar.vevent
    assert event.uid.value == webinar.uid and int(event.sequence.value) == 0
    assert event.dtstart.value == webinar.starts_at and event.dtend.value == webinar.ends_at
    assert event.summary.value == "Seminario de cierre" and event.location.value == JOIN
    assert event.attendee.value == "mailto:ana@example.org"
    calendar_en, _part = _ics(en)
    assert calendar_en.vevent.summary.value == "Closing webinar" and calendar_en.vevent.uid.value == webinar.uid

    # "Add to calendar" gives the same invitation.
    download = client.get(f"/c/red/webinars/{webinar.id}/calendar.ics")
    assert download.status_code == 200 and download.mimetype == "text/calendar"
    same = vobject.readOne(download.get_data(as_text=True))
    assert same.vevent.uid.value == webinar.uid and same.vevent.location.value == JOIN


def test_a_guest_registers_confirms_by_email_and_claims_the_registration_on_signing_up(
        client, login, db, smtp, make_community, make_webinar):
    community = make_community("red")
    webinar = make_webinar(community)
    url = f"/c/red/webinars/{webinar.id}/register/guest"
    assert JOIN not in client.get(f"/c/red/webinars/{webinar.id}").get_data(as_text=True)
    bad = client.post(url, data={"name": "", "email": "not-an-email", "country": "XX", "institution": "",
                                 "sector": "spies", "gender": "robot", "locale": "es"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    for message in ("Escribe tu nombre.", "Escribe una dirección de correo válida.", "Elige tu país.",
                    "Escribe tu institución.", "Elige tu sector.", "Elige una opción de la lista."):
        assert message in page, message
    response = client.post(url, data={"name": "<b>José</b> Pérez", "email": " Jose.Perez@Example.ORG ",
                                      "country": "PE", "institution": "Municipalidad de Lima",
                                      "sector": "subnational_government", "gender": "man", "locale": "en"})
    assert response.status_code == 200 and "jose.perez@example.org" in response.get_data(as_text=True)
    registration = db.session.execute(db.select(Registration)).scalar_one()
    assert registration.status == "pending" and webinar.registered_count == 0
    [confirm] = _deliver(smtp)
    assert confirm["Subject"] == "Confirm your registration: Closing webinar"
    assert not list(confirm.iter_attachments())  # no invitation, no link before the address is proven
    assert JOIN not in text_part(confirm)
    link = link_in(text_part(confirm), "/webinars/confirm/")
    response = client.get(link.split("localhost", 1)[-1])
    assert response.status_code == 302
    manage = client.get(response.location).get_data(as_text=True)
    assert "You are registered." in manage and JOIN in manage
    db.session.refresh(registration)
    assert registration.status == "registered" and registration.user_id is None
    [registered] = [m for m in _deliver(smtp) if m is not confirm]
    calendar, _part = _ics(registered)
    assert calendar.vevent.attendee.value == "mailto:jose.perez@example.org"
    # The "add to calendar" link on the guest's page works with its token; without it, nothing.
    ics_link = re.search(r'href="([^"]*calendar\.ics\?token=[^"]*)"', manage).group(1).replace("&amp;", "&")
    assert client.get(ics_link).status_code == 200
    assert client.get(f"/c/red/webinars/{webinar.id}/calendar.ics").status_code == 404

    # Later the guest creates an account with the same address and confirms it: the place is theirs.
    client.post("/auth/register", data={"display_name": "José Pérez", "email": "jose.perez@example.org",
                                        "password": PASSWORD, "confirm": PASSWORD})
    account = db.session.execute(db.select(User).filter_by(email="jose.perez@example.org")).scalar_one()
    confirm_account = next(m for m in outbox("confirm_email"))
    token_link = link_in(confirm_account.body_text, "/auth/confirm/")
    client.get(token_link.split("localhost", 1)[-1])
    db.session.refresh(registration)
    assert registration.user_id == account.id
    page = client.get(f"/c/red/webinars/{webinar.id}").get_data(as_text=True)
    assert "Tu inscripción está confirmada." in page
    assert JOIN in page


def test_a_full_event_has_a_waiting_list_promoted_when_someone_cancels(
        client, login, db, smtp, make_user, make_community, make_webinar):
    first, second, third = (make_user(n, email=f"{n.lower()}@example.org") for n in ("Uno", "Dos", "Tres"))
    community = make_community("red", members={first: "member", second: "member", third: "member"})
    webinar = make_webinar(community, capacity=1)
    for person in (first, second, third):
        login(person)
        client.post(f"/c/red/webinars/{webinar.id}/register")
    db.session.refresh(webinar)
    assert (webinar.registered_count, webinar.waitlist_count) == (1, 2)
    login(second)
    page = client.get(f"/c/red/webinars/{webinar.id}").get_data(as_text=True)
    assert "Estás en la lista de espera." in page and JOIN not in page
    _deliver(smtp)
    assert smtp.to("dos@example.org")[0]["Subject"] == "Estás en la lista de espera: Seminario de cierre"
    assert not list(smtp.to("dos@example.org")[0].iter_attachments())

    login(first)
    response = client.post(f"/c/red/webinars/{webinar.id}/unregister", data={"confirm": "yes"},
                           follow_redirects=True)
    assert "Tu inscripción está cancelada." in response.get_data(as_text=True)
    db.session.refresh(webinar)
    assert (webinar.registered_count, webinar.waitlist_count) == (1, 1)
    statuses = {r.email: r.status for r in db.session.execute(db.select(Registration)).scalars()}
    assert statuses == {"uno@example.org": "cancelled", "dos@example.org": "registered",
                        "tres@example.org": "waitlisted"}
    _deliver(smtp)
    cancelled = smtp.to("uno@example.org")[-1]
    calendar, part = _ics(cancelled)
    assert part.get_param("method") == "CANCEL" and calendar.method.value == "CANCEL"
    promoted = smtp.to("dos@example.org")[-1]
    assert promoted["Subject"] == "Se liberó un lugar: tu inscripción en Seminario de cierre está confirmada"
    assert JOIN in text_part(promoted) and _ics(promoted)[0].method.value == "REQUEST"
    login(second)
    assert JOIN in client.get(f"/c/red/webinars/{webinar.id}").get_data(as_text=True)


def test_changing_the_time_sends_an_update_and_cancelling_sends_a_cancel_with_the_same_uid(
        client, login, db, smtp, make_user, make_community, make_webinar):
    organizer = make_user("Org")
    member = make_user("Ana", email="ana@example.org")
    community = make_community("red", members={organizer: "organizer", member: "member"})
    webinar = make_webinar(community, organizer=organizer)
    login(member)
    client.post(f"/c/red/webinars/{webinar.id}/register")
    _deliver(smtp)
    login(organizer)
    year = year_ahead(6, 10)
    form = {"title_es": "Seminario de cierre", "title_en": "Closing webinar", "starts_at": f"{year}-06-10T15:30",
            "timezone": "America/Bogota", "duration_minutes": "60", "languages": "es,en", "join_url": JOIN,
            "speakers-0-name": "Rosa Quispe", "speakers-0-role": "speaker"}
    assert client.post(f"/c/red/webinars/{webinar.id}/edit", data=form).status_code == 302
    # Saving again without a change sends nothing more.
    assert client.post(f"/c/red/webinars/{webinar.id}/edit", data=form).status_code == 302
    updates = [m for m in _deliver(smtp) if m["Subject"].startswith("Cambió")]
    assert len(updates) == 1 and "Bogotá" in text_part(updates[0])
    calendar, _part = _ics(updates[0])
    assert calendar.vevent.uid.value == webinar.uid and int(calendar.vevent.sequence.value) == 1
    assert calendar.vevent.dtstart.value == datetime(year, 6, 10, 20, 30, tzinfo=UTC)

    response = client.post(f"/c/red/webinars/{webinar.id}/cancel", follow_redirects=True)
    assert "Marca la casilla para confirmar la cancelación." in response.get_data(as_text=True)
    response = client.post(f"/c/red/webinars/{webinar.id}/cancel", data={"confirm": "yes"}, follow_redirects=True)
    assert "Este seminario web fue cancelado." in response.get_data(as_text=True)
    [cancel] = [m for m in _deliver(smtp) if m["Subject"].startswith("Cancelado")]
    calendar, part = _ics(cancel)
    assert part.get_param("method") == "CANCEL" and calendar.vevent.status.value == "CANCELLED"
    assert calendar.vevent.uid.value == webinar.uid and int(calendar.vevent.sequence.value) == 2
    assert client.get(f"/c/red/webinars/{webinar.id}/edit").status_code == 302
    login(member)
    assert client.get(f"/c/red/webinars/{webinar.id}/calendar.ics").status_code == 404


def test_reminders_go_out_24_hours_and_1_hour_before_once_each_however_often_the_scheduler_runs(
        app, db, make_user, make_community, make_webinar):
    early = make_user("Temprano", email="early@example.org")
    late = make_user("Tarde", email="late@example.org")
    community = make_community("red", members={early: "member", late: "member"})
    webinar = make_webinar(community, starts_in=timedelta(hours=23))
    webinar_registrations.register_member(early, webinar)
    webinar_registrations.register_member(late, webinar)
    first = db.session.execute(db.select(Registration).filter_by(email="early@example.org")).scalar_one()
    first.confirmed_at = utcnow() - timedelta(days=3)  # registered long before: gets the 24-hour reminder
    db.session.commit()
    assert jobs.send_webinar_reminders(app) == 1
    assert jobs.send_webinar_reminders(app) == 0
    assert [m.to_address for m in outbox("webinar_reminder")] == ["early@example.org"]
    one_hour_before = webinar.starts_at - timedelta(minutes=50)
    assert webinar_messages.send_reminders(now=one_hour_before) == 2
    assert webinar_messages.send_reminders(now=one_hour_before + timedelta(minutes=1)) == 0
    reminders = outbox("webinar_reminder")
    assert len(reminders) == 3
    assert sorted(m.subject for m in reminders) == ["En 24 horas: Seminario de cierre",
                                                    "En una hora: Seminario de cierre",
                                                    "En una hora: Seminario de cierre"]
    assert all(JOIN in m.body_text for m in reminders)
    # Nothing for a cancelled webinar, nor once it has started.
    assert webinar_messages.send_reminders(now=webinar.starts_at + timedelta(minutes=1)) == 0


# --- attendance and participation -----------------------------------------------------

def _register_people(db, webinar, people):
    """people: (email, country, sector, gender, status); returns the registrations."""
    rows = []
    for email, country, sector, gender, status in people:
        registration = Registration(webinar_id=webinar.id, email=email, name=email.split("@")[0].title(),
                                    country=country, sector=sector, gender=gender, status=status,
                                    confirmed_at=utcnow())
        db.session.add(registration)
        rows.append(registration)
    webinar.registered_count = sum(1 for p in people if p[4] == "registered")
    db.session.commit()
    return rows


ZOOM_REPORT = (
    "Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants\r\n"
    "812 3456 7890,Seminario de cierre,12/01/2027 10:00,12/01/2027 12:00,host@example.org,120,6\r\n"
    "\r\n"
    "Name (Original Name);User Email;Join Time;Leave Time;Duration (Minutes);Guest\r\n"
    "José Pérez;  JOSE@Example.org ;12/01/2027 10:01;12/01/2027 11:00;59;Yes\r\n"
    "José Pérez;jose@example.org;12/01/2027 11:05;12/01/2027 12:00;55;Yes\r\n"
    "Marie Dubois;Marie Dubois <marie@example.org>;12/01/2027 10:03;12/01/2027 12:00;117;Yes\r\n"
    "Teléfono +56 9;;12/01/2027 10:10;12/01/2027 10:40;30;Yes\r\n"
    "Stranger;stranger@elsewhere.org;12/01/2027 10:10;12/01/2027 10:40;30;Yes\r\n"
    "\r\n"
    "Ana Silva;ana@example.org;12/01/2027 10:00;12/01/2027 12:00;120;No\r\n"
)


def test_attendance_import_reads_a_messy_report_and_lists_what_it_could_not_match(
        client, login, db, make_user, make_community, make_webinar):
    organizer = make_user("Org")
    community = make_community("red", members={organizer: "organizer"})
    webinar = make_webinar(community, organizer=organizer, starts_in=timedelta(hours=-3))
    _register_people(db, webinar, [("jose@example.org", "PE", "academia", "man", "registered"),
                                   ("marie@example.org", "HT", "civil_society", "woman", "registered"),
                                   ("ana@example.org", "CL", "academia", "woman", "registered"),
                                   ("nobody@example.org", "AR", "academia", None, "registered")])
    login(organizer)
    url = f"/c/red/webinars/{webinar.id}/attendance"
    data = ZOOM_REPORT.encode("cp1252")  # Windows encoding, semicolons after a comma preamble
    response = client.post(url, data={"action": "import", "file": (io.BytesIO(data), "participants.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 personas marcadas como asistentes" in page and "1 fila repetida" in page
    assert "2 filas no coinciden con nadie" in page
    assert "stranger@elsewhere.org" in page and "Teléfono +56 9" in page and "sin dirección de correo" in page
    attended = {r.email: r.attended for r in db.session.execute(db.select(Registration)).scalars()}
    assert attended == {"jose@example.org": True, "marie@example.org": True, "ana@example.org": True,
                        "nobody@example.org": False}
    db.session.refresh(webinar)
    assert webinar.attended_count == 3
    # Importing again marks nobody twice.
    page = client.post(url, data={"action": "import", "file": (io.BytesIO(data), "p.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "0 personas marcadas como asistentes" in page and "3 ya marcadas" in page

    # Microsoft Teams exports UTF-16 with tabs.
    teams = "Full Name\tJoin Time\tLeave Time\tEmail\r\nNobody\t10:00\t11:00\tnobody@example.org\r\n"
    page = client.post(url, data={"action": "import", "file": (io.BytesIO(teams.encode("utf-16")), "t.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "1 persona marcada como asistente" in page
    # A file without an email column, and an empty one, are refused with a reason.
    for bad, message in ((b"name,phone\nA,1\n", "No se encontró una columna de correos"),
                         (b"", "El archivo está vacío.")):
        response = client.post(url, data={"action": "import", "file": (io.BytesIO(bad), "x.csv")},
                               content_type="multipart/form-data")
        assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_attendance_by_hand_and_the_recording_shown_after_the_event(
        client, login, db, make_user, make_community, make_webinar):
    organizer = make_user("Org")
    community = make_community("red", members={organizer: "organizer"})
    webinar = make_webinar(community, organizer=organizer, starts_in=timedelta(days=-1))
    a, b = _register_people(db, webinar, [("a@example.org", "CL", "academia", "woman", "registered"),
                                          ("b@example.org", "MX", "academia", "man", "registered")])
    login(organizer)
    url = f"/c/red/webinars/{webinar.id}/attendance"
    client.post(url, data={"action": "ticks", "shown": [a.id, b.id], "attended": [a.id]})
    db.session.refresh(webinar)
    assert webinar.attended_count == 1
    client.post(url, data={"action": "ticks", "shown": [a.id, b.id], "attended": [a.id, b.id, 999]})
    db.session.refresh(webinar)
    assert webinar.attended_count == 2
    bad = client.post(url, data={"action": "follow_up", "recording_url": "javascript:alert(1)", "slides_url": ""})
    assert bad.status_code == 400 and "Escribe un enlace completo" in bad.get_data(as_text=True)
    client.post(url, data={"action": "follow_up", "recording_url": "https://video.example.org/rec",
                           "slides_url": "https://docs.example.org/slides.pdf"})
    client.post("/auth/logout")
    page = client.get(f"/c/red/webinars/{webinar.id}").get_data(as_text=True)
    assert "https://video.example.org/rec" in page and "Ver la grabación" in page
    assert "Este seminario web ya se realizó." in page and JOIN not in page
    past = client.get("/c/red/webinars/?past=1").get_data(as_text=True)
    assert "grabación disponible" in past


def test_the_participation_table_matches_hand_counted_numbers(
        client, login, db, make_user, make_community, make_webinar):
    organizer = make_user("Org")
    community = make_community("red", members={organizer: "organizer"})
    webinar = make_webinar(community, organizer=organizer, starts_in=timedelta(days=-2))
    people = [
        ("a@x.org", "CL", "academia", "woman", "registered"),
        ("b@x.org", "CL", "academia", "man", "registered"),
        ("c@x.org", "CL", "national_government", "woman", "registered"),
        ("d@x.org", "MX", "national_government", "other", "registered"),
        ("e@x.org", "MX", "civil_society", None, "registered"),
        ("f@x.org", "PE", "civil_society", "prefer_not_to_say", "registered"),
        ("g@x.org", None, None, "woman", "registered"),
        ("h@x.org", "CL", "academia", "woman", "cancelled"),      # gave up: not counted
        ("i@x.org", "AR", "academia", "man", "waitlisted"),       # waited and came: counted
        ("j@x.org", "AR", "academia", "woman", "pending"),        # never confirmed: not counted
    ]
    rows = _register_people(db, webinar, people)
    for registration in rows:
        registration.attended = registration.email in {"a@x.org", "c@x.org", "d@x.org", "f@x.org", "i@x.org"}
    db.session.commit()
    # By hand: registered 8 (a–g and i): women a c g = 3, men b i = 2, other d = 1, not stated e f = 2.
    # Attended 5: women a c = 2, men i = 1, other d = 1, not stated f = 1.
    table = webinars.participation(webinar)
    total = table.total
    assert [total.cell("registered", b) for b in webinars.GENDER_BUCKETS] == [3, 2, 1, 2]
    assert [total.cell("attended", b) for b in webinars.GENDER_BUCKETS] == [2, 1, 1, 1]
    countries = {r.key: (r.total("registered"), r.total("attended"), r.cell("registered", "women"))
                 for r in table.by_country}
    assert countries == {"CL": (3, 2, 2), "MX": (2, 1, 0), "PE": (1, 1, 0), "AR": (1, 1, 0), None: (1, 0, 1)}
    sectors = {r.key: (r.total("registered"), r.total("attended")) for r in table.by_sector}
    assert sectors == {"academia": (3, 2), "national_government": (2, 2), "civil_society": (2, 1), None: (1, 0)}
    assert table.by_country[0].key == "CL" and table.by_country[-1].key is None

    login(organizer)
    page = client.get(f"/c/red/webinars/{webinar.id}/participation").get_data(as_text=True)
    assert "Mujeres" in page and "Chile" in page and "Academia" in page and "40%" in page
    response = client.get(f"/c/red/webinars/{webinar.id}/participation.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, body = rows[0], rows[1:rows.index([])]
    assert header[:3] == ["Grupo", "Código", "Nombre"] and len(header) == 13
    assert rows[-1] == ["Asistieron: todas las personas marcadas como presentes."]
    by_code = {(r[0], r[1]): [int(x) for x in r[3:]] for r in body}
    assert by_code[("Total", "")] == [3, 2, 1, 2, 8, 2, 1, 1, 1, 5]
    assert by_code[("País", "CL")] == [2, 1, 0, 0, 3, 2, 0, 0, 0, 2]
    assert by_code[("Sector", "civil_society")] == [0, 0, 0, 2, 2, 0, 0, 0, 1, 1]
    # Only organizers see it.
    member = make_user("Miembro")
    from forum.services.membership import add_member

    add_member(member, community)
    db.session.commit()
    login(member)
    assert client.get(f"/c/red/webinars/{webinar.id}/participation.csv").status_code == 403


# --- listings ------------------------------------------------------------------------

def test_upcoming_and_past_webinars_are_listed_per_community_and_site_wide(
        client, login, db, make_user, make_community, make_webinar):
    public = make_community("red")
    private = make_community("comite", visibility="private")
    soon = make_webinar(public, title_es="Próximo encuentro", starts_in=timedelta(days=3))
    make_webinar(public, title_es="Encuentro pasado", starts_in=timedelta(days=-30))
    secret = make_webinar(private, title_es="Sesión reservada")
    page = client.get("/c/red").get_data(as_text=True)
    assert "Próximo encuentro" in page and "Encuentro pasado" not in page
    listing = client.get("/webinars/").get_data(as_text=True)
    assert "Próximo encuentro" in listing and "Sesión reservada" not in listing
    assert "Encuentro pasado" in client.get("/webinars/?past=1").get_data(as_text=True)
    assert client.get(f"/c/comite/webinars/{secret.id}").status_code == 404
    insider = make_user("Dentro")
    from forum.services.membership import add_member

    add_member(insider, private)
    db.session.commit()
    login(insider)
    assert "Sesión reservada" in client.get("/webinars/").get_data(as_text=True)
    assert soon.title("en") == "Closing webinar"


def test_the_event_page_costs_a_fixed_number_of_queries(
        client, login, db, make_user, make_community, make_webinar, count_queries):
    member = make_user("Ana")
    community = make_community("red", members={member: "member"})
    small = make_webinar(community)
    big = make_webinar(community, capacity=500)
    _register_people(db, big, [(f"p{i}@example.org", "CL", "academia", "woman", "registered") for i in range(40)])
    login(member)
    counts = []
    for webinar in (small, big):
        with count_queries() as statements:
            assert client.get(f"/c/red/webinars/{webinar.id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 10, counts


def test_review_fixes_capacity_past_dates_clock_changes_and_attendance_before_the_event(
        client, login, db, make_user, make_community, make_webinar):
    organizer = make_user("Org")
    members = [make_user(f"M{i}") for i in range(3)]
    community = make_community("red", members={organizer: "organizer", **{m: "member" for m in members}})
    webinar = make_webinar(community, organizer=organizer)
    for member in members:
        webinar_registrations.register_member(member, webinar)
    login(organizer)
    form = {"title_es": "T", "title_en": "T", "starts_at": f"{NEXT_YEAR}-01-10T10:00", "timezone": "America/Santiago",
            "duration_minutes": "60", "languages": "es,en", "capacity": "2"}
    page = client.post(f"/c/red/webinars/{webinar.id}/edit", data=form).get_data(as_text=True)
    assert "3 personas ya tienen un lugar: el cupo no puede ser menor." in page
    # Chile moves its clocks an hour forward (in September, from 00:00 to 01:00 under today's
    # rules): half an hour after the change, on the old clock, never happens there.
    gap = wall_clock(clock_change("America/Santiago", from_offset=-4, to_offset=-3), -4) + timedelta(minutes=30)
    page = client.post("/c/red/webinars/new", data=dict(form, starts_at=f"{gap:%Y-%m-%dT%H:%M}", capacity="")).get_data(
        as_text=True)
    assert "Esta hora no existe en esta zona horaria: ese día cambia la hora." in page
    # Attendance waits for the event; a header cell too long for CSV is refused, not a crash.
    url = f"/c/red/webinars/{webinar.id}/attendance"
    response = client.post(url, data={"action": "import", "file": (io.BytesIO(b"Email\nm@x.org\n"), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "La asistencia se puede registrar cuando el seminario web ya empezó." in response.get_data(as_text=True)
    webinar.starts_at, webinar.ends_at = utcnow() - timedelta(hours=2), utcnow() - timedelta(hours=1)
    db.session.commit()
    huge = b"Name,Email," + b"x" * 200_000 + b"\nA,a@x.org,1\n"
    response = client.post(url, data={"action": "import", "file": (io.BytesIO(huge), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "no se puede leer como CSV" in response.get_data(as_text=True)


def test_a_personal_cancellation_and_a_new_registration_are_newer_for_the_calendar(
        db, smtp, make_user, make_community, make_webinar):
    member = make_user("Ana", email="ana@example.org")
    community = make_community("red", members={member: "member"})
    webinar = make_webinar(community)
    registration = webinar_registrations.register_member(member, webinar)
    webinar_registrations.cancel_registration(registration)
    webinar_registrations.register_member(member, webinar)
    sequences = [(_ics(m)[0].method.value, int(_ics(m)[0].vevent.sequence.value)) for m in _deliver(smtp)]
    assert [s[0] for s in sequences] == ["REQUEST", "CANCEL", "REQUEST"]
    assert sequences[0][1] < sequences[1][1] <= sequences[2][1]


def test_lists_speak_the_readers_language_and_the_guest_form_is_rate_limited(
        client, db, make_community, make_webinar):
    community = make_community("red")
    webinar = make_webinar(community)
    client.set_cookie("lang", "en")
    assert "Closing webinar" in client.get("/webinars/").get_data(as_text=True)
    assert "Closing webinar" in client.get("/c/red").get_data(as_text=True)
    url = f"/c/red/webinars/{webinar.id}/register/guest"
    codes = [client.post(url, data={"name": "Flood", "email": "victim@example.org", "country": "CL",
                                    "institution": "X", "sector": "academia", "locale": "es"}).status_code
             for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[-1] == 429
    assert len(outbox("webinar_confirm")) <= 5


def test_the_site_wide_list_costs_the_same_queries_for_one_webinar_or_many(client, db, make_community, make_webinar,
                                                                           count_queries):
    first = make_community("red")
    make_webinar(first)
    counts = []
    for extra in range(2):
        with count_queries() as statements:
            assert client.get("/webinars/").status_code == 200
        counts.append(len(statements))
        for n in range(4):  # four more webinars, each in a community of its own
            make_webinar(make_community(f"otra-{extra}-{n}"))
    assert counts[0] == counts[1], counts
