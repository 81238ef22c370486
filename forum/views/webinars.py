"""Webinars: listings, the event page, registration (members and guests), calendar files,
and the organizers' pages (schedule, attendance, participation table)."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from forum.choices import grouped_options, options
from forum.extensions import limiter
from forum.i18n import country_choices, country_name, locale_code, sector_label, select_timezone, timezone_choices
from forum.models import Webinar, WebinarSpeaker, utcnow
from forum.people import normalise_email
from forum.policy import can
from forum.services import (
    DomainError,
    certificates,
    community_pages,
    webinar_messages,
    webinar_registrations,
    webinar_times,
    webinars,
)
from forum.services import attendance as attendance_service
from forum.uploads import send_image
from forum.views.communities import community_or_404
from forum.views.util import flash_outcome, get_or_404, page_arg, parse_id, require, show_errors
from forum.webinar_forms import AttendanceImportForm, FollowUpForm, GuestRegistrationForm, WebinarForm

bp = Blueprint("webinars", __name__)


def _webinar_of(slug: str, webinar_id: int) -> Webinar:
    community = community_or_404(slug)
    webinar = get_or_404(Webinar, webinar_id, lambda webinar: webinar.community_id == community.id)
    require(current_user, "webinar.view", webinar)
    return webinar


def _managed(slug: str, webinar_id: int) -> Webinar:
    webinar = _webinar_of(slug, webinar_id)
    require(current_user, "community.organize", webinar)
    return webinar


# --- listings ------------------------------------------------------------------------

@bp.get("/webinars/")
def index():
    past = request.args.get("past") == "1"
    page = page_arg()
    items, has_next = webinars.listing(current_user, past=past, page=page)
    return render_template("webinars/index.html", community=None, items=items, past=past, page=page,
                           has_next=has_next, now=utcnow())


@bp.get("/c/<slug>/webinars/")
def community_index(slug: str):
    community = community_or_404(slug)
    require(current_user, "community.read", community)
    past = request.args.get("past") == "1"
    page = page_arg()
    items, has_next = webinars.listing(current_user, community=community, past=past, page=page)
    return render_template("webinars/index.html", community=community, items=items, past=past, page=page,
                           has_next=has_next, now=utcnow(),
                           can_schedule=can(current_user, "community.organize", community))


# --- the event page --------------------------------------------------------------------

@bp.get("/c/<slug>/webinars/<id:webinar_id>")
def show(slug: str, webinar_id: int):
    webinar = _webinar_of(slug, webinar_id)
    registration = webinar_registrations.registration_of(current_user, webinar)
    locale = locale_code()
    return render_template(
        "webinars/show.html", webinar=webinar, community=webinar.community, registration=registration,
        times=webinar_times.times_in_capitals(webinar, locale), zone=select_timezone(),
        countdown=webinar_times.countdown(webinar, locale), now=utcnow(),
        manage=can(current_user, "community.organize", webinar))


@bp.get("/c/<slug>/webinars/<id:webinar_id>/speakers/<id:speaker_id>/photo")
def speaker_photo(slug: str, webinar_id: int, speaker_id: int):
    webinar = _webinar_of(slug, webinar_id)
    speaker = get_or_404(WebinarSpeaker, speaker_id,
                         lambda speaker: speaker.webinar_id == webinar.id and speaker.photo_key)
    return send_image(speaker.photo_key, speaker.photo_type)


# --- registration ------------------------------------------------------------------------

@bp.post("/c/<slug>/webinars/<id:webinar_id>/register")
@login_required
def register(slug: str, webinar_id: int):
    webinar = _webinar_of(slug, webinar_id)
    try:
        registration = webinar_registrations.register_member(current_user, webinar)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        if registration.status == "registered":
            flash(_("You are registered. We sent you the link and a calendar invitation."), "success")
        else:
            flash(_("The webinar is full: you are on the waiting list. We will write to you if a place opens."),
                  "success")
    return redirect(url_for("webinars.show", slug=slug, webinar_id=webinar.id))


@bp.route("/c/<slug>/webinars/<id:webinar_id>/register/guest", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def register_guest(slug: str, webinar_id: int):
    webinar = _webinar_of(slug, webinar_id)
    if current_user.is_authenticated:
        return redirect(url_for("webinars.show", slug=slug, webinar_id=webinar.id))
    form = GuestRegistrationForm()
    form.country.choices = options([("", "—"), *country_choices()])
    if request.method == "GET":
        form.locale.data = locale_code()
    status = 200
    if form.validate_on_submit():
        data = webinar_registrations.GuestInput(**{name: (getattr(form, name).data or "") for name in (
            "name", "email", "country", "institution", "sector", "gender", "locale")})
        try:
            webinar_registrations.register_guest(webinar, data)
        except DomainError as error:
            for name, message in getattr(error, "errors", {error.field or "": error.message}).items():
                target = getattr(form, name, None)
                if target is not None:
                    target.errors = list(target.errors) + [str(message)]
                else:
                    form.form_errors.append(str(message))
            status = 400
        else:
            return render_template("webinars/message.html", webinar=webinar, community=webinar.community,
                                   heading=_("Check your email"),
                                   message=_("We sent a link to %(email)s. Open it to confirm your registration.",
                                             email=normalise_email(data.email)))
    elif request.method == "POST":
        status = 400
    return render_template("webinars/register.html", webinar=webinar, community=webinar.community, form=form), status


@bp.get("/webinars/confirm/<token>")
def confirm(token: str):
    try:
        registration = webinar_registrations.confirm_guest(token)
    except DomainError as error:
        return render_template("webinars/message.html", heading=_("This link does not work"),
                               message=str(error.message), webinar=None), 400
    return redirect(url_for("webinars.manage_registration", token=webinar_messages.registration_token(registration)))


@bp.route("/webinars/registration/<token>", methods=["GET", "POST"])
def manage_registration(token: str):
    """A guest's page for their place: status, join link, calendar file, cancel. The link is the key."""
    try:
        registration = webinar_messages.registration_from_token(token)
    except DomainError as error:
        return render_template("webinars/message.html", heading=_("This link does not work"),
                               message=str(error.message), webinar=None), 400
    g.recipient_locale = registration.locale
    webinar = registration.webinar
    if request.method == "POST":
        _cancel_if_confirmed(registration)
        return redirect(url_for("webinars.manage_registration", token=token))
    return render_template("webinars/registration.html", registration=registration, webinar=webinar,
                           community=webinar.community, token=token,
                           times=webinar_times.times_in_capitals(webinar, locale_code()),
                           countdown=webinar_times.countdown(webinar, locale_code()))


@bp.post("/c/<slug>/webinars/<id:webinar_id>/unregister")
@login_required
def unregister(slug: str, webinar_id: int):
    webinar = _webinar_of(slug, webinar_id)
    registration = webinar_registrations.registration_of(current_user, webinar)
    if registration is None:
        abort(404)
    _cancel_if_confirmed(registration)
    return redirect(url_for("webinars.show", slug=slug, webinar_id=webinar.id))


def _cancel_if_confirmed(registration) -> None:
    """A place is cancelled only from the confirming button: one stray click changes nothing."""
    if request.form.get("confirm") != "yes":
        flash(_("Your registration is unchanged: confirm to cancel it."), "error")
        return
    flash_outcome(lambda: webinar_registrations.cancel_registration(registration), _("Your registration is cancelled."))


@bp.get("/c/<slug>/webinars/<id:webinar_id>/calendar.ics")
def calendar(slug: str, webinar_id: int):
    """The same invitation the emails carry, for registrants only (it holds the join link)."""
    webinar = _webinar_of(slug, webinar_id)
    registration = None
    if request.args.get("token"):
        try:
            registration = webinar_messages.registration_from_token(request.args["token"])
        except DomainError:
            abort(404)
        if registration.webinar_id != webinar.id:
            abort(404)
    else:
        registration = webinar_registrations.registration_of(current_user, webinar)
    if registration is None or registration.status != "registered" or webinar.is_cancelled:
        abort(404)
    body = webinar_messages.calendar_text(webinar, registration)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="webinar-{webinar.id}.ics"'})


# --- organizers ---------------------------------------------------------------------------

def _form_to_input(form: WebinarForm) -> webinars.WebinarInput:
    speakers = []
    for entry in form.speakers:
        photo = entry.photo.data
        speakers.append(webinars.SpeakerInput(
            name=entry["name"].data or "", affiliation=entry.affiliation.data or "", bio=entry.bio.data or "",
            role=entry.role.data or "speaker", speaker_id=parse_id(entry.speaker_id.data),
            photo=photo if getattr(photo, "filename", "") else None, remove_photo=bool(entry.remove_photo.data)))
    return webinars.WebinarInput(
        title_es=form.title_es.data or "", title_en=form.title_en.data or "",
        description_es=form.description_es.data or "", description_en=form.description_en.data or "",
        starts_at=form.starts_at.data, timezone=form.timezone.data or "", duration_minutes=form.duration_minutes.data,
        languages=tuple((form.languages.data or "es,en").split(",")), interpretation=form.interpretation.data,
        capacity=form.capacity.data, registration_deadline=form.registration_deadline.data,
        join_url=form.join_url.data or "", pair_id=parse_id(form.pair_id.data), speakers=speakers)


def _form_from_input(data: webinars.WebinarInput) -> WebinarForm:
    values = {
        "title_es": data.title_es, "title_en": data.title_en, "description_es": data.description_es,
        "description_en": data.description_en, "starts_at": data.starts_at, "timezone": data.timezone,
        "duration_minutes": data.duration_minutes, "languages": ",".join(data.languages),
        "interpretation": data.interpretation, "capacity": data.capacity,
        "registration_deadline": data.registration_deadline, "join_url": data.join_url,
        "pair_id": str(data.pair_id or ""),
        "speakers": [{"name": s.name, "affiliation": s.affiliation, "bio": s.bio, "role": s.role,
                      "speaker_id": s.speaker_id or ""} for s in data.speakers],
    }
    return WebinarForm(formdata=None, data=values)


def _form_page(community, form, webinar=None, status=200):
    form.timezone.choices = grouped_options(timezone_choices(locale_code()))
    pairs = community_pages.published_pairs(current_user, community)
    form.pair_id.choices = options([("", "—")] + [(str(p.id), p.title(locale_code())) for p in pairs])
    return render_template("webinars/form.html", community=community, form=form, webinar=webinar), status


def _handle_form(community, webinar=None):
    form = WebinarForm()
    action = request.form.get("action", "save")
    if not form.validate_on_submit():
        try:  # show the rules' messages too, not only the fields that could not be read
            webinars.validate(_form_to_input(form), community, webinar)
        except DomainError as error:
            show_errors(form, error)
        return _form_page(community, form, webinar, status=400)
    if action == "add-speaker":
        if len(form.speakers.entries) < form.speakers.max_entries:
            form.speakers.append_entry()
        return _form_page(community, form, webinar)
    try:
        saved = webinars.save_webinar(current_user, community, _form_to_input(form), webinar)
    except DomainError as error:
        show_errors(form, error)
        return _form_page(community, form, webinar, status=400)
    flash(_("The webinar is scheduled.") if webinar is None else _("Saved."), "success")
    return redirect(url_for("webinars.show", slug=community.slug, webinar_id=saved.id))


@bp.route("/c/<slug>/webinars/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    community = community_or_404(slug)
    require(current_user, "community.organize", community)
    if request.method == "POST":
        return _handle_form(community)
    data = webinars.blank_input(community)
    data.pair_id = parse_id(request.args.get("pair"))
    return _form_page(community, _form_from_input(data))


@bp.route("/c/<slug>/webinars/<id:webinar_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, webinar_id: int):
    webinar = _managed(slug, webinar_id)
    if webinar.is_cancelled:
        flash(_("This webinar was cancelled; it cannot be changed."), "error")
        return redirect(url_for("webinars.show", slug=slug, webinar_id=webinar.id))
    if request.method == "POST":
        return _handle_form(webinar.community, webinar)
    return _form_page(webinar.community, _form_from_input(webinars.input_from_webinar(webinar)), webinar)


@bp.post("/c/<slug>/webinars/<id:webinar_id>/cancel")
@login_required
def cancel(slug: str, webinar_id: int):
    webinar = _managed(slug, webinar_id)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm the cancellation."), "error")
        return redirect(url_for("webinars.show", slug=slug, webinar_id=webinar.id))
    flash_outcome(lambda: webinars.cancel_webinar(current_user, webinar),
                  _("The webinar is cancelled; registered people are told by email."))
    return redirect(url_for("webinars.show", slug=slug, webinar_id=webinar.id))


@bp.route("/c/<slug>/webinars/<id:webinar_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(slug: str, webinar_id: int):
    webinar = _managed(slug, webinar_id)
    page = page_arg()
    import_form, follow_up = AttendanceImportForm(), FollowUpForm(obj=webinar)
    report, status = None, 200
    if request.method == "POST":
        action = request.form.get("action")
        if action == "import" and import_form.validate_on_submit():
            upload = import_form.file.data
            try:
                report = webinars.import_attendance(current_user, webinar, upload.read() if upload else b"")
            except DomainError as error:
                import_form.file.errors = [str(error.message)]
                status = 400
        elif action == "ticks":
            shown = [i for i in (parse_id(v) for v in request.form.getlist("shown")) if i]
            ticked = {i for i in (parse_id(v) for v in request.form.getlist("attended")) if i}
            flash_outcome(lambda: webinars.set_attendance(current_user, webinar, shown, ticked),
                          _("Attendance saved."))
            return redirect(url_for("webinars.attendance", slug=slug, webinar_id=webinar.id, page=page))
        elif action in ("threshold", "certificates"):
            return _attendance_rule_or_certificates(webinar, action, page)
        elif action == "follow_up" and follow_up.validate_on_submit():
            try:
                webinars.save_follow_up(current_user, webinar, recording_url=follow_up.recording_url.data,
                                        slides_url=follow_up.slides_url.data)
            except DomainError as error:
                for name, message in error.errors.items():
                    getattr(follow_up, name).errors = [str(message)]
                status = 400
            else:
                flash(_("Saved."), "success")
                return redirect(url_for("webinars.attendance", slug=slug, webinar_id=webinar.id))
        else:
            status = 400
    rows, pages = webinars.attendance_page(webinar, page)
    return render_template("webinars/attendance.html", webinar=webinar, community=webinar.community, rows=rows,
                           page=page, pages=pages, import_form=import_form, follow_up=follow_up,
                           report=report, rule=attendance_service, now=utcnow(),
                           met_rule=attendance_service.met_rule_count(webinar),
                           certificates_due=len(certificates.due(webinar)), batch=certificates.BATCH), status


def _attendance_rule_or_certificates(webinar: Webinar, action: str, page: int):
    """The organizer's rule for "attended" (a percentage of the event), or sending the certificates."""
    if action == "threshold":
        raw = (request.form.get("threshold") or "").strip().rstrip("%").strip()
        percent = int(raw) if raw.isdigit() else (None if not raw else -1)
        flash_outcome(lambda: attendance_service.set_threshold(current_user, webinar, percent), _("Saved."))
    else:
        try:
            sent, left = certificates.send_certificates(current_user, webinar)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(ngettext("%(num)d certificate sent.", "%(num)d certificates sent.", sent), "success")
            if left:
                flash(ngettext("%(num)d more to send: press the button again.",
                               "%(num)d more to send: press the button again.", left), "success")
    return redirect(url_for("webinars.attendance", slug=webinar.community.slug, webinar_id=webinar.id, page=page))


@bp.get("/c/<slug>/webinars/<id:webinar_id>/attendance.csv")
@login_required
def attendance_csv(slug: str, webinar_id: int):
    webinar = _managed(slug, webinar_id)
    body = attendance_service.attendance_csv(webinar, country_name)
    return Response("\ufeff" + body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="webinar-{webinar.id}-attendance.csv"'})


@bp.get("/c/<slug>/webinars/<id:webinar_id>/participation")
@login_required
def participation(slug: str, webinar_id: int):
    webinar = _managed(slug, webinar_id)
    return render_template("webinars/participation.html", webinar=webinar, community=webinar.community,
                           table=webinars.participation(webinar))


@bp.get("/c/<slug>/webinars/<id:webinar_id>/participation.csv")
@login_required
def participation_csv(slug: str, webinar_id: int):
    webinar = _managed(slug, webinar_id)
    body = webinars.participation_csv(webinar, webinars.participation(webinar), country_name, sector_label)
    return Response("\ufeff" + body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="webinar-{webinar.id}-participation.csv"'})

