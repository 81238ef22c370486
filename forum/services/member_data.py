"""The member's own data, as one JSON document ("download my data").

Everything tied to the person goes in: what they wrote and chose, the places and answers
they gave, the email they were sent, and what they did as an organizer or moderator (as
references, since those rows hold other people's data). `COVERAGE` names, for every column
that points at a person (a foreign key to users.id), where its rows appear in the download,
and `NOT_EXPORTED` why the few others do not: a test walks the models and fails on a new
column found in neither, so the download cannot silently fall behind the schema.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from forum.extensions import db
from forum.models import (
    Answer,
    Ballot,
    CoderCode,
    CodeSettlement,
    Community,
    Flag,
    Forum,
    ForumPair,
    Invitation,
    LoginSession,
    Membership,
    ModerationLog,
    Newsletter,
    Notification,
    OutboxMessage,
    Post,
    PostTheme,
    PostUseful,
    Process,
    Registration,
    ReportQuote,
    Resource,
    Revision,
    Round,
    RoundOption,
    RoundQuestion,
    RoundResponse,
    SynthesisNote,
    TextRevision,
    Thread,
    ThreadRead,
    User,
    Watch,
    Webinar,
    utcnow,
)

FORMAT = "forum-member-data/2"

# Simple sections: (key, model, person column, fields). Rows ordered by primary key.
_SIMPLE = (
    ("useful_marks", PostUseful, "user_id", ("post_id", "created_at")),
    ("watches", Watch, "user_id", ("thread_id", "forum_id", "community_id", "level", "created_at")),
    ("thread_reads", ThreadRead, "user_id", ("thread_id", "last_read_number", "updated_at")),
    ("notifications", Notification, "user_id", ("kind", "post_id", "forum_id", "created_at", "read_at")),
    ("resources", Resource, "added_by_id", ("id", "community_id", "title", "summary", "language", "tags", "url",
                                            "file_name", "created_at", "deleted_at")),
    ("revisions", Revision, "editor_id", ("post_id", "body_md", "created_at")),
    ("text_revisions", TextRevision, "editor_id", ("kind", "target_id", "title", "body_md", "created_at")),
    ("flags", Flag, "user_id", ("post_id", "reason", "text", "created_at", "resolution")),
    ("round_responses", RoundResponse, "user_id", ("round_id", "answered_at")),
    ("signed_in_sessions", LoginSession, "user_id", ("created_at", "last_seen_at", "user_agent")),
    ("invitations_accepted", Invitation, "accepted_by_id", ("community_id", "role", "accepted_at")),
    # What they did as an organizer or moderator: references and dates, not others' data.
    ("actions.moderation_log", ModerationLog, "actor_id", ("community_id", "action", "target_type", "target_id",
                                                           "reason", "created_at")),
    ("actions.membership_decisions", Membership, "decided_by_id", ("id", "community_id", "state", "decided_at")),
    ("actions.invitations_sent", Invitation, "invited_by_id", ("id", "community_id", "role", "created_at")),
    ("actions.flags_resolved", Flag, "resolved_by_id", ("id", "post_id", "resolution", "resolved_at")),
    ("actions.posts_deleted", Post, "deleted_by_id", ("id", "deleted_at")),
    ("actions.posts_hidden", Post, "hidden_by_id", ("id", "hidden_at")),
    ("actions.themes_tagged", PostTheme, "tagged_by_id", ("post_id", "theme_id", "created_at")),
    ("actions.independent_codes", CoderCode, "coder_id", ("post_id", "theme_id", "created_at")),
    ("actions.codes_settled", CodeSettlement, "settled_by_id", ("post_id", "theme_id", "applied", "settled_at")),
    ("actions.synthesis_notes", SynthesisNote, "updated_by_id", ("pair_id", "position", "updated_at")),
    ("actions.quotes_chosen", ReportQuote, "chosen_by_id", ("pair_id", "post_id", "created_at")),
    ("actions.forum_pairs_created", ForumPair, "created_by_id", ("id", "slug", "created_at")),
    ("actions.processes_created", Process, "created_by_id", ("id", "title_es", "title_en", "created_at")),
    ("actions.rounds_created", Round, "created_by_id", ("id", "title_es", "title_en", "created_at")),
    ("actions.webinars_created", Webinar, "created_by_id", ("id", "title_es", "title_en", "created_at")),
    ("actions.newsletters_created", Newsletter, "created_by_id", ("id", "subject_es", "subject_en", "created_at")),
    ("actions.messages_resent", OutboxMessage, "resent_by_id", ("id", "kind", "resent_at")),
)

COVERAGE = {f"{model.__tablename__}.{column}": key for key, model, column, _fields in _SIMPLE} | {
    "memberships.user_id": "memberships",
    "threads.author_id": "threads",
    "posts.author_id": "posts",
    "webinar_registrations.user_id": "webinar_registrations",
    "ballots.user_id": "ballots",
}
NOT_EXPORTED = {
    "search_documents.author_id": "the search index, a copy of the posts, which are exported",
    "notifications.actor_id": "another member's notification of this person's post; the post is exported",
}


def export_data(user: User) -> dict:
    """Everything the platform holds about this member, as plain JSON-able data."""
    data = {
        "format": FORMAT,
        "exported_at": _plain(utcnow()),
        "profile": _profile(user),
        "email_settings": {"notifications": user.email_notifications, "digest": user.digest_frequency,
                           "last_digest_at": _plain(user.last_digest_at),
                           "newsletter_opt_in_at": _plain(user.newsletter_opt_in_at)},
        "memberships": _memberships(user),
        "threads": [{"id": t.id, "title": t.title, "forum_id": t.forum_id, "created_at": _plain(t.created_at)}
                    for t in _rows(Thread, Thread.author_id == user.id)],
        "posts": _posts(user),
        "webinar_registrations": _registrations(user),
        "ballots": _ballots(user),
        "emails": [{"kind": m.kind, "subject": m.subject, "status": m.status, "created_at": _plain(m.created_at),
                    "sent_at": _plain(m.sent_at)}
                   for m in _rows(OutboxMessage, OutboxMessage.to_address == (user.email or ""))],
        "actions": {},
    }
    for key, model, column, fields in _SIMPLE:
        rows = [{field: _plain(getattr(row, field)) for field in fields}
                for row in _rows(model, getattr(model, column) == user.id)]
        if key.startswith("actions."):
            data["actions"][key.removeprefix("actions.")] = rows
        else:
            data[key] = rows
    return data


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _rows(model, condition):
    key = model.__mapper__.primary_key[0]
    return db.session.execute(select(model).where(condition).order_by(key)).scalars().all()


def _profile(user: User) -> dict:
    fields = ("email", "display_name", "handle", "bio", "country", "institution", "sector", "gender", "locale",
              "timezone", "email_notifications", "show_email", "show_country", "show_institution", "show_sector",
              "show_name_in_reports", "created_at", "email_confirmed_at", "suspended_until", "suspension_reason")
    return {field: _plain(getattr(user, field)) for field in fields}


def _memberships(user: User) -> list[dict]:
    rows = db.session.execute(
        select(Membership, Community.slug).join(Community, Community.id == Membership.community_id)
        .where(Membership.user_id == user.id).order_by(Membership.id)).all()
    return [{"community": slug, "role": m.role, "state": m.state, "since": _plain(m.created_at),
             "request_message": m.request_message, "decided_at": _plain(m.decided_at),
             "decision_reason": m.decision_reason} for m, slug in rows]


def _posts(user: User) -> list[dict]:
    rows = db.session.execute(
        select(Post, Thread.title, Forum.slug, Forum.language)
        .join(Thread, Thread.id == Post.thread_id).join(Forum, Forum.id == Thread.forum_id)
        .where(Post.author_id == user.id).order_by(Post.created_at, Post.id)).all()
    return [{"id": p.id, "thread": title, "forum": slug, "language": lang, "number": p.number,
             "created_at": _plain(p.created_at), "edited_at": _plain(p.edited_at),
             "deleted_at": _plain(p.deleted_at), "body_markdown": p.body_md} for p, title, slug, lang in rows]


def _registrations(user: User) -> list[dict]:
    """Their places at webinars, and those made as a guest with their address before they claimed them."""
    mine = Registration.user_id == user.id
    if user.email:
        mine = or_(mine, func.lower(Registration.email) == user.email.lower())
    rows = db.session.execute(select(Registration, Webinar).join(Webinar, Webinar.id == Registration.webinar_id)
                              .where(mine).order_by(Registration.id)).all()
    fields = ("status", "name", "email", "country", "institution", "sector", "gender", "locale", "created_at",
              "confirmed_at", "cancelled_at", "attended", "attended_minutes", "joins", "certificate_code",
              "certificate_sent_at")
    return [{"webinar_id": w.id, "webinar": w.title(r.locale), "starts_at": _plain(w.starts_at),
             **{field: _plain(getattr(r, field)) for field in fields}} for r, w in rows]


def _ballots(user: User) -> list[dict]:
    """Named ballots, with their answers. An anonymous ballot holds no link to anyone, so none is here."""
    result = []
    for ballot in _rows(Ballot, Ballot.user_id == user.id):
        round_ = db.session.get(Round, ballot.round_id)
        answers = db.session.execute(
            select(Answer, RoundQuestion, RoundOption)
            .join(RoundQuestion, RoundQuestion.id == Answer.question_id)
            .outerjoin(RoundOption, RoundOption.id == Answer.option_id)
            .where(Answer.ballot_id == ballot.id).order_by(RoundQuestion.position, RoundOption.position)).all()
        result.append({"round_id": ballot.round_id, "round": round_.title("es"), "answers": [
            {"question": q.text("es"), "option": o.label("es") if o else None,
             "value": a.value, "comment": a.comment} for a, q, o in answers]})
    return result
