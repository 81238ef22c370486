"""Technical committees: processes and their rounds, answering, results, reminders; polls in threads."""
from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.choices import SelectChoice, options
from forum.committee_forms import PollForm, ProcessForm, RoundForm
from forum.i18n import locale_code
from forum.models import ForumPair, Process, Round, Thread, utcnow
from forum.policy import can
from forum.services import DomainError, ballots, committee_pages, committees, community_pages, round_results, safe_cell
from forum.views import ballot_form
from forum.views.communities import community_or_404
from forum.views.util import (
    flash_outcome,
    get_or_404,
    get_or_none,
    page_arg,
    parse_id,
    require,
    safe_next,
    show_errors,
)

bp = Blueprint("committees", __name__, url_prefix="/c/<slug>")


def _process_of(slug: str, process_id: int) -> Process:
    community = community_or_404(slug)
    require(current_user, "community.read", community)
    return get_or_404(Process, process_id, lambda process: process.community_id == community.id)


def _round_of(slug: str, round_id: int) -> Round:
    community = community_or_404(slug)
    require(current_user, "community.read", community)
    round_ = committee_pages.round_with_questions(round_id)
    if round_ is None or round_.community_id != community.id:
        abort(404)
    if round_.thread_id is not None:
        require(current_user, "thread.view", get_or_none(Thread, round_.thread_id))
    return round_


# --- processes ---------------------------------------------------------------------------

@bp.get("/processes/")
def processes(slug: str):
    community = community_or_404(slug)
    require(current_user, "community.read", community)
    return render_template("committees/processes.html", community=community,
                           items=committee_pages.processes_of(community),
                           can_create=can(current_user, "community.organize", community))


def _pair_choices(community) -> list[SelectChoice]:
    pairs = community_pages.published_pairs(current_user, community, with_committees=False)
    return options([("", "—")] + [(str(p.id), p.title(locale_code())) for p in pairs])


@bp.route("/processes/new", methods=["GET", "POST"])
@bp.route("/processes/<id:process_id>/edit", methods=["GET", "POST"])
@login_required
def edit_process(slug: str, process_id: int | None = None):
    community = community_or_404(slug)
    require(current_user, "community.organize", community)
    process = _process_of(slug, process_id) if process_id else None
    form = ProcessForm(obj=process) if request.method == "GET" else ProcessForm()
    if request.method == "GET" and process is not None:
        form.pair_id.data = str(process.pair_id or "")
    form.pair_id.choices = _pair_choices(community)
    status = 200
    if form.validate_on_submit():
        try:
            saved = committees.save_process(
                current_user, community, title_es=form.title_es.data, title_en=form.title_en.data,
                description_es=form.description_es.data, description_en=form.description_en.data,
                pair_id=parse_id(form.pair_id.data), process=process)
        except DomainError as error:
            show_errors(form, error)
            status = 400
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("committees.show_process", slug=slug, process_id=saved.id))
    elif request.method == "POST":
        status = 400
    return render_template("committees/process_form.html", community=community, form=form, process=process), status


@bp.get("/processes/<id:process_id>")
def show_process(slug: str, process_id: int):
    process = _process_of(slug, process_id)
    answered = {}
    if current_user.is_authenticated:
        answered = {r.id: ballots.has_answered(current_user, r) for r in process.rounds if r.kind != "open"}
    return render_template("committees/process.html", community=process.community, process=process,
                           answered=answered, now=utcnow(), manage=can(current_user, "community.organize", process.community))


# --- rounds ---------------------------------------------------------------------------------

def _round_input(form: RoundForm) -> committees.RoundInput:
    questions = []
    for index, entry in enumerate(form.questions):
        sources = [i for i in (parse_id(v) for v in request.form.getlist(f"sources-{index}")) if i]
        questions.append(committees.QuestionInput(
            kind=entry.kind.data or "single", text_es=entry.text_es.data or "", text_en=entry.text_en.data or "",
            options=entry.options.data or "", allow_comment=bool(entry.allow_comment.data), sources=sources))
    return committees.RoundInput(
        kind=form.kind.data or "", title_es=form.title_es.data or "", title_en=form.title_en.data or "",
        description_es=form.description_es.data or "", description_en=form.description_en.data or "",
        opens_at=form.opens_at.data, closes_at=form.closes_at.data, anonymous=bool(form.anonymous.data),
        results_visibility=form.results_visibility.data or "after_close", quorum_percent=form.quorum_percent.data,
        threshold_percent=form.threshold_percent.data, source_round_id=parse_id(form.source_round_id.data),
        questions=questions)


@bp.route("/processes/<id:process_id>/rounds/new", methods=["GET", "POST"])
@login_required
def new_round(slug: str, process_id: int):
    process = _process_of(slug, process_id)
    require(current_user, "community.organize", process.community)
    form = RoundForm()
    source = None
    source_id = parse_id(request.values.get("from") or form.source_round_id.data)
    if source_id:
        source = get_or_404(Round, source_id, lambda source: source.process_id == process.id
                            and source.kind == "open")
        form.source_round_id.data = str(source.id)
    if request.method == "GET":
        form.kind.data = "questionnaire" if source else "open"
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "save")
        if action == "add-question" and form.validate_on_submit():
            if len(form.questions.entries) < form.questions.max_entries:
                form.questions.append_entry()
        elif form.validate_on_submit():
            try:
                saved = committees.save_round(current_user, process, _round_input(form))
            except DomainError as error:
                show_errors(form, error)
                status = 400
            else:
                flash(_("The round is scheduled."), "success")
                return redirect(url_for("committees.show_round", slug=slug, round_id=saved.id))
        else:
            status = 400
    return render_template("committees/round_form.html", community=process.community, process=process, form=form,
                           source=source, source_posts=committees.source_posts(source) if source else [],
                           chosen={i: set(parse_id(v) for v in request.form.getlist(f"sources-{i}"))
                                   for i in range(len(form.questions.entries))}), status


@bp.get("/rounds/<id:round_id>")
def show_round(slug: str, round_id: int):
    return _round_page(_round_of(slug, round_id))


def _round_page(round_: Round, draft=None, errors=None, status: int = 200):
    slug = round_.community.slug
    if round_.thread_id is not None:
        thread = get_or_none(Thread, round_.thread_id)
        return redirect(url_for("forums.thread", community_slug=slug, forum_slug=thread.forum.slug,
                                thread_id=thread.id))
    now = utcnow()
    manage = can(current_user, "community.organize", round_.community)
    people, missing = ([], 0)
    if manage and round_.kind != "open":
        people, missing = round_results.non_respondents(round_, page_arg())
    return render_template(
        "committees/round.html", community=round_.community, round=round_, process=round_.process, now=now,
        ballot=draft if draft is not None else ballots.answers_by_question(ballots.my_ballot(current_user, round_)),
        errors=errors or {}, named=round_results.named_answers(round_, locale_code())
        if manage and round_.results_visible(now) else [],
        answered=ballots.has_answered(current_user, round_),
        can_answer=can(current_user, "round.answer", round_),
        results=round_results.results(round_) if round_.results_visible(now) and round_.kind != "open" else None,
        manage=manage, people=people, missing=missing, page=page_arg(),
        forums=round_.pair_id and get_or_none(ForumPair, round_.pair_id).forums), status


@bp.post("/rounds/<id:round_id>/answer")
@login_required
def answer(slug: str, round_id: int):
    round_ = _round_of(slug, round_id)
    back = safe_next(request.form.get("next"), url_for("committees.show_round", slug=slug, round_id=round_.id))
    replies = ballot_form.read_replies(round_, request.form)
    try:
        ballots.submit(current_user, round_, replies)
    except DomainError as error:
        errors = getattr(error, "errors", None)
        if errors and round_.thread_id is None:  # show the questionnaire again as it was typed
            return _round_page(round_, draft=ballots.draft_from(round_, replies),
                               errors=ballot_form.field_errors(errors), status=400)
        for message in (errors or {"": error.message}).values():
            flash(str(message), "error")
        return redirect(back)
    flash(_("Your answer is saved. You can change it until the round closes."), "success")
    return redirect(back)


@bp.post("/rounds/<id:round_id>/close")
@login_required
def close(slug: str, round_id: int):
    round_ = _round_of(slug, round_id)
    require(current_user, "community.organize", round_.community)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm."), "error")
    else:
        flash_outcome(lambda: round_results.close_now(current_user, round_), _("The round is closed."))
    return redirect(url_for("committees.show_round", slug=slug, round_id=round_.id))


@bp.post("/rounds/<id:round_id>/closing")
@login_required
def closing(slug: str, round_id: int):
    round_ = _round_of(slug, round_id)
    require(current_user, "community.organize", round_.community)
    try:
        moment = datetime.strptime(request.form.get("closes_at", ""), "%Y-%m-%dT%H:%M")
    except ValueError:
        flash(_("Enter the closing date and time."), "error")
    else:
        flash_outcome(lambda: round_results.set_closing(current_user, round_, moment), _("Saved."))
    return redirect(url_for("committees.show_round", slug=slug, round_id=round_.id))


@bp.post("/rounds/<id:round_id>/remind")
@login_required
def remind(slug: str, round_id: int):
    round_ = _round_of(slug, round_id)
    require(current_user, "community.organize", round_.community)
    try:
        sent = round_results.send_reminders(current_user, round_)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Reminders queued: %(n)d.", n=sent), "success")
    return redirect(url_for("committees.show_round", slug=slug, round_id=round_.id))


@bp.get("/rounds/<id:round_id>/results.csv")
@login_required
def results_csv(slug: str, round_id: int):
    round_ = _round_of(slug, round_id)
    require(current_user, "community.organize", round_.community)
    if not round_.results_visible(utcnow()) or round_.kind == "open":
        abort(404)
    out = io.StringIO()
    writer = csv.writer(out)
    for row in round_results.results_rows(round_results.results(round_), locale_code()):
        writer.writerow([safe_cell(cell) for cell in row])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="round-{round_.id}-results.csv"'})


# --- polls in threads -------------------------------------------------------------------------

@bp.route("/threads/<id:thread_id>/poll", methods=["GET", "POST"])
@login_required
def new_poll(slug: str, thread_id: int):
    community = community_or_404(slug)
    thread = get_or_404(Thread, thread_id, lambda thread: thread.forum.community_id == community.id)
    require(current_user, "thread.view", thread)
    form = PollForm()
    status = 200
    if form.validate_on_submit():
        question = committees.QuestionInput(kind=form.kind.data or "single", text_es=form.text_es.data or "",
                                            text_en=form.text_en.data or "", options=form.options.data or "")
        try:
            committees.create_poll(current_user, thread, question=question, closes_at=form.closes_at.data,
                                   anonymous=bool(form.anonymous.data),
                                   results_visibility=form.results_visibility.data or "live")
        except DomainError as error:
            show_errors(form, error)
            status = 400
        else:
            flash(_("The poll is open."), "success")
            return redirect(url_for("forums.thread", community_slug=slug, forum_slug=thread.forum.slug,
                                    thread_id=thread.id))
    elif request.method == "POST":
        status = 400
    return render_template("committees/poll_form.html", community=community, thread=thread, form=form), status

