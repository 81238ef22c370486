"""Announcing a forum group when it opens: the texts (per language) and the job that sends them once."""
from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from sqlalchemy import select, update

from forum.extensions import db
from forum.mail import absolute_url
from forum.models import (
    ForumPair,
    Thread,
    utcnow,
)
from forum.services import notifications
from forum.timezones import community_zone, to_local


def announcement(pair: ForumPair) -> dict[str, tuple[str, str]]:
    """Subject and text, per language, ready to send or copy: dates in the community's zone."""
    from flask import render_template


    community = pair.community
    result = {}
    for forum in pair.forums:
        questions = db.session.execute(
            select(Thread).where(Thread.forum_id == forum.id, Thread.kind == "guiding_question",
                                 Thread.hidden_at.is_(None)).order_by(Thread.position)).scalars().all()
        with force_locale(forum.language):
            text = render_template(
                "organize/announcement.txt", forum=forum, pair=pair, community=community, questions=questions,
                opens=to_local(pair.opens_at, community.timezone), closes=to_local(pair.closes_at, community.timezone),
                zone=str(community_zone(community)),
                link=absolute_url("forums.show", community_slug=community.slug, forum_slug=forum.slug),
                lang=forum.language,
            )
        subject, _, body = text.partition("\n")
        result[forum.language] = (subject.strip(), body.strip() + "\n")
    return result


def announce_openings(now: datetime | None = None) -> int:
    """The job: tell each community's watchers once when a forum pair opens. Returns how many pairs."""
    now = now or utcnow()
    due = db.session.execute(select(ForumPair).where(
        ForumPair.status == "published", ForumPair.opens_at <= now, ForumPair.closes_at > now,
        ForumPair.opening_announced_at.is_(None))).scalars().all()
    for pair in due:
        claimed = db.session.execute(
            update(ForumPair).where(ForumPair.id == pair.id, ForumPair.opening_announced_at.is_(None))
            .values(opening_announced_at=now).execution_options(synchronize_session=False)).rowcount
        if claimed:
            notifications.notify_forum_opened(pair)
        db.session.commit()
    return len(due)
