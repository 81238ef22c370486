"""Organizers at work: community profile, forum pairs (drafts, schedule, texts, settings), announcements."""
from dataclasses import asdict

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.choices import grouped_options, options
from forum.forms import CommunityForm, PairForm, PairWithForm
from forum.i18n import locale_code, timezone_choices
from forum.languages import site_languages
from forum.markup import clean_source, render
from forum.models import Forum, ForumPair, utcnow
from forum.pair_forms import pair_form_class
from forum.policy import can
from forum.services import DomainError, announcements, community_setup, organize_pages, organizing
from forum.views.communities import community_or_404
from forum.views.util import get_or_404, get_or_none, limit_previews, parse_id, show_errors

bp = Blueprint("organize", __name__, url_prefix="/c/<slug>/organize")


def _organizer_community(slug: str):
    community = community_or_404(slug)
    if not can(current_user, "community.organize", community):
        abort(403)
    return community


def _pair_of(community, pair_id: int) -> ForumPair:
    return get_or_404(ForumPair, pair_id, lambda pair: pair.community_id == community.id)


@bp.get("/")
@login_required
def index(slug: str):
    community = _organizer_community(slug)
    return render_template("organize/index.html", community=community, pairs=organize_pages.pairs_of(community),
                           now=utcnow())


# --- forum pairs ---------------------------------------------------------------

def _group_form(**kwargs) -> PairForm:
    """The pair form with fields for each of the site's languages."""
    return pair_form_class(site_languages())(**kwargs)


def _per_language(data: dict, name: str, convert=lambda value: value or "") -> dict:
    """{"es": data["title_es"], "en": ...}: one form field per language, as the service takes them."""
    return {lang: convert(data.get(f"{name}_{lang}")) for lang in site_languages()}


def _form_to_input(form: PairForm) -> organizing.PairInput:
    questions = [organizing.QuestionInput(
        titles=_per_language(q, "title"), bodies=_per_language(q, "body"),
        threads=_per_language(q, "thread", parse_id), hidden=bool(q["hidden"])) for q in form.questions.data]
    return organizing.PairInput(
        slug=(form.slug.data or "").strip().lower(), languages=tuple((form.languages.data or "es,en").split(",")),
        opens_at=form.opens_at.data, closes_at=form.closes_at.data,
        titles=_per_language(form.data, "title"), summaries=_per_language(form.data, "summary"),
        concept_notes=_per_language(form.data, "concept_note"),
        allow_member_threads=form.allow_member_threads.data, pre_moderation=form.pre_moderation.data or "off",
        pre_moderation_count=form.pre_moderation_count.data or 0, themes=form.themes.data or "",
        questions=questions)


def _form_from_input(data: organizing.PairInput) -> PairForm:
    values = asdict(data)
    values["languages"] = ",".join(data.languages)
    for name, texts in (("title", data.titles), ("summary", data.summaries), ("concept_note", data.concept_notes)):
        values.update({f"{name}_{lang}": texts.get(lang, "") for lang in site_languages()})
    values["questions"] = [{"hidden": q.hidden, **{f"{name}_{lang}": (texts.get(lang) or "")
                                                   for name, texts in (("title", q.titles), ("body", q.bodies),
                                                                       ("thread", q.threads))
                                                   for lang in site_languages()}}
                           for q in data.questions]
    return _group_form(formdata=None, data=values)


def _rearrange(form: PairForm, action: str) -> bool:
    """The buttons that change the list of questions without saving (no JavaScript needed)."""
    rows = form.questions.data
    if action == "add":
        if len(rows) >= form.questions.max_entries:
            form.form_errors.append(_("A forum can have at most %(n)d guiding questions.", n=form.questions.max_entries))
            return True
        rows.append({})
    elif "-" in action:
        verb, _sep, index = action.partition("-")
        i = int(index) if index.isdigit() else -1
        if not 0 <= i < len(rows):
            return False
        if verb == "remove":
            rows.pop(i)
        elif verb == "up" and i > 0:
            rows[i - 1], rows[i] = rows[i], rows[i - 1]
        elif verb == "down" and i < len(rows) - 1:
            rows[i + 1], rows[i] = rows[i], rows[i + 1]
        else:
            return False
    else:
        return False
    form.questions.entries, form.questions.last_index = [], -1
    for row in rows or [{}]:
        form.questions.append_entry(row)
    return True


def _pair_form_page(community, form, pair=None, previews=None, status=200):
    return render_template("organize/pair_form.html", community=community, form=form, pair=pair,
                           previews=previews, zone=community.timezone or "America/Santiago",
                           form_languages=site_languages()), status


def _handle_pair_form(community, pair=None):
    form = _group_form()
    action = request.form.get("action", "save")
    if not form.validate_on_submit():
        return _pair_form_page(community, form, pair, status=400)
    if _rearrange(form, action):
        return _pair_form_page(community, form, pair)
    if action == "preview":  # the notes as they will be saved: a Word paste's debris already gone
        previews = {}
        for lang in site_languages():
            field = getattr(form, f"concept_note_{lang}")
            field.data = clean_source(field.data).strip()
            previews[lang] = render(field.data)
        return _pair_form_page(community, form, pair, previews=previews)
    opens_before = pair.opens_at if pair is not None else None
    try:
        saved = organizing.save_pair(current_user, community, _form_to_input(form), pair,
                                     publish=action == "publish")
    except DomainError as error:
        show_errors(form, error)
        return _pair_form_page(community, form, pair, status=400)
    if action == "publish":
        flash(_("The forum is published.") if saved.opens_at <= utcnow()
              else _("The forum is scheduled: it opens by itself on the date you set."), "success")
    else:
        flash(_("Saved."), "success")
    if saved.opens_at < utcnow() and saved.opens_at != opens_before:  # allowed, but rarely meant
        flash(_("The opening date is in the past: the forum is open as soon as it is published. "
                "Change the date if that is not what you meant."), "warning")
    first = saved.forums[0] if saved.forums else None
    if saved.is_draft and first is not None:
        return redirect(url_for("forums.show", community_slug=community.slug, forum_slug=first.slug))
    return redirect(url_for("organize.index", slug=community.slug))


@bp.route("/pairs/new", methods=["GET", "POST"])
@login_required
@limit_previews
def new_pair(slug: str):
    community = _organizer_community(slug)
    if request.method == "POST":
        return _handle_pair_form(community)
    source = parse_id(request.args.get("copy_from"))
    if source:
        data = organizing.input_from_pair(_pair_of(community, source), copy=True)
    else:
        data = organizing.blank_input(community)
    return _pair_form_page(community, _form_from_input(data))


@bp.route("/pairs/<id:pair_id>/edit", methods=["GET", "POST"])
@login_required
@limit_previews
def edit_pair(slug: str, pair_id: int):
    community = _organizer_community(slug)
    pair = _pair_of(community, pair_id)
    if request.method == "POST":
        return _handle_pair_form(community, pair)
    return _pair_form_page(community, _form_from_input(organizing.input_from_pair(pair)), pair)


@bp.post("/pairs/<id:pair_id>/publish")
@login_required
def publish(slug: str, pair_id: int):
    community = _organizer_community(slug)
    pair = _pair_of(community, pair_id)
    try:
        organizing.publish(current_user, pair)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("The forum is published.") if pair.opens_at <= utcnow()
              else _("The forum is scheduled: it opens by itself on the date you set."), "success")
    return redirect(url_for("organize.index", slug=slug))


@bp.get("/pairs/<id:pair_id>/announcement")
@login_required
def announcement(slug: str, pair_id: int):
    community = _organizer_community(slug)
    pair = _pair_of(community, pair_id)
    return render_template("organize/announce.html", community=community, pair=pair,
                           texts=announcements.announcement(pair))


@bp.route("/forums/<id:forum_id>/pair", methods=["GET", "POST"])
@login_required
def pair_forum(slug: str, forum_id: int):
    community = _organizer_community(slug)
    forum = get_or_404(Forum, forum_id, lambda forum: forum.community_id == community.id)
    candidates = organize_pages.pairing_candidates(community, forum)
    form = PairWithForm()
    form.other.choices = options((str(f.id), f.title) for f in candidates)
    if form.validate_on_submit():
        other = get_or_none(Forum, parse_id(form.other.data) or 0)
        try:
            if other is None or other.community_id != community.id:
                raise DomainError(_("Choose a forum of the same community."))
            organizing.join_single_forums(current_user, forum, other)
        except DomainError as error:
            form.other.errors = [str(error.message)]
        else:
            flash(_("The two forums are now a pair."), "success")
            return redirect(url_for("organize.index", slug=slug))
    return render_template("organize/pair_forum.html", community=community, forum=forum, form=form,
                           candidates=candidates), 400 if form.errors else 200


# --- the community's profile ---------------------------------------------------

def community_form_page(form, community=None, status=200):
    zones = timezone_choices(locale_code())
    first = next(iter(zones))
    form.timezone.choices = grouped_options({first: [("", _("The site's default time zone"))] + zones[first],
                                             **{k: v for k, v in zones.items() if k != first}})
    return render_template("organize/community_form.html", form=form, community=community), status


def community_input(form: CommunityForm) -> community_setup.CommunityInput:
    return community_setup.CommunityInput(
        slug=(form.slug.data or "").strip().lower(), name_es=form.name_es.data or "", name_en=form.name_en.data or "",
        description_es=form.description_es.data or "", description_en=form.description_en.data or "",
        visibility=form.visibility.data, join_policy=form.join_policy.data, timezone=form.timezone.data or "",
        organizers=form.organizers.data or "")


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings(slug: str):
    community = _organizer_community(slug)
    form = CommunityForm(obj=community) if request.method == "GET" else CommunityForm()
    if form.validate_on_submit():
        try:
            community_setup.save_community(current_user, community_input(form), community, logo=form.logo.data)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("The community's profile is saved."), "success")
            return redirect(url_for("communities.show", slug=slug))
    return community_form_page(form, community, 400 if form.errors or form.form_errors else 200)


@bp.get("/pairs/<id:pair_id>/revisions")
@login_required
def revisions(slug: str, pair_id: int):
    """Earlier versions of the pair's organizer texts: titles, concept notes, question titles."""
    community = _organizer_community(slug)
    pair = _pair_of(community, pair_id)
    rows = organize_pages.text_revisions(pair)
    return render_template("organize/revisions.html", community=community, pair=pair,
                           rows=[(r, render(r.body_md) if r.body_md else None) for r in rows])
