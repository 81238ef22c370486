"""After the webinar: the organizer uploads the Zoom export and sees each person's minutes, sets
the rule (half the event), sends the certificates; someone handed a certificate types its code
on the public page, on a phone, and the page confirms it. Both pages pass an accessibility scan."""
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from forum.extensions import db
from forum.models import Registration, Webinar
from forum.services.demo import seed_demo
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import outbox

pytestmark = pytest.mark.browser

ZOOM = Path(__file__).resolve().parents[1] / "data" / "zoom_participants.csv"
ORGANIZER = ("organizer@demo.example.org", "demo-organizer-2026")


def _past_webinar() -> Webinar:
    """The demo webinar, moved to the sample's day (12 March 2025, 10:00 in Santiago), with the
    sample's people registered."""
    seed_demo()
    webinar = db.session.execute(db.select(Webinar)).scalar_one()
    webinar.starts_at = datetime(2025, 3, 12, 13, 0, tzinfo=UTC)
    webinar.duration_minutes = 90
    webinar.ends_at = webinar.starts_at + timedelta(minutes=90)
    for email, name, locale in (("rosa.quispe@cusco.gob.pe", "Rosa Quispe", "es"),
                                ("ana.silva@pucp.edu.pe", "Ana Silva", "en"),
                                ("monica.herrera@cepal.org", "Mónica Herrera", "en")):
        db.session.add(Registration(webinar_id=webinar.id, email=email, name=name, locale=locale, country="PE",
                                    status="registered", confirmed_at=webinar.starts_at))
    db.session.commit()
    return webinar


def test_minutes_from_a_zoom_export_then_a_certificate_checked_by_its_code(live_server, new_page):
    webinar = _past_webinar()
    base = live_server
    page = new_page(locale="en-US")  # the demo organizer writes in English
    sign_in(page, base, *ORGANIZER)
    page.goto(f"{base}/c/{webinar.community.slug}/webinars/{webinar.id}/attendance")
    page.get_by_label("Attendance report (CSV)").set_input_files(str(ZOOM))
    page.get_by_role("button", name="Import", exact=True).click()
    assert page.get_by_text("Minutes read for 3 people.").is_visible()
    rosa = page.get_by_role("row", name="Rosa Quispe")
    assert rosa.get_by_role("cell", name="84", exact=True).is_visible()
    assert rosa.get_by_role("cell", name="93%", exact=True).is_visible()
    screenshot(page, "attendance-minutes-en")

    page.get_by_label("Minimum share of the event, in percent").fill("50")
    page.get_by_role("button", name="Apply the rule").click()
    assert page.get_by_text("Attended: present for at least 50% of the event (45 of 90 minutes).").is_visible()
    assert page.get_by_role("row", name="Ana Silva").get_by_role("cell", name="no", exact=True).first.is_visible()
    page.get_by_role("button", name="Send 2 certificates").click()
    assert page.get_by_text("2 certificates sent.").is_visible()
    assert {m.to_address for m in outbox("webinar_certificate")} == {"rosa.quispe@cusco.gob.pe",
                                                                     "monica.herrera@cepal.org"}
    code = db.session.execute(db.select(Registration.certificate_code).filter_by(
        email="monica.herrera@cepal.org")).scalar_one()

    reader = new_page(locale="es-ES", phone=True)
    reader.goto(f"{base}/certificates/")
    reader.get_by_label("Código de verificación").fill(code.lower().replace("-", " "))
    reader.get_by_role("button", name="Verificar").click()
    assert reader.url.endswith(f"/certificates/{code}")
    assert reader.get_by_role("heading", name="Certificado válido").is_visible()
    assert reader.get_by_text("Mónica Herrera").is_visible()
    assert "monica.herrera@cepal.org" not in reader.content()
    screenshot(reader, "certificate-verified-phone-es")
    reader.get_by_label("Código de verificación").fill("ABCD-2345")
    reader.get_by_role("button", name="Verificar").click()
    assert reader.get_by_text("Ningún certificado tiene el código").is_visible()


@pytest.mark.parametrize("locale", ["es-ES", "en-US"])
def test_attendance_and_verification_pages_have_no_serious_accessibility_violations(live_server, axe_scan, locale):
    webinar = _past_webinar()
    rosa = db.session.execute(db.select(Registration).filter_by(email="rosa.quispe@cusco.gob.pe")).scalar_one()
    rosa.attended, rosa.attended_minutes, rosa.joins = True, 84, 2
    rosa.certificate_code, rosa.certificate_sent_at = "K7QM-3XPA", datetime(2025, 3, 13, tzinfo=UTC)
    webinar.attendance_threshold = 50
    db.session.commit()
    assert axe_scan(f"{live_server}/certificates/K7QM-3XPA", locale=locale) == []
    assert axe_scan(f"{live_server}/certificates/", locale=locale) == []
    event = f"{live_server}/c/{webinar.community.slug}/webinars/{webinar.id}"
    for path in ("/attendance", "/participation"):
        assert axe_scan(event + path, locale=locale, login=ORGANIZER) == [], path
