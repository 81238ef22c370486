"""Moderators at work: the queue, flags, actions on posts, threads, forums and people,
the moderation log, curation across a forum pair, and the dashboard."""
from datetime import datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.models import Forum, ForumPair, Post, ReportQuote, Thread, User, utcnow
from forum.policy import can
from forum.services import DomainError, assist, curation, moderation, moderation_pages, report_quotes
from forum.timezones import to_utc
from forum.views.communities import community_or_404
from forum.views.util import flash_outcome, get_or_404, get_or_none, page_arg, pager_args, parse_id, safe_next

bp = Blueprint("moderation", __name__, url_prefix="/c/<slug>/moderation")
LOG_PER_PAGE = 50


def _moderated(slug: str):
    community = community_or_404(slug)
    if not can(current_user, "community.moderate", community):
        abort(403)
    return community


def _post_in(community, post_id: int) -> Post:
    return get_or_404(Post, post_id, lambda post: post.thread.forum.community_id == community.id)


def _back(default: str) -> str:
    return safe_next(request.form.get("next"), default)


def _do(action, success: str, default: str):
    flash_outcome(action, success)
    return redirect(_back(default))


@bp.get("/")
@login_required
def queue(slug: str):
    community = _moderated(slug)
    page = moderation_pages.queue_page(community)
    return render_template("moderation/queue.html", community=community, pending=page.pending,
                           flagged=page.flagged, flags=page.flags)


@bp.post("/posts/<id:post_id>/approve")
@login_required
def approve(slug: str, post_id: int):
    community = _moderated(slug)
    post = _post_in(community, post_id)
    return _do(lambda: moderation.approve(current_user, post), _("The post is published."),
               url_for("moderation.queue", slug=slug))


@bp.post("/posts/<id:post_id>/reject")
@login_required
def reject(slug: str, post_id: int):
    community = _moderated(slug)
    post = _post_in(community, post_id)
    return _do(lambda: moderation.reject(current_user, post, request.form.get("reason", "")),
               _("The post is not published; its author was told why."), url_for("moderation.queue", slug=slug))


@bp.post("/posts/<id:post_id>/resolve")
@login_required
def resolve(slug: str, post_id: int):
    community = _moderated(slug)
    post = _post_in(community, post_id)
    return _do(lambda: moderation.resolve_flags(current_user, post, request.form.get("resolution", ""),
                                                request.form.get("reason"), request.form.get("body")),
               _("The flags are resolved; the members who flagged were told."), url_for("moderation.queue", slug=slug))


@bp.route("/posts/<id:post_id>/hide", methods=["GET", "POST"])
@login_required
def hide(slug: str, post_id: int):
    community = _moderated(slug)
    post = _post_in(community, post_id)
    if request.method == "GET":
        return render_template("moderation/hide.html", community=community, post=post)
    return _do(lambda: moderation.hide(current_user, post, request.form.get("reason", "")),
               _("The post is hidden; the reason shows in its place."),
               url_for("posts.permalink", post_id=post.id))


@bp.post("/posts/<id:post_id>/restore")
@login_required
def restore(slug: str, post_id: int):
    community = _moderated(slug)
    post = _post_in(community, post_id)
    return _do(lambda: moderation.restore(current_user, post, request.form.get("reason")),
               _("The post is visible again."), url_for("posts.permalink", post_id=post.id))


@bp.route("/posts/<id:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, post_id: int):
    community = _moderated(slug)
    post = _post_in(community, post_id)
    body, reason, error = post.body_md, "", None
    if request.method == "POST":
        body, reason = request.form.get("body", ""), request.form.get("reason", "")
        try:
            moderation.edit(current_user, post, body, reason)
        except DomainError as exc:
            error = exc
        else:
            flash(_("The post is edited; its author was told why."), "success")
            return redirect(url_for("posts.permalink", post_id=post.id))
    return render_template("moderation/edit.html", community=community, post=post, body=body, reason=reason,
                           error=error), 400 if error else 200


@bp.post("/posts/<id:post_id>/highlight")
@login_required
def highlight(slug: str, post_id: int):
    community = _moderated(slug)
    post = _post_in(community, post_id)
    value = request.form.get("value") == "1"
    return _do(lambda: moderation.set_highlight(current_user, post, value),
               _("Marked as a highlight.") if value else _("No longer a highlight."),
               url_for("posts.permalink", post_id=post.id))


@bp.post("/posts/<id:post_id>/themes")
@login_required
def themes(slug: str, post_id: int):
    community = _moderated(slug)
    post = _post_in(community, post_id)
    ids = [i for i in (parse_id(v) for v in request.form.getlist("theme")) if i]
    return _do(lambda: moderation.set_themes(current_user, post, ids), _("Themes saved."),
               url_for("posts.permalink", post_id=post.id))


@bp.post("/threads/<id:thread_id>/<action>")
@login_required
def thread_action(slug: str, thread_id: int, action: str):
    community = _moderated(slug)
    thread = get_or_404(Thread, thread_id, lambda thread: thread.forum.community_id == community.id)
    changes = {"lock": ("is_locked", True), "unlock": ("is_locked", False),
               "pin": ("is_pinned", True), "unpin": ("is_pinned", False)}
    if action == "move":
        target = get_or_none(Forum, parse_id(request.form.get("target")) or 0)
        if target is None:
            flash(_("Choose another forum of the same community."), "error")
            return redirect(_back(url_for("moderation.queue", slug=slug)))
        try:
            moderation.move_thread(current_user, thread, target, request.form.get("reason"))
        except DomainError as error:
            flash(str(error.message), "error")
            return redirect(_back(url_for("moderation.queue", slug=slug)))
        flash(_("The thread is moved."), "success")
        from forum.views.forums import thread_url

        return redirect(thread_url(thread))  # its new address
    if action not in changes:
        abort(404)
    attribute, value = changes[action]
    messages = {"lock": _("The thread is locked."), "unlock": _("The thread is unlocked."),
                "pin": _("The thread is pinned."), "unpin": _("The thread is no longer pinned.")}
    return _do(lambda: moderation.set_thread_flag(current_user, thread, attribute, value, request.form.get("reason")),
               messages[action], _back(url_for("moderation.queue", slug=slug)))


@bp.post("/pairs/<id:pair_id>/schedule")
@login_required
def reschedule(slug: str, pair_id: int):
    community = _moderated(slug)
    pair = _pair_in(community, pair_id)
    until = _date_end(request.form.get("until"), community)
    return _do(lambda: moderation.reschedule(current_user, pair, action=request.form.get("action", ""), until=until,
                                             reason=request.form.get("reason")),
               _("The forum's dates are changed."), url_for("moderation.dashboard", slug=slug, pair_id=pair.id))


def _date_end(value: str | None, community) -> datetime | None:
    """The end of a day entered in the community's time zone, as UTC."""
    try:
        day = datetime.strptime((value or "").strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    if not 2000 <= day.year <= 2100:
        return None
    return to_utc(datetime.combine(day, time(23, 59)), community.timezone)


@bp.route("/people/<id:user_id>", methods=["GET", "POST"])
@login_required
def person(slug: str, user_id: int):
    community = _moderated(slug)
    person = get_or_404(User, user_id)
    if request.method == "POST":
        action = request.form.get("action")
        if action == "warn":
            return _do(lambda: moderation.warn(current_user, community, person, request.form.get("message", "")),
                       _("The warning is sent."), url_for("moderation.person", slug=slug, user_id=user_id))
        if action == "suspend":
            until = _date_end(request.form.get("until"), community)
            return _do(lambda: moderation.suspend(current_user, community, person, until, request.form.get("reason", "")),
                       _("The member is suspended from this community."),
                       url_for("moderation.person", slug=slug, user_id=user_id))
        if action == "lift":
            return _do(lambda: moderation.lift_suspension(current_user, community, person),
                       _("The suspension is lifted."), url_for("moderation.person", slug=slug, user_id=user_id))
        abort(400)
    from forum.policy import membership

    return render_template("moderation/person.html", community=community, person=person,
                           member=membership(person, community),
                           entries=moderation_pages.person_entries(community, person))


@bp.get("/log")
@login_required
def moderation_log(slug: str):
    community = _moderated(slug)
    args = request.args
    page = page_arg()
    log = moderation_pages.log_page(community, args.get("action"), args.get("actor"), page, LOG_PER_PAGE)
    return render_template("moderation/log.html", community=community, rows=log.rows,
                           has_next=log.has_next, page=page, args=args, actions=log.actions,
                           page_args=pager_args(args, ("action", "actor")))


def _pair_in(community, pair_id: int) -> ForumPair:
    return get_or_404(ForumPair, pair_id, lambda pair: pair.community_id == community.id)


@bp.route("/pairs/<id:pair_id>/curate", methods=["GET", "POST"])
@login_required
def curate(slug: str, pair_id: int):
    community = _moderated(slug)
    pair = _pair_in(community, pair_id)
    position = parse_id(request.values.get("question")) or 1
    typed, error = None, None
    if request.method == "POST":
        typed = {f.language: request.form.get(f"body_{f.language}", "") for f in pair.forums}
        try:
            moderation.save_synthesis_note(current_user, pair, position, typed)
        except DomainError as refused:  # shown next to the field, with the text as typed
            error = refused
        else:
            flash(_("The synthesis note is saved."), "success")
            return redirect(url_for("moderation.curate", slug=slug, pair_id=pair.id, question=position))
    return _curate_page(community, pair, position, typed=typed, error=error)


def _curate_page(community, pair: ForumPair, position: int, typed=None, error=None, quote_error=None):
    view = curation.question_view(pair, position)
    quotes = report_quotes.of_posts([p.id for side in view.sides for p in side.posts])
    return render_template("moderation/curate.html", community=community, pair=pair, view=view, position=position,
                           typed=typed, error=error, quotes=quotes, quote_error=quote_error), \
        400 if (error or quote_error) else 200


@bp.post("/posts/<id:post_id>/quotes")
@login_required
def choose_quote(slug: str, post_id: int):
    community = _moderated(slug)
    post = _post_in(community, post_id)
    text, theme_id = request.form.get("text", ""), parse_id(request.form.get("theme"))
    try:
        report_quotes.choose(current_user, post, text, theme_id)
    except DomainError as refused:  # the curation page again, the passage as typed beside the post
        if post.thread.forum.pair is None:
            abort(400)
        return _curate_page(community, post.thread.forum.pair, post.thread.position or 1,
                            quote_error={"post_id": post.id, "message": refused.message, "text": text})
    flash(_("The quote is chosen for the report."), "success")
    return redirect(_back(url_for("posts.permalink", post_id=post.id)))


@bp.post("/quotes/<id:quote_id>/remove")
@login_required
def remove_quote(slug: str, quote_id: int):
    community = _moderated(slug)
    quote = get_or_404(ReportQuote, quote_id, lambda quote: quote.post.thread.forum.community_id == community.id)
    return _do(lambda: report_quotes.remove(current_user, quote), _("The quote is removed from the report."),
               url_for("posts.permalink", post_id=quote.post_id))


@bp.get("/pairs/<id:pair_id>/dashboard")
@login_required
def dashboard(slug: str, pair_id: int):
    community = _moderated(slug)
    pair = _pair_in(community, pair_id)
    return render_template("moderation/dashboard.html", community=community, pair=pair,
                           stats=curation.dashboard(pair), pair_is_open=pair.state(utcnow()) == "open",
                           assist=assist.status(pair))


