"""The synthesis report built from the realistic coded corpus (tests/corpus): counts that match the
moderators' coding, anonymised files that name nobody, the two languages side by side, key terms,
parts of a report, and the organizer's review before an anonymised download."""
from __future__ import annotations

import io
import re
from collections import Counter

import pytest
from docx import Document

from forum.errors import ValidationErrors
from forum.extensions import db
from forum.services import report_files, synthesis, synthesis_model
from forum.services.codebook import parse_themes
from tests import corpus_fixtures

corpus, _clean_database = corpus_fixtures.module_fixtures()


def build(corpus, **options):
    pair = db.session.merge(corpus.pair)
    return synthesis.build(None, pair, synthesis.ExportOptions(**options))


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def live_replies(corpus):
    return [r for r in corpus.data.replies if r.kind != "hidden"]


def test_every_tagged_post_counts_under_each_of_its_themes_highlighted_or_not(corpus):
    report = build(corpus)
    expected = Counter((r.question, r.language, code) for r in corpus.data.replies for code in r.themes)
    found = Counter()
    for section in report.questions:
        for group in section.themes:
            for language, n in group.by_language.items():
                found[(section.position, language, group.code)] += n
            assert len(group.posts) == sum(group.by_language.values())
    assert found == expected
    highlighted_and_tagged = [r for r in corpus.data.replies if r.highlight and r.themes]
    assert highlighted_and_tagged, "the corpus must hold highlighted posts with themes"


def test_the_two_languages_side_by_side_with_shares_and_gaps(corpus):
    report = build(corpus)
    for section in report.questions:
        totals = Counter(r.language for r in corpus.data.replies if r.question == section.position)
        assert section.posts_by_language == dict(totals)
        for row in section.comparison:
            for language in ("es", "en"):
                count = sum(1 for r in corpus.data.replies
                            if r.question == section.position and r.language == language and row.code in r.themes)
                assert row.posts[language] == count
                assert row.shares[language] == pytest.approx(count / totals[language])
            if row.gap == "absent":
                assert row.posts[row.gap_language] == 0
    markdown = report_files.render(report, "md")[""].decode()
    assert markdown.count("Spanish and English side by side") == 0  # the report speaks Spanish
    assert markdown.count("Español e inglés lado a lado") == len(report.questions)


def test_an_anonymised_export_names_nobody_in_any_format(corpus):
    report = build(corpus, anonymise=True)
    texts = {fmt: b"\n".join(report_files.render(report, fmt).values()).decode("utf-8-sig")
             for fmt in ("md", "csv", "json")}
    texts["docx"] = docx_text(report_files.render(report, "docx")[""])
    people = [u for u in corpus.users.values()]
    for fmt, text in texts.items():
        for person in people:
            assert not re.search(rf"(?<!\w){re.escape(person.display_name)}(?!\w)", text), (fmt, person.display_name)
            assert not re.search(rf"@{re.escape(person.handle)}\b", text), (fmt, person.handle)
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), fmt
    first_names = Counter(p.display_name.split()[0] for p in people)
    leaked = {name for name in first_names if re.search(rf"(?<![\w@]){re.escape(name)}(?!\w)", texts["md"])}
    assert not leaked


def test_anonymised_numbers_cannot_be_matched_with_a_named_export(corpus):
    named, anonymised = build(corpus), build(corpus, anonymise=True)
    by_text_named = {(i.text[:80], i.language): i.author.number for s in named.questions for g in s.themes
                     for i in g.posts}
    same = sum(1 for s in anonymised.questions for g in s.themes for i in g.posts
               if by_text_named.get((i.text[:80], i.language)) == i.author.number)
    total = sum(len(g.posts) for s in anonymised.questions for g in s.themes)
    assert total > 100 and same < total / 5


def test_key_terms_are_shared_by_participants_and_not_inflections_or_generic_words(corpus):
    report = build(corpus)
    generic = {"año", "años", "ciudad", "people", "work", "year", "years"}
    for section in report.questions:
        for language, terms in section.key_terms.items():
            assert terms, (section.position, language)
            words = [t for t, _n in terms]
            assert all(n >= 2 for _t, n in terms)
            assert not generic & {w for t in words for w in t.split()}
            singles = {w.rstrip("s") for t in words for w in t.split()}
            assert len(singles) == len({w for t in words for w in t.split()}), words  # plan/planes once


def test_one_question_or_one_theme_makes_a_part_of_the_report(corpus):
    report = build(corpus, question=2)
    assert [s.position for s in report.questions] == [2]
    assert report.statistics.posts == sum(1 for r in corpus.data.replies if r.question == 2)
    code = next(iter(corpus.themes))
    report = build(corpus, theme=code)
    assert report.statistics.posts == sum(1 for r in corpus.data.replies if code in r.themes)
    assert {g.code for s in report.questions for g in s.themes} == {code}
    with pytest.raises(synthesis.DomainError):
        build(corpus, theme="no-such-theme")


def test_either_forums_address_finds_the_pair(corpus):
    pair = db.session.merge(corpus.pair)
    for forum in pair.forums:
        assert synthesis.find_pair(forum.slug).id == pair.id
    assert synthesis.find_pair(pair.slug).id == pair.id


def test_theme_codes_stay_as_typed_or_are_refused_with_a_message(app):
    assert parse_themes("limited_resources | Recursos | Resources")[0][0] == "limited_resources"
    with pytest.raises(ValidationErrors):
        parse_themes("limited resources! | Recursos | Resources")
    with pytest.raises(ValidationErrors):
        parse_themes("a | " + "x" * 121 + " | y")


def test_the_organizer_reviews_what_may_identify_someone_before_the_anonymised_file(client, login, corpus):
    organizer = db.session.merge(corpus.users[corpus.data.forum["question_author"]])
    login(organizer)
    pair = db.session.merge(corpus.pair)
    url = f"/c/{pair.community.slug}/pairs/{pair.id}/export?format=md&language=es&anonymise=y"
    page = client.get(url)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Antes de compartir este archivo" in html and "/posts/" in html
    download = client.get(url + "&reviewed=1")
    assert download.mimetype == "text/markdown"
    assert "attachment" in download.headers["Content-Disposition"]
    named = client.get(url.replace("&anonymise=y", ""))
    assert named.mimetype == "text/markdown"
    form = client.get(f"/c/{pair.community.slug}/pairs/{pair.id}/export").get_data(as_text=True)
    assert "flask --app" not in form


def test_institutions_are_sorted_in_the_reports_language(corpus, app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        report = build(corpus, language="es")
    countries = [c for c, _names in report.institutions if c]
    from flask_babel import force_locale

    from forum.i18n import country_name
    with app.test_request_context(), force_locale("es"):
        names = [synthesis_model.sort_key(country_name(c)) for c in countries]
    assert names == sorted(names)


def test_moderators_choose_quotes_that_the_quotes_sheet_cites(client, login, corpus):
    login(db.session.merge(corpus.users[corpus.data.forum["curators"]["es"]]))
    pair = db.session.merge(corpus.pair)
    reply = next(r for r in corpus.data.replies if r.question == 1 and r.language == "es" and len(r.body) > 200
                 and r.themes and "|" not in r.body and ">" not in r.body)
    post_id = corpus.post_ids[reply.id]
    passage = " ".join(reply.body.split()[3:15])
    theme_id = db.session.merge(corpus.themes[reply.themes[0]]).id
    base = f"/c/{pair.community.slug}/moderation"
    curate = f"{base}/pairs/{pair.id}/curate?question=1"
    refused = client.post(f"{base}/posts/{post_id}/quotes",
                          data={"text": "palabras que nadie escribió", "theme": theme_id, "next": curate})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "La cita debe ser un pasaje de la publicación, palabra por palabra." in page
    assert "palabras que nadie escribió" in page  # the typed text is kept
    for _ in range(2):  # a double submit keeps one quote
        saved = client.post(f"{base}/posts/{post_id}/quotes", data={"text": passage, "theme": theme_id, "next": curate})
        assert saved.status_code == 302 and saved.headers["Location"].endswith(curate)
    report = build(corpus)
    quotes = [q for s in report.questions for q in s.quotes]
    assert len(quotes) == 1 and quotes[0].text == passage and quotes[0].theme == reply.themes[0]
    sheet = report_files.render(report, "quotes-md")[""].decode()
    assert passage in sheet and quotes[0].citation in sheet
    rows = report_files.render(report, "quotes-csv")[""].decode("utf-8-sig").splitlines()
    assert len(rows) == 2 and rows[0].startswith("question,question_title,theme")
    anonymised = build(corpus, anonymise=True)
    cited = next(q for s in anonymised.questions for q in s.quotes).citation
    assert cited.startswith("Participante ")
