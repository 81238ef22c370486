"""What the committee pages read: a community's processes with their rounds, and a round with
its questions, options and source posts loaded for the answer form and the results."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from forum.extensions import db
from forum.models import Community, Post, Process, QuestionSource, Round, RoundQuestion


def processes_of(community: Community) -> list[Process]:
    """Newest first, each with its rounds (the list shows how many)."""
    return db.session.execute(select(Process).filter_by(community_id=community.id)
                              .options(selectinload(Process.rounds))
                              .order_by(Process.created_at.desc())).scalars().all()


def round_with_questions(round_id: int) -> Round | None:
    return db.session.execute(select(Round).where(Round.id == round_id).options(
        selectinload(Round.questions).selectinload(RoundQuestion.options),
        selectinload(Round.questions).selectinload(RoundQuestion.sources).joinedload(QuestionSource.post)
        .joinedload(Post.author))).scalar_one_or_none()
