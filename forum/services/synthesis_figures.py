"""The report's figures: participation statistics, how themes compare across the group's
languages, institutions, the closing webinar and the consultations' results."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from itertools import permutations

from sqlalchemy import select

from forum import timezones
from forum.extensions import db
from forum.i18n import country_name
from forum.models import (
    ForumPair,
    Theme,
    Webinar,
)
from forum.services.synthesis_model import (
    _GENDER_BUCKET,
    GAP_MIN_POSTS,
    GAP_MIN_SHARE,
    GENDER_BUCKETS,
    STRONGER,
    PostItem,
    Statistics,
    ThemeShare,
    WebinarFigures,
    sort_key,
    theme_label,
)


def statistics(items: list[PostItem], live, zone: str) -> Statistics:
    people = {p.author_id: p.author for p, _t, _l in live if p.author_id is not None}
    languages_of: dict[int, set[str]] = defaultdict(set)
    posts_of: Counter = Counter()
    for post, _thread, language in live:
        if post.author_id is not None:
            languages_of[post.author_id].add(language)
            posts_of[post.author_id] += 1
    posts_by_language = Counter(i.language for i in items)
    participants_by_language = Counter(lang for langs in languages_of.values() for lang in langs)
    country: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    sector: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    gender: Counter = Counter({b: 0 for b in GENDER_BUCKETS})
    for user_id, user in people.items():
        if user is None:
            continue
        gone = user.deleted_at is not None
        # What a member hides from their profile is "not stated" here too: a small country could name them.
        code = user.country if user.show_country and not gone else None
        country[code][0] += 1
        country[code][1] += posts_of[user_id]
        key = user.sector if user.sector and user.show_sector and not gone else None
        sector[key][0] += 1
        sector[key][1] += posts_of[user_id]
        gender[_GENDER_BUCKET.get((user.gender or "") if not gone else "", "not_stated")] += 1

    def ordered(groups) -> list[tuple[str | None, int, int]]:
        return sorted(((k, v[0], v[1]) for k, v in groups.items()), key=lambda r: (r[0] is None, -r[1], -r[2], r[0] or ""))

    weeks: dict[date, Counter] = defaultdict(Counter)
    local = timezones.zone(zone)
    for item in items:
        day = timezones.to_local(item.created_at, local).date()
        weeks[day - timedelta(days=day.weekday())][item.language] += 1
    if weeks:
        first, last = min(weeks), max(weeks)
        week = first
        while week <= last:  # quiet weeks show as zero, not as a gap
            weeks.setdefault(week, Counter())
            week += timedelta(days=7)
    most_useful = sorted((i for i in items if i.useful > 0), key=lambda i: (-i.useful, i.created_at))[:5]
    return Statistics(
        participants=len(people), posts=len(items),
        participants_by_language=dict(participants_by_language), posts_by_language=dict(posts_by_language),
        by_country=ordered(country), by_sector=ordered(sector), by_gender=dict(gender),
        posts_per_week=[(w, dict(weeks[w])) for w in sorted(weeks)], most_useful=most_useful)


def comparison(posts: list[PostItem], themes: list[Theme], languages: list[str], lang: str) -> list[ThemeShare]:
    """Each theme's posts and share in each language forum, and where one language departs from the other."""
    totals = Counter(i.language for i in posts)
    rows = []
    for theme in themes:
        counts = Counter(i.language for i in posts if theme.code in i.themes)
        shares = {language: (counts[language] / totals[language] if totals[language] else 0.0)
                  for language in languages}
        row = ThemeShare(code=theme.code, label=theme_label(theme, lang),
                         posts={language: counts[language] for language in languages}, shares=shares)
        if len(languages) > 1 and all(totals[language] for language in languages):
            for here, there in permutations(languages, 2):
                if counts[here] >= GAP_MIN_POSTS and shares[here] >= GAP_MIN_SHARE and counts[there] == 0:
                    row.gap, row.gap_language = "absent", there
                elif (counts[here] >= GAP_MIN_POSTS and shares[there] and shares[here] >= STRONGER * shares[there]
                      and row.gap is None):
                    row.gap, row.gap_language = "stronger", here
        rows.append(row)
    return rows


def institutions(items: list[PostItem]) -> list[tuple[str | None, list[str]]]:
    """Institutions of the named participants who show them, by country, in the report's language
    (called under the report's locale, so "Alemania" sorts under A in Spanish)."""
    by_country: dict[str | None, set[str]] = defaultdict(set)
    for item in items:
        if item.author.named and item.author.institution:
            by_country[item.author.country].add(item.author.institution)
    return sorted(((c, sorted(names, key=sort_key)) for c, names in by_country.items()),
                  key=lambda r: (r[0] is None, sort_key(country_name(r[0])) if r[0] else ""))


def webinar(pair: ForumPair, lang: str) -> WebinarFigures | None:
    webinar = db.session.execute(select(Webinar).where(Webinar.pair_id == pair.id, Webinar.status == "scheduled")
                                 .order_by(Webinar.starts_at.desc()).limit(1)).scalar_one_or_none()
    if webinar is None:
        return None
    from forum.services.webinars import participation

    table = participation(webinar)
    return WebinarFigures(
        title=webinar.title(lang), starts_at=webinar.starts_at,
        registered={b: table.total.cell("registered", b) for b in GENDER_BUCKETS},
        attended={b: table.total.cell("attended", b) for b in GENDER_BUCKETS},
        recording_url=webinar.recording_url)


def consultations(pair: ForumPair, lang: str) -> list[tuple[str, list[list[str]]]]:
    """Results of the polls and committee rounds that belong to the pair, once they may be shown."""
    from forum.services import round_results

    return [(r.title(lang), round_results.results_rows(round_results.results(r), lang))
            for r in round_results.rounds_for_pair(pair)]
