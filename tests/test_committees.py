"""Technical committees: a Delphi process of rounds, each question type, one ballot per member,
changing an answer, anonymity, quorum and threshold arithmetic, hidden-until-close results,
reminders, polls in threads, and results in the CSV and the synthesis export."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import docx
import pytest
from sqlalchemy import inspect, select

from forum.models import (
    Answer,
    Ballot,
    Forum,
    Process,
    Round,
    RoundResponse,
    Thread,
    utcnow,
)
from forum.policy import can
from forum.services import ballots, committees, posting, report_files, round_results, synthesis
from forum.timezones import to_local
from forum.views.ballot_form import read_replies
from tests.conftest import forum_of, outbox


def _local(community, delta: timedelta) -> str:
    return to_local(utcnow() + delta, community.timezone).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def committee(db, make_user, make_community):
    organizer = make_user("Organizadora")
    members = [make_user(f"Experta {i}", email=f"experta{i}@example.org") for i in range(1, 6)]
    community = make_community("comite", visibility="private", join_policy="invite",
                               members={organizer: "organizer", **{m: "member" for m in members}})
    process = committees.save_process(organizer, community, title_es="Índice de resiliencia",
                                      title_en="Resilience index")
    return {"organizer": organizer, "members": members, "community": community, "process": process}


def _questionnaire(committee, *, anonymous=False, visibility="after_close", kind="questionnaire", questions=None,
                   **fields):
    data = committees.RoundInput(
        kind=kind, title_es="Segunda ronda", title_en="Second round",
        opens_at=to_local(utcnow() - timedelta(hours=1), committee["community"].timezone),
        closes_at=to_local(utcnow() + timedelta(days=7), committee["community"].timezone),
        anonymous=anonymous, results_visibility=visibility, **fields,
        questions=questions or [
            committees.QuestionInput(kind="single", text_es="¿Qué dimensión primero?", text_en="Which dimension first?",
                                     options="Social | Social\nEconómica | Economic\nAmbiental | Environmental"),
            committees.QuestionInput(kind="multiple", text_es="¿Qué fuentes?", text_en="Which sources?",
                                     options="Censos | Censuses\nEncuestas | Surveys\nRegistros | Records"),
            committees.QuestionInput(kind="scale", text_es="El índice debe ser subnacional.",
                                     text_en="The index must be subnational.", allow_comment=True),
            committees.QuestionInput(kind="ranking", text_es="Ordene los criterios.", text_en="Rank the criteria.",
                                     options="Pertinencia | Relevance\nFactibilidad | Feasibility\nCosto | Cost"),
        ])
    return committees.save_round(committee["organizer"], committee["process"], data)


def _form(round_, picks: dict) -> dict:
    """Form data from {question position: answer}; options are given by their position (1-based)."""
    data = {}
    for question in round_.questions:
        value = picks.get(question.position)
        if value is None:
            continue
        name = f"q{question.id}"
        if question.kind == "single":
            data[name] = str(question.options[value - 1].id)
        elif question.kind == "multiple":
            data[name] = [str(question.options[v - 1].id) for v in value]
        elif question.kind == "scale":
            data[name] = str(value[0]) if isinstance(value, tuple) else str(value)
            if isinstance(value, tuple):
                data[f"{name}-comment"] = value[1]
        elif question.kind == "ranking":
            for option, place in zip(question.options, value):
                data[f"{name}-rank-{option.id}"] = str(place)
        elif question.kind == "proposal":
            data[name] = value
    return data


def _close(db, round_):
    round_.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


def test_an_organizer_runs_an_open_round_then_a_questionnaire_citing_its_posts(client, login, db, committee):
    community, organizer = committee["community"], committee["organizer"]
    login(organizer)
    url = f"/c/comite/processes/{committee['process'].id}/rounds/new"
    bad = client.post(url, data={"kind": "open", "title_es": "", "title_en": "", "opens_at": "",
                                 "closes_at": "", "questions-0-text_es": ""})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    for message in ("Ponle un título en al menos un idioma.", "Indica la fecha y hora de apertura.",
                    "Escribe al menos una pregunta."):
        assert message in page, message
    response = client.post(url, data={
        "kind": "open", "title_es": "Lluvia de ideas", "title_en": "Brainstorming",
        "opens_at": _local(community, timedelta(hours=-1)), "closes_at": _local(community, timedelta(days=14)),
        "results_visibility": "after_close",
        "questions-0-kind": "single", "questions-0-text_es": "¿Qué dimensiones debe tener el índice?",
        "questions-0-text_en": "What dimensions should the index have?",
        "questions-1-kind": "single", "questions-1-text_es": "¿Qué fuentes de datos existen?",
        "questions-1-text_en": "What data sources exist?"})
    assert response.status_code == 302
    open_round = db.session.execute(select(Round).filter_by(kind="open")).scalar_one()
    forums = db.session.execute(select(Forum).filter_by(pair_id=open_round.pair_id)).scalars().all()
    assert {f.language for f in forums} == {"es", "en"}
    es = next(f for f in forums if f.language == "es")
    threads = db.session.execute(select(Thread).filter_by(forum_id=es.id).order_by(Thread.position)).scalars().all()
    assert [t.title for t in threads] == ["¿Qué dimensiones debe tener el índice?", "¿Qué fuentes de datos existen?"]
    expert = committee["members"][0]
    cited = posting.reply(expert, threads[0], "Propongo tres dimensiones: social, económica y ambiental.")
    posting.reply(committee["members"][1], threads[0], "Agregaría la dimensión institucional.")
    page = client.get(f"/c/comite/processes/{committee['process'].id}").get_data(as_text=True)
    assert "Diseñar una ronda cerrada a partir de esta" in page

    form = client.get(f"{url}?from={open_round.id}").get_data(as_text=True)
    assert "Propongo tres dimensiones" in form
    response = client.post(f"{url}?from={open_round.id}", data={
        "kind": "questionnaire", "title_es": "Segunda ronda", "title_en": "Second round",
        "source_round_id": str(open_round.id),
        "opens_at": _local(community, timedelta(hours=-1)), "closes_at": _local(community, timedelta(days=7)),
        "results_visibility": "after_close",
        "questions-0-kind": "single", "questions-0-text_es": "¿Qué dimensión primero?",
        "questions-0-text_en": "Which dimension first?", "questions-0-options": "Social | Social\nAmbiental | Environmental",
        "sources-0": [str(cited.id), "999999"]})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    closed = db.session.execute(select(Round).filter_by(kind="questionnaire")).scalar_one()
    assert closed.source_round_id == open_round.id
    assert [s.post_id for s in closed.questions[0].sources] == [cited.id]  # the unknown id is ignored
    login(expert)
    page = client.get(f"/c/comite/rounds/{closed.id}").get_data(as_text=True)
    assert "Basada en 1 publicación de la ronda abierta" in page and "Propongo tres dimensiones" in page


def test_each_question_type_one_ballot_per_member_and_changing_an_answer(client, login, db, committee):
    round_ = _questionnaire(committee)
    members = committee["members"]
    answers = {members[0]: {1: 1, 2: [1, 2], 3: (1, "Depende del país"), 4: [1, 2, 3]},
               members[1]: {1: 1, 2: [2], 3: 2, 4: [2, 1, 3]},
               members[2]: {1: 2, 2: [1, 3], 3: 4, 4: [1, 3, 2]},
               members[3]: {1: 3, 2: [1], 3: 4, 4: [1, 2, 3]},
               members[4]: {1: 1, 2: [3], 3: 5, 4: [3, 2, 1]}}
    for member, picks in answers.items():
        login(member)
        response = client.post(f"/c/comite/rounds/{round_.id}/answer", data=_form(round_, picks),
                               follow_redirects=True)
        assert "Tu respuesta quedó guardada." in response.get_data(as_text=True)
    # Hidden until the round closes, for the organizer too.
    login(committee["organizer"])
    page = client.get(f"/c/comite/rounds/{round_.id}").get_data(as_text=True)
    assert "Los resultados se muestran cuando cierra la ronda." in page and "Mediana" not in page
    # The first expert changes her mind: still one ballot.
    login(members[0])
    page = client.get(f"/c/comite/rounds/{round_.id}").get_data(as_text=True)
    assert "Cambiar mi respuesta" in page and "Depende del país" in page
    client.post(f"/c/comite/rounds/{round_.id}/answer", data=_form(round_, {1: 2, 2: [1, 2], 3: (2, "Mejor 2"),
                                                                            4: [1, 2, 3]}))
    assert db.session.execute(select(Ballot).filter_by(round_id=round_.id)).scalars().all().__len__() == 5
    db.session.refresh(round_)
    assert round_.response_count == 5

    _close(db, round_)
    result = round_results.results(round_)
    single, multiple, scale, ranking = result.questions
    assert [(o.count, o.percent) for o in single.options] == [(2, 40.0), (2, 40.0), (1, 20.0)]
    assert [o.count for o in multiple.options] == [3, 2, 2] and multiple.answered == 5
    # Scale answers 2, 2, 4, 4, 5: median 4, quartiles 2 and 4.
    assert scale.distribution == {1: 0, 2: 2, 3: 0, 4: 2, 5: 1} and scale.median == 4
    assert scale.quartiles == (2.0, 4.0) and scale.comments == ["Mejor 2"]
    # Places given to Relevance: 1, 2, 1, 1, 3 -> mean 1.6; Feasibility 2, 1, 3, 2, 2 -> 2.0; Cost 3, 3, 2, 3, 1 -> 2.4.
    assert [(o.label_en, o.mean_rank) for o in ranking.options] == [("Relevance", 1.6), ("Feasibility", 2.0),
                                                                    ("Cost", 2.4)]
    login(members[1])
    page = client.get(f"/c/comite/rounds/{round_.id}").get_data(as_text=True)
    assert "Mediana: 4" in page and "rango intercuartílico: 2.0–4.0" in page
    response = client.post(f"/c/comite/rounds/{round_.id}/answer", data=_form(round_, {1: 1, 2: [1], 3: 1,
                                                                                       4: [1, 2, 3]}),
                           follow_redirects=True)
    assert "Esta ronda no está abierta" in response.get_data(as_text=True)


def test_bad_answers_are_refused_and_nothing_is_stored(client, login, db, committee):
    round_ = _questionnaire(committee)
    other = _questionnaire(committee)
    login(committee["members"][0])
    data = _form(round_, {1: 1, 2: [1], 3: 6, 4: [1, 1, 2]})
    data[f"q{round_.questions[0].id}"] = str(other.questions[0].options[0].id)  # another question's option
    data[f"q{round_.questions[2].id}-comment"] = "Lo que escribí no se pierde"
    response = client.post(f"/c/comite/rounds/{round_.id}/answer", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Elige una opción.", "Elige un punto de la escala del 1 al 5.",
                    "Da a cada opción un lugar distinto, del 1 al 3.", "Lo que escribí no se pierde"):
        assert message in page, message
    # Digits that are not ASCII are refused too, not a server error.
    response = client.post(f"/c/comite/rounds/{round_.id}/answer", data=dict(
        _form(round_, {1: 1, 2: [1], 4: [1, 2, 3]}), **{f"q{round_.questions[2].id}": "²"}))
    assert response.status_code == 400
    assert db.session.execute(select(Ballot)).first() is None
    # A site admin who is not a member does not vote (the quorum counts members).
    from forum.models import User as UserModel

    admin = db.session.execute(select(UserModel).filter_by(id=committee["organizer"].id)).scalar_one()
    admin.is_admin = True
    db.session.commit()
    assert can(admin, "round.answer", round_)  # an organizer is a member: the admin flag changes nothing
    outsider_admin = UserModel(email="admin@example.org", display_name="Admin", handle="admin_x", is_admin=True,
                               email_confirmed_at=utcnow())
    db.session.add(outsider_admin)
    db.session.commit()
    assert not can(outsider_admin, "round.answer", round_)
    # Outsiders cannot answer, nor see the committee.
    client.post("/auth/logout")
    assert client.get(f"/c/comite/rounds/{round_.id}").status_code == 404


def test_vote_quorum_and_threshold_arithmetic(db, committee, make_user):
    from forum.services.membership import add_member

    for i in range(4):  # 10 members in all: the organizer, 5 experts, 4 more
        add_member(make_user(f"Más {i}"), committee["community"])
    db.session.commit()
    proposals = [committees.QuestionInput(text_es="Aprobar la dimensión social", text_en="Approve the social dimension"),
                 committees.QuestionInput(text_es="Aprobar el criterio de costo", text_en="Approve the cost criterion")]
    vote = _questionnaire(committee, kind="vote", questions=proposals, quorum_percent=50, threshold_percent=60)
    strict = _questionnaire(committee, kind="vote", questions=proposals[:1], quorum_percent=70)
    simple = _questionnaire(committee, kind="vote", questions=proposals[:1])
    experts = committee["members"] + [committee["organizer"]]
    first = ["approve", "approve", "approve", "reject", "reject", "abstain"]
    second = ["approve", "approve", "reject", "reject", "abstain", "abstain"]
    for person, a, b in zip(experts, first, second):
        for round_, picks in ((vote, {1: a, 2: b}), (strict, {1: a}), (simple, {1: b})):
            ballots.submit(person, round_, read_replies(round_, _MultiDict(_form(round_, picks))))
    for round_ in (vote, strict, simple):
        _close(db, round_)
    social, cost = round_results.results(vote).questions
    assert round_results.results(vote).eligible == 10 and round_results.results(vote).turnout_percent == 60.0
    # 6 of 10 voted (quorum 50% met); 3 approvals of 5 who took a side = 60% >= 60%: approved.
    assert (social.approve, social.reject, social.abstain, social.approval_percent) == (3, 2, 1, 60.0)
    assert social.quorum_met and social.passed
    # 2 of 4 = 50% < 60%: not approved.
    assert cost.approval_percent == 50.0 and cost.quorum_met and not cost.passed
    # 6 of 10 is short of a 70% quorum, whatever the votes say.
    [no_quorum] = round_results.results(strict).questions
    assert no_quorum.quorum_met is False and no_quorum.passed is False
    # No threshold: more approvals than rejections; a tie is not enough.
    [tie] = round_results.results(simple).questions
    assert (tie.approve, tie.reject) == (2, 2) and not tie.passed


class _MultiDict(dict):
    def getlist(self, key):
        value = self.get(key, [])
        return value if isinstance(value, list) else [value]


def test_anonymous_ballots_leave_no_path_from_a_result_to_a_voter(client, login, db, committee):
    with pytest.raises(committees.ValidationErrors):  # live counts would show who just answered what
        _questionnaire(committee, anonymous=True, visibility="live")
    round_ = _questionnaire(committee, anonymous=True)
    members = committee["members"]
    for index, member in enumerate(members):
        login(member)
        client.post(f"/c/comite/rounds/{round_.id}/answer",
                    data=_form(round_, {1: 1 + index % 3, 2: [1], 3: (3, f"Comentario {index}"), 4: [1, 2, 3]}))
    login(members[0])  # a voter finds and changes her own anonymous ballot
    client.post(f"/c/comite/rounds/{round_.id}/answer", data=_form(round_, {1: 3, 2: [2], 3: 5, 4: [3, 2, 1]}))
    stored = db.session.execute(select(Ballot).filter_by(round_id=round_.id)).scalars().all()
    assert len(stored) == 5
    for ballot in stored:
        assert ballot.user_id is None and not ballot.voter_key.startswith("u")
        assert len(ballot.id) == 32 and not ballot.id.isdigit()  # random, so insertion order tells nothing
    answer_ids = db.session.execute(select(Answer.id)).scalars().all()
    assert all(len(i) == 32 for i in answer_ids)
    if db.engine.dialect.name == "sqlite":  # no rowid that would keep the order of insertion
        from sqlalchemy import text

        for table in ("ballots", "answers"):
            sql = db.session.execute(text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}).scalar()
            assert "WITHOUT ROWID" in sql.upper(), sql
    # The ballot and answer tables have no time and no link to users but the (empty) named-ballot column.
    inspector = inspect(db.engine)
    for table in ("ballots", "answers"):
        columns = {c["name"]: c for c in inspector.get_columns(table)}
        assert not any("time" in str(c["type"]).lower() or "date" in str(c["type"]).lower() for c in columns.values())
        targets = {fk["referred_table"] for fk in inspector.get_foreign_keys(table)}
        assert targets <= {"rounds", "users", "ballots", "round_questions", "round_options"}
    assert {fk["constrained_columns"][0] for fk in inspector.get_foreign_keys("ballots")
            if fk["referred_table"] == "users"} == {"user_id"}
    # Nothing per member is recorded for an anonymous round; reminders find voters by key while open.
    assert db.session.execute(select(RoundResponse).filter_by(round_id=round_.id)).first() is None
    login(committee["organizer"])
    page = client.get(f"/c/comite/rounds/{round_.id}").get_data(as_text=True)
    assert "1 miembro no" in page and committee["organizer"].display_name in page.split(
        "Quiénes no respondieron todavía")[1]
    # When the round closes, the keys are replaced: not even the application finds a voter's ballot now.
    _close(db, round_)
    round_results.results(round_)
    db.session.expire_all()
    assert all(b.voter_key.startswith("sealed-") for b in db.session.execute(select(Ballot)).scalars())
    assert ballots.my_ballot(members[0], round_) is None
    # The organizer's page and CSV show counts and comments, never who gave them.
    page = client.get(f"/c/comite/rounds/{round_.id}").get_data(as_text=True)
    results_part = page.split("Resultados", 1)[1]
    for member in members:
        assert member.display_name not in results_part
    rows = client.get(f"/c/comite/rounds/{round_.id}/results.csv").get_data(as_text=True)
    assert not any(m.display_name in rows or m.email in rows for m in members)
    assert db.session.execute(select(Answer).where(Answer.comment == "Comentario 0")).first() is None


def test_reminders_go_to_those_who_have_not_answered(client, login, db, committee):
    round_ = _questionnaire(committee)
    answered = committee["members"][:2]
    for member in answered:
        ballots.submit(member, round_, read_replies(round_, _MultiDict(_form(round_, {1: 1, 2: [1], 3: 3, 4: [1, 2, 3]}))))
    login(committee["organizer"])
    page = client.get(f"/c/comite/rounds/{round_.id}").get_data(as_text=True)
    assert "Quiénes no respondieron todavía" in page and "Experta 3" in page and "Experta 1" not in page.split(
        "Quiénes no respondieron todavía")[1]
    response = client.post(f"/c/comite/rounds/{round_.id}/remind", follow_redirects=True)
    assert "Recordatorios en cola: 4." in response.get_data(as_text=True)  # 3 experts and the organizer
    sent = {m.to_address for m in outbox("round_reminder")}
    assert sent == {m.email for m in committee["members"][2:]} | {committee["organizer"].email}
    response = client.post(f"/c/comite/rounds/{round_.id}/remind", follow_redirects=True)
    assert "Recordatorios en cola: 0." in response.get_data(as_text=True)
    login(committee["members"][0])
    assert client.post(f"/c/comite/rounds/{round_.id}/remind").status_code == 403


def test_a_poll_in_an_ordinary_thread(client, login, db, make_user, make_community, make_pair):
    author, member = make_user("Autora"), make_user("Miembro")
    outsider = make_user("Fuera")
    community = make_community("red", members={author: "member", member: "member"})
    pair = make_pair(community)
    pair.allow_member_threads = True
    db.session.commit()
    forum = forum_of(pair, "es")
    thread = posting.start_thread(author, forum, title="¿Cuándo nos reunimos?", body="Propongo votar.")
    url = f"/c/red/f/{forum.slug}/threads/{thread.id}"
    login(member)
    assert "Agregar una encuesta" not in client.get(url).get_data(as_text=True)
    assert client.post(f"/c/red/threads/{thread.id}/poll", data={"text_es": "x", "options": "a\nb"}).status_code == 400
    login(author)
    assert "Agregar una encuesta" in client.get(url).get_data(as_text=True)
    bad = client.post(f"/c/red/threads/{thread.id}/poll", data={"kind": "single", "text_es": "¿Cuándo?",
                                                                "options": "solo una", "results_visibility": "live"})
    assert bad.status_code == 400 and "Escribe al menos dos opciones, una por línea." in bad.get_data(
        as_text=True)
    client.post(f"/c/red/threads/{thread.id}/poll", data={"kind": "single", "text_es": "¿Cuándo?",
                                                          "text_en": "When?", "options": "Lunes | Monday\nMartes | Tuesday",
                                                          "results_visibility": "live"})
    poll = db.session.execute(select(Round).filter_by(thread_id=thread.id)).scalar_one()
    login(member)
    page = client.get(url).get_data(as_text=True)
    assert "¿Cuándo?" in page and "Enviar mi respuesta" in page
    response = client.post(f"/c/red/rounds/{poll.id}/answer", data={
        f"q{poll.questions[0].id}": str(poll.questions[0].options[1].id), "next": url}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Tu respuesta quedó guardada." in page and "100.0%" in page
    login(outsider)
    response = client.post(f"/c/red/rounds/{poll.id}/answer", data={
        f"q{poll.questions[0].id}": str(poll.questions[0].options[0].id)}, follow_redirects=True)
    assert "Solo los miembros de la comunidad pueden responder." in response.get_data(as_text=True)
    assert db.session.execute(select(Ballot)).scalars().all().__len__() == 1
    # A locked thread takes no more answers, in its poll either.
    thread.is_locked = True
    db.session.commit()
    login(member)
    response = client.post(f"/c/red/rounds/{poll.id}/answer", data={
        f"q{poll.questions[0].id}": str(poll.questions[0].options[0].id)}, follow_redirects=True)
    assert "El hilo de esta encuesta ya no acepta respuestas." in response.get_data(as_text=True)


def test_results_go_to_csv_and_to_the_forum_pairs_synthesis(client, login, db, committee, make_pair):
    pair = make_pair(committee["community"], slug="resiliencia")
    process = committee["process"]
    process.pair_id = pair.id
    db.session.commit()
    round_ = _questionnaire(committee)
    for member in committee["members"]:
        ballots.submit(member, round_, read_replies(round_, _MultiDict(_form(round_, {1: 1, 2: [1, 3], 3: 4, 4: [1, 2, 3]}))))
    report = synthesis.build(None, pair, synthesis.ExportOptions())
    assert report.consultations == []  # hidden until the round closes
    _close(db, round_)
    login(committee["organizer"])
    rows = list(csv.reader(io.StringIO(client.get(f"/c/comite/rounds/{round_.id}/results.csv")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Pregunta", "Respuesta", "Cantidad", "Porcentaje", "Detalle"]
    assert ["¿Qué dimensión primero?", "Social", "5", "100.0", ""] in rows
    assert rows[1][:3] == ["", "Respuestas", "5"]
    report = synthesis.build(None, pair, synthesis.ExportOptions())
    document = docx.Document(io.BytesIO(report_files.to_docx(report)))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Encuestas y votaciones" in headings and "Segunda ronda" in headings
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "¿Qué fuentes?" in cells and "Censos" in cells


def test_the_process_pages_cost_a_fixed_number_of_queries(client, login, db, committee, count_queries):
    small = _questionnaire(committee, questions=[committees.QuestionInput(
        kind="single", text_es="¿Sí?", options="Sí\nNo")])
    big = _questionnaire(committee)
    login(committee["members"][0])
    counts = []
    for round_ in (small, big):
        with count_queries() as statements:
            assert client.get(f"/c/comite/rounds/{round_.id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts  # questions, options and sources load together
    assert db.session.execute(select(Process)).scalar_one()
