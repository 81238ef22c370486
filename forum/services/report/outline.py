"""The report's outline: headings, paragraphs, tables, charts, quotes and posts in the order a
reader meets them. Word and Markdown are both written from it, so they never disagree.

The body is short enough to read: per guiding question the moderators' synthesis, its key
figures, and each theme with its count and a few quotes. Every contribution is in the appendix,
by question and theme, each with its author, date and the post it answers.
"""
from __future__ import annotations

from flask_babel import force_locale, gettext, ngettext

from forum.i18n import country_name
from forum.services.report import quotes as q
from forum.services.report.common import Block, anchor, citation, day, gender_labels, language_names
from forum.services.report.statistics import statistics
from forum.services.synthesis import author_line
from forum.services.synthesis_model import (
    GENDER_BUCKETS,
    PostItem,
    QuestionSection,
    Report,
)


def outline(report: Report) -> list[Block]:
    lang = report.language
    with force_locale(lang):
        blocks = list(_outline(report, lang))
    posts = {anchor(b.item.id) for b in blocks if b.kind == "post"}
    for block in blocks:  # a post outside the export (highlights only, a date range) has no anchor to link to
        if block.target and block.target not in posts:
            block.target = ""
    return blocks


def _outline(report: Report, lang: str):
    yield from _title_page(report, lang)
    yield Block("toc", gettext("Contents"))
    yield Block("page_break")
    note = report.concept_notes.get(lang) or next(iter(report.concept_notes.values()), "")
    if note:
        yield Block("heading", gettext("Concept note"), level=1)
        yield Block("markdown", note)
    yield from statistics(report, lang)
    posts = {section.position: q.question_posts(section) for section in report.questions}
    for section in report.questions:
        yield from _question(report, section, posts[section.position], lang)
    if report.consultations:
        yield Block("heading", gettext("Polls and votes"), level=1)
        for title, rows in report.consultations:
            yield Block("heading", title, level=2)
            yield Block("table", rows=rows)
    yield from _institutions(report)
    yield from _webinar(report, lang)
    yield from _appendix(report, posts, lang)


def _title_page(report: Report, lang: str):
    names = language_names(lang)
    yield Block("title", report.title)
    yield Block("subtitle", report.community)
    for forum_lang, title in report.forum_titles.items():
        yield Block("subtitle", gettext("Forum in %(language)s: %(title)s", language=names[forum_lang], title=title))
    yield Block("subtitle", gettext("From %(start)s to %(end)s", start=day(report.opens_at, lang, report.timezone),
                                    end=day(report.closes_at, lang, report.timezone)))
    start, end = report.period
    if start or end:
        yield Block("subtitle", gettext("Posts included: from %(start)s to %(end)s",
                                        start=day(start, lang) or "…", end=day(end, lang) or "…"))
    choices = [gettext("authors anonymised") if report.anonymised else gettext("authors named when they agreed"),
               gettext("highlighted posts only") if report.highlights_only else gettext("all published posts")]
    yield Block("subtitle", gettext("Draft generated on %(date)s; %(choices)s.",
                                    date=day(report.generated_at, lang, report.timezone), choices="; ".join(choices)))
    yield Block("page_break")


def question_title(section: QuestionSection, lang: str) -> str:
    title = section.titles.get(lang) or next(iter(section.titles.values()), "")
    return gettext("Guiding question %(n)d: %(title)s", n=section.position, title=title)


def _question(report: Report, section: QuestionSection, items: list[PostItem], lang: str):
    names = language_names(lang)
    yield Block("heading", question_title(section, lang), level=1)
    for other_lang, other_title in section.titles.items():
        if other_lang != lang:
            yield Block("note", gettext("In %(language)s: %(title)s", language=names[other_lang], title=other_title))
    yield Block("heading", gettext("Moderators' synthesis"), level=2)
    written = [(n_lang, text) for n_lang, text in section.note.items() if text.strip()]
    for n_lang, text in sorted(written, key=lambda entry: entry[0] != lang):
        if len(written) > 1:
            yield Block("note", names[n_lang].capitalize())
        yield Block("markdown", text, language=n_lang)
    if not written:
        yield Block("note", gettext("The moderators have not written a synthesis of this question yet."))

    yield Block("heading", gettext("Key figures"), level=2)
    rows = [[gettext("Forum"), gettext("Posts"), gettext("Participants")]]
    for f_lang in report.languages:
        mine = [i for i in items if i.language == f_lang]
        rows.append([names[f_lang].capitalize(), str(len(mine)), str(len({i.author.number for i in mine}))])
    rows.append([gettext("Total"), str(len(items)), str(len({i.author.number for i in items}))])
    yield Block("table", rows=rows)
    if report.highlights_only:
        yield Block("note", gettext("Only highlighted posts are counted here."))

    labels, counts = q.theme_labels(section, items), q.theme_counts(items)
    if labels:
        yield from _side_by_side(report, section, labels, counts)
        yield Block("heading", gettext("Themes"), level=2)
        used: set[int] = set()
        for code, label in labels.items():
            total = sum(counts[(code, f_lang)] for f_lang in report.languages)
            yield Block("heading", f"{label} ({total})", level=3)
            chosen = [c for c in section.quotes if c.theme == code][:3]
            for quote in chosen:  # the moderators' own choice first
                yield Block("quote", quote.text, meta=quote.citation, target=anchor(quote.post_id),
                            language=quote.language)
            if len(chosen) < 2:
                for quote in q.representative(items, code, report.languages, used)[:3 - len(chosen)]:
                    yield Block("quote", quote.text, meta=citation(quote.item.author, lang),
                                target=anchor(quote.item.id), language=quote.item.language)
    untagged = sum(counts[(q.NOT_CODED, f_lang)] for f_lang in report.languages)
    if untagged:
        yield Block("note", ngettext("%(num)d post is not coded with a theme.",
                                     "%(num)d posts are not coded with a theme.", untagged))
    terms = [t for found in section.key_terms.values() for t in found]
    if terms:
        yield Block("heading", gettext("Key terms (extracted automatically)"), level=2)
        yield Block("note", gettext("Words and pairs of words found automatically in what participants "
                                    "wrote, with how many participants used each: a help for the writer, "
                                    "not a finding."))
        for t_lang, found in section.key_terms.items():
            if found:
                yield Block("paragraph", f"{names[t_lang].capitalize()}: " + " · ".join(
                    f"{term} ({people})" for term, people in found))


def _side_by_side(report: Report, section: QuestionSection, labels: dict[str, str], counts):
    """The languages side by side: each theme's posts and share of the question in each forum, a
    chart, then the themes one language raises and the other does not."""
    names = language_names(report.language)
    two = len(report.languages) == 2
    if set(report.languages) == {"es", "en"}:
        heading = gettext("Spanish and English side by side")
    else:
        heading = gettext("The forums side by side") if len(report.languages) > 1 else gettext("Posts per theme")
    yield Block("heading", heading, level=2)
    yield Block("paragraph", gettext("Posts per theme and share of the question's posts in each forum; a post "
                                     "with several themes counts under each."))
    yield Block("table", rows=_theme_rows(report, section, labels, counts))
    yield Block("chart", meta=f"themes-{section.position}",
                text=gettext("Posts per theme in each forum, guiding question %(n)d", n=section.position))
    for row in section.comparison if two else []:
        other = next((f for f in report.languages if f != row.gap_language), None)
        if row.gap == "absent":
            yield Block("paragraph", gettext("“%(theme)s” comes up in the %(here)s forum (%(n)d posts) and not at "
                                             "all in the %(there)s forum.", theme=row.label, n=row.posts[other],
                                             here=names[other], there=names[row.gap_language]))
        elif row.gap == "stronger":
            yield Block("paragraph", gettext("“%(theme)s” weighs more in the %(here)s forum (%(a).0f%% of its posts) "
                                             "than in the %(there)s forum (%(b).0f%%).", theme=row.label,
                                             here=names[row.gap_language], there=names[other],
                                             a=100 * row.shares[row.gap_language], b=100 * row.shares[other]))


def _theme_rows(report: Report, section: QuestionSection, labels: dict[str, str], counts) -> list[list[str]]:
    """Theme | each language's posts and their share of the question's posts there | total."""
    names = language_names(report.language)
    totals = {f: section.posts_by_language.get(f, 0) for f in report.languages}
    rows = [[gettext("Theme")] + [h for f in report.languages for h in (names[f].capitalize(), "%")]
            + [gettext("Total")]]
    for code, label in labels.items():
        values = {f: counts[(code, f)] for f in report.languages}
        rows.append([label] + [c for f in report.languages
                               for c in (str(values[f]), f"{values[f] / totals[f]:.0%}" if totals[f] else "–")]
                    + [str(sum(values.values()))])
    rows.append([gettext("Posts in the question")] + [c for f in report.languages for c in (str(totals[f]), "")]
                + [str(sum(totals.values()))])
    return rows


def _institutions(report: Report):
    yield Block("heading", gettext("Participating institutions by country"), level=1)
    if report.institutions:
        for code, institutions in report.institutions:
            yield Block("heading", country_name(code) if code else gettext("Country not stated"), level=3)
            yield Block("bullets", rows=institutions)
    else:
        yield Block("note", gettext("No named participant shows an institution."))


def _webinar(report: Report, lang: str):
    webinar = report.webinar
    if webinar is None:
        return
    yield Block("heading", gettext("Closing webinar"), level=1)
    yield Block("paragraph", f"{webinar.title} · {day(webinar.starts_at, lang, report.timezone)}")
    yield Block("table", rows=[[""] + gender_labels() + [gettext("Total")],
                               [gettext("Registered")] + [str(webinar.registered[b]) for b in GENDER_BUCKETS]
                               + [str(sum(webinar.registered.values()))],
                               [gettext("Attended")] + [str(webinar.attended[b]) for b in GENDER_BUCKETS]
                               + [str(sum(webinar.attended.values()))]])
    if webinar.recording_url:
        yield Block("paragraph", gettext("Recording: %(url)s", url=webinar.recording_url))


def _appendix(report: Report, posts: dict[int, list[PostItem]], lang: str):
    """Every contribution, by question and then by its first theme (untagged: "Not coded")."""
    everything = [i for items in posts.values() for i in items] + report.other_threads
    if not everything:
        return
    by_id = {i.id: i for i in everything}
    yield Block("heading", gettext("Appendix: all contributions"), level=1)
    yield Block("note", gettext("By guiding question and theme, in date order. A post with several themes is "
                                "under its first theme, with the others named."))
    for section in report.questions:
        items = posts[section.position]
        if not items:
            continue
        yield Block("heading", question_title(section, lang), level=2)
        labels = q.theme_labels(section, items)
        groups = q.by_first_theme(items)
        for code in list(labels) + [q.NOT_CODED]:
            if code not in groups:
                continue
            label = labels.get(code) or gettext("Not coded")
            yield Block("heading", f"{label} ({len(groups[code])})", level=3)
            for item in groups[code]:
                yield post_block(item, report, by_id, labels)
    if report.other_threads:
        yield Block("heading", gettext("Other threads"), level=2)
        for item in report.other_threads:
            yield post_block(item, report, by_id, {}, with_thread=True)


def post_block(item: PostItem, report: Report, by_id: dict[int, PostItem], labels: dict[str, str],
               with_thread: bool = False) -> Block:
    """A post with its attribution line, the post it answers (with a link) and its other themes."""
    lang = report.language
    parts = [author_line(item.author, lang), day(item.created_at, lang, report.timezone),
             language_names(lang)[item.language]]
    if item.highlight:
        parts.append(gettext("highlighted"))
    if item.useful:
        parts.append(ngettext("%(num)d useful mark", "%(num)d useful marks", item.useful))
    if with_thread:
        parts.insert(0, item.thread_title)
    block = Block("post", meta=" · ".join(p for p in parts if p), item=item, language=item.language)
    if item.reply_to is not None:
        target = by_id.get(item.reply_to)
        if target is not None:
            block.text = gettext("In reply to %(author)s (%(date)s)", author=target.author.label,
                                 date=day(target.created_at, lang, report.timezone))
            block.target = anchor(target.id)
        else:
            block.text = gettext("In reply to a post that is not in this export")
    others = [labels.get(code, code) for code in item.themes[1:]]
    if others:
        block.notes.append(gettext("Also: %(themes)s", themes=", ".join(others)))
    return block

