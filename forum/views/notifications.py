"""The notification list, and unwatching from an email link."""
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.models import Thread, User
from forum.services import DomainError, notifications, watching
from forum.views.forums import thread_url
from forum.views.util import get_or_none, page_arg

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def index():
    page = page_arg()
    rows, has_next = notifications.page_for(current_user, page)
    return render_template("notifications/index.html", rows=rows, page=page, has_next=has_next)


@bp.post("/read")
@login_required
def mark_all_read():
    notifications.mark_read(current_user)
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/unwatch/<token>", methods=["GET", "POST"])
def unwatch_from_email(token: str):
    """The link in notification emails: works without signing in; one click on a button."""
    try:
        data = notifications.unwatch_token_data(token)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("main.home"))
    user = get_or_none(User, data.get("u"))
    thread = get_or_none(Thread, data.get("t"))
    if user is None or thread is None or not user.is_active:
        abort(404)
    g.recipient_locale = user.locale  # the email's reader, whatever browser opens the link
    if request.method == "POST":
        try:
            watching.set_watch(user, thread, False)
        except DomainError:
            abort(404)
        flash(_("You will no longer be notified of new posts in “%(title)s”.", title=thread.title), "success")
        return redirect(url_for("notifications.unwatch_from_email", token=token))
    return render_template("notifications/unwatch.html", thread=thread, token=token,
                           watching=watching.is_watching(user, thread), thread_link=thread_url(thread))
