"""Translatable texts: one JSON column per field, {"es": ..., "en": ..., "pt": ...}.

Adding a language is data, not schema: a community's name in Portuguese is one more key.
`text_in` is the one way to read such a text (the language asked for, else the first
language that has it). The per-language attributes (`name_es`, `name_en`) read and write one
key and work in SQL too (`col["es"].as_string()`), so filters and ORDER BYs written for the
old column pairs still run on SQLite and PostgreSQL.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import mapped_column

TRANSLATIONS = JSON().with_variant(JSONB(), "postgresql")
# The languages a text falls back to, in order, when the one asked for is empty.
FALLBACK = ("es", "en")


def translated_column(field: str, max_length: int | None = None):
    """The JSON column `field` holding a text per language; mapped as `<field>_texts`. Each text is
    checked at flush like a String(max_length) column was (forum.database)."""
    return mapped_column(field, TRANSLATIONS, nullable=False, default=dict,
                         info={"translated": True, "max_length": max_length})


def texts_of(obj, field: str) -> dict[str, str]:
    """All of a field's languages, as stored."""
    return dict(getattr(obj, f"{field}_texts", None) or {})


def pick(texts: dict[str, str] | None, lang: str, fallback: Iterable[str] = FALLBACK) -> str:
    """The text in `lang`, else in the first fallback language that has one, else any."""
    texts = texts or {}
    for code in (lang, *fallback):
        if texts.get(code):
            return texts[code]
    return next((value for value in texts.values() if value), "")


def language_view(field: str, lang: str) -> hybrid_property:
    """`<field>_<lang>`: one language of a translatable field, readable, writable and queryable."""
    attr = f"{field}_texts"

    def fget(self) -> str:
        return (getattr(self, attr) or {}).get(lang) or ""

    def fset(self, value: str | None) -> None:
        setattr(self, attr, {**(getattr(self, attr) or {}), lang: value or ""})

    def expr(cls):
        return getattr(cls, attr)[lang].as_string()

    return hybrid_property(fget, fset, expr=expr)
