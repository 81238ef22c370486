"""Markdown to safe HTML: the only place bleach is called.

Posts are rendered once, on save; pages show the stored HTML.
"""
from __future__ import annotations

import re
import unicodedata
from html import unescape
import xml.etree.ElementTree as etree

import bleach
import markdown
from bleach.linkifier import LinkifyFilter
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

# Direction overrides and isolates can disguise text; our forums are in left-to-right languages.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "strong", "em", "b", "i", "del", "s", "sub", "sup",
    "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
})
def _allowed_a_attribute(tag, name, value):
    if name in ("href", "title", "rel"):
        return True
    return name == "class" and value == "mention"


ALLOWED_ATTRIBUTES = {
    "a": _allowed_a_attribute,
    "th": ["align"],
    "td": ["align"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "sane_lists"]


# "@handle", not inside a word, an email address or a URL path ("/@handle").
MENTION_RE = r"(?i)(?<![\w@./])@([a-z0-9_]{3,30})\b"
_MENTION_LINK = re.compile(r'<a class="mention" href="[^"]*/u/([a-z0-9_]+)"')
_BLOCKQUOTE = re.compile(r"<blockquote>.*?</blockquote>", re.DOTALL)


def mentioned_handles(source: str) -> set[str]:
    """Candidates written as @handle; the renderer decides which really are mentions."""
    return {h.lower() for h in re.findall(MENTION_RE, source or "")}


def rendered_mentions(html: str) -> set[str]:
    """The handles a rendered post mentions in its own words (not inside quotes of others)."""
    return set(_MENTION_LINK.findall(_BLOCKQUOTE.sub("", html or "")))


class _MentionProcessor(InlineProcessor):
    ANCESTOR_EXCLUDES = ("a",)  # never a mention inside a link's text

    def __init__(self, pattern, md, handles: set[str], profile_url):
        super().__init__(pattern, md)
        self.handles = handles
        self.profile_url = profile_url

    def handleMatch(self, m, data):
        handle = m.group(1).lower()
        if handle not in self.handles:
            return None, None, None
        el = etree.Element("a")
        el.set("href", self.profile_url(handle))
        el.set("class", "mention")
        el.text = f"@{handle}"
        return el, m.start(0), m.end(0)


class _MentionExtension(Extension):
    def __init__(self, handles, profile_url):
        super().__init__()
        self.handles = handles
        self.profile_url = profile_url

    def extendMarkdown(self, md):
        md.inlinePatterns.register(
            # After links (160) and autolinks (120), so URLs stay whole.
            _MentionProcessor(MENTION_RE, md, self.handles, self.profile_url), "mention", 100
        )


def _set_rel(attrs, new=False):
    attrs[(None, "rel")] = LINK_REL
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[lambda source: LinkifyFilter(source, callbacks=[_set_rel], skip_tags={"pre", "code"})],
)


def render(source: str, mentions: set[str] | None = None, profile_url=None) -> str:
    """Members' Markdown as sanitised HTML; headings start at h2 (h1 is the page's).

    `mentions` are the @handles that exist: they become links to profiles.
    """
    source = (source or "").translate(BIDI_CONTROLS)
    extensions = list(MARKDOWN_EXTENSIONS)
    if mentions:
        extensions.append(_MentionExtension(mentions, profile_url or (lambda h: f"/u/{h}")))
    html = markdown.markdown(source, extensions=extensions, output_format="html")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return _cleaner.clean(html)


def plain_text(html: str) -> str:
    """Text of sanitised HTML, for the search index and email excerpts."""
    text = bleach.clean(html.replace("</p>", "</p>\n"), tags=set(), strip=True)
    return re.sub(r"[ \t]+", " ", unescape(text)).strip()


_BLOCK_END = re.compile(r"</(p|li|blockquote|h[1-6]|pre|tr)>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def paragraph_text(html: str) -> str:
    """Text of HTML this module produced, paragraphs kept apart by blank lines, fast enough for
    thousands of posts. Only for our own sanitised HTML: bleach already made it well-formed."""
    text = unescape(_TAG.sub("", _BLOCK_END.sub("\n\n", html)))
    paragraphs = (" ".join(chunk.split()) for chunk in text.split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)


def excerpt(html: str, length: int = 200) -> str:
    text = " ".join(plain_text(html).split())
    return text if len(text) <= length else text[: length - 1].rsplit(" ", 1)[0] + "…"


def strip_invisible(text: str) -> str:
    """Drop control and format characters (zero-width spaces, bidi overrides) from a one-line text."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc"))


def visible_text(text: str) -> str:
    """Text without invisible characters (format controls, zero-width spaces, any whitespace)."""
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc"))


def has_visible_text(html: str) -> bool:
    return bool(visible_text(plain_text(html)))
