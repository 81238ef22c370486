"""Technical committees: processes in rounds (Delphi), questionnaires, votes, and polls in threads.

An open round is a forum pair whose guiding questions are the round's
questions, so it uses every discussion feature. A questionnaire or a vote is
answered with a ballot that can be changed until the round closes. Results
stay hidden until the close unless the round says otherwise, for everyone,
organizers included. Anonymous ballots cannot be traced to a voter from the
database once the round is sealed (see forum.models.committee and forum.services.sealing).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from forum.errors import ValidationErrors
from forum.extensions import db
from forum.markup import clean_source
from forum.models import (
    Community,
    Forum,
    ForumPair,
    Post,
    Process,
    QuestionSource,
    Round,
    RoundOption,
    RoundQuestion,
    Thread,
    User,
    utcnow,
)
from forum.policy import can, ensure
from forum.services import DomainError, posting, rendering
from forum.services.atomic import atomic
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
