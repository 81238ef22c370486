"""Ask to join a community that needs approval, get approved, take part."""
import pytest

from forum.extensions import db
from forum.models import Community, Forum, ForumPair, Membership, User, utcnow
from forum.services import posting
from forum.services.demo import seed_demo
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser



@pytest.fixture
def committee():
    """A members-only committee that accepts members after approval, with a forum pair."""
    from datetime import timedelta

    seed_demo()
    moderator = db.session.execute(db.select(User).filter_by(handle="carlos_perez")).scalar_one()
    community = Community(slug="comite-tecnico", name_es="Comité técnico", name_en="Technical committee",
                          description_es="Expertos de los países.", description_en="Country experts.",
                          visibility="members", join_policy="approval", timezone="America/Santiago")
    db.session.add(community)
    db.session.flush()
    db.session.add(Membership(user_id=moderator.id, community_id=community.id, role="moderator"))
    community.member_count = 1
    pair = ForumPair(community_id=community.id, slug="ronda-1", opens_at=utcnow() - timedelta(days=1),
                     closes_at=utcnow() + timedelta(days=30))
    db.session.add(pair)
    db.session.flush()
    forum = Forum(pair_id=pair.id, community_id=community.id, language="es", slug="ronda-1-es",
                  title="Primera ronda", concept_note_md="", concept_note_html="")
    db.session.add(forum)
    db.session.flush()
    posting.create_thread(forum, moderator, title="¿Qué dimensiones debe medir el observatorio?",
                          body="Propongan dimensiones.", kind="guiding_question", position=1)
    db.session.commit()
    return community


def test_request_approve_post(live_server, new_page, committee):
    base = live_server
    person = new_page(locale="es-ES")
    sign_in(person, base, "daniel.joseph@demo.example.org", "demo-participant-2026")
    person.goto(f"{base}/c/comite-tecnico")
    assert "Only members can read this community's forums." in person.content()
    person.get_by_label("Why would you like to join? (optional)").fill("I coordinate planning in Dominica.")
    person.get_by_role("button", name="Ask to join").click()
    assert "Your request is sent" in person.content()

    moderator = new_page(locale="es-ES")
    sign_in(moderator, base, "moderador@demo.example.org", "demo-moderador-2026")
    moderator.goto(f"{base}/c/comite-tecnico")
    moderator.get_by_role("link", name="1 solicitud para unirse").click()
    assert "I coordinate planning in Dominica." in moderator.content()
    screenshot(moderator, "requests-es")
    moderator.get_by_role("button", name="Aprobar").click()
    assert "Daniel Joseph ahora es miembro." in moderator.content()

    person.goto(f"{base}/c/comite-tecnico")
    person.get_by_role("link", name="Primera ronda").click()
    person.locator("a.thread-title").first.click()
    person.get_by_label("Your reply").fill("Resilience of critical infrastructure, as a dimension.")
    person.get_by_role("button", name="Post reply").click()
    assert "critical infrastructure" in person.locator("article.post").last.inner_text()


@pytest.mark.parametrize("locale", ["es-ES", "en-US"])
def test_community_pages_have_no_serious_accessibility_violations(live_server, axe_scan, locale):
    seed_demo()
    for path in ("/c/", "/c/red-planificacion", "/c/red-planificacion/resources/", "/auth/login", "/auth/reset"):
        assert axe_scan(live_server + path, locale=locale) == [], path


@pytest.mark.parametrize("locale", ["es-ES", "en-US"])
def test_signed_in_pages_have_no_serious_accessibility_violations(live_server, axe_scan, locale):
    from forum.mail import queue_email

    seed_demo()
    for n, status in enumerate(("failed", "unknown")):  # the outbox page lists them, with resend buttons
        queue_email(to=f"p{n}@example.org", template="confirm_email", dedupe_key=f"a11y:{n}", locale="es",
                    user=User(display_name="Persona"), token="t").status = status
    db.session.commit()
    admin = ("admin@demo.example.org", "demo-admin-2026")
    for path in ("/c/red-planificacion/members/", "/c/red-planificacion/members/invite",
                 "/c/red-planificacion/members/import", "/c/red-planificacion/members/requests",
                 "/c/red-planificacion/resources/new", "/auth/profile", "/notifications/", "/admin/users",
                 "/admin/outbox", "/auth/account/delete"):
        assert axe_scan(live_server + path, locale=locale, login=admin) == [], path
