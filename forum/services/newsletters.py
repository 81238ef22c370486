"""Newsletter editions: composed by organizers per language, previewed, tested, scheduled
or sent now; each member gets the version in their language, once."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from forum.errors import DomainError, ValidationErrors
from forum.extensions import db
from forum.i18n import format_local, timezone_label
from forum.mail import absolute_url, queue_email, render_email
from forum.markup import clean_source, excerpt, plain_text
from forum.models import (
    Community,
    Forum,
    ForumPair,
    Membership,
    Newsletter,
    OutboxMessage,
    Post,
    Thread,
    User,
    Webinar,
    utcnow,
)
from forum.policy import audience_clause, ensure, published_pairs_clause
from forum.services import rendering
from forum.services.atomic import atomic
from forum.timezones import to_local

FLUSH_EVERY = 500
log = logging.getLogger(__name__)


def _require(user, newsletter_or_community) -> None:
    community = newsletter_or_community.community if isinstance(newsletter_or_community, Newsletter) \
        else newsletter_or_community
    ensure(user, "newsletter.compose", community)


@atomic
def save(user: User, community: Community | None, *, subject_es: str, subject_en: str, body_es: str, body_en: str,
         newsletter: Newsletter | None = None) -> Newsletter:
    _require(user, newsletter or community)
    if newsletter is not None and newsletter.status not in ("draft", "scheduled"):
        raise DomainError(_l("This edition was already sent."))
    errors = {}
    for lang, subject, body in (("es", subject_es, body_es), ("en", subject_en, body_en)):
        if not " ".join((subject or "").split()):
            errors[f"subject_{lang}"] = _l("Write the subject in this language.")
        if not (body or "").strip():
            errors[f"body_{lang}"] = _l("Write the text in this language.")
    if errors:
        raise ValidationErrors(errors)
    if newsletter is None:
        newsletter = Newsletter(community_id=community.id if community else None, created_by_id=user.id)
        db.session.add(newsletter)
    newsletter.subject_es, newsletter.subject_en = " ".join(subject_es.split())[:300], " ".join(subject_en.split())[:300]
    newsletter.body_es_md, newsletter.body_en_md = clean_source(body_es).strip(), clean_source(body_en).strip()
    rendering.cook(newsletter)
    return newsletter


def email_text(html: str) -> str:
    """The plain-text part from the sanitised HTML (never the raw Markdown): links keep their address."""
    html = re.sub(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', lambda m: f"{m.group(2)} ({m.group(1)})", html, flags=re.S)
    html = re.sub(r"<li>(\s*<p>)?", lambda m: "<li><p>- " if m.group(1) else "<li>- ", html)  # "- " by its item
    return plain_text(html)


def suggested_sections(community: Community | None) -> dict[str, str]:
    """Markdown to start from: open forums, recent highlights and the next webinars.

    Only what every reader of the edition may read (policy.audience_clause): a network
    edition goes to everyone and sits in a public archive."""
    now = utcnow()
    audience = (audience_clause(community), published_pairs_clause(None))
    forums = db.session.execute(
        select(Forum).join(ForumPair, ForumPair.id == Forum.pair_id).join(Community, Community.id == Forum.community_id)
        .where(*audience, ForumPair.opens_at <= now, ForumPair.closes_at > now)
        .order_by(Forum.title)).scalars().all()
    highlights = db.session.execute(
        select(Post).join(Thread, Thread.id == Post.thread_id).join(Forum, Forum.id == Thread.forum_id)
        .join(ForumPair, ForumPair.id == Forum.pair_id).join(Community, Community.id == Forum.community_id)
        .where(*audience, Post.is_live, Post.is_highlight, Thread.hidden_at.is_(None))
        .order_by(Post.created_at.desc()).limit(6)).scalars().all()
    upcoming = db.session.execute(
        select(Webinar).join(Community, Community.id == Webinar.community_id)
        .where(audience[0], Webinar.status == "scheduled", Webinar.starts_at > now,
               Webinar.starts_at <= now + timedelta(days=60))
        .order_by(Webinar.starts_at).limit(6)).scalars().all()

    def when(webinar, lang):
        """Date, hours and minutes (no seconds) in the webinar's own zone, named."""
        local = to_local(webinar.starts_at, webinar.timezone)
        return f"{format_local(local, lang)} ({timezone_label(webinar.timezone, lang)})"

    result = {}
    for lang in ("es", "en"):
        with force_locale(lang):
            result[lang] = render_template(
                "newsletters/suggested.md", forums=[f for f in forums if f.language == lang],
                highlights=[p for p in highlights if p.thread.forum.language == lang], excerpt=excerpt,
                webinars=[w for w in upcoming if lang in w.language_list], when=lambda w, lang=lang: when(w, lang),
                webinar_url=lambda w: absolute_url("webinars.show", slug=w.community.slug, webinar_id=w.id),
                forum_url=lambda f: absolute_url("forums.show", community_slug=f.community.slug, forum_slug=f.slug),
                post_url=lambda p: absolute_url("posts.permalink", post_id=p.id)).strip() + "\n"
    return result


def preview_html(newsletter: Newsletter, lang: str, user: User) -> str:
    return render_email("newsletter", lang, **_context(newsletter, lang, user, preview=True))[2]


def _context(newsletter: Newsletter, lang: str, user: User, preview: bool = False) -> dict:
    if newsletter.community is None:
        archive = absolute_url("newsletters.show_network", newsletter_id=newsletter.id)
    else:
        archive = absolute_url("newsletters.show", slug=newsletter.community.slug, newsletter_id=newsletter.id)
    context = {"newsletter": newsletter, "lang": lang, "user": user, "archive_url": archive,
               "text_body": email_text(newsletter.body_html(lang))}
    if preview:
        context["unsubscribe_url"] = context["email_preferences_url"] = "#"
    return context


@atomic
def send_test(user: User, newsletter: Newsletter) -> None:
    _require(user, newsletter)
    minute = utcnow().strftime("%Y%m%d%H%M")  # repeated clicks within a minute send one pair
    for lang in ("es", "en"):
        # No unsubscribe for the organizer testing it: a click (or a mail client's one-click
        # header) would stop their own newsletter; the email says the links are left out.
        queue_email(to=user, locale=lang, template="newsletter", test=True,
                    dedupe_key=f"newsletter-test:{newsletter.id}:{user.id}:{lang}:{minute}",
                    reply_to=current_app.config.get("NEWSLETTER_REPLY_TO"),
                    **{k: v for k, v in _context(newsletter, lang, user).items() if k != "user"})


@atomic
def schedule(user: User, newsletter: Newsletter, when: datetime | None) -> Newsletter:
    """`when` None: send now (the scheduler picks it up within a minute)."""
    _require(user, newsletter)
    if newsletter.status not in ("draft", "scheduled"):
        raise DomainError(_l("This edition was already sent."))
    if when is not None and when <= utcnow():
        raise DomainError(_l("Choose a date in the future."), field="when")
    newsletter.status, newsletter.scheduled_at = "scheduled", when or utcnow()
    return newsletter


@atomic
def cancel(user: User, newsletter: Newsletter) -> Newsletter:
    _require(user, newsletter)
    if newsletter.status != "scheduled":
        raise DomainError(_l("Only a scheduled edition can go back to draft."))
    newsletter.status, newsletter.scheduled_at = "draft", None
    return newsletter


def recipients(newsletter: Newsletter):
    """Opted-in, confirmed members of the community (or of the network)."""
    query = select(User).where(User.newsletter_opt_in_at.is_not(None), User.email_confirmed_at.is_not(None),
                               User.deleted_at.is_(None), User.email.is_not(None))
    if newsletter.community_id is not None:
        query = query.where(User.id.in_(select(Membership.user_id).where(
            Membership.community_id == newsletter.community_id, Membership.state == "active")))
    return query


def send_due(now: datetime | None = None) -> int:
    """The job: queue every due edition to its recipients, once each. Returns editions handled."""
    now = now or utcnow()
    due = db.session.execute(select(Newsletter.id).where(Newsletter.status == "scheduled",
                                                         Newsletter.scheduled_at <= now)).scalars().all()
    for newsletter_id in due:
        # Claim it: of two schedulers, one sends.
        if not db.session.execute(update(Newsletter).where(Newsletter.id == newsletter_id,
                                                           Newsletter.status == "scheduled")
                                  .values(status="sending").execution_options(synchronize_session=False)).rowcount:
            continue
        db.session.commit()
        _queue_safely(newsletter_id)
    return len(due)


def _queue_safely(newsletter_id: int) -> None:
    """One edition failing must not hold the others back: log it and go on."""
    try:
        _queue_all(db.session.get(Newsletter, newsletter_id))
    except Exception:
        db.session.rollback()
        log.exception("newsletter %s could not be queued; it stays 'sending' and is retried", newsletter_id)


def resume_interrupted() -> int:
    """An edition left "sending" by a process that died: queue the rest (dedupe keys skip the done)."""
    stuck = db.session.execute(select(Newsletter.id).where(Newsletter.status == "sending")).scalars().all()
    for newsletter_id in stuck:
        _queue_safely(newsletter_id)
    return len(stuck)


def _queue_all(newsletter: Newsletter) -> None:
    prefix = f"newsletter:{newsletter.id}:"
    already = set(db.session.execute(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.dedupe_key.like(f"{prefix}%"))).scalars())
    count = 0
    for user in db.session.execute(recipients(newsletter)).scalars():
        key = f"{prefix}{user.id}"
        count += 1
        if key in already:
            continue
        lang = user.locale if user.locale in current_app.config["LANGUAGES"] else "es"
        queue_email(to=user, template="newsletter", dedupe_key=key, unsubscribe="newsletter", known_new=True,
                    reply_to=current_app.config.get("NEWSLETTER_REPLY_TO"),
                    **{k: v for k, v in _context(newsletter, lang, user).items() if k != "user"})
        if count % FLUSH_EVERY == 0:
            db.session.flush()  # the dedupe keys make a rerun after a crash finish the job
    newsletter.status, newsletter.sent_at, newsletter.recipients = "sent", utcnow(), count
    db.session.commit()


def delivery_stats(newsletter: Newsletter) -> dict:
    """How the edition's messages went: one per recipient (a resent one counts as its copy),
    the failed and unknown ones to resend, and the resends already made with their outcome."""
    from forum.services import outbox

    prefix = _prefix(newsletter)
    counts = outbox.counts(prefix)
    return {"queued": counts["current"], "sent": counts["sent"], "waiting": counts["queued"] + counts["sending"],
            "failed": counts["failed"], "unknown": counts["unknown"], "resent": counts["resent"],
            "problems": outbox.problems(prefix), "resends": outbox.resends(prefix)}


def resend_problems(user: User, newsletter: Newsletter):
    """Resend the edition's failed messages and those of unknown outcome, once per click."""
    from forum.services import outbox

    _require(user, newsletter)
    return outbox.resend(user, prefix=_prefix(newsletter))


def _prefix(newsletter: Newsletter) -> str:
    return f"newsletter:{newsletter.id}:"


def archive(community: Community | None, page: int, per_page: int, *, sent_only: bool) -> tuple[list[Newsletter], bool]:
    """One page of the community's (or the network's) editions, newest first, and whether more
    follow; only sent ones for readers who do not compose."""
    conditions = [Newsletter.community_id == (community.id if community else None)]
    if sent_only:
        conditions.append(Newsletter.status == "sent")
    rows = db.session.execute(select(Newsletter).where(*conditions).order_by(
        Newsletter.created_at.desc()).limit(per_page + 1).offset((page - 1) * per_page)).scalars().all()
    return rows[:per_page], len(rows) > per_page
