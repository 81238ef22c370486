"""A forum group's codebook: themes typed one per line ("code | label in each language |
description"), checked, saved and written back the same way."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from forum.errors import ValidationErrors
from forum.extensions import db
from forum.languages import site_languages
from forum.models import (
    AssistSuggestion,
    ForumPair,
    Theme,
)
from forum.models.translated import texts_of

THEME_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
THEME_LABEL_MAX = 120


def parse_themes(text: str, languages: tuple[str, ...] = ("es", "en")) -> list[tuple[str, ...]]:
    """Codebook lines "code | etiqueta | label", a label per language of the group (or only the
    labels, the code made from the English one, else the last), optionally followed by a description
    per language: (code, label per language..., description per language...).

    A typed code is kept exactly as typed, so the codes in exported files match the organizer's own
    codebook; one that cannot be kept is refused, never silently changed."""
    themes, seen, n = [], set(), len(languages)
    for number, line in enumerate((text or "").splitlines(), start=1):
        parts = [p.strip() for p in line.split("|")]
        if not any(parts):
            continue
        if len(parts) == n:
            named = parts[languages.index("en") if "en" in languages else -1]
            parts = [re.sub(r"[^a-z0-9]+", "-", named.lower()).strip("-")[:40], *parts]
        parts += [""] * (1 + 2 * n - len(parts)) if 1 + n <= len(parts) < 1 + 2 * n else []
        if len(parts) != 1 + 2 * n or not all(parts[:1 + n]):
            raise ValidationErrors({"themes": _l("Line %(n)d of the codebook: write “code | Spanish label | "
                                                 "English label”.", n=number)})
        code = parts[0]
        if not THEME_CODE.match(code):
            raise ValidationErrors({"themes": _l(
                "Line %(n)d of the codebook: a code has up to 40 letters without accents, digits, “_”, “-” or "
                "“.”, and no spaces.", n=number)})
        if max(len(label) for label in parts[1:1 + n]) > THEME_LABEL_MAX:
            raise ValidationErrors({"themes": _l("Line %(n)d of the codebook: a label has at most %(max)d "
                                                 "characters.", n=number, max=THEME_LABEL_MAX)})
        if code.casefold() in seen:
            raise ValidationErrors({"themes": _l("Line %(n)d of the codebook repeats a code.", n=number)})
        seen.add(code.casefold())
        themes.append(tuple(parts))
    return themes


def codebook_line(theme: Theme, languages: tuple[str, ...] = ("es", "en")) -> str:
    """A theme as the organizer typed it; the descriptions only when there are some."""
    labels, descriptions = texts_of(theme, "label"), texts_of(theme, "description")
    parts = [theme.code] + [labels.get(lang) or "" for lang in languages]
    if any(descriptions.get(lang) for lang in languages):
        parts += [descriptions.get(lang) or "" for lang in languages]
    return " | ".join(parts)


def codebook_languages(languages) -> tuple[str, ...]:
    """The languages of a group's theme labels: its forums' languages; a single forum's codebook
    has every site language, ready for the forums it may be joined with."""
    chosen = tuple(lang for lang in site_languages() if lang in languages)
    return chosen if len(chosen) > 1 else site_languages()


def save_themes(pair: ForumPair, themes: list[tuple[str, ...]], languages: tuple[str, ...]) -> None:
    existing = {t.code: t for t in pair.themes}
    n = len(languages)
    for position, (code, *texts) in enumerate(themes):
        theme = existing.pop(code, None)
        if theme is None:
            theme = Theme(code=code)
            pair.themes.append(theme)
        theme.position = position
        # Languages the group does not have keep their texts (a single forum joined later finds them).
        theme.label_texts = {**texts_of(theme, "label"), **dict(zip(languages, texts[:n], strict=True))}
        theme.description_texts = {**texts_of(theme, "description"), **dict(zip(languages, texts[n:], strict=True))}
    removed = [theme.id for theme in existing.values() if theme.id]
    if removed:  # suggestions of a theme that is gone
        db.session.execute(delete(AssistSuggestion).where(AssistSuggestion.theme_id.in_(removed)))
    for theme in existing.values():
        pair.themes.remove(theme)
