"""An organizer, in Spanish, creates a forum pair with three questions, reorders them,
previews, schedules it, and sees it open on time."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from forum.extensions import db
from forum.models import ForumPair, utcnow
from forum.services.demo import seed_demo
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser



def test_create_reorder_preview_schedule_open(live_server, new_page):
    seed_demo()
    base = live_server
    page = new_page(locale="es-ES")
    sign_in(page, base, "organizer@demo.example.org", "demo-organizer-2026")
    page.goto(f"{base}/c/red-planificacion")
    page.get_by_role("link", name="Organize").click()  # the organizer prefers English
    page.get_by_role("button", name="Español").click()
    page.get_by_role("link", name="Nuevo par de foros").click()

    page.get_by_label("Dirección").fill("agua-y-territorio")
    page.get_by_label("Título en español").fill("Agua y territorio")
    page.get_by_label("Título en inglés").fill("Water and territory")
    page.get_by_label("Nota conceptual en español (Markdown)").fill("## El agua\n\nLa **gestión del agua** es clave.")
    page.get_by_label("Nota conceptual en inglés (Markdown)").fill("## Water\n\n**Water management** is key.")
    for i, (es, en) in enumerate([("¿Qué falta?", "What is missing?"), ("¿Quién decide?", "Who decides?"),
                                  ("¿Cómo financiar?", "How to fund it?")]):
        page.locator(f"#questions-{i}-title_es").fill(es)
        page.locator(f"#questions-{i}-title_en").fill(en)

    # Reorder: the third question moves up to second place.
    page.get_by_role("button", name="Subir pregunta 3").click()
    assert page.locator("#questions-1-title_es").input_value() == "¿Cómo financiar?"
    assert page.locator("#questions-2-title_es").input_value() == "¿Quién decide?"

    page.get_by_role("button", name="Vista previa de las notas conceptuales").click()
    assert page.locator(".preview strong").first.inner_text() == "gestión del agua"

    # Schedule: it opens tomorrow (the default date), for two months.
    page.get_by_role("button", name="Publicar o programar").click()
    expect(page.locator("body")).to_contain_text("se abrirá solo en la fecha")  # after the redirect
    screenshot(page, "organize-es")

    pair = db.session.execute(db.select(ForumPair).filter_by(slug="agua-y-territorio")).scalar_one()
    assert pair.status == "published" and pair.opens_at > utcnow()
    member = new_page(locale="es-ES")
    member.goto(f"{base}/c/red-planificacion/f/agua-y-territorio-es")
    assert "Abre el" in member.content()
    titles = member.locator("a.thread-title").all_inner_texts()
    assert titles == ["¿Qué falta?", "¿Cómo financiar?", "¿Quién decide?"]

    # Move the clock past the opening time (by moving the forum's dates back, which is the same).
    shift = pair.opens_at - utcnow() + timedelta(seconds=1)
    pair.opens_at -= shift
    pair.closes_at -= shift
    db.session.commit()
    member.reload()
    assert "Abierto, cierra en" in member.content()


@pytest.mark.parametrize("locale", ["es-ES", "en-US"])
def test_organizing_forms_have_no_serious_accessibility_violations(live_server, axe_scan, locale):
    seed_demo()
    admin = ("admin@demo.example.org", "demo-admin-2026")
    pair = db.session.execute(db.select(ForumPair)).scalars().first()
    for path in ("/c/red-planificacion/organize/", "/c/red-planificacion/organize/pairs/new",
                 f"/c/red-planificacion/organize/pairs/{pair.id}/edit",
                 f"/c/red-planificacion/organize/pairs/{pair.id}/announcement",
                 "/c/red-planificacion/organize/settings", "/admin/communities/new"):
        assert axe_scan(live_server + path, locale=locale, login=admin) == [], path
