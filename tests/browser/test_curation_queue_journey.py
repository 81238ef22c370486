"""A moderator codes a page of the curation queue with the keyboard: each theme is one key and one
request, moving on is one key and no request, nothing reloads; the queue passes an accessibility
scan in both languages and at phone width."""
import pytest

from forum.extensions import db
from forum.models import ForumPair, PostTheme
from forum.services.demo import seed_demo
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser
MODERATOR = ("moderador@demo.example.org", "demo-moderador-2026")


def test_coding_with_the_keyboard_costs_one_request_per_theme_and_no_page_load(live_server, new_page):
    seed_demo()
    pair = db.session.execute(db.select(ForumPair)).scalars().first()
    queue = f"{live_server}/c/red-planificacion/curation/pairs/{pair.id}/queue?untagged=1"
    page = new_page(locale="es-ES")
    sign_in(page, live_server, *MODERATOR)
    page.goto(queue)
    posts = page.locator(".queue-post")
    coded = min(posts.count(), 3)
    assert coded >= 2
    requests, loads = [], []
    page.on("request", lambda r: requests.append(r) if r.method == "POST" else None)
    page.on("framenavigated", lambda frame: loads.append(frame.url) if frame == page.main_frame else None)
    page.keyboard.press("j")
    page.keyboard.press("k")  # back to the first post: the keys move, nothing is sent
    assert requests == []
    ids = []
    for index in range(coded):
        post = posts.nth(index)
        ids.append(int(post.get_attribute("id").split("-")[1]))
        page.keyboard.press("1")
        post.locator(".status", has_text="Tema agregado.").wait_for()
        assert post.locator("button[data-key='1']").get_attribute("aria-pressed") == "true"
        page.keyboard.press("j")
    assert len(requests) == coded and loads == []
    screenshot(page, "curation-queue-es")
    db.session.expire_all()
    first_theme = pair.themes[0].id
    saved = set(db.session.execute(db.select(PostTheme.post_id).where(
        PostTheme.post_id.in_(ids), PostTheme.theme_id == first_theme)).scalars())
    assert saved == set(ids)


def test_the_queue_passes_an_accessibility_scan(live_server, axe_scan, new_page):
    seed_demo()
    pair = db.session.execute(db.select(ForumPair)).scalars().first()
    url = f"{live_server}/c/red-planificacion/curation/pairs/{pair.id}/queue"
    for locale in ("es-ES", "en-US"):
        assert axe_scan(url, locale=locale, login=MODERATOR) == [], locale
    phone = new_page(locale="en-US", phone=True)
    sign_in(phone, live_server, *MODERATOR)
    phone.goto(url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    screenshot(phone, "curation-queue-phone-en")


ORGANIZER = ("organizer@demo.example.org", "demo-organizer-2026")


def test_two_coders_settle_a_disagreement_on_the_agreement_page(live_server, axe_scan, new_page):
    """Two coders' codes, the agreement page in both languages and at phone width, and one
    disagreement settled with a click."""
    from forum.models import Post, User
    from forum.services import agreement

    seed_demo()
    pair = db.session.execute(db.select(ForumPair)).scalars().first()
    carlos, marcia = (db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
                      for email, _password in (MODERATOR, ORGANIZER))
    agreement.set_independent(carlos, pair, True)
    replies = db.session.execute(db.select(Post).where(Post.number > 1).order_by(Post.id)).scalars().all()[:6]
    first, second = pair.themes[0].id, pair.themes[1].id
    for index, post in enumerate(replies):
        agreement.toggle(carlos, post, first, True)
        agreement.toggle(marcia, post, first if index % 3 else second, True)
    url = f"{live_server}/c/red-planificacion/curation/pairs/{pair.id}/agreement"
    for locale in ("es-ES", "en-US"):
        assert axe_scan(url, locale=locale, login=MODERATOR) == [], locale
    page = new_page(locale="es-ES")
    sign_in(page, live_server, *MODERATOR)
    page.goto(url)
    heading = page.locator("#disagreements")
    assert heading.inner_text() == "4 desacuerdos por resolver"
    screenshot(page, "coding-agreement-es")
    with page.expect_navigation():
        page.get_by_role("button", name="Aplicar el tema").first.click()
    assert page.locator("#disagreements").inner_text() == "3 desacuerdos por resolver"
    assert "Resuelto" in page.locator(".flash, [role=status], [role=alert]").first.inner_text()
    phone = new_page(locale="en-US", phone=True)
    sign_in(phone, live_server, *MODERATOR)
    phone.goto(url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    screenshot(phone, "coding-agreement-phone-en")
