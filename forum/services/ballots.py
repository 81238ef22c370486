"""Answering a round: one ballot per member, changeable until the close, keyed so that an
anonymous ballot cannot be traced to its voter once the round is sealed."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from forum.errors import ValidationErrors
from forum.extensions import db
from forum.models import (
    Answer,
    Ballot,
    Round,
    RoundResponse,
    User,
    utcnow,
)
from forum.policy import can, role_in
from forum.services import DomainError
from forum.services.atomic import atomic
from forum.services.committees import PROPOSAL_VALUES, SCALE, Reply

# --- answering ------------------------------------------------------------------------------

def voter_key(round_: Round, user: User) -> str:
    """Named: the user's id. Anonymous: a keyed hash only the application can compute, so a
    member finds their own ballot while nobody can go from a ballot to a member in the data."""
    if not round_.anonymous:
        return f"u{user.id}"
    secret = (current_app.config.get("BALLOT_KEY") or current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"ballot:{round_.id}:{user.id}".encode(), hashlib.sha256).hexdigest()


def my_ballot(user, round_: Round) -> Ballot | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.execute(select(Ballot).filter_by(round_id=round_.id, voter_key=voter_key(round_, user))
                              ).scalar_one_or_none()


def has_answered(user, round_: Round) -> bool:
    """Named rounds record it; anonymous ones only know it through the voter's key, until sealed."""
    if not getattr(user, "is_authenticated", False):
        return False
    if round_.anonymous:
        return not round_.sealed and my_ballot(user, round_) is not None
    return db.session.execute(select(RoundResponse.id).filter_by(round_id=round_.id, user_id=user.id)).first() \
        is not None


def _parse_answers(round_: Round, replies: dict[int, Reply]) -> list[Answer]:
    """The answers to the round's questions, checked; errors by question id."""
    answers, errors = [], {}
    for question in round_.questions:
        reply = replies.get(question.id) or Reply()
        options = {o.id for o in question.options}
        if question.kind in ("single", "multiple"):
            chosen = reply.chosen
            ids = [int(v) for v in chosen if str(v).isdecimal() and str(v).isascii() and int(v) in options]
            if not ids or len(ids) != len(chosen) or (question.kind == "single" and len(ids) != 1):
                errors[question.id] = (_l("Choose one option.") if question.kind == "single"
                                       else _l("Choose at least one option."))
                continue
            answers.extend(Answer(question_id=question.id, option_id=i) for i in dict.fromkeys(ids))
        elif question.kind == "scale":
            value = reply.value
            if not (value.isascii() and value.isdecimal()) or int(value) not in SCALE:
                errors[question.id] = _l("Choose a point of the scale from 1 to 5.")
                continue
            comment = reply.comment.strip()[:2000] if question.allow_comment else ""
            answers.append(Answer(question_id=question.id, value=int(value), comment=comment or None))
        elif question.kind == "ranking":
            ranks = {}
            for option in question.options:
                value = reply.ranks.get(option.id, "")
                ranks[option.id] = int(value) if value.isascii() and value.isdecimal() and len(value) < 4 else 0
            if sorted(ranks.values()) != list(range(1, len(options) + 1)):
                errors[question.id] = _l("Give each option a different place, from 1 to %(n)d.", n=len(options))
                continue
            answers.extend(Answer(question_id=question.id, option_id=o, value=r) for o, r in ranks.items())
        elif question.kind == "proposal":
            if reply.value not in PROPOSAL_VALUES:
                errors[question.id] = _l("Choose approve, reject or abstain.")
                continue
            answers.append(Answer(question_id=question.id, value=PROPOSAL_VALUES[reply.value]))
    if errors:
        raise ValidationErrors(errors)
    return answers


@atomic
def submit(user: User, round_: Round, replies: dict[int, Reply]) -> Ballot:
    """Answer, or change the answer: one ballot per member and round. `replies` by question id;
    a refusal (ValidationErrors) names the questions by id."""
    if not can(user, "round.answer", round_):
        if round_.kind == "open":
            raise DomainError(_l("This round is answered in its discussion threads."))
        if round_.state(utcnow()) != "open":
            raise DomainError(_l("This round is not open: answers are accepted only between its dates."))
        if round_.thread_id is not None and role_in(user, round_.community) is not None:
            raise DomainError(_l("This poll's thread no longer accepts answers."))
        raise DomainError(_l("Only members of the community can answer."))
    answers = _parse_answers(round_, replies)
    key = voter_key(round_, user)
    for _attempt in range(2):
        ballot = db.session.execute(select(Ballot).filter_by(round_id=round_.id, voter_key=key)).scalar_one_or_none()
        # Sealing may have finished while this answer waited for the ballot table: the voter's key is
        # gone, so a new ballot would count twice (and be the one ballot left with a key).
        if db.session.execute(select(Round.sealed).where(Round.id == round_.id)).scalar_one():
            raise DomainError(_l("This round is not open: answers are accepted only between its dates."))
        if ballot is None and not round_.anonymous and has_answered(user, round_):
            raise DomainError(_l("Your earlier answer can no longer be found to change it; it still counts."))
        try:
            with db.session.begin_nested():
                new = ballot is None
                if new:
                    ballot = Ballot(id=secrets.token_hex(16), round_id=round_.id, voter_key=key,
                                    user_id=None if round_.anonymous else user.id)
                    db.session.add(ballot)
                ballot.answers = answers
                db.session.flush()
                if new:
                    if not round_.anonymous:
                        db.session.add(RoundResponse(round_id=round_.id, user_id=user.id,
                                                     answered_at=utcnow().replace(minute=0, second=0, microsecond=0)))
                    db.session.execute(update(Round).where(Round.id == round_.id)
                                       .values(response_count=Round.response_count + 1)
                                       .execution_options(synchronize_session=False))
            return ballot
        except IntegrityError:  # a double submission raced us: the second attempt updates
            db.session.rollback()  # only this call's reads: submit is never called inside another unit
    raise DomainError(_l("Your answer could not be saved; try again."))


def draft_from(round_: Round, replies: dict[int, Reply]) -> dict[int, list]:
    """What a member gave, kept when the answer is refused, to show the form again as they left it."""
    from types import SimpleNamespace

    def number(value):
        return int(value) if value and value.isascii() and value.isdecimal() and len(value) < 10 else None

    draft: dict[int, list] = {}
    for question in round_.questions:
        reply = replies.get(question.id) or Reply()
        if question.kind in ("single", "multiple"):
            draft[question.id] = [SimpleNamespace(option_id=number(v), value=None, comment=None) for v in reply.chosen]
        elif question.kind == "ranking":
            draft[question.id] = [SimpleNamespace(option_id=o.id, value=number(reply.ranks.get(o.id, "")),
                                                  comment=None) for o in question.options]
        else:
            value = PROPOSAL_VALUES.get(reply.value, number(reply.value)) if question.kind == "proposal" \
                else number(reply.value)
            draft[question.id] = [SimpleNamespace(option_id=None, value=value, comment=reply.comment[:2000] or None)]
    return draft


def answers_by_question(ballot: Ballot | None) -> dict[int, list[Answer]]:
    grouped: dict[int, list[Answer]] = {}
    for answer in (ballot.answers if ballot else []):
        grouped.setdefault(answer.question_id, []).append(answer)
    return grouped
