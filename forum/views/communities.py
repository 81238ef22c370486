"""Communities: list, page, join or ask to join, accept an invitation, leave."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum import page_cache
from forum.forms import RequestJoinForm
from forum.i18n import localized
from forum.models import Community, utcnow
from forum.policy import can, role_in
from forum.policy import membership as membership_of
from forum.services import DomainError, community_pages, membership, watching, webinars
from forum.uploads import send_image
from forum.views.util import flash_outcome, require, safe_next, use_community_timezone

bp = Blueprint("communities", __name__, url_prefix="/c")


def community_or_404(slug: str) -> Community:
    community = community_pages.community_by_slug(slug)
    if community is None:
        abort(404)
    require(current_user, "community.view", community)
    use_community_timezone(community)
    return community


@bp.get("/")
def index():
    return render_template("communities/index.html",
                           communities=community_pages.listed_communities(current_user))


@bp.get("/<slug>")
@page_cache.for_readers
def show(slug: str):
    community = community_or_404(slug)
    can_read = can(current_user, "community.read", community)
    pairs, resources, upcoming_webinars = [], [], []
    if can_read:
        page = community_pages.community_page(current_user, community)
        pairs, resources = page.pairs, page.resources
        upcoming_webinars = webinars.upcoming(community)
    pending, watched = membership.reader_state(current_user, community,
                                               can(current_user, "community.moderate", community))
    return render_template(
        "communities/show.html", community=community, pairs=pairs, resources=resources, can_read=can_read,
        role=role_in(current_user, community), my_membership=membership_of(current_user, community),
        can_join=can(current_user, "community.join", community),
        can_request=can(current_user, "community.request_join", community),
        pending=pending, form=RequestJoinForm(), now=utcnow(), upcoming_webinars=upcoming_webinars, watching=watched,
    )


@bp.post("/<slug>/join")
@login_required
def join(slug: str):
    community = community_or_404(slug)
    flash_outcome(lambda: membership.join(current_user, community),
                  _("You are now a member of the community “%(community)s”.",
                    community=localized(community, "name")))
    return redirect(safe_next(request.form.get("next"), url_for("communities.show", slug=slug)))


@bp.post("/<slug>/request")
@login_required
def request_to_join(slug: str):
    community = community_or_404(slug)
    form = RequestJoinForm()
    message = form.message.data if form.validate() else None
    flash_outcome(lambda: membership.request_to_join(current_user, community, message),
                  _("Your request is sent. The moderators will answer by email."))
    return redirect(url_for("communities.show", slug=slug))


@bp.post("/<slug>/watch")
@login_required
def watch(slug: str):
    community = community_or_404(slug)
    on = request.form.get("watch") == "1"
    flash_outcome(lambda: watching.set_watch(current_user, community, on),
                  _("You will be told when this community's forums open.") if on
                  else _("You stopped watching this community."))
    return redirect(url_for("communities.show", slug=slug))


@bp.get("/<slug>/logo")
def logo(slug: str):
    community = community_or_404(slug)
    if not community.logo_key:
        abort(404)
    return send_image(community.logo_key, community.logo_type)


@bp.post("/<slug>/leave")
@login_required
def leave(slug: str):
    community = community_or_404(slug)
    flash_outcome(lambda: membership.leave(current_user, community),
                  _("You have left this community."))
    return redirect(url_for("communities.show", slug=slug))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    try:
        invitation = membership.invitation_from_token(token)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("main.home"))
    community = invitation.community
    if request.method == "POST" and current_user.is_authenticated and flash_outcome(
            lambda: membership.accept_invitation(current_user, token),
            _("You are now a member of the community “%(community)s”.", community=localized(community, "name"))):
        return redirect(url_for("communities.show", slug=community.slug))
    already = current_user.is_authenticated and role_in(current_user, community) is not None
    return render_template("communities/invitation.html", invitation=invitation, community=community,
                           already=already, token=token)


