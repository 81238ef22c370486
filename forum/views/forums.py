"""Forums and threads: read the concept note and the threads, read and reply, watch, follow."""
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum import page_cache
from forum.forms import ReplyForm, ThreadForm
from forum.i18n import locale_code
from forum.models import (
    Forum,
    Post,
    Thread,
    utcnow,
)
from forum.policy import can, reply_block_reason
from forum.services import (
    DomainError,
    bodies,
    feeds,
    notifications,
    posting,
    reading,
    round_results,
    thread_page,
    watching,
    webinars,
)
from forum.views.util import (
    flash_outcome,
    form_error,
    get_or_none,
    limit_posting,
    limit_previews,
    page_arg,
    parse_id,
    require,
    use_community_timezone,
)

bp = Blueprint("forums", __name__, url_prefix="/c/<community_slug>/f")

THREADS_PER_PAGE = 30
PARTICIPANTS_PER_PAGE = 50


def forum_or_404(community_slug: str, forum_slug: str) -> Forum:
    forum = thread_page.forum_by_slugs(community_slug, forum_slug)
    if forum is None:
        abort(404)
    require(current_user, "forum.view", forum)
    use_community_timezone(forum.community)
    return forum


def thread_or_404(forum: Forum, thread_id: int) -> Thread:
    thread = get_or_none(Thread, thread_id)
    if thread is None or thread.forum_id != forum.id or not can(current_user, "thread.view", thread):
        abort(404)
    return thread


def context_or_404(forum: Forum, thread_id: int) -> thread_page.ThreadContext:
    context = thread_page.thread_context(current_user, forum, thread_id)
    if context is None or not can(current_user, "thread.view", context.thread):
        abort(404)
    return context


def thread_url(thread: Thread, **values) -> str:
    forum = thread.forum
    return url_for("forums.thread", community_slug=forum.community.slug, forum_slug=forum.slug,
                   thread_id=thread.id, **values)


@bp.get("/<forum_slug>")
@page_cache.for_readers
def show(community_slug: str, forum_slug: str):
    forum = forum_or_404(community_slug, forum_slug)
    page = page_arg()
    questions, discussions, has_next = thread_page.forum_threads(
        forum, can(current_user, "community.moderate", forum.community), page, THREADS_PER_PAGE)
    unread = reading.unread_counts(current_user, [t.id for t in questions + discussions])
    closing = webinars.closing_webinar(forum.pair)
    visited, watching = thread_page.forum_reader(current_user, forum)
    return render_template(
        "forums/show.html", forum=forum, questions=questions, discussions=discussions, unread=unread,
        page=page, has_next=has_next, now=utcnow(), closing_webinar=closing,
        closing_title=webinars.closing_title(closing, locale_code()) if closing else None,
        note_open=not visited, watching=watching,
        can_start=can(current_user, "forum.create_thread", forum),
    )


@bp.route("/<forum_slug>/threads/new", methods=["GET", "POST"])
@login_required
@limit_posting
@limit_previews
def new_thread(community_slug: str, forum_slug: str):
    forum = forum_or_404(community_slug, forum_slug)
    if not can(current_user, "forum.create_thread", forum):
        abort(403)
    form = ThreadForm()
    preview = None
    if form.validate_on_submit():
        if request.form.get("preview"):
            preview = preview_or_error(form)
        else:
            try:
                thread = posting.start_thread(current_user, forum, title=form.title.data, body=form.body.data)
            except DomainError as error:
                form_error(form, error)
            else:
                flash(draft_key("thread", forum.id), "clear-draft")
                return redirect(thread_url(thread))
    status = 400 if request.method == "POST" and preview is None else 200
    return render_template("forums/new_thread.html", forum=forum, form=form, preview=preview), status


@bp.route("/<forum_slug>/threads/<id:thread_id>", methods=["GET", "POST"])
@limit_posting
@limit_previews
@page_cache.for_readers
def thread(community_slug: str, forum_slug: str, thread_id: int):
    forum = forum_or_404(community_slug, forum_slug)
    context = context_or_404(forum, thread_id)
    thread = context.thread
    form = ReplyForm()
    preview = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() and request.form.get("preview"):
            preview = preview_or_error(form, thread)
            status = 200 if preview is not None else 400
        elif form.validate_on_submit():
            try:
                post = posting.reply(current_user, thread, form.body.data,
                                     reply_to_id=parse_id(form.reply_to.data))
            except DomainError as error:
                if error.field == "reply_to":  # answer the thread instead; the text stays
                    form.reply_to.data = ""
                    error.field = "body"
                form_error(form, error)
                status = 400
            else:
                flash(draft_key("reply", thread.id), "clear-draft")  # the draft became a post
                return redirect(thread_url(thread, page=posting.page_of(post.number), _anchor=f"post-{post.id}"))
        else:
            status = 400
    elif request.args.get("unread"):
        return _to_first_unread(thread)
    else:
        _prefill_reply(form, thread)
    response = _thread_page(forum, context, form, preview), status
    reading.keep_marks()
    return response


def _to_first_unread(thread: Thread):
    number = reading.first_unread_number(current_user, thread)
    if number is not None:
        post_id = thread_page.post_id_at(thread, number)
        return redirect(thread_url(thread, page=posting.page_of(number), _anchor=f"post-{post_id}"))
    return redirect(thread_url(thread, page=posting.page_of(max(thread.last_number, 1))))


def _thread_page(forum: Forum, context: thread_page.ThreadContext, form: ReplyForm, preview: str | None) -> str:
    """The thread page for this reader; for a member, reading it moves their marker (no commit)."""
    thread, marker = context.thread, context.marker
    per_page = current_app.config["POSTS_PER_PAGE"]
    pages = max((thread.last_number + per_page - 1) // per_page, 1)
    page = min(page_arg(), pages)
    first_number, last_number = (page - 1) * per_page + 1, min(page * per_page, thread.last_number)
    if current_user.is_authenticated and request.method == "GET":
        reading.mark_read(current_user, thread, last_number, known=marker)
        if current_user.unread_notification_count:
            notifications.mark_read_in_thread(current_user, thread, first_number, last_number)
    moderator = can(current_user, "community.moderate", forum.community)
    posts, useful = thread_page.page_posts(current_user, thread, first_number, last_number, moderator)
    replying_to = get_or_none(Post, parse_id(form.reply_to.data)) if parse_id(form.reply_to.data) else None
    if replying_to is not None and replying_to.thread_id != thread.id:
        replying_to = None
    themes, post_themes = thread_page.curation_for(forum, posts) if moderator else ([], {})
    move_targets = thread_page.move_targets(forum) if moderator and not thread.is_guiding_question else []
    poll = context.poll
    return render_template(
        "forums/thread.html", forum=forum, thread=thread, posts=posts, page=page, pages=pages, poll=poll,
        counterparts=context.counterparts,
        poll_view=round_results.poll_view(current_user, poll) if poll else None,
        moderator=moderator, themes=themes, post_themes=post_themes, move_targets=move_targets,
        form=form, preview=preview, replying_to=replying_to, useful=useful, now=utcnow(),
        first_unread=(marker is not None and marker < thread.last_number),
        reply_blocked=reply_block_reason(current_user, thread), watching=context.watching,
        parts=page_cache.post_parts(posts, forum.language),
    )


def draft_key(kind: str, ident: int) -> str:
    """Where the browser keeps a draft: per person, so a shared computer keeps them apart."""
    return f"{kind}-{ident}-u{current_user.id}"


def preview_or_error(form, thread: Thread | None = None) -> str | None:
    """The rendered preview, or None with the reason next to the field (too long, empty, or
    not allowed to reply here: a preview is for someone about to post)."""
    try:
        reason = reply_block_reason(current_user, thread) if thread is not None else None
        if reason is not None:
            raise DomainError(reason, field="body")
        return bodies.prepare_body(form.body.data).rendered.html
    except DomainError as error:
        form_error(form, error)
        return None


def _prefill_reply(form: ReplyForm, thread: Thread) -> None:
    """`?reply_to=<post>` answers a post; `&quote=1` starts the reply with a quote of it."""
    target = parse_id(request.args.get("reply_to"))
    if target is None:
        return
    post = get_or_none(Post, target)
    if post is None or post.thread_id != thread.id or not post.is_live:
        return
    form.reply_to.data = str(post.id)
    if request.args.get("quote"):
        name = post.author.display_name if post.author and not post.author.deleted_at else _("Former member")
        quoted = "\n".join(f"> {line}" if line else ">" for line in post.body_md.splitlines())
        form.body.data = f"{quoted}\n>\n> — {name}\n\n"


@bp.post("/<forum_slug>/threads/<id:thread_id>/watch")
@login_required
def watch_thread(community_slug: str, forum_slug: str, thread_id: int):
    forum = forum_or_404(community_slug, forum_slug)
    thread = thread_or_404(forum, thread_id)
    on = request.form.get("watch") == "1"
    flash_outcome(lambda: watching.set_watch(current_user, thread, on),
                  _("You are watching this thread.") if on else _("You stopped watching this thread."))
    return redirect(thread_url(thread))


@bp.post("/<forum_slug>/watch")
@login_required
def watch_forum(community_slug: str, forum_slug: str):
    forum = forum_or_404(community_slug, forum_slug)
    on = request.form.get("watch") == "1"
    flash_outcome(lambda: watching.set_watch(current_user, forum, on),
                  _("You are watching this forum.") if on else _("You stopped watching this forum."))
    return redirect(url_for("forums.show", community_slug=community_slug, forum_slug=forum_slug))


@bp.get("/<forum_slug>/participants")
def participants(community_slug: str, forum_slug: str):
    forum = forum_or_404(community_slug, forum_slug)
    page = page_arg()
    listing = thread_page.participants_page(forum, page, PARTICIPANTS_PER_PAGE)
    return render_template("forums/participants.html", forum=forum, rows=listing.rows,
                           page=page, has_next=listing.has_next)


@bp.get("/<forum_slug>/feed.atom")
def feed(community_slug: str, forum_slug: str):
    forum = forum_or_404(community_slug, forum_slug)
    if not can(None, "forum.view", forum):
        abort(404)  # feed readers cannot sign in: only what a signed-out visitor may read has a feed
    response = make_response(feeds.forum_feed(forum))
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    return response


