"""Reading a forum pair as moderators curate it: both languages side by side per guiding
question, and the numbers of the dashboard. Queries are per pair, never per post."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import (
    Flag,
    Forum,
    ForumPair,
    Post,
    PostTheme,
    SynthesisNote,
    Thread,
    User,
    utcnow,
)
from forum.models.translated import texts_of
from forum.services import agreement

CURATION_LIMIT = 300


@dataclass
class Side:
    forum: Forum
    thread: Thread | None
    posts: list[Post] = field(default_factory=list)


@dataclass
class QuestionView:
    positions: list[int]
    sides: list[Side]
    themes_of: dict[int, set[int]]
    note: SynthesisNote | None
    note_texts: dict[str, str]  # language of each forum -> its synthesis note ("" if none yet)


def question_view(pair: ForumPair, position: int) -> QuestionView:
    forums = list(pair.forums)
    questions = db.session.execute(select(Thread).where(
        Thread.forum_id.in_([f.id for f in forums]), Thread.kind == "guiding_question")).scalars().all()
    positions = sorted({t.position for t in questions if t.position})
    by_forum = {(t.forum_id, t.position): t for t in questions}
    sides = []
    for forum in forums:
        thread = by_forum.get((forum.id, position))
        posts = []
        if thread is not None:
            posts = list(db.session.execute(
                select(Post).where(Post.thread_id == thread.id, Post.number > 1, Post.is_live)
                .order_by(Post.number).limit(CURATION_LIMIT).options(joinedload(Post.author))).scalars())
        sides.append(Side(forum=forum, thread=thread, posts=posts))
    ids = [p.id for side in sides for p in side.posts]
    themes_of: dict[int, set[int]] = defaultdict(set)
    if ids:
        for post_id, theme_id in db.session.execute(
                select(PostTheme.post_id, PostTheme.theme_id).where(PostTheme.post_id.in_(ids))):
            themes_of[post_id].add(theme_id)
    note = db.session.execute(select(SynthesisNote).filter_by(pair_id=pair.id, position=position)).scalar_one_or_none()
    written = texts_of(note, "body") if note else {}
    return QuestionView(positions=positions, sides=sides, themes_of=themes_of, note=note,
                        note_texts={f.language: written.get(f.language) or "" for f in forums})


def dashboard(pair: ForumPair) -> dict:
    """The moderators' numbers for a pair, in a handful of queries."""
    in_pair = (Forum.pair_id == pair.id)
    base = select(func.count(Post.id)).join(Thread, Thread.id == Post.thread_id).join(Forum, Forum.id == Thread.forum_id)
    pending = db.session.execute(base.where(in_pair, Post.status == "pending", Post.deleted_at.is_(None))).scalar_one()
    open_flags = db.session.execute(
        select(func.count(Flag.id)).join(Post, Post.id == Flag.post_id).join(Thread, Thread.id == Post.thread_id)
        .join(Forum, Forum.id == Thread.forum_id).where(in_pair, Flag.resolved_at.is_(None))).scalar_one()
    tagged = select(PostTheme.post_id)
    untagged = db.session.execute(base.where(in_pair, Post.is_live, Post.number > 1, Post.id.not_in(tagged))).scalar_one()
    highlights = db.session.execute(base.where(in_pair, Post.is_live, Post.is_highlight)).scalar_one()

    # Posts per day per guiding question (replies only).
    rows = db.session.execute(
        select(Post.created_at, Thread.position, Forum.language, Post.author_id)
        .join(Thread, Thread.id == Post.thread_id).join(Forum, Forum.id == Thread.forum_id)
        .where(in_pair, Post.is_live, Post.number > 1, Thread.kind == "guiding_question")
    ).all()
    per_day: dict[str, Counter] = defaultdict(Counter)
    for created, position, _lang, _author in rows:
        per_day[created.date().isoformat()][position] += 1
    days = sorted(per_day)
    positions = sorted({r.position for r in rows})

    coding = _coding(pair)

    # Participants (authors of live posts in the pair) and who is new this week.
    authors = db.session.execute(
        select(Post.author_id, func.min(Post.created_at)).join(Thread, Thread.id == Post.thread_id)
        .join(Forum, Forum.id == Thread.forum_id).where(in_pair, Post.is_live, Post.author_id.is_not(None),
                                                        Post.number > 1)  # who answered, not who asked
        .group_by(Post.author_id)).all()
    week_ago = utcnow() - timedelta(days=7)
    new_participants = sum(1 for _, first in authors if first >= week_ago)
    people = list(db.session.execute(select(User).where(User.id.in_([a for a, _ in authors])))
                  .scalars()) if authors else []
    by_country = Counter(p.country or "" for p in people)
    by_sector = Counter(p.sector or "" for p in people)
    by_gender = Counter(p.gender if p.gender in ("woman", "man", "other") else "not_stated" for p in people)
    return {
        "pending": pending, "open_flags": open_flags, "untagged": untagged, "highlights": highlights,
        "posts": len(rows), "participants": len(people), "new_participants": new_participants,
        "days": days, "positions": positions, "per_day": per_day,
        "by_country": by_country.most_common(), "by_sector": by_sector.most_common(),
        "by_gender": [(key, by_gender.get(key, 0)) for key in ("woman", "man", "other", "not_stated")],
        "coding": coding, "agreement": agreement.by_question(pair),
    }


def _coding(pair: ForumPair) -> list[tuple[int, str, int, int]]:
    """Per guiding question and forum language: replies, and how many have at least one theme."""
    tagged = select(PostTheme.post_id).distinct().subquery()
    rows = db.session.execute(
        select(Thread.position, Forum.language, func.count(Post.id), func.count(tagged.c.post_id))
        .select_from(Post).join(Thread, Thread.id == Post.thread_id).join(Forum, Forum.id == Thread.forum_id)
        .outerjoin(tagged, tagged.c.post_id == Post.id)
        .where(Forum.pair_id == pair.id, Post.is_live, Post.number > 1, Thread.kind == "guiding_question")
        .group_by(Thread.position, Forum.language).order_by(Thread.position, Forum.language)).all()
    return [(position, language, total, coded) for position, language, total, coded in rows]
