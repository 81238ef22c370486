"""Languages are data: a forum group in Spanish, English and Portuguese runs with nothing changed
but Portuguese enabled in the LANGUAGES setting: concept notes, questions matched by position,
curation side by side, the synthesis note and the export."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum import timezones
from forum.models import ForumPair, SynthesisNote, Thread, utcnow
from forum.services import organizing, posting
from forum.services.membership import add_member
from tests.conftest import forum_of, thread_url

LANGS = ("es", "en", "pt")
QUESTIONS = [{"es": "¿Quién decide sobre el agua?", "en": "Who decides about water?",
              "pt": "Quem decide sobre a água?"},
             {"es": "¿Qué falta?", "en": "What is missing?", "pt": "O que falta?"}]
REPLIES = {"es": "Los comités de cuenca deciden poco.", "en": "Basin committees decide little.",
           "pt": "Os comitês de bacia decidem pouco."}


@pytest.fixture
def group(app, db, monkeypatch, make_user, make_community):
    """A published group of three forums, opened yesterday, with one reply per forum to question 1."""
    monkeypatch.setitem(app.config, "LANGUAGES", LANGS)
    organizer, moderator = make_user("Organizadora"), make_user("Moderadora")
    community = make_community("rede", members={organizer: "organizer", moderator: "moderator"})
    opens = timezones.to_local(utcnow() - timedelta(days=1), community.timezone)
    data = organizing.PairInput(
        slug="agua", languages=LANGS, opens_at=opens, closes_at=opens + timedelta(days=30),
        titles={"es": "Gobernanza del agua", "en": "Water governance", "pt": "Governança da água"},
        concept_notes={"es": "Nota **conceptual**", "en": "A **concept** note", "pt": "Uma nota **conceitual**"},
        themes="basin | Cuencas | Basins | Bacias",
        questions=[organizing.QuestionInput(titles=titles) for titles in QUESTIONS])
    pair = organizing.save_pair(organizer, community, data, publish=True)
    people = {lang: make_user(f"Persona {lang}", locale=lang) for lang in LANGS}
    for lang, person in people.items():
        add_member(person, community)
        first = db.session.execute(select(Thread).filter_by(
            forum_id=forum_of(pair, lang).id, kind="guiding_question", position=1)).scalar_one()
        posting.add_post(first, person, REPLIES[lang])
    db.session.commit()
    return {"pair": pair, "moderator": moderator, "community": community}


def test_three_forums_each_with_its_concept_note_and_the_same_questions_by_position(client, db, group):
    pair = group["pair"]
    assert sorted(f.language for f in pair.forums) == sorted(LANGS)
    pt = forum_of(pair, "pt")
    page = client.get(f"/c/rede/f/{pt.slug}").get_data(as_text=True)
    assert "Uma nota <strong>conceitual</strong>" in page
    for other in ("es", "en"):  # the same discussion in each other language, linked from the Portuguese one
        assert f'href="/c/rede/f/agua-{other}" hreflang="{other}"' in page
    for position, titles in enumerate(QUESTIONS, start=1):
        threads = {t.forum.language: t for t in db.session.execute(select(Thread).where(
            Thread.forum_id.in_([f.id for f in pair.forums]), Thread.position == position)).scalars()}
        assert {lang: t.title for lang, t in threads.items()} == titles
    first_pt = next(t for t in db.session.execute(select(Thread).filter_by(forum_id=pt.id, position=1)).scalars())
    thread_page = client.get(thread_url(first_pt)).get_data(as_text=True)
    for lang in ("es", "en"):
        assert QUESTIONS[0][lang] in thread_page  # "the same question in Spanish / English"


def test_moderators_curate_the_three_side_by_side_and_write_a_note_in_each(client, login, db, group):
    pair = group["pair"]
    login(group["moderator"])
    url = f"/c/rede/moderation/pairs/{pair.id}/curate?question=1"
    page = client.get(url).get_data(as_text=True)
    for lang in LANGS:
        assert f'<section class="side" lang="{lang}"' in page and REPLIES[lang] in page
        assert f'name="body_{lang}"' in page
    typed = {f"body_{lang}": f"Síntesis {lang}" for lang in LANGS}
    response = client.post(url, data={"question": "1", **typed})
    assert response.status_code == 302
    note = db.session.execute(select(SynthesisNote).filter_by(pair_id=pair.id, position=1)).scalar_one()
    assert note.body_texts == {lang: f"Síntesis {lang}" for lang in LANGS}
    assert "Síntesis pt" in client.get(url).get_data(as_text=True)


def test_the_synthesis_export_has_every_language(client, login, db, group):
    pair = group["pair"]
    login(group["moderator"])
    client.post(f"/c/rede/moderation/pairs/{pair.id}/curate?question=1",
                data={"question": "1", **{f"body_{lang}": f"Nota {lang}" for lang in LANGS}})
    export = f"/c/rede/pairs/{pair.id}/export"
    form = client.get(export).get_data(as_text=True)
    assert '<option value="pt">' in form  # a report may be framed in Portuguese too
    report = json.loads(client.get(export + "?format=json&language=es").get_data(as_text=True))
    assert sorted(report["languages"]) == sorted(LANGS)
    assert report["forum_titles"]["pt"] == "Governança da água"
    section = report["questions"][0]
    assert section["titles"] == QUESTIONS[0] and section["note"] == {lang: f"Nota {lang}" for lang in LANGS}
    assert section["posts_by_language"] == {lang: 1 for lang in LANGS}
    markdown = client.get(export + "?format=md&language=pt").get_data(as_text=True)
    for lang in LANGS:
        assert REPLIES[lang] in markdown and f"Nota {lang}" in markdown


def test_organizers_make_the_three_language_group_in_the_same_form(app, client, login, db, monkeypatch,
                                                                   make_user, make_community):
    monkeypatch.setitem(app.config, "LANGUAGES", LANGS)
    organizer = make_user("Organizadora")
    make_community("rede", members={organizer: "organizer"})
    login(organizer)
    form = client.get("/c/rede/organize/pairs/new").get_data(as_text=True)
    assert '<option value="es,en,pt">' in form and 'name="concept_note_pt"' in form
    assert 'name="questions-0-title_pt"' in form
    data = {"slug": "agua", "languages": "es,en,pt", "opens_at": "2030-03-01T09:00", "closes_at": "2030-05-01T09:00",
            "pre_moderation": "off", "pre_moderation_count": "3", "action": "save",
            "themes": "basin | Cuencas | Basins | Bacias"}
    for lang in LANGS:
        data |= {f"title_{lang}": f"Agua {lang}", f"concept_note_{lang}": f"Nota {lang}",
                 f"questions-0-title_{lang}": QUESTIONS[0][lang], f"questions-1-title_{lang}": QUESTIONS[1][lang]}
    missing = client.post("/c/rede/organize/pairs/new", data={**data, "questions-1-title_pt": ""})
    assert missing.status_code == 400  # a question must be written in every language of the group
    assert QUESTIONS[1]["es"] in missing.get_data(as_text=True)  # what was typed comes back
    assert client.post("/c/rede/organize/pairs/new", data=data).status_code == 302
    pair = db.session.execute(select(ForumPair)).scalar_one()
    assert {f.language: f.title for f in pair.forums} == {lang: f"Agua {lang}" for lang in LANGS}
    assert pair.themes[0].label_texts == {"es": "Cuencas", "en": "Basins", "pt": "Bacias"}
    pt_questions = db.session.execute(select(Thread.title).filter_by(forum_id=forum_of(pair, "pt").id)
                                      .order_by(Thread.position)).scalars().all()
    assert pt_questions == [QUESTIONS[0]["pt"], QUESTIONS[1]["pt"]]
    edit = client.get(f"/c/rede/organize/pairs/{pair.id}/edit").get_data(as_text=True)
    assert "Bacias" in edit and QUESTIONS[1]["pt"] in edit  # the form comes back with every language
