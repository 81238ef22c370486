"""Links in emails that work without signing in: one-click unsubscribe and email preferences."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forum import tokens
from forum.extensions import csrf
from forum.forms import EmailPreferencesForm
from forum.services import DomainError, accounts

bp = Blueprint("email", __name__, url_prefix="/email")


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a form of ours
def unsubscribe(token: str):
    try:
        user, data = accounts.user_from_email_token("unsubscribe", token)
    except DomainError as error:
        return render_template("email_pages/message.html", title=_("Unsubscribe"), message=str(error.message)), 400
    g.recipient_locale = user.locale
    category = data.get("c")
    if request.method == "POST":
        try:
            accounts.unsubscribe(user, category)
        except DomainError:
            abort(400)
        if request.form.get("List-Unsubscribe") == "One-Click":
            return "", 204
        return render_template("email_pages/message.html", title=_("You are unsubscribed"),
                               message=_("You will not receive these emails any more."),
                               preferences_token=tokens.make("email-preferences", {"u": user.id}))
    return render_template("email_pages/unsubscribe.html", category=category, token=token)


@bp.route("/preferences/<token>", methods=["GET", "POST"])
def preferences(token: str):
    try:
        user, _data = accounts.user_from_email_token("email-preferences", token)
    except DomainError as error:
        return render_template("email_pages/message.html", title=_("Email preferences"), message=str(error.message)), 400
    g.recipient_locale = user.locale
    form = EmailPreferencesForm(digest_frequency=user.digest_frequency, newsletter=user.newsletter_opt_in_at is not None,
                                email_notifications=user.email_notifications) if request.method == "GET" \
        else EmailPreferencesForm()
    if form.validate_on_submit():
        try:
            accounts.set_email_preferences(user, digest=form.digest_frequency.data, newsletter=form.newsletter.data,
                                           notifications=form.email_notifications.data)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Your email preferences are saved."), "success")
            return redirect(url_for("email.preferences", token=token))
    status = 400 if request.method == "POST" else 200
    return render_template("email_pages/preferences.html", form=form, person=user), status
