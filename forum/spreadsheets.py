"""Spreadsheets people upload (member lists, Zoom and Teams attendance reports): bytes to text,
and the folded form headers and values are compared in. Shared by the importers, below them."""
from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lowercase, no accents, single spaces: how headers and values are compared."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.casefold().replace("_", " ").split())


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) if it is; UTF-16 with its BOM; otherwise Latin-1 (Windows-1252)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")
