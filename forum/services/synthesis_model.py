"""What a synthesis report holds, as plain data: the structure every report file (Word, Markdown,
CSV, JSON) is written from."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from forum.i18n import localized_in
from forum.models import Theme
from forum.services import anonymity

SCHEMA_VERSION = 2
GENDER_BUCKETS = ("women", "men", "other", "not_stated")
_GENDER_BUCKET = {"woman": "women", "man": "men", "other": "other"}
KEY_TERMS = 8
# A theme is "absent" in a language when the other language gives it at least this many posts and
# this share of the question's posts; "stronger" when its share is at least STRONGER times the other's.
GAP_MIN_POSTS = 2
GAP_MIN_SHARE = 0.15
STRONGER = 2.0


@dataclass
class ExportOptions:
    language: str = "es"               # the language of the report's frame (headings, labels)
    start: date | None = None          # first day included, in the community's time zone
    end: date | None = None            # last day included
    anonymise: bool = False
    highlights_only: bool = False
    forum_id: int | None = None        # one forum of the pair, or both
    question: int | None = None        # one guiding question (its position), or all
    theme: str | None = None           # one theme's posts (its code), or all
    paper: str = "a4"                  # the Word file's page size: "a4" or "letter"


@dataclass
class Author:
    label: str                          # a name, or "Participant 12"
    named: bool
    country: str | None                 # code, as the member shows it (None when hidden)
    institution: str | None
    sector: str | None
    number: int                         # order of first contribution in the export


@dataclass
class PostItem:
    id: int
    question: int | None                # position of the guiding question, None for other threads
    thread_title: str
    language: str
    author: Author
    created_at: datetime
    text: str                           # plain text of the sanitised post
    highlight: bool
    useful: int
    themes: list[str]                   # theme codes
    reply_to: int | None
    url: str
    source: str = ""                    # the post's Markdown, mentions replaced as in `text`


@dataclass
class ThemeGroup:
    code: str
    label: str
    posts: list[PostItem]               # every live post tagged with the theme, highlighted or not
    by_language: dict[str, int] = field(default_factory=dict)


@dataclass
class Quote:
    """A passage moderators chose to quote, ready to paste with its citation."""
    post_id: int
    question: int | None
    language: str
    theme: str | None                   # theme code
    theme_label: str | None
    text: str
    citation: str                       # "Participant 12, Chile, subnational government" or the name


@dataclass
class ThemeShare:
    """One theme of one question, in each forum language: posts and share of the question's posts."""
    code: str
    label: str
    posts: dict[str, int]
    shares: dict[str, float]
    gap: str | None = None              # "absent" or "stronger" in `gap_language`, else None
    gap_language: str | None = None


@dataclass
class QuestionSection:
    position: int
    titles: dict[str, str]              # language -> title of the question in that forum
    note: dict[str, str]                # language -> synthesis note (Markdown)
    highlights: list[PostItem]
    themes: list[ThemeGroup]
    remaining: list[PostItem]
    key_terms: dict[str, list[tuple[str, int]]]  # language -> (term, participants using it), automatic
    post_count: int
    posts_by_language: dict[str, int] = field(default_factory=dict)
    participants_by_language: dict[str, int] = field(default_factory=dict)
    comparison: list[ThemeShare] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)  # chosen by the moderators


@dataclass
class Statistics:
    participants: int
    posts: int
    participants_by_language: dict[str, int]
    posts_by_language: dict[str, int]
    by_country: list[tuple[str | None, int, int]]        # (country, participants, posts)
    by_sector: list[tuple[str | None, int, int]]
    by_gender: dict[str, int]                            # participants per bucket
    posts_per_week: list[tuple[date, dict[str, int]]]    # week starting on Monday -> posts per language
    most_useful: list[PostItem]


@dataclass
class WebinarFigures:
    title: str
    starts_at: datetime
    registered: dict[str, int]
    attended: dict[str, int]
    recording_url: str


@dataclass
class Report:
    schema_version: int
    title: str
    community: str
    timezone: str                       # the community's: dates in the report are its local dates
    language: str
    languages: list[str]
    forum_titles: dict[str, str]
    opens_at: datetime
    closes_at: datetime
    period: tuple[date | None, date | None]
    anonymised: bool
    highlights_only: bool
    generated_at: datetime
    concept_notes: dict[str, str]       # language -> concept note (Markdown)
    statistics: Statistics
    questions: list[QuestionSection]
    other_threads: list[PostItem]
    institutions: list[tuple[str | None, list[str]]]  # country -> institutions
    webinar: WebinarFigures | None
    left_out: dict[str, int] = field(default_factory=dict)  # what was not exported, and why
    consultations: list[tuple[str, list[list[str]]]] = field(default_factory=list)  # round title, results table
    question: int | None = None         # the one question exported, if only one
    theme: str | None = None            # the one theme exported, if only one
    findings: list[anonymity.Finding] = field(default_factory=list)  # what may still identify someone


def theme_label(theme: Theme, lang: str) -> str:
    return localized_in(theme, "label", lang)


def sort_key(text: str) -> str:
    """Alphabetical order for people of both languages: accents and case do not move a name."""
    folded = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))
