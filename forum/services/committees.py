"""Technical committees: processes in rounds (Delphi), questionnaires, votes, and polls in threads.

An open round is a forum pair whose guiding questions are the round's
questions, so it uses every discussion feature. A questionnaire or a vote is
answered with a ballot that can be changed until the round closes. Results
stay hidden until the close unless the round says otherwise, for everyone,
organizers included. Anonymous ballots cannot be traced to a voter from the
database once the round is sealed (see forum.models.committee and forum.services.sealing).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from forum.errors import ValidationErrors
from forum.extensions import db
from forum.mail import absolute_url, queue_email
from forum.markup import clean_source
from forum.models import (
    Answer,
    Ballot,
    Community,
    Forum,
    ForumPair,
    Membership,
    Post,
    Process,
    QuestionSource,
    Round,
    RoundOption,
    RoundQuestion,
    RoundResponse,
    Thread,
    User,
    utcnow,
)
from forum.policy import can, ensure, role_in
from forum.services import DomainError, posting, rendering
from forum.services.atomic import atomic, unit_of_work
from forum.services.sealing import eligible_count, seal
from forum.text import fit, shorten
from forum.timezones import to_utc

SCALE = (1, 2, 3, 4, 5)
PROPOSAL_VALUES = {"approve": 1, "reject": -1, "abstain": 0}
MAX_QUESTIONS = 40
MAX_OPTIONS = 20


# --- input ------------------------------------------------------------------------------

@dataclass
class QuestionInput:
    kind: str = "single"
    text_es: str = ""
    text_en: str = ""
    options: str = ""            # one per line: "Spanish | English" (or one label for both)
    allow_comment: bool = False
    sources: list[int] = field(default_factory=list)   # post ids of the source round

    def option_labels(self) -> list[tuple[str, str]]:
        labels = []
        for line in (self.options or "").splitlines():
            parts = [" ".join(p.split()) for p in line.split("|")]
            if not any(parts):
                continue
            es, en = (parts + [""])[:2]
            es, en = shorten(es, 500), shorten(en, 500)
            labels.append((es or en, en or es))
        return labels


@dataclass
class RoundInput:
    kind: str = "questionnaire"
    title_es: str = ""
    title_en: str = ""
    description_es: str = ""
    description_en: str = ""
    opens_at: datetime | None = None      # naive, in the community's time zone
    closes_at: datetime | None = None
    anonymous: bool = False
    results_visibility: str = "after_close"
    quorum_percent: int | None = None
    threshold_percent: int | None = None
    source_round_id: int | None = None
    questions: list[QuestionInput] = field(default_factory=list)


@dataclass
class Reply:
    """One question's answer as the member gave it, still text: the service checks it."""
    chosen: list[str] = field(default_factory=list)    # option ids (single and multiple choice)
    value: str = ""                                     # a scale point, or approve / reject / abstain
    comment: str = ""
    ranks: dict[int, str] = field(default_factory=dict)  # option id -> place (ranking)


def _clean(text: str | None, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


# --- processes ------------------------------------------------------------------------------

@atomic
def save_process(user: User, community: Community, *, title_es: str, title_en: str, description_es: str = "",
                 description_en: str = "", pair_id: int | None = None, process: Process | None = None) -> Process:
    ensure(user, "community.organize", community)
    errors = {}
    if not _clean(title_es, 300) and not _clean(title_en, 300):
        errors["title_es"] = _l("Give it a title in at least one language.")
    if pair_id is not None:
        pair = db.session.get(ForumPair, pair_id)
        if pair is None or pair.community_id != community.id:
            errors["pair_id"] = _l("Choose a forum of this community.")
    if errors:
        raise ValidationErrors(errors)
    if process is None:
        process = Process(community_id=community.id, created_by_id=user.id)
        db.session.add(process)
    process.title_es, process.title_en = _clean(title_es, 300), _clean(title_en, 300)
    process.description_es = (description_es or "").strip()[:5000]
    process.description_en = (description_en or "").strip()[:5000]
    process.pair_id = pair_id
    return process


# --- rounds ------------------------------------------------------------------------------------

def validate_round(data: RoundInput, community: Community, *, poll: bool = False) -> None:
    errors: dict[str, object] = {}
    kinds = ("poll",) if poll else ("open", "questionnaire", "vote")
    if data.kind not in kinds:
        errors["kind"] = _l("Choose an option from the list.")
    if not poll and not _clean(data.title_es, 300) and not _clean(data.title_en, 300):
        errors["title_es"] = _l("Give it a title in at least one language.")
    if not poll:
        if data.opens_at is None:
            errors["opens_at"] = _l("Enter the opening date and time.")
        if data.closes_at is None:
            errors["closes_at"] = _l("Enter the closing date and time.")
    if data.opens_at and data.closes_at and data.closes_at <= data.opens_at:
        errors["closes_at"] = _l("The round must close after it opens.")
    for name in ("quorum_percent", "threshold_percent"):
        value = getattr(data, name)
        if value is not None and not 1 <= value <= 100:
            errors[name] = _l("Use a percentage from 1 to 100, or leave it empty.")
    if data.results_visibility not in ("after_close", "live"):
        errors["results_visibility"] = _l("Choose an option from the list.")
    elif data.anonymous and data.results_visibility == "live":
        # Watching live counts change as people answer would tell who answered what.
        errors["results_visibility"] = _l("Anonymous ballots show their results only once the round closes.")
    questions = [q for q in data.questions if _clean(q.text_es, 2000) or _clean(q.text_en, 2000)]
    if not questions:
        errors["questions"] = _l("Write at least one question.")
    elif len(questions) > MAX_QUESTIONS:
        errors["questions"] = _l("A round can have at most %(n)d questions.", n=MAX_QUESTIONS)
    allowed = {"open": ("open",), "questionnaire": ("single", "multiple", "scale", "ranking"),
               "vote": ("proposal",), "poll": ("single", "multiple")}.get(data.kind, ())
    for number, question in enumerate(questions, start=1):
        if "questions" in errors:
            break
        if question.kind not in allowed:
            errors["questions"] = _l("Question %(n)d: choose a type from the list.", n=number)
        elif question.kind in ("single", "multiple", "ranking"):
            labels = question.option_labels()
            if len(labels) < 2:
                errors["questions"] = (_l("Give at least two options, one per line.") if poll else
                                       _l("Question %(n)d needs at least two options, one per line.", n=number))
            elif len(labels) > MAX_OPTIONS:
                errors["questions"] = _l("Question %(n)d can have at most %(max)d options.", n=number, max=MAX_OPTIONS)
    if errors:
        raise ValidationErrors(errors)


@atomic
def save_round(user: User, process: Process, data: RoundInput) -> Round:
    """A new round of a process; an open round becomes a forum pair with its questions as threads."""
    community = process.community
    ensure(user, "community.organize", community)
    data.kind = data.kind if data.kind in ("open", "questionnaire", "vote") else ""
    if data.kind == "open":
        for question in data.questions:
            question.kind = "open"
    elif data.kind == "vote":
        for question in data.questions:
            question.kind = "proposal"
    validate_round(data, community)
    source = None
    if data.source_round_id:
        source = db.session.get(Round, data.source_round_id)
        if source is None or source.process_id != process.id or source.kind != "open":
            raise ValidationErrors({"source_round_id": _l("Choose an open round of this process.")})
    position = 1 + (db.session.execute(select(func.max(Round.position)).where(
        Round.process_id == process.id)).scalar() or 0)
    round_ = Round(community_id=community.id, process_id=process.id, kind=data.kind, position=position,
                   title_es=_clean(data.title_es, 300), title_en=_clean(data.title_en, 300),
                   # An open round's description is its forums' concept note: Word debris cleaned like one.
                   description_es=clean_source(data.description_es).strip()[:10_000],
                   description_en=clean_source(data.description_en).strip()[:10_000],
                   opens_at=to_utc(data.opens_at, community.timezone), closes_at=to_utc(data.closes_at, community.timezone),
                   anonymous=bool(data.anonymous), results_visibility=data.results_visibility,
                   quorum_percent=data.quorum_percent if data.kind == "vote" else None,
                   threshold_percent=data.threshold_percent if data.kind == "vote" else None,
                   source_round_id=source.id if source else None, created_by_id=user.id)
    db.session.add(round_)
    db.session.flush()
    questions = [q for q in data.questions if _clean(q.text_es, 2000) or _clean(q.text_en, 2000)]
    if data.kind == "open":
        round_.pair_id = _open_round_pair(user, process, round_, questions).id
    cited = {p.id: p for p in source_posts(source)} if source else {}
    for number, question in enumerate(questions, start=1):
        _add_question(round_, number, question, cited)
    return round_


def _add_question(round_: Round, number: int, question: QuestionInput, cited: dict[int, Post]) -> None:
    text_es, text_en = (question.text_es or "").strip()[:2000], (question.text_en or "").strip()[:2000]
    item = RoundQuestion(round_id=round_.id, position=number, kind=question.kind,
                         text_es=text_es or text_en, text_en=text_en or text_es,
                         allow_comment=bool(question.allow_comment) and question.kind == "scale")
    round_.questions.append(item)
    for index, (es, en) in enumerate(question.option_labels(), start=1):
        item.options.append(RoundOption(position=index, label_es=es, label_en=en))
    for post_id in dict.fromkeys(question.sources):
        if post_id in cited:
            item.sources.append(QuestionSource(post_id=post_id))


def _open_round_pair(user: User, process: Process, round_: Round, questions: list[QuestionInput]) -> ForumPair:
    """The forum pair where an open round is discussed, open exactly while the round is."""
    community = process.community
    slug = f"committee-{process.id}-round-{round_.position}"
    pair = ForumPair(community_id=community.id, slug=slug, opens_at=round_.opens_at, closes_at=round_.closes_at,
                     status="published", created_by_id=user.id, opening_announced_at=utcnow())
    db.session.add(pair)
    db.session.flush()
    for lang in ("es", "en"):
        title = round_.title(lang)
        forum = Forum(pair_id=pair.id, community_id=community.id, language=lang, slug=f"{slug}-{lang}",
                      title=fit(Forum.title, title), summary=shorten(process.title(lang), 500), concept_note_md=round_.description(lang),
                      concept_note_html="")
        rendering.cook(forum)
        db.session.add(forum)
        db.session.flush()
        for number, question in enumerate(questions, start=1):
            text = (getattr(question, f"text_{lang}") or "").strip() or question.text_es or question.text_en
            posting.create_thread(forum, user, title=fit(Thread.title, " ".join(text.split())), body=text,
                                  kind="guiding_question", position=number)
    return pair


def source_posts(source: Round) -> list[Post]:
    """Live replies of an open round, the posts a closed question may cite (with their authors)."""
    if source.pair_id is None:
        return []
    return list(db.session.execute(
        select(Post).join(Thread, Thread.id == Post.thread_id).join(Forum, Forum.id == Thread.forum_id)
        .where(Forum.pair_id == source.pair_id, Post.number > 1, Post.is_live)
        .order_by(Thread.position, Post.created_at).options(joinedload(Post.author))).scalars())


@atomic
def create_poll(user: User, thread: Thread, *, question: QuestionInput, closes_at: datetime | None,
                anonymous: bool, results_visibility: str) -> Round:
    """A poll in a thread of an ordinary forum, by the thread's author or a moderator."""
    community = thread.forum.community
    if not (thread.author_id == user.id or can(user, "community.moderate", community)) \
            or not can(user, "thread.reply", thread):
        raise DomainError(_l("Only the thread's author or a moderator can add a poll, while the thread is open."))
    if db.session.execute(select(Round.id).filter_by(thread_id=thread.id)).first():
        raise DomainError(_l("This thread already has a poll."))
    now = utcnow()
    data = RoundInput(kind="poll", opens_at=None, closes_at=closes_at, anonymous=anonymous,
                      results_visibility=results_visibility, questions=[question])
    validate_round(data, community, poll=True)
    closes = to_utc(closes_at, community.timezone) if closes_at else thread.forum.pair.closes_at
    if closes <= now:
        raise ValidationErrors({"closes_at": _l("The poll must close in the future.")})
    round_ = Round(community_id=community.id, thread_id=thread.id, kind="poll", opens_at=now, closes_at=closes,
                   anonymous=bool(anonymous), results_visibility=results_visibility, created_by_id=user.id,
                   title_es=_clean(question.text_es or question.text_en, 300),
                   title_en=_clean(question.text_en or question.text_es, 300))
    db.session.add(round_)
    db.session.flush()
    _add_question(round_, 1, question, {})
    return round_


# --- answering ------------------------------------------------------------------------------

def voter_key(round_: Round, user: User) -> str:
    """Named: the user's id. Anonymous: a keyed hash only the application can compute, so a
    member finds their own ballot while nobody can go from a ballot to a member in the data."""
    if not round_.anonymous:
        return f"u{user.id}"
    secret = (current_app.config.get("BALLOT_KEY") or current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"ballot:{round_.id}:{user.id}".encode(), hashlib.sha256).hexdigest()


def my_ballot(user, round_: Round) -> Ballot | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.execute(select(Ballot).filter_by(round_id=round_.id, voter_key=voter_key(round_, user))
                              ).scalar_one_or_none()


def has_answered(user, round_: Round) -> bool:
    """Named rounds record it; anonymous ones only know it through the voter's key, until sealed."""
    if not getattr(user, "is_authenticated", False):
        return False
    if round_.anonymous:
        return not round_.sealed and my_ballot(user, round_) is not None
    return db.session.execute(select(RoundResponse.id).filter_by(round_id=round_.id, user_id=user.id)).first() \
        is not None


def _parse_answers(round_: Round, replies: dict[int, Reply]) -> list[Answer]:
    """The answers to the round's questions, checked; errors by question id."""
    answers, errors = [], {}
    for question in round_.questions:
        reply = replies.get(question.id) or Reply()
        options = {o.id for o in question.options}
        if question.kind in ("single", "multiple"):
            chosen = reply.chosen
            ids = [int(v) for v in chosen if str(v).isdecimal() and str(v).isascii() and int(v) in options]
            if not ids or len(ids) != len(chosen) or (question.kind == "single" and len(ids) != 1):
                errors[question.id] = (_l("Choose one option.") if question.kind == "single"
                                       else _l("Choose at least one option."))
                continue
            answers.extend(Answer(question_id=question.id, option_id=i) for i in dict.fromkeys(ids))
        elif question.kind == "scale":
            value = reply.value
            if not (value.isascii() and value.isdecimal()) or int(value) not in SCALE:
                errors[question.id] = _l("Choose a point of the scale from 1 to 5.")
                continue
            comment = reply.comment.strip()[:2000] if question.allow_comment else ""
            answers.append(Answer(question_id=question.id, value=int(value), comment=comment or None))
        elif question.kind == "ranking":
            ranks = {}
            for option in question.options:
                value = reply.ranks.get(option.id, "")
                ranks[option.id] = int(value) if value.isascii() and value.isdecimal() and len(value) < 4 else 0
            if sorted(ranks.values()) != list(range(1, len(options) + 1)):
                errors[question.id] = _l("Give each option a different place, from 1 to %(n)d.", n=len(options))
                continue
            answers.extend(Answer(question_id=question.id, option_id=o, value=r) for o, r in ranks.items())
        elif question.kind == "proposal":
            if reply.value not in PROPOSAL_VALUES:
                errors[question.id] = _l("Choose approve, reject or abstain.")
                continue
            answers.append(Answer(question_id=question.id, value=PROPOSAL_VALUES[reply.value]))
    if errors:
        raise ValidationErrors(errors)
    return answers


@atomic
def submit(user: User, round_: Round, replies: dict[int, Reply]) -> Ballot:
    """Answer, or change the answer: one ballot per member and round. `replies` by question id;
    a refusal (ValidationErrors) names the questions by id."""
    if not can(user, "round.answer", round_):
        if round_.kind == "open":
            raise DomainError(_l("This round is answered in its discussion threads."))
        if round_.state(utcnow()) != "open":
            raise DomainError(_l("This round is not open: answers are accepted only between its dates."))
        if round_.thread_id is not None and role_in(user, round_.community) is not None:
            raise DomainError(_l("This poll's thread no longer accepts answers."))
        raise DomainError(_l("Only members of the community can answer."))
    answers = _parse_answers(round_, replies)
    key = voter_key(round_, user)
    for _attempt in range(2):
        ballot = db.session.execute(select(Ballot).filter_by(round_id=round_.id, voter_key=key)).scalar_one_or_none()
        # Sealing may have finished while this answer waited for the ballot table: the voter's key is
        # gone, so a new ballot would count twice (and be the one ballot left with a key).
        if db.session.execute(select(Round.sealed).where(Round.id == round_.id)).scalar_one():
            raise DomainError(_l("This round is not open: answers are accepted only between its dates."))
        if ballot is None and not round_.anonymous and has_answered(user, round_):
            raise DomainError(_l("Your earlier answer can no longer be found to change it; it still counts."))
        try:
            with db.session.begin_nested():
                new = ballot is None
                if new:
                    ballot = Ballot(id=secrets.token_hex(16), round_id=round_.id, voter_key=key,
                                    user_id=None if round_.anonymous else user.id)
                    db.session.add(ballot)
                ballot.answers = answers
                db.session.flush()
                if new:
                    if not round_.anonymous:
                        db.session.add(RoundResponse(round_id=round_.id, user_id=user.id,
                                                     answered_at=utcnow().replace(minute=0, second=0, microsecond=0)))
                    db.session.execute(update(Round).where(Round.id == round_.id)
                                       .values(response_count=Round.response_count + 1)
                                       .execution_options(synchronize_session=False))
            return ballot
        except IntegrityError:  # a double submission raced us: the second attempt updates
            db.session.rollback()  # only this call's reads: submit is never called inside another unit
    raise DomainError(_l("Your answer could not be saved; try again."))


def draft_from(round_: Round, replies: dict[int, Reply]) -> dict[int, list]:
    """What a member gave, kept when the answer is refused, to show the form again as they left it."""
    from types import SimpleNamespace

    def number(value):
        return int(value) if value and value.isascii() and value.isdecimal() and len(value) < 10 else None

    draft: dict[int, list] = {}
    for question in round_.questions:
        reply = replies.get(question.id) or Reply()
        if question.kind in ("single", "multiple"):
            draft[question.id] = [SimpleNamespace(option_id=number(v), value=None, comment=None) for v in reply.chosen]
        elif question.kind == "ranking":
            draft[question.id] = [SimpleNamespace(option_id=o.id, value=number(reply.ranks.get(o.id, "")),
                                                  comment=None) for o in question.options]
        else:
            value = PROPOSAL_VALUES.get(reply.value, number(reply.value)) if question.kind == "proposal" \
                else number(reply.value)
            draft[question.id] = [SimpleNamespace(option_id=None, value=value, comment=reply.comment[:2000] or None)]
    return draft


def answers_by_question(ballot: Ballot | None) -> dict[int, list[Answer]]:
    grouped: dict[int, list[Answer]] = {}
    for answer in (ballot.answers if ballot else []):
        grouped.setdefault(answer.question_id, []).append(answer)
    return grouped


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


__all__ = ["QuestionInput", "Reply", "RoundInput", "create_poll", "results", "save_process", "save_round", "submit"]
