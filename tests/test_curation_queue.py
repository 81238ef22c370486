"""The curation queue on the realistic corpus: filters, pagination in a fixed number of queries,
saves in place (JSON) and without JavaScript (back to the same post), bulk actions, carrying
themes across the pair, and the moderation menu folded in threads."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, PostTheme
from forum.services import curation_queue
from tests import corpus_fixtures

corpus, _clean_database = corpus_fixtures.module_fixtures()


@pytest.fixture
def moderator(corpus, client, login):
    user = db.session.merge(corpus.users[corpus.data.forum["curators"]["es"]])
    login(user)
    return user


def urls(corpus):
    pair = db.session.merge(corpus.pair)
    base = f"/c/{pair.community.slug}/curation"
    return pair, base, f"{base}/pairs/{pair.id}/queue"


def test_filters_match_the_corpus_and_pages_hold_twenty(corpus):
    pair = db.session.merge(corpus.pair)
    replies = corpus.data.replies
    page = curation_queue.queue(pair, curation_queue.QueueFilters(question=2, language="en"))
    assert page.total == sum(1 for r in replies if r.question == 2 and r.language == "en")
    assert all(i.position == 2 and i.language == "en" for i in page.items) and len(page.items) == min(20, page.total)
    code = next(iter(corpus.themes))
    theme_id = db.session.merge(corpus.themes[code]).id
    page = curation_queue.queue(pair, curation_queue.QueueFilters(theme=theme_id))
    assert page.total == sum(1 for r in replies if code in r.themes)
    untagged = curation_queue.queue(pair, curation_queue.QueueFilters(untagged=True))
    assert untagged.total == sum(1 for r in replies if not r.themes)
    highlighted = curation_queue.queue(pair, curation_queue.QueueFilters(highlighted=True))
    assert highlighted.total == sum(1 for r in replies if r.highlight)
    everything = curation_queue.queue(pair, curation_queue.QueueFilters())
    assert everything.total == len(replies) and everything.pages == -(-len(replies) // 20)
    last = curation_queue.queue(pair, curation_queue.QueueFilters(), page=everything.pages)
    assert len(last.items) == len(replies) - 20 * (everything.pages - 1)
    people = {p["handle"]: p for p in corpus.data.participants}
    country = Counter(people[r.author]["country"] for r in replies).most_common(1)[0][0]
    by_country = curation_queue.queue(pair, curation_queue.QueueFilters(country=country))
    assert 0 < by_country.total <= sum(1 for r in replies if people[r.author]["country"] == country)
    assert all(i.post.author.country == country for i in by_country.items)


def test_a_page_costs_the_same_few_queries_whatever_its_size(corpus, count_queries):
    pair = db.session.merge(corpus.pair)
    counts = []
    for per_page in (5, 60):
        db.session.expire_all()
        with count_queries() as statements:
            curation_queue.queue(pair, curation_queue.QueueFilters(), per_page=per_page)
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 8, counts


def test_the_queue_page_in_both_languages_with_its_help_and_bulk_form(client, moderator, corpus):
    _pair, _base, queue = urls(corpus)
    page = client.get(queue + "?question=1&language=es").get_data(as_text=True)
    assert "Cola de curación" in page and "Atajos de teclado" in page and 'form="bulk-form"' in page
    assert page.count('class="post queue-post') == 20
    english = client.get(queue + "?question=1&language=es", headers={"Accept-Language": "en"})
    assert english.status_code == 200
    bad = client.get(queue + "?question=abc&language=xx&country=ZZ&start=99999-01-01")
    assert bad.status_code == 200  # values that are not choices are left out, never a server error


def _reply(corpus, tagged: bool):
    reply = next(r for r in corpus.data.replies if bool(r.themes) == tagged and r.question == 1)
    return db.session.get(Post, corpus.post_ids[reply.id]), reply


def test_a_theme_saves_in_place_as_json_and_without_javascript_returns_to_the_post(client, moderator, corpus):
    pair, base, queue = urls(corpus)
    post, _reply_data = _reply(corpus, tagged=False)
    theme = pair.themes[0]
    url = f"{base}/posts/{post.id}/themes/{theme.id}"
    answer = client.post(url, data={"value": "1"}, headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.json["ok"] and answer.json["themes"] == [theme.id]
    assert answer.json["message"] == "Tema agregado."
    plain = client.post(url, data={"value": "0", "next": queue + "?question=1"})
    assert plain.status_code == 302 and plain.headers["Location"].endswith(f"?question=1#post-{post.id}")
    assert not db.session.execute(select(PostTheme).filter_by(post_id=post.id)).first()
    without_token = client.post(url, data={"value": "1"}, headers={"Accept": "application/json"}, csrf=False)
    assert without_token.status_code == 400
    other = client.post(f"{base}/posts/{post.id}/themes/999999", data={"value": "1"},
                        headers={"Accept": "application/json"})
    assert other.status_code == 400 and other.json["ok"] is False and "libro de códigos" in other.json["message"]


def test_bulk_actions_and_carrying_themes_across_the_pair(client, moderator, corpus):
    pair, base, queue = urls(corpus)
    untagged = [r for r in corpus.data.replies if not r.themes][:3]
    ids = [corpus.post_ids[r.id] for r in untagged]
    theme = pair.themes[1]
    done = client.post(f"{base}/pairs/{pair.id}/bulk", data={"post": ids, "action": "add_theme", "theme": theme.id,
                                                            "next": queue})
    assert done.status_code == 302
    tagged = set(db.session.execute(select(PostTheme.post_id).where(PostTheme.theme_id == theme.id,
                                                                    PostTheme.post_id.in_(ids))).scalars())
    assert tagged == set(ids)
    client.post(f"{base}/pairs/{pair.id}/bulk", data={"post": ids, "action": "remove_theme", "theme": theme.id})
    assert not db.session.execute(select(PostTheme).where(PostTheme.post_id.in_(ids))).first()
    refused = client.post(f"{base}/pairs/{pair.id}/bulk", data={"post": [], "action": "highlight"},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 400 and refused.json["message"] == "Seleccione al menos una publicación."
    source, source_data = _reply(corpus, tagged=True)
    target_data = next(r for r in corpus.data.replies if r.language != source_data.language and not r.themes
                       and r.question == source_data.question)
    target = corpus.post_ids[target_data.id]
    carried = client.post(f"{base}/posts/{source.id}/carry/{target}", headers={"Accept": "application/json"})
    assert carried.status_code == 200
    codes = set(db.session.execute(select(PostTheme.theme_id).filter_by(post_id=target)).scalars())
    assert codes == set(db.session.execute(select(PostTheme.theme_id).filter_by(post_id=source.id)).scalars())
    for post_id in [target]:
        for row in db.session.execute(select(PostTheme).filter_by(post_id=post_id)).scalars():
            db.session.delete(row)
    db.session.commit()


def test_members_cannot_use_the_queue(client, login, corpus):
    pair, base, queue = urls(corpus)
    member = db.session.merge(next(u for h, u in corpus.users.items()
                                   if h not in corpus.data.forum["curators"].values()
                                   and h != corpus.data.forum["question_author"]))
    login(member)
    assert client.get(queue).status_code == 403
    post, _ = _reply(corpus, tagged=False)
    assert client.post(f"{base}/posts/{post.id}/themes/{pair.themes[0].id}", data={"value": "1"}).status_code == 403


def test_a_moderators_thread_folds_moderation_into_one_menu_per_post(client, moderator, corpus):
    thread = db.session.merge(corpus.threads[(1, "es")])
    forum = thread.forum
    page = client.get(f"/c/{forum.community.slug}/f/{forum.slug}/threads/{thread.id}").get_data(as_text=True)
    assert page.count('<details class="mod-menu">') >= 10
    assert page.count("Editar con un motivo") == page.count('<details class="mod-menu">')


def test_the_dashboard_shows_the_coded_share_per_question_and_language(client, moderator, corpus):
    pair = db.session.merge(corpus.pair)
    page = client.get(f"/c/{pair.community.slug}/moderation/pairs/{pair.id}/dashboard").get_data(as_text=True)
    assert "Codificación por pregunta orientadora" in page
    for position in (1, 2, 3, 4):
        for language in ("es", "en"):
            replies = [r for r in corpus.data.replies if r.question == position and r.language == language]
            coded = sum(1 for r in replies if r.themes)
            assert f"{coded} ({100 * coded / len(replies):.0f} %)" in page


def test_the_queue_shows_the_assistants_suggestions_and_sibling_replies(client, moderator, corpus):
    from forum.services import assist

    pair, base, queue = urls(corpus)
    assist.refresh(pair)
    page = client.get(queue + "?untagged=1&question=1").get_data(as_text=True)
    assert "Sugerido:" in page and 'data-key="a"' in page  # accepting the first suggestion is one key
    assert "Parecidas en el otro foro:" in page and "Llevar estos temas allí" in page
    first = curation_queue.queue(pair, curation_queue.QueueFilters(untagged=True, question=1)).items[0]
    suggestion = first.suggestions[0]
    accepted = client.post(f"{base}/posts/{first.post.id}/themes/{suggestion.theme_id}", data={"value": "1"},
                           headers={"Accept": "application/json"})
    assert accepted.json["ok"] and suggestion.theme_id in accepted.json["themes"]
    db.session.execute(PostTheme.__table__.delete().where(PostTheme.post_id == first.post.id))
    db.session.commit()
