"""Digests: for each member, what happened in their communities since their last digest.

Built for everyone at once in a fixed number of queries (members, memberships,
new threads, highlights, busiest replies, new replies, watches and participation
in the threads with new replies, read state, keys already queued), then one
message per member who has something new: new replies are listed for the threads
a member watches or took part in, and the forum in the member's own language
comes first. An empty digest is not
sent; what the member already read on the site is left out.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.mail import absolute_url, queue_email
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

WINDOWS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
PER_FORUM = 5
MAX_REPLIES = 2000  # newest replies looked at per run: a bounded batch, whatever the traffic
FLUSH_EVERY = 500


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


def send_digests(frequency: str, now: datetime | None = None) -> dict[str, int]:
    """Queue this period's digests; safe to run twice (one message per member and period)."""
    now = now or utcnow()
    start = now - WINDOWS[frequency]
    key = period_key(frequency, now)
    users = list(db.session.execute(select(User).where(
        User.digest_frequency == frequency, User.email_confirmed_at.is_not(None),
        User.deleted_at.is_(None), User.email.is_not(None))).scalars())
    if not users:
        return {"members": 0, "queued": 0, "empty": 0, "already": 0}
    user_ids = {u.id for u in users}
    communities_of: dict[int, set[int]] = defaultdict(set)
    for user_id, community_id in db.session.execute(select(Membership.user_id, Membership.community_id).where(
            Membership.state == "active", Membership.user_id.in_(user_ids))):
        communities_of[user_id].add(community_id)

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
    followed = _followed_threads(user_ids, {p.thread_id for p in replies})
    thread_ids = {p.thread_id for p in new_threads + highlights + busiest + replies}
    read: dict[tuple[int, int], int] = {}
    if thread_ids:
        for user_id, thread_id, number in db.session.execute(select(
                ThreadRead.user_id, ThreadRead.thread_id, ThreadRead.last_read_number).where(
                ThreadRead.thread_id.in_(thread_ids), ThreadRead.user_id.in_(user_ids))):
            read[(user_id, thread_id)] = number
    already = set(db.session.execute(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.dedupe_key.like(f"digest:%:{key}"))).scalars())
    posts = Posts(new_threads, highlights, busiest, replies, followed, read)

    by_community: dict[int, list[Post]] = defaultdict(list)
    for post in {p.id: p for p in new_threads + highlights + busiest + replies}.values():
        by_community[post.thread.forum.community_id].append(post)

    counts = {"members": len(users), "queued": 0, "empty": 0, "already": 0}
    sent_to = []
    for user in users:
        dedupe = f"digest:{user.id}:{key}"
        if dedupe in already:
            counts["already"] += 1
            continue
        since = max(user.last_digest_at or start, start)
        sections = _sections_for(user, since, communities_of[user.id], by_community, posts)
        if not sections:
            counts["empty"] += 1
            continue
        queue_email(to=user, template="digest", dedupe_key=dedupe, unsubscribe="digest", known_new=True,
                    sections=sections, frequency=frequency, link=lambda post: absolute_url("posts.permalink", post_id=post.id))
        sent_to.append(user.id)
        counts["queued"] += 1
        if counts["queued"] % FLUSH_EVERY == 0:
            db.session.flush()  # not commit: it would expire every loaded row and reload them one by one
    if sent_to:
        db.session.execute(update(User).where(User.id.in_(sent_to)).values(last_digest_at=now)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    return counts


@dataclass
class Posts:
    """What the batch loaded once, shared by every member's digest."""

    new_threads: list
    highlights: list
    busiest: list
    replies: list
    followed: set  # (user id, thread id) watched or taken part in, and not unwatched
    read: dict  # (user id, thread id) -> last post number read


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


def _sections_for(user, since, communities, by_community, posts: Posts):
    wanted = {p.id for c in communities for p in by_community.get(c, [])}
    if not wanted:
        return []
    read = posts.read

    def fresh(post):
        return post.id in wanted and post.created_at > since and read.get((user.id, post.thread_id), 0) < post.number \
            and post.author_id != user.id

    sections: dict[int, ForumSection] = {}

    def section(post):
        forum = post.thread.forum
        return sections.setdefault(forum.id, ForumSection(forum=forum))

    listed: set[int] = set()  # a post appears once, in the first section that takes it
    for post in posts.new_threads:
        if fresh(post) and len(section(post).threads) < PER_FORUM:
            section(post).threads.append(post)
            listed.add(post.id)
    for post in posts.highlights:
        if fresh(post) and post.id not in listed and len(section(post).highlights) < PER_FORUM:
            section(post).highlights.append(post)
            listed.add(post.id)
    for post in posts.busiest:
        if fresh(post) and post.id not in listed and len(section(post).busiest) < 3:
            section(post).busiest.append(post)
            listed.add(post.id)
    _add_replies(user, posts, fresh, listed, section)
    # The member's own language first; the rest keep their order.
    return sorted((s for s in sections.values() if s), key=lambda s: s.forum.language != user.locale)


def _add_replies(user, posts: Posts, fresh, listed: set[int], section) -> None:
    """New replies, one line per followed thread, for the threads the digest does not already show."""
    by_thread: dict[int, ThreadReplies] = {}
    for post in posts.replies:
        if post.id in listed or not fresh(post) or (user.id, post.thread_id) not in posts.followed:
            continue
        if post.thread_id in by_thread:
            by_thread[post.thread_id].count += 1
        elif len(section(post).replies) < PER_FORUM:
            by_thread[post.thread_id] = ThreadReplies(first=post)
            section(post).replies.append(by_thread[post.thread_id])
