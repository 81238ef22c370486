"""What the organizers' pages read: a community's forum pairs, the forums a single forum may be
paired with, and the earlier versions of a pair's organizer texts. (Changes stay in
services/organizing.py.)"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from forum.extensions import db
from forum.models import Community, Forum, ForumPair, TextRevision, Thread

REVISIONS_SHOWN = 200


def pairs_of(community: Community) -> list[ForumPair]:
    """Every pair, drafts included, the latest opening first, with their forums."""
    return db.session.execute(
        select(ForumPair).filter_by(community_id=community.id).order_by(ForumPair.opens_at.desc())
        .options(selectinload(ForumPair.forums))).scalars().all()


def pairing_candidates(community: Community, forum: Forum) -> list[Forum]:
    """The community's forums in another language whose pair has no forum in this one's language."""
    return [f for f in db.session.execute(select(Forum).where(
        Forum.community_id == community.id, Forum.language != forum.language)).scalars()
        if forum.language not in {g.language for g in f.pair.forums}]


def text_revisions(pair: ForumPair) -> list[TextRevision]:
    """Earlier titles and concept notes of the pair's forums and question titles, newest first."""
    forum_ids = [f.id for f in pair.forums]
    thread_ids = select(Thread.id).where(Thread.forum_id.in_(forum_ids))
    return db.session.execute(select(TextRevision).where(
        ((TextRevision.kind == "forum") & TextRevision.target_id.in_(forum_ids))
        | ((TextRevision.kind == "thread") & TextRevision.target_id.in_(thread_ids)))
        .order_by(TextRevision.created_at.desc()).limit(REVISIONS_SHOWN)).scalars().all()
