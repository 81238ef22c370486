"""Accounts: register, confirm email, sign in and out, reset password, profile."""
from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from forum.choices import grouped_options
from forum.extensions import limiter, login_manager
from forum.forms import DeleteAccountForm, LoginForm, ProfileForm, RegisterForm, ResetPasswordForm, ResetRequestForm
from forum.i18n import LANG_COOKIE, country_groups, locale_code, timezone_choices
from forum.services import DomainError, accounts, sessions, signin_limits
from forum.views.util import form_error, safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")


@login_manager.user_loader
def load_user(cookie_id: str):
    # Only while that sign-in exists on the server, and the account is active.
    return sessions.load(cookie_id)


@bp.after_app_request
def touch_sign_in(response):
    sessions.touch()
    return response


login_manager.login_view = "auth.login"
login_manager.login_message = None


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"][:254]  # from an invitation
    if form.validate_on_submit():
        try:
            user = accounts.register(email=form.email.data, password=form.password.data,
                                     display_name=form.display_name.data, locale=locale_code(),
                                     newsletter=form.newsletter.data)
        except DomainError as error:
            form_error(form, error)
        else:
            sessions.start(user, user_agent=request.user_agent.string)
            flash(_("Welcome! We sent you an email: follow its link to confirm your address."), "success")
            return redirect(safe_next(request.args.get("next"), url_for("auth.unconfirmed")))
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.get("/confirm/<token>")
def confirm(token: str):
    try:
        accounts.confirm_email(token)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("auth.unconfirmed") if current_user.is_authenticated else url_for("auth.login"))
    flash(_("Your email address is confirmed. You can now take part."), "success")
    return redirect(url_for("main.home"))


@bp.get("/unconfirmed")
@login_required
def unconfirmed():
    if current_user.is_confirmed:
        return redirect(url_for("main.home"))
    return render_template("auth/unconfirmed.html")


@bp.post("/confirm/resend")
@login_required
@limiter.limit("5 per hour")
def resend_confirmation():
    accounts.resend_confirmation(current_user)
    flash(_("We sent you a new confirmation link."), "success")
    return redirect(url_for("auth.unconfirmed"))


def _failed_sign_in(response) -> bool:
    # Only failures count against an address: an office behind one address can all sign in.
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed_sign_in)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm(next=request.args.get("next", ""))
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            user = accounts.sign_in(form.email.data, form.password.data)
        except DomainError as error:
            status = 429 if isinstance(error, signin_limits.AccountLocked) else status
            form_error(form, error)
        else:
            sessions.start(user, remember=form.remember.data, user_agent=request.user_agent.string)
            return redirect(safe_next(form.next.data, url_for("main.home")))
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    sessions.end_current()
    flash(_("You are signed out."), "success")
    return redirect(url_for("main.home"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        flash(_("If an account exists for that address, we sent it a link to choose a new password."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form), 400 if form.errors else 200


def _choose_password(purpose: str, token: str, template: str, success: str):
    """The page behind a password link (reset or welcome): a bad link says so before any typing."""
    try:
        user = accounts.password_link_user(purpose, token)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("auth.reset_request"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.set_password_from_link(purpose, token, form.password.data)
        except DomainError as error:
            form_error(form, error)
        else:
            sessions.start(user, user_agent=request.user_agent.string)
            flash(success, "success")
            return redirect(url_for("main.home"))
    return render_template(template, form=form, person=user), 400 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _choose_password("reset-password", token, "auth/reset_password.html",
                            _("Your password has been changed."))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user, newsletter=current_user.newsletter_opt_in_at is not None) \
        if request.method == "GET" else ProfileForm()
    countries = country_groups()
    first = next(iter(countries))
    form.country.choices = grouped_options({first: [("", "—")] + countries[first], **{k: v for k, v in countries.items() if k != first}})
    zones = timezone_choices(locale_code())
    first = next(iter(zones))
    form.timezone.choices = grouped_options({first: [("", _("The community's time zone"))] + zones[first],
                                             **{k: v for k, v in zones.items() if k != first}})
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                current_user, display_name=form.display_name.data, handle=form.handle.data,
                country=form.country.data, institution=form.institution.data,
                sector=form.sector.data, gender=form.gender.data, locale=form.locale.data,
                timezone=form.timezone.data, email_notifications=form.email_notifications.data,
                visibility={key: getattr(form, key).data for key in
                            ("show_email", "show_country", "show_institution", "show_sector",
                             "show_name_in_reports")},
                digest_frequency=form.digest_frequency.data, newsletter=form.newsletter.data,
            )
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("Your profile is saved."), "success")
            response = make_response(redirect(url_for("auth.profile")))
            response.delete_cookie(LANG_COOKIE)  # the saved preference now decides
            return response
    return render_template("auth/profile.html", form=form, sign_ins=sessions.of(current_user)), 400 if form.errors else 200


@bp.post("/sessions/end-all")
@login_required
def sign_out_everywhere():
    """Every browser and device signed in to this account is signed out, this one too."""
    sessions.sign_out_everywhere(current_user)
    flash(_("You are signed out everywhere. Sign in again here."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def welcome(token: str):
    """Someone added by an organizer chooses a password, and is in."""
    return _choose_password("welcome", token, "auth/welcome.html", _("Welcome! Your password is set."))


@bp.get("/account/data")
@login_required
def download_data():
    """Everything we hold about the member, as a JSON file."""
    import json

    from forum.services import member_data

    body = json.dumps(member_data.export_data(current_user), ensure_ascii=False, indent=2)
    response = make_response(body)
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="my-data-{current_user.handle}.json"'
    return response


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            accounts.delete_account(current_user, form.password.data)
        except DomainError as error:
            form_error(form, error)
        else:
            logout_user()
            flash(_("Your account is deleted. Your posts remain, signed “former member”."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/delete_account.html", form=form), 400 if form.errors else 200
