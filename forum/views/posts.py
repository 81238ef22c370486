"""One post: its permalink, editing, deleting, marking useful, earlier revisions."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.forms import EditPostForm
from forum.markup import render
from forum.models import Post
from forum.policy import can
from forum.services import DomainError, people_pages, posting
from forum.views.forums import preview_or_error, thread_url
from forum.views.util import (
    flash_outcome,
    form_error,
    get_or_404,
    limit_posting,
    limit_previews,
    require,
    use_community_timezone,
)

bp = Blueprint("posts", __name__, url_prefix="/posts")


def post_or_404(post_id: int) -> Post:
    post = get_or_404(Post, post_id)
    if not current_user.is_authenticated and not can(current_user, "thread.view", post.thread):
        abort(redirect(url_for("auth.login", next=request.full_path)))  # e.g. a link from an email
    require(current_user, "thread.view", post.thread)
    use_community_timezone(post.thread.forum.community)
    return post


def post_url(post: Post) -> str:
    return thread_url(post.thread, page=posting.page_of(post.number), _anchor=f"post-{post.id}")


@bp.get("/<id:post_id>")
def permalink(post_id: int):
    """A stable address for a post: it finds the page the post is on."""
    return redirect(post_url(post_or_404(post_id)))


@bp.route("/<id:post_id>/edit", methods=["GET", "POST"])
@login_required
@limit_posting
@limit_previews
def edit(post_id: int):
    post = post_or_404(post_id)
    reason = posting.edit_block_reason(current_user, post)
    if reason is not None:
        flash(str(reason), "error")
        return redirect(post_url(post))
    form = EditPostForm(body=post.body_md) if request.method == "GET" else EditPostForm()
    preview = None
    if form.validate_on_submit():
        if request.form.get("preview"):
            preview = preview_or_error(form)
        else:
            try:
                posting.edit_post(current_user, post, form.body.data)
            except DomainError as error:
                form_error(form, error)
            else:
                flash(_("Your post is updated."), "success")
                return redirect(post_url(post))
    status = 400 if request.method == "POST" and preview is None else 200
    return render_template("posts/edit.html", post=post, form=form, preview=preview), status


@bp.route("/<id:post_id>/delete", methods=["GET", "POST"])
@login_required
def delete(post_id: int):
    post = post_or_404(post_id)
    if request.method == "GET":  # ask first: deleting is one click away otherwise
        if not can(current_user, "post.delete", post):
            abort(403)
        return render_template("posts/delete.html", post=post)
    flash_outcome(lambda: posting.delete_post(current_user, post),
                  _("Your post is deleted."))
    return redirect(post_url(post))


@bp.post("/<id:post_id>/useful")
@login_required
def useful(post_id: int):
    post = post_or_404(post_id)
    try:
        posting.set_useful(current_user, post, request.form.get("mark") != "0")
    except DomainError as error:
        flash(str(error.message), "error")
    return redirect(post_url(post))


@bp.get("/<id:post_id>/revisions")
@login_required
def revisions(post_id: int):
    post = post_or_404(post_id)
    if not can(current_user, "post.view_revisions", post):
        abort(403)
    # Earlier bodies are rendered through the same sanitiser as posts.
    earlier = [(r, render(r.body_md)) for r in people_pages.revisions_of(post)]
    return render_template("posts/revisions.html", post=post, earlier=earlier)




@bp.route("/<id:post_id>/flag", methods=["GET", "POST"])
@login_required
def flag(post_id: int):
    from forum.models import FLAG_REASONS
    from forum.services import moderation

    post = post_or_404(post_id)
    if not can(current_user, "post.flag", post):
        abort(403)
    reason, text, error = request.form.get("reason", ""), request.form.get("text", ""), None
    if request.method == "POST":
        try:
            moderation.flag(current_user, post, reason, text)
        except DomainError as exc:
            error = exc
        else:
            flash(_("Thank you: the moderators will review this post."), "success")
            return redirect(post_url(post))
    return render_template("posts/flag.html", post=post, reasons=FLAG_REASONS, reason=reason, text=text,
                           error=error), 400 if error else 200
