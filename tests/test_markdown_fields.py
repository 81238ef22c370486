"""Every Markdown field: rendered once on save with its render version, re-rendered by the
operators' command, bounded with a translated message that keeps the text, Word debris
cleaned, and previews rate limited like posts."""
import pytest

from forum import markup, timezones
from forum.markup import RENDER_VERSION
from forum.models import Forum, ForumPair, Newsletter, Post, Revision, SynthesisNote, Thread, Webinar
from forum.services import posting
from tests.conftest import forum_of, thread_url

WORD_PASTE = ("[bookmark: _ftnref1]At the end of the two months, a webinar will be organized[footnoteRef:1]. "
              "The call is open. [1:  The webinar will present the main ideas of the forum [in both languages].] ")


@pytest.fixture
def world(db, make_user, make_community, make_pair):
    organizer = make_user("Olga", handle="olga")
    ana = make_user("Ana", handle="ana")
    ben = make_user("Ben", handle="ben")
    community = make_community("red", members={organizer: "organizer", ana: "member", ben: "member"})
    pair = make_pair(community, questions=1)
    es = forum_of(pair, "es")
    question = db.session.execute(db.select(Thread).filter_by(forum_id=es.id, position=1)).scalar_one()
    return dict(organizer=organizer, ana=ana, ben=ben, community=community, pair=pair, es=es, question=question)


def pair_form(**changes):
    data = {
        "slug": "agua", "languages": "es,en", "opens_at": "2026-12-01T09:00", "closes_at": "2027-02-01T09:00",
        "title_es": "Agua", "title_en": "Water", "summary_es": "", "summary_en": "",
        "concept_note_es": "Nota", "concept_note_en": "Note", "pre_moderation": "off", "pre_moderation_count": "2",
        "themes": "", "questions-0-title_es": "¿Primera?", "questions-0-title_en": "First?", "action": "save",
    }
    data.update(changes)
    return data


# --- one render per save, with its version ---------------------------------------------------

def test_a_reply_is_rendered_once_and_stored_with_the_render_version(client, db, login, world, monkeypatch):
    calls = []
    original = markup.Document.render

    def counting(self, *args, **kwargs):
        calls.append(self.source)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(markup.Document, "render", counting)
    login(world["ana"])
    response = client.post(thread_url(world["question"]), data={"body": "Hola @ben, mira https://example.org"})
    assert response.status_code == 302
    assert len(calls) == 1  # the visible-text check, the link brake, mentions and the HTML: one render
    post = db.session.execute(db.select(Post).filter_by(author_id=world["ana"].id)).scalar_one()
    assert post.render_version == RENDER_VERSION
    assert 'class="mention"' in post.body_html and 'href="https://example.org"' in post.body_html


def test_every_stored_body_carries_the_render_version(db, world):
    from forum.services import newsletters, webinars

    newsletter = newsletters.save(world["organizer"], world["community"], subject_es="A", subject_en="B",
                                  body_es="**a**", body_en="**b**")
    webinar = webinars.save_webinar(world["organizer"], world["community"], webinars.WebinarInput(
        title_es="S", title_en="W", description_es="*uno*", description_en="*one*", timezone="America/Lima",
        starts_at=timezones.to_local(world["pair"].closes_at, "America/Lima")))
    assert newsletter.render_version == webinar.render_version == world["es"].render_version == RENDER_VERSION
    assert "<strong>a</strong>" in newsletter.body_es_html and "<em>one</em>" in webinar.description_en_html


# --- the operators' command -----------------------------------------------------------------

def _age(db, model, **values):
    db.session.execute(db.update(model).values(render_version=1, **values))
    db.session.commit()


def test_rerender_brings_old_bodies_up_to_date_in_batches_and_reports_failures(app, db, runner, world):
    for i in range(5):
        posting.add_post(world["question"], world["ana"], f"Aporte **{i}** para @ben")
    db.session.commit()
    revised = db.session.execute(db.select(Post).order_by(Post.id.desc())).scalars().first()
    db.session.add(Revision(post_id=revised.id, body_md="texto **anterior**"))
    too_long = posting.add_post(world["question"], world["ben"], "corto")
    db.session.commit()
    _age(db, Post, body_html="<p>old</p>")
    _age(db, Forum, concept_note_html="<p>old</p>")
    db.session.execute(db.update(Post).where(Post.id == too_long.id).values(
        body_md="x" * (markup.MAX_SOURCE_LENGTH + 1)))
    db.session.commit()

    result = runner.invoke(args=["markup", "rerender", "--batch-size", "2"])

    assert result.exit_code == 1, result.output  # one failed: the operator's script notices
    lines = result.output.splitlines()
    assert "posts: 2/8 checked, 2 re-rendered" in lines and "posts: 8/8 checked, 7 re-rendered" in lines
    assert "concept notes: 2/2 checked, 2 re-rendered" in lines and f"newsletters: all at version {RENDER_VERSION}" in lines
    assert "Re-rendered 9 (posts 7, concept notes 2, newsletters 0, webinars 0); 1 failed." in lines
    assert f"failed: posts #{too_long.id}: SourceTooLong" in result.output
    db.session.expire_all()
    posts = db.session.execute(db.select(Post).order_by(Post.id)).scalars().all()
    done = [p for p in posts if p.id != too_long.id]
    assert all(p.render_version == RENDER_VERSION and p.body_html != "<p>old</p>" for p in done)
    assert '<a href="/u/ben" class="mention"' in done[-1].body_html
    failed = db.session.get(Post, too_long.id)
    assert failed.render_version == 1 and failed.body_html == "<p>old</p>"  # kept, tried again next time
    assert db.session.execute(db.select(Revision.body_md)).scalar_one() == "texto **anterior**"
    note = db.session.get(Forum, world["es"].id)
    assert note.render_version == RENDER_VERSION and note.concept_note_html == markup.render(note.concept_note_md)

    again = runner.invoke(args=["markup", "rerender"])
    assert "posts: 1/1 checked, 0 re-rendered" in again.output and again.exit_code == 1


# --- maximum lengths, with the text kept ------------------------------------------------------

@pytest.mark.parametrize("lang, message", [
    ("es", "Este texto puede tener como máximo 100.000 caracteres; tiene 100.001."),
    ("en", "This text can be at most 100,000 characters; it has 100,001."),
])
def test_a_concept_note_too_long_is_refused_in_both_languages_and_kept(client, db, login, world, lang, message):
    login(world["organizer"])
    client.post("/language", data={"lang": lang, "next": "/"})
    note = "Nota larga " + "x" * (100_001 - len("Nota larga "))
    response = client.post("/c/red/organize/pairs/new", data=pair_form(concept_note_es=note))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert note in page  # nothing the organizer wrote is lost
    assert 'maxlength="100000"' not in page  # a browser would have cut a long paste without a word
    assert db.session.execute(db.select(ForumPair).filter_by(slug="agua")).first() is None


def test_newsletter_and_webinar_texts_have_a_maximum_too(client, db, login, world):
    login(world["organizer"])
    body = "b" * 100_001
    page = client.post("/c/red/newsletters/new", data={"subject_es": "S", "subject_en": "S", "body_es": body,
                                                       "body_en": "ok"}).get_data(as_text=True)
    assert "Este texto puede tener como máximo 100.000 caracteres; tiene 100.001." in page and body in page
    description = "d" * 20_001
    response = client.post("/c/red/webinars/new", data={
        "title_es": "T", "title_en": "T", "starts_at": "2027-01-10T10:00", "timezone": "America/Lima",
        "duration_minutes": "90", "languages": "es,en", "description_es": description})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "como máximo 20.000 caracteres; tiene 20.001." in page
    assert description in page
    assert db.session.execute(db.select(Newsletter)).first() is None and db.session.execute(db.select(Webinar)).first() is None


def test_a_synthesis_note_too_long_is_refused_not_cut_and_kept_in_the_form(client, db, login, world):
    login(world["organizer"])
    url = f"/c/red/moderation/pairs/{world['pair'].id}/curate?question=1"
    note = "Síntesis " + "s" * 20_000
    response = client.post(url, data={"body_es": note, "body_en": "Synthesis"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Una nota de síntesis puede tener como máximo 20.000 caracteres; esta tiene 20.009." in page
    assert note in page and "Synthesis" in page
    assert db.session.execute(db.select(SynthesisNote)).first() is None
    assert client.post(url, data={"body_es": "Corta", "body_en": "Short"}).status_code == 302
    assert db.session.execute(db.select(SynthesisNote.body_es)).scalar_one() == "Corta"


# --- a Word paste ----------------------------------------------------------------------------

def test_a_concept_note_pasted_from_word_is_saved_with_markdown_footnotes(client, db, login, world):
    login(world["organizer"])
    response = client.post("/c/red/organize/pairs/new", data=pair_form(concept_note_en=WORD_PASTE))
    assert response.status_code == 302
    forum = db.session.execute(db.select(Forum).filter_by(slug="agua-en")).scalar_one()
    assert "[bookmark:" not in forum.concept_note_md and "footnoteRef" not in forum.concept_note_md
    assert forum.concept_note_md.endswith(
        "[^1]: The webinar will present the main ideas of the forum [in both languages].")
    page = client.get("/c/red/f/agua-en").get_data(as_text=True)
    assert 'class="footnote-ref"' in page and "main ideas of the forum [in both languages]." in page
    assert "bookmark" not in page


def test_a_reply_pasted_from_word_loses_the_debris_too(client, db, login, world):
    login(world["ana"])
    client.post(thread_url(world["question"]), data={"body": WORD_PASTE})
    post = db.session.execute(db.select(Post).filter_by(author_id=world["ana"].id)).scalar_one()
    assert post.body_md.startswith("At the end of the two months, a webinar will be organized[^1].")
    assert '<section class="footnotes">' in post.body_html


# --- previews --------------------------------------------------------------------------------

def test_previews_are_rate_limited_apart_from_posting(app, client, db, login, world, monkeypatch):
    monkeypatch.setitem(app.config, "POSTING_RATE_LIMIT", "3 per minute")  # undone after the test
    login(world["ana"])
    url = thread_url(world["question"])
    codes = [client.post(url, data={"body": f"borrador {i}", "preview": "1"}).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    # The allowance is one for every preview button, and posting keeps its own.
    edit = client.post(f"/c/red/f/{world['es'].slug}/threads/new",
                       data={"title": "Nuevo", "body": "texto", "preview": "1"})
    assert edit.status_code == 429
    assert client.post(url, data={"body": "mi respuesta"}).status_code == 302


def test_a_visitor_gets_no_preview(client, db, world):
    response = client.post(thread_url(world["question"]), data={"body": "[" * 5000, "preview": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Inicia sesión para responder." in page


def test_concept_note_previews_are_rate_limited_and_show_the_cleaned_text(app, client, db, login, world,
                                                                         monkeypatch):
    monkeypatch.setitem(app.config, "POSTING_RATE_LIMIT", "2 per minute")  # undone after the test
    login(world["organizer"])
    url = "/c/red/organize/pairs/new"
    first = client.post(url, data=pair_form(concept_note_en=WORD_PASTE, action="preview"))
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and 'class="footnote-ref"' in page and "footnoteRef" not in page
    assert client.post(url, data=pair_form(action="preview")).status_code == 200
    assert client.post(url, data=pair_form(action="preview")).status_code == 429
