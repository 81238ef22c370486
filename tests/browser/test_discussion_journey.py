"""A member reads, quotes a passage, replies to a post, keeps a draft; the author is notified; search finds it."""
import re

import pytest

from forum.extensions import db
from forum.models import Forum, Post, Thread
from forum.services.demo import seed_demo
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser



def test_quote_reply_notify_search(live_server, new_page):
    seed_demo()
    forum = db.session.execute(db.select(Forum).filter_by(slug="resiliencia-territorial")).scalar_one()
    thread = db.session.execute(db.select(Thread).filter_by(forum_id=forum.id, position=2)).scalar_one()
    target = db.session.execute(
        db.select(Post).filter_by(thread_id=thread.id).order_by(Post.number.desc())).scalars().first()
    thread_url = f"{live_server}/c/red-planificacion/f/{forum.slug}/threads/{thread.id}"

    page = new_page(locale="es-ES")
    sign_in(page, live_server, "miembro@demo.example.org", "demo-miembro-2026")
    page.goto(thread_url)

    # Select a passage of the organizer's post and quote just that passage.
    page.evaluate("""(id) => {
        const p = document.querySelector(`.post-body[data-post-id="${id}"] p`);
        const range = document.createRange();
        range.setStart(p.firstChild, 0);
        range.setEnd(p.firstChild, 40);
        const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
    }""", target.id)
    passage = page.evaluate("String(window.getSelection())").strip()
    page.locator(f'a.quote-link[data-post-id="{target.id}"]').click()
    box = page.locator("#body")
    assert box.input_value().startswith(f"> {passage}")
    box.press("End")
    box.type("Coincido: la coordinación vertical es clave en Valparaíso.")

    # The draft survives a reload.
    page.wait_for_timeout(600)
    page.reload()
    assert "coordinación vertical" in page.locator("#body").input_value()

    # Quote again (now the whole post, through the server) and post.
    page.goto(f"{thread_url}?reply_to={target.id}&quote=1#reply")
    page.locator("#body").fill(f"> {passage}\n\nCoincido: la coordinación vertical es clave en Valparaíso.")
    page.get_by_role("button", name="Publicar respuesta").click()
    reply = page.locator("article.post").last
    assert "En respuesta a Marcia Charles" in reply.inner_text()
    assert "coordinación vertical" in reply.inner_text()
    # After a successful post the draft is gone.
    page.reload()
    assert page.locator("#body").input_value() == ""

    # The organizer is told, in the bell and the list.
    other = new_page(locale="en-US")
    sign_in(other, live_server, "organizer@demo.example.org", "demo-organizer-2026")
    bell = other.locator("a.bell:visible")
    assert re.search(r"Notifications\s*1", bell.inner_text())
    bell.click()
    assert "Ana Morales replied to your post" in other.locator("main").inner_text()
    other.locator(".notification a").first.click()
    assert "coordinación vertical" in other.locator("article.post").last.inner_text()

    # Search finds the reply, highlighted.
    page.goto(f"{live_server}/search/?q=vertical")
    assert page.locator(".result mark").first.inner_text().lower() == "vertical"
    screenshot(page, "search-es")


def test_phone_thread_with_a_wide_post_does_not_scroll_sideways(live_server, new_page):
    seed_demo()
    thread = db.session.execute(db.select(Thread).filter_by(position=1)).scalars().first()
    from forum.models import User
    from forum.services import posting

    member = db.session.execute(db.select(User).filter_by(handle="ana_morales")).scalar_one()
    table = "| " + " | ".join(f"col{i}" for i in range(10)) + " |\n|" + "---|" * 10 + "\n| " + " | ".join("valor" for _ in range(10)) + " |"
    posting.add_post(thread, member, table + "\n\n```\n" + "x" * 300 + "\n```\n\nhttps://example.org/" + "a" * 200)
    db.session.commit()
    page = new_page(locale="es-ES", phone=True)
    page.goto(f"{live_server}/c/red-planificacion/f/{thread.forum.slug}/threads/{thread.id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "thread-phone-wide-post")


@pytest.mark.parametrize("locale", ["es-ES", "en-US"])
def test_thread_and_search_pages_have_no_serious_accessibility_violations(live_server, axe_scan, locale):
    seed_demo()
    thread = db.session.execute(db.select(Thread).filter_by(position=1)).scalars().first()
    for url in (f"{live_server}/c/red-planificacion/f/{thread.forum.slug}/threads/{thread.id}",
                f"{live_server}/search/?q=resiliencia", f"{live_server}/u/ana_morales",
                f"{live_server}/c/red-planificacion/f/{thread.forum.slug}/participants"):
        assert axe_scan(url, locale=locale) == [], url


def test_drafts_belong_to_one_person_and_leave_with_them(live_server, new_page):
    seed_demo()
    thread = db.session.execute(db.select(Thread).filter_by(position=1)).scalars().first()
    url = f"{live_server}/c/red-planificacion/f/{thread.forum.slug}/threads/{thread.id}"
    page = new_page(locale="es-ES")
    sign_in(page, live_server, "miembro@demo.example.org", "demo-miembro-2026")
    page.goto(url)
    page.locator("#body").fill("Un borrador a medias")
    page.wait_for_timeout(600)
    keys = page.evaluate("Object.keys(localStorage)")
    assert any(k.startswith(f"draft:reply-{thread.id}-u") for k in keys)
    page.get_by_role("button", name="Cerrar sesión").click()
    assert not any(k.startswith("draft:") for k in page.evaluate("Object.keys(localStorage)"))
    sign_in(page, live_server, "moderador@demo.example.org", "demo-moderador-2026")
    page.goto(url)
    assert page.locator("#body").input_value() == ""
