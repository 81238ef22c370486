"""A moderator exports the demo forum's synthesis from the forum page and opens the Word file."""
import re

import docx
import pytest

from forum.services.demo import seed_demo
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_a_moderator_downloads_the_word_report(live_server, new_page, tmp_path):
    seed_demo()
    page = new_page(locale="es-ES")
    sign_in(page, live_server, "moderador@demo.example.org", "demo-moderador-2026")
    page.goto(f"{live_server}/c/red-planificacion/f/resiliencia-territorial")
    page.get_by_role("link", name="Exportar la sistematización").click()
    assert page.get_by_role("heading", name="Exportar la sistematización").is_visible()
    page.get_by_label("Anonimizar a los autores").check()
    screenshot(page, "synthesis-export-form-es")
    page.get_by_role("button", name="Descargar").click()
    # Anonymised: first what may still identify someone, each with a link to its post.
    assert page.get_by_role("heading", name="Antes de compartir este archivo").is_visible()
    assert page.get_by_role("link", name="Leer la publicación").count() >= 1
    screenshot(page, "synthesis-review-es")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Ya los leí: descargar").click()
    path = tmp_path / "informe.docx"
    download_info.value.save_as(path)
    document = docx.Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Nota conceptual" in headings and "Participación" in headings
    assert any(h.startswith("Pregunta orientadora 1:") for h in headings)
    text = "\n".join(p.text for p in document.paragraphs)
    assert re.search(r"Participante \d+", text) and "Ana Morales" not in text


@pytest.mark.parametrize("locale", ["es-ES", "en-US"])
def test_the_export_page_has_no_serious_accessibility_violations(live_server, axe_scan, locale):
    seed_demo()
    from forum.extensions import db
    from forum.models import ForumPair

    pair = db.session.execute(db.select(ForumPair)).scalar_one()
    path = f"/c/red-planificacion/pairs/{pair.id}/export"
    assert axe_scan(live_server + path, locale=locale,
                    login=("moderador@demo.example.org", "demo-moderador-2026")) == [], path
