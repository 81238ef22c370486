"""Download my data: everything tied to the person, proven against the models themselves."""
from __future__ import annotations

import json
from datetime import timedelta

from forum import timezones
from forum.extensions import db as _db
from forum.models import (
    Answer,
    Ballot,
    Post,
    Round,
    RoundOption,
    RoundQuestion,
    RoundResponse,
    TextRevision,
    utcnow,
)
from forum.services import member_data, posting, webinar_registrations, webinars
from tests.conftest import thread_url


def _person_columns() -> set[str]:
    """Every column of every model that points at a person (a foreign key to users.id)."""
    return {f"{table.name}.{column.name}" for table in _db.metadata.sorted_tables for column in table.columns
            if any(fk.column.table.name == "users" for fk in column.foreign_keys)}


def test_every_column_that_points_at_a_person_is_in_the_download_or_says_why_not(client, login, make_user):
    columns = _person_columns()
    assert "webinar_registrations.user_id" in columns and "ballots.user_id" in columns  # the walk sees them
    accounted = set(member_data.COVERAGE) | set(member_data.NOT_EXPORTED)
    assert not set(member_data.COVERAGE) & set(member_data.NOT_EXPORTED)
    assert columns - accounted == set(), "a new link to a person that the download leaves out"
    assert accounted - columns == set(), "the download names columns the models no longer have"
    login(make_user())
    data = json.loads(client.get("/auth/account/data").data)
    for column, path in member_data.COVERAGE.items():
        section = data
        for part in path.split("."):
            assert part in section, f"{column}: no {path!r} in the download"
            section = section[part]
        assert isinstance(section, list)


def test_the_download_holds_registrations_ballots_revisions_settings_and_bio(
        client, db, login, make_user, make_community, make_pair):
    ana = make_user("Ana Morales", email="ana@example.org", bio="Planificadora en Cusco", country="PE",
                    institution="Municipalidad", digest_frequency="daily", email_notifications="off",
                    newsletter_opt_in_at=utcnow())
    organizer = make_user("Org")
    community = make_community("red", members={ana: "member", organizer: "organizer"})
    make_pair(community)
    start = timezones.to_local(utcnow() + timedelta(days=9), "America/Lima").replace(second=0, microsecond=0)
    webinar = webinars.save_webinar(organizer, community, webinars.WebinarInput(
        title_es="Seminario de cierre", title_en="Closing webinar", starts_at=start, timezone="America/Lima"))
    webinar_registrations.register_member(ana, webinar)
    round_ = Round(community_id=community.id, kind="vote", title_es="Prioridades", opens_at=utcnow(),
                   closes_at=utcnow() + timedelta(days=3))
    db.session.add(round_)
    db.session.flush()
    question = RoundQuestion(round_id=round_.id, kind="single", text_es="¿Qué primero?")
    db.session.add(question)
    db.session.flush()
    option = RoundOption(question_id=question.id, label_es="Agua potable")
    db.session.add(option)
    db.session.flush()
    ballot = Ballot(id="b" * 32, round_id=round_.id, user_id=ana.id, voter_key=f"u{ana.id}")
    ballot.answers = [Answer(question_id=question.id, option_id=option.id, value=1, comment="Urgente")]
    db.session.add_all([ballot, RoundResponse(round_id=round_.id, user_id=ana.id),
                        TextRevision(kind="forum", target_id=1, title="Título anterior", editor_id=ana.id)])
    db.session.commit()
    thread = db.session.execute(db.select(Post.thread_id).where(Post.number == 1)).scalars().first()
    login(ana)
    from forum.models import Thread

    client.post(thread_url(db.session.get(Thread, thread)), data={"body": "Primera versión"})
    mine = db.session.execute(db.select(Post).filter_by(author_id=ana.id)).scalar_one()
    posting.edit_post(ana, mine, "Segunda versión")

    data = json.loads(client.get("/auth/account/data").data)
    assert data["profile"]["bio"] == "Planificadora en Cusco"
    assert data["email_settings"]["digest"] == "daily" and data["email_settings"]["notifications"] == "off"
    assert data["email_settings"]["newsletter_opt_in_at"]
    [place] = data["webinar_registrations"]
    assert place["webinar"] == "Seminario de cierre" and place["status"] == "registered"
    assert (place["email"], place["country"], place["institution"]) == ("ana@example.org", "PE", "Municipalidad")
    [vote] = data["ballots"]
    assert vote["round"] == "Prioridades"
    assert vote["answers"] == [{"question": "¿Qué primero?", "option": "Agua potable", "value": 1,
                                "comment": "Urgente"}]
    assert [r["round_id"] for r in data["round_responses"]] == [round_.id]
    assert [r["body_md"] for r in data["revisions"]] == ["Primera versión"]
    assert [r["title"] for r in data["text_revisions"]] == ["Título anterior"]
    assert [p["body_markdown"] for p in data["posts"]] == ["Segunda versión"]
    assert any(m["kind"] == "webinar_registered" for m in data["emails"])
