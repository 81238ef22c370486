"""A person without an account registers for the closing webinar, confirms by email, downloads
the calendar invitation; the event pages pass an accessibility scan, on a phone too."""
import re

import pytest
import vobject

from forum.extensions import db
from forum.models import Registration, Webinar
from forum.services.demo import seed_demo
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import outbox

pytestmark = pytest.mark.browser


def test_a_guest_registers_confirms_and_downloads_the_invitation(live_server, new_page, tmp_path):
    seed_demo()
    webinar = db.session.execute(db.select(Webinar)).scalar_one()
    base = live_server
    page = new_page(locale="es-ES", phone=True)
    page.goto(f"{base}/c/red-planificacion")
    page.get_by_role("link", name=webinar.title_es).click()
    assert page.get_by_role("heading", level=1).inner_text() == webinar.title_es
    assert webinar.join_url not in page.content()
    page.locator("summary", has_text="Hora en las capitales de la región").click()
    assert page.get_by_role("row", name=re.compile("Puerto España")).is_visible()
    screenshot(page, "webinar-event-phone-es")
    page.get_by_role("link", name="Inscribirme sin cuenta").click()
    page.get_by_role("button", name="Inscribirme").click()
    assert page.get_by_text("Escribe tu nombre.").is_visible()
    page.get_by_label("Nombre").fill("Lucía <script>alert('x')</script> Gómez")
    page.get_by_label("Correo electrónico").fill("lucia.gomez@example.org")
    page.get_by_label("País").select_option("CO")
    page.get_by_label("Institución").fill("Departamento Nacional de Planeación")
    page.get_by_label("Sector", exact=True).select_option("national_government")
    page.get_by_role("button", name="Inscribirme").click()
    assert page.get_by_role("heading", name="Revisa tu correo").is_visible()

    [message] = outbox("webinar_confirm")
    link = re.search(r"https?://\S*/webinars/confirm/\S+", message.body_text).group(0)
    page.goto(base + link.split("localhost", 1)[-1] if "localhost" in link else link)
    assert page.get_by_text("Tu inscripción está confirmada.").is_visible()
    assert page.get_by_role("link", name="Entrar al seminario web").get_attribute("href") == webinar.join_url
    screenshot(page, "webinar-registration-guest")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Añadir al calendario (.ics)").click()
    path = tmp_path / "invite.ics"
    download_info.value.save_as(path)
    calendar = vobject.readOne(path.read_text(encoding="utf-8"))
    assert calendar.vevent.uid.value == webinar.uid
    assert calendar.vevent.attendee.value == "mailto:lucia.gomez@example.org"
    registration = db.session.execute(db.select(Registration).filter_by(email="lucia.gomez@example.org")).scalar_one()
    assert registration.status == "registered" and "<script>" not in page.content().split("<body")[1].split("forum.js")[0]


def test_an_organizer_sees_the_participation_table(live_server, new_page):
    seed_demo()
    webinar = db.session.execute(db.select(Webinar)).scalar_one()
    page = new_page(locale="en-US")
    sign_in(page, live_server, "organizer@demo.example.org", "demo-organizer-2026")
    page.goto(f"{live_server}/c/red-planificacion/webinars/{webinar.id}")
    page.get_by_role("link", name="Participation table").click()
    assert page.get_by_role("table", name="By country").is_visible()
    screenshot(page, "webinar-participation-en")


@pytest.mark.parametrize("locale", ["es-ES", "en-US"])
def test_webinar_pages_have_no_serious_accessibility_violations(live_server, axe_scan, locale):
    seed_demo()
    webinar = db.session.execute(db.select(Webinar)).scalar_one()
    event = f"/c/red-planificacion/webinars/{webinar.id}"
    for path in ("/webinars/", event, f"{event}/register/guest"):
        assert axe_scan(live_server + path, locale=locale) == [], path
    organizer = ("organizer@demo.example.org", "demo-organizer-2026")
    for path in (event, f"{event}/edit", f"{event}/attendance", f"{event}/participation"):
        assert axe_scan(live_server + path, locale=locale, login=organizer) == [], path
