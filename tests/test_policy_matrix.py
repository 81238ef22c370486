"""Every permission rule against every kind of person, in each community visibility: the table
below is the platform's permissions as decided, and a rule added to the policy without a line
here fails the test until someone decides who may do it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin

from forum.extensions import db
from forum.models import Membership, Resource, Round, Thread, Webinar, utcnow
from forum.policy import RULES, SYSTEM, NotAllowed, can, ensure
from forum.services import posting
from tests.conftest import forum_of

PEOPLE = ("visitor", "system", "unconfirmed", "outsider", "member", "suspended", "moderator", "organizer", "admin")
VISIBILITIES = ("public", "members", "private")
MEMBERS = {"unconfirmed", "member", "suspended", "moderator", "organizer"}
ACTIVE = {"member", "moderator", "organizer", "admin"}  # members who may take part, and admins
STAFF = {"moderator", "organizer", "admin"}


def everywhere(people: set[str]) -> dict[str, set[str]]:
    return {v: set(people) for v in VISIBILITIES}


def readers(private: set[str]) -> dict[str, set[str]]:
    """Everyone on a public community; these people on the others."""
    everyone = set(PEOPLE)
    return {"public": everyone, "members": set(private), "private": set(private)}


EXPECTED = {
    # Knowing a community exists (its card, how to join): private ones only for their members.
    "community.view": {"public": set(PEOPLE), "members": set(PEOPLE), "private": MEMBERS | {"admin"}},
    "community.read": readers(MEMBERS | {"admin"}),
    "community.join": {"public": {"outsider", "admin"}, "members": {"outsider", "admin"}, "private": {"admin"}},
    "community.request_join": everywhere(set()),  # an open community is joined, not asked
    "community.view_directory": everywhere(MEMBERS | {"admin"}),
    "community.moderate": everywhere(STAFF),
    "community.organize": everywhere({"organizer", "admin"}),
    "community.create": everywhere({"admin"}),
    "site.admin": everywhere({"admin"}),
    "newsletter.compose": everywhere({"organizer", "admin"}),
    "resource.add": everywhere(ACTIVE),
    "resource.delete": everywhere(STAFF),  # someone else's resource
    "forum.view": readers(MEMBERS | {"admin"}),
    "forum.create_thread": everywhere(STAFF),  # member threads are off in this forum
    "thread.view": readers(MEMBERS | {"admin"}),
    "thread.reply": everywhere(ACTIVE),
    "post.skip_approval": everywhere(STAFF),
    "post.edit": everywhere({"member"}),  # the member's own reply
    "post.delete": everywhere({"member"}),
    "post.view_revisions": everywhere({"member"} | STAFF),
    "post.mark_useful": everywhere(ACTIVE),  # someone else's reply
    "post.flag": everywhere(ACTIVE),
    "pair.export": everywhere(STAFF),
    "member.suspend": everywhere(STAFF),  # a plain member
    "webinar.view": readers(MEMBERS | {"admin"}),
    "webinar.register": {**readers(MEMBERS | {"admin"}), "public": set(PEOPLE) - {"visitor", "system"}},
    "round.answer": everywhere({"member", "moderator", "organizer"}),  # an admin outside does not vote
}


@pytest.fixture
def people(make_user):
    people = {role: make_user(role.title()) for role in PEOPLE if role not in ("visitor", "system")}
    people["unconfirmed"].email_confirmed_at = None
    people["admin"].is_admin = True
    people["visitor"] = AnonymousUserMixin()
    people["system"] = SYSTEM
    return people


def _targets(make_community, make_pair, make_user, people, visibility) -> dict:
    """One object per kind of rule, in a community of this visibility with an open forum pair."""
    author = make_user("Author")
    roles = {people[r]: ("member" if r in ("unconfirmed", "suspended") else r) for r in MEMBERS}
    community = make_community(visibility=visibility, members={**roles, author: "member"})
    suspended = db.session.execute(db.select(Membership).filter_by(user_id=people["suspended"].id)).scalar_one()
    suspended.suspended_until = utcnow() + timedelta(days=3)
    pair = make_pair(community)
    forum = forum_of(pair, "es")
    thread = db.session.execute(db.select(Thread).filter_by(forum_id=forum.id)).scalars().first()
    own = posting.reply(people["member"], thread, "Mi respuesta")
    other = posting.reply(author, thread, "Otra respuesta")
    resource = Resource(community=community, title="Guía", language="es", added_by_id=author.id)
    webinar = Webinar(community=community, starts_at=utcnow() + timedelta(days=5), timezone="America/Santiago")
    round_ = Round(community=community, kind="questionnaire", opens_at=utcnow() - timedelta(days=1),
                   closes_at=utcnow() + timedelta(days=5))
    target = db.session.execute(db.select(Membership).filter_by(user_id=author.id)).scalar_one()
    db.session.commit()
    return {"community": community, "forum": forum, "thread": thread, "own": own, "other": other,
            "resource": resource, "webinar": webinar, "round": round_, "pair": pair, "membership": target,
            "none": None}


TARGET = {"forum.view": "forum", "forum.create_thread": "forum", "post.skip_approval": "forum",
          "thread.view": "thread", "thread.reply": "thread", "post.edit": "own", "post.delete": "own",
          "post.view_revisions": "own", "post.mark_useful": "other", "post.flag": "other",
          "resource.delete": "resource", "webinar.view": "webinar", "webinar.register": "webinar",
          "round.answer": "round", "pair.export": "pair", "member.suspend": "membership",
          "community.create": "none", "site.admin": "none"}


def test_every_rule_is_decided_here():
    assert set(EXPECTED) == set(RULES), "decide who may do a new action: add it to EXPECTED"


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_the_matrix(app, make_community, make_pair, make_user, people, visibility):
    targets = _targets(make_community, make_pair, make_user, people, visibility)
    wrong = []
    for action, by_visibility in EXPECTED.items():
        obj = targets[TARGET.get(action, "community")]
        for role in PEOPLE:
            with app.test_request_context():
                allowed = can(people[role], action, obj)
            if allowed != (role in by_visibility[visibility]):
                wrong.append((action, role, allowed))
    assert wrong == [], wrong


def test_ensure_refuses_with_the_rules_message(app, make_community, people):
    community = make_community(members={people["member"]: "member"})
    with app.test_request_context(headers={"Accept-Language": "en"}):
        ensure(people["admin"], "community.moderate", community)
        with pytest.raises(NotAllowed) as refused:
            ensure(people["member"], "community.moderate", community)
        assert str(refused.value.message) == "Only the community's moderators can do this."
        with pytest.raises(NotAllowed):
            ensure(SYSTEM, "community.organize", community)
