"""Public profiles: what a member chose to show, and their recent posts."""
from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum import page_cache
from forum.extensions import db
from forum.models import Community, Forum, ForumPair, Post, Thread, User
from forum.policy import published_pairs_clause, readable_communities_clause
from forum.views.util import page_arg

bp = Blueprint("profiles", __name__, url_prefix="/u")
PER_PAGE = 20


@bp.get("/<handle>")
@page_cache.for_visitors
def show(handle: str):
    user = db.session.execute(select(User).filter_by(handle=handle.lower())).scalar_one_or_none()
    if user is None or user.deleted_at is not None:
        abort(404)
    page = page_arg()
    posts = db.session.execute(
        select(Post).join(Thread, Thread.id == Post.thread_id).join(Forum, Forum.id == Thread.forum_id)
        .join(Community, Community.id == Forum.community_id).join(ForumPair, ForumPair.id == Forum.pair_id)
        .where(Post.author_id == user.id, Post.is_live, Thread.hidden_at.is_(None),
               readable_communities_clause(current_user), published_pairs_clause(current_user))
        .order_by(Post.created_at.desc()).limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)
        .options(joinedload(Post.thread).joinedload(Thread.forum).joinedload(Forum.community))
    ).scalars().all()
    return render_template("profiles/show.html", person=user, posts=posts[:PER_PAGE], page=page,
                           has_next=len(posts) > PER_PAGE)
