"""The synthesis export: the DOCX read back with python-docx, the CSV with the csv module, against
a hand-counted forum pair; privacy (hidden, deleted, pending, anonymised), permissions and the CLI."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import docx
import pytest
from sqlalchemy import select

from forum import timezones
from forum.models import PostTheme, SynthesisNote, Theme, Thread, utcnow
from forum.services import posting, report_files, synthesis, webinar_registrations, webinars
from forum.services.membership import add_member
from tests.conftest import forum_of


@pytest.fixture
def forum_pair(db, make_user, make_community, make_pair):
    """Six live posts by four people, and three that must never be exported (hand-counted below)."""
    moderator = make_user("Moderadora")
    community = make_community("red", members={moderator: "moderator"})
    pair = make_pair(community, questions=2, slug="resiliencia")
    pair.themes.extend([Theme(code="gov", label_es="Gobernanza", label_en="Governance", position=0),
                        Theme(code="risk", label_es="Riesgo", label_en="Risk", position=1)])
    people = {
        "ana": make_user("Ana Morales", country="CL", sector="subnational_government", gender="woman",
                         institution="Municipalidad de Valparaíso"),
        "ben": make_user("Ben Charles", country="TT", sector="national_government", gender="man",
                         institution="Ministry of Planning", locale="en"),
        "carla": make_user("Carla Reyes", country="MX", sector="academia", gender="woman", institution="UNAM",
                           show_name_in_reports=False),
        "dan": make_user("Dan Quispe", country="PE", sector="civil_society"),
        "eva": make_user("Eva Díaz", country="AR", sector="academia", gender="other"),
        "fer": make_user("Fer Silva", country="UY", sector="academia", gender="man"),
        "gus": make_user("Gus Soto", country="CL", sector="academia", gender="man", institution="Secreto",
                         show_institution=False),
    }
    for person in people.values():
        add_member(person, community)
    db.session.commit()
    es, en = forum_of(pair, "es"), forum_of(pair, "en")

    def question(forum, position):
        return db.session.execute(select(Thread).filter_by(forum_id=forum.id, position=position)).scalar_one()

    def post(who, thread, text, **fields):
        item = posting.add_post(thread, people[who], text, status=fields.pop("status", "published"))
        for key, value in fields.items():
            setattr(item, key, value)
        db.session.commit()
        return item

    themes = {t.code: t for t in pair.themes}
    posts = {
        "ana1": post("ana", question(es, 1), "La gobernanza multinivel es clave para la resiliencia.",
                     is_highlight=True),
        "ana2": post("ana", question(es, 2), "Los planes de desarrollo deben incluir el riesgo.",
                     created_at=utcnow() - timedelta(days=10)),
        "ben1": post("ben", question(en, 1), "Small island states need regional cooperation."),
        "ben2": post("ben", question(en, 1), "Early warning systems saved lives after the hurricane.",
                     useful_count=3),
        "carla1": post("carla", question(es, 1), "La academia puede aportar escenarios de riesgo."),
        "gus1": post("gus", question(en, 2), "Land-use rules matter most in coastal cities."),
        "dan1": post("dan", question(es, 2), "TEXTO OCULTO por la moderación.", hidden_at=utcnow()),
        "eva1": post("eva", question(es, 1), "TEXTO BORRADO por su autora.", deleted_at=utcnow()),
        "fer1": post("fer", question(es, 1), "TEXTO PENDIENTE de aprobación.", status="pending"),
    }
    db.session.add_all([PostTheme(post_id=posts["ben1"].id, theme_id=themes["gov"].id),
                        PostTheme(post_id=posts["carla1"].id, theme_id=themes["risk"].id),
                        SynthesisNote(pair_id=pair.id, position=1, body_es="La síntesis de la **pregunta uno**.",
                                      body_en="")])
    db.session.commit()
    return {"pair": pair, "community": community, "moderator": moderator, "people": people, "posts": posts}


def _docx(report) -> docx.Document:
    return docx.Document(io.BytesIO(report_files.to_docx(report)))


def _headings(document) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]


def _text(document) -> str:
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _table_after(document, heading: str) -> list[list[str]]:
    """The first table that follows a heading, as rows of cell texts."""
    from docx.table import Table

    seen = False
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            if seen:
                return [[c.text for c in row.cells] for row in block.rows]
        elif block.style.name.startswith("Heading") and block.text == heading:  # not its entry in the contents
            seen = True
    raise AssertionError(f"no table after {heading!r}")


def test_the_docx_report_has_every_part_in_order_with_hand_counted_numbers(db, forum_pair):
    pair = forum_pair["pair"]
    report = synthesis.build(forum_pair["moderator"], pair, synthesis.ExportOptions(language="es"))
    assert report.left_out == {"hidden": 1, "deleted": 1, "pending or rejected": 1}
    document = _docx(report)
    headings = _headings(document)
    expected = ["Nota conceptual", "Participación", "Participantes por sexo/género", "Participantes por país",
                "Participantes por sector", "Publicaciones por semana", "Publicaciones más marcadas como útiles"]
    assert headings[:len(expected)] == expected
    q1 = headings.index(next(h for h in headings if h.startswith("Pregunta orientadora 1:")))
    q2 = headings.index(next(h for h in headings if h.startswith("Pregunta orientadora 2:")))
    assert headings[q1 + 1:q2] == ["Síntesis de la moderación", "Cifras clave", "Español e inglés lado a lado",
                                   "Temas", "Gobernanza (1)", "Riesgo (1)"]
    institutions_at = headings.index("Instituciones participantes por país")
    appendix_at = headings.index("Anexo: todos los aportes")
    assert headings[institutions_at + 1:appendix_at] == ["Chile", "Trinidad y Tobago"]
    assert headings[appendix_at + 1:appendix_at + 5] == [
        headings[q1], "Gobernanza (1)", "Riesgo (1)", "Sin codificar (2)"]

    assert _table_after(document, "Participación") == [["Foro", "Participantes", "Publicaciones"],
                                                       ["Español", "2", "3"], ["Inglés", "2", "3"],
                                                       ["Total", "4", "6"]]
    assert _table_after(document, "Participantes por sexo/género") == [
        ["Mujeres", "Hombres", "Otro", "No declarado", "Total"], ["2", "2", "0", "0", "4"]]
    assert _table_after(document, "Participantes por país")[1:] == [
        ["Chile", "2", "3"], ["Trinidad y Tobago", "1", "2"], ["México", "1", "1"]]
    assert _table_after(document, "Español e inglés lado a lado") == [
        ["Tema", "Español", "%", "Inglés", "%", "Total"], ["Gobernanza", "0", "0%", "1", "50%", "1"],
        ["Riesgo", "1", "50%", "0", "0%", "1"], ["Publicaciones en la pregunta", "2", "", "2", "", "4"]]
    assert len(document.inline_shapes) == 3  # countries, weeks, and the themes of question 1

    text = _text(document)
    assert "La síntesis de la pregunta uno." in text
    assert "Ana Morales — Chile, Municipalidad de Valparaíso" in text
    assert "Participante 3 — México, Academia" in text  # Carla asked not to be named
    assert "Carla" not in text and "UNAM" not in text
    assert "Secreto" not in text  # Gus hides his institution
    for never in ("OCULTO", "BORRADO", "PENDIENTE", "Dan Quispe", "Eva Díaz", "Fer Silva"):
        assert never not in text, never
    institutions = text.split("Instituciones participantes por país", 1)[1]
    assert "Municipalidad de Valparaíso" in institutions and "Ministry of Planning" in institutions


def test_an_anonymised_highlights_only_english_report(db, forum_pair):
    report = synthesis.build(forum_pair["moderator"], forum_pair["pair"], synthesis.ExportOptions(
        language="en", anonymise=True, highlights_only=True))
    text = _text(_docx(report))
    assert "Guiding question 1:" in text and "Participation" in text
    for name in ("Ana", "Ben", "Carla", "Gus", "Valparaíso"):
        assert name not in text, name
    assert re.search(r"Participant [1-4] — Chile, Subnational government", text)  # numbered at random
    assert "La gobernanza multinivel es clave" in text  # the one highlight
    assert "Small island states" not in text
    markdown = report_files.to_markdown(report)
    assert markdown.startswith("# Synthesis of the forum") and "La gobernanza multinivel" in markdown
    assert "Ana" not in markdown


def test_the_date_range_and_a_single_forum(db, forum_pair):
    today = utcnow().date()
    report = synthesis.build(forum_pair["moderator"], forum_pair["pair"], synthesis.ExportOptions(
        start=today - timedelta(days=3)))
    assert report.statistics.posts == 5  # Ana's older post falls outside
    english = next(f for f in forum_pair["pair"].forums if f.language == "en")
    report = synthesis.build(forum_pair["moderator"], forum_pair["pair"], synthesis.ExportOptions(
        forum_id=english.id))
    assert report.statistics.posts == 3 and report.languages == ["en"]
    with pytest.raises(synthesis.DomainError):
        synthesis.build(forum_pair["moderator"], forum_pair["pair"], synthesis.ExportOptions(
            start=today, end=today - timedelta(days=1)))


def test_csv_of_posts_and_participants_and_the_json(db, forum_pair):
    report = synthesis.build(forum_pair["moderator"], forum_pair["pair"], synthesis.ExportOptions())
    posts = list(csv.DictReader(io.StringIO(report_files.posts_csv(report))))
    assert len(posts) == 6 and list(posts[0]) == list(report_files.POST_COLUMNS)
    by_id = {int(row["post_id"]): row for row in posts}
    ben1 = by_id[forum_pair["posts"]["ben1"].id]
    assert ben1["themes"] == "gov" and ben1["forum_language"] == "en" and ben1["question"] == "1"
    assert ben1["author"] == "Ben Charles" and ben1["country"] == "TT" and ben1["named"] == "1"
    assert by_id[forum_pair["posts"]["ana1"].id]["highlight"] == "1"
    carla = by_id[forum_pair["posts"]["carla1"].id]
    assert carla["author"].startswith("Participante") and carla["named"] == "0" and carla["institution"] == ""
    assert by_id[forum_pair["posts"]["ben2"].id]["useful_marks"] == "3"
    people = list(csv.DictReader(io.StringIO(report_files.participants_csv(report))))
    assert [(p["author"], p["posts"], p["languages"]) for p in people] == [
        ("Ana Morales", "2", "es"), ("Ben Charles", "2", "en"), ("Participante 3", "1", "es"), ("Gus Soto", "1", "en")]
    data = json.loads(report_files.to_json(report))
    assert data["schema_version"] == 2 and len(data["questions"]) == 2
    assert data["statistics"]["posts"] == 6 and data["questions"][0]["note"]["es"].startswith("La síntesis")


def test_the_closing_webinars_figures_close_the_report(db, forum_pair, make_user):
    pair, community = forum_pair["pair"], forum_pair["community"]
    organizer = make_user("Org")
    add_member(organizer, community, role="organizer")
    db.session.commit()
    webinar = webinars.save_webinar(organizer, community, webinars.WebinarInput(
        title_es="Seminario de cierre", title_en="Closing webinar", timezone="America/Santiago",
        starts_at=timezones.to_local(utcnow() + timedelta(days=5), "America/Santiago"), pair_id=pair.id))
    for person in forum_pair["people"].values():
        webinar_registrations.register_member(person, webinar)
    ana = forum_pair["people"]["ana"]
    registration = webinar_registrations.registration_of(ana, webinar)
    registration.attended = True
    db.session.commit()
    document = _docx(synthesis.build(forum_pair["moderator"], pair, synthesis.ExportOptions()))
    headings = _headings(document)
    assert headings[headings.index("Seminario web de cierre") + 1] == "Anexo: todos los aportes"
    rows = _table_after(document, "Seminario web de cierre")
    assert rows[1] == ["Inscritos", "2", "3", "1", "1", "7"] and rows[2] == ["Asistieron", "1", "0", "0", "0", "1"]


def test_only_moderators_organizers_and_admins_export(client, login, db, forum_pair, make_user, make_community,
                                                     make_pair):
    pair = forum_pair["pair"]
    url = f"/c/red/pairs/{pair.id}/export"
    login(forum_pair["people"]["ana"])
    assert client.get(url).status_code == 403
    assert client.get(url + "?format=docx").status_code == 403
    login(forum_pair["moderator"])
    page = client.get(url)
    assert page.status_code == 200 and "Exportar la sistematización" in page.get_data(as_text=True)
    response = client.get(url + "?format=docx&language=es")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    assert "resiliencia-es.docx" in response.headers["Content-Disposition"]
    document = docx.Document(io.BytesIO(response.data))
    assert "Participación" in _headings(document)
    response = client.get(url + "?format=csv-participants&anonymise=y")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 5 and all(r[1].startswith("Participante") for r in rows[1:])
    bad = client.get(url + "?format=pdf&start=2027-13-45")
    assert bad.status_code == 400 and "Elige una opción de la lista." in bad.get_data(as_text=True)
    bad = client.get(url + "?format=md&start=2027-02-01&end=2027-01-01")
    assert bad.status_code == 400 and "El último día debe ser posterior al primero." in bad.get_data(as_text=True)
    other = make_pair(make_community("otra"))
    assert client.get(f"/c/red/pairs/{other.id}/export").status_code == 404
    assert client.get(f"/c/otra/pairs/{other.id}/export").status_code == 403


def test_the_cli_shows_progress_and_says_where_it_wrote(runner, db, forum_pair, tmp_path):
    target = tmp_path / "informe.docx"
    result = runner.invoke(args=["export", "resiliencia", "--format", "docx", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "... reading posts" in result.output and "... writing docx" in result.output
    assert f"wrote {target}: 6 posts by 4 participants, 2 guiding questions" in result.output
    assert "left out: 1 deleted, 1 hidden, 1 pending or rejected" in result.output
    assert "Participación" in _headings(docx.Document(str(target)))
    result = runner.invoke(args=["export", "resiliencia", "--format", "csv", "-o", str(tmp_path / "datos.csv"),
                                 "--language", "en", "--anonymise"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "datos.csv").exists() and (tmp_path / "datos-participants.csv").exists()
    result = runner.invoke(args=["export", "no-such-pair", "--format", "md", "-o", str(tmp_path / "x.md")])
    assert result.exit_code != 0 and "No forum pair has this address." in result.output


def test_review_fixes_odd_characters_hidden_profile_fields_mentions_and_escaping(client, login, db, forum_pair):
    people, posts = forum_pair["people"], forum_pair["posts"]
    people["ben"].show_country = False  # Trinidad and Tobago would name him: he counts as "not stated"
    thread = db.session.get(Thread, posts["ben1"].thread_id)
    odd = posting.add_post(thread, people["gus"], "Gracias @" + people["carla"].handle
                           + " \ufffe por <script>alert(1)</script> y `# no es título`")
    db.session.commit()
    report = synthesis.build(forum_pair["moderator"], forum_pair["pair"], synthesis.ExportOptions())
    document = _docx(report)  # the odd character no longer stops the Word file
    text = _text(document)
    assert "Gracias @Participante 3" in text and people["carla"].handle not in text
    countries = _table_after(document, "Participantes por país")
    assert ["No declarado", "1", "2"] in countries and not any(r[0] == "Trinidad y Tobago" for r in countries)
    markdown = report_files.to_markdown(report)
    assert "<script>" not in markdown and "alert(1)" not in markdown and "`# no es título`" in markdown
    anonymous = synthesis.build(forum_pair["moderator"], forum_pair["pair"],
                                synthesis.ExportOptions(anonymise=True))
    rows = list(csv.DictReader(io.StringIO(report_files.posts_csv(anonymous))))
    assert [r["post_id"] for r in rows] == [str(n) for n in range(1, len(rows) + 1)]
    assert all(r["url"] == "" for r in rows) and "@Participante" in rows[-1]["text"]
    # The odd post is there, under its place in the export; its real id (which would lead to its
    # author's page) is nowhere in the file. Three left-out posts come before it: its id is larger.
    [odd_row] = [r for r in rows if r["text"].startswith("Gracias @")]
    assert odd.id > len(rows) and odd_row["post_id"] == str(len(rows))
    assert str(odd.id) not in {r["post_id"] for r in rows} | {r["reply_to"] for r in rows}
    assert f"/posts/{odd.id}" not in report_files.posts_csv(anonymous)
    login(forum_pair["moderator"])
    url = f"/c/red/pairs/{forum_pair['pair'].id}/export"
    for query, message in (("?format=docx&end=9999-12-31", "Usa una fecha entre los años 2000 y 2100."),
                           ("?format=docx&forum=999", "Elige una opción de la lista."),
                           ("?format=docx&language=xx", "Elige una opción de la lista.")):
        response = client.get(url + query)
        assert response.status_code == 400 and message in response.get_data(as_text=True), query


def test_the_paper_size_from_the_form_and_the_command_line(client, login, runner, db, forum_pair, tmp_path):
    login(forum_pair["moderator"])
    url = f"/c/red/pairs/{forum_pair['pair'].id}/export"
    page = client.get(url).get_data(as_text=True)
    assert 'name="paper"' in page and "Carta" in page
    a4 = docx.Document(io.BytesIO(client.get(url + "?format=docx").data))
    assert round(a4.sections[0].page_width.cm, 2) == 21.0 and round(a4.sections[0].page_height.cm, 2) == 29.7
    letter = docx.Document(io.BytesIO(client.get(url + "?format=docx&paper=letter").data))
    assert round(letter.sections[0].page_width.cm, 2) == 21.59 and round(letter.sections[0].page_height.cm, 2) == 27.94
    bad = client.get(url + "?format=docx&paper=a3")
    assert bad.status_code == 400 and "Elige una opción de la lista." in bad.get_data(as_text=True)
    target = tmp_path / "carta.docx"
    result = runner.invoke(args=["export", "resiliencia", "--format", "docx", "-o", str(target), "--paper", "letter"])
    assert result.exit_code == 0, result.output
    assert round(docx.Document(str(target)).sections[0].page_width.cm, 2) == 21.59


def test_an_empty_pair_and_a_post_with_every_kind_of_markdown(db, forum_pair, make_community, make_pair):
    empty = make_pair(make_community("vacia"), questions=1, slug="vacia")
    report = synthesis.build(None, empty, synthesis.ExportOptions())
    for fmt in report_files.FORMATS:
        assert report_files.render(report, fmt)[""]
    people, posts = forum_pair["people"], forum_pair["posts"]
    thread = db.session.get(Thread, posts["ana1"].thread_id)
    posting.add_post(thread, people["ana"], (
        "### Un título\n\n1. uno\n   1. uno punto uno\n2. dos\n\n> cita\n> > cita anidada\n\n"
        "```\ncódigo <b>\n```\n\nNota[^1] y [malo](javascript:alert(1)) e ![imagen](https://x.org/a.png)\n\n"
        "[^1]: El pie.\n"))
    db.session.commit()
    report = synthesis.build(forum_pair["moderator"], forum_pair["pair"], synthesis.ExportOptions())
    document = _docx(report)
    styles = {p.text: p.style.name for p in document.paragraphs}
    assert styles["Un título"] == "Post heading" and styles["código <b>"] == "Post code"
    assert styles["cita"] == styles["cita anidada"] == "Post quote"
    levels = {p.text: p._p.pPr.numPr.ilvl.val for p in document.paragraphs if p._p.pPr is not None
              and p._p.pPr.numPr is not None}
    assert levels["uno"] == 0 and levels["uno punto uno"] == 1 and levels["dos"] == 0
    assert any(p.text.startswith("[1] El pie.") for p in document.paragraphs)
    targets = [r.target_ref for r in document.part.rels.values() if r.is_external]
    assert "https://x.org/a.png" in targets and not any("javascript" in t for t in targets)
    assert any("Nota[1] y malo e imagen" in text for text in styles)  # the unsafe link keeps its words only
    markdown = report_files.to_markdown(report)
    assert "###### Un título" in markdown and "1. uno\n   1. uno punto uno\n2. dos" in markdown
    assert "> cita\n>\n> > cita anidada" in markdown and "```\ncódigo <b>\n```" in markdown
    assert "[malo]" not in markdown and "[^1]: El pie." in markdown
