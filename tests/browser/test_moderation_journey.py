"""A member flags a post; the moderator, in Spanish, reviews it, hides and restores it,
tags it with a theme and marks it as a highlight; the dashboard shows the pair."""
import pytest

from forum.extensions import db
from forum.models import Forum, ForumPair, Post, PostTheme, Thread
from forum.services.demo import seed_demo
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser



def test_flag_review_hide_restore_tag_highlight(live_server, new_page):
    seed_demo()
    base = live_server
    forum = db.session.execute(db.select(Forum).filter_by(slug="resiliencia-territorial")).scalar_one()
    thread = db.session.execute(db.select(Thread).filter_by(forum_id=forum.id, position=3)).scalar_one()
    target = db.session.execute(db.select(Post).filter_by(thread_id=thread.id, number=2)).scalar_one()
    url = f"{base}/c/red-planificacion/f/{forum.slug}/threads/{thread.id}"

    member = new_page(locale="es-ES")
    sign_in(member, base, "miembro@demo.example.org", "demo-miembro-2026")
    member.goto(f"{base}/posts/{target.id}/flag")
    member.get_by_label("Fuera de tema").check()
    member.get_by_role("button", name="Enviar el reporte").click()
    assert "Gracias: los moderadores revisarán esta publicación." in member.content()

    mod = new_page(locale="es-ES")
    sign_in(mod, base, "moderador@demo.example.org", "demo-moderador-2026")
    mod.goto(f"{base}/c/red-planificacion/moderation/")
    assert "Fuera de tema" in mod.locator("#flags-heading + article").inner_text()
    mod.locator(f"#reason-{target.id}").fill("Datos que no corresponden al foro")
    mod.get_by_label("Ocultar la publicación").check()
    mod.get_by_role("button", name="Resolver los reportes").click()
    member.goto(url)
    assert "Datos que no corresponden al foro" in member.locator(f"#post-{target.id}").inner_text()

    mod.goto(url)
    mod.locator(f"#post-{target.id} summary", has_text="Moderar").click()  # one menu per post
    mod.locator(f"#post-{target.id}").get_by_role("button", name="Restaurar").click()
    member.goto(url)
    assert "Datos que no corresponden" not in member.locator(f"#post-{target.id}").inner_text()

    mod.goto(url)
    card = mod.locator(f"#post-{target.id}")
    card.locator("summary", has_text="Moderar").click()
    card.get_by_label("Incertidumbre").check()
    card.get_by_role("button", name="Guardar temas").click()
    assert f"#post-{target.id}" in mod.url  # saving returns to the same post, not to the top
    mod.locator(f"#post-{target.id} summary", has_text="Moderar").click()
    mod.locator(f"#post-{target.id}").get_by_role("button", name="Destacar").click()
    db.session.expire_all()
    post = db.session.get(Post, target.id)
    assert post.is_highlight and post.hidden_at is None
    assert db.session.execute(db.select(PostTheme).filter_by(post_id=target.id)).first() is not None

    pair = db.session.execute(db.select(ForumPair)).scalars().first()
    mod.goto(f"{base}/c/red-planificacion/moderation/pairs/{pair.id}/dashboard")
    assert mod.locator("svg").count() >= 3
    screenshot(mod, "dashboard-es")
    mod.goto(f"{base}/c/red-planificacion/moderation/pairs/{pair.id}/curate?question=3")
    screenshot(mod, "curate-es")
    mod.goto(f"{base}/c/red-planificacion/moderation/log")
    log = mod.locator("main").inner_text()
    assert "ocultó una publicación reportada" in log
    assert "restauró una publicación" in log and "marcó un destacado" in log


@pytest.mark.parametrize("locale", ["es-ES", "en-US"])
def test_moderation_pages_have_no_serious_accessibility_violations(live_server, axe_scan, locale):
    seed_demo()
    pair = db.session.execute(db.select(ForumPair)).scalars().first()
    moderator = ("moderador@demo.example.org", "demo-moderador-2026")
    post = db.session.execute(db.select(Post).where(Post.number == 2)).scalars().first()
    for path in ("/c/red-planificacion/moderation/", f"/c/red-planificacion/moderation/pairs/{pair.id}/curate",
                 f"/c/red-planificacion/moderation/pairs/{pair.id}/dashboard", "/c/red-planificacion/moderation/log",
                 f"/c/red-planificacion/moderation/posts/{post.id}/hide", f"/posts/{post.id}/flag"):
        assert axe_scan(live_server + path, locale=locale, login=moderator) == [], path
