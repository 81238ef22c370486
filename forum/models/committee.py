"""Technical committees: processes of rounds (open, questionnaire, vote), and polls in threads.

A round's answers are ballots. A named ballot keeps its voter; an anonymous
ballot keeps no user id and no time, and ballots and answers have random ids
(and, on SQLite, no rowid), so neither their ids nor their order say who
answered when. While the round is open the voter finds their own ballot again
(to change it, and to be left out of reminders) by a keyed hash only the
application can compute. When the round closes it is sealed
(forum.services.sealing): its anonymous ballots are written again in a random
order under fresh ids and random keys, and on PostgreSQL their tables get new
files, so no transaction id, row position or leftover row version says who
voted what. Named rounds also record that a member answered
(`RoundResponse`, to the hour); anonymous rounds record nothing per member.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.community import Community
from forum.models.translated import language_view, pick, translated_column
from forum.models.types import UTCDateTime, utcnow

ROUND_KINDS = ("open", "questionnaire", "vote", "poll")
QUESTION_KINDS = ("single", "multiple", "scale", "ranking", "proposal")
RESULTS_VISIBILITY = ("after_close", "live")


class Process(db.Model):
    """A committee's work in rounds, e.g. a Delphi consultation on the dimensions of an index."""

    __tablename__ = "processes"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    # The forum pair whose synthesis export includes the results, if any.
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("forum_pairs.id"), index=True)
    title_texts: Mapped[dict[str, str]] = translated_column("title", 300)
    title_es = language_view("title", "es")
    title_en = language_view("title", "en")
    description_texts: Mapped[dict[str, str]] = translated_column("description")
    description_es = language_view("description", "es")
    description_en = language_view("description", "en")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community] = relationship()
    rounds: Mapped[list[Round]] = relationship(back_populates="process", order_by="Round.position")

    def title(self, lang: str) -> str:
        return pick(self.title_texts, lang)


class Round(db.Model):
    """One round of a process (open, questionnaire or vote), or a poll placed in a thread."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    process_id: Mapped[int | None] = mapped_column(ForeignKey("processes.id"), index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"), index=True)  # polls
    # An open round's questions are answered as threads of this forum pair.
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("forum_pairs.id"))
    # A closed round designed from an open one.
    source_round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    kind: Mapped[str] = mapped_column(String(15))
    position: Mapped[int] = mapped_column(Integer, default=1)
    title_texts: Mapped[dict[str, str]] = translated_column("title", 300)
    title_es = language_view("title", "es")
    title_en = language_view("title", "en")
    description_texts: Mapped[dict[str, str]] = translated_column("description")
    description_es = language_view("description", "es")
    description_en = language_view("description", "en")
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    results_visibility: Mapped[str] = mapped_column(String(12), default="after_close")
    # Votes: minimum share of eligible members who must vote, and of approvals among approve + reject.
    quorum_percent: Mapped[int | None] = mapped_column(Integer)
    threshold_percent: Mapped[int | None] = mapped_column(Integer)
    # Kept by the service: how many have answered.
    response_count: Mapped[int] = mapped_column(Integer, default=0)
    # Frozen when the round closes: the members who could vote (quorum and turnout stay as they were),
    # and whether anonymous voters' keys have been replaced by random ones.
    eligible_count: Mapped[int | None] = mapped_column(Integer)
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Anonymous rounds: the ballots were rewritten at the seal, leaving no trace of who wrote which.
    scrubbed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community] = relationship()
    process: Mapped[Process | None] = relationship(back_populates="rounds")
    questions: Mapped[list[RoundQuestion]] = relationship(
        back_populates="round", order_by="RoundQuestion.position", cascade="all, delete-orphan")

    def title(self, lang: str) -> str:
        return pick(self.title_texts, lang)

    def description(self, lang: str) -> str:
        return pick(self.description_texts, lang)

    def state(self, now: datetime) -> str:
        if now < self.opens_at:
            return "scheduled"
        return "closed" if now >= self.closes_at else "open"

    def results_visible(self, now: datetime) -> bool:
        return self.results_visibility == "live" or now >= self.closes_at


class RoundQuestion(db.Model):
    __tablename__ = "round_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(10))
    text_texts: Mapped[dict[str, str]] = translated_column("text")
    text_es = language_view("text", "es")
    text_en = language_view("text", "en")
    allow_comment: Mapped[bool] = mapped_column(Boolean, default=False)

    round: Mapped[Round] = relationship(back_populates="questions")
    options: Mapped[list[RoundOption]] = relationship(
        back_populates="question", order_by="RoundOption.position", cascade="all, delete-orphan")
    sources: Mapped[list[QuestionSource]] = relationship(cascade="all, delete-orphan")

    def text(self, lang: str) -> str:
        return pick(self.text_texts, lang)


class RoundOption(db.Model):
    __tablename__ = "round_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("round_questions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    label_texts: Mapped[dict[str, str]] = translated_column("label", 500)
    label_es = language_view("label", "es")
    label_en = language_view("label", "en")

    question: Mapped[RoundQuestion] = relationship(back_populates="options")

    def label(self, lang: str) -> str:
        return pick(self.label_texts, lang)


class QuestionSource(db.Model):
    """A post of the open round cited as the source of a closed question."""

    __tablename__ = "question_sources"
    __table_args__ = (UniqueConstraint("question_id", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("round_questions.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))

    post: Mapped[Post] = relationship()  # noqa: F821


class RoundResponse(db.Model):
    """That a member has answered a round (for "who has not answered yet"); never what."""

    __tablename__ = "round_responses"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ballot(db.Model):
    """One member's answers to a round. Anonymous: no user id, no time, a random id."""

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("round_id", "voter_key"), {"sqlite_with_rowid": False})

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    # Named ballots only.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # "u<id>" for a named ballot; a keyed hash (HMAC) of round and voter for an anonymous one.
    voter_key: Mapped[str] = mapped_column(String(64))

    answers: Mapped[list[Answer]] = relationship(cascade="all, delete-orphan")


class Answer(db.Model):
    __tablename__ = "answers"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: secrets.token_hex(16))
    ballot_id: Mapped[str] = mapped_column(ForeignKey("ballots.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("round_questions.id"), index=True)
    option_id: Mapped[int | None] = mapped_column(ForeignKey("round_options.id"))
    # Scale: 1–5; ranking: the option's rank (1 = first); proposal: 1 approve, -1 reject, 0 abstain.
    value: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
