"""Organizers set up communities and forum pairs: texts, questions, schedule, settings.

A forum pair is saved as a draft (seen only by its organizers, on the real
forum pages), then published: it opens and closes by itself at its dates
(the state is computed at read time), and a job tells the community's
watchers when it opens. Published texts keep revisions; a guiding question
that has replies is hidden, never deleted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from forum.errors import DomainError, ValidationErrors
from forum.extensions import db
from forum.languages import site_languages
from forum.markup import clean_source
from forum.models import (
    PRE_MODERATION,
    Community,
    Forum,
    ForumPair,
    Notification,
    Post,
    PostUseful,
    Revision,
    TextRevision,
    Thread,
    ThreadRead,
    User,
    Watch,
    utcnow,
)
from forum.policy import ensure
from forum.services import assist, counters, posting, rendering
from forum.services.atomic import atomic
from forum.services.bodies import prepare_body, set_body
from forum.services.codebook import codebook_languages, codebook_line, parse_themes, save_themes
from forum.timezones import to_local, to_utc

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class QuestionInput:
    """One guiding question in each language of the group (language -> text or thread id)."""

    titles: dict[str, str] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)
    threads: dict[str, int | None] = field(default_factory=dict)
    hidden: bool = False

    def title(self, lang: str) -> str:
        return " ".join((self.titles.get(lang) or "").split())

    def body(self, lang: str) -> str:
        return (self.bodies.get(lang) or "").strip()


@dataclass
class PairInput:
    """A forum group's settings and, per language (language -> text), its forums' texts."""

    slug: str = ""
    languages: tuple[str, ...] = ("es", "en")  # the group's forums; any of the site's languages
    opens_at: datetime | None = None  # naive, in the community's time zone
    closes_at: datetime | None = None
    titles: dict[str, str] = field(default_factory=dict)
    summaries: dict[str, str] = field(default_factory=dict)
    concept_notes: dict[str, str] = field(default_factory=dict)
    allow_member_threads: bool = False
    pre_moderation: str = "off"
    pre_moderation_count: int = 3
    themes: str = ""
    questions: list[QuestionInput] = field(default_factory=list)


def add_months(moment: datetime, months: int) -> datetime:
    import calendar

    month = moment.month - 1 + months
    year = moment.year + month // 12
    month = month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def blank_input(community: Community, questions: int = 4) -> PairInput:
    """A new pair: opens tomorrow at 9:00 in the community's zone, for two months, with four
    question rows (most forums have four: a fourth should not need a round trip)."""
    start = datetime.combine(to_local(utcnow(), community.timezone).date() + timedelta(days=1), time(9, 0))
    return PairInput(opens_at=start, closes_at=add_months(start, 2),
                     questions=[QuestionInput() for _ in range(questions)])


def validate(data: PairInput, community: Community, pair: ForumPair | None = None) -> None:
    errors: dict[str, object] = {}
    languages = [lang for lang in site_languages() if lang in data.languages]
    if not languages:
        errors["languages"] = _l("Choose at least one language.")
    if pair is None:
        if not SLUG_RE.match(data.slug or "") or len(data.slug) > 60:
            errors["slug"] = _l("Use lowercase letters, digits and hyphens, like “territorial-resilience”.")
        elif db.session.execute(select(ForumPair.id).filter_by(community_id=community.id, slug=data.slug)).first() \
                or db.session.execute(select(Forum.id).where(
                    Forum.community_id == community.id,
                    Forum.slug.in_([data.slug] + [f"{data.slug}-{lang}" for lang in site_languages()]))).first():
            errors["slug"] = _l("This community already has a forum with this address.")
    for name in ("opens_at", "closes_at"):
        value = getattr(data, name)
        if value is not None and not 2000 <= value.year <= 2100:
            errors[name] = _l("Use a date between the years 2000 and 2100.")
    if errors:
        raise ValidationErrors(errors)
    if data.opens_at is None:
        errors["opens_at"] = _l("Enter the opening date and time.")
    if data.closes_at is None:
        errors["closes_at"] = _l("Enter the closing date and time.")
    elif data.opens_at is not None and data.closes_at <= data.opens_at:
        errors["closes_at"] = _l("The forum must close after it opens.")
    for lang in languages:
        if not " ".join((data.titles.get(lang) or "").split()):
            errors[f"title_{lang}"] = _l("Give the forum a title in this language.")
        elif len(data.titles[lang]) > 200:
            errors[f"title_{lang}"] = _l("A title can be at most %(n)d characters.", n=200)
    if data.pre_moderation not in PRE_MODERATION:
        errors["pre_moderation"] = _l("Choose an option from the list.")
    if not 1 <= (data.pre_moderation_count or 0) <= 100:
        errors["pre_moderation_count"] = _l("Use a number from 1 to 100.")
    active = [q for q in data.questions if any(q.title(lang) for lang in languages)]
    if not active:
        errors["questions"] = _l("Write at least one guiding question.")
    for index, question in enumerate(data.questions):
        written = [lang for lang in languages if question.title(lang)]
        if written and len(written) != len(languages):
            errors["questions"] = _l("Question %(n)d needs its text in every language of the pair.", n=index + 1)
            break
        if any(len(question.title(lang)) > 300 for lang in languages):
            errors["questions"] = _l("Question %(n)d is longer than 300 characters.", n=index + 1)
            break
    try:
        parse_themes(data.themes, codebook_languages(languages))
    except ValidationErrors as error:
        errors.update(error.errors)
    if errors:
        raise ValidationErrors(errors)


@atomic
def save_pair(user: User, community: Community, data: PairInput, pair: ForumPair | None = None,
              publish: bool = False) -> ForumPair:
    """Create or update a pair and its forums and questions; a draft unless `publish`."""
    ensure(user, "community.organize", community)
    validate(data, community, pair)
    languages = [lang for lang in site_languages() if lang in data.languages]
    # Whether members could already answer, before this edit moves any date.
    opened = pair is not None and pair.status == "published" and pair.opens_at <= utcnow()
    if pair is None:
        pair = ForumPair(community_id=community.id, slug=data.slug, status="draft", created_by_id=user.id)
        db.session.add(pair)
    pair.opens_at = to_utc(data.opens_at, community.timezone)
    pair.closes_at = to_utc(data.closes_at, community.timezone)
    pair.allow_member_threads = bool(data.allow_member_threads)
    pair.pre_moderation = data.pre_moderation
    pair.pre_moderation_count = data.pre_moderation_count
    if publish:
        pair.status = "published"
    db.session.flush()
    codebook = codebook_languages(languages)
    save_themes(pair, parse_themes(data.themes, codebook), codebook)
    forums = {f.language: f for f in db.session.execute(select(Forum).filter_by(pair_id=pair.id)).scalars()}
    for lang in languages:
        forum = forums.get(lang)
        title = " ".join(data.titles[lang].split())
        note = clean_source(data.concept_notes.get(lang) or "").strip()
        summary = (data.summaries.get(lang) or "").strip()[:500]
        if forum is None:
            forum = Forum(pair_id=pair.id, community_id=community.id, language=lang,
                          slug=f"{pair.slug}-{lang}", title=title, summary=summary,
                          concept_note_md=note)
            rendering.cook(forum)
            db.session.add(forum)
            db.session.flush()
            forums[lang] = forum
        elif (forum.title, forum.concept_note_md) != (title, note):
            db.session.add(TextRevision(kind="forum", target_id=forum.id, title=forum.title,
                                        body_md=forum.concept_note_md, editor_id=user.id))
            forum.title, forum.concept_note_md = title, note
            rendering.cook(forum)
        forum.summary = summary
    _save_questions(user, pair, forums, languages, data.questions, opened)
    return pair


def _save_questions(user: User, pair: ForumPair, forums: dict[str, Forum], languages: list[str],
                    questions: list[QuestionInput], opened: bool) -> None:
    kept: dict[str, set[int]] = {lang: set() for lang in languages}
    position = 0
    if opened:
        _check_order_kept(forums, languages, questions)
        next_position = 1 + max((db.session.execute(select(func.max(Thread.position)).where(
            Thread.forum_id == forums[lang].id, Thread.kind == "guiding_question")).scalar() or 0)
            for lang in languages)
    for question in questions:
        if not any(question.title(lang) for lang in languages):
            continue
        position += 1
        created_new = False
        for lang in languages:
            forum = forums[lang]
            thread_id = question.threads.get(lang)
            thread = db.session.get(Thread, thread_id) if thread_id else None
            if thread is not None and thread.forum_id != forum.id:
                thread = None
            title, body = question.title(lang), question.body(lang) or question.title(lang)
            if thread is None:
                # Once open, questions keep their numbers (answers and curation refer to them): new ones go last.
                thread = posting.create_thread(forum, user, title=title, body=body, kind="guiding_question",
                                               position=next_position if opened else position)
                created_new = True
            else:
                _update_question(user, thread, title, body)
                if not opened:
                    thread.position = position
            thread.hidden_at = (thread.hidden_at or utcnow()) if question.hidden else None
            kept[lang].add(thread.id)
        if opened and created_new:
            next_position += 1
    for lang in languages:
        gone = db.session.execute(select(Thread).where(
            Thread.forum_id == forums[lang].id, Thread.kind == "guiding_question",
            Thread.id.not_in(kept[lang] or {0}))).scalars().all()
        for thread in gone:
            _remove_question(thread, opened)


def _check_order_kept(forums, languages, questions: list[QuestionInput]) -> None:
    for lang in languages:
        ids = [q.threads[lang] for q in questions if q.threads.get(lang)]
        stored = db.session.execute(select(Thread.id).where(
            Thread.forum_id == forums[lang].id, Thread.kind == "guiding_question", Thread.id.in_(ids or [0]))
            .order_by(Thread.position)).scalars().all()
        if ids != list(stored):
            raise ValidationErrors({"questions": _l("The forum is open: its questions keep their order. "
                                                    "Add new questions at the end.")})


def _update_question(user: User, thread: Thread, title: str, body: str) -> None:
    if thread.title != title:
        db.session.add(TextRevision(kind="thread", target_id=thread.id, title=thread.title, editor_id=user.id))
        thread.title = title
    first = db.session.execute(select(Post).filter_by(thread_id=thread.id, number=1)).scalar_one()
    if first.body_md != body:
        db.session.add(Revision(post_id=first.id, editor_id=user.id, body_md=first.body_md))
        set_body(first, prepare_body(body))
        first.edited_at = utcnow()
    counters.reindex(first)


def _remove_question(thread: Thread, opened: bool) -> None:
    """Before replies, a question can go; after, it can only be hidden."""
    if thread.reply_count > 0 or opened:
        raise ValidationErrors({"questions": _l("“%(title)s” already has replies or the forum is open: "
                                                "hide it instead of removing it.", title=thread.title)})
    posts = select(Post.id).where(Post.thread_id == thread.id)
    counters.thread_removed(thread)  # while its posts are there to leave the index
    db.session.execute(delete(Revision).where(Revision.post_id.in_(posts)))
    db.session.execute(delete(Notification).where(Notification.post_id.in_(posts)))
    db.session.execute(delete(PostUseful).where(PostUseful.post_id.in_(posts)))
    db.session.execute(delete(Watch).where(Watch.thread_id == thread.id))
    db.session.execute(delete(ThreadRead).where(ThreadRead.thread_id == thread.id))
    db.session.execute(delete(Post).where(Post.thread_id == thread.id))
    db.session.delete(thread)


def input_from_pair(pair: ForumPair, copy: bool = False) -> PairInput:
    """A pair's current texts and settings as form input; a copy keeps settings,
    codebook and questions, not posts, dates or address."""
    community = pair.community
    forums = {f.language: f for f in pair.forums}
    threads = {lang: db.session.execute(
        select(Thread).where(Thread.forum_id == forum.id, Thread.kind == "guiding_question")
        .order_by(Thread.position)).scalars().all() for lang, forum in forums.items()}
    firsts = {p.thread_id: p for p in db.session.execute(select(Post).where(
        Post.number == 1, Post.thread_id.in_([t.id for ts in threads.values() for t in ts]))).scalars()}
    count = max((len(ts) for ts in threads.values()), default=0)
    questions = []
    for i in range(count):
        q = QuestionInput()
        for lang, ts in threads.items():
            if i < len(ts):
                thread = ts[i]
                q.titles[lang] = thread.title
                body = firsts[thread.id].body_md if thread.id in firsts else ""
                q.bodies[lang] = "" if body == thread.title else body
                if not copy:
                    q.threads[lang] = thread.id
                    q.hidden = thread.is_hidden
        questions.append(q)
    data = PairInput(
        slug="" if copy else pair.slug, languages=tuple(forums),
        opens_at=to_local(pair.opens_at, community.timezone), closes_at=to_local(pair.closes_at, community.timezone),
        allow_member_threads=pair.allow_member_threads, pre_moderation=pair.pre_moderation,
        pre_moderation_count=pair.pre_moderation_count,
        themes="\n".join(codebook_line(t, codebook_languages(forums)) for t in pair.themes),
        questions=questions,
    )
    if not copy:
        data.titles = {lang: forum.title for lang, forum in forums.items()}
        data.summaries = {lang: forum.summary for lang, forum in forums.items()}
        data.concept_notes = {lang: forum.concept_note_md for lang, forum in forums.items()}
    else:
        fresh = blank_input(community)
        data.opens_at, data.closes_at = fresh.opens_at, fresh.closes_at
    return data


@atomic
def publish(user: User, pair: ForumPair) -> ForumPair:
    ensure(user, "community.organize", pair.community)
    if not db.session.execute(select(func.count(Thread.id)).join(Forum, Forum.id == Thread.forum_id).where(
            Forum.pair_id == pair.id, Thread.kind == "guiding_question")).scalar():
        raise DomainError(_l("Write at least one guiding question."))
    pair.status = "published"
    return pair


@atomic
def join_single_forums(user: User, forum: Forum, other: Forum) -> ForumPair:
    """Join a single forum to another forum's group, which has no forum in its language yet."""
    ensure(user, "community.organize", forum.community)
    if forum.community_id != other.community_id or forum.id == other.id:
        raise DomainError(_l("Choose a forum of the same community."))
    if forum.language == other.language:
        raise DomainError(_l("Choose a forum in the other language."))
    if len(forum.pair.forums) > 1 or forum.language in {f.language for f in other.pair.forums}:
        raise DomainError(_l("Both forums must still be single."))
    old = forum.pair
    forum.pair = other.pair  # through the relationship, so the old pair's list lets it go
    db.session.flush()
    assist.forget(old)
    for theme in list(old.themes):
        old.themes.remove(theme)
    db.session.delete(old)
    return other.pair
