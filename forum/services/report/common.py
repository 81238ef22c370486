"""What every writer of the report shares: dates, language names, citation labels, and each
post's parsed document (parsed once per export, whichever writers read it)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from babel import Locale
from flask_babel import force_locale, gettext

from forum.i18n import country_name, sector_label
from forum.markup import Document, parse
from forum.services.synthesis_model import Author, PostItem
from forum.timezones import to_local

# Word's proofing language per forum language; any other language is tagged by its code alone.
LANGUAGE_TAGS = {"es": "es-ES", "en": "en-US", "pt": "pt-BR", "fr": "fr-FR"}


@lru_cache(maxsize=8)
def language_names(lang: str) -> dict[str, str]:
    """Every language's name in `lang`, as a sentence says it ("inglés", "English"): from Babel,
    so a forum in a new language needs no entry here."""
    return dict(Locale.parse(lang).languages)


def language_tag(lang: str) -> str:
    return LANGUAGE_TAGS.get(lang, lang)


def day(value: datetime | date | None, lang: str, zone: str | None = None) -> str:
    """A long date in the report's language; moments as the community's local day."""
    from babel.dates import format_date

    if value is None:
        return ""
    if isinstance(value, datetime) and zone:
        value = to_local(value, zone)
    return format_date(value, "long", locale=lang)


def citation(author: Author, lang: str) -> str:
    """“Participant 12, Chile, subnational government”, or the name: the label to paste after a quote."""
    with force_locale(lang):
        details = [country_name(author.country) if author.country else None,
                   author.institution if author.named else (_lower_first(sector_label(author.sector))
                                                            if author.sector else None)]
    return ", ".join([author.label] + [d for d in details if d])


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if not text[:2].isupper() else text


def anchor(post_id: int) -> str:
    """The anchor of a post in the appendix: a Word bookmark name and a Markdown id at once."""
    return f"post_{post_id}"


# What could make a text more than paragraphs of words: Markdown's punctuation, spacing other
# than single spaces, direction controls, a line's first character (lists, quotes, headings),
# and anything linkify could take for an address ("a.b", "://", "www.", "@"). Simple patterns,
# searched separately: one alternation of them all is several times slower.
_MARKUP_CHARS = re.compile("[\\\\`*_\\[\\]<>#|&~@^\t\r\f\v\x00\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f"
                           "\u205f\u3000\u202a-\u202e\u2066-\u2069]")
_HOST = re.compile(r"\.[^\W\d_]")  # a dot then a letter: "ejemplo.org" (not "fin. Otra", not "2.500")
_LINE_START = re.compile(r"(?:^|\n)(?: |[-+=]|\d{1,9}[.)])")


def is_plain(source: str) -> bool:
    if _MARKUP_CHARS.search(source) or _LINE_START.match(source) or " \n" in source or source.endswith(" "):
        return False
    if "\n" in source and _LINE_START.search(source):
        return False
    if any(m.start() and source[m.start() - 1].isalnum() for m in _HOST.finditer(source)):
        return False
    low = source.lower()
    return "://" not in low and "www." not in low and "mailto:" not in low


@lru_cache(maxsize=8192)
def _parsed(source: str) -> Document:
    return _plain(source) if is_plain(source) else parse(source)


def _plain(source: str) -> Document:
    """The document markdown-it gives for paragraphs of plain words (paragraph, inline with text
    and soft breaks), built directly: most posts are just that, and markdown-it's address
    detection costs a millisecond a post. tests/test_report_files.py checks they are the same."""
    from markdown_it.token import Token

    tokens: list[Token] = []
    lines = source.split("\n")
    start = 0
    while start < len(lines):
        if not lines[start]:
            start += 1
            continue
        end = start
        while end < len(lines) and lines[end]:
            end += 1
        opening = Token("paragraph_open", "p", 1, map=[start, end], block=True)
        content = "\n".join(lines[start:end])
        inline = Token("inline", "", 0, map=[start, end], content=content, level=1, block=True, children=[])
        for n, line in enumerate(lines[start:end]):
            if n:
                inline.children.append(Token("softbreak", "br", 0, level=0))
            inline.children.append(Token("text", "", 0, content=line, level=0))
        tokens += [opening, inline, Token("paragraph_close", "p", -1, block=True)]
        start = end
    return Document(source=source, tokens=tokens, env={})


@lru_cache(maxsize=8192)
def _tree(source: str):
    return _parsed(source).tree()


def tree_of(item: PostItem):
    """The post's document as a tree (built once per export, read by every writer and the quotes)."""
    return _tree(item.source or item.text.replace("\\", "\\\\"))


def markdown_tree(text: str | None):
    """Organizers' Markdown (concept and synthesis notes) as a tree."""
    return _tree(text or "")


def document_of(item: PostItem) -> Document:
    """The post's parsed Markdown, as the web page renders it (older items without a source: its text)."""
    return _parsed(item.source or item.text.replace("\\", "\\\\"))


_XML_INVALID = re.compile("[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def xml_safe(text: str) -> str:
    """XML 1.0 refuses control characters, U+FFFE/U+FFFF and lone surrogates; a post could carry any."""
    return _XML_INVALID.sub("", text)


def inline_text(node) -> str:
    """The words of an inline node (text, code, mentions, link texts), as a reader sees them."""
    parts: list[str] = []
    skipping = None
    for child in node.walk():
        kind = child.type
        if kind == "html_inline":
            opening = re.match(r"<(script|style)\b", child.content, re.IGNORECASE)
            if opening:
                skipping = opening.group(1).lower()
            elif skipping and child.content.lower().startswith(f"</{skipping}"):
                skipping = None
        elif skipping:
            continue
        elif kind in ("text", "code_inline", "mention"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


# A chapter's pieces, shared by the outline and the chapters it calls (statistics), and read by
# every writer.
@dataclass
class Block:
    kind: str          # title, subtitle, toc, heading, paragraph, note, markdown, table, chart, quote,
    #                    reference, post, bullets, page_break
    text: str = ""
    level: int = 1
    rows: list | None = None        # table: header row first; bullets: items
    meta: str = ""                  # post: the attribution line; quote: the citation; chart: its key
    item: PostItem | None = None    # post: the post itself (its source is parsed by the writer)
    target: str = ""                # quote, reference, post reply: the anchor of the post it points to
    language: str = ""              # the language of the text, when it is a participant's
    notes: list[str] = field(default_factory=list)  # post: lines under the attribution (reply, themes)


def gender_labels() -> list[str]:
    return [gettext("Women"), gettext("Men"), gettext("Other"), gettext("Not stated")]
