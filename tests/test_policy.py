"""Permissions: particular cases of the rules (the whole matrix is in test_policy_matrix.py)."""
from datetime import timedelta

import pytest

from forum.policy import can
from tests.conftest import forum_of

ROLES = ("visitor", "outsider", "member", "moderator", "organizer", "admin")


def _world(make_community, make_pair, people, visibility, **pair_args):
    community = make_community(visibility=visibility, members={
        people["member"]: "member", people["moderator"]: "moderator", people["organizer"]: "organizer"})
    pair = make_pair(community, **pair_args)
    thread = forum_of(pair, "es")
    from forum.extensions import db
    from forum.models import Thread

    thread = db.session.execute(db.select(Thread).filter_by(forum_id=thread.id)).scalars().first()
    return community, thread


@pytest.fixture
def people(make_user):
    from flask_login import AnonymousUserMixin

    people = {role: make_user(role.title()) for role in ROLES if role != "visitor"}
    people["admin"].is_admin = True
    people["visitor"] = AnonymousUserMixin()
    return people


def test_closed_forum_reply_is_for_moderators_only(make_community, make_pair, people, app):
    _, thread = _world(make_community, make_pair, people, "public",
                       opens_in=timedelta(days=-90), lasts=timedelta(days=60))
    for role in ROLES:
        with app.test_request_context():
            allowed = can(people[role], "thread.reply", thread)
        assert allowed == (role in {"moderator", "organizer", "admin"}), role


def test_deleted_accounts_can_do_nothing(make_community, make_pair, people, app):
    from forum.models import utcnow

    community, thread = _world(make_community, make_pair, people, "public")
    with app.test_request_context():  # what the member could do the moment before
        assert can(people["member"], "thread.reply", thread) and can(people["member"], "resource.add", community)
    people["member"].deleted_at = utcnow()
    with app.test_request_context():
        assert not can(people["member"], "thread.reply", thread)
        assert not can(people["member"], "resource.add", community)
        assert not can(people["member"], "community.view_directory", community)


@pytest.mark.parametrize("visibility,allowed", [
    ("public", {"outsider"}), ("members", {"outsider"}), ("private", set()),
])
def test_only_outsiders_who_can_see_an_approval_community_may_ask_to_join(make_community, people, app, visibility, allowed):
    community = make_community(visibility=visibility, join_policy="approval", members={
        people["member"]: "member", people["moderator"]: "moderator", people["organizer"]: "organizer"})
    for role in ROLES:
        with app.test_request_context():
            assert can(people[role], "community.request_join", community) == (role in allowed), role


def test_suspended_members_can_do_nothing(make_community, make_pair, people, app):
    from datetime import timedelta

    from forum.models import utcnow

    _, thread = _world(make_community, make_pair, people, "public")
    community = thread.forum.community
    with app.test_request_context():  # what the moderator could do the moment before
        assert can(people["moderator"], "thread.reply", thread) and can(people["moderator"], "community.moderate",
                                                                         community)
    people["moderator"].suspended_until = utcnow() + timedelta(days=1)
    with app.test_request_context():
        assert not can(people["moderator"], "thread.reply", thread)
        assert not can(people["moderator"], "community.moderate", community)
    people["moderator"].suspended_until = utcnow() - timedelta(minutes=1)  # the suspension is over
    with app.test_request_context():
        assert can(people["moderator"], "thread.reply", thread)
