"""Shortening derived text (email subjects, excerpts, file names, labels) to fit a bounded column.

A value the member typed is checked at the form, with a message; a value the app builds from
several such values (a subject quoting a 300-character title) can be longer than any of them,
so it is shortened here, on purpose, at a word boundary and with an ellipsis. One helper, used
everywhere, so a long title never costs anyone a reply on PostgreSQL.
"""
from __future__ import annotations

ELLIPSIS = "…"


def shorten(text: str | None, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """`text` if it fits in `limit` characters; else cut at the last space that leaves room for
    the ellipsis (or mid-word when a single word is longer than half the room)."""
    text = text or ""
    if len(text) <= limit:
        return text
    room = max(limit - len(ellipsis), 0)
    head = text[:room]
    if not (text[room:room + 1].isspace() or head[-1:].isspace()):  # mid-word: back to a space
        cut = head.rfind(" ")
        if cut >= room // 2:
            head = head[:cut]
    return head.rstrip(" ,;:.-–—") + ellipsis


def column_limit(column) -> int | None:
    """The length of a String(n) model attribute (`OutboxMessage.subject`), or None."""
    return getattr(getattr(column, "type", None), "length", None)


def fit(column, text: str | None) -> str | None:
    """`text` shortened to the length of a model's String(n) attribute; None stays None."""
    if text is None:
        return None
    limit = column_limit(column)
    return shorten(text, limit) if limit else text
