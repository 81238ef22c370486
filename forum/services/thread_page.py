"""What the forum and thread pages read, in as few statements as the page needs: the forum with
its pair; the thread with its poll, its counterparts and the reader's marker and watch; the page's
posts with the reader's useful marks; for moderators the codebook with its tags and the other forums.
At most eight statements a page for anyone, whatever the number of posts (tests/test_page_queries.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from forum import page_cache
from forum.extensions import db
from forum.models import (
    Community,
    Forum,
    ForumPair,
    Post,
    PostTheme,
    PostUseful,
    Round,
    Theme,
    Thread,
    ThreadRead,
    User,
    Watch,
)


def forum_by_slugs(community_slug: str, forum_slug: str) -> Forum | None:
    """The forum, its community, its pair and the pair's forums (one statement)."""
    return db.session.execute(
        select(Forum).join(Community, Forum.community_id == Community.id)
        .join(ForumPair, Forum.pair_id == ForumPair.id)
        .where(Community.slug == community_slug, Forum.slug == forum_slug)
        .options(joinedload(Forum.community), joinedload(Forum.pair).joinedload(ForumPair.forums))
    ).unique().scalar_one_or_none()


@dataclass
class ThreadContext:
    thread: Thread
    poll: Round | None = None
    counterparts: list[Thread] = field(default_factory=list)
    marker: int | None = None              # the reader's last read post number; None if never opened
    watching: bool = False


def thread_context(user, forum: Forum, thread_id: int) -> ThreadContext | None:
    """The thread of this forum with its poll, the same question in the pair's other forums and,
    for a signed-in reader, their marker and watch (one statement)."""
    siblings = [f.id for f in forum.pair.forums if f.id != forum.id] if forum.pair else []
    position = select(Thread.position).where(Thread.id == thread_id).scalar_subquery()
    columns = [Thread, Round, *page_cache.generation_columns()]
    member = user is not None and getattr(user, "is_authenticated", False)
    if member:
        columns += [
            select(ThreadRead.last_read_number).where(
                ThreadRead.user_id == user.id, ThreadRead.thread_id == thread_id).scalar_subquery(),
            select(Watch.id).where(Watch.user_id == user.id, Watch.thread_id == thread_id,
                                   Watch.level == "watching").exists(),
        ]
    rows = db.session.execute(
        select(*columns).outerjoin(Round, Round.thread_id == Thread.id)
        .where(or_(Thread.id == thread_id,
                   and_(Thread.forum_id.in_(siblings), Thread.kind == "guiding_question",
                        Thread.position == position, Thread.hidden_at.is_(None))))
    ).all()
    main = next((row for row in rows if row[0].id == thread_id), None)
    if main is None or main[0].forum_id != forum.id:
        return None
    thread = main[0]
    page_cache.remember_generations(main[2], main[3])
    others = [row[0] for row in rows if row[0].id != thread_id] if thread.is_guiding_question else []
    languages = {f.id: f.language for f in forum.pair.forums} if forum.pair else {}
    return ThreadContext(thread=thread, poll=main[1], counterparts=sorted(others, key=lambda t: languages[t.forum_id]),
                         marker=main[4] if member else None, watching=bool(main[5]) if member else False)


def page_posts(user, thread: Thread, first_number: int, last_number: int, moderator: bool) -> tuple[list[Post], set[int]]:
    """The page's posts a reader may see, with the ones they marked useful (one statement)."""
    member = user is not None and getattr(user, "is_authenticated", False)
    seen = [] if moderator else [or_(Post.status == "published", Post.author_id == getattr(user, "id", None))]
    query = (select(Post, PostUseful.post_id if member else None)
             .where(Post.thread_id == thread.id, Post.number.between(first_number, last_number), *seen)
             .order_by(Post.number)
             .options(joinedload(Post.author), joinedload(Post.reply_to).joinedload(Post.author)))
    if member:
        query = query.outerjoin(PostUseful, and_(PostUseful.post_id == Post.id, PostUseful.user_id == user.id))
    rows = db.session.execute(query).all()
    return [row[0] for row in rows], {row[1] for row in rows if row[1] is not None}


def curation_for(forum: Forum, posts) -> tuple[list, dict[int, set[int]]]:
    """The pair's codebook and each post's themes, for moderators' tagging (one statement)."""
    ids = [p.id for p in posts] or [-1]
    rows = db.session.execute(
        select(Theme, PostTheme.post_id).outerjoin(PostTheme, and_(PostTheme.theme_id == Theme.id,
                                                                   PostTheme.post_id.in_(ids)))
        .where(Theme.pair_id == forum.pair_id).order_by(Theme.position, Theme.id)).all()
    themes, tagged = [], {}
    for theme, post_id in rows:
        if not themes or themes[-1] is not theme:
            themes.append(theme)
        if post_id is not None:
            tagged.setdefault(post_id, set()).add(theme.id)
    return themes, tagged


def forum_threads(forum: Forum, moderator: bool, page: int, per_page: int) -> tuple[list[Thread], list[Thread], bool]:
    """The guiding questions, one page of the other threads and whether more follow (one statement)."""
    visible = [] if moderator else [Thread.hidden_at.is_(None)]
    discussions = (select(Thread.id).where(Thread.forum_id == forum.id, Thread.kind != "guiding_question", *visible)
                   .order_by(Thread.is_pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc())
                   .limit(per_page + 1).offset((page - 1) * per_page))
    rows = db.session.execute(
        select(Thread).where(Thread.forum_id == forum.id, *visible,
                             or_(Thread.kind == "guiding_question", Thread.id.in_(discussions)))
        .options(joinedload(Thread.author))).scalars().all()
    questions = sorted((t for t in rows if t.kind == "guiding_question"), key=lambda t: t.position or 0)
    others = sorted((t for t in rows if t.kind != "guiding_question"),
                    key=lambda t: (not t.is_pinned, -(t.last_post_at.timestamp() if t.last_post_at else 0), -t.id))
    return questions, others[:per_page], len(others) > per_page


def forum_reader(user, forum: Forum) -> tuple[bool, bool]:
    """Whether a signed-in reader has opened a thread of this forum and watches it (one statement)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False, False
    visited = select(ThreadRead.thread_id).join(Thread, Thread.id == ThreadRead.thread_id).where(
        ThreadRead.user_id == user.id, Thread.forum_id == forum.id).exists()
    watching = select(Watch.id).where(Watch.user_id == user.id, Watch.forum_id == forum.id,
                                      Watch.level == "watching").exists()
    visited, watching = db.session.execute(select(visited, watching)).one()
    return bool(visited), bool(watching)


def post_id_at(thread: Thread, number: int) -> int:
    """The id of the thread's post with this number (the first unread one's anchor)."""
    return db.session.execute(select(Post.id).filter_by(thread_id=thread.id, number=number)).scalar_one()


def move_targets(forum: Forum) -> list[Forum]:
    """The community's other forums a moderator may move a thread to, by title."""
    return db.session.execute(select(Forum).where(
        Forum.community_id == forum.community_id, Forum.id != forum.id).order_by(Forum.title)).scalars().all()


@dataclass
class ParticipantsPage:
    rows: list  # (User, number of live posts in the forum)
    has_next: bool


def participants_page(forum: Forum, page: int, per_page: int) -> ParticipantsPage:
    """The forum's authors of live posts, the most posts first, deleted accounts left out."""
    count = func.count(Post.id).label("posts")
    rows = db.session.execute(
        select(User, count).join(Post, Post.author_id == User.id).join(Thread, Thread.id == Post.thread_id)
        .where(Thread.forum_id == forum.id, Post.is_live, User.deleted_at.is_(None))
        .group_by(User.id).order_by(count.desc(), User.display_name)
        .limit(per_page + 1).offset((page - 1) * per_page)
    ).all()
    return ParticipantsPage(rows[:per_page], len(rows) > per_page)
