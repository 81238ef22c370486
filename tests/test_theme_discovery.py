"""New themes from the untagged replies: groups of what is not coded yet, with shared terms and
typical replies, and a moderator adding one to the codebook in one step."""
from __future__ import annotations

from sqlalchemy import delete, select

from forum.extensions import db
from forum.models import Post, PostTheme, Theme, Thread
from forum.services import assist, theme_discovery
from tests import corpus_fixtures

corpus, _clean_database = corpus_fixtures.module_fixtures()


def _uncode_question(corpus, position: int) -> dict[int, set[str]]:
    """Remove the coding of one question, and return it: the ground truth the groups are held to."""
    pair = db.session.merge(corpus.pair)
    rows = db.session.execute(
        select(PostTheme.post_id, Theme.code).join(Theme, Theme.id == PostTheme.theme_id)
        .join(Post, Post.id == PostTheme.post_id).join(Thread, Thread.id == Post.thread_id)
        .where(Theme.pair_id == pair.id, Thread.position == position)).all()
    truth: dict[int, set[str]] = {}
    for post_id, code in rows:
        truth.setdefault(post_id, set()).add(code)
    db.session.execute(delete(PostTheme).where(PostTheme.post_id.in_(list(truth))))
    db.session.commit()
    return truth


PLANTED = {
    "es": [("El sargazo llega cada verano a nuestras playas y nadie tiene un plan para retirarlo: la pesca "
           "artesanal y el turismo pierden meses enteros."),
           ("En Quintana Roo el sargazo se acumula en toneladas; los municipios costeros no tienen presupuesto "
           "para barreras ni para recogerlo antes de que se pudra.")],
    "en": [("Sargassum seaweed now covers our beaches every summer and fishing boats cannot leave the harbour; "
           "nobody budgets for removing it."),
           ("In Barbados the sargassum piles up for weeks, rotting on the shore, and small fishing communities "
           "have no plan or money to clear it.")],
}


def test_a_topic_nobody_coded_comes_out_as_its_own_group_in_both_languages(corpus):
    """Four untagged replies about sargassum (two per language) among the question's other replies,
    their coding removed: one group holds at least three of them, and not much else."""
    from forum.services import posting

    pair = db.session.merge(corpus.pair)
    planted = []
    for language, texts in PLANTED.items():
        thread = db.session.merge(corpus.threads[(3, language)])
        for text in texts:
            author = db.session.merge(corpus.users[next(p["handle"] for p in corpus.data.participants
                                                        if p["role"] == "member")])
            planted.append(posting.add_post(thread, author, text).id)  # the forum closed long ago
    db.session.commit()
    _uncode_question(corpus, 3)
    assist.refresh(pair)
    groups = theme_discovery.candidates(pair, 3)
    assert 2 <= len(groups) <= theme_discovery.MAX_GROUPS
    assert all(g.size >= 2 and 1 <= len(g.posts) <= 3 and len(g.members) == g.size for g in groups)
    assert {lang for g in groups for lang in g.languages} == {"es", "en"}
    best = max(groups, key=lambda g: len(set(g.members) & set(planted)))
    assert len(set(best.members) & set(planted)) >= 3 and best.size <= 12, (best.size, best.members, planted)
    assert set(best.languages) == {"es", "en"}


def test_a_moderator_adds_a_candidate_to_the_codebook_in_one_step(client, login, corpus):
    pair = db.session.merge(corpus.pair)
    login(db.session.merge(corpus.users[corpus.data.forum["curators"]["es"]]))
    url = f"/c/{pair.community.slug}/curation/pairs/{pair.id}/new-themes"
    _uncode_question(corpus, 2)
    assist.refresh(pair)
    page = client.get(url + "?question=2").get_data(as_text=True)
    assert "Nuevos temas a partir de las respuestas sin codificar" in page and "Grupo 1" in page
    before = len(pair.themes)
    added = client.post(url, data={"question": "2", "code": "water_security", "label_es": "Seguridad hídrica",
                                   "label_en": "Water security"})
    assert added.status_code == 302
    db.session.expire_all()
    pair = db.session.merge(corpus.pair)
    assert len(pair.themes) == before + 1 and pair.themes[-1].code == "water_security"
    again = client.post(url, data={"question": "2", "code": "WATER_security", "label_es": "Agua",
                                   "label_en": "Water"})
    assert again.status_code == 400 and "El libro de códigos ya tiene este código." in again.get_data(as_text=True)
    bad = client.post(url, data={"question": "2", "code": "agua potable!", "label_es": "Agua", "label_en": "Water"})
    assert bad.status_code == 400
    db.session.execute(delete(Theme).where(Theme.code == "water_security"))
    db.session.commit()
