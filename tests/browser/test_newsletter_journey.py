"""An organizer composes a newsletter edition in both languages, previews it, and sends it."""
import pytest

from forum.extensions import db
from forum.models import Newsletter, User, utcnow
from forum.services import newsletters
from forum.services.demo import seed_demo
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser



def test_compose_preview_and_send(live_server, new_page):
    seed_demo()
    member = db.session.execute(db.select(User).filter_by(handle="ana_morales")).scalar_one()
    member.newsletter_opt_in_at = utcnow()
    db.session.commit()
    base = live_server
    page = new_page(locale="es-ES")
    sign_in(page, base, "organizer@demo.example.org", "demo-organizer-2026")
    page.get_by_role("button", name="Español").click()
    page.goto(f"{base}/c/red-planificacion/newsletters/new")
    page.get_by_role("button", name="Agregar secciones sugeridas (foros abiertos, destacados)").click()
    assert "Resiliencia territorial" in page.locator("#body_es").input_value()
    page.get_by_label("Asunto en español").fill("Boletín de la Red: resiliencia territorial")
    page.get_by_label("Asunto en inglés").fill("Network newsletter: territorial resilience")
    page.locator("#body_es").fill("## Novedades\n\nYa está abierto el foro **Resiliencia territorial**.\n\n"
                                 + page.locator("#body_es").input_value())
    page.locator("#body_en").fill("## News\n\nThe forum **Territorial resilience** is open.\n\n"
                                 + page.locator("#body_en").input_value())
    page.get_by_role("button", name="Guardar").click()
    page.get_by_role("link", name="Vista previa en español").click()
    assert "Ya está abierto el foro" in page.content()
    screenshot(page, "newsletter-preview-es")
    page.go_back()
    page.get_by_role("button", name="Enviar ahora").click()
    edition = db.session.execute(db.select(Newsletter)).scalar_one()
    assert edition.status == "scheduled"
    assert newsletters.send_due() == 1
    db.session.refresh(edition)
    assert edition.status == "sent" and edition.recipients == 1


@pytest.mark.parametrize("locale", ["es-ES", "en-US"])
def test_newsletter_pages_have_no_serious_accessibility_violations(live_server, axe_scan, locale):
    seed_demo()
    organizer = ("organizer@demo.example.org", "demo-organizer-2026")
    for path in ("/c/red-planificacion/newsletters/", "/c/red-planificacion/newsletters/new"):
        assert axe_scan(live_server + path, locale=locale, login=organizer) == [], path
    from forum import tokens

    member = db.session.execute(db.select(User).filter_by(handle="ana_morales")).scalar_one()
    for path in (f"/email/preferences/{tokens.make('email-preferences', {'u': member.id})}",
                 f"/email/unsubscribe/{tokens.make('unsubscribe', {'u': member.id, 'c': 'digest'})}"):
        assert axe_scan(live_server + path, locale=locale) == [], path
