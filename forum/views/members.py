"""The people of a community: directory, roles, join requests, invitations, CSV import."""
import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.forms import DecisionForm, ImportForm, InviteForm
from forum.i18n import country_choices
from forum.models import SECTORS
from forum.policy import can
from forum.services import DomainError, imports, membership, people_pages
from forum.views.communities import community_or_404
from forum.views.util import flash_outcome, page_arg, pager_args, require

bp = Blueprint("members", __name__, url_prefix="/c/<slug>/members")
PER_PAGE = 30


@bp.get("/")
@login_required
def directory(slug: str):
    community = community_or_404(slug)
    require(current_user, "community.view_directory", community)
    args = request.args
    page = page_arg()
    listing = people_pages.directory_page(community, args, page, PER_PAGE)
    return render_template(
        "members/directory.html", community=community, rows=listing.rows, has_next=listing.has_next,
        page=page, args=args, countries=country_choices(), sectors=SECTORS,
        can_manage=can(current_user, "community.organize", community),
        page_args=pager_args(args, ("q", "country", "sector", "institution")),
    )


@bp.post("/<id:user_id>/role")
@login_required
def set_role(slug: str, user_id: int):
    community = community_or_404(slug)
    flash_outcome(lambda: membership.set_role(current_user, community, user_id, request.form.get("role", "")),
                  _("The role is changed."))
    return redirect(request.referrer if _same_site(request.referrer) else url_for("members.directory", slug=slug))


@bp.post("/<id:user_id>/remove")
@login_required
def remove(slug: str, user_id: int):
    community = community_or_404(slug)
    flash_outcome(lambda: membership.remove_member(current_user, community, user_id),
                  _("The person is no longer a member."))
    return redirect(url_for("members.directory", slug=slug))


def _same_site(url: str | None) -> bool:
    from urllib.parse import urlsplit

    return bool(url) and urlsplit(url).netloc == request.host


@bp.get("/requests")
@login_required
def requests(slug: str):
    community = community_or_404(slug)
    require(current_user, "community.moderate", community)
    return render_template("members/requests.html", community=community,
                           pending=membership.pending_requests(community, page_arg()), form=DecisionForm())


@bp.post("/requests/<id:membership_id>")
@login_required
def decide(slug: str, membership_id: int):
    community = community_or_404(slug)
    require(current_user, "community.moderate", community)
    form = DecisionForm()
    try:
        if request.form.get("decision") == "approve":
            m = membership.approve(current_user, community, membership_id)
            flash(_("%(name)s is now a member.", name=m.user.display_name), "success")
        else:
            m = membership.decline(current_user, community, membership_id, form.reason.data)
            flash(_("The request of %(name)s is declined; they were told why.", name=m.user.display_name), "success")
    except DomainError as error:
        flash(str(error.message), "error")
    return redirect(url_for("members.requests", slug=slug))


@bp.route("/invite", methods=["GET", "POST"])
@login_required
def invite(slug: str):
    community = community_or_404(slug)
    require(current_user, "community.organize", community)
    form = InviteForm()
    results = None
    if form.validate_on_submit():
        addresses = [a for a in re.split(r"[\s,;]+", form.emails.data or "") if a]
        if len(addresses) > 500:
            form.emails.errors = [_("At most 500 addresses at a time.")]
        elif not addresses:
            form.emails.errors = [_("Write at least one email address.")]
        else:
            results = membership.invite_all(current_user, community, addresses, form.role.data,
                                            locale=form.language.data)
    return render_template("members/invite.html", community=community, form=form, results=results)


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_csv(slug: str):
    community = community_or_404(slug)
    require(current_user, "community.organize", community)
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        if not upload or not upload.filename:
            form.file.errors = [_("Choose a CSV file.")]
        else:
            try:
                report = imports.import_members(community, upload.read(), organizer=current_user)
            except DomainError as error:
                form.file.errors = [str(error.message)]
    return render_template("members/import.html", community=community, form=form, report=report), \
        400 if form.errors else 200


