"""Search across the pair's languages: with "also the other language", each result brings the
closest reply to the same question in the other forum, marked as such, from what the curation
assistant stored."""
from __future__ import annotations

from forum.extensions import db
from forum.services import assist
from tests import corpus_fixtures

corpus, _clean_database = corpus_fixtures.module_fixtures()


def test_a_search_also_finds_the_same_answer_in_the_other_language(client, corpus):
    pair = db.session.merge(corpus.pair)
    assist.refresh(pair)
    reply = next(r for r in corpus.data.replies if r.language == "es" and r.counterparts)
    word = next(w.strip(".,;:()«»\"") for w in reply.body.split() if len(w) > 9 and w.isalpha())
    plain = client.get("/search/", query_string={"q": word}).get_data(as_text=True)
    assert "La misma respuesta" not in plain and "Las mismas respuestas en el otro idioma" not in plain
    page = client.get("/search/", query_string={"q": word, "other": "1"}).get_data(as_text=True)
    assert "Las mismas respuestas en el otro idioma" in page
    section = page.split('id="across-heading"')[1]
    assert 'lang="en"' in section and "En el foro en inglés" in section
    assert 'name="other" value="1" checked' in page
