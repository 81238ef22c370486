"""Digests: for each member, what happened in their communities since their last digest.

The period's posts are loaded once (new threads, highlights, busiest replies, new
replies); members then go by batches of BATCH, each in a fixed number of queries
(members, memberships, watches and participation in the threads with new replies,
read state, keys already queued) and committed with its messages, so a run stopped
midway resumes where it stopped. One message per member who has something new: new
replies are listed for the threads a member watches or took part in, and the forum
in the member's own language comes first. An empty digest is not sent; what the
member already read on the site is left out. Each distinct email is rendered once
(forum.services.digest_render).
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import (
    Forum,
    ForumPair,
    Membership,
    OutboxMessage,
    Post,
    Thread,
    ThreadRead,
    User,
    Watch,
    utcnow,
)
from forum.services.digest_render import DigestRenderer
from forum.shared_email import email_request_context

WINDOWS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
PER_FORUM = 5
MAX_REPLIES = 2000  # newest replies looked at per run: a bounded batch, whatever the traffic
BATCH = 500  # members per transaction


@dataclass
class ForumSection:
    forum: Forum
    threads: list = field(default_factory=list)  # (thread, post) of new threads
    highlights: list = field(default_factory=list)  # posts
    busiest: list = field(default_factory=list)  # posts with the most "useful" marks
    replies: list = field(default_factory=list)  # ThreadReplies in threads the member follows

    def __bool__(self):
        return bool(self.threads or self.highlights or self.busiest or self.replies)


@dataclass
class ThreadReplies:
    """New replies in one thread: the first links to where reading resumes."""

    first: Post
    count: int = 1

    @property
    def thread(self):
        return self.first.thread


def period_key(frequency: str, now: datetime) -> str:
    if frequency == "weekly":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    return now.date().isoformat()


def send_digests(frequency: str, now: datetime | None = None, *, batch_size: int = BATCH) -> dict[str, int]:
    """Queue this period's digests; safe to run twice, or again after a crash midway (one
    message per member and period: each batch of members commits its messages together)."""
    now = now or utcnow()
    start = now - WINDOWS[frequency]
    key = period_key(frequency, now)
    counts = {"members": 0, "queued": 0, "empty": 0, "already": 0}
    batches = _member_batches(frequency, batch_size)
    first = next(batches, [])
    if not first:
        return counts
    posts = _load_posts(start)
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False  # the shared posts stay loaded from one batch's commit to the next
    try:
        with email_request_context():
            renderer = DigestRenderer(frequency)
            for users in itertools.chain([first], batches):
                _send_batch(users, posts, renderer, key, start, now, counts)
                db.session.commit()
    finally:
        session.expire_on_commit = expire
        session.expire_all()  # the members' last_digest_at changed in the database, not on the loaded rows
    return counts


def _member_batches(frequency: str, size: int):
    """Members who get this digest, `size` at a time in id order: memory stays bounded."""
    last = 0
    while True:
        users = list(db.session.execute(select(User).where(
            User.digest_frequency == frequency, User.email_confirmed_at.is_not(None),
            User.deleted_at.is_(None), User.email.is_not(None), User.id > last).order_by(User.id).limit(size)).scalars())
        if users:
            yield users
        if len(users) < size:
            return
        last = users[-1].id


def _load_posts(start: datetime) -> Posts:
    """The period's posts, loaded once for every batch of members."""
    visible = (ForumPair.status == "published", Thread.hidden_at.is_(None), Post.is_live, Post.created_at >= start)
    base = (select(Post).join(Thread, Thread.id == Post.thread_id).join(Forum, Forum.id == Thread.forum_id)
            .join(ForumPair, ForumPair.id == Forum.pair_id)
            .options(joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.forum)))
    new_threads = list(db.session.execute(base.where(*visible, Post.number == 1, Thread.kind == "discussion")
                                          .order_by(Post.created_at)).unique().scalars())
    highlights = list(db.session.execute(base.where(*visible, Post.is_highlight)
                                         .order_by(Post.created_at)).unique().scalars())
    busiest = list(db.session.execute(base.where(*visible, Post.number > 1, Post.useful_count > 0)
                                      .order_by(Post.useful_count.desc(), Post.created_at).limit(500)).unique().scalars())
    replies = list(db.session.execute(base.where(*visible, Post.number > 1, Thread.kind == "discussion")
                                      .order_by(Post.created_at.desc()).limit(MAX_REPLIES)).unique().scalars())
    replies.reverse()
    by_community: dict[int, set[int]] = defaultdict(set)
    forums = {}
    for post in new_threads + highlights + busiest + replies:
        by_community[post.thread.forum.community_id].add(post.id)
        forums[post.thread.forum_id] = post.thread.forum
    return Posts(*([Item.of(p) for p in group] for group in (new_threads, highlights, busiest, replies)),
                 by_community=by_community, forums=forums)


def _send_batch(users, posts: Posts, renderer: DigestRenderer, key: str, start, now, counts) -> None:
    """One batch of members: what they follow and read (a fixed number of queries), then their messages."""
    user_ids = {u.id for u in users}
    communities_of: dict[int, set[int]] = defaultdict(set)
    for user_id, community_id in db.session.execute(select(Membership.user_id, Membership.community_id).where(
            Membership.state == "active", Membership.user_id.in_(user_ids))):
        communities_of[user_id].add(community_id)
    followed = _followed_threads(user_ids, {p.thread_id for p in posts.replies})
    thread_ids = {p.thread_id for p in posts.new_threads + posts.highlights + posts.busiest + posts.replies}
    read: dict[tuple[int, int], int] = {}
    if thread_ids:
        for user_id, thread_id, number in db.session.execute(select(
                ThreadRead.user_id, ThreadRead.thread_id, ThreadRead.last_read_number).where(
                ThreadRead.thread_id.in_(thread_ids), ThreadRead.user_id.in_(user_ids))):
            read[(user_id, thread_id)] = number
    keys = {u.id: f"digest:{u.id}:{key}" for u in users}
    already = set(db.session.execute(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.dedupe_key.in_(keys.values()))).scalars())
    posts.personal = {u for u, _ in followed} | {u for u, _ in read} | {i.author_id for group in (
        posts.new_threads, posts.highlights, posts.busiest, posts.replies) for i in group}
    counts["members"] += len(users)
    sent_to, rows = [], []
    for user in users:
        if keys[user.id] in already:
            counts["already"] += 1
            continue
        since = max(user.last_digest_at or start, start)
        sections = _sections_for(user, since, communities_of[user.id], posts, followed, read)
        if not sections:
            counts["empty"] += 1
            continue
        row = renderer.queue(user, sections, keys[user.id])
        if row is not None:
            rows.append(row)
            sent_to.append(user.id)
            counts["queued"] += 1
    if rows:
        db.session.execute(insert(OutboxMessage), rows)  # one statement: the keys were checked above
        db.session.execute(update(User).where(User.id.in_(sent_to)).values(last_digest_at=now)
                           .execution_options(synchronize_session=False))


@dataclass(slots=True)
class Item:
    """A loaded post's fields that the selection compares, as plain attributes: read for every
    member, an ORM attribute costs ten times more."""

    id: int
    thread_id: int
    number: int
    created_at: datetime
    author_id: int | None
    forum_id: int
    post: Post

    @classmethod
    def of(cls, post: Post) -> Item:
        return cls(post.id, post.thread_id, post.number, post.created_at, post.author_id, post.thread.forum_id, post)


@dataclass
class Posts:
    """What the run loaded once, shared by every member's digest."""

    new_threads: list[Item]
    highlights: list[Item]
    busiest: list[Item]
    replies: list[Item]
    by_community: dict  # community id -> ids of its posts among the above
    forums: dict  # forum id -> Forum
    personal: set = field(default_factory=set)  # members of this batch who wrote, read or follow any of them
    wanted: dict = field(default_factory=dict)  # frozenset of communities -> ids of their posts
    shared: dict = field(default_factory=dict)  # (communities, since, language) -> sections


def _followed_threads(user_ids: set[int], thread_ids: set[int]) -> set[tuple[int, int]]:
    """(member, thread) pairs a member watches or wrote in, minus explicit unwatches: two queries."""
    if not thread_ids:
        return set()
    levels = {(u, t): level for u, t, level in db.session.execute(select(Watch.user_id, Watch.thread_id, Watch.level)
                                                                  .where(Watch.thread_id.in_(thread_ids),
                                                                         Watch.user_id.in_(user_ids)))}
    wrote = {(u, t) for u, t in db.session.execute(select(Post.author_id, Post.thread_id).distinct().where(
        Post.thread_id.in_(thread_ids), Post.author_id.in_(user_ids)))}
    followed = {key for key, level in levels.items() if level == "watching"}
    return followed | {key for key in wrote if levels.get(key) != "off"}


def _sections_for(user, since, communities, posts: Posts, followed: set, read: dict):
    """`followed`: (member, thread) pairs watched or taken part in; `read`: (member, thread) -> last number read."""
    key = frozenset(communities)
    if key not in posts.wanted:
        posts.wanted[key] = frozenset(i for c in communities for i in posts.by_community.get(c, ()))
    wanted = posts.wanted[key]
    if not wanted:
        return []
    if user.id not in posts.personal:  # wrote, read or follows nothing of this period: as anyone alike
        shared = (key, since, user.locale)
        if shared not in posts.shared:
            posts.shared[shared] = _select(user, lambda item: item.id in wanted and item.created_at > since,
                                           posts, followed)
        return posts.shared[shared]

    def fresh(item):
        return item.id in wanted and item.created_at > since and read.get((user.id, item.thread_id), 0) < item.number \
            and item.author_id != user.id

    return _select(user, fresh, posts, followed)


def _select(user, fresh, posts: Posts, followed: set) -> list[ForumSection]:
    sections: dict[int, ForumSection] = {}

    def section(item):
        return sections.setdefault(item.forum_id, ForumSection(forum=posts.forums[item.forum_id]))

    listed: set[int] = set()  # a post appears once, in the first section that takes it
    for item in posts.new_threads:
        if fresh(item) and len(section(item).threads) < PER_FORUM:
            section(item).threads.append(item.post)
            listed.add(item.id)
    for item in posts.highlights:
        if fresh(item) and item.id not in listed and len(section(item).highlights) < PER_FORUM:
            section(item).highlights.append(item.post)
            listed.add(item.id)
    for item in posts.busiest:
        if fresh(item) and item.id not in listed and len(section(item).busiest) < 3:
            section(item).busiest.append(item.post)
            listed.add(item.id)
    _add_replies(user, posts.replies, followed, fresh, listed, section)
    # The member's own language first; the rest keep their order.
    return sorted((s for s in sections.values() if s), key=lambda s: s.forum.language != user.locale)


def _add_replies(user, replies: list, followed: set, fresh, listed: set[int], section) -> None:
    """New replies, one line per followed thread, for the threads the digest does not already show."""
    by_thread: dict[int, ThreadReplies] = {}
    for item in replies:
        if item.id in listed or (user.id, item.thread_id) not in followed or not fresh(item):
            continue
        if item.thread_id in by_thread:
            by_thread[item.thread_id].count += 1
        elif len(section(item).replies) < PER_FORUM:
            by_thread[item.thread_id] = ThreadReplies(first=item.post)
            section(item).replies.append(by_thread[item.thread_id])
