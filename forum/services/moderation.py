"""Moderation and curation: the approval queue, flags, actions on posts, threads,
forums and people, curation for the synthesis, and the log every action writes.

Every function here checks the policy, changes, writes one ModerationLog
entry, tells the people concerned (through the outbox), and commits.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import format_number
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from forum.extensions import db
from forum.mail import absolute_url, queue_email
from forum.markup import clean_source
from forum.models import (
    FLAG_REASONS,
    Community,
    Flag,
    Forum,
    ForumPair,
    Membership,
    ModerationLog,
    Post,
    PostTheme,
    Revision,
    SynthesisNote,
    Theme,
    Thread,
    User,
    utcnow,
)
from forum.policy import SYSTEM, can, ensure
from forum.services import DomainError, counters, notifications
from forum.services.atomic import atomic
from forum.services.bodies import prepare_body, set_body


def log(community: Community, actor: User | None, action: str, target_type: str, target_id: int,
        reason: str | None = None, before: str | None = None, after: str | None = None) -> ModerationLog:
    entry = ModerationLog(community_id=community.id, actor_id=actor.id if actor else None, action=action,
                          target_type=target_type, target_id=target_id, reason=(reason or None),
                          before=before, after=after, created_at=utcnow())
    db.session.add(entry)
    return entry


def _clean_reason(reason: str | None, required: bool = True) -> str | None:
    reason = " ".join((reason or "").split())[:1000]
    if required and not reason:
        raise DomainError(_l("Say why: the person will read it."), field="reason")
    return reason or None


def _community_of_post(post: Post) -> Community:
    return post.thread.forum.community


# --- pre-moderation ---------------------------------------------------------------

def needs_approval(user: User, forum: Forum) -> bool:
    """Whether this member's new post in this forum waits in the queue."""
    pair = forum.pair
    community = forum.community
    if pair.pre_moderation == "off" or can(user, "post.skip_approval", forum):
        return False
    if pair.pre_moderation == "all":
        return True
    published = db.session.execute(
        select(func.count(Post.id)).join(Thread, Thread.id == Post.thread_id).join(Forum, Forum.id == Thread.forum_id)
        .where(Post.author_id == user.id, Forum.community_id == community.id, Post.status == "published")
    ).scalar_one()
    return published < pair.pre_moderation_count


@atomic
def approve(moderator: User, post: Post) -> Post:
    community = _community_of_post(post)
    ensure(moderator, "community.moderate", community)
    claimed = db.session.execute(update(Post).where(Post.id == post.id, Post.status == "pending",
                                                    Post.deleted_at.is_(None))
                                 .values(status="published").execution_options(synchronize_session=False)).rowcount
    if not claimed:
        raise DomainError(_l("This post was already reviewed."))
    db.session.expire(post)
    counters.count_in(post, post.thread)
    notifications.notify_new_post(post)
    log(community, moderator, "approve_post", "post", post.id)
    return post


@atomic
def reject(moderator: User, post: Post, reason: str) -> Post:
    community = _community_of_post(post)
    ensure(moderator, "community.moderate", community)
    reason = _clean_reason(reason)
    claimed = db.session.execute(update(Post).where(Post.id == post.id, Post.status == "pending")
                                 .values(status="rejected", moderation_note=reason)
                                 .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        raise DomainError(_l("This post was already reviewed."))
    db.session.expire(post)
    if post.author and post.author.email:
        queue_email(to=post.author, template="post_rejected", dedupe_key=f"rejected:{post.id}", post=post,
                    thread=post.thread, reason=reason,
                    thread_url=absolute_url("posts.permalink", post_id=post.id))
    log(community, moderator, "reject_post", "post", post.id, reason=reason, before=post.body_md)
    return post


# --- flags --------------------------------------------------------------------

@atomic
def flag(user: User, post: Post, reason: str, text: str | None = None) -> Flag:
    community = _community_of_post(post)
    if not can(user, "post.flag", post):
        raise DomainError(_l("You cannot flag this post."))
    if reason not in FLAG_REASONS:
        raise DomainError(_l("Choose a reason from the list."), field="reason")
    text = " ".join((text or "").split())[:1000] or None
    if reason == "other" and not text:
        raise DomainError(_l("Tell the moderators what is wrong."), field="text")
    if db.session.execute(select(Flag.id).filter_by(post_id=post.id, user_id=user.id)).first():
        raise DomainError(_l("You already flagged this post; the moderators will look at it."))
    entry = Flag(post_id=post.id, user_id=user.id, reason=reason, text=text, created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:  # a double submit
        raise DomainError(_l("You already flagged this post; the moderators will look at it.")) from None
    db.session.execute(update(Post).where(Post.id == post.id).values(open_flag_count=Post.open_flag_count + 1)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    db.session.refresh(post)
    threshold = current_app.config["FLAGS_TO_HIDE"]
    if post.open_flag_count >= threshold and post.hidden_at is None and post.is_live:
        _hide(post, SYSTEM, None)  # shown translated: "hidden until a moderator reviews it"
        log(community, SYSTEM, "auto_hide_post", "post", post.id,
            reason=f"{post.open_flag_count} flags")
    return entry


@atomic
def resolve_flags(moderator: User, post: Post, resolution: str, reason: str | None = None,
                  new_body: str | None = None) -> int:
    """keep (and restore if flags hid it), hide, or edit; every flagger is told. Returns flags closed."""
    community = _community_of_post(post)
    ensure(moderator, "community.moderate", community)
    flags = db.session.execute(select(Flag).where(Flag.post_id == post.id, Flag.resolved_at.is_(None))).scalars().all()
    if not flags:
        raise DomainError(_l("There are no open flags on this post."))
    if resolution == "keep":
        if post.hidden_at is not None and post.hidden_by_id is None:
            _restore(post)
    elif resolution == "hide":
        _clean_reason(reason)
        if post.hidden_at is None:
            _hide(post, moderator, reason)
        else:
            post.hidden_by_id, post.hidden_reason = moderator.id, reason
    elif resolution == "edit":
        _edit(moderator, post, new_body, _clean_reason(reason))
        if post.hidden_at is not None and post.hidden_by_id is None:
            _restore(post)
    else:
        raise DomainError(_l("Choose how to resolve the flags."))
    now = utcnow()
    for item in flags:
        item.resolved_at, item.resolved_by_id, item.resolution = now, moderator.id, resolution
        queue_email(to=item.user, template="flag_resolved", dedupe_key=f"flag-resolved:{item.id}", post=post,
                    resolution=resolution, thread=post.thread,
                    post_url=absolute_url("posts.permalink", post_id=post.id))
    post.open_flag_count = 0
    log(community, moderator, f"resolve_flags_{resolution}", "post", post.id, reason=reason)
    return len(flags)


# --- actions on posts -------------------------------------------------------------

def _hide(post: Post, moderator: User | None, reason: str | None) -> bool:
    """Conditional, so two hides at once move the counters once. Returns whether it hid."""
    was_live = post.is_live
    claimed = db.session.execute(update(Post).where(Post.id == post.id, Post.hidden_at.is_(None)).values(
        hidden_at=utcnow(), hidden_by_id=moderator.id if moderator else None, hidden_reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    db.session.expire(post)
    if claimed and was_live:
        counters.count_out(post, post.thread)
    return bool(claimed)


def _restore(post: Post) -> bool:
    claimed = db.session.execute(update(Post).where(Post.id == post.id, Post.hidden_at.is_not(None)).values(
        hidden_at=None, hidden_by_id=None, hidden_reason=None).execution_options(synchronize_session=False)).rowcount
    db.session.expire(post)
    if claimed and post.is_live:
        counters.count_in(post, post.thread)
    return bool(claimed)


@atomic
def hide(moderator: User, post: Post, reason: str) -> Post:
    community = _community_of_post(post)
    ensure(moderator, "community.moderate", community)
    reason = _clean_reason(reason)
    if post.hidden_at is not None or not _hide(post, moderator, reason):
        raise DomainError(_l("This post is already hidden."))
    log(community, moderator, "hide_post", "post", post.id, reason=reason)
    return post


@atomic
def restore(moderator: User, post: Post, reason: str | None = None) -> Post:
    community = _community_of_post(post)
    ensure(moderator, "community.moderate", community)
    if post.hidden_at is None or not _restore(post):
        raise DomainError(_l("This post is not hidden."))
    log(community, moderator, "restore_post", "post", post.id, reason=_clean_reason(reason, required=False))
    return post


def _edit(moderator: User, post: Post, body: str | None, reason: str) -> None:
    body = prepare_body(body)
    before = post.body_md
    db.session.add(Revision(post_id=post.id, editor_id=moderator.id, body_md=before, created_at=utcnow()))
    set_body(post, body)
    post.edited_at = utcnow()
    counters.reindex(post)
    if post.author and post.author.email and post.author_id != moderator.id:
        queue_email(to=post.author, template="post_edited", dedupe_key=f"edited:{post.id}:{post.edited_at.isoformat()}",
                    post=post, thread=post.thread, reason=reason,
                    post_url=absolute_url("posts.permalink", post_id=post.id))
    log(_community_of_post(post), moderator, "edit_post", "post", post.id, reason=reason, before=before, after=body.md)


@atomic
def edit(moderator: User, post: Post, body: str, reason: str) -> Post:
    ensure(moderator, "community.moderate", _community_of_post(post))
    _edit(moderator, post, body, _clean_reason(reason))
    return post


# --- threads and forums ---------------------------------------------------------------

@atomic
def set_thread_flag(moderator: User, thread: Thread, attribute: str, value: bool, reason: str | None = None) -> Thread:
    """Lock or unlock, pin or unpin."""
    community = thread.forum.community
    ensure(moderator, "community.moderate", community)
    if attribute not in ("is_locked", "is_pinned"):
        raise DomainError(_l("Unknown action."))
    setattr(thread, attribute, value)
    action = {("is_locked", True): "lock_thread", ("is_locked", False): "unlock_thread",
              ("is_pinned", True): "pin_thread", ("is_pinned", False): "unpin_thread"}[(attribute, value)]
    log(community, moderator, action, "thread", thread.id, reason=_clean_reason(reason, required=False))
    return thread


@atomic
def move_thread(moderator: User, thread: Thread, target: Forum, reason: str | None = None) -> Thread:
    """To another forum of the same community; counters and the search index follow."""
    community = thread.forum.community
    ensure(moderator, "community.moderate", community)
    if target.community_id != community.id or target.id == thread.forum_id or target.pair.is_draft:
        raise DomainError(_l("Choose another forum of the same community."), field="target")
    if thread.kind == "guiding_question":
        raise DomainError(_l("Guiding questions stay in their forum."))
    source = thread.forum
    counters.thread_moved(thread, source, target)
    log(community, moderator, "move_thread", "thread", thread.id, reason=_clean_reason(reason, required=False),
        before=source.slug, after=target.slug)
    return thread


@atomic
def reschedule(moderator: User, pair: ForumPair, *, action: str, until: datetime | None = None,
               reason: str | None = None) -> ForumPair:
    """Open now, close now, or move the closing date (extend)."""
    community = pair.community
    ensure(moderator, "community.moderate", community)
    now = utcnow()
    before = f"{pair.opens_at.isoformat()} / {pair.closes_at.isoformat()}"
    if action == "open":
        if pair.opens_at <= now < pair.closes_at:
            raise DomainError(_l("The forum is already open."))
        pair.opens_at = now
        if pair.closes_at <= now:
            raise DomainError(_l("The forum has already closed; extend it instead."))
    elif action == "close":
        if pair.opens_at > now:
            pair.opens_at = now
        pair.closes_at = now
    elif action == "extend":
        if until is None or until <= now or until <= pair.opens_at:
            raise DomainError(_l("Choose a closing date in the future."), field="until")
        pair.closes_at = until
    else:
        raise DomainError(_l("Unknown action."))
    after = f"{pair.opens_at.isoformat()} / {pair.closes_at.isoformat()}"
    log(community, moderator, f"{action}_forum", "pair", pair.id, reason=_clean_reason(reason, required=False),
        before=before, after=after)
    return pair


# --- people --------------------------------------------------------------------

def _member(community: Community, user: User) -> Membership:
    m = db.session.execute(select(Membership).filter_by(community_id=community.id, user_id=user.id)).scalar_one_or_none()
    if m is None or not m.is_active:
        raise DomainError(_l("This person is not a member of the community."))
    return m


@atomic
def warn(moderator: User, community: Community, user: User, message: str) -> None:
    ensure(moderator, "community.moderate", community)
    _member(community, user)
    message = (message or "").strip()[:4000]
    if not message:
        raise DomainError(_l("Write the message."), field="message")
    entry = log(community, moderator, "warn_user", "user", user.id, reason=message)
    db.session.flush()
    queue_email(to=user, template="warning", dedupe_key=f"warning:{entry.id}", community=community, message=message)


@atomic
def suspend(moderator: User, community: Community, user: User, until: datetime | None, reason: str) -> Membership:
    ensure(moderator, "community.moderate", community)
    m = _member(community, user)
    if user.id == moderator.id:
        raise DomainError(_l("You cannot suspend yourself."))
    if not can(moderator, "member.suspend", m):
        raise DomainError(_l("Only organizers can suspend a moderator."))
    reason = _clean_reason(reason)
    if until is None or until <= utcnow():
        raise DomainError(_l("Choose a date in the future."), field="until")
    m.suspended_until, m.suspension_reason = until, reason
    entry = log(community, moderator, "suspend_user", "user", user.id, reason=reason, after=until.isoformat())
    db.session.flush()
    queue_email(to=user, template="community_suspension", dedupe_key=f"suspension:{entry.id}", community=community,
                until=until, reason=reason)
    return m


@atomic
def lift_suspension(moderator: User, community: Community, user: User) -> Membership:
    ensure(moderator, "community.moderate", community)
    m = _member(community, user)
    m.suspended_until = m.suspension_reason = None
    log(community, moderator, "lift_suspension", "user", user.id)
    return m


# --- curation ----------------------------------------------------------------------

@atomic
def set_highlight(moderator: User, post: Post, value: bool) -> Post:
    community = _community_of_post(post)
    ensure(moderator, "community.moderate", community)
    post.is_highlight = value
    log(community, moderator, "highlight_post" if value else "unhighlight_post", "post", post.id)
    return post


@atomic
def set_themes(moderator: User, post: Post, theme_ids: list[int]) -> list[Theme]:
    community = _community_of_post(post)
    ensure(moderator, "community.moderate", community)
    pair = post.thread.forum.pair
    allowed = {t.id: t for t in pair.themes}
    chosen = [allowed[i] for i in theme_ids if i in allowed]
    current = {pt.theme_id: pt for pt in db.session.execute(select(PostTheme).filter_by(post_id=post.id)).scalars()}
    for theme in {t.id: t for t in chosen}.values():
        if theme.id not in current:
            try:
                with db.session.begin_nested():
                    db.session.add(PostTheme(post_id=post.id, theme_id=theme.id, tagged_by_id=moderator.id))
            except IntegrityError:  # another moderator tagged it at the same moment
                pass
    for theme_id, row in current.items():
        if theme_id not in {t.id for t in chosen}:
            db.session.delete(row)
    before = ", ".join(sorted(allowed[i].code for i in current if i in allowed))
    after = ", ".join(sorted(t.code for t in chosen))
    if before != after:
        log(community, moderator, "tag_post", "post", post.id, before=before, after=after)
    return chosen


NOTE_MAX_LENGTH = 20_000


def _note_log(note: SynthesisNote, languages: list[str]) -> str:
    """The note's texts for the moderation log, in the forums' order, separated by "---"."""
    return "\n---\n".join((note.body_texts or {}).get(lang) or "" for lang in languages)


@atomic
def save_synthesis_note(moderator: User, pair: ForumPair, position: int, bodies: dict[str, str]) -> SynthesisNote:
    """The moderators' Markdown for one guiding question, one text per language of the pair's
    forums (`bodies`: language -> text); too long is refused, never cut."""
    ensure(moderator, "community.moderate", pair.community)
    languages = [f.language for f in pair.forums]
    bodies = {lang: clean_source(bodies.get(lang) or "").strip() for lang in languages}
    for lang, body in bodies.items():
        if len(body) > NOTE_MAX_LENGTH:
            raise DomainError(_l("A synthesis note can be at most %(limit)s characters; this one has %(n)s.",
                                 limit=format_number(NOTE_MAX_LENGTH), n=format_number(len(body))),
                              field=f"body_{lang}")
    note = db.session.execute(select(SynthesisNote).filter_by(pair_id=pair.id, position=position)).scalar_one_or_none()
    before = None
    if note is None:
        note = SynthesisNote(pair_id=pair.id, position=position)
        db.session.add(note)
    else:
        before = _note_log(note, languages)
    note.body_texts = {**(note.body_texts or {}), **bodies}
    note.updated_by_id, note.updated_at = moderator.id, utcnow()
    db.session.flush()
    log(pair.community, moderator, "write_synthesis_note", "pair", pair.id, reason=f"question {position}",
        before=before, after=_note_log(note, languages))
    return note


