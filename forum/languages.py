"""Which interface languages the site offers: the LANGUAGES setting, limited to those with a catalog.

Spanish (BABEL_DEFAULT_LOCALE) is the default and must be among them. Adding a language is
`flask translate init LANG`, translating its catalog, then listing it in LANGUAGES.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

# Endonyms, as the language switcher shows them.
LANGUAGE_NAMES = {"es": "Español", "en": "English", "pt": "Português", "fr": "Français"}

# Language names inside sentences, in the UI language.
LANGUAGE_LABELS = {"es": _l("Spanish"), "en": _l("English"), "pt": _l("Portuguese"), "fr": _l("French")}


def parse_languages(value: str | Iterable[str]) -> tuple[str, ...]:
    """"es,en,pt" (the environment's form) or a sequence: lower-case codes, once each, in order."""
    codes = value.split(",") if isinstance(value, str) else value
    return tuple(dict.fromkeys(code.strip().lower() for code in codes if code.strip()))


def languages_with_catalog(languages: Iterable[str], directory: str | Path) -> tuple[str, ...]:
    """The languages that have a catalog: offering one without would show English under its name."""
    return tuple(code for code in languages if (Path(directory) / code / "LC_MESSAGES" / "messages.po").is_file())


def configure(app: Flask) -> None:
    """Turn LANGUAGES into the tuple of offered languages, once, when the app is created."""
    configured = parse_languages(app.config["LANGUAGES"])
    available = languages_with_catalog(configured, app.config["BABEL_TRANSLATION_DIRECTORIES"])
    if missing := [code for code in configured if code not in available]:
        app.logger.warning("LANGUAGES: no catalog in translations/ for %s (flask translate init LANG), "
                           "so not offered", ", ".join(missing))
    default = app.config["BABEL_DEFAULT_LOCALE"]
    if default not in available:
        raise RuntimeError(f"LANGUAGES must include {default}, the default language (see README, Configuration).")
    app.config["LANGUAGES"] = available


def interface_languages() -> dict[str, str]:
    """Code -> endonym of every language the site offers, in the configured order."""
    return {code: LANGUAGE_NAMES.get(code, code) for code in current_app.config["LANGUAGES"]}


def interface_language_choices() -> list:
    """The same as a form select's options (called when the form is built)."""
    from forum.choices import options

    return options(interface_languages().items())


def supported_locale(code: str | None) -> str:
    """`code` when the site offers it, else the default (Spanish): for emails, PDFs and calendars."""
    return code if code in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def site_languages() -> tuple[str, ...]:
    """The languages a forum group may have: the LANGUAGES setting, in its order."""
    return tuple(current_app.config["LANGUAGES"])
