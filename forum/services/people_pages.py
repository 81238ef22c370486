"""What the pages listing people read: the administrators' search, a community's directory
(only what each member chose to show can match), a public profile with the posts the reader
may read (`readable_communities_clause`, `published_pairs_clause`), and a post's revisions."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import SECTORS, Community, Forum, ForumPair, Membership, Post, Revision, Thread, User
from forum.policy import published_pairs_clause, readable_communities_clause
from forum.services import like_pattern


@dataclass
class Listing:
    rows: list
    has_next: bool


def _page(query, page: int, per_page: int, scalars: bool = True) -> Listing:
    result = db.session.execute(query.limit(per_page + 1).offset((page - 1) * per_page))
    rows = result.scalars().all() if scalars else result.all()
    return Listing(rows[:per_page], len(rows) > per_page)


def users_page(text: str, page: int, per_page: int) -> Listing:
    """Accounts not deleted whose name, email or handle contains the text."""
    conditions = [User.deleted_at.is_(None)]
    if text:
        like = like_pattern(text)
        conditions.append(or_(func.lower(User.display_name).like(like, escape="\\"),
                              func.lower(User.email).like(like, escape="\\"),
                              func.lower(User.handle).like(like, escape="\\")))
    return _page(select(User).where(*conditions).order_by(User.display_name, User.id), page, per_page)


def directory_page(community: Community, args, page: int, per_page: int) -> Listing:
    """(User, Membership) rows of active members matching the words, country, sector and
    institution in `args`, each filter matching only members who show that field."""
    conditions = [Membership.community_id == community.id, Membership.state == "active",
                  User.deleted_at.is_(None)]
    for word in (args.get("q") or "").split()[:5]:
        like = like_pattern(word)
        conditions.append(or_(func.lower(User.display_name).like(like, escape="\\"),
                              func.lower(User.handle).like(like, escape="\\")))
    if args.get("country"):
        conditions += [User.country == args["country"], User.show_country.is_(True)]
    if args.get("sector") in SECTORS:
        conditions += [User.sector == args["sector"], User.show_sector.is_(True)]
    if args.get("institution"):
        conditions += [func.lower(User.institution).like(like_pattern(args['institution'][:100]), escape="\\"),
                       User.show_institution.is_(True)]
    return _page(select(User, Membership).join(Membership, Membership.user_id == User.id).where(*conditions)
                 .order_by(User.display_name, User.id), page, per_page, scalars=False)


def user_by_handle(handle: str) -> User | None:
    return db.session.execute(select(User).filter_by(handle=handle.lower())).scalar_one_or_none()


def profile_posts(reader, person: User, page: int, per_page: int) -> Listing:
    """The person's live posts in visible threads the reader may read, newest first."""
    return _page(
        select(Post).join(Thread, Thread.id == Post.thread_id).join(Forum, Forum.id == Thread.forum_id)
        .join(Community, Community.id == Forum.community_id).join(ForumPair, ForumPair.id == Forum.pair_id)
        .where(Post.author_id == person.id, Post.is_live, Thread.hidden_at.is_(None),
               readable_communities_clause(reader), published_pairs_clause(reader))
        .order_by(Post.created_at.desc())
        .options(joinedload(Post.thread).joinedload(Thread.forum).joinedload(Forum.community)), page, per_page)


def revisions_of(post: Post) -> list[Revision]:
    """The post's earlier bodies, newest first."""
    return db.session.execute(
        select(Revision).where(Revision.post_id == post.id).order_by(Revision.created_at.desc())).scalars().all()
