"""Search everything the person may read."""
from datetime import date, timedelta

from flask import Blueprint, render_template, request
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from forum import page_cache
from forum.services import DomainError, community_pages
from forum.services import search as search_service
from forum.timezones import day_range
from forum.views.util import page_arg, pager_args, parse_id

bp = Blueprint("search", __name__, url_prefix="/search")


def _day(value: str, errors: list, label: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(_("%(field)s is not a date (use YYYY-MM-DD).", field=label))
        return None


@bp.get("/")
@page_cache.for_readers
def index():
    args = request.args
    query = (args.get("q") or "").strip()[:search_service.MAX_QUERY]
    errors: list[str] = []
    start = _day(args.get("from", ""), errors, _("From"))
    end = _day(args.get("to", ""), errors, _("To"))
    if end is not None and end >= date.max - timedelta(days=1):
        end = None  # "until the end of time"
    date_from, date_to = day_range(start, end, str(get_timezone()))  # the reader's days
    filters = search_service.Filters(
        community=args.get("community") or None,
        forum_id=parse_id(args.get("forum")),
        author=(args.get("author") or "").strip() or None,
        date_from=date_from, date_to=date_to,
        other_language=args.get("other") == "1",
    )
    page = page_arg()
    results, people = search_service.Results(), []
    if not errors:
        try:
            results = search_service.search(current_user, query, filters, page)
            if page == 1 and not filters.author:
                people = search_service.people(current_user, query)
        except DomainError as error:
            errors.append(str(error.message))
    if errors:
        page_cache.dont_keep()  # a timeout is of the moment; a mistyped date is cheap to show again
    communities = community_pages.readable_communities(current_user)
    return render_template("search/index.html", query=query, results=results, page=page, people=people,
                           communities=communities, errors=errors, args=args,
                           page_args=pager_args(args, ("q", "community", "forum", "author", "from", "to", "other")))
