"""The outbox and its delivery.

Code never sends mail: it queues a message (`queue_email`) with a unique
dedupe key, in the same transaction as the change that caused it. A job
(`deliver_due`) claims due messages one by one and sends them over SMTP, or
writes `.eml` files in development. A row is claimed with a conditional
UPDATE, so two deliverers never send the same message.
"""
from __future__ import annotations

import base64
import email.policy
import logging
import re
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import quote

import css_inline
from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from forum import tokens
from forum.extensions import db
from forum.languages import supported_locale
from forum.models import OutboxMessage, User, utcnow
from forum.text import fit

log = logging.getLogger(__name__)

# Headers set raw (Subject, List-Unsubscribe) are written as given, never refolded.
_POLICY = email.policy.default.clone(refold_source="none")
_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def absolute_url(endpoint: str, **values) -> str:
    """A full link for emails, built on BASE_URL, inside a request or not."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context():
            path = url_for(endpoint, **values)
    return current_app.config["BASE_URL"] + path


def absolute_links(html: str) -> str:
    """Links that work in a mail client: "/c/..." and "foro" become full addresses on BASE_URL."""
    base = current_app.config["BASE_URL"]

    def fix(match):
        href = match.group(1)
        if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.IGNORECASE) or href.startswith("#"):
            return match.group(0)
        return f'href="{base}/{href.lstrip("/")}"'

    return re.sub(r'href="([^"]*)"', fix, html)


RETIRED_DOMAIN = "invalid"  # RFC 2606: can never be delivered


def retired_address(key: str) -> str:
    """What replaces the address of a deleted person wherever a row needs one."""
    return f"deleted-{key}@{RETIRED_DOMAIN}"


def is_retired(address: str | None) -> bool:
    domain = (address or "").rpartition("@")[2].lower()
    return not domain or domain == RETIRED_DOMAIN or domain.endswith(f".{RETIRED_DOMAIN}")


def render_email(template: str, locale: str, **context) -> tuple[str, str, str]:
    """(subject, text, html) of templates/email/<template>.{txt,html} in `locale`."""
    if not has_request_context():  # a job or a CLI command: url_for needs a request
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            return render_email(template, locale, **context)
    with force_locale(locale):
        context.setdefault("base_url", current_app.config["BASE_URL"])
        context.setdefault("site_name", current_app.config["SITE_NAME"])
        context["email_locale"] = locale
        text = render_template(f"email/{template}.txt", **context)
        subject, _, body = text.partition("\n")
        context["email_subject"] = subject.strip()  # the HTML's <title>: valid HTML needs one
        html = render_template(f"email/{template}.html", **context)
    return subject.strip(), tidy_text(body), _inliner.inline(html)


def tidy_text(body: str) -> str:
    """At most one blank line in a row: template conditionals otherwise leave three or four."""
    body = re.sub(r"(?m)^[ \t]+$", "", body)  # lines of spaces only (the signature's "-- " stays)
    return re.sub(r"\n{3,}", "\n\n", body.lstrip("\n"))


def queue_email(*, to: User | str, template: str, dedupe_key: str, locale: str | None = None,
                unsubscribe: str | None = None, reply_to: str | None = None, known_new: bool = False,
                attachment: tuple[str, str, str] | None = None, **context) -> OutboxMessage | None:
    """Add a message to the outbox (not committed); None if the key was already queued.

    `unsubscribe` names what a bulk message can be stopped from ("digest",
    "newsletter", "notifications"): it gets a one-click unsubscribe link and
    header (RFC 8058) and a link to the preferences page, both working
    without signing in. `attachment` is (file name, content type, text); for a type other
    than text/*, the text is the file in base64.

    Nothing is ever queued to a deleted account, nor to an address retired by a deletion:
    every sender passes here (or through outbox_row, which refuses the same), so this check covers them all.
    """
    address = to.email if isinstance(to, User) else to
    if (isinstance(to, User) and to.deleted_at is not None) or is_retired(address):
        return None
    if isinstance(to, User):
        locale = locale or to.locale
        context.setdefault("user", to)
    locale = supported_locale(locale)
    # Bulk senders look the period's keys up once and pass known_new=True.
    if not known_new and db.session.execute(
        db.select(OutboxMessage.id).filter_by(dedupe_key=dedupe_key)
    ).first():
        return None
    unsubscribe_url = None
    if unsubscribe and isinstance(to, User):
        unsubscribe_url, context["email_preferences_url"] = unsubscribe_links(to, unsubscribe)
        context["unsubscribe_url"] = unsubscribe_url
    subject, text, html = render_email(template, locale, **context)
    # A subject quotes titles and names, each up to its own limit: together they can exceed the
    # column, which PostgreSQL refuses (and the reply that caused the email would roll back).
    message = OutboxMessage(
        dedupe_key=dedupe_key, to_address=address, subject=fit(OutboxMessage.subject, subject), body_text=text,
        body_html=html, kind=template, locale=locale, unsubscribe_url=unsubscribe_url, reply_to=reply_to,
    )
    if attachment is not None:
        name, content_type, body = attachment
        message.attachment_name = fit(OutboxMessage.attachment_name, name)
        message.attachment_type, message.attachment_body = content_type, body
    if known_new:
        db.session.add(message)  # flushed with the batch; the unique key still guards the database
        return message
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        return None
    return message


def unsubscribe_links(user: User, what: str) -> tuple[str, str]:
    """(one-click unsubscribe from `what`, email preferences): both work without signing in."""
    return (absolute_url("email.unsubscribe", token=tokens.make("unsubscribe", {"u": user.id, "c": what})),
            absolute_url("email.preferences", token=tokens.make("email-preferences", {"u": user.id})))


def outbox_row(*, to: User, template: str, dedupe_key: str, locale: str, subject: str, text: str, html: str,
               unsubscribe_url: str | None = None) -> dict | None:
    """The outbox row of a message rendered by the caller (a bulk sender sharing one rendering
    among many people, inserting a batch of rows at once, for keys it checked are new); None
    for whom queue_email refuses."""
    if to.deleted_at is not None or is_retired(to.email):
        return None
    return dict(dedupe_key=dedupe_key, to_address=to.email, subject=fit(OutboxMessage.subject, subject),
                body_text=text, body_html=html, kind=template, locale=locale, unsubscribe_url=unsubscribe_url)


def build_mime(message: OutboxMessage) -> EmailMessage:
    config = current_app.config
    mime = EmailMessage(policy=_POLICY)
    mime.set_raw("Subject", encoded_subject(message.subject))
    mime["From"] = config["MAIL_DEFAULT_SENDER"]
    mime["To"] = message.to_address
    mime["Date"] = formatdate(localtime=False)
    domain = config["MAIL_DEFAULT_SENDER"].rsplit("@", 1)[-1].strip("> ") or "localhost"
    mime["Message-ID"] = make_msgid(idstring=f"outbox{message.id}", domain=domain)
    if message.reply_to:
        mime["Reply-To"] = message.reply_to
    if message.unsubscribe_url:  # RFC 8058 one-click unsubscribe, and a mailto: for clients without it (RFC 2369)
        # Raw, folded between the two: the default folder would RFC 2047-encode a long URL.
        mime.set_raw("List-Unsubscribe", f"<{unsubscribe_mailto(message)}>,\n <{message.unsubscribe_url}>")
        mime["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mime.set_content(message.body_text)
    if message.body_html:
        mime.add_alternative(message.body_html, subtype="html")
    if message.attachment_body is not None:
        _attach(mime, message)
    mime["Content-Language"] = message.locale  # after set_content, which clears Content-* headers
    return mime


def encoded_subject(subject: str) -> str:
    """The Subject folded by the mature RFC 2047 encoder: the default policy's folder can fold
    right after "Subject:" or lose the space next to an encoded word, which parsers then show."""
    try:
        subject.encode("ascii")
        header = Header(subject, header_name="Subject")
    except UnicodeEncodeError:
        header = Header(subject, "utf-8", header_name="Subject")
    return header.encode(linesep="\n")


def unsubscribe_mailto(message: OutboxMessage) -> str:
    """mailto: the unsubscribe mailbox, with a subject naming the kind of email and the address."""
    config = current_app.config
    address = config.get("MAIL_UNSUBSCRIBE_ADDRESS") or parseaddr(config["MAIL_DEFAULT_SENDER"])[1]
    return f"mailto:{address}?subject={quote(f'unsubscribe {message.kind} {message.to_address}')}"


def _attach(mime: EmailMessage, message: OutboxMessage) -> None:
    """A text attachment; a calendar one keeps its METHOD parameter, which mail clients read.
    Any other type (a certificate's PDF) is kept base64 in the text column."""
    maintype, _, rest = (message.attachment_type or "text/plain").partition("/")
    subtype, *params = [part.strip() for part in rest.split(";")]
    if maintype != "text":
        mime.add_attachment(base64.b64decode(message.attachment_body), maintype=maintype, subtype=subtype,
                            filename=message.attachment_name)
        return
    mime.add_attachment(message.attachment_body, subtype=subtype, filename=message.attachment_name,
                        params=dict(p.split("=", 1) for p in params if "=" in p))


class _SMTPSession:
    """One SMTP connection for a whole batch, opened on first use, reopened after a failure."""

    def __init__(self):
        self.smtp = None

    def send(self, mime: EmailMessage) -> None:
        config = current_app.config
        if self.smtp is None:
            cls = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
            self.smtp = cls(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30)
            if config["MAIL_USE_TLS"]:
                self.smtp.starttls()
            if config["MAIL_USERNAME"]:
                self.smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        try:
            self.smtp.send_message(mime)
        except (OSError, smtplib.SMTPException):
            self.close()
            raise

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.smtp = None


def _write_file(mime: EmailMessage, message: OutboxMessage) -> Path:
    folder = Path(current_app.config["MAIL_FILE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{message.id:06d}-{message.kind}.eml"
    path.write_bytes(bytes(mime))
    print(f"[mail] {message.to_address}: {message.subject} -> {path}", flush=True)
    return path


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** attempts, 24 * 60))


def claim(message_id: int, now: datetime, holder: str | None = None) -> bool:
    """Take one due message for this deliverer; False if someone else has it.

    `claimed_at` is the moment of the claim (not the batch's start), and `claimed_by` the
    scheduler lease holder, so the sweep can tell a message in a live deliverer's hands from
    one left by a deliverer that died.
    """
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "queued",
               OutboxMessage.next_attempt_at <= now)
        .values(status="sending", claimed_at=utcnow(), claimed_by=holder, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def deliver_due(limit: int | None = None, *, holder: str | None = None,
                should_stop: Callable[[], bool] | None = None) -> dict[str, int]:
    """Send due messages; returns counts of sent, failed (will retry) and given up.

    `holder` is the scheduler lease holder running this batch (None when run by hand);
    `should_stop` is asked before each message, so a scheduler told to stop finishes the
    message in hand and no more.
    """
    config = current_app.config
    limit = limit or config["MAIL_BATCH_SIZE"]
    now = utcnow()
    ids = db.session.execute(
        db.select(OutboxMessage.id)
        .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id).limit(limit)
    ).scalars().all()
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    session = _SMTPSession()
    try:
        for message_id in ids:
            if should_stop is not None and should_stop():
                break
            if claim(message_id, now, holder):
                _deliver_one(db.session.get(OutboxMessage, message_id), session, counts)
    finally:
        session.close()
    return counts


def _deliver_one(message: OutboxMessage, session: _SMTPSession, counts: dict[str, int]) -> None:
    config = current_app.config
    try:
        mime = build_mime(message)
        if config["MAIL_BACKEND"] == "file":
            _write_file(mime, message)
        else:
            session.send(mime)
    except (OSError, smtplib.SMTPException) as exc:
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= config["MAIL_MAX_ATTEMPTS"]:
            message.status = "failed"
            counts["failed"] += 1
        else:
            message.status = "queued"
            message.next_attempt_at = utcnow() + _retry_delay(message.attempts)
            counts["retrying"] += 1
        log.warning("outbox %s: %s", message.id, message.last_error)
    else:
        message.status = "sent"
        message.sent_at = utcnow()
        message.last_error = None
        counts["sent"] += 1
    db.session.commit()


__all__ = ["build_mime", "deliver_due", "queue_email", "render_email"]
