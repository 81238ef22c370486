"""Certificates of participation, as the network's courses give them.

Organizers send them, once the webinar is over, to the people who met their attendance rule.
Each is a one-page PDF in the person's language with the event's title, date and duration,
the person's name and a verification code; a public page confirms the code, so whoever is
shown the certificate can check it. The PDF travels in the email through the outbox (stored
there base64, sent as application/pdf). It is drawn with fpdf2 and the DejaVu fonts that
ship with matplotlib (already a dependency), so names in any Latin, Greek or Cyrillic script
print right without a system font.
"""
from __future__ import annotations

import base64
import secrets
import zoneinfo
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from forum.extensions import db
from forum.mail import absolute_url, is_retired, queue_email
from forum.models import Registration, User, Webinar, utcnow
from forum.services import DomainError
from forum.services.attendance import _check, meets_rule

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper
# Certificates sent per click: each PDF takes about a tenth of a second to draw, so a large
# event goes out in a few clicks rather than one request long enough to time out.
BATCH = 40


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(text: str) -> str:
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())[:8]
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else ""


def verify(code: str) -> Registration | None:
    """The registration a certificate code belongs to; None if no certificate has it."""
    code = normalise_code(code)
    if not code:
        return None
    return db.session.execute(select(Registration).where(
        Registration.certificate_code == code, Registration.certificate_sent_at.is_not(None))).scalar_one_or_none()


def recipients(webinar: Webinar) -> list[Registration]:
    present = db.session.execute(select(Registration).where(
        Registration.webinar_id == webinar.id, Registration.attended.is_(True),
        Registration.status != "pending").order_by(Registration.id)).scalars().all()
    return [r for r in present if meets_rule(webinar, r) and not is_retired(r.email)]


def due(webinar: Webinar) -> list[Registration]:
    """Those who meet the rule and have no certificate yet."""
    return [r for r in recipients(webinar) if r.certificate_sent_at is None]


def send_certificates(user: User, webinar: Webinar, limit: int | None = None) -> tuple[int, int]:
    """Queue a certificate to each person who met the rule and has none yet, `limit` (BATCH) at
    a time; returns (how many were sent, how many are still due)."""
    _check(user, webinar)
    if webinar.ends_at > utcnow():
        raise DomainError(_l("Certificates can be sent once the webinar is over."))
    sent, waiting, limit = 0, due(webinar), limit or BATCH
    for registration in waiting[:limit]:
        registration.certificate_code = registration.certificate_code or new_code()
        message = queue_email(
            to=registration.email, locale=registration.locale, template="webinar_certificate",
            dedupe_key=f"webinar-certificate:{registration.id}:{registration.certificate_code}",
            attachment=attachment(registration), webinar=webinar, registration=registration,
            verify_url=verify_url(registration.certificate_code))
        if message is not None:
            registration.certificate_sent_at = utcnow()
            sent += 1
    db.session.commit()
    return sent, len(waiting) - len(waiting[:limit])


def verify_url(code: str) -> str:
    return absolute_url("certificates.verify", code=code)


def attachment(registration: Registration) -> tuple[str, str, str]:
    with force_locale(registration.locale):
        name = gettext("certificate") + f"-{registration.certificate_code}.pdf"
    return name, "application/pdf", base64.b64encode(certificate_pdf(registration)).decode("ascii")


def facts(registration: Registration) -> dict[str, str]:
    """The certificate's lines in the person's language (also what the verification page shows)."""
    from babel.dates import format_date

    webinar = registration.webinar
    locale = registration.locale if registration.locale in current_app.config["LANGUAGES"] else "es"
    local = webinar.starts_at.astimezone(zoneinfo.ZoneInfo(webinar.timezone))
    with force_locale(locale):
        return {
            "title": webinar.title(locale),
            "community": webinar.community.name(locale),
            "date": format_date(local.date(), "long", locale=locale),
            "duration": ngettext("%(num)d minute", "%(num)d minutes", webinar.duration_minutes),
        }


def _fonts() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def certificate_pdf(registration: Registration) -> bytes:
    """One A4 landscape page; every line centred, the name largest."""
    from fpdf import FPDF

    info = facts(registration)
    locale = registration.locale if registration.locale in current_app.config["LANGUAGES"] else "es"
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(False)
    fonts = _fonts()
    pdf.add_font("Sans", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("Sans", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font("Serif", "B", str(fonts / "DejaVuSerif-Bold.ttf"))
    with force_locale(locale):
        heading = gettext("Certificate of participation")
        pdf.set_title(heading)
        pdf.set_lang(locale)
        pdf.set_creator(current_app.config["SITE_NAME"])
        pdf.add_page()
        pdf.set_draw_color(40, 80, 120)
        pdf.set_line_width(1.2)
        pdf.rect(12, 12, pdf.w - 24, pdf.h - 24)
        width = pdf.w - 60

        def line(text: str, family: str, style: str, size: int, gap: float = 4) -> None:
            pdf.set_x(30)
            pdf.set_font(family, style, size)
            pdf.multi_cell(width, size * 0.5, text, align="C")
            pdf.ln(gap)

        pdf.set_y(30)
        pdf.set_text_color(90, 90, 90)
        line(info["community"], "Sans", "", 12, 10)
        pdf.set_text_color(40, 80, 120)
        line(heading.upper(), "Serif", "B", 26, 12)
        pdf.set_text_color(0, 0, 0)
        line(gettext("This certifies that"), "Sans", "", 13)
        line(registration.name, "Serif", "B", 30, 8)
        line(gettext("took part in the webinar"), "Sans", "", 13)
        line(info["title"], "Sans", "B", 17, 8)
        line(gettext("held on %(date)s · duration: %(duration)s", date=info["date"], duration=info["duration"]),
             "Sans", "", 13)
        pdf.set_y(pdf.h - 45)
        pdf.set_text_color(60, 60, 60)
        line(gettext("Verification code: %(code)s", code=registration.certificate_code), "Sans", "B", 12, 1)
        line(gettext("Check it at %(url)s", url=verify_url(registration.certificate_code)), "Sans", "", 10)
    return bytes(pdf.output())
