"""Search: both languages, highlighted and escaped snippets, filters, privacy, freshness."""
from datetime import timedelta

import pytest

from forum.models import Post, Thread, utcnow
from forum.services import posting
from tests.conftest import forum_of, thread_url


@pytest.fixture
def world(db, make_user, make_community, make_pair):
    ana = make_user("Ana Morales", handle="ana")
    ben = make_user("Ben Joseph", handle="ben")
    community = make_community("red", members={ana: "member", ben: "member"})
    pair = make_pair(community)
    es, en = forum_of(pair, "es"), forum_of(pair, "en")
    q_es = db.session.execute(db.select(Thread).filter_by(forum_id=es.id, position=1)).scalar_one()
    q_en = db.session.execute(db.select(Thread).filter_by(forum_id=en.id, position=1)).scalar_one()
    posting.add_post(q_es, ana, "La gestión del agua en los Andes exige coordinación entre municipios.")
    posting.add_post(q_en, ben, "Water management in the Caribbean needs regional coordination.")
    posting.add_post(q_es, ben, "La planificación prospectiva ayuda a anticipar riesgos.")
    db.session.commit()
    return {"ana": ana, "ben": ben, "community": community, "es": es, "en": en, "q_es": q_es, "q_en": q_en}


def results(client, **params) -> str:
    response = client.get("/search/", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_finds_posts_in_both_language_forums_with_highlighted_snippets(client, world):
    page = results(client, q="coordinación")
    assert "1 resultado" in page
    assert "<mark>coordinación</mark>" in page
    page = results(client, q="coordination")
    assert "<mark>coordination</mark>" in page and "Caribbean" in page
    page = results(client, q="agua")
    assert "Andes" in page


def test_accents_and_stems_are_forgiven(client, world, db):
    page = results(client, q="gestion")  # without the accent
    assert "Andes" in page
    page = results(client, q="planificacion")
    assert "prospectiva" in page


def test_snippets_escape_post_content(client, db, world):
    posting.add_post(world["q_es"], world["ana"], "Resiliencia <img src=x onerror=alert(1)> &lt;script&gt;alert(2)&lt;/script&gt;")
    db.session.commit()
    page = results(client, q="resiliencia")
    snippet = page[page.index('class="snippet"'):]
    snippet = snippet[:snippet.index("</p>")]
    assert "<mark>" in snippet
    assert "<script" not in snippet and "<img" not in snippet and "onerror" not in snippet


def test_filters_by_community_forum_author_and_date(client, db, world, make_community, make_pair, make_user):
    other = make_community("otra")
    other_q = db.session.execute(db.select(Thread).filter_by(forum_id=forum_of(make_pair(other), "es").id)).scalars().first()
    posting.add_post(other_q, world["ana"], "Coordinación en otra comunidad")
    db.session.commit()
    assert "2 resultados" in results(client, q="coordinación")
    assert "1 resultado" in results(client, q="coordinación", community="red")
    assert "1 resultado" in results(client, q="coordinación", forum=str(world["es"].id))
    assert "0 resultados" in results(client, q="Caribbean", author="ana")
    assert "1 resultado" in results(client, q="Caribbean", author="@ben")
    assert "1 resultado" in results(client, q="Caribbean", author="Ben Jos")  # by name too
    assert "1 resultado" in results(client, q="Caribbean", author="ben")  # the handle without @
    today = utcnow().date()
    assert "0 resultados" in results(client, q="agua", to=str(today - timedelta(days=3)))
    assert "1 resultado" in results(client, q="agua", **{"from": str(today - timedelta(days=1))})


def test_bad_dates_are_explained_not_crashed(client, world):
    page = results(client, q="agua", **{"from": "ayer"})
    assert "Desde no es una fecha (usa AAAA-MM-DD)." in page


def test_private_content_stays_out_of_search(client, db, login, make_user, make_community, make_pair, world):
    insider = make_user(handle="insider")
    secret = make_community("secreta", visibility="private", members={insider: "member"})
    thread = db.session.execute(db.select(Thread).filter_by(forum_id=forum_of(make_pair(secret), "es").id)).scalars().first()
    posting.add_post(thread, insider, "Presupuesto confidencial del comité")
    db.session.commit()
    assert "0 resultados" in results(client, q="confidencial")
    assert "secreta" not in results(client, q="x")
    login(world["ana"])
    assert "0 resultados" in results(client, q="confidencial")
    client.post("/auth/logout")
    login(insider)
    assert "1 resultado" in results(client, q="confidencial")


def test_index_follows_edits_and_deletions(client, db, login, world):
    ana = world["ana"]
    login(ana)
    client.post(thread_url(world["q_es"]), data={"body": "Palabra original mariposa"})
    post = db.session.execute(db.select(Post).order_by(Post.id.desc())).scalars().first()
    assert "1 resultado" in results(client, q="mariposa")
    client.post(f"/posts/{post.id}/edit", data={"body": "Palabra nueva colibrí"})
    assert "0 resultados" in results(client, q="mariposa")
    assert "1 resultado" in results(client, q="colibrí")
    client.post(f"/posts/{post.id}/delete")
    assert "0 resultados" in results(client, q="colibrí")


def test_thread_titles_are_searchable(client, world):
    page = results(client, q="question")
    assert "<mark>" in page


def test_search_issues_a_fixed_number_of_queries(client, db, count_queries, world):
    for i in range(3):  # enough that no "did you mean" is looked for
        posting.add_post(world["q_es"], world["ana"], f"Primera coordinación {i}")
    db.session.commit()
    with count_queries() as few:
        results(client, q="coordinación")
    for i in range(15):
        posting.add_post(world["q_es"], world["ben"], f"Más coordinación número {i}")
    db.session.commit()
    with count_queries() as many:
        results(client, q="coordinación")
    assert len(many) == len(few)


def test_empty_and_symbol_only_queries_show_no_results_and_no_error(client, world):
    for q in ("", "   ", '"*()^', "a" * 500):
        assert client.get("/search/", query_string={"q": q}).status_code == 200


def test_far_dates_and_foreign_parameters_do_not_break_search(client, db, world):
    for i in range(25):
        posting.add_post(world["q_es"], world["ana"], f"relleno número {i}")
    db.session.commit()
    assert client.get("/search/", query_string={"q": "relleno", "to": "9999-12-31"}).status_code == 200
    page = client.get("/search/", query_string={"q": "relleno", "endpoint": "x", "_external": "1",
                                                "_method": "POST"}).get_data(as_text=True)
    assert "page=2" in page and "endpoint" not in page[page.index('class="pagination"'):]


# --- bounded work: a stored vector, ranked candidates, a time limit ---------------------------

def test_past_a_thousand_matches_the_page_says_more_than_and_shows_the_newest(client, db, world, monkeypatch):
    from forum.services import search
    monkeypatch.setattr(search, "CANDIDATES", 5)
    for ordinal in ("primera", "segunda", "tercera", "cuarta", "quinta", "sexta", "séptima"):
        posting.add_post(world["q_es"], world["ana"], f"Cuenca hidrográfica {ordinal} del país")
    db.session.commit()
    page = results(client, q="cuenca")
    assert "Más de 5 resultados" in page and "Solo se clasifican y muestran los 5 más recientes" in page
    assert "séptima" in page and "tercera" in page and "segunda" not in page and "primera" not in page
    assert 'class="pagination"' not in page  # 5 fit on one page
    page = client.get("/search/", headers={"Accept-Language": "en"}, query_string={"q": "cuenca"}).get_data(as_text=True)
    assert "More than 5 results" in page and "Only the newest 5 are ranked and shown" in page


def test_pages_past_the_last_say_how_many_there_are(client, db, world):
    page = results(client, q="coordinación", page="7")
    assert "1 resultado" in page and "<mark>" not in page


def _hold_search_table():
    """Another connection that holds search_documents (PostgreSQL) until closed."""
    from sqlalchemy import text

    from forum.extensions import db
    connection = db.engine.connect()
    transaction = connection.begin()
    connection.execute(text("LOCK TABLE search_documents IN ACCESS EXCLUSIVE MODE"))
    return connection, transaction


def test_a_search_past_its_time_limit_is_stopped_with_a_message_not_an_error(app, client, db, world, monkeypatch):
    from forum.services import search
    if db.engine.dialect.name == "postgresql":
        # Blocked by another transaction's lock, the search can only end by its statement_timeout.
        monkeypatch.setitem(app.config, "SEARCH_TIMEOUT_MS", 300)
        connection, transaction = _hold_search_table()
    else:
        # SQLite's progress handler reads this clock: the second reading is past any deadline.
        readings = iter([0.0])
        monkeypatch.setattr(search, "_clock", lambda: next(readings, 10_000.0))
        connection = None
    try:
        response = client.get("/search/", query_string={"q": "coordinación"})
    finally:
        if connection is not None:
            transaction.rollback()
            connection.close()
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "La búsqueda tardó demasiado y se detuvo" in page and "Andes" not in page
    assert "1 resultado" in results(client, q="coordinación")  # the next search runs normally


@pytest.mark.postgres
def test_postgres_search_reads_the_stored_vector_through_its_gin_index(db, world):
    """EXPLAIN the real search statement over 5,000 documents: a rare word goes through the GIN
    index on the stored vector, and no plan recomputes a vector (to_tsvector) per row."""
    from flask_login import AnonymousUserMixin
    from sqlalchemy import insert, text

    from forum.models import SearchDocument
    from forum.services import search
    from forum.services.search_text import parse
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set TEST_DATABASE_URL)")
    thread, forum = world["q_es"], world["es"]
    now = utcnow()
    filler = "La planificación territorial necesita coordinación entre niveles de gobierno y comunidades"
    posts = [dict(thread_id=thread.id, author_id=world["ana"].id, number=100 + i, status="published",
                  body_md=filler + (" FONDEN" if i % 1000 == 0 else ""), body_html="", created_at=now)
             for i in range(5000)]
    ids = db.session.execute(insert(Post).returning(Post.id), posts).scalars().all()
    db.session.execute(insert(SearchDocument), [dict(
        post_id=pid, community_id=forum.community_id, forum_id=forum.id, thread_id=thread.id,
        author_id=world["ana"].id, language="es", created_at=now, title="", body=p["body_md"])
        for pid, p in zip(ids, posts)])
    db.session.commit()
    db.session.execute(text("ANALYZE"))  # as autovacuum would have done
    statement = search.search_statement(AnonymousUserMixin(), parse("FONDEN"), search.Filters(), 1)
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = "\n".join(db.session.execute(text("EXPLAIN " + sql)).scalars())
    assert "ix_search_documents_vector_es" in plan, plan
    assert "to_tsvector" not in plan, plan
    rows = db.session.execute(statement).all()
    assert len(rows) == 5 and rows[0].total == 5
    found = search.search(AnonymousUserMixin(), "FONDEN", search.Filters())
    assert found.total == 5 and "<mark>FONDEN</mark>" in found.hits[0].snippet


def test_postgres_keeps_a_long_posts_vector_whole_in_its_row(db, world):
    """A reply of 150 different words has a 3 kB vector: the search reads it where the row is,
    neither compressed nor moved to the TOAST table (each of those cost a fetch and a
    decompression per row matched and per row ranked, most of a common word's search)."""
    from flask_login import AnonymousUserMixin
    from sqlalchemy import text

    from forum.services import search

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set TEST_DATABASE_URL)")
    words = " ".join(f"palabra{i:03d}x" for i in range(150))
    post = posting.add_post(world["q_es"], world["ana"], words)
    row = db.session.execute(text(
        "SELECT pg_column_size(search_vector) AS size, pg_column_compression(search_vector) AS compression "
        "FROM search_documents WHERE post_id = :id"), {"id": post.id}).one()
    toast = db.session.execute(text("SELECT reltoastrelid::regclass::text FROM pg_class "
                                    "WHERE relname = 'search_documents'")).scalar()
    chunks = db.session.execute(text(f"SELECT count(*) FROM {toast}")).scalar()
    assert row.size > 2000 and row.compression is None and chunks == 0, (row, chunks)
    assert search.search(AnonymousUserMixin(), "palabra149x", search.Filters()).total == 1


# --- stems, typos, people ----------------------------------------------------------------------

def test_did_you_mean_links_the_better_known_word_in_both_languages(client, db, world):
    for text in ("La resiliencia urbana", "Resiliencia y riesgo", "Sin resiliencia no hay desarrollo",
                 "Una resilencia mal escrita"):
        posting.add_post(world["q_es"], world["ana"], text)
    db.session.commit()
    page = results(client, q="resilencia")
    assert "1 resultado" in page and "mal escrita" in page
    assert '¿Quisiste decir <a href="/search/?q=resiliencia"><strong>resiliencia</strong></a>?' in page
    page = client.get("/search/", query_string={"q": "resilencia"}, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'Did you mean <a href="/search/?q=resiliencia"><strong>resiliencia</strong></a>?' in page
    page = results(client, q="resilincia", community="red")  # nothing as typed: the similar word's results
    assert "No se encontró nada para «resilincia». Se muestran los resultados de" in page
    assert "3 resultados" in page and "urbana" in page and "community=red" in page


def test_a_typo_never_suggests_a_word_only_private_posts_hold(client, db, world, make_user, make_community, make_pair):
    insider = make_user(handle="insider2")
    secret = make_community("secreta2", visibility="private", members={insider: "member"})
    thread = db.session.execute(db.select(Thread).filter_by(forum_id=forum_of(make_pair(secret), "es").id)).scalars().first()
    posting.add_post(thread, insider, "Expropiaciones planificadas")
    db.session.commit()
    page = results(client, q="expropiacione")
    assert "0 resultados" in page and "Quisiste decir" not in page and "expropiaciones" not in page


def test_people_are_found_by_name_and_the_author_filter_takes_a_name(client, db, world, make_user):
    make_user("Ana Montes", handle="anamontes")  # wrote nothing anyone can read: not listed
    page = results(client, q="morales")
    people = page[page.index('id="people-heading"'):page.index('id="results-heading"')]
    assert "Ana Morales" in people and "@ana" in people and "Montes" not in people
    assert "1 resultado" in results(client, q="agua", author="Morales")
    assert "0 resultados" in results(client, q="agua", author="Joseph")


@pytest.mark.postgres
def test_postgres_people_lookup_reads_the_name_index_accents_aside(db, world, make_user):
    """The name and handle LIKEs are the expressions ix_users_names_trgm indexes (a BitmapOr of
    its two columns, no scan of every member), and a name is still found without its accents."""
    from flask_login import AnonymousUserMixin
    from sqlalchemy import select, text

    from forum.models import User
    from forum.services import search
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set TEST_DATABASE_URL)")
    angela = make_user("Ángela Núñez", handle="anunez")
    posting.add_post(world["q_es"], angela, "Cuencas compartidas")
    db.session.commit()
    assert [u.display_name for u in search.people(AnonymousUserMixin(), "nunez angela")] == ["Ángela Núñez"]
    assert [u.display_name for u in search.people(AnonymousUserMixin(), "anun")] == ["Ángela Núñez"]
    db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a handful of rows: only whether it can
    statement = select(User.id).where(search._name_has_words("resiliencia"))
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = "\n".join(db.session.execute(text("EXPLAIN " + sql)).scalars())
    assert "BitmapOr" in plan and plan.count("ix_users_names_trgm") == 2 and "Seq Scan" not in plan, plan


def test_the_reindex_command_writes_stems_and_words_again(app, client, db, runner, world):
    from sqlalchemy import text

    from forum.services import search_match
    search_match.clear_words()
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("DELETE FROM search_fts"))
    db.session.commit()
    assert "Se muestran los resultados de" not in results(client, q="planifiacion")  # no vocabulary
    if db.engine.dialect.name == "sqlite":  # PostgreSQL's stored vector is the database's own
        assert "0 resultados" in results(client, q="planificaciones")
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "reindexed 7 documents" in result.output
    assert "1 resultado" in results(client, q="planificaciones")  # the stem of "planificación"
    assert "Se muestran los resultados de" in results(client, q="planifiacion")  # the vocabulary is back
