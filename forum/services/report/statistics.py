"""The participation chapter: who took part, from where, when, and the posts marked most useful."""
from __future__ import annotations

from flask_babel import gettext, ngettext

from forum.i18n import country_name, sector_label
from forum.services.report.common import Block, anchor, citation, day, gender_labels, language_names
from forum.services.report.quotes import best_sentence
from forum.services.synthesis_model import GENDER_BUCKETS, Report


def statistics(report: Report, lang: str):
    stats = report.statistics
    names = language_names(lang)
    yield Block("heading", gettext("Participation"), level=1)
    yield Block("table", rows=[[gettext("Forum"), gettext("Participants"), gettext("Posts")]]
                + [[names[f_lang].capitalize(), str(stats.participants_by_language.get(f_lang, 0)),
                    str(stats.posts_by_language.get(f_lang, 0))] for f_lang in report.languages]
                + [[gettext("Total"), str(stats.participants), str(stats.posts)]])
    yield Block("note", gettext("A person who wrote in both forums counts once in the total."))
    if report.highlights_only:
        yield Block("note", gettext("These statistics count every published post, not only the highlights."))
    yield Block("heading", gettext("Participants by sex/gender"), level=2)
    yield Block("table", rows=[gender_labels() + [gettext("Total")],
                               [str(stats.by_gender.get(b, 0)) for b in GENDER_BUCKETS] + [str(stats.participants)]])
    yield Block("heading", gettext("Participants by country"), level=2)
    yield Block("table", rows=[[gettext("Country"), gettext("Participants"), gettext("Posts")]]
                + [[country_name(c) if c else gettext("Not stated"), str(p), str(n)] for c, p, n in stats.by_country])
    yield Block("chart", gettext("Participants by country"), meta="countries")
    yield Block("heading", gettext("Participants by sector"), level=2)
    yield Block("table", rows=[[gettext("Sector"), gettext("Participants"), gettext("Posts")]]
                + [[sector_label(s) if s else gettext("Not stated"), str(p), str(n)] for s, p, n in stats.by_sector])
    yield Block("heading", gettext("Posts per week"), level=2)
    yield Block("chart", gettext("Posts per week"), meta="weeks")
    yield Block("table", rows=[[gettext("Week of")] + [names[f].capitalize() for f in report.languages]
                               + [gettext("Total")]]
                + [[day(week, lang)] + [str(counts.get(f, 0)) for f in report.languages] + [str(sum(counts.values()))]
                   for week, counts in stats.posts_per_week])
    if stats.most_useful:
        yield Block("heading", gettext("Posts marked most useful"), level=2)
        for item in stats.most_useful:
            marks = ngettext("%(num)d useful mark", "%(num)d useful marks", item.useful)
            yield Block("quote", best_sentence(item) or excerpt(item.text),
                        meta=f"{citation(item.author, lang)}, {day(item.created_at, lang, report.timezone)} · {marks}",
                        target=anchor(item.id), language=item.language)


def excerpt(text: str, words: int = 40) -> str:
    found = text.split()
    return " ".join(found[:words]) + ("…" if len(found) > words else "")
