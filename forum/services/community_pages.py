"""What the home, community, community-list and search pages read about communities and their
forum pairs, each filtered by the policy's clauses for the reader (`listed_communities_clause`,
`readable_communities_clause`, `published_pairs_clause`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from forum.extensions import db
from forum.models import Community, Forum, ForumPair, Resource
from forum.policy import listed_communities_clause, published_pairs_clause, readable_communities_clause

HOME_LIMIT = 50
LATEST_RESOURCES = 5
PAIR_CHOICES = 50


def community_by_slug(slug: str) -> Community | None:
    return db.session.execute(select(Community).filter_by(slug=slug)).scalar_one_or_none()


def listed_communities(user, limit: int | None = None) -> list[Community]:
    """The communities the reader may see listed, the largest first."""
    query = select(Community).where(listed_communities_clause(user)).order_by(Community.member_count.desc(),
                                                                              Community.id)
    return db.session.execute(query.limit(limit) if limit else query).scalars().all()


def readable_communities(user) -> list[Community]:
    """The communities whose posts the reader may read, by slug (the search page's filter)."""
    return db.session.execute(
        select(Community).where(readable_communities_clause(user)).order_by(Community.slug)).scalars().all()


@dataclass
class HomePage:
    communities: list[Community]
    open_pairs: list[list[Forum]]


def home_page(user, now: datetime) -> HomePage:
    """Listed communities and the open forums the reader may read, a pair's forums side by side."""
    communities = listed_communities(user, HOME_LIMIT)
    open_forums = db.session.execute(
        select(Forum).join(ForumPair, Forum.pair_id == ForumPair.id)
        .join(Community, Forum.community_id == Community.id)
        .where(readable_communities_clause(user),
               ForumPair.status == "published", ForumPair.opens_at <= now, ForumPair.closes_at > now)
        .order_by(ForumPair.closes_at, Forum.id).limit(HOME_LIMIT)
        .options(contains_eager(Forum.pair), contains_eager(Forum.community))
    ).scalars().all()
    pairs: dict[int, list[Forum]] = {}
    for forum in open_forums:
        pairs.setdefault(forum.pair_id, []).append(forum)
    return HomePage(communities, list(pairs.values()))


@dataclass
class CommunityPage:
    pairs: list[ForumPair]
    resources: list[Resource]


def community_page(user, community: Community) -> CommunityPage:
    """The pairs the reader may see, with their forums, and the latest documents."""
    pairs = db.session.execute(
        select(ForumPair).where(ForumPair.community_id == community.id, published_pairs_clause(user))
        .order_by(ForumPair.opens_at.desc()).options(joinedload(ForumPair.forums))
    ).unique().scalars().all()
    resources = db.session.execute(
        select(Resource).where(Resource.community_id == community.id, Resource.deleted_at.is_(None))
        .order_by(Resource.created_at.desc()).limit(LATEST_RESOURCES)
    ).scalars().all()
    return CommunityPage(pairs, resources)


def published_pairs(user, community: Community, *, with_committees: bool = True) -> list[ForumPair]:
    """The latest pairs the reader may see, for a form's choice of pair (a webinar's, a process's)."""
    conditions = [ForumPair.community_id == community.id, published_pairs_clause(user)]
    if not with_committees:
        conditions.append(~ForumPair.slug.startswith("committee-"))
    return db.session.execute(select(ForumPair).where(*conditions)
                              .order_by(ForumPair.opens_at.desc()).limit(PAIR_CHOICES)).scalars().all()
