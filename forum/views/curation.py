"""Curation at scale: the queue of a pair's replies with filters, and the small actions that save
in place (JSON for the page's script, a redirect back to the same post without it)."""
from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from forum.i18n import country_choices, is_country, locale_code, localized
from forum.models import SECTORS, ForumPair, Post
from forum.policy import can
from forum.services import (
    DomainError,
    agreement,
    curation_queue,
    moderation,
    synthesis,
    theme_discovery,
)
from forum.views.communities import community_or_404
from forum.views.util import get_or_404, page_arg, parse_id, safe_next

bp = Blueprint("curation", __name__, url_prefix="/c/<slug>/curation")


def _pair(slug: str, pair_id: int) -> ForumPair:
    community = community_or_404(slug)
    if not can(current_user, "community.moderate", community):
        abort(403)
    return get_or_404(ForumPair, pair_id, lambda pair: pair.community_id == community.id)


def _post(slug: str, post_id: int) -> Post:
    community = community_or_404(slug)
    if not can(current_user, "community.moderate", community):
        abort(403)
    return get_or_404(Post, post_id, lambda post: post.thread.forum.community_id == community.id
                      and post.thread.forum.pair is not None)


def _date(value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def _filters(args, pair: ForumPair) -> curation_queue.QueueFilters:
    """The queue's filters from the URL; a value that is not one of the choices is left out."""
    languages = {f.language for f in pair.forums}
    return curation_queue.QueueFilters(
        question=parse_id(args.get("question")), language=args.get("language") if args.get("language") in languages
        else None, theme=parse_id(args.get("theme")), untagged=args.get("untagged") == "1",
        highlighted=args.get("highlighted") == "1", start=_date(args.get("start")), end=_date(args.get("end")),
        country=args.get("country") if is_country(args.get("country")) else None,
        sector=args.get("sector") if args.get("sector") in SECTORS else None)


@bp.get("/pairs/<id:pair_id>/queue")
@login_required
def queue(slug: str, pair_id: int):
    pair = _pair(slug, pair_id)
    filters = _filters(request.args, pair)
    page = curation_queue.queue(pair, filters, page_arg(), viewer=current_user)
    return render_template("curation/queue.html", community=pair.community, pair=pair, queue=page,
                           questions=synthesis.question_titles(pair, locale_code()), countries=country_choices(),
                           sectors=SECTORS, themes={t.id: t for t in pair.themes})


def _answer(ok: bool, message: str, back: str, **data):
    """JSON for the page's script; without it, a flash and the page again at the same post."""
    if request.accept_mimetypes.best == "application/json":
        return jsonify(ok=ok, message=message, **data), (200 if ok else 400)
    flash(message, "success" if ok else "error")
    return redirect(back)


def _back(post: Post) -> str:
    target = safe_next(request.form.get("next"), url_for("posts.permalink", post_id=post.id))
    return f"{target.split('#')[0]}#post-{post.id}"


@bp.post("/posts/<id:post_id>/themes/<id:theme_id>")
@login_required
def toggle_theme(slug: str, post_id: int, theme_id: int):
    post = _post(slug, post_id)
    on = request.form.get("value") == "1"
    try:
        themes = curation_queue.toggle_theme(current_user, post, theme_id, on)
    except DomainError as error:
        return _answer(False, str(error.message), _back(post))
    return _answer(True, _("Theme added.") if on else _("Theme removed."), _back(post), themes=themes)


@bp.post("/posts/<id:post_id>/highlight")
@login_required
def highlight(slug: str, post_id: int):
    post = _post(slug, post_id)
    on = request.form.get("value") == "1"
    try:
        moderation.set_highlight(current_user, post, on)
    except DomainError as error:
        return _answer(False, str(error.message), _back(post))
    return _answer(True, _("Marked as a highlight.") if on else _("No longer a highlight."), _back(post),
                   highlight=on)


@bp.post("/posts/<id:post_id>/carry/<id:target_id>")
@login_required
def carry_themes(slug: str, post_id: int, target_id: int):
    post = _post(slug, post_id)
    target = _post(slug, target_id)
    try:
        added = curation_queue.carry_themes(current_user, post, target)
    except DomainError as error:
        return _answer(False, str(error.message), _back(post))
    return _answer(True, _("Themes carried to the post in the other language: %(n)d added.", n=added), _back(post))


@bp.post("/pairs/<id:pair_id>/bulk")
@login_required
def bulk(slug: str, pair_id: int):
    pair = _pair(slug, pair_id)
    ids = [i for i in (parse_id(v) for v in request.form.getlist("post")) if i]
    back = safe_next(request.form.get("next"), url_for("curation.queue", slug=slug, pair_id=pair.id))
    try:
        done = curation_queue.bulk(current_user, pair, ids, request.form.get("action", ""),
                                   parse_id(request.form.get("theme")))
    except DomainError as error:
        return _answer(False, str(error.message), back)
    return _answer(True, _("Done on %(n)d posts.", n=done), back)


@bp.route("/pairs/<id:pair_id>/new-themes", methods=["GET", "POST"])
@login_required
def new_themes(slug: str, pair_id: int):
    """Candidate themes from the untagged replies of one question; a moderator names one and adds it."""
    pair = _pair(slug, pair_id)
    questions = synthesis.question_titles(pair, locale_code())
    position = parse_id(request.values.get("question")) or (questions[0][0] if questions else 1)
    typed, error = None, None
    if request.method == "POST":
        typed = {name: request.form.get(name, "") for name in ("code", "label_es", "label_en")}
        try:
            theme = theme_discovery.add_theme(current_user, pair, **typed)
        except DomainError as refused:
            error = refused
        else:
            flash(_("The theme “%(label)s” is in the codebook: the assistant will suggest it from its next run.",
                    label=localized(theme, "label")), "success")
            return redirect(url_for("curation.new_themes", slug=slug, pair_id=pair.id, question=position))
    return render_template("curation/new_themes.html", community=pair.community, pair=pair, questions=questions,
                           position=position, candidates=theme_discovery.candidates(pair, position),
                           typed=typed, error=error), 400 if error else 200


@bp.get("/pairs/<id:pair_id>/agreement")
@login_required
def agreement_page(slug: str, pair_id: int):
    """How far the two coders agree, per theme, and the disagreements left to settle."""
    pair = _pair(slug, pair_id)
    shown = agreement.agreement_page(pair, parse_id(request.args.get("a")), parse_id(request.args.get("b")), page_arg())
    return render_template("curation/agreement.html", community=pair.community, pair=pair,
                           coders=shown.coders, coder_a=shown.coder_a, coder_b=shown.coder_b, result=shown.result,
                           disagreements=shown.disagreements, open_count=shown.open_count, page=shown.page,
                           pages=shown.pages, strength=agreement.strength)


def _agreement_url(pair: ForumPair, **args) -> str:
    return url_for("curation.agreement_page", slug=pair.community.slug, pair_id=pair.id, **args)


@bp.post("/pairs/<id:pair_id>/agreement/mode")
@login_required
def independent_coding(slug: str, pair_id: int):
    pair = _pair(slug, pair_id)
    on = request.form.get("value") == "1"
    agreement.set_independent(current_user, pair, on)
    flash(_("Independent coding is on: each moderator now sees and changes only their own codes in the queue.")
          if on else _("Independent coding is off: the queue shows the agreed coding again."), "success")
    return redirect(_agreement_url(pair))


@bp.post("/pairs/<id:pair_id>/agreement/settle")
@login_required
def settle(slug: str, pair_id: int):
    pair = _pair(slug, pair_id)
    applied = request.form.get("applied") == "1"
    back = safe_next(request.form.get("next"), _agreement_url(pair))
    try:
        agreement.settle(current_user, pair, parse_id(request.form.get("post")) or 0,
                         parse_id(request.form.get("theme")), applied)
    except DomainError as error:
        return _answer(False, str(error.message), back)
    return _answer(True, _("Settled: the theme is in the agreed coding.") if applied
                   else _("Settled: the theme stays out of the agreed coding."), back)


@bp.post("/pairs/<id:pair_id>/agreement/apply")
@login_required
def apply_agreed(slug: str, pair_id: int):
    pair = _pair(slug, pair_id)
    a, b = agreement.pick(pair, parse_id(request.form.get("a")), parse_id(request.form.get("b")))
    back = safe_next(request.form.get("next"), _agreement_url(pair))
    if a is None or b is None:
        return _answer(False, _("Two moderators must have coded replies first."), back)
    changed = agreement.apply_agreed(current_user, pair, a, b)
    return _answer(True, ngettext("The codes both coders agree on are in the agreed coding: %(num)d reply changed.",
                                  "The codes both coders agree on are in the agreed coding: %(num)d replies changed.",
                                  changed), back)
