"""What a registration receives: calendar invitations (iCalendar, updated and cancelled with the
webinar) and reminders, each through the outbox with a dedupe key so it goes out once."""
from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import select

from forum import tokens
from forum.errors import DomainError
from forum.extensions import db
from forum.languages import supported_locale
from forum.mail import absolute_url, queue_email
from forum.markup import plain_text
from forum.models import (
    Registration,
    Webinar,
    utcnow,
)
from forum.services.webinar_times import times_in_capitals

REMINDERS = (("24h", timedelta(hours=24)), ("1h", timedelta(hours=1)))
REMINDER_AFTER_CONFIRMATION = timedelta(minutes=30)  # no reminder due sooner than this after the confirmation


# --- calendar and emails -----------------------------------------------------------------

def calendar_domain() -> str:
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2] or "localhost"


def event_url(webinar: Webinar) -> str:
    return absolute_url("webinars.show", slug=webinar.community.slug, webinar_id=webinar.id)


def invitation(webinar: Webinar, registration: Registration, method: str = "REQUEST") -> tuple[str, str, str]:
    """(file name, content type, text) of the iCalendar invitation for one registrant."""
    return "invite.ics", f"text/calendar; method={method}", calendar_text(webinar, registration, method)


def calendar_text(webinar: Webinar, registration: Registration, method: str = "REQUEST") -> str:
    lang = supported_locale(registration.locale)
    page = event_url(webinar)
    with force_locale(lang):
        lines = [plain_text(webinar.description_html(lang))[:2000]]
        if method == "REQUEST" and webinar.join_url:
            lines.append(gettext("Join the webinar: %(url)s", url=webinar.join_url))
        lines.append(gettext("Event page: %(url)s", url=page))
        description = "\n\n".join(line for line in lines if line)
    calendar = Calendar()
    calendar.add("prodid", "-//forum//webinars//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = Event()
    event.add("uid", webinar.uid)
    event.add("sequence", webinar.sequence)
    event.add("dtstamp", utcnow())
    event.add("dtstart", webinar.starts_at)
    event.add("dtend", webinar.ends_at)
    event.add("summary", webinar.title(lang))
    event.add("description", description)
    event.add("url", page)
    if method == "REQUEST" and webinar.join_url:
        event.add("location", webinar.join_url)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1] or f"webinars@{calendar_domain()}"
    organizer = vCalAddress(f"mailto:{sender}")
    organizer.params["cn"] = vText(current_app.config["SITE_NAME"])
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{registration.email}")
    attendee.params["cn"] = vText(registration.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("DECLINED" if method == "CANCEL" else "ACCEPTED")
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def email_context(webinar: Webinar, registration: Registration) -> dict:
    return {"webinar": webinar, "registration": registration, "event_url": event_url(webinar),
            "manage_url": absolute_url("webinars.manage_registration", token=registration_token(registration)),
            "times": times_in_capitals(webinar, registration.locale, zone=_zone_of(registration))}


def _zone_of(registration: Registration) -> str | None:
    return registration.user.timezone if registration.user is not None else None


def send_reminders(now: datetime | None = None) -> int:
    """24 hours and 1 hour before, once each (the outbox's dedupe key decides), to those with a seat."""
    now = now or utcnow()
    webinars = db.session.execute(select(Webinar).where(
        Webinar.status == "scheduled", Webinar.starts_at > now,
        Webinar.starts_at <= now + REMINDERS[0][1])).scalars().all()
    queued = 0
    for webinar in webinars:
        kind, ahead = REMINDERS[1] if webinar.starts_at - now <= REMINDERS[1][1] else REMINDERS[0]
        # Whoever confirmed after the reminder's moment, or minutes before it, has just had the
        # confirmation with the link: a reminder a minute later would only repeat it.
        query = select(Registration).where(
            Registration.webinar_id == webinar.id, Registration.status == "registered",
            Registration.confirmed_at <= webinar.starts_at - ahead - REMINDER_AFTER_CONFIRMATION)
        for registration in db.session.execute(query).scalars():
            message = queue_email(
                to=registration.email, locale=registration.locale, template="webinar_reminder",
                dedupe_key=f"webinar-reminder-{kind}:{registration.id}:{int(webinar.starts_at.timestamp())}",
                kind=kind, **email_context(webinar, registration))
            queued += message is not None
        db.session.commit()
    return queued


def registration_token(registration: Registration) -> str:
    return tokens.make("webinar-registration", {"r": registration.id, "e": registration.email})


def registration_from_token(token: str) -> Registration:
    data = tokens.load("webinar-registration", token, max_age=None,
                       expired=_l("This link is not valid."), invalid=_l("This link is not valid."))
    registration = db.session.get(Registration, data.get("r"))
    if registration is None or registration.email != data.get("e"):
        raise DomainError(_l("This link is not valid."))
    return registration
