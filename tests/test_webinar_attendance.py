"""Webinar attendance in minutes: real Zoom and Teams exports (tests/data/), the organizer's rule
for what counts as attending, the participation table that follows it, and certificates of
participation checked on a public page."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from forum import mail
from forum.models import Registration, Webinar
from forum.services import attendance_files, webinar_registrations, webinars
from tests.conftest import html_part, link_in, outbox, text_part

DATA = Path(__file__).parent / "data"
# The samples' webinar: 12 March 2025, 10:00 in Santiago, 90 minutes. The files write the day
# as 03/12/2025 (Zoom) and 3/12/25 (Teams): only the event's date says it is March, not December.
PEOPLE = [  # email, name, locale, country, sector, gender
    ("rosa.quispe@cusco.gob.pe", "Rosa Quispe", "es", "PE", "national_government", "woman"),
    ("carlos.mendez@minvu.cl", "Carlos Méndez", "es", "CL", "national_government", "man"),
    ("ana.silva@pucp.edu.pe", "Ana Silva", "en", "PE", "academia", "woman"),
    ("monica.herrera@cepal.org", "Mónica Herrera", "en", "CL", "international_organization", "woman"),
    ("l.fernandez@correo.ugr.es", "Luis Fernández", "es", "ES", "academia", "man"),
    ("no.show@example.org", "Nadie Vino", "es", "MX", "academia", None),
]


@pytest.fixture
def event(db, make_user, make_community):
    """(organizer, webinar) with PEOPLE registered."""
    from forum.services.membership import add_member

    organizer = make_user("Marcia Rojas")
    community = make_community("red", members={organizer: "organizer"})
    add_member(organizer, community, role="organizer")
    webinar = webinars.save_webinar(organizer, community, webinars.WebinarInput(
        title_es="Resiliencia urbana", title_en="Urban resilience", starts_at=datetime(2025, 3, 12, 10, 0),
        timezone="America/Santiago", duration_minutes=90, join_url="https://meet.example.org/x"))
    for email, name, locale, country, sector, gender in PEOPLE:
        db.session.add(Registration(webinar_id=webinar.id, email=email, name=name, locale=locale, country=country,
                                    sector=sector, gender=gender, status="registered", confirmed_at=webinar.starts_at))
    webinar.registered_count = len(PEOPLE)
    db.session.commit()
    return organizer, webinar


def _import(client, webinar, name):
    return client.post(f"/c/red/webinars/{webinar.id}/attendance",
                       data={"action": "import", "file": (io.BytesIO((DATA / name).read_bytes()), name)},
                       content_type="multipart/form-data")


def _minutes(db):
    db.session.expire_all()
    return {r.email: (r.attended_minutes, r.joins) for r in db.session.execute(db.select(Registration)).scalars()}


def test_a_zoom_export_gives_each_persons_minutes_as_the_union_of_their_joins(client, login, db, event):
    """80 rows, 10 of them people joining again: Rosa left and came back (37:55 + 46:30), Carlos
    was on a phone and a laptop at once (10:00–11:00 and 10:30–11:15 is 75 minutes, not 105),
    Mónica stayed after the end (shown as 100% of the event)."""
    organizer, webinar = event
    login(organizer)
    response = _import(client, webinar, "zoom_participants.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "5 personas marcadas como asistentes" in page and "Minutos leídos para 5 personas." in page
    assert "+56 9 8765 4321" in page  # the phone dial-in, listed as matching nobody
    minutes = _minutes(db)
    assert minutes["rosa.quispe@cusco.gob.pe"] == (84, 2)
    assert minutes["carlos.mendez@minvu.cl"] == (75, 2)
    assert minutes["ana.silva@pucp.edu.pe"] == (30, 1)
    assert minutes["monica.herrera@cepal.org"] == (135, 1)
    assert minutes["no.show@example.org"] == (None, None)
    page = client.get(f"/c/red/webinars/{webinar.id}/attendance").get_data(as_text=True)
    assert ">Minutos<" in page and ">Conexiones<" in page and ">93%<" in page and ">100%<" in page

    # The CSV, in English for an English-speaking organizer.
    organizer.locale = "en"
    db.session.commit()
    login(organizer)
    response = client.get(f"/c/red/webinars/{webinar.id}/attendance.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:1] + rows[0][4:] == ["Name", "Present", "Minutes attended", "Joins", "Share of the event (%)",
                                         "Attended (rule)"]
    by_name = {r[0]: r[4:] for r in rows[1:] if len(r) > 4}
    assert by_name["Rosa Quispe"] == ["yes", "84", "2", "93", "yes"]
    assert by_name["Carlos Méndez"] == ["yes", "75", "2", "83", "yes"]
    assert by_name["Nadie Vino"] == ["no", "", "", "", "no"]
    assert rows[-1] == ["Attended: everyone marked as present."]


def test_a_teams_export_reads_like_a_zoom_one(client, login, db, event):
    """Teams writes UTF-16 with tabs, a summary, one row per person, then one per join: the joins
    are read, with its M/D/YY, h:mm:ss AM/PM dates."""
    organizer, webinar = event
    organizer.locale = "en"
    db.session.commit()
    login(organizer)
    page = _import(client, webinar, "teams_attendance.csv").get_data(as_text=True)
    assert "5 people marked as attended" in page and "Minutes read for 5 people." in page
    assert "marcia.rojas@redciudades.org" in page and "Invitado 1 (Unverified)" in page  # matched nobody
    minutes = _minutes(db)
    assert minutes["rosa.quispe@cusco.gob.pe"] == (84, 2)
    assert minutes["carlos.mendez@minvu.cl"] == (75, 2)
    assert minutes["monica.herrera@cepal.org"] == (135, 1)
    assert minutes["l.fernandez@correo.ugr.es"] == (84, 3)  # an address at correo.… is not a header


def test_day_first_dates_and_spanish_headers_are_read_by_the_events_date():
    """A Spanish-locale export writes 12/3/2025 for the same day; a bare time is on the event's day."""
    day = datetime(2025, 3, 12).date()
    rows = attendance_files.read_rows(
        "Nombre\tHora de unión\tHora de salida\tCorreo electrónico\r\n"
        "Rosa\t12/3/2025, 10:02:10\t12/3/2025, 11:30:00\trosa@x.org\r\n".encode("utf-16"))
    assert attendance_files.day_order(rows, day) is True
    assert attendance_files.interval(rows[0], True, day) == (datetime(2025, 3, 12, 10, 2, 10),
                                                              datetime(2025, 3, 12, 11, 30))
    assert attendance_files.parse_moment("12/03/2025 12:30:00 p.m.", True, day) == datetime(2025, 3, 12, 12, 30)
    assert attendance_files.parse_moment("12/03/2025 12:10 a. m.", True, day) == datetime(2025, 3, 12, 0, 10)
    assert attendance_files.parse_moment("2025-03-12T13:02:10Z", True, day) == datetime(2025, 3, 12, 13, 2, 10)
    late = attendance_files.ReportRow(1, "", "", "11:50 p. m.", "00:20")
    assert attendance_files.interval(late, False, day)[1] - attendance_files.interval(late, False, day)[0] \
        == datetime(2025, 1, 1, 0, 30) - datetime(2025, 1, 1, 0, 0)


def test_the_threshold_decides_who_attended_in_the_participation_table(client, login, db, event):
    organizer, webinar = event
    login(organizer)
    _import(client, webinar, "zoom_participants.csv")
    url = f"/c/red/webinars/{webinar.id}"
    client.post(f"{url}/attendance", data={"action": "threshold", "threshold": "50"})
    db.session.refresh(webinar)
    assert webinar.attendance_threshold == 50
    page = client.get(f"{url}/participation").get_data(as_text=True)
    assert "Asistieron: presentes al menos el 50% del evento (45 de 90 minutos)." in page
    table = webinars.participation(webinar)
    # Present: Rosa 84, Carlos 75, Ana 30, Mónica 135, Luis 84 (Zoom). Ana's 30 minutes fall short.
    assert table.total.total("attended") == 4 and table.total.cell("attended", "women") == 2
    rows = list(csv.reader(io.StringIO(client.get(f"{url}/participation.csv").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    assert rows[-1] == ["Asistieron: presentes al menos el 50% del evento (45 de 90 minutos)."]
    assert [int(x) for x in rows[1][3:]] == [3, 2, 0, 1, 6, 2, 2, 0, 0, 4]
    # In English, and back to "everyone present": Ana counts again.
    organizer.locale = "en"
    db.session.commit()
    login(organizer)
    client.post(f"{url}/attendance", data={"action": "threshold", "threshold": ""})
    page = client.get(f"{url}/participation").get_data(as_text=True)
    assert "Attended: everyone marked as present." in page
    db.session.refresh(webinar)
    assert webinars.participation(webinar).total.total("attended") == 5
    bad = client.post(f"{url}/attendance", data={"action": "threshold", "threshold": "150"}, follow_redirects=True)
    assert "Use a percentage from 0 to 100, or leave it empty." in bad.get_data(as_text=True)


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("reading the PDF's text needs pdftotext (apt-get install poppler-utils)")
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def test_certificates_go_to_those_who_met_the_rule_in_their_language_and_a_public_page_confirms_them(
        client, login, db, event, smtp, tmp_path):
    organizer, webinar = event
    login(organizer)
    _import(client, webinar, "zoom_participants.csv")
    url = f"/c/red/webinars/{webinar.id}/attendance"
    client.post(url, data={"action": "threshold", "threshold": "50"})
    page = client.get(url).get_data(as_text=True)
    assert "Enviar 4 certificados" in page
    page = client.post(url, data={"action": "certificates"}, follow_redirects=True).get_data(as_text=True)
    assert "4 certificados enviados." in page and "Todas las personas que cumplen la regla tienen su certificado." in page
    assert client.post(url, data={"action": "certificates"}, follow_redirects=True).status_code == 200
    messages = {m["To"]: m for m in _deliver(smtp)}
    assert set(messages) == {"rosa.quispe@cusco.gob.pe", "carlos.mendez@minvu.cl", "monica.herrera@cepal.org",
                             "l.fernandez@correo.ugr.es"}  # once each; not Ana (30 of 90 minutes)

    rosa, monica = messages["rosa.quispe@cusco.gob.pe"], messages["monica.herrera@cepal.org"]
    assert rosa["Subject"] == "Tu certificado: Resiliencia urbana"
    assert monica["Subject"] == "Your certificate: Urban resilience"
    pdfs = {}
    for who, message in (("rosa", rosa), ("monica", monica)):
        parts = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
        assert len(parts) == 1
        pdfs[who] = parts[0].get_content()
        assert pdfs[who].startswith(b"%PDF")
    # The public page, for anyone, from the email's link; a code typed in lower case works too.
    code = db.session.execute(db.select(Registration.certificate_code).filter_by(
        email="rosa.quispe@cusco.gob.pe")).scalar_one()
    client.post("/auth/logout")
    link = link_in(text_part(rosa), "/certificates/")
    assert code in link and link in html_part(rosa)
    page = client.get(link.split("localhost", 1)[-1]).get_data(as_text=True)
    assert "Certificado válido" in page and "Rosa Quispe" in page and "Resiliencia urbana" in page
    assert "rosa.quispe@cusco.gob.pe" not in page
    typed = client.get(f"/certificates/?code={code.lower().replace('-', ' ')}")
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/certificates/{code}")
    client.set_cookie("lang", "en")
    missing = client.get("/certificates/ABCD-2345")
    assert missing.status_code == 404 and "No certificate has the code" in missing.get_data(as_text=True)
    ana = db.session.execute(db.select(Registration).filter_by(email="ana.silva@pucp.edu.pe")).scalar_one()
    assert ana.certificate_code is None

    # Read as a reader would (last: skipped where poppler-utils is missing).
    text = _pdf_text(pdfs["rosa"], tmp_path)
    for expected in ("CERTIFICADO DE PARTICIPACIÓN", "Rosa Quispe", "Resiliencia urbana", "12 de marzo de 2025",
                     "90 minutos", f"Código de verificación: {code}"):
        assert expected in text, expected
    text = _pdf_text(pdfs["monica"], tmp_path)
    for expected in ("CERTIFICATE OF PARTICIPATION", "Mónica Herrera", "Urban resilience", "March 12, 2025",
                     "90 minutes"):
        assert expected in text, expected


def test_certificates_wait_for_the_end_and_only_organizers_send_them(client, login, db, event, make_user):
    """A webinar still running (it ends in 2100 here) sends none, even to someone already present."""
    organizer, webinar = event
    db.session.execute(db.update(Webinar).values(ends_at=webinar.starts_at.replace(year=2100)))
    db.session.execute(db.update(Registration).values(attended=True))
    db.session.commit()
    login(organizer)
    url = f"/c/red/webinars/{webinar.id}/attendance"
    page = client.post(url, data={"action": "certificates"}, follow_redirects=True).get_data(as_text=True)
    assert "Los certificados se pueden enviar cuando el seminario web haya terminado." in page
    assert outbox("webinar_certificate") == [] and "certificados enviados" not in page
    login(make_user("Otra"))
    assert client.post(url, data={"action": "certificates"}).status_code == 403
    assert client.get(f"{url}.csv").status_code == 403
    assert client.post(url, data={"action": "threshold", "threshold": "10"}).status_code == 403


def _deliver(smtp):
    counts = mail.deliver_due()
    assert counts["failed"] == 0 and counts["retrying"] == 0
    return smtp.messages


def test_my_data_holds_my_minutes_and_certificate_and_deleting_the_account_withdraws_it(
        client, login, db, event, make_user):
    import json

    organizer, webinar = event
    login(organizer)
    _import(client, webinar, "zoom_participants.csv")
    client.post(f"/c/red/webinars/{webinar.id}/attendance", data={"action": "certificates"})
    rosa = make_user("Rosa Quispe", email="rosa.quispe@cusco.gob.pe")
    login(rosa)
    [mine] = json.loads(client.get("/auth/account/data").data)["webinar_registrations"]
    assert mine["attended_minutes"] == 84 and mine["joins"] == 2 and mine["certificate_code"]
    code = mine["certificate_code"]
    assert client.get(f"/certificates/{code}").status_code == 200
    webinar_registrations.forget_person(rosa)
    db.session.commit()
    page = client.get(f"/certificates/{code}")
    assert page.status_code == 404 and "Rosa Quispe" not in page.get_data(as_text=True)
    assert webinars.participation(webinar).total.total("attended") == 5  # the figures keep her


def test_a_large_event_sends_its_certificates_a_batch_per_click(client, login, db, event, monkeypatch):
    from forum.services import certificates

    monkeypatch.setattr(certificates, "BATCH", 2)
    organizer, webinar = event
    organizer.locale = "en"
    db.session.commit()
    login(organizer)
    _import(client, webinar, "zoom_participants.csv")  # 5 present, no rule: 5 certificates
    url = f"/c/red/webinars/{webinar.id}/attendance"
    page = client.get(url).get_data(as_text=True)
    assert "5 people are waiting for a certificate; they go out 2 at a time." in page and "Send 2 certificates" in page
    page = client.post(url, data={"action": "certificates"}, follow_redirects=True).get_data(as_text=True)
    assert "2 certificates sent." in page and "3 more to send: press the button again." in page
    page = client.post(url, data={"action": "certificates"}, follow_redirects=True).get_data(as_text=True)
    assert "1 more to send: press the button again." in page
    page = client.post(url, data={"action": "certificates"}, follow_redirects=True).get_data(as_text=True)
    assert "1 certificate sent." in page and "more to send" not in page
    assert len(outbox("webinar_certificate")) == 5
