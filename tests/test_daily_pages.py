"""The daily pages over HTTP: the forum page's order and folding concept note, the pair at thread
level, the member home, a pair as one card, valid time values, the closing webinar's label once,
and the dashboard offering only the date actions that make sense."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from forum.models import Webinar, utcnow
from forum.services import moderation, posting
from forum.services.membership import add_member
from tests.conftest import forum_of, thread_url


@pytest.fixture
def pair_world(db, make_community, make_pair, make_user):
    community = make_community("red")
    pair = make_pair(community, questions=2)
    member, other = make_user("Ana Morales"), make_user("Ben Charles")
    for person in (member, other):
        add_member(person, community)
    db.session.commit()
    return {"community": community, "pair": pair, "member": member, "other": other}


def _thread(forum, position):
    from forum.extensions import db
    from forum.models import Thread

    return db.session.execute(db.select(Thread).filter_by(forum_id=forum.id, position=position)).scalar_one()


def test_questions_come_before_the_concept_note_which_folds_once_the_member_has_read(client, login, pair_world):
    pair, member = pair_world["pair"], pair_world["member"]
    forum = forum_of(pair, "es")
    url = f"/c/red/f/{forum.slug}"
    login(member)
    page = client.get(url).get_data(as_text=True)
    assert page.index('id="questions-heading"') < page.index('class="concept-note"')
    assert '<details class="concept-note" open>' in page
    client.get(thread_url(_thread(forum, 1)))
    again = client.get(url).get_data(as_text=True)
    assert '<details class="concept-note">' in again and "ábrala para leerla de nuevo" in again
    client.post("/auth/logout")
    assert '<details class="concept-note" open>' in client.get(url).get_data(as_text=True)


def test_a_guiding_question_links_to_its_counterpart_with_hreflang(client, pair_world, db):
    pair = pair_world["pair"]
    es, en = _thread(forum_of(pair, "es"), 1), _thread(forum_of(pair, "en"), 1)
    posting.reply(pair_world["other"], en, "A reply in English")
    db.session.commit()
    page = client.get(thread_url(es)).get_data(as_text=True)
    assert f'href="/c/red/f/{forum_of(pair, "en").slug}/threads/{en.id}" hreflang="en"' in page
    assert "La misma pregunta en inglés:" in page and "(1 respuesta)" in page
    assert re.search(rf"<link rel=\"alternate\" hreflang=\"en\" href=\"http://[^\"]+/threads/{en.id}\">", page)
    assert 'class="post post-opening' in page and "#1</a>" in page


def test_time_values_are_valid_html(client, pair_world):
    page = client.get(thread_url(_thread(forum_of(pair_world["pair"], "es"), 1))).get_data(as_text=True)
    values = re.findall(r'<time datetime="([^"]+)"', page)
    assert values and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v) for v in values), values


def test_the_member_home_shows_my_forums_replies_to_me_and_latest_replies(client, login, pair_world, db,
                                                                         count_queries):
    pair, member, other = pair_world["pair"], pair_world["member"], pair_world["other"]
    question = _thread(forum_of(pair, "es"), 1)
    mine = posting.reply(member, question, "Mi aporte sobre resiliencia")
    db.session.commit()
    posting.reply(other, question, "Respuesta a Ana con una idea nueva", reply_to_id=mine.id)
    db.session.commit()
    login(member)
    with count_queries() as statements:
        page = client.get("/").get_data(as_text=True)
    assert "Mis foros" in page and "Respuesta de Ben Charles" in page
    assert "Respuesta a Ana con una idea nueva" in page  # the latest replies in my communities
    first = len(statements)
    for n in range(5):
        posting.reply(other, question, f"Otra respuesta {n}")
        db.session.commit()
    with count_queries() as statements:
        client.get("/")
    assert len(statements) == first  # more replies, the same queries
    client.post("/auth/logout")
    assert "Mis foros" not in client.get("/").get_data(as_text=True)


def test_an_open_pair_is_one_card_on_the_home_page(client, pair_world):
    page = client.get("/").get_data(as_text=True)
    assert page.count('class="card pair-card"') == 1
    card = page.split('class="card pair-card"')[1].split("</li>")[0]
    assert 'hreflang="es"' in card and 'hreflang="en"' in card


def test_the_closing_webinar_is_labelled_once(client, pair_world, db):
    pair, community = pair_world["pair"], pair_world["community"]
    starts = utcnow() + timedelta(days=70)
    db.session.add(Webinar(community_id=community.id, pair_id=pair.id, title_es="Seminario web de cierre: territorios",
                           title_en="Closing webinar: territories", starts_at=starts, ends_at=starts + timedelta(hours=1),
                           timezone="America/Santiago", status="scheduled", uid="closing@test"))
    db.session.commit()
    page = client.get(f"/c/red/f/{forum_of(pair, 'es').slug}").get_data(as_text=True)
    assert "Seminario web de cierre: territorios" in page and "Seminario web de cierre: Seminario" not in page
    english = client.get(f"/c/red/f/{forum_of(pair, 'en').slug}", headers={"Accept-Language": "en"})
    assert "Closing webinar: Closing webinar" not in english.get_data(as_text=True)


def test_the_dashboard_offers_only_the_date_actions_that_make_sense(client, login, pair_world, db, make_user):
    pair, community = pair_world["pair"], pair_world["community"]
    moderator = make_user("Mod")
    add_member(moderator, community, role="moderator")
    db.session.commit()
    login(moderator)
    page = client.get(f"/c/red/moderation/pairs/{pair.id}/dashboard").get_data(as_text=True)
    assert "Abrir ahora" not in page and "Cerrar ahora" in page
    forms = re.findall(r"<form[^>]*/schedule\"[^>]*>(.*?)</form>", page, re.DOTALL)
    date_form = next(f for f in forms if 'name="until"' in f)
    assert 'value="open"' not in date_form and 'value="extend"' in date_form
    from forum.services import DomainError
    with pytest.raises(DomainError) as refused:
        moderation.reschedule(moderator, pair, action="open")
    assert str(refused.value.message) == "El foro ya está abierto."
