"""Digests: for each member, what happened in their communities since their last digest.

Built for everyone at once in a fixed number of queries (members, memberships,
new threads, highlights, busiest replies, read state, keys already queued),
then one message per member who has something new. An empty digest is not
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
from forum.models import Forum, ForumPair, Membership, OutboxMessage, Post, Thread, ThreadRead, User, utcnow

WINDOWS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
PER_FORUM = 5
FLUSH_EVERY = 500


@dataclass
class ForumSection:
    forum: Forum
    threads: list = field(default_factory=list)  # (thread, post) of new threads
    highlights: list = field(default_factory=list)  # posts
    busiest: list = field(default_factory=list)  # posts with the most "useful" marks

    def __bool__(self):
        return bool(self.threads or self.highlights or self.busiest)


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
    thread_ids = {p.thread_id for p in new_threads + highlights + busiest}
    read: dict[tuple[int, int], int] = {}
    if thread_ids:
        for user_id, thread_id, number in db.session.execute(select(
                ThreadRead.user_id, ThreadRead.thread_id, ThreadRead.last_read_number).where(
                ThreadRead.thread_id.in_(thread_ids), ThreadRead.user_id.in_(user_ids))):
            read[(user_id, thread_id)] = number
    already = set(db.session.execute(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.dedupe_key.like(f"digest:%:{key}"))).scalars())

    by_community: dict[int, list[Post]] = defaultdict(list)
    for post in {p.id: p for p in new_threads + highlights + busiest}.values():
        by_community[post.thread.forum.community_id].append(post)

    counts = {"members": len(users), "queued": 0, "empty": 0, "already": 0}
    sent_to = []
    for user in users:
        dedupe = f"digest:{user.id}:{key}"
        if dedupe in already:
            counts["already"] += 1
            continue
        since = max(user.last_digest_at or start, start)
        sections = _sections_for(user, since, communities_of[user.id], by_community, new_threads, highlights,
                                 busiest, read)
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


def _sections_for(user, since, communities, by_community, new_threads, highlights, busiest, read):
    wanted = {p.id for c in communities for p in by_community.get(c, [])}
    if not wanted:
        return []

    def fresh(post):
        return post.id in wanted and post.created_at > since and read.get((user.id, post.thread_id), 0) < post.number \
            and post.author_id != user.id

    sections: dict[int, ForumSection] = {}

    def section(post):
        forum = post.thread.forum
        return sections.setdefault(forum.id, ForumSection(forum=forum))

    listed: set[int] = set()  # a post appears once, in the first section that takes it
    for post in new_threads:
        if fresh(post) and len(section(post).threads) < PER_FORUM:
            section(post).threads.append(post)
            listed.add(post.id)
    for post in highlights:
        if fresh(post) and post.id not in listed and len(section(post).highlights) < PER_FORUM:
            section(post).highlights.append(post)
            listed.add(post.id)
    for post in busiest:
        if fresh(post) and post.id not in listed and len(section(post).busiest) < 3:
            section(post).busiest.append(post)
    return [s for s in sections.values() if s]
