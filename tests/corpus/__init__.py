"""A realistic, coded, bilingual test corpus, and a loader that builds it in the database.

The forum pair "Resiliencia territorial" / "Territorial resilience" as the Planning Network
would hold it: invented participants from across Latin America and the Caribbean, the four
guiding questions of the concept note, replies in Spanish and English over two months
(debates, summaries, off-topic questions, typos, tables, quotes, sign-offs), coded by the
moderators with a six-theme codebook (several themes per reply), highlights, a synthesis
note per question, the replies moderators would quote per theme, and the pairs of replies
that make the same point in the two forums ("counterparts"). The data is the JSON next to
this file; times are offsets from the opening (day, hh:mm), so nothing depends on today.

In a test, with the suite's fixtures (an app context, tables emptied after each test):

    corpus = load_corpus(db.session, OPENING)

Loading once per module instead: see tests/test_corpus.py. In a benchmark script:

    with app.app_context():
        db.create_all()
        corpus = load_corpus(db.session, OPENING)

`read_corpus()` gives the data and the ground truth without a database.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, cached_property
from pathlib import Path

from sqlalchemy import select, update

from forum.markup import render
from forum.models import (
    Community,
    Forum,
    ForumPair,
    Post,
    PostTheme,
    SearchDocument,
    SynthesisNote,
    Theme,
    Thread,
    User,
)
from forum.services import posting, search
from forum.services.membership import add_member
from forum.services.organizing import add_months

CORPUS_DIR = Path(__file__).resolve().parent
# Monday 7 August 2023, 09:00 in Santiago: two days after the concept note. Pass it, or
# another fixed moment, to load_corpus; never today's date.
OPENING = datetime(2023, 8, 7, 13, 0, tzinfo=UTC)
QUESTIONS = (1, 2, 3, 4)
# Moderators tag a reply the day after it is posted, at the latest.
TAGGING_DELAY = timedelta(hours=20)


@dataclass(frozen=True)
class Reply:
    """One reply as the JSON has it, with its ground truth."""

    id: str
    language: str
    question: int
    author: str
    day: int
    time: str
    reply_to: str | None
    kind: str  # reply, meta ("I agree with Ana"), summary (moderators), offtopic
    themes: tuple[str, ...]
    highlight: bool
    counterparts: tuple[str, ...]
    body: str

    @property
    def offset(self) -> timedelta:
        hours, minutes = (int(part) for part in self.time.split(":"))
        return timedelta(days=self.day, hours=hours, minutes=minutes)


@dataclass(frozen=True)
class CorpusData:
    """Everything in the JSON files; read-only."""

    forum: dict
    participants: tuple[dict, ...]
    replies: tuple[Reply, ...]
    notes: dict[int, dict]
    representative_quotes: dict[int, dict[str, tuple[str, ...]]]

    @property
    def codebook(self) -> list[dict]:
        return self.forum["codebook"]

    @cached_property
    def by_id(self) -> dict[str, Reply]:
        return {reply.id: reply for reply in self.replies}

    @cached_property
    def themes_of(self) -> dict[str, frozenset[str]]:
        return {reply.id: frozenset(reply.themes) for reply in self.replies}

    @cached_property
    def counterparts_of(self) -> dict[str, frozenset[str]]:
        return {reply.id: frozenset(reply.counterparts) for reply in self.replies}

    def replies_to(self, question: int, language: str | None = None) -> list[Reply]:
        return [r for r in self.replies if r.question == question and language in (None, r.language)]


def _text(lines) -> str:
    return "\n".join(lines) if isinstance(lines, list) else lines


def _read(name: str) -> dict:
    return json.loads((CORPUS_DIR / name).read_text(encoding="utf-8"))


@cache
def read_corpus() -> CorpusData:
    forum = _read("forum.json")
    replies, notes, quotes = [], {}, {}
    for question in QUESTIONS:
        part = _read(f"question_{question}.json")
        notes[question] = part["synthesis_note"]
        quotes[question] = {code: tuple(ids) for code, ids in part["representative_quotes"].items()}
        for raw in part["replies"]:
            replies.append(Reply(**{**raw, "themes": tuple(raw["themes"]), "counterparts": tuple(raw["counterparts"]),
                                    "body": _text(raw["body"])}))
    return CorpusData(forum=forum, participants=tuple(_read("participants.json")["participants"]),
                      replies=tuple(replies), notes=notes, representative_quotes=quotes)


@dataclass
class LoadedCorpus:
    """The corpus in the database: maps from corpus ids to rows, and the ground truth."""

    data: CorpusData
    opens_at: datetime
    community: Community
    pair: ForumPair
    forums: dict[str, Forum]  # by language
    threads: dict[tuple[int, str], Thread]  # by (question position, language)
    users: dict[str, User]  # by handle
    themes: dict[str, Theme]  # by code
    posts: dict[str, Post]  # by reply id
    post_ids: dict[str, int]  # by reply id, read before the commit expired the rows
    notes: dict[int, SynthesisNote]  # by question position

    @cached_property
    def reply_ids(self) -> dict[int, str]:
        return {post_id: reply_id for reply_id, post_id in self.post_ids.items()}

    def thread_of(self, reply_id: str) -> Thread:
        reply = self.data.by_id[reply_id]
        return self.threads[(reply.question, reply.language)]

    @property
    def themes_of(self) -> dict[str, frozenset[str]]:
        return self.data.themes_of

    @property
    def counterparts_of(self) -> dict[str, frozenset[str]]:
        return self.data.counterparts_of

    @property
    def representative_quotes(self) -> dict[int, dict[str, tuple[str, ...]]]:
        return self.data.representative_quotes


def load_corpus(db_session, opens_at: datetime, *, community: Community | None = None,
                password: str | None = None) -> LoadedCorpus:
    """Build the corpus in the database of the current app context and commit.

    `db_session` is the app's session (db.session), which the posting services use too.
    `opens_at` is the forum's opening (aware); every time in the corpus is relative to it.
    `community`: where to hold the pair; by default the Planning Network, made if missing.
    `password`: let every participant sign in with it (hashed once); by default nobody can.
    """
    if opens_at.tzinfo is None:
        raise ValueError("opens_at must be an aware datetime (UTC)")
    data = read_corpus()
    users = _users(db_session, data, opens_at, password)
    community = community or _community(db_session, data)
    for person in data.participants:
        add_member(users[person["handle"]], community, role=person["role"])
    pair = _pair(db_session, data, community, users[data.forum["question_author"]], opens_at)
    themes = {theme.code: theme for theme in pair.themes}
    forums = _forums(db_session, data, pair, opens_at)
    threads = _questions(db_session, data, forums, users[data.forum["question_author"]], opens_at)
    posts = _replies(db_session, data, threads, users, opens_at)
    _keep_last_activity(db_session, data, threads, forums, opens_at)
    notes = _curate(db_session, data, pair, themes, posts, users, opens_at)
    post_ids = {reply_id: post.id for reply_id, post in posts.items()}
    db_session.commit()
    return LoadedCorpus(data=data, opens_at=opens_at, community=community, pair=pair, forums=forums,
                        threads=threads, users=users, themes=themes, posts=posts, post_ids=post_ids, notes=notes)


def _users(db_session, data: CorpusData, opens_at: datetime, password: str | None) -> dict[str, User]:
    """Accounts with full profiles, made in the weeks before the forum opened."""
    password_hash = None
    if password is not None:
        probe = User()
        probe.set_password(password)  # scrypt is slow: hash once, share the result
        password_hash = probe.password_hash
    users = {}
    for index, person in enumerate(data.participants):
        joined = opens_at - timedelta(days=90 - index % 60, hours=index % 11)
        user = User(email=person["email"], display_name=person["name"], handle=person["handle"],
                    country=person["country"], institution=person["institution"], sector=person["sector"],
                    gender=person["gender"], locale=person["locale"], timezone=person["timezone"],
                    show_name_in_reports=person["named_in_reports"], show_country=person["show_country"],
                    show_institution=person["show_institution"], password_hash=password_hash,
                    email_confirmed_at=joined, created_at=joined)
        db_session.add(user)
        users[person["handle"]] = user
    db_session.flush()
    return users


def _community(db_session, data: CorpusData) -> Community:
    spec = data.forum["community"]
    community = db_session.execute(select(Community).filter_by(slug=spec["slug"])).scalar_one_or_none()
    if community is None:
        community = Community(visibility="public", join_policy="open", **spec)
        db_session.add(community)
        db_session.flush()
    return community


def _pair(db_session, data: CorpusData, community: Community, organizer: User, opens_at: datetime) -> ForumPair:
    spec = data.forum["pair"]
    pair = ForumPair(community_id=community.id, slug=spec["slug"], opens_at=opens_at,
                     closes_at=add_months(opens_at, spec["months"]), status="published",
                     created_by_id=organizer.id, created_at=opens_at - timedelta(days=14),
                     opening_announced_at=opens_at)  # announced when it opened, not when loaded
    for position, theme in enumerate(data.codebook):
        pair.themes.append(Theme(code=theme["code"], label_es=theme["label_es"], label_en=theme["label_en"],
                                 description_es=theme["description_es"], description_en=theme["description_en"],
                                 position=position))
    db_session.add(pair)
    db_session.flush()
    return pair


def _forums(db_session, data: CorpusData, pair: ForumPair, opens_at: datetime) -> dict[str, Forum]:
    forums = {}
    for language, spec in data.forum["pair"]["forums"].items():
        note = _text(spec["concept_note"])
        forums[language] = Forum(pair_id=pair.id, community_id=pair.community_id, language=language,
                                 slug=spec["slug"], title=spec["title"], summary=spec["summary"],
                                 concept_note_md=note, concept_note_html=render(note),
                                 created_at=opens_at - timedelta(days=14))
        db_session.add(forums[language])
    db_session.flush()
    return forums


def _questions(db_session, data: CorpusData, forums: dict[str, Forum], organizer: User,
               opens_at: datetime) -> dict[tuple[int, str], Thread]:
    """The guiding questions, opened by the organizer at the opening, through the posting service."""
    threads = {}
    for question in data.forum["questions"]:
        for language, forum in forums.items():
            text = question[language]
            thread = posting.create_thread(forum, organizer, title=text["title"], body=text["body"],
                                           kind="guiding_question", position=question["position"])
            thread.created_at = opens_at
            first = db_session.execute(select(Post).filter_by(thread_id=thread.id, number=1)).scalar_one()
            first.created_at = opens_at
            search.index_post(first, thread)
            threads[(question["position"], language)] = thread
    return threads


def _replies(db_session, data: CorpusData, threads, users, opens_at: datetime) -> dict[str, Post]:
    """Every reply through posting.add_post (numbers, counters, mentions, search), in time order."""
    posts: dict[str, Post] = {}
    for reply in sorted(data.replies, key=lambda r: (r.offset, r.id)):
        thread = threads[(reply.question, reply.language)]
        post = posting.add_post(thread, users[reply.author], reply.body,
                                reply_to=posts[reply.reply_to] if reply.reply_to else None)
        post.created_at = opens_at + reply.offset
        posts[reply.id] = post
    db_session.flush()
    # The search index carries each post's date: one statement rather than re-indexing each post.
    db_session.execute(update(SearchDocument).where(SearchDocument.post_id.in_([p.id for p in posts.values()]))
                       .values(created_at=select(Post.created_at).where(Post.id == SearchDocument.post_id)
                               .scalar_subquery()).execution_options(synchronize_session=False))
    return posts


def _keep_last_activity(db_session, data: CorpusData, threads, forums, opens_at: datetime) -> None:
    """The posting service stamps last activity with the loading time; set it from the offsets."""
    last: dict[tuple[int, str], datetime] = {}
    for reply in data.replies:
        key = (reply.question, reply.language)
        last[key] = max(last.get(key, opens_at), opens_at + reply.offset)
    for key, thread in threads.items():
        db_session.execute(update(Thread).where(Thread.id == thread.id).values(last_post_at=last.get(key, opens_at)))
    for language, forum in forums.items():
        latest = max(moment for (_, lang), moment in last.items() if lang == language)
        db_session.execute(update(Forum).where(Forum.id == forum.id).values(last_post_at=latest))


def _curate(db_session, data: CorpusData, pair: ForumPair, themes: dict[str, Theme], posts: dict[str, Post],
            users: dict[str, User], opens_at: datetime) -> dict[int, SynthesisNote]:
    """Themes, highlights and synthesis notes as the moderators left them.

    Written as rows rather than through moderation.set_themes, which commits and logs
    per post at the moment of the call: here each tag is dated after its reply.
    """
    curators = {language: users[handle] for language, handle in data.forum["curators"].items()}
    for reply in data.replies:
        post = posts[reply.id]
        for code in reply.themes:
            db_session.add(PostTheme(post_id=post.id, theme_id=themes[code].id,
                                     tagged_by_id=curators[reply.language].id,
                                     created_at=post.created_at + TAGGING_DELAY))
        post.is_highlight = reply.highlight
    notes = {}
    for position, spec in data.notes.items():
        hours, minutes = (int(part) for part in spec["time"].split(":"))
        notes[position] = SynthesisNote(pair_id=pair.id, position=position, body_es=_text(spec["es"]),
                                        body_en=_text(spec["en"]), updated_by_id=users[spec["by"]].id,
                                        updated_at=opens_at + timedelta(days=spec["day"], hours=hours, minutes=minutes))
        db_session.add(notes[position])
    db_session.flush()
    return notes
