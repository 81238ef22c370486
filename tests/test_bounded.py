"""Bounded columns: every value the app writes into a String(n) column fits it, on SQLite as on
PostgreSQL (which refuses what SQLite would keep), and what follows a reply never costs the reply."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import String
from wtforms.validators import Length

from forum import committee_forms, forms, timezones, webinar_forms
from forum.extensions import db as _db
from forum.models import OutboxMessage, Post, Resource, Thread, utcnow
from forum.services import posting, resources, webinar_registrations
from forum.services.membership import add_member
from forum.text import shorten
from tests.conftest import forum_of, outbox, thread_url

# 300 characters of words, as a long guiding question can be.
LONG_TITLE = ("¿Cómo pueden los gobiernos subnacionales coordinar la planificación territorial con los "
              "ministerios sectoriales cuando los ciclos presupuestarios, los mandatos legales y los "
              "sistemas de información no coinciden, y qué mecanismos concretos han funcionado en la "
              "región para sostener esa coordinación más allá de un período de gobierno? ")
LONG_TITLE = (LONG_TITLE * 2)[:300].rstrip() + "x" * (300 - len((LONG_TITLE * 2)[:300].rstrip()))
LONG_NAME = ("María Fernanda de los Ángeles " * 5)[:120]


def test_shorten_cuts_at_a_word_and_marks_the_cut():
    assert shorten("hola mundo", 10) == "hola mundo"
    assert shorten("hola mundo que tal", 12) == "hola mundo…"
    assert shorten("a" * 20, 10) == "a" * 9 + "…"
    assert len(shorten("palabra " * 100, 300)) <= 300


@pytest.fixture
def long_question(db, make_user, make_community, make_pair):
    community = make_community()
    pair = make_pair(community, questions=1)
    forum = forum_of(pair, "es")
    thread = db.session.execute(db.select(Thread).filter_by(forum_id=forum.id)).scalar_one()
    thread.title = LONG_TITLE
    ana = make_user(LONG_NAME, email="ana@example.org")
    ben = make_user(LONG_NAME, email="ben@example.org")
    for person in (ana, ben):
        add_member(person, community)
    db.session.commit()
    assert len(thread.title) == 300
    return {"thread": thread, "ana": ana, "ben": ben}


def test_a_second_reply_under_a_maximum_title_is_saved_and_its_email_subject_shortened(
        client, db, login, long_question):
    thread, ana, ben = long_question["thread"], long_question["ana"], long_question["ben"]
    url = thread_url(thread)
    login(ana)
    assert client.post(url, data={"body": "Primera respuesta."}).status_code == 302
    login(ben)
    response = client.post(url, data={"body": "Segunda respuesta."})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    bodies = db.session.execute(db.select(Post.body_md).filter_by(thread_id=thread.id)).scalars().all()
    assert "Segunda respuesta." in bodies
    sent = outbox("notification")
    assert [m.to_address for m in sent] == ["ana@example.org"]
    subject = sent[0].subject
    assert len(subject) <= 300 and subject.endswith("…")
    assert LONG_NAME.split()[0] in subject


def test_a_failing_notification_keeps_the_reply_and_logs_no_text(client, db, login, long_question,
                                                                   monkeypatch, caplog):
    """The email's subject not shortened (the bug): the notification is undone, the reply stays."""
    thread, ana, ben = long_question["thread"], long_question["ana"], long_question["ben"]
    monkeypatch.setattr("forum.mail.fit", lambda _column, text: text)
    login(ana)
    assert client.post(thread_url(thread), data={"body": "Primera respuesta."}).status_code == 302
    login(ben)
    with caplog.at_level(logging.ERROR):
        response = client.post(thread_url(thread), data={"body": "Texto secreto de Ben."})
    assert response.status_code == 302
    assert db.session.execute(db.select(Post).filter_by(body_md="Texto secreto de Ben.")).scalar_one()
    assert outbox("notification") == []
    logged = "\n".join(f"{r.getMessage()} {getattr(r, 'fields', '')}" for r in caplog.records)
    assert "outbox.subject" in logged
    assert "secreto" not in logged and "María" not in logged


def test_a_reply_that_cannot_be_saved_comes_back_with_its_text(client, db, login, long_question, monkeypatch):
    thread, ana = long_question["thread"], long_question["ana"]
    original = posting.add_post

    def broken(*args, **kwargs):
        post = original(*args, **kwargs)
        post.status = "x" * 11  # longer than its column: refused at the flush, on both databases
        return post

    monkeypatch.setattr(posting, "add_post", broken)
    login(ana)
    response = client.post(thread_url(thread), data={"body": "Un texto largo que costó escribir."})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Un texto largo que costó escribir." in page
    assert "No pudimos guardar tu texto" in page
    assert db.session.execute(db.select(Post).filter_by(body_md="Un texto largo que costó escribir.")).first() is None


# --- every bounded column: checked at its form, or shortened on purpose -------------------

# Column -> the form field that feeds it (its Length must not exceed the column).
FORM_FIELDS = {
    "users.display_name": [(forms.RegisterForm, "display_name"), (forms.ProfileForm, "display_name")],
    "users.email": [(forms.RegisterForm, "email"), (forms.ResetRequestForm, "email")],
    "users.handle": [(forms.ProfileForm, "handle")],
    "users.institution": [(forms.ProfileForm, "institution")],
    "users.suspension_reason": [(forms.SuspendForm, "reason")],
    "communities.slug": [(forms.CommunityForm, "slug")],
    "communities.name_es": [(forms.CommunityForm, "name_es")],
    "communities.name_en": [(forms.CommunityForm, "name_en")],
    "forum_pairs.slug": [(forms.PairForm, "slug")],
    "forums.title": [(forms.PairForm, "title_es"), (forms.PairForm, "title_en")],
    "threads.title": [(forms.ThreadForm, "title"), (forms.QuestionForm, "title_es"), (forms.QuestionForm, "title_en")],
    "resources.title": [(forms.ResourceForm, "title")],
    "resources.url": [(forms.ResourceForm, "url")],
    "newsletters.subject_es": [(forms.NewsletterForm, "subject_es")],
    "newsletters.subject_en": [(forms.NewsletterForm, "subject_en")],
    "webinars.title_es": [(webinar_forms.WebinarForm, "title_es")],
    "webinars.title_en": [(webinar_forms.WebinarForm, "title_en")],
    "webinars.join_url": [(webinar_forms.WebinarForm, "join_url")],
    "webinars.recording_url": [(webinar_forms.FollowUpForm, "recording_url")],
    "webinars.slides_url": [(webinar_forms.FollowUpForm, "slides_url")],
    "webinar_speakers.name": [(webinar_forms.SpeakerForm, "name")],
    "webinar_speakers.affiliation": [(webinar_forms.SpeakerForm, "affiliation")],
    "webinar_registrations.name": [(webinar_forms.GuestRegistrationForm, "name")],
    "webinar_registrations.email": [(webinar_forms.GuestRegistrationForm, "email")],
    "webinar_registrations.institution": [(webinar_forms.GuestRegistrationForm, "institution")],
    "processes.title_es": [(committee_forms.ProcessForm, "title_es")],
    "processes.title_en": [(committee_forms.ProcessForm, "title_en")],
    "rounds.title_es": [(committee_forms.RoundForm, "title_es")],
    "rounds.title_en": [(committee_forms.RoundForm, "title_en")],
}
# Built by the app from longer inputs: shortened with forum.text.shorten/fit where they are built.
DERIVED = {"outbox.subject", "outbox.attachment_name", "resources.tags", "resources.file_name",
           "themes.label_es", "themes.label_en", "themes.code", "round_options.label_es",
           "round_options.label_en", "posts.delete_reason", "posts.moderation_note", "posts.hidden_reason",
           "text_revisions.title", "search_words.word", "webinar_speakers.name",
           "login_sessions.user_agent"}  # a browser · system summary, at most 60 characters of the raw string
# Refused with a translated message by the service that stores them (the page's field has the same maxlength).
CHECKED_BY_SERVICE = {"report_quotes.text"}
# Chosen from a list, made by the app (keys, tokens, addresses checked by a validator), or set by
# operators: never free text of a member.
SYSTEM = {
    "communities.visibility", "communities.join_policy", "communities.timezone", "communities.logo_key",
    "communities.logo_type", "scheduler_leases.name", "cache_generations.name", "scheduler_leases.holder", "users.password_hash",
    "users.country", "users.sector", "users.gender", "users.locale", "users.timezone",
    "users.email_notifications", "users.digest_frequency", "forum_pairs.status", "forum_pairs.pre_moderation",
    "invitations.email", "invitations.role", "memberships.role", "memberships.state", "moderation_log.action",
    "moderation_log.target_type", "newsletters.status", "outbox.dedupe_key", "outbox.to_address", "outbox.kind",
    "outbox.unsubscribe_url", "outbox.reply_to", "outbox.locale", "outbox.attachment_type", "outbox.status",
    "outbox.claimed_by", "resources.language", "resources.file_key", "resources.file_type", "text_revisions.kind",
    "forums.language", "forums.slug", "webinars.timezone", "webinars.languages", "webinars.status", "webinars.uid",
    "threads.kind", "webinar_registrations.country", "webinar_registrations.sector", "webinar_registrations.gender",
    "webinar_registrations.locale", "webinar_registrations.status", "webinar_speakers.role",
    "webinar_speakers.photo_key", "webinar_speakers.photo_type", "posts.status", "rounds.kind",
    "rounds.results_visibility", "watches.level", "ballots.id", "ballots.voter_key", "flags.reason",
    "flags.resolution", "notifications.kind", "round_questions.kind", "search_documents.language", "answers.id",
    "answers.ballot_id", "login_sessions.id", "assist_states.checked_with", "assist_states.method",
    "assist_suggestions.reasons", "assist_vectors.fingerprint", "assist_vectors.method",
    "webinar_registrations.certificate_code",
}


def _bounded_columns() -> dict[str, int]:
    """String(n) columns, and each language of a bounded translatable text ("communities.name_es")."""
    columns = {f"{t.name}.{c.name}": c.type.length for t in _db.metadata.sorted_tables for c in t.columns
               if isinstance(c.type, String) and c.type.length}
    return columns | {f"{t.name}.{c.name}_{lang}": c.info["max_length"] for t in _db.metadata.sorted_tables
                      for c in t.columns if c.info.get("max_length") for lang in ("es", "en")}


def _length_max(form_class, name: str) -> int | None:
    field = getattr(form_class, name)
    limits = [v.max for v in field.kwargs.get("validators", []) if isinstance(v, Length) and v.max >= 0]
    limits += [v.limit for v in field.kwargs.get("validators", []) if isinstance(v, forms.MaxLength)]
    return min(limits) if limits else None


def test_every_bounded_column_is_checked_at_its_form_or_shortened_where_it_is_built():
    columns = _bounded_columns()
    unclassified = set(columns) - set(FORM_FIELDS) - DERIVED - SYSTEM - CHECKED_BY_SERVICE
    assert not unclassified, f"classify these String(n) columns in this test: {sorted(unclassified)}"
    for column, fields in FORM_FIELDS.items():
        for form_class, name in fields:
            limit = _length_max(form_class, name)
            assert limit is not None and limit <= columns[column], (column, form_class.__name__, name, limit)


def test_derived_values_from_maximum_inputs_fit_their_columns(db, make_user, make_community):
    community = make_community()
    owner = make_user(LONG_NAME)
    add_member(owner, community, role="organizer")
    db.session.commit()
    tags = ", ".join(f"{n:02d}" + "etiqueta" * 10 for n in range(20))
    resource = resources.add_resource(owner, community, title="T" * 300, summary="", language="es", tags=tags,
                                      url="https://example.org/" + "a" * 970)
    db.session.commit()
    stored = db.session.get(Resource, resource.id)
    assert len(stored.tags) <= 500 and stored.tags.endswith("…")
    assert stored.tags.startswith("00etiqueta")


def test_a_value_longer_than_its_column_is_refused_on_sqlite_too(db):
    """The flush checks what PostgreSQL would refuse, so the tests on SQLite find these bugs."""
    from forum.database import ValueTooLong

    db.session.add(OutboxMessage(dedupe_key="k", to_address="a@example.org", subject="s" * 301, body_text="",
                                 kind="notification", locale="es", next_attempt_at=utcnow() + timedelta(days=1)))
    with pytest.raises(ValueTooLong, match=r"outbox\.subject: 301 characters, at most 300"):
        db.session.flush()
    db.session.rollback()


def _words(n: int, word: str = "planificación") -> str:
    """`n` characters of words (a title a person could write), no shorter."""
    text = " ".join([word] * (n // (len(word) + 1) + 2))[:n]
    return text if not text.endswith(" ") else text[:-1] + "x"


def test_emails_built_from_maximum_inputs_fit_the_outbox(db, make_user, make_community):
    """Webinar, invitation and newsletter emails whose subjects quote 300-character titles, a
    200-character community name and a 120-character inviter: queued, each subject shortened."""
    from forum.people import clean_display_name
    from forum.services import membership, newsletters, webinars

    community = make_community()
    community.name_es, community.name_en = _words(200), _words(200, "planning")
    organizer = make_user(_words(120, "Organizadora"))
    member = make_user(_words(120, "Participante"))
    add_member(organizer, community, role="organizer")
    add_member(member, community)
    db.session.commit()
    start = timezones.to_local(utcnow() + timedelta(days=10), "America/Santiago").replace(second=0, microsecond=0)
    webinar = webinars.save_webinar(organizer, community, webinars.WebinarInput(
        title_es=_words(300), title_en=_words(300, "planning"), description_es="x", description_en="x",
        starts_at=start, timezone="America/Santiago", duration_minutes=60, capacity=None,
        join_url="https://meet.example.org/" + "a" * 975,
        speakers=[webinars.SpeakerInput(name=_words(200, "Rosa"), affiliation=_words(300, "Gobierno"))]))
    webinar_registrations.register_member(member, webinar)
    membership.invite(organizer, community, "x" * 64 + "@" + "d" * 60 + ".example.org", locale="en")
    edition = newsletters.save(organizer, community, subject_es=_words(300), subject_en=_words(300, "planning"),
                               body_es="Texto", body_en="Text")
    newsletters.send_test(organizer, edition)
    kinds = {m.kind: m for m in outbox()}
    assert {"webinar_registered", "community_invitation", "newsletter"} <= set(kinds)
    for message in outbox():
        assert len(message.subject) <= 300, message.kind
    assert any(m.subject.endswith("…") for m in outbox())
    assert len(clean_display_name(_words(200))) <= 120


def test_an_open_round_with_maximum_titles_opens_its_forums(db, make_user, make_community):
    """A round's 300-character title names a forum of at most 200; a 2,000-character question
    titles a thread of at most 300: both shortened at a word."""
    from forum.models import Forum, ForumPair
    from forum.services import committees
    from forum.timezones import to_local

    community = make_community()
    organizer = make_user(_words(120, "Organizadora"))
    add_member(organizer, community, role="organizer")
    db.session.commit()
    process = committees.save_process(organizer, community, title_es=_words(300), title_en=_words(300, "planning"))
    committees.save_round(organizer, process, committees.RoundInput(
        kind="open", title_es=_words(300), title_en=_words(300, "planning"),
        opens_at=to_local(utcnow() - timedelta(hours=1), community.timezone),
        closes_at=to_local(utcnow() + timedelta(days=7), community.timezone),
        questions=[committees.QuestionInput(kind="open", text_es=_words(2000), text_en=_words(2000, "planning"))]))
    forums = db.session.execute(db.select(Forum).join(ForumPair).where(ForumPair.community_id == community.id)).scalars().all()
    assert forums and all(len(f.title) <= 200 and f.title.endswith("…") for f in forums)
    titles = db.session.execute(db.select(Thread.title).where(Thread.forum_id.in_([f.id for f in forums]))).scalars().all()
    assert titles and all(len(t) <= 300 and t.endswith("…") for t in titles)


def test_a_translated_text_longer_than_its_bound_is_refused_in_any_language(db):
    """A community name is at most 200 characters in Spanish, English or any other language."""
    from forum.database import ForbiddenCharacter, ValueTooLong
    from forum.models import Community

    db.session.add(Community(slug="larga", name_texts={"es": "Red", "en": "Network", "pt": "R" * 201}))
    with pytest.raises(ValueTooLong, match=r"communities\.name\[pt\]: 201 characters, at most 200"):
        db.session.flush()
    db.session.rollback()
    db.session.add(Community(slug="nul", name_es="Red", name_en="Net", description_texts={"es": "a\x00b"}))
    with pytest.raises(ForbiddenCharacter, match=r"communities\.description\[es\]"):
        db.session.flush()
    db.session.rollback()
