"""Once an anonymous round is sealed, nobody who can read the whole database (system columns,
row order, raw pages and files, every table, the outbox) and the logs, nor the application's
key, can tell who cast which ballot. The attacks live in tests/forensics.py."""
from __future__ import annotations

import logging
import warnings
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from forum.logs import StructuredFormatter
from forum.models import Answer, Ballot, Round, Thread, utcnow
from forum.services import ballots, committees, round_results, sealing
from forum.timezones import to_local
from forum.views.ballot_form import read_replies
from tests import forensics
from tests.conftest import forum_of, thread_url

VOTERS = 8  # a random order guesses all 8 right once in 40,320 tries


@pytest.fixture
def committee(db, make_user, make_community, make_pair):
    organizer = make_user("Organizadora")
    members = [make_user(f"Votante {i}", email=f"votante{i}@example.org") for i in range(1, VOTERS + 1)]
    community = make_community("secreto", visibility="private", join_policy="invite",
                               members={organizer: "organizer", **{m: "member" for m in members}})
    pair = make_pair(community, questions=1)
    process = committees.save_process(organizer, community, title_es="Consulta", title_en="Consultation")
    return {"organizer": organizer, "members": members, "community": community, "process": process,
            "thread": db.session.execute(select(Thread).filter_by(forum_id=forum_of(pair, "es").id)).scalars().first()}



@pytest.fixture(scope="module", autouse=True)
def _a_fresh_sqlite_file_for_the_modules_after(app):
    """After this module's seals, processes that later modules start against the same SQLite file
    (tests/test_operations.py: schedulers, CLI commands) met "disk I/O error" on opening it, in
    the whole suite only; not understood yet (see the README's anonymous ballots section). The
    rest of the suite gets a new file, as the session began; PostgreSQL needs nothing."""
    yield
    from pathlib import Path

    from forum.extensions import db as _db

    with app.app_context():
        if _db.engine.dialect.name != "sqlite":
            return
        path = Path(_db.engine.url.database)
        _db.session.remove()
        _db.engine.dispose()
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        _db.create_all()


def _round(committee, *, anonymous: bool):
    community = committee["community"]
    data = committees.RoundInput(
        kind="questionnaire", title_es="Ronda", title_en="Round", anonymous=anonymous,
        opens_at=to_local(utcnow() - timedelta(hours=1), community.timezone),
        closes_at=to_local(utcnow() + timedelta(days=7), community.timezone),
        questions=[committees.QuestionInput(kind="single", text_es="¿Cuál?", text_en="Which?",
                                            options="Uno | One\nDos | Two\nTres | Three"),
                   committees.QuestionInput(kind="scale", text_es="Escala", text_en="Scale", allow_comment=True)])
    return committees.save_round(committee["organizer"], committee["process"], data)


def _answer(client, round_, option: int, comment: str):
    single, scale = round_.questions
    response = client.post(f"/c/secreto/rounds/{round_.id}/answer", data={
        f"q{single.id}": str(single.options[option].id), f"q{scale.id}": "4", f"q{scale.id}-comment": comment})
    assert response.status_code == 302


def _vote(client, login, db, committee, caplog):
    """Each member reads a thread, answers a named round, then the anonymous one; the round closes.
    Returns the anonymous round and each voter's comment (which identifies their ballot)."""
    caplog.set_level(logging.INFO, logger="forum.requests")
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # an operator debugging with SQL logs on
    named, secret = _round(committee, anonymous=False), _round(committee, anonymous=True)
    comments = {}
    for index, member in enumerate(committee["members"]):
        login(member)
        assert client.get(thread_url(committee["thread"])).status_code == 200  # a read mark
        _answer(client, named, index % 3, f"con nombre {index}")
        comments[member.id] = f"comentario secreto {index}"
        _answer(client, secret, index % 3, comments[member.id])
    db.session.execute(update(Round).values(closes_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    return secret, comments


def _scene(db, conn, committee, round_, caplog) -> forensics.Scene:
    formatter = StructuredFormatter("text")
    key = committee_key(db)
    return forensics.Scene(conn=conn, round_id=round_.id, member_ids=[m.id for m in committee["members"]],
                           log_lines=[formatter.format(r) for r in caplog.records], ballot_key=key)


def committee_key(db) -> bytes:
    from flask import current_app

    return (current_app.config.get("BALLOT_KEY") or current_app.config["SECRET_KEY"]).encode()


def _truth(conn, round_id: int, comments: dict[int, str]) -> dict[str, int]:
    by_comment = {comment: user for user, comment in comments.items()}
    rows = conn.execute(select(Answer.ballot_id, Answer.comment).join(Ballot, Ballot.id == Answer.ballot_id)
                        .where(Ballot.round_id == round_id, Answer.comment.is_not(None))).all()
    return {ballot_id: by_comment[comment] for ballot_id, comment in rows}


def _assert_no_attack_links_ballots(db, committee, round_, comments, caplog):
    postgres = db.engine.dialect.name == "postgresql"
    with db.engine.connect() as conn:
        raw_pages = postgres and _pageinspect(conn)
        truth = _truth(conn, round_.id, comments)
        assert len(truth) == VOTERS
        scene = _scene(db, conn, committee, round_, caplog)
        scene.raw_pages = raw_pages
        guesses = forensics.attacks(scene)
        if postgres:
            # One transaction wrote every sealed ballot, and no older row version is left in the pages.
            xids = conn.execute(text(
                "SELECT DISTINCT xmin::text FROM ballots WHERE round_id = :r UNION "
                "SELECT DISTINCT a.xmin::text FROM answers a JOIN ballots b ON b.id = a.ballot_id "
                "WHERE b.round_id = :r"), {"r": round_.id}).scalars().all()
            assert len(xids) == 1, xids
            if raw_pages:
                assert forensics.leftover_row_versions(conn) == 0
            assert guesses["xmin"] == {}
        conn.rollback()
    assert forensics.voter_order(_scene(db, None, committee, round_, caplog)) == [m.id for m in committee["members"]]
    # Nothing carries a ballot's key, id or content next to a voter: these attacks guess nothing.
    for name in ("raw bytes", "logs", "outbox"):
        assert guesses[name] == {}, name
    assert not [name for name in guesses if name.startswith("timestamps")]
    # Orders (physical, transaction, id) are a fresh random shuffle: no better than chance.
    for name, guess in guesses.items():
        assert forensics.linked(guess, truth) < VOTERS, f"{name} linked every ballot to its voter"


def _pageinspect(conn) -> bool:
    """Raw pages (old row versions) can be read only by a superuser, through pageinspect."""
    try:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        conn.commit()
        return True
    except Exception:
        conn.rollback()
        warnings.warn("pageinspect unavailable (not a superuser?): old row versions not checked", stacklevel=2)
        return False


def test_a_sealed_anonymous_round_leaves_nothing_that_links_a_ballot_to_its_voter(
        client, login, db, committee, caplog, capsys, tmp_path):
    secret, comments = _vote(client, login, db, committee, caplog)
    assert sealing.seal_closed_rounds() == 2  # the scheduler's job
    db.session.expire_all()
    secret = db.session.get(Round, secret.id)
    assert secret.sealed and secret.scrubbed
    _assert_no_attack_links_ballots(db, committee, secret, comments, caplog)
    # The results are still all there.
    result = round_results.results(secret)
    assert result.ballots == VOTERS
    assert sorted(result.questions[1].comments) == sorted(comments.values())
    assert [o.count for o in result.questions[0].options] == [3, 3, 2]
    assert ballots.my_ballot(committee["members"][0], secret) is None
    # Other rounds' ballots were written back as they were: the named round still says who answered what.
    named = db.session.execute(select(Round).filter_by(anonymous=False)).scalar_one()
    assert round_results.results(named).ballots == VOTERS
    assert sorted(name for name, _cells in round_results.named_answers(named, "es")) == sorted(
        m.display_name for m in committee["members"])
    # The same attacks, as an operator runs them against a database.
    db.session.commit()
    log_file = tmp_path / "forum.log"
    log_file.write_text("\n".join(_scene(db, None, committee, secret, caplog).log_lines))
    forensics.main([db.engine.url.render_as_string(hide_password=False), str(secret.id), str(log_file)])
    report = capsys.readouterr().out
    assert "logs: attributes 0 ballot(s)" in report and "natural order ~ logs: attributes 8 ballot(s)" in report
    if db.engine.dialect.name == "postgresql":
        assert "distinct transaction ids among the round's ballots: 1" in report
        assert "row versions left in the ballot tables' pages: 0" in report or "not readable" in report


def test_a_round_sealed_by_an_older_release_is_scrubbed_by_the_scheduler(client, login, db, committee, caplog):
    secret, comments = _vote(client, login, db, committee, caplog)
    # What sealing used to do: replace the keys in place, leaving the rows where and as they were written.
    for ballot in db.session.execute(select(Ballot).filter_by(round_id=secret.id)).scalars():
        ballot.voter_key = "sealed-old-" + ballot.id
    db.session.execute(update(Round).values(sealed=True, eligible_count=VOTERS))
    db.session.commit()
    assert sealing.seal_closed_rounds() == 1  # the anonymous round only: the named one needs nothing more
    db.session.expire_all()
    secret = db.session.get(Round, secret.id)
    assert secret.scrubbed
    _assert_no_attack_links_ballots(db, committee, secret, comments, caplog)
    assert sealing.seal_closed_rounds() == 0


def test_sealing_gives_way_to_a_busy_ballot_table_and_the_scheduler_finishes_it(
        client, login, db, committee, monkeypatch):
    """Emptying the tables needs them to itself: while a transaction reads them, sealing gives up
    quickly (a results page must not hang) and the scheduler's next run seals the round."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's table locks")
    secret = _round(committee, anonymous=True)
    for index, member in enumerate(committee["members"][:2]):
        login(member)
        _answer(client, secret, index, f"comentario {index}")
    db.session.execute(update(Round).values(closes_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    monkeypatch.setattr(sealing, "LOCK_TIMEOUT", "200ms")
    with db.engine.connect() as reader:
        assert reader.execute(text("SELECT count(*) FROM ballots")).scalar_one() == 2  # its transaction stays open
        login(committee["organizer"])
        page = client.get(f"/c/secreto/rounds/{secret.id}")
        assert page.status_code == 200 and "comentario 1" in page.get_data(as_text=True)  # results, unsealed
        reader.rollback()
    db.session.expire_all()
    assert not db.session.get(Round, secret.id).sealed
    assert sealing.seal_closed_rounds() == 1
    db.session.expire_all()
    assert db.session.get(Round, secret.id).scrubbed
    assert sorted(round_results.results(db.session.get(Round, secret.id)).questions[1].comments) == [
        "comentario 0", "comentario 1"]


def test_an_answer_that_arrives_while_the_round_is_sealed_is_refused_not_counted_twice(
        client, login, db, committee):
    """An organizer closes the round while a member's change of answer is on its way: once sealed,
    the member's key is gone, and a new ballot would be counted beside the first one."""
    secret = _round(committee, anonymous=True)
    voter = committee["members"][0]
    login(voter)
    _answer(client, secret, 0, "primera respuesta")
    assert sealing.seal(secret, now=secret.closes_at)  # sealed as the close arrives
    single, scale = secret.questions
    form = _Form({f"q{single.id}": str(single.options[1].id), f"q{scale.id}": "2"})
    with pytest.raises(committees.DomainError):
        ballots.submit(voter, secret, read_replies(secret, form))  # the round object still says it is open
    db.session.rollback()
    assert round_results.results(secret).ballots == 1
    assert db.session.execute(select(Ballot.voter_key).filter_by(round_id=secret.id)).scalar_one().startswith("sealed-")


class _Form(dict):
    def getlist(self, key):
        return [self[key]] if key in self else []


def test_on_sqlite_a_reader_that_keeps_the_log_from_emptying_leaves_the_round_for_the_next_run(
        client, login, db, committee, caplog):
    """The write-ahead log still holds the old pages (with the voters' keys) until a checkpoint
    empties it; a reader in the middle of a transaction stops that, so the round stays unscrubbed
    and the scheduler's next run finishes it."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    import sqlite3

    secret, comments = _vote(client, login, db, committee, caplog)
    reader = sqlite3.connect(db.engine.url.database, timeout=0)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM ballots").fetchone()
        assert sealing.seal_closed_rounds() == 2
        db.session.expire_all()
        assert db.session.get(Round, secret.id).sealed and not db.session.get(Round, secret.id).scrubbed
        with db.engine.connect() as conn:  # the log still holds the pages the reader may need: keys and all
            assert forensics.raw_bytes(_scene(db, conn, committee, secret, caplog))
    finally:
        reader.close()
    assert sealing.seal_closed_rounds() == 1
    db.session.expire_all()
    secret = db.session.get(Round, secret.id)
    assert secret.scrubbed
    _assert_no_attack_links_ballots(db, committee, secret, comments, caplog)


def test_when_the_ballots_cannot_be_rewritten_the_results_still_show_and_the_round_waits(
        client, login, db, committee, monkeypatch, caplog):
    """A database role that may not empty the tables (or any refusal): the results page answers,
    the round stays unsealed, and a log line says why at every attempt."""
    secret = _round(committee, anonymous=True)
    login(committee["members"][0])
    _answer(client, secret, 0, "una respuesta")
    db.session.execute(update(Round).values(closes_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()

    def refused(conn, round_id):
        conn.execute(text("TRUNCATE no_such_table"))  # refused as a missing privilege would be

    monkeypatch.setattr(sealing, "_rewrite_postgres", refused)
    monkeypatch.setattr(sealing, "_rewrite_sqlite", refused)
    login(committee["organizer"])
    page = client.get(f"/c/secreto/rounds/{secret.id}")
    assert page.status_code == 200 and "una respuesta" in page.get_data(as_text=True)
    assert "could not be sealed" in caplog.text or "not sealed yet" in caplog.text
    db.session.expire_all()
    assert not db.session.get(Round, secret.id).sealed
    monkeypatch.undo()
    assert sealing.seal_closed_rounds() == 1
