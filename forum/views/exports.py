"""Exports: a forum pair's synthesis report and its data, for the community's organizers and moderators."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum import choices
from forum.forms import ExportForm
from forum.i18n import language_label, locale_code, localized
from forum.models import ForumPair
from forum.services import DomainError, report_files, synthesis
from forum.views.communities import community_or_404
from forum.views.util import get_or_404, parse_id, require

bp = Blueprint("exports", __name__, url_prefix="/c/<slug>/pairs/<id:pair_id>")

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown; charset=utf-8",
    "csv-posts": "text/csv; charset=utf-8",
    "csv-participants": "text/csv; charset=utf-8",
    "json": "application/json",
    "quotes-md": "text/markdown; charset=utf-8",
    "quotes-csv": "text/csv; charset=utf-8",
}
EXTENSIONS = {"quotes-md": "quotes.md", "quotes-csv": "quotes.csv"}


def _pair(slug: str, pair_id: int) -> ForumPair:
    community = community_or_404(slug)
    pair = get_or_404(ForumPair, pair_id, lambda pair: pair.community_id == community.id)
    require(current_user, "pair.export", pair)
    return pair


@bp.get("/export")
@login_required
def export(slug: str, pair_id: int):
    pair = _pair(slug, pair_id)
    form = ExportForm(request.args)
    every = _("Both forums of the pair") if len(pair.forums) == 2 else _("Every forum of the group")
    form.forum.choices = choices.options([("", every)] + [(str(f.id), f.title) for f in pair.forums])
    form.language.choices = choices.options(
        [(lang, language_label(lang).capitalize()) for lang in current_app.config["LANGUAGES"]])
    if not request.args.get("forum"):
        form.forum.data = ""
    if not request.args.get("language"):
        form.language.data = locale_code()
    form.question.choices = choices.options([("", _("All guiding questions"))] + [
        (str(position), f"{position}. {title}") for position, title in synthesis.question_titles(pair, locale_code())])
    form.theme.choices = choices.options([("", _("All themes"))] + [(t.code, localized(t, "label")) for t in pair.themes])
    if not request.args:
        return render_template("exports/form.html", pair=pair, community=pair.community, form=form)
    fmt = form.format.data if form.format.data in CONTENT_TYPES else None
    if not request.args.get("paper"):
        form.paper.data = "a4"
    bad_choices = [field for field in (form.language, form.forum, form.question, form.theme, form.paper)
                   if (field.data or "") not in [choice.value for choice in field.choices]]
    if not form.validate() or fmt is None or bad_choices:
        for field in bad_choices + ([form.format] if fmt is None else []):
            field.errors = list(field.errors) + [_("Choose an option from the list.")]
        return render_template("exports/form.html", pair=pair, community=pair.community, form=form), 400
    options = synthesis.ExportOptions(
        language=form.language.data, start=form.start.data, end=form.end.data, anonymise=form.anonymise.data,
        highlights_only=form.highlights_only.data, forum_id=parse_id(form.forum.data),
        question=parse_id(form.question.data), theme=form.theme.data or None, paper=form.paper.data)
    try:
        report = synthesis.build(current_user, pair, options)
    except DomainError as error:
        target = getattr(form, error.field or "", None) or form.format
        target.errors = list(target.errors) + [str(error.message)]
        return render_template("exports/form.html", pair=pair, community=pair.community, form=form), 400
    if report.findings and form.reviewed.data != "1":
        return render_template("exports/review.html", pair=pair, community=pair.community, form=form,
                               findings=report.findings)
    if fmt == "csv-posts":
        body, extension = report_files.posts_csv(report).encode("utf-8-sig"), "posts.csv"
    elif fmt == "csv-participants":
        body, extension = report_files.participants_csv(report).encode("utf-8-sig"), "participants.csv"
    else:
        body, extension = report_files.render(report, fmt, paper=options.paper)[""], EXTENSIONS.get(fmt, fmt)
    part = f"-q{options.question}" if options.question else ""
    part += f"-{options.theme}" if options.theme else ""
    name = f"{pair.slug}-{options.language}{part}{'-anon' if options.anonymise else ''}.{extension}"
    return Response(body, content_type=CONTENT_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
