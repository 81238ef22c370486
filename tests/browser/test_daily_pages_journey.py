"""The pages members and moderators use every day, as they see them: the forum page shows its
guiding questions above the fold (the concept note folds once read), the thread links to the
same question in the other language, the member home, a one-row phone header whose menu opens
without JavaScript, and the dashboard's dates changed with the keyboard."""
import pytest

from forum.extensions import db
from forum.models import ForumPair
from forum.services.demo import seed_demo
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser
MEMBER = ("miembro@demo.example.org", "demo-miembro-2026")
MODERATOR = ("moderador@demo.example.org", "demo-moderador-2026")
FORUM = "/c/red-planificacion/f/resiliencia-territorial"


def test_questions_above_the_fold_and_the_note_folds_once_read(live_server, new_page):
    seed_demo()
    page = new_page(locale="es-ES")
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, *MEMBER)
    page.goto(live_server + FORUM)
    first_question = page.locator("#questions-heading + ol .thread-title").first
    assert first_question.bounding_box()["y"] + 20 < 800, "the first guiding question is below the fold"
    assert page.locator("details.concept-note").get_attribute("open") is not None  # first visit: open
    screenshot(page, "forum-first-visit-es")
    first_question.click()
    thread_url = page.url
    other = page.locator("p.sibling a[hreflang='en']")
    assert other.count() == 1 and "(" in page.locator("p.sibling").inner_text()
    assert page.locator("link[rel=alternate][hreflang=en]").count() == 1
    assert page.locator("article.post-opening").count() == 1 and page.locator(".post-number").count() >= 1
    screenshot(page, "thread-es")
    page.goto(live_server + FORUM)
    assert page.locator("details.concept-note").get_attribute("open") is None  # read once: folded
    assert "Resiliencia" in page.locator(".forum-head").inner_text()
    page.goto(live_server + "/")
    assert page.get_by_role("heading", name="Mis foros").count() == 1
    assert page.locator("#my-forums + ul li").count() >= 1
    screenshot(page, "member-home-es")
    assert thread_url


def test_the_phone_header_is_one_row_with_a_menu_that_opens_without_javascript(live_server, new_page):
    seed_demo()
    page = new_page(locale="en-US", phone=True, java_script_enabled=False)
    page.goto(live_server + FORUM)
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] <= 72, header
    assert page.locator(".site-menu-panel").is_visible() is False
    page.locator("details.site-menu > summary").click()
    assert page.locator(".site-menu-panel").is_visible()
    assert page.locator(".site-menu-panel").get_by_role("link", name="Webinars").is_visible()
    screenshot(page, "phone-menu-open-en")
    assert page.evaluate("document.documentElement.scrollWidth") <= 376


def test_enter_in_the_closing_date_changes_the_closing_date_and_nothing_else(live_server, new_page):
    seed_demo()
    pair = db.session.execute(db.select(ForumPair)).scalars().first()
    opens_before = pair.opens_at
    closes_day = (pair.closes_at.date().toordinal() + 10)
    from datetime import date
    target = date.fromordinal(closes_day)
    page = new_page(locale="es-ES")
    sign_in(page, live_server, *MODERATOR)
    page.goto(f"{live_server}/c/red-planificacion/moderation/pairs/{pair.id}/dashboard")
    assert page.get_by_role("button", name="Abrir ahora").count() == 0  # the forum is open already
    page.locator("#until").fill(target.isoformat())
    with page.expect_navigation():
        page.locator("#until").press("Enter")
    assert "Se cambiaron las fechas del foro." in page.content()
    db.session.expire_all()
    pair = db.session.get(ForumPair, pair.id)
    assert pair.opens_at == opens_before
    assert pair.closes_at.date() in (target, date.fromordinal(closes_day + 1))
    screenshot(page, "dashboard-es")


def test_the_daily_pages_pass_an_accessibility_scan_in_both_languages(live_server, axe_scan):
    seed_demo()
    pair = db.session.execute(db.select(ForumPair)).scalars().first()
    pages = {MEMBER: ["/", FORUM, f"{FORUM}/threads/{_first_question_id()}"],
             MODERATOR: [f"/c/red-planificacion/moderation/pairs/{pair.id}/dashboard"]}
    for login, paths in pages.items():
        for path in paths:
            for locale in ("es-ES", "en-US"):
                assert axe_scan(live_server + path, locale=locale, login=login) == [], (path, locale)


def _first_question_id() -> int:
    from forum.models import Forum, Thread

    forum = db.session.execute(db.select(Forum).filter_by(slug="resiliencia-territorial")).scalar_one()
    return db.session.execute(db.select(Thread.id).filter_by(forum_id=forum.id, position=1)).scalar_one()
