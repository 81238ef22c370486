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

from forum import page_cache
from forum.i18n import LANG_COOKIE
from forum.models import utcnow
from forum.services import community_pages, health, member_home
from forum.services.accounts import set_locale
from forum.views.util import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
@page_cache.for_readers
def home():
    now = utcnow()
    page = community_pages.home_page(current_user, now)
    mine = member_home.home(current_user) if current_user.is_authenticated else None
    return render_template("main/home.html", communities=page.communities, open_pairs=page.open_pairs, now=now,
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
