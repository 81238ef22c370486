"""What every writer of the report shares: dates, language names, citation labels, and each
post's parsed document (parsed once per export, whichever writers read it)."""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

from flask_babel import force_locale

from forum.i18n import country_name, sector_label
from forum.markup import Document, parse
from forum.services.synthesis import Author, PostItem

LANGUAGE_NAMES = {"es": {"es": "español", "en": "inglés"}, "en": {"es": "Spanish", "en": "English"}}
LANGUAGE_TAGS = {"es": "es-ES", "en": "en-US"}


def day(value: datetime | date | None, lang: str, zone: str | None = None) -> str:
    """A long date in the report's language; moments as the community's local day."""
    import zoneinfo

    from babel.dates import format_date

    if value is None:
        return ""
    if isinstance(value, datetime) and zone:
        value = value.astimezone(zoneinfo.ZoneInfo(zone))
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


@lru_cache(maxsize=8192)
def _parsed(source: str) -> Document:
    return parse(source)


def parsed_markdown(text: str | None) -> Document:
    """Organizers' Markdown (concept and synthesis notes), parsed as the web page parses it."""
    return _parsed(text or "")


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
