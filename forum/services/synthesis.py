"""Systematisation: a forum pair read into one structure, the first draft of the synthesis report.

`build()` gathers, in a fixed number of queries, what the report needs: the
concept notes, participation statistics, and for each guiding question (matched
across the language forums by position) the moderators' synthesis note, the
highlighted posts, the posts by theme and the rest in date order, with key terms
extracted automatically. The writers in `forum.services.report_files` turn it
into DOCX, Markdown, CSV and JSON. Only live posts (published, not hidden, not
deleted) ever enter; members who asked not to be named are quoted as
"Participant N — country, sector" even in a named export.
"""
from __future__ import annotations

import re
import secrets
from collections import Counter, defaultdict
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from forum.extensions import db
from forum.i18n import country_name, sector_label
from forum.markup import MENTION_RE, paragraph_text
from forum.models import (
    Forum,
    ForumPair,
    Membership,
    Post,
    PostTheme,
    SynthesisNote,
    Theme,
    Thread,
    User,
    utcnow,
)
from forum.models.translated import texts_of
from forum.policy import can
from forum.services import DomainError, anonymity
from forum.services import synthesis_figures as figures
from forum.services.key_terms import key_terms
from forum.services.synthesis_model import (
    SCHEMA_VERSION,
    Author,
    ExportOptions,
    PostItem,
    QuestionSection,
    Quote,
    Report,
    ThemeGroup,
    theme_label,
)
from forum.timezones import community_zone, day_range


def can_export(user, pair: ForumPair) -> bool:
    return can(user, "pair.export", pair)


def _window(pair: ForumPair, options: ExportOptions) -> tuple[datetime | None, datetime | None]:
    return day_range(options.start, options.end, community_zone(pair.community))


def _check(user, pair: ForumPair, options: ExportOptions) -> None:
    if user is not None and not can_export(user, pair):
        raise DomainError(_l("Only the community's organizers and moderators can export its forums."))
    if options.language not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Choose one of the site's languages."))
    for name in ("start", "end"):
        day = getattr(options, name)
        if day is not None and not 2000 <= day.year <= 2100:
            raise DomainError(_l("Use a date between the years 2000 and 2100."), field=name)
    if options.start and options.end and options.end < options.start:
        raise DomainError(_l("The last day must come after the first."), field="end")
    if options.theme is not None and options.theme not in {t.code for t in pair.themes}:
        raise DomainError(_l("Choose a theme of this pair's codebook."), field="theme")


def _read_live(forums: list[Forum], pair: ForumPair, options: ExportOptions):
    """The live replies of the chosen forums, period and question, and how many were left out and why."""
    start, end = _window(pair, options)
    conditions = [Thread.forum_id.in_([f.id for f in forums])]
    if start:
        conditions.append(Post.created_at >= start)
    if end:
        conditions.append(Post.created_at < end)
    if options.question is not None:
        conditions += [Thread.kind == "guiding_question", Thread.position == options.question]
    rows = db.session.execute(
        select(Post, Thread, Forum.language).join(Thread, Thread.id == Post.thread_id)
        .join(Forum, Forum.id == Thread.forum_id).where(*conditions)
        .order_by(Post.created_at, Post.id)).all()
    left_out: Counter = Counter()
    live = []
    for post, thread, language in rows:
        if thread.kind == "guiding_question" and post.number == 1:
            continue  # the question itself, written by the organizers
        if post.deleted_at is not None:
            left_out["deleted"] += 1
        elif post.status != "published":
            left_out["pending or rejected"] += 1
        elif post.hidden_at is not None or thread.hidden_at is not None:
            left_out["hidden"] += 1
        else:
            live.append((post, thread, language))
    return live, left_out


def _theme_codes(live, themes: dict[int, Theme]) -> dict[int, list[str]]:
    theme_ids: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks([p.id for p, _t, _lang in live]):
        for post_id, theme_id in db.session.execute(
                select(PostTheme.post_id, PostTheme.theme_id).where(PostTheme.post_id.in_(chunk))):
            theme_ids[post_id].append(theme_id)
    return {post_id: [themes[t].code for t in sorted(ids, key=lambda t: themes[t].position) if t in themes]
            for post_id, ids in theme_ids.items()}


def build(user, pair: ForumPair, options: ExportOptions, progress=None) -> Report:
    """Everything the report shows, read once; `progress(message)` hears each step."""
    _check(user, pair, options)
    with force_locale(options.language):  # every label in the report speaks the report's language
        return _build(pair, options, progress)


def _build(pair: ForumPair, options: ExportOptions, progress) -> Report:
    say = progress or (lambda message: None)
    forums = [f for f in pair.forums if options.forum_id in (None, f.id)]
    if not forums:
        raise DomainError(_l("Choose a forum of this pair."))
    zone = str(community_zone(pair.community))
    say("reading posts")
    live, left_out = _read_live(forums, pair, options)
    themes = {t.id: t for t in pair.themes}
    codes = _theme_codes(live, themes)
    if options.theme is not None:
        live = [row for row in live if options.theme in codes.get(row[0].id, [])]
    say(f"{len(live)} posts to export")
    authors, handles, redact = _authors(live, pair, options)
    base_url = current_app.config["BASE_URL"]
    items = [PostItem(
        id=post.id, question=thread.position if thread.kind == "guiding_question" else None,
        thread_title=thread.title, language=language,
        author=authors.get(post.author_id) or _former(),
        created_at=post.created_at,
        text=redact(_unmention(paragraph_text(post.body_html), handles, options.anonymise), post.author_id),
        highlight=post.is_highlight, useful=post.useful_count, themes=codes.get(post.id, []),
        reply_to=post.reply_to_id, url=f"{base_url}/posts/{post.id}",
        source=redact(_unmention(post.body_md or "", handles, options.anonymise), post.author_id))
        for post, thread, language in live]

    found = _findings(items, pair) if options.anonymise else []  # with the posts' real ids, for the organizer
    quotes = _chosen_quotes(pair, items, redact, options.language)
    if options.anonymise:  # a post's number and address would lead back to its author's page
        numbers = {item.id: n for n, item in enumerate(items, start=1)}
        for item in items:
            item.id, item.reply_to, item.url = numbers[item.id], numbers.get(item.reply_to), ""
        for quote in quotes:
            quote.post_id = numbers[quote.post_id]
    say("statistics")
    statistics = figures.statistics(items, live, zone)
    say("key terms")
    questions = _questions(pair, forums, items, themes, options)
    for section in questions:
        section.quotes = [q for q in quotes if q.question == section.position]
    title = gettext("Synthesis of the forum “%(title)s”", title=_title(pair, forums, options.language))
    institutions = figures.institutions(items)
    other = [i for i in items if i.question is None and (i.highlight or not options.highlights_only)]
    return Report(
        schema_version=SCHEMA_VERSION, title=title, community=_community_name(pair, options.language), timezone=zone,
        language=options.language, languages=[f.language for f in forums],
        forum_titles={f.language: f.title for f in forums}, opens_at=pair.opens_at, closes_at=pair.closes_at,
        period=(options.start, options.end), anonymised=options.anonymise, highlights_only=options.highlights_only,
        generated_at=utcnow(), concept_notes={f.language: f.concept_note_md for f in forums},
        statistics=statistics, questions=questions, other_threads=other,
        institutions=institutions, webinar=figures.webinar(pair, options.language), left_out=dict(left_out),
        consultations=figures.consultations(pair, options.language), question=options.question, theme=options.theme,
        findings=found)


def _chunks(ids: list[int], size: int = 900):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def _title(pair: ForumPair, forums: list[Forum], lang: str) -> str:
    by_language = {f.language: f.title for f in forums}
    return by_language.get(lang) or next(iter(by_language.values()), pair.slug)


def _community_name(pair: ForumPair, lang: str) -> str:
    return pair.community.name(lang)


def _former() -> Author:
    return Author(label=gettext("Former member"), named=False, country=None, institution=None, sector=None,
                  number=0)


def _authors(live, pair: ForumPair, options: ExportOptions):
    """One label per person, and what rewrites the texts so unnamed people stay unnamed.

    Named exports number people by first contribution, so "Participant 12" is stable in a report;
    anonymised ones number them in a random order, so a named and an anonymised export cannot be
    matched by number. Returns the authors by user id, the label for each unnamed person's @handle,
    and `redact(text, author_id)`."""
    order: list[int] = []
    for post, _thread, _language in live:
        if post.author_id is not None and post.author_id not in order:
            order.append(post.author_id)
    people = {}
    for chunk in _chunks(order):
        people.update({u.id: u for u in db.session.execute(select(User).where(User.id.in_(chunk))).scalars()})
    numbers = list(range(1, len(order) + 1))
    if options.anonymise:
        secrets.SystemRandom().shuffle(numbers)
    authors, handles, unnamed = {}, {}, []
    for number, user_id in zip(numbers, order):
        user = people.get(user_id)
        if user is None or user.deleted_at is not None:
            authors[user_id] = Author(label=gettext("Former member"), named=False, country=None,
                                      institution=None, sector=None, number=number)
            continue
        named = not options.anonymise and user.show_name_in_reports
        country = user.country if user.show_country else None
        sector = user.sector if user.show_sector else None
        institution = user.institution if (user.show_institution and named) else None
        label = user.display_name if named else gettext("Participant %(n)d", n=number)
        authors[user_id] = Author(label=label, named=named, country=country, institution=institution,
                                  sector=sector, number=number)
        if not named:
            handles[user.handle] = label
            unnamed.append((user, label))
    others = _other_members(pair, set(order)) if options.anonymise else []
    redactor = anonymity.build_redactor(unnamed, others)
    names = {u.id: [u.display_name, u.display_name.split()[0]] for u, _label in unnamed if u.display_name}

    def redact(text: str, author_id: int | None) -> str:
        if author_id in names:
            text = anonymity.drop_signature(text, names[author_id])
        if options.anonymise:
            text = anonymity.hide_emails(text)
        return redactor(text)

    return authors, handles, redact


def _other_members(pair: ForumPair, authors: set[int]) -> list[User]:
    """The community's members who wrote nothing exported: their names may still appear in the texts."""
    return [u for u in db.session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == pair.community_id)).scalars() if u.id not in authors]


def _unmention(text: str, handles: dict[str, str], anonymise: bool) -> str:
    """@handles of people quoted without their name become their label (anyone's, when anonymised)."""
    def replace(match):
        label = handles.get(match.group(1).lower())
        if label is not None:
            return f"@{label}"
        return "@…" if anonymise else match.group(0)

    return MENTION_RE.sub(replace, text)


def author_line(author: Author, lang: str) -> str:
    """“Participant 12 — Chile, subnational government” or “Ana Morales — Chile, Municipality of …”."""
    with force_locale(lang):
        details = [country_name(author.country) if author.country else None,
                   author.institution if author.named else (sector_label(author.sector) if author.sector else None)]
        details = [d for d in details if d]
        return f"{author.label} — {', '.join(details)}" if details else author.label


def _questions(pair: ForumPair, forums: list[Forum], items: list[PostItem], themes: dict[int, Theme],
               options: ExportOptions) -> list[QuestionSection]:
    conditions = [Thread.forum_id.in_([f.id for f in forums]), Thread.kind == "guiding_question",
                  Thread.hidden_at.is_(None)]
    if options.question is not None:
        conditions.append(Thread.position == options.question)
    threads = db.session.execute(select(Thread).where(*conditions)).scalars().all()
    language_of = {f.id: f.language for f in forums}
    titles: dict[int, dict[str, str]] = defaultdict(dict)
    for thread in threads:
        titles[thread.position][language_of[thread.forum_id]] = thread.title
    notes = {n.position: n for n in db.session.execute(
        select(SynthesisNote).filter_by(pair_id=pair.id)).scalars()}
    ordered_themes = sorted(themes.values(), key=lambda t: t.position)
    if options.theme is not None:
        ordered_themes = [t for t in ordered_themes if t.code == options.theme]
    languages = [f.language for f in forums]
    sections = []
    for position in sorted(titles):
        posts = [i for i in items if i.question == position]
        chosen = [i for i in posts if i.highlight] if options.highlights_only else posts
        groups = []
        for theme in ordered_themes:
            tagged = [i for i in chosen if theme.code in i.themes]  # highlighted or not: every tag counts
            if tagged:
                groups.append(ThemeGroup(code=theme.code, label=theme_label(theme, options.language), posts=tagged,
                                         by_language=dict(Counter(i.language for i in tagged))))
        note = notes.get(position)
        sections.append(QuestionSection(
            position=position, titles=titles[position],
            note={lang: texts_of(note, "body").get(lang) or "" for lang in languages},
            highlights=[i for i in chosen if i.highlight], themes=groups,
            remaining=[i for i in chosen if not i.highlight and not i.themes],
            key_terms={lang: key_terms([(i.author.number, i.text) for i in posts if i.language == lang], lang)
                       for lang in languages},
            post_count=len(posts), posts_by_language=dict(Counter(i.language for i in posts)),
            participants_by_language={lang: len({i.author.number for i in posts if i.language == lang})
                                      for lang in languages},
            comparison=figures.comparison(posts, ordered_themes, languages, options.language)))
    return sections


def _chosen_quotes(pair: ForumPair, items: list[PostItem], redact, lang: str) -> list[Quote]:
    """The moderators' quotes of the posts in this export, rewritten like the posts themselves."""
    from forum.services import report_quotes

    by_id = {i.id: i for i in items}
    quotes = []
    for chosen in report_quotes.of_pair(pair.id):
        item = by_id.get(chosen.post_id)
        if item is None:
            continue
        quotes.append(Quote(
            post_id=item.id, question=item.question, language=item.language,
            theme=chosen.theme.code if chosen.theme else None,
            theme_label=theme_label(chosen.theme, lang) if chosen.theme else None,
            text=redact(chosen.text, chosen.post.author_id), citation=citation(item.author)))
    return quotes


def citation(author: Author) -> str:
    """“Participant 12, Chile, subnational government”, or the name, country and institution."""
    details = [country_name(author.country) if author.country else None,
               author.institution if author.named else (sector_label(author.sector) if author.sector else None)]
    return ", ".join([author.label] + [d for d in details if d])


def _findings(items: list[PostItem], pair: ForumPair) -> list[anonymity.Finding]:
    """What may still identify someone after anonymising, for the organizer to read before sharing."""
    from forum.i18n import country_choices

    ordinary = {w.casefold() for i in items for w in re.findall(r"\b[a-záéíóúñü]+\b", i.text)}
    known = {name for lang in current_app.config["LANGUAGES"] for _code, name in country_choices(lang)}
    known |= {word for t in pair.themes for label in texts_of(t, "label").values() for word in label.split()}
    known |= {gettext("Participant %(n)d", n=0).split()[0], gettext("Former member")}
    return anonymity.findings([(i.id, i.text) for i in items], ordinary, known)


def question_titles(pair: ForumPair, lang: str) -> list[tuple[int, str]]:
    """The pair's guiding questions by position, titled in `lang` where that forum has them."""
    rows = db.session.execute(
        select(Thread.position, Thread.title, Forum.language).join(Forum, Forum.id == Thread.forum_id)
        .where(Forum.pair_id == pair.id, Thread.kind == "guiding_question", Thread.hidden_at.is_(None))).all()
    titles: dict[int, dict[str, str]] = defaultdict(dict)
    for position, title, language in rows:
        titles[position][language] = title
    return [(position, by_lang.get(lang) or next(iter(by_lang.values()))) for position, by_lang in sorted(titles.items())]


def find_pair(slug: str, community_slug: str | None = None) -> ForumPair:
    """A pair by its address or by the address of either of its forums (and its community's, when two
    communities use the same one)."""
    from forum.models import Community

    pairs = db.session.execute(select(ForumPair).where(ForumPair.slug == slug)).scalars().all()
    pairs += [f.pair for f in db.session.execute(select(Forum).where(Forum.slug == slug)).scalars()
              if f.pair is not None and f.pair not in pairs]
    if community_slug:
        community = db.session.execute(select(Community).filter_by(slug=community_slug)).scalar_one_or_none()
        pairs = [p for p in pairs if community is not None and p.community_id == community.id]
    if not pairs:
        raise DomainError(_l("No forum pair has this address."))
    if len(pairs) > 1:
        raise DomainError(_l("Several communities have a forum with this address: name the community too."))
    return pairs[0]


__all__ = ["ExportOptions", "Report", "author_line", "build", "can_export", "find_pair", "key_terms"]
