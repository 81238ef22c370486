"""The synthesis report against the realistic corpus (tests/corpus): what an organizer sees in the
Word file and the Markdown — each post's tables, lists, quotes and links; who answered whom; the
report's shape (contents, key figures, themes with quotes, an appendix of every post); paper,
language and author. Word files are read back with python-docx and their XML."""
from __future__ import annotations

import io
import re
from collections import Counter

import docx
import pytest
from docx.oxml.ns import qn
from docx.table import Table
from sqlalchemy import select

from forum.extensions import db
from forum.markup import parse
from forum.models import Post
from forum.services import report_files, synthesis
from forum.services.report import figures
from forum.services.report.common import _plain as plain_document
from forum.services.report.common import anchor, is_plain
from forum.services.report.quotes import best_sentence, own_sentences
from tests import corpus_fixtures

corpus, _clean_database = corpus_fixtures.module_fixtures()

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"




@pytest.fixture(scope="module")
def spanish(corpus):
    report = synthesis.build(None, corpus.pair, synthesis.ExportOptions(language="es"))
    return report, docx.Document(io.BytesIO(report_files.to_docx(report)))


@pytest.fixture(scope="module")
def markdown(spanish):
    return report_files.to_markdown(spanish[0])


def _sources(corpus) -> dict[int, str]:
    """Post id -> Markdown of every reply in the corpus, as stored."""
    ids = list(corpus.post_ids.values())
    return dict(db.session.execute(select(Post.id, Post.body_md).where(Post.id.in_(ids))).all())


def _nodes(source: str, kind: str):
    return [n for n in parse(source).tree().walk() if n.type == kind]


def _text(node) -> str:
    return " ".join("".join(c.content for c in node.walk() if c.type in ("text", "code_inline", "mention")).split())


def _heading_index(document, text: str) -> int:
    blocks = list(document.iter_inner_content())
    return next(i for i, b in enumerate(blocks) if not isinstance(b, Table)
                and b.style.name.startswith("Heading") and b.text == text)


def test_every_table_in_the_posts_is_a_word_table_with_its_header_row(corpus, spanish):
    _report, document = spanish
    word_tables = [[c.text.strip() for c in t.rows[0].cells] for t in document.tables]
    headers = [[_text(cell) for cell in table.children[0].children[0].children]
               for source in _sources(corpus).values() for table in _nodes(source, "table")]
    assert len(headers) >= 7
    for header in headers:
        assert header in word_tables, header
    row = next(t for t in document.tables if t.rows[0].cells[0].text == "Tipo de comuna")
    assert [c.text for c in row.rows[1].cells] == ["Grandes urbanas", "45", "80 %", "6,2", "18 %"]


def test_numbered_lists_are_numbered_and_start_again_in_each_post(corpus, spanish):
    _report, document = spanish
    numbering = document.part.numbering_part.element
    starts = {int(n.get(qn("w:numId"))): n for n in numbering.findall(qn("w:num"))}
    by_text = {}
    for paragraph in document.paragraphs:
        num = paragraph._p.find(f"{W}pPr/{W}numPr/{W}numId")
        if num is not None:
            by_text.setdefault(" ".join(paragraph.text.split()), int(num.get(qn("w:val"))))
    lists = [ol for source in _sources(corpus).values() for ol in _nodes(source, "ordered_list")]
    assert len(lists) >= 10
    used = []
    for ol in lists:
        first = _text(ol.children[0].children[0])
        num_id = by_text[first]
        override = starts[num_id].find(f"{W}lvlOverride/{W}startOverride")
        assert override is not None and int(override.get(qn("w:val"))) == int(ol.attrs.get("start", 1)), first
        used.append(num_id)
    assert len(set(used)) == len(used)  # one list instance per list: numbering restarts


def test_every_link_in_the_posts_is_a_real_hyperlink(corpus, spanish):
    _report, document = spanish
    targets = {rel.target_ref for rel in document.part.rels.values() if rel.is_external}
    urls = {n.attrs["href"] for source in _sources(corpus).values() for n in _nodes(source, "link")}
    assert len(urls) >= 5
    assert urls <= targets
    assert any(h.get(qn("r:id")) for h in document.element.body.iter(f"{W}hyperlink"))


def test_every_reply_names_its_target_and_links_to_it(corpus, spanish):
    report, document = spanish
    bookmarks = {b.get(qn("w:name")) for b in document.element.body.iter(f"{W}bookmarkStart")}
    links = {}
    for paragraph in document.paragraphs:
        if paragraph.style.name == "Post reply" and paragraph.text.startswith("En respuesta a"):
            link = paragraph._p.find(f"{W}hyperlink")
            links.setdefault(link.get(qn("w:anchor")), []).append(paragraph.text)
    items = {i.id: i for s in report.questions for i in s.highlights + s.remaining + [p for g in s.themes
                                                                                        for p in g.posts]}
    replies = [r for r in corpus.data.replies if r.reply_to]
    assert len(replies) >= 20
    for reply in replies:
        target = items[corpus.post_ids[reply.reply_to]]
        assert anchor(target.id) in bookmarks
        assert any(text.startswith(f"En respuesta a {target.author.label} (") for text in links[anchor(target.id)])
    assert sum(len(texts) for texts in links.values()) == len(replies)


def test_a_word_report_with_contents_page_numbers_a4_spanish_and_the_network_as_author(app, spanish):
    report, document = spanish
    body = document.element.body
    instructions = "".join(t.text for t in body.iter(f"{W}instrText"))
    assert "TOC \\o" in instructions
    contents = [p.text for p in document.paragraphs if p.style.name in ("TOC 1", "TOC 2")]
    chapters = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert chapters and contents[:len(chapters)] != [] and all(c in contents for c in chapters)
    assert "Anexo: todos los aportes" in chapters
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    assert "PAGE" in section.footer._element.xml
    languages = {lang.get(qn("w:val")) for lang in document.styles.element.iter(f"{W}lang")}
    assert languages == {"es-ES"}
    assert document.core_properties.author == app.config["SITE_NAME"]
    assert document.core_properties.title == report.title and "python-docx" not in document.core_properties.comments
    english = [r for r in body.iter(f"{W}r") if r.find(f"{W}rPr/{W}lang") is not None]
    assert english and {r.find(f"{W}rPr/{W}lang").get(qn("w:val")) for r in english} == {"en-US"}


def test_an_english_anonymised_report_on_letter_paper(corpus):
    report = synthesis.build(None, corpus.pair, synthesis.ExportOptions(language="en", anonymise=True,
                                                                         paper="letter"))
    document = docx.Document(io.BytesIO(report_files.render(report, "docx", paper="letter")[""]))
    assert round(document.sections[0].page_width.cm, 2) == 21.59
    assert {lang.get(qn("w:val")) for lang in document.styles.element.iter(f"{W}lang")} == {"en-US"}
    replies = [p.text for p in document.paragraphs if p.style.name == "Post reply" and p.text.startswith("In reply")]
    assert replies and all(re.match(r"In reply to Participant \d+ \(", text) for text in replies)
    authors = "\n".join(p.text for p in document.paragraphs if p.style.name in ("Post author", "Quote citation"))
    assert "Catalina Restrepo" not in authors and "Participant 1 — " in authors
    assert not [r for r in document.part.rels.values() if r.is_external and "/posts/" in r.target_ref]


def test_the_body_gives_each_theme_its_counts_and_quotes_with_citations(corpus, spanish):
    _report, document = spanish
    blocks = list(document.iter_inner_content())
    start = _heading_index(document, next(p.text for p in document.paragraphs if p.style.name == "Heading 1"
                                          and p.text.startswith("Pregunta orientadora 1:")))
    end = _heading_index(document, next(p.text for p in document.paragraphs if p.style.name == "Heading 1"
                                        and p.text.startswith("Pregunta orientadora 2:")))
    chapter = blocks[start:end]
    figures = next(b for b in chapter if isinstance(b, Table) and b.rows[0].cells[0].text == "Foro")
    q1 = Counter(r.language for r in corpus.data.replies if r.question == 1)
    assert [c.text for c in figures.rows[1].cells][:2] == ["Español", str(q1["es"])]
    assert [c.text for c in figures.rows[2].cells][:2] == ["Inglés", str(q1["en"])]
    themes = next(b for b in chapter if isinstance(b, Table) and b.rows[0].cells[0].text == "Tema")
    expected = Counter((code, r.language) for r in corpus.data.replies if r.question == 1 for code in r.themes)
    labels = {t["label_es"]: t["code"] for t in corpus.data.codebook}
    assert [c.text for c in themes.rows[-1].cells] == ["Publicaciones en la pregunta", str(q1["es"]), "",
                                                       str(q1["en"]), "", str(q1["es"] + q1["en"])]
    for row in themes.rows[1:-1]:  # theme | es | % | en | % | total
        code = labels[row.cells[0].text]
        es, en = expected[(code, "es")], expected[(code, "en")]
        assert [row.cells[1].text, row.cells[3].text] == [str(es), str(en)]
        assert row.cells[2].text == f"{es / q1['es']:.0%}" and row.cells[4].text == f"{en / q1['en']:.0%}"
    texts = {corpus.post_ids[r.id]: r for r in corpus.data.replies}
    heading, quotes = None, Counter()
    for block in chapter:
        if isinstance(block, Table):
            continue
        if block.style.name == "Heading 3":
            heading = labels[block.text.rsplit(" (", 1)[0]]
        elif block.style.name == "Quote citation":
            link = block._p.find(f"{W}hyperlink")
            reply = texts[int(link.get(qn("w:anchor")).removeprefix("post_"))]
            assert heading in reply.themes
            quotes[heading] += 1
        elif block.style.name == "Report quote":
            assert not re.match(r"“(Hola|Estimad|Gracias|Saludos|Hi |Dear|Thank)", block.text), block.text
    assert set(quotes) == set(labels.values()) and all(2 <= n <= 3 for n in quotes.values())


def test_the_appendix_has_every_post_once_under_its_first_theme(corpus, spanish):
    _report, document = spanish
    blocks = list(document.iter_inner_content())
    appendix = blocks[_heading_index(document, "Anexo: todos los aportes"):]
    authors = [b for b in appendix if not isinstance(b, Table) and b.style.name == "Post author"]
    assert len(authors) == len(corpus.data.replies)
    labels = {t["code"]: t["label_es"] for t in corpus.data.codebook}
    order = [t["code"] for t in corpus.data.codebook]
    heading, seen = None, Counter()
    for block in appendix:
        if isinstance(block, Table):
            continue
        if block.style.name == "Heading 3":
            heading = block.text.rsplit(" (", 1)[0]
        elif block.style.name == "Post author":
            name = block._p.find(f"{W}bookmarkStart").get(qn("w:name"))
            seen[name] += 1
            reply = next(r for r in corpus.data.replies if anchor(corpus.post_ids[r.id]) == name)
            first = min(reply.themes, key=order.index) if reply.themes else None  # in the codebook's order
            assert heading == (labels[first] if first else "Sin codificar"), reply.id
    assert set(seen.values()) == {1}
    also = [p.text for p in document.paragraphs if p.style.name == "Post reply" and p.text.startswith("También:")]
    assert len(also) == sum(1 for r in corpus.data.replies if len(r.themes) > 1)


def test_the_markdown_keeps_each_posts_markdown_under_the_reports_headings(corpus, markdown):
    assert "\n##### 1. Desafíos en los territorios urbanos\n" in markdown
    assert "\n## 1. Desafíos en los territorios urbanos" not in markdown
    assert "| Tipo de comuna | Comunas |" in markdown and "| --- | ---: |" in markdown
    for source in _sources(corpus).values():
        for link in _nodes(source, "link"):
            assert f"(<{link.attrs['href']}>)" in markdown
    replies = re.findall(r"\*\[En respuesta a [^\]]+\]\(#(post_\d+)\)\*", markdown)
    assert len(replies) == sum(1 for r in corpus.data.replies if r.reply_to)
    assert all(f'<a id="{target}"></a>' in markdown for target in replies)
    assert "<script" not in markdown.lower()


def test_charts_per_question_and_countries_without_an_other_bar(corpus, spanish):
    report, document = spanish
    descriptions = [s._inline.docPr.get("descr") for s in document.inline_shapes]
    assert descriptions[:2] == ["Participantes por país", "Publicaciones por semana"]
    assert [d for d in descriptions if d.startswith("Publicaciones por tema")] == [
        f"Publicaciones por tema en cada foro, pregunta orientadora {n}" for n in (1, 2, 3, 4)]
    rows, note = figures.country_rows(report)
    assert len(rows) == len(report.statistics.by_country) <= 20 and not note
    many = [(f"C{n}", 30 - n, 30 - n) for n in range(25)]
    report.statistics.by_country, kept = many, report.statistics.by_country
    try:
        rows, note = figures.country_rows(report)
    finally:
        report.statistics.by_country = kept
    assert len(rows) == 19 and max(p for _, p in rows) == 30
    assert "6" in note and str(sum(30 - n for n in range(19, 25))) in note


def test_quotes_skip_greetings_and_sentences_quoted_from_others(corpus, spanish):
    report, _document = spanish
    item = next(i for s in report.questions for i in s.remaining + [p for g in s.themes for p in g.posts]
                if i.source.startswith("Muy interesante lo de Catalina"))
    sentence = best_sentence(item)
    assert sentence and not sentence.startswith("Muy interesante")
    sentences, _bold = own_sentences(item)  # Catalina's words, quoted in the post, are not this author's
    assert sentences and not any("actualizamos el mapa" in s or "Catalina Restrepo" in s for s in sentences)
    assert any("periurbano" in s for s in sentences)


def _signature(document) -> list[tuple]:
    return [(t.type, t.tag, t.nesting, t.content, t.map, t.level, t.block,
             tuple((c.type, c.tag, c.content) for c in t.children or [])) for t in document.tokens]


def test_plain_posts_skip_the_parser_and_get_the_same_document(corpus):
    """Paragraphs of plain words are built without markdown-it (its address detection is most of an
    export's time): the document must be the one markdown-it gives, and anything else must go to it."""
    sources = list(_sources(corpus).values())
    pieces = [p for s in sources for p in s.split("\n\n")] + ["\n\n".join(s.split("\n\n")[:3]) for s in sources]
    plain = [p for p in pieces if is_plain(p)]
    assert len(plain) >= 200
    for piece in plain + ["Hola\n\n\nchau", "Son 2.500 habitantes, el 3.5 %.\nOtra línea."]:
        assert _signature(plain_document(piece)) == _signature(parse(piece)), piece
    for markup in ("Visite ejemplo.org", "1. uno", "x  \ny", "hola @ana", "a\u00a0b", " sangría", "x\n---",
                   "**b**", "[a](b)", "x\u202ey", "WWW.ejemplo", "mailto:a", "texto\n- lista", "fin "):
        assert not is_plain(markup), markup
