"""Newsletter editions of a community, or of the whole network: compose, preview, test,
schedule or send, delivery figures, and the public archive."""
from datetime import datetime

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from forum.forms import NewsletterForm
from forum.models import Community, Newsletter
from forum.policy import can
from forum.services import DomainError, announcements, newsletters
from forum.timezones import to_utc
from forum.views.communities import community_or_404
from forum.views.util import get_or_404, get_or_none, page_arg, parse_id

bp = Blueprint("newsletters", __name__)
PER_PAGE = 20


def route(rule: str, **options):
    """Each view answers for a community (/c/<slug>/newsletters...) and for the network (/network/newsletters...)."""
    def decorator(view):
        bp.add_url_rule(f"/c/<slug>/newsletters{rule}", view_func=view, **options)
        bp.add_url_rule(f"/network/newsletters{rule}", view_func=view, defaults={"slug": None},
                        endpoint=f"{view.__name__}_network", **options)
        return view
    return decorator


def _community(slug: str | None) -> Community | None:
    return community_or_404(slug) if slug else None


def _composer(slug: str | None) -> Community | None:
    community = _community(slug)
    if not can(current_user, "newsletter.compose", community):
        abort(403)
    return community


def _edition(community: Community | None, newsletter_id: int) -> Newsletter:
    return get_or_404(Newsletter, newsletter_id,
                      lambda newsletter: newsletter.community_id == (community.id if community else None))


def link(endpoint: str, community: Community | None, **values) -> str:
    if community is None:
        return url_for(f"newsletters.{endpoint}_network", **values)
    return url_for(f"newsletters.{endpoint}", slug=community.slug, **values)


@route("/")
def archive(slug: str | None):
    community = _community(slug)
    composer = can(current_user, "newsletter.compose", community)
    if community is not None and not composer and not can(current_user, "community.read", community):
        abort(404)
    page = page_arg()
    rows, has_next = newsletters.archive(community, page, PER_PAGE, sent_only=not composer)
    return render_template("newsletters/archive.html", community=community, rows=rows,
                           has_next=has_next, page=page, composer=composer, link=link)


@route("/<id:newsletter_id>")
def show(slug: str | None, newsletter_id: int):
    community = _community(slug)
    newsletter = _edition(community, newsletter_id)
    composer = can(current_user, "newsletter.compose", community)
    if newsletter.status != "sent" and not composer:
        abort(404)
    if community is not None and not can(current_user, "community.read", community):
        abort(404)
    stats = newsletters.delivery_stats(newsletter) if composer else None
    zone = (community.timezone if community else None) or current_app.config["DEFAULT_TIMEZONE"]
    return render_template("newsletters/show.html", community=community, newsletter=newsletter, composer=composer,
                           stats=stats, link=link, zone=zone)


def _form_page(community, form, newsletter=None, status=200):
    return render_template("newsletters/edit.html", community=community, form=form, newsletter=newsletter,
                           link=link), status


def _save(community, form, newsletter=None):
    if request.form.get("action") == "suggest":
        suggested = newsletters.suggested_sections(community)
        for lang in ("es", "en"):
            field = getattr(form, f"body_{lang}")
            field.data = ((field.data or "").rstrip() + "\n\n" + suggested[lang]).lstrip()
        return _form_page(community, form, newsletter)
    try:
        saved = newsletters.save(current_user, community, subject_es=form.subject_es.data or "",
                                 subject_en=form.subject_en.data or "", body_es=form.body_es.data or "",
                                 body_en=form.body_en.data or "", newsletter=newsletter)
    except DomainError as error:
        from forum.views.util import show_errors

        show_errors(form, error)
        return _form_page(community, form, newsletter, 400)
    flash(_("Saved."), "success")
    return redirect(link("show", community, newsletter_id=saved.id))


@route("/new", methods=["GET", "POST"])
@login_required
def new(slug: str | None):
    community = _composer(slug)
    form = NewsletterForm()
    if request.method == "GET" and request.args.get("from_pair"):
        from forum.models import ForumPair

        pair = get_or_none(ForumPair, parse_id(request.args["from_pair"]) or 0)
        if pair is not None and community is not None and pair.community_id == community.id:
            for lang, (subject, text) in announcements.announcement(pair).items():
                getattr(form, f"subject_{lang}").data, getattr(form, f"body_{lang}").data = subject, text
    if form.validate_on_submit():
        return _save(community, form)
    return _form_page(community, form, status=400 if form.errors else 200)


@route("/<id:newsletter_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str | None, newsletter_id: int):
    community = _composer(slug)
    newsletter = _edition(community, newsletter_id)
    if newsletter.status not in ("draft", "scheduled"):
        flash(_("This edition was already sent."), "error")
        return redirect(link("show", community, newsletter_id=newsletter.id))
    form = NewsletterForm(subject_es=newsletter.subject_es, subject_en=newsletter.subject_en,
                          body_es=newsletter.body_es_md, body_en=newsletter.body_en_md) if request.method == "GET" \
        else NewsletterForm()
    if form.validate_on_submit():
        return _save(community, form, newsletter)
    return _form_page(community, form, newsletter, 400 if form.errors else 200)


@route("/<id:newsletter_id>/preview")
@login_required
def preview(slug: str | None, newsletter_id: int):
    """The email as members will receive it, in one language."""
    community = _composer(slug)
    newsletter = _edition(community, newsletter_id)
    lang = request.args.get("lang") if request.args.get("lang") in current_app.config["LANGUAGES"] else "es"
    response = make_response(newsletters.preview_html(newsletter, lang, current_user))
    # The email's own inline styles are allowed here, and nothing else.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"
    return response


@route("/<id:newsletter_id>/send", methods=["POST"])
@login_required
def send(slug: str | None, newsletter_id: int):
    community = _composer(slug)
    newsletter = _edition(community, newsletter_id)
    action = request.form.get("action")
    try:
        if action == "test":
            newsletters.send_test(current_user, newsletter)
            flash(_("A test in each language is on its way to %(email)s.", email=current_user.email), "success")
        elif action == "now":
            newsletters.schedule(current_user, newsletter, None)
            flash(_("The edition is being sent."), "success")
        elif action == "schedule":
            when = _when(request.form.get("when"), community)
            if when is None:
                raise DomainError(_("Enter a date and time."))
            newsletters.schedule(current_user, newsletter, when)
            flash(_("The edition is scheduled."), "success")
        elif action == "cancel":
            newsletters.cancel(current_user, newsletter)
            flash(_("The edition is back to draft."), "success")
        else:
            abort(400)
    except DomainError as error:
        flash(str(error.message), "error")
    return redirect(link("show", community, newsletter_id=newsletter.id))


@route("/<id:newsletter_id>/resend", methods=["POST"])
@login_required
def resend(slug: str | None, newsletter_id: int):
    """One click: a new copy to each recipient whose message failed or may not have arrived."""
    community = _composer(slug)
    newsletter = _edition(community, newsletter_id)
    flash_resend(newsletters.resend_problems(current_user, newsletter))
    return redirect(link("show", community, newsletter_id=newsletter.id))


def flash_resend(result) -> None:
    if result.resent:
        flash(ngettext("%(num)d message is on its way again.", "%(num)d messages are on their way again.",
                       result.resent), "success")
    if result.skipped:
        flash(ngettext("%(num)d message was not resent: its recipient no longer wants this email.",
                       "%(num)d messages were not resent: their recipients no longer want this email.",
                       result.skipped), "info")
    if not result.resent and not result.skipped:
        flash(_("Nothing to resend: these messages were already resent."), "info")


def _when(value: str | None, community: Community | None) -> datetime | None:
    try:
        local = datetime.strptime((value or "").strip(), "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
    if not 2000 <= local.year <= 2100:
        return None
    return to_utc(local, community.timezone if community else None)


