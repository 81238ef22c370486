"""Site administration: find people, suspend and lift suspensions."""
from datetime import UTC, datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.forms import SuspendForm
from forum.models import User
from forum.policy import can
from forum.services import DomainError, accounts, community_setup, people_pages
from forum.views.util import form_error, get_or_404, page_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50


@bp.before_request
@login_required
def only_admins():
    if not can(current_user, "site.admin"):
        abort(403)


@bp.get("/users")
def users():
    query = (request.args.get("q") or "").strip()[:100]
    page = page_arg()
    listing = people_pages.users_page(query, page, PER_PAGE)
    return render_template("admin/users.html", rows=listing.rows, has_next=listing.has_next, page=page,
                           query=query)


@bp.route("/users/<id:user_id>/suspend", methods=["GET", "POST"])
def suspend(user_id: int):
    person = get_or_404(User, user_id)
    if person.deleted_at is not None:
        abort(404)
    form = SuspendForm()
    if form.validate_on_submit():
        until = datetime.combine(form.until.data, time.max, UTC) \
            if form.until.data and 2000 <= form.until.data.year <= 2100 else None
        try:
            accounts.suspend(current_user, person, until, form.reason.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("%(name)s is suspended.", name=person.display_name), "success")
            return redirect(url_for("admin.users", q=person.email))
    return render_template("admin/suspend.html", person=person, form=form), 400 if form.errors else 200


@bp.post("/users/<id:user_id>/lift")
def lift(user_id: int):
    person = get_or_404(User, user_id)
    accounts.lift_suspension(current_user, person)
    flash(_("The suspension of %(name)s is lifted.", name=person.display_name), "success")
    return redirect(url_for("admin.users", q=person.email))


@bp.get("/outbox")
def outbox_page():
    """Email that failed or may not have arrived, site-wide, and the resends with their outcome."""
    from forum.services import outbox

    page = page_arg()
    rows = outbox.problems(limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    counts = outbox.counts()
    return render_template("admin/outbox.html", rows=rows[:PER_PAGE], has_next=len(rows) > PER_PAGE, page=page,
                           counts=counts, resends=outbox.resends())


@bp.post("/outbox/resend")
def outbox_resend():
    """One message (its button) or every failed and unknown one (the button below the list)."""
    from forum.services import outbox
    from forum.views.newsletters import flash_resend
    from forum.views.util import parse_id

    ids = [parse_id(value) for value in request.form.getlist("message")]
    ids = [value for value in ids if value is not None]
    if not ids and request.form.get("scope") != "all":
        abort(400)
    flash_resend(outbox.resend(current_user, message_ids=ids or None))
    return redirect(url_for("admin.outbox_page"))


@bp.route("/communities/new", methods=["GET", "POST"])
def new_community():
    from forum.forms import CommunityForm
    from forum.views.organize import community_form_page, community_input
    from forum.views.util import show_errors

    form = CommunityForm()
    if form.validate_on_submit():
        try:
            community = community_setup.save_community(current_user, community_input(form), logo=form.logo.data)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("The community is created."), "success")
            return redirect(url_for("communities.show", slug=community.slug))
    return community_form_page(form, None, 400 if form.errors or form.form_errors else 200)
