"""Public profiles: what a member chose to show, and their recent posts."""
from flask import Blueprint, abort, render_template
from flask_login import current_user

from forum import page_cache
from forum.services import people_pages
from forum.views.util import page_arg

bp = Blueprint("profiles", __name__, url_prefix="/u")
PER_PAGE = 20


@bp.get("/<handle>")
@page_cache.for_readers
def show(handle: str):
    user = people_pages.user_by_handle(handle)
    if user is None or user.deleted_at is not None:
        abort(404)
    page = page_arg()
    posts = people_pages.profile_posts(current_user, user, page, PER_PAGE)
    return render_template("profiles/show.html", person=user, posts=posts.rows, page=page,
                           has_next=posts.has_next)
