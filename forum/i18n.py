"""Locale and time-zone selection, and the formatting helpers templates use.

UI language order (DESIGN.md): explicit choice (the `lang` cookie set by the
switcher) > the member's preference > Accept-Language > Spanish.
"""
from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from functools import lru_cache

import pycountry
from babel import Locale
from babel.dates import get_timezone_location
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import (
    format_date,
    format_decimal,
    format_number,
    format_percent,
    format_time,
    get_locale,
    get_timezone,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from forum.extensions import babel
from forum.languages import LANGUAGE_LABELS, configure, interface_languages
from forum.models.translated import pick, texts_of
from forum.timezones import to_local

LANG_COOKIE = "lang"

# ECLAC's 33 member states of Latin America and the Caribbean, then the
# Caribbean associate members: listed first in every country choice.
LAC_COUNTRIES = (
    "AG", "AR", "BS", "BB", "BZ", "BO", "BR", "CL", "CO", "CR", "CU", "DM", "DO",
    "EC", "SV", "GD", "GT", "GY", "HT", "HN", "JM", "MX", "NI", "PA", "PY", "PE",
    "KN", "LC", "VC", "SR", "TT", "UY", "VE",
    "AI", "AW", "BM", "VG", "KY", "CW", "GP", "MQ", "MS", "PR", "SX", "TC", "VI", "GF",
)

SECTOR_LABELS = {
    "national_government": _l("National government"),
    "subnational_government": _l("Subnational government"),
    "academia": _l("Academia"),
    "civil_society": _l("Civil society"),
    "private_sector": _l("Private sector"),
    "international_organization": _l("International organization"),
    "other": _l("Other"),
}
GENDER_LABELS = {
    "woman": _l("Woman"),
    "man": _l("Man"),
    "other": _l("Other"),
    "prefer_not_to_say": _l("Prefer not to say"),
}

FLAG_REASON_LABELS = {
    "off_topic": _l("Off topic"),
    "inappropriate": _l("Inappropriate"),
    "spam": _l("Spam"),
    "other": _l("Other"),
}
ACTION_LABELS = {
    "approve_post": _l("approved a post"), "reject_post": _l("did not publish a post"),
    "hide_post": _l("hid a post"), "auto_hide_post": _l("post hidden by members' flags"),
    "restore_post": _l("restored a post"), "edit_post": _l("edited a post"),
    "resolve_flags_keep": _l("kept a flagged post"), "resolve_flags_hide": _l("hid a flagged post"),
    "resolve_flags_edit": _l("edited a flagged post"),
    "lock_thread": _l("locked a thread"), "unlock_thread": _l("unlocked a thread"),
    "pin_thread": _l("pinned a thread"), "unpin_thread": _l("unpinned a thread"),
    "move_thread": _l("moved a thread"), "open_forum": _l("opened a forum early"),
    "close_forum": _l("closed a forum early"), "extend_forum": _l("changed a forum's closing date"),
    "warn_user": _l("warned a member"), "suspend_user": _l("suspended a member"),
    "lift_suspension": _l("lifted a suspension"), "highlight_post": _l("marked a highlight"),
    "choose_quote": _l("chose a quote for the report"), "add_theme": _l("added a theme to the codebook"), "remove_quote": _l("removed a quote from the report"),
    "unhighlight_post": _l("removed a highlight"), "tag_post": _l("tagged a post"),
    "write_synthesis_note": _l("wrote a synthesis note"),
    "independent_coding_on": _l("started independent coding"),
    "independent_coding_off": _l("ended independent coding"),
}

RESOLUTION_LABELS = {
    "keep": _l("the post stays as it is"),
    "hide": _l("the post is hidden"),
    "edit": _l("the post was edited"),
}

NEWSLETTER_STATUS_LABELS = {"draft": _l("Draft"), "scheduled": _l("Scheduled"), "sending": _l("Sending"),
                            "sent": _l("Sent")}

# Outbox message states, as organizers and admins read them.
OUTBOX_STATUS_LABELS = {"queued": _l("Waiting"), "sending": _l("Sending"), "sent": _l("Delivered"),
                        "failed": _l("Failed"), "unknown": _l("Outcome unknown"), "resent": _l("Resent")}

ROLE_LABELS = {
    "member": _l("member"),
    "moderator": _l("moderator"),
    "organizer": _l("organizer"),
}


def language_label(code: str) -> str:
    """A language's name inside a sentence, in the UI language: ours for Spanish and English,
    Babel's for any other language a forum group may have ("portugués")."""
    if code in LANGUAGE_LABELS:
        return str(LANGUAGE_LABELS[code])
    try:
        return Locale.parse(locale_code()).languages.get(code, code)
    except (ValueError, LookupError):
        return code


def role_label(code: str | None) -> str:
    return str(ROLE_LABELS.get(code, "")) if code else ""


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs: the site default
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    if g.get("recipient_locale") in languages:  # pages opened from an email, without signing in
        return g.recipient_locale
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Viewer's profile, else the community being viewed, else the site default."""
    if not has_request_context():
        return current_app.config["DEFAULT_TIMEZONE"]
    if current_user and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    community_tz = g.get("community_timezone")
    if community_tz:
        return community_tz
    return current_app.config["DEFAULT_TIMEZONE"]


def locale_code() -> str:
    return str(get_locale() or "es")


def format_dt(value: datetime | None, fmt: str = "medium") -> str:
    """A UTC datetime in the viewer's time zone and language, without seconds.

    `fmt` is the length of the date part (short / medium / long / full);
    the time is always hours and minutes.
    """
    if value is None:
        return ""
    locale = get_locale()
    date_part = format_date(value.astimezone(get_timezone()), fmt)
    time_part = format_time(value, "short")
    return locale.datetime_formats[fmt].format(time_part, date_part)


def format_local(value: datetime | None, lang: str) -> str:
    """A naive local date and time (already in the right zone), in a given language."""
    if value is None:
        return ""
    from babel.dates import format_date as babel_date
    from babel.dates import format_time as babel_time

    locale = Locale.parse(lang)
    return locale.datetime_formats["long"].format(babel_time(value.time(), "short", locale=locale),
                                                  babel_date(value.date(), "long", locale=locale))


def format_local_input(value: datetime | None, community) -> str:
    """A UTC moment as a datetime-local input's value, in the community's time zone."""
    if value is None:
        return ""

    return to_local(value, community.timezone).strftime("%Y-%m-%dT%H:%M")


def format_local_day(value: datetime | None, lang: str) -> str:
    from babel.dates import format_date as babel_date

    return babel_date(value.date(), "long", locale=lang) if value else ""


def format_day(value: datetime | None, fmt: str = "long") -> str:
    return format_date(value.astimezone(get_timezone()), fmt) if value else ""


def iso_dt(value: datetime | None) -> str:
    """A valid HTML `datetime` value: UTC, to the second ("2026-11-30T17:33:05Z")."""
    if not value:
        return ""
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=4)
def _country_names(locale: str) -> dict[str, str]:
    territories = Locale.parse(locale).territories
    return {
        c.alpha_2: territories.get(c.alpha_2, c.name)
        for c in pycountry.countries
    }


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return _country_names(locale_code()).get(code, code)


def is_country(code: str | None) -> bool:
    return bool(code) and code in _country_names("en")


def country_choices(locale: str | None = None) -> list[tuple[str, str]]:
    """All countries, Latin America and the Caribbean first, in the UI language."""
    lac, rest = _country_groups(locale or locale_code())
    return lac + rest


def country_groups(locale: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """The same, as two labelled groups for a <select> with optgroups."""
    lac, rest = _country_groups(locale or locale_code())
    return {str(_l("Latin America and the Caribbean")): lac, str(_l("Other countries")): rest}


def _country_groups(locale: str) -> tuple[list, list]:
    names = _country_names(locale)
    lac = sorted(((c, names[c]) for c in LAC_COUNTRIES if c in names), key=lambda x: _sort_key(x[1]))
    rest = sorted(
        ((c, n) for c, n in names.items() if c not in LAC_COUNTRIES), key=lambda x: _sort_key(x[1])
    )
    return lac, rest


def _sort_key(name: str) -> str:
    import unicodedata

    return "".join(
        ch for ch in unicodedata.normalize("NFKD", name.casefold()) if not unicodedata.combining(ch)
    )


# Time zones of Latin America and the Caribbean, listed first in profile forms.
LAC_TIMEZONES = (
    "America/Mexico_City", "America/Cancun", "America/Monterrey", "America/Tijuana",
    "America/Guatemala", "America/Belize", "America/El_Salvador", "America/Tegucigalpa",
    "America/Managua", "America/Costa_Rica", "America/Panama", "America/Havana",
    "America/Jamaica", "America/Port-au-Prince", "America/Santo_Domingo", "America/Puerto_Rico",
    "America/Nassau", "America/Barbados", "America/Port_of_Spain", "America/Martinique",
    "America/Guadeloupe", "America/Curacao", "America/Aruba", "America/St_Lucia",
    "America/St_Vincent", "America/Grenada", "America/Dominica", "America/Antigua",
    "America/St_Kitts", "America/Bogota", "America/Caracas", "America/Guyana",
    "America/Paramaribo", "America/Cayenne", "America/Guayaquil", "Pacific/Galapagos",
    "America/Lima", "America/La_Paz", "America/Santiago", "America/Punta_Arenas",
    "Pacific/Easter", "America/Argentina/Buenos_Aires", "America/Argentina/Cordoba",
    "America/Asuncion", "America/Montevideo", "America/Sao_Paulo", "America/Manaus",
    "America/Fortaleza", "America/Recife", "America/Belem", "America/Cuiaba",
    "America/Rio_Branco", "America/Noronha",
)
_CANONICAL_AREAS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/",
                    "Europe/", "Indian/", "Pacific/")


@lru_cache(maxsize=1)
def timezone_names() -> list[str]:
    """The zones people may choose: the region's first, then every canonical Area/City zone."""
    available = zoneinfo.available_timezones()
    lac = [z for z in LAC_TIMEZONES if z in available]
    rest = sorted(z for z in available if z.startswith(_CANONICAL_AREAS) and z not in lac)
    return lac + rest + ["UTC"]


def timezone_label(name: str, locale: str | None = None) -> str:
    """A zone as people say it: "hora de Chile (Santiago de Chile)"."""
    try:
        return get_timezone_location(name, locale=locale or locale_code())
    except (LookupError, ValueError):
        return name.replace("_", " ")


@lru_cache(maxsize=4)
def timezone_choices(locale: str) -> dict[str, list[tuple[str, str]]]:
    names = timezone_names()
    lac = set(LAC_TIMEZONES)
    labelled = [(z, f"{timezone_label(z, locale)} · {z.replace('_', ' ')}") for z in names]
    return {
        str(_l("Latin America and the Caribbean")): [z for z in labelled if z[0] in lac],
        str(_l("Other time zones")): [z for z in labelled if z[0] not in lac],
    }


def is_timezone(name: str | None) -> bool:
    return bool(name) and name in _timezone_set()


@lru_cache(maxsize=1)
def _timezone_set() -> frozenset[str]:
    return frozenset(timezone_names())


def sector_label(code: str | None) -> str:
    return str(SECTOR_LABELS.get(code, "")) if code else ""


def file_size(n: int | None) -> str:
    """A byte count as people read it, in the UI language (Babel's number format)."""
    if not n:
        return ""
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= size:
            return f"{format_decimal(round(n / size, 1))} {unit}"
    return f"{n} B"


def format_kappa(value: float | None) -> str:
    """A kappa with two decimals in the reader's locale (0,67 / 0.67); a dash when undefined."""
    return "—" if value is None else format_decimal(value, format="0.00")


def format_share(value: float | None) -> str:
    """A share as a whole percentage in the reader's locale; a dash when there is nothing to share."""
    return "—" if value is None else format_percent(value, format="#,##0 %")


def display_name(user) -> str:
    """A member's name, or "Former member" once the account is deleted."""
    if user is None or user.deleted_at is not None:
        return str(_l("Former member"))
    return user.display_name


def format_iso_day(value: str) -> str:
    """"2026-11-30" as the interface says dates ("30 nov 2026")."""
    from datetime import date

    from flask_babel import format_date

    try:
        return format_date(date.fromisoformat(value), "medium")
    except ValueError:
        return value


def initials(user) -> str:
    """Up to two initials for a post's avatar ("AM" for Ana Morales); "?" for a former member."""
    if user is None or getattr(user, "deleted_at", None) is not None or not (user.display_name or "").strip():
        return "?"
    words = [w for w in user.display_name.split() if w[:1].isalpha()]
    return "".join(w[0] for w in (words[:1] + words[-1:] if len(words) > 1 else words)).upper() or "?"


def localized(obj, field: str) -> str:
    """A translatable text of an object (forum.models.translated) in the UI language."""
    return localized_in(obj, field, locale_code())


def localized_in(obj, field: str, lang: str) -> str:
    """The same in a given language (emails go out in the recipient's), else in the first of
    the site's languages that has it."""
    return pick(texts_of(obj, field), lang, current_app.config["LANGUAGES"])


def init_app(app: Flask) -> None:
    configure(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    from forum.markup import excerpt
    from forum.policy import can

    # Functions are globals so that imported macros see them too.
    app.jinja_env.globals.update(
        can=can,
        excerpt=excerpt,
        display_name=display_name,
        file_size=file_size,
        flag_reason_label=lambda code: str(FLAG_REASON_LABELS.get(code, code)),
        gender_label=lambda code: str(GENDER_LABELS.get(code, _l("Not stated"))) if code else str(_l("Not stated")),
        action_label=lambda code: str(ACTION_LABELS.get(code, code)),
        initials=initials,
        format_iso_day=format_iso_day,
        resolution_label=lambda code: str(RESOLUTION_LABELS.get(code, code)),
        status_label=lambda code: str(NEWSLETTER_STATUS_LABELS.get(code, code)),
        outbox_status_label=lambda code: str(OUTBOX_STATUS_LABELS.get(code, code)),
        interface_languages=interface_languages,
        language_label=language_label,
        format_dt=format_dt,
        format_clock=lambda value: format_time(value, "short") if value else "",
        format_day=format_day,
        format_number=format_number,
        format_kappa=format_kappa,
        format_share=format_share,
        iso_dt=iso_dt,
        country_name=country_name,
        sector_label=sector_label,
        role_label=role_label,
        localized=localized,
        ui_language=locale_code,
        localized_in=localized_in,
    )

    app.jinja_env.filters["language_label"] = app.jinja_env.globals["language_label"]
    app.jinja_env.filters["format_local"] = format_local
    app.jinja_env.filters["format_local_input"] = format_local_input
    app.jinja_env.filters["format_local_day"] = format_local_day

    @app.context_processor
    def inject_i18n():
        zone = str(get_timezone())
        return {"current_locale": locale_code(), "current_timezone": zone,
                "current_timezone_label": timezone_label(zone)}
