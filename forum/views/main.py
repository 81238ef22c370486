"""Home, language switcher, health check."""
from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import contains_eager

from forum import page_cache
from forum.extensions import db
from forum.i18n import LANG_COOKIE
from forum.models import Community, Forum, ForumPair, utcnow
from forum.policy import listed_communities_clause, readable_communities_clause
from forum.services import health, member_home
from forum.services.accounts import set_locale
from forum.views.util import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
@page_cache.for_visitors
def home():
    now = utcnow()
    communities = db.session.execute(
        db.select(Community).where(listed_communities_clause(current_user))
        .order_by(Community.member_count.desc(), Community.id).limit(50)
    ).scalars().all()
    open_forums = db.session.execute(
        db.select(Forum).join(ForumPair, Forum.pair_id == ForumPair.id)
        .join(Community, Forum.community_id == Community.id)
        .where(readable_communities_clause(current_user),
               ForumPair.status == "published", ForumPair.opens_at <= now, ForumPair.closes_at > now)
        .order_by(ForumPair.closes_at, Forum.id).limit(50)
        .options(contains_eager(Forum.pair), contains_eager(Forum.community))
    ).scalars().all()
    pairs: dict[int, list] = {}
    for forum in open_forums:  # a pair is one card, its forums side by side
        pairs.setdefault(forum.pair_id, []).append(forum)
    mine = member_home.home(current_user) if current_user.is_authenticated else None
    return render_template("main/home.html", communities=communities, open_pairs=list(pairs.values()), now=now,
                           mine=mine)


@bp.post("/language")
def set_language():
    lang = request.form.get("lang", "")
    target = safe_next(request.form.get("next"), url_for("main.home"))
    response = make_response(redirect(target))
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True,
                            samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
        if current_user.is_authenticated:
            set_locale(current_user, lang)
    return response


@bp.get("/healthz")
def healthz():
    database = health.database_status()
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "unavailable", database=database), status
