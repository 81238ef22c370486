"""A community's shared resources: browse, search, add, download, remove."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from forum.forms import ResourceForm
from forum.i18n import locale_code
from forum.models import Resource
from forum.policy import can
from forum.services import DomainError, community_pages, resources
from forum.views.communities import community_or_404
from forum.views.util import fields_before_the_file, form_error, get_or_404, page_arg, pager_args

bp = Blueprint("resources", __name__, url_prefix="/c/<slug>/resources")


def _readable(slug: str):
    community = community_or_404(slug)
    if not can(current_user, "community.read", community):
        abort(404)
    return community


def resource_or_404(community, resource_id: int) -> Resource:
    return get_or_404(Resource, resource_id,
                      lambda resource: resource.community_id == community.id and resource.deleted_at is None)


@bp.get("/")
def index(slug: str):
    community = _readable(slug)
    args = request.args
    page = page_arg()
    rows, has_next = resources.browse(community, query=args.get("q", "")[:200], tag=args.get("tag", "")[:40],
                                      language=args.get("language", ""), page=page)
    return render_template("resources/index.html", community=community, rows=rows, has_next=has_next, page=page,
                           args=args, can_add=can(current_user, "resource.add", community),
                           page_args=pager_args(args, ("q", "tag", "language")))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    community = _readable(slug)
    if not can(current_user, "resource.add", community):
        abort(403)
    form = ResourceForm(language=locale_code()) if request.method == "GET" else ResourceForm()
    if form.validate_on_submit():
        try:
            resource = resources.add_resource(
                current_user, community, title=form.title.data, summary=form.summary.data,
                language=form.language.data, tags=form.tags.data, url=form.url.data, upload=form.upload.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_("The resource is shared."), "success")
            return redirect(url_for("resources.show", slug=slug, resource_id=resource.id))
    return render_template("resources/new.html", community=community, form=form), 400 if form.errors else 200


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """An upload over the limit: the form again, with what was typed and why, not a bare error page."""
    slug = (request.view_args or {}).get("slug")
    community = community_pages.community_by_slug(slug)
    if request.endpoint != "resources.new" or community is None or not can(current_user, "resource.add", community):
        return render_template("errors/413.html", error=error), 413
    form = ResourceForm(formdata=fields_before_the_file())
    form.upload.errors = [_("The file is larger than %(n)d MB.", n=current_app.config["MAX_UPLOAD_MB"])]
    return render_template("resources/new.html", community=community, form=form), 413


@bp.get("/<id:resource_id>")
def show(slug: str, resource_id: int):
    community = _readable(slug)
    resource = resource_or_404(community, resource_id)
    return render_template("resources/show.html", community=community, resource=resource,
                           can_delete=can(current_user, "resource.delete", resource))


@bp.get("/<id:resource_id>/download")
def download(slug: str, resource_id: int):
    """Always a download, never rendered in the page: safe headers whatever the file holds."""
    community = _readable(slug)
    resource = resource_or_404(community, resource_id)
    if not resource.file_key:
        abort(404)
    response = send_file(resources.path_of(resource), mimetype=resource.file_type, as_attachment=True,
                         download_name=resource.file_name, max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store" if community.visibility != "public" else "public, max-age=3600"
    return response


@bp.post("/<id:resource_id>/delete")
@login_required
def delete(slug: str, resource_id: int):
    community = _readable(slug)
    resource = resource_or_404(community, resource_id)
    try:
        resources.delete_resource(current_user, resource)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("resources.show", slug=slug, resource_id=resource_id))
    flash(_("The resource is removed."), "success")
    return redirect(url_for("resources.index", slug=slug))
