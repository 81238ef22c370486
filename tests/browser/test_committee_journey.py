"""A committee member answers a closed round (single choice, scale, ranking), then changes it."""
import pytest

from forum.extensions import db
from forum.models import Ballot, Round
from forum.services.demo import seed_demo
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_a_member_answers_the_questionnaire_and_changes_the_answer(live_server, new_page):
    seed_demo()
    round_ = db.session.execute(db.select(Round).filter_by(kind="questionnaire")).scalar_one()
    page = new_page(locale="es-ES", phone=True)
    sign_in(page, live_server, "miembro@demo.example.org", "demo-miembro-2026")
    page.goto(f"{live_server}/c/red-planificacion")
    page.get_by_role("link", name="Comités y consultas").click()
    page.get_by_role("link", name="Consulta sobre un índice de resiliencia territorial").click()
    page.get_by_role("link", name="Primera ronda: dimensiones y criterios").click()
    assert page.get_by_text("Todavía no respondiste.").is_visible()
    page.get_by_role("button", name="Enviar mi respuesta").click()
    assert page.get_by_text("Elige una opción.").is_visible()
    page.get_by_label("Ambiental").check()
    page.get_by_label("4 · De acuerdo").check()
    page.get_by_label("Comentario (opcional)").fill("Con datos municipales <b>comparables</b>.")
    for label, place in (("Pertinencia", "1"), ("Disponibilidad de datos", "2"), ("Comparabilidad", "3")):
        page.get_by_label(label).select_option(place)
    page.get_by_role("button", name="Enviar mi respuesta").click()
    assert page.get_by_text("Tu respuesta quedó guardada.").is_visible()
    assert page.get_by_label("Ambiental").is_checked()
    screenshot(page, "committee-round-answered-phone-es")
    page.get_by_label("Institucional").check()
    page.get_by_role("button", name="Cambiar mi respuesta").click()
    assert page.get_by_label("Institucional").is_checked()
    assert db.session.execute(db.select(Ballot).filter_by(round_id=round_.id)).scalars().all().__len__() == 1


@pytest.mark.parametrize("locale", ["es-ES", "en-US"])
def test_committee_pages_have_no_serious_accessibility_violations(live_server, axe_scan, locale):
    seed_demo()
    round_ = db.session.execute(db.select(Round).filter_by(kind="questionnaire")).scalar_one()
    member = ("miembro@demo.example.org", "demo-miembro-2026")
    organizer = ("organizer@demo.example.org", "demo-organizer-2026")
    for path in ("/c/red-planificacion/processes/", f"/c/red-planificacion/processes/{round_.process_id}",
                 f"/c/red-planificacion/rounds/{round_.id}"):
        assert axe_scan(live_server + path, locale=locale, login=member) == [], path
    for path in (f"/c/red-planificacion/rounds/{round_.id}",
                 f"/c/red-planificacion/processes/{round_.process_id}/rounds/new"):
        assert axe_scan(live_server + path, locale=locale, login=organizer) == [], path
