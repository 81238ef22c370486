"""A visitor becomes a participant: language, registration, confirmation, joining, replying."""
import re

import pytest

from forum.extensions import db
from forum.models import OutboxMessage, Thread
from forum.services.demo import seed_demo
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def confirm_link_for(email: str) -> str:
    message = db.session.execute(
        db.select(OutboxMessage).filter_by(to_address=email, kind="confirm_email")
    ).scalar_one()
    return re.search(r"https?://\S+/auth/confirm/\S+", message.body_text).group(0)


def test_visitor_registers_confirms_joins_and_replies(live_server, new_page):
    seed_demo()
    page = new_page(locale="es-ES")
    page.goto(live_server)
    assert page.locator("h2#open-forums").inner_text() == "Foros abiertos"

    page.get_by_role("button", name="English").click()
    assert page.locator("h2#open-forums").inner_text() == "Open forums"

    page.get_by_role("link", name="Register").click()
    page.get_by_label("Name").fill("Valentina Ríos")
    page.get_by_label("Email").fill("valentina@example.org")
    page.get_by_label("Password", exact=True).fill("una clave muy larga")
    page.get_by_label("Repeat the password").fill("una clave muy larga")
    page.get_by_role("button", name="Register").click()
    assert "Confirm your email address" in page.locator("h1").inner_text()

    link = confirm_link_for("valentina@example.org")
    page.goto(link.replace("http://localhost", live_server))
    assert "Your email address is confirmed" in page.content()

    page.goto(f"{live_server}/c/red-planificacion")
    page.get_by_role("button", name="Join this community").click()
    assert "You are now a member of the community “Planning Network”" in page.content()

    page.get_by_role("link", name="Territorial resilience").first.click()
    assert page.get_by_role("link", name="Resiliencia territorial").count() >= 1
    page.locator("a.thread-title").first.click()
    page.get_by_label("Your reply").fill("From Bogotá: **coordination** across levels of government is key.")
    page.get_by_role("button", name="Post reply").click()

    reply = page.locator("article.post").last
    assert "coordination" in reply.locator("strong").inner_text()
    assert "Valentina Ríos" in reply.inner_text()
    assert re.search(r"#post-\d+$", page.url)
    screenshot(page, "thread-after-reply")


def test_phone_width_thread_is_readable(live_server, new_page):
    seed_demo()
    thread = db.session.execute(db.select(Thread).filter_by(position=1)).scalars().first()
    page = new_page(locale="es-ES", phone=True)
    page.goto(f"{live_server}/c/red-planificacion/f/{thread.forum.slug}/threads/{thread.id}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide on a 375px phone"
    screenshot(page, "thread-phone-es")


@pytest.mark.parametrize("locale", ["es-ES", "en-US"])
def test_home_forum_and_thread_pages_have_no_serious_accessibility_violations(live_server, axe_scan, locale):
    seed_demo()
    thread = db.session.execute(db.select(Thread).filter_by(position=1)).scalars().first()
    forum = f"{live_server}/c/red-planificacion/f/{thread.forum.slug}"
    for url in (live_server + "/", forum, f"{forum}/threads/{thread.id}", live_server + "/auth/register"):
        violations = axe_scan(url, locale=locale)
        assert violations == [], (url, violations)
