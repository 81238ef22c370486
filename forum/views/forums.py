"""Forums and threads: read the concept note and guiding questions, read and reply."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.forms import ReplyForm
from forum.models import Community, Forum, ForumPair, Post, Thread, utcnow
from forum.policy import can, reply_block_reason
from forum.services import DomainError, posting
from forum.views.util import form_error, page_arg, require, use_community_timezone

bp = Blueprint("forums", __name__, url_prefix="/c/<community_slug>/f")


def forum_or_404(community_slug: str, forum_slug: str) -> Forum:
    forum = db.session.execute(
        db.select(Forum).join(Community, Forum.community_id == Community.id)
        .join(ForumPair, Forum.pair_id == ForumPair.id)
        .where(Community.slug == community_slug, Forum.slug == forum_slug)
        .options(joinedload(Forum.community), joinedload(Forum.pair).selectinload(ForumPair.forums))
    ).unique().scalar_one_or_none()
    if forum is None:
        abort(404)
    require(current_user, "forum.view", forum)
    use_community_timezone(forum.community)
    return forum


def thread_or_404(forum: Forum, thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None or thread.forum_id != forum.id:
        abort(404)
    return thread


@bp.get("/<forum_slug>")
def show(community_slug: str, forum_slug: str):
    forum = forum_or_404(community_slug, forum_slug)
    threads = db.session.execute(
        db.select(Thread).where(Thread.forum_id == forum.id)
        .order_by(case((Thread.kind == "guiding_question", 0), else_=1), Thread.position,
                  Thread.last_post_at.desc())
        .options(joinedload(Thread.author))
    ).scalars().all()
    return render_template("forums/show.html", forum=forum, threads=threads, now=utcnow())


@bp.route("/<forum_slug>/threads/<int:thread_id>", methods=["GET", "POST"])
def thread(community_slug: str, forum_slug: str, thread_id: int):
    forum = forum_or_404(community_slug, forum_slug)
    thread = thread_or_404(forum, thread_id)
    form = ReplyForm()
    status = 200
    if request.method == "POST":
        if not can(current_user, "thread.view", thread):
            abort(404)
        if form.validate_on_submit():
            try:
                post = posting.reply(current_user, thread, form.body.data)
            except DomainError as error:
                form_error(form, error)
            else:
                return redirect(url_for("forums.thread", community_slug=community_slug,
                                        forum_slug=forum_slug, thread_id=thread.id,
                                        page=posting.page_of(post.number), _anchor=f"post-{post.id}"))
        status = 400
    per_page = current_app.config["POSTS_PER_PAGE"]
    pages = max((thread.post_count + per_page - 1) // per_page, 1)
    page = min(page_arg(), pages)
    posts = db.session.execute(
        db.select(Post).where(Post.thread_id == thread.id).order_by(Post.number)
        .offset((page - 1) * per_page).limit(per_page).options(joinedload(Post.author))
    ).scalars().all()
    return render_template(
        "forums/thread.html", forum=forum, thread=thread, posts=posts, page=page, pages=pages,
        form=form, reply_blocked=reply_block_reason(current_user, thread), now=utcnow(),
    ), status
