"""Members' Markdown as safe HTML: the only place Markdown is parsed and HTML sanitised.

markdown-it-py parses CommonMark (with tables, footnotes and bare links) in time linear in
its input; nh3 (Ammonia) then keeps only the allow-list below. Bodies are rendered once, on
save, and stored beside their source with RENDER_VERSION, so `flask --app forum markup
rerender` can bring older ones up to date. `parse()` gives the same parsed document to other
writers (the synthesis report), with the same extensions and mentions.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import cached_property
from html import escape, unescape

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import isLinkClose, isLinkOpen
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.footnote import footnote_plugin

# 1: Python-Markdown and bleach. 2: markdown-it-py and nh3, with footnotes. 3: table cells
# aligned by an `align-*` class instead of the obsolete `align` attribute (valid HTML5).
RENDER_VERSION = 3
# No field is longer (posts: POST_MAX_LENGTH; notes and newsletters: 100,000): a last guard.
MAX_SOURCE_LENGTH = 200_000

# Direction overrides and isolates can disguise text; our forums are in left-to-right languages.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "strong", "em", "b", "i", "del", "s", "sub", "sup",
    "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
    "section",  # the footnotes
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "id"}, "li": {"id"}}
# Table cells: alignment as a class (HTML5 made `align` obsolete; the CSP forbids `style`).
ALIGNMENTS = ("left", "center", "right")
ALLOWED_CLASSES = {
    "th": {f"align-{a}" for a in ALIGNMENTS}, "td": {f"align-{a}" for a in ALIGNMENTS},
    "a": {"mention", "footnote-backref"}, "sup": {"footnote-ref"}, "hr": {"footnotes-sep"},
    "section": {"footnotes"}, "ol": {"footnotes-list"}, "li": {"footnote-item"},
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

HANDLE = r"[a-z0-9_]{3,30}"  # what a handle is: accounts checks new ones against it
# "@handle", not inside a word, an email address or a URL path ("/@handle"). The one pattern.
MENTION_RE = re.compile(rf"(?i)(?<![\w@./])@({HANDLE})\b")
# A mention link in HTML this module wrote (either attribute order: older bodies had class first).
_MENTION_LINK = re.compile(rf'<a (?=[^>]*class="mention")[^>]*href="[^"]*/u/({HANDLE})"')
_BLOCKQUOTE = re.compile(r"<blockquote>.*?</blockquote>", re.DOTALL)
# A link a reader can follow elsewhere: not a mention, not a footnote's own anchors.
_OUTBOUND_LINK = re.compile(r'<a (?![^>]*class="(?:mention|footnote-backref)")[^>]*href="(?!#)')
# Footnote anchors: "fn-<document>-<n>" and "fnref-<document>-<n>[:<k>]", nothing else.
_FOOTNOTE_ID = re.compile(r"fn(?:ref)?-[0-9a-f]{8}-\d{1,4}(?::\d{1,4})?")


class SourceTooLong(ValueError):
    """A text longer than any field allows reached the renderer (fields refuse it earlier)."""


# --- parsing ----------------------------------------------------------------------------------

def _profile_path(handle: str) -> str:
    return f"/u/{handle}"


def _mark_mentions(state: StateCore) -> None:
    """Split "@handle" out of plain text into `mention` tokens (not in code or links), note
    which sit in quotes of others, demote h1 to h2 and turn table alignment into an `align-*` class."""
    quote_depth = 0
    for token in state.tokens:
        if token.type == "blockquote_open":
            quote_depth += 1
        elif token.type == "blockquote_close":
            quote_depth -= 1
        elif token.tag == "h1":
            token.tag = "h2"
        elif token.type == "inline" and token.children:
            token.children = _split_mentions(token.children, quoted=quote_depth > 0)
        if token.type in ("th_open", "td_open"):
            _style_to_align(token)


def _split_mentions(children: list[Token], quoted: bool) -> list[Token]:
    out: list[Token] = []
    link_depth = 0
    for child in children:
        if child.type == "link_open" or (child.type == "html_inline" and isLinkOpen(child.content)):
            link_depth += 1
        elif child.type == "link_close" or (child.type == "html_inline" and isLinkClose(child.content)):
            link_depth = max(link_depth - 1, 0)
        if child.type != "text" or link_depth or "@" not in child.content:
            out.append(child)
            continue
        position = 0
        for match in MENTION_RE.finditer(child.content):
            if match.start() > position:
                out.append(_text(child, child.content[position:match.start()]))
            mention = Token("mention", "", 0, content=match.group(0), level=child.level)
            mention.meta = {"handle": match.group(1).lower(), "quoted": quoted}
            out.append(mention)
            position = match.end()
        if position < len(child.content):
            out.append(_text(child, child.content[position:]))
    return out


def _text(like: Token, content: str) -> Token:
    return Token("text", "", 0, content=content, level=like.level)


def _style_to_align(token: Token) -> None:
    style = token.attrs.pop("style", None)
    if isinstance(style, str) and style.removeprefix("text-align:") in ALIGNMENTS:
        token.attrs["class"] = "align-" + style.removeprefix("text-align:")


def cell_alignment(attrs) -> str:
    """"left", "center", "right" or "" for a table cell's parsed attributes (the report writers)."""
    value = str(attrs.get("class", ""))
    return value.removeprefix("align-") if value.removeprefix("align-") in ALIGNMENTS else ""


def _render_mention(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    handle = token.meta["handle"]
    if handle not in env.get("mentions", ()):
        return escape(token.content)
    href = env.get("profile_url", _profile_path)(handle)
    return f'<a href="{escape(href)}" class="mention">@{escape(handle)}</a>'


MAX_NESTING = 20  # markdown-it's limit for CommonMark: quotes and lists deeper than this are flattened
_DEEPEST = MAX_NESTING - 4  # room for a list and its item to open before the limit


def _flatten_when_too_deep(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Past the nesting limit markdown-it would drop the rest of the text: keep it, as a
    plain paragraph at the deepest level (markers and all)."""
    if state.level < _DEEPEST or silent:
        return False
    line = start + 1
    while line < end and not state.isEmpty(line):  # as a paragraph: lazy lines continue it
        line += 1
    state.push("paragraph_open", "p", 1).map = [start, line]
    inline = state.push("inline", "", 0)
    inline.content, inline.map, inline.children = state.getLines(start, line, state.blkIndent, False).strip(), [start, line], []
    state.push("paragraph_close", "p", -1)
    state.line = line
    return True


def _build_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"linkify": True, "html": True, "typographer": False,
                                       "xhtmlOut": False, "maxNesting": MAX_NESTING})
    parser.block.ruler.before("table", "flatten_when_too_deep", _flatten_when_too_deep)
    parser.enable(["table", "linkify"])
    # Raw HTML only inline: a line that starts with a tag ("<script>…", "<div>") would
    # otherwise end Markdown until the next blank line; the sanitiser removes the tags anyway.
    parser.disable("html_block")
    # Every link is parsed as one; the sanitiser drops hrefs outside ALLOWED_PROTOCOLS, so
    # "[click](javascript:…)" reads "click", as it did, rather than its raw source.
    parser.validateLink = lambda url: True
    parser.linkify.set({"fuzzy_email": False})  # an address in the text stays text, as before
    parser.use(footnote_plugin, inline=False)
    parser.core.ruler.push("forum_mentions", _mark_mentions)
    parser.add_render_rule("mention", _render_mention)
    return parser


_parser = _build_parser()


@dataclass(frozen=True)
class Rendered:
    """One render of a body: the sanitised HTML and what the save needs to know about it."""

    html: str
    mentions: frozenset[str]  # handles linked in the author's own words (not in quotes of others)
    version: int = RENDER_VERSION

    @cached_property
    def text(self) -> str:
        return plain_text(self.html)

    @property
    def has_visible_text(self) -> bool:
        return bool(visible_text(self.text))

    @property
    def links(self) -> int:
        """Links that lead elsewhere (mentions and footnote anchors are not counted)."""
        return len(_OUTBOUND_LINK.findall(self.html))


@dataclass
class Document:
    """A parsed body: markdown-it tokens, with `mention` tokens (meta: handle, quoted).

    Raw HTML stays in `html_inline` and `html_block` tokens, unsanitised: a writer other
    than `render` must skip them (as the sanitiser would drop all but the allow-list)."""

    source: str
    tokens: list[Token]
    env: dict = field(default_factory=dict)

    @property
    def mention_candidates(self) -> set[str]:
        """Every @handle written outside code and links: which exist is for the caller to say."""
        return {t.meta["handle"] for t in _inline_tokens(self.tokens) if t.type == "mention"}

    def tree(self) -> SyntaxTreeNode:
        return SyntaxTreeNode(self.tokens)

    def render(self, mentions: Collection[str] = (), profile_url: Callable[[str], str] | None = None) -> Rendered:
        """Sanitised HTML; `mentions` are the handles that exist: they link to `profile_url`."""
        known = frozenset(mentions)
        env = dict(self.env, mentions=known, profile_url=profile_url or _profile_path,
                   docId=hashlib.blake2s(self.source.encode(), digest_size=4).hexdigest())
        html = _cleaner.clean(_parser.renderer.render(self.tokens, _parser.options, env))
        linked = {t.meta["handle"] for t in _inline_tokens(self.tokens)
                  if t.type == "mention" and not t.meta["quoted"] and t.meta["handle"] in known}
        return Rendered(html=html, mentions=frozenset(linked))


def _inline_tokens(tokens: list[Token]):
    for token in tokens:
        if token.children:
            yield from token.children


def parse(source: str | None) -> Document:
    """The parsed document of a body, as every page and report sees it."""
    source = (source or "").translate(BIDI_CONTROLS)
    if len(source) > MAX_SOURCE_LENGTH:
        raise SourceTooLong(f"{len(source)} characters; at most {MAX_SOURCE_LENGTH}")
    env: dict = {}
    return Document(source=source, tokens=_parser.parse(source, env), env=env)


def render(source: str | None, mentions: Collection[str] | None = None,
           profile_url: Callable[[str], str] | None = None) -> str:
    """Members' Markdown as sanitised HTML; headings start at h2 (h1 is the page's).

    `mentions` are the @handles that exist: they become links to profiles.
    """
    return parse(source).render(mentions or (), profile_url).html


# --- what a save stores -----------------------------------------------------------------------

_BOOKMARK = re.compile(r"\[bookmark:[^\[\]\n]*\]")  # no bracket inside: each try stops at the next one
_FOOTNOTE_REF = re.compile(r"\[footnoteRef:\s*(\d{1,4})\]")
_FOOTNOTE_TEXT = re.compile(r"\[(\d{1,4}):")


def clean_source(text: str | None) -> str:
    """The Markdown a save stores: Unix line ends, no direction controls, and no debris of a
    Word paste (`[bookmark: _GoBack]`; `[footnoteRef:1]` … `[1: text]` become Markdown footnotes)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").translate(BIDI_CONTROLS)
    text = _BOOKMARK.sub("", text)
    if "[footnoteRef:" not in text:
        return text
    numbers = set(_FOOTNOTE_REF.findall(text))
    text = _FOOTNOTE_REF.sub(lambda m: f"[^{m.group(1)}]", text)
    return _move_footnote_texts(text, {str(int(n)) for n in numbers})


def _move_footnote_texts(text: str, numbers: set[str]) -> str:
    """Word leaves each footnote's text as "[1: …]" inside the paragraph; Markdown wants
    "[^1]: …" on a line of its own. Brackets are matched once, with a stack: linear."""
    closing = _matching_brackets(text)
    kept, notes, position = [], [], 0
    for match in _FOOTNOTE_TEXT.finditer(text):
        number, start = str(int(match.group(1))), match.start()
        end = closing.get(start)
        if start < position or number not in numbers or end is None:
            continue
        kept.append(text[position:start].rstrip(" "))
        notes.append(f"[^{number}]: {' '.join(text[match.end():end].split())}")
        position = end + 1
    kept.append(text[position:])
    body = "".join(kept).rstrip()
    return body + "\n\n" + "\n".join(notes) if notes else body


def _matching_brackets(text: str) -> dict[int, int]:
    """Position of each "[" → its "]", within a paragraph (a blank line closes them all)."""
    pairs, stack = {}, []
    for index, char in enumerate(text):
        if char == "[":
            stack.append(index)
        elif char == "]" and stack:
            pairs[stack.pop()] = index
        elif char == "\n" and text.startswith("\n\n", index):
            stack.clear()
    return pairs


# --- sanitising -------------------------------------------------------------------------------

def _keep_attribute(tag: str, name: str, value: str) -> str | None:
    """Footnote anchors keep their ids and in-page links, and only those."""
    if name == "id":
        return value if _FOOTNOTE_ID.fullmatch(value) else None
    if name == "href" and value.startswith("#"):
        return value if _FOOTNOTE_ID.fullmatch(value[1:]) else None
    return value


_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS), attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
    allowed_classes=ALLOWED_CLASSES, attribute_filter=_keep_attribute,
    url_schemes=set(ALLOWED_PROTOCOLS), link_rel=LINK_REL, strip_comments=True,
)
_text_only = nh3.Cleaner(tags=set(), attributes={}, link_rel=None)


# --- text out of sanitised HTML ---------------------------------------------------------------

def rendered_mentions(html: str) -> set[str]:
    """The handles a rendered post mentions in its own words (not inside quotes of others)."""
    return set(_MENTION_LINK.findall(_BLOCKQUOTE.sub("", html or "")))


def plain_text(html: str) -> str:
    """Text of sanitised HTML, for the search index and email excerpts."""
    text = _text_only.clean(html.replace("</p>", "</p>\n"))
    return re.sub(r"[ \t]+", " ", unescape(text)).strip()


_BLOCK_END = re.compile(r"</(p|li|blockquote|h[1-6]|pre|tr)>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def paragraph_text(html: str) -> str:
    """Text of HTML this module produced, paragraphs kept apart by blank lines, fast enough for
    thousands of posts. Only for our own sanitised HTML: the sanitiser made it well-formed."""
    text = unescape(_TAG.sub("", _BLOCK_END.sub("\n\n", html)))
    paragraphs = (" ".join(chunk.split()) for chunk in text.split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)


def excerpt(html: str, length: int = 200) -> str:
    from forum.text import shorten

    return shorten(" ".join(plain_text(html).split()), length)


def strip_invisible(text: str) -> str:
    """Drop control and format characters (zero-width spaces, bidi overrides) from a one-line text."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc"))


def visible_text(text: str) -> str:
    """Text without invisible characters (format controls, zero-width spaces, any whitespace)."""
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc"))


def has_visible_text(html: str) -> bool:
    return bool(visible_text(plain_text(html)))
