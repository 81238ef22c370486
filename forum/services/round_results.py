"""A round's results (hidden until the close unless the round says otherwise), closing and
reminding, and the tables and CSV rows they become."""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from forum.errors import ValidationErrors
from forum.extensions import db
from forum.mail import absolute_url, queue_email
from forum.models import (
    Answer,
    Ballot,
    Forum,
    ForumPair,
    Membership,
    Process,
    Round,
    RoundQuestion,
    RoundResponse,
    Thread,
    User,
    utcnow,
)
from forum.policy import can, ensure
from forum.services import DomainError
from forum.services.atomic import atomic, unit_of_work
from forum.services.ballots import answers_by_question, has_answered, my_ballot, voter_key
from forum.services.committees import SCALE
from forum.services.sealing import eligible_count, seal
from forum.timezones import to_utc

# --- results --------------------------------------------------------------------------------

@dataclass
class OptionResult:
    label_es: str
    label_en: str
    count: int
    percent: float
    mean_rank: float | None = None
    points: int | None = None

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_es


@dataclass
class QuestionResult:
    question: RoundQuestion
    answered: int
    options: list[OptionResult] = field(default_factory=list)
    distribution: dict[int, int] = field(default_factory=dict)   # scale point -> count
    median: float | None = None
    quartiles: tuple[float, float] | None = None                 # Q1, Q3: the spread
    mean: float | None = None
    comments: list[str] = field(default_factory=list)
    approve: int = 0
    reject: int = 0
    abstain: int = 0
    approval_percent: float | None = None
    quorum_met: bool | None = None
    passed: bool | None = None


@dataclass
class RoundResults:
    round: Round
    ballots: int
    eligible: int
    turnout_percent: float
    questions: list[QuestionResult]


def close_now(user: User, round_: Round) -> None:
    """Close the round now, then seal it: sealing commits in steps of its own, after the close."""
    with unit_of_work():
        ensure(user, "community.organize", round_.community)
        if round_.state(utcnow()) != "open":
            raise DomainError(_l("Only an open round can be closed."))
        round_.closes_at = utcnow()
    seal(round_)


@atomic
def set_closing(user: User, round_: Round, closes_at: datetime) -> None:
    """Move the close of a round that has not closed yet (the local time of the community)."""
    ensure(user, "community.organize", round_.community)
    if round_.sealed or round_.state(utcnow()) == "closed":
        raise DomainError(_l("A closed round keeps its dates."))
    moment = to_utc(closes_at, round_.community.timezone)
    if moment <= max(round_.opens_at, utcnow()):
        raise ValidationErrors({"closes_at": _l("The round must close after it opens.")})
    round_.closes_at = moment
    if round_.pair_id:
        db.session.execute(update(ForumPair).where(ForumPair.id == round_.pair_id).values(closes_at=moment)
                           .execution_options(synchronize_session=False))


def results(round_: Round) -> RoundResults:
    """Counts and percentages, the scale's median and quartiles, rankings, and whether each
    proposal passed its quorum and threshold. Reads answers only: never who gave them."""
    seal(round_)
    ballots = db.session.execute(select(func.count(Ballot.id)).where(Ballot.round_id == round_.id)).scalar_one()
    rows = db.session.execute(
        select(Answer.ballot_id, Answer.question_id, Answer.option_id, Answer.value, Answer.comment)
        .join(Ballot, Ballot.id == Answer.ballot_id).where(Ballot.round_id == round_.id)).all()
    by_question: dict[int, list] = {}
    for row in rows:
        by_question.setdefault(row.question_id, []).append(row)
    eligible = eligible_count(round_)
    questions = [_question_result(round_, q, by_question.get(q.id, []), ballots, eligible) for q in round_.questions]
    return RoundResults(round=round_, ballots=ballots, eligible=eligible,
                        turnout_percent=round(100 * ballots / eligible, 1) if eligible else 0.0, questions=questions)


def _question_result(round_: Round, question: RoundQuestion, rows, ballots: int, eligible: int) -> QuestionResult:
    if question.kind in ("single", "multiple"):
        counts = Counter(r.option_id for r in rows)
        answered = len({r.ballot_id for r in rows})
        return QuestionResult(question=question, answered=answered, options=[
            OptionResult(o.label_es, o.label_en, counts[o.id],
                         round(100 * counts[o.id] / answered, 1) if answered else 0.0)
            for o in question.options])
    if question.kind == "scale":
        values = sorted(r.value for r in rows if r.value is not None)
        result = QuestionResult(question=question, answered=len(values),
                                distribution={point: values.count(point) for point in SCALE},
                                comments=sorted(r.comment for r in rows if r.comment))
        if values:
            result.median = statistics.median(values)
            result.mean = round(statistics.fmean(values), 2)
            if len(values) >= 2:
                q1, _q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
                result.quartiles = (q1, q3)
            else:
                result.quartiles = (float(values[0]), float(values[0]))
        return result
    if question.kind == "ranking":
        n = len(question.options)
        ranks: dict[int, list[int]] = {}
        for r in rows:
            ranks.setdefault(r.option_id, []).append(r.value)
        options = []
        for o in question.options:
            got = ranks.get(o.id, [])
            options.append(OptionResult(o.label_es, o.label_en, len(got), 0.0,
                                        mean_rank=round(statistics.fmean(got), 2) if got else None,
                                        points=sum(n - v + 1 for v in got)))
        options.sort(key=lambda o: (o.mean_rank is None, o.mean_rank or 0))
        return QuestionResult(question=question, answered=len({r.ballot_id for r in rows}), options=options)
    if question.kind == "proposal":
        tally = Counter(r.value for r in rows)
        approve, reject, abstain = tally[1], tally[-1], tally[0]
        votes = approve + reject + abstain
        decided = approve + reject
        quorum_met = True if not round_.quorum_percent else votes * 100 >= round_.quorum_percent * eligible
        if round_.threshold_percent:
            majority = decided > 0 and approve * 100 >= round_.threshold_percent * decided
        else:
            majority = approve > reject  # a simple majority of those who took a side
        return QuestionResult(question=question, answered=votes, approve=approve, reject=reject, abstain=abstain,
                              approval_percent=round(100 * approve / decided, 1) if decided else None,
                              quorum_met=quorum_met, passed=quorum_met and majority)
    return QuestionResult(question=question, answered=0)


def _waiting(round_: Round) -> list[User]:
    """Active members who have not answered: named rounds by their record, anonymous ones by key."""
    members = select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.community_id == round_.community_id, Membership.state == "active", User.deleted_at.is_(None))
    if not round_.anonymous:
        answered = select(RoundResponse.user_id).where(RoundResponse.round_id == round_.id)
        return list(db.session.execute(members.where(User.id.not_in(answered))
                                       .order_by(func.lower(User.display_name))).scalars())
    if round_.sealed:
        return []
    keys = set(db.session.execute(select(Ballot.voter_key).filter_by(round_id=round_.id)).scalars())
    people = db.session.execute(members.order_by(func.lower(User.display_name))).scalars()
    return [p for p in people if voter_key(round_, p) not in keys]


def non_respondents(round_: Round, page: int = 1, per_page: int = 50) -> tuple[list[User], int]:
    """A page of who has not answered, and how many. A sealed anonymous round no longer knows who:
    the count is then the frozen number of eligible members less the ballots."""
    if round_.anonymous and round_.sealed:
        return [], max(eligible_count(round_) - round_.response_count, 0)
    waiting = _waiting(round_)
    return waiting[(page - 1) * per_page: page * per_page], len(waiting)


@atomic
def send_reminders(user: User, round_: Round) -> int:
    """Email the members who have not answered yet; once a day at most per person."""
    ensure(user, "community.organize", round_.community)
    if round_.state(utcnow()) != "open" or round_.kind == "open":
        raise DomainError(_l("Reminders can be sent only while the round is open."))
    people = [p for p in _waiting(round_) if p.email]
    day = utcnow().strftime("%Y%m%d")
    url = absolute_url("committees.show_round", slug=round_.community.slug, round_id=round_.id)
    sent = 0
    for person in people:
        sent += queue_email(to=person, template="round_reminder", dedupe_key=f"round-reminder:{round_.id}:{person.id}:{day}",
                            round=round_, round_url=url) is not None
    return sent


def poll_view(user, round_: Round) -> dict:
    """What a thread page shows of its poll: the viewer's answers, whether they may answer, results."""
    now = utcnow()
    return {"ballot": answers_by_question(my_ballot(user, round_)), "answered": has_answered(user, round_),
            "can_answer": can(user, "round.answer", round_),
            "results": results(round_) if round_.results_visible(now) else None, "now": now}


def round_of_thread(thread: Thread) -> Round | None:
    return db.session.execute(select(Round).filter_by(thread_id=thread.id)).scalar_one_or_none()


def rounds_for_pair(pair: ForumPair) -> list[Round]:
    """Closed rounds and polls that belong to a forum pair's synthesis: its process's, and its threads' polls."""
    now = utcnow()
    threads = select(Thread.id).join(Forum, Forum.id == Thread.forum_id).where(Forum.pair_id == pair.id)
    processes = select(Process.id).where(Process.pair_id == pair.id)
    rows = db.session.execute(select(Round).where(
        Round.kind != "open", (Round.thread_id.in_(threads)) | (Round.process_id.in_(processes)))
        .order_by(Round.process_id, Round.position, Round.id)).scalars().all()
    return [r for r in rows if now >= r.closes_at]  # final results only: an open round's could still change


def named_answers(round_: Round, lang: str) -> list[tuple[str, list[str]]]:
    """Who answered what, for the organizers of a named round: (name, one cell per question)."""
    if round_.anonymous:
        return []
    from forum.i18n import display_name

    options = {o.id: o.label(lang) for q in round_.questions for o in q.options}
    proposal = {1: "✓", -1: "✗", 0: "—"}
    rows = []
    ballots = db.session.execute(select(Ballot).filter_by(round_id=round_.id)
                                 .options(selectinload(Ballot.answers))).scalars().all()
    people = {u.id: u for u in db.session.execute(select(User).where(
        User.id.in_([b.user_id for b in ballots if b.user_id] or [0]))).scalars()}
    for ballot in ballots:
        cells = []
        by_question = answers_by_question(ballot)
        for question in round_.questions:
            answers = by_question.get(question.id, [])
            if question.kind in ("single", "multiple"):
                cells.append(", ".join(options.get(a.option_id, "") for a in answers))
            elif question.kind == "ranking":
                cells.append(" > ".join(options.get(a.option_id, "") for a in sorted(answers, key=lambda a: a.value)))
            elif question.kind == "scale":
                cells.append(" · ".join(filter(None, [str(answers[0].value), answers[0].comment])) if answers else "")
            else:
                cells.append(proposal.get(answers[0].value, "") if answers else "")
        rows.append((display_name(people.get(ballot.user_id)), cells))
    return sorted(rows, key=lambda r: r[0].casefold())


def _pct(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}" if total else "0.0"


def results_rows(result: RoundResults, lang: str) -> list[list[str]]:
    """The results as a table (header first), for CSV and the synthesis report; the same numbers as
    the round's page (a proposal's percentages are of those who took a side)."""
    from flask_babel import force_locale, gettext

    round_ = result.round
    with force_locale(lang):
        rows = [[gettext("Question"), gettext("Answer"), gettext("Count"), gettext("Percent"), gettext("Detail")]]
        rows.append(["", gettext("Answers"), str(result.ballots), _pct(result.ballots, result.eligible),
                     gettext("of %(n)d members", n=result.eligible)])
        for item in result.questions:
            text = item.question.text(lang)
            if item.question.kind in ("single", "multiple"):
                rows.extend([text, o.label(lang), str(o.count), f"{o.percent:.1f}", ""] for o in item.options)
            elif item.question.kind == "ranking":
                rows.extend([text, o.label(lang), str(o.count), "",
                             gettext("mean place %(rank)s; %(points)d points", rank=o.mean_rank, points=o.points or 0)]
                            for o in item.options)
            elif item.question.kind == "scale":
                rows.extend([text, str(point), str(count), _pct(count, item.answered), ""]
                            for point, count in item.distribution.items())
                spread = f"{item.quartiles[0]:g}–{item.quartiles[1]:g}" if item.quartiles else "—"
                rows.append([text, gettext("Median"), "", "",
                             gettext("median %(median)s; interquartile range %(spread)s",
                                     median=f"{item.median:g}" if item.median is not None else "—", spread=spread)])
                rows.extend([text, gettext("Comment"), "", "", comment] for comment in item.comments)
            elif item.question.kind == "proposal":
                decided = item.approve + item.reject
                rows.append([text, gettext("Approve"), str(item.approve), _pct(item.approve, decided), ""])
                rows.append([text, gettext("Reject"), str(item.reject), _pct(item.reject, decided), ""])
                rows.append([text, gettext("Abstain"), str(item.abstain), "", ""])
                verdict = gettext("no quorum") if item.quorum_met is False else (
                    gettext("passed") if item.passed else gettext("not passed"))
                rules = []
                if round_.quorum_percent:
                    rules.append(gettext("quorum %(q)d%%", q=round_.quorum_percent))
                if round_.threshold_percent:
                    rules.append(gettext("threshold %(t)d%%", t=round_.threshold_percent))
                rows.append([text, gettext("Result"), str(item.answered), "",
                             "; ".join([verdict] + rules)])
        return rows
