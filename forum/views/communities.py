"""Communities: list, page, join, leave."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.extensions import db
from forum.i18n import localized
from forum.models import Community, ForumPair, utcnow
from forum.policy import can, listed_communities_clause, role_in
from forum.services import DomainError, membership
from forum.views.util import require, safe_next, use_community_timezone

bp = Blueprint("communities", __name__, url_prefix="/c")


def community_or_404(slug: str) -> Community:
    community = db.session.execute(db.select(Community).filter_by(slug=slug)).scalar_one_or_none()
    if community is None:
        abort(404)
    require(current_user, "community.view", community)
    use_community_timezone(community)
    return community


@bp.get("/")
def index():
    communities = db.session.execute(
        db.select(Community).where(listed_communities_clause(current_user))
        .order_by(Community.member_count.desc(), Community.id)
    ).scalars().all()
    return render_template("communities/index.html", communities=communities)


@bp.get("/<slug>")
def show(slug: str):
    from sqlalchemy.orm import selectinload

    community = community_or_404(slug)
    can_read = can(current_user, "community.read", community)
    pairs = [] if not can_read else db.session.execute(
        db.select(ForumPair).filter_by(community_id=community.id)
        .order_by(ForumPair.opens_at.desc()).options(selectinload(ForumPair.forums))
    ).scalars().all()
    return render_template("communities/show.html", community=community, pairs=pairs,
                           can_read=can_read,
                           role=role_in(current_user, community),
                           can_join=can(current_user, "community.join", community), now=utcnow())


@bp.post("/<slug>/join")
@login_required
def join(slug: str):
    community = community_or_404(slug)
    try:
        membership.join(current_user, community)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("You are now a member of the community “%(community)s”.",
                community=localized(community, "name")), "success")
    return redirect(safe_next(request.form.get("next"), url_for("communities.show", slug=slug)))


@bp.post("/<slug>/leave")
@login_required
def leave(slug: str):
    community = community_or_404(slug)
    try:
        membership.leave(current_user, community)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("You have left this community."), "success")
    return redirect(url_for("communities.show", slug=slug))
