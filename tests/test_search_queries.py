"""The shared list of queries (tests/data/search_queries.json): what each must find, on
whichever database the suite runs on; CI runs it on SQLite and on PostgreSQL, so the two agree."""
import json
from pathlib import Path

import pytest
from flask_login import AnonymousUserMixin

from forum.models import Thread
from forum.services import posting, search
from tests.conftest import forum_of

CASES = json.loads((Path(__file__).parent / "data" / "search_queries.json").read_text(encoding="utf-8"))


@pytest.fixture
def corpus(db, make_user, make_community, make_pair):
    """The list's posts, as replies in a public forum pair; key -> post id."""
    author = make_user("Autora Prueba", handle="autora")
    community = make_community("red", members={author: "member"})
    pair = make_pair(community, questions=1)
    threads = {lang: db.session.execute(db.select(Thread).filter_by(forum_id=forum_of(pair, lang).id)).scalar_one()
               for lang in ("es", "en")}
    ids = {}
    for key, (lang, body) in CASES["posts"].items():
        ids[key] = posting.add_post(threads[lang], author, body).id
    db.session.commit()
    return ids


@pytest.mark.parametrize("case", CASES["queries"], ids=[c["q"] for c in CASES["queries"]])
def test_shared_query(app, corpus, case):
    keys = {post_id: key for key, post_id in corpus.items()}
    with app.test_request_context("/search/"):
        results = search.search(AnonymousUserMixin(), case["q"], search.Filters())
    found = [keys.get(hit.post.id, f"post {hit.post.id}") for hit in results.hits]
    assert sorted(found) == sorted(case["find"]), case["why"]
    if "first" in case:
        assert found[0] == case["first"], case["why"]
    assert results.suggestion == case.get("suggest"), case["why"]
    assert results.corrected == case.get("corrected", False), case["why"]
